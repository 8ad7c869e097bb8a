/* deepc.c — the deepc command: argument parsing and train, eval, predict,
 * summary, augment, cv (tokenize, tokenizer, import-gpt2, generate,
 * transform and export live in the other cli_*.c files; the help pages in
 * cli_help.c).
 * Every command takes --json (one JSON object as the last line of stdout)
 * and --help; any error prints "deepc: <message>" and exits non-zero
 * (1 for errors, 2 for usage, 130 after Ctrl-C once the model is saved). */
#include "cli_data.h"
#include "cli_predict.h"
#include "cli_help.h"
#include "cli_generate.h"
#include "cli_mpi.h"
#include "cli_outputs.h"
#include "cli_report.h"
#include "cli_util.h"
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

static int parse_args(int argc, char **argv, cli_args *a) {
    memset(a, 0, sizeof *a);
    a->lr = -1;
    a->vsplit = -1;
    a->seed = -1;
    a->test_split = -1;
    a->skip_rows = -1;
    a->max_tokens = 200;
    a->temperature = 1.0;
    a->alpha = 0.5;
    a->cmd = argv[1];
    const command_help *help = cli_find_command(a->cmd);
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char key[64];
        int inline_value = 0; /* --key=value */
        if (!strncmp(o, "--", 2) && strchr(o, '=') && strchr(o, '=') - o < (ptrdiff_t)sizeof key) {
            snprintf(key, sizeof key, "%.*s", (int)(strchr(o, '=') - o), o);
            v = strchr(o, '=') + 1;
            o = key;
            inline_value = 1;
        }
#define NEEDV()                                                                         \
    do {                                                                                \
        if (!v) {                                                                       \
            fprintf(stderr, "deepc: %s needs a value (deepc %s --help)\n", o, a->cmd); \
            return -1;                                                                  \
        }                                                                               \
        if (!inline_value) i++;                                                         \
    } while (0)
#define STR(flag, field) else if (!strcmp(o, flag)) { NEEDV(); a->field = v; }
#define INT(flag, field, lo, hi) else if (!strcmp(o, flag)) { NEEDV(); if (cli_int(o, v, lo, hi, &a->field)) return -1; }
#define DBL(flag, field, lo, hi) else if (!strcmp(o, flag)) { NEEDV(); if (cli_float(o, v, lo, hi, &a->field)) return -1; }
#define FLAG(flag, field) else if (!strcmp(o, flag)) { if (inline_value) { fprintf(stderr, "deepc: %s takes no value\n", o); return -1; } a->field = 1; }
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            if (help) cli_command_usage(help, stdout);
            else cli_overview(stdout);
            exit(0);
        }
        FLAG("--json", json) FLAG("--all-rows", all_rows) FLAG("--probabilities", probabilities) FLAG("--latent", latent) FLAG("--reconstruction", reconstruction) STR("--layer", layer) FLAG("--quiet", quiet) FLAG("--force", force) FLAG("--regression", regression)
        FLAG("--stratify", stratify) FLAG("--shard-optimizer", shard_optimizer) FLAG("--overlap", overlap) FLAG("--shard-data", shard_data)
        STR("--data", data) STR("--out", out) STR("--resume", resume) STR("--checkpoint", checkpoint)
        STR("--checkpoint-best", best) STR("--log", log) STR("--plot", plot) STR("--label", label)
        STR("--features", features) STR("--drop", drop) STR("--format", format) STR("--names", names) FLAG("--weights-only", weights_only) STR("--missing", missing) STR("--scale", scale) STR("--augment", augment)
        STR("--validation-data", validation_data) STR("--text", text) STR("--init-from", init_from) STR("--freeze", freeze) STR("--embeddings", embeddings) FLAG("--grayscale", grayscale) FLAG("--skip-bad", skip_bad)
        INT("--epochs", epochs, 1, 1000000) INT("--batch-size", batch, 1, 1 << 20) INT("--seed", seed, 0, 0x7fffffffL)
        INT("--limit", limit, 1, 1L << 40) INT("--threads", threads, 1, 1024) INT("--checkpoint-every", ckpt_every, 1, 1000000)
        INT("--stop-after", stop_after, 1, 1L << 40) INT("--folds", folds, 2, 1000) INT("--skip-rows", skip_rows, 0, 1000000)
        INT("--pca", pca, 1, 100000) INT("--bits", bits, 4, 8) INT("--samples", samples, 1, 4096) INT("--manifold", manifold, 2, 64)
        STR("--prompt", prompt) STR("--stop", stop) STR("--vocab", vocab) STR("--merges", merges) STR("--description", description) INT("--vocab-size", vocab_size, 257, 1 << 20) FLAG("--decode", decode) INT("--max-tokens", max_tokens, 1, 1L << 30) INT("--steps-per-epoch", steps_per_epoch, 1, 1L << 40) INT("--validation-steps", validation_steps, 1, 1L << 40) INT("--top-k", top_k, 0, 1L << 30)
        DBL("--top-p", top_p, 0.0, 1.0) FLAG("--no-cache", no_cache) DBL("--alpha", alpha, 0.0, 1.0)
        DBL("--sparsity", sparsity, 0.0, 1.0) DBL("--initial-sparsity", initial_sparsity, 0.0, 1.0) STR("--scope", scope)
        FLAG("--structured", structured) INT("--begin-step", begin_step, 0, 1L << 40) INT("--end-step", end_step, 1, 1L << 40)
        INT("--frequency", frequency, 1, 1L << 40) STR("--calibration", calibration) FLAG("--static", static_act) INT("--opset", opset, 1, 1000) STR("--prefix", prefix)
        else if (!strcmp(o, "--temperature")) {
            NEEDV();
            if (cli_float(o, v, 0.0, 100.0, &a->temperature)) return -1;
            a->temperature_given = 1;
        }
        else if (!strcmp(o, "--no-header") || !strcmp(o, "--header")) { /* given: overrides a model's stored way */
            if (inline_value) {
                fprintf(stderr, "deepc: %s takes no value\n", o);
                return -1;
            }
            a->no_header = o[2] == 'n';
            a->header_given = 1;
        }
        DBL("--lr", lr, 0.0, 1e6) DBL("--validation-split", vsplit, 0.0, 0.99) DBL("--test-split", test_split, 0.0, 0.99)
        else if (!strcmp(o, "--image-size")) {
            NEEDV();
            char *end;
            long h = strtol(v, &end, 10), w = h;
            if (*end == 'x') w = strtol(end + 1, &end, 10);
            if (*end || h < 1 || w < 1 || h > 4096 || w > 4096) {
                fprintf(stderr, "deepc: --image-size takes HEIGHTxWIDTH (e.g. 150x150), not \"%s\"\n", v);
                return -1;
            }
            a->image_h = (int)h;
            a->image_w = (int)w;
        } else if (!strcmp(o, "--delimiter")) {
            NEEDV();
            if (!strcmp(v, "tab") || !strcmp(v, "\\t")) a->delimiter = '\t';
            else if (strlen(v) == 1 && v[0] != '"' && v[0] != '\n') a->delimiter = v[0];
            else {
                fprintf(stderr, "deepc: --delimiter takes one character (or 'tab'), not \"%s\"\n", v);
                return -1;
            }
        } else if (o[0] == '-' && o[1]) {
            cli_unknown_option(o, a->cmd);
            return -1;
        } else if (!a->target) a->target = o;
        else if ((!strcmp(a->cmd, "predict") || !strcmp(a->cmd, "tokenizer") || (!strcmp(a->cmd, "distill") && !a->nimages)) &&
                 a->nimages < 256)
            a->images[a->nimages++] = o;
        else {
            fprintf(stderr, "deepc: unexpected argument \"%s\"\n", o);
            return -1;
        }
#undef NEEDV
#undef STR
#undef INT
#undef DBL
#undef FLAG
    }
    dc_set_num_threads(a->threads > 0 ? (int)a->threads : cli_mpi_threads()); /* under mpirun: the ranks share the cores */
    if (a->json) cli_json_errors(a->cmd);
    return 0;
}

static int need(const cli_args *a, const char *what, const void *v) {
    if (v) return 0;
    dc_set_error_cli("%s needs %s (deepc %s --help)", a->cmd, what, a->cmd);
    cli_fail("usage");
    return 1;
}

