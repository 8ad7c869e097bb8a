/* cli_data.c — where the deepc command gets its data: the MNIST-style IDX
 * folders (train/test splits) or a CSV table run through the tabular
 * pipeline; and class names for reports. */
#include "cli_data.h"
#include "cli_mpi.h"
#include "cli_stream.h"
#include <ctype.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

static const char *const fashion_names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

int cli_is_csv(const char *data) {
    struct stat st;
    size_t n = strlen(data);
    if (n > 4 && !strcasecmp(data + n - 4, ".csv")) return 1;
    return stat(data, &st) == 0 && S_ISREG(st.st_mode);
}

int cli_is_dir(const char *data) {
    struct stat st;
    return stat(data, &st) == 0 && S_ISDIR(st.st_mode);
}

int cli_is_image_folder(const char *data) {
    struct stat st;
    char p[4200];
    if (stat(data, &st) != 0 || !S_ISDIR(st.st_mode)) return 0;
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", data);
    if (stat(p, &st) == 0) return 0;
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte", data);
    if (stat(p, &st) == 0) return 0;
    /* class subfolders make it an image folder; anything else is left to
     * the IDX loader, whose error names the missing files */
    DIR *d = opendir(data);
    struct dirent *e;
    int sub = 0, entries = 0;
    while (d && !sub && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        entries++;
        snprintf(p, sizeof p, "%s/%s", data, e->d_name);
        sub = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
    }
    if (d) closedir(d);
    return sub || entries == 0; /* an empty folder: say what an image folder needs */
}

dc_dataset *cli_load_images(const cli_args *a, const dc_model *m, const char *dir, int set_names, dc_model *named) {
    dc_image_folder_options o = {0};
    return cli_load_images_part(a, m, dir, set_names, named, &o, NULL, a->quiet ? NULL : stdout);
}

dc_dataset *cli_load_images_part(const cli_args *a, const dc_model *m, const char *dir, int set_names, dc_model *named,
                                 dc_image_folder_options *o, int64_t *skipped, FILE *report) {
    int64_t s[DC_MAX_DIMS];
    int nd = dc_model_input_shape(m, s);
    if (nd != 3 || (s[0] != 1 && s[0] != 3)) {
        dc_set_error_cli("%s holds images: the model's input must be CHANNELSxHEIGHTxWIDTH with 1 or 3 channels", dir);
        return NULL;
    }
    char **names = NULL;
    int nn = 0;
    o->channels = (int)s[0], o->height = (int)s[1], o->width = (int)s[2], o->skip_bad = a->skip_bad;
    dc_dataset *d = dc_image_folder_load_part(dir, o, &names, &nn, skipped, report);
    /* a model that knows its classes gets them by name, in its own order;
     * one that does not yet (a new run) takes the folder's */
    int nm = 0;
    char **mnames = d ? dc_model_class_names(m, &nm) : NULL;
    if (d && nm > 0 ? dc_dataset_match_classes(d, names, nn, mnames, nm, dir, stderr) != DC_OK
                    : d && set_names && named && dc_model_set_class_names(named, names, nn) != DC_OK) {
        dc_dataset_free(d);
        d = NULL;
    }
    dc_free_names(mnames, nm);
    dc_free_names(names, nn);
    return d;
}

dc_status cli_csv_options(const cli_args *a, dc_csv_options *o) {
    memset(o, 0, sizeof *o);
    o->delimiter = a->delimiter;
    o->no_header = a->no_header;
    o->skip_rows = a->skip_rows > 0 ? (int)a->skip_rows : 0;
    o->label = a->label;
    o->features = a->features;
    o->drop = a->drop;
    o->regression = a->regression;
    o->pca = (int)a->pca;
    o->test_split = a->test_split >= 0 ? (float)a->test_split : 0.0f;
    o->stratify = a->stratify;
    o->seed = a->seed >= 0 ? (uint64_t)a->seed : 42;
    if (!a->missing || !strcmp(a->missing, "drop")) o->missing = DC_MISSING_DROP;
    else if (!strcmp(a->missing, "mean")) o->missing = DC_MISSING_MEAN;
    else if (!strcmp(a->missing, "median")) o->missing = DC_MISSING_MEDIAN;
    else if (!strcmp(a->missing, "most_frequent")) o->missing = DC_MISSING_MOST_FREQUENT;
    else return dc_set_error_cli("--missing must be drop, mean, median or most_frequent, not \"%s\"", a->missing);
    if (!a->scale || !strcmp(a->scale, "none")) o->scaling = DC_SCALE_NONE;
    else if (!strcmp(a->scale, "standard")) o->scaling = DC_SCALE_STANDARD;
    else if (!strcmp(a->scale, "minmax")) o->scaling = DC_SCALE_MINMAX;
    else return dc_set_error_cli("--scale must be none, standard or minmax, not \"%s\"", a->scale);
    return DC_OK;
}

