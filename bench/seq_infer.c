/* seq_infer.c MODEL THREADS — batch-1 latency of a saved text model on a
 * 200-word text: the median of 300 runs of what `deepc predict --text` does
 * per text (tokenize with the model's own vocabulary, pad, forward). Prints
 * one JSON line; bench/seq.py runs it beside PyTorch (whose figure leaves
 * out tokenizing: it is timed on ids). */
#include "bench.h"
#include <deepc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    dc_set_num_threads(argc > 2 ? atoi(argv[2]) : 0);
    dc_model *m = dc_model_load(argv[1]);
    const dc_text_spec *sp = m ? dc_model_text(m) : NULL;
    dc_tokenizer *tok = sp ? dc_model_tokenizer(m) : NULL;
    if (!tok) {
        fprintf(stderr, "%s: not a text model (%s)\n", argv[1], dc_last_error());
        return 1;
    }
    /* 200 words of the vocabulary, the frequent and the rare */
    char text[200 * 72] = "";
    for (int i = 0; i < 200; i++) {
        const char *w = dc_tokenizer_token(tok, 2 + (i * 37) % (dc_tokenizer_vocab_size(tok) - 2));
        if (w && strlen(text) + strlen(w) + 2 < sizeof text) strcat(strcat(text, w), " ");
    }
    dc_graph *g = dc_graph_new();
    dc_graph_set_grad_enabled(g, 0);
    double t[320];
    for (int k = 0; k < 320; k++) {
        double t0 = bench_now();
        dc_graph_reset(g);
        dc_tensor *x = dc_input(g, DC_I32, 2, (int64_t[]){1, sp->maxlen});
        if (dc_tokenizer_encode(tok, text, x->idata, sp->maxlen, sp->pad_post, sp->truncate_post) < 0 ||
            !dc_model_forward(m, g, x, NULL)) {
            fprintf(stderr, "%s\n", dc_last_error());
            return 1;
        }
        t[k] = bench_now() - t0;
    }
    /* the first 20 grow the arena: left out */
    printf("{\"threads\":%d,\"latency_ms\":%.4f}\n", dc_get_num_threads(), 1e3 * bench_median(t + 20, 300));
    dc_graph_free(g);
    dc_tokenizer_free(tok);
    dc_model_free(m);
    return 0;
}
