/* text_folder.c — a folder of texts as Keras' text_dataset_from_directory
 * reads it: one subfolder per class (sorted by name), each holding .txt
 * files (sorted), one text per file. It becomes the same table a CSV of
 * texts gives (columns "text" and "label"), so text_csv.c does the rest.
 * Files that are empty, unreadable or over DC_TEXT_FILE_MAX bytes are errors
 * naming the file; names starting with '.' are skipped. */
#include "csv.h"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DC_TEXT_FILE_MAX (64 << 20)

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted names in dir that pass keep(dir/name), as new strings; NULL on error. */
static char **list_dir(const char *dir, int want_dirs, int *n) {
    DIR *d = opendir(dir);
    if (!d) {
        dc_set_error(DC_ERR_IO, "%s: %s", dir, strerror(errno));
        return NULL;
    }
    char **v = NULL;
    int cap = 0;
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        size_t len = strlen(e->d_name);
        char path[4200];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0) continue;
        if (want_dirs ? !S_ISDIR(st.st_mode) : !(S_ISREG(st.st_mode) && len > 4 && !strcmp(e->d_name + len - 4, ".txt"))) continue;
        if (*n == cap) {
            char **w = realloc(v, sizeof *v * (size_t)(cap = cap ? 2 * cap : 64));
            if (!w) goto nomem;
            v = w;
        }
        if (!(v[*n] = strdup(e->d_name))) goto nomem;
        (*n)++;
    }
    closedir(d);
    if (*n) qsort(v, (size_t)*n, sizeof *v, cmp_name);
    return v ? v : calloc(1, sizeof *v);
nomem:
    closedir(d);
    dc_free_names(v, *n);
    dc_set_error(DC_ERR_NOMEM, "out of memory");
    return NULL;
}

/* The whole file as a string, or NULL (error set): a NUL byte inside is an
 * error naming the byte (it cut the text short silently: a UTF-16 folder
 * trained on one token per file, F11). */
static char *read_text(const char *path) {
    int64_t len;
    char *s = dc_read_text_file(path, DC_TEXT_FILE_MAX, &len);
    if (s && len == 0) {
        free(s);
        dc_set_error(DC_ERR_FORMAT, "%s: an empty text", path);
        return NULL;
    }
    return s;
}

dc_csv *dc_text_folder_table(const char *dir) {
    int ncls = 0;
    char **cls = list_dir(dir, 1, &ncls);
    if (!cls) return NULL;
    dc_csv *t = calloc(1, sizeof *t);
    char **texts = NULL;
    int64_t n = 0, cap = 0, bytes = 0;
    int *label = NULL;
    if (!t) goto nomem;
    if (ncls < 2) {
        dc_set_error(DC_ERR_FORMAT, "%s: %d class subfolders; a folder of texts needs one per class, at least two", dir, ncls);
        goto fail;
    }
    for (int c = 0; c < ncls; c++) {
        char sub[4200];
        snprintf(sub, sizeof sub, "%s/%s", dir, cls[c]);
        int nf = 0;
        char **files = list_dir(sub, 0, &nf);
        if (!files) goto fail;
        for (int i = 0; i < nf; i++) {
            char path[8400];
            snprintf(path, sizeof path, "%s/%s", sub, files[i]);
            if (n == cap) {
                cap = cap ? 2 * cap : 256;
                char **tv = realloc(texts, sizeof *texts * (size_t)cap);
                int *lv = tv ? realloc(label, sizeof *label * (size_t)cap) : NULL;
                if (tv) texts = tv;
                if (lv) label = lv;
                if (!tv || !lv) {
                    dc_free_names(files, nf);
                    goto nomem;
                }
            }
            if (!(texts[n] = read_text(path))) {
                dc_free_names(files, nf);
                goto fail;
            }
            bytes += (int64_t)strlen(texts[n]) + 1;
            label[n++] = c;
        }
        dc_free_names(files, nf);
    }
    if (!n) {
        dc_set_error(DC_ERR_FORMAT, "%s: no .txt files in the class subfolders", dir);
        goto fail;
    }
    /* one buffer for names and cells, as the CSV reader keeps them */
    t->ncols = 2, t->nrows = n, t->path = dir;
    t->names = malloc(2 * sizeof *t->names);
    t->cells = malloc(sizeof *t->cells * (size_t)(2 * n));
    t->line = malloc(sizeof *t->line * (size_t)n);
    size_t total = (size_t)bytes + 11;
    for (int c = 0; c < ncls; c++) total += strlen(cls[c]) + 1;
    if (!t->names || !t->cells || !t->line || !(t->buf = malloc(total))) goto nomem;
    char *p = t->buf;
    t->names[0] = strcpy(p, "text"), p += 5;
    t->names[1] = strcpy(p, "label"), p += 6;
    char **cname = malloc(sizeof *cname * (size_t)ncls);
    if (!cname) goto nomem;
    for (int c = 0; c < ncls; c++) cname[c] = strcpy(p, cls[c]), p += strlen(cls[c]) + 1;
    for (int64_t r = 0; r < n; r++) {
        t->cells[2 * r] = strcpy(p, texts[r]), p += strlen(texts[r]) + 1;
        t->cells[2 * r + 1] = cname[label[r]];
        t->line[r] = r + 1; /* the file's position in the listing */
    }
    free(cname);
    int dup[2];
    if (dc_strmap_build(&t->by_name, t->names, 2, dup)) goto nomem;
    dc_free_names(texts, (int)n);
    dc_free_names(cls, ncls);
    free(label);
    return t;
nomem:
    dc_set_error(DC_ERR_NOMEM, "out of memory");
fail:
    dc_free_names(texts, (int)n);
    dc_free_names(cls, ncls);
    free(label);
    dc_csv_free(t);
    return NULL;
}

