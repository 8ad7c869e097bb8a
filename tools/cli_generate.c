/* cli_generate.c — `deepc generate`: images from a generative model. For a
 * variational autoencoder, latent points go through the decoder (what lies
 * after its sampling layer): random points from N(0, 1) (--samples N), or,
 * with a 2-D latent, the n x n grid of the latent plane at the normal
 * quantiles of an even spacing in (0.05, 0.95) (--manifold n), as in the
 * Keras VAE example. The images are tiled into one PNG. */
#include "cli_generate.h"
#include "cli_outputs.h"
#include "cli_util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* x with Phi(x) = p, by bisection on erf (exact to float precision). */
static double normal_quantile(double p) {
    double lo = -10, hi = 10;
    for (int i = 0; i < 100; i++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * (1.0 + erf(mid / sqrt(2.0))) < p) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* The image shape of n output values: 1 x s x s, or 3 x s x s. */
static int image_shape(int64_t n, int *c, int *s) {
    for (*c = 1; *c <= 3; *c += 2) {
        int64_t k = (int64_t)llround(sqrt((double)(n / *c)));
        if (k * k * *c == n && n % *c == 0) {
            *s = (int)k;
            return 1;
        }
    }
    return 0;
}

int cli_generate(const cli_args *a, long samples, long manifold) {
    if (cli_check_output("--out", a->out, CLI_OUT_PNG, a->force, NULL)) return 1;
    dc_model *m = dc_model_load(a->target);
    if (!m) return cli_fail("cannot read the model");
    int rc = 0;
    dc_graph *g = NULL;
    uint8_t *grid = NULL;
    dc_layer *z = NULL;
    for (int i = 0; i < dc_model_num_layers(m) && !z; i++)
        if (!strcmp(dc_layer_kind(dc_model_layer(m, i)), "sampling")) z = dc_model_layer(m, i);
    int64_t zs[DC_MAX_DIMS], os[DC_MAX_DIMS];
    int znd = z ? dc_layer_output_shape(z, zs) : 0, ond = dc_model_output_shape(m, os), c, s;
    int64_t latent = znd == 1 ? zs[0] : 0, out = 1;
    for (int i = 0; i < ond; i++) out *= os[i];
    if (!z || znd != 1) {
        dc_set_error_cli("%s: no sampling layer: generate needs a variational autoencoder (models/fashion_vae.dc)", a->target);
        rc = cli_fail("cannot generate");
        goto done;
    }
    if (!image_shape(out, &c, &s)) {
        dc_set_error_cli("%s: an output of %lld values is not a square image", a->target, (long long)out);
        rc = cli_fail("cannot generate");
        goto done;
    }
    if (manifold && latent != 2) {
        dc_set_error_cli("--manifold needs a 2-D latent space; %s has %lld dimensions (use --samples)", a->target, (long long)latent);
        rc = cli_fail("cannot generate");
        goto done;
    }
    int64_t n = manifold ? manifold * manifold : samples, cols = manifold ? manifold : (int64_t)ceil(sqrt((double)n));
    int64_t rows = (n + cols - 1) / cols;
    g = dc_graph_new();
    grid = calloc((size_t)(rows * s * cols * s * c), 1);
    int64_t shape[2] = {n, latent};
    dc_tensor *zt = g ? dc_input(g, DC_F32, 2, shape) : NULL;
    if (!grid || !zt) {
        rc = cli_fail("out of memory");
        goto done;
    }
    dc_rng r;
    dc_rng_seed(&r, a->seed >= 0 ? (uint64_t)a->seed : 1);
    for (int64_t i = 0; i < n; i++) {
        if (manifold) { /* rows from top (high z2) to bottom, columns left to right */
            int64_t row = i / manifold, col = i % manifold;
            zt->data[2 * i] = (float)normal_quantile(0.05 + 0.9 * (double)col / (double)(manifold - 1));
            zt->data[2 * i + 1] = (float)normal_quantile(0.95 - 0.9 * (double)row / (double)(manifold - 1));
        } else {
            for (int64_t k = 0; k < latent; k++) zt->data[i * latent + k] = dc_rng_normal(&r);
        }
    }
    dc_graph_set_grad_enabled(g, 0);
    dc_graph_set_rng(g, &r);
    dc_tensor *y = dc_model_forward_from(m, g, dc_layer_name(z), zt);
    if (!y) {
        rc = cli_fail("cannot decode");
        goto done;
    }
    int64_t W = cols * s;
    for (int64_t i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
            for (int py = 0; py < s; py++)
                for (int px = 0; px < s; px++) {
                    float v = y->data[i * out + ((int64_t)ch * s + py) * s + px];
                    v = v < 0 ? 0 : v > 1 ? 1 : v;
                    int64_t gy = (i / cols) * s + py, gx = (i % cols) * s + px;
                    grid[(gy * W + gx) * c + ch] = (uint8_t)lrintf(255.0f * v);
                }
    if (dc_image_write_png(a->out, grid, (int)W, (int)(rows * s), c)) {
        rc = cli_fail("cannot write the image");
        goto done;
    }
    if (a->json) {
        printf("{\"command\":\"generate\",\"out\":");
        cli_json_string(stdout, a->out);
        printf(",\"images\":%lld,\"rows\":%lld,\"columns\":%lld,\"width\":%lld,\"height\":%lld,\"latent\":%lld}\n", (long long)n,
               (long long)rows, (long long)cols, (long long)W, (long long)(rows * s), (long long)latent);
    } else if (!a->quiet) {
        printf("Wrote %s: %lld images of %dx%d (%s) from a %lld-D latent space\n", a->out, (long long)n, s, s,
               manifold ? "the latent plane" : "random latent points", (long long)latent);
    }
done:
    free(grid);
    dc_graph_free(g);
    dc_model_free(m);
    return rc;
}
