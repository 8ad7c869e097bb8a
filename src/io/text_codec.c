/* text_codec.c — how a language model's text becomes token ids and back:
 * the model file's Keras-style tokenizer (words or characters) or its
 * GPT-2 byte-level BPE. What `deepc generate` uses, and a server or any C
 * program would: the codec is the model file's, so a prompt is encoded as
 * the training text was. */
#include "../nn/model.h"
#include <stdlib.h>
#include <string.h>

struct dc_text_codec {
    const dc_text_spec *sp;
    dc_tokenizer *tok;
    dc_bpe *bpe;
    int32_t eos; /* GPT-2's <|endoftext|>, or -1 */
};

dc_text_codec *dc_text_codec_new(const dc_model *m) {
    const dc_text_spec *sp = dc_model_text(m);
    if (!sp) {
        dc_set_error(DC_ERR_INVALID, "text: the model has no text line (it does not read text)");
        return NULL;
    }
    dc_text_codec *c = calloc(1, sizeof *c);
    if (!c) {
        dc_set_error(DC_ERR_NOMEM, "text: out of memory");
        return NULL;
    }
    c->sp = sp;
    c->eos = -1;
    if (sp->bpe) {
        if (!(c->bpe = dc_model_bpe(m))) goto fail;
        for (int i = dc_bpe_vocab_size(c->bpe) - 1; i >= 0 && c->eos < 0; i--)
            if (!strcmp(dc_bpe_token(c->bpe, i), "<|endoftext|>")) c->eos = i;
    } else if (!(c->tok = dc_model_tokenizer(m))) {
        goto fail;
    }
    return c;
fail:
    dc_text_codec_free(c);
    return NULL;
}

void dc_text_codec_free(dc_text_codec *c) {
    if (!c) return;
    dc_tokenizer_free(c->tok);
    dc_bpe_free(c->bpe);
    free(c);
}

int64_t dc_text_codec_encode(const dc_text_codec *c, const char *text, int32_t **ids) {
    *ids = NULL;
    if (c->bpe) return dc_bpe_encode(c->bpe, text, strlen(text), ids);
    size_t n = strlen(text);
    if (!(*ids = malloc(sizeof(int32_t) * (n + 1)))) {
        dc_set_error(DC_ERR_NOMEM, "text: out of memory");
        return -1;
    }
    return dc_tokenizer_encode(c->tok, text, *ids, (int64_t)n + 1, 1, 1);
}

int dc_text_codec_allowed(const dc_text_codec *c, int64_t id) {
    if (id < 0) return 0;
    if (c->bpe) return id < dc_bpe_vocab_size(c->bpe);
    return id != 0 && id <= 0x7fffffff && dc_tokenizer_token(c->tok, (int)id) && !(c->sp->tok.oov && id == 1);
}

int32_t dc_text_codec_eos(const dc_text_codec *c) { return c->eos; }

char *dc_text_codec_decode(const dc_text_codec *c, const int32_t *ids, int64_t n, size_t *len) {
    if (c->bpe) return dc_bpe_decode(c->bpe, ids, n, len);
    size_t cap = 1;
    for (int64_t i = 0; i < n; i++) {
        const char *s = dc_tokenizer_token(c->tok, ids[i]);
        cap += (s ? strlen(s) : 0) + 1;
    }
    char *out = malloc(cap), *w = out;
    if (!out) {
        dc_set_error(DC_ERR_NOMEM, "text: out of memory");
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) {
        const char *s = dc_tokenizer_token(c->tok, ids[i]);
        if (!s) continue; /* padding, or an id with no token */
        if (!c->sp->tok.char_level) *w++ = ' '; /* word level: words were split at spaces */
        size_t k = strlen(s);
        memcpy(w, s, k);
        w += k;
    }
    *w = 0;
    *len = (size_t)(w - out);
    return out;
}
