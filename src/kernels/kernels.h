/* kernels.h — floor 1: raw math on contiguous float buffers. No allocation,
 * no autograd, no error handling: callers have checked shapes. */
#ifndef DC_KERNELS_H
#define DC_KERNELS_H
#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* glibc's vector expf/logf (libmvec): loops over them vectorize, 16 lanes
 * at a time. glibc declares them only under -ffast-math, which we do not
 * want (it would assume no NaN or infinity anywhere), so we declare them.
 * They handle NaN and infinities; results are within 1 ulp of the scalar
 * functions, and a given loop always takes the same path: deterministic. */
float expf(float) __attribute__((simd("notinbranch")));
float logf(float) __attribute__((simd("notinbranch")));

/* The logistic function, 1 / (1 + e^-x). e^-|x| never overflows; a select,
 * not a branch, so loops over it vectorize (16 lanes of libmvec's expf). */
static inline float dc_sigmoidf(float x) {
    float e = expf(-fabsf(x)), r = 1.0f / (1.0f + e);
    return (x >= 0.0f ? 1.0f : e) * r;
}

/* tanh x, vectorizable (libm's tanhf is not: a loop over it runs one value
 * at a time, and was a quarter of an LSTM's training step). Within 2e-7
 * relative of tanhf: (1 - e^-2|x|) / (1 + e^-2|x|) with the sign of x, and
 * below |x| = 1/4, where that difference cancels, the Taylor series to x^9
 * (the next term is under 1e-8 of the result). NaN stays NaN. */
static inline float dc_tanhf(float x) {
    float a = fabsf(x), x2 = x * x, e = expf(-2.0f * a);
    float big = (1.0f - e) / (1.0f + e);
    float small = x * (1.0f + x2 * (-1.0f / 3 + x2 * (2.0f / 15 + x2 * (-17.0f / 315 + x2 * (62.0f / 2835)))));
    return a < 0.25f ? small : copysignf(big, x);
}

/* Threads (threads.c). The team size fixes how work is split, and so the
 * bits of every result; 0 before dc_set_num_threads. The run count is how
 * many threads execute the team's parts now: fewer while other processes
 * keep cores busy, never more than the team. A loop whose parts do not
 * depend on the team runs on dc_k_run_threads() threads; a loop cut into
 * dc_k_threads() parts shares them out among dc_k_run_threads_for(parts). */
void dc_k_set_threads(int n); /* n <= 0: DEEPC_NUM_THREADS, OMP_NUM_THREADS or the cores */
int dc_k_threads(void);
int dc_k_run_threads(void);
/* The run count for a loop of `parts` parts (at most parts, at least 1). */
int dc_k_run_threads_for(int parts);
/* The calling thread's own team size from now on (0: the process's);
 * returns the previous own size. */
int dc_k_local_threads(int n);

/* for (int64_t i = 0; i < n; i++) { body } over the threads when cond
 * holds, else plainly. GCC's `omp parallel for if (0)` still sets up a
 * team (about a microsecond): generation, one token at a time, made
 * dozens of such calls per token and spent a sixth of its time there. */
#define DC_PARALLEL_FOR(cond, i, n, ...)                                              \
    do {                                                                              \
        if (cond) {                                                                   \
            _Pragma("omp parallel for num_threads(dc_k_run_threads()) schedule(static)") for (int64_t i = 0; i < (n); i++) { \
                __VA_ARGS__                                                           \
            }                                                                         \
        } else {                                                                      \
            for (int64_t i = 0; i < (n); i++) {                                       \
                __VA_ARGS__                                                           \
            }                                                                         \
        }                                                                             \
    } while (0)

/* The calling thread's index in the current OpenMP team (0 outside one):
 * which slot of a per-thread scratch buffer is its own. */
#ifdef _OPENMP
#include <omp.h>
static inline int64_t dc_thread_slot(void) { return omp_get_thread_num(); }
#else
static inline int64_t dc_thread_slot(void) { return 0; }
#endif

