/* test_grad.c — finite-difference gradient check of every op.
 *
 * For an op f and fixed random weights R, L = sum(f(inputs) * R). The
 * analytic gradient (dc_backward) must match the central difference
 * (L(x+h) - L(x-h)) / 2h for every element of every input, in relative
 * error (floored at 1% of the input's largest gradient entry, below which
 * float32 noise dominates), with a step h suited to each op; and it must
 * not be all zeros (a backward that does nothing would otherwise pass). */
#include "test.h"

#define MAXIN 4

typedef dc_tensor *(*op_fn)(dc_graph *g, dc_tensor **in);

static dc_rng rng;
static dc_rng dropout_rng; /* reseeded before each forward: same mask every time */

/* Input with values in [lo, hi], away from kinks by construction of lo/hi. */
static dc_tensor *rand_tensor(int nd, const int64_t *shape, float lo, float hi) {
    dc_tensor *t = dc_tensor_new(DC_F32, nd, shape);
    for (int64_t i = 0; i < t->size; i++) t->data[i] = lo + (hi - lo) * dc_rng_uniform(&rng);
    dc_tensor_require_grad(t);
    return t;
}

/* Values whose magnitude is in [0.2, 1.5] with a random sign. */
static dc_tensor *rand_signed(int nd, const int64_t *shape) {
    dc_tensor *t = rand_tensor(nd, shape, 0.2f, 1.5f);
    for (int64_t i = 0; i < t->size; i++)
        if (dc_rng_u32(&rng) & 1) t->data[i] = -t->data[i];
    return t;
}

static double eval_loss(dc_graph *g, op_fn f, dc_tensor **in, const float *R, int64_t *n_out) {
    dc_graph_reset(g);
    dc_rng_seed(&dropout_rng, 99);
    dc_tensor *z = f(g, in);
    if (!z) return NAN;
    double s = 0.0;
    for (int64_t i = 0; i < z->size; i++) s += (double)z->data[i] * R[i];
    if (n_out) *n_out = z->size;
    return s;
}

static void gradcheck(const char *name, op_fn f, dc_tensor **in, int nin, double h, double tol) {
    dc_graph *g = dc_graph_new();
    dc_graph_set_training(g, 1);
    dc_graph_set_rng(g, &dropout_rng);
    /* forward once to learn the output size, then make R */
    dc_rng_seed(&dropout_rng, 99);
    dc_tensor *z = f(g, in);
    CHECK(z != NULL, "%s: forward failed: %s", name, dc_last_error());
    if (!z) {
        dc_graph_free(g);
        return;
    }
    int64_t nout = z->size;
    float *R = malloc(sizeof(float) * (size_t)nout);
    for (int64_t i = 0; i < nout; i++) R[i] = 2.0f * dc_rng_uniform(&rng) - 1.0f;
    /* analytic: backward of sum(z * R) seeds z's gradient with R */
    for (int k = 0; k < nin; k++)
        if (in[k]->dtype == DC_F32) memset(in[k]->grad, 0, sizeof(float) * (size_t)in[k]->size);
    dc_tensor *rt = dc_input(g, DC_F32, z->ndim, z->shape);
    memcpy(rt->data, R, sizeof(float) * (size_t)nout);
    dc_tensor *L = dc_sum(g, dc_mul(g, z, rt), DC_ALL_AXES, 0);
    CHECK(L && dc_backward(g, L) == DC_OK, "%s: backward failed: %s", name, dc_last_error());
    int bad = 0;
    double max_err = 0.0, gnorm = 0.0;
    for (int k = 0; k < nin; k++) {
        dc_tensor *x = in[k];
        if (x->dtype != DC_F32 || !x->requires_grad) continue;
        float *ana = malloc(sizeof(float) * (size_t)x->size);
        memcpy(ana, x->grad, sizeof(float) * (size_t)x->size);
        double gmax = 0.0; /* errors are relative, with a floor at 1% of the largest entry (float noise) */
        for (int64_t i = 0; i < x->size; i++) gmax = fmax(gmax, fabs(ana[i]));
        for (int64_t i = 0; i < x->size; i++) {
            float orig = x->data[i];
            x->data[i] = orig + (float)h;
            double lp = eval_loss(g, f, in, R, NULL);
            x->data[i] = orig - (float)h;
            double lm = eval_loss(g, f, in, R, NULL);
            x->data[i] = orig;
            double num = (lp - lm) / (2.0 * h);
            double err = fabs(num - ana[i]) / fmax(fmax(fabs(num), fabs(ana[i])), fmax(1e-2 * gmax, 1e-6));
            gnorm += fabs(ana[i]);
            if (err > max_err) max_err = err;
            if (err > tol && bad++ < 3)
                fprintf(stderr, "  %s: input %d element %lld: analytic %.6g numeric %.6g\n", name, k, (long long)i,
                        (double)ana[i], num);
        }
        free(ana);
    }
    CHECK(!bad, "%s: %d gradient entries off (max error %.3g)", name, bad, max_err);
    CHECK(gnorm > 0.0, "%s: gradient is all zeros", name);
    free(R);
    dc_graph_free(g);
}

