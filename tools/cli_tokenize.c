/* cli_tokenize.c — `deepc tokenize`: GPT-2's byte-level BPE from the
 * command line. With --vocab encoder.json --merges vocab.bpe, FILE's ids
 * (the whole file, space separated, on one line), or with --decode, the
 * text of FILE's ids. FILE - is standard input. */
#include "cli_generate.h"
#include "cli_outputs.h"
#include "cli_util.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* All of FILE (or stdin for "-"), NUL-terminated. */
/* What tokenize reads at most: a token stream's own limit (text_stream.c). */
#define TOKENIZE_MAX_BYTES ((size_t)1 << 31)

static char *read_all(const char *path, size_t *n) {
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        dc_set_error_cli("%s: cannot open", path);
        return NULL;
    }
    struct stat sb;
    if (f != stdin && (fstat(fileno(f), &sb) || !S_ISREG(sb.st_mode))) { /* a folder read as nothing, exit 0 (F18) */
        fclose(f);
        dc_set_error_cli("%s: not a regular file", path);
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len > TOKENIZE_MAX_BYTES) {
            free(buf);
            if (f != stdin) fclose(f);
            dc_set_error_cli("%s: over %zu MB: too large to tokenize at once", path, TOKENIZE_MAX_BYTES >> 20);
            return NULL;
        }
        if (cap - len < 2) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) free(buf);
            buf = nb;
        }
    }
    const int failed = ferror(f);
    if (f != stdin) fclose(f);
    if (buf && failed) {
        free(buf);
        dc_set_error_cli("%s: read error", path);
        return NULL;
    }
    if (!buf) {
        dc_set_error_cli("%s: out of memory", path);
        return NULL;
    }
    buf[len] = 0;
    *n = len;
    return buf;
}

int cli_tokenize(const cli_args *a) {
    if (!a->vocab || !a->merges || !a->target) {
        dc_set_error_cli("tokenize needs --vocab encoder.json --merges vocab.bpe and a FILE (- for standard input)");
        return cli_fail("cannot tokenize");
    }
    dc_bpe *b = dc_bpe_load(a->vocab, a->merges);
    if (!b) return cli_fail("cannot read the BPE files");
    size_t n = 0;
    char *text = read_all(a->target, &n);
    int rc = 0;
    if (!text) rc = cli_fail("cannot read the input");
    else if (a->decode) {
        int64_t cnt = 0, cap = 1024;
        int32_t *ids = malloc(sizeof(int32_t) * (size_t)cap);
        char *p = text, *end;
        while (ids && !rc) {
            while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == ',') p++;
            if (!*p) break;
            long v = strtol(p, &end, 10);
            if (end == p || v < 0 || v > 0x7fffffff) {
                dc_set_error_cli("%s: byte %lld: expected a token id", a->target, (long long)(p - text));
                rc = cli_fail("cannot decode");
                break;
            }
            if (cnt == cap) {
                int32_t *ni = realloc(ids, sizeof(int32_t) * (size_t)(cap *= 2));
                if (!ni) free(ids);
                ids = ni;
                if (!ids) break;
            }
            ids[cnt++] = (int32_t)v;
            p = end;
        }
        size_t len = 0;
        char *out = !rc && ids ? dc_bpe_decode(b, ids, cnt, &len) : NULL;
        if (!rc && !out) rc = cli_fail(ids ? "cannot decode" : "out of memory");
        if (out && a->json) { /* the last line one JSON object naming its command (F17) */
            printf("{\"command\":\"tokenize\",\"text\":");
            cli_json_string(stdout, out);
            printf("}\n");
        } else if (out) {
            fwrite(out, 1, len, stdout);
        }
        free(out);
        free(ids);
    } else {
        int32_t *ids;
        int64_t cnt = dc_bpe_encode(b, text, n, &ids);
        if (cnt < 0) rc = cli_fail("cannot encode");
        if (cnt >= 0 && a->json) printf("{\"command\":\"tokenize\",\"count\":%lld,\"ids\":[", (long long)cnt);
        for (int64_t i = 0; i < cnt; i++) printf(i ? (a->json ? ",%d" : " %d") : "%d", ids[i]);
        if (cnt >= 0) printf(a->json ? "]}\n" : "\n");
        free(ids);
    }
    free(text);
    dc_bpe_free(b);
    return rc;
}

int cli_tokenizer_train(const cli_args *a) {
    if (!a->target || strcmp(a->target, "train") || a->nimages < 1 || !a->vocab_size || !a->out) {
        dc_set_error_cli("usage: deepc tokenizer train FILE... --vocab-size N --out DIR");
        return cli_fail("cannot train a tokenizer");
    }
    char v[4096], m[4096];
    snprintf(v, sizeof v, "%s/encoder.json", a->out);
    snprintf(m, sizeof m, "%s/vocab.bpe", a->out);
    /* the output rule, before hours of training (F04): a missing folder,
     * links, write-protected files refused; existing files need --force */
    if (cli_check_output("--out", v, CLI_OUT_OTHER, a->force, NULL) || cli_check_output("--out", m, CLI_OUT_OTHER, a->force, NULL))
        return 1;
    if (dc_bpe_train(a->images, a->nimages, (int)a->vocab_size, v, m, a->quiet || a->json ? NULL : stdout))
        return cli_fail("cannot train a tokenizer");
    if (a->json) {
        printf("{\"command\":\"tokenizer train\",\"vocab_size\":%ld,\"vocab\":", (long)a->vocab_size);
        cli_json_string(stdout, v);
        printf(",\"merges\":");
        cli_json_string(stdout, m);
        printf("}\n");
    }
    return 0;
}