static const char *missing_names[] = {"drop", "mean", "median", "most_frequent"};
static const char *scale_names[] = {"none", "standard", "minmax"};

dc_status cli_resume_csv_args(const cli_args *a, dc_tabular *stored, cli_args *la, int *check) {
    dc_csv_options run, now;
    dc_status st = dc_tabular_options(stored, &run, check);
    if (st || (st = cli_csv_options(a, &now))) return st;
    char diff[2048] = "";
    size_t n = 0;
#define DIFFER(cond, ...)                                                   \
    if (cond && n < sizeof diff - 1) {                                       \
        n += (size_t)snprintf(diff + n, sizeof diff - n, "%s", n ? "; " : ""); \
        if (n < sizeof diff - 1) n += (size_t)snprintf(diff + n, sizeof diff - n, __VA_ARGS__); \
    }
    DIFFER(a->delimiter && a->delimiter != run.delimiter, "--delimiter '%c' (the run read '%c')", a->delimiter, run.delimiter)
    DIFFER(a->header_given && a->no_header != run.no_header, "%s (the run read %s)", a->no_header ? "--no-header" : "--header",
           run.no_header ? "no header" : "a header")
    DIFFER(a->skip_rows >= 0 && a->skip_rows != run.skip_rows, "--skip-rows %ld (the run skipped %d)", a->skip_rows, run.skip_rows)
    DIFFER(a->label && strcmp(a->label, run.label), "--label %s (the run's label is \"%s\")", a->label, run.label)
    DIFFER(a->features && strcmp(a->features, run.features), "--features %s (the run used %s)", a->features, run.features)
    DIFFER(a->regression && !run.regression, "--regression (the run was a classification)")
    DIFFER(a->missing && now.missing != run.missing, "--missing %s (the run used %s)", a->missing, missing_names[run.missing])
    DIFFER(a->scale && now.scaling != run.scaling, "--scale %s (the run used %s)", a->scale, scale_names[run.scaling])
    DIFFER(a->pca && a->pca != run.pca, "--pca %ld (the run kept %d components)", a->pca, run.pca)
    if (*check) {
        DIFFER(a->test_split >= 0 && (float)a->test_split != run.test_split, "--test-split %g (the run held out %g)",
               a->test_split, run.test_split)
        DIFFER(a->stratify && !run.stratify, "--stratify (the run's split was not stratified)")
        DIFFER(a->seed >= 0 && (uint64_t)a->seed != run.seed, "--seed %ld (the run split its rows with seed %llu)", a->seed,
               (unsigned long long)run.seed)
    }
#undef DIFFER
    if (n) return dc_set_error_cli("--resume: these options differ from the run's: %s. Drop them (the run's are used) or pass the run's", diff);
    /* read exactly as the run did */
    la->delimiter = run.delimiter;
    la->no_header = run.no_header;
    la->header_given = 1;
    la->skip_rows = run.skip_rows;
    la->label = run.label;
    la->features = run.features;
    la->regression = run.regression;
    la->missing = missing_names[run.missing];
    la->scale = scale_names[run.scaling];
    la->pca = run.pca;
    if (*check) {
        la->test_split = run.test_split;
        la->stratify = run.stratify;
        la->seed = (long)run.seed;
    }
    return DC_OK;
}

/* Do two pipelines hold the same steps and statistics (their stored text)? */
/* Two pipelines' texts the same, their numbers within 1e-9 (relative): a
 * table read in parts (--shard-data) sums its means and deviations in
 * another order than one process does, which moves their last bits. */
static int same_numbers_text(const char *a, const char *b) {
    while (*a && *b) {
        char *ea, *eb;
        const int num = (isdigit((unsigned char)*a) || *a == '-') && (isdigit((unsigned char)*b) || *b == '-');
        const double x = num ? strtod(a, &ea) : 0, y = num ? strtod(b, &eb) : 0;
        if (num && ea != a && eb != b) {
            if (!(fabs(x - y) <= 1e-9 * fmax(fabs(x), fabs(y)))) return 0;
            a = ea, b = eb;
        } else if (*a++ != *b++) return 0;
    }
    return *a == *b;
}

