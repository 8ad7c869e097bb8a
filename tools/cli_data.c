/* cli_data.c — where the deepc command gets its data: the MNIST-style IDX
 * folders (train/test splits) or a CSV table run through the tabular
 * pipeline; and class names for reports. */
#include "cli_data.h"
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

static const char *const fashion_names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

int cli_is_csv(const char *data) {
    struct stat st;
    size_t n = strlen(data);
    if (n > 4 && !strcasecmp(data + n - 4, ".csv")) return 1;
    return stat(data, &st) == 0 && S_ISREG(st.st_mode);
}

int cli_is_image_folder(const char *data) {
    struct stat st;
    char p[4200];
    if (stat(data, &st) != 0 || !S_ISDIR(st.st_mode)) return 0;
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", data);
    if (stat(p, &st) == 0) return 0;
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte", data);
    if (stat(p, &st) == 0) return 0;
    /* class subfolders make it an image folder; anything else is left to
     * the IDX loader, whose error names the missing files */
    DIR *d = opendir(data);
    struct dirent *e;
    int sub = 0, entries = 0;
    while (d && !sub && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        entries++;
        snprintf(p, sizeof p, "%s/%s", data, e->d_name);
        sub = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
    }
    if (d) closedir(d);
    return sub || entries == 0; /* an empty folder: say what an image folder needs */
}

dc_dataset *cli_load_images(const cli_args *a, const dc_model *m, const char *dir, int set_names, dc_model *named) {
    int64_t s[DC_MAX_DIMS];
    int nd = dc_model_input_shape(m, s);
    if (nd != 3 || (s[0] != 1 && s[0] != 3)) {
        dc_set_error_cli("%s holds images: the model's input must be CHANNELSxHEIGHTxWIDTH with 1 or 3 channels", dir);
        return NULL;
    }
    char **names = NULL;
    int nn = 0;
    dc_dataset *d = dc_image_folder_load(dir, (int)s[0], (int)s[1], (int)s[2], a->skip_bad, &names, &nn, a->quiet ? NULL : stdout);
    if (d && set_names && named && dc_model_set_class_names(named, names, nn)) {
        dc_dataset_free(d);
        d = NULL;
    }
    dc_free_names(names, nn);
    return d;
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
    if (!(b->train = dc_mnist_load_limit(a->data, "train", a->limit > 0 ? a->limit : 0))) return DC_ERR_IO;
    if (!(b->test = dc_mnist_load(a->data, "test"))) {
        cli_bundle_free(b);
        return DC_ERR_IO;
    }
    return DC_OK;
}

dc_dataset *cli_load_eval(const cli_args *a, const dc_model *m, dc_tabular **tab, int need_label) {
    *tab = dc_model_tabular(m);
    dc_dataset *d;
    if (cli_is_image_folder(a->data)) {
        d = cli_load_images(a, m, a->data, 0, NULL);
    } else if (cli_is_csv(a->data)) {
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

const char *cli_class_name(const cli_args *a, const dc_tabular *tab, const dc_model *m, int k, char *buf, size_t n) {
    if (tab && !dc_tabular_is_regression(tab)) return dc_tabular_class_name(tab, k);
    if (m && dc_model_class_name(m, k, buf, n)) return buf;
    if (a->data && strstr(a->data, "fashion") && k >= 0 && k < 10) return fashion_names[k];
    snprintf(buf, n, "%d", k);
    return buf;
}
