/* augment.c — random image transforms, as keras ImageDataGenerator:
 * one affine map (rotation, shift, shear, zoom about the image center),
 * bilinear sampling with a fill mode for points outside, then flips. The
 * map takes each output pixel (row, col) to the input point it reads, as
 * scipy.ndimage.affine_transform does for Keras. */
#include "../core/internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

dc_status dc_augment_parse(const char *spec, dc_augment *a) {
    memset(a, 0, sizeof *a);
    char buf[512];
    if (strlen(spec) >= sizeof buf) return dc_set_error(DC_ERR_INVALID, "augment: specification too long");
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        double v = 0;
        if (eq) {
            *eq = 0;
            char *end;
            v = strtod(eq + 1, &end);
            if (strcmp(tok, "fill") && (end == eq + 1 || *end || !isfinite(v) || v < 0))
                return dc_set_error(DC_ERR_INVALID, "augment: %s needs a non-negative number, not \"%s\"", tok, eq + 1);
        }
        if (!strcmp(tok, "rotation") && eq && v <= 360) a->rotation = (float)v;
        else if (!strcmp(tok, "shift") && eq && v < 1) a->width_shift = a->height_shift = (float)v;
        else if (!strcmp(tok, "width_shift") && eq && v < 1) a->width_shift = (float)v;
        else if (!strcmp(tok, "height_shift") && eq && v < 1) a->height_shift = (float)v;
        else if (!strcmp(tok, "shear") && eq && v < 90) a->shear = (float)v;
        else if (!strcmp(tok, "zoom") && eq && v < 1) a->zoom = (float)v;
        else if (!strcmp(tok, "cval") && eq && v <= 1) a->cval = (float)v;
        else if (!strcmp(tok, "hflip") && !eq) a->hflip = 1;
        else if (!strcmp(tok, "vflip") && !eq) a->vflip = 1;
        else if (!strcmp(tok, "fill") && eq) {
            const char *f = eq + 1;
            if (!strcmp(f, "nearest")) a->fill = DC_FILL_NEAREST;
            else if (!strcmp(f, "constant")) a->fill = DC_FILL_CONSTANT;
            else if (!strcmp(f, "reflect")) a->fill = DC_FILL_REFLECT;
            else return dc_set_error(DC_ERR_INVALID, "augment: fill must be nearest, constant or reflect, not \"%s\"", f);
        } else
            return dc_set_error(DC_ERR_INVALID,
                                "augment: unknown or out-of-range \"%s\" (expected rotation=DEG<=360, shift|width_shift|height_shift=F<1, "
                                "shear=DEG<90, zoom=F<1, hflip, vflip, fill=nearest|constant|reflect, cval=F)", tok);
    }
    return DC_OK;
}

/* index into [0, n) for a coordinate outside it; -1 = use the fill value */
static inline int fold(int i, int n, dc_fill_mode m) {
    if (i >= 0 && i < n) return i;
    if (m == DC_FILL_CONSTANT) return -1;
    if (m == DC_FILL_NEAREST) return i < 0 ? 0 : n - 1;
    /* reflect (scipy): ... c b a | a b c ... , period 2n */
    int p = 2 * n;
    i %= p;
    if (i < 0) i += p;
    return i < n ? i : p - 1 - i;
}

static inline float sample(const float *ch, int h, int w, float r, float c, const dc_augment *a) {
    int r0 = (int)floorf(r), c0 = (int)floorf(c);
    float fr = r - (float)r0, fc = c - (float)c0, v = 0.0f;
    for (int dr = 0; dr < 2; dr++)
        for (int dc = 0; dc < 2; dc++) {
            float wgt = (dr ? fr : 1 - fr) * (dc ? fc : 1 - fc);
            if (wgt == 0.0f) continue;
            int rr = fold(r0 + dr, h, a->fill), cc = fold(c0 + dc, w, a->fill);
            v += wgt * (rr < 0 || cc < 0 ? a->cval : ch[rr * w + cc]);
        }
    return v;
}

