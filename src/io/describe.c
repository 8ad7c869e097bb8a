/* describe.c — the model description language: one layer per line.
 *
 *   # comment                      (anywhere; to the end of the line)
 *   input 28x28                    per-sample input shape
 *   flatten
 *   dense 128 activation=relu      units, activation, use_bias, kernel_initializer, bias_initializer, alpha, l1, l2
 *   conv2d 32 kernel=3 padding=same activation=relu   stride, dilation, groups, use_bias, initializers, l1, l2
 *   maxpool2d 2 | avgpool2d 2 | global_avg_pool2d | global_max_pool2d | batchnorm | zero_padding2d 1
 *   conv1d 16 kernel=5 | maxpool1d 2 | spatial_dropout2d 0.1
 *   dropout 0.2
 *   relu | sigmoid | tanh | gelu | softmax | log_softmax | leaky_relu alpha=0.01 | activation NAME
 *   loss categorical_crossentropy  mse | binary_crossentropy | categorical_crossentropy
 *   optimizer adam lr=0.001        sgd | adam | adamw | adagrad | rmsprop, torch.optim's options, clipnorm, clipvalue
 *   schedule cosine t_max=10 warmup=2   step | multistep | exponential | cosine | cosine_restarts | plateau
 *   early_stopping monitor=val_loss patience=3 restore_best_weights=true
 *   fit epochs=10 batch_size=64 validation_split=0.1 seed=42 shuffle=true
 *
 * docs/FORMATS.md is the full reference. Every error is
 * "FILE:LINE:COLUMN: what is wrong (what was expected)". */
#include "../nn/model.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 32
#define MAX_LINE 4096

typedef struct {
    char text[256];
    int col;          /* 1-based column of the token's first character */
} token;

typedef struct {
    const char *file;
    int line;
    int auto_ndim;              /* shape for `input auto` (0: not available) */
    const int64_t *auto_shape;
    token tok[MAX_TOKENS];
    int ntok;
    int used[MAX_TOKENS];   /* options consumed; leftovers are errors */
} line_ctx;

static dc_status err_at(const line_ctx *c, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static dc_status err_at(const line_ctx *c, int col, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dc_set_error(DC_ERR_FORMAT, "%s:%d:%d: %s", c->file, c->line, col, msg);
}

/* Split one line into tokens; returns DC_OK or an error. */
static dc_status tokenize(line_ctx *c, const char *s, size_t len) {
    c->ntok = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) i++;
        if (i >= len || s[i] == '#') break;
        size_t st = i;
        while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '#') i++;
        if (c->ntok == MAX_TOKENS) return err_at(c, (int)st + 1, "too many words on one line (at most %d)", MAX_TOKENS);
        if (i - st >= sizeof c->tok[0].text) return err_at(c, (int)st + 1, "word longer than %zu characters", sizeof c->tok[0].text - 1);
        token *t = &c->tok[c->ntok++];
        memcpy(t->text, s + st, i - st);
        t->text[i - st] = 0;
        t->col = (int)st + 1;
        for (size_t k = st; k < i; k++)
            if ((unsigned char)s[k] < 0x20 || (unsigned char)s[k] == 0x7f)
                return err_at(c, (int)k + 1, "control character in the description");
    }
    memset(c->used, 0, sizeof c->used);
    return DC_OK;
}

/* Find option key=...; returns the value (and its column) or NULL. */
static const char *opt(line_ctx *c, const char *key, int *col) {
    size_t kl = strlen(key);
    for (int i = 1; i < c->ntok; i++)
        if (!strncmp(c->tok[i].text, key, kl) && c->tok[i].text[kl] == '=') {
            c->used[i] = 1;
            if (col) *col = c->tok[i].col + (int)kl + 1;
            return c->tok[i].text + kl + 1;
        }
    return NULL;
}

/* The first positional (non key=value) argument, or NULL. */
static const char *positional(line_ctx *c, int *col) {
    for (int i = 1; i < c->ntok; i++)
        if (!strchr(c->tok[i].text, '=') && !c->used[i]) {
            c->used[i] = 1;
            if (col) *col = c->tok[i].col;
            return c->tok[i].text;
        }
    return NULL;
}

static dc_status leftovers(const line_ctx *c, const char *allowed) {
    for (int i = 1; i < c->ntok; i++)
        if (!c->used[i]) {
            if (strchr(c->tok[i].text, '='))
                return err_at(c, c->tok[i].col, "unknown option \"%.*s\" for '%s' (expected: %s)",
                              (int)(strchr(c->tok[i].text, '=') - c->tok[i].text), c->tok[i].text, c->tok[0].text, allowed);
            return err_at(c, c->tok[i].col, "unexpected \"%s\" for '%s' (expected: %s)", c->tok[i].text, c->tok[0].text, allowed);
        }
    return DC_OK;
}

