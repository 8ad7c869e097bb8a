/* test_csv_parts.c — a CSV read in parts by ranks (dc_csv_load_part and
 * dc_text_csv_load_part, as deepc train --shard-data reads it) against the
 * file read whole (dc_csv_load, dc_text_csv_load): 1, 2 and 3 ranks (threads, whose dc_ranks operations meet
 * at a barrier, as MPI's collectives do) on tables with quoted fields that
 * hold delimiters and newlines, missing values, categories, classes by
 * name and by number, and every imputation, scaling, PCA, a stratified
 * split and a regression. The pipelines must be the same (numbers within
 * 1e-9, relative: means and deviations are summed in another order), the
 * ranks' training parts one after another the training rows, and every
 * rank's test rows the test rows (features within 1e-5, labels exactly).
 * A CSV of texts (word and char level, a capped vocabulary, numbered
 * labels, a language model): the same classes, vocabulary and rows, to the
 * bit. A bad cell in the last rank's part is an error naming its line. */
#include "test.h"
#include <ctype.h>
#include <pthread.h>

enum { MAXW = 3 };

typedef struct {
    pthread_barrier_t bar;
    int world;
    const void *ptr[MAXW];
    const int64_t *cnt[MAXW], *dsp[MAXW];
    int64_t n[MAXW];
} hub;

typedef struct {
    hub *h;
    int rank;
} member;

static int reduce(double *v, int64_t n, void *user, int is_max) {
    member *m = user;
    hub *h = m->h;
    double *tmp = malloc(sizeof(double) * (size_t)(n ? n : 1));
    h->ptr[m->rank] = v;
    pthread_barrier_wait(&h->bar);
    for (int64_t i = 0; i < n; i++) {
        tmp[i] = ((const double *)h->ptr[0])[i];
        for (int r = 1; r < h->world; r++) {
            const double x = ((const double *)h->ptr[r])[i];
            tmp[i] = is_max ? fmax(tmp[i], x) : tmp[i] + x;
        }
    }
    pthread_barrier_wait(&h->bar);
    memcpy(v, tmp, sizeof(double) * (size_t)n);
    free(tmp);
    return 0;
}
static int sum(double *v, int64_t n, void *user) { return reduce(v, n, user, 0); }
static int max(double *v, int64_t n, void *user) { return reduce(v, n, user, 1); }

static int gather(const void *mine, int64_t n, char **all, int64_t *lens, void *user) {
    member *m = user;
    hub *h = m->h;
    h->ptr[m->rank] = mine, h->n[m->rank] = n;
    pthread_barrier_wait(&h->bar);
    int64_t total = 0;
    for (int r = 0; r < h->world; r++) lens[r] = h->n[r], total += h->n[r];
    *all = malloc((size_t)(total ? total : 1));
    for (int r = 0, at = 0; r < h->world; at += (int)h->n[r++]) memcpy(*all + at, h->ptr[r], (size_t)h->n[r]);
    pthread_barrier_wait(&h->bar);
    return 0;
}

static int trade(const void *send, const int64_t *scount, const int64_t *sdispl, void *recv, const int64_t *rcount, const int64_t *rdispl,
                 void *user) {
    member *m = user;
    hub *h = m->h;
    h->ptr[m->rank] = send, h->cnt[m->rank] = scount, h->dsp[m->rank] = sdispl;
    pthread_barrier_wait(&h->bar);
    int bad = 0;
    for (int s = 0; s < h->world; s++) {
        bad |= h->cnt[s][m->rank] != rcount[s];
        if (!bad) memcpy((char *)recv + rdispl[s], (const char *)h->ptr[s] + h->dsp[s][m->rank], (size_t)rcount[s]);
    }
    pthread_barrier_wait(&h->bar);
    return bad;
}

typedef struct {
    member me;
    dc_ranks r;
    const char *path;
    const dc_csv_options *o;
    dc_tabular *pipe;
    dc_dataset *train, *test;
    int64_t first, total;
    dc_status st;
    char err[512];
} rank_run;

