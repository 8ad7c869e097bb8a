/* test_parity.c — writes inputs, outputs and gradients of deepc's layers,
 * activations, losses and optimizers to a safetensors file; parity.py runs
 * the same computations in PyTorch and compares (rtol 1e-5). */
#include "test.h"
#include "parity.h"

static dc_rng rng;
#define put(name, t, data) parity_put_t(NULL, name, t, data)
#define putf parity_put_t



static dc_tensor *randn(int nd, const int64_t *shape, float scale) {
    dc_tensor *t = dc_tensor_new(DC_F32, nd, shape);
    for (int64_t i = 0; i < t->size; i++) t->data[i] = scale * dc_rng_normal(&rng);
    dc_tensor_require_grad(t);
    return t;
}

#define S(...) ((int64_t[]){__VA_ARGS__})

/* Backward from out with a random upstream gradient (returned, to record):
 * the gradient of sum(out * gout). */
static dc_tensor *backward_random(dc_graph *g, dc_tensor *out) {
    dc_tensor *gout = dc_input(g, DC_F32, out->ndim, out->shape);
    for (int64_t i = 0; i < gout->size; i++) gout->data[i] = dc_rng_normal(&rng);
    dc_backward(g, dc_sum(g, dc_mul(g, out, gout), DC_ALL_AXES, 0));
    return gout;
}

/* Run out = f(x), backward with upstream gradient gout; record everything. */
static void activation_case(const char *name, dc_tensor *(*f)(dc_graph *, dc_tensor *)) {
    dc_graph *g = dc_graph_new();
    dc_tensor *x = randn(2, S(6, 7), 2.0f);
    dc_tensor *out = f(g, x);
    dc_tensor *gout = backward_random(g, out);
    char p[64];
    snprintf(p, sizeof p, "act.%s", name);
    putf(p, "x", x, x->data);
    putf(p, "gout", gout, gout->data);
    putf(p, "out", out, out->data);
    putf(p, "dx", x, x->grad);
    dc_tensor_free(x);
    dc_graph_free(g);
}
static dc_tensor *a_relu(dc_graph *g, dc_tensor *x) { return dc_relu(g, x); }
static dc_tensor *a_leaky(dc_graph *g, dc_tensor *x) { return dc_leaky_relu(g, x, 0.1f); }
static dc_tensor *a_sigmoid(dc_graph *g, dc_tensor *x) { return dc_sigmoid(g, x); }
static dc_tensor *a_tanh(dc_graph *g, dc_tensor *x) { return dc_tanh(g, x); }
static dc_tensor *a_gelu(dc_graph *g, dc_tensor *x) { return dc_gelu(g, x); }
static dc_tensor *a_softmax(dc_graph *g, dc_tensor *x) { return dc_softmax(g, x, -1); }
static dc_tensor *a_log_softmax(dc_graph *g, dc_tensor *x) { return dc_log_softmax(g, x, -1); }

static void dense_case(void) {
    dc_graph *g = dc_graph_new();
    dc_tensor *x = randn(2, S(5, 7), 1.0f), *w = randn(2, S(4, 7), 0.5f), *b = randn(1, S(4), 0.5f);
    dc_tensor *out = dc_linear(g, x, w, b);
    dc_tensor *gout = backward_random(g, out);
    put("dense.x", x, x->data);
    put("dense.w", w, w->data);
    put("dense.b", b, b->data);
    put("dense.gout", gout, gout->data);
    put("dense.out", out, out->data);
    put("dense.dx", x, x->grad);
    put("dense.dw", w, w->grad);
    put("dense.db", b, b->grad);
    dc_tensor_free(x);
    dc_tensor_free(w);
    dc_tensor_free(b);
    dc_graph_free(g);
}

/* rows x cols probability rows: floor + uniform values, each row summing to 1 */
static void prob_rows(float *p, int rows, int cols, float floor) {
    for (int r = 0; r < rows; r++) {
        float s = 0;
        for (int c = 0; c < cols; c++) s += p[r * cols + c] = floor + dc_rng_uniform(&rng);
        for (int c = 0; c < cols; c++) p[r * cols + c] /= s;
    }
}

