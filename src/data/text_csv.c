/* text_csv.c — a CSV of texts and labels for a text model: the text column
 * (the spec's; quoted fields may span lines) becomes token ids through the
 * tokenizer, padded or cut to maxlen; the label column becomes class
 * indices — or, for a language model (target=next), each step's label is
 * the next token and no label column is read, and a plain .txt file gives
 * a text per non-empty line. A folder of class subfolders
 * of .txt files (text_folder.c) reads as such a table. The split is a seeded
 * shuffle, stratified by class on request, and the tokenizer is fitted on
 * the training rows only. */
#include "parts.h"
#include "text_report.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Numbers sort by value, other labels by their bytes. (A file-level flag
 * for qsort's comparator: loading is not done from several threads.) */
static int all_numbers;
static int cmp_label(const void *a, const void *b) {
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    double u, v;
    if (all_numbers && dc_csv_number(x, &u) && dc_csv_number(y, &v) && u != v) return u < v ? -1 : 1;
    return strcmp(x, y);
}

/* Sorted distinct labels of rows[0..n) (column lab), as new strings. */
static char **distinct_labels(const dc_csv *t, int lab, int64_t n, int *count) {
    char **v = malloc(sizeof(char *) * (size_t)(n ? n : 1));
    if (!v) return NULL;
    all_numbers = 1;
    for (int64_t r = 0; r < n; r++) {
        double x;
        v[r] = t->cells[r * t->ncols + lab];
        all_numbers = all_numbers && dc_csv_number(v[r], &x);
    }
    qsort(v, (size_t)n, sizeof *v, cmp_label);
    int m = 0;
    for (int64_t r = 0; r < n; r++)
        if (!m || cmp_label(&v[r], &v[m - 1])) v[m++] = v[r];
    for (int i = 0; i < m; i++) v[i] = strdup(v[i]);
    *count = m;
    return v;
}

/* A language model's labels: at each real step, the next token; padding,
 * and a last real step with nothing after it, are ignored. */
static void next_tokens(const int32_t *x, int32_t *y, int64_t T) {
    for (int64_t t = 0; t < T; t++) y[t] = x[t] && t + 1 < T && x[t + 1] ? x[t + 1] : DC_IGNORE_INDEX;
}

/* The class of every row (cls) from label column lab: the model's classes
 * (*nclasses > 0: eval, predict, resume) or the table's sorted distinct
 * labels (*mine, at least two). */
static dc_status row_classes(const dc_csv *t, int lab, const char *path, char ***classes, const int *nclasses, char ***mine,
                             int *nmine, int64_t *cls, int *nnames_out) {
    for (int64_t r = 0; r < t->nrows; r++)
        if (dc_csv_missing(t->cells[r * t->ncols + lab]))
            return dc_set_error(DC_ERR_FORMAT, "%s:%lld: the label \"%s\" is missing", path, (long long)t->line[r], t->names[lab]);
    if (*nclasses == 0) {
        if (!(*mine = distinct_labels(t, lab, t->nrows, nmine))) return dc_set_error(DC_ERR_NOMEM, "out of memory");
        if (*nmine < 2)
            return dc_set_error(DC_ERR_FORMAT, "%s: label column \"%s\" has a single class \"%s\"", path, t->names[lab], (*mine)[0]);
    } else { /* the model's classes: numbers (sorted by value) or not */
        all_numbers = 1;
        for (int i = 0; i < *nclasses; i++) {
            double x;
            all_numbers = all_numbers && dc_csv_number((*classes)[i], &x);
        }
    }
    char **names = *nclasses ? *classes : *mine;
    int nnames = *nclasses ? *nclasses : *nmine;
    dc_strmap map;
    int dup[2];
    dc_status st = dc_strmap_build(&map, names, nnames, dup);
    if (st) return st == DC_ERR_INVALID ? dc_set_error(DC_ERR_FORMAT, "class \"%s\" is named twice", names[dup[0]]) : st;
    for (int64_t r = 0; !st && r < t->nrows; r++) {
        const char *y = t->cells[r * t->ncols + lab];
        int k = dc_strmap_find(&map, y);
        double u, v;
        if (k < 0 && all_numbers && dc_csv_number(y, &u)) /* "1.0" is class "1": bisection by value */
            for (int lo = 0, hi = nnames - 1; lo <= hi && k < 0;) {
                int mid = (lo + hi) / 2;
                dc_csv_number(names[mid], &v);
                if (v == u) k = mid;
                else if (v < u) lo = mid + 1;
                else hi = mid - 1;
            }
        if (k < 0) st = dc_set_error(DC_ERR_FORMAT, "%s:%lld: class \"%s\" is not one of the model's", path, (long long)t->line[r], y);
        cls[r] = k;
    }
    dc_strmap_free(&map);
    *nnames_out = nnames;
    return st;
}