static dc_status parse_float(const line_ctx *c, const char *s, int col, const char *what, float lo, float hi, float *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return err_at(c, col, "%s must be a number, not \"%s\"", what, s);
    if (v < lo || v > hi) return err_at(c, col, "%s %s is outside [%g, %g]", what, s, lo, hi);
    *out = (float)v;
    return DC_OK;
}

static dc_status parse_int(const line_ctx *c, const char *s, int col, const char *what, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno) return err_at(c, col, "%s must be a whole number, not \"%s\"", what, s);
    if (v < lo || v > hi) return err_at(c, col, "%s %ld is outside [%ld, %ld]", what, v, lo, hi);
    *out = v;
    return DC_OK;
}

static dc_status parse_bool(const line_ctx *c, const char *s, int col, const char *what, int *out) {
    if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes")) *out = 1;
    else if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no")) *out = 0;
    else return err_at(c, col, "%s must be true or false, not \"%s\"", what, s);
    return DC_OK;
}

static const struct { const char *name; dc_init kind; } inits[] = {
    {"zeros", DC_INIT_ZEROS}, {"ones", DC_INIT_ONES}, {"glorot_uniform", DC_INIT_GLOROT_UNIFORM},
    {"glorot_normal", DC_INIT_GLOROT_NORMAL}, {"xavier_uniform", DC_INIT_GLOROT_UNIFORM},
    {"xavier_normal", DC_INIT_GLOROT_NORMAL}, {"he_uniform", DC_INIT_HE_UNIFORM}, {"he_normal", DC_INIT_HE_NORMAL},
    {"lecun_uniform", DC_INIT_LECUN_UNIFORM}};

static dc_status parse_init(const line_ctx *c, const char *s, int col, dc_init *out) {
    for (size_t i = 0; i < sizeof inits / sizeof *inits; i++)
        if (!strcmp(s, inits[i].name)) {
            *out = inits[i].kind;
            return DC_OK;
        }
    return err_at(c, col, "unknown initializer \"%s\" (expected zeros, ones, glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform)", s);
}

static dc_status parse_activation(const line_ctx *c, const char *s, int col, dc_activation *out) {
    int a = dc_activation_from_name(s);
    if (a < 0) return err_at(c, col, "unknown activation \"%s\" (expected linear, relu, leaky_relu, sigmoid, tanh, gelu, softmax, log_softmax)", s);
    *out = (dc_activation)a;
    return DC_OK;
}

/* Wrap an error from the model API with this line's position. */
static dc_status model_err(const line_ctx *c, dc_status st) {
    if (!st) return DC_OK;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", dc_last_error());
    return err_at(c, c->tok[0].col, "%s", msg);
}

static dc_status parse_input(line_ctx *c, dc_model **m) {
    if (*m) return err_at(c, c->tok[0].col, "a second 'input' line (the first one already set the input shape)");
    int col = 0;
    const char *s = opt(c, "shape", &col);
    if (!s) s = positional(c, &col);
    if (!s) return err_at(c, c->tok[0].col, "'input' needs a shape such as 28x28 or 784");
    if (!strcmp(s, "auto")) {
        if (c->auto_ndim <= 0)
            return err_at(c, col, "'input auto' takes its shape from the data, and none was given (use it with CSV data)");
        dc_status st = leftovers(c, "a shape");
        if (st) return st;
        *m = dc_model_new(c->auto_ndim, c->auto_shape);
        if (*m) (*m)->auto_input = 1;
        return *m ? DC_OK : model_err(c, DC_ERR_INVALID);
    }
    int64_t shape[DC_MAX_DIMS];
    int nd = 0;
    const char *p = s;
    for (;;) {
        if (nd == DC_MAX_DIMS - 1) return err_at(c, col, "input shape has too many dimensions");
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v <= 0 || v > (1 << 30))
            return err_at(c, col + (int)(p - s), "input shape \"%s\": expected positive extents separated by 'x'", s);
        shape[nd++] = v;
        if (*end == 0) break;
        if (*end != 'x' && *end != ',') return err_at(c, col + (int)(end - s), "input shape \"%s\": expected 'x' between extents", s);
        p = end + 1;
    }
    dc_status st = leftovers(c, "a shape");
    if (st) return st;
    *m = dc_model_new(nd, shape);
    return *m ? DC_OK : model_err(c, DC_ERR_INVALID);
}