static inline float uniform(dc_rng *r, float lo, float hi) { return lo + (hi - lo) * dc_rng_uniform(r); }

void dc_augment_image(const dc_augment *a, float *img, int c, int h, int w, dc_rng *rng) {
    const double deg = M_PI / 180.0;
    /* draws in a fixed order, whatever is enabled, so streams stay aligned */
    double theta = a->rotation > 0 ? uniform(rng, -a->rotation, a->rotation) * deg : 0;
    double tx = a->height_shift > 0 ? uniform(rng, -a->height_shift, a->height_shift) * h : 0;
    double ty = a->width_shift > 0 ? uniform(rng, -a->width_shift, a->width_shift) * w : 0;
    double sh = a->shear > 0 ? uniform(rng, -a->shear, a->shear) * deg : 0;
    double zx = a->zoom > 0 ? uniform(rng, 1 - a->zoom, 1 + a->zoom) : 1, zy = a->zoom > 0 ? uniform(rng, 1 - a->zoom, 1 + a->zoom) : 1;
    int fh = a->hflip && (dc_rng_u32(rng) & 1), fv = a->vflip && (dc_rng_u32(rng) & 1);
    /* M = rotation . shift . shear . zoom, as Keras composes them */
    double R[3][3] = {{cos(theta), -sin(theta), 0}, {sin(theta), cos(theta), 0}, {0, 0, 1}};
    double T[3][3] = {{1, 0, tx}, {0, 1, ty}, {0, 0, 1}};
    double S[3][3] = {{1, -sin(sh), 0}, {0, cos(sh), 0}, {0, 0, 1}};
    double Z[3][3] = {{zx, 0, 0}, {0, zy, 0}, {0, 0, 1}};
    double M[3][3], A[3][3], B[3][3];
    const double(*chain[4])[3] = {R, T, S, Z};
    memcpy(M, R, sizeof M);
    for (int k = 1; k < 4; k++) {
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                A[i][j] = 0;
                for (int q = 0; q < 3; q++) A[i][j] += M[i][q] * chain[k][q][j];
            }
        memcpy(M, A, sizeof M);
    }
    /* about the center: offset(o) . M . offset(-o), o = (h/2 + 0.5, w/2 + 0.5) */
    double ox = h / 2.0 + 0.5, oy = w / 2.0 + 0.5;
    for (int i = 0; i < 2; i++) {
        B[i][0] = M[i][0];
        B[i][1] = M[i][1];
        B[i][2] = M[i][2] - M[i][0] * ox - M[i][1] * oy + (i == 0 ? ox : oy);
    }
    int identity = theta == 0 && tx == 0 && ty == 0 && sh == 0 && zx == 1 && zy == 1;
    float *tmp = identity ? NULL : malloc(sizeof(float) * (size_t)h * (size_t)w);
    for (int k = 0; k < c; k++) {
        float *ch = img + (size_t)k * h * w;
        if (tmp) {
            memcpy(tmp, ch, sizeof(float) * (size_t)h * (size_t)w);
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                    ch[i * w + j] = sample(tmp, h, w, (float)(B[0][0] * i + B[0][1] * j + B[0][2]),
                                           (float)(B[1][0] * i + B[1][1] * j + B[1][2]), a);
        }
        if (fh)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w / 2; j++) {
                    float t = ch[i * w + j];
                    ch[i * w + j] = ch[i * w + w - 1 - j];
                    ch[i * w + w - 1 - j] = t;
                }
        if (fv)
            for (int i = 0; i < h / 2; i++)
                for (int j = 0; j < w; j++) {
                    float t = ch[i * w + j];
                    ch[i * w + j] = ch[(h - 1 - i) * w + j];
                    ch[(h - 1 - i) * w + j] = t;
                }
    }
    free(tmp);
}