dc_status dc_text_csv_load(const char *path, const dc_text_spec *spec, const dc_csv_options *o, dc_tokenizer **tok,
                           char ***classes, int *nclasses, dc_dataset **train, dc_dataset **test, FILE *report) {
    *train = NULL;
    if (test) *test = NULL;
    if (!spec || !spec->enabled) return dc_set_error(DC_ERR_INVALID, "%s: the model has no text line to read texts with", path);
    struct stat ps;
    const int folder = stat(path, &ps) == 0 && S_ISDIR(ps.st_mode);
    const size_t plen = strlen(path);
    const int lines = !folder && plen > 4 && !strcasecmp(path + plen - 4, ".txt");
    if (lines && !spec->next)
        return dc_set_error(DC_ERR_FORMAT, "%s: a plain text file has no labels; it trains a language model (text target=next), "
                                           "or use a CSV or a folder per class", path);
    dc_csv *t = folder ? dc_text_folder_table(path)
                : lines ? dc_text_lines_table(path)
                        : dc_csv_read(path, o->delimiter ? o->delimiter : ',', !o->no_header, o->skip_rows);
    if (!t) return DC_ERR_FORMAT;
    dc_status st = DC_OK;
    int64_t *order = NULL, *cls = NULL;
    dc_tokenizer *fitted = NULL;
    char **mine = NULL;
    int nmine = 0;
    int txt = folder || lines ? 0 : dc_csv_column(t, spec->column), lab = -1; /* a folder's table: text, label */
    if (txt < 0) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: no text column \"%s\" (the description's text line names it)", path, spec->column);
        goto done;
    }
    if (spec->next) lab = -2; /* a language model: its labels are its texts */
    else if (o->label) lab = dc_csv_column(t, o->label);
    else
        for (int k = t->ncols - 1; k >= 0 && lab == -1; k--) lab = k != txt ? k : -1;
    if (lab == -1 || lab == txt) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: no label column%s%s%s besides the text", path, o->label ? " \"" : "",
                          o->label ? o->label : "", o->label ? "\"" : "");
        goto done;
    }
    for (int64_t r = 0; r < t->nrows; r++)
        if (!*t->cells[r * t->ncols + txt]) {
            st = dc_set_error(DC_ERR_FORMAT, "%s:%lld: no text in column \"%s\"", path, (long long)t->line[r], t->names[txt]);
            goto done;
        }
    order = malloc(sizeof(int64_t) * (size_t)(t->nrows > 0 ? t->nrows : 1));
    cls = calloc((size_t)(t->nrows > 0 ? t->nrows : 1), sizeof(int64_t)); /* a language model's rows: all class 0 */
    if (!order || !cls) {
        st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t r = 0; r < t->nrows; r++) order[r] = r;
    int nnames = 1;
    if (lab >= 0 && (st = row_classes(t, lab, path, classes, nclasses, &mine, &nmine, cls, &nnames))) goto done;
    /* split: seeded shuffle; stratified takes the same share of each class */
    int64_t n = t->nrows, ntest = 0;
    dc_rng rng;
    dc_rng_seed(&rng, o->seed ? o->seed : 42);
    if (o->test_split > 0.0f) dc_rng_shuffle(&rng, order, n);
    char *is_test = calloc((size_t)n, 1);
    int64_t *seen = calloc((size_t)nnames, sizeof(int64_t)), *total = calloc((size_t)nnames, sizeof(int64_t));
    if (!is_test || !seen || !total) {
        free(is_test), free(seen), free(total);
        st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n; i++) total[cls[order[i]]]++;
    for (int64_t i = 0; i < n && o->test_split > 0.0f; i++) {
        int64_t k = cls[order[i]];
        int64_t want = o->stratify ? (int64_t)((double)total[k] * o->test_split + 0.5) : (int64_t)((double)n * o->test_split);
        is_test[i] = o->stratify ? seen[k]++ < want : i < want;
        ntest += is_test[i];
    }
    free(seen), free(total);
    if (n - ntest < 1 || (o->test_split > 0.0f && ntest < 1)) {
        free(is_test);
        st = dc_set_error(DC_ERR_INVALID, "%s: a test split of %g leaves %lld training and %lld test rows", path, o->test_split,
                          (long long)(n - ntest), (long long)ntest);
        goto done;
    }
    /* the tokenizer: the one given, or fitted on the training texts */
    if (!*tok) {
        const char **texts = malloc(sizeof(char *) * (size_t)n);
        int64_t m = 0;
        for (int64_t i = 0; texts && i < n; i++)
            if (!is_test[i]) texts[m++] = t->cells[order[i] * t->ncols + txt];
        if (!texts) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        else if (!(fitted = dc_tokenizer_new(&spec->tok)) || dc_tokenizer_fit(fitted, texts, m)) st = DC_ERR_NOMEM;
        free(texts);
        if (st || !fitted) {
            free(is_test);
            if (!st) st = DC_ERR_NOMEM;
            goto done;
        }
    }
    const dc_tokenizer *use = *tok ? *tok : fitted;
    dc_dataset *parts[2] = {NULL, NULL};
    int64_t counts[2] = {n - ntest, ntest}, at[2] = {0, 0};
    for (int p = 0; p < 2 && !st; p++)
        if ((p == 0 || counts[1]) && !(parts[p] = dc_dataset_new(counts[p], DC_I32, 1, (int64_t[]){spec->maxlen}, DC_I32,
                                                                 spec->next ? 1 : 0, (int64_t[]){spec->maxlen})))
            st = dc_set_error(DC_ERR_NOMEM, "%s: out of memory for %lld texts of %d tokens", path, (long long)counts[p], spec->maxlen);
    int64_t kept = 0, cut = 0;
    for (int64_t i = 0; i < n && !st; i++) {
        int p = is_test[i];
        int64_t r = order[i], j = at[p]++;
        int64_t k = dc_tokenizer_encode(use, t->cells[r * t->ncols + txt], (int32_t *)parts[p]->x.data + j * spec->maxlen,
                                        spec->maxlen, spec->pad_post, spec->truncate_post);
        if (k < 0) st = DC_ERR_NOMEM;
        kept += k, cut += k == spec->maxlen;
        if (spec->next) next_tokens((int32_t *)parts[p]->x.data + j * spec->maxlen, (int32_t *)parts[p]->y.data + j * spec->maxlen, spec->maxlen);
        else ((int32_t *)parts[p]->y.data)[j] = (int32_t)cls[r];
    }
    free(is_test);
    for (int p = 0; p < 2; p++)
        if (parts[p]) parts[p]->num_classes = spec->next ? dc_tokenizer_vocab_size(use) : nnames;
    if (st) {
        dc_dataset_free(parts[0]), dc_dataset_free(parts[1]);
        goto done;
    }
    if (report)
        fprintf(report, "%s: %lld texts, %d classes; %lld training and %lld test rows%s; vocabulary %d (%s level); "
                        "%.1f tokens per text (maxlen %d, reached by %lld texts)\n",
                path, (long long)n, spec->next ? dc_tokenizer_vocab_size(use) : nnames, (long long)(n - ntest), (long long)ntest,
                spec->next ? " (a language model: the next token is the class)" : o->stratify ? " (stratified)" : "",
                dc_tokenizer_vocab_size(use), spec->tok.char_level ? "character" : "word", (double)kept / (double)n, spec->maxlen,
                (long long)cut);
    if (report) dc_text_oov_report(report, path, use, (const int32_t *)parts[0]->x.data, parts[0]->x.size);
    *train = parts[0];
    if (test) *test = parts[1];
    else dc_dataset_free(parts[1]);
    if (fitted) *tok = fitted, fitted = NULL;
    if (!*nclasses) *classes = mine, *nclasses = nmine, mine = NULL;