/* Options every layer with a kernel takes (dense, conv2d, conv1d). */
static dc_status parse_kernel_options(line_ctx *c, dc_layer *l) {
    int col = 0;
    const char *s;
    dc_status st = DC_OK;
    l->line = c->line;
    if (!st && (s = opt(c, "use_bias", &col))) st = parse_bool(c, s, col, "use_bias", &l->use_bias);
    if (!st && (s = opt(c, "kernel_initializer", &col))) st = parse_init(c, s, col, &l->kernel_init);
    if (!st && (s = opt(c, "bias_initializer", &col))) st = parse_init(c, s, col, &l->bias_init);
    if (!st && (s = opt(c, "alpha", &col))) st = parse_float(c, s, col, "alpha", 0.0f, 1e6f, &l->alpha);
    if (!st && (s = opt(c, "l1", &col))) st = parse_float(c, s, col, "l1", 0.0f, 1e6f, &l->l1);
    if (!st && (s = opt(c, "l2", &col))) st = parse_float(c, s, col, "l2", 0.0f, 1e6f, &l->l2);
    return st;
}

static dc_status parse_dense(line_ctx *c, dc_model *m) {
    int col = 0;
    long units;
    const char *s = opt(c, "units", &col);
    if (!s) s = positional(c, &col);
    if (!s) return err_at(c, c->tok[0].col, "'dense' needs a number of units, e.g. dense 128");
    dc_status st = parse_int(c, s, col, "units", 1, 1 << 24, &units);
    dc_activation act = DC_ACT_NONE;
    if (!st && (s = opt(c, "activation", &col))) st = parse_activation(c, s, col, &act);
    if (st) return st;
    if ((st = model_err(c, dc_model_add_dense(m, (int)units, act)))) return st;
    if ((st = parse_kernel_options(c, dc_model_last_layer(m)))) return st;
    return leftovers(c, "units, activation, use_bias, kernel_initializer, bias_initializer, alpha, l1, l2");
}

/* "3" or "3x5" into a, b (b = a for one number); 0 = fine */
static dc_status parse_pair(const line_ctx *c, const char *s, int col, const char *what, long lo, long hi, int *a, int *b) {
    char *end;
    long x = strtol(s, &end, 10), y;
    if (end == s || x < lo || x > hi) return err_at(c, col, "%s must be N or NxM with N in [%ld, %ld], not \"%s\"", what, lo, hi, s);
    y = x;
    if (*end == 'x') {
        const char *q = end + 1;
        y = strtol(q, &end, 10);
        if (end == q || y < lo || y > hi) return err_at(c, col, "%s must be N or NxM with N in [%ld, %ld], not \"%s\"", what, lo, hi, s);
    }
    if (*end) return err_at(c, col + (int)(end - s), "%s: unexpected \"%s\"", what, end);
    *a = (int)x;
    *b = (int)y;
    return DC_OK;
}

/* conv2d 32 kernel=3 stride=1 padding=valid|same|N|NxM dilation=1 groups=1 activation=relu ...
 * conv1d 16 kernel=5 ... (the same options, one number each) */
static dc_status parse_conv(line_ctx *c, dc_model *m, int one_d) {
    int col = 0;
    long filters;
    const char *s = opt(c, "filters", &col);
    if (!s) s = positional(c, &col);
    if (!s) return err_at(c, c->tok[0].col, "'%s' needs a number of filters, e.g. %s 32 kernel=3", c->tok[0].text, c->tok[0].text);
    dc_status st = parse_int(c, s, col, "filters", 1, 1 << 20, &filters);
    int kh = 3, kw = 3, sh = 1, sw = 1, dh = 1, dw = 1, ph = 0, pw = 0, same = 0, groups = 1;
    dc_activation act = DC_ACT_NONE;
    if (!st && !(s = opt(c, "kernel", &col))) st = err_at(c, c->tok[0].col, "'%s' needs kernel=N%s", c->tok[0].text, one_d ? "" : " or kernel=NxM");
    if (!st) st = parse_pair(c, s, col, "kernel", 1, 1024, &kh, &kw);
    if (!st && (s = opt(c, "stride", &col))) st = parse_pair(c, s, col, "stride", 1, 1024, &sh, &sw);
    if (!st && (s = opt(c, "dilation", &col))) st = parse_pair(c, s, col, "dilation", 1, 1024, &dh, &dw);
    if (!st && (s = opt(c, "padding", &col))) {
        if (!strcmp(s, "same")) same = 1;
        else if (strcmp(s, "valid")) st = parse_pair(c, s, col, "padding (valid, same, N or NxM)", 0, 1024, &ph, &pw);
    }
    long gl;
    if (!st && (s = opt(c, "groups", &col)) && !(st = parse_int(c, s, col, "groups", 1, 1 << 20, &gl))) groups = (int)gl;
    if (!st && (s = opt(c, "activation", &col))) st = parse_activation(c, s, col, &act);
    if (st) return st;
    if (one_d) st = model_err(c, dc_model_add_conv1d(m, (int)filters, kh, sh, ph, dh, groups, same, act));
    else {
        dc_conv_params p = {sh, sw, ph, ph, pw, pw, dh, dw, groups};
        st = model_err(c, dc_model_add_conv2d(m, (int)filters, kh, kw, &p, same, act));
    }
    if (st) return st;
    if ((st = parse_kernel_options(c, dc_model_last_layer(m)))) return st;
    return leftovers(c, "filters, kernel, stride, padding, dilation, groups, activation, use_bias, kernel_initializer, bias_initializer, alpha, l1, l2");
}

