/* cli_data.c — where the deepc command gets its data: the MNIST-style IDX
 * folders (train/test splits) or a CSV table run through the tabular
 * pipeline; and class names for reports. */
#include "cli_data.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const fashion_names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

int cli_is_csv(const char *data) {
    struct stat st;
    size_t n = strlen(data);
    if (n > 4 && !strcasecmp(data + n - 4, ".csv")) return 1;
    return stat(data, &st) == 0 && S_ISREG(st.st_mode);
}

dc_status cli_csv_options(const cli_args *a, dc_csv_options *o) {
    memset(o, 0, sizeof *o);
    o->delimiter = a->delimiter;
    o->no_header = a->no_header;
    o->skip_rows = a->skip_rows > 0 ? (int)a->skip_rows : 0;
    o->label = a->label;
    o->features = a->features;
    o->regression = a->regression;
    o->pca = (int)a->pca;
    o->test_split = a->test_split >= 0 ? (float)a->test_split : 0.0f;
    o->stratify = a->stratify;
    o->seed = a->seed >= 0 ? (uint64_t)a->seed : 42;
    if (!a->missing || !strcmp(a->missing, "drop")) o->missing = DC_MISSING_DROP;
    else if (!strcmp(a->missing, "mean")) o->missing = DC_MISSING_MEAN;
    else if (!strcmp(a->missing, "median")) o->missing = DC_MISSING_MEDIAN;
    else if (!strcmp(a->missing, "most_frequent")) o->missing = DC_MISSING_MOST_FREQUENT;
    else return dc_set_error_cli("--missing must be drop, mean, median or most_frequent, not \"%s\"", a->missing);
    if (!a->scale || !strcmp(a->scale, "none")) o->scaling = DC_SCALE_NONE;
    else if (!strcmp(a->scale, "standard")) o->scaling = DC_SCALE_STANDARD;
    else if (!strcmp(a->scale, "minmax")) o->scaling = DC_SCALE_MINMAX;
    else return dc_set_error_cli("--scale must be none, standard or minmax, not \"%s\"", a->scale);
    return DC_OK;
}

void cli_bundle_free(cli_bundle *b) {
    dc_dataset_free(b->train);
    dc_dataset_free(b->test);
    dc_tabular_free(b->tab);
    memset(b, 0, sizeof *b);
}

dc_status cli_load_training(const cli_args *a, cli_bundle *b, FILE *report) {
    memset(b, 0, sizeof *b);
    if (cli_is_csv(a->data)) {
        dc_csv_options o;
        dc_status st = cli_csv_options(a, &o);
        if (st) return st;
        return dc_csv_load(a->data, &o, &b->tab, &b->train, &b->test, report);
    }
    if (!(b->train = dc_mnist_load(a->data, "train"))) return DC_ERR_IO;
    if (!(b->test = dc_mnist_load(a->data, "test"))) {
        cli_bundle_free(b);
        return DC_ERR_IO;
    }
    if (a->limit > 0 && a->limit < b->train->n) b->train->n = a->limit;
    return DC_OK;
}

dc_dataset *cli_load_eval(const cli_args *a, const dc_model *m, dc_tabular **tab, int need_label) {
    *tab = dc_model_tabular(m);
    dc_dataset *d;
    if (cli_is_csv(a->data)) {
        if (!*tab) {
            dc_set_error_cli("%s is a CSV file, but this model was trained on images (no stored CSV pipeline)", a->data);
            return NULL;
        }
        dc_tabular_set_reading(*tab, a->delimiter, a->header_given ? a->no_header : -1, (int)a->skip_rows);
        d = dc_tabular_transform(*tab, a->data, need_label);
    } else {
        if (*tab) {
            dc_set_error_cli("this model was trained on a CSV table: pass a CSV file with --data");
            return NULL;
        }
        d = dc_mnist_load(a->data, "test");
    }
    if (d && a->limit > 0 && a->limit < d->n) d->n = a->limit;
    return d;
}

const char *cli_class_name(const cli_args *a, const dc_tabular *tab, int k, char *buf, size_t n) {
    if (tab && !dc_tabular_is_regression(tab)) return dc_tabular_class_name(tab, k);
    if (a->data && strstr(a->data, "fashion") && k >= 0 && k < 10) return fashion_names[k];
    snprintf(buf, n, "%d", k);
    return buf;
}