/* loss(pred, target): value and d/dpred */
static void loss_case(const char *name, dc_tensor *pred, dc_tensor *target, int kind) {
    dc_graph *g = dc_graph_new();
    dc_tensor *l = NULL;
    switch (kind) {
    case 0: l = dc_mse_loss(g, pred, target); break;
    case 1: l = dc_bce_loss(g, pred, target); break;
    case 2: l = dc_bce_logits_loss(g, pred, target); break;
    case 3: l = dc_cross_entropy(g, pred, target, 1); break;
    case 4: l = dc_cross_entropy(g, pred, target, 0); break;
    }
    CHECK(l && dc_backward(g, l) == DC_OK, "%s: %s", name, dc_last_error());
    char p[64];
    snprintf(p, sizeof p, "loss.%s", name);
    putf(p, "pred", pred, pred->data);
    if (target->dtype == DC_I32) {
        float lab[64];
        for (int64_t i = 0; i < target->size; i++) lab[i] = (float)target->idata[i];
        putf(p, "labels", target, lab);
    } else {
        putf(p, "target", target, target->data);
    }
    putf(p, "value", l, l->data);
    putf(p, "dpred", pred, pred->grad);
    dc_graph_free(g);
}

static void losses(void) {
    dc_tensor *p = randn(2, S(6, 4), 1.0f), *t = randn(2, S(6, 4), 1.0f);
    loss_case("mse", p, t, 0);
    dc_tensor_free(p);
    dc_tensor_free(t);

    dc_tensor *prob = dc_tensor_new(DC_F32, 2, S(6, 3)), *t01 = dc_tensor_new(DC_F32, 2, S(6, 3));
    dc_tensor_require_grad(prob);
    for (int i = 0; i < 18; i++) {
        prob->data[i] = 0.02f + 0.96f * dc_rng_uniform(&rng);
        t01->data[i] = (float)(dc_rng_u32(&rng) & 1);
    }
    loss_case("bce", prob, t01, 1);
    dc_tensor *logit = randn(2, S(6, 3), 3.0f);
    loss_case("bce_logits", logit, t01, 2);
    dc_tensor_free(prob);
    dc_tensor_free(logit);
    dc_tensor_free(t01);

    dc_tensor *x = randn(2, S(7, 5), 2.0f), *lab = dc_tensor_new(DC_I32, 1, S(7));
    for (int i = 0; i < 7; i++) lab->idata[i] = (int32_t)dc_rng_below(&rng, 5);
    loss_case("ce_logits_labels", x, lab, 3);
    dc_tensor *soft = dc_tensor_new(DC_F32, 2, S(7, 5));
    prob_rows(soft->data, 7, 5, 0.0f);
    dc_tensor_free(x);
    x = randn(2, S(7, 5), 2.0f);
    loss_case("ce_logits_soft", x, soft, 3);
    dc_tensor *pr = dc_tensor_new(DC_F32, 2, S(7, 5));
    dc_tensor_require_grad(pr);
    prob_rows(pr->data, 7, 5, 0.05f);
    loss_case("ce_probs_labels", pr, lab, 4);
    dc_tensor_free(x);
    dc_tensor_free(lab);
    dc_tensor_free(soft);
    dc_tensor_free(pr);
}

/* A loss line with soft targets (probabilities: a teacher's, label
 * smoothing): dense 5 softmax against (7, 5) probability rows through the
 * model's own loss, dc_model_loss_of. The same model ending in a linear
 * layer takes them as logits. */
static void soft_target_case(const char *name, const char *desc) {
    dc_model *m = dc_model_parse(desc, "soft.dc");
    CHECK(m != NULL, "%s: %s", name, dc_last_error());
    if (!m) return;
    dc_graph *g = dc_graph_new();
    dc_graph_set_training(g, 1);
    dc_tensor *x = dc_input(g, DC_F32, 2, S(7, 4)), *tg = dc_input(g, DC_F32, 2, S(7, 5));
    for (int i = 0; i < 28; i++) x->data[i] = dc_rng_normal(&rng);
    prob_rows(tg->data, 7, 5, 0.0f);
    dc_tensor *l = dc_model_loss_of(m, g, x, NULL, tg, NULL);
    CHECK(l && dc_backward(g, l) == DC_OK, "%s: loss with soft targets: %s", name, dc_last_error());
    if (l) {
        const char *wn, *bn;
        dc_tensor *w = dc_model_param_tensor(m, 0, &wn), *b = dc_model_param_tensor(m, 1, &bn);
        putf(name, "x", x, x->data);
        putf(name, "target", tg, tg->data);
        putf(name, "w", w, w->data);
        putf(name, "b", b, b->data);
        putf(name, "value", l, l->data);
        putf(name, "dw", w, w->grad);
        putf(name, "db", b, b->grad);
    }
    dc_graph_free(g);
    dc_model_free(m);
}

