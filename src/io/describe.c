/* describe.c — the model description language: one statement per line.
 *
 *   # comment                      (anywhere; to the end of the line)
 *   input 28x28                    per-sample input shape (more inputs: input 16 name=aux)
 *   KIND OPTIONS name=N inputs=a,b a layer: any kind of the registry (src/nn/layers/),
 *                                  its options from the kind's table; `relu` alone
 *                                  means `activation relu`
 *   repeat 3 ... end               the lines between, three times
 *   output a,b                     the model's outputs (default: the last layer)
 *   loss categorical_crossentropy  output=, target=label|input, weight=, reduction=, name=
 *   optimizer adam lr=0.001        sgd | adam | adamw | adagrad | rmsprop, torch.optim's options, clipnorm, clipvalue
 *   schedule cosine t_max=10 warmup=2   step | multistep | exponential | cosine | cosine_restarts | plateau
 *   early_stopping monitor=val_loss patience=3 restore_best_weights=true
 *   fit epochs=10 batch_size=64 validation_split=0.1 seed=42 shuffle=true
 *
 * The layer kinds know their own options; this file knows the statements
 * and the graph (names, inputs, repeat blocks). It also writes a model back
 * as text (dc_model_write_description). docs/FORMATS.md is the full
 * reference. Every error is "FILE:LINE:COLUMN: what is wrong (what was
 * expected)". */
#include "../nn/model.h"
#include "../nn/layer.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    int64_t auto_vocab;         /* rows for `embedding auto` and `dense auto`: the fitted
                                   vocabulary's size; 0: not known (an error); -1: not
                                   known yet, stand-in 2 (to read the text line first) */
    token tok[MAX_TOKENS];
    int ntok;
    int used[MAX_TOKENS];   /* options consumed; leftovers are errors */
    int64_t work;           /* lines read so far, counting each repeat's copies */
} line_ctx;

/* Nested repeat blocks multiply: "repeat 10000" twice is 10^8 copies of a
 * line. What a description may expand to is capped (the fuzzer found the
 * hang), well above any real network. */
#define DESCRIBE_MAX_WORK 150000

