/* safetensors.c — reader and atomic writer for the safetensors format
 * (docs/FORMATS.md): 8-byte little-endian header length N, N bytes of JSON,
 * then the raw data. The reader enforces the rules of the reference
 * implementation: N <= 100 MB and inside the file, header starts with '{',
 * known dtypes, overflow-checked sizes that match the shape, offsets that
 * start at 0, follow each other with no gap or overlap, and cover the data
 * exactly. */
#include "../core/internal.h"
#include "../kernels/kernels.h"
#include <jansson.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ST_MAX_HEADER 100000000u
#define ST_MAX_TENSORS DC_ST_MAX_TENSORS
#define ST_MAX_META 10000 /* __metadata__ keys (deepc writes about ten) */
/* values in one array: a shape (rank up to DC_MAX_DIMS) or data_offsets */
#define ST_MAX_ARRAY (DC_MAX_DIMS > 2 ? DC_MAX_DIMS : 2)
/* JSON values (counted as quotes, brackets, colons and commas) in a whole
 * header: 32 per tensor (an entry of rank 8 takes about 24), 4 per
 * metadata key */
#define ST_MAX_VALUES ((size_t)ST_MAX_TENSORS * 32 + 4 * ST_MAX_META + 64)

struct dc_st_file {
    unsigned char *data;      /* the data section, 64-byte aligned copy */
    dc_st_tensor *t;
    int nt;
    char **names;             /* t[i].name, for the index                */
    dc_strmap index;          /* name -> i: a lookup per tensor was a scan
                                 (80,000 tensors took 30 s to open: F03) */
    char **meta_keys, **meta_vals;
    int nmeta;
    char *path;               /* where unread tensors are read from (dc_st_read) */
    uint64_t data_at;         /* the data section's offset in the file   */
    uint64_t *begin;          /* t[i]'s offset in the data section        */
};

static const struct { const char *name; int size; } st_dtypes[] = {
    {"BOOL", 1}, {"U8", 1}, {"I8", 1}, {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2},
    {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4}, {"F64", 8}, {"I64", 8}, {"U64", 8}};

static int dtype_size(const char *s) {
    for (size_t i = 0; i < sizeof st_dtypes / sizeof *st_dtypes; i++)
        if (!strcmp(s, st_dtypes[i].name)) return st_dtypes[i].size;
    return 0;
}

void dc_st_close(dc_st_file *f) {
    if (!f) return;
    free(f->data);
    free(f->t);
    free(f->names);
    dc_strmap_free(&f->index);
    for (int i = 0; i < f->nmeta; i++) {
        free(f->meta_keys[i]);
        free(f->meta_vals[i]);
    }
    free(f->meta_keys);
    free(f->meta_vals);
    free(f->path);
    free(f->begin);
    free(f);
}

static int cmp_offset(const void *a, const void *b) {
    const dc_st_tensor *x = a, *y = b;
    /* data holds the begin offset (as an integer) until the end of parsing */
    uintptr_t ox = (uintptr_t)x->data, oy = (uintptr_t)y->data;
    return ox < oy ? -1 : ox > oy;
}

/* Read exactly n bytes or fail. */
static int read_full(int fd, void *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

/* Before jansson builds a node for every value (some 50 bytes for a
 * 2-byte "0,"): the safetensors layout, bounded, as the bytes go by. A
 * header is an object of tensor entries and __metadata__ (objects), whose
 * values are strings, numbers or short arrays of numbers: nothing nests
 * deeper, no array is longer than a shape, and the entry and metadata
 * counts are capped, so the tree is a few times the largest legitimate one.
 * Malformed JSON is left to jansson, which says what is wrong. */
static dc_status header_prescan(const char *h, size_t n, const char *path) {
    int depth = 0;
    size_t members[4] = {0}, values = 0;
    char open[4] = {0};
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if ((c == '"' || c == '{' || c == '[' || c == ':' || c == ',') && ++values > ST_MAX_VALUES)
            return dc_set_error(DC_ERR_FORMAT, "%s: byte %zu: over %zu JSON values, more than %d tensors need", path, 8 + i,
                                ST_MAX_VALUES, ST_MAX_TENSORS);
        if (c == '"') { /* a string: nothing inside counts */
            for (i++; i < n && h[i] != '"'; i++)
                if (h[i] == '\\') i++;
            continue;
        }
        if (c == '{' || c == '[') {
            if (depth == 3)
                return dc_set_error(DC_ERR_FORMAT, "%s: byte %zu: the header nests deeper than safetensors does", path, 8 + i);
            open[depth] = c, members[depth++] = 0;
        } else if (c == '}' || c == ']') {
            if (depth == 0) break;
            depth--;
        } else if (c == ',' && depth > 0) {
            size_t k = ++members[depth - 1] + 1, cap = open[depth - 1] == '[' ? ST_MAX_ARRAY
                                                       : depth == 1        ? ST_MAX_TENSORS + 1
                                                                           : ST_MAX_META;
            if (k > cap)
                return dc_set_error(DC_ERR_FORMAT, "%s: byte %zu: %s of over %zu %s", path, 8 + i,
                                    open[depth - 1] == '[' ? "an array" : depth == 1 ? "a header" : "an object", cap,
                                    open[depth - 1] == '[' ? "values (a shape has a handful)" : "entries");
        }
    }
    return DC_OK;
}

