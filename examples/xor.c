/* xor.c — the smallest complete deepc program: a 2-4-1 network learns XOR
 * with plain (full-batch) gradient descent on the mean squared error, using
 * tensors, ops and backward directly. Build: see the README. */
#include <deepc.h>
#include <stdio.h>

int main(void) {
    dc_rng rng;
    dc_rng_seed(&rng, 7);
    /* parameters: caller-owned tensors that require grad */
    dc_tensor *w1 = dc_tensor_new(DC_F32, 2, (int64_t[]){4, 2}), *b1 = dc_tensor_new(DC_F32, 1, (int64_t[]){4});
    dc_tensor *w2 = dc_tensor_new(DC_F32, 2, (int64_t[]){1, 4}), *b2 = dc_tensor_new(DC_F32, 1, (int64_t[]){1});
    dc_tensor *params[4] = {w1, b1, w2, b2};
    for (int i = 0; i < 4; i++) dc_tensor_require_grad(params[i]);
    dc_init_fill(w1->data, w1->size, DC_INIT_GLOROT_UNIFORM, 2, 4, &rng);
    dc_init_fill(w2->data, w2->size, DC_INIT_GLOROT_UNIFORM, 4, 1, &rng);

    const float xs[8] = {0, 0, 0, 1, 1, 0, 1, 1}, ys[4] = {0, 1, 1, 0};
    dc_graph *g = dc_graph_new();
    float loss = 0.0f;
    for (int step = 0; step < 3000; step++) {
        dc_graph_reset(g);
        dc_tensor *x = dc_input(g, DC_F32, 2, (int64_t[]){4, 2});
        dc_tensor *y = dc_input(g, DC_F32, 2, (int64_t[]){4, 1});
        for (int i = 0; i < 8; i++) x->data[i] = xs[i];
        for (int i = 0; i < 4; i++) y->data[i] = ys[i];
        dc_tensor *h = dc_tanh(g, dc_linear(g, x, w1, b1));       /* (4,4) */
        dc_tensor *p = dc_sigmoid(g, dc_linear(g, h, w2, b2));    /* (4,1) */
        dc_tensor *l = dc_mse_loss(g, p, y);
        for (int i = 0; i < 4; i++)
            for (int64_t k = 0; k < params[i]->size; k++) params[i]->grad[k] = 0.0f;
        if (!l || dc_backward(g, l)) {
            fprintf(stderr, "xor: %s\n", dc_last_error());
            return 1;
        }
        for (int i = 0; i < 4; i++) /* plain gradient descent, lr 2 */
            for (int64_t k = 0; k < params[i]->size; k++) params[i]->data[k] -= 2.0f * params[i]->grad[k];
        loss = l->data[0];
        if (step % 500 == 0) printf("step %4d  loss %.5f\n", step, loss);
        if (step == 2999) {
            int correct = 0;
            for (int i = 0; i < 4; i++) {
                printf("%g xor %g -> %.3f\n", xs[2 * i], xs[2 * i + 1], p->data[i]);
                correct += (p->data[i] > 0.5f) == (ys[i] > 0.5f);
            }
            printf("final loss %.5f, %d/4 correct\n", loss, correct);
            dc_graph_free(g);
            for (int j = 0; j < 4; j++) dc_tensor_free(params[j]);
            return correct == 4 ? 0 : 1;
        }
    }
    return 1;
}