static void free_all(dc_tensor **in, int n) {
    for (int i = 0; i < n; i++) dc_tensor_free(in[i]);
}

/* ---- the op wrappers: each maps inputs to one output ---------------------- */
static dc_tensor *f_add(dc_graph *g, dc_tensor **a) { return dc_add(g, a[0], a[1]); }
static dc_tensor *f_sub(dc_graph *g, dc_tensor **a) { return dc_sub(g, a[0], a[1]); }
static dc_tensor *f_mul(dc_graph *g, dc_tensor **a) { return dc_mul(g, a[0], a[1]); }
static dc_tensor *f_div(dc_graph *g, dc_tensor **a) { return dc_div(g, a[0], a[1]); }
static dc_tensor *f_mul_self(dc_graph *g, dc_tensor **a) { return dc_mul(g, a[0], a[0]); }
static dc_tensor *f_add_scalar(dc_graph *g, dc_tensor **a) { return dc_add_scalar(g, a[0], 0.7f); }
static dc_tensor *f_mul_scalar(dc_graph *g, dc_tensor **a) { return dc_mul_scalar(g, a[0], -1.3f); }
static dc_tensor *f_matmul(dc_graph *g, dc_tensor **a) { return dc_matmul(g, a[0], a[1]); }
static dc_tensor *f_linear(dc_graph *g, dc_tensor **a) { return dc_linear(g, a[0], a[1], a[2]); }
static dc_tensor *f_linear_nobias(dc_graph *g, dc_tensor **a) { return dc_linear(g, a[0], a[1], NULL); }
static dc_tensor *f_sum0(dc_graph *g, dc_tensor **a) { return dc_sum(g, a[0], 0, 0); }
static dc_tensor *f_sum1k(dc_graph *g, dc_tensor **a) { return dc_sum(g, a[0], 1, 1); }
static dc_tensor *f_sum_all(dc_graph *g, dc_tensor **a) { return dc_sum(g, a[0], DC_ALL_AXES, 0); }
static dc_tensor *f_mean_last(dc_graph *g, dc_tensor **a) { return dc_mean(g, a[0], -1, 0); }
static dc_tensor *f_mean_all(dc_graph *g, dc_tensor **a) { return dc_mean(g, a[0], DC_ALL_AXES, 1); }
static dc_tensor *f_max1(dc_graph *g, dc_tensor **a) { return dc_max(g, a[0], 1, 0); }
static dc_tensor *f_max_all(dc_graph *g, dc_tensor **a) { return dc_max(g, a[0], DC_ALL_AXES, 0); }
static dc_tensor *f_reshape(dc_graph *g, dc_tensor **a) { return dc_reshape(g, a[0], 2, (int64_t[]){-1, 6}); }
static dc_tensor *f_flatten(dc_graph *g, dc_tensor **a) { return dc_flatten(g, a[0]); }
static dc_tensor *f_transpose(dc_graph *g, dc_tensor **a) { return dc_transpose(g, a[0], 0, 2); }
static dc_tensor *f_transpose2(dc_graph *g, dc_tensor **a) { return dc_transpose(g, a[0], -1, -2); }
static dc_tensor *f_concat(dc_graph *g, dc_tensor **a) { return dc_concat(g, a, 3, 1); }
static dc_tensor *f_slice(dc_graph *g, dc_tensor **a) { return dc_slice(g, a[0], 1, 1, 3); }
static dc_tensor *f_exp(dc_graph *g, dc_tensor **a) { return dc_exp(g, a[0]); }
static dc_tensor *f_log(dc_graph *g, dc_tensor **a) { return dc_log(g, a[0]); }
static dc_tensor *f_sqrt(dc_graph *g, dc_tensor **a) { return dc_sqrt(g, a[0]); }
static dc_tensor *f_pow(dc_graph *g, dc_tensor **a) { return dc_pow(g, a[0], 2.5f); }
static dc_tensor *f_pow3(dc_graph *g, dc_tensor **a) { return dc_pow(g, a[0], 3.0f); }
static dc_tensor *f_abs(dc_graph *g, dc_tensor **a) { return dc_abs(g, a[0]); }
static dc_tensor *f_clamp(dc_graph *g, dc_tensor **a) { return dc_clamp(g, a[0], -0.75f, 0.65f); }
static dc_tensor *f_relu(dc_graph *g, dc_tensor **a) { return dc_relu(g, a[0]); }
static dc_tensor *f_leaky(dc_graph *g, dc_tensor **a) { return dc_leaky_relu(g, a[0], 0.1f); }
static dc_tensor *f_sigmoid(dc_graph *g, dc_tensor **a) { return dc_sigmoid(g, a[0]); }
static dc_tensor *f_tanh(dc_graph *g, dc_tensor **a) { return dc_tanh(g, a[0]); }
static dc_tensor *f_gelu(dc_graph *g, dc_tensor **a) { return dc_gelu(g, a[0]); }
static dc_tensor *f_softmax(dc_graph *g, dc_tensor **a) { return dc_softmax(g, a[0], -1); }
static dc_tensor *f_softmax_mid(dc_graph *g, dc_tensor **a) { return dc_softmax(g, a[0], 1); }
static dc_tensor *f_log_softmax(dc_graph *g, dc_tensor **a) { return dc_log_softmax(g, a[0], -1); }
static dc_tensor *f_log_softmax0(dc_graph *g, dc_tensor **a) { return dc_log_softmax(g, a[0], 0); }
static dc_tensor *f_dropout(dc_graph *g, dc_tensor **a) { return dc_dropout(g, a[0], 0.4f); }
static dc_tensor *f_mse(dc_graph *g, dc_tensor **a) { return dc_mse_loss(g, a[0], a[1]); }
static dc_tensor *f_bce(dc_graph *g, dc_tensor **a) { return dc_bce_loss(g, a[0], a[1]); }
static dc_tensor *f_bce_logits(dc_graph *g, dc_tensor **a) { return dc_bce_logits_loss(g, a[0], a[1]); }
static dc_tensor *f_ce_logits(dc_graph *g, dc_tensor **a) { return dc_cross_entropy(g, a[0], a[1], 1); }
static dc_tensor *f_ce_probs(dc_graph *g, dc_tensor **a) { return dc_cross_entropy(g, a[0], a[1], 0); }
static dc_conv_params cp;
static dc_tensor *f_conv(dc_graph *g, dc_tensor **a) { return dc_conv2d(g, a[0], a[1], a[2], &cp); }
static dc_tensor *f_conv_nobias(dc_graph *g, dc_tensor **a) { return dc_conv2d(g, a[0], a[1], NULL, &cp); }
static dc_tensor *f_maxpool(dc_graph *g, dc_tensor **a) { return dc_maxpool2d(g, a[0], 2, 2, 2, 2, 0, 0); }
static dc_tensor *f_maxpool_pad(dc_graph *g, dc_tensor **a) { return dc_maxpool2d(g, a[0], 3, 3, 2, 2, 1, 1); }
static dc_tensor *f_avgpool(dc_graph *g, dc_tensor **a) { return dc_avgpool2d(g, a[0], 3, 2, 1, 2, 1, 0); }
static dc_tensor *f_pad(dc_graph *g, dc_tensor **a) { return dc_pad2d(g, a[0], 1, 2, 0, 1); }
static float bn_rm[8], bn_rv[8] = {1, 1, 1, 1, 1, 1, 1, 1};
static dc_tensor *f_bn(dc_graph *g, dc_tensor **a) { return dc_batchnorm(g, a[0], a[1], a[2], bn_rm, bn_rv, 0.1f, 1e-5f); }
static dc_tensor *f_chdrop(dc_graph *g, dc_tensor **a) { return dc_dropout_channels(g, a[0], 0.5f); }
/* recurrent layers: a fixed mask with padding after, before and inside the
 * sequences, and a sequence with no real step at all */