static void *run(void *arg) {
    rank_run *j = arg;
    j->st = dc_csv_load_part(j->path, j->o, &j->r, &j->pipe, &j->train, &j->first, &j->total, &j->test, NULL);
    snprintf(j->err, sizeof j->err, "%s", j->st ? dc_last_error() : "");
    return NULL;
}

/* Two pipelines' texts the same, numbers within 1e-9 (relative). */
static int same_text(const char *a, const char *b) {
    while (*a && *b) {
        char *ea, *eb;
        const double x = strtod(a, &ea), y = strtod(b, &eb);
        if (ea != a && eb != b && (isdigit((unsigned char)*a) || *a == '-' || *a == '.')) {
            if (fabs(x - y) > 1e-9 * fmax(fabs(x), fabs(y)) + 1e-300) return 0;
            a = ea, b = eb;
            continue;
        }
        if (*a++ != *b++) return 0;
    }
    return *a == *b;
}

static float max_diff(const dc_dataset *a, int64_t ra, const dc_dataset *b, int64_t rb, int64_t n, int *labels_same) {
    float d = 0.0f;
    const int64_t F = a->x.size;
    for (int64_t i = 0; i < n; i++) {
        for (int64_t k = 0; k < F; k++) d = fmaxf(d, fabsf(((float *)a->x.data)[(ra + i) * F + k] - ((float *)b->x.data)[(rb + i) * F + k]));
        *labels_same &= !memcmp((char *)a->y.data + (ra + i) * 4, (char *)b->y.data + (rb + i) * 4, 4);
    }
    return d;
}

/* The file read whole and in W parts: the same pipeline and rows. */
static void check_parts(const char *what, const char *path, const dc_csv_options *o) {
    dc_tabular *p1 = NULL;
    dc_dataset *tr1 = NULL, *te1 = NULL;
    CHECK(dc_csv_load(path, o, &p1, &tr1, &te1, NULL) == DC_OK, "%s: read whole: %s", what, dc_last_error());
    char *s1 = p1 ? dc_tabular_serialize(p1) : NULL;
    for (int W = 1; W <= MAXW && s1; W++) {
        hub h = {.world = W};
        pthread_barrier_init(&h.bar, NULL, (unsigned)W);
        rank_run j[MAXW];
        pthread_t th[MAXW];
        for (int r = 0; r < W; r++) {
            j[r] = (rank_run){.me = {&h, r}, .path = path, .o = o};
            j[r].r = (dc_ranks){.rank = r, .world = W, .sum = sum, .max = max, .gather = gather, .trade = trade, .user = &j[r].me};
            pthread_create(&th[r], NULL, run, &j[r]);
        }
        for (int r = 0; r < W; r++) pthread_join(th[r], NULL);
        pthread_barrier_destroy(&h.bar);
        int ok = 1;
        for (int r = 0; r < W; r++) ok &= j[r].st == DC_OK;
        CHECK(ok, "%s, %d ranks: read in parts: %s", what, W, j[0].err[0] ? j[0].err : j[W - 1].err);
        if (!ok) {
            for (int r = 0; r < W; r++) dc_tabular_free(j[r].pipe), dc_dataset_free(j[r].train), dc_dataset_free(j[r].test);
            continue;
        }
        int same = 1, labels = 1, rows = 1;
        float d = 0.0f;
        int64_t at = 0;
        for (int r = 0; r < W; r++) {
            char *s = dc_tabular_serialize(j[r].pipe);
            same &= s && same_text(s1, s);
            free(s);
            rows &= j[r].total == tr1->n && j[r].first == at && j[r].train->x.size == tr1->x.size;
            if (rows) d = fmaxf(d, max_diff(j[r].train, 0, tr1, at, j[r].train->n, &labels));
            at += j[r].train->n;
            rows &= (te1 == NULL) == (j[r].test == NULL) && (!te1 || j[r].test->n == te1->n);
            if (rows && te1) d = fmaxf(d, max_diff(j[r].test, 0, te1, 0, te1->n, &labels));
        }
        CHECK(same, "%s, %d ranks: every rank's pipeline is the file's", what, W);
        CHECK(rows && at == tr1->n && labels && d < 1e-5f, "%s, %d ranks: the parts are the rows (%lld of %lld training rows, features %g off, labels %s)",
              what, W, (long long)at, (long long)tr1->n, d, labels ? "the same" : "differ");
        for (int r = 0; r < W; r++) dc_tabular_free(j[r].pipe), dc_dataset_free(j[r].train), dc_dataset_free(j[r].test);
    }
    free(s1);
    dc_tabular_free(p1);
    dc_dataset_free(tr1);
    dc_dataset_free(te1);
}