/* 20 optimizer steps on a 6-5-3 MLP with cross-entropy, with an optional
 * schedule (stepped after every step, as if each were an epoch), gradient
 * clipping and L1/L2 penalties on the two weight matrices. Records the start
 * once and the end per case, so PyTorch can replay every case. */
typedef struct {
    const char *name;
    dc_opt_config cfg;
    int has_sched;
    dc_schedule sched;
    float l1, l2;
} opt_case;

static void optimizer_case(const opt_case *oc, int record_problem) {
    dc_rng_seed(&rng, 77); /* the same problem for every case */
    dc_tensor *x = randn(2, S(8, 6), 1.0f), *lab = dc_tensor_new(DC_I32, 1, S(8));
    for (int i = 0; i < 8; i++) lab->idata[i] = (int32_t)dc_rng_below(&rng, 3);
    dc_tensor *w1 = randn(2, S(5, 6), 0.5f), *b1 = randn(1, S(5), 0.1f);
    dc_tensor *w2 = randn(2, S(3, 5), 0.5f), *b2 = randn(1, S(3), 0.1f);
    dc_tensor *ps[4] = {w1, b1, w2, b2};
    const char *pn[4] = {"w1", "b1", "w2", "b2"};
    char p[64];
    snprintf(p, sizeof p, "opt.%s", oc->name);
    if (record_problem) {
        put("opt.x", x, x->data);
        float l[8];
        for (int i = 0; i < 8; i++) l[i] = (float)lab->idata[i];
        put("opt.labels", lab, l);
        for (int k = 0; k < 4; k++) {
            char n[32];
            snprintf(n, sizeof n, "init.%s", pn[k]);
            putf("opt", n, ps[k], ps[k]->data);
        }
    }
    /* one flat buffer, as models use */
    int64_t n = 0, off[5] = {0};
    for (int k = 0; k < 4; k++) off[k + 1] = n += ps[k]->size;
    float *flat = malloc(sizeof(float) * (size_t)n), *gflat = malloc(sizeof(float) * (size_t)n);
    dc_optimizer *o = dc_optimizer_new(oc->cfg, n);
    CHECK(o != NULL, "%s: %s", oc->name, dc_last_error());
    dc_schedule_state st = dc_schedule_start(&oc->sched, oc->cfg.lr);
    dc_graph *g = dc_graph_new();
    for (int step = 0; step < 20 && o; step++) {
        dc_graph_reset(g);
        for (int k = 0; k < 4; k++) memset(ps[k]->grad, 0, sizeof(float) * (size_t)ps[k]->size);
        dc_tensor *h = dc_relu(g, dc_linear(g, x, w1, b1));
        dc_tensor *l = dc_cross_entropy(g, dc_linear(g, h, w2, b2), lab, 1);
        dc_backward(g, l);
        for (int k = 0; k < 4; k++) {
            memcpy(flat + off[k], ps[k]->data, sizeof(float) * (size_t)ps[k]->size);
            memcpy(gflat + off[k], ps[k]->grad, sizeof(float) * (size_t)ps[k]->size);
        }
        double loss = l->data[0];
        if (oc->l1 > 0 || oc->l2 > 0) {
            loss += dc_regularize(flat + off[0], gflat + off[0], w1->size, oc->l1, oc->l2);
            loss += dc_regularize(flat + off[2], gflat + off[2], w2->size, oc->l1, oc->l2);
        }
        if (oc->cfg.clip_norm > 0) dc_clip_grad_norm(gflat, n, oc->cfg.clip_norm);
        if (oc->cfg.clip_value > 0) dc_clip_grad_value(gflat, n, oc->cfg.clip_value);
        if (oc->has_sched) dc_optimizer_set_lr(o, st.lr);
        dc_optimizer_step(o, flat, gflat);
        if (oc->has_sched) dc_schedule_step(&oc->sched, &st, oc->cfg.lr, (float)loss);
        for (int k = 0; k < 4; k++) memcpy(ps[k]->data, flat + off[k], sizeof(float) * (size_t)ps[k]->size);
    }
    for (int k = 0; k < 4; k++) putf(p, pn[k], ps[k], ps[k]->data);
    dc_graph_free(g);
    dc_optimizer_free(o);
    free(flat);
    free(gflat);
    for (int k = 0; k < 4; k++) dc_tensor_free(ps[k]);
    dc_tensor_free(x);
    dc_tensor_free(lab);
}

