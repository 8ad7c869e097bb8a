/* cli_help.c — the deepc command's help pages and option names (cli_help.h). */
#include "cli_help.h"
#include <deepc.h>
#include <stddef.h>
#include <string.h>

/* ---- help: one page per command (deepc COMMAND --help), and the overview ---- */

static const char data_help[] =
    "DATA is 'fashion-mnist' (Debian's dataset-fashion-mnist under /usr/share/datasets),\n"
    "'mnist', a folder holding the four MNIST-format IDX files (.gz or raw), a CSV file,\n"
    "a folder of images (DATA/CLASS_NAME/*.png|jpg) or texts (DATA/CLASS_NAME/*.txt).\n"
    "CSV options: --label COLUMN (name or index, default: last) [--features a,b,... | --drop a,b,...]\n"
    "  [--delimiter C] [--no-header | --header] [--skip-rows N] [--regression] [--stratify]\n"
    "  [--test-split F] [--missing drop|mean|median|most_frequent] [--scale none|standard|minmax]\n"
    "  [--pca K]. The fitted preprocessing is saved with the model and reused by eval/predict.\n"
    "Image folders: the model's input (e.g. input 3x150x150) sets the size; [--image-size HxW\n"
    "  [--grayscale]] for input auto; [--validation-data DIR]\n"
    "  [--augment rotation=40,shift=0.2,shear=0.2,zoom=0.2,hflip,fill=nearest] [--skip-bad].\n";

static const char files_help[] =
    "Output files (--out, --checkpoint*, --log, --plot) are checked before any work starts: the\n"
    "  folder must exist and be writable; an existing file is replaced only when it is the kind\n"
    "  deepc writes there (a deepc model, its CSV log, an SVG, a PNG) or with --force; the default\n"
    "  model name (DESCRIPTION's, in the current folder) never replaces a file without --force;\n"
    "  links, devices and write-protected files are never replaced.\n";

