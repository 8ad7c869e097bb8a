/* serve.c — `deepc serve MODEL [NAME=MODEL ...]`: the options, the models,
 * the HTTP daemon (libmicrohttpd, a thread per connection), the routes and
 * the shutdown (serve.h tells the pieces).
 *
 * Routes: GET /health, GET /metrics, GET /v1/models, GET /v1/models/NAME,
 * POST /v1/models/NAME:predict, POST /v1/completions. Everything else is a
 * 404 (the server never serves files). Every error is a JSON body with a
 * 4xx (or 5xx) status; a body over --max-body is refused before it is read
 * when its length is announced, else as soon as it passes the limit. With
 * --api-key-file every route but /health wants "Authorization: Bearer KEY",
 * compared in constant time. SIGTERM (or Ctrl-C): stop accepting, answer
 * new requests on open connections with 503, finish the requests in
 * flight, then exit 0. */
#include "serve.h"
#include "cli_data.h"
#include "cli_help.h"
#include "cli_util.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_MODELS 64
/* A body without an announced length that passes --max-body is read to its
 * end (the library answers only then) but no further than this. */
#define DISCARD_MAX ((size_t)64 << 20)

typedef struct {
    srv_opts o;
    srv_model *models[MAX_MODELS];
    int nmodels;
    int draining;  /* atomic: SIGTERM came */
    long inflight; /* atomic: requests begun and not yet completed */
} server;

typedef struct {
    int route, status, replied, too_big;
    size_t discarded; /* body bytes dropped after it passed --max-body */
    double t0;
    sbuf body;
} request;

/* ---- options ---- */

static int parse_size(const char *s, long *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double mul = *end == 'K' || *end == 'k' ? 1024.0 : *end == 'M' || *end == 'm' ? 1048576.0 : *end == 'G' || *end == 'g' ? 1073741824.0 : 1.0;
    if (mul != 1.0) end++;
    if (*end == 'B' || *end == 'b') end++;
    if (errno || end == s || *end || !(v * mul >= 1) || v * mul > 1073741824.0) return -1;
    *out = (long)(v * mul);
    return 0;
}

/* The key in an --api-key-file: its first line, without surrounding blanks. */
static char *read_key(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "deepc: --api-key-file %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char line[4096];
    char *k = fgets(line, sizeof line, f) ? line : NULL;
    fclose(f);
    if (k) {
        while (*k && isspace((unsigned char)*k)) k++;
        size_t n = strlen(k);
        while (n && isspace((unsigned char)k[n - 1])) k[--n] = 0;
    }
    if (!k || !*k) {
        fprintf(stderr, "deepc: --api-key-file %s: no key on its first line\n", path);
        return NULL;
    }
    return strdup(k);
}

static int valid_name(const char *s, size_t n) {
    if (!n || n > 128) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.') return 0;
    return 1;
}

/* A model argument: NAME=PATH, or PATH (named after its file). */
static int add_model(server *sv, const char *arg) {
    const char *eq = strchr(arg, '='), *path = eq ? eq + 1 : arg;
    char name[160];
    if (eq) {
        snprintf(name, sizeof name, "%.*s", (int)(eq - arg < 150 ? eq - arg : 150), arg);
    } else {
        const char *base = strrchr(arg, '/') ? strrchr(arg, '/') + 1 : arg;
        snprintf(name, sizeof name, "%.150s", base);
        char *dot = strrchr(name, '.');
        if (dot && dot != name) *dot = 0;
    }
    if (!valid_name(name, strlen(name))) {
        fprintf(stderr, "deepc: serve: \"%s\" is not a model name (letters, digits, '-', '_' and '.'; give NAME=%s)\n", name, path);
        return -1;
    }
    for (int i = 0; i < sv->nmodels; i++)
        if (!strcmp(sv->models[i]->name, name)) {
            fprintf(stderr, "deepc: serve: two models named \"%s\" (give NAME=MODEL)\n", name);
            return -1;
        }
    if (sv->nmodels == MAX_MODELS) {
        fprintf(stderr, "deepc: serve: at most %d models\n", MAX_MODELS);
        return -1;
    }
    srv_model *sm = calloc(1, sizeof *sm);
    if (!sm || !(sm->name = strdup(name)) || !(sm->path = strdup(path))) {
        if (sm) free(sm->name);
        free(sm);
        return -1;
    }
    sv->models[sv->nmodels++] = sm;
    return 0;
}