static int ends_with(const char *s, const char *suf) {
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && !strcmp(s + n - k, suf);
}

/* A safetensors file, whatever its name: 8 bytes of header length, then a
 * JSON object. A description is text and never starts that way. */
static int is_safetensors(const char *path) {
    unsigned char b[9];
    FILE *f = fopen(path, "rb");
    int ok = f && fread(b, 1, 9, f) == 9 && b[8] == '{' && b[6] == 0 && b[7] == 0;
    if (f) fclose(f);
    return ok || ends_with(path, ".safetensors");
}

/* Parse a description for these data: `input auto` takes the CSV width. */
static dc_model *parse_for(const char *path, const cli_bundle *b) {
    if (!b->tab) return dc_model_parse_file(path);
    int64_t w = dc_tabular_num_features(b->tab);
    return dc_model_parse_file_auto(path, 1, &w);
}

/* A description for image folders: --image-size (and --grayscale) give the
 * shape of `input auto`, and must agree with an explicit input line. */
static dc_model *parse_for_images(const cli_args *a) {
    if (!a->image_h) return dc_model_parse_file(a->target);
    int64_t shape[3] = {a->grayscale ? 1 : 3, a->image_h, a->image_w}, got[DC_MAX_DIMS];
    dc_model *m = dc_model_parse_file_auto(a->target, 3, shape);
    if (m && (dc_model_input_shape(m, got) != 3 || got[0] != shape[0] || got[1] != shape[1] || got[2] != shape[2])) {
        dc_set_error_cli("%s: its input line does not match --image-size %dx%d with %lld channels (write input auto, or drop --image-size)",
                         a->target, a->image_h, a->image_w, (long long)shape[0]);
        dc_model_free(m);
        return NULL;
    }
    return m;
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
        printf(",\"train_seconds\":");
        cli_json_number(stdout, s->train_seconds);
        for (int i = 0; i < s->nparts; i++) {
            printf(",\"%s\":", s->part_name[i]);
            cli_json_number(stdout, s->part[i]);
            printf(",\"val_%s\":", s->part_name[i]);
            cli_json_number(stdout, s->val_part[i]);
        }
        printf("}");
    }
    printf("]");
}

/* Ctrl-C: the library stops after the current batch when this is set. An
 * atomic store (lock-free: safe in a handler): the handler may run on
 * another thread than the training loop (ThreadSanitizer saw the plain
 * store race with the loop's read). */
static volatile int stop_flag;
static void on_sigint(int sig) {
    (void)sig;
    __atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
}

/* Signals land on an idle thread. A handler that ran on a thread in the
 * middle of a oneDNN product corrupted the heap (Ctrl-C during training on
 * a loaded machine: "corrupted size vs. prev_size while consolidating" in a
 * free inside dnnl_sgemm, a quarter of the runs; never when the handler ran
 * on an idle thread), so SIGINT and SIGTERM are blocked in the main thread
 * before deepc starts any other (OpenMP's threads inherit the mask) and taken
 * by this thread, which does nothing else (OpenBLAS's idle threads, started
 * before main, may take them too). What a signal does is unchanged: stop
 * after the current batch while training, else end the program. */
static void *signal_sink(void *arg) {
    sigset_t none;
    (void)arg;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    for (;;) pause();
    return NULL;
}

static void route_signals(void) {
    sigset_t b;
    sigemptyset(&b);
    sigaddset(&b, SIGINT);
    sigaddset(&b, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &b, NULL);
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &at, signal_sink, NULL)) pthread_sigmask(SIG_UNBLOCK, &b, NULL); /* no thread: as before */
    pthread_attr_destroy(&at);
}

static dc_fit_options fit_options(const cli_args *a, dc_train_state *state) {
    return (dc_fit_options){.epochs = (int)a->epochs, .batch_size = (int)a->batch, .validation_split = (float)a->vsplit,
                            .shuffle = -1, .seed = a->seed >= 0 ? (uint64_t)a->seed : 0, .verbose = !a->quiet,
                            .stop = &stop_flag, .stop_after_steps = a->stop_after, .state = state,
                            .checkpoint = a->checkpoint, .checkpoint_every = (int)a->ckpt_every,
                            .best_checkpoint = a->best, .log_csv = a->log};
}

static void apply_lr(const cli_args *a, dc_model *m) {
    if (a->steps_per_epoch > 0 && !a->resume) dc_model_fit_config(m)->steps_per_epoch = a->steps_per_epoch;
    if (a->validation_steps > 0) dc_model_fit_config(m)->validation_steps = a->validation_steps;
    if (a->lr < 0) return;
    dc_opt_config o = *dc_model_optimizer(m);
    o.lr = (float)a->lr;
    dc_model_set_optimizer(m, o);
}

/* Where train saves the model, after every output of the run was checked
 * (before anything is loaded or trained); NULL, with the reason printed,
 * when one cannot be written. */
static const char *train_outputs(const cli_args *a, char *buf, size_t n) {
    const char *out = a->out ? a->out : a->resume;
    if (!out) { /* models/fashion_mlp.dc -> fashion_mlp.safetensors */
        const char *base = strrchr(a->target, '/');
        base = base ? base + 1 : a->target;
        const char *dot = strrchr(base, '.');
        snprintf(buf, n, "%.*s.safetensors", (int)(dot ? dot - base : (long)strlen(base)), base);
        out = buf;
        struct stat st;
        if (!a->force && lstat(out, &st) == 0) { /* the default name never replaces a file */
            fprintf(stderr, "deepc: %s exists (the default output name); name the output with --out (a deepc model there "
                            "is replaced), or add --force\n", out);
            return NULL;
        }
    }
    if (cli_check_output(a->out ? "--out" : "output", out, CLI_OUT_MODEL, a->force, a->resume) ||
        (a->checkpoint && cli_check_output("--checkpoint", a->checkpoint, CLI_OUT_MODEL, a->force, a->resume)) ||
        (a->best && cli_check_output("--checkpoint-best", a->best, CLI_OUT_MODEL, a->force, a->resume)) ||
        (a->log && cli_check_output("--log", a->log, CLI_OUT_LOG, a->force, NULL)) ||
        (a->plot && cli_check_output("--plot", a->plot, CLI_OUT_SVG, a->force, NULL)))
        return NULL;
    return out;
}

/* --init-from's model. A text model hands its vocabulary on first (the
 * embedding's rows are its token ids), so both must read text alike. */
static dc_model *load_init_from(const cli_args *a, dc_model *m) {
    dc_model *from = dc_model_load(a->init_from);
    if (!from) return NULL;
    const dc_text_spec *mine = dc_model_text(m), *theirs = dc_model_text(from);
    if (!mine) return from;
    if (!theirs) {
        dc_set_error_cli("--init-from %s: not a text model; %s reads texts", a->init_from, a->target);
    } else if (memcmp(&mine->tok, &theirs->tok, sizeof mine->tok)) {
        dc_set_error_cli("--init-from %s: its text line tokenizes otherwise (level, lowercase, oov, num_words must match)",
                         a->init_from);
    } else if (mine->bpe) { /* GPT-2's BPE travels in the model file (F20) */
        dc_bpe *bp = dc_model_bpe(from);
        dc_status st = bp ? dc_model_set_bpe(m, bp) : DC_ERR_INVALID;
        dc_bpe_free(bp);
        if (!st) return from;
    } else {
        dc_tokenizer *tok = dc_model_tokenizer(from);
        dc_status st = tok ? dc_model_set_tokenizer(m, tok) : DC_ERR_INVALID;
        dc_tokenizer_free(tok);
        if (!st) return from;
    }
    dc_model_free(from);
    return NULL;
}

/* `embedding auto` (and `dense auto tie=...`): the description read again
 * with the fitted vocabulary's size, and what loading the texts put in the
 * model (vocabulary or BPE, classes, the run's split) carried over. m is
 * freed; NULL on error. */
