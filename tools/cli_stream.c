/* cli_stream.c — a language model's token stream read in parts under
 * mpirun (deepc train --shard-data): each rank reads and tokenizes only its
 * part of the text, then the ranks trade tokens so that each holds the
 * training windows and the validation windows it trains and validates on.
 *
 * 1. The file is cut into one byte range per rank at places where no token
 *    crosses (dc_text_cut), so the parts tokenized one after the other are
 *    the whole text tokenized.
 * 2. A vocabulary still to fit is fitted on every part's counts, merged in
 *    order (dc_tokenizer_count, dc_tokenizer_fit_counts): the one the
 *    whole text gives.
 * 3. Each rank tokenizes its part; the ranks' token counts give every
 *    rank's place in the stream, and so the split dc_fit makes of the whole
 *    stream: its first (1 - validation_split) tokens train (windows at
 *    every token), the rest validate (windows every `context` tokens).
 * 4. Rank r takes training windows [n r / W, n (r + 1) / W) of the n, and
 *    validation windows likewise: the tokens they span (a window's context
 *    after it included) come from whichever ranks tokenized them, in one
 *    MPI_Alltoallv each.
 * dc_fit then draws windows over every rank's (dc_fit_options data_rows)
 * and sums the validation over the ranks (validation_rows): the run of the
 * whole stream on every rank, rounding aside. */
#include "cli_stream.h"
#include "cli_data.h"
#include "cli_mpi.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t lo, hi;
} span;

static span meet(span a, span b) {
    span m = {a.lo > b.lo ? a.lo : b.lo, a.hi < b.hi ? a.hi : b.hi};
    if (m.hi < m.lo) m.hi = m.lo;
    return m;
}

/* How the whole stream of N tokens splits (dc_fit's split, by position). */
typedef struct {
    int64_t N, T, ntr;   /* tokens, context, the training part's tokens */
    int64_t ntrain, nval; /* windows: training (stride 1), validation (stride T; 0: none) */
} stream_split;

/* The tokens rank r's training and validation windows span. */
static span train_tokens(const stream_split *s, int r, int W) {
    const int64_t w0 = s->ntrain * r / W, w1 = s->ntrain * (r + 1) / W;
    return (span){w0, w1 + s->T};
}
static span val_tokens(const stream_split *s, int r, int W) {
    const int64_t v0 = s->nval * r / W, v1 = s->nval * (r + 1) / W;
    return s->nval ? (span){s->ntr + v0 * s->T, s->ntr + v1 * s->T + 1} : (span){0, 0};
}

/* The tokens of `want` (spans of each rank) from the ranks that hold them
 * (held[r]: the tokens rank r tokenized), into out (want[me].hi - lo ids). */
static int trade(const int32_t *ids, const span *held, const span *want, int me, int W, int32_t *out) {
    int64_t *c = malloc(sizeof(int64_t) * 4 * (size_t)W);
    if (!c) return 1;
    for (int r = 0; r < W; r++) {
        const span give = meet(held[me], want[r]), get = meet(held[r], want[me]);
        c[r] = give.hi - give.lo, c[W + r] = give.lo - held[me].lo;
        c[2 * W + r] = get.hi - get.lo, c[3 * W + r] = get.lo - want[me].lo;
    }
    const int rc = cli_mpi_alltoallv_i32(ids, c, c + W, out, c + 2 * W, c + 3 * W);
    free(c);
    return rc;
}

/* This rank's part of the file, tokenized: ids[*n] (malloc'ed). A
 * vocabulary still to fit (*tok NULL, no bpe) is fitted on every part's
 * counts first. Collective: every rank calls it. */
