/* cli_predict.c — the one output form of `deepc predict` (cli_predict.h).
 * Before issue 16, predict printed bare class indices for IDX data, image
 * folders and CSVs of texts, "name (p)" for image files and --text, and a
 * CSV of p_* columns for tables; now every kind of data gives the same
 * columns: input, class (its name where the model has names), probability
 * of that class, and with --probabilities one p_NAME column per class. */
#include "cli_predict.h"
#include "cli_util.h"
#include <string.h>

int64_t cli_predicted_class(const float *row, int64_t C) {
    if (C == 1) return row[0] >= 0.5f;
    int64_t best = 0;
    for (int64_t k = 1; k < C; k++)
        if (row[k] > row[best]) best = k;
    return best;
}

/* Classes: C, or 2 for one sigmoid output. */
static int64_t nclasses(const cli_pred *p) { return p->C == 1 ? 2 : p->C; }

/* Class k's probability in row. */
static double prob(const cli_pred *p, const float *row, int64_t k) { return p->C == 1 ? (k ? row[0] : 1.0 - row[0]) : row[k]; }

/* Class k's name: looked up once for all classes at the start (a model's
 * names are a list walked to each), else one at a time. */
static const char *class_name(const cli_pred *p, int64_t k, char *buf, size_t n) {
    return p->names ? p->names[k] : cli_class_name(p->a, p->tab, p->m, (int)k, buf, n);
}

static void csv_field(const char *s) { cli_csv_field(stdout, s); }

void cli_pred_begin(cli_pred *p, const cli_args *a, const dc_model *m, const dc_tabular *tab, int64_t C) {
    *p = (cli_pred){a, m, tab, C, tab && dc_tabular_is_regression(tab), 0, NULL};
    if (!p->regression) p->names = cli_class_names(a, tab, m, (int)nclasses(p));
    if (a->json) {
        printf("{\"command\":\"predict\",\"predictions\":[");
        return;
    }
    if (p->regression) {
        printf("input,%s\n", dc_tabular_label_name(tab));
        return;
    }
    printf("input,class,probability");
    char nb[256];
    for (int64_t k = 0; a->probabilities && k < nclasses(p); k++) {
        char col[300];
        snprintf(col, sizeof col, "p_%s", class_name(p, k, nb, sizeof nb));
        putchar(',');
        csv_field(col);
    }
    putchar('\n');
}

void cli_pred_row(cli_pred *p, const char *input, int64_t index, const float *row) {
    char nb[256], num[32];
    if (!input) snprintf(num, sizeof num, "%lld", (long long)index);
    const char *in = input ? input : num;
    if (p->a->json) {
        printf("%s{\"input\":", p->count ? "," : "");
        if (input) cli_json_string(stdout, input);
        else printf("%lld", (long long)index);
        if (p->regression) {
            printf(",\"value\":");
            cli_json_number(stdout, row[0]);
        } else {
            int64_t best = cli_predicted_class(row, p->C);
            printf(",\"class\":");
            cli_json_string(stdout, class_name(p, best, nb, sizeof nb));
            printf(",\"probability\":");
            cli_json_number(stdout, prob(p, row, best));
            if (p->a->probabilities) {
                printf(",\"probabilities\":{");
                for (int64_t k = 0; k < nclasses(p); k++) {
                    printf("%s", k ? "," : "");
                    cli_json_string(stdout, class_name(p, k, nb, sizeof nb));
                    putchar(':');
                    cli_json_number(stdout, prob(p, row, k));
                }
                putchar('}');
            }
        }
        putchar('}');
    } else if (p->regression) {
        csv_field(in);
        printf(",%.6g\n", row[0]);
    } else {
        int64_t best = cli_predicted_class(row, p->C);
        csv_field(in);
        putchar(',');
        csv_field(class_name(p, best, nb, sizeof nb));
        printf(",%.6f", prob(p, row, best));
        for (int64_t k = 0; p->a->probabilities && k < nclasses(p); k++) printf(",%.6f", prob(p, row, k));
        putchar('\n');
    }
    p->count++;
}

void cli_pred_end(cli_pred *p) {
    if (p->a->json) printf("],\"count\":%lld}\n", (long long)p->count);
    fflush(stdout);
    cli_free_class_names(p->names, (int)nclasses(p));
    p->names = NULL;
}

void cli_print_values(const cli_args *a, const char *name, int64_t n, int64_t width, const float *v) {
    if (a->json) {
        printf("{\"command\":\"predict\",\"layer\":");
        cli_json_string(stdout, name);
        printf(",\"predictions\":[");
    } else {
        printf("input");
        for (int64_t k = 0; k < width; k++) {
            char col[96];
            snprintf(col, sizeof col, "%s_%lld", name, (long long)k);
            putchar(',');
            csv_field(col);
        }
        putchar('\n');
    }
    for (int64_t i = 0; i < n; i++) {
        const float *row = v + i * width;
        if (a->json) {
            printf("%s{\"input\":%lld,\"values\":[", i ? "," : "", (long long)i);
            for (int64_t k = 0; k < width; k++) {
                if (k) putchar(',');
                cli_json_number(stdout, row[k]);
            }
            printf("]}");
        } else {
            printf("%lld", (long long)i);
            for (int64_t k = 0; k < width; k++) printf(",%.6g", row[k]);
            putchar('\n');
        }
    }
    if (a->json) printf("],\"count\":%lld}\n", (long long)n);
    fflush(stdout);
}