static dc_model *sized_to_vocabulary(const cli_args *a, dc_model *m) {
    dc_tokenizer *tok = dc_model_text(m)->bpe ? NULL : dc_model_tokenizer(m);
    dc_bpe *bp = dc_model_text(m)->bpe ? dc_model_bpe(m) : NULL;
    const int64_t V = tok ? dc_tokenizer_vocab_size(tok) : bp ? dc_bpe_vocab_size(bp) : 0;
    dc_model *n = V > 0 ? dc_model_parse_file_vocab(a->target, V) : NULL;
    int ncls = 0;
    char **cls = dc_model_class_names(m, &ncls);
    dc_text_run run;
    dc_status st = n ? DC_OK : DC_ERR_INVALID;
    if (!st && tok) st = dc_model_set_tokenizer(n, tok);
    if (!st && bp) st = dc_model_set_bpe(n, bp);
    if (!st && !dc_model_text_run(m, &run)) st = dc_model_set_text_run(n, &run);
    if (!st && ncls) st = dc_model_set_class_names(n, cls, ncls);
    if (!st && !a->quiet) printf("embedding auto: %lld rows, the vocabulary's size\n", (long long)V);
    dc_free_names(cls, ncls);
    dc_tokenizer_free(tok);
    dc_bpe_free(bp);
    dc_model_free(m);
    if (st) {
        dc_model_free(n);
        return NULL;
    }
    return n;
}

/* --resume: the model and its training state; *finished when the run
 * already did every epoch asked for (said, exit 0). */
static int load_resumed(const cli_args *a, dc_model **m, dc_train_state **state, int *finished) {
    /* --shard-optimizer: each rank reads its slice of the optimizer from the file, never the whole */
    const int shard = a->shard_optimizer && cli_mpi_world() > 1;
    if (!(*m = dc_model_load_state_shard(a->resume, shard ? cli_mpi_rank() : 0, shard ? cli_mpi_world() : 1, state)))
        return cli_fail("cannot load the model to resume");
    if (!*state) {
        fprintf(stderr, "deepc: %s holds no training state to resume\n", a->resume);
        return 1;
    }
    if (dc_train_state_done(*state) && (a->epochs <= 0 || a->epochs <= dc_train_state_epoch(*state))) {
        printf("%s already finished its %d epochs; pass --epochs N (more than %d) to train further\n", a->resume,
               dc_train_state_epoch(*state), dc_train_state_epoch(*state));
        *finished = 1;
    }
    return 0;
}

/* --shard-data: this rank's part of the training images holds rows
 * [first, first + n) of the good images of every part (bad ones skipped
 * shorten the parts they fall in): the ranks' counts tell. */
static int image_part_rows(const cli_args *a, cli_bundle *b, int64_t skipped) {
    const int world = cli_mpi_world(), rank = cli_mpi_rank();
    int64_t *n = calloc((size_t)world * 2, sizeof(int64_t)), total = 0, bad = 0;
    if (!n || cli_mpi_allgather_counts(b->train->n, n) || cli_mpi_allgather_counts(skipped, n + world)) {
        free(n);
        return cli_fail(n ? "cannot count the ranks' images" : "out of memory");
    }
    for (int r = 0; r < world; r++) {
        if (r == rank) b->first = total;
        total += n[r], bad += n[world + r];
    }
    free(n);
    b->total = total;
    if (total == 0) { /* (every rank: the same counts) */
        dc_set_error_cli("%s: none of its images could be read", a->data);
        return cli_fail("cannot load the training images");
    }
    if (!a->quiet) {
        printf("--shard-data: %lld images; rank 0 decoded rows %lld to %lld, each of the %d ranks its part", (long long)total,
               (long long)b->first, (long long)(b->first + b->train->n), world);
        if (bad) printf(" (%lld unreadable files skipped over the ranks)", (long long)bad);
        printf("\n");
    }
    return 0;
}

/* Image folders: the training images (mixed, seeded, so that a validation
 * split takes every class), the validation folder, augmentation. */
static int load_image_training(const cli_args *a, dc_model *m, cli_bundle *b, dc_augment *aug) {
    /* the folder comes sorted by class: without a validation folder its
     * files are mixed (seeded) so that a validation split takes every
     * class, as Keras' per-class split. --shard-data: each rank decodes
     * its part of the mixed files. */
    const int shard = a->shard_data && cli_mpi_world() > 1;
    dc_image_folder_options o = {.mix = !a->validation_data,
                                 .seed = a->seed >= 0 ? (uint64_t)a->seed : dc_model_fit_config(m)->seed,
                                 .part = shard ? cli_mpi_rank() : 0,
                                 .parts = shard ? cli_mpi_world() : 1};
    int64_t skipped = 0;
    if (!(b->train = cli_load_images_part(a, m, a->data, 1, m, &o, &skipped, a->quiet ? NULL : stdout))) {
        return cli_fail("cannot load the training images");
    }
    if (shard && image_part_rows(a, b, skipped)) return 1;
    if (a->validation_data && !(b->test = cli_load_images(a, m, a->validation_data, 0, NULL))) {
        return cli_fail("cannot load the validation images");
    }
    if (a->augment) {
        if (dc_augment_parse(a->augment, aug)) {
            return cli_fail("bad --augment");
        }
        b->train->augment = aug;
    }
    return 0;
}

/* What a new run sets on its model before training: the table pipeline,
 * --init-from, --embeddings, --freeze; and a training state. */
static int prepare_model(const cli_args *a, dc_model *m, const cli_bundle *b, dc_model **from, dc_train_state **state) {
    if (b->tab && dc_model_set_tabular(m, b->tab)) {
        return cli_fail("cannot store the preprocessing");
    }
    if (a->init_from && ((!*from && !(*from = load_init_from(a, m))) || dc_model_init_from(m, *from, a->quiet ? NULL : stdout) < 0)) {
        return cli_fail("cannot start from --init-from");
    }
    if (a->embeddings && dc_embeddings_load(m, a->embeddings, a->quiet ? NULL : stdout)) {
        return cli_fail("cannot load the word vectors");
    }
    if (a->freeze && dc_model_freeze(m, a->freeze, a->quiet ? NULL : stdout)) {
        return cli_fail("cannot freeze");
    }
    if (!*state && !(*state = dc_train_state_new())) {
        return cli_fail("out of memory");
    }
    return 0;
}

/* dc_fit with Ctrl-C and SIGTERM stopping after the batch, then the save
 * (even after a stop: the last finished batch, with the state to resume; a
 * signal during the save only marks the run as interrupted). *saved: the
 * save's status. Returns the fit's status, DC_ERR_INTERRUPTED after a signal. */
static dc_status fit_and_save(dc_model *m, const cli_bundle *b, const dc_fit_options *fo, dc_train_state *state, const char *out,
                              dc_history *h, dc_status *saved) {
    struct sigaction sa = {0}, old_sa, old_term;
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_sa);
    sigaction(SIGTERM, &sa, &old_term); /* a scheduler's stop: saved like Ctrl-C */
    dc_status st = dc_fit(m, b->train, fo, h);
    *saved = DC_OK;
    /* rank 0 writes; a sharded optimizer comes to it slice by slice from every rank */
    if (!st || st == DC_ERR_INTERRUPTED) *saved = dc_model_save_state_ranks(m, state, out, fo);
    sigaction(SIGINT, &old_sa, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (__atomic_load_n(&stop_flag, __ATOMIC_RELAXED) && !st) st = DC_ERR_INTERRUPTED;
    return st;
}

/* The seconds a run's epochs took (those timed). */
static double history_seconds(const dc_history *h) {
    double secs = 0;
    for (int e = 0; e < h->epochs_run; e++)
        if (h->epoch[e].seconds > 0) secs += h->epoch[e].seconds;
    return secs;
}

/* train --json: the run's history and, with a test part, its metrics. */
static void print_train_json(const cli_args *a, const dc_model *m, const cli_bundle *b, const dc_history *h, const cli_metrics *r,
                             const char *out) {
    int timed = 0;
    for (int e = 0; e < h->epochs_run; e++) timed += h->epoch[e].seconds > 0;
    const double secs = history_seconds(h);
    printf("{\"command\":\"%s\",\"model\":", a->cmd); /* train, or distill */
    cli_json_string(stdout, out);
    printf(",\"epochs\":%d,\"stopped_early\":%s,\"best_epoch\":%d,\"history\":", h->epochs_run,
           h->stopped_early ? "true" : "false", h->best_epoch);
    print_json_history(h);
    printf(",\"seconds_per_epoch\":");
    cli_json_number(stdout, timed ? secs / timed : NAN);
    printf(",\"threads\":%d", dc_get_num_threads());
    if (cli_mpi_world() > 1) { /* data-parallel: the ranks and the time their gradients' all-reduce took */
        long calls;
        const double comm = cli_mpi_comm_seconds(&calls);
        printf(",\"ranks\":%d,\"shard_optimizer\":%s,\"allreduce_ms_per_step\":", cli_mpi_world(), a->shard_optimizer ? "true" : "false");
        cli_json_number(stdout, calls ? 1e3 * comm / (double)calls : NAN);
    }
    if (b->test) {
        printf(",");
        cli_print_json_metrics(a, b->tab, m, r);
    }
    printf("}\n");
}