const command_help cli_commands[] = {
    {"train",
     "usage: deepc train DESCRIPTION --data DATA [--out MODEL.safetensors] [--epochs N] [--batch-size B]\n"
     "        [--lr X] [--seed S] [--validation-split F] [--limit N] [--threads T] [--json]\n"
     "        [--steps-per-epoch N] [--validation-steps N]\n"
     "        [--log FILE.csv] [--plot FILE.svg] [--checkpoint FILE [--checkpoint-every N]]\n"
     "        [--checkpoint-best FILE] [--stop-after BATCHES] [--quiet] [--force]\n"
     "        [--init-from MODEL] [--embeddings GLOVE.txt] [--freeze LAYER,LAYER,...]\n"
     "       deepc train --resume MODEL --data DATA [--epochs N] [--out FILE] ...\n"
     "       mpirun -np N deepc train ... [--shard-optimizer] [--overlap] [--shard-data]\n"
     "  Train the model described in DESCRIPTION (models/*.dc), save it, print test metrics.\n"
     "  --limit N trains on the first N training samples (rows, texts, images, or a token\n"
     "  stream's windows). --validation-steps N validates on the first N batches of the\n"
     "  validation part each epoch (a language model's held-out tail is often large).\n"
     "  --init-from copies every weight of MODEL whose name and shape match\n"
     "  (and a text model's vocabulary or BPE); --embeddings fills a text model's embedding with\n"
     "  word vectors (GloVe's text format); --freeze stops the named layers from training.\n"
     "  --resume continues a saved run exactly where it stopped (Ctrl-C, --stop-after, a checkpoint).\n"
     "  Under mpirun the N ranks train one model data-parallel (each takes its share of every\n"
     "  batch; rank 0 prints and writes); --shard-optimizer keeps each rank's slice of the\n"
     "  optimizer state only (ZeRO-1; the saved file is the same); --overlap starts the\n"
     "  gradients' all-reduce in buckets during the backward pass (PyTorch DDP's way);\n"
     "  --shard-data makes each rank read only its part of the training rows (an IDX data set,\n"
     "  an image folder's files, a CSV's records, or a language model's text).\n",
     1, 1},
    {"eval",
     "usage: deepc eval MODEL --data DATA [--all-rows] [--limit N] [--plot REPORT.svg] [--json]\n"
     "  Report: loss, accuracy, top-5, precision/recall/F1 per class and averaged,\n"
     "  confusion matrix, ROC AUC, log loss (MSE, MAE, R^2 for regression); a language\n"
     "  model's loss and perplexity. On the CSV a model was trained on with --test-split,\n"
     "  the rows the run held out (the model file records the split); --all-rows scores\n"
     "  every row. Class heads report probabilities (a linear head's softmax or sigmoid).\n"
     "  --plot REPORT.svg draws the ROC curves (each class against the rest) and the\n"
     "  confusion matrix.\n",
     1, 0},
    {"predict",
     "usage: deepc predict MODEL --data DATA [--limit N] [--probabilities] [--json]\n"
     "       deepc predict MODEL --data DATA --latent | --reconstruction | --layer NAME\n"
     "       deepc predict MODEL IMAGE... [--probabilities] [--json]\n"
     "       deepc predict MODEL --text \"TEXT\" | --text @FILE (one text per line; @- reads stdin)\n"
     "  A CSV, whatever the data: input (the row number from 0, the image file or the text),\n"
     "  class (its name), probability; --probabilities adds p_CLASS for every class.\n"
     "  Regression: input and the predicted value. --json: the same rows as one JSON object.\n"
     "  An autoencoder or VAE: --latent (its code: a VAE's mean, or the bottleneck layer),\n"
     "  --reconstruction (its output's values), or --layer NAME (any layer's values).\n",
     1, 0},
    {"summary",
     "usage: deepc summary MODEL_OR_DESCRIPTION [--data CSV [CSV options] | --image-size HxW] [--json]\n"
     "  Layers, output shapes and parameter counts of a description or a saved model;\n"
     "  a description with `input auto` takes its shape from --data or --image-size.\n",
     0, 0},
    {"augment",
     "usage: deepc augment FOLDER --augment SPEC --out GRID.png [--image-size HxW] [--grayscale] [--json]\n"
     "  A grid of images and augmented versions, to see what augmentation does.\n",
     0, 1},
    {"generate",
     "usage: deepc generate MODEL --out GRID.png [--samples N | --manifold n] [--seed S] [--json]\n"
     "       deepc generate MODEL --prompt TEXT [--max-tokens N] [--temperature T] [--top-k K]\n"
     "        [--top-p P] [--seed S] [--stop STRING] [--samples N] [--no-cache] [--json]\n"
     "  Images decoded from a variational autoencoder's latent space: N random points\n"
     "  (default 64), or the n x n grid of a 2-D latent plane. Or text from a language model,\n"
     "  streamed as it is written (N > 1: N samples at once); a GPT-2 model stops at <|endoftext|>.\n",
     0, 1},
    {"tokenize",
     "usage: deepc tokenize --vocab encoder.json --merges vocab.bpe FILE [--decode] [--json]\n"
     "  GPT-2's byte-level BPE: FILE's ids on one line (FILE - : standard input), or the text of ids.\n",
     0, 0},
    {"tokenizer",
     "usage: deepc tokenizer train FILE... --vocab-size N --out DIR [--force] [--json]\n"
     "  A byte-level BPE vocabulary of N tokens trained on the files: DIR/encoder.json, DIR/vocab.bpe.\n",
     0, 1},
    {"import-onnx",
     "usage: deepc import-onnx MODEL.onnx --out MODEL.safetensors [--json]\n"
     "  An ONNX model (torch.onnx.export's MLPs, CNNs, embeddings and RNN/LSTM/GRU layers, or a\n"
     "  deepc export) as a deepc model: its description (deepc summary shows it) and weights,\n"
     "  ready to predict, evaluate, fine-tune and export again.\n",
     0, 1},
    {"import-gpt2",
     "usage: deepc import-gpt2 CHECKPOINT --description models/gpt2.dc --out MODEL.safetensors [--json]\n"
     "  A GPT-2 model.safetensors (Hugging Face's layout; F32, F16 or BF16) as a deepc model\n"
     "  that generates (the description's BPE files go inside).\n",
     0, 1},
    {"transform",
     "usage: deepc transform [MODEL] --data FILE.csv [--out OUT.csv] [CSV options] [--force] [--json]\n"
     "  The table as the model sees it: the encoded features by name (column, column=category,\n"
     "  pc_K after PCA) and the label. With MODEL, its stored pipeline on new rows; without,\n"
     "  the pipeline fitted on FILE with the CSV options (--drop, --missing, --scale, --pca,\n"
     "  --test-split: then a split column says train or test). To stdout without --out.\n",
     1, 0},
    {"export",
     "usage: deepc export MODEL --format onnx --out FILE.onnx [--opset 17] [--json]\n"
     "       deepc export MODEL --format c --out FILE.c [--prefix model] [--json]\n"
     "       deepc export MODEL --format safetensors --weights-only --out FILE [--names deepc|torch] [--json]\n"
     "  --format onnx: the model as an ONNX graph (opset 17) for onnxruntime and other runtimes:\n"
     "  input \"input\" and output \"output\" with a symbolic batch dimension, the weights under\n"
     "  their deepc names (text models: a symbolic sequence dimension too). Every layer kind,\n"
     "  int8, 4-bit and half weights too; a VAE exports its decoder (input: a latent point).\n"
     "  --format c: one C99 file and its header (FILE.h): the weights as static const arrays,\n"
     "  a static scratch buffer, int model_predict(const float *in, float *out) (token ids:\n"
     "  model_predict_ids); nothing beyond <math.h>. MLPs, CNNs, recurrent models, int8 too.\n"
     "  --format safetensors: the weights alone, for PyTorch and other tools. --names torch numbers them as the modules\n"
     "  of the torch.nn.Sequential you would write for the same chain of layers (each layer one\n"
     "  module, its activation one more: \"0.weight\", \"2.weight\"), so load_state_dict(strict=True)\n"
     "  takes them.\n",
     0, 1},
    {"distill",
     "usage: deepc distill TEACHER STUDENT.dc --data DATA [--temperature T] [--alpha A] [train options] [--json]\n"
     "       deepc distill TEACHER --resume STUDENT.safetensors --data DATA ...\n"
     "  Knowledge distillation (Hinton et al. 2015): train the student described in STUDENT.dc\n"
     "  on (1 - A) x its own loss + A x T^2 x KL(teacher_T || student_T), where _T is the softmax\n"
     "  of the logits divided by T (default T 1, A 0.5: what measured best for a small Fashion\n"
     "  student, bench/RESULTS.md; try T 2-4 too). The teacher (a model file with the\n"
     "  student's classes, or vocabulary for language models: then every token position counts)\n"
     "  runs on each batch without gradients. Validation and test metrics are the student's own.\n",
     1, 1},
    {"quantize",
     "usage: deepc quantize MODEL --out FILE [--bits 8|4] [--calibration DATA --static [--limit N]] [--force] [--json]\n"
     "  A smaller, faster copy for inference. --bits 8 (default): every weight matrix (dense,\n"
     "  conv, embedding, recurrent, transformer) as int8 with a float scale per output row;\n"
     "  --bits 4: 4-bit blocks of 32 with a half-precision scale each (ggml's q4_0 layout),\n"
     "  int8 where a matrix does not split into blocks of 32. Biases, norms and BatchNorm\n"
     "  statistics stay float. Products run on integers, the input quantized per row (per\n"
     "  block for 4-bit) as it comes. eval, predict, generate and summary take the file as\n"
     "  any model; train --init-from MODEL.int8 starts a float model from it.\n"
     "  --static --calibration DATA: the inputs of dense and transformer products are quantized\n"
     "  with one scale and zero point each (uint8), fixed from the range of inputs the float\n"
     "  model sees on N samples of DATA (default 1000; training images of an IDX set, rows of a\n"
     "  CSV) and stored in the file; conv and recurrent products stay per row.\n",
     0, 1},
    {"prune",
     "usage: deepc prune MODEL --sparsity S --data DATA [--epochs N] [--scope global|layer] [--structured]\n"
     "                   [--initial-sparsity S0] [--begin-step B] [--end-step E] [--frequency F]\n"
     "                   [--out FILE] [train options] [--json]\n"
     "       deepc prune --resume FILE --data DATA ...\n"
     "  Magnitude pruning while fine-tuning (TensorFlow Model Optimization's recipe): MODEL trains\n"
     "  on DATA from its own weights while its smallest weights are set to 0, the fraction rising\n"
     "  from S0 (0) at optimizer step B (0) to S at step E (default: where the last epoch begins)\n"
     "  on a cubic curve, the masks updated every F steps (a tenth of the ramp, at most 100).\n"
     "  --scope global (default): one threshold over all the matrices; layer: each loses the\n"
     "  fraction S (it cost the Fashion CNN more accuracy: bench/RESULTS.md). The masks are\n"
     "  kept in the file's training state (--resume goes on exactly), and the file (default\n"
     "  MODEL.pruned.safetensors) stores the pruned matrices sparse: a bitmap and the values\n"
     "  left. --structured: whole units of dense layers and filters of conv layers go (not the\n"
     "  output layer, nor one whose units feed several layers or a non-zero activation at 0),\n"
     "  and the file written at the end is the smaller dense model.\n",
     1, 1},
    {"cv",
     "usage: deepc cv DESCRIPTION --data DATA --folds K [train options] [--json]\n"
     "  k-fold cross-validation: trains K models, reports mean and std of each metric.\n",
     1, 0},
    {"serve",
     "usage: deepc serve MODEL [NAME=MODEL ...] [--port 8080] [--host 127.0.0.1] [--threads T]\n"
     "                   [--max-batch 64] [--batch-window-ms 2] [--max-body 8M] [--api-key-file F]\n"
     "                   [--max-instances 1024] [--max-streams 16] [--max-connections 512] [--timeout 10]\n"
     "  An HTTP server for models (float, int8, 4-bit or pruned alike); a model is named after its\n"
     "  file unless NAME= says. --port 0 takes a free port (the line \"serving ... on\" says which).\n"
     "  GET  /health, /metrics (Prometheus), /v1/models, /v1/models/NAME (inputs, classes, dtype)\n"
     "  POST /v1/models/NAME:predict {\"instances\": [...]} (TF Serving's form): arrays of numbers\n"
     "       of the input's shape, objects of CSV columns (the stored pipeline), {\"b64\": PNG/JPEG}\n"
     "       or texts -> {\"predictions\": [{\"class\", \"probability\", \"probabilities\"}]}. Requests\n"
     "       arriving within --batch-window-ms run together, up to --max-batch instances.\n"
     "  POST /v1/completions {\"prompt\", \"max_tokens\" (16), \"temperature\" (1), \"top_p\", \"top_k\",\n"
     "       \"stop\", \"seed\" (1), \"stream\"} for language models, OpenAI's form; \"stream\": true\n"
     "       sends server-sent events. Up to --max-streams generations step together as one batch.\n"
     "  Errors are JSON with a 4xx status; a body over --max-body gets 413; a client silent for\n"
     "  --timeout seconds is dropped. --api-key-file F: every route but /health needs the header\n"
     "  \"Authorization: Bearer KEY\" (F's first line). --threads T: each model run's threads\n"
     "  (default: 1 for predict, whose requests are parsed on the other cores; all for completions).\n"
     "  SIGTERM or Ctrl-C: stop accepting, finish the requests in flight, exit 0.\n",
     0, 0},
};
const int cli_ncommands = (int)(sizeof cli_commands / sizeof cli_commands[0]);

