/* norm.c — the batch and layer normalization loops on plain arrays, for
 * the batchnorm and layer_norm ops (src/core/ops_norm.c holds their
 * formulas and shape checks).
 *
 * Batch norm works per channel of (N, C, S): a channel's sums run over n
 * then s in a fixed order, one channel per thread at a time. Layer norm
 * works per row of C; its dgamma/dbeta sums go through fixed chunks of rows
 * added in order. Neither depends on the thread count. */
#include "kernels.h"

void dc_k_batchnorm_forward(const float *x, int64_t N, int64_t C, int64_t S, const float *gamma, const float *beta,
                            float *rmean, float *rvar, float momentum, float eps, int training, float *mean, float *invstd,
                            float *z) {
    const int64_t M = N * S;
#pragma omp parallel for num_threads(dc_k_run_threads()) if (N * C * S > 32768) schedule(static)
    for (int64_t c = 0; c < C; c++) {
        double mu, var;
        if (training) {
            double s = 0.0, ss = 0.0;
            for (int64_t n = 0; n < N; n++)
                for (int64_t q = 0; q < S; q++) s += x[(n * C + c) * S + q];
            mu = s / (double)M;
            for (int64_t n = 0; n < N; n++)
                for (int64_t q = 0; q < S; q++) {
                    double d = x[(n * C + c) * S + q] - mu;
                    ss += d * d;
                }
            var = ss / (double)M;
            rmean[c] = (float)((1.0 - momentum) * rmean[c] + momentum * mu);
            rvar[c] = (float)((1.0 - momentum) * rvar[c] + momentum * ss / (double)(M - 1));
        } else {
            mu = rmean[c];
            var = rvar[c];
        }
        mean[c] = (float)mu;
        invstd[c] = (float)(1.0 / sqrt(var + eps));
        for (int64_t n = 0; n < N; n++)
            for (int64_t q = 0; q < S; q++) {
                int64_t i = (n * C + c) * S + q;
                z[i] = gamma[c] * ((x[i] - mean[c]) * invstd[c]) + beta[c];
            }
    }
}

void dc_k_batchnorm_backward(const float *x, const float *dz, int64_t N, int64_t C, int64_t S, const float *gamma,
                             const float *mean, const float *invstd, int training, float *dx, float *dgamma, float *dbeta) {
    const int64_t M = N * S;
#pragma omp parallel for num_threads(dc_k_run_threads()) if (N * C * S > 32768) schedule(static)
    for (int64_t c = 0; c < C; c++) {
        double sg = 0.0, sgx = 0.0;
        for (int64_t n = 0; n < N; n++)
            for (int64_t s = 0; s < S; s++) {
                int64_t i = (n * C + c) * S + s;
                double xh = ((double)x[i] - mean[c]) * invstd[c];
                sg += dz[i];
                sgx += dz[i] * xh;
            }
        if (dgamma) dgamma[c] += (float)sgx;
        if (dbeta) dbeta[c] += (float)sg;
        if (!dx) continue;
        const double k = (double)gamma[c] * invstd[c];
        for (int64_t n = 0; n < N; n++)
            for (int64_t s = 0; s < S; s++) {
                int64_t i = (n * C + c) * S + s;
                if (training) {
                    double xh = ((double)x[i] - mean[c]) * invstd[c];
                    dx[i] += (float)(k / (double)M * ((double)M * dz[i] - sg - xh * sgx));
                } else {
                    dx[i] += (float)(k * dz[i]);
                }
            }
    }
}

void dc_k_layer_norm_forward(const float *x, int64_t rows, int64_t C, const float *gamma, const float *beta, float eps,
                             float *mean, float *rstd, float *z) {
    DC_PARALLEL_FOR(rows * C > DC_PAR_MIN, r, rows, {
        const float *xr = x + r * C;
        float *zr = z + r * C;
        float s = 0.0f, ss = 0.0f;
        for (int64_t c = 0; c < C; c++) s += xr[c];
        const float mu = s / (float)C;
        for (int64_t c = 0; c < C; c++) ss += (xr[c] - mu) * (xr[c] - mu);
        const float rs = 1.0f / sqrtf(ss / (float)C + eps);
        mean[r] = mu;
        rstd[r] = rs;
        for (int64_t c = 0; c < C; c++) {
            float v = (xr[c] - mu) * rs;
            zr[c] = gamma ? v * gamma[c] + (beta ? beta[c] : 0.0f) : v;
        }
    });
}

size_t dc_k_layer_norm_backward_scratch(int64_t rows, int64_t C) {
    const int64_t nch = (rows + DC_K_LN_CHUNK - 1) / DC_K_LN_CHUNK, nt = dc_k_threads() > 0 ? dc_k_threads() : 1;
    return (size_t)(nch * 2 * C + C * nt);
}

void dc_k_layer_norm_backward(const float *x, const float *dz, int64_t rows, int64_t C, const float *gamma, const float *mean,
                              const float *rstd, float *dx, float *dgamma, float *dbeta, float *scratch) {
    const int64_t R = rows, nch = (R + DC_K_LN_CHUNK - 1) / DC_K_LN_CHUNK;
    const int nt = dc_k_threads() > 0 ? dc_k_threads() : 1;
    float *part = dgamma || dbeta ? scratch : NULL, *gh = scratch + nch * 2 * C;
    if (part)
        for (int64_t i = 0; i < nch * 2 * C; i++) part[i] = 0.0f;
#pragma omp parallel for num_threads(dc_k_run_threads_for(nt)) if (R * C > 32768) schedule(static)
    for (int64_t ch = 0; ch < nch; ch++) {
        float *h = gh + dc_thread_slot() * C;
        float *pg = part ? part + ch * 2 * C : NULL, *pb = pg ? pg + C : NULL;
        const int64_t r1 = (ch + 1) * DC_K_LN_CHUNK < R ? (ch + 1) * DC_K_LN_CHUNK : R;
        for (int64_t r = ch * DC_K_LN_CHUNK; r < r1; r++) {
            const float *xr = x + r * C, *gr = dz + r * C;
            const float mu = mean[r], rs = rstd[r];
            float s1 = 0.0f, s2 = 0.0f;
            for (int64_t c = 0; c < C; c++) {
                float xh = (xr[c] - mu) * rs;
                h[c] = gamma ? gr[c] * gamma[c] : gr[c];
                s1 += h[c];
                s2 += h[c] * xh;
                if (pg) {
                    pg[c] += gr[c] * xh;
                    pb[c] += gr[c];
                }
            }
            if (!dx) continue;
            s1 /= (float)C;
            s2 /= (float)C;
            float *d = dx + r * C;
            for (int64_t c = 0; c < C; c++) d[c] += rs * (h[c] - s1 - (xr[c] - mu) * rs * s2);
        }
    }
    if (!part) return;
    for (int64_t ch = 0; ch < nch; ch++) {
        const float *pg = part + ch * 2 * C, *pb = pg + C;
        if (dgamma)
            for (int64_t c = 0; c < C; c++) dgamma[c] += pg[c];
        if (dbeta)
            for (int64_t c = 0; c < C; c++) dbeta[c] += pb[c];
    }
}