static int parse_opts(int argc, char **argv, server *sv) {
    srv_opts *o = &sv->o;
    *o = (srv_opts){.host = "127.0.0.1", .port = 8080, .threads = 0, .max_batch = 64, .max_instances = 1024, .max_connections = 512,
                    .timeout_s = 10, .max_streams = 16, .window_ms = 2.0, .max_body = 8L << 20};
    const char *keyfile = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        double d;
#define LONG_OPT(NAME, FIELD, LO, HI)                                           \
    if (!strcmp(a, NAME)) {                                                     \
        if (!v) goto missing;                                                   \
        if (cli_int(NAME, v, LO, HI, &n)) return -1;                            \
        o->FIELD = n, i++;                                                      \
        continue;                                                               \
    }
        LONG_OPT("--port", port, 0, 65535)
        LONG_OPT("--threads", threads, 0, 1024)
        LONG_OPT("--max-batch", max_batch, 1, 4096)
        LONG_OPT("--max-instances", max_instances, 1, 1 << 20)
        LONG_OPT("--max-connections", max_connections, 1, 100000)
        LONG_OPT("--timeout", timeout_s, 1, 3600)
        LONG_OPT("--max-streams", max_streams, 1, 256)
#undef LONG_OPT
        if (!strcmp(a, "--batch-window-ms")) {
            if (!v) goto missing;
            if (cli_float(a, v, 0.0, 10000.0, &d)) return -1;
            o->window_ms = d, i++;
        } else if (!strcmp(a, "--max-body")) {
            if (!v) goto missing;
            if (parse_size(v, &o->max_body)) {
                fprintf(stderr, "deepc: --max-body %s: a size from 1 byte to 1G (e.g. 8M, 512K)\n", v);
                return -1;
            }
            i++;
        } else if (!strcmp(a, "--host")) {
            if (!v) goto missing;
            o->host = v, i++;
        } else if (!strcmp(a, "--api-key-file")) {
            if (!v) goto missing;
            keyfile = v, i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "deepc: serve: unknown option %s (deepc serve --help)\n", a);
            return -1;
        } else if (add_model(sv, a)) {
            return -1;
        }
        continue;
    missing:
        fprintf(stderr, "deepc: %s needs a value\n", a);
        return -1;
    }
    if (!sv->nmodels) {
        fprintf(stderr, "deepc: serve needs a MODEL file (deepc serve --help)\n");
        return -1;
    }
    if (!strcmp(o->host, "localhost")) o->host = "127.0.0.1";
    unsigned char probe[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, o->host, probe) != 1 && inet_pton(AF_INET6, o->host, probe) != 1) { /* before any model loads */
        fprintf(stderr, "deepc: serve: --host %s is not an IPv4 or IPv6 address (127.0.0.1, 0.0.0.0, ::1, ...)\n", o->host);
        return -1;
    }
    if (keyfile && !(o->api_key = read_key(keyfile))) return -1;
    return 0;
}

/* ---- the models ---- */

static int load_models(server *sv) {
    for (int i = 0; i < sv->nmodels; i++) {
        srv_model *sm = sv->models[i];
        if (!(sm->m = dc_model_load(sm->path)) || srv_model_prepare(sm)) {
            fprintf(stderr, "deepc: serve: model %s (%s): %s\n", sm->name, sm->path, dc_last_error());
            return -1;
        }
        if (sm->lm ? !(sm->sched = sched_new(sm, &sv->o)) : !(sm->batcher = batcher_new(sm, &sv->o))) {
            fprintf(stderr, "deepc: serve: model %s: %s\n", sm->name, dc_last_error());
            return -1;
        }
    }
    return 0;
}

static void free_models(server *sv) {
    for (int i = 0; i < sv->nmodels; i++) {
        srv_model *sm = sv->models[i];
        batcher_free(sm->batcher);
        sched_free(sm->sched);
        srv_model_release(sm);
        dc_model_free(sm->m);
        free(sm->name), free(sm->path), free(sm);
    }
}

