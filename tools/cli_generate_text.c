/* cli_generate_text.c — `deepc generate MODEL --prompt TEXT`: text from a
 * language model (a GPT over a token stream, or an LSTM language model),
 * streamed to stdout as it is produced. The model file carries its
 * tokenizer: the prompt is encoded with it and every drawn token decoded
 * with it. Padding (and the out-of-vocabulary token) are never drawn. */
#include "cli_generate.h"
#include "cli_util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

double dc_now(void);

/* A growable text (each sequence's output so far, for --stop). */
typedef struct {
    char *s;
    size_t n, cap;
} text_buf;

static int text_put(text_buf *b, const char *p, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *t = realloc(b->s, cap);
        if (!t) return -1;
        b->s = t, b->cap = cap;
    }
    memcpy(b->s + b->n, p, n);
    b->n += n;
    b->s[b->n] = 0;
    return 0;
}

typedef struct {
    text_buf text;
    int done;
} seq_out;

/* Token id's text after what b holds, streamed when stream is set. */
static void put_token(const dc_text_codec *c, int32_t id, text_buf *b, FILE *stream) {
    size_t n;
    char *s = dc_text_codec_decode(c, &id, 1, &n);
    if (!s) return;
    text_put(b, s, n);
    if (stream) {
        fwrite(s, 1, n, stream);
        fflush(stream);
    }
    free(s);
}

/* Did the bytes added after `before` complete the stop string? */
static int hit_stop(const text_buf *b, const char *stop, size_t before) {
    if (!stop || !*stop || !b->s) return 0;
    size_t n = strlen(stop), at = before >= n - 1 ? before - (n - 1) : 0;
    return strstr(b->s + at, stop) != NULL;
}

int cli_generate_text(const cli_args *a) {
    dc_model *m = dc_model_load(a->target);
    if (!m) return cli_fail("cannot read the model");
    int rc = 0;
    dc_generator *gen = NULL;
    dc_text_codec *cd = NULL;
    int32_t *ids = NULL, *one = NULL, *step = NULL;
    float *logits = NULL;
    uint8_t *banned = NULL;
    seq_out *outs = NULL;
    const dc_text_spec *sp = dc_model_text(m);
    const int N = a->samples > 0 ? (int)a->samples : 1;
    if (sp) cd = dc_text_codec_new(m);
    if (!sp || (!sp->next && !sp->stream) || !cd) {
        dc_set_error_cli("%s: not a trained language model (its description needs a text line with target=stream or "
                         "target=next, and the file its vocabulary)", a->target);
        rc = cli_fail("cannot generate");
        goto done;
    }
    if (!(gen = dc_generator_new(m, N, !a->no_cache))) {
        rc = cli_fail("cannot generate");
        goto done;
    }
    const int64_t V = dc_generator_vocab(gen), T = dc_generator_context(gen);
    int64_t np = dc_text_codec_encode(cd, a->prompt, &one);
    if (np < 0) {
        rc = cli_fail("cannot encode the prompt");
        goto done;
    }
    ids = malloc(sizeof(int32_t) * (size_t)(np + 1) * (size_t)N);
    step = malloc(sizeof(int32_t) * (size_t)N);
    logits = malloc(sizeof(float) * (size_t)(V * N));
    banned = calloc((size_t)V, 1);
    outs = calloc((size_t)N, sizeof *outs);
    if (!ids || !step || !logits || !banned || !outs) {
        rc = cli_fail("out of memory");
        goto done;
    }
    if (np == 0) {
        dc_set_error_cli("--prompt \"%s\": no token of the model's vocabulary (a language model needs a start)", a->prompt);
        rc = cli_fail("cannot generate");
        goto done;
    }
    if (np > T && dc_generator_cached(gen)) {
        dc_set_error_cli("--prompt: %lld tokens, longer than the model's context of %lld", (long long)np, (long long)T);
        rc = cli_fail("cannot generate");
        goto done;
    }
    for (int n = 0; n < N; n++) memcpy(ids + n * np, one, sizeof(int32_t) * (size_t)np);
    for (int64_t i = 0; i < V; i++) banned[i] = !dc_text_codec_allowed(cd, i);
    dc_rng rng;
    dc_rng_seed(&rng, a->seed >= 0 ? (uint64_t)a->seed : 1);
    dc_sampling smp = {(float)a->temperature, (int)a->top_k, (float)a->top_p};
    FILE *stream = N == 1 && !a->json ? stdout : NULL;
    if (stream) {
        fputs(a->prompt, stream);
        fflush(stream);
    }
    double t0 = dc_now();
    dc_status st = dc_generator_feed(gen, ids, np, logits);
    long made = 0;
    int live = N;
    while (!st && made < a->max_tokens && live > 0) {
        for (int n = 0; n < N; n++) {
            step[n] = dc_sample_token(logits + n * V, V, &smp, banned, &rng);
            if (outs[n].done) {
                step[n] = step[n] < 0 ? 0 : step[n]; /* fed, never shown */
                continue;
            }
            if (step[n] < 0) { /* no finite logit that may be drawn: never a made-up token 0 (F14) */
                int nan = 0;
                for (int64_t i = 0; i < V && !nan; i++) nan = isnan(logits[n * V + i]);
                st = dc_set_error_cli("sample %d, token %ld: %s", n + 1, made + 1,
                                      nan ? "the model's output is NaN (a damaged or diverged model)"
                                          : "no token can be drawn (every allowed token has zero probability)");
                break;
            }
            if (step[n] == dc_text_codec_eos(cd)) { /* the end of a document: this sequence is done */
                outs[n].done = 1, live--;
                continue;
            }
            size_t before = outs[n].text.n;
            put_token(cd, step[n], &outs[n].text, stream);
            if (hit_stop(&outs[n].text, a->stop, before)) outs[n].done = 1, live--;
        }
        if (st) break;
        made++;
        if (made < a->max_tokens && live > 0) st = dc_generator_feed(gen, step, 1, logits);
    }
    double secs = dc_now() - t0;
    if (st) {
        if (stream) fputc('\n', stream);
        rc = cli_fail("generation failed");
        goto done;
    }
    if (stream) {
        fputc('\n', stream);
        fflush(stream);
    }
    for (int n = 0; !stream && n < N; n++) {
        if (a->json) {
            printf("{\"command\":\"generate\",\"sample\":%d,\"text\":", n + 1); /* each line names its command (F17) */
            cli_json_string(stdout, a->prompt);
            printf(",\"generated\":");
            cli_json_string(stdout, outs[n].text.s ? outs[n].text.s : "");
            printf("}\n");
        } else {
            printf("%s--- sample %d ---\n%s%s\n", n ? "\n" : "", n + 1, a->prompt, outs[n].text.s ? outs[n].text.s : "");
        }
    }
    if (!a->quiet && !a->json)
        fprintf(stderr, "deepc: %ld tokens x %d in %.2f s (%.1f tokens/s, %s)\n", made, N, secs, (double)made * N / (secs > 0 ? secs : 1e-9),
                dc_generator_cached(gen) ? "KV cache" : "whole window per token");
done:
    for (int n = 0; outs && n < N; n++) free(outs[n].text.s);
    free(outs);
    free(banned);
    free(logits);
    free(step);
    free(ids);
    free(one);
    dc_text_codec_free(cd);
    dc_generator_free(gen);
    dc_model_free(m);
    return rc;
}
