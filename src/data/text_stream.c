/* text_stream.c — a text file as one stream of token ids: what a GPT-style
 * language model trains on (the text line's target=stream). The file is
 * read whole, tokenized once (the vocabulary fitted on all of it unless one
 * is given), and kept as int32 ids; dc_dataset_stream makes the windows.
 * Or read in parts, cut where no token crosses (dc_text_cut,
 * dc_read_text_part: each rank of deepc train --shard-data its own). */
#include "text_report.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STREAM_MAX_BYTES ((int64_t)1 << 31) /* 2 GiB of text: 8 GiB of ids */

dc_status dc_text_stream_load(const char *path, const dc_text_spec *spec, dc_tokenizer **tok, dc_dataset **out, FILE *report) {
    *out = NULL;
    int64_t len = 0;
    char *text = dc_read_text_file(path, STREAM_MAX_BYTES, &len);
    if (!text) return DC_ERR_IO;
    dc_status st = DC_OK;
    dc_tokenizer *own = NULL;
    if (report && len > ((int64_t)32 << 20)) { /* a large text takes a while to tokenize: say what is happening */
        char size[32];
        fprintf(report, "%s: %s read; %s the vocabulary and tokenizing...\n", path, dc_format_bytes((double)len, size, sizeof size),
                *tok ? "with" : "fitting");
        fflush(report);
    }
    if (!*tok) { /* fit the vocabulary on the whole text */
        const char *one[1] = {text};
        if (!(own = dc_tokenizer_new(&spec->tok)) || dc_tokenizer_fit(own, one, 1)) st = DC_ERR_INVALID;
    }
    const dc_tokenizer *use = own ? own : *tok;
    int32_t *ids = st ? NULL : malloc(sizeof(int32_t) * (size_t)(len + 1));
    if (!st && !ids) st = dc_set_error(DC_ERR_NOMEM, "%s: out of memory for %lld tokens", path, (long long)len);
    int64_t n = st ? -1 : dc_tokenizer_encode(use, text, ids, len + 1, 1, 1);
    if (!st && n < 0) st = DC_ERR_INVALID;
    if (!st && n < (int64_t)spec->maxlen + 1)
        st = dc_set_error(DC_ERR_FORMAT, "%s: %lld tokens, fewer than one window of maxlen=%d and the token after it", path, (long long)n,
                          spec->maxlen);
    if (!st && !(*out = dc_dataset_stream(ids, n, spec->maxlen, 1))) st = DC_ERR_NOMEM;
    if (!st && report) {
        char size[32];
        fprintf(report, "%s: %s, %lld tokens, a vocabulary of %d\n", path, dc_format_bytes((double)len, size, sizeof size), (long long)n,
                dc_tokenizer_vocab_size(use));
        dc_text_oov_report(report, path, use, ids, n);
    }
    if (!st && own) {
        *tok = own;
        own = NULL;
    }
    dc_tokenizer_free(own);
    free(ids);
    free(text);
    return st;
}

dc_status dc_bpe_stream_load(const char *path, const dc_bpe *b, int context, dc_dataset **out, FILE *report) {
    *out = NULL;
    int64_t len = 0;
    char *text = dc_read_text_file(path, STREAM_MAX_BYTES, &len);
    if (!text) return DC_ERR_IO;
    int32_t *ids = NULL;
    int64_t n = dc_bpe_encode(b, text, (size_t)len, &ids);
    dc_status st = n < 0 ? DC_ERR_INVALID : DC_OK;
    if (!st && n < (int64_t)context + 1)
        st = dc_set_error(DC_ERR_FORMAT, "%s: %lld tokens, fewer than one window of %d and the token after it", path, (long long)n, context);
    if (!st && !(*out = dc_dataset_stream(ids, n, context, 1))) st = DC_ERR_NOMEM;
    if (!st && report) {
        char size[32];
        fprintf(report, "%s: %s, %lld BPE tokens (%.2f bytes each), a vocabulary of %d\n", path, dc_format_bytes((double)len, size, sizeof size),
                (long long)n, (double)len / (double)n, dc_bpe_vocab_size(b));
    }
    free(ids);
    free(text);
    return st;
}

/* ---- a text file in parts (dc_text_cut) --------------------------------- */

static int graphic(int c) { return c > ' ' && c < 0x7F; }

dc_status dc_text_cut(const char *path, int64_t from, int64_t *cut) {
    struct stat sb;
    if (stat(path, &sb) != 0) return dc_set_error(DC_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    const int64_t size = (int64_t)sb.st_size;
    *cut = from <= 0 ? 0 : size;
    if (from <= 0 || from >= size) return DC_OK;
    FILE *f = fopen(path, "rb");
    if (!f) return dc_set_error(DC_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    /* scan from from - 2 in chunks, keeping the two bytes before each */
    unsigned char buf[1 << 16];
    int64_t at = from < 2 ? 0 : from - 2;
    int b2 = -1, b1 = -1; /* the bytes at p - 2 and p - 1 */
    dc_status st = fseek(f, (long)at, SEEK_SET) ? dc_set_error(DC_ERR_IO, "%s: cannot seek to byte %lld", path, (long long)at) : DC_OK;
    for (size_t n; !st && (n = fread(buf, 1, sizeof buf, f)) > 0;) {
        for (size_t i = 0; i < n; i++, at++) {
            if (at >= from && b1 == '\n' && graphic(b2) && graphic(buf[i])) {
                *cut = at;
                fclose(f);
                return DC_OK;
            }
            b2 = b1, b1 = buf[i];
        }
    }
    if (!st && ferror(f)) st = dc_set_error(DC_ERR_IO, "%s: cannot read near byte %lld", path, (long long)at);
    fclose(f);
    return st;
}

char *dc_read_text_part(const char *path, int64_t lo, int64_t hi, int64_t *len) {
    *len = 0;
    if (lo < 0 || hi < lo || hi - lo > STREAM_MAX_BYTES) {
        dc_set_error(DC_ERR_INVALID, "%s: bytes %lld to %lld: not a part this file may be read in (at most %lld MiB)", path, (long long)lo,
                     (long long)hi, (long long)(STREAM_MAX_BYTES >> 20));
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    char *buf = f ? malloc((size_t)(hi - lo) + 1) : NULL;
    if (!buf) {
        if (f) fclose(f);
        dc_set_error(f ? DC_ERR_NOMEM : DC_ERR_IO, "%s: cannot read (%s)", path, f ? "out of memory" : strerror(errno));
        return NULL;
    }
    size_t n = fseek(f, (long)lo, SEEK_SET) ? 0 : fread(buf, 1, (size_t)(hi - lo), f);
    fclose(f);
    if ((int64_t)n != hi - lo) {
        dc_set_error(DC_ERR_IO, "%s: cannot read bytes %lld to %lld (the file changed?)", path, (long long)lo, (long long)hi);
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    const char *nul = memchr(buf, 0, n);
    if (nul) {
        dc_set_error(DC_ERR_FORMAT, "%s: byte %lld is NUL: not a text file", path, (long long)(lo + (nul - buf)));
        free(buf);
        return NULL;
    }
    *len = (int64_t)n;
    return buf;
}