/* What GET /v1/models/NAME says of a model. */
static void model_info(sbuf *b, const srv_model *sm) {
    sb_str(b, "{\"id\":");
    sb_json(b, sm->name, strlen(sm->name));
    sb_str(b, ",\"object\":\"model\",\"owned_by\":\"deepc\",\"kind\":");
    sb_str(b, sm->lm ? "\"language_model\"" : sm->kind == K_CLASSES ? "\"classifier\"" : sm->kind == K_VALUE ? "\"regression\"" : "\"values\"");
    const char *desc = dc_model_description(sm->m);
    const char *dtype = !desc ? "float32" : strstr(desc, "weights=i8") ? "int8" : strstr(desc, "weights=q4") ? "int4" /* the weights' narrowest type */
                                        : strstr(desc, "weights=f16") ? "float16" : strstr(desc, "weights=bf16") ? "bfloat16" : "float32";
    sb_printf(b, ",\"dtype\":\"%s\",\"parameters\":%lld,\"inputs\":[{\"shape\":[", dtype, (long long)dc_model_num_params(sm->m));
    for (int d = 0; d < sm->in_ndim; d++) sb_printf(b, "%s%lld", d ? "," : "", (long long)sm->in_shape[d]);
    sb_printf(b, "],\"dtype\":\"%s\"}],\"accepts\":[", sm->in_dtype == DC_I32 ? "int32" : "float32");
    int k = 0;
    if (sm->lm) sb_str(b, "\"prompt\"");
    else {
        sb_printf(b, "\"%s\"", sm->in_dtype == DC_I32 ? "token_ids" : "numbers"), k++;
        if (sm->table) sb_str(b, ",\"columns\"");
        if (sm->image) sb_str(b, ",\"b64_image\"");
        if (sm->text) sb_str(b, ",\"text\"");
    }
    sb_str(b, "]");
    if (sm->kind == K_CLASSES && !sm->lm) {
        sb_str(b, ",\"classes\":[");
        for (int c = 0; c < sm->nclasses; c++) {
            if (c) sb_str(b, ",");
            sb_json(b, sm->names[c], strlen(sm->names[c]));
        }
        sb_str(b, "]");
    }
    if (sm->lm) sb_printf(b, ",\"context\":%lld,\"vocabulary\":%lld", (long long)sm->in_shape[0], (long long)sm->out_size / sm->in_shape[0]);
    sb_str(b, ",\"description\":");
    sb_json(b, desc ? desc : "", desc ? strlen(desc) : 0);
    sb_str(b, "}");
}

/* ---- requests ---- */

static int route_of(const char *url) {
    if (!strcmp(url, "/health")) return R_HEALTH;
    if (!strcmp(url, "/metrics")) return R_METRICS;
    if (!strcmp(url, "/v1/completions")) return R_COMPLETIONS;
    if (!strncmp(url, "/v1/models", 10)) {
        const char *c = strrchr(url, ':');
        return c && !strcmp(c, ":predict") ? R_PREDICT : R_MODELS;
    }
    return R_OTHER;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, request *q, srv_reply r, const char *type, int drain) {
    struct MHD_Response *resp = MHD_create_response_from_buffer(r.len, r.body ? r.body : "", r.body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(r.body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type ? type : "application/json");
    if (drain) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    if (r.status == 405) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, q->route == R_PREDICT || q->route == R_COMPLETIONS ? "POST" : "GET");
    if (r.status == 401) MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    q->status = r.status;
    q->replied = 1;
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)r.status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* Equal keys, in time that depends only on the lengths. */
static int key_equal(const char *given, const char *key) {
    size_t n = strlen(given), k = strlen(key);
    unsigned char diff = n != k;
    for (size_t i = 0; i < k; i++) diff |= (unsigned char)key[i] ^ (unsigned char)(i < n ? given[i] : 0);
    return !diff;
}

static int authorized(const server *sv, struct MHD_Connection *c) {
    if (!sv->o.api_key) return 1;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7)) return 0;
    return key_equal(h + 7, sv->o.api_key);
}

static ssize_t sse_reader(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    size_t k = sse_read(cls, buf, max);
    return k ? (ssize_t)k : MHD_CONTENT_READER_END_OF_STREAM;
}

static void sse_done(void *cls) { sse_close(cls); }

static srv_model *find_model(server *sv, const char *name, size_t n) {
    for (int i = 0; i < sv->nmodels; i++)
        if (strlen(sv->models[i]->name) == n && !memcmp(sv->models[i]->name, name, n)) return sv->models[i];
    return NULL;
}

