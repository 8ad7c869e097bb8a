/* text_stream.c — a text file as one stream of token ids: what a GPT-style
 * language model trains on (the text line's target=stream). The file is
 * read whole, tokenized once (the vocabulary fitted on all of it unless one
 * is given), and kept as int32 ids; dc_dataset_stream makes the windows. */
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
