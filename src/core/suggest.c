/* suggest.c — "did you mean": the known name closest to a misspelt one, by
 * edit distance (insertions, deletions, substitutions and swaps of two
 * neighbours each count 1), for messages about unknown options, commands,
 * layer kinds and keywords. */
#include "internal.h"
#include <stdio.h>
#include <string.h>

/* Edit distance of a and b (optimal string alignment), or limit + 1 once
 * it must exceed limit. Names are short: longer ones are not compared. */
static int distance(const char *a, const char *b, int limit) {
    enum { MAXN = 64 };
    const int n = (int)strlen(a), m = (int)strlen(b);
    if (n >= MAXN || m >= MAXN || (n > m ? n - m : m - n) > limit) return limit + 1;
    int d[MAXN][MAXN];
    for (int i = 0; i <= n; i++) d[i][0] = i;
    for (int j = 0; j <= m; j++) d[0][j] = j;
    for (int i = 1; i <= n; i++)
        for (int j = 1; j <= m; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < c) c = d[i - 2][j - 2] + 1;
            d[i][j] = c;
        }
    return d[n][m];
}

const char *dc_did_you_mean(const char *word, const char *const *candidates, int n) {
    /* up to a third of the word wrong (at least one edit, at most three) */
    const int len = (int)strlen(word), limit = len / 3 < 1 ? 1 : len / 3 > 3 ? 3 : len / 3;
    const char *best = NULL;
    int bestd = limit + 1;
    for (int i = 0; i < n; i++) {
        if (!candidates[i] || !strcmp(candidates[i], word)) continue;
        int d = distance(word, candidates[i], limit);
        if (d < bestd) bestd = d, best = candidates[i];
    }
    return best;
}

const char *dc_did_you_mean_in(const char *word, const char *list, char *buf, size_t size) {
    /* split a copy of the list at commas and spaces */
    char copy[2048];
    const char *names[256];
    int n = 0;
    snprintf(copy, sizeof copy, "%s", list);
    for (char *t = strtok(copy, ", "); t && n < 256; t = strtok(NULL, ", ")) names[n++] = t;
    const char *best = dc_did_you_mean(word, names, n);
    if (!best || size == 0) return NULL;
    snprintf(buf, size, "%s", best);
    return buf;
}
