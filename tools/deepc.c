/* deepc.c — the deepc command: train, eval, predict, summary.
 * Every command takes --json (one JSON object as the last line of stdout)
 * and --help; any error prints "deepc: <message>" and exits non-zero. */
#include "cli_util.h"
#include <deepc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *usage_text =
    "usage: deepc COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  train DESCRIPTION --data DATA [--out MODEL.safetensors] [--epochs N] [--batch-size B]\n"
    "        [--lr X] [--seed S] [--validation-split F] [--limit N] [--threads T] [--json]\n"
    "        [--log FILE.csv] [--plot FILE.svg] [--checkpoint FILE [--checkpoint-every N]]\n"
    "        [--checkpoint-best FILE] [--stop-after BATCHES]\n"
    "      Train the model described in DESCRIPTION (models/*.dc), save it, print test metrics.\n"
    "  train --resume MODEL --data DATA [--epochs N] [--out FILE] ...\n"
    "      Continue a saved run exactly where it stopped (Ctrl-C, --stop-after, a checkpoint).\n"
    "  eval MODEL --data DATA [--batch-size B] [--limit N] [--threads T] [--json]\n"
    "      Loss and accuracy of a saved model on the test split.\n"
    "  predict MODEL --data DATA [--limit N] [--threads T] [--json]\n"
    "      One predicted class per line for the test split.\n"
    "  summary MODEL_OR_DESCRIPTION [--json]\n"
    "      Layers, output shapes and parameter counts.\n"
    "\n"
    "DATA is 'fashion-mnist' (Debian's dataset-fashion-mnist under /usr/share/datasets),\n"
    "'mnist', or a folder holding the four MNIST-format IDX files (.gz or raw).\n"
    "Threads default to DEEPC_NUM_THREADS, OMP_NUM_THREADS or the number of cores.\n";

typedef struct {
    const char *cmd, *target, *data, *out;
    const char *resume, *checkpoint, *best, *log, *plot;
    long epochs, batch, seed, limit, threads, ckpt_every, stop_after;
    double lr, vsplit;
    int json, quiet;
} args;

static int fail(const char *what) {
    fprintf(stderr, "deepc: %s%s%s\n", what, *dc_last_error() ? ": " : "", dc_last_error());
    return 1;
}

static int parse_args(int argc, char **argv, args *a) {
    memset(a, 0, sizeof *a);
    a->lr = -1;
    a->vsplit = -1;
    a->seed = -1;
    a->cmd = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV()                                                              \
    do {                                                                     \
        if (!v) {                                                            \
            fprintf(stderr, "deepc: %s needs a value (deepc %s --help)\n", o, a->cmd); \
            return -1;                                                       \
        }                                                                    \
        i++;                                                                 \
    } while (0)
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            fputs(usage_text, stdout);
            exit(0);
        } else if (!strcmp(o, "--json")) a->json = 1;
        else if (!strcmp(o, "--quiet")) a->quiet = 1;
        else if (!strcmp(o, "--data")) { NEEDV(); a->data = v; }
        else if (!strcmp(o, "--out")) { NEEDV(); a->out = v; }
        else if (!strcmp(o, "--resume")) { NEEDV(); a->resume = v; }
        else if (!strcmp(o, "--checkpoint")) { NEEDV(); a->checkpoint = v; }
        else if (!strcmp(o, "--checkpoint-best")) { NEEDV(); a->best = v; }
        else if (!strcmp(o, "--log")) { NEEDV(); a->log = v; }
        else if (!strcmp(o, "--plot")) { NEEDV(); a->plot = v; }
        else if (!strcmp(o, "--checkpoint-every")) { NEEDV(); if (cli_int(o, v, 1, 1000000, &a->ckpt_every)) return -1; }
        else if (!strcmp(o, "--stop-after")) { NEEDV(); if (cli_int(o, v, 1, 1L << 40, &a->stop_after)) return -1; }
        else if (!strcmp(o, "--epochs")) { NEEDV(); if (cli_int(o, v, 1, 1000000, &a->epochs)) return -1; }
        else if (!strcmp(o, "--batch-size")) { NEEDV(); if (cli_int(o, v, 1, 1 << 20, &a->batch)) return -1; }
        else if (!strcmp(o, "--seed")) { NEEDV(); if (cli_int(o, v, 0, 0x7fffffffL, &a->seed)) return -1; }
        else if (!strcmp(o, "--limit")) { NEEDV(); if (cli_int(o, v, 1, 1L << 40, &a->limit)) return -1; }
        else if (!strcmp(o, "--threads")) { NEEDV(); if (cli_int(o, v, 1, 1024, &a->threads)) return -1; }
        else if (!strcmp(o, "--lr")) { NEEDV(); if (cli_float(o, v, 0.0, 1e6, &a->lr)) return -1; }
        else if (!strcmp(o, "--validation-split")) { NEEDV(); if (cli_float(o, v, 0.0, 0.99, &a->vsplit)) return -1; }
        else if (o[0] == '-' && o[1]) {
            fprintf(stderr, "deepc: unknown option %s (deepc %s --help)\n", o, a->cmd);
            return -1;
        } else if (!a->target) a->target = o;
        else {
            fprintf(stderr, "deepc: unexpected argument \"%s\"\n", o);
            return -1;
        }