static dc_tensor *rnn_mask;
static dc_rnn_kind rnn_kind;
static dc_tensor *f_rnn(dc_graph *g, dc_tensor **a) { return dc_rnn(g, rnn_kind, a[0], a[1], a[2], a[3], a[4], rnn_mask, 0); }
static dc_tensor *f_rnn_rev(dc_graph *g, dc_tensor **a) { return dc_rnn(g, rnn_kind, a[0], a[1], a[2], a[3], a[4], rnn_mask, 1); }
static dc_tensor *f_tpool_avg(dc_graph *g, dc_tensor **a) { return dc_time_pool(g, a[0], rnn_mask, 0); }
static dc_tensor *f_tpool_max(dc_graph *g, dc_tensor **a) { return dc_time_pool(g, a[0], rnn_mask, 1); }
static dc_tensor *f_rnn_last(dc_graph *g, dc_tensor **a) {
    return dc_rnn_last(g, dc_rnn(g, rnn_kind, a[0], a[1], a[2], a[3], a[4], rnn_mask, 0), rnn_mask, 0);
}
static dc_tensor *f_rnn_last_rev(dc_graph *g, dc_tensor **a) {
    return dc_rnn_last(g, dc_rnn(g, rnn_kind, a[0], a[1], a[2], a[3], a[4], rnn_mask, 1), rnn_mask, 1);
}
static dc_tensor *emb_ids;
static dc_tensor *f_embedding(dc_graph *g, dc_tensor **a) { return dc_embedding(g, a[0], emb_ids, -1); }
static dc_tensor *f_gelu_tanh(dc_graph *g, dc_tensor **a) { return dc_gelu_tanh(g, a[0]); }
static dc_tensor *f_ln(dc_graph *g, dc_tensor **a) { return dc_layer_norm(g, a[0], a[1], a[2], 1e-5f); }
static dc_tensor *f_ln_plain(dc_graph *g, dc_tensor **a) { return dc_layer_norm(g, a[0], NULL, NULL, 1e-5f); }
static int att_heads, att_causal;
static float att_p;
static dc_tensor *att_mask;
static dc_tensor *f_att(dc_graph *g, dc_tensor **a) { return dc_attention(g, a[0], att_heads, att_causal, att_mask, att_p); }
static dc_tensor *f_chain(dc_graph *g, dc_tensor **a) {
    /* a small network: tanh(x W^T + b) summed with a broadcast, then softmax */
    dc_tensor *h = dc_tanh(g, dc_linear(g, a[0], a[1], a[2]));
    return dc_softmax(g, dc_add(g, h, a[3]), -1);
}

