/* cli_transform.c — deepc transform: a table as the model sees it. With a
 * MODEL, its stored pipeline applied to --data (what eval and predict
 * feed the network); with a CSV alone, the pipeline fitted on it with the
 * CSV options (--drop, --missing, --scale, --pca, --test-split), both
 * parts written with a split column. One CSV: the encoded features by
 * name (column, column=category, pc_K), then the label. */
#include "cli_data.h"
#include "cli_outputs.h"
#include "cli_util.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void header(FILE *f, const dc_tabular *p, int split) {
    char nb[512];
    for (int k = 0; k < dc_tabular_num_features(p); k++) {
        if (k) fputc(',', f);
        cli_csv_field(f, dc_tabular_feature_name(p, k, nb, sizeof nb));
    }
    fputc(',', f);
    cli_csv_field(f, dc_tabular_label_name(p));
    if (split) fputs(",split", f);
    fputc('\n', f);
}

static void rows(FILE *f, const dc_tabular *p, const dc_dataset *d, const char *split, int labels) {
    const int w = dc_tabular_num_features(p);
    for (int64_t i = 0; i < d->n; i++) {
        const float *x = (const float *)d->x.data + i * w;
        for (int k = 0; k < w; k++) fprintf(f, "%s%.9g", k ? "," : "", x[k]);
        fputc(',', f);
        if (!labels) { /* new rows without the label column: the field stays empty */
        } else if (dc_tabular_is_regression(p)) fprintf(f, "%.9g", ((const float *)d->y.data)[i]);
        else cli_csv_field(f, dc_tabular_class_name(p, ((const int32_t *)d->y.data)[i]));
        if (split) fprintf(f, ",%s", split);
        fputc('\n', f);
    }
}

int cli_transform(const cli_args *a) {
    if (!a->data) {
        dc_set_error_cli("transform needs --data FILE.csv (deepc transform --help)");
        cli_fail("usage"); /* with --json, a JSON error too, as need() gives the other commands */
        return 2;
    }
    if (a->out && cli_check_output("--out", a->out, CLI_OUT_OTHER, a->force, NULL)) return 1;
    dc_tabular *p = NULL;
    dc_dataset *d = NULL, *test = NULL;
    dc_model *m = NULL;
    int rc = 0, labels = 1;
    if (a->target) { /* the model's stored pipeline */
        if (!(m = dc_model_load(a->target))) return cli_fail("cannot load the model");
        if (!(p = dc_model_tabular(m))) {
            dc_set_error_cli("%s: no stored CSV pipeline (a model trained on a CSV table has one)", a->target);
            rc = cli_fail("cannot transform");
        } else {
            dc_tabular_set_reading(p, a->delimiter, a->header_given ? a->no_header : -1, (int)a->skip_rows);
            if (!(d = dc_tabular_transform_report(p, a->data, 1, stderr))) /* without a label column: the features alone */
                labels = 0, d = dc_tabular_transform(p, a->data, 0);
            if (!d) rc = cli_fail("cannot transform");
        }
    } else { /* fitted here, as train would */
        dc_csv_options o;
        if (cli_csv_options(a, &o) || dc_csv_load(a->data, &o, &p, &d, &test, a->quiet || !a->out ? NULL : stdout))
            rc = cli_fail("cannot transform");
    }
    FILE *f = stdout;
    char tmp[4096] = "";
    if (!rc && a->out) { /* written whole, then renamed over: never half a file */
        snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", a->out);
        int fd = mkstemp(tmp);
        if (fd < 0 || !(f = fdopen(fd, "w"))) {
            dc_set_error_cli("%s: %s", a->out, strerror(errno));
            if (fd >= 0) close(fd), unlink(tmp);
            rc = cli_fail("cannot write");
            f = NULL;
        }
    }
    if (!rc) {
        header(f, p, test != NULL);
        rows(f, p, d, test ? "train" : NULL, labels);
        if (test) rows(f, p, test, "test", 1);
    }
    if (!rc && a->out) {
        int bad = ferror(f) | fflush(f) | fsync(fileno(f));
        bad |= fclose(f);
        if (bad || rename(tmp, a->out)) {
            unlink(tmp);
            dc_set_error_cli("%s: %s", a->out, strerror(errno));
            rc = cli_fail("cannot write");
        } else if (!a->quiet && !a->json) {
            printf("%s: %lld rows of %d features and the label\n", a->out, (long long)(d->n + (test ? test->n : 0)), dc_tabular_num_features(p));
        }
    }
    if (!rc && a->json) {
        printf("{\"command\":\"transform\",\"rows\":%lld,\"features\":%d,\"out\":", (long long)(d->n + (test ? test->n : 0)),
               dc_tabular_num_features(p));
        if (a->out) cli_json_string(stdout, a->out);
        else printf("null");
        printf("}\n");
    }
    dc_dataset_free(d);
    dc_dataset_free(test);
    dc_tabular_free(p);
    dc_model_free(m);
    return rc;
}