#undef NEEDV
    }
    dc_set_num_threads((int)a->threads);
    return 0;
}

/* The first n samples of d, in place (n < d->n). */
static void truncate_dataset(dc_dataset *d, long n) {
    if (n > 0 && n < d->n) d->n = n;
}

static int need(const args *a, const char *what, const char *v) {
    if (v) return 0;
    fprintf(stderr, "deepc: %s needs %s (deepc %s --help)\n", a->cmd, what, a->cmd);
    return 1;
}

static int ends_with(const char *s, const char *suf) {
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && !strcmp(s + n - k, suf);
}

static void print_json_history(const dc_history *h) {
    printf("[");
    for (int e = 0; e < h->epochs_run; e++) {
        const dc_epoch_stats *s = &h->epoch[e];
        printf("%s{\"epoch\":%d,\"loss\":", e ? "," : "", e + 1);
        cli_json_number(stdout, s->loss);
        printf(",\"accuracy\":");
        cli_json_number(stdout, s->accuracy);
        printf(",\"val_loss\":");
        cli_json_number(stdout, s->val_loss);
        printf(",\"val_accuracy\":");
        cli_json_number(stdout, s->val_accuracy);
        printf(",\"lr\":");
        cli_json_number(stdout, s->lr);
        printf(",\"seconds\":");
        cli_json_number(stdout, s->seconds);
        printf("}");
    }
    printf("]");
}