/* Loops shorter than this run on one thread: waking the pool costs more. */
#define DC_PAR_MIN 32768
/* Products with fewer multiply-adds than this run on one thread. */
#define DC_GEMM_PAR_MIN 262144.0

/* C (M,N) = alpha * op(A) op(B) + beta * C, row-major; ta/tb transpose A/B.
 * lda/ldb/ldc are the row strides of A, B, C as stored. */
void dc_k_gemm(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
               int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

/* Row-wise softmax / log-softmax of rows x cols, stable (max subtracted). */
void dc_k_softmax_rows(const float *x, float *z, int64_t rows, int64_t cols);
void dc_k_log_softmax_rows(const float *x, float *z, int64_t rows, int64_t cols);

/* out[j] += sum_i x[i*cols + j]: column sums of a rows x cols matrix. */
void dc_k_colsum_add(const float *x, float *out, int64_t rows, int64_t cols);

/* Binary cross-entropy from logits, summed: sum of max(x,0) - x y +
 * log(1 + e^-|x|) over n values (in double, in order), and sg = sigmoid(x). */
double dc_k_bce_logits(const float *x, const float *y, float *sg, int64_t n);

/* p[0..n) = 0, split over the threads when large (gradient buffers). */
void dc_k_zero(int64_t n, float *p);

/* y[i] += a * x[i] */
void dc_k_axpy(int64_t n, float a, const float *x, float *y);

/* Convolution and pooling (conv.c), channels first. A convolution's
 * geometry: input (N, C, H, W), weight (OC, C/groups, KH, KW), output
 * (N, OC, OH, OW); strides, dilations (at least 1), top/left padding.
 * One sample's columns are groups*K rows of OH*OW, K = C/groups*KH*KW. */
typedef struct {
    int64_t N, C, H, W, OC, KH, KW, OH, OW;
    int64_t sh, sw, dh, dw, pt, pl, groups;
} dc_k_conv_geom;
void dc_k_im2col(const dc_k_conv_geom *g, const float *x_n, float *col_n);
void dc_k_col2im_add(const dc_k_conv_geom *g, const float *col_n, float *dx_n);
/* y = conv(x, w) + b (b may be NULL); scratch holds
 * dc_k_conv2d_forward_scratch floats (one sample's columns per thread). */
size_t dc_k_conv2d_forward_scratch(const dc_k_conv_geom *g);
void dc_k_conv2d_forward(const dc_k_conv_geom *g, const float *x, const float *w, const float *b, float *scratch, float *y);
/* dx, dw, db += the gradients for dy (each may be NULL), from the input x;
 * scratch holds dc_k_conv2d_backward_scratch floats. */
size_t dc_k_conv2d_backward_scratch(const dc_k_conv_geom *g);
void dc_k_conv2d_backward(const dc_k_conv_geom *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                          float *db, float *scratch);
/* Pooling over planes of H x W; arg (max only, may be NULL without a
 * backward) records each maximum's flat index in its plane; average
 * pooling counts padding as zeros. */
typedef struct {
    int is_max, kh, kw, sh, sw, ph, pw;
    int64_t planes, H, W, OH, OW;
} dc_k_pool_geom;
void dc_k_pool2d_forward(const dc_k_pool_geom *g, const float *x, float *z, int32_t *arg);
void dc_k_pool2d_backward(const dc_k_pool_geom *g, const float *dz, const int32_t *arg, float *dx);

/* Normalization (norm.c). Batch norm over axis 1 of (N, C, S): training
 * uses and updates the running statistics (momentum, unbiased variance),
 * eval reads them; mean/invstd (C each) are what the backward reads.
 * Layer norm over rows of C (gamma, beta may be NULL); mean/rstd per row.
 * Backward: dx, dgamma, dbeta += (each may be NULL). */
void dc_k_batchnorm_forward(const float *x, int64_t N, int64_t C, int64_t S, const float *gamma, const float *beta,
                            float *rmean, float *rvar, float momentum, float eps, int training, float *mean, float *invstd,
                            float *z);
void dc_k_batchnorm_backward(const float *x, const float *dz, int64_t N, int64_t C, int64_t S, const float *gamma,
                             const float *mean, const float *invstd, int training, float *dx, float *dgamma, float *dbeta);
void dc_k_layer_norm_forward(const float *x, int64_t rows, int64_t C, const float *gamma, const float *beta, float eps,
                             float *mean, float *rstd, float *z);
#define DC_K_LN_CHUNK 64 /* rows per partial sum of dgamma/dbeta */
size_t dc_k_layer_norm_backward_scratch(int64_t rows, int64_t C);
void dc_k_layer_norm_backward(const float *x, const float *dz, int64_t rows, int64_t C, const float *gamma, const float *mean,
                              const float *rstd, float *dx, float *dgamma, float *dbeta, float *scratch);

/* Attention (attention.c) over the fused projection qkv (N, T, 3C), H
 * heads of D = C/H, into y (N, T, C); causal; dropout p with its hash seed
 * (0: none); real keys (N, T) as int32 or float (both NULL: all real).
 * lse (N, H, T) gets each query row's log-sum-exp (NULL: not kept), which
 * is all the backward reads. Scratch: dc_k_attention_scratch floats for
 * `keys` keys. The cached form appends the T new rows' keys and values at
 * pos0 of caches of cap rows per sample and attends over pos0 + T keys;
 * with rowpos (N, or NULL) row n starts at rowpos[n] instead, and with
 * rowslot (N, or NULL) row n keeps its keys in the cache's row rowslot[n]
 * (sequences of different lengths in one batch: a server's streams). */
#define DC_K_ATT_BQ 64 /* query rows per block */
typedef struct {
    int64_t N, T, C, H, D;
    int causal;
    float p;
    uint64_t seed;
    const int32_t *mask_i32;
    const float *mask_f32;
} dc_k_att_geom;
size_t dc_k_attention_scratch(const dc_k_att_geom *a, int64_t keys, int backward);
void dc_k_attention_forward(const dc_k_att_geom *a, const float *qkv, float *y, float *lse, float *scratch);
void dc_k_attention_backward(const dc_k_att_geom *a, const float *qkv, const float *dy, const float *lse, float *dqkv,
                             float *scratch);
void dc_k_attention_cached(const dc_k_att_geom *a, const float *qkv, float *kcache, float *vcache, int64_t cap, int64_t pos0,
                           const int64_t *rowpos, const int32_t *rowslot, float *y, float *scratch);

/* Element types (convert.c). Half and bfloat16 to float are exact; float
 * to either rounds to nearest, ties to even (overflow to inf, NaN kept). */
float dc_k_f16_to_f32(uint16_t h);
uint16_t dc_k_f32_to_f16(float f);
float dc_k_bf16_to_f32(uint16_t h);
uint16_t dc_k_f32_to_bf16(float f);
void dc_k_f16_to_f32_n(const uint16_t *h, float *out, int64_t n);
void dc_k_f32_to_f16_n(const float *x, uint16_t *out, int64_t n);
void dc_k_bf16_to_f32_n(const uint16_t *h, float *out, int64_t n);
void dc_k_f32_to_bf16_n(const float *x, uint16_t *out, int64_t n);
/* Symmetric int8 per row: scale[r] = max|x[r, :]| / 127 (1 for a row of
 * zeros), q = round(x / scale) in [-127, 127]; and back: q * scale[r]. */
void dc_k_quantize_rows_i8(const float *x, int64_t rows, int64_t cols, int8_t *q, float *scale);
void dc_k_dequantize_rows_i8(const int8_t *q, const float *scale, int64_t rows, int64_t cols, float *out);

/* out (C, R) = in (R, C) transposed, in cache-sized tiles (layout.c). */
void dc_k_transpose(const float *in, int64_t R, int64_t C, float *out);

/* y (M, N) = x (M, K) W^T + b (b may be NULL) with W (N, K) as CSR: row n's
 * kept values val[start[n] .. start[n + 1]) in columns col[...] (sparse.c).
 * scratch: (M > 1) M * K + N * M floats. AVX-512 or portable loops, the
 * same bits; rows split over the run's threads. */
void dc_k_csr_linear(int64_t M, int64_t N, int64_t K, const int32_t *start, const int32_t *col, const float *val, const float *x,
                     const float *b, float *y, float *scratch);

/* Quantized products (quant.c; AVX-512 VNNI in quant_avx512.c when the CPU
 * has it, else portable loops giving the same bits). Activations are
 * quantized on the fly: per row (int8 weights) to int8 with scale
 * max|x| / 127, or per block of 32 (4-bit weights); a row holding NaN or
 * inf gets a NaN scale, so its outputs are NaN. Weights: int8 (N, K) with
 * a float scale per row, or q4_0 (N, K / 2 bytes, K a multiple of 32) with a
 * half-precision scale per block. y (M, N) = x W^T (+ b). K is at most
 * DC_QK_MAX (the int32 sums cannot overflow). */
#define DC_Q4_BLOCK 32
#define DC_QK_MAX 131072
void dc_k_quantize_act_rows(const float *x, int64_t M, int64_t K, int8_t *xq, float *sx, int32_t *xsum);
/* The same with a scale and a zero point fixed in advance (static
 * quantization, from calibration data): q = round(x / scale) + zero clamped
 * to [-128, 127], zero being the stored (uint8) zero point - 128, so the
 * input is scale x (q - zero). The product then sums q x w as integers and
 * takes zero x (the weight row's sum) off through the bias:
 * dc_k_zero_point_bias writes cb[n] = b[n] - (scale x sw[n]) x (zero x wsum[n])
 * (b may be NULL: 0). K is at most DC_QK_STATIC_MAX. */
#define DC_QK_STATIC_MAX 65536
void dc_k_quantize_act_static(const float *x, int64_t M, int64_t K, float scale, int zero, int8_t *xq, float *sx, int32_t *xsum);
void dc_k_zero_point_bias(int64_t N, int zero, const int32_t *wsum, float scale, const float *sw, const float *b, float *cb);
/* A stored zero point: an integer in [0, 255] (held in an F32 scalar). */
static inline int dc_k_zero_point_ok(float v) { return v >= 0.0f && v <= 255.0f && v == (float)(int)v; }
void dc_k_quantize_act_blocks(const float *x, int64_t M, int64_t K, int8_t *xq, float *dx, int32_t *xs4);
/* From DC_QGEMM_BIG_M rows on, int8 products run on oneDNN's u8 x s8 GEMM
 * (the same exact sums, so the same bits), which changes xq in place. */
#define DC_QGEMM_BIG_M 16
void dc_k_qgemm_i8(int64_t M, int64_t N, int64_t K, int8_t *xq, const float *sx, const int32_t *xsum,
                   const int8_t *w, const float *sw, const float *b, float *y);
void dc_k_qgemm_q4(int64_t M, int64_t N, int64_t K, const int8_t *xq, const float *dx, const int32_t *xs4,
                   const uint8_t *w, const uint16_t *dw, const float *b, float *y);
void dc_k_quantize_q4_rows(const float *x, int64_t rows, int64_t K, uint8_t *q, uint16_t *d);
void dc_k_dequantize_q4_rows(const uint8_t *q, const uint16_t *d, int64_t rows, int64_t K, float *out);
/* y = conv(x, W) + b with int8 W (OC, C, KH, KW) and a scale per output
 * channel, groups 1 (qconv.c): each sample's input quantized with one
 * scale (max|x| / 127 over the sample) and multiplied as integers, straight
 * from a channels-last copy of it. packed is W in the product's order,
 * made once by dc_k_qconv_pack into dc_k_qconv_packed_bytes (which depend
 * on OC, C, KH and KW only). Scratch: dc_k_qconv2d_scratch bytes. */
size_t dc_k_qconv_packed_bytes(const dc_k_conv_geom *g);
void dc_k_qconv_pack(const dc_k_conv_geom *g, const int8_t *w, void *packed);
size_t dc_k_qconv2d_scratch(const dc_k_conv_geom *g);
void dc_k_qconv2d_forward(const dc_k_conv_geom *g, const float *x, const int8_t *w, const void *packed, const float *sw, const float *b,
                          void *scratch, float *y);
/* "avx512-vnni" or "portable"; DEEPC_KERNELS=portable (or force 1) picks the portable loops */
const char *dc_k_quant_impl(void);
void dc_k_quant_force_portable(int on);

/* Reference kernels (ref.c): what each op computes, as plain C99 loops over
 * contiguous arrays (sums in double), no threads, no allocation. The fast
 * paths are checked against them; exported C can use them. Shapes follow
 * the ops': conv2d x (N,C,H,W), w (OC,C/groups,KH,KW); pools on planes of
 * H x W (average: padding counts as zeros); softmax over n with outer and
 * inner strides; layer norm over rows of C (gamma/beta may be NULL);
 * batch norm with running statistics, x (N,C,inner); attention over the
 * fused qkv (N,T,3C) into y (N,T,C), key_real (N,T) or NULL, head size at
 * most 1024; rnn: kind 0 tanh, 1 LSTM (i,f,g,o), 2 GRU (r,z,n, PyTorch's),
 * x (N,T,I) -> y (N,T,H), real (N,T) or NULL (a padded step keeps the state
 * and outputs zeros), G*H at most 4096, state: 2H floats of scratch. */
void dc_ref_gemm(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                 int64_t ldb, float beta, float *C, int64_t ldc);
void dc_ref_conv2d(const float *x, int64_t N, int64_t C, int64_t H, int64_t W, const float *w, int64_t OC, int64_t KH, int64_t KW,
                   const float *b, int sh, int sw, int pt, int pl, int dh, int dw, int groups, float *y, int64_t OH, int64_t OW);
void dc_ref_pool2d(int is_max, const float *x, int64_t planes, int64_t H, int64_t W, int kh, int kw, int sh, int sw, int ph, int pw,
                   float *y, int64_t OH, int64_t OW);
void dc_ref_softmax(const float *x, int64_t outer, int64_t n, int64_t inner, int log_softmax, float *y);
void dc_ref_layer_norm(const float *x, int64_t rows, int64_t C, const float *gamma, const float *beta, float eps, float *y);
void dc_ref_batchnorm(const float *x, int64_t N, int64_t C, int64_t inner, const float *mean, const float *var, const float *gamma,
                      const float *beta, float eps, float *y);
void dc_ref_attention(const float *qkv, int64_t N, int64_t T, int64_t C, int heads, int causal, const uint8_t *key_real, float *y);
void dc_ref_rnn(int kind, const float *x, int64_t N, int64_t T, int64_t I, int64_t H, const float *w_ih, const float *w_hh,
                const float *b_ih, const float *b_hh, int reverse, const uint8_t *real, float *y, float *state);
/* The same with int8 matrices (q_ih, q_hh with a scale per row, s_ih,
 * s_hh; NULL: the float ones), each step's input and state quantized per
 * row as the int8 products do (I and H at most 4096). */
void dc_ref_qrnn(int kind, const float *x, int64_t N, int64_t T, int64_t I, int64_t H, const float *w_ih, const float *w_hh,
                 const int8_t *q_ih, const float *s_ih, const int8_t *q_hh, const float *s_hh, const float *b_ih, const float *b_hh,
                 int reverse, const uint8_t *real, float *y, float *state);
#endif
