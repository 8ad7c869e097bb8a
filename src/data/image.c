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

dc_dataset *dc_image_folder_load(const char *root, int channels, int height, int width, int skip_bad, char ***names_out,
                                 int *nnames, FILE *report) {
    *names_out = NULL;
    *nnames = 0;
    if ((channels != 1 && channels != 3) || height < 1 || width < 1 || height > 4096 || width > 4096) {
        dc_set_error(DC_ERR_INVALID, "%s: images need 1 or 3 channels and a size in 1..4096 (got %dx%dx%d)", root, channels,
                     height, width);
        return NULL;
    }
    int nc;
    char **classes = list_dir(root, 1, &nc);
    if (!classes) {
        dc_set_error(DC_ERR_IO, "%s: cannot open the folder (%s)", root, strerror(errno ? errno : ENOENT));
        return NULL;
    }
    if (nc < 1) {
        dc_free_names(classes, nc);
        dc_set_error(DC_ERR_FORMAT, "%s: no class subfolders (expected %s/CLASS_NAME/*.png|jpg)", root, root);
        return NULL;
    }
    /* every file of every class, in sorted order */
    int64_t total = 0, cap = 1024;
    char **files = malloc(sizeof(char *) * (size_t)cap);
    int32_t *labels = malloc(sizeof(int32_t) * (size_t)cap);
    for (int k = 0; k < nc && files && labels; k++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", root, classes[k]);
        int nf;
        char **fl = list_dir(dir, 0, &nf);
        for (int i = 0; i < nf; i++) {
            if (total == cap) {
                cap *= 2;
                char **nfi = realloc(files, sizeof(char *) * (size_t)cap);
                int32_t *nl = realloc(labels, sizeof(int32_t) * (size_t)cap);
                if (nfi) files = nfi;
                if (nl) labels = nl;
                if (!nfi || !nl) break;
            }
            size_t len = strlen(dir) + strlen(fl[i]) + 2;
            files[total] = malloc(len);
            if (files[total]) snprintf(files[total], len, "%s/%s", dir, fl[i]);
            labels[total++] = k;
        }
        dc_free_names(fl, nf);
    }
    dc_dataset *d = NULL;
    if (!files || !labels) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (total == 0) {
        dc_set_error(DC_ERR_FORMAT, "%s: no images (.png, .jpg, .jpeg) in its %d class folders", root, nc);
        goto done;
    }
    int64_t size = (int64_t)channels * height * width;
    d = dc_dataset_new(total, DC_U8, 3, (int64_t[]){channels, height, width}, DC_I32, 0, NULL);
    uint8_t *pix = d ? d->x.data : NULL;
    char *bad = calloc((size_t)total, 1);
    if (!d || !bad) {
        free(bad);
        dc_dataset_free(d);
        d = NULL;
        dc_set_error(DC_ERR_NOMEM, "%s: out of memory for %lld images", root, (long long)total);
        goto done;
    }
    /* decode in parallel: each image writes only its own slot */
    char first_err[1024] = "";
    int64_t first_bad = -1;
#pragma omp parallel for num_threads(dc_k_run_threads()) schedule(dynamic, 8)
    for (int64_t i = 0; i < total; i++) {
        int w, h;
        uint8_t *img;
        if (dc_image_read(files[i], channels, &w, &h, &img) != DC_OK) {
            bad[i] = 1;
#pragma omp critical
            if (first_bad < 0 || i < first_bad) {
                first_bad = i;
                snprintf(first_err, sizeof first_err, "%s", dc_last_error());
            }
            continue;
        }
        dc_image_resize(img, w, h, channels, pix + i * size, width, height);
        free(img);
    }
    int64_t nbad = 0, n = 0;
    for (int64_t i = 0; i < total; i++) nbad += bad[i];
    if (nbad && !skip_bad) {
        dc_set_error(DC_ERR_FORMAT, "%s (and %lld more bad images; skip them with --skip-bad)", first_err, (long long)(nbad - 1));
        free(bad);
        dc_dataset_free(d);
        d = NULL;
        goto done;
    }
    for (int64_t i = 0; i < total; i++) { /* compact past skipped files */
        if (bad[i]) continue;
        if (n != i) memmove(pix + n * size, pix + i * size, (size_t)size);
        labels[n++] = labels[i];
    }
    free(bad);
    if (n == 0) {
        dc_set_error(DC_ERR_FORMAT, "%s: none of its %lld images could be read (%s)", root, (long long)total, first_err);
        dc_dataset_free(d);
        d = NULL;
        goto done;
    }
    d->n = n;
    memcpy(d->y.data, labels, sizeof(int32_t) * (size_t)n);
    d->num_classes = nc;
    if (report) {
        fprintf(report, "%s: %lld images in %d classes (", root, (long long)n, nc);
        for (int k = 0; k < nc; k++) fprintf(report, "%s%s", k ? ", " : "", classes[k]);
        fprintf(report, "), resized to %dx%dx%d", channels, height, width);
        if (nbad) fprintf(report, "; skipped %lld unreadable files (first: %s)", (long long)nbad, first_err);
        fprintf(report, "\n");
    }
    *names_out = classes;
    *nnames = nc;
    classes = NULL;
done:
    for (int64_t i = 0; files && i < total; i++) free(files[i]);
    free(files);
    free(labels);
    dc_free_names(classes, nc);
    return d;
}