/* maxpool2d 2 stride=2 padding=0   (avgpool2d, maxpool1d alike) */
static dc_status parse_pool(line_ctx *c, dc_model *m, int kind) {
    int col = 0, kh = 2, kw = 2, sh = 0, sw = 0, ph = 0, pw = 0;
    const char *s = opt(c, "pool", &col);
    if (!s) s = positional(c, &col);
    dc_status st = DC_OK;
    if (s) st = parse_pair(c, s, col, "pool size", 1, 1024, &kh, &kw);
    if (!st && (s = opt(c, "stride", &col))) st = parse_pair(c, s, col, "stride", 1, 1024, &sh, &sw);
    if (!st && (s = opt(c, "padding", &col)) && strcmp(s, "valid")) st = parse_pair(c, s, col, "padding (valid, N or NxM)", 0, 1024, &ph, &pw);
    if (!st) st = leftovers(c, "pool, stride, padding");
    if (st) return st;
    if (kind == 2) return model_err(c, dc_model_add_maxpool1d(m, kh, sh, ph));
    return model_err(c, dc_model_add_pool2d(m, kind == 0, kh, kw, sh, sw, ph, pw));
}

static dc_status parse_loss(line_ctx *c, dc_model *m) {
    int col = 0;
    const char *s = positional(c, &col);
    if (!s) return err_at(c, c->tok[0].col, "'loss' needs a name (mse, binary_crossentropy, categorical_crossentropy)");
    if (!strcmp(s, "mse") || !strcmp(s, "mean_squared_error")) m->loss = DC_LOSS_MSE;
    else if (!strcmp(s, "binary_crossentropy") || !strcmp(s, "bce")) m->loss = DC_LOSS_BCE;
    else if (!strcmp(s, "categorical_crossentropy") || !strcmp(s, "sparse_categorical_crossentropy") ||
             !strcmp(s, "cross_entropy"))
        m->loss = DC_LOSS_CATEGORICAL_CE;
    else return err_at(c, col, "unknown loss \"%s\" (expected mse, binary_crossentropy, categorical_crossentropy)", s);
    m->compiled = 1;
    return leftovers(c, "a loss name");
}