/* Does the description file have an `input auto` line (its shape comes
 * from the data, so it cannot be parsed before the data is read)? */
static int input_auto(const char *path) {
    FILE *f = fopen(path, "r");
    char line[256];
    int yes = 0;
    while (f && !yes && fgets(line, sizeof line, f)) {
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!strncmp(p, "input", 5) && (p[5] == ' ' || p[5] == '\t')) {
            p += 5;
            while (*p == ' ' || *p == '\t') p++;
            yes = !strncmp(p, "auto", 4) && (p[4] == 0 || p[4] == '\n' || p[4] == '\r' || p[4] == ' ' || p[4] == '\t');
        }
    }
    if (f) fclose(f);
    return yes;
}

static int prune_finish(const cli_args *a, dc_model *m, const char *out);

static int cmd_train(const cli_args *a) {
    if (!a->resume && need(a, "a DESCRIPTION file (or --resume MODEL)", a->target)) return 2;
    if (need(a, "--data", a->data)) return 2;
    if (a->resume && (a->init_from || a->freeze || a->embeddings)) {
        fprintf(stderr, "deepc: --init-from, --embeddings and --freeze start a run; a resumed run keeps its weights and frozen layers\n");
        return 2;
    }
    dc_train_state *state = NULL;
    dc_model *m = NULL, *from = NULL; /* from: --init-from's model */
    dc_model *teacher = NULL;         /* deepc distill */
    dc_distiller *dist = NULL;
    dc_tabular *stored = NULL; /* a resumed CSV run's pipeline */
    cli_bundle b = {0};
    dc_history h = {0};
    cli_metrics r = {0};
    int rc = 0;
    char outbuf[1024];
    const char *out = train_outputs(a, outbuf, sizeof outbuf);
    if (!out) return 1;
    if (a->resume) {
        int finished = 0;
        if ((rc = load_resumed(a, &m, &state, &finished)) || finished) goto done;
    }
    /* data first: a CSV decides the input width of `input auto` */
    cli_args la = *a;
    if (a->resume && !a->limit) la.limit = (long)dc_train_state_samples(state); /* the run's samples */
    /* a resumed CSV run re-reads the table with the run's options (stored
     * with its pipeline; different ones given now are refused): the split
     * and the refitted pipeline come out the same (seeded, deterministic),
     * which is checked after loading */
    int check_pipeline = 0;
    if (a->resume && cli_is_csv(a->data) && !dc_model_text(m)) { /* (a text run: cli_load_text checks) */
        if (!(stored = dc_model_tabular(m))) {
            rc = cli_fail("--resume: the run was not trained on a CSV table");
            goto done;
        }
        if (cli_resume_csv_args(a, stored, &la, &check_pipeline)) {
            rc = cli_fail("cannot resume");
            goto done;
        }
    }
    /* a text model (its description has a text line) reads a CSV of texts,
     * or a folder of class subfolders of .txt files */
    int text = a->resume && dc_model_text(m);
    if (!a->resume && (cli_is_csv(a->data) || cli_is_dir(a->data))) { /* a CSV or a folder of texts */
        dc_model *probe = dc_model_parse_file_vocab(a->target, -1); /* fails for `input auto`: not a text model */
        if (!probe && !input_auto(a->target)) { /* the description's own error, not the data's read as a table (F19) */
            rc = cli_fail("cannot read the model description");
            goto done;
        }
        if (probe && dc_model_text(probe)) m = probe, text = 1;
        else dc_model_free(probe);
    }
    static dc_augment aug;
    int images = !text && cli_is_image_folder(a->data);
    const int stream = text && (dc_model_text(m)->stream || dc_model_text(m)->bpe); /* a language model's token stream */
    if (a->shard_data && cli_mpi_world() > 1 && text && !stream && !cli_is_csv(a->data)) {
        if (cli_mpi_rank() == 0) /* (every rank stops here) */
            fprintf(stderr, "deepc: --shard-data: %s is read whole on every rank: ranks read their parts of IDX data sets (fashion-mnist, "
                            "MNIST-format folders), image folders, CSV files and a language model's text; not of a folder or a .txt "
                            "file of texts\n", a->data);
        rc = 2;
        goto done;
    }
    if (images) { /* image folders: the model's input shape decides the image size */
        if (!m && !(m = parse_for_images(a))) {
            rc = cli_fail("cannot read the model description");
            goto done;
        }
        if (load_image_training(a, m, &b, &aug)) {
            rc = 1;
            goto done;
        }
    } else if (text) {
        if (a->init_from && !(from = load_init_from(a, m))) {
            rc = cli_fail("cannot start from --init-from");
            goto done;
        }
        if (cli_load_text(a, m, &b, a->quiet ? NULL : stdout)) {
            rc = cli_fail("cannot load the texts");
            goto done;
        }
        if (dc_model_vocab_auto(m) && !a->resume && !(m = sized_to_vocabulary(a, m))) {
            rc = cli_fail("cannot size the model to its vocabulary");
            goto done;
        }
    } else if (cli_load_training(&la, &b, a->quiet ? NULL : stdout)) {
        rc = cli_fail("cannot load the training data");
        goto done;
    } else if (check_pipeline && cli_resume_csv_same(stored, b.tab, a->data)) {
        rc = cli_fail("cannot resume");
        goto done;
    }
    if (!m && !(m = parse_for(a->target, &b))) {
        rc = cli_fail("cannot read the model description");
        goto done;
    }
    if (prepare_model(a, m, &b, &from, &state)) {
        rc = 1;
        goto done;
    }
    apply_lr(a, m);
    dc_fit_options fo = fit_options(a, state);
    fo.prune = a->prune;
    if (a->teacher) { /* deepc distill: the teacher's softened outputs join the loss */
        const float T = a->temperature_given ? (float)a->temperature : 1.0f; /* measured best: bench/distill.sh */
        if (!(teacher = dc_model_load(a->teacher)) || !(dist = dc_distiller_new(teacher, T, (float)a->alpha))) {
            rc = cli_fail("cannot distill");
            goto done;
        }
        fo.callbacks = dc_distiller_callbacks(dist);
        if (!a->quiet) printf("Distilling %s into %s: temperature %g, alpha %g (the soft term's weight)\n", a->teacher, out, (double)T, a->alpha);
    }
    if (images) fo.validation = b.test; /* a validation folder is both validation and test */
    dc_callbacks mpi_cb; /* under mpirun: each rank takes its share of every batch (cli_mpi.c) */
    if (cli_mpi_world() > 1) {
        mpi_cb = fo.callbacks ? *fo.callbacks : (dc_callbacks){0};
        cli_mpi_set_overlap(a->overlap, a->shard_optimizer);
        cli_mpi_callbacks(&mpi_cb);
        fo.callbacks = &mpi_cb;
        fo.rank = cli_mpi_rank();
        fo.world = cli_mpi_world();
        fo.shard_optimizer = fo.keep_shards = a->shard_optimizer; /* (saved slice by slice: fit_and_save) */
        fo.data_rows = b.total, fo.data_offset = b.first; /* --shard-data: this rank's part (0: the whole data) */
        if (b.val) /* --shard-data on a stream: its validation windows too */
            fo.validation = b.val, fo.validation_rows = b.val_total, fo.validation_offset = b.val_first;
        if (!a->quiet) printf("Data-parallel over %d ranks (MPI): each takes its share of every batch; rank 0 writes the files\n", fo.world);
        if (!a->quiet && a->shard_optimizer)
            printf("Optimizer state sharded (ZeRO-1): each rank keeps %.2f MB of it instead of %.2f MB\n",
                   cli_optimizer_mb(m) / fo.world, cli_optimizer_mb(m));
    }
    if (!a->quiet && !a->resume) dc_model_summary(m, stdout);
    if (!a->quiet && a->resume) printf("Resuming %s after epoch %d\n", a->resume, dc_train_state_epoch(state));
    fflush(stdout); /* the summary shows before training starts, even in a pipe */
    dc_status saved, st = fit_and_save(m, &b, &fo, state, out, &h, &saved);
    if (st && st != DC_ERR_INTERRUPTED) {
        rc = cli_fail("training failed");
        goto done;
    }
    if (saved) {
        rc = cli_fail("cannot save the model");
        goto done;
    }
    if (a->plot && cli_mpi_rank() == 0 && dc_plot_history_svg(&h, a->plot)) {
        rc = cli_fail("cannot write the plot");
        goto done;
    }
    if (st == DC_ERR_INTERRUPTED) {
        if (cli_mpi_rank() == 0) /* the one that saved it */
            fprintf(stderr, "deepc: interrupted; the model so far is saved in %s (continue with --resume %s)\n", out, out);
        rc = 130;
        goto done;
    }
    if (dc_model_pruning(m) && cli_mpi_rank() == 0 && prune_finish(a, m, out)) {
        rc = 1;
        goto done;
    }
    if (b.test && cli_compute_metrics(m, b.test, &r)) {
        rc = cli_fail("evaluation failed");
        goto done;
    }
    if (!a->quiet && cli_mpi_world() > 1) { /* what the ranks spent talking */
        long calls;
        const double comm = cli_mpi_comm_seconds(&calls), secs = history_seconds(&h);
        printf("%s of %lld gradients on %d ranks: %.2f ms per step, %.1f%% of the training time\n",
               a->shard_optimizer ? "Reduce-scatter and all-gather" : "All-reduce", (long long)dc_model_num_params(m), cli_mpi_world(), calls ? 1e3 * comm / (double)calls : 0.0, secs > 0 ? 100.0 * comm / secs : 0.0);
    }
    if (!a->quiet) {
        printf("Saved %s\n", out);
        if (b.test && r.regression)
            printf("Test loss: %.4f - mse: %.4f - mae: %.4f - r2: %.4f\n", r.loss, r.reg.mse, r.reg.mae, r.reg.r2);
        else if (b.test && r.loss_only) {
            printf("Test loss: %.4f", r.loss);
            for (int i = 0; i < r.stats.nparts; i++) printf(" - %s: %.4f", r.stats.part_name[i], r.stats.part[i]);
            printf("\n");
        } else if (b.test) printf("Test accuracy: %.4f - test loss: %.4f\n", r.cls.accuracy, r.loss);
    }
    if (a->json) print_train_json(a, m, &b, &h, &r, out);
done:
    cli_metrics_free(&r);
    dc_history_free(&h);
    dc_train_state_free(state);
    dc_tabular_free(stored);
    cli_bundle_free(&b);
    dc_model_free(m);
    dc_model_free(from);
    dc_distiller_free(dist);
    dc_model_free(teacher);
    return rc;
}

