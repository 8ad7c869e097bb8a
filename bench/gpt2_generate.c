/* gpt2_generate.c DESCRIPTION THREADS BITS [RUNS] — token generation at
 * batch 1 as a user runs it: GPT-2 small (models/gpt2.dc, random weights),
 * float (BITS 0) or quantized by dc_model_quantize (8: int8, 4: q4_0), a
 * 16-token prompt then 128 new tokens, each the argmax of the last logits
 * (greedy: the sampler's cost stays out), through the KV cache
 * (dc_generator). Prints one JSON line: prefill and decode tokens/s
 * (medians of RUNS, default 3, after a warm-up), the weight bytes each
 * token reads, and the model's build + quantize seconds. With DEEPC_SAVE=PATH
 * it also saves the model it built (bench/ggml_gpt2.sh gives ggml the same
 * weights); with DEEPC_LOAD=PATH it loads that file instead of building. */
#include "bench.h"
#include <deepc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: gpt2_generate DESCRIPTION THREADS BITS [RUNS]\n");
        return 2;
    }
    dc_set_num_threads(atoi(argv[2]));
    const int bits = atoi(argv[3]);
    int runs = argc > 4 ? atoi(argv[4]) : 3;
    if (runs < 1 || runs > 50) runs = 3;
    double t0 = bench_now();
    const char *load = getenv("DEEPC_LOAD"); /* a saved model file instead (its own weights and types): peak memory as a user loads it */
    dc_model *m = load ? dc_model_load(load) : dc_model_parse_file(argv[1]);
    if (m && bits && !load) {
        dc_model *q = dc_model_quantize(m, bits, NULL);
        dc_model_free(m);
        m = q;
    }
    if (!m) {
        fprintf(stderr, "%s\n", dc_last_error());
        return 1;
    }
    const double build_s = bench_now() - t0;
    const char *save = getenv("DEEPC_SAVE"); /* the random weights, for bench/ggml_gpt2.sh's converter */
    const dc_text_spec *sp = dc_model_text(m);
    dc_bpe *bpe = save && sp && sp->bpe ? dc_bpe_load(sp->vocab, sp->merges) : NULL; /* the file also encodes text (bench/serve.sh) */
    if (bpe) dc_model_set_bpe(m, bpe);
    dc_bpe_free(bpe);
    if (save && dc_model_save(m, save)) {
        fprintf(stderr, "%s\n", dc_last_error());
        return 1;
    }
    const double bytes = (double)dc_model_bytes(m);
    enum { P = 16, NEW = 128 };
    dc_generator *gen = dc_generator_new(m, 1, 1);
    if (!gen) {
        fprintf(stderr, "%s\n", dc_last_error());
        return 1;
    }
    const int64_t V = dc_generator_vocab(gen);
    float *logits = malloc(sizeof(float) * (size_t)V);
    double pre[51], dec[51];
    int32_t first[NEW];
    for (int r = 0; r <= runs; r++) {
        dc_generator_reset(gen);
        int32_t prompt[P];
        int np = P;
        for (int i = 0; i < P; i++) prompt[i] = (int32_t)((i * 7919 + 13) % V);
        const char *ids = getenv("DEEPC_PROMPT_IDS"); /* "15496,11,...": a given prompt (to compare with ggml's tokens) */
        for (np = 0; ids && *ids && np < P; np++) {
            prompt[np] = (int32_t)strtol(ids, (char **)&ids, 10);
            if (*ids == ',') ids++;
        }
        if (!np) np = P;
        double a = bench_now();
        if (dc_generator_feed(gen, prompt, np, logits)) {
            fprintf(stderr, "%s\n", dc_last_error());
            return 1;
        }
        double b = bench_now();
        for (int k = 0; k < NEW; k++) {
            int32_t best = 0;
            for (int64_t v = 1; v < V; v++) best = logits[v] > logits[best] ? (int32_t)v : best;
            if (r == 0) first[k] = best;
            if (dc_generator_feed(gen, &best, 1, logits)) {
                fprintf(stderr, "%s\n", dc_last_error());
                return 1;
            }
        }
        double c = bench_now();
        if (r) pre[r - 1] = np / (b - a), dec[r - 1] = NEW / (c - b);
    }
    printf("{\"bits\":%d,\"threads\":%s,\"prefill_tokens_per_second\":%.1f,\"decode_tokens_per_second\":%.1f,"
           "\"weight_mb\":%.1f,\"build_seconds\":%.2f,\"first_tokens\":[%d,%d,%d,%d,%d,%d]}\n",
           bits, argv[2], bench_median(pre, runs), bench_median(dec, runs), bytes / 1048576.0, build_s, first[0], first[1], first[2], first[3], first[4], first[5]);
    free(logits);
    dc_generator_free(gen);
    dc_model_free(m);
    return 0;
}