static dc_status parse_optimizer(line_ctx *c, dc_model *m) {
    int col = 0;
    const char *s = positional(c, &col);
    if (!s) return err_at(c, c->tok[0].col, "'optimizer' needs a name (sgd, adam, adamw, adagrad, rmsprop)");
    dc_opt_config o;
    if (dc_opt_from_name(s, &o)) return err_at(c, col, "unknown optimizer \"%s\" (expected sgd, adam, adamw, adagrad, rmsprop)", s);
    /* every option, and which optimizers take it */
    static const struct { const char *key; unsigned kinds; } known[] = {
        {"lr", 31}, {"learning_rate", 31}, {"weight_decay", 31}, {"clipnorm", 31}, {"clipvalue", 31},
        {"momentum", 1 | 16}, {"dampening", 1}, {"nesterov", 1}, {"beta1", 2 | 4}, {"beta2", 2 | 4},
        {"eps", 2 | 4 | 8 | 16}, {"amsgrad", 2 | 4}, {"alpha", 16}, {"centered", 16}, {"lr_decay", 8},
        {"initial_accumulator_value", 8}};
    char allowed[256] = "";
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (known[i].kinds & (1u << o.kind)) {
            if (*allowed) strcat(allowed, ", ");
            strcat(allowed, known[i].key);
        }
    dc_status st = DC_OK;
    for (size_t i = 0; i < sizeof known / sizeof *known && !st; i++) {
        const char *k = known[i].key;
        if (!(known[i].kinds & (1u << o.kind)) || !(s = opt(c, k, &col))) continue;
        if (!strcmp(k, "lr") || !strcmp(k, "learning_rate")) st = parse_float(c, s, col, k, 0.0f, 1e6f, &o.lr);
        else if (!strcmp(k, "weight_decay")) st = parse_float(c, s, col, k, 0.0f, 1e6f, &o.weight_decay);
        else if (!strcmp(k, "clipnorm")) st = parse_float(c, s, col, k, 0.0f, 1e9f, &o.clip_norm);
        else if (!strcmp(k, "clipvalue")) st = parse_float(c, s, col, k, 0.0f, 1e9f, &o.clip_value);
        else if (!strcmp(k, "momentum")) st = parse_float(c, s, col, k, 0.0f, 1.0f, &o.momentum);
        else if (!strcmp(k, "dampening")) st = parse_float(c, s, col, k, 0.0f, 1.0f, &o.dampening);
        else if (!strcmp(k, "nesterov")) st = parse_bool(c, s, col, k, &o.nesterov);
        else if (!strcmp(k, "beta1")) st = parse_float(c, s, col, k, 0.0f, 0.999999f, &o.beta1);
        else if (!strcmp(k, "beta2")) st = parse_float(c, s, col, k, 0.0f, 0.999999f, &o.beta2);
        else if (!strcmp(k, "eps")) st = parse_float(c, s, col, k, 0.0f, 1.0f, &o.eps);
        else if (!strcmp(k, "amsgrad")) st = parse_bool(c, s, col, k, &o.amsgrad);
        else if (!strcmp(k, "alpha")) st = parse_float(c, s, col, k, 0.0f, 1.0f, &o.alpha);
        else if (!strcmp(k, "centered")) st = parse_bool(c, s, col, k, &o.centered);
        else if (!strcmp(k, "lr_decay")) st = parse_float(c, s, col, k, 0.0f, 1e6f, &o.lr_decay);
        else st = parse_float(c, s, col, k, 0.0f, 1e6f, &o.initial_accumulator_value);
    }
    if (!st) st = leftovers(c, allowed);
    if (!st && o.nesterov && (o.momentum <= 0.0f || o.dampening != 0.0f))
        st = err_at(c, c->tok[0].col, "nesterov=true needs momentum > 0 and dampening 0");
    if (!st) m->opt = o;
    return st;
}