/* The request's answer, once its body is in. */
static enum MHD_Result dispatch(server *sv, struct MHD_Connection *c, request *q, const char *url, const char *method) {
    const int get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), post = !strcmp(method, "POST");
    const int draining = __atomic_load_n(&sv->draining, __ATOMIC_ACQUIRE);
    if (draining) return send_reply(c, q, srv_error(503, "the server is shutting down"), NULL, 1);
    if (q->route == R_OTHER) return send_reply(c, q, srv_error(404, "no route %s %.200s (GET /v1/models lists the models)", method, url), NULL, 0);
    if (q->route != R_HEALTH && !authorized(sv, c))
        return send_reply(c, q, srv_error(401, "a valid \"Authorization: Bearer KEY\" header is needed"), NULL, 0);
    const int want_post = q->route == R_PREDICT || q->route == R_COMPLETIONS;
    if (want_post ? !post : !get) return send_reply(c, q, srv_error(405, "%s %.200s: use %s", method, url, want_post ? "POST" : "GET"), NULL, 0);
    sbuf b = {0};
    switch (q->route) {
    case R_HEALTH:
        sb_printf(&b, "{\"status\":\"ok\",\"models\":%d}\n", sv->nmodels);
        return send_reply(c, q, srv_ok(&b), NULL, 0);
    case R_METRICS:
        metrics_write(&b, __atomic_load_n(&sv->inflight, __ATOMIC_RELAXED));
        return send_reply(c, q, srv_ok(&b), "text/plain; version=0.0.4; charset=utf-8", 0);
    case R_MODELS: {
        const char *rest = url + 10;
        if (!*rest || !strcmp(rest, "/")) {
            sb_str(&b, "{\"object\":\"list\",\"data\":[");
            for (int i = 0; i < sv->nmodels; i++) {
                if (i) sb_str(&b, ",");
                model_info(&b, sv->models[i]);
            }
            sb_str(&b, "]}\n");
            return send_reply(c, q, srv_ok(&b), NULL, 0);
        }
        srv_model *sm = rest[0] == '/' ? find_model(sv, rest + 1, strlen(rest + 1)) : NULL;
        if (!sm) return send_reply(c, q, srv_error(404, "no model at %.200s (GET /v1/models lists them)", url), NULL, 0);
        model_info(&b, sm);
        sb_str(&b, "\n");
        return send_reply(c, q, srv_ok(&b), NULL, 0);
    }
    case R_PREDICT: {
        const char *name = url + 11, *colon = strrchr(url, ':');
        srv_model *sm = url[10] == '/' && colon > name ? find_model(sv, name, (size_t)(colon - name)) : NULL;
        if (!sm) return send_reply(c, q, srv_error(404, "no model at %.200s (GET /v1/models lists them)", url), NULL, 0);
        return send_reply(c, q, srv_predict(sm, &sv->o, q->body.s ? q->body.s : "", q->body.n), NULL, 0);
    }
    default: { /* R_COMPLETIONS */
        srv_stream *st;
        srv_reply r = srv_complete(sv->models, sv->nmodels, q->body.s ? q->body.s : "", q->body.n, &st);
        if (!st) return send_reply(c, q, r, NULL, 0);
        struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, sse_reader, st, sse_done);
        if (!resp) {
            sse_close(st);
            return MHD_NO;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        q->status = 200;
        q->replied = 1;
        enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        return ok;
    }
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **req_cls) {
    (void)version;
    server *sv = cls;
    request *q = *req_cls;
    if (!q) { /* the headers are in */
        if (!(q = calloc(1, sizeof *q))) return MHD_NO;
        q->t0 = srv_now();
        q->route = route_of(url);
        *req_cls = q;
        __atomic_add_fetch(&sv->inflight, 1, __ATOMIC_ACQ_REL);
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtod(cl, NULL) > (double)sv->o.max_body) {
            q->too_big = 1;
            return send_reply(c, q, srv_error(413, "a body of %s bytes; --max-body is %ld", cl, sv->o.max_body), NULL, 1);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!q->too_big && q->body.n + *upload_size > (size_t)sv->o.max_body) { /* refused at the end */
            q->too_big = 1;
            free(q->body.s);
            q->body = (sbuf){0};
        }
        if (q->too_big) {
            /* the library answers only once the body is in: read on and drop it,
             * up to a bound; a client that keeps sending past it is cut off */
            q->discarded += *upload_size;
            *upload_size = 0;
            return q->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
        }
        sb_put(&q->body, upload, *upload_size);
        *upload_size = 0;
        return q->body.oom ? MHD_NO : MHD_YES;
    }
    if (q->too_big && !q->replied)
        return send_reply(c, q, srv_error(413, "the body passed --max-body (%ld bytes)", sv->o.max_body), NULL, 1);
    if (q->replied) return MHD_YES;
    return dispatch(sv, c, q, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode why) {
    (void)c, (void)why;
    server *sv = cls;
    request *q = *req_cls;
    if (!q) return;
    metrics_request(q->route, q->status ? q->status : 499, srv_now() - q->t0);
    free(q->body.s);
    free(q);
    *req_cls = NULL;
    __atomic_sub_fetch(&sv->inflight, 1, __ATOMIC_ACQ_REL);
}