static int same_pipeline(const dc_tabular *x, const dc_tabular *y) {
    char *a = dc_tabular_serialize(x), *b = dc_tabular_serialize(y);
    int same = a && b && same_numbers_text(a, b);
    free(a);
    free(b);
    return same;
}

dc_status cli_resume_csv_same(const dc_tabular *stored, const dc_tabular *now, const char *path) {
    if (!same_pipeline(stored, now))
        return dc_set_error_cli("--resume: %s is not the table the run was trained on (read with the run's options, its "
                                "columns, classes or statistics come out different)", path);
    return DC_OK;
}

void cli_bundle_free(cli_bundle *b) {
    dc_dataset_free(b->train);
    dc_dataset_free(b->test);
    dc_dataset_free(b->val);
    dc_tabular_free(b->tab);
    memset(b, 0, sizeof *b);
}

/* --limit N: training uses the first N training samples (rows, texts, or a
 * stream's first N windows). */
static void limit_training(dc_dataset *d, int64_t limit, FILE *report) {
    if (!d || limit <= 0 || limit >= d->n) return;
    if (report)
        fprintf(report, "--limit %lld: training on the first %lld of %lld %s\n", (long long)limit, (long long)limit, (long long)d->n,
                d->kind == DC_DATASET_STREAM ? "windows of the stream" : "training samples");
    d->n = limit;
}

dc_status cli_load_training(const cli_args *a, cli_bundle *b, FILE *report) {
    memset(b, 0, sizeof *b);
    if (cli_is_csv(a->data)) {
        dc_csv_options o;
        dc_status st = cli_csv_options(a, &o);
        if (!st && a->shard_data && cli_mpi_world() > 1) { /* this rank's part of the records, the pipeline fitted over every rank's */
            const dc_ranks r = cli_mpi_ranks();
            st = dc_csv_load_part(a->data, &o, &r, &b->tab, &b->train, &b->first, &b->total, &b->test, report);
            if (!st && a->limit > 0 && a->limit < b->total)
                st = dc_set_error_cli("--limit: %s is read in parts with --shard-data; all its %lld training rows are trained on", a->data,
                                      (long long)b->total);
            if (!st && report)
                fprintf(report, "--shard-data: rank 0 holds training rows %lld to %lld of %lld; each of the %d ranks parsed its part of the file\n",
                        (long long)b->first, (long long)(b->first + b->train->n), (long long)b->total, cli_mpi_world());
            if (st) cli_bundle_free(b);
            return st;
        }
        if (!st) st = dc_csv_load(a->data, &o, &b->tab, &b->train, &b->test, report);
        if (!st) limit_training(b->train, a->limit, report);
        return st;
    }
    if (a->shard_data && cli_mpi_world() > 1) { /* this rank's part of the training rows, read alone */
        if (!(b->train = dc_mnist_load_part(a->data, "train", a->limit > 0 ? a->limit : 0, cli_mpi_rank(), cli_mpi_world(), &b->first, &b->total)))
            return DC_ERR_IO;
        if (report)
            fprintf(report, "--shard-data: rank 0 read rows %lld to %lld of %lld; each of the %d ranks reads its part\n", (long long)b->first,
                    (long long)(b->first + b->train->n), (long long)b->total, cli_mpi_world());
    } else if (!(b->train = dc_mnist_load_limit(a->data, "train", a->limit > 0 ? a->limit : 0))) {
        return DC_ERR_IO;
    }
    if (!(b->test = dc_mnist_load(a->data, "test"))) {
        cli_bundle_free(b);
        return DC_ERR_IO;
    }
    return DC_OK;
}

/* A resumed text run reads its texts as the run did: the stored split, the
 * model's vocabulary and classes. Options given again must agree. */
static dc_status resume_text_options(const cli_args *a, const dc_model *m, dc_csv_options *o, dc_text_run *run) {
    if (dc_model_text_run(m, run))
        return dc_set_error_cli("%s: no record of how the run split its texts (saved before deepc could resume text runs)", a->resume);
    if (a->test_split >= 0 && fabs(a->test_split - run->test_split) > 1e-6)
        return dc_set_error_cli("--test-split %g: the run held out %g", a->test_split, (double)run->test_split);
    if (a->stratify && !run->stratify) return dc_set_error_cli("--stratify: the run's split was not stratified");
    o->test_split = run->test_split, o->stratify = run->stratify, o->seed = run->seed;
    return DC_OK;
}