/* A non-negative JSON integer, or -1. */
static int64_t json_uint(const json_t *j) {
    return json_is_integer(j) && json_integer_value(j) >= 0 ? (int64_t)json_integer_value(j) : -1;
}

static dc_status parse_header(dc_st_file *f, const char *path, json_t *root, uint64_t data_len) {
    if (!json_is_object(root)) return dc_set_error(DC_ERR_FORMAT, "%s: header is not a JSON object", path);
    size_t count = json_object_size(root);
    if (count > ST_MAX_TENSORS) return dc_set_error(DC_ERR_FORMAT, "%s: header lists %zu entries (limit %d)", path, count, ST_MAX_TENSORS);
    f->t = calloc(count + 1, sizeof *f->t);
    if (!f->t) return dc_set_error(DC_ERR_NOMEM, "%s: out of memory", path);
    const char *key;
    json_t *e;
    json_object_foreach(root, key, e) {
        if (!strcmp(key, "__metadata__")) {
            if (!json_is_object(e)) return dc_set_error(DC_ERR_FORMAT, "%s: __metadata__ must be an object of strings", path);
            size_t nm = json_object_size(e);
            if (nm > ST_MAX_META)
                return dc_set_error(DC_ERR_FORMAT, "%s: __metadata__ has %zu keys (limit %d)", path, nm, ST_MAX_META);
            f->meta_keys = calloc(nm + 1, sizeof(char *));
            f->meta_vals = calloc(nm + 1, sizeof(char *));
            if (!f->meta_keys || !f->meta_vals) return dc_set_error(DC_ERR_NOMEM, "%s: out of memory", path);
            const char *mk;
            json_t *mv;
            json_object_foreach(e, mk, mv) {
                if (!json_is_string(mv))
                    return dc_set_error(DC_ERR_FORMAT, "%s: __metadata__ value of \"%s\" is not a string", path, mk);
                f->meta_keys[f->nmeta] = strdup(mk);
                f->meta_vals[f->nmeta] = strdup(json_string_value(mv));
                f->nmeta++;
                if (!f->meta_keys[f->nmeta - 1] || !f->meta_vals[f->nmeta - 1]) return dc_set_error(DC_ERR_NOMEM, "%s: out of memory", path);
            }
            continue;
        }
        dc_st_tensor *t = &f->t[f->nt];
        if (strlen(key) >= sizeof t->name)
            return dc_set_error(DC_ERR_FORMAT, "%s: tensor name longer than %zu bytes", path, sizeof t->name - 1);
        strcpy(t->name, key);
        json_t *dt = json_object_get(e, "dtype"), *sh = json_object_get(e, "shape"), *off = json_object_get(e, "data_offsets");
        if (!json_is_object(e) || !json_is_string(dt) || !json_is_array(sh) || !json_is_array(off) || json_array_size(off) != 2)
            return dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\" needs \"dtype\" (string), \"shape\" (array) and \"data_offsets\" ([begin, end])", path, t->name);
        const char *dts = json_string_value(dt);
        int esize = dtype_size(dts);
        if (!esize || strlen(dts) >= sizeof t->dtype) return dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\": unknown dtype \"%s\"", path, t->name, dts);
        strcpy(t->dtype, dts);
        if (json_array_size(sh) > DC_MAX_DIMS)
            return dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\" has %zu dimensions (at most %d)", path, t->name, json_array_size(sh), DC_MAX_DIMS);
        uint64_t nbytes = (uint64_t)esize;
        t->ndim = 0;
        for (size_t k = 0; k < json_array_size(sh); k++) {
            int64_t d = json_uint(json_array_get(sh, k));
            if (d < 0) return dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\": shape entries must be non-negative integers", path, t->name);
            if (d && nbytes > UINT64_MAX / (uint64_t)d) return dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\": size overflows", path, t->name);
            nbytes *= (uint64_t)d;
            t->shape[t->ndim++] = d;
        }
        int64_t b = json_uint(json_array_get(off, 0)), en = json_uint(json_array_get(off, 1));
        if (b < 0 || en < b)
            return dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\": data_offsets must be integers with 0 <= begin <= end", path, t->name);
        if ((uint64_t)(en - b) != nbytes)
            return dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\": shape and dtype need %llu bytes but data_offsets span %lld", path,
                                t->name, (unsigned long long)nbytes, (long long)(en - b));
        if ((uint64_t)en > data_len)
            return dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\": data_offsets end %lld is past the data (%llu bytes)", path, t->name,
                                (long long)en, (unsigned long long)data_len);
        t->data = (const void *)(uintptr_t)b;
        t->nbytes = (int64_t)nbytes;
        f->nt++;
    }
    /* contiguity: sorted by begin, each begins where the previous ended */
    qsort(f->t, (size_t)f->nt, sizeof *f->t, cmp_offset);
    uint64_t pos = 0;
    for (int i = 0; i < f->nt; i++) {
        uint64_t b = (uint64_t)(uintptr_t)f->t[i].data;
        if (b != pos)
            return dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\" starts at data byte %llu, expected %llu (%s)", path, f->t[i].name,
                                (unsigned long long)b, (unsigned long long)pos, b < pos ? "overlaps the previous tensor" : "gap before it");
        pos = b + (uint64_t)f->t[i].nbytes;
    }
    if (pos != data_len)
        return dc_set_error(DC_ERR_FORMAT, "%s: tensors cover %llu data bytes but the file holds %llu after the header", path,
                            (unsigned long long)pos, (unsigned long long)data_len);
    if (f->nt > 0 && !(f->begin = malloc(sizeof *f->begin * (size_t)(unsigned)f->nt))) return dc_set_error(DC_ERR_NOMEM, "%s: out of memory", path);
    for (int i = 0; i < f->nt; i++) {
        f->begin[i] = (uint64_t)(uintptr_t)f->t[i].data;
        f->t[i].data = f->data + f->begin[i];
    }
    return DC_OK;
}

