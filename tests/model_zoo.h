/* model_zoo.h — model descriptions that cover every layer kind between
 * them, shared by the tests that walk a model as ops (test_trace.c: the
 * reference kernels; test_onnx.c: ONNX export). */
#ifndef DC_TEST_MODEL_ZOO_H
#define DC_TEST_MODEL_ZOO_H

/* images: padding, convs (strided, grouped), BatchNorm, spatial dropout,
 * every pool, merges, GELU, leaky ReLU, reshape */
#define ZOO_IMAGE                                                                                                                         \
    "input 2x12x12\nzero_padding2d 1\nconv2d 4 kernel=3 activation=relu name=c1\nbatchnorm\nspatial_dropout2d 0.2\n"                   \
    "conv2d 6 kernel=3 padding=same stride=2 groups=2 activation=tanh name=c2\nmaxpool2d 2 name=mp\n"                                    \
    "avgpool2d 2 stride=1 padding=1 inputs=c2 name=ap\nglobal_avg_pool2d inputs=mp name=ga\nglobal_max_pool2d inputs=ap name=gm\n"      \
    "concat inputs=ga,gm name=cat\ndense 8 activation=gelu name=d1\ndropout 0.3\nactivation leaky_relu name=act\n"                     \
    "dense 8 inputs=cat name=d2\nadd inputs=act,d2 name=sum\nmultiply inputs=sum,d2\nreshape 2x4\nflatten\n"                           \
    "dense 3 activation=softmax\n"
/* token ids (vocabulary 20) with a padding mask: every recurrent kind,
 * stacked and bidirectional, time pools, the last step */
#define ZOO_SEQUENCE                                                                                                                      \
    "input 10\nembedding 20 6 mask_zero=true\nsimple_rnn 5 return_sequences=true name=r1\n"                                             \
    "lstm 4 return_sequences=true bidirectional=true name=r2\ngru 3 return_sequences=true name=r3\n"                                     \
    "global_avg_pool1d inputs=r3 name=ga\nglobal_max_pool1d inputs=r2 name=gm\nlstm 3 inputs=r1 name=r4\n"                              \
    "gru 2 bidirectional=true merge_sum=true layers=2 inputs=r1 name=r5\nlast_step inputs=r3 name=ls\n"                                  \
    "concat inputs=ga,gm,r4,r5,ls\ndense 2 activation=sigmoid\n"
#define ZOO_CONV1D "input 3x16\nconv1d 4 kernel=3 activation=relu\nmaxpool1d 2\nconv1d 5 kernel=3 padding=same\nglobal_max_pool1d\ndense 2\n"
/* a GPT (vocabulary 30): positions, a block and a causal encoder, the tied head */
#define ZOO_GPT                                                                                                                           \
    "input 12\nembedding 30 16 init=normal name=wte\npositional_embedding name=wpe\ndropout 0.1\ntransformer_block 2 dropout=0.1\n"   \
    "transformer_encoder 4 ff=32 causal=true\nlayer_norm\ndense 30 tie=wte use_bias=false activation=softmax\n"
/* a padded encoder (vocabulary 15) */
#define ZOO_ENCODER "input 9\nembedding 15 8 mask_zero=true\ntransformer_encoder 2 ff=16\nlast_step\ndense 3 activation=softmax\n"
#endif
