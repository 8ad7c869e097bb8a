/* idx.c — the IDX format of MNIST-style data sets (raw or gzip-compressed).
 *
 * Layout: 2 zero bytes, a type byte (0x08 = unsigned byte), a dimension
 * count, then one big-endian uint32 per dimension, then the values. We read
 * the whole (decompressed) file first and trust nothing in the header until
 * it has been checked against the real length: a lying header can neither
 * make us allocate gigabytes nor read past the end. */
#include "../core/internal.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDX_MAX_BYTES ((int64_t)1 << 31) /* 2 GiB decompressed: far above any real IDX file */

/* Read all of path (gzip or raw; zlib passes raw files through). */
static dc_status slurp(const char *path, uint8_t **out, int64_t *len) {
    gzFile f = gzopen(path, "rb");
    if (!f) return dc_set_error(DC_ERR_IO, "%s: cannot open (%s)", path, strerror(errno ? errno : ENOENT));
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        gzclose(f);
        return dc_set_error(DC_ERR_NOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if ((int64_t)cap >= IDX_MAX_BYTES) {
                free(buf);
                gzclose(f);
                return dc_set_error(DC_ERR_FORMAT, "%s: larger than %lld bytes decompressed; not an IDX file we accept",
                                    path, (long long)IDX_MAX_BYTES);
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                gzclose(f);
                return dc_set_error(DC_ERR_NOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        int r = gzread(f, buf + n, (unsigned)(cap - n));
        if (r < 0) {
            int e;
            const char *msg = gzerror(f, &e);
            dc_set_error(DC_ERR_FORMAT, "%s: corrupt compressed data after byte %zu (%s)", path, n, msg);
            free(buf);
            gzclose(f);
            return DC_ERR_FORMAT;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    /* a truncated gzip stream ends without error from gzread: ask zlib */
    int e = Z_OK;
    gzerror(f, &e);
    gzclose(f);
    if (e != Z_OK && e != Z_STREAM_END) {
        free(buf);
        return dc_set_error(DC_ERR_FORMAT, "%s: truncated or corrupt gzip stream", path);
    }
    *out = buf;
    *len = (int64_t)n;
    return DC_OK;
}

dc_status dc_idx_read(const char *path, int *ndim, int64_t *dims, uint8_t **data, int64_t *nbytes) {
    uint8_t *buf = NULL;
    int64_t len = 0;
    dc_status st = slurp(path, &buf, &len);
    if (st) return st;
    if (len < 4) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: %lld bytes, too short for an IDX header (4 bytes at least)", path, (long long)len);
        goto fail;
    }
    if (buf[0] != 0 || buf[1] != 0) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: byte 0: bad magic %02x %02x %02x %02x (an IDX file starts 00 00 08 NDIM)",
                          path, buf[0], buf[1], buf[2], buf[3]);
        goto fail;
    }
    if (buf[2] != 0x08) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: byte 2: element type 0x%02x is not supported (only 0x08, unsigned byte)", path, buf[2]);
        goto fail;
    }
    int nd = buf[3];
    if (nd < 1 || nd > DC_MAX_DIMS) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: byte 3: %d dimensions (expected 1 to %d)", path, nd, DC_MAX_DIMS);
        goto fail;
    }
    int64_t header = 4 + 4 * (int64_t)nd;
    if (len < header) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: truncated header: %lld bytes, the %d dimensions need %lld", path,
                          (long long)len, nd, (long long)header);
        goto fail;
    }
    int64_t count = 1;
    for (int i = 0; i < nd; i++) {
        const uint8_t *p = buf + 4 + 4 * i;
        dims[i] = ((int64_t)p[0] << 24) | ((int64_t)p[1] << 16) | ((int64_t)p[2] << 8) | p[3];
        if (dims[i] != 0 && count > IDX_MAX_BYTES / dims[i]) {
            st = dc_set_error(DC_ERR_FORMAT, "%s: dimensions multiply to more than %lld bytes", path, (long long)IDX_MAX_BYTES);
            goto fail;
        }
        count *= dims[i];
    }
    if (len - header != count) {
        st = dc_set_error(DC_ERR_FORMAT, "%s: header promises %lld data bytes after byte %lld, the file has %lld (%s)", path,
                          (long long)count, (long long)header, (long long)(len - header),
                          len - header < count ? "truncated" : "trailing garbage");
        goto fail;
    }
    memmove(buf, buf + header, (size_t)count);
    *ndim = nd;
    *data = buf;
    *nbytes = count;
    return DC_OK;
fail:
    free(buf);
    return st;
}

dc_dataset *dc_idx_load(const char *images_path, const char *labels_path) {
    int ndi, ndl;
    int64_t di[DC_MAX_DIMS], dl[DC_MAX_DIMS], ni, nl;
    uint8_t *img = NULL, *lab = NULL;
    if (dc_idx_read(images_path, &ndi, di, &img, &ni)) return NULL;
    if (dc_idx_read(labels_path, &ndl, dl, &lab, &nl)) {
        free(img);
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
    if (di[0] != dl[0]) {
        dc_set_error(DC_ERR_FORMAT, "%s holds %lld images but %s holds %lld labels", images_path, (long long)di[0],
                     labels_path, (long long)dl[0]);
        goto fail;
    }
    d = calloc(1, sizeof *d);
    if (!d) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    d->n = di[0];
    d->sample_ndim = ndi - 1;
    for (int i = 1; i < ndi; i++) d->sample_shape[i - 1] = di[i];
    d->sample_size = d->n ? ni / d->n : dc_shape_size(ndi - 1, di + 1);
    d->u8 = img;
    d->scale = 1.0f / 255.0f;
    d->labels = malloc(sizeof(int32_t) * (size_t)(d->n ? d->n : 1));
    if (!d->labels) {
        dc_set_error(DC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    int maxl = 0;
    for (int64_t i = 0; i < d->n; i++) {
        d->labels[i] = lab[i];
        if (lab[i] > maxl) maxl = lab[i];
    }
    d->num_classes = d->n ? maxl + 1 : 0;
    free(lab);
    return d;
fail:
    if (d) {
        d->u8 = NULL;
        dc_dataset_free(d);
    }
    free(img);
    free(lab);
    return NULL;
}
