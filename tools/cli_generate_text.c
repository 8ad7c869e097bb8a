/* cli_generate_text.c — `deepc generate MODEL --prompt TEXT`: text from a
 * language model (a GPT over a token stream, or an LSTM language model),
 * streamed to stdout as it is produced. The model file carries its
 * tokenizer: the prompt is encoded with it and every drawn token decoded
 * with it. Padding (and the out-of-vocabulary token) are never drawn. */
#include "cli_generate.h"
#include "cli_util.h"
#include "../src/core/internal.h"
#include "../src/kernels/kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

double dc_now(void);

/* Each sequence's generated text so far (for --stop). */
typedef struct {
    dc_strbuf text;
    int done;
} seq_out;

/* How the model's text becomes ids and back: Keras' tokenizer, or GPT-2's BPE. */
typedef struct {
    const dc_text_spec *sp;
    dc_tokenizer *tok;
    dc_bpe *bpe;
    int eos; /* GPT-2's <|endoftext|>: ends a sequence, not printed (-1: none) */
} codec;

/* The ids of text (malloc'ed), or -1. */
static int64_t codec_encode(const codec *c, const char *text, int32_t **ids) {
    if (c->bpe) return dc_bpe_encode(c->bpe, text, strlen(text), ids);
    size_t n = strlen(text);
    if (!(*ids = malloc(sizeof(int32_t) * (n + 1)))) return -1;
    return dc_tokenizer_encode(c->tok, text, *ids, (int64_t)n + 1, 1, 1);
}

/* May id be drawn? (Never padding, the OOV token or an id with no token.) */
static int codec_allowed(const codec *c, int64_t id) {
    if (c->bpe) return id < dc_bpe_vocab_size(c->bpe);
    return id != 0 && dc_tokenizer_token(c->tok, (int)id) && !(c->sp->tok.oov && id == 1);
}

static void put_token(const codec *c, int32_t id, dc_strbuf *b, FILE *stream) {
    if (c->bpe) { /* bytes: a character may span tokens, the terminal joins them */
        size_t n;
        char *s = dc_bpe_decode(c->bpe, &id, 1, &n);
        if (!s) return;
        dc_sb_put(b, s, n);
        if (stream) {
            fwrite(s, 1, n, stream);
            fflush(stream);
        }
        free(s);
        return;
    }
    const char *s = dc_tokenizer_token(c->tok, id);
    if (!s) return;
    if (!c->sp->tok.char_level) {
        dc_sb_puts(b, " ");
        if (stream) fputc(' ', stream);
    }
    dc_sb_puts(b, s);
    if (stream) {
        fputs(s, stream);
        fflush(stream);
    }
}

/* Did the bytes added after `before` complete the stop string? */
static int hit_stop(const dc_strbuf *b, const char *stop, size_t before) {
    if (!stop || !*stop || !b->s) return 0;
    size_t n = strlen(stop), at = before >= n - 1 ? before - (n - 1) : 0;
    return strstr(b->s + at, stop) != NULL;
}

int cli_generate_text(const cli_args *a) {
    dc_model *m = dc_model_load(a->target);
    if (!m) return cli_fail("cannot read the model");
    int rc = 0;
    dc_generator *gen = NULL;
    codec cd = {dc_model_text(m), NULL, NULL, -1};
    int32_t *ids = NULL, *one = NULL, *step = NULL;
    float *logits = NULL;
    uint8_t *banned = NULL;
    seq_out *outs = NULL;
    const dc_text_spec *sp = dc_model_text(m);
    const int N = a->samples > 0 ? (int)a->samples : 1;
    if (sp && sp->bpe && (cd.bpe = dc_model_bpe(m))) {
        for (int i = dc_bpe_vocab_size(cd.bpe) - 1; i >= 0 && cd.eos < 0; i--)
            if (!strcmp(dc_bpe_token(cd.bpe, i), "<|endoftext|>")) cd.eos = i;
    } else if (sp && !sp->bpe) {
        cd.tok = dc_model_tokenizer(m);
    }
    if (!sp || (!sp->next && !sp->stream) || (!cd.tok && !cd.bpe)) {
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
    int64_t np = codec_encode(&cd, a->prompt, &one);
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
    for (int64_t i = 0; i < V; i++) banned[i] = !codec_allowed(&cd, i);
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
            if (step[n] < 0) step[n] = 0;
            if (outs[n].done) continue;
            if (step[n] == cd.eos) { /* the end of a document: this sequence is done */
                outs[n].done = 1, live--;
                continue;
            }
            size_t before = outs[n].text.n;
            put_token(&cd, step[n], &outs[n].text, stream);
            if (hit_stop(&outs[n].text, a->stop, before)) outs[n].done = 1, live--;
        }
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
            printf("{\"sample\":%d,\"text\":", n + 1);
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
    dc_tokenizer_free(cd.tok);
    dc_bpe_free(cd.bpe);
    dc_generator_free(gen);
    dc_model_free(m);
    return rc;
}