#define S(...) ((int64_t[]){__VA_ARGS__})

static void unary_case(const char *name, op_fn f, int nd, const int64_t *shape, float lo, float hi, int signed_vals) {
    dc_tensor *in[1] = {signed_vals ? rand_signed(nd, shape) : rand_tensor(nd, shape, lo, hi)};
    gradcheck(name, f, in, 1, 1e-3, 2e-2);
    free_all(in, 1);
}

static void binary_case(const char *name, op_fn f, int nda, const int64_t *sa, int ndb, const int64_t *sb, float blo) {
    dc_tensor *in[2] = {rand_signed(nda, sa), rand_tensor(ndb, sb, blo, 1.5f)};
    gradcheck(name, f, in, 2, 1e-3, 2e-2);
    free_all(in, 2);
}

/* The 2x2/2 max pool has its own vector path (AVX-512 where built for it,
 * else a plain loop): at every width from 1 to 40 outputs (the vector
 * path works 16 at a time, with masks for the rest) and odd heights, the
 * values are each window's maximum and the gradient reaches the first of
 * equal maxima (values drawn from a few levels, so ties are common). */
static void maxpool_2x2_widths(void) {
    dc_graph *g = dc_graph_new();
    dc_graph_set_training(g, 1);
    dc_rng own; /* its own draws: the other cases' inputs stay as they were */
    dc_rng_seed(&own, 7);
    int bad = 0;
    for (int64_t ow = 1; ow <= 40 && !bad; ow++) {
        const int64_t N = 2, C = 3, H = 7, W = 2 * ow + (ow & 1), OH = H / 2;
        dc_tensor *x = dc_tensor_new(DC_F32, 4, S(N, C, H, W));
        for (int64_t i = 0; i < x->size; i++) x->data[i] = (float)(dc_rng_u32(&own) % 5) - 2.0f;
        dc_tensor_require_grad(x);
        memset(x->grad, 0, sizeof(float) * (size_t)x->size);
        dc_graph_reset(g);
        dc_tensor *z = dc_maxpool2d(g, x, 2, 2, 2, 2, 0, 0);
        dc_tensor *r = dc_input(g, DC_F32, 4, S(N, C, OH, ow));
        for (int64_t i = 0; i < r->size; i++) r->data[i] = (float)(i + 1);
        dc_status st = z ? dc_backward(g, dc_sum(g, dc_mul(g, z, r), DC_ALL_AXES, 0)) : DC_ERR_INVALID;
        CHECK(z && st == DC_OK && z->shape[3] == ow, "maxpool 2x2 width %lld: %s", (long long)ow, dc_last_error());
        if (!z || st != DC_OK) break;
        float *want = calloc((size_t)x->size, sizeof(float));
        for (int64_t pl = 0; pl < N * C; pl++)
            for (int64_t y = 0; y < OH; y++)
                for (int64_t xo = 0; xo < ow; xo++) {
                    const float *p = x->data + pl * H * W;
                    int64_t at[4] = {2 * y * W + 2 * xo, 2 * y * W + 2 * xo + 1, (2 * y + 1) * W + 2 * xo, (2 * y + 1) * W + 2 * xo + 1};
                    int64_t best = at[0];
                    for (int k = 1; k < 4; k++)
                        if (p[at[k]] > p[best]) best = at[k];
                    const int64_t o = (pl * OH + y) * ow + xo;
                    bad += z->data[o] != p[best];
                    want[pl * H * W + best] += r->data[o];
                }
        for (int64_t i = 0; i < x->size; i++) bad += x->grad[i] != want[i];
        CHECK(!bad, "maxpool 2x2 width %lld: %d values or gradients differ from the windows' first maxima", (long long)ow, bad);
        free(want);
        dc_tensor_free(x);
    }
    dc_graph_free(g);
}

