/* ref.c — reference kernels: the plain C99 loops that define what each op
 * computes, on contiguous float arrays, with no dc_tensor, no threads and no
 * allocation. Written for clarity, not speed: the fast kernels (oneDNN's
 * GEMM, im2col convolution, the fused attention and recurrent ops) are
 * checked against them (tests/test_trace.c re-runs a traced forward pass
 * of every layer kind on these), and exported C can call them as they are. */
#include "kernels.h"

void dc_ref_gemm(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                 int64_t ldb, float beta, float *C, int64_t ldc) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = 0.0;
            for (int64_t k = 0; k < K; k++) s += (double)(ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
            C[i * ldc + j] = alpha * (float)s + (beta == 0.0f ? 0.0f : beta * C[i * ldc + j]);
        }
}

void dc_ref_conv2d(const float *x, int64_t N, int64_t C, int64_t H, int64_t W, const float *w, int64_t OC, int64_t KH, int64_t KW,
                   const float *b, int sh, int sw, int pt, int pl, int dh, int dw, int groups, float *y, int64_t OH, int64_t OW) {
    const int64_t Cg = C / groups, OCg = OC / groups;
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < OC; o++) {
            const int64_t gi = o / OCg;
            for (int64_t oy = 0; oy < OH; oy++)
                for (int64_t ox = 0; ox < OW; ox++) {
                    double s = b ? b[o] : 0.0;
                    for (int64_t c = 0; c < Cg; c++)
                        for (int64_t i = 0; i < KH; i++) {
                            const int64_t iy = oy * sh + i * dh - pt;
                            if (iy < 0 || iy >= H) continue;
                            for (int64_t j = 0; j < KW; j++) {
                                const int64_t ix = ox * sw + j * dw - pl;
                                if (ix < 0 || ix >= W) continue;
                                s += (double)x[((n * C + gi * Cg + c) * H + iy) * W + ix] * w[((o * Cg + c) * KH + i) * KW + j];
                            }
                        }
                    y[((n * OC + o) * OH + oy) * OW + ox] = (float)s;
                }
        }
}

void dc_ref_pool2d(int is_max, const float *x, int64_t planes, int64_t H, int64_t W, int kh, int kw, int sh, int sw, int ph, int pw,
                   float *y, int64_t OH, int64_t OW) {
    for (int64_t p = 0; p < planes; p++)
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++) {
                float best = -INFINITY;
                double sum = 0.0;
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++) {
                        const int64_t iy = oy * sh + i - ph, ix = ox * sw + j - pw;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue; /* max: -inf; average: a zero */
                        const float v = x[(p * H + iy) * W + ix];
                        sum += v;
                        best = v > best ? v : best;
                    }
                y[(p * OH + oy) * OW + ox] = is_max ? best : (float)(sum / (kh * kw)); /* count_include_pad */
            }
}

void dc_ref_softmax(const float *x, int64_t outer, int64_t n, int64_t inner, int log_softmax, float *y) {
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const float *xr = x + o * n * inner + i;
            float *yr = y + o * n * inner + i;
            float mx = -INFINITY;
            for (int64_t k = 0; k < n; k++) mx = xr[k * inner] > mx ? xr[k * inner] : mx;
            double s = 0.0;
            for (int64_t k = 0; k < n; k++) s += exp((double)xr[k * inner] - mx);
            for (int64_t k = 0; k < n; k++)
                yr[k * inner] = log_softmax ? (float)((double)xr[k * inner] - mx - log(s)) : (float)(exp((double)xr[k * inner] - mx) / s);
        }
}

void dc_ref_layer_norm(const float *x, int64_t rows, int64_t C, const float *gamma, const float *beta, float eps, float *y) {
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * C;
        double mu = 0.0, var = 0.0;
        for (int64_t c = 0; c < C; c++) mu += xr[c];
        mu /= (double)C;
        for (int64_t c = 0; c < C; c++) var += ((double)xr[c] - mu) * ((double)xr[c] - mu);
        var /= (double)C; /* biased, as torch */
        const double rs = 1.0 / sqrt(var + eps);
        for (int64_t c = 0; c < C; c++)
            y[r * C + c] = (float)(((double)xr[c] - mu) * rs * (gamma ? gamma[c] : 1.0f) + (beta ? beta[c] : 0.0f));
    }
}

void dc_ref_batchnorm(const float *x, int64_t N, int64_t C, int64_t inner, const float *mean, const float *var, const float *gamma,
                      const float *beta, float eps, float *y) {
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++) {
            const double rs = 1.0 / sqrt((double)var[c] + eps);
            for (int64_t i = 0; i < inner; i++) {
                const int64_t k = (n * C + c) * inner + i;
                y[k] = (float)(((double)x[k] - mean[c]) * rs * gamma[c] + beta[c]);
            }
        }
}