static dc_status tokenize_part(const char *path, const dc_text_spec *sp, const dc_bpe *bp, dc_tokenizer **tok, span *bytes,
                               int32_t **ids, int64_t *n) {
    const int r = cli_mpi_rank(), W = cli_mpi_world();
    *ids = NULL, *n = 0;
    int64_t size = 0, len = 0;
    dc_status st = dc_text_cut(path, INT64_MAX, &size); /* (the file's size) */
    if (!st) st = dc_text_cut(path, size * r / W, &bytes->lo);
    if (!st) st = r + 1 == W ? (bytes->hi = size, DC_OK) : dc_text_cut(path, size * (r + 1) / W, &bytes->hi);
    char *text = st ? NULL : dc_read_text_part(path, bytes->lo, bytes->hi, &len);
    if (!st && !text) st = DC_ERR_IO;
    /* (a rank that failed returns without the gathers below; the command then takes every rank down: cli_mpi_abort) */
    dc_tokenizer *own = NULL;
    if (!bp && !*tok) {
        char *blob = NULL, *all = NULL;
        int64_t blen = 0, *lens = malloc(sizeof(int64_t) * (size_t)W);
        if (!st && !lens) st = dc_set_error_cli("out of memory");
        if (!st && !(own = dc_tokenizer_new(&sp->tok))) st = DC_ERR_NOMEM;
        const int64_t place = r; /* (the parts, in order, are the text) */
        if (!st) st = dc_tokenizer_count(own, (const char *const *)&text, &place, 1, &blob, &blen);
        if (!st && cli_mpi_allgather_bytes(blob, blen, &all, lens)) st = dc_set_error_cli("%s: the ranks' token counts could not be gathered", path);
        const char **parts = st ? NULL : malloc(sizeof(char *) * (size_t)W);
        if (!st && !parts) st = dc_set_error_cli("out of memory");
        for (int p = 0, at = 0; !st && p < W; at += (int)lens[p++]) parts[p] = all + at;
        if (!st) st = dc_tokenizer_fit_counts(own, parts, lens, W);
        free(parts), free(all), free(blob), free(lens);
    }
    if (!st && bp) {
        if ((*n = dc_bpe_encode(bp, text, (size_t)len, ids)) < 0) st = DC_ERR_INVALID;
    } else if (!st) {
        const dc_tokenizer *use = own ? own : *tok;
        if (!(*ids = malloc(sizeof(int32_t) * (size_t)(len + 1)))) st = dc_set_error_cli("%s: out of memory for %lld tokens", path, (long long)len);
        else if ((*n = dc_tokenizer_encode(use, text, *ids, len + 1, 1, 1)) < 0) st = DC_ERR_INVALID;
    }
    free(text);
    if (!st && own) *tok = own, own = NULL;
    dc_tokenizer_free(own);
    if (st) {
        free(*ids);
        *ids = NULL, *n = 0;
    }
    return st;
}

/* The split of the whole stream, as dc_fit makes it (and its errors). */
static dc_status split_of(const char *path, int64_t N, int T, float vs, int W, stream_split *s) {
    *s = (stream_split){.N = N, .T = T, .ntr = N};
    if (N < (int64_t)T + 1)
        return dc_set_error_cli("%s: %lld tokens, fewer than one window of %d and the token after it", path, (long long)N, T);
    if (vs > 0.0f) {
        s->ntr = (int64_t)((double)N * (1.0 - vs));
        if (s->ntr < (int64_t)T + 1 || N - s->ntr < (int64_t)T + 1)
            return dc_set_error_cli("fit: validation split %g of %lld tokens: token stream: a part of %lld tokens does not make one window of %d and its next token",
                                (double)vs, (long long)N, (long long)(s->ntr < (int64_t)T + 1 ? s->ntr : N - s->ntr), T);
        s->nval = (N - s->ntr - T - 1) / T + 1;
    }
    s->ntrain = s->ntr - T;
    if (s->ntrain < W || (vs > 0.0f && s->nval < W))
        return dc_set_error_cli("%s: --shard-data: %lld training and %lld validation windows cannot be shared by %d ranks; run without --shard-data",
                            path, (long long)s->ntrain, (long long)s->nval, W);
    return DC_OK;
}

