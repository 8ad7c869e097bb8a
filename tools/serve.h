/* serve.h — `deepc serve`: an HTTP inference server on libmicrohttpd.
 *
 * The pieces, one file each:
 *   serve.c          the command: options, models, the daemon, routes,
 *                    authorization, SIGTERM (stop accepting, finish what is
 *                    in flight, exit 0)
 *   serve_predict.c  POST /v1/models/NAME:predict: instances (numbers,
 *                    table rows, base64 images, texts) into a model's input,
 *                    and the batcher that runs concurrent requests together
 *   serve_complete.c POST /v1/completions: language models, one scheduler
 *                    per model whose streams share a generator's slots and
 *                    step together (continuous batching); JSON or SSE
 *   serve_util.c     growable text, JSON strings, base64, the metrics
 *
 * Threads: libmicrohttpd runs a thread per connection; it parses the
 * request, hands the work to the model's batcher or scheduler thread and
 * waits for the answer. Only those threads run the model (sessions and a
 * generator of their own over the one loaded, read-only dc_model). */
#ifndef DC_SERVE_H
#define DC_SERVE_H
#include <deepc.h>
#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* ---- growable text (serve_util.c) ---- */
typedef struct {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;
void sb_put(sbuf *b, const char *p, size_t n);
void sb_str(sbuf *b, const char *s);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s (n bytes) as a JSON string literal: quotes, backslashes and control
 * characters escaped, bytes that are not UTF-8 replaced by U+FFFD. */
void sb_json(sbuf *b, const char *s, size_t n);
void sb_num(sbuf *b, double v); /* a JSON number (null for NaN/inf) */
/* The length of s's longest prefix that does not end inside a UTF-8 character. */
size_t utf8_whole(const char *s, size_t n);
/* Base64 (RFC 4648, padding optional, no line breaks) into *out (malloc'ed). */
int b64_decode(const char *s, size_t n, uint8_t **out, size_t *len);
double srv_now(void);
/* A JSON number at *at (before end) as the double strtod gives, *at moved
 * past it; 0 when there is none (or it overflows). Exact decimal mantissas
 * and powers of ten take a fast path (predict's reader of arrays of
 * numbers: tests/test_serve_num.c checks it against strtod). Returns how
 * it was read: 2 exactly in doubles, 3 in x87's long double, 1 by strtod. */
int srv_number(const char **at, const char *end, double *v);

/* ---- the options ---- */
typedef struct {
    const char *host;
    long port, threads, max_batch, max_instances, max_connections, timeout_s, max_streams;
    double window_ms;
    long max_body;
    char *api_key; /* --api-key-file's key, or NULL */
} srv_opts;

/* ---- metrics (serve_util.c) ---- */
enum { R_PREDICT, R_COMPLETIONS, R_MODELS, R_HEALTH, R_METRICS, R_OTHER, R_COUNT };
void metrics_request(int route, int status, double seconds);
void metrics_batch(int size);
void metrics_tokens(long prompt, long generated);
void metrics_streams(int delta);
void metrics_write(sbuf *b, long inflight);

/* ---- a served model ---- */
typedef struct srv_batcher srv_batcher;
typedef struct srv_sched srv_sched;
typedef struct {
    char *name, *path;
    dc_model *m;
    int lm;                   /* a language model: completions, not predict */
    /* predict */
    int nin;                  /* inputs: 1 is served                          */
    dc_dtype in_dtype;        /* F32, or I32 token ids                        */
    int64_t in_size, out_size;
    int in_ndim;
    int64_t in_shape[DC_MAX_DIMS];
    int kind;                 /* K_CLASSES, K_VALUE (regression), K_VALUES    */
    int nclasses;             /* K_CLASSES: classes (2 for one sigmoid)       */
    char **names;             /* their names                                  */
    int table, image, text;   /* what instances it reads besides numbers      */
    dc_tabular *tab;          /* the stored pipeline, read once (or NULL)     */
    dc_tokenizer *tok;        /* a text model's tokenizer, read once          */
    srv_batcher *batcher;
    srv_sched *sched;
} srv_model;
enum { K_CLASSES, K_VALUE, K_VALUES };

/* A reply: status and JSON body (malloc'ed). */
typedef struct {
    int status;
    char *body;
    size_t len;
} srv_reply;
/* {"error": {"message": ..., "type": ..., "code": status}} */
srv_reply srv_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
srv_reply srv_ok(sbuf *b);

/* ---- predict (serve_predict.c) ---- */
int srv_model_prepare(srv_model *sm); /* kind, classes, inputs; -1 (error set) */
void srv_model_release(srv_model *sm); /* what prepare made */
srv_batcher *batcher_new(const srv_model *sm, const srv_opts *o);
void batcher_free(srv_batcher *b); /* finishes what is queued first */
srv_reply srv_predict(srv_model *sm, const srv_opts *o, const char *body, size_t len);

/* ---- completions (serve_complete.c) ---- */
srv_sched *sched_new(const srv_model *sm, const srv_opts *o);
void sched_free(srv_sched *s); /* finishes the streams in flight first */
/* A completion request: a JSON reply (*sse NULL), or a stream whose
 * events sse_read hands out (thread-per-connection: it may block). */
typedef struct srv_stream srv_stream;
srv_reply srv_complete(srv_model *const *models, int nmodels, const char *body, size_t len, srv_stream **sse);
/* Up to max bytes of the stream's next events into buf; 0 at its end. */
size_t sse_read(srv_stream *st, char *buf, size_t max);
void sse_close(srv_stream *st); /* the connection is done with it */

#endif