static dc_status parse_schedule(line_ctx *c, dc_model *m) {
    int col = 0;
    const char *s = positional(c, &col);
    static const char *const names[] = {"constant", "step", "multistep", "exponential", "cosine", "cosine_restarts", "plateau"};
    int kind = -1;
    for (int i = 0; s && i < 7; i++)
        if (!strcmp(s, names[i])) kind = i;
    if (kind < 0)
        return err_at(c, s ? col : c->tok[0].col, "'schedule' needs a kind: constant, step, multistep, exponential, cosine, cosine_restarts, plateau");
    dc_schedule sc = dc_schedule_default((dc_sched_kind)kind);
    dc_status st = DC_OK;
    long v;
    if (!st && (s = opt(c, "step_size", &col)) && !(st = parse_int(c, s, col, "step_size", 1, 1000000, &v))) sc.step_size = (int)v;
    if (!st && (s = opt(c, "gamma", &col))) st = parse_float(c, s, col, "gamma", 0.0f, 1e6f, &sc.gamma);
    if (!st && (s = opt(c, "milestones", &col))) {
        const char *p = s;
        sc.nmilestones = 0;
        while (*p && !st) {
            char *end;
            long e = strtol(p, &end, 10);
            if (end == p || e < 1 || (sc.nmilestones && e <= sc.milestones[sc.nmilestones - 1]) || sc.nmilestones == 16)
                st = err_at(c, col + (int)(p - s), "milestones must be increasing positive epochs separated by ',' (at most 16)");
            else sc.milestones[sc.nmilestones++] = (int)e;
            p = *end == ',' ? end + 1 : end;
            if (!st && *end && *end != ',') st = err_at(c, col + (int)(end - s), "milestones: expected ',' between epochs");
        }
    }
    if (!st && (s = opt(c, "t_max", &col)) && !(st = parse_int(c, s, col, "t_max", 1, 1000000, &v))) sc.t_max = (int)v;
    if (!st && (s = opt(c, "t_0", &col)) && !(st = parse_int(c, s, col, "t_0", 1, 1000000, &v))) sc.t_0 = (int)v;
    if (!st && (s = opt(c, "t_mult", &col)) && !(st = parse_int(c, s, col, "t_mult", 1, 1000, &v))) sc.t_mult = (int)v;
    if (!st && (s = opt(c, "eta_min", &col))) st = parse_float(c, s, col, "eta_min", 0.0f, 1e6f, &sc.eta_min);
    if (!st && (s = opt(c, "factor", &col))) st = parse_float(c, s, col, "factor", 0.0f, 0.999999f, &sc.factor);
    if (!st && (s = opt(c, "patience", &col)) && !(st = parse_int(c, s, col, "patience", 0, 1000000, &v))) sc.patience = (int)v;
    if (!st && (s = opt(c, "threshold", &col))) st = parse_float(c, s, col, "threshold", 0.0f, 1.0f, &sc.threshold);
    if (!st && (s = opt(c, "cooldown", &col)) && !(st = parse_int(c, s, col, "cooldown", 0, 1000000, &v))) sc.cooldown = (int)v;
    if (!st && (s = opt(c, "min_lr", &col))) st = parse_float(c, s, col, "min_lr", 0.0f, 1e6f, &sc.min_lr);
    if (!st && (s = opt(c, "warmup", &col)) && !(st = parse_int(c, s, col, "warmup", 0, 1000000, &v))) sc.warmup = (int)v;
    if (!st && (s = opt(c, "warmup_start", &col))) st = parse_float(c, s, col, "warmup_start", 0.0f, 1.0f, &sc.warmup_start);
    if (!st && (s = opt(c, "monitor", &col))) {
        if (strcmp(s, "loss") && strcmp(s, "val_loss") && strcmp(s, "accuracy") && strcmp(s, "val_accuracy"))
            st = err_at(c, col, "monitor must be loss, val_loss, accuracy or val_accuracy, not \"%s\"", s);
        else snprintf(m->fit.schedule_monitor, sizeof m->fit.schedule_monitor, "%s", s);
        sc.mode_max = strstr(s, "accuracy") != NULL;
    }
    if (!st && (s = opt(c, "mode", &col))) {
        if (strcmp(s, "min") && strcmp(s, "max")) st = err_at(c, col, "mode must be min or max");
        else sc.mode_max = !strcmp(s, "max");
    }
    if (!st) st = leftovers(c, "step_size, gamma, milestones, t_max, t_0, t_mult, eta_min, factor, patience, threshold, cooldown, min_lr, monitor, mode, warmup, warmup_start");
    if (!st) {
        m->fit.schedule = sc;
        m->fit.has_schedule = 1;
    }
    return st;
}

static dc_status parse_early_stopping(line_ctx *c, dc_model *m) {
    dc_early_stopping e = {.enabled = 1, .monitor = "val_loss"};
    int col = 0, mode_set = 0;
    long v;
    const char *s;
    dc_status st = DC_OK;
    if ((s = opt(c, "monitor", &col))) {
        if (strcmp(s, "loss") && strcmp(s, "val_loss") && strcmp(s, "accuracy") && strcmp(s, "val_accuracy"))
            return err_at(c, col, "monitor must be loss, val_loss, accuracy or val_accuracy, not \"%s\"", s);
        snprintf(e.monitor, sizeof e.monitor, "%s", s);
    }
    if ((s = opt(c, "mode", &col))) {
        if (strcmp(s, "min") && strcmp(s, "max") && strcmp(s, "auto")) return err_at(c, col, "mode must be min, max or auto");
        mode_set = strcmp(s, "auto") != 0;
        e.mode_max = !strcmp(s, "max");
    }
    if (!mode_set) e.mode_max = strstr(e.monitor, "accuracy") != NULL; /* Keras "auto" */
    if (!st && (s = opt(c, "patience", &col)) && !(st = parse_int(c, s, col, "patience", 0, 1000000, &v))) e.patience = (int)v;
    if (!st && (s = opt(c, "min_delta", &col))) st = parse_float(c, s, col, "min_delta", 0.0f, 1e6f, &e.min_delta);
    if (!st && (s = opt(c, "restore_best_weights", &col))) st = parse_bool(c, s, col, "restore_best_weights", &e.restore_best);
    if (!st) st = leftovers(c, "monitor, mode, patience, min_delta, restore_best_weights");
    if (!st) m->fit.early_stopping = e;
    return st;
}

