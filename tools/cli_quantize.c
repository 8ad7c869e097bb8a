/* cli_quantize.c — deepc quantize MODEL --out FILE [--bits 8|4]: an int8
 * or 4-bit copy of a model for inference (dc_model_quantize), with a line
 * per layer saying what it stores now, and the file sizes. */
#include "cli_data.h"
#include "cli_outputs.h"
#include "cli_util.h"
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static double file_bytes(const char *path) {
    struct stat st;
    return stat(path, &st) ? 0.0 : (double)st.st_size;
}

/* --calibration DATA: training images for an IDX data set, or the rows of a
 * file (a CSV through the model's stored pipeline); the first --limit (1000). */
static dc_dataset *calibration_data(const cli_args *a, const dc_model *m) {
    cli_args c = *a;
    c.data = a->calibration;
    c.limit = a->limit > 0 ? a->limit : 1000;
    dc_dataset *d = NULL;
    if (!cli_is_csv(c.data) && !cli_is_image_folder(c.data)) {
        cli_bundle b = {0};
        if (!cli_load_training(&c, &b, NULL)) d = b.train, b.train = NULL;
        cli_bundle_free(&b);
    } else {
        dc_tabular *tab = NULL;
        d = cli_load_eval(&c, m, &tab, 0, NULL);
        dc_tabular_free(tab);
    }
    return d;
}

int cli_quantize(const cli_args *a) {
    if (!a->target || !a->out) {
        dc_set_error_cli("quantize needs a MODEL and --out FILE (deepc quantize --help)");
        cli_fail("usage");
        return 2;
    }
    const int bits = a->bits ? (int)a->bits : 8;
    if (bits != 8 && bits != 4) {
        dc_set_error_cli("--bits %d: 8 (int8 per output row) or 4 (4-bit blocks of 32)", bits);
        return cli_fail("cannot quantize");
    }
    if (a->static_act != (a->calibration != NULL) || (a->static_act && bits != 8)) {
        dc_set_error_cli("--static takes --calibration DATA (and the reverse), at --bits 8");
        cli_fail("usage");
        return 2;
    }
    if (cli_check_output("--out", a->out, CLI_OUT_MODEL, a->force, NULL)) return 1;
    dc_model *m = dc_model_load(a->target);
    if (!m) return cli_fail("cannot load the model");
    dc_dataset *calib = NULL;
    if (a->static_act && !(calib = calibration_data(a, m))) {
        dc_model_free(m);
        return cli_fail("cannot read the calibration data");
    }
    FILE *report = a->json || a->quiet ? NULL : stdout;
    if (report) printf("%s -> %s (%s%s):\n", a->target, a->out, bits == 8 ? "int8" : "4-bit", calib ? ", static activations" : "");
    if (report && calib) printf("calibrating the input scales on %lld samples of %s\n", (long long)calib->n, a->calibration);
    dc_model *q = calib ? dc_model_quantize_static(m, calib, calib->n, report) : dc_model_quantize(m, bits, report);
    dc_dataset_free(calib);
    int rc = !q || dc_model_save(q, a->out) ? cli_fail("cannot quantize") : 0;
    if (!rc) {
        const double before = (double)dc_model_bytes(m), after = (double)dc_model_bytes(q), fb = file_bytes(a->target), fa = file_bytes(a->out);
        char b0[32], b1[32], f0[32], f1[32];
        dc_format_bytes(before, b0, sizeof b0), dc_format_bytes(after, b1, sizeof b1);
        dc_format_bytes(fb, f0, sizeof f0), dc_format_bytes(fa, f1, sizeof f1);
        if (a->json) {
            printf("{\"command\":\"quantize\",\"out\":");
            cli_json_string(stdout, a->out);
            printf(",\"bits\":%d,\"weight_bytes_before\":%.0f,\"weight_bytes_after\":%.0f,\"file_bytes_before\":%.0f,"
                   "\"file_bytes_after\":%.0f}\n", bits, before, after, fb, fa);
        } else if (!a->quiet) {
            printf("weights: %s -> %s (%.1fx smaller); files: %s -> %s%s\n", b0, b1, after > 0 ? before / after : 0.0, f0, f1,
                   fb > before * 1.5 ? " (the source holds a training state too)" : "");
        }
    }
    dc_model_free(q);
    dc_model_free(m);
    return rc;
}