/* A finished prune: the model to deploy, written again without its
 * training state (the optimizer's moments would be most of the file; a
 * stopped prune keeps it, to resume), a structured one's pruned units
 * removed (the smaller model: its shapes are new); and what was pruned. */
static int prune_finish(const cli_args *a, dc_model *m, const char *out) {
    int64_t total = 0, zeros = dc_model_pruned(m, &total);
    if (a->structured || strstr(dc_model_pruning(m), "structured (")) {
        if (!a->quiet) printf("Removing the pruned units:\n");
        dc_model *s = dc_model_shrink(m, a->quiet ? NULL : stdout);
        if (!s || dc_model_save(s, out)) {
            dc_model_free(s);
            return cli_fail("cannot write the smaller model");
        }
        if (!a->quiet) printf("Parameters: %lld -> %lld (a dense model; the masked one is not kept)\n", (long long)dc_model_num_params(m),
                              (long long)dc_model_num_params(s));
        dc_model_free(s);
    } else {
        if (dc_model_save(m, out)) return cli_fail("cannot write the pruned model");
        if (!a->quiet)
            printf("Pruned: %lld of %lld weight-matrix values are 0 (%.1f%%); %s stores them sparse\n", (long long)zeros, (long long)total,
                   total ? 100.0 * (double)zeros / (double)total : 0.0, out);
    }
    return 0;
}

/* deepc prune MODEL --sparsity S --data ...: fine-tune MODEL (its own
 * description, started from its weights as --init-from does) while its
 * smallest weights are pruned; or --resume a stopped prune. */
static int cmd_prune(const cli_args *a) {
    dc_prune_config c = {.sparsity = (float)a->sparsity, .initial_sparsity = (float)a->initial_sparsity, .begin_step = a->begin_step,
                         .end_step = a->end_step, .frequency = a->frequency, .structured = a->structured};
    if (a->scope && strcmp(a->scope, "layer") && strcmp(a->scope, "global")) {
        fprintf(stderr, "deepc: --scope is global (one threshold over all, the default) or layer (each matrix to the sparsity), not \"%s\"\n", a->scope);
        return 2;
    }
    c.scope = a->scope && !strcmp(a->scope, "layer") ? DC_PRUNE_LAYER : DC_PRUNE_GLOBAL;
    cli_args b = *a;
    if (a->resume) { /* the run's own settings, in its state */
        b.prune = a->sparsity > 0 ? &c : NULL;
        return cmd_train(&b);
    }
    if (need(a, "a trained MODEL (deepc prune MODEL --sparsity 0.8 --data DATA)", a->target) || need(a, "--data", a->data)) return 2;
    if (!(a->sparsity > 0.0 && a->sparsity < 1.0)) {
        fprintf(stderr, "deepc: prune needs --sparsity between 0 and 1 (0.8: 80%% of the weights pruned)\n");
        return 2;
    }
    dc_model *m = dc_model_load(a->target);
    if (!m) return cli_fail("cannot load the model to prune");
    /* its description, for train to read (the run starts from its weights) */
    char tmp[] = "/tmp/deepc-prune-XXXXXX.dc", outbuf[1024];
    int fd = mkstemps(tmp, 3);
    const char *desc = dc_model_description(m);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ok = f && desc && fputs(desc, f) >= 0;
    if (f) ok &= fclose(f) == 0;
    else if (fd >= 0) close(fd);
    dc_model_free(m);
    if (!ok) {
        if (fd >= 0) unlink(tmp);
        fprintf(stderr, "deepc: cannot write %s's description to a temporary file%s\n", a->target, desc ? "" : " (it has none)");
        return 1;
    }
    if (!a->out) { /* fashion_mlp.safetensors -> fashion_mlp.pruned.safetensors */
        const char *dot = strrchr(a->target, '.');
        snprintf(outbuf, sizeof outbuf, "%.*s.pruned.safetensors", (int)(dot ? dot - a->target : (long)strlen(a->target)), a->target);
        b.out = outbuf;
    }
    b.target = tmp;
    b.init_from = a->target;
    b.prune = &c;
    if (!a->quiet) printf("Pruning %s to %g%% sparsity (%s%s) into %s\n", a->target, 100.0 * a->sparsity,
                          c.scope == DC_PRUNE_GLOBAL ? "one threshold over every matrix" : "each matrix alone",
                          c.structured ? ", whole units and filters" : "", b.out);
    int rc = cmd_train(&b);
    unlink(tmp);
    return rc;
}

/* deepc distill TEACHER STUDENT.dc --data ...: train STUDENT.dc (or
 * --resume a student) with the teacher's softened outputs in its loss. */
static int cmd_distill(const cli_args *a) {
    if (need(a, "a TEACHER model", a->target)) return 2;
    cli_args b = *a;
    b.teacher = a->target;
    b.target = a->nimages ? a->images[0] : NULL;
    b.nimages = 0;
    if (!b.resume && need(&b, "a STUDENT description (deepc distill TEACHER STUDENT.dc --data ...)", b.target)) return 2;
    return cmd_train(&b);
}