/* Options that a text model's data cannot take are refused, not ignored
 * (red team 3, F16): a table's numeric steps, and a held-out test part of
 * a language model's stream (it holds out its last tokens by
 * --validation-split). */
static dc_status text_options_apply(const cli_args *a, const dc_text_spec *sp) {
    const char *numeric = a->scale ? "--scale" : a->pca ? "--pca" : a->missing ? "--missing" : a->regression ? "--regression" : NULL;
    if (numeric)
        return dc_set_error_cli("%s: %s reads texts; %s applies to numeric tables (a text model's inputs are token ids)", numeric,
                                a->target, numeric);
    if ((sp->stream || sp->next || sp->bpe) && (a->test_split >= 0 || a->stratify))
        return dc_set_error_cli("%s: %s is a language model: its text is one stream, which holds out its last tokens with "
                                "--validation-split F (validation_split= in the fit line); --test-split and --stratify "
                                "apply to CSV texts with labels",
                                a->test_split >= 0 ? "--test-split" : "--stratify", a->target);
    return DC_OK;
}

/* dc_dataset_fingerprint of the whole training set when each rank holds a
 * run of its rows, in rank order: FNV-1a over every rank's inputs, then
 * over every rank's targets (both int32: a CSV of texts), folded along the
 * ranks. */
static int parts_fingerprint(const dc_dataset *d, uint64_t *hash) {
    *hash = 1469598103934665603ull;
    return cli_mpi_fnv(hash, d->x.data, (size_t)(d->n * d->x.size) * 4) || cli_mpi_fnv(hash, d->y.data, (size_t)(d->n * d->y.size) * 4);
}

dc_status cli_load_text(const cli_args *a, dc_model *m, cli_bundle *b, FILE *report) {
    memset(b, 0, sizeof *b);
    dc_csv_options o;
    dc_text_run run = {0};
    dc_status st = text_options_apply(a, dc_model_text(m));
    if (!st) st = cli_csv_options(a, &o);
    if (!st && a->resume) st = resume_text_options(a, m, &o, &run);
    /* a vocabulary already there (--init-from's, a resumed run's) is kept, not refitted */
    const dc_text_spec *sp0 = dc_model_text(m);
    dc_tokenizer *tok = (a->init_from || a->resume) && !sp0->bpe ? dc_model_tokenizer(m) : NULL;
    int n = 0;
    char **cls = a->resume ? dc_model_class_names(m, &n) : NULL;
    int64_t in[DC_MAX_DIMS];
    const dc_text_spec *sp = dc_model_text(m);
    if (!st && (dc_model_input_shape(m, in) != 1 || in[0] != sp->maxlen))
        st = dc_set_error_cli("%s: the text line's maxlen=%d must be the input's length (input %d)", a->target, sp->maxlen,
                              sp->maxlen);
    /* --shard-data: each rank reads its part of a stream (cli_stream.c) */
    const int part = a->shard_data && cli_mpi_world() > 1 && (sp->stream || sp->bpe);
    const int rows_part = a->shard_data && cli_mpi_world() > 1 && !part && cli_is_csv(a->data); /* a CSV of texts: its records */
    cli_stream cs = {0};
    const float vs = a->vsplit >= 0 ? (float)a->vsplit : dc_model_fit_config(m)->validation_split;
    const int64_t limit = a->limit > 0 ? a->limit : a->resume ? run.ntrain : 0; /* a resumed run: its own count */
    if (!st && sp->bpe) { /* GPT-2's BPE: the model's own (a resumed run's), or the text line's files */
        dc_bpe *bp = a->init_from || a->resume ? dc_model_bpe(m) : dc_bpe_load(sp->vocab, sp->merges);
        st = !bp ? DC_ERR_INVALID
             : part ? cli_stream_part(a->data, sp, bp, NULL, vs, limit, &cs, report)
                    : dc_bpe_stream_load(a->data, bp, sp->maxlen, &b->train, report);
        if (!st) st = dc_model_set_bpe(m, bp);
        dc_bpe_free(bp);
    } else if (!st && part) st = cli_stream_part(a->data, sp, NULL, &tok, vs, limit, &cs, report);
    else if (!st && sp->stream) st = dc_text_stream_load(a->data, sp, &tok, &b->train, report); /* split by position in fit */
    else if (!st && rows_part) {
        const dc_ranks r = cli_mpi_ranks();
        st = dc_text_csv_load_part(a->data, sp, &o, &r, &tok, &cls, &n, &b->train, &b->first, &b->total, &b->test, report);
        if (!st && limit > 0 && limit < b->total)
            st = dc_set_error_cli("--limit: %s is read in parts with --shard-data; all its %lld training texts are trained on", a->data,
                                  (long long)b->total);
        if (!st && report)
            fprintf(report, "--shard-data: rank 0 holds training texts %lld to %lld of %lld; each of the %d ranks parsed its part of the file\n",
                    (long long)b->first, (long long)(b->first + b->train->n), (long long)b->total, cli_mpi_world());
    } else if (!st) st = dc_text_csv_load(a->data, sp, &o, &tok, &cls, &n, &b->train, &b->test, report);
    if (!st && part) { /* this rank's windows, and the whole stream's count and fingerprint */
        b->train = cs.train, b->first = cs.first, b->total = cs.total;
        b->val = cs.val, b->val_first = cs.val_first, b->val_total = cs.val_total;
    }
    if (!st && !part && !rows_part) limit_training(b->train, limit, report);
    const int64_t windows = part ? cs.windows : rows_part ? b->total : b->train ? b->train->n : 0;
    uint64_t hash = part ? cs.hash : b->train && !rows_part ? dc_dataset_fingerprint(b->train) : 0;
    if (!st && rows_part && parts_fingerprint(b->train, &hash))
        st = dc_set_error_cli("%s: the ranks could not pass the texts' fingerprint along", a->data);
    if (!st && a->resume && (windows != run.ntrain || hash != run.hash))
        st = dc_set_error_cli("%s: these are not the texts the run trained on (%lld training texts, the run had %lld; "
                              "the same file and --label are needed)", a->data, (long long)windows, (long long)run.ntrain);
    if (!st && !a->resume) {
        run = (dc_text_run){o.test_split, o.stratify, o.seed, windows, hash};
        st = dc_model_set_text_run(m, &run);
    }
    if (!st && tok) st = dc_model_set_tokenizer(m, tok);
    if (!st) st = dc_model_set_class_names(m, cls, n);
    dc_tokenizer_free(tok);
    dc_free_names(cls, n);
    if (st) cli_bundle_free(b);
    return st;
}

