/* image_decode.c — PNG and JPEG decoding through Debian's security-maintained
 * libpng and libjpeg-turbo, and PNG writing through libpng.
 *
 * Files are untrusted. The order of checks is what keeps a crafted file
 * cheap to refuse:
 *   1. the file is a regular file of at most DC_IMAGE_MAX_FILE_BYTES;
 *   2. its first bytes are a PNG or JPEG signature (nothing else reaches a
 *      decoder, whatever the file's name says);
 *   3. the header's width x height is within DC_IMAGE_MAX_SIDE per side and
 *      DC_IMAGE_MAX_PIXELS in all, before anything is allocated for pixels;
 *   4. the file holds at least the compressed bytes those pixels need — a
 *      header that promises a large image without its data is an error, not
 *      a large allocation of whatever memory held;
 *   5. a file that ends before its last row is an error, never rows of gray.
 */
#include "../core/internal.h"
#include <errno.h>
#include <jerror.h>
#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The whole file in memory: images are read once, and a bound on the file's
 * size bounds this buffer. */
static dc_status slurp(const char *path, uint8_t **buf, size_t *n) {
    struct stat st;
    if (stat(path, &st) != 0) return dc_set_error(DC_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) return dc_set_error(DC_ERR_IO, "%s: not a regular file", path);
    if (st.st_size == 0) return dc_set_error(DC_ERR_FORMAT, "%s: empty file (0 bytes), not an image", path);
    if (st.st_size > DC_IMAGE_MAX_FILE_BYTES)
        return dc_set_error(DC_ERR_FORMAT, "%s: %lld bytes, over the %d MiB limit for an image file", path,
                            (long long)st.st_size, DC_IMAGE_MAX_FILE_BYTES >> 20);
    FILE *f = fopen(path, "rb");
    if (!f) return dc_set_error(DC_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    *buf = malloc((size_t)st.st_size);
    if (!*buf) {
        fclose(f);
        return dc_set_error(DC_ERR_NOMEM, "%s: out of memory", path);
    }
    *n = fread(*buf, 1, (size_t)st.st_size, f);
    fclose(f);
    if (*n == 0) {
        free(*buf);
        return dc_set_error(DC_ERR_IO, "%s: cannot read", path);
    }
    return DC_OK;
}

/* Width and height against the budget, before pixels are allocated. */
static dc_status check_size(const char *path, const char *fmt, uint32_t w, uint32_t h) {
    if (w < 1 || h < 1 || w > DC_IMAGE_MAX_SIDE || h > DC_IMAGE_MAX_SIDE)
        return dc_set_error(DC_ERR_FORMAT, "%s: %s of %ux%u pixels is outside 1..%d per side", path, fmt, w, h,
                            DC_IMAGE_MAX_SIDE);
    if ((uint64_t)w * h > DC_IMAGE_MAX_PIXELS)
        return dc_set_error(DC_ERR_FORMAT, "%s: %s of %ux%u pixels (%.1f megapixels) is over the %d-megapixel budget",
                            path, fmt, w, h, (double)w * h / 1e6, DC_IMAGE_MAX_PIXELS / 1000000);
    return DC_OK;
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* RGB to gray in place, as PIL's convert("L") (ITU-R 601-2 luma, 16-bit
 * fixed point): models trained on images PIL read see the same pixels. */
static void rgb_to_gray(uint8_t *p, size_t npix) {
    for (size_t i = 0; i < npix; i++)
        p[i] = (uint8_t)((p[3 * i] * 19595u + p[3 * i + 1] * 38470u + p[3 * i + 2] * 7471u + 0x8000u) >> 16);
}

/* ---- PNG ---- */

typedef struct {
    const uint8_t *p;
    size_t n, off;
    char msg[256];
} png_src;

static void png_read_mem(png_structp png, png_bytep out, size_t len) {
    png_src *s = png_get_io_ptr(png);
    if (len > s->n - s->off) png_error(png, "the file ends early (truncated)");
    memcpy(out, s->p + s->off, len);
    s->off += len;
}

static void png_fail(png_structp png, png_const_charp msg) {
    png_src *s = png_get_error_ptr(png);
    snprintf(s->msg, sizeof s->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_warn(png_structp png, png_const_charp msg) { (void)png, (void)msg; }

/* Bytes of IDAT data the file really holds (the chunk walk stops at the
 * end of the file: a chunk that claims more than is there counts what is). */
static uint64_t png_idat_bytes(const uint8_t *b, size_t n) {
    uint64_t total = 0;
    for (size_t off = 8; off + 8 <= n;) {
        uint64_t len = be32(b + off);
        uint64_t have = n - off - 8;
        if (!memcmp(b + off + 4, "IDAT", 4)) total += len < have ? len : have;
        if (!memcmp(b + off + 4, "IEND", 4) || len + 4 > have) break;
        off += 8 + (size_t)len + 4;
    }
    return total;
}

static dc_status decode_png(const char *path, const uint8_t *buf, size_t n, int channels, int *w, int *h, uint8_t **pix) {
    png_src src = {buf, n, 0, ""};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_fail, png_warn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *volatile out = NULL;
    png_bytep *volatile rows = NULL;
    if (!info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        return dc_set_error(DC_ERR_NOMEM, "%s: out of memory", path);
    }
    if (setjmp(png_jmpbuf(png))) {
        free(out);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        return dc_set_error(DC_ERR_FORMAT, "%s: not a readable PNG (%s)", path, src.msg);
    }
    /* the size first, from the IHDR itself, so that the error says it */
    if (n >= 24 && !memcmp(buf + 12, "IHDR", 4) && check_size(path, "PNG", be32(buf + 16), be32(buf + 20))) {
        png_destroy_read_struct(&png, &info, NULL);
        return DC_ERR_FORMAT;
    }
    png_set_read_fn(png, &src, png_read_mem);
    png_set_user_limits(png, DC_IMAGE_MAX_SIDE, DC_IMAGE_MAX_SIDE);
    png_set_chunk_malloc_max(png, 8u << 20); /* text, ICC profiles: no decompression bombs */
    png_read_info(png, info);
    uint32_t W = png_get_image_width(png, info), H = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info), type = png_get_color_type(png, info);
    if (check_size(path, "PNG", W, H)) {
        png_destroy_read_struct(&png, &info, NULL);
        return DC_ERR_FORMAT;
    }
    /* deflate packs at most 1032 bytes into one: fewer IDAT bytes than the
     * pixels need means the data is missing, whatever the header says */
    uint64_t need = ((uint64_t)W * H * (uint64_t)png_get_channels(png, info) * (uint64_t)depth / 8) / 1032;
    uint64_t have = png_idat_bytes(buf, n);
    if (have < need) {
        png_destroy_read_struct(&png, &info, NULL);
        return dc_set_error(DC_ERR_FORMAT,
                            "%s: the PNG header promises %ux%u pixels, but the file holds only %llu bytes of image data "
                            "(at least %llu are needed): truncated or crafted",
                            path, W, H, (unsigned long long)have, (unsigned long long)need);
    }
    /* to 8-bit gray or RGB, alpha dropped (as PIL's convert("RGB")); color
     * to gray is done after decoding, with PIL's weights */
    if (depth == 16) png_set_scale_16(png);
    if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png); /* tRNS becomes alpha: stripped below */
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if ((type & PNG_COLOR_MASK_ALPHA) || type == PNG_COLOR_TYPE_PALETTE) png_set_strip_alpha(png);
    int color = type == PNG_COLOR_TYPE_PALETTE || (type & PNG_COLOR_MASK_COLOR);
    if (channels == 3 && !color) png_set_gray_to_rgb(png);
    int cin = color ? 3 : channels;
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)W * (size_t)cin) png_error(png, "unexpected row layout");
    out = malloc((size_t)W * H * (size_t)cin);
    rows = malloc(sizeof(png_bytep) * H);
    if (!out || !rows) png_error(png, "out of memory");
    for (uint32_t y = 0; y < H; y++) rows[y] = out + (size_t)y * W * (size_t)cin;
    png_read_image(png, rows);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    if (cin != channels) rgb_to_gray(out, (size_t)W * H);
    *w = (int)W, *h = (int)H, *pix = out;
    return DC_OK;
}

