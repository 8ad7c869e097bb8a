/* image.c — bilinear resizing and folder datasets (one subfolder per
 * class). Decoding and PNG writing are in image_decode.c. */
#include "../kernels/kernels.h"
#include "../core/internal.h"
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void dc_image_resize(const uint8_t *src, int sw, int sh, int c, uint8_t *dst, int dw, int dh) {
    /* pixel centers aligned (align_corners = false), as most libraries */
    for (int y = 0; y < dh; y++) {
        float fy = ((float)y + 0.5f) * (float)sh / (float)dh - 0.5f;
        if (fy < 0) fy = 0;
        int y0 = (int)fy, y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
        float ay = fy - (float)y0;
        for (int x = 0; x < dw; x++) {
            float fx = ((float)x + 0.5f) * (float)sw / (float)dw - 0.5f;
            if (fx < 0) fx = 0;
            int x0 = (int)fx, x1 = x0 + 1 < sw ? x0 + 1 : sw - 1;
            float ax = fx - (float)x0;
            for (int k = 0; k < c; k++) {
                float v00 = src[(y0 * sw + x0) * c + k], v01 = src[(y0 * sw + x1) * c + k];
                float v10 = src[(y1 * sw + x0) * c + k], v11 = src[(y1 * sw + x1) * c + k];
                float v = (1 - ay) * ((1 - ax) * v00 + ax * v01) + ay * ((1 - ax) * v10 + ax * v11);
                dst[((size_t)k * dh + y) * dw + x] = (uint8_t)(v + 0.5f);
            }
        }
    }
}