/* Every row of a CSV of texts, with the model's tokenizer and classes. */
static dc_dataset *load_texts(const cli_args *a, const dc_model *m) {
    dc_csv_options o;
    if (cli_csv_options(a, &o)) return NULL;
    o.test_split = 0.0f;
    const dc_text_spec *sp = dc_model_text(m);
    dc_dataset *d = NULL;
    if (sp->bpe) { /* GPT-2's BPE, from the model file: every token once, in non-overlapping windows (F20) */
        dc_bpe *bp = dc_model_bpe(m);
        dc_dataset *all = NULL;
        if (bp && !dc_bpe_stream_load(a->data, bp, sp->maxlen, &all, NULL))
            d = dc_dataset_stream(all->stream.tokens, all->stream.ntokens, all->x.size, all->x.size);
        dc_dataset_free(all);
        dc_bpe_free(bp);
        return d;
    }
    dc_tokenizer *tok = dc_model_tokenizer(m);
    int n = 0;
    char **cls = tok ? dc_model_class_names(m, &n) : NULL;
    if (tok && sp->stream) { /* a language model's stream: every token once, in non-overlapping windows */
        dc_dataset *all = NULL;
        if (!dc_text_stream_load(a->data, sp, &tok, &all, NULL))
            d = dc_dataset_stream(all->stream.tokens, all->stream.ntokens, all->x.size, all->x.size);
        dc_dataset_free(all);
    } else if (tok && n == 0) dc_set_error_cli("the model has no class names (was it trained on texts?)");
    else if (tok) dc_text_csv_load(a->data, sp, &o, &tok, &cls, &n, &d, NULL, NULL);
    dc_tokenizer_free(tok);
    dc_free_names(cls, n);
    return d;
}

/* The rows a table's run held out, when path is the table it was trained on:
 * read again with the options and split the model file records, it gives the
 * stored pipeline again (else NULL: another file, scored whole). */
static dc_dataset *held_out_table(const char *path, dc_tabular *stored, cli_eval_part *part) {
    dc_csv_options o;
    int known = 0;
    if (dc_tabular_options(stored, &o, &known) || !known || !(o.test_split > 0.0f)) return NULL;
    dc_tabular *now = NULL;
    dc_dataset *train = NULL, *test = NULL;
    int same = 0;
    if (!dc_csv_load(path, &o, &now, &train, &test, NULL) && test) same = same_pipeline(stored, now);
    if (same) *part = (cli_eval_part){1, train->n + test->n, o.test_split};
    dc_tabular_free(now);
    dc_dataset_free(train);
    if (!same) dc_dataset_free(test);
    return same ? test : NULL;
}