/* ---- JPEG ---- */

typedef struct {
    struct jpeg_error_mgr pub;
    struct jpeg_progress_mgr progress;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
} jpeg_guard;

static void jpeg_fail(j_common_ptr c) {
    jpeg_guard *g = (jpeg_guard *)c->err;
    c->err->format_message(c, g->msg);
    longjmp(g->jb, 1);
}

/* Warnings are kept quiet, except those that say the data ran out: libjpeg
 * would fill the missing rows with gray and call the image good. */
static void jpeg_message(j_common_ptr c, int level) {
    if (level < 0 && (c->err->msg_code == JWRN_JPEG_EOF || c->err->msg_code == JWRN_HIT_MARKER)) {
        jpeg_guard *g = (jpeg_guard *)c->err;
        snprintf(g->msg, sizeof g->msg, "the file ends before its last row (truncated)");
        longjmp(g->jb, 1);
    }
}

/* A progressive file of thousands of tiny scans takes minutes to decode
 * (libjpeg-turbo's own TJFLAG_LIMITSCANS stops at 500). */
static void jpeg_scan_limit(j_common_ptr c) {
    j_decompress_ptr d = (j_decompress_ptr)c;
    if (d->input_scan_number > 500) {
        jpeg_guard *g = (jpeg_guard *)c->err;
        snprintf(g->msg, sizeof g->msg, "over 500 progressive scans");
        longjmp(g->jb, 1);
    }
}

