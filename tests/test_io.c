/* test_io.c — loaders against bad input: truncated, wrong-magic, lying and
 * malicious IDX and safetensors files must give a clear error naming the
 * file, never a crash (this suite also runs under ASan/UBSan). */
#include "test.h"
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>


static void write_file(const char *name, const void *data, size_t n) {
    FILE *f = fopen(path_of(name), "wb");
    fwrite(data, 1, n, f);
    fclose(f);
}

static void write_gz(const char *name, const void *data, size_t n) {
    gzFile f = gzopen(path_of(name), "wb");
    gzwrite(f, data, (unsigned)n);
    gzclose(f);
}

/* An IDX image file: count images of r x c bytes. */
static size_t make_idx_images(unsigned char *buf, int count, int r, int c) {
    unsigned char h[16] = {0, 0, 8, 3, 0, 0, 0, (unsigned char)count, 0, 0, 0, (unsigned char)r, 0, 0, 0, (unsigned char)c};
    memcpy(buf, h, 16);
    for (int i = 0; i < count * r * c; i++) buf[16 + i] = (unsigned char)(i * 7);
    return 16 + (size_t)(count * r * c);
}

static size_t make_idx_labels(unsigned char *buf, int count) {
    unsigned char h[8] = {0, 0, 8, 1, 0, 0, 0, (unsigned char)count};
    memcpy(buf, h, 8);
    for (int i = 0; i < count; i++) buf[8 + i] = (unsigned char)(i % 10);
    return 8 + (size_t)count;
}

