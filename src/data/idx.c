/* idx.c — the IDX format of MNIST-style data sets (raw or gzip-compressed).
 *
 * Layout: 2 zero bytes, a type byte (0x08 = unsigned byte), a dimension
 * count, then one big-endian uint32 per dimension, then the values. The
 * header is checked field by field, and the promised length against the
 * real one: a lying header can neither make us allocate gigabytes up front
 * nor read past the end. */
#include "../core/internal.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define IDX_MAX_BYTES ((int64_t)1 << 31) /* 2 GiB decompressed: far above any real IDX file */

static dc_status read_error(gzFile f, const char *path, int64_t at) {
    int e = Z_OK;
    const char *msg = gzerror(f, &e);
    return dc_set_error(DC_ERR_FORMAT, "%s: corrupt or truncated compressed data after byte %lld (%s)", path,
                        (long long)at, e == Z_OK || e == Z_STREAM_END ? "unexpected end" : msg);
}

/* Read up to n bytes; returns the count, or -1 on a zlib error. A truncated
 * gzip stream is an error (zlib reports Z_BUF_ERROR for it), not an EOF. */
static int64_t read_some(gzFile f, uint8_t *buf, int64_t n) {
    int64_t got = 0;
    while (got < n) {
        unsigned want = n - got > (1 << 30) ? (1u << 30) : (unsigned)(n - got);
        int r = gzread(f, buf + got, want);
        if (r < 0) return -1;
        if (r == 0) break;
        got += r;
    }
    int e = Z_OK;
    gzerror(f, &e);
    return e == Z_OK || e == Z_STREAM_END ? got : -1;
}

/* Read an IDX file; limit > 0 reads only the first limit items (of the
 * first dimension): no more is decompressed or allocated. skip > 0 passes
 * over that many items first (decompressed, not kept): items [skip,
 * limit) are read; *total (may be NULL) gets the items the file holds. */
static dc_status idx_read(const char *path, int64_t skip, int64_t limit, int *ndim, int64_t *dims, uint8_t **data, int64_t *nbytes,
                          int64_t *total) {
    gzFile f = gzopen(path, "rb"); /* raw files pass through zlib unchanged */
    if (!f) return dc_set_error(DC_ERR_IO, "%s: cannot open (%s)", path, strerror(errno ? errno : ENOENT));
    uint8_t head[4 + 4 * DC_MAX_DIMS], *buf = NULL;
    dc_status st;
    int64_t len = read_some(f, head, 4);
    if (len < 0) {
        st = read_error(f, path, 0);
        goto fail;
    }
    if (len < 4) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: %lld bytes, too short for an IDX header (4 bytes at least)", path, (long long)len);
        goto fail;
    }
    if (head[0] != 0 || head[1] != 0) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: byte 0: bad magic %02x %02x %02x %02x (an IDX file starts 00 00 08 NDIM)",
                          path, head[0], head[1], head[2], head[3]);
        goto fail;
    }
    if (head[2] != 0x08) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: byte 2: element type 0x%02x is not supported (only 0x08, unsigned byte)", path, head[2]);
        goto fail;
    }
    int nd = head[3];
    if (nd < 1 || nd > DC_MAX_DIMS) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: byte 3: %d dimensions (expected 1 to %d)", path, nd, DC_MAX_DIMS);
        goto fail;
    }
    int64_t header = 4 + 4 * (int64_t)nd;
    len = read_some(f, head + 4, header - 4);
    if (len < 0) {
        st = read_error(f, path, 4);
        goto fail;
    }
    if (len < header - 4) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: truncated header: %lld bytes, the %d dimensions need %lld", path,
                          (long long)(4 + len), nd, (long long)header);
        goto fail;
    }
    int64_t count = 1;
    for (int i = 0; i < nd; i++) {
        const uint8_t *p = head + 4 + 4 * i;
        dims[i] = ((int64_t)p[0] << 24) | ((int64_t)p[1] << 16) | ((int64_t)p[2] << 8) | p[3];
        if (dims[i] != 0 && count > IDX_MAX_BYTES / dims[i]) {
            st = dc_set_error(DC_ERR_FORMAT, "%s: dimensions multiply to more than %lld bytes", path, (long long)IDX_MAX_BYTES);
            goto fail;
        }
        count *= dims[i];
    }
    if (total) *total = dims[0];
    int all = 1; /* reading the whole file: its length must match exactly */
    if (limit > 0 && limit < dims[0]) {
        count = count / dims[0] * limit;
        dims[0] = limit;
        all = 0;
    }
    if (skip > 0) { /* items [skip, dims[0]): the ones before are decompressed and dropped */
        if (skip > dims[0]) {
            st = dc_set_error(DC_ERR_INVALID, "%s: item %lld asked for, the file holds %lld", path, (long long)skip, (long long)dims[0]);
            goto fail;
        }
        const int64_t item = dims[0] ? count / dims[0] : 0;
        if (gzseek(f, (z_off_t)(header + skip * item), SEEK_SET) != (z_off_t)(header + skip * item)) {
            st = dc_set_error(DC_ERR_FORMAT, "%s: truncated: item %lld (byte %lld) is past its end", path, (long long)skip,
                              (long long)(header + skip * item));
            goto fail;
        }
        count -= skip * item;
        dims[0] -= skip;
        header += skip * item; /* (where the kept bytes start, for messages) */
    }
    /* The header is not trusted with a big allocation: start at most at
     * 1 MiB and grow (doubling) only as real data arrives. One byte more than promised
     * is asked for, to detect trailing garbage. */
    const int64_t want = count + all; /* one byte more detects trailing garbage */
    int64_t cap = want < ((int64_t)1 << 20) ? want : ((int64_t)1 << 20), got = 0;
    buf = malloc((size_t)(cap ? cap : 1));
    if (!buf) {
        st = dc_set_error(DC_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    for (;;) {
        int64_t r = read_some(f, buf + got, cap - got);
        if (r < 0) {
            st = read_error(f, path, header + got);
            goto fail;
        }
        got += r;
        if (got < cap || cap == want) break; /* end of file, or all we will accept */
        int64_t ncap = cap * 2 < want ? cap * 2 : want;
        uint8_t *nb = realloc(buf, (size_t)ncap);
        if (!nb) {
            st = dc_set_error(DC_ERR_NOMEM, "%s: out of memory", path);
            goto fail;
        }
        buf = nb;
        cap = ncap;
    }
    if (got != count) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: header promises %lld data bytes after byte %lld, the file has %s%lld (%s)", path,
                          (long long)count, (long long)header, got > count ? "more than " : "", (long long)got,
                          got < count ? "truncated" : "trailing garbage");
        goto fail;
    }
    gzclose(f);
    *ndim = nd;
    *data = buf;
    *nbytes = count;
    return DC_OK;
