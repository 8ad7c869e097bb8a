/* test_images.c FIXTURES WORKDIR — image decoding through libpng and
 * libjpeg-turbo: every fixture (tests/fixtures/images, made by make.py with
 * PIL) decodes to the pixels PIL decodes it to, as gray and as RGB; PNG
 * writing round-trips; and crafted files are refused with a message that
 * says why, before any pixel memory is allocated: wrong signatures whatever
 * the name, headers over the pixel budget, headers without their data,
 * truncated files (adapted from the red-team reproducers f_pgm16_stb_*,
 * f_hdr_disguised_png_hang, f_image_header_only_bombs). */
#include "test.h"
#include <zlib.h>

static const char *fixtures;

static uint8_t *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

static void spit(const char *path, const void *b, size_t n) {
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}

/* Largest difference between decoding NAME with c channels and NAME.L/.RGB. */
static int decode_diff(const char *name, int c) {
    char p[1024], q[1024];
    snprintf(p, sizeof p, "%s/%s", fixtures, name);
    snprintf(q, sizeof q, "%s/%s.%s", fixtures, name, c == 1 ? "L" : "RGB");
    int w, h;
    uint8_t *pix = NULL;
    size_t n;
    uint8_t *want = slurp(q, &n);
    if (dc_image_read(p, c, &w, &h, &pix) != DC_OK || !want) {
        fprintf(stderr, "%s: %s\n", name, dc_last_error());
        free(want);
        return 999;
    }
    int worst = w == 37 && h == 23 && n == (size_t)w * h * c ? 0 : 1000;
    for (size_t i = 0; worst < 1000 && i < n; i++) {
        int d = abs((int)pix[i] - (int)want[i]);
        if (d > worst) worst = d;
    }
    free(pix);
    free(want);
    return worst;
}

static void decodes_as_pil(void) {
    const char *names[] = {"rgb.png",    "gray.png",     "rgba.png",        "palette.png", "interlaced.png",
                           "gray16.png", "baseline.jpg", "progressive.jpg", "gray.jpg"};
    for (int i = 0; i < 9; i++) {
        CHECK(decode_diff(names[i], 3) == 0, "%s as RGB differs from PIL by %d", names[i], decode_diff(names[i], 3));
        int d = decode_diff(names[i], 1);
        CHECK(d == 0, "%s as gray differs from PIL by %d", names[i], d);
    }
}

static void png_round_trip(void) {
    uint8_t px[5 * 3 * 3];
    for (int i = 0; i < 45; i++) px[i] = (uint8_t)(i * 37);
    for (int c = 1; c <= 3; c += 2) {
        CHECK(dc_image_write_png(path_of("rt.png"), px, 5, 3, c) == DC_OK, "write: %s", dc_last_error());
        int w, h;
        uint8_t *back = NULL;
        CHECK(dc_image_read(path_of("rt.png"), c, &w, &h, &back) == DC_OK && w == 5 && h == 3 &&
                  !memcmp(back, px, (size_t)(15 * c)),
              "PNG of %d channels round-trips", c);
        free(back);
    }
    CHECK_ERR(dc_image_write_png(path_of("rt.png"), px, 5, 3, 2) != DC_OK, "2 channels");
}

static void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24, p[1] = v >> 16 & 255, p[2] = v >> 8 & 255, p[3] = v & 255; }

/* A PNG chunk at b: length, type, data, CRC. Returns its size. */
static size_t chunk(uint8_t *b, const char *type, const uint8_t *d, uint32_t n) {
    put32(b, n);
    memcpy(b + 4, type, 4);
    if (n) memcpy(b + 8, d, n);
    put32(b + 8 + n, (uint32_t)crc32(crc32(0, b + 4, 4), d, n));
    return 12 + n;
}

/* A PNG of w x h gray pixels whose IDAT holds `idat` (zlib) bytes. */
static size_t make_png(uint8_t *b, uint32_t w, uint32_t h, const uint8_t *idat, uint32_t nidat) {
    uint8_t ihdr[13] = {0};
    put32(ihdr, w), put32(ihdr + 4, h), ihdr[8] = 8;
    memcpy(b, "\x89PNG\r\n\x1a\n", 8);
    size_t n = 8 + chunk(b + 8, "IHDR", ihdr, 13);
    n += chunk(b + n, "IDAT", idat, nidat);
    return n + chunk(b + n, "IEND", NULL, 0);
}