static void idx_tests(void) {
    unsigned char img[16 + 5 * 4 * 3], lab[8 + 5];
    size_t ni = make_idx_images(img, 5, 4, 3), nl = make_idx_labels(lab, 5);
    write_file("img.idx", img, ni);
    write_gz("img.idx.gz", img, ni);
    write_file("lab.idx", lab, nl);

    dc_dataset *d = dc_idx_load(path_of("img.idx"), path_of("lab.idx"));
    CHECK(d && d->n == 5 && d->x.ndim == 2 && d->x.shape[0] == 4 && d->x.shape[1] == 3 && d->x.dtype == DC_U8,
          "valid raw IDX: %s", dc_last_error());
    CHECK(d && d->num_classes == 5 && dc_dataset_labels(d)[3] == 3 && dc_array_u8(&d->x)[1] == 7, "IDX contents");
    if (d) {
        float x[12];
        int32_t y;
        int64_t idx = 1;
        dc_dataset_gather(d, &idx, 1, x, &y);
        CHECK(fabsf(x[0] - (float)((12 * 7) % 256) / 255.0f) < 1e-6f && y == 1, "gather scales pixels to [0,1]");
    }
    dc_dataset_free(d);
    d = dc_idx_load(path_of("img.idx.gz"), path_of("lab.idx"));
    CHECK(d && d->n == 5, "gzip IDX: %s", dc_last_error());
    dc_dataset_free(d);

    /* parts (a rank's share, --shard-data): 3 parts of 5 images, raw and
     * gzip, and 2 parts of the first 4: each the whole file's rows */
    dc_dataset *whole = dc_idx_load(path_of("img.idx"), path_of("lab.idx"));
    const char *names[2] = {"img.idx", "img.idx.gz"};
    for (int f = 0; f < 2 && whole; f++)
        for (int parts = 2; parts <= 3; parts++) {
            const int64_t limit = parts == 2 ? 4 : 0, n = limit ? limit : 5;
            for (int part = 0; part < parts; part++) {
                int64_t first = -1, total = -1;
                dc_dataset *p = dc_idx_load_part(path_of(names[f]), path_of("lab.idx"), limit, part, parts, &first, &total);
                const int64_t r0 = n * part / parts, r1 = n * (part + 1) / parts;
                CHECK(p && first == r0 && total == n && p->n == r1 - r0 && p->num_classes == n && /* the classes of every label read */
                          !memcmp(p->x.data, dc_array_u8(&whole->x) + r0 * 12, (size_t)(12 * (r1 - r0))) &&
                          !memcmp(p->y.data, dc_dataset_labels(whole) + r0, sizeof(int32_t) * (size_t)(r1 - r0)),
                      "%s: part %d of %d (limit %lld): rows %lld to %lld: %s", names[f], part, parts, (long long)limit, (long long)r0,
                      (long long)r1, p ? "" : dc_last_error());
                dc_dataset_free(p);
            }
        }
    dc_dataset_free(whole);
    CHECK_ERR(dc_idx_load_part(path_of("img.idx"), path_of("lab.idx"), 0, 2, 2, NULL, NULL) == NULL, "part 2 of 2");

    /* truncated data */
    write_file("trunc.idx", img, ni - 5);
    CHECK_ERR(dc_idx_load(path_of("trunc.idx"), path_of("lab.idx")) == NULL, "truncated");
    CHECK(strstr(dc_last_error(), "trunc.idx") != NULL, "error names the file: %s", dc_last_error());
    /* truncated header */
    write_file("short.idx", img, 10);
    CHECK_ERR(dc_idx_load(path_of("short.idx"), path_of("lab.idx")) == NULL, "truncated header");
    write_file("tiny.idx", img, 2);
    CHECK_ERR(dc_idx_load(path_of("tiny.idx"), path_of("lab.idx")) == NULL, "too short");
    /* trailing garbage */
    unsigned char big[sizeof img + 3];
    memcpy(big, img, ni);
    write_file("long.idx", big, ni + 3);
    CHECK_ERR(dc_idx_load(path_of("long.idx"), path_of("lab.idx")) == NULL, "trailing garbage");
    /* wrong magic */
    unsigned char bad[sizeof img];
    memcpy(bad, img, ni);
    bad[0] = 0x1f;
    write_file("magic.idx", bad, ni);
    CHECK_ERR(dc_idx_load(path_of("magic.idx"), path_of("lab.idx")) == NULL, "bad magic");
    memcpy(bad, img, ni);
    bad[2] = 0x0D; /* float32 IDX: not supported */
    write_file("type.idx", bad, ni);
    CHECK_ERR(dc_idx_load(path_of("type.idx"), path_of("lab.idx")) == NULL, "element type");
    memcpy(bad, img, ni);
    bad[3] = 40;
    write_file("ndim.idx", bad, ni);
    CHECK_ERR(dc_idx_load(path_of("ndim.idx"), path_of("lab.idx")) == NULL, "dimensions");
    /* oversized: header claims 2^32-1 x 2^32-1 x ... images */
    memcpy(bad, img, ni);
    memset(bad + 4, 0xff, 12);
    write_file("huge.idx", bad, ni);
    CHECK_ERR(dc_idx_load(path_of("huge.idx"), path_of("lab.idx")) == NULL, "more than");
    /* count mismatch between images and labels */
    unsigned char lab4[8 + 4];
    size_t nl4 = make_idx_labels(lab4, 4);
    write_file("lab4.idx", lab4, nl4);
    CHECK_ERR(dc_idx_load(path_of("img.idx"), path_of("lab4.idx")) == NULL, "labels");
    /* labels file that is really an image file */
    CHECK_ERR(dc_idx_load(path_of("img.idx"), path_of("img.idx")) == NULL, "exactly 1");
    /* truncated gzip stream */
    FILE *f = fopen(path_of("img.idx.gz"), "rb");
    unsigned char gz[4096];
    size_t ngz = fread(gz, 1, sizeof gz, f);
    fclose(f);
    write_file("cut.idx.gz", gz, ngz / 2);
    CHECK_ERR(dc_idx_load(path_of("cut.idx.gz"), path_of("lab.idx")) == NULL, "cut.idx.gz");
    CHECK_ERR(dc_idx_load_part(path_of("cut.idx.gz"), path_of("lab.idx"), 0, 1, 2, NULL, NULL) == NULL, "cut.idx.gz");
    CHECK_ERR(dc_idx_load_part(path_of("trunc.idx"), path_of("lab.idx"), 0, 1, 2, NULL, NULL) == NULL, "trunc.idx");
    /* zero-byte and missing files */
    write_file("empty.idx", "", 0);
    CHECK_ERR(dc_idx_load(path_of("empty.idx"), path_of("lab.idx")) == NULL, "too short");
    CHECK_ERR(dc_idx_load(path_of("missing.idx"), path_of("lab.idx")) == NULL, "cannot open");
    CHECK_ERR(dc_mnist_load(test_dir, "train") == NULL, "no train-images");
    CHECK_ERR(dc_mnist_load(test_dir, "validation") == NULL, "split must be");
}