static dc_status decode_jpeg(const char *path, const uint8_t *buf, size_t n, int channels, int *w, int *h, uint8_t **pix) {
    struct jpeg_decompress_struct ci;
    jpeg_guard g;
    uint8_t *volatile out = NULL;
    ci.err = jpeg_std_error(&g.pub);
    g.pub.error_exit = jpeg_fail;
    g.pub.emit_message = jpeg_message;
    g.msg[0] = 0;
    if (setjmp(g.jb)) {
        free(out);
        jpeg_destroy_decompress(&ci);
        return dc_set_error(DC_ERR_FORMAT, "%s: not a readable JPEG (%s)", path, g.msg);
    }
    jpeg_create_decompress(&ci);
    g.progress.progress_monitor = jpeg_scan_limit;
    ci.progress = &g.progress;
    /* libjpeg allocates its own buffers (a progressive image keeps every
     * coefficient); past this it fails instead of growing */
    ci.mem->max_memory_to_use = (long)DC_IMAGE_MAX_PIXELS * 3 * 2 + (64l << 20);
    jpeg_mem_src(&ci, buf, (unsigned long)n);
    jpeg_read_header(&ci, TRUE);
    if (check_size(path, "JPEG", ci.image_width, ci.image_height)) {
        jpeg_destroy_decompress(&ci);
        return DC_ERR_FORMAT;
    }
    if (ci.arith_code) {
        jpeg_destroy_decompress(&ci);
        return dc_set_error(DC_ERR_FORMAT, "%s: arithmetic-coded JPEG is not supported (re-encode it)", path);
    }
    /* Huffman coding spends at least one bit on each 8x8 block's DC value */
    uint64_t blocks = (uint64_t)((ci.image_width + 7) / 8) * ((ci.image_height + 7) / 8);
    if ((uint64_t)n * 8 < blocks) {
        jpeg_destroy_decompress(&ci);
        return dc_set_error(DC_ERR_FORMAT,
                            "%s: the JPEG header promises %ux%u pixels, but the file has only %zu bytes "
                            "(at least %llu are needed): truncated or crafted",
                            path, ci.image_width, ci.image_height, n, (unsigned long long)(blocks / 8));
    }
    /* a color JPEG read as gray goes through RGB, as PIL does (libjpeg's
     * own gray output is the Y plane, a few levels away) */
    int cin = channels == 1 && ci.num_components != 1 ? 3 : channels;
    ci.out_color_space = cin == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&ci);
    if (ci.output_components != cin) ERREXIT(&ci, JERR_CONVERSION_NOTIMPL);
    size_t stride = (size_t)ci.output_width * (size_t)cin;
    out = malloc(stride * ci.output_height);
    if (!out) ERREXIT1(&ci, JERR_OUT_OF_MEMORY, 0);
    while (ci.output_scanline < ci.output_height) {
        JSAMPROW row = out + stride * ci.output_scanline;
        jpeg_read_scanlines(&ci, &row, 1);
    }
    if (cin != channels) rgb_to_gray(out, (size_t)ci.output_width * ci.output_height);
    *w = (int)ci.output_width, *h = (int)ci.output_height, *pix = out;
    jpeg_destroy_decompress(&ci); /* the tail after the last row is not needed */
    return DC_OK;
}