static dc_opt_config with(dc_opt_config c, float momentum, float wd) {
    c.momentum = momentum;
    c.weight_decay = wd;
    return c;
}

static void optimizer_cases(void) {
    opt_case cases[40];
    int n = 0;
    dc_opt_config c;
    cases[n++] = (opt_case){"sgd", dc_sgd(0.1f)};
    cases[n++] = (opt_case){"sgd_momentum_wd", with(dc_sgd(0.05f), 0.9f, 0.01f)};
    c = with(dc_sgd(0.05f), 0.9f, 0.0f);
    c.nesterov = 1;
    cases[n++] = (opt_case){"sgd_nesterov", c};
    c = with(dc_sgd(0.05f), 0.9f, 0.0f);
    c.dampening = 0.3f;
    cases[n++] = (opt_case){"sgd_dampening", c};
    cases[n++] = (opt_case){"adam", dc_adam(0.01f)};
    c = with(dc_adam(0.02f), 0, 0.1f);
    c.beta1 = 0.8f;
    c.beta2 = 0.99f;
    c.eps = 1e-6f;
    cases[n++] = (opt_case){"adam_custom", c};
    c = dc_adam(0.01f);
    c.amsgrad = 1;
    cases[n++] = (opt_case){"adam_amsgrad", c};
    cases[n++] = (opt_case){"adamw", dc_adamw(0.01f)};
    c = with(dc_adamw(0.01f), 0, 0.1f);
    c.amsgrad = 1;
    cases[n++] = (opt_case){"adamw_amsgrad", c};
    cases[n++] = (opt_case){"adagrad", dc_adagrad(0.1f)};
    c = with(dc_adagrad(0.1f), 0, 0.01f);
    c.lr_decay = 0.01f;
    c.initial_accumulator_value = 0.1f;
    cases[n++] = (opt_case){"adagrad_decay", c};
    cases[n++] = (opt_case){"rmsprop", dc_rmsprop(0.01f)};
    cases[n++] = (opt_case){"rmsprop_momentum", with(dc_rmsprop(0.01f), 0.5f, 0.0f)};
    c = dc_rmsprop(0.005f);
    c.centered = 1;
    cases[n++] = (opt_case){"rmsprop_centered", c};
    c = with(dc_rmsprop(0.01f), 0.9f, 0.01f);
    c.centered = 1;
    cases[n++] = (opt_case){"rmsprop_centered_momentum_wd", c};
    /* schedules, on SGD with momentum */
    dc_opt_config base = with(dc_sgd(0.1f), 0.9f, 0.0f);
    dc_schedule s = dc_schedule_default(DC_SCHED_STEP);
    s.step_size = 5;
    s.gamma = 0.5f;
    cases[n++] = (opt_case){"sched_step", base, 1, s};
    s = dc_schedule_default(DC_SCHED_MULTISTEP);
    s.nmilestones = 3;
    s.milestones[0] = 3;
    s.milestones[1] = 7;
    s.milestones[2] = 12;
    s.gamma = 0.3f;
    cases[n++] = (opt_case){"sched_multistep", base, 1, s};
    s = dc_schedule_default(DC_SCHED_EXPONENTIAL);
    s.gamma = 0.9f;
    cases[n++] = (opt_case){"sched_exponential", base, 1, s};
    s = dc_schedule_default(DC_SCHED_COSINE);
    s.t_max = 8;
    s.eta_min = 0.01f;
    cases[n++] = (opt_case){"sched_cosine", base, 1, s};
    s = dc_schedule_default(DC_SCHED_COSINE_RESTARTS);
    s.t_0 = 4;
    s.t_mult = 2;
    s.eta_min = 0.001f;
    cases[n++] = (opt_case){"sched_cosine_restarts", base, 1, s};
    s = dc_schedule_default(DC_SCHED_COSINE);
    s.t_max = 10;
    s.warmup = 5;
    s.warmup_start = 0.2f;
    cases[n++] = (opt_case){"sched_warmup_cosine", base, 1, s};
    s = dc_schedule_default(DC_SCHED_PLATEAU);
    s.patience = 1;
    s.factor = 0.5f;
    s.cooldown = 1;
    cases[n++] = (opt_case){"sched_plateau", with(dc_sgd(0.5f), 0.9f, 0.0f), 1, s};
    /* clipping and regularization */
    c = dc_sgd(0.1f);
    c.clip_norm = 0.5f;
    cases[n++] = (opt_case){"sgd_clipnorm", c};
    c = dc_adam(0.01f);
    c.clip_value = 0.05f;
    cases[n++] = (opt_case){"adam_clipvalue", c};
    cases[n++] = (opt_case){"sgd_l1_l2", dc_sgd(0.1f), 0, {0}, 0.01f, 0.02f};
    for (int i = 0; i < n; i++) optimizer_case(&cases[i], i == 0);
}

