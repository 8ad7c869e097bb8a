/* test_distill.c OUT.json — the distillation term (dc_distill_term) on
 * random logits, (rows, V) and a language model's (N, T, V), at three
 * temperatures: its value and its gradient with respect to the student's
 * logits, written as JSON for tests/distill_check.py to compare with
 * PyTorch's KLDivLoss(reduction="batchmean")(log_softmax(s / T),
 * softmax(t / T)) * T^2 and its autograd. Also checked here: the term is 0
 * (and so is its gradient) when the student is the teacher, and positive
 * otherwise; a bad temperature is an error. */
#include "test.h"

static void one(FILE *f, int first, int nd, const int64_t *shape, float T, uint64_t seed) {
    dc_rng r;
    dc_rng_seed(&r, seed);
    dc_tensor *s = dc_tensor_new(DC_F32, nd, shape);
    float *t = malloc(sizeof(float) * (size_t)s->size);
    for (int64_t i = 0; i < s->size; i++) s->data[i] = 3.0f * dc_rng_normal(&r), t[i] = 3.0f * dc_rng_normal(&r);
    dc_tensor_require_grad(s);
    dc_graph *g = dc_graph_new();
    dc_tensor *k = dc_distill_term(g, s, t, T);
    CHECK(k && k->size == 1 && dc_backward(g, k) == DC_OK, "term and backward: %s", dc_last_error());
    fprintf(f, "%s{\"T\":%.9g,\"shape\":[", first ? "" : ",", (double)T);
    for (int d = 0; d < nd; d++) fprintf(f, "%s%lld", d ? "," : "", (long long)shape[d]);
    fprintf(f, "],\"value\":%.9g,\"s\":[", k ? (double)k->data[0] : 0.0);
    for (int64_t i = 0; i < s->size; i++) fprintf(f, "%s%.9g", i ? "," : "", (double)s->data[i]);
    fprintf(f, "],\"t\":[");
    for (int64_t i = 0; i < s->size; i++) fprintf(f, "%s%.9g", i ? "," : "", (double)t[i]);
    fprintf(f, "],\"grad\":[");
    for (int64_t i = 0; i < s->size; i++) fprintf(f, "%s%.9g", i ? "," : "", s->grad ? (double)s->grad[i] : 0.0);
    fprintf(f, "]}");
    CHECK(k && k->data[0] > 0.0f, "KL > 0 between different distributions (%g)", k ? (double)k->data[0] : 0.0);
    /* the student as the teacher: zero, and no gradient */
    dc_graph_reset(g);
    memset(s->grad, 0, sizeof(float) * (size_t)s->size);
    dc_tensor *z = dc_distill_term(g, s, s->data, T);
    CHECK(z && dc_backward(g, z) == DC_OK && fabsf(z->data[0]) < 1e-5f, "KL(p || p) = 0 (got %g)", z ? (double)z->data[0] : 0.0);
    float gmax = 0.0f;
    for (int64_t i = 0; i < s->size; i++) gmax = fmaxf(gmax, fabsf(s->grad[i]));
    CHECK(gmax < 1e-6f, "no gradient when the student is the teacher (%g)", gmax);
    dc_graph_free(g);
    dc_tensor_free(s);
    free(t);
}

int main(int argc, char **argv) {
    FILE *f = fopen(argc > 1 ? argv[1] : "distill.json", "w");
    if (!f) return 1;
    fprintf(f, "[");
    one(f, 1, 2, (int64_t[]){6, 10}, 1.0f, 1);
    one(f, 0, 2, (int64_t[]){6, 10}, 4.0f, 2);
    one(f, 0, 3, (int64_t[]){2, 5, 13}, 2.5f, 3);
    fprintf(f, "]\n");
    fclose(f);
    dc_graph *g = dc_graph_new();
    dc_tensor *s = dc_input(g, DC_F32, 2, (int64_t[]){2, 3});
    float t[6] = {0};
    CHECK_ERR(dc_distill_term(g, s, t, 0.0f) == NULL, "the temperature must be positive");
    CHECK_ERR(dc_distiller_new(NULL, 2.0f, 0.5f) == NULL, "needs a teacher");
    dc_graph_free(g);
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed != 0;
}