void dc_free_names(char **names, int n) {
    for (int i = 0; names && i < n; i++) free(names[i]);
    free(names);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int is_image_name(const char *n) {
    const char *dot = strrchr(n, '.');
    return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"));
}

/* Sorted entries of dir: subfolders (want_dirs) or image files. */
static char **list_dir(const char *dir, int want_dirs, int *count) {
    DIR *d = opendir(dir);
    *count = 0;
    if (!d) return NULL;
    int cap = 64, n = 0;
    char **v = malloc(sizeof(char *) * (size_t)cap);
    struct dirent *e;
    while (v && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[4096 + 512];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &st) != 0) continue;
        if (want_dirs ? !S_ISDIR(st.st_mode) : !(S_ISREG(st.st_mode) && is_image_name(e->d_name))) continue;
        if (n == cap) {
            char **nv = realloc(v, sizeof(char *) * (size_t)(cap *= 2));
            if (!nv) break;
            v = nv;
        }
        v[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (v) qsort(v, (size_t)n, sizeof *v, cmp_str);
    *count = n;
    return v;
}

/* A folder's listing: every image file of every class folder, in sorted
 * order, with its class index. */
typedef struct {
    char **classes, **files;
    int nc;
    int32_t *labels;
    int64_t total;
} listing;

static void listing_free(listing *L) {
    for (int64_t i = 0; L->files && i < L->total; i++) free(L->files[i]);
    free(L->files);
    free(L->labels);
    dc_free_names(L->classes, L->nc);
    memset(L, 0, sizeof *L);
}

static dc_status list_folder(const char *root, listing *L) {
    memset(L, 0, sizeof *L);
    if (!(L->classes = list_dir(root, 1, &L->nc)))
        return dc_set_error(DC_ERR_IO, "%s: cannot open the folder (%s)", root, strerror(errno ? errno : ENOENT));
    if (L->nc < 1) return dc_set_error(DC_ERR_FORMAT, "%s: no class subfolders (expected %s/CLASS_NAME/*.png|jpg)", root, root);
    int64_t cap = 1024;
    L->files = malloc(sizeof(char *) * (size_t)cap);
    L->labels = malloc(sizeof(int32_t) * (size_t)cap);
    int oom = !L->files || !L->labels;
    for (int k = 0; k < L->nc && !oom; k++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", root, L->classes[k]);
        int nf;
        char **fl = list_dir(dir, 0, &nf);
        for (int i = 0; i < nf && !oom; i++) {
            if (L->total == cap) {
                cap *= 2;
                char **nfi = realloc(L->files, sizeof(char *) * (size_t)cap);
                int32_t *nl = realloc(L->labels, sizeof(int32_t) * (size_t)cap);
                if (nfi) L->files = nfi;
                if (nl) L->labels = nl;
                if ((oom = !nfi || !nl)) break;
            }
            size_t len = strlen(dir) + strlen(fl[i]) + 2;
            if ((oom = !(L->files[L->total] = malloc(len)))) break;
            snprintf(L->files[L->total], len, "%s/%s", dir, fl[i]);
            L->labels[L->total++] = k;
        }
        dc_free_names(fl, nf);
    }
    if (oom) return dc_set_error(DC_ERR_NOMEM, "%s: out of memory listing its files", root);
    if (L->total == 0) return dc_set_error(DC_ERR_FORMAT, "%s: no images (.png, .jpg, .jpeg) in its %d class folders", root, L->nc);
    return DC_OK;
}

/* Decode the files order[0..n) of the listing into a new data set, in that
 * order; bad ones are skipped (o->skip_bad) or fail. *nbad: the skipped. */
static dc_dataset *decode_files(const char *root, const listing *L, const int64_t *order, int64_t n,
                                const dc_image_folder_options *o, int64_t *nbad, char *first_err, size_t err_size) {
    const int64_t size = (int64_t)o->channels * o->height * o->width;
    dc_dataset *d = dc_dataset_new(n, DC_U8, 3, (int64_t[]){o->channels, o->height, o->width}, DC_I32, 0, NULL);
    char *bad = calloc((size_t)(n ? n : 1), 1);
    if (!d || !bad) {
        free(bad);
        dc_dataset_free(d);
        dc_set_error(DC_ERR_NOMEM, "%s: out of memory for %lld images", root, (long long)n);
        return NULL;
    }
    uint8_t *pix = d->x.data;
    int32_t *labels = d->y.data;
    /* decode in parallel: each image writes only its own slot */
    int64_t first_bad = -1;
#pragma omp parallel for num_threads(dc_k_run_threads()) schedule(dynamic, 8)
    for (int64_t i = 0; i < n; i++) {
        int w, h;
        uint8_t *img;
        if (dc_image_read(L->files[order[i]], o->channels, &w, &h, &img) != DC_OK) {
            bad[i] = 1;
#pragma omp critical
            if (first_bad < 0 || i < first_bad) {
                first_bad = i;
                snprintf(first_err, err_size, "%s", dc_last_error());
            }
            continue;
        }
        dc_image_resize(img, w, h, o->channels, pix + i * size, o->width, o->height);
        free(img);
    }
    int64_t k = 0;
    *nbad = 0;
    for (int64_t i = 0; i < n; i++) *nbad += bad[i];
    if (*nbad && !o->skip_bad) {
        if (*nbad > 1) dc_set_error(DC_ERR_FORMAT, "%s (and %lld more bad images; skip them with --skip-bad)", first_err, (long long)(*nbad - 1));
        else dc_set_error(DC_ERR_FORMAT, "%s (skip bad images with --skip-bad)", first_err);
        free(bad);
        dc_dataset_free(d);
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) { /* compact past skipped files */
        if (bad[i]) continue;
        if (k != i) memmove(pix + k * size, pix + i * size, (size_t)size);
        labels[k++] = L->labels[order[i]];
    }
    free(bad);
    d->n = k;
    d->num_classes = L->nc;
    return d;
}

dc_dataset *dc_image_folder_load_part(const char *root, const dc_image_folder_options *o, char ***names_out, int *nnames,
                                      int64_t *skipped, FILE *report) {
    *names_out = NULL;
    *nnames = 0;
    if (skipped) *skipped = 0;
    if ((o->channels != 1 && o->channels != 3) || o->height < 1 || o->width < 1 || o->height > 4096 || o->width > 4096) {
        dc_set_error(DC_ERR_INVALID, "%s: images need 1 or 3 channels and a size in 1..4096 (got %dx%dx%d)", root, o->channels,
                     o->height, o->width);
        return NULL;
    }
    const int parts = o->parts > 1 ? o->parts : 1, part = parts > 1 ? o->part : 0;
    if (part < 0 || part >= parts) {
        dc_set_error(DC_ERR_INVALID, "%s: part %d of %d", root, o->part, o->parts);
        return NULL;
    }
    listing L;
    dc_dataset *d = NULL;
    int64_t *order = NULL;
    if (list_folder(root, &L)) goto done;
    if (!(order = malloc(sizeof(int64_t) * (size_t)L.total))) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < L.total; i++) order[i] = i;
    if (o->mix) { /* the files, not the decoded images, are mixed: a part's files are known before decoding */
        dc_rng r;
        dc_rng_seed(&r, o->seed);
        dc_rng_shuffle(&r, order, L.total);
    }
    /* part p holds files [total p / parts, total (p + 1) / parts) of the order: dc_shard_range's split, written out
     * (that lives in train/, above data/) */
    const int64_t lo = (int64_t)((unsigned __int128)L.total * (unsigned)part / (unsigned)parts);
    const int64_t hi = (int64_t)((unsigned __int128)L.total * (unsigned)(part + 1) / (unsigned)parts);
    char first_err[1024] = "";
    int64_t nbad = 0;
    if (!(d = decode_files(root, &L, order + lo, hi - lo, o, &nbad, first_err, sizeof first_err))) goto done;
    if (d->n == 0 && parts == 1) { /* (a part may hold none: its files were all bad, or there are more parts than files) */
        dc_set_error(DC_ERR_FORMAT, "%s: none of its %lld images could be read (%s)", root, (long long)L.total, first_err);
        dc_dataset_free(d);
        d = NULL;
        goto done;
    }
    if (skipped) *skipped = nbad;
    if (report) {
        fprintf(report, "%s: %lld images in %d classes (", root, (long long)d->n, L.nc);
        for (int k = 0; k < L.nc; k++) fprintf(report, "%s%s", k ? ", " : "", L.classes[k]);
        fprintf(report, "), resized to %dx%dx%d", o->channels, o->height, o->width);
        if (parts > 1) fprintf(report, "; part %d of %d: files %lld to %lld of %lld", part + 1, parts, (long long)lo, (long long)hi, (long long)L.total);
        if (nbad) fprintf(report, "; skipped %lld unreadable files (first: %s)", (long long)nbad, first_err);
        fprintf(report, "\n");
    }
    *names_out = L.classes;
    *nnames = L.nc;
    L.classes = NULL;
    L.nc = 0;
done:
    free(order);
    listing_free(&L);
    return d;
}

dc_dataset *dc_image_folder_load(const char *root, int channels, int height, int width, int skip_bad, char ***names_out,
                                 int *nnames, FILE *report) {
    const dc_image_folder_options o = {.channels = channels, .height = height, .width = width, .skip_bad = skip_bad};
    return dc_image_folder_load_part(root, &o, names_out, nnames, NULL, report);
}