/* A table of n rows: a number with gaps, a category (quoted, some with a
 * comma, a newline or a quote inside), a count, a class label. */
static void write_table(const char *path, int n, int regression, int header, int bad_row) {
    FILE *f = fopen(path, "w");
    if (header) fputs("size,colour,count,kind\n", f);
    const char *colours[] = {"red", "\"green, light\"", "blue", "\"dark\nblue\"", "\"say \"\"hi\"\"\"", "NA"};
    const char *kinds[] = {"cat", "dog", "bird"};
    for (int i = 0; i < n; i++) {
        char size[32];
        if (i % 17 == 5) snprintf(size, sizeof size, "NA");
        else if (i == bad_row) snprintf(size, sizeof size, "big");
        else snprintf(size, sizeof size, "%.3f", 1.5 + (double)((i * 37) % 101) / 7.0);
        if (regression) fprintf(f, "%s,%s,%d,%.2f\n", size, colours[(i * 7) % 6], (i * 13) % 9, (double)(i % 23) * 0.5);
        else fprintf(f, "%s,%s,%d,%s\n", size, colours[(i * 7) % 6], (i * 13) % 9, i % 29 == 3 ? "" : kinds[(i * 5 + i / 7) % 3]);
    }
    fclose(f);
}

/* ---- a CSV of texts ----------------------------------------------------- */

typedef struct {
    member me;
    dc_ranks r;
    const char *path;
    const dc_text_spec *spec;
    const dc_csv_options *o;
    dc_tokenizer *tok;
    char **classes;
    int nclasses;
    dc_dataset *train, *test;
    int64_t first, total;
    dc_status st;
    char err[512];
} text_run;

static void *run_text(void *arg) {
    text_run *j = arg;
    j->st = dc_text_csv_load_part(j->path, j->spec, j->o, &j->r, &j->tok, &j->classes, &j->nclasses, &j->train, &j->first, &j->total, &j->test, NULL);
    snprintf(j->err, sizeof j->err, "%s", j->st ? dc_last_error() : "");
    return NULL;
}

static int same_rows(const dc_dataset *a, int64_t ra, const dc_dataset *b, int64_t rb, int64_t n) {
    return a->x.size == b->x.size && a->y.size == b->y.size &&
           !memcmp((int32_t *)a->x.data + ra * a->x.size, (int32_t *)b->x.data + rb * b->x.size, sizeof(int32_t) * (size_t)(n * a->x.size)) &&
           !memcmp((int32_t *)a->y.data + ra * a->y.size, (int32_t *)b->y.data + rb * b->y.size, sizeof(int32_t) * (size_t)(n * a->y.size));
}