/* The read of `bytes` written as `name` fails, mentioning `needle`. */
static void refused(const char *name, const void *bytes, size_t n, const char *needle) {
    spit(path_of(name), bytes, n);
    int w, h;
    uint8_t *pix = NULL;
    CHECK_ERR(dc_image_read(path_of(name), 3, &w, &h, &pix) != DC_OK, needle);
    CHECK(pix == NULL, "%s: no pixels handed out", name);
    free(pix);
}

static void crafted(void) {
    /* other formats are refused by their signature, whatever the name says */
    refused("pgm16.png", "P5\n1 1\n65535\n\xff", 14, "a PNM/PGM file; deepc reads PNG and JPEG");
    refused("pgm.png", "P5\n16384 16384\n255\n", 19, "a PNM/PGM file");
    refused("hdr.png", "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 8 +X 8\n\x02\x02\x00", 48, "a Radiance HDR file");
    uint8_t bmp[54] = {'B', 'M'};
    refused("header_only.bmp", bmp, sizeof bmp, "a BMP file");
    refused("canvas.gif", "GIF89a\x00\x40\x00\x40\x80\x00\x00", 13, "a GIF file");
    uint8_t tga[18] = {0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0x40, 8, 0};
    refused("tga.png", tga, sizeof tga, "not a PNG or JPEG image");
    refused("text.jpg", "not an image\n", 13, "not a PNG or JPEG image");
    refused("empty.png", "", 0, "empty file");

    /* a PNG of 16384x16384 zeros (a real one: 261 KB) is over the budget */
    uint8_t *b = malloc(1 << 20);
    uint8_t z[64] = {0};
    uLongf zn = sizeof z;
    compress(z, &zn, (const Bytef *)"\0\0\0\0", 4);
    refused("zeros.png", b, make_png(b, 16384, 16384, z, (uint32_t)zn), "over the 64-megapixel budget");
    refused("wide.png", b, make_png(b, 100000, 1, z, (uint32_t)zn), "outside 1..16384 per side");
    /* 8000x8000 promised, 12 bytes of data: refused before 64 MB is allocated */
    refused("header_only.png", b, make_png(b, 8000, 8000, z, (uint32_t)zn), "promises 8000x8000 pixels");
    /* a small PNG cut short */
    size_t n;
    char p[1024];
    snprintf(p, sizeof p, "%s/rgb.png", fixtures);
    uint8_t *png = slurp(p, &n);
    refused("cut.png", png, n / 2, "not a readable PNG");
    png[n - 20] ^= 0x55; /* the IDAT's CRC or data */
    refused("flipped.png", png, n, "not a readable PNG");
    free(png);

    /* JPEG: cut in half, or a header claiming 8000x8000 */
    snprintf(p, sizeof p, "%s/baseline.jpg", fixtures);
    uint8_t *jpg = slurp(p, &n);
    refused("cut.jpg", jpg, n / 2, "ends before its last row");
    for (size_t i = 0; i + 9 < n; i++)
        if (jpg[i] == 0xFF && (jpg[i + 1] == 0xC0 || jpg[i + 1] == 0xC2)) { /* SOF: height, width at +5 */
            jpg[i + 5] = 8000 >> 8, jpg[i + 6] = 8000 & 255, jpg[i + 7] = 8000 >> 8, jpg[i + 8] = 8000 & 255;
            break;
        }
    refused("header_only.jpg", jpg, n, "promises 8000x8000 pixels");
    free(jpg);
    snprintf(p, sizeof p, "%s/progressive.jpg", fixtures);
    jpg = slurp(p, &n);
    refused("cut_progressive.jpg", jpg, n / 2, "JPEG");
    free(jpg);
    free(b);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: test_images FIXTURES WORKDIR\n");
        return 2;
    }
    fixtures = argv[1];
    if (test_workdir(argc - 1, argv + 1, "")) return 1;
    decodes_as_pil();
    png_round_trip();
    crafted();
    printf("images: %d passed, %d failed\n", test_passed, test_failed);
    return test_failed != 0;
}