/* The data section from fd (at its start), tensor by tensor in file order;
 * those named with the prefix `unread` are skipped, their data NULL: the
 * pages of the buffer they would fill are never touched. */
static dc_status read_data(dc_st_file *f, int fd, const char *path, const char *unread) {
    const size_t plen = unread ? strlen(unread) : 0;
    for (int i = 0; i < f->nt; i++) {
        dc_st_tensor *t = &f->t[i];
        if (plen && !strncmp(t->name, unread, plen)) {
            t->data = NULL;
            if (lseek(fd, (off_t)t->nbytes, SEEK_CUR) < 0) return dc_set_error(DC_ERR_IO, "%s: cannot seek past tensor \"%s\"", path, t->name);
        } else if (read_full(fd, f->data + f->begin[i], (size_t)t->nbytes)) {
            return dc_set_error(DC_ERR_IO, "%s: cannot read the data section", path);
        }
    }
    return DC_OK;
}

dc_status dc_st_read(const dc_st_file *f, const dc_st_tensor *t, int64_t offset, int64_t bytes, void *dst) {
    const int i = (int)(t - f->t);
    if (i < 0 || i >= f->nt || offset < 0 || bytes < 0 || offset > t->nbytes || bytes > t->nbytes - offset)
        return dc_set_error(DC_ERR_INVALID, "%s: bytes [%lld, %lld) of tensor \"%s\" (%lld bytes)", f->path, (long long)offset,
                            (long long)(offset + bytes), t->name, (long long)t->nbytes);
    if (t->data) {
        memcpy(dst, (const char *)t->data + offset, (size_t)bytes);
        return DC_OK;
    }
    int fd = open(f->path, O_RDONLY);
    if (fd < 0) return dc_set_error(DC_ERR_IO, "%s: cannot open (%s)", f->path, strerror(errno));
    const uint64_t at = f->data_at + f->begin[i] + (uint64_t)offset;
    int64_t got = 0;
    while (got < bytes) {
        ssize_t r = pread(fd, (char *)dst + got, (size_t)(bytes - got), (off_t)(at + (uint64_t)got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += r;
    }
    close(fd);
    if (got < bytes) return dc_set_error(DC_ERR_IO, "%s: cannot read tensor \"%s\" (the file changed since it was opened?)", f->path, t->name);
    return DC_OK;
}

/* The tensors' names hashed once (the JSON parser refused duplicates). */
static dc_status index_names(dc_st_file *f, const char *path) {
    if (f->nt <= 0) return DC_OK;
    if (!(f->names = malloc(sizeof *f->names * (size_t)f->nt)))
        return dc_set_error(DC_ERR_NOMEM, "%s: out of memory for %d tensor names", path, f->nt);
    for (int i = 0; i < f->nt; i++) f->names[i] = f->t[i].name;
    int dup[2];
    dc_status st = dc_strmap_build(&f->index, f->names, f->nt, dup);
    if (st == DC_ERR_INVALID) return dc_set_error(DC_ERR_FORMAT, "%s: tensor \"%s\" appears twice", path, f->names[dup[1]]);
    return st ? dc_set_error(DC_ERR_NOMEM, "%s: out of memory indexing %d tensors", path, f->nt) : DC_OK;
}

dc_st_file *dc_st_open(const char *path) { return dc_st_open_unread(path, NULL); }

dc_st_file *dc_st_open_unread(const char *path, const char *unread) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        dc_set_error(DC_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
        return NULL;
    }
    dc_st_file *f = calloc(1, sizeof *f);
    char *header = NULL;
    json_t *root = NULL;
    struct stat st;
    unsigned char len8[8];
    if (!f) {
        dc_set_error(DC_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        dc_set_error(DC_ERR_IO, "%s: not a regular file", path);
        goto fail;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size < 8 || read_full(fd, len8, 8)) {
        dc_set_error(DC_ERR_FORMAT, "%s: %llu bytes, too short for a safetensors file (8-byte header length)", path, (unsigned long long)size);
        goto fail;
    }
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | len8[i];
    int text = 1; /* eight bytes of printable text: a model description, most likely */
    for (int i = 0; i < 8; i++) text &= (len8[i] >= 0x20 && len8[i] < 0x7F) || len8[i] == '\n' || len8[i] == '\t' || len8[i] == '\r';
    if (text && n > size - 8) {
        dc_set_error(DC_ERR_FORMAT, "%s: a text file, not a model file: if it is a model description, train it first "
                                    "(deepc train %s --data DATA --out MODEL.safetensors) and use the model file it writes",
                     path, path);
        goto fail;
    }
    if (n > ST_MAX_HEADER) {
        dc_set_error(DC_ERR_FORMAT, "%s: byte 0: header length %llu exceeds the %u-byte limit", path, (unsigned long long)n, ST_MAX_HEADER);
        goto fail;
    }
    if (n > size - 8) {
        dc_set_error(DC_ERR_FORMAT, "%s: byte 0: header length %llu runs past the end of the file (%llu bytes)", path,
                     (unsigned long long)n, (unsigned long long)size);
        goto fail;
    }
    if (n < 2) {
        dc_set_error(DC_ERR_FORMAT, "%s: byte 8: header of %llu bytes cannot hold a JSON object", path, (unsigned long long)n);
        goto fail;
    }
    header = malloc(n);
    if (!header || read_full(fd, header, n)) {
        dc_set_error(DC_ERR_IO, "%s: cannot read the %llu-byte header", path, (unsigned long long)n);
        goto fail;
    }
    if (header[0] != '{') {
        dc_set_error(DC_ERR_FORMAT, "%s: byte 8: header does not start with '{'", path);
        goto fail;
    }
    /* jansson: UTF-8 checked, duplicate keys refused, NUL in strings
     * refused, nesting bounded; a hash per object keeps it linear */
    json_error_t je;
    if (header_prescan(header, n, path)) goto fail;
    root = json_loadb(header, n, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        dc_set_error(DC_ERR_FORMAT, "%s: byte %llu: bad JSON header: %s", path, (unsigned long long)(8 + (size_t)je.position), je.text);
        goto fail;
    }
    uint64_t data_len = size - 8 - n;
    f->data = aligned_alloc(64, (data_len + 64) / 64 * 64);
    if (!f->data) {
        dc_set_error(DC_ERR_NOMEM, "%s: out of memory for %llu bytes", path, (unsigned long long)data_len);
        goto fail;
    }
    if (parse_header(f, path, root, data_len)) goto fail;
    if (index_names(f, path)) goto fail;
    f->data_at = 8 + n;
    if (!(f->path = strdup(path))) {
        dc_set_error(DC_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (read_data(f, fd, path, unread)) goto fail;
    json_decref(root);
    free(header);
    close(fd);
    return f;
fail:
    json_decref(root);
    free(header);
    dc_st_close(f);
    close(fd);
    return NULL;
}

int dc_st_count(const dc_st_file *f) { return f->nt; }
const dc_st_tensor *dc_st_get(const dc_st_file *f, int i) { return i >= 0 && i < f->nt ? &f->t[i] : NULL; }

const dc_st_tensor *dc_st_find(const dc_st_file *f, const char *name) {
    const int i = f->nt ? dc_strmap_find(&f->index, name) : -1;
    return i >= 0 ? &f->t[i] : NULL;
}

const char *dc_st_metadata(const dc_st_file *f, const char *key) {
    for (int i = 0; i < f->nmeta; i++)
        if (!strcmp(f->meta_keys[i], key)) return f->meta_vals[i];
    return NULL;
}

/* ---- writing ------------------------------------------------------------ */

static void sb_json_string(dc_strbuf *b, const char *s) {
    dc_sb_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"') dc_sb_puts(b, "\\\"");
        else if (c == '\\') dc_sb_puts(b, "\\\\");
        else if (c == '\n') dc_sb_puts(b, "\\n");
        else if (c == '\t') dc_sb_puts(b, "\\t");
        else if (c == '\r') dc_sb_puts(b, "\\r");
        else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            dc_sb_puts(b, esc);
        } else dc_sb_put(b, (const char *)s, 1);
    }
    dc_sb_put(b, "\"", 1);
}

/* The writer refuses what its reader would: a file deepc writes can always be read back. */
static dc_status check_text(const char *path, const char *what, const char *s) {
    size_t n = strlen(s), bad = dc_utf8_invalid_at(s, n);
    if (bad < n) return dc_set_error(DC_ERR_INVALID, "%s: %s is not valid UTF-8 (byte 0x%02X at %zu); not written", path, what, (unsigned char)s[bad], bad);
    return DC_OK;
}

dc_status dc_st_write(const char *path, const dc_st_entry *t, int nt, const char *const *keys,
                      const char *const *values, int nmeta) {
    if (nmeta > ST_MAX_META)
        return dc_set_error(DC_ERR_INVALID, "%s: %d metadata keys, more than a safetensors reader takes (%d); not written", path, nmeta, ST_MAX_META);
    if (nt + (nmeta > 0) > ST_MAX_TENSORS)
        return dc_set_error(DC_ERR_INVALID, "%s: %d tensors, more than a safetensors reader takes (%d); not written", path, nt, ST_MAX_TENSORS);
    dc_status cst = DC_OK;
    for (int i = 0; i < nt && !cst; i++) cst = check_text(path, "a tensor name", t[i].name);
    for (int i = 0; i < nmeta && !cst; i++) {
        char what[96];
        snprintf(what, sizeof what, "metadata \"%.40s\"", keys[i]);
        if (!(cst = check_text(path, "a metadata key", keys[i]))) cst = check_text(path, what, values[i]);
    }
    if (cst) return cst;
    dc_strbuf h = {0};
    char num[64];
    dc_sb_puts(&h, "{");
    if (nmeta > 0) {
        dc_sb_puts(&h, "\"__metadata__\":{");
        for (int i = 0; i < nmeta; i++) {
            if (i) dc_sb_puts(&h, ",");
            sb_json_string(&h, keys[i]);
            dc_sb_puts(&h, ":");
            sb_json_string(&h, values[i]);
        }
        dc_sb_puts(&h, "}");
    }
    uint64_t off = 0;
    for (int i = 0; i < nt; i++) {
        if (i || nmeta > 0) dc_sb_puts(&h, ",");
        const char *dt = t[i].dtype ? t[i].dtype : "F32";
        int esize = dtype_size(dt);
        if (!esize) {
            free(h.s);
            return dc_set_error(DC_ERR_INVALID, "%s: tensor \"%s\": unknown dtype %s", path, t[i].name, dt);
        }
        sb_json_string(&h, t[i].name);
        dc_sb_puts(&h, ":{\"dtype\":\"");
        dc_sb_puts(&h, dt);
        dc_sb_puts(&h, "\",\"shape\":[");
        int64_t n = 1;
        for (int d = 0; d < t[i].ndim; d++) {
            snprintf(num, sizeof num, d ? ",%lld" : "%lld", (long long)t[i].shape[d]);
            dc_sb_puts(&h, num);
            n *= t[i].shape[d];
        }
        snprintf(num, sizeof num, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                 (unsigned long long)(off + (uint64_t)n * (uint64_t)esize));
        dc_sb_puts(&h, num);
        off += (uint64_t)n * (uint64_t)esize;
    }
    dc_sb_puts(&h, "}");
    while (h.n % 8) dc_sb_puts(&h, " "); /* pad so the data starts 8-byte aligned */
    if (!h.oom && h.n > ST_MAX_HEADER) {
        free(h.s);
        return dc_set_error(DC_ERR_INVALID, "%s: a header of %zu bytes, more than a reader takes (%u); not written", path, h.n, ST_MAX_HEADER);
    }
    if (h.oom) {
        free(h.s);
        return dc_set_error(DC_ERR_NOMEM, "%s: out of memory for the header", path);
    }
    dc_atomic_file af;
    dc_status st = dc_atomic_open(&af, path);
    if (st) {
        free(h.s);
        return st;
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)h.n >> (8 * i));
    int bad = fwrite(len8, 1, 8, af.f) != 8 || fwrite(h.s, 1, h.n, af.f) != h.n;
    void *piece = NULL;
    for (int i = 0; !bad && !st && i < nt; i++) {
        size_t bytes = (size_t)dc_shape_size(t[i].ndim, t[i].shape) * (size_t)dtype_size(t[i].dtype ? t[i].dtype : "F32");
        if (t[i].data || !t[i].fill) {
            bad = bytes && fwrite(t[i].data, 1, bytes, af.f) != bytes;
            continue;
        }
        if (!piece && !(piece = malloc((size_t)DC_ST_FILL_BYTES))) { /* a tensor filled piece by piece (dc_st_entry.fill) */
            st = dc_set_error(DC_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
        for (size_t off = 0; off < bytes && !bad && !st; off += (size_t)DC_ST_FILL_BYTES) {
            const size_t n = bytes - off < (size_t)DC_ST_FILL_BYTES ? bytes - off : (size_t)DC_ST_FILL_BYTES;
            if (!(st = t[i].fill(t[i].fill_user, (int64_t)off, (int64_t)n, piece))) bad = fwrite(piece, 1, n, af.f) != n;
        }
    }
    free(piece);
    free(h.s);
    if (st) {
        dc_atomic_abort(&af);
        return st;
    }
    if (bad) {
        st = dc_set_error(DC_ERR_IO, "%s: write failed (%s); the previous file, if any, is untouched", path, strerror(errno));
        dc_atomic_abort(&af);
        return st;
    }
    return dc_atomic_commit(&af);
}

dc_status dc_st_to_f32(const dc_st_tensor *t, float *out) {
    int dt = dc_dtype_from_name(t->dtype);
    size_t es = dt < 0 ? 0 : dc_dtype_size((dc_dtype)dt);
    if (!es) return dc_set_error(DC_ERR_FORMAT, "tensor \"%s\": cannot convert %s to F32", t->name, t->dtype);
    int64_t n = t->nbytes / (int64_t)es;
    const unsigned char *p = t->data;
    for (int64_t i = 0; i < n; i++, p += es) {
        switch (dt) {
        case DC_F32: memcpy(&out[i], p, 4); break;
        case DC_I32: {
            int32_t v;
            memcpy(&v, p, 4);
            out[i] = (float)v;
            break;
        }
        case DC_U8: out[i] = (float)*p; break;
        case DC_I8: out[i] = (float)(int8_t)*p; break;
        case DC_F16: out[i] = dc_k_f16_to_f32((uint16_t)(p[0] | p[1] << 8)); break;
        case DC_BF16: {
            uint32_t bits = (uint32_t)(p[0] | p[1] << 8) << 16;
            memcpy(&out[i], &bits, 4);
            break;
        }
        }
    }
    return DC_OK;
}
