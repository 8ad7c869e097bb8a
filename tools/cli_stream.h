/* cli_stream.h — a language model's token stream read in parts under
 * mpirun (deepc train --shard-data; cli_stream.c says how). */
#ifndef DC_CLI_STREAM_H
#define DC_CLI_STREAM_H
#include <deepc.h>

typedef struct {
    dc_dataset *train;          /* this rank's training windows: [first, first + n) of total */
    int64_t first, total;
    dc_dataset *val;            /* its validation windows: [val_first, val_first + n) of val_total (NULL: no validation split) */
    int64_t val_first, val_total;
    int64_t tokens, windows;    /* the whole stream's tokens, and its windows at every token (after the limit) */
    uint64_t hash;              /* the whole stream's dc_dataset_fingerprint */
} cli_stream;

/* Every rank calls it (collective). The text file `path` read in parts,
 * tokenized with bp (GPT-2's BPE), or *tok, or (*tok NULL) a vocabulary
 * fitted on the whole text and returned in *tok; split by position as
 * dc_fit splits a stream (vs: the validation split, 0 for none), after
 * keeping its first `limit` windows (0: all, as --limit); this rank's
 * windows of each part in *out. report (if not NULL) gets what rank
 * 0 read and holds. */
dc_status cli_stream_part(const char *path, const dc_text_spec *sp, const dc_bpe *bp, dc_tokenizer **tok, float vs, int64_t limit,
                          cli_stream *out, FILE *report);
void cli_stream_free(cli_stream *s);
#endif