const command_help *cli_find_command(const char *name) {
    for (int i = 0; i < cli_ncommands; i++)
        if (!strcmp(cli_commands[i].name, name)) return &cli_commands[i];
    return NULL;
}

/* deepc COMMAND --help: that command's page. */
void cli_command_usage(const command_help *c, FILE *f) {
    fputs(c->usage, f);
    if (c->data) fprintf(f, "\n%s", data_help);
    if (c->files) fprintf(f, "\n%s", files_help);
    fputs("\nEvery command takes --json (one JSON object, naming the command, as the last line of\n"
          "stdout; an error gives {\"command\":...,\"error\":...}) and --key=value as well as --key value.\n"
          "Threads default to DEEPC_NUM_THREADS, OMP_NUM_THREADS or the number of cores.\n",
          f);
}

/* deepc --help: every command's usage lines, then how to get a page. */
void cli_overview(FILE *f) {
    fputs("usage: deepc COMMAND [ARGS]   (deepc COMMAND --help for its options; deepc -V: the version)\n\ncommands:\n", f);
    for (int i = 0; i < cli_ncommands; i++) {
        const char *u = cli_commands[i].usage + 7, *end = strchr(u, '\n'); /* the first usage line, after "usage: " */
        fprintf(f, "  %.*s\n", (int)(end ? end - u : (ptrdiff_t)strlen(u)), u);
    }
    fprintf(f, "\n%s\n%s", data_help, files_help);
}