/* The same for a CSV of texts: the run's training texts have the size and
 * fingerprint the model file records. */
static dc_dataset *held_out_texts(const cli_args *a, const dc_model *m, cli_eval_part *part) {
    dc_text_run run;
    const dc_text_spec *sp = dc_model_text(m);
    dc_csv_options o;
    if (sp->stream || sp->bpe || dc_model_text_run(m, &run) || !(run.test_split > 0.0f) || cli_csv_options(a, &o)) return NULL;
    o.test_split = run.test_split, o.stratify = run.stratify, o.seed = run.seed;
    dc_tokenizer *tok = dc_model_tokenizer(m);
    int n = 0;
    char **cls = tok ? dc_model_class_names(m, &n) : NULL;
    dc_dataset *train = NULL, *test = NULL;
    int same = n > 0 && !dc_text_csv_load(a->data, sp, &o, &tok, &cls, &n, &train, &test, NULL) && test &&
               train->n == run.ntrain && dc_dataset_fingerprint(train) == run.hash;
    if (same) *part = (cli_eval_part){1, train->n + test->n, run.test_split};
    dc_tokenizer_free(tok);
    dc_free_names(cls, n);
    dc_dataset_free(train);
    if (!same) dc_dataset_free(test);
    return same ? test : NULL;
}

dc_dataset *cli_load_eval(const cli_args *a, const dc_model *m, dc_tabular **tab, int need_label, cli_eval_part *part) {
    *tab = dc_model_tabular(m);
    dc_dataset *d = NULL;
    cli_eval_part whole = {0};
    if (!part) part = &whole;
    *part = whole;
    const int held = part != &whole && !a->all_rows && cli_is_csv(a->data);
    if (dc_model_text(m) && (cli_is_csv(a->data) || cli_is_dir(a->data))) {
        if (held) d = held_out_texts(a, m, part);
        if (!d) d = load_texts(a, m);
    } else if (cli_is_image_folder(a->data)) {
        d = cli_load_images(a, m, a->data, 0, NULL);
    } else if (cli_is_csv(a->data)) {
        if (!*tab) {
            dc_set_error_cli("%s is a CSV file, but this model was trained on images (no stored CSV pipeline)", a->data);
            return NULL;
        }
        dc_tabular_set_reading(*tab, a->delimiter, a->header_given ? a->no_header : -1, (int)a->skip_rows);
        if (held && need_label) d = held_out_table(a->data, *tab, part);
        if (!d) d = dc_tabular_transform_report(*tab, a->data, need_label, stderr);
    } else {
        if (*tab) {
            dc_set_error_cli("this model was trained on a CSV table: pass a CSV file with --data");
            return NULL;
        }
        d = dc_mnist_load(a->data, "test");
    }
    if (d && !part->held_out) part->total = d->n;
    if (d && a->limit > 0 && a->limit < d->n) d->n = a->limit;
    return d;
}

const char *cli_class_name(const cli_args *a, const dc_tabular *tab, const dc_model *m, int k, char *buf, size_t n) {
    if (tab && !dc_tabular_is_regression(tab)) return dc_tabular_class_name(tab, k);
    if (m && dc_model_class_name(m, k, buf, n)) return buf;
    if (a->data && strstr(a->data, "fashion") && k >= 0 && k < 10) return fashion_names[k];
    snprintf(buf, n, "%d", k);
    return buf;
}

char **cli_class_names(const cli_args *a, const dc_tabular *tab, const dc_model *m, int C) {
    char **v = calloc((size_t)(C > 0 ? C : 1), sizeof *v);
    int nm = 0;
    /* a model's names in one pass (dc_model_class_name walks the list to each) */
    char **stored = !(tab && !dc_tabular_is_regression(tab)) && m ? dc_model_class_names(m, &nm) : NULL;
    char nb[256];
    for (int k = 0; v && k < C; k++) {
        const char *s = k < nm ? stored[k] : cli_class_name(a, tab, nm ? NULL : m, k, nb, sizeof nb);
        if (!(v[k] = strdup(s))) {
            cli_free_class_names(v, k);
            v = NULL;
        }
    }
    dc_free_names(stored, nm);
    return v;
}

void cli_free_class_names(char **names, int C) {
    for (int k = 0; names && k < C; k++) free(names[k]);
    free(names);
}