/* The texts read whole and in W parts: the same classes, vocabulary and rows, exactly. */
static void check_text_parts(const char *what, const char *path, const dc_text_spec *spec, const dc_csv_options *o) {
    dc_tokenizer *tok = NULL;
    char **cls = NULL;
    int ncls = 0;
    dc_dataset *tr1 = NULL, *te1 = NULL;
    CHECK(dc_text_csv_load(path, spec, o, &tok, &cls, &ncls, &tr1, &te1, NULL) == DC_OK, "%s: read whole: %s", what, dc_last_error());
    char *v1 = tok ? dc_tokenizer_vocabulary(tok) : NULL;
    for (int W = 1; W <= MAXW && v1; W++) {
        hub h = {.world = W};
        pthread_barrier_init(&h.bar, NULL, (unsigned)W);
        text_run j[MAXW];
        pthread_t th[MAXW];
        for (int r = 0; r < W; r++) {
            j[r] = (text_run){.me = {&h, r}, .path = path, .spec = spec, .o = o};
            j[r].r = (dc_ranks){.rank = r, .world = W, .sum = sum, .max = max, .gather = gather, .trade = trade, .user = &j[r].me};
            pthread_create(&th[r], NULL, run_text, &j[r]);
        }
        for (int r = 0; r < W; r++) pthread_join(th[r], NULL);
        pthread_barrier_destroy(&h.bar);
        int ok = 1, vocab = 1, classes = 1, rows = 1;
        int64_t at = 0;
        for (int r = 0; r < W; r++) ok &= j[r].st == DC_OK;
        CHECK(ok, "%s, %d ranks: read in parts: %s", what, W, j[0].err[0] ? j[0].err : j[W - 1].err);
        for (int r = 0; ok && r < W; r++) {
            char *v = dc_tokenizer_vocabulary(j[r].tok);
            vocab &= v && !strcmp(v, v1);
            free(v);
            classes &= j[r].nclasses == ncls;
            for (int k = 0; classes && k < ncls; k++) classes &= !strcmp(j[r].classes[k], cls[k]);
            rows &= j[r].total == tr1->n && j[r].first == at && same_rows(j[r].train, 0, tr1, at, j[r].train->n);
            at += j[r].train->n;
            rows &= (te1 == NULL) == (j[r].test == NULL) && (!te1 || (j[r].test->n == te1->n && same_rows(j[r].test, 0, te1, 0, te1->n)));
            rows &= j[r].train->num_classes == tr1->num_classes;
        }
        if (ok) {
            CHECK(vocab && classes, "%s, %d ranks: the vocabulary and classes are the file's (vocabulary %s, classes %s)", what, W,
                  vocab ? "same" : "differs", classes ? "same" : "differ");
            CHECK(rows && at == tr1->n, "%s, %d ranks: the parts are the rows, to the bit (%lld of %lld)", what, W, (long long)at, (long long)tr1->n);
        }
        for (int r = 0; r < W; r++) {
            dc_tokenizer_free(j[r].tok);
            dc_free_names(j[r].classes, j[r].nclasses);
            dc_dataset_free(j[r].train), dc_dataset_free(j[r].test);
        }
    }
    free(v1);
    dc_tokenizer_free(tok);
    dc_free_names(cls, ncls);
    dc_dataset_free(tr1), dc_dataset_free(te1);
}

/* Reviews: quoted texts (commas, newlines, quotes inside), words that tie in
 * count (one of each text's is its own), labels by name or by number ("2"
 * before "10"). */
static void write_texts(const char *path, int n, int numeric) {
    FILE *f = fopen(path, "w");
    fputs("id,text,label\n", f);
    const char *words[] = {"good", "bad", "film", "plot", "actor", "slow", "great", "boring", "music", "ending", "twist", "cast"};
    const char *names[] = {"pos", "neg", "meh"}, *nums[] = {"2", "10", "1"};
    for (int i = 0; i < n; i++) {
        fprintf(f, "%d,\"", i);
        const int len = 3 + (i * 7) % 9;
        for (int k = 0; k < len; k++) fprintf(f, "%s%s", k ? ((i + k) % 11 == 0 ? ",\n" : " ") : "", words[(i * 5 + k * k + i / 13) % 12]);
        if (i % 17 == 4) fputs(" \"\"quoted\"\"", f);
        fprintf(f, " only%d", i); /* a word seen once: its index is decided by where it is first seen */
        fprintf(f, "\",%s\n", (numeric ? nums : names)[(i * 3 + i / 5) % 3]);
    }
    fclose(f);
}