/* Convolution, pooling and batch normalization: outputs and gradients. */
static void conv_cases(void) {
    dc_conv_params ps[3] = {{2, 1, 1, 1, 2, 2, 1, 2, 1}, {1, 1, 1, 1, 1, 1, 1, 1, 2}, {1, 1, 0, 0, 0, 0, 1, 1, 1}};
    const char *names[3] = {"conv_a", "conv_b", "conv1d"};
    for (int k = 0; k < 3; k++) {
        dc_graph *g = dc_graph_new();
        int conv1d = k == 2;
        dc_tensor *x = conv1d ? randn(4, S(2, 4, 1, 9), 1.0f) : randn(4, S(2, 4, 7, 6), 1.0f);
        dc_tensor *w = conv1d ? randn(4, S(5, 4, 1, 3), 0.3f) : randn(4, S(6, 4 / ps[k].groups, 3, 3), 0.3f);
        dc_tensor *b = randn(1, S(w->shape[0]), 0.1f);
        dc_tensor *out = dc_conv2d(g, x, w, b, &ps[k]);
        dc_tensor *gout = backward_random(g, out);
        putf(names[k], "x", x, x->data);
        putf(names[k], "w", w, w->data);
        putf(names[k], "b", b, b->data);
        putf(names[k], "gout", gout, gout->data);
        putf(names[k], "out", out, out->data);
        putf(names[k], "dx", x, x->grad);
        putf(names[k], "dw", w, w->grad);
        putf(names[k], "db", b, b->grad);
        dc_tensor_free(x);
        dc_tensor_free(w);
        dc_tensor_free(b);
        dc_graph_free(g);
    }
    for (int k = 0; k < 2; k++) { /* max pool 3x3/2 pad 1; avg pool 2x2/2 */
        dc_graph *g = dc_graph_new();
        dc_tensor *x = randn(4, S(2, 3, 7, 8), 1.0f);
        dc_tensor *out = k ? dc_avgpool2d(g, x, 2, 2, 2, 2, 0, 0) : dc_maxpool2d(g, x, 3, 3, 2, 2, 1, 1);
        dc_tensor *gout = backward_random(g, out);
        const char *n = k ? "avgpool" : "maxpool";
        putf(n, "x", x, x->data);
        putf(n, "gout", gout, gout->data);
        putf(n, "out", out, out->data);
        putf(n, "dx", x, x->grad);
        dc_tensor_free(x);
        dc_graph_free(g);
    }
    { /* global average / max pooling (as the layers do it), zero padding, 1-D max pooling */
        const char *names[4] = {"gap", "gmp", "zpad", "maxpool1d"};
        for (int k = 0; k < 4; k++) {
            dc_graph *g = dc_graph_new();
            dc_tensor *x = k == 3 ? randn(3, S(2, 3, 11), 1.0f) : randn(4, S(2, 3, 5, 4), 1.0f), *out;
            if (k < 2) {
                dc_tensor *r = dc_reshape(g, x, 3, S(2, 3, 20));
                out = k == 0 ? dc_mean(g, r, -1, 0) : dc_max(g, r, -1, 0);
            } else if (k == 2) {
                out = dc_pad2d(g, x, 1, 2, 0, 1);
            } else {
                dc_tensor *r = dc_maxpool2d(g, dc_reshape(g, x, 4, S(2, 3, 1, 11)), 1, 3, 1, 2, 0, 1);
                out = dc_reshape(g, r, 3, S(2, 3, r->shape[3]));
            }
            dc_tensor *gout = backward_random(g, out);
            putf(names[k], "x", x, x->data);
            putf(names[k], "gout", gout, gout->data);
            putf(names[k], "out", out, out->data);
            putf(names[k], "dx", x, x->grad);
            dc_tensor_free(x);
            dc_graph_free(g);
        }
    }
    { /* batch norm over features (BatchNorm1d), training mode */
        dc_tensor *x = randn(2, S(6, 4), 2.0f), *gm = randn(1, S(4), 0.5f), *bt = randn(1, S(4), 0.5f);
        float rm[4] = {0}, rv[4] = {1, 1, 1, 1};
        dc_graph *g = dc_graph_new();
        dc_graph_set_training(g, 1);
        dc_tensor *out = dc_batchnorm(g, x, gm, bt, rm, rv, 0.1f, 1e-5f);
        dc_tensor *gout = backward_random(g, out);
        put("bn1.x", x, x->data);
        put("bn1.gamma", gm, gm->data);
        put("bn1.beta", bt, bt->data);
        put("bn1.gout", gout, gout->data);
        put("bn1.out", out, out->data);
        put("bn1.dx", x, x->grad);
        put("bn1.dgamma", gm, gm->grad);
        dc_tensor rt = {.ndim = 1, .shape = {4}, .size = 4};
        put("bn1.running_var", &rt, rv);
        dc_graph_free(g);
        dc_tensor_free(x);
        dc_tensor_free(gm);
        dc_tensor_free(bt);
    }
    { /* batch norm: two training steps (running statistics), then eval */
        dc_tensor *x = randn(4, S(4, 3, 5, 5), 2.0f), *gm = randn(1, S(3), 0.5f), *bt = randn(1, S(3), 0.5f);
        dc_tensor *x2 = randn(4, S(4, 3, 5, 5), 1.0f);
        float rm[3] = {0, 0, 0}, rv[3] = {1, 1, 1};
        dc_graph *g = dc_graph_new();
        dc_graph_set_training(g, 1);
        dc_tensor *out = dc_batchnorm(g, x, gm, bt, rm, rv, 0.1f, 1e-5f);
        dc_tensor *gout = backward_random(g, out);
        put("bn.x", x, x->data);
        put("bn.x2", x2, x2->data);
        put("bn.gamma", gm, gm->data);
        put("bn.beta", bt, bt->data);
        put("bn.gout", gout, gout->data);
        put("bn.out", out, out->data);
        put("bn.dx", x, x->grad);
        put("bn.dgamma", gm, gm->grad);
        put("bn.dbeta", bt, bt->grad);
        dc_graph_reset(g);
        dc_batchnorm(g, x2, gm, bt, rm, rv, 0.1f, 1e-5f); /* second training step */
        dc_graph_reset(g);
        dc_graph_set_training(g, 0);
        dc_tensor *ev = dc_batchnorm(g, x, gm, bt, rm, rv, 0.1f, 1e-5f);
        put("bn.eval_out", ev, ev->data);
        dc_tensor rt = {.ndim = 1, .shape = {3}, .size = 3};
        put("bn.running_mean", &rt, rm);
        put("bn.running_var", &rt, rv);
        dc_graph_free(g);
        dc_tensor_free(x);
        dc_tensor_free(x2);
        dc_tensor_free(gm);
        dc_tensor_free(bt);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_parity OUT.safetensors\n");
        return 2;
    }
    dc_set_num_threads(1);
    dc_rng_seed(&rng, 2024);
    dense_case();
    activation_case("relu", a_relu);
    activation_case("leaky_relu", a_leaky);
    activation_case("sigmoid", a_sigmoid);
    activation_case("tanh", a_tanh);
    activation_case("gelu", a_gelu);
    activation_case("softmax", a_softmax);
    activation_case("log_softmax", a_log_softmax);
    losses();
    soft_target_case("soft_softmax", "input 4\ndense 5 activation=softmax\nloss categorical_crossentropy\n");
    soft_target_case("soft_linear", "input 4\ndense 5\nloss categorical_crossentropy\n");
    conv_cases();
    optimizer_cases();
    dc_status st = parity_write(argv[1]);
    CHECK(st == DC_OK, "write %s: %s", argv[1], dc_last_error());
    return test_summary("test_parity (deepc side)");
}
