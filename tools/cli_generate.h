/* cli_generate.h — `deepc generate`: decoded samples of a generative model. */
#ifndef DC_CLI_GENERATE_H
#define DC_CLI_GENERATE_H
#include "cli_data.h"

/* Write a PNG grid of `samples` decoded random latent points, or (manifold
 * > 0, 2-D latent) of the manifold x manifold latent plane, to a->out. */
int cli_generate(const cli_args *a, long samples, long manifold);
/* Text from a language model (a->prompt, max_tokens, temperature, top_k,
 * top_p, seed, stop, samples sequences at once, no_cache), streamed to
 * stdout for one sequence. */
int cli_generate_text(const cli_args *a);
/* `deepc tokenize`: a file's GPT-2 BPE ids, or (a->decode) their text. */
int cli_tokenize(const cli_args *a);
/* deepc transform [MODEL] --data FILE.csv [--out OUT.csv]: the table as the model sees it (cli_transform.c). */
int cli_transform(const cli_args *a);
/* deepc export MODEL --format safetensors --weights-only --out FILE [--names torch] (cli_export.c). */
int cli_export(const cli_args *a);
/* deepc quantize MODEL --out FILE [--bits 8|4] (cli_quantize.c). */
int cli_quantize(const cli_args *a);
/* `deepc import-gpt2`: a Hugging Face GPT-2 checkpoint as a deepc model file. */
int cli_import_gpt2(const cli_args *a);
/* deepc import-onnx MODEL.onnx --out MODEL.safetensors (cli_import.c) */
int cli_import_onnx(const cli_args *a);
/* `deepc tokenizer train FILE... --vocab-size N --out DIR`. */
int cli_tokenizer_train(const cli_args *a);
/* deepc serve (tools/serve.c): its own options from argv. */
int cli_serve(int argc, char **argv);
#endif