static int cmd_train(const args *a) {
    if (!a->resume && need(a, "a DESCRIPTION file (or --resume MODEL)", a->target)) return 2;
    if (need(a, "--data", a->data)) return 2;
    dc_train_state *state = NULL;
    dc_model *m = a->resume ? dc_model_load_state(a->resume, &state) : dc_model_parse_file(a->target);
    if (!m) return fail(a->resume ? "cannot load the model to resume" : "cannot read the model description");
    if (a->resume && !state) {
        dc_model_free(m);
        fprintf(stderr, "deepc: %s holds no training state to resume (it was not saved by deepc train)\n", a->resume);
        return 1;
    }
    if (state && dc_train_state_done(state) && (a->epochs <= 0 || a->epochs <= dc_train_state_epoch(state))) {
        printf("%s already finished its %d epochs; pass --epochs N (more than %d) to train further\n", a->resume,
               dc_train_state_epoch(state), dc_train_state_epoch(state));
        dc_train_state_free(state);
        dc_model_free(m);
        return 0;
    }
    if (!state && !(state = dc_train_state_new())) {
        dc_model_free(m);
        return fail("out of memory");
    }
    char outbuf[1024];
    const char *out = a->out;
    if (!out && a->resume) out = a->resume;
    if (!out) { /* models/fashion_mlp.dc -> fashion_mlp.safetensors */
        const char *base = strrchr(a->target, '/');
        base = base ? base + 1 : a->target;
        const char *dot = strrchr(base, '.');
        snprintf(outbuf, sizeof outbuf, "%.*s.safetensors", (int)(dot ? dot - base : (long)strlen(base)), base);
        out = outbuf;
    }
    if (a->lr >= 0) {
        dc_opt_config o = *dc_model_optimizer(m);
        o.lr = (float)a->lr;
        dc_model_compile(m, dc_model_loss(m), o);
    }
    int rc = 0;
    dc_history h = {0};
    dc_dataset *train = dc_mnist_load(a->data, "train"), *test = NULL;
    if (!train) {
        rc = fail("cannot load the training data");
        goto done;
    }
    if (!(test = dc_mnist_load(a->data, "test"))) {
        rc = fail("cannot load the test data");
        goto done;
    }
    /* a resumed run uses the samples it started with (--limit included) */
    truncate_dataset(train, a->limit ? a->limit : (long)dc_train_state_samples(state));
    dc_fit_options fo = {.epochs = (int)a->epochs, .batch_size = (int)a->batch, .validation_split = (float)a->vsplit,
                         .shuffle = -1, .seed = a->seed >= 0 ? (uint64_t)a->seed : 0, .verbose = !a->quiet,
                         .handle_sigint = 1, .stop_after_steps = a->stop_after, .state = state,
                         .checkpoint = a->checkpoint, .checkpoint_every = (int)a->ckpt_every,
                         .best_checkpoint = a->best, .log_csv = a->log};
    if (!a->quiet && !a->resume) dc_model_summary(m, stdout);
    if (!a->quiet && a->resume) printf("Resuming %s after epoch %d\n", a->resume, dc_train_state_epoch(state));
    fflush(stdout); /* the summary shows before training starts, even in a pipe */
    dc_status st = dc_fit(m, train, &fo, &h);
    if (st && st != DC_ERR_INTERRUPTED) {
        rc = fail("training failed");
        goto done;
    }
    /* save even after Ctrl-C: the weights of the last finished batch, and
     * the state to resume from */
    if (dc_model_save_state(m, state, out)) {
        rc = fail("cannot save the model");
        goto done;
    }
    if (a->plot && dc_plot_history_svg(&h, a->plot)) {
        rc = fail("cannot write the plot");
        goto done;
    }
    if (st == DC_ERR_INTERRUPTED) {
        fprintf(stderr, "deepc: interrupted; the model so far is saved in %s (continue with --resume %s)\n", out, out);
        rc = 130;
        goto done;
    }
    double loss, acc;
    if (dc_evaluate(m, test, 256, &loss, &acc)) {
        rc = fail("evaluation failed");
        goto done;
    }
    if (!a->quiet) printf("Saved %s\nTest accuracy: %.4f - test loss: %.4f\n", out, acc, loss);
    if (a->json) {
        double secs = 0;
        int timed = 0;
        for (int e = 0; e < h.epochs_run; e++)
            if (h.epoch[e].seconds > 0) secs += h.epoch[e].seconds, timed++;
        printf("{\"command\":\"train\",\"model\":");
        cli_json_string(stdout, out);
        printf(",\"epochs\":%d,\"stopped_early\":%s,\"best_epoch\":%d,\"history\":", h.epochs_run,
               h.stopped_early ? "true" : "false", h.best_epoch);
        print_json_history(&h);
        printf(",\"seconds_per_epoch\":");
        cli_json_number(stdout, timed ? secs / timed : NAN);
        printf(",\"threads\":%d,\"test_loss\":", dc_get_num_threads());
        cli_json_number(stdout, loss);
        printf(",\"test_accuracy\":");
        cli_json_number(stdout, acc);
        printf("}\n");
    }
done:
    dc_history_free(&h);
    dc_train_state_free(state);
    dc_dataset_free(train);
    dc_dataset_free(test);
    dc_model_free(m);
    return rc;
}