static dc_status err_at(const line_ctx *c, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static dc_status err_at(const line_ctx *c, int col, const char *fmt, ...) {
    char msg[1536];
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
            if (strchr(c->tok[i].text, '=')) {
                char key[64], near[64];
                snprintf(key, sizeof key, "%.*s", (int)(strchr(c->tok[i].text, '=') - c->tok[i].text), c->tok[i].text);
                const char *s = dc_did_you_mean_in(key, allowed, near, sizeof near);
                return err_at(c, c->tok[i].col, "unknown option \"%s\" for '%s'%s%s%s (expected: %s)", key, c->tok[0].text,
                              s ? ": did you mean \"" : "", s ? s : "", s ? "\"?" : "", allowed);
            }
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

/* Wrap an error from the model API with this line's position. */
static dc_status model_err(const line_ctx *c, dc_status st) {
    if (!st) return DC_OK;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", dc_last_error());
    return err_at(c, c->tok[0].col, "%s", msg);
}


/* ---- layers ----------------------------------------------------------------- */

/* Where a repeated block's copy stands: names given inside it get the copy's
 * suffix ("fc" -> "fc_2"), and `block_input` is the node that fed it. */
typedef struct {
    char suffix[48];
    int start;        /* first node of this copy                 */
    int block_input;  /* node before it, or -1 outside a repeat  */
} scope;

/* Resolve a layer name as seen from inside scope sc (or -1). */
static int resolve(const dc_model *m, const scope *sc, const char *name) {
    if (sc->block_input >= 0 && !strcmp(name, "block_input")) return sc->block_input;
    if (sc->suffix[0]) {
        char full[192];
        snprintf(full, sizeof full, "%s%s", name, sc->suffix);
        int k = dc_model_find_node(m, full);
        if (k >= sc->start) return k;
    }
    return dc_model_find_node(m, name);
}

/* Why a name did not resolve: defined later (which would be a cycle or a
 * forward reference), or not at all. */
static dc_status unknown_input(const line_ctx *c, int col, const char *name, const char *rest) {
    char pat[96];
    snprintf(pat, sizeof pat, "name=%s", name);
    for (const char *p = rest; p && (p = strstr(p, pat)); p++) {
        char after = p[strlen(pat)];
        if ((p == rest || p[-1] == ' ' || p[-1] == '\t') && (after == 0 || after == ' ' || after == '\t' || after == '\n' || after == '\r' || after == '#'))
            return err_at(c, col, "\"%s\" is defined on a later line: a layer takes inputs from earlier lines only (no cycles)", name);
    }
    return err_at(c, col, "no layer named \"%s\" before this line", name);
}

/* A layer line: keyword, options, name=, inputs=. */
static dc_status parse_layer(line_ctx *c, dc_model *m, const dc_layer_type *t, int alias, const scope *sc, const char *rest) {
    _Alignas(16) unsigned char cfg[512];
    if (t->cfg_size > sizeof cfg) return err_at(c, c->tok[0].col, "internal: options of '%s' too large", t->keyword);
    if (t->cfg_size) memcpy(cfg, t->defaults, t->cfg_size);
    if (alias) dc_layer_option_set(t, cfg, dc_layer_option_positional(t), c->tok[0].text);
    const char *tok[MAX_TOKENS];
    for (int i = 1; i < c->ntok; i++) tok[i - 1] = c->tok[i].text;
    dc_layer_refs refs;
    int bt, bo;
    if (dc_layer_parse_options(t, cfg, c->ntok - 1, tok, alias, &refs, &bt, &bo)) {
        char msg[768];
        snprintf(msg, sizeof msg, "%s", dc_last_error());
        return err_at(c, bt >= 0 ? c->tok[bt + 1].col + bo : c->tok[0].col, "%s", msg);
    }
    int in[DC_LAYER_MAX_INPUTS];
    for (int i = 0; i < refs.nin; i++) {
        if ((in[i] = resolve(m, sc, refs.in[i])) < 0) {
            /* the column of this name inside inputs=a,b */
            const char *v = strchr(c->tok[refs.in_tok + 1].text, '=') + 1, *at = v;
            for (int k = 0; k < i; k++) at = strchr(at, ',') + 1;
            return unknown_input(c, c->tok[refs.in_tok + 1].col + (int)(at - c->tok[refs.in_tok + 1].text), refs.in[i], rest);
        }
    }
    char name[128] = "";
    if (refs.name[0]) snprintf(name, sizeof name, "%s%s", refs.name, sc->suffix);
    if (strlen(name) >= 64) return err_at(c, c->tok[0].col, "layer name \"%s\" is too long", name);
    if (t == &dc_layer_input) {
        if (!refs.name[0]) return err_at(c, c->tok[0].col, "a second 'input' line (the first one already set the input shape; name further inputs: input 16 name=aux)");
        if (refs.nin) return err_at(c, c->tok[0].col, "an input takes no inputs=");
    }
    int k = dc_model_add_node(m, t, cfg, name, refs.nin, in, c->line);
    if (k < 0) return model_err(c, DC_ERR_INVALID);
    m->nodes[k]->frozen = refs.frozen;
    m->nodes[k]->act_static = refs.act_static;
    if ((refs.wdtype != DC_F32 || refs.act_static) && dc_model_set_weight_dtype(m, k, refs.wdtype)) return model_err(c, DC_ERR_INVALID);
    return DC_OK;
}

static dc_status parse_input(line_ctx *c, dc_model **m, const scope *sc, const char *rest) {
    if (*m) return parse_layer(c, *m, &dc_layer_input, 0, sc, rest);
    int col = 0;
    const char *s = opt(c, "shape", &col);
    if (!s) s = positional(c, &col);
    if (!s) return err_at(c, c->tok[0].col, "'input' needs a shape such as 28x28 or 784");
    const char *nm = opt(c, "name", NULL);
    if (!strcmp(s, "auto")) {
        if (c->auto_ndim <= 0)
            return err_at(c, col, "'input auto' takes its shape from the data, and none was given (train or summary it with --data CSV, or --image-size HxW for images)");
        dc_status st = leftovers(c, "a shape, name");
        if (st) return st;
        *m = dc_model_new(c->auto_ndim, c->auto_shape);
        if (*m) (*m)->meta.auto_input = 1;
    } else {
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
        dc_status st = leftovers(c, "a shape, name");
        if (st) return st;
        *m = dc_model_new(nd, shape);
    }
    if (!*m) return model_err(c, DC_ERR_INVALID);
    (*m)->nodes[0]->line = c->line;
    if (nm && dc_model_rename_node(*m, 0, nm)) return model_err(c, DC_ERR_INVALID);
    return DC_OK;
}

/* output a,b: the model's outputs (default: the last layer). */
static dc_status parse_output(line_ctx *c, dc_model *m, const scope *sc, const char *rest) {
    int col = 0;
    const char *s = positional(c, &col);
    if (!s) return err_at(c, c->tok[0].col, "'output' needs layer names, e.g. output classes,reconstruction");
    dc_status st = leftovers(c, "layer names separated by ','");
    if (st) return st;
    int idx[DC_LAYER_MAX_INPUTS], n = 0;
    for (const char *p = s; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char name[96];
        if (!len || len >= sizeof name || n == DC_LAYER_MAX_INPUTS) return err_at(c, col + (int)(p - s), "expected up to %d layer names separated by ','", DC_LAYER_MAX_INPUTS);
        memcpy(name, p, len);
        name[len] = 0;
        if ((idx[n++] = resolve(m, sc, name)) < 0) return unknown_input(c, col + (int)(p - s), name, rest);
        p += len + (e != NULL);
    }
    return model_err(c, dc_model_set_outputs(m, n, idx));
}

/* loss NAME output=LAYER target=label|input|ARRAY weight=W reduction=mean|sum name=PART */
static dc_status parse_loss(line_ctx *c, dc_model *m, const scope *sc, const char *rest) {
    int col = 0;
    const char *s = positional(c, &col);
    if (!s) return err_at(c, c->tok[0].col, "'loss' needs a name (mse, binary_crossentropy, categorical_crossentropy)");
    int kind = dc_loss_from_name(s);
    if (kind < 0) return err_at(c, col, "unknown loss \"%s\" (expected mse, binary_crossentropy, categorical_crossentropy)", s);
    dc_loss_spec sp = {.kind = (dc_loss_kind)kind, .output = -1, .target = DC_TARGET_LABEL, .weight = 1.0f};
    dc_status st = DC_OK;
    if ((s = opt(c, "output", &col)) && (sp.output = resolve(m, sc, s)) < 0) return unknown_input(c, col, s, rest);
    if ((s = opt(c, "target", &col))) {
        if (!strcmp(s, "input")) sp.target = DC_TARGET_INPUT;
        else if (strcmp(s, "label")) { /* a named array of the data */
            if (!dc_array_name_ok(s))
                return err_at(c, col, "target must be label, input or the name of a data array (letters, digits, _ . -; "
                                      "under %zu characters), not \"%s\"", sizeof sp.target_name, s);
            sp.target = DC_TARGET_NAMED;
            snprintf(sp.target_name, sizeof sp.target_name, "%s", s);
        }
    }
    if ((s = opt(c, "weight", &col)) && (st = parse_float(c, s, col, "weight", 0.0f, 1e6f, &sp.weight))) return st;
    if ((s = opt(c, "reduction", &col))) {
        if (!strcmp(s, "sum")) sp.sum = 1;
        else if (strcmp(s, "mean")) return err_at(c, col, "reduction must be mean or sum, not \"%s\"", s);
    }
    if ((s = opt(c, "name", &col))) {
        if (!*s || strlen(s) >= sizeof sp.name) return err_at(c, col, "a loss name has 1 to %zu characters", sizeof sp.name - 1);
        snprintf(sp.name, sizeof sp.name, "%s", s);
    }
    if ((st = leftovers(c, "a loss name, output, target, weight, reduction, name"))) return st;
    if (m->recipe.nlosses >= DC_LAYER_MAX_INPUTS) return err_at(c, c->tok[0].col, "at most %d loss lines", DC_LAYER_MAX_INPUTS);
    dc_loss_spec *ls = realloc(m->recipe.losses, sizeof *ls * (size_t)(m->recipe.nlosses + 1));
    if (!ls) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    m->recipe.losses = ls;
    m->recipe.losses[m->recipe.nlosses++] = sp;
    m->recipe.compiled = 1;
    return DC_OK;
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
    if (!st) m->recipe.opt = o;
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
    if (!st && (s = opt(c, "t_max", &col)) && strcmp(s, "auto") && !(st = parse_int(c, s, col, "t_max", 1, 1000000, &v)))
        sc.t_max = (int)v; /* auto (or none): the run's length, set when training starts */
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
    if (!st && (s = opt(c, "per", &col))) {
        if (!strcmp(s, "epoch") || !strcmp(s, "step")) sc.per_step = s[0] == 's';
        else st = err_at(c, col, "per must be epoch or step, not \"%s\"", s);
        if (!st && sc.per_step && sc.kind == DC_SCHED_PLATEAU) st = err_at(c, col, "a plateau schedule watches epochs: per=step does not apply");
    }
    if (!st && (s = opt(c, "monitor", &col))) {
        if (strcmp(s, "loss") && strcmp(s, "val_loss") && strcmp(s, "accuracy") && strcmp(s, "val_accuracy"))
            st = err_at(c, col, "monitor must be loss, val_loss, accuracy or val_accuracy, not \"%s\"", s);
        else snprintf(m->recipe.fit.schedule_monitor, sizeof m->recipe.fit.schedule_monitor, "%s", s);
        sc.mode_max = strstr(s, "accuracy") != NULL;
    }
    if (!st && (s = opt(c, "mode", &col))) {
        if (strcmp(s, "min") && strcmp(s, "max")) st = err_at(c, col, "mode must be min or max");
        else sc.mode_max = !strcmp(s, "max");
    }
    if (!st) st = leftovers(c, "step_size, gamma, milestones, t_max, t_0, t_mult, eta_min, factor, patience, threshold, cooldown, min_lr, monitor, mode, warmup, warmup_start, per");
    if (!st) {
        m->recipe.fit.schedule = sc;
        m->recipe.fit.has_schedule = 1;
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
    if (!st) m->recipe.fit.early_stopping = e;
    return st;
}

static dc_status parse_fit(line_ctx *c, dc_model *m) {
    int col = 0;
    long v;
    const char *s;
    dc_status st = DC_OK;
    dc_fit_config *f = &m->recipe.fit;
    if (!st && (s = opt(c, "epochs", &col)) && !(st = parse_int(c, s, col, "epochs", 1, 1000000, &v))) f->epochs = (int)v;
    if (!st && (s = opt(c, "batch_size", &col)) && !(st = parse_int(c, s, col, "batch_size", 1, 1 << 20, &v))) f->batch_size = (int)v;
    if (!st && (s = opt(c, "validation_split", &col))) st = parse_float(c, s, col, "validation_split", 0.0f, 0.99f, &f->validation_split);
    if (!st && (s = opt(c, "shuffle", &col))) st = parse_bool(c, s, col, "shuffle", &f->shuffle);
    if (!st && (s = opt(c, "seed", &col)) && !(st = parse_int(c, s, col, "seed", 0, 0x7fffffffL, &v))) f->seed = (uint64_t)v;
    if (!st && (s = opt(c, "steps_per_epoch", &col)) && !(st = parse_int(c, s, col, "steps_per_epoch", 1, 1L << 40, &v)))
        f->steps_per_epoch = v;
    if (!st && (s = opt(c, "accumulate", &col)) && !(st = parse_int(c, s, col, "accumulate", 1, 1 << 20, &v))) f->accumulate = (int)v;
    if (!st && (s = opt(c, "validation_steps", &col)) && !(st = parse_int(c, s, col, "validation_steps", 1, 1L << 40, &v)))
        f->validation_steps = v;
    if (!st) st = leftovers(c, "epochs, batch_size, validation_split, shuffle, seed, steps_per_epoch, validation_steps, accumulate");
    return st;
}


/* text column=text maxlen=200 num_words=10000 oov=true lowercase=true
 * level=word padding=pre truncating=pre */
/* A file a description names (vocab=, merges=): a relative path is taken
 * from the description's folder when the file is there (as an include is),
 * else as given (from the working folder, as before). */
static void near_description(const char *description, const char *path, char *out, size_t size) {
    const char *slash = strrchr(description, '/');
    snprintf(out, size, "%s", path);
    if (path[0] == '/' || !slash) return;
    char cand[512];
    int n = snprintf(cand, sizeof cand, "%.*s/%s", (int)(slash - description), description, path);
    if (n > 0 && (size_t)n < size && (size_t)n < sizeof cand && access(cand, R_OK) == 0) memcpy(out, cand, (size_t)n + 1);
}

static dc_status parse_text_line(line_ctx *c, dc_model *m) {
    int col = 0;
    long v;
    const char *s;
    dc_status st = DC_OK;
    dc_text_spec *t = &m->recipe.text;
    if (t->enabled) return err_at(c, c->tok[0].col, "a second 'text' line");
    *t = (dc_text_spec){1, "text", 200, 0, 0, {0, 1, 1, 0}, 0, 0, 0, "", ""};
    if ((s = opt(c, "column", &col))) {
        if (!*s || strlen(s) >= sizeof t->column) return err_at(c, col, "column: a name of 1 to %zu bytes", sizeof t->column - 1);
        snprintf(t->column, sizeof t->column, "%s", s);
    }
    if (!st && (s = opt(c, "maxlen", &col)) && !(st = parse_int(c, s, col, "maxlen", 1, 1 << 20, &v))) t->maxlen = (int)v;
    if (!st && (s = opt(c, "num_words", &col)) && !(st = parse_int(c, s, col, "num_words", 0, 1 << 26, &v))) t->tok.num_words = (int)v;
    if (!st && t->tok.num_words == 1) st = err_at(c, col, "num_words=1 leaves no word (0 is padding); use 0 (all) or 2 and up");
    if (!st && (s = opt(c, "oov", &col))) st = parse_bool(c, s, col, "oov", &t->tok.oov);
    if (!st && (s = opt(c, "lowercase", &col))) st = parse_bool(c, s, col, "lowercase", &t->tok.lowercase);
    if (!st && (s = opt(c, "level", &col))) {
        if (!strcmp(s, "word") || !strcmp(s, "char") || !strcmp(s, "bpe")) t->tok.char_level = s[0] == 'c', t->bpe = s[0] == 'b';
        else st = err_at(c, col, "level must be word, char or bpe, not \"%s\"", s);
    }
    if (!st && (s = opt(c, "padding", &col))) {
        if (!strcmp(s, "pre") || !strcmp(s, "post")) t->pad_post = s[1] == 'o';
        else st = err_at(c, col, "padding must be pre or post, not \"%s\"", s);
    }
    if (!st && (s = opt(c, "truncating", &col))) {
        if (!strcmp(s, "pre") || !strcmp(s, "post")) t->truncate_post = s[1] == 'o';
        else st = err_at(c, col, "truncating must be pre or post, not \"%s\"", s);
    }
    if (!st && (s = opt(c, "target", &col))) {
        if (!strcmp(s, "label") || !strcmp(s, "next") || !strcmp(s, "stream")) t->next = s[0] == 'n', t->stream = s[0] == 's';
        else st = err_at(c, col, "target must be label (a class per text), next (the next token: a language model) or stream "
                                 "(the next token, over one stream of text in windows), not \"%s\"", s);
    }
    if (!st && (s = opt(c, "vocab", &col))) {
        if (!*s || strlen(s) >= sizeof t->vocab) st = err_at(c, col, "vocab: a path of 1 to %zu bytes", sizeof t->vocab - 1);
        else near_description(c->file, s, t->vocab, sizeof t->vocab);
    }
    if (!st && (s = opt(c, "merges", &col))) {
        if (!*s || strlen(s) >= sizeof t->merges) st = err_at(c, col, "merges: a path of 1 to %zu bytes", sizeof t->merges - 1);
        else near_description(c->file, s, t->merges, sizeof t->merges);
    }
    if (!st && t->bpe && (!t->vocab[0] || !t->merges[0]))
        st = err_at(c, c->tok[0].col, "level=bpe needs vocab=encoder.json and merges=vocab.bpe (GPT-2's files: scripts/gpt2_bpe.sh)");
    if (!st && t->bpe && !t->stream) st = err_at(c, c->tok[0].col, "level=bpe reads a token stream: add target=stream");
    if (!st) st = leftovers(c, "column, maxlen, num_words, oov, lowercase, level, padding, truncating, target, vocab, merges");
    return st;
}

/* One line of the description. rest: the text after it (for messages). */
static dc_status parse_line(line_ctx *c, dc_model **mp, const scope *sc, const char *rest) {
    const char *kw = c->tok[0].text;
    if (!strcmp(kw, "input")) return parse_input(c, mp, sc, rest);
    dc_model *m = *mp;
    if (!m) return err_at(c, c->tok[0].col, "'%s' before 'input' (the first line must give the input shape, e.g. input 28x28)", kw);
    if (!strcmp(kw, "loss")) return parse_loss(c, m, sc, rest);
    if (!strcmp(kw, "output")) return parse_output(c, m, sc, rest);
    if (!strcmp(kw, "optimizer")) return parse_optimizer(c, m);
    if (!strcmp(kw, "fit")) return parse_fit(c, m);
    if (!strcmp(kw, "text")) return parse_text_line(c, m);
    if (!strcmp(kw, "schedule")) return parse_schedule(c, m);
    if (!strcmp(kw, "early_stopping")) return parse_early_stopping(c, m);
    const dc_layer_type *t = dc_layer_type_find(kw);
    if (t && (!strcmp(kw, "embedding") || !strcmp(kw, "dense"))) { /* `auto` rows: the vocabulary's size (issue 16) */
        for (int i = 1; i < c->ntok; i++) {
            char *v = c->tok[i].text, *eq = strchr(v, '=');
            const int positional = !eq && i == 1, named = eq && !strcmp(eq + 1, "auto") &&
                                   (!strncmp(v, "input_dim=", 10) || !strncmp(v, "units=", 6));
            if (!(positional && !strcmp(v, "auto")) && !named) continue;
            if (c->auto_vocab == 0)
                return err_at(c, c->tok[i].col, "'%s auto' takes its size from the text line's vocabulary, fitted on the "
                                                "data: train it with --data", kw);
            char num[32];
            snprintf(num, sizeof num, "%lld", (long long)(c->auto_vocab > 0 ? c->auto_vocab : 2));
            if (named) snprintf(eq + 1, sizeof c->tok[i].text - (size_t)(eq + 1 - v), "%s", num);
            else snprintf(v, sizeof c->tok[i].text, "%s", num);
            m->meta.auto_vocab = 1, m->meta.vocab_rows = c->auto_vocab > 0 ? c->auto_vocab : 2;
        }
    }
    if (t) return parse_layer(c, m, t, 0, sc, rest);
    if (dc_activation_from_name(kw) >= 0) return parse_layer(c, m, &dc_layer_activation, 1, sc, rest);
    char kinds[1024] = "";
    size_t k = 0;
    for (int i = 0; i < dc_layer_type_count() && k < sizeof kinds; i++)
        k += (size_t)snprintf(kinds + k, sizeof kinds - k, "%s, ", dc_layer_type_at(i)->keyword);
    char near[64];
    const char *s = dc_did_you_mean_in(kw, kinds, near, sizeof near);
    if (!s) s = dc_did_you_mean_in(kw, "output repeat end loss optimizer schedule early_stopping fit text relu sigmoid tanh softmax gelu", near, sizeof near);
    return err_at(c, c->tok[0].col, "unknown keyword \"%s\"%s%s%s (expected %san activation, output, repeat, loss, optimizer, schedule, early_stopping, fit, text)",
                  kw, s ? ": did you mean \"" : "", s ? s : "", s ? "\"?" : "", kinds);
}

/* ---- the whole text: lines, repeat blocks -------------------------------------- */

typedef struct {
    const char *p;   /* start of the line */
    size_t len;
    int no;          /* 1-based line number */
} text_line;

static dc_status parse_block(line_ctx *c, dc_model **mp, const text_line *ln, int a, int b, const scope *sc, int depth);

/* repeat N ... end: parse the block N times, each copy in its own scope. */
static dc_status parse_repeat(line_ctx *c, dc_model **mp, const text_line *ln, int *i, int b, const scope *sc, int depth) {
    int col = 0;
    long times;
    const char *s = positional(c, &col);
    if (!s) return err_at(c, c->tok[0].col, "'repeat' needs a count, e.g. repeat 4 (then the block, then 'end')");
    dc_status st = parse_int(c, s, col, "repeat count", 1, 10000, &times);
    if (!st) st = leftovers(c, "a count");
    if (st) return st;
    if (!*mp) return err_at(c, c->tok[0].col, "'repeat' before 'input'");
    if (depth >= 8) return err_at(c, c->tok[0].col, "repeat blocks nested more than 8 deep");
    int open_line = c->line, nest = 1, j = *i + 1;
    for (; j < b; j++) { /* the matching end */
        if (++c->work > DESCRIBE_MAX_WORK) break;
        line_ctx t = {.file = c->file, .line = ln[j].no};
        if (tokenize(&t, ln[j].p, ln[j].len)) return DC_ERR_FORMAT;
        if (t.ntok && !strcmp(t.tok[0].text, "repeat")) nest++;
        if (t.ntok && !strcmp(t.tok[0].text, "end") && --nest == 0) break;
    }
    if (c->work > DESCRIBE_MAX_WORK)
        return err_at(c, 1, "the repeat blocks expand the description to over %d lines; nest fewer or smaller ones",
                      DESCRIBE_MAX_WORK);
    if (j == b) return err_at(c, 1, "'repeat' without a matching 'end' (opened on line %d)", open_line);
    for (long k = 1; k <= times; k++) {
        scope inner = {"", (*mp)->nnodes, (*mp)->nnodes - 1};
        if (strlen(sc->suffix) + 8 >= sizeof inner.suffix) return err_at(c, c->tok[0].col, "repeat blocks nested too deep");
        snprintf(inner.suffix, sizeof inner.suffix, "%.32s_%d", sc->suffix, (int)k);
        if ((st = parse_block(c, mp, ln, *i + 1, j, &inner, depth + 1))) return st;
    }
    *i = j;
    return DC_OK;
}

static dc_status parse_block(line_ctx *c, dc_model **mp, const text_line *ln, int a, int b, const scope *sc, int depth) {
    for (int i = a; i < b; i++) {
        c->line = ln[i].no;
        if (++c->work > DESCRIBE_MAX_WORK)
            return err_at(c, 1, "the repeat blocks expand the description to over %d lines; nest fewer or smaller ones",
                          DESCRIBE_MAX_WORK);
        if (tokenize(c, ln[i].p, ln[i].len)) return DC_ERR_FORMAT;
        if (!c->ntok) continue;
        dc_status st;
        if (!strcmp(c->tok[0].text, "repeat")) st = parse_repeat(c, mp, ln, &i, b, sc, depth);
        else if (!strcmp(c->tok[0].text, "end")) st = err_at(c, c->tok[0].col, "'end' without 'repeat'");
        else st = parse_line(c, mp, sc, ln[i].p + ln[i].len);
        if (st) return st;
    }
    return DC_OK;
}

/* After the last line: every layer is used, losses point at outputs. */
static dc_status finish_graph(line_ctx *c, dc_model *m) {
    int bad = dc_model_dangling_node(m);
    if (bad >= 0) {
        const dc_layer *l = m->nodes[bad];
        c->line = l->line;
        return err_at(c, 1, "layer \"%s\" is not used: its output goes nowhere (feed it to a layer with inputs=, or list it in an 'output' line)", l->name);
    }
    int nout = m->noutputs ? m->noutputs : 1;
    for (int i = 0; i < m->recipe.nlosses; i++) {
        dc_loss_spec *s = &m->recipe.losses[i];
        if (s->output < 0) {
            if (nout > 1)
                return dc_set_error(DC_ERR_FORMAT, "%s: the model has %d outputs: each 'loss' line names its output (loss mse output=NAME)", c->file, nout);
            s->output = m->noutputs ? m->outputs[0] : m->nnodes - 1;
        }
        if (!s->name[0]) snprintf(s->name, sizeof s->name, "%.31s", m->recipe.nlosses == 1 ? "loss" : m->nodes[s->output]->name);
    }
    if (nout > 1 && m->recipe.nlosses == 0)
        return dc_set_error(DC_ERR_FORMAT, "%s: the model has %d outputs: give a 'loss' line for each (loss mse output=NAME)", c->file, nout);
    return dc_model_default_losses(m);
}

dc_model *dc_model_parse(const char *text, const char *filename) { return dc_model_parse_auto(text, filename, 0, NULL); }

static dc_model *parse_text(const char *text, const char *filename, int in_ndim, const int64_t *in_shape, int64_t vocab, int build);

dc_model *dc_model_parse_auto(const char *text, const char *filename, int in_ndim, const int64_t *in_shape) {
    return parse_text(text, filename, in_ndim, in_shape, 0, 1);
}

dc_model *dc_model_parse_unbuilt(const char *text, const char *filename, int in_ndim, const int64_t *in_shape, int64_t vocab) {
    return parse_text(text, filename, in_ndim, in_shape, vocab, 0);
}

static dc_model *parse_text(const char *text, const char *filename, int in_ndim, const int64_t *in_shape, int64_t vocab, int build) {
    line_ctx c = {.file = filename ? filename : "<description>", .auto_ndim = in_ndim, .auto_shape = in_shape, .auto_vocab = vocab};
    dc_model *m = NULL;
    size_t total = strlen(text);
    if (total > (1u << 20)) {
        dc_set_error(DC_ERR_FORMAT, "%s: description is larger than 1 MiB", c.file);
        return NULL;
    }
    int nlines = 1;
    for (const char *q = text; *q; q++) nlines += *q == '\n';
    text_line *ln = malloc(sizeof *ln * (size_t)nlines);
    if (!ln) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    int n = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        ln[n] = (text_line){p, len, n + 1};
        if (len > MAX_LINE) {
            c.line = n + 1;
            err_at(&c, MAX_LINE, "line longer than %d characters", MAX_LINE);
            goto fail;
        }
        size_t bad = dc_utf8_invalid_at(p, len);
        if (bad < len) { /* the text goes into the model file, whose metadata is UTF-8 */
            c.line = n + 1;
            err_at(&c, (int)bad + 1, "byte 0x%02X is not UTF-8 (a description is UTF-8 text)", (unsigned char)p[bad]);
            goto fail;
        }
        n++;
        p = nl ? nl + 1 : p + len;
    }
    scope top = {"", 0, -1};
    if (parse_block(&c, &m, ln, 0, n, &top, 0)) goto fail;
    if (!m) {
        dc_set_error(DC_ERR_FORMAT, "%s: no 'input' line: a description starts with the input shape (e.g. input 28x28)", c.file);
        goto fail;
    }
    if (dc_model_num_layers(m) == 0) {
        dc_set_error(DC_ERR_FORMAT, "%s: the description has no layers", c.file);
        goto fail;
    }
    if (finish_graph(&c, m)) goto fail;
    const dc_text_spec *ts = &m->recipe.text;
    if (ts->enabled && m->in_ndim > 0 && (m->in_ndim != 1 || m->in_shape[0] != ts->maxlen)) {
        /* checked here, so a model file says it at load, before eval or
         * predict tokenize every row into maxlen ids (F09) */
        dc_set_error(DC_ERR_FORMAT, "%s: the text line's maxlen=%d must be the input's length (input %lld%s)", c.file, ts->maxlen,
                     (long long)m->in_shape[0], m->in_ndim > 1 ? "x..." : "");
        goto fail;
    }
    if (!(m->meta.description = strdup(text))) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (build && dc_model_build(m, m->recipe.fit.seed)) {
        char msg[768];
        snprintf(msg, sizeof msg, "%s", dc_last_error());
        dc_set_error(DC_ERR_INVALID, "%s: %s", c.file, msg);
        goto fail;
    }
    free(ln);
    return m;
fail:
    free(ln);
    dc_model_free(m);
    return NULL;
}

dc_model *dc_model_parse_file(const char *path) { return dc_model_parse_file_auto(path, 0, NULL); }

static dc_model *parse_file(const char *path, int in_ndim, const int64_t *in_shape, int64_t vocab);

dc_model *dc_model_parse_file_auto(const char *path, int in_ndim, const int64_t *in_shape) { return parse_file(path, in_ndim, in_shape, 0); }

dc_model *dc_model_parse_file_vocab(const char *path, int64_t vocab) { return parse_file(path, 0, NULL, vocab); }

int dc_model_vocab_auto(const dc_model *m) { return m->meta.auto_vocab; }

static dc_model *parse_file(const char *path, int in_ndim, const int64_t *in_shape, int64_t vocab) {
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
    dc_model *m = parse_text(buf, path, in_ndim, in_shape, vocab, 1);
    free(buf);
    return m;
}

/* ---- writing a model back as text (models built in C) ---------------------------- */

static void write_optimizer(const dc_opt_config *o, dc_strbuf *b) {
    dc_opt_config d;
    dc_opt_from_name(dc_opt_name(o->kind), &d);
    char num[32];
    dc_float_str(num, sizeof num, o->lr);
    dc_sb_printf(b, "optimizer %s lr=%s", dc_opt_name(o->kind), num);
    static const struct { const char *key; size_t off; int is_int; } f[] = {
        {"momentum", offsetof(dc_opt_config, momentum), 0}, {"dampening", offsetof(dc_opt_config, dampening), 0},
        {"nesterov", offsetof(dc_opt_config, nesterov), 1}, {"beta1", offsetof(dc_opt_config, beta1), 0},
        {"beta2", offsetof(dc_opt_config, beta2), 0}, {"eps", offsetof(dc_opt_config, eps), 0},
        {"amsgrad", offsetof(dc_opt_config, amsgrad), 1}, {"alpha", offsetof(dc_opt_config, alpha), 0},
        {"centered", offsetof(dc_opt_config, centered), 1}, {"lr_decay", offsetof(dc_opt_config, lr_decay), 0},
        {"initial_accumulator_value", offsetof(dc_opt_config, initial_accumulator_value), 0},
        {"weight_decay", offsetof(dc_opt_config, weight_decay), 0}, {"clipnorm", offsetof(dc_opt_config, clip_norm), 0},
        {"clipvalue", offsetof(dc_opt_config, clip_value), 0}};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        const char *v = (const char *)o + f[i].off, *dv = (const char *)&d + f[i].off;
        if (f[i].is_int && *(const int *)v != *(const int *)dv) dc_sb_printf(b, " %s=%s", f[i].key, *(const int *)v ? "true" : "false");
        if (!f[i].is_int && *(const float *)v != *(const float *)dv) {
            dc_float_str(num, sizeof num, *(const float *)v);
            dc_sb_printf(b, " %s=%s", f[i].key, num);
        }
    }
    dc_sb_puts(b, "\n");
}

char *dc_model_write_description(const dc_model *m) {
    dc_strbuf b = {0};
    dc_sb_puts(&b, "# written by deepc from a model built in C\n");
    for (int i = 0; i < m->nnodes; i++) {
        const dc_layer *l = m->nodes[i];
        dc_sb_puts(&b, l->type->keyword);
        dc_layer_options_write(l->type, l->cfg, &b);
        if (l->named && !(i == 0 && !strcmp(l->name, "input"))) dc_sb_printf(&b, " name=%s", l->name);
        if (l->frozen) dc_sb_printf(&b, " trainable=false");
        if (l->wdtype != DC_F32) dc_sb_printf(&b, " weights=%s", dc_weights_name(l->wdtype));
        if (l->act_static) dc_sb_puts(&b, " activations=static");
        if (l->nin > 1 || (l->nin == 1 && l->in[0] != i - 1))
            for (int k = 0; k < l->nin; k++) dc_sb_printf(&b, "%s%s", k ? "," : " inputs=", m->nodes[l->in[k]]->name);
        dc_sb_puts(&b, "\n");
    }
    for (int k = 0; k < m->noutputs; k++) dc_sb_printf(&b, "%s%s", k ? "," : "output ", m->nodes[m->outputs[k]]->name);
    if (m->noutputs) dc_sb_puts(&b, "\n");
    for (int k = 0; k < m->recipe.nlosses; k++) {
        const dc_loss_spec *s = &m->recipe.losses[k];
        dc_sb_printf(&b, "loss %s output=%s target=%s name=%s", dc_loss_name(s->kind), m->nodes[s->output]->name,
                     s->target == DC_TARGET_INPUT ? "input" : s->target == DC_TARGET_NAMED ? s->target_name : "label", s->name);
        char num[32];
        dc_float_str(num, sizeof num, s->weight);
        if (s->weight != 1.0f) dc_sb_printf(&b, " weight=%s", num);
        if (s->sum) dc_sb_puts(&b, " reduction=sum");
        dc_sb_puts(&b, "\n");
    }
    if (!m->recipe.nlosses && m->recipe.compiled) dc_sb_printf(&b, "loss %s\n", dc_loss_name(m->recipe.loss));
    write_optimizer(&m->recipe.opt, &b);
    const dc_fit_config *f = &m->recipe.fit;
    char vs[32];
    dc_float_str(vs, sizeof vs, f->validation_split);
    dc_sb_printf(&b, "fit epochs=%d batch_size=%d validation_split=%s shuffle=%s seed=%llu", f->epochs, f->batch_size, vs, f->shuffle ? "true" : "false", (unsigned long long)f->seed);
    if (f->steps_per_epoch > 0) dc_sb_printf(&b, " steps_per_epoch=%lld", (long long)f->steps_per_epoch);
    if (f->validation_steps > 0) dc_sb_printf(&b, " validation_steps=%lld", (long long)f->validation_steps);
    if (f->accumulate > 1) dc_sb_printf(&b, " accumulate=%d", f->accumulate);
    dc_sb_puts(&b, "\n");
    if (b.oom) {
        free(b.s);
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return b.s;
}
