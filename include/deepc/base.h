/* deepc/base.h — part 1 of the public API: Errors, threads, random numbers.
 * Include <deepc.h>, which includes every part in order. */
#ifndef DEEPC_BASE_H
#define DEEPC_BASE_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DEEPC_VERSION "0.1.0"
#define DC_MAX_DIMS 8

/* ===================================================================== */
/* 1. Errors, threads, random numbers                                     */
/* ===================================================================== */

typedef enum {
    DC_OK = 0,
    DC_ERR_INVALID = -1, /* bad argument, wrong shape, malformed input     */
    DC_ERR_IO = -2,      /* a file could not be opened, read or written     */
    DC_ERR_FORMAT = -3,  /* a file is not what it claims to be              */
    DC_ERR_NOMEM = -4,   /* an allocation failed (or a size overflowed)     */
    DC_ERR_NUMERIC = -5, /* a NaN or infinite loss                          */
    DC_ERR_INTERRUPTED = -6 /* Ctrl-C stopped training after a batch        */
} dc_status;

/* The message of the most recent error on this thread ("" if none). It names
 * the file and the place (line:column or byte offset) where that applies. */
const char *dc_last_error(void);
/* Forget the last error. */
void dc_clear_error(void);
/* Set the last error from outside the library (tools built on it). */
void dc_set_error_message(const char *msg);

/* UTF-8: the length of the valid sequence at p (of at most n bytes), 0 if
 * none starts there (no overlong forms, surrogates or code points past
 * U+10FFFF); the offset of the first invalid byte of s[0..n), or n. */
size_t dc_utf8_len(const char *p, size_t n);
size_t dc_utf8_invalid_at(const char *s, size_t n);

/* A size for people: "812 bytes", "2.14 KB", "474.70 MB", "1.90 GB" (units
 * of 1024). Written into buf (returned). */
const char *dc_format_bytes(double bytes, char *buf, size_t n);

/* "Did you mean": the candidate closest to word by edit distance, when at
 * most a third of it differs (one edit at least, three at most), or NULL.
 * For messages about misspelt options, commands and keywords. */
const char *dc_did_you_mean(const char *word, const char *const *candidates, int n);
/* The same over a list of names separated by commas or spaces ("units,
 * activation, use_bias"): the closest copied into buf (returned), or NULL. */
const char *dc_did_you_mean_in(const char *word, const char *list, char *buf, size_t size);

/* Number of threads deepc uses for its own loops (BLAS calls run inside
 * them, single-threaded, or split across them). 0 or a
 * negative value picks the default: DEEPC_NUM_THREADS, else OMP_NUM_THREADS,
 * else the number of cores. Results are bit-identical for a fixed count.
 * The count is the team size, which fixes how work is split; while other
 * processes keep cores busy, loops run on fewer threads than that (the same
 * parts, the same bits), so a shared machine does not make more threads
 * slower than one. DEEPC_ADAPT=0 turns this off; DEEPC_RUN_THREADS=N runs
 * every loop on N threads (docs/ARCHITECTURE.md, "Threads and determinism"). */
void dc_set_num_threads(int n);
int dc_get_num_threads(void);

/* A seeded random generator (PCG32). Copy it by value to save its state. */
typedef struct {
    uint64_t state;
    uint64_t inc;
} dc_rng;

void dc_rng_seed(dc_rng *r, uint64_t seed);
uint32_t dc_rng_u32(dc_rng *r);
/* Uniform in [0, 1). */
float dc_rng_uniform(dc_rng *r);
/* Standard normal (Box-Muller, no cached second value: state is all in r). */
float dc_rng_normal(dc_rng *r);
/* Uniform integer in [0, n). n must be > 0. */
uint32_t dc_rng_below(dc_rng *r, uint32_t n);
/* Fisher-Yates shuffle of n indices. */
void dc_rng_shuffle(dc_rng *r, int64_t *idx, int64_t n);

#ifdef __cplusplus
}
#endif
#endif /* DEEPC_BASE_H */