int main(int argc, char **argv) {
    if (test_workdir(argc, argv, "csv_parts_tmp")) return 2;
    dc_set_num_threads(1);
    const char *cls = path_of("classes.csv"), *reg = path_of("regression.csv"), *plain = path_of("plain.csv"), *bad = path_of("bad.csv");
    write_table(cls, 700, 0, 1, -1);
    write_table(reg, 500, 1, 1, -1);
    write_table(plain, 400, 0, 0, -1);
    dc_csv_options o = {.label = "kind", .test_split = 0.2f, .seed = 7, .missing = DC_MISSING_MEAN, .scaling = DC_SCALE_STANDARD};
    check_parts("classes, mean, standard", cls, &o);
    o.stratify = 1, o.missing = DC_MISSING_MEDIAN, o.scaling = DC_SCALE_MINMAX;
    check_parts("classes, stratified, median, min-max", cls, &o);
    o.stratify = 0, o.missing = DC_MISSING_MOST_FREQUENT, o.scaling = DC_SCALE_STANDARD, o.pca = 3;
    check_parts("classes, most frequent, PCA 3", cls, &o);
    o.pca = 0, o.missing = DC_MISSING_DROP, o.test_split = 0.0f;
    check_parts("classes, rows with gaps dropped, no test split", cls, &o);
    dc_csv_options r = {.label = "3", .test_split = 0.25f, .regression = 1, .missing = DC_MISSING_MEAN, .scaling = DC_SCALE_STANDARD};
    check_parts("regression", reg, &r);
    dc_csv_options nh = {.label = "-1", .no_header = 1, .test_split = 0.1f, .missing = DC_MISSING_MEAN};
    check_parts("no header", plain, &nh);
    /* texts: word level with a capped vocabulary (ties cut by first sight), stratified; char level; numbered labels; a language model */
    const char *reviews = path_of("reviews.csv"), *numbered = path_of("numbered.csv");
    write_texts(reviews, 600, 0);
    write_texts(numbered, 300, 1);
    dc_text_spec ws = {.enabled = 1, .column = "text", .maxlen = 12, .tok = {0, 1, 1, 8}};
    dc_csv_options to = {.test_split = 0.2f, .stratify = 1, .seed = 5};
    check_text_parts("texts, word level, num_words=8, stratified", reviews, &ws, &to);
    dc_text_spec cs = {.enabled = 1, .column = "text", .maxlen = 40, .pad_post = 1, .tok = {1, 0, 1, 0}};
    to.stratify = 0;
    check_text_parts("texts, char level", reviews, &cs, &to);
    check_text_parts("texts, labels that are numbers", numbered, &ws, &to);
    dc_text_spec lm = {.enabled = 1, .column = "text", .maxlen = 10, .tok = {0, 1, 1, 0}, .next = 1};
    to.test_split = 0.1f;
    check_text_parts("texts, a language model (target=next)", reviews, &lm, &to);
    /* a word in a numeric column, in the last rank's part: an error naming its line */
    write_table(bad, 700, 0, 1, 650);
    hub h = {.world = 3};
    pthread_barrier_init(&h.bar, NULL, 3);
    rank_run j[3];
    pthread_t th[3];
    dc_csv_options b = {.label = "kind", .test_split = 0.2f, .missing = DC_MISSING_MEAN};
    for (int k = 0; k < 3; k++) {
        j[k] = (rank_run){.me = {&h, k}, .path = bad, .o = &b};
        j[k].r = (dc_ranks){.rank = k, .world = 3, .sum = sum, .max = max, .gather = gather, .trade = trade, .user = &j[k].me};
        pthread_create(&th[k], NULL, run, &j[k]);
    }
    for (int k = 0; k < 3; k++) pthread_join(th[k], NULL);
    pthread_barrier_destroy(&h.bar);
    CHECK(j[0].st && j[1].st && j[2].st && strstr(j[2].err, "bad.csv:") && strstr(j[2].err, "\"big\" is not a number"),
          "a word in a numeric column in the last part: every rank fails, the last naming the line: %s", j[2].err);
    /* the same error read whole names the same line */
    dc_tabular *p = NULL;
    dc_dataset *t1 = NULL, *t2 = NULL;
    CHECK(dc_csv_load(bad, &b, &p, &t1, &t2, NULL) != DC_OK && !strcmp(dc_last_error(), j[2].err), "the same error as read whole: %s",
          dc_last_error());
    return test_summary("test_csv_parts");
}
