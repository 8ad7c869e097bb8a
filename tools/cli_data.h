/* cli_data.h — data loading and shared argument struct of the deepc command. */
#ifndef DC_CLI_DATA_H
#define DC_CLI_DATA_H
#include <deepc.h>

typedef struct {
    const char *cmd, *target, *data, *out;
    const char *resume, *checkpoint, *best, *log, *plot;
    long epochs, batch, seed, limit, threads, ckpt_every, stop_after, folds;
    double lr, vsplit;
    int json, quiet, force;
    int shard_optimizer;              /* train under mpirun: each rank keeps its slice of the optimizer state */
    int overlap;                      /* train under mpirun: the all-reduce started during the backward pass */
    int shard_data;                   /* train under mpirun: each rank reads its part of the training rows (IDX) */
    int all_rows;                     /* eval: every row, not the held-out part the model file records */
    int probabilities;                /* predict: every class's probability */
    int latent, reconstruction;       /* predict: an autoencoder's code, or its output's values */
    const char *layer;                /* predict: a layer's values */
    const char *format, *names;       /* export: safetensors; deepc or torch names */
    int weights_only;                 /* export: the weights alone */
    /* CSV */
    const char *label, *features, *missing, *scale, *drop;
    char delimiter;
    int no_header, header_given, regression, stratify;
    long skip_rows, pca; /* skip_rows -1: not given */
    long samples, manifold; /* generate */
    long bits;              /* quantize: 8 or 4 */
    long opset;             /* export --format onnx: the ONNX opset (0: 17) */
    const char *prefix;     /* export --format c: the functions' prefix (model) */
    const char *prompt, *stop;        /* generate text: the start, and a string that ends it */
    long max_tokens, top_k;
    long steps_per_epoch, validation_steps;
    const char *vocab, *merges;       /* tokenize: GPT-2's encoder.json and vocab.bpe */
    int decode;                       /* tokenize: ids -> text */
    const char *description;          /* import-gpt2: the network to fill */
    long vocab_size;                  /* tokenizer train */             /* train: batches per epoch (the recipe's steps_per_epoch) */
    double temperature, top_p;
    int temperature_given;  /* distill: --temperature was said (its default is 1 there) */
    double alpha;           /* distill: the soft term's weight (default 0.5) */
    const char *teacher;    /* distill: the teacher model */
    /* prune: the final sparsity (0: not given), its schedule and kind */
    double sparsity, initial_sparsity;
    long begin_step, end_step, frequency;
    const char *scope;
    int structured;
    const dc_prune_config *prune; /* train: prune while training (deepc prune) */
    const char *calibration;      /* quantize --static: data to calibrate the input scales on */
    int static_act;
    int no_cache;
    double test_split;
    /* images */
    int image_h, image_w, grayscale, skip_bad;
    const char *augment, *validation_data;
    const char *text; /* predict --text: a text, or @FILE (one per line; @- is stdin) */
    const char *init_from, *freeze; /* train: start from a model's weights; layers to freeze */
    const char *embeddings;         /* train: GloVe-format word vectors for the embedding */
    const char *images[256]; /* extra positional arguments: files to predict */
    int nimages;
} cli_args;

typedef struct {
    dc_dataset *train, *test; /* test is NULL for a CSV without a test split */
    dc_tabular *tab;          /* CSV pipeline, or NULL for IDX data          */
    int64_t first, total;     /* --shard-data: train holds rows [first, first + n) of total (0: all) */
    dc_dataset *val;          /* --shard-data on a token stream: this rank's validation windows, */
    int64_t val_first, val_total; /* [val_first, val_first + n) of val_total (cli_stream.h)    */
} cli_bundle;

int cli_is_csv(const char *data);
/* A folder of class subfolders (not an IDX data folder). */
/* data is a folder (of any kind) */
int cli_is_dir(const char *data);
int cli_is_image_folder(const char *data);
/* Images of a folder in the model's input shape (C, H, W). */
dc_dataset *cli_load_images(const cli_args *a, const dc_model *m, const char *dir, int set_names, dc_model *named);
/* The same for a training folder, its files ordered and cut into parts by
 * o (mix, seed, part, parts; the rest is set here from the model and a):
 * one rank's part under --shard-data. *skipped: the part's bad files. */
dc_dataset *cli_load_images_part(const cli_args *a, const dc_model *m, const char *dir, int set_names, dc_model *named,
                                 dc_image_folder_options *o, int64_t *skipped, FILE *report);
dc_status cli_csv_options(const cli_args *a, dc_csv_options *o);
/* Training data (and the test split) for train. */
dc_status cli_load_training(const cli_args *a, cli_bundle *b, FILE *report);
/* A text model's CSV (its description has a text line): texts and labels
 * as token ids; the tokenizer, fitted on the training rows, and the class
 * names go into m. */
dc_status cli_load_text(const cli_args *a, dc_model *m, cli_bundle *b, FILE *report);
/* A resumed CSV run reads its table as the run did: la gets the stored
 * pipeline's options (label, features, reading, missing, scaling, PCA and
 * the split); an option given now that differs is an error listing each
 * difference. *check = 1 when the refitted pipeline can be compared with
 * the stored one (cli_resume_csv_same) after loading. */
dc_status cli_resume_csv_args(const cli_args *a, dc_tabular *stored, cli_args *la, int *check);
/* The table read for a resumed run gave the stored pipeline again. */
dc_status cli_resume_csv_same(const dc_tabular *stored, const dc_tabular *now, const char *path);
void cli_bundle_free(cli_bundle *b);
/* What cli_load_eval read: the held-out part of the training file (the
 * split recorded in the model file), or every row of the file. */
typedef struct {
    int held_out;       /* 1: the rows the run held out                     */
    int64_t total;      /* the file's rows (held_out: training + held out)   */
    float test_split;   /* the recorded split (held_out)                     */
} cli_eval_part;
/* Evaluation data for a saved model: the IDX test split, or a CSV through
 * the model's stored pipeline (*tab receives it, to free). part (may be
 * NULL: every row, as predict reads) asks for the held-out part when the
 * CSV is the one the model was trained on and the run held rows out, and
 * says what was read. */
dc_dataset *cli_load_eval(const cli_args *a, const dc_model *m, dc_tabular **tab, int need_label, cli_eval_part *part);
const char *cli_class_name(const cli_args *a, const dc_tabular *tab, const dc_model *m, int k, char *buf, size_t n);
/* The names of classes 0..C-1 as cli_class_name gives them, looked up once
 * (malloc'ed; NULL when out of memory): for reports that name every class
 * many times. Freed with cli_free_class_names. */
char **cli_class_names(const cli_args *a, const dc_tabular *tab, const dc_model *m, int C);
void cli_free_class_names(char **names, int C);
/* Set dc_last_error() from the command (printf-style); returns DC_ERR_INVALID. */
dc_status dc_set_error_cli(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