fail:
    gzclose(f);
    free(buf);
    return st;
}

dc_status dc_idx_read(const char *path, int *ndim, int64_t *dims, uint8_t **data, int64_t *nbytes) {
    return idx_read(path, 0, 0, ndim, dims, data, nbytes, NULL);
}

dc_dataset *dc_idx_load(const char *images_path, const char *labels_path) { return dc_idx_load_limit(images_path, labels_path, 0); }

dc_dataset *dc_idx_load_limit(const char *images_path, const char *labels_path, int64_t limit) {
    return dc_idx_load_part(images_path, labels_path, limit, 0, 1, NULL, NULL);
}

dc_dataset *dc_idx_load_part(const char *images_path, const char *labels_path, int64_t limit, int part, int parts, int64_t *first,
                             int64_t *total) {
    int ndi, ndl;
    int64_t di[DC_MAX_DIMS], dl[DC_MAX_DIMS], ni, nl, n_all, n_img = 0, r0 = 0, r1;
    uint8_t *img = NULL, *lab = NULL;
    if (parts < 1 || part < 0 || part >= parts) {
        dc_set_error(DC_ERR_INVALID, "idx: part %d of %d", part, parts);
        return NULL;
    }
    /* every label (the classes are the whole file's), then this part's images */
    if (idx_read(labels_path, 0, limit, &ndl, dl, &lab, &nl, &n_all)) return NULL;
    if (limit > 0 && limit < n_all) n_all = limit;
    r0 = n_all * part / parts, r1 = n_all * (part + 1) / parts;
    if (r1 <= r0) { /* (idx_read would take a limit of 0 as "every image", more than the labels) */
        if (n_all == 0) dc_set_error(DC_ERR_FORMAT, "%s holds no labels", labels_path);
        else dc_set_error(DC_ERR_INVALID, "%s: %lld labels cannot be shared by %d ranks: part %d holds none", labels_path, (long long)n_all, parts, part + 1);
        free(lab);
        return NULL;
    }
    if (idx_read(images_path, r0, r1, &ndi, di, &img, &ni, &n_img)) {
        free(lab);
        return NULL;
    }
    dc_dataset *d = NULL;
    if (ndi < 2) {
        dc_set_error(DC_ERR_FORMAT, "%s: %d dimension(s); images need (count, ...)", images_path, ndi);
        goto fail;
    }
    if (ndl != 1) {
        dc_set_error(DC_ERR_FORMAT, "%s: %d dimensions; labels need exactly 1", labels_path, ndl);
        goto fail;
    }
    /* the files agree: as many images as labels (of the first limit, when limited) */
    if (n_img < r1 || (limit <= 0 && n_img != dl[0])) {
        dc_set_error(DC_ERR_FORMAT, "%s holds %lld images but %s holds %lld labels", images_path, (long long)n_img, labels_path,
                     (long long)dl[0]);
        goto fail;
    }
    int maxl = 0; /* the classes: every label's (read once the labels are known to be one byte each) */
    for (int64_t i = 0; i < dl[0]; i++) maxl = lab[i] > maxl ? lab[i] : maxl;
    /* the constructor sizes it; the pixels already read become its inputs
     * (calloc's untouched pages cost nothing) */
    if (!(d = dc_dataset_new(di[0], DC_U8, ndi - 1, di + 1, DC_I32, 0, NULL))) goto fail;
    free(d->x.data);
    d->x.data = img;
    img = NULL;
    int32_t *labels = d->y.data;
    for (int64_t i = 0; i < d->n; i++) labels[i] = lab[r0 + i];
    d->num_classes = dl[0] ? maxl + 1 : 0;
    free(lab);
    if (first) *first = r0;
    if (total) *total = n_all;
    return d;
fail:
    dc_dataset_free(d);
    free(img);
    free(lab);
    return NULL;
}

/* ---- MNIST-format folders ---------------------------------------------- */

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

dc_dataset *dc_mnist_load(const char *dir_or_name, const char *split) { return dc_mnist_load_limit(dir_or_name, split, 0); }

dc_dataset *dc_mnist_load_limit(const char *dir_or_name, const char *split, int64_t limit) {
    return dc_mnist_load_part(dir_or_name, split, limit, 0, 1, NULL, NULL);
}

dc_dataset *dc_mnist_load_part(const char *dir_or_name, const char *split, int64_t limit, int part, int parts, int64_t *first,
                               int64_t *total) {
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
    return dc_idx_load_part(imgs, labs, limit, part, parts, first, total);
}