static dc_status parse_fit(line_ctx *c, dc_model *m) {
    int col = 0;
    long v;
    const char *s;
    dc_status st = DC_OK;
    dc_fit_config *f = &m->fit;
    if (!st && (s = opt(c, "epochs", &col)) && !(st = parse_int(c, s, col, "epochs", 1, 1000000, &v))) f->epochs = (int)v;
    if (!st && (s = opt(c, "batch_size", &col)) && !(st = parse_int(c, s, col, "batch_size", 1, 1 << 20, &v))) f->batch_size = (int)v;
    if (!st && (s = opt(c, "validation_split", &col))) st = parse_float(c, s, col, "validation_split", 0.0f, 0.99f, &f->validation_split);
    if (!st && (s = opt(c, "shuffle", &col))) st = parse_bool(c, s, col, "shuffle", &f->shuffle);
    if (!st && (s = opt(c, "seed", &col)) && !(st = parse_int(c, s, col, "seed", 0, 0x7fffffffL, &v))) f->seed = (uint64_t)v;
    if (!st) st = leftovers(c, "epochs, batch_size, validation_split, shuffle, seed");
    return st;
}

static dc_status parse_line(line_ctx *c, dc_model **mp) {
    const char *kw = c->tok[0].text;
    if (!strcmp(kw, "input")) return parse_input(c, mp);
    dc_model *m = *mp;
    if (!m) return err_at(c, c->tok[0].col, "'%s' before 'input' (the first line must give the input shape, e.g. input 28x28)", kw);
    int col = 0;
    const char *s;
    dc_status st;
    if (!strcmp(kw, "flatten")) {
        if ((st = leftovers(c, "nothing"))) return st;
        if ((st = model_err(c, dc_model_add_flatten(m)))) return st;
    } else if (!strcmp(kw, "dense")) {
        return parse_dense(c, m);
    } else if (!strcmp(kw, "conv2d") || !strcmp(kw, "conv1d")) {
        return parse_conv(c, m, kw[4] == '1');
    } else if (!strcmp(kw, "maxpool2d") || !strcmp(kw, "avgpool2d") || !strcmp(kw, "maxpool1d")) {
        if ((st = parse_pool(c, m, kw[0] == 'a' ? 1 : kw[7] == '1' ? 2 : 0))) return st;
    } else if (!strcmp(kw, "global_avg_pool2d") || !strcmp(kw, "global_max_pool2d")) {
        if ((st = leftovers(c, "nothing")) || (st = model_err(c, dc_model_add_global_pool2d(m, kw[7] == 'm')))) return st;
    } else if (!strcmp(kw, "batchnorm")) {
        float mom = 0.1f, eps = 1e-5f;
        if ((s = opt(c, "momentum", &col)) && (st = parse_float(c, s, col, "momentum", 0.0f, 1.0f, &mom))) return st;
        if ((s = opt(c, "eps", &col)) && (st = parse_float(c, s, col, "eps", 1e-12f, 1.0f, &eps))) return st;
        if ((st = leftovers(c, "momentum, eps")) || (st = model_err(c, dc_model_add_batchnorm(m, mom, eps)))) return st;
    } else if (!strcmp(kw, "spatial_dropout2d")) {
        float rate;
        if (!(s = opt(c, "rate", &col)) && !(s = positional(c, &col)))
            return err_at(c, c->tok[0].col, "'spatial_dropout2d' needs a rate, e.g. spatial_dropout2d 0.2");
        if ((st = parse_float(c, s, col, "rate", 0.0f, 0.999f, &rate)) || (st = leftovers(c, "rate"))) return st;
        if ((st = model_err(c, dc_model_add_spatial_dropout2d(m, rate)))) return st;
    } else if (!strcmp(kw, "zero_padding2d")) {
        int a = 1, b = 1;
        if (((s = opt(c, "padding", &col)) || (s = positional(c, &col))) && (st = parse_pair(c, s, col, "padding", 0, 4096, &a, &b)))
            return st;
        if ((st = leftovers(c, "padding")) || (st = model_err(c, dc_model_add_zero_padding2d(m, a, a, b, b)))) return st;
    } else if (!strcmp(kw, "dropout")) {
        float rate;
        if (!(s = opt(c, "rate", &col)) && !(s = positional(c, &col)))
            return err_at(c, c->tok[0].col, "'dropout' needs a rate, e.g. dropout 0.2");
        if ((st = parse_float(c, s, col, "rate", 0.0f, 0.999f, &rate)) || (st = leftovers(c, "rate"))) return st;
        if ((st = model_err(c, dc_model_add_dropout(m, rate)))) return st;
    } else if (!strcmp(kw, "activation") || dc_activation_from_name(kw) >= 0) {
        dc_activation a = DC_ACT_NONE;
        if (!strcmp(kw, "activation")) {
            if (!(s = positional(c, &col))) return err_at(c, c->tok[0].col, "'activation' needs a name, e.g. activation relu");
        } else {
            s = kw;
            col = c->tok[0].col;
        }
        if ((st = parse_activation(c, s, col, &a))) return st;
        float alpha = 0.01f;
        if ((s = opt(c, "alpha", &col)) && (st = parse_float(c, s, col, "alpha", 0.0f, 1e6f, &alpha))) return st;
        if ((st = leftovers(c, "alpha"))) return st;
        if ((st = model_err(c, dc_model_add_activation(m, a)))) return st;
        dc_model_last_layer(m)->alpha = alpha;
    } else if (!strcmp(kw, "loss")) {
        return parse_loss(c, m);
    } else if (!strcmp(kw, "optimizer")) {
        return parse_optimizer(c, m);
    } else if (!strcmp(kw, "fit")) {
        return parse_fit(c, m);
    } else if (!strcmp(kw, "schedule")) {
        return parse_schedule(c, m);
    } else if (!strcmp(kw, "early_stopping")) {
        return parse_early_stopping(c, m);
    } else {
        return err_at(c, c->tok[0].col, "unknown keyword \"%s\" (expected input, flatten, dense, conv2d, conv1d, maxpool2d, avgpool2d, maxpool1d, global_avg_pool2d, global_max_pool2d, batchnorm, dropout, spatial_dropout2d, zero_padding2d, an activation, loss, optimizer, schedule, early_stopping, fit)", kw);
    }
    dc_model_last_layer(m)->line = c->line;
    return DC_OK;
}

