/* distill.c — knowledge distillation with a loss callback: a small student
 * (Dense 32) learns from the class labels and from a larger teacher's
 * probabilities (Dense 256, trained first), the way Hinton et al. describe:
 *
 *   loss = cross-entropy(student, labels)
 *        + w * T^2 * cross-entropy(softmax(student logits / T), softmax(teacher logits / T))
 *
 * The second term is the callback's: it runs the teacher on the batch with a
 * session (inference only: the teacher is never written), builds the term
 * from ops on the step's graph, and dc_fit adds it to the loss (the part
 * "callback" in the progress line).
 *
 *   distill [TRAIN_IMAGES]      (default 10000 Fashion-MNIST images) */
#include <deepc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T 2.0f      /* temperature: softer targets carry the teacher's sense of similar classes */
#define WEIGHT 0.5f /* how much the teacher counts against the labels */

typedef struct {
    dc_session *teacher; /* the teacher's logits: its model ends in a linear layer */
    float *logits;       /* batch x 10 */
} teacher_ctx;

static dc_tensor *distill_term(const dc_model *m, dc_graph *g, dc_tensor *x, dc_tensor *output, dc_tensor *logits, void *user) {
    (void)m, (void)output;
    teacher_ctx *t = user;
    const int64_t n = x->shape[0];
    if (dc_session_predict(t->teacher, x->data, n, t->logits)) return NULL;
    dc_tensor *tl = dc_input(g, DC_F32, 2, (int64_t[]){n, 10}); /* the teacher's logits / T: a constant of the step */
    for (int64_t i = 0; i < n * 10; i++) tl->data[i] = t->logits[i] / T;
    dc_tensor *soft = dc_softmax(g, tl, 1);
    dc_tensor *ce = dc_cross_entropy(g, dc_mul_scalar(g, logits, 1.0f / T), soft, 1);
    return ce ? dc_mul_scalar(g, ce, WEIGHT * T * T) : NULL;
}

static int fail(const char *what) {
    fprintf(stderr, "distill: %s: %s\n", what, dc_last_error());
    return 1;
}

int main(int argc, char **argv) {
    int64_t limit = argc > 1 ? atoll(argv[1]) : 10000;
    dc_dataset *train = dc_mnist_load_limit("fashion-mnist", "train", limit), *test = dc_mnist_load("fashion-mnist", "test");
    if (!train || !test) return fail("load Fashion-MNIST");
    const char *recipe = "loss categorical_crossentropy\noptimizer adam lr=0.001\nfit epochs=4 batch_size=64 seed=1\n";
    char teacher_desc[512], student_desc[512];
    snprintf(teacher_desc, sizeof teacher_desc, "input 784\ndense 256 activation=relu\ndense 10\n%s", recipe);
    snprintf(student_desc, sizeof student_desc, "input 784\ndense 32 activation=relu\ndense 10\n%s", recipe);
    dc_model *teacher = dc_model_parse(teacher_desc, "teacher.dc"), *student = dc_model_parse(student_desc, "student.dc");
    if (!teacher || !student) return fail("parse");
    dc_fit_options quiet = {.validation_split = 0.0f, .shuffle = -1, .verbose = 0};
    if (dc_fit(teacher, train, &quiet, NULL)) return fail("train the teacher");
    double loss, teacher_acc, student_acc;
    if (dc_evaluate(teacher, test, 256, &loss, &teacher_acc)) return fail("evaluate");

    teacher_ctx ctx = {dc_session_new(teacher, 64), malloc(sizeof(float) * 64 * 10)};
    if (!ctx.teacher || !ctx.logits) return fail("teacher session");
    dc_callbacks cb = {.loss = distill_term, .user = &ctx};
    dc_fit_options o = {.validation_split = 0.0f, .shuffle = -1, .verbose = 1, .callbacks = &cb};
    dc_history h;
    if (dc_fit(student, train, &o, &h)) return fail("train the student");
    if (dc_evaluate(student, test, 256, &loss, &student_acc)) return fail("evaluate");
    printf("teacher (Dense 256): test accuracy %.4f\nstudent (Dense 32, distilled): test accuracy %.4f\n", teacher_acc, student_acc);
    const int ok = h.epochs_run == 4 && h.epoch[0].nparts == 2 && !strcmp(h.epoch[0].part_name[1], "callback") && student_acc > 0.75;
    dc_history_free(&h);
    dc_session_free(ctx.teacher);
    free(ctx.logits);
    dc_model_free(teacher);
    dc_model_free(student);
    dc_dataset_free(train);
    dc_dataset_free(test);
    return ok ? 0 : 1;
}