/* safetensors file from a header string and n data bytes */
static void write_st(const char *name, const char *header, size_t ndata) {
    size_t hn = strlen(header);
    unsigned char *buf = calloc(1, 8 + hn + ndata + 1);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)hn >> (8 * i));
    memcpy(buf + 8, header, hn);
    write_file(name, buf, 8 + hn + ndata);
    free(buf);
}

static void st_expect_error(const char *name, const char *header, size_t ndata, const char *needle) {
    write_st(name, header, ndata);
    dc_st_file *f = dc_st_open(path_of(name));
    CHECK(f == NULL && strstr(dc_last_error(), needle) && strstr(dc_last_error(), name),
          "%s: expected an error mentioning \"%s\", got \"%s\"", name, needle, dc_last_error());
    dc_st_close(f);
}

static void safetensors_tests(void) {
    /* a valid file written by our writer reads back */
    float a[6] = {1, 2, 3, 4, 5, 6}, b[2] = {7, 8};
    dc_st_entry e[2] = {{"a", 2, (int64_t[]){2, 3}, a}, {"b", 1, (int64_t[]){2}, b}};
    const char *k[1] = {"note"}, *v[1] = {"quote \" backslash \\ newline \n done"};
    CHECK(dc_st_write(path_of("ok.safetensors"), e, 2, k, v, 1) == DC_OK, "write: %s", dc_last_error());
    dc_st_file *f = dc_st_open(path_of("ok.safetensors"));
    CHECK(f && dc_st_count(f) == 2, "read back: %s", dc_last_error());
    if (f) {
        const dc_st_tensor *t = dc_st_find(f, "a");
        CHECK(t && t->ndim == 2 && t->shape[1] == 3 && ((const float *)t->data)[5] == 6.0f, "tensor a");
        CHECK(dc_st_metadata(f, "note") && !strcmp(dc_st_metadata(f, "note"), v[0]), "metadata with escapes");
    }
    dc_st_close(f);
    /* a tensor left unread (a sharded resume's optimizer) is read in
     * parts from the file, and a tensor in memory the same way; a range
     * past its end is refused */
    f = dc_st_open_unread(path_of("ok.safetensors"), "b");
    const dc_st_tensor *ta = f ? dc_st_find(f, "a") : NULL, *tb = f ? dc_st_find(f, "b") : NULL;
    CHECK(ta && tb && ta->data && !tb->data, "dc_st_open_unread: b left on disk, a read: %s", dc_last_error());
    float got[4] = {0};
    CHECK(tb && dc_st_read(f, tb, 4, 4, got) == DC_OK && got[0] == 8.0f, "dc_st_read: b's second value from the file: %s", dc_last_error());
    CHECK(ta && dc_st_read(f, ta, 8, 12, got) == DC_OK && got[0] == 3.0f && got[2] == 5.0f, "dc_st_read: a's values 2 to 4 from memory");
    CHECK_ERR(tb && dc_st_read(f, tb, 4, 8, got) != DC_OK, "bytes [4, 12) of tensor \"b\" (8 bytes)");
    dc_st_close(f);
    /* atomic write leaves no temporary file behind */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "ls %s | grep -q tmp", test_dir);
    CHECK(system(cmd) != 0, "no leftover temp files");
    /* writing into a missing folder fails cleanly */
    CHECK_ERR(dc_st_write(path_of("nodir/x.safetensors"), e, 2, NULL, NULL, 0) != DC_OK, "cannot create");

    const char *T1 = "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":";
    char h[512];
    snprintf(h, sizeof h, "{\"a\":{%s[0,8]},\"b\":{%s[4,12]}}", T1, T1);
    st_expect_error("overlap.safetensors", h, 12, "overlaps");
    snprintf(h, sizeof h, "{\"a\":{%s[0,8]},\"b\":{%s[12,20]}}", T1, T1);
    st_expect_error("gap.safetensors", h, 20, "gap");
    snprintf(h, sizeof h, "{\"a\":{%s[0,8]}}", T1);
    st_expect_error("extra.safetensors", h, 12, "cover 8 data bytes but the file holds 12");
    st_expect_error("pastend.safetensors", h, 4, "past the data");
    snprintf(h, sizeof h, "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}");
    st_expect_error("mismatch.safetensors", h, 8, "need 12 bytes");
    snprintf(h, sizeof h, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}");
    st_expect_error("overflow.safetensors", h, 8, "overflows");
    snprintf(h, sizeof h, "{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}");
    st_expect_error("dtype.safetensors", h, 8, "unknown dtype");
    snprintf(h, sizeof h, "{\"a\":{%s[0,8]},\"a\":{%s[8,16]}}", T1, T1);
    st_expect_error("dup.safetensors", h, 16, "duplicate object key");
    st_expect_error("utf8.safetensors", "{\"\xff\xfe\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, "bad JSON");
    st_expect_error("nul.safetensors", "{\"__metadata__\":{\"k\":\"a\\u0000b\"}}", 0, "bad JSON");
    st_expect_error("notjson.safetensors", "{\"a\": nope}", 0, "bad JSON");
    st_expect_error("start.safetensors", "[1,2,3]", 0, "does not start with '{'");
    snprintf(h, sizeof h, "{\"a\":{%s[8,0]}}", T1);
    st_expect_error("backwards.safetensors", h, 8, "begin <= end");
    snprintf(h, sizeof h, "{\"__metadata__\":{\"k\":5},\"a\":{%s[0,8]}}", T1);
    st_expect_error("meta.safetensors", h, 8, "not a string");
    /* deep nesting must not blow the stack */
    static char deep[100008];
    memset(deep, '[', sizeof deep - 1);
    memcpy(deep, "{\"a\":", 5);
    deep[sizeof deep - 1] = 0;
    st_expect_error("deep.safetensors", deep, 0, "nests deeper than safetensors does");
    /* jansson's tree is bounded before it is built: a long array (a 2-byte
     * "0," cost a 50-byte node), too many metadata keys */
    static char longarr[40000];
    size_t kk = (size_t)snprintf(longarr, sizeof longarr, "{\"a\":{\"dtype\":\"F32\",\"shape\":[");
    for (int i = 0; i < 9000; i++) longarr[kk++] = '1', longarr[kk++] = ',';
    snprintf(longarr + kk, sizeof longarr - kk, "1],\"data_offsets\":[0,0]}}");
    st_expect_error("longarr.safetensors", longarr, 0, "an array of over 8 values");
    static char manymeta[200000];
    kk = (size_t)snprintf(manymeta, sizeof manymeta, "{\"__metadata__\":{");
    for (int i = 0; i < 10001; i++) kk += (size_t)snprintf(manymeta + kk, sizeof manymeta - kk, "%s\"%d\":\"\"", i ? "," : "", i);
    snprintf(manymeta + kk, sizeof manymeta - kk, "}}");
    st_expect_error("manymeta.safetensors", manymeta, 0, "an object of over 10000 entries");
    /* 100,000 entries (the most a header may list) load, in linear time:
     * duplicate keys were looked for by comparing every pair (red team
     * f_json_many_keys_hang), now jansson hashes them */
    size_t cap = 100000 * 64 + 64;
    char *many = malloc(cap);
    kk = (size_t)snprintf(many, cap, "{");
    for (int i = 0; i < 100000; i++)
        kk += (size_t)snprintf(many + kk, cap - kk, "%s\"t%d\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}",
                               i ? "," : "", i);
    snprintf(many + kk, cap - kk, "}");
    write_st("many.safetensors", many, 0);
    dc_st_file *mf = dc_st_open(path_of("many.safetensors"));
    CHECK(mf && dc_st_find(mf, "t99999") && dc_st_find(mf, "t0"), "100,000 entries: %s", mf ? "a name missing" : dc_last_error());
    dc_st_close(mf);
    free(many);

    /* header length past the end of the file, and a huge header */
    unsigned char buf[16] = {0xff, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    write_file("hlen.safetensors", buf, 10);
    CHECK_ERR(dc_st_open(path_of("hlen.safetensors")) == NULL, "runs past the end");
    unsigned char huge[16] = {0, 0, 0, 0, 0, 1, 0, 0, '{', '}'}; /* 2^40 */
    write_file("hhuge.safetensors", huge, 10);
    CHECK_ERR(dc_st_open(path_of("hhuge.safetensors")) == NULL, "exceeds");
    write_file("short.safetensors", huge, 5);
    CHECK_ERR(dc_st_open(path_of("short.safetensors")) == NULL, "too short");
    CHECK_ERR(dc_st_open(path_of("absent.safetensors")) == NULL, "cannot open");
    /* a valid safetensors that is not a deepc model */
    CHECK_ERR(dc_model_load(path_of("ok.safetensors")) == NULL, "not a deepc model");
}

/* Every element type: sizes, tensors, and safetensors write/read/convert. */
static void dtype_tests(void) {
    CHECK(dc_dtype_size(DC_F32) == 4 && dc_dtype_size(DC_I32) == 4 && dc_dtype_size(DC_U8) == 1 && dc_dtype_size(DC_I8) == 1 &&
              dc_dtype_size(DC_F16) == 2 && dc_dtype_size(DC_BF16) == 2 && dc_dtype_size((dc_dtype)99) == 0,
          "dtype sizes");
    CHECK(dc_dtype_from_name("BF16") == DC_BF16 && !strcmp(dc_dtype_name(DC_I8), "I8") && dc_dtype_from_name("F8") == -1, "dtype names");
    dc_tensor *u = dc_tensor_new(DC_U8, 2, (int64_t[]){3, 5});
    CHECK(u && u->raw && !u->data && !u->idata && u->size == 15, "a U8 tensor");
    dc_tensor_free(u);
    CHECK_ERR(dc_tensor_new((dc_dtype)42, 1, (int64_t[]){2}) == NULL, "unknown dtype");
    /* F16: 1, -2, inf, the smallest subnormal, NaN, 65504; BF16: 1, -5, 3.140625 */
    uint16_t h[6] = {0x3C00, 0xC000, 0x7C00, 0x0001, 0x7E00, 0x7BFF}, b[3] = {0x3F80, 0xC0A0, 0x4049};
    uint8_t u8[3] = {0, 128, 255};
    int8_t i8[3] = {-128, -1, 127};
    dc_st_entry e[4] = {{"h", 1, (int64_t[]){6}, h, "F16"}, {"b", 1, (int64_t[]){3}, b, "BF16"},
                        {"u", 1, (int64_t[]){3}, u8, "U8"}, {"i", 1, (int64_t[]){3}, i8, "I8"}};
    CHECK(dc_st_write(path_of("dt.safetensors"), e, 4, NULL, NULL, 0) == DC_OK, "write every dtype: %s", dc_last_error());
    dc_st_file *f = dc_st_open(path_of("dt.safetensors"));
    CHECK(f != NULL, "read every dtype: %s", dc_last_error());
    if (!f) return;
    float o[6];
    CHECK(dc_st_to_f32(dc_st_find(f, "h"), o) == DC_OK && o[0] == 1.0f && o[1] == -2.0f && isinf(o[2]) && o[3] == ldexpf(1, -24) &&
              isnan(o[4]) && o[5] == 65504.0f,
          "F16 to F32: %g %g %g %g %g %g", o[0], o[1], o[2], o[3], o[4], o[5]);
    CHECK(dc_st_to_f32(dc_st_find(f, "b"), o) == DC_OK && o[0] == 1.0f && o[1] == -5.0f && o[2] == 3.140625f, "BF16 to F32");
    CHECK(dc_st_to_f32(dc_st_find(f, "u"), o) == DC_OK && o[1] == 128.0f && o[2] == 255.0f, "U8 to F32");
    CHECK(dc_st_to_f32(dc_st_find(f, "i"), o) == DC_OK && o[0] == -128.0f && o[2] == 127.0f, "I8 to F32");
    CHECK(dc_st_find(f, "h")->nbytes == 12 && !strcmp(dc_st_find(f, "b")->dtype, "BF16"), "sizes by dtype");
    dc_st_close(f);
    /* the writer refuses what no reader would take back */
    dc_st_entry bad_name = {"caf\xe9", 1, (int64_t[]){3}, u8, "U8"};
    CHECK_ERR(dc_st_write(path_of("bad.safetensors"), &bad_name, 1, NULL, NULL, 0) != DC_OK, "a tensor name is not valid UTF-8");
    const char *k = "note", *v = "\xff";
    CHECK_ERR(dc_st_write(path_of("bad.safetensors"), e, 1, &k, &v, 1) != DC_OK, "metadata \"note\" is not valid UTF-8");
}

/* Parts of an image folder (a rank's share, --shard-data): 2 classes of 4
 * and 3 PNGs, one of them bad. With the files mixed and the bad one
 * skipped, parts 1 to 3 of 3, one after the other, are the whole folder's
 * rows in the same order: pixels and labels. */
static void image_part_tests(void) {
    mkdir(path_of("folder"), 0755);
    mkdir(path_of("folder/a"), 0755);
    mkdir(path_of("folder/b"), 0755);
    for (int i = 0; i < 7; i++) {
        uint8_t px[3 * 2];
        for (int j = 0; j < 6; j++) px[j] = (uint8_t)(i * 30 + j);
        char name[64];
        snprintf(name, sizeof name, "folder/%s/%d.png", i < 4 ? "a" : "b", i);
        CHECK(dc_image_write_png(path_of(name), px, 3, 2, 1) == DC_OK, "write %s: %s", name, dc_last_error());
    }
    write_file("folder/b/bad.png", "not a png", 9);
    dc_image_folder_options o = {.channels = 1, .height = 2, .width = 3, .skip_bad = 1, .mix = 1, .seed = 5};
    char **names = NULL;
    int nn = 0;
    int64_t skipped = -1, got = 0, bad = 0;
    dc_dataset *whole = dc_image_folder_load_part(path_of("folder"), &o, &names, &nn, &skipped, NULL);
    CHECK(whole && whole->n == 7 && skipped == 1 && nn == 2, "the whole folder, mixed, its bad file skipped: %s", dc_last_error());
    dc_free_names(names, nn);
    for (int part = 0; whole && part < 3; part++) {
        o.part = part, o.parts = 3;
        dc_dataset *p = dc_image_folder_load_part(path_of("folder"), &o, &names, &nn, &skipped, NULL);
        dc_free_names(names, nn);
        CHECK(p && got + p->n <= whole->n, "part %d of 3: %s", part, dc_last_error());
        if (!p || got + p->n > whole->n) break;
        CHECK(!memcmp(p->x.data, dc_array_u8(&whole->x) + got * 6, (size_t)p->n * 6) &&
                  !memcmp(p->y.data, dc_dataset_labels(whole) + got, sizeof(int32_t) * (size_t)p->n),
              "part %d of 3 is rows %lld to %lld of the whole folder", part, (long long)got, (long long)(got + p->n));
        got += p->n, bad += skipped;
        dc_dataset_free(p);
    }
    CHECK(got == 7 && bad == 1, "the parts hold the folder's 7 rows (%lld) and its bad file (%lld)", (long long)got, (long long)bad);
    /* not mixed: the sorted order, class a's images first */
    o.mix = 0, o.parts = 0, o.part = 0;
    dc_dataset *sorted = dc_image_folder_load_part(path_of("folder"), &o, &names, &nn, NULL, NULL);
    dc_free_names(names, nn);
    CHECK(sorted && dc_dataset_labels(sorted)[3] == 0 && dc_dataset_labels(sorted)[4] == 1 && dc_array_u8(&sorted->x)[6] == 30,
          "unmixed: the files in sorted order");
    o.skip_bad = 0, o.part = 2, o.parts = 3, o.mix = 0; /* the last part holds bad.png: without skip_bad it fails, naming it */
    CHECK_ERR(dc_image_folder_load_part(path_of("folder"), &o, &names, &nn, NULL, NULL) == NULL, "bad.png: not a PNG or JPEG image");
    CHECK(!strstr(dc_last_error(), "0 more"), "one bad file: not \"and 0 more\": %s", dc_last_error());
    o.part = 3;
    CHECK_ERR(dc_image_folder_load_part(path_of("folder"), &o, &names, &nn, NULL, NULL) == NULL, "part 3 of 3");
    dc_dataset_free(sorted);
    dc_dataset_free(whole);
}

int main(int argc, char **argv) {
    if (test_workdir(argc, argv, "io_tmp")) return 2;
    idx_tests();
    image_part_tests();
    safetensors_tests();
    dtype_tests();
    return test_summary("test_io");
}