dc_csv *dc_text_lines_table(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        dc_set_error(DC_ERR_IO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    dc_csv *t = calloc(1, sizeof *t);
    char *line = NULL;
    size_t cap = 0, used = 0, bufcap = 0;
    int64_t n = 0, rowcap = 0, lineno = 0;
    ssize_t len;
    int64_t *starts = NULL; /* offsets into t->buf until the end */
    if (!t) goto nomem;
    while ((len = getline(&line, &cap, f)) > 0) {
        lineno++;
        const char *nul = memchr(line, 0, (size_t)len);
        if (nul) { /* the line would end there, silently (F11) */
            dc_set_error(DC_ERR_FORMAT, "%s:%lld: byte %lld of the line is NUL: not a text file (UTF-16? save it as UTF-8)", path,
                         (long long)lineno, (long long)(nul - line) + 1);
            goto fail;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (!len) continue;
        if (used + (size_t)len + 1 > bufcap) {
            size_t nc = bufcap ? 2 * bufcap : 1 << 16;
            while (nc < used + (size_t)len + 1) nc *= 2;
            char *nb = realloc(t->buf, nc);
            if (!nb) goto nomem;
            t->buf = nb, bufcap = nc;
        }
        if (n == rowcap) {
            rowcap = rowcap ? 2 * rowcap : 1024;
            int64_t *ns = realloc(starts, sizeof *starts * (size_t)rowcap), *nl = ns ? realloc(t->line, sizeof *nl * (size_t)rowcap) : NULL;
            if (ns) starts = ns;
            if (nl) t->line = nl;
            if (!ns || !nl) goto nomem;
        }
        memcpy(t->buf + used, line, (size_t)len + 1);
        starts[n] = (int64_t)used, t->line[n++] = lineno;
        used += (size_t)len + 1;
    }
    if (ferror(f)) {
        dc_set_error(DC_ERR_IO, "%s: read error", path);
        goto fail;
    }
    if (!n) {
        dc_set_error(DC_ERR_FORMAT, "%s: no text (every line is empty)", path);
        goto fail;
    }
    t->ncols = 1, t->nrows = n, t->path = path;
    if (!(t->names = malloc(sizeof *t->names)) || !(t->cells = malloc(sizeof *t->cells * (size_t)n))) goto nomem;
    static char text_name[] = "text";
    t->names[0] = text_name;
    for (int64_t r = 0; r < n; r++) t->cells[r] = t->buf + starts[r];
    int dup[2];
    if (dc_strmap_build(&t->by_name, t->names, 1, dup)) goto nomem;
    free(starts), free(line);
    fclose(f);
    return t;
nomem:
    dc_set_error(DC_ERR_NOMEM, "out of memory");
fail:
    free(starts), free(line);
    fclose(f);
    dc_csv_free(t);
    return NULL;
}