int main(void) {
    dc_rng_seed(&rng, 1234);
    dc_set_num_threads(1);
    maxpool_2x2_widths();

    /* elementwise binary: same shape and broadcasting (both directions) */
    binary_case("add", f_add, 2, S(3, 4), 2, S(3, 4), -1.0f);
    binary_case("add broadcast (2,3,4)+(3,1)", f_add, 3, S(2, 3, 4), 2, S(3, 1), -1.0f);
    binary_case("sub broadcast (2,1,4)-(3,4)", f_sub, 3, S(2, 1, 4), 2, S(3, 4), -1.0f);
    binary_case("mul broadcast (4)*(2,3,4)", f_mul, 1, S(4), 3, S(2, 3, 4), -1.0f);
    binary_case("mul", f_mul, 2, S(5, 3), 2, S(5, 3), -1.0f);
    binary_case("div", f_div, 2, S(3, 4), 2, S(3, 4), 0.5f);
    binary_case("div broadcast (3,4)/(1,4)", f_div, 2, S(3, 4), 2, S(1, 4), 0.5f);
    binary_case("div broadcast scalar (3,4)/()", f_div, 2, S(3, 4), 0, S(1), 0.5f);
    unary_case("mul x*x (same tensor twice)", f_mul_self, 2, S(3, 3), 0, 0, 1);
    unary_case("add_scalar", f_add_scalar, 2, S(2, 5), 0, 0, 1);
    unary_case("mul_scalar", f_mul_scalar, 2, S(2, 5), 0, 0, 1);

    /* products */
    binary_case("matmul (3,4)@(4,5)", f_matmul, 2, S(3, 4), 2, S(4, 5), -1.0f);
    binary_case("matmul (2,3,4)@(4,5)", f_matmul, 3, S(2, 3, 4), 2, S(4, 5), -1.0f);
    binary_case("matmul (2,3,4)@(2,4,5)", f_matmul, 3, S(2, 3, 4), 3, S(2, 4, 5), -1.0f);
    {
        dc_tensor *in[3] = {rand_signed(2, S(5, 7)), rand_signed(2, S(4, 7)), rand_signed(1, S(4))};
        gradcheck("linear", f_linear, in, 3, 1e-3, 2e-2);
        gradcheck("linear without bias", f_linear_nobias, in, 2, 1e-3, 2e-2);
        free_all(in, 3);
    }

    /* reductions */
    unary_case("sum axis 0", f_sum0, 3, S(3, 4, 2), 0, 0, 1);
    unary_case("sum axis 1 keepdim", f_sum1k, 3, S(3, 4, 2), 0, 0, 1);
    unary_case("sum all", f_sum_all, 2, S(3, 4), 0, 0, 1);
    unary_case("mean axis -1", f_mean_last, 3, S(2, 3, 5), 0, 0, 1);
    unary_case("mean all keepdim", f_mean_all, 2, S(3, 4), 0, 0, 1);
    {
        /* max: distinct values 0.1 apart, so no two tie within the step h */
        dc_tensor *in[1] = {rand_signed(3, S(3, 5, 2))};
        int64_t idx[30];
        for (int i = 0; i < 30; i++) idx[i] = i;
        dc_rng_shuffle(&rng, idx, 30);
        for (int i = 0; i < 30; i++) in[0]->data[i] = 0.1f * (float)idx[i] - 1.5f;
        gradcheck("max axis 1", f_max1, in, 1, 1e-3, 2e-2);
        gradcheck("max all", f_max_all, in, 1, 1e-3, 2e-2);
        free_all(in, 1);
    }

    /* shapes */
    unary_case("reshape", f_reshape, 3, S(2, 3, 2), 0, 0, 1);
    unary_case("flatten", f_flatten, 3, S(2, 3, 4), 0, 0, 1);
    unary_case("transpose 0,2", f_transpose, 3, S(2, 3, 4), 0, 0, 1);
    unary_case("transpose -1,-2", f_transpose2, 3, S(2, 3, 4), 0, 0, 1);
    {
        dc_tensor *in[3] = {rand_signed(3, S(2, 1, 3)), rand_signed(3, S(2, 4, 3)), rand_signed(3, S(2, 2, 3))};
        gradcheck("concat axis 1", f_concat, in, 3, 1e-3, 2e-2);
        free_all(in, 3);
    }
    unary_case("slice axis 1", f_slice, 3, S(2, 4, 3), 0, 0, 1);

    /* elementwise math (inputs kept in each function's smooth domain) */
    unary_case("exp", f_exp, 2, S(3, 4), 0, 0, 1);
    unary_case("log", f_log, 2, S(3, 4), 0.3f, 2.0f, 0);
    unary_case("sqrt", f_sqrt, 2, S(3, 4), 0.3f, 2.0f, 0);
    unary_case("pow 2.5", f_pow, 2, S(3, 4), 0.3f, 2.0f, 0);
    unary_case("pow 3 (negative inputs)", f_pow3, 2, S(3, 4), 0, 0, 1);
    unary_case("abs", f_abs, 2, S(3, 4), 0, 0, 1);
    unary_case("clamp", f_clamp, 2, S(4, 5), 0, 0, 1);

    /* activations */
    unary_case("relu", f_relu, 2, S(4, 5), 0, 0, 1);
    unary_case("leaky_relu", f_leaky, 2, S(4, 5), 0, 0, 1);
    unary_case("sigmoid", f_sigmoid, 2, S(4, 5), 0, 0, 1);
    unary_case("tanh", f_tanh, 2, S(4, 5), 0, 0, 1);
    unary_case("gelu", f_gelu, 2, S(4, 5), 0, 0, 1);
    unary_case("gelu_tanh", f_gelu_tanh, 2, S(4, 5), 0, 0, 1);
    unary_case("softmax axis -1", f_softmax, 2, S(3, 6), 0, 0, 1);
    unary_case("softmax axis 1 of 3-D", f_softmax_mid, 3, S(2, 4, 3), 0, 0, 1);
    unary_case("log_softmax axis -1", f_log_softmax, 2, S(3, 6), 0, 0, 1);
    unary_case("log_softmax axis 0", f_log_softmax0, 2, S(4, 3), 0, 0, 1);
    unary_case("dropout (training mode)", f_dropout, 2, S(6, 7), 0, 0, 1);

    /* losses: gradient for predictions and, where defined, targets */
    {
        dc_tensor *in[2] = {rand_signed(2, S(4, 3)), rand_signed(2, S(4, 3))};
        gradcheck("mse_loss", f_mse, in, 2, 1e-3, 2e-2);
        free_all(in, 2);
    }
    {
        dc_tensor *in[2] = {rand_tensor(2, S(4, 3), 0.05f, 0.95f), rand_tensor(2, S(4, 3), 0.0f, 1.0f)};
        gradcheck("bce_loss", f_bce, in, 2, 3e-3, 2e-2);
        free_all(in, 2);
    }
    {
        dc_tensor *in[2] = {rand_signed(2, S(4, 3)), rand_tensor(2, S(4, 3), 0.0f, 1.0f)};
        gradcheck("bce_logits_loss", f_bce_logits, in, 2, 1e-3, 2e-2);
        free_all(in, 2);
    }
    {
        dc_tensor *labels = dc_tensor_new(DC_I32, 1, S(5));
        for (int i = 0; i < 5; i++) labels->idata[i] = (i * 3) % 4;
        dc_tensor *in[2] = {rand_signed(2, S(5, 4)), labels};
        gradcheck("cross_entropy logits, integer labels", f_ce_logits, in, 2, 1e-3, 2e-2);
        dc_tensor *probs = rand_tensor(2, S(5, 4), 0.05f, 0.95f);
        dc_tensor *in2[2] = {probs, labels};
        gradcheck("cross_entropy probabilities, integer labels", f_ce_probs, in2, 2, 1e-4, 2e-2);
        free_all(in, 2);
        dc_tensor_free(probs);
    }
    {   /* ignored labels (padding): no gradient, and the mean is over the others */
        dc_tensor *labels = dc_tensor_new(DC_I32, 1, S(5)), *three = dc_tensor_new(DC_I32, 1, S(3));
        int32_t lab[5] = {2, DC_IGNORE_INDEX, 0, DC_IGNORE_INDEX, 3};
        memcpy(labels->idata, lab, sizeof lab);
        dc_tensor *in[2] = {rand_signed(2, S(5, 4)), labels};
        gradcheck("cross_entropy logits, ignored labels", f_ce_logits, in, 2, 1e-3, 2e-2);
        dc_graph *g = dc_graph_new();
        dc_tensor *x = in[0], *x3 = dc_tensor_new(DC_F32, 2, S(3, 4));
        for (int r = 0, k = 0; r < 5; r++)
            if (lab[r] >= 0) {
                memcpy(x3->data + 4 * k, x->data + 4 * r, sizeof(float) * 4);
                three->idata[k++] = lab[r];
            }
        memset(x->grad, 0, sizeof(float) * 20);
        dc_tensor *l5 = dc_cross_entropy(g, x, labels, 1), *l3 = dc_cross_entropy(g, x3, three, 1);
        dc_backward(g, l5);
        CHECK(l5 && l3 && fabsf(l5->data[0] - l3->data[0]) < 1e-6f && x->grad[4] == 0 && x->grad[12] == 0 && x->grad[0] != 0,
              "ignored labels: loss %g vs %g over the rest", l5 ? l5->data[0] : 0, l3 ? l3->data[0] : 0);
        dc_graph_free(g);
        dc_tensor_free(x3);
        dc_tensor_free(three);
        free_all(in, 2);
    }
    {
        dc_tensor *in[2] = {rand_signed(2, S(5, 4)), rand_tensor(2, S(5, 4), 0.0f, 1.0f)};
        gradcheck("cross_entropy logits, soft targets", f_ce_logits, in, 2, 1e-2, 2e-2);
        free_all(in, 2);
    }
    {
        dc_tensor *in[4] = {rand_signed(2, S(3, 5)), rand_signed(2, S(4, 5)), rand_signed(1, S(4)), rand_signed(1, S(4))};
        gradcheck("chain linear-tanh-add-softmax", f_chain, in, 4, 1e-3, 2e-2);
        free_all(in, 4);
    }

    /* convolution: plain, strided + padded, dilated, grouped, asymmetric padding */
    {
        dc_conv_params cases[5] = {{1, 1, 0, 0, 0, 0, 1, 1, 1}, {2, 2, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 2, 2, 2, 2, 2, 2, 1},
                                   {1, 2, 1, 0, 0, 1, 1, 1, 2}, {1, 1, 0, 1, 1, 0, 1, 1, 4}};
        const char *names[5] = {"conv2d", "conv2d stride 2 pad 1", "conv2d dilation 2", "conv2d groups 2 asym pad",
                                "conv2d depthwise"};
        for (int k = 0; k < 5; k++) {
            cp = cases[k];
            int64_t cin = 4, cout = k == 4 ? 4 : 6;
            dc_tensor *in[3] = {rand_signed(4, S(2, cin, 6, 5)), rand_signed(4, S(cout, cin / cp.groups, 3, 3)), rand_signed(1, S(cout))};
            gradcheck(names[k], k == 2 ? f_conv_nobias : f_conv, in, k == 2 ? 2 : 3, 1e-3, 2e-2);
            free_all(in, 3);
        }
    }
    {
        /* pooling inputs: distinct values, so no window has a near-tie */
        dc_tensor *in[1] = {rand_signed(4, S(2, 3, 6, 6))};
        int64_t idx[216];
        for (int i = 0; i < 216; i++) idx[i] = i;
        dc_rng_shuffle(&rng, idx, 216);
        for (int i = 0; i < 216; i++) in[0]->data[i] = 0.01f * (float)idx[i] - 1.0f;
        gradcheck("maxpool2d 2x2", f_maxpool, in, 1, 1e-3, 2e-2);
        gradcheck("maxpool2d 3x3 stride 2 pad 1", f_maxpool_pad, in, 1, 1e-3, 2e-2);
        gradcheck("avgpool2d 3x2 stride (1,2) pad (1,0)", f_avgpool, in, 1, 1e-3, 2e-2);
        gradcheck("pad2d", f_pad, in, 1, 1e-3, 2e-2);
        gradcheck("dropout_channels (training mode)", f_chdrop, in, 1, 1e-3, 2e-2);
        free_all(in, 1);
    }
    {
        dc_tensor *in[3] = {rand_signed(4, S(3, 4, 3, 2)), rand_tensor(1, S(4), 0.5f, 1.5f), rand_signed(1, S(4))};
        gradcheck("batchnorm 2d (training)", f_bn, in, 3, 1e-3, 3e-2);
        free_all(in, 3);
        dc_tensor *in2[3] = {rand_signed(2, S(6, 5)), rand_tensor(1, S(5), 0.5f, 1.5f), rand_signed(1, S(5))};
        gradcheck("batchnorm 1d (training)", f_bn, in2, 3, 1e-3, 3e-2);
        free_all(in2, 3);
    }

    {
        /* N=4 sequences of T=5 steps: post-padded (3 real), pre-padded (2 real),
         * full, and empty */
        int32_t m[20] = {1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
        rnn_mask = dc_tensor_new(DC_I32, 2, S(4, 5));
        memcpy(rnn_mask->idata, m, sizeof m);
        const char *names[3] = {"rnn (tanh)", "lstm", "gru"};
        for (int k = 0; k < 3; k++) {
            rnn_kind = (dc_rnn_kind)k;
            int64_t G = k == 1 ? 4 : k == 2 ? 3 : 1, H = 3, I = 2;
            dc_tensor *in[5] = {rand_signed(3, S(4, 5, I)), rand_tensor(2, S(G * H, I), -0.6f, 0.6f),
                                rand_tensor(2, S(G * H, H), -0.6f, 0.6f), rand_tensor(1, S(G * H), -0.3f, 0.3f),
                                rand_tensor(1, S(G * H), -0.3f, 0.3f)};
            char nm[64];
            snprintf(nm, sizeof nm, "%s, masked", names[k]);
            gradcheck(nm, f_rnn, in, 5, 5e-3, 3e-2);
            snprintf(nm, sizeof nm, "%s, masked, reverse", names[k]);
            gradcheck(nm, f_rnn_rev, in, 5, 5e-3, 3e-2);
            snprintf(nm, sizeof nm, "%s, last state", names[k]);
            gradcheck(nm, f_rnn_last, in, 5, 5e-3, 3e-2);
            snprintf(nm, sizeof nm, "%s, last state, reverse", names[k]);
            gradcheck(nm, f_rnn_last_rev, in, 5, 5e-3, 3e-2);
            /* steps 0 and 4 are padding in every sequence (the op skips
             * their products), with padding inside one sequence too */
            int32_t m2[20] = {0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0};
            memcpy(rnn_mask->idata, m2, sizeof m2);
            snprintf(nm, sizeof nm, "%s, padded steps", names[k]);
            gradcheck(nm, f_rnn, in, 5, 5e-3, 3e-2);
            snprintf(nm, sizeof nm, "%s, padded steps, reverse, last", names[k]);
            gradcheck(nm, f_rnn_last_rev, in, 5, 5e-3, 3e-2);
            memcpy(rnn_mask->idata, m, sizeof m);
            free_all(in, 5);
        }
        /* the gates become their gradients in backward: a second backward
         * through the same forward is refused, not silently wrong */
        {
            dc_tensor *x = rand_signed(3, S(2, 3, 2)), *wih = rand_tensor(2, S(4, 2), -0.5f, 0.5f), *whh = rand_tensor(2, S(4, 1), -0.5f, 0.5f);
            dc_tensor_require_grad(x);
            dc_graph *g = dc_graph_new();
            dc_tensor *L = dc_sum(g, dc_rnn(g, DC_RNN_LSTM, x, wih, whh, NULL, NULL, NULL, 0), DC_ALL_AXES, 0);
            CHECK(dc_backward(g, L) == DC_OK, "lstm backward: %s", dc_last_error());
            CHECK(dc_backward(g, L) != DC_OK && strstr(dc_last_error(), "backward twice"), "a second backward is refused (%s)",
                  dc_last_error());
            dc_graph_free(g);
            dc_tensor *all[3] = {x, wih, whh};
            free_all(all, 3);
        }
        /* pooling over time, masked (one sequence has no real step) */
        {
            dc_tensor *in[1] = {rand_signed(3, S(4, 5, 3))};
            gradcheck("time pool (mean), masked", f_tpool_avg, in, 1, 5e-3, 3e-2);
            gradcheck("time pool (max), masked", f_tpool_max, in, 1, 5e-3, 3e-2);
            free_all(in, 1);
        }
        dc_tensor_free(rnn_mask);
        /* embedding: repeated ids accumulate, the padding row (0) gets nothing */
        emb_ids = dc_tensor_new(DC_I32, 2, S(2, 4));
        int32_t ids[8] = {1, 3, 3, 0, 2, 0, 4, 1};
        memcpy(emb_ids->idata, ids, sizeof ids);
        dc_tensor *in[1] = {rand_signed(2, S(5, 3))};
        gradcheck("embedding", f_embedding, in, 1, 1e-3, 2e-2);
        dc_graph *eg = dc_graph_new();
        dc_tensor *z = dc_embedding(eg, in[0], emb_ids, 0);
        memset(in[0]->grad, 0, sizeof(float) * 15);
        CHECK(z && dc_backward(eg, dc_sum(eg, z, DC_ALL_AXES, 0)) == DC_OK && in[0]->grad[0] == 0.0f && in[0]->grad[1] == 0.0f &&
                  in[0]->grad[3 * 3] == 2.0f,
              "embedding: the padding row has no gradient, a repeated id counts twice");
        emb_ids->idata[0] = 5;
        CHECK_ERR(dc_embedding(eg, in[0], emb_ids, 0) == NULL, "outside the vocabulary");
        dc_graph_free(eg);
        free_all(in, 1);
        dc_tensor_free(emb_ids);
    }

    /* transformers: layer norm, attention (causal, masked, dropout, more
     * query rows than one block) */
    {
        dc_tensor *in[3] = {rand_signed(3, S(2, 3, 5)), rand_signed(1, S(5)), rand_signed(1, S(5))};
        gradcheck("layer_norm", f_ln, in, 3, 1e-3, 3e-2);
        gradcheck("layer_norm without affine", f_ln_plain, in, 1, 1e-3, 3e-2);
        free_all(in, 3);
        struct {
            const char *name;
            int64_t N, T, C;
            int heads, causal, masked;
            float p;
        } cases[] = {{"attention causal, 2 heads", 2, 5, 4, 2, 1, 0, 0.0f},
                     {"attention non-causal, padded keys", 2, 5, 6, 3, 0, 1, 0.0f},
                     {"attention causal, padded keys", 2, 5, 4, 1, 1, 1, 0.0f},
                     {"attention causal, dropout 0.3", 2, 6, 4, 2, 1, 0, 0.3f},
                     {"attention causal, 70 steps (two blocks)", 1, 70, 2, 1, 1, 0, 0.0f},
                     {"attention non-causal, 70 steps, dropout", 1, 70, 2, 1, 0, 0, 0.2f}};
        for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
            att_heads = cases[k].heads;
            att_causal = cases[k].causal;
            att_p = cases[k].p;
            att_mask = NULL;
            if (cases[k].masked) { /* the second sequence: two padded steps at the start, one hidden entirely */
                att_mask = dc_tensor_new(DC_I32, 2, S(cases[k].N, cases[k].T));
                for (int64_t i = 0; i < att_mask->size; i++) att_mask->idata[i] = 1;
                att_mask->idata[cases[k].T] = att_mask->idata[cases[k].T + 1] = 0;
            }
            dc_tensor *q[1] = {rand_signed(3, S(cases[k].N, cases[k].T, 3 * cases[k].C))};
            gradcheck(cases[k].name, f_att, q, 1, 4e-3, 3e-2);
            free_all(q, 1);
            dc_tensor_free(att_mask);
        }
        att_mask = NULL;
    }

    /* shape errors are reported, not crashed on */
    dc_graph *g = dc_graph_new();
    dc_tensor *a = dc_input(g, DC_F32, 2, S(2, 3)), *b = dc_input(g, DC_F32, 2, S(4, 5));
    CHECK_ERR(dc_add(g, a, b) == NULL, "do not broadcast");
    CHECK_ERR(dc_matmul(g, a, b) == NULL, "cannot multiply");
    CHECK_ERR(dc_sum(g, a, 5, 0) == NULL, "out of range");
    CHECK_ERR(dc_reshape(g, a, 2, S(4, 2)) == NULL, "cannot view");
    CHECK_ERR(dc_slice(g, a, 1, 2, 5) == NULL, "outside axis");
    CHECK_ERR(dc_relu(g, NULL) == NULL, "NULL");
    CHECK_ERR(dc_attention(g, dc_input(g, DC_F32, 3, S(2, 3, 8)), 2, 1, NULL, 0.0f) == NULL, "divisible by 2 heads");
    CHECK_ERR(dc_layer_norm(g, a, b, NULL, 1e-5f) == NULL, "last extent");
    dc_tensor *lab = dc_input(g, DC_I32, 1, S(2));
    lab->idata[1] = 7;
    CHECK_ERR(dc_cross_entropy(g, a, lab, 1) == NULL, "outside [0, 3)");
    dc_graph_free(g);
    return test_summary("test_grad");
}