done:
    dc_free_names(mine, nmine);
    dc_tokenizer_free(fitted);
    free(order);
    free(cls);
    dc_csv_free(t);
    return st;
}

/* ---- a CSV of texts read in parts by ranks (deepc train --shard-data) ---- */

static int cmp_text(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The classes from every rank's distinct labels: ordered as distinct_labels
 * orders them (by value when every label is a number), in *mine. */
static dc_status merged_classes(const part_ctx *c, const dc_csv *t, int lab, char ***mine, int *nmine) {
    int64_t words = 0;
    for (int64_t r = 0; r < t->nrows; r++) {
        double x;
        words += !dc_csv_number(t->cells[r * t->ncols + lab], &x);
    }
    dc_status st = part_sum_i64(c, &words, 1);
    char **v = st ? NULL : malloc(sizeof(char *) * (size_t)(t->nrows ? t->nrows : 1));
    if (!st && !v) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    int64_t k = 0, n = 0, *ones = NULL;
    for (int64_t r = 0; !st && r < t->nrows; r++) v[r] = t->cells[r * t->ncols + lab];
    if (!st) { /* this rank's distinct labels (strcmp order: part_merge_counted's) */
        qsort(v, (size_t)t->nrows, sizeof *v, cmp_text);
        for (int64_t r = 0; r < t->nrows; r++)
            if (!k || strcmp(v[r], v[k - 1])) v[k++] = v[r];
        if (!(ones = calloc((size_t)(k ? k : 1), sizeof(int64_t)))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    }
    char *buf = NULL;
    counted *all = NULL;
    if (!st) st = part_merge_counted(c, v, ones, k, &buf, &all, &n, "gather their classes");
    char **names = st ? NULL : calloc((size_t)(n ? n : 1), sizeof(char *));
    if (!st && !names) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; !st && i < n; i++)
        if (!(names[i] = strdup(all[i].s))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) {
        all_numbers = words == 0;
        qsort(names, (size_t)n, sizeof *names, cmp_label);
        *mine = names, *nmine = (int)n;
        names = NULL;
        if (n < 2) st = dc_set_error(DC_ERR_FORMAT, "%s: label column \"%s\" has a single class \"%s\"", c->path, t->names[lab], n ? (*mine)[0] : "");
    }
    if (names) dc_free_names(names, (int)n);
    free(all), free(buf), free(ones), free(v);
    return st;
}

/* This rank's texts rows[n] encoded (labels: their classes, or a
 * language model's next tokens) into a new dataset; *kept and *cut count
 * the tokens kept and the texts that reached maxlen. */
static dc_dataset *encode_rows(const dc_csv *t, int txt, const dc_text_spec *spec, const dc_tokenizer *use, const int64_t *rows, const int64_t *cls,
                               int64_t n, int64_t *kept, int64_t *cut) {
    dc_dataset *d = dc_dataset_new(n ? n : 1, DC_I32, 1, (int64_t[]){spec->maxlen}, DC_I32, spec->next ? 1 : 0, (int64_t[]){spec->maxlen});
    for (int64_t i = 0; d && i < n; i++) {
        int32_t *x = (int32_t *)d->x.data + i * spec->maxlen;
        const int64_t k = dc_tokenizer_encode(use, t->cells[rows[i] * t->ncols + txt], x, spec->maxlen, spec->pad_post, spec->truncate_post);
        if (k < 0) {
            dc_dataset_free(d);
            return NULL;
        }
        *kept += k, *cut += k == spec->maxlen;
        if (spec->next) next_tokens(x, (int32_t *)d->y.data + i * spec->maxlen, spec->maxlen);
        else ((int32_t *)d->y.data)[i] = (int32_t)cls[rows[i]];
    }
    return d;
}

dc_status dc_text_csv_load_part(const char *path, const dc_text_spec *spec, const dc_csv_options *o, const dc_ranks *r, dc_tokenizer **tok,
                                char ***classes, int *nclasses, dc_dataset **train, int64_t *first, int64_t *total, dc_dataset **test,
                                FILE *report) {
    *train = NULL, *first = *total = 0;
    if (test) *test = NULL;
    if (!spec || !spec->enabled) return dc_set_error(DC_ERR_INVALID, "%s: the model has no text line to read texts with", path);
    const part_ctx c = {r, path};
    const int W = r->world, me = r->rank;
    dc_csv *t = part_read(&c, o);
    if (!t) return DC_ERR_FORMAT;
    dc_status st = DC_OK;
    char **mine = NULL;
    int nmine = 0, nnames = 1;
    int64_t *cls = NULL, *order = NULL, *rows = NULL, *place = NULL, *counts = NULL, roff = 0, n = 0, ntest = 0;
    int32_t *gcls = NULL;
    char *is_test = NULL, *blob = NULL, *all = NULL;
    dc_tokenizer *fitted = NULL;
    dc_dataset *part = NULL;
    int txt = dc_csv_column(t, spec->column), lab = -1;
    if (txt < 0) st = dc_set_error(DC_ERR_FORMAT, "%s: no text column \"%s\" (the description's text line names it)", path, spec->column);
    if (!st && spec->next) lab = -2; /* a language model: its labels are its texts */
    else if (!st && o->label) lab = dc_csv_column(t, o->label);
    else
        for (int k = t->ncols - 1; !st && k >= 0 && lab == -1; k--) lab = k != txt ? k : -1;
    if (!st && (lab == -1 || lab == txt))
        st = dc_set_error(DC_ERR_FORMAT, "%s: no label column%s%s%s besides the text", path, o->label ? " \"" : "", o->label ? o->label : "",
                          o->label ? "\"" : "");
    for (int64_t i = 0; !st && i < t->nrows; i++)
        if (!*t->cells[i * t->ncols + txt])
            st = dc_set_error(DC_ERR_FORMAT, "%s:%lld: no text in column \"%s\"", path, (long long)t->line[i], t->names[txt]);
    /* every rank's row count: this rank's rows are [roff, roff + nrows) of n */
    if (!st && !(counts = malloc(sizeof(int64_t) * (size_t)W))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) st = part_gather_i64(&c, t->nrows, counts);
    for (int k = 0; !st && k < W; k++) roff += k < me ? counts[k] : 0, n += counts[k];
    /* classes: the model's, or every rank's labels merged; each row's (all of them: the split needs them) */
    if (!st && !(cls = calloc((size_t)(t->nrows ? t->nrows : 1), sizeof(int64_t)))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st && lab >= 0) {
        for (int64_t i = 0; !st && i < t->nrows; i++)
            if (dc_csv_missing(t->cells[i * t->ncols + lab]))
                st = dc_set_error(DC_ERR_FORMAT, "%s:%lld: the label \"%s\" is missing", path, (long long)t->line[i], t->names[lab]);
        if (!st && !*nclasses) st = merged_classes(&c, t, lab, &mine, &nmine);
        int given = *nclasses ? *nclasses : nmine, none = 0;
        char **names = *nclasses ? *classes : mine;
        if (!st) st = row_classes(t, lab, path, &names, &given, &mine, &none, cls, &nnames);
    }
    int32_t *mycls = st ? NULL : malloc(sizeof(int32_t) * (size_t)(t->nrows ? t->nrows : 1));
    int64_t *lens = st ? NULL : malloc(sizeof(int64_t) * (size_t)W);
    if (!st && (!mycls || !lens)) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; !st && i < t->nrows; i++) mycls[i] = (int32_t)cls[i];
    if (!st) st = part_gather(&c, mycls, t->nrows * (int64_t)sizeof(int32_t), (char **)&gcls, lens, "gather their rows' classes");
    free(mycls), free(lens);
    /* the split, as dc_text_csv_load makes it, over every row's place */
    if (!st && (!(order = malloc(sizeof(int64_t) * (size_t)n)) || !(is_test = calloc((size_t)n, 1))))
        st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    int64_t *seen = st ? NULL : calloc((size_t)nnames, sizeof(int64_t)), *per = st ? NULL : calloc((size_t)nnames, sizeof(int64_t));
    if (!st && (!seen || !per)) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) {
        for (int64_t i = 0; i < n; i++) order[i] = i;
        dc_rng rng;
        dc_rng_seed(&rng, o->seed ? o->seed : 42);
        if (o->test_split > 0.0f) dc_rng_shuffle(&rng, order, n);
        for (int64_t i = 0; i < n; i++) per[gcls[order[i]]]++;
        for (int64_t i = 0; i < n && o->test_split > 0.0f; i++) {
            const int64_t k = gcls[order[i]];
            const int64_t want = o->stratify ? (int64_t)((double)per[k] * o->test_split + 0.5) : (int64_t)((double)n * o->test_split);
            is_test[i] = o->stratify ? seen[k]++ < want : i < want;
            ntest += is_test[i];
        }
        if (n - ntest < 1 || (o->test_split > 0.0f && ntest < 1))
            st = dc_set_error(DC_ERR_INVALID, "%s: a test split of %g leaves %lld training and %lld test rows", path, o->test_split,
                              (long long)(n - ntest), (long long)ntest);
    }
    free(seen), free(per);
    /* this rank's rows in the split's order: training ones first (places 0..), then test ones */
    int64_t ntr_mine = 0, nte_mine = 0;
    if (!st && (!(rows = malloc(sizeof(int64_t) * (size_t)(t->nrows + 1))) || !(place = malloc(sizeof(int64_t) * (size_t)(t->nrows + 1)))))
        st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    for (int pass = 0; !st && pass < 2; pass++)
        for (int64_t i = 0, j = 0; i < n; i++) {
            if (is_test[i] != pass) continue;
            if (order[i] >= roff && order[i] < roff + t->nrows) {
                const int64_t k = ntr_mine + nte_mine;
                rows[k] = order[i] - roff, place[k] = j;
                *(pass ? &nte_mine : &ntr_mine) += 1;
            }
            j++;
        }
    /* the tokenizer: the one given, or fitted on every rank's training texts, each at its place */
    if (!st && !*tok) {
        const char **texts = malloc(sizeof(char *) * (size_t)(ntr_mine ? ntr_mine : 1));
        int64_t blen = 0, *blens = malloc(sizeof(int64_t) * (size_t)W);
        if (!texts || !blens) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        for (int64_t i = 0; !st && i < ntr_mine; i++) texts[i] = t->cells[rows[i] * t->ncols + txt];
        if (!st && !(fitted = dc_tokenizer_new(&spec->tok))) st = DC_ERR_NOMEM;
        if (!st) st = dc_tokenizer_count(fitted, texts, place, ntr_mine, &blob, &blen);
        if (!st) st = part_gather(&c, blob, blen, &all, blens, "gather their token counts");
        const char **parts = st ? NULL : malloc(sizeof(char *) * (size_t)W);
        if (!st && !parts) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        for (int k = 0, at = 0; !st && k < W; at += (int)blens[k++]) parts[k] = all + at;
        if (!st) st = dc_tokenizer_fit_counts(fitted, parts, blens, W);
        free(parts), free(texts), free(blens);
    }
    const dc_tokenizer *use = *tok ? *tok : fitted;
    int64_t tally[2] = {0, 0}; /* tokens kept, texts that reached maxlen */
    /* the rows: training ones traded (each rank holds its run), test ones gathered on every rank */
    if (!st && !(part = encode_rows(t, txt, spec, use, rows, cls, ntr_mine, &tally[0], &tally[1]))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
    if (!st) part->num_classes = spec->next ? dc_tokenizer_vocab_size(use) : nnames;
    if (!st) st = part_trade_rows(&c, part, place, ntr_mine, n - ntest, train, first);
    dc_dataset_free(part);
    part = NULL;
    if (!st && test && ntest) {
        if (!(part = encode_rows(t, txt, spec, use, rows + ntr_mine, cls, nte_mine, &tally[0], &tally[1]))) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        if (!st) part->num_classes = spec->next ? dc_tokenizer_vocab_size(use) : nnames;
        if (!st) st = part_gather_rows(&c, part, place + ntr_mine, nte_mine, ntest, test);
        dc_dataset_free(part);
    } else if (!st) { /* (the test rows' tokens still count in the report) */
        dc_dataset *d = encode_rows(t, txt, spec, use, rows + ntr_mine, cls, nte_mine, &tally[0], &tally[1]);
        if (!d) st = dc_set_error(DC_ERR_NOMEM, "out of memory");
        dc_dataset_free(d);
    }
    if (!st) st = part_sum_i64(&c, tally, 2);
    if (!st) *total = n - ntest;
    if (!st && report)
        fprintf(report, "%s: %lld texts, %d classes; %lld training and %lld test rows%s; vocabulary %d (%s level); "
                        "%.1f tokens per text (maxlen %d, reached by %lld texts)\n",
                path, (long long)n, spec->next ? dc_tokenizer_vocab_size(use) : nnames, (long long)(n - ntest), (long long)ntest,
                spec->next ? " (a language model: the next token is the class)" : o->stratify ? " (stratified)" : "",
                dc_tokenizer_vocab_size(use), spec->tok.char_level ? "character" : "word", (double)tally[0] / (double)n, spec->maxlen,
                (long long)tally[1]);
    if (!st) {
        if (fitted) *tok = fitted, fitted = NULL;
        if (!*nclasses) *classes = mine, *nclasses = nmine, mine = NULL;
    } else {
        dc_dataset_free(*train);
        *train = NULL;
        if (test) dc_dataset_free(*test), *test = NULL;
    }
    dc_free_names(mine, nmine);
    dc_tokenizer_free(fitted);
    free(cls), free(gcls), free(order), free(is_test), free(rows), free(place), free(counts), free(blob), free(all);
    dc_csv_free(t);
    return st;
}
