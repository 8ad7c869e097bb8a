/* rnn_onednn.c [THREADS] — deepc's LSTM op against oneDNN's LSTM primitive
 * (Debian libdnnl 2.6, the library PyTorch itself is built with), on the
 * shape of models/spam_lstm.dc: batch 64, 200 steps, 32 inputs, 128 units.
 * Median time of forward + backward (training) and of forward alone
 * (inference, batch 64 and batch 1), over 9 runs after one warm-up. Prints
 * one JSON line. oneDNN runs with weights already in the layout it picked
 * and its workspace allocated once: its best case (converting PyTorch-
 * layout weights each step would add to its time, not deepc's). */
#include "bench.h"
#include <deepc.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { T = 200, I = 32, H = 128, RUNS = 9 };

#define CK(call)                                                                                                       \
    do {                                                                                                               \
        dnnl_status_t st_ = (call);                                                                                    \
        if (st_ != dnnl_success) {                                                                                     \
            fprintf(stderr, "%s:%d: oneDNN error %d\n", __FILE__, __LINE__, (int)st_);                                 \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

static dnnl_memory_t mem(dnnl_engine_t eng, const dnnl_memory_desc_t *md) {
    dnnl_memory_t m;
    CK(dnnl_memory_create(&m, md, eng, DNNL_MEMORY_ALLOCATE));
    void *p;
    CK(dnnl_memory_get_data_handle(m, &p));
    float *f = p;
    size_t n = dnnl_memory_desc_get_size(md) / sizeof(float);
    for (size_t i = 0; i < n; i++) f[i] = 0.01f * (float)((i * 7919) % 201) - 1.0f; /* any values: timing only */
    return m;
}

/* oneDNN: median seconds of forward (+ backward when train) at batch N */
static double onednn(int N, int train) {
    dnnl_engine_t eng;
    dnnl_stream_t s;
    CK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CK(dnnl_stream_create(&s, eng, dnnl_stream_default_flags));
    dnnl_memory_desc_t src, wl, wi, b, dst;
    CK(dnnl_memory_desc_init_by_tag(&src, 3, (dnnl_dims_t){T, N, I}, dnnl_f32, dnnl_tnc));
    CK(dnnl_memory_desc_init_by_tag(&wl, 5, (dnnl_dims_t){1, 1, I, 4, H}, dnnl_f32, dnnl_format_tag_any));
    CK(dnnl_memory_desc_init_by_tag(&wi, 5, (dnnl_dims_t){1, 1, H, 4, H}, dnnl_f32, dnnl_format_tag_any));
    CK(dnnl_memory_desc_init_by_tag(&b, 4, (dnnl_dims_t){1, 1, 4, H}, dnnl_f32, dnnl_ldgo));
    CK(dnnl_memory_desc_init_by_tag(&dst, 3, (dnnl_dims_t){T, N, H}, dnnl_f32, dnnl_tnc));
    dnnl_rnn_desc_t fd, bd;
    CK(dnnl_lstm_forward_desc_init(&fd, train ? dnnl_forward_training : dnnl_forward_inference,
                                   dnnl_unidirectional_left2right, &src, NULL, NULL, &wl, &wi, &b, &dst, NULL, NULL, 0));
    dnnl_primitive_desc_t fpd, bpd = NULL;
    CK(dnnl_primitive_desc_create(&fpd, &fd, NULL, eng, NULL));
    dnnl_memory_t msrc = mem(eng, &src), mdst = mem(eng, &dst), mb = mem(eng, &b);
    dnnl_memory_t mwl = mem(eng, dnnl_primitive_desc_query_md(fpd, dnnl_query_weights_md, 0));
    dnnl_memory_t mwi = mem(eng, dnnl_primitive_desc_query_md(fpd, dnnl_query_weights_md, 1));
    dnnl_memory_t mws = train ? mem(eng, dnnl_primitive_desc_query_md(fpd, dnnl_query_workspace_md, 0)) : NULL;
    dnnl_primitive_t fwd, bwd = NULL;
    CK(dnnl_primitive_create(&fwd, fpd));
    dnnl_exec_arg_t fargs[6] = {{DNNL_ARG_SRC_LAYER, msrc}, {DNNL_ARG_WEIGHTS_LAYER, mwl}, {DNNL_ARG_WEIGHTS_ITER, mwi},
                                {DNNL_ARG_BIAS, mb},        {DNNL_ARG_DST_LAYER, mdst},   {DNNL_ARG_WORKSPACE, mws}};
    dnnl_exec_arg_t bargs[12];
    dnnl_memory_t extra[7] = {0};
    if (train) {
        dnnl_memory_desc_t any_wl, any_wi;
        CK(dnnl_memory_desc_init_by_tag(&any_wl, 5, (dnnl_dims_t){1, 1, I, 4, H}, dnnl_f32, dnnl_format_tag_any));
        CK(dnnl_memory_desc_init_by_tag(&any_wi, 5, (dnnl_dims_t){1, 1, H, 4, H}, dnnl_f32, dnnl_format_tag_any));
        CK(dnnl_lstm_backward_desc_init(&bd, dnnl_backward, dnnl_unidirectional_left2right, &src, NULL, NULL, &any_wl,
                                        &any_wi, &b, &dst, NULL, NULL, &src, NULL, NULL, &any_wl, &any_wi, &b, &dst, NULL,
                                        NULL, 0));
        CK(dnnl_primitive_desc_create(&bpd, &bd, NULL, eng, fpd));
        CK(dnnl_primitive_create(&bwd, bpd));
        /* backward's own weight layouts, and the diff tensors */
        extra[0] = mem(eng, dnnl_primitive_desc_query_md(bpd, dnnl_query_weights_md, 0));
        extra[1] = mem(eng, dnnl_primitive_desc_query_md(bpd, dnnl_query_weights_md, 1));
        extra[2] = mem(eng, &src), extra[3] = mem(eng, &dst), extra[6] = mem(eng, &b);
        extra[4] = mem(eng, dnnl_primitive_desc_query_md(bpd, dnnl_query_diff_weights_md, 0));
        extra[5] = mem(eng, dnnl_primitive_desc_query_md(bpd, dnnl_query_diff_weights_md, 1));
        dnnl_exec_arg_t a[12] = {{DNNL_ARG_SRC_LAYER, msrc},          {DNNL_ARG_WEIGHTS_LAYER, extra[0]},
                                 {DNNL_ARG_WEIGHTS_ITER, extra[1]},    {DNNL_ARG_BIAS, mb},
                                 {DNNL_ARG_DST_LAYER, mdst},           {DNNL_ARG_WORKSPACE, mws},
                                 {DNNL_ARG_DIFF_SRC_LAYER, extra[2]},  {DNNL_ARG_DIFF_DST_LAYER, extra[3]},
                                 {DNNL_ARG_DIFF_WEIGHTS_LAYER, extra[4]}, {DNNL_ARG_DIFF_WEIGHTS_ITER, extra[5]},
                                 {DNNL_ARG_DIFF_BIAS, extra[6]},       {0, NULL}};
        memcpy(bargs, a, sizeof a);
    }
    double t[RUNS + 1];
    for (int r = 0; r <= RUNS; r++) {
        double t0 = bench_now();
        CK(dnnl_primitive_execute(fwd, s, train ? 6 : 5, fargs));
        if (train) CK(dnnl_primitive_execute(bwd, s, 11, bargs));
        CK(dnnl_stream_wait(s));
        t[r] = bench_now() - t0;
    }
    return bench_median(t + 1, RUNS);
}

/* deepc: the same through dc_rnn (and dc_backward of sum(y · gy)) */
static double deepc(int N, int train) {
    dc_rng rng;
    dc_rng_seed(&rng, 1);
    dc_tensor *x = dc_tensor_new(DC_F32, 3, (int64_t[]){N, T, I}), *wih = dc_tensor_new(DC_F32, 2, (int64_t[]){4 * H, I});
    dc_tensor *whh = dc_tensor_new(DC_F32, 2, (int64_t[]){4 * H, H}), *bih = dc_tensor_new(DC_F32, 1, (int64_t[]){4 * H});
    dc_tensor *bhh = dc_tensor_new(DC_F32, 1, (int64_t[]){4 * H});
    dc_tensor *all[5] = {x, wih, whh, bih, bhh};
    for (int k = 0; k < 5; k++) {
        for (int64_t i = 0; i < all[k]->size; i++) all[k]->data[i] = 0.2f * (dc_rng_uniform(&rng) - 0.5f);
        if (train) dc_tensor_require_grad(all[k]);
    }
    dc_graph *g = dc_graph_new();
    double t[RUNS + 1];
    for (int r = 0; r <= RUNS; r++) {
        dc_graph_reset(g);
        double t0 = bench_now();
        dc_tensor *y = dc_rnn(g, DC_RNN_LSTM, x, wih, whh, bih, bhh, NULL, 0);
        if (!y || (train && dc_backward(g, dc_sum(g, y, DC_ALL_AXES, 0)) != DC_OK)) {
            fprintf(stderr, "deepc: %s\n", dc_last_error());
            exit(1);
        }
        t[r] = bench_now() - t0;
    }
    dc_graph_free(g);
    for (int k = 0; k < 5; k++) dc_tensor_free(all[k]);
    return bench_median(t + 1, RUNS);
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    dc_set_num_threads(threads);
    printf("{\"threads\":%d,\"deepc_train_64\":%.5f,\"onednn_train_64\":%.5f,\"deepc_infer_64\":%.5f,"
           "\"onednn_infer_64\":%.5f,\"deepc_infer_1\":%.6f,\"onednn_infer_1\":%.6f}\n",
           threads, deepc(64, 1), onednn(64, 1), deepc(64, 0), onednn(64, 0), deepc(1, 0), onednn(1, 0));
    return 0;
}