dc_status cli_stream_part(const char *path, const dc_text_spec *sp, const dc_bpe *bp, dc_tokenizer **tok, float vs, int64_t limit,
                          cli_stream *out, FILE *report) {
    memset(out, 0, sizeof *out);
    const int r = cli_mpi_rank(), W = cli_mpi_world(), T = sp->maxlen;
    span bytes = {0, 0};
    int32_t *ids = NULL;
    int64_t n = 0, mx = 0;
    dc_status st = tokenize_part(path, sp, bp, tok, &bytes, &ids, &n);
    for (int64_t i = 0; i < n; i++) mx = ids[i] > mx ? ids[i] : mx;
    int64_t *counts = malloc(sizeof(int64_t) * 2 * (size_t)W);
    span *held = malloc(sizeof(span) * 3 * (size_t)W), *tr = held ? held + W : NULL, *va = held ? held + 2 * W : NULL;
    if (!st && (!counts || !held)) st = dc_set_error_cli("out of memory");
    /* each rank's count (and largest id): its place in the stream */
    if (!st && (cli_mpi_allgather_counts(n, counts) || cli_mpi_allgather_counts(mx, counts + W)))
        st = dc_set_error_cli("%s: the ranks' token counts could not be gathered", path);
    int64_t N = 0, top = 0;
    for (int k = 0; !st && k < W; k++) {
        held[k] = (span){N, N + counts[k]};
        N += counts[k];
        top = counts[W + k] > top ? counts[W + k] : top;
    }
    stream_split s = {0};
    /* --limit: the first `limit` windows, a stream of limit + T tokens, split as one (the tokens after are read, and left) */
    const int64_t used = limit > 0 && limit + T < N ? limit + T : N;
    if (!st) st = split_of(path, used, T, vs, W, &s);
    for (int k = 0; !st && k < W; k++) tr[k] = train_tokens(&s, k, W), va[k] = val_tokens(&s, k, W);
    int32_t *trbuf = st ? NULL : malloc(sizeof(int32_t) * (size_t)(tr[r].hi - tr[r].lo));
    int32_t *vabuf = st ? NULL : malloc(sizeof(int32_t) * (size_t)(va[r].hi - va[r].lo + 1));
    if (!st && (!trbuf || !vabuf)) st = dc_set_error_cli("%s: out of memory for this rank's windows", path);
    if (!st && (trade(ids, held, tr, r, W, trbuf) || trade(ids, held, va, r, W, vabuf)))
        st = dc_set_error_cli("%s: the ranks could not trade their tokens", path);
    out->hash = 1469598103934665603ull; /* dc_dataset_fingerprint's start, over the whole stream's ids */
    if (!st && cli_mpi_fnv(&out->hash, ids, sizeof(int32_t) * (size_t)n)) st = dc_set_error_cli("%s: the stream's fingerprint could not be passed along", path);
    free(ids); /* (before the windows' copies: the peak is then one copy of this rank's tokens, not two) */
    ids = NULL;
    if (!st && !(out->train = dc_dataset_stream(trbuf, tr[r].hi - tr[r].lo, T, 1))) st = DC_ERR_NOMEM;
    if (!st && s.nval && !(out->val = dc_dataset_stream(vabuf, va[r].hi - va[r].lo, T, T))) st = DC_ERR_NOMEM;
    if (!st) {
        out->train->num_classes = (int)top + 1; /* the whole stream's, as one process has it */
        if (out->val) out->val->num_classes = (int)top + 1;
        out->first = s.ntrain * r / W, out->total = s.ntrain;
        out->val_first = s.nval * r / W, out->val_total = s.nval;
        out->windows = used - T;
        out->tokens = N;
    }
    if (!st && report && used < N)
        fprintf(report, "--limit %lld: training on the first %lld of %lld windows of the stream\n", (long long)limit, (long long)limit, (long long)(N - T));
    if (!st && report) {
        char size[32];
        fprintf(report, "%s: %lld tokens, a vocabulary of %d; --shard-data: rank 0 tokenized bytes 0 to %lld (%s), and holds training "
                        "windows %lld to %lld of %lld and validation windows %lld to %lld of %lld; each of the %d ranks its part\n",
                path, (long long)N, bp ? dc_bpe_vocab_size(bp) : dc_tokenizer_vocab_size(*tok), (long long)bytes.hi,
                dc_format_bytes((double)(bytes.hi - bytes.lo), size, sizeof size), (long long)out->first,
                (long long)(s.ntrain / W), (long long)s.ntrain, (long long)out->val_first, (long long)(s.nval / W), (long long)s.nval, W);
    }
    free(trbuf), free(vabuf), free(ids), free(counts), free(held);
    if (st) cli_stream_free(out);
    return st;
}

void cli_stream_free(cli_stream *s) {
    dc_dataset_free(s->train);
    dc_dataset_free(s->val);
    memset(s, 0, sizeof *s);
}