static int cmd_eval(const args *a) {
    if (need(a, "a MODEL file", a->target) || need(a, "--data", a->data)) return 2;
    dc_model *m = dc_model_load(a->target);
    if (!m) return fail("cannot load the model");
    dc_dataset *test = dc_mnist_load(a->data, "test");
    if (!test) {
        dc_model_free(m);
        return fail("cannot load the test data");
    }
    truncate_dataset(test, a->limit);
    double loss, acc;
    int rc = 0;
    if (dc_evaluate(m, test, a->batch ? (int)a->batch : 256, &loss, &acc)) rc = fail("evaluation failed");
    else {
        printf("%lld test samples - test loss: %.4f - test accuracy: %.4f\n", (long long)test->n, loss, acc);
        if (a->json) {
            printf("{\"command\":\"eval\",\"samples\":%lld,\"test_loss\":", (long long)test->n);
            cli_json_number(stdout, loss);
            printf(",\"test_accuracy\":");
            cli_json_number(stdout, acc);
            printf("}\n");
        }
    }
    dc_dataset_free(test);
    dc_model_free(m);
    return rc;
}

static int cmd_predict(const args *a) {
    if (need(a, "a MODEL file", a->target) || need(a, "--data", a->data)) return 2;
    dc_model *m = dc_model_load(a->target);
    if (!m) return fail("cannot load the model");
    dc_dataset *test = dc_mnist_load(a->data, "test");
    if (!test) {
        dc_model_free(m);
        return fail("cannot load the test data");
    }
    int64_t n = a->limit > 0 && a->limit < test->n ? a->limit : test->n;
    int64_t oshape[DC_MAX_DIMS];
    int nd = dc_model_output_shape(m, oshape);
    int64_t C = 1;
    for (int i = 0; i < nd; i++) C *= oshape[i];
    float *out = malloc(sizeof(float) * (size_t)(n * C));
    int rc = 0;
    if (!out) rc = fail("out of memory");
    else if (dc_predict(m, test, n, 256, out)) rc = fail("prediction failed");
    else {
        for (int64_t i = 0; i < n; i++) {
            const float *r = out + i * C;
            int64_t best = 0;
            if (C == 1) best = r[0] >= 0.5f;
            for (int64_t k = 1; k < C; k++)
                if (r[k] > r[best]) best = k;
            printf("%lld\n", (long long)best);
        }
        if (a->json) {
            printf("{\"command\":\"predict\",\"count\":%lld,\"predictions\":[", (long long)n);
            for (int64_t i = 0; i < n; i++) {
                const float *r = out + i * C;
                int64_t best = 0;
                if (C == 1) best = r[0] >= 0.5f;
                for (int64_t k = 1; k < C; k++)
                    if (r[k] > r[best]) best = k;
                printf("%s%lld", i ? "," : "", (long long)best);
            }
            printf("]}\n");
        }
    }
    free(out);
    dc_dataset_free(test);
    dc_model_free(m);
    return rc;
}

static int cmd_summary(const args *a) {
    if (need(a, "a MODEL or DESCRIPTION file", a->target)) return 2;
    dc_model *m = ends_with(a->target, ".safetensors") ? dc_model_load(a->target) : dc_model_parse_file(a->target);
    if (!m) return fail("cannot read the model");
    dc_model_summary(m, stdout);
    if (a->json) {
        printf("{\"command\":\"summary\",\"params\":%lld,\"layers\":[", (long long)dc_model_num_params(m));
        for (int i = 0; i < dc_model_num_layers(m); i++) {
            dc_layer *l = dc_model_layer(m, i);
            printf("%s{\"name\":", i ? "," : "");
            cli_json_string(stdout, l->name);
            printf(",\"output_shape\":[");
            for (int d = 0; d < l->out_ndim; d++) printf("%s%lld", d ? "," : "", (long long)l->out_shape[d]);
            printf("]}");
        }
        printf("]}\n");
    }
    dc_model_free(m);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("deepc %s\n", DEEPC_VERSION);
        return 0;
    }
    args a;
    if (parse_args(argc, argv, &a)) return 2;
    if (!strcmp(a.cmd, "train")) return cmd_train(&a);
    if (!strcmp(a.cmd, "eval")) return cmd_eval(&a);
    if (!strcmp(a.cmd, "predict")) return cmd_predict(&a);
    if (!strcmp(a.cmd, "summary")) return cmd_summary(&a);
    fprintf(stderr, "deepc: unknown command \"%s\" (deepc --help)\n", a.cmd);
    return 2;
}
