/* cli_outputs.c — checks on the files the deepc command writes (see
 * cli_outputs.h). The rule for existing files: deepc replaces only a file
 * of the kind it writes there (a deepc model for --out and checkpoints, its
 * own CSV log for --log, an SVG for --plot, a PNG for images), or the file
 * the run resumes from; anything else needs --force. Links, devices and
 * write-protected files are never replaced, with or without --force. */
#include "cli_outputs.h"
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int refuse(const char *flag, const char *path, const char *why) {
    fprintf(stderr, "deepc: %s %s: %s\n", flag, path, why);
    return 1;
}

/* A safetensors file whose metadata says "format": "deepc". */
static int is_deepc_model(FILE *f) {
    uint8_t len8[8];
    if (fread(len8, 1, 8, f) != 8) return 0;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | len8[i];
    if (n < 2 || n > (100u << 20)) return 0;
    char *h = malloc((size_t)n);
    int ok = 0;
    if (h && fread(h, 1, (size_t)n, f) == n) {
        json_t *j = json_loadb(h, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
        json_t *fmt = json_object_get(json_object_get(j, "__metadata__"), "format");
        ok = json_is_string(fmt) && !strcmp(json_string_value(fmt), "deepc");
        json_decref(j);
    }
    free(h);
    return ok;
}

static int is_kind(const char *path, cli_out_kind kind) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char head[16] = {0};
    int ok = 0;
    if (kind == CLI_OUT_OTHER) ok = 0;
    else if (kind == CLI_OUT_MODEL) ok = is_deepc_model(f);
    else {
        size_t n = fread(head, 1, sizeof head - 1, f);
        if (kind == CLI_OUT_LOG) ok = n >= 6 && !memcmp(head, "epoch,", 6);
        else if (kind == CLI_OUT_SVG) ok = (n >= 4 && !memcmp(head, "<svg", 4)) || (n >= 5 && !memcmp(head, "<?xml", 5));
        else ok = n >= 8 && !memcmp(head, "\x89PNG\r\n\x1a\n", 8);
    }
    fclose(f);
    return ok;
}

static const char *kind_name(cli_out_kind k) {
    return k == CLI_OUT_MODEL ? "a deepc model" : k == CLI_OUT_LOG ? "a deepc training log" : k == CLI_OUT_SVG ? "an SVG"
         : k == CLI_OUT_PNG ? "a PNG" : "a file deepc can tell it wrote";
}

int cli_check_output(const char *flag, const char *path, cli_out_kind kind, int force, const char *same_as) {
    if (!path || !*path) return refuse(flag, "\"\"", "an empty file name");
    size_t n = strlen(path);
    if (path[n - 1] == '/') return refuse(flag, path, "names a folder; give a file name");
    /* the folder: exists, is a folder, and we may create files in it */
    char *dir = strdup(path);
    if (!dir) return refuse(flag, path, "out of memory");
    char *slash = strrchr(dir, '/');
    if (slash == dir) dir[1] = 0;
    else if (slash) *slash = 0;
    else strcpy(dir, ".");
    struct stat st;
    char why[512];
    int bad = 0;
    if (stat(dir, &st) != 0) {
        snprintf(why, sizeof why, "the folder %s does not exist", dir);
        bad = 1;
    } else if (!S_ISDIR(st.st_mode)) {
        snprintf(why, sizeof why, "%s is not a folder", dir);
        bad = 1;
    } else if (access(dir, W_OK | X_OK) != 0) {
        snprintf(why, sizeof why, "the folder %s is not writable (%s)", dir, strerror(errno));
        bad = 1;
    }
    free(dir);
    if (bad) return refuse(flag, path, why);
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : refuse(flag, path, strerror(errno));
    /* an existing name */
    if (S_ISLNK(st.st_mode))
        return refuse(flag, path, "is a symbolic link; deepc does not write through links (name the file itself)");
    if (S_ISDIR(st.st_mode)) return refuse(flag, path, "is a folder; give a file name");
    if (!S_ISREG(st.st_mode)) return refuse(flag, path, "is not a regular file (a device, FIFO or socket); deepc will not replace it");
    if (!(st.st_mode & 0222) || access(path, W_OK) != 0)
        return refuse(flag, path, "is write-protected; deepc will not replace it (make it writable or choose another name)");
    struct stat src;
    if (same_as && stat(same_as, &src) == 0 && src.st_dev == st.st_dev && src.st_ino == st.st_ino) return 0;
    if (st.st_nlink > 1 && !force) {
        snprintf(why, sizeof why,
                 "has %lu hard links; a new file there would leave the other names with the old data (--force replaces it)",
                 (unsigned long)st.st_nlink);
        return refuse(flag, path, why);
    }
    if (force || is_kind(path, kind)) return 0;
    snprintf(why, sizeof why, "exists and is not %s; deepc replaces only its own kind of file there (--force replaces it)",
             kind_name(kind));
    return refuse(flag, path, why);
}