static int cmd_eval(const cli_args *a) {
    if (need(a, "a MODEL file", a->target) || need(a, "--data", a->data)) return 2;
    if (a->plot && cli_check_output("--plot", a->plot, CLI_OUT_SVG, a->force, NULL)) return 1;
    dc_model *m = dc_model_load(a->target);
    if (!m) return cli_fail("cannot load the model");
    dc_tabular *tab = NULL;
    cli_eval_part part;
    dc_dataset *d = cli_load_eval(a, m, &tab, 1, &part);
    cli_metrics r = {0};
    int rc = 0;
    if (!d) rc = cli_fail("cannot load the evaluation data");
    else if (cli_compute_metrics(m, d, &r)) rc = cli_fail("evaluation failed");
    else {
        if (part.held_out && !a->json) /* the training file: the rows the run held out, as the model file records */
            printf("%s: the %lld rows the run held out (test split %g of %lld, recorded in the model file; --all-rows scores every row)\n",
                   a->data, (long long)d->n, (double)part.test_split, (long long)part.total);
        cli_print_report(a, tab, m, &r, stdout);
        if (a->plot && cli_mpi_rank() == 0 && cli_plot_eval(a, tab, m, &r, d, a->plot)) rc = cli_fail("cannot draw --plot");
        else if (a->plot && !a->quiet && !a->json) printf("ROC curves and the confusion matrix: %s\n", a->plot);
        if (a->json && !rc) {
            printf("{\"command\":\"eval\",\"samples\":%lld,\"rows\":\"%s\",", (long long)d->n, part.held_out ? "held_out" : "all");
            cli_print_json_metrics(a, tab, m, &r);
            printf("}\n");
        }
    }
    cli_metrics_free(&r);
    dc_tabular_free(tab);
    dc_dataset_free(d);
    dc_model_free(m);
    return rc;
}

/* deepc predict MODEL a.png b.jpg ...: class and probability per image */
static int predict_images(const cli_args *a, dc_model *m) {
    int64_t s[DC_MAX_DIMS], o[DC_MAX_DIMS], C = 1;
    int nd = dc_model_input_shape(m, s), no = dc_model_output_shape(m, o);
    for (int i = 0; i < no; i++) C *= o[i];
    if (nd != 3 || (s[0] != 1 && s[0] != 3)) {
        fprintf(stderr, "deepc: this model does not take images (its input is not CHANNELSxHEIGHTxWIDTH)\n");
        return 1;
    }
    if (s[1] > 4096 || s[2] > 4096) {
        fprintf(stderr, "deepc: this model's input images are %lldx%lld; deepc resizes images to at most 4096x4096\n",
                (long long)s[1], (long long)s[2]);
        return 1;
    }
    dc_dataset *d = dc_dataset_new(1, DC_U8, 3, s, DC_I32, -1, NULL);
    float *out = malloc(sizeof(float) * (size_t)C);
    int rc = 0;
    if (!d || !out) rc = cli_fail("out of memory for one image");
    cli_pred pr;
    if (d && out) cli_pred_begin(&pr, a, m, NULL, C);
    for (int i = 0; i < a->nimages && d && out; i++) {
        int w, h;
        uint8_t *px;
        if (dc_image_read(a->images[i], (int)s[0], &w, &h, &px)) {
            rc = cli_fail("cannot read the image");
            continue;
        }
        dc_image_resize(px, w, h, (int)s[0], d->x.data, (int)s[2], (int)s[1]);
        free(px);
        if (dc_predict(m, d, 1, 1, out)) {
            rc = cli_fail("prediction failed");
            break;
        }
        cli_pred_row(&pr, a->images[i], i, out);
    }
    if (d && out) cli_pred_end(&pr);
    dc_dataset_free(d);
    free(out);
    return rc;
}

/* The texts of --text: the text itself, or @FILE's lines (@- is stdin). */
static char **read_texts(const char *arg, int64_t *n) {
    *n = 0;
    if (arg[0] != '@') {
        char **v = malloc(sizeof(char *));
        if (v && !(v[0] = strdup(arg))) free(v), v = NULL;
        if (v) *n = 1;
        return v;
    }
    FILE *f = strcmp(arg, "@-") ? fopen(arg + 1, "rb") : stdin;
    if (!f) {
        dc_set_error_cli("%s: cannot open (%s)", arg + 1, strerror(errno));
        return NULL;
    }
    char **v = NULL, *line = NULL;
    size_t cap = 0, lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if ((size_t)*n == cap) {
            char **nv = realloc(v, sizeof(char *) * (cap = cap ? 2 * cap : 64));
            if (!nv) break;
            v = nv;
        }
        if (!(v[*n] = strdup(line))) break;
        (*n)++;
    }
    free(line);
    if (f != stdin) fclose(f);
    if (*n == 0) dc_set_error_cli("%s: no texts", arg + 1);
    return v;
}

/* deepc predict MODEL --text "..." | --text @FILE: class and probability per text */
static int predict_texts(const cli_args *a, dc_model *m) {
    const dc_text_spec *sp = dc_model_text(m);
    if (!sp) return cli_fail("--text: this model does not read text (its description has no text line)");
    dc_tokenizer *tok = dc_model_tokenizer(m);
    if (!tok) return cli_fail("cannot read the model's vocabulary");
    int64_t n, o[DC_MAX_DIMS], C = 1;
    int no = dc_model_output_shape(m, o);
    for (int i = 0; i < no; i++) C *= o[i];
    char **texts = read_texts(a->text, &n);
    dc_dataset *d = texts && n ? dc_dataset_new(n, DC_I32, 1, (int64_t[]){sp->maxlen}, DC_I32, -1, NULL) : NULL;
    float *out = d ? malloc(sizeof(float) * (size_t)(n * C)) : NULL;
    int rc = 0;
    if (!out) rc = cli_fail(texts ? "out of memory" : "cannot read the texts");
    for (int64_t i = 0; !rc && i < n; i++)
        if (dc_tokenizer_encode(tok, texts[i], (int32_t *)d->x.data + i * sp->maxlen, sp->maxlen, sp->pad_post, sp->truncate_post) < 0)
            rc = cli_fail("cannot tokenize");
    if (!rc && dc_predict(m, d, n, 64, out)) rc = cli_fail("prediction failed");
    if (!rc) { /* each text names its row */
        cli_pred pr;
        cli_pred_begin(&pr, a, m, NULL, C);
        for (int64_t i = 0; i < n; i++) cli_pred_row(&pr, texts[i], i, out + i * C);
        cli_pred_end(&pr);
    }
    for (int64_t i = 0; texts && i < n; i++) free(texts[i]);
    free(texts);
    free(out);
    dc_dataset_free(d);
    dc_tokenizer_free(tok);
    return rc;
}

static int cmd_predict(const cli_args *a) {
    if (need(a, "a MODEL file", a->target)) return 2;
    dc_model *m = dc_model_load(a->target);
    if (!m) return cli_fail("cannot load the model");
    const dc_text_spec *ts = dc_model_text(m);
    if (ts && ts->enabled && (ts->next || ts->stream)) { /* its output is a distribution per step, not a class (F12) */
        dc_set_error_cli("%s is a language model (target=%s): continue a text with `deepc generate MODEL --prompt TEXT`, or "
                         "score one with `deepc eval MODEL --data FILE` (loss and perplexity)",
                         a->target, ts->stream ? "stream" : "next");
        dc_model_free(m); /* after the message: ts lives in m */
        return cli_fail("cannot predict");
    }
    if (a->text) {
        int rc = predict_texts(a, m);
        dc_model_free(m);
        return rc;
    }
    if (a->nimages) {
        int rc = predict_images(a, m);
        dc_model_free(m);
        return rc;
    }
    if (need(a, "--data (or image files)", a->data)) {
        dc_model_free(m);
        return 2;
    }
    /* an autoencoder's output is a reconstruction, not a class: its code or
     * its output values, as asked */
    const char *layer = a->layer ? a->layer : a->latent ? dc_model_latent_layer(m) : NULL;
    if (!layer && !a->reconstruction && dc_model_reconstructs(m)) {
        dc_set_error_cli("%s reconstructs its input (an autoencoder): its output is not a class. Give --latent (the code, "
                         "layer \"%s\"), --reconstruction (the output's values) or --layer NAME",
                         a->target, dc_model_latent_layer(m) ? dc_model_latent_layer(m) : "?");
        dc_model_free(m);
        return cli_fail("cannot predict");
    }
    dc_tabular *tab = NULL;
    dc_dataset *d = cli_load_eval(a, m, &tab, 0, NULL);
    int64_t oshape[DC_MAX_DIMS], C = 1;
    int nd = layer && dc_model_find_layer(m, layer) ? dc_layer_output_shape(dc_model_find_layer(m, layer), oshape)
                                                    : dc_model_output_shape(m, oshape);
    for (int i = 0; i < nd; i++) C *= oshape[i];
    float *out = d ? malloc(sizeof(float) * (size_t)(d->n * C)) : NULL;
    int rc = 0;
    if (!d) rc = cli_fail("cannot load the data");
    else if (!out) rc = cli_fail("out of memory");
    else if (layer ? dc_predict_layer(m, d, d->n, 64, layer, out) : dc_predict(m, d, d->n, 64, out)) rc = cli_fail("prediction failed");
    else if (layer || a->reconstruction) /* values, not classes */
        cli_print_values(a, layer ? layer : "output", d->n, C, out);
    else { /* rows are numbered from 0, in the data's order */
        cli_pred pr;
        cli_pred_begin(&pr, a, m, tab, C);
        for (int64_t i = 0; i < d->n; i++) cli_pred_row(&pr, NULL, i, out + i * C);
        cli_pred_end(&pr);
    }
    free(out);
    dc_tabular_free(tab);
    dc_dataset_free(d);
    dc_model_free(m);
    return rc;
}