/* Every option the parser knows, for "did you mean". */
static const char *const known_options[] = {
    "--help", "--json", "--all-rows", "--probabilities", "--latent", "--reconstruction", "--layer", "--quiet", "--force", "--regression", "--stratify", "--shard-optimizer", "--overlap", "--shard-data", "--data", "--out",
    "--resume", "--checkpoint", "--checkpoint-best", "--log", "--plot", "--label", "--features", "--drop", "--format", "--names", "--bits", "--alpha", "--weights-only", "--missing", "--scale",
    "--augment", "--validation-data", "--text", "--init-from", "--freeze", "--embeddings", "--grayscale", "--skip-bad",
    "--epochs", "--batch-size", "--seed", "--limit", "--threads", "--checkpoint-every", "--stop-after", "--folds",
    "--skip-rows", "--pca", "--samples", "--manifold", "--prompt", "--stop", "--vocab", "--merges", "--description",
    "--vocab-size", "--decode", "--max-tokens", "--steps-per-epoch", "--validation-steps", "--top-k", "--temperature", "--top-p", "--no-cache",
    "--no-header", "--header", "--lr", "--validation-split", "--test-split", "--image-size", "--delimiter", "--opset", "--prefix"};

void cli_unknown_option(const char *o, const char *cmd) {
    const char *near = dc_did_you_mean(o, known_options, (int)(sizeof known_options / sizeof known_options[0]));
    if (near) fprintf(stderr, "deepc: unknown option %s: did you mean %s? (deepc %s --help)\n", o, near, cmd);
    else fprintf(stderr, "deepc: unknown option %s (deepc %s --help)\n", o, cmd);
}

