/* test_compat.c — model files written by format-1 deepc (commit 2fc631a,
 * tests/fixtures/make_v1.c) still load and predict exactly what that
 * version predicted, and a file with a training state still resumes. */
#include "test.h"

static void check_fixture(const char *dir, const char *name) {
    char mp[1024], io[1024];
    snprintf(mp, sizeof mp, "%s/%s.safetensors", dir, name);
    snprintf(io, sizeof io, "%s/%s_io.safetensors", dir, name);
    dc_train_state *s = NULL;
    dc_model *m = dc_model_load_state(mp, &s);
    dc_st_file *f = dc_st_open(io);
    CHECK(m && f, "%s loads: %s", name, dc_last_error());
    if (!m || !f) goto done;
    const dc_st_tensor *x = dc_st_find(f, "x"), *y = dc_st_find(f, "y");
    dc_dataset *d = dc_dataset_new(x->shape[0], DC_F32, x->ndim - 1, x->shape + 1, DC_I32, -1, NULL);
    memcpy(d->x.data, x->data, (size_t)x->nbytes);
    float *out = malloc((size_t)y->nbytes);
    CHECK(dc_predict(m, d, d->n, 8, out) == DC_OK, "%s predicts: %s", name, dc_last_error());
    dc_dataset_free(d);
    double worst = 0;
    for (int64_t i = 0; i < y->nbytes / 4; i++) {
        double e = fabs((double)out[i] - (double)((const float *)y->data)[i]);
        if (e > worst) worst = e;
    }
    CHECK(worst <= 1e-6, "%s: predictions differ from format 1 by %g", name, worst);
    free(out);
    char cls[64] = "";
    if (!strcmp(name, "v1_cnn"))
        CHECK(dc_model_class_name(m, 2, cls, sizeof cls) && !strcmp(cls, "boot, ankle"), "class names kept: %s", cls);
    if (s) CHECK(dc_train_state_epoch(s) == 1 && dc_train_state_samples(s) == 64, "training state kept");
done:
    dc_train_state_free(s);
    dc_st_close(f);
    dc_model_free(m);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/fixtures";
    const char *names[] = {"v1_cnn", "v1_cnn_gap", "v1_conv1d", "v1_mlp"};
    for (int i = 0; i < 4; i++) check_fixture(dir, names[i]);
    return test_summary("test_compat");
}