static int cmd_summary(const cli_args *a) {
    if (need(a, "a MODEL or DESCRIPTION file", a->target)) return 2;
    dc_model *m = NULL;
    if (is_safetensors(a->target)) {
        m = dc_model_load(a->target);
    } else if (a->image_h) { /* input auto: the image size given */
        m = parse_for_images(a);
    } else if (a->data && cli_is_csv(a->data)) { /* input auto: the table's features after its preprocessing */
        cli_bundle b;
        if (cli_load_training(a, &b, NULL)) return cli_fail("cannot read --data");
        m = parse_for(a->target, &b);
        cli_bundle_free(&b);
    } else {
        m = dc_model_parse_file(a->target);
    }
    if (!m) return cli_fail("cannot read the model");
    dc_model_summary(m, stdout);
    if (dc_model_pruning(m)) { /* a pruned model: how many zeros, and how it was made */
        int64_t total = 0, zeros = dc_model_pruned(m, &total);
        printf("Pruned: %.1f%% of the weight matrices' %lld values are 0\n%s\n",
               total ? 100.0 * (double)zeros / (double)total : 0.0, (long long)total, dc_model_pruning(m));
    }
    if (a->json) {
        printf("{\"command\":\"summary\",\"params\":%lld,\"layers\":[", (long long)dc_model_num_params(m));
        for (int i = 0; i < dc_model_num_layers(m); i++) {
            dc_layer *l = dc_model_layer(m, i);
            int64_t os[DC_MAX_DIMS];
            int ond = dc_layer_output_shape(l, os);
            printf("%s{\"name\":", i ? "," : "");
            cli_json_string(stdout, dc_layer_name(l));
            printf(",\"kind\":");
            cli_json_string(stdout, dc_layer_kind(l));
            printf(",\"output_shape\":[");
            for (int d = 0; d < ond; d++) printf("%s%lld", d ? "," : "", (long long)os[d]);
            printf("]}");
        }
        printf("]}\n");
    }
    dc_model_free(m);
    return 0;
}

/* deepc augment DIR --augment SPEC --out grid.png: the first images of a
 * folder (rows), each followed by augmented versions (columns), so a person
 * can see what the augmentation does. */
