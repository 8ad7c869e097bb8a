/* csv.h — a CSV file as a table of strings (internal to src/data). */
#ifndef DC_CSV_H
#define DC_CSV_H
#include "../core/internal.h"

typedef struct {
    int ncols;
    int64_t nrows;
    char **names;       /* ncols column names ("column_1"... without a header) */
    char **cells;       /* nrows * ncols, row-major, NUL-terminated, "" if empty */
    int64_t *line;      /* line in the file where each row starts (errors)     */
    char *buf;          /* storage for names and cells                         */
    dc_strmap by_name;  /* column name -> index                                */
    const char *path;
} dc_csv;

/* Read path. delim: field separator; header: first row holds names;
 * skip: lines ignored before it. Quoted fields follow RFC 4180 ("" is a
 * quote, delimiters and newlines allowed inside quotes); the last record
 * may end without a newline, in an empty field too. Ragged rows,
 * unterminated quotes, two columns of the same name, an empty file or one
 * with no data row are errors naming the line. */
dc_csv *dc_csv_read(const char *path, char delim, int header, int skip);
/* A file read in parts (each rank of deepc train --shard-data its own).
 * dc_csv_cuts: one pass over the bytes (holding none, the fields scanned
 * as dc_csv_read scans them, quotes and all) gives where each of `parts`
 * parts starts: cuts[0] the first data record (after skipped lines and the
 * header), cuts[k] the first record starting at or after byte size k /
 * parts (the file's size if none), cuts[parts] the size; lines[k] the line
 * each is on. dc_csv_read_range reads the file's start up to data_start
 * (its header) and the records in bytes [lo, hi) (a part: cuts[k] to
 * cuts[k + 1]), errors naming the file's lines (line_lo: lo's). */
dc_status dc_csv_cuts(const char *path, char delim, int header, int skip, int parts, int64_t *cuts, int64_t *lines);
dc_csv *dc_csv_read_range(const char *path, char delim, int header, int skip, int64_t data_start, int64_t lo, int64_t hi, int64_t line_lo);
/* A folder with one subfolder of .txt files per class (text_folder.c) as a
 * table of columns "text" and "label", one row per file. */
dc_csv *dc_text_folder_table(const char *dir);
/* A plain text file (.txt) as a one-column table "text": a row per
 * non-empty line (a language model's texts). */
dc_csv *dc_text_lines_table(const char *path);
void dc_csv_free(dc_csv *t);
/* Column index of a name (a hash lookup), or of an index written as text
 * ("0", "-1" = last); -1 if neither. */
int dc_csv_column(const dc_csv *t, const char *name_or_index);
/* Is this cell a missing value (empty, NA, N/A, NaN, null, ?) */
int dc_csv_missing(const char *cell);
/* Parse a whole cell as a finite number. */
int dc_csv_number(const char *cell, double *out);
#endif
