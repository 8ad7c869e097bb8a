/* text_report.h — what the text loaders tell the user about a vocabulary
 * (internal to src/data; text.c holds it). */
#ifndef DC_TEXT_REPORT_H
#define DC_TEXT_REPORT_H
#include "../core/internal.h"
#include <stdio.h>

/* When more than OOV_WARN_SHARE of the n ids (0 = padding, not counted)
 * are the out-of-vocabulary id, or the vocabulary keeps fewer tokens than
 * the fit saw, say so on report: num_words=128 on a Chinese text maps most
 * characters to one id, silently, otherwise (issue 16). */
#define OOV_WARN_SHARE 0.02
void dc_text_oov_report(FILE *report, const char *path, const dc_tokenizer *t, const int32_t *ids, int64_t n);
#endif