void dc_ref_attention(const float *qkv, int64_t N, int64_t T, int64_t C, int heads, int causal, const uint8_t *key_real, float *y) {
    const int64_t D = C / heads;
    const double scale = 1.0 / sqrt((double)D);
    for (int64_t n = 0; n < N; n++)
        for (int64_t h = 0; h < heads; h++)
            for (int64_t i = 0; i < T; i++) {
                const float *q = qkv + (n * T + i) * 3 * C + h * D;
                double mx = -INFINITY, s = 0.0;
                for (int64_t j = 0; j < T; j++) { /* the largest score a query may see */
                    if ((causal && j > i) || (key_real && !key_real[n * T + j])) continue;
                    const float *k = qkv + (n * T + j) * 3 * C + C + h * D;
                    double d = 0.0;
                    for (int64_t e = 0; e < D; e++) d += (double)q[e] * k[e];
                    mx = d * scale > mx ? d * scale : mx;
                }
                float *out = y + (n * T + i) * C + h * D;
                for (int64_t e = 0; e < D; e++) out[e] = 0.0f;
                if (mx == -INFINITY) continue; /* no key to see: zeros */
                double acc[1024] = {0}; /* D <= 1024 (checked by the caller) */
                for (int64_t j = 0; j < T; j++) {
                    if ((causal && j > i) || (key_real && !key_real[n * T + j])) continue;
                    const float *k = qkv + (n * T + j) * 3 * C + C + h * D, *v = k + C;
                    double d = 0.0;
                    for (int64_t e = 0; e < D; e++) d += (double)q[e] * k[e];
                    const double p = exp(d * scale - mx);
                    s += p;
                    for (int64_t e = 0; e < D; e++) acc[e] += p * v[e];
                }
                for (int64_t e = 0; e < D; e++) out[e] = (float)(acc[e] / s);
            }
}

static double sigm(double v) { return 1.0 / (1.0 + exp(-v)); }

/* sum_k w[r, k] v[k] in double: float weights, or int8 ones with a scale
 * per row against v quantized as dc_qlinear does (per row, int8) */
static void ref_products(int64_t R, int64_t K, const float *w, const int8_t *wq, const float *ws, const float *v, const float *bias,
                         double *out) {
    int8_t q[4096];
    float sv = 1.0f;
    int32_t sum;
    if (wq) dc_k_quantize_act_rows(v, 1, K, q, &sv, &sum); /* K <= 4096: checked by the caller */
    for (int64_t r = 0; r < R; r++) {
        double a = 0.0;
        if (wq) {
            for (int64_t k = 0; k < K; k++) a += (double)wq[r * K + k] * q[k];
            a *= (double)sv * ws[r];
        } else {
            for (int64_t k = 0; k < K; k++) a += (double)w[r * K + k] * v[k];
        }
        out[r] = a + bias[r];
    }
}

void dc_ref_rnn(int kind, const float *x, int64_t N, int64_t T, int64_t I, int64_t H, const float *w_ih, const float *w_hh,
                const float *b_ih, const float *b_hh, int reverse, const uint8_t *real, float *y, float *state) {
    dc_ref_qrnn(kind, x, N, T, I, H, w_ih, w_hh, NULL, NULL, NULL, NULL, b_ih, b_hh, reverse, real, y, state);
}

void dc_ref_qrnn(int kind, const float *x, int64_t N, int64_t T, int64_t I, int64_t H, const float *w_ih, const float *w_hh,
                 const int8_t *q_ih, const float *s_ih, const int8_t *q_hh, const float *s_hh, const float *b_ih, const float *b_hh,
                 int reverse, const uint8_t *real, float *y, float *state) {
    const int64_t G = kind == 1 ? 4 : kind == 2 ? 3 : 1;
    float *h = state, *c = state + H; /* (2H) of scratch: the hidden state and an LSTM's cell */
    double pre[4 * 1024], rec[4 * 1024]; /* G*H <= 4096 (checked by the caller) */
    for (int64_t n = 0; n < N; n++) {
        for (int64_t j = 0; j < H; j++) h[j] = c[j] = 0.0f;
        for (int64_t s = 0; s < T; s++) {
            const int64_t t = reverse ? T - 1 - s : s;
            float *out = y + (n * T + t) * H;
            if (real && !real[n * T + t]) { /* padding: the state carries over, the output is zero */
                for (int64_t j = 0; j < H; j++) out[j] = 0.0f;
                continue;
            }
            ref_products(G * H, I, w_ih, q_ih, s_ih, x + (n * T + t) * I, b_ih, pre);
            ref_products(G * H, H, w_hh, q_hh, s_hh, h, b_hh, rec);
            for (int64_t j = 0; j < H; j++) {
                if (kind == 1) { /* LSTM: i, f, g, o */
                    const double ig = sigm(pre[j] + rec[j]), fg = sigm(pre[H + j] + rec[H + j]);
                    const double gg = tanh(pre[2 * H + j] + rec[2 * H + j]), og = sigm(pre[3 * H + j] + rec[3 * H + j]);
                    c[j] = (float)(fg * c[j] + ig * gg);
                    out[j] = (float)(og * tanh(c[j]));
                } else if (kind == 2) { /* GRU: r, z, n; the reset gate scales W_hn h + b_hn */
                    const double rg = sigm(pre[j] + rec[j]), zg = sigm(pre[H + j] + rec[H + j]);
                    const double ng = tanh(pre[2 * H + j] + rg * rec[2 * H + j]);
                    out[j] = (float)((1.0 - zg) * ng + zg * h[j]);
                } else {
                    out[j] = (float)tanh(pre[j] + rec[j]);
                }
            }
            for (int64_t j = 0; j < H; j++) h[j] = out[j];
        }
    }
}