static int cmd_augment(const cli_args *a) {
    if (need(a, "an image FOLDER", a->target) || need(a, "--augment SPEC", a->augment) || need(a, "--out FILE.png", a->out)) return 2;
    if (cli_check_output("--out", a->out, CLI_OUT_PNG, a->force, NULL)) return 1;
    dc_augment aug;
    if (dc_augment_parse(a->augment, &aug)) return cli_fail("bad --augment");
    int C = a->grayscale ? 1 : 3, H = a->image_h ? a->image_h : 64, W = a->image_w ? a->image_w : 64;
    char **names = NULL;
    int nn = 0;
    dc_dataset *d = dc_image_folder_load(a->target, C, H, W, a->skip_bad, &names, &nn, NULL);
    dc_free_names(names, nn);
    if (!d) return cli_fail("cannot load the images");
    const int rows = d->n < 6 ? (int)d->n : 6, cols = 6, gap = 2;
    const int GW = cols * (W + gap), GH = rows * (H + gap);
    uint8_t *grid = calloc((size_t)GW * GH * C, 1);
    float *img = malloc(sizeof(float) * (size_t)C * H * W);
    dc_rng rng;
    dc_rng_seed(&rng, a->seed >= 0 ? (uint64_t)a->seed : 42);
    int rc = 0;
    for (int r = 0; grid && img && r < rows; r++) {
        int64_t pick = r * (d->n / rows); /* spread over the classes */
        for (int c = 0; c < cols; c++) {
            dc_dataset_gather(d, &pick, 1, img, NULL);
            if (c > 0) dc_augment_image(&aug, img, C, H, W, &rng); /* column 0: the original */
            for (int k = 0; k < C; k++)
                for (int y = 0; y < H; y++)
                    for (int x = 0; x < W; x++) {
                        float v = img[((size_t)k * H + y) * W + x] * 255.0f + 0.5f;
                        grid[(((size_t)r * (H + gap) + y) * GW + (size_t)c * (W + gap) + x) * C + k] =
                            (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                    }
        }
    }
    if (!grid || !img) rc = cli_fail("out of memory");
    else if (dc_image_write_png(a->out, grid, GW, GH, C)) rc = cli_fail("cannot write the grid");
    else {
        printf("wrote %s: %d images (rows), the original then %d augmented versions each\n", a->out, rows, cols - 1);
        if (a->json) {
            printf("{\"command\":\"augment\",\"out\":");
            cli_json_string(stdout, a->out);
            printf(",\"rows\":%d,\"columns\":%d,\"width\":%d,\"height\":%d}\n", rows, cols, GW, GH);
        }
    }
    free(grid);
    free(img);
    dc_dataset_free(d);
    return rc;
}

/* k-fold cross-validation: fold k is the validation set of model k. CSV
 * tables refit their preprocessing on each fold's training part. */
/* Does the description file parse with a text line? (`input auto` ones
 * do not parse without data, and a text model never has one.) */
static int text_description(const char *path) {
    dc_model *m = dc_model_parse_file(path);
    const dc_text_spec *t = m ? dc_model_text(m) : NULL;
    const int text = t && t->enabled;
    dc_model_free(m);
    return text;
}

static int cmd_cv(const cli_args *a) {
    if (need(a, "a DESCRIPTION file", a->target) || need(a, "--data", a->data) || need(a, "--folds K", a->folds ? a : NULL)) return 2;
    if (text_description(a->target)) { /* it read the texts as a table of numbers (F16) */
        fprintf(stderr, "deepc: cv: %s is a text model; cross-validation takes numeric tables and IDX images (train with "
                        "--test-split for a held-out score)\n", a->target);
        return 2;
    }
    int K = (int)a->folds, rc = 0;
    enum { NM = 6 };
    const char *names[NM] = {"accuracy", "loss", "macro_f1", "auc", "mse", "r2"};
    double vals[64][NM];
    int regression = 0;
    dc_dataset *all = NULL;
    int64_t *idx = NULL;
    if (!cli_is_csv(a->data)) { /* IDX: folds of the training split */
        if (!(all = dc_mnist_load(a->data, "train"))) return cli_fail("cannot load the data");
        if (a->limit > 0 && a->limit < all->n) all->n = a->limit;
        idx = malloc(sizeof(int64_t) * (size_t)all->n);
        if (!idx) {
            dc_dataset_free(all);
            return cli_fail("out of memory");
        }
        for (int64_t i = 0; i < all->n; i++) idx[i] = i;
        dc_rng r;
        dc_rng_seed(&r, a->seed >= 0 ? (uint64_t)a->seed : 42);
        dc_rng_shuffle(&r, idx, all->n);
    }
    if (K > 64) K = 64;
    for (int k = 0; k < K && !rc; k++) {
        cli_bundle b = {0};
        if (all) {
            int64_t nv = 0, nt = 0;
            int64_t *vi = malloc(sizeof(int64_t) * (size_t)all->n), *ti = malloc(sizeof(int64_t) * (size_t)all->n);
            for (int64_t i = 0; vi && ti && i < all->n; i++) {
                if (i % K == k) vi[nv++] = idx[i];
                else ti[nt++] = idx[i];
            }
            b.train = vi && ti ? dc_dataset_subset(all, ti, nt) : NULL;
            b.test = vi && ti ? dc_dataset_subset(all, vi, nv) : NULL;
            free(vi);
            free(ti);
            if (!b.train || !b.test) rc = cli_fail("out of memory");
        } else {
            dc_csv_options o;
            if (cli_csv_options(a, &o)) rc = cli_fail("bad CSV options");
            else {
                o.folds = K;
                o.fold = k;
                o.stratify = !a->regression; /* folds keep class proportions */
                if (dc_csv_load(a->data, &o, &b.tab, &b.train, &b.test, k == 0 && !a->quiet ? stdout : NULL))
                    rc = cli_fail("cannot load the data");
            }
        }
        dc_model *m = rc ? NULL : parse_for(a->target, &b);
        if (!rc && !m) rc = cli_fail("cannot read the model description");
        dc_history h = {0};
        cli_metrics r = {0};
        if (!rc) {
            apply_lr(a, m);
            dc_fit_options fo = fit_options(a, NULL);
            fo.validation = b.test;
            fo.verbose = 0;
            fo.stop = NULL;
            fo.checkpoint = fo.best_checkpoint = fo.log_csv = NULL;
            fo.stop_after_steps = 0;
            if (dc_fit(m, b.train, &fo, &h) || cli_compute_metrics(m, b.test, &r)) rc = cli_fail("training a fold failed");
        }
        if (!rc) {
            regression = r.regression;
            double v[NM] = {regression ? NAN : r.cls.accuracy, r.loss, regression ? NAN : r.cls.macro_f1,
                            regression ? NAN : r.cls.auc, regression ? r.reg.mse : NAN, regression ? r.reg.r2 : NAN};
            memcpy(vals[k], v, sizeof v);
            if (!a->quiet) {
                printf("fold %d/%d: %lld train, %lld validation - ", k + 1, K, (long long)b.train->n, (long long)b.test->n);
                if (regression) printf("loss: %.4f - mse: %.4f - r2: %.4f\n", r.loss, r.reg.mse, r.reg.r2);
                else printf("loss: %.4f - accuracy: %.4f - macro_f1: %.4f\n", r.loss, r.cls.accuracy, r.cls.macro_f1);
                fflush(stdout);
            }
        }
        cli_metrics_free(&r);
        dc_history_free(&h);
        dc_model_free(m);
        cli_bundle_free(&b);
    }
    dc_dataset_free(all);
    free(idx);
    if (rc) return rc;
    double mean[NM], sd[NM];
    for (int j = 0; j < NM; j++) {
        mean[j] = sd[j] = 0;
        for (int k = 0; k < K; k++) mean[j] += vals[k][j] / K;
        for (int k = 0; k < K; k++) sd[j] += (vals[k][j] - mean[j]) * (vals[k][j] - mean[j]) / K;
        sd[j] = sqrt(sd[j]);
    }
    printf("%d-fold cross-validation:", K);
    for (int j = 0; j < NM; j++)
        if (!isnan(mean[j])) printf(" %s %.4f +/- %.4f", names[j], mean[j], sd[j]);
    printf("\n");
    if (a->json) {
        printf("{\"command\":\"cv\",\"folds\":%d", K);
        for (int j = 0; j < NM; j++) {
            if (isnan(mean[j])) continue;
            printf(",\"%s_mean\":", names[j]);
            cli_json_number(stdout, mean[j]);
            printf(",\"%s_std\":", names[j]);
            cli_json_number(stdout, sd[j]);
            printf(",\"%s_folds\":[", names[j]);
            for (int k = 0; k < K; k++) {
                printf("%s", k ? "," : "");
                cli_json_number(stdout, vals[k][j]);
            }
            printf("]");
        }
        printf("}\n");
    }
    return 0;
}

/* generate without --prompt draws VAE images: on a language model, say
 * what it needs instead of asking for a PNG (F21). */
static int text_model_needs_prompt(const char *path) {
    dc_model *m = dc_model_load(path);
    const dc_text_spec *t = m ? dc_model_text(m) : NULL; /* NULL: not a text model */
    const int text = t && t->enabled;
    dc_model_free(m);
    if (text) fprintf(stderr, "deepc: %s is a language model: give --prompt TEXT to generate text\n", path);
    return text;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        cli_overview(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "help")) { /* deepc help [COMMAND] */
        const command_help *c = argc > 2 ? cli_find_command(argv[2]) : NULL;
        if (c) cli_command_usage(c, stdout);
        else cli_overview(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") || !strcmp(argv[1], "version")) {
        printf("deepc %s\n", DEEPC_VERSION);
        return 0;
    }
    if (!cli_find_command(argv[1])) {
        const char *names[32];
        for (int i = 0; i < cli_ncommands && i < 32; i++) names[i] = cli_commands[i].name;
        const char *near = dc_did_you_mean(argv[1], names, cli_ncommands < 32 ? cli_ncommands : 32);
        if (near) fprintf(stderr, "deepc: unknown command \"%s\": did you mean \"%s\"? (deepc --help)\n", argv[1], near);
        else fprintf(stderr, "deepc: unknown command \"%s\" (deepc --help)\n", argv[1]);
        return 2;
    }
    if (!strcmp(argv[1], "serve")) return cli_serve(argc, argv); /* its own options and signal handling */
    if (cli_mpi_init(&argc, &argv)) return 2;
    if (cli_mpi_world() > 1 && strcmp(argv[1], "train") && strcmp(argv[1], "distill") && strcmp(argv[1], "prune") && strcmp(argv[1], "eval")) {
        fprintf(stderr, "deepc: %s does not run on several ranks; under mpirun, run train, distill, prune or eval\n", argv[1]);
        cli_mpi_finalize();
        return 2;
    }
    if (cli_mpi_rank() > 0 && !freopen("/dev/null", "w", stdout)) return 1; /* rank 0 alone prints */
    route_signals();
    cli_args a;
    if (parse_args(argc, argv, &a)) return 2;
    if (cli_mpi_world() > 1) { /* train, distill, prune or eval on ranks */
        const int rc = !strcmp(a.cmd, "train") ? cmd_train(&a) : !strcmp(a.cmd, "distill") ? cmd_distill(&a) : !strcmp(a.cmd, "eval") ? cmd_eval(&a) : cmd_prune(&a);
        if (rc && rc != 130) cli_mpi_abort(rc); /* the other ranks would wait for this one forever */
        cli_mpi_finalize();
        return rc;
    }
    if (!strcmp(a.cmd, "train")) return cmd_train(&a);
    if (!strcmp(a.cmd, "distill")) return cmd_distill(&a);
    if (!strcmp(a.cmd, "prune")) return cmd_prune(&a);
    if (!strcmp(a.cmd, "eval")) return cmd_eval(&a);
    if (!strcmp(a.cmd, "predict")) return cmd_predict(&a);
    if (!strcmp(a.cmd, "summary")) return cmd_summary(&a);
    if (!strcmp(a.cmd, "cv")) return cmd_cv(&a);
    if (!strcmp(a.cmd, "augment")) return cmd_augment(&a);
    if (!strcmp(a.cmd, "tokenize")) return cli_tokenize(&a);
    if (!strcmp(a.cmd, "transform")) return cli_transform(&a);
    if (!strcmp(a.cmd, "export")) return cli_export(&a);
    if (!strcmp(a.cmd, "quantize")) return cli_quantize(&a);
    if (!strcmp(a.cmd, "import-gpt2")) return cli_import_gpt2(&a);
    if (!strcmp(a.cmd, "import-onnx")) return cli_import_onnx(&a);
    if (!strcmp(a.cmd, "tokenizer")) return cli_tokenizer_train(&a);
    if (!strcmp(a.cmd, "generate")) {
        if (a.prompt) return need(&a, "a MODEL file", a.target) ? 2 : cli_generate_text(&a);
        if (need(&a, "a MODEL file", a.target) || text_model_needs_prompt(a.target)) return 2;
        if (need(&a, "--out FILE.png", a.out)) return 2;
        return cli_generate(&a, a.samples ? a.samples : 64, a.manifold);
    }
    fprintf(stderr, "deepc: unknown command \"%s\" (deepc --help)\n", a.cmd);
    return 2;
}