/* ---- the entry points ---- */

static const char *other_format(const uint8_t *b, size_t n) {
    if (n >= 6 && (!memcmp(b, "GIF87a", 6) || !memcmp(b, "GIF89a", 6))) return "a GIF";
    if (n >= 2 && !memcmp(b, "BM", 2)) return "a BMP";
    if (n >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '7') return "a PNM/PGM";
    if (n >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBP", 4)) return "a WebP";
    if (n >= 4 && (!memcmp(b, "II*", 4) || !memcmp(b, "MM\0*", 4))) return "a TIFF";
    if (n >= 2 && !memcmp(b, "#?", 2)) return "a Radiance HDR";
    return NULL;
}

dc_status dc_image_decode(const void *bytes, size_t n, const char *where, int channels, int *w, int *h, uint8_t **pix) {
    const uint8_t *buf = bytes;
    if (!where) where = "image";
    if (channels != 1 && channels != 3)
        return dc_set_error(DC_ERR_INVALID, "%s: images are read as 1 or 3 channels (asked for %d)", where, channels);
    if (n > DC_IMAGE_MAX_FILE_BYTES)
        return dc_set_error(DC_ERR_FORMAT, "%s: %zu bytes, over the %d MiB an image may hold", where, n, DC_IMAGE_MAX_FILE_BYTES >> 20);
    if (n >= 8 && !memcmp(buf, "\x89PNG\r\n\x1a\n", 8)) return decode_png(where, buf, n, channels, w, h, pix);
    if (n >= 3 && buf[0] == 0xFF && buf[1] == 0xD8 && buf[2] == 0xFF) return decode_jpeg(where, buf, n, channels, w, h, pix);
    const char *other = other_format(buf, n);
    if (other) return dc_set_error(DC_ERR_FORMAT, "%s: %s file; deepc reads PNG and JPEG images (convert it)", where, other);
    return dc_set_error(DC_ERR_FORMAT, "%s: not a PNG or JPEG image (its first bytes are no image signature)", where);
}

dc_status dc_image_read(const char *path, int channels, int *w, int *h, uint8_t **pix) {
    if (channels != 1 && channels != 3) return dc_image_decode("", 0, path, channels, w, h, pix); /* its error, before reading */
    uint8_t *buf = NULL;
    size_t n = 0;
    dc_status st = slurp(path, &buf, &n);
    if (st) return st;
    st = dc_image_decode(buf, n, path, channels, w, h, pix); /* the same decoder for files and bytes in memory */
    free(buf);
    return st;
}

dc_status dc_image_write_png(const char *path, const uint8_t *pix, int w, int h, int c) {
    if (w < 1 || h < 1 || (c != 1 && c != 3 && c != 4))
        return dc_set_error(DC_ERR_INVALID, "%s: cannot write a %dx%d PNG of %d channels", path, w, h, c);
    dc_atomic_file af;
    dc_status st = dc_atomic_open(&af, path);
    if (st) return st;
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (uint32_t)w;
    img.height = (uint32_t)h;
    img.format = c == 1 ? PNG_FORMAT_GRAY : c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
    if (!png_image_write_to_stdio(&img, af.f, 0, pix, w * c, NULL)) {
        dc_atomic_abort(&af);
        return dc_set_error(DC_ERR_IO, "%s: cannot write the PNG (%s)", path, img.message);
    }
    return dc_atomic_commit(&af);
}
