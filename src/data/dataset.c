/* dataset.c — in-memory datasets: MNIST folders, subsets, splits, batches
 * and one-hot encoding. */
#include "../core/internal.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void dc_dataset_free(dc_dataset *d) {
    if (!d) return;
    free(d->u8);
    free(d->f32);
    free(d->labels);
    free(d->targets);
    free(d);
}

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* dir/stem, trying ".gz" then the raw name; out gets the first that exists */
static int find_file(const char *dir, const char *stem, char *out, size_t n) {
    snprintf(out, n, "%s/%s.gz", dir, stem);
    if (file_exists(out)) return 1;
    snprintf(out, n, "%s/%s", dir, stem);
    return file_exists(out);
}

dc_dataset *dc_mnist_load(const char *dir_or_name, const char *split) {
    char dir[1024];
    if (!strcmp(dir_or_name, "fashion-mnist") || !strcmp(dir_or_name, "mnist")) {
        const char *root = getenv("DEEPC_DATA_DIR");
        snprintf(dir, sizeof dir, "%s/%s", root && *root ? root : "/usr/share/datasets", dir_or_name);
    } else {
        snprintf(dir, sizeof dir, "%s", dir_or_name);
    }
    const char *pre = !strcmp(split, "train") ? "train" : !strcmp(split, "test") ? "t10k" : NULL;
    if (!pre) {
        dc_set_error(DC_ERR_INVALID, "mnist: split must be \"train\" or \"test\", not \"%s\"", split);
        return NULL;
    }
    char stem[64], imgs[1200], labs[1200];
    snprintf(stem, sizeof stem, "%s-images-idx3-ubyte", pre);
    if (!find_file(dir, stem, imgs, sizeof imgs)) {
        dc_set_error(DC_ERR_IO, "%s: no %s[.gz] here (is the dataset installed? scripts/setup.sh installs fashion-mnist)", dir, stem);
        return NULL;
    }
    snprintf(stem, sizeof stem, "%s-labels-idx1-ubyte", pre);
    if (!find_file(dir, stem, labs, sizeof labs)) {
        dc_set_error(DC_ERR_IO, "%s: no %s[.gz] here", dir, stem);
        return NULL;
    }
    return dc_idx_load(imgs, labs);
}

dc_dataset *dc_dataset_subset(const dc_dataset *d, const int64_t *idx, int64_t n) {
    dc_dataset *s = calloc(1, sizeof *s);
    if (!s) goto nomem;
    *s = *d;
    s->u8 = NULL;
    s->f32 = NULL;
    s->targets = NULL;
    s->n = n;
    size_t cnt = (size_t)(n ? n : 1) * (size_t)d->sample_size;
    s->labels = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    if (!s->labels) goto nomem;
    if (d->u8 && !(s->u8 = malloc(cnt))) goto nomem;
    if (d->f32 && !(s->f32 = malloc(cnt * sizeof(float)))) goto nomem;
    if (d->targets && !(s->targets = malloc(sizeof(float) * (size_t)(n ? n : 1) * (size_t)d->target_dim))) goto nomem;
    for (int64_t i = 0; i < n; i++) {
        int64_t j = idx[i];
        s->labels[i] = d->labels[j];
        if (d->u8) memcpy(s->u8 + i * d->sample_size, d->u8 + j * d->sample_size, (size_t)d->sample_size);
        if (d->f32)
            memcpy(s->f32 + i * d->sample_size, d->f32 + j * d->sample_size, sizeof(float) * (size_t)d->sample_size);
        if (d->targets)
            memcpy(s->targets + i * d->target_dim, d->targets + j * d->target_dim, sizeof(float) * (size_t)d->target_dim);
    }
    return s;
nomem:
    dc_dataset_free(s);
    dc_set_error(DC_ERR_NOMEM, "dataset: out of memory");
    return NULL;
}

dc_status dc_dataset_split(const dc_dataset *d, float fraction, int shuffle, uint64_t seed, dc_dataset **train,
                           dc_dataset **val) {
    *train = *val = NULL;
    if (!(fraction > 0.0f && fraction < 1.0f)) return dc_set_error(DC_ERR_INVALID, "split: fraction %g must be in (0, 1)", fraction);
    int64_t nval = (int64_t)((double)d->n * fraction);
    if (nval < 1 || nval >= d->n)
        return dc_set_error(DC_ERR_INVALID, "split: %g of %lld samples leaves an empty part", fraction, (long long)d->n);
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)d->n);
    if (!idx) return dc_set_error(DC_ERR_NOMEM, "split: out of memory");
    for (int64_t i = 0; i < d->n; i++) idx[i] = i;
    if (shuffle) {
        dc_rng r;
        dc_rng_seed(&r, seed);
        dc_rng_shuffle(&r, idx, d->n);
    }
    *train = dc_dataset_subset(d, idx, d->n - nval);
    *val = dc_dataset_subset(d, idx + (d->n - nval), nval);
    free(idx);
    if (!*train || !*val) {
        dc_dataset_free(*train);
        dc_dataset_free(*val);
        *train = *val = NULL;
        return DC_ERR_NOMEM;
    }
    return DC_OK;
}

void dc_dataset_gather(const dc_dataset *d, const int64_t *idx, int64_t n, float *x, int32_t *y) {
    const int64_t s = d->sample_size;
    for (int64_t i = 0; i < n; i++) {
        int64_t j = idx[i];
        float *dst = x + i * s;
        if (d->u8) {
            const uint8_t *src = d->u8 + j * s;
            for (int64_t k = 0; k < s; k++) dst[k] = (float)src[k] * d->scale;
        } else {
            memcpy(dst, d->f32 + j * s, sizeof(float) * (size_t)s);
        }
        if (y) y[i] = d->labels[j];
    }
}

dc_status dc_one_hot(const int32_t *labels, int64_t n, int num_classes, float *out) {
    memset(out, 0, sizeof(float) * (size_t)n * (size_t)num_classes);
    for (int64_t i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= num_classes)
            return dc_set_error(DC_ERR_INVALID, "one_hot: label %d at index %lld is outside [0, %d)", labels[i],
                                (long long)i, num_classes);
        out[i * num_classes + labels[i]] = 1.0f;
    }
    return DC_OK;
}