/* Loss when the description has no `loss` line, chosen from the output. */
static dc_loss_kind default_loss(const dc_model *m) {
    dc_activation a = dc_model_final_activation(m);
    int64_t out[DC_MAX_DIMS];
    dc_model_output_shape(m, out);
    if (a == DC_ACT_SOFTMAX) return DC_LOSS_CATEGORICAL_CE;
    if (a == DC_ACT_SIGMOID && out[0] == 1) return DC_LOSS_BCE;
    return DC_LOSS_MSE;
}

dc_model *dc_model_parse(const char *text, const char *filename) { return dc_model_parse_auto(text, filename, 0, NULL); }

dc_model *dc_model_parse_auto(const char *text, const char *filename, int in_ndim, const int64_t *in_shape) {
    line_ctx c = {.file = filename ? filename : "<description>", .auto_ndim = in_ndim, .auto_shape = in_shape};
    dc_model *m = NULL;
    const char *p = text;
    size_t total = strlen(text);
    if (total > (1u << 20)) {
        dc_set_error(DC_ERR_FORMAT, "%s: description is larger than 1 MiB", c.file);
        return NULL;
    }
    while (*p) {
        c.line++;
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > MAX_LINE) {
            err_at(&c, MAX_LINE, "line longer than %d characters", MAX_LINE);
            goto fail;
        }
        if (tokenize(&c, p, len)) goto fail;
        if (c.ntok && parse_line(&c, &m)) goto fail;
        p = nl ? nl + 1 : p + len;
    }
    if (!m) {
        dc_set_error(DC_ERR_FORMAT, "%s: no 'input' line: a description starts with the input shape (e.g. input 28x28)", c.file);
        return NULL;
    }
    if (m->nlayers == 0) {
        dc_set_error(DC_ERR_FORMAT, "%s: the description has no layers", c.file);
        goto fail;
    }
    if (!m->compiled) m->loss = default_loss(m);
    m->compiled = 1;
    if (!(m->description = strdup(text))) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (dc_model_build(m, m->fit.seed)) goto fail;
    return m;
fail:
    dc_model_free(m);
    return NULL;
}

dc_model *dc_model_parse_file(const char *path) { return dc_model_parse_file_auto(path, 0, NULL); }

dc_model *dc_model_parse_file_auto(const char *path, int in_ndim, const int64_t *in_shape) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        dc_set_error(DC_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc((1u << 20) + 2);
    if (!buf) {
        fclose(f);
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    size_t n = fread(buf, 1, (1u << 20) + 1, f);
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        dc_set_error(DC_ERR_IO, "%s: read error", path);
        return NULL;
    }
    if (n > (1u << 20)) {
        free(buf);
        dc_set_error(DC_ERR_FORMAT, "%s: description is larger than 1 MiB", path);
        return NULL;
    }
    buf[n] = 0;
    if (memchr(buf, 0, n)) {
        free(buf);
        dc_set_error(DC_ERR_FORMAT, "%s: contains a NUL byte; a description is text", path);
        return NULL;
    }
    dc_model *m = dc_model_parse_auto(buf, path, in_ndim, in_shape);
    free(buf);
    return m;
}