/* ---- the command ---- */

static struct MHD_Daemon *start(server *sv, int *port) {
    union {
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } addr;
    memset(&addr, 0, sizeof addr);
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (inet_pton(AF_INET, sv->o.host, &addr.v4.sin_addr) == 1) {
        addr.v4.sin_family = AF_INET;
        addr.v4.sin_port = htons((uint16_t)sv->o.port);
    } else if (inet_pton(AF_INET6, sv->o.host, &addr.v6.sin6_addr) == 1) {
        addr.v6.sin6_family = AF_INET6;
        addr.v6.sin6_port = htons((uint16_t)sv->o.port);
        flags |= MHD_USE_IPv6;
    } else {
        fprintf(stderr, "deepc: serve: --host %s is not an IPv4 or IPv6 address\n", sv->o.host);
        return NULL;
    }
    struct MHD_Daemon *d = MHD_start_daemon(flags, (uint16_t)sv->o.port, NULL, NULL, on_request, sv, MHD_OPTION_SOCK_ADDR, &addr,
                                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, sv, MHD_OPTION_CONNECTION_LIMIT,
                                            (unsigned)sv->o.max_connections, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)sv->o.timeout_s,
                                            MHD_OPTION_THREAD_STACK_SIZE, (size_t)1 << 20, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                            (size_t)64 << 10, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "deepc: serve: cannot listen on %s port %ld (%s)\n", sv->o.host, sv->o.port,
                errno ? strerror(errno) : "in use, or not an address of this machine");
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : (int)sv->o.port;
    return d;
}

int cli_serve(int argc, char **argv) {
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            cli_command_usage(cli_find_command("serve"), stdout);
            return 0;
        }
    /* SIGTERM and SIGINT are taken by sigwait below: block them before any
     * thread starts (threads inherit the mask); a closed client is not a signal */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    server sv = {0};
    int rc = 1, port = 0;
    struct MHD_Daemon *d = NULL;
    if (parse_opts(argc, argv, &sv)) {
        rc = 2;
        goto done;
    }
    if (load_models(&sv) || !(d = start(&sv, &port))) goto done;
    for (int i = 0; i < sv.nmodels; i++)
        fprintf(stderr, "deepc: model %s: %s (%s)\n", sv.models[i]->name, sv.models[i]->path,
                sv.models[i]->lm ? "language model: POST /v1/completions" : "POST /v1/models/NAME:predict");
    fprintf(stderr, "deepc: serving %d model%s on http://%s%s%s:%d\n", sv.nmodels, sv.nmodels == 1 ? "" : "s", strchr(sv.o.host, ':') ? "[" : "",
            sv.o.host, strchr(sv.o.host, ':') ? "]" : "", port);
    int sig = 0;
    sigwait(&sigs, &sig);
    /* drain: no new connections, 503 for new requests, finish those in flight */
    __atomic_store_n(&sv.draining, 1, __ATOMIC_RELEASE);
    MHD_socket ls = MHD_quiesce_daemon(d);
    if (ls != MHD_INVALID_SOCKET) close(ls);
    fprintf(stderr, "deepc: %s: finishing %ld request(s) in flight\n", sig == SIGINT ? "interrupted" : "SIGTERM",
            __atomic_load_n(&sv.inflight, __ATOMIC_ACQUIRE));
    while (__atomic_load_n(&sv.inflight, __ATOMIC_ACQUIRE) > 0) usleep(5000);
    MHD_stop_daemon(d);
    d = NULL;
    fprintf(stderr, "deepc: stopped\n");
    rc = 0;
done:
    if (d) MHD_stop_daemon(d);
    free_models(&sv);
    free(sv.o.api_key);
    return rc;
}
