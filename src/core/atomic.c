/* atomic.c — files written whole or not at all. The data goes to a
 * temporary file created beside the target with mkstemp (an unpredictable
 * name, O_EXCL: never a file or symlink someone placed there), is fsynced,
 * then renamed over the target: a crash or kill -9 leaves the old file or
 * the new one. Ctrl-C, SIGTERM, SIGHUP and SIGQUIT that arrive meanwhile
 * wait until the file is complete (they are delivered after). */
#include "internal.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

dc_status dc_atomic_open(dc_atomic_file *a, const char *path) {
    memset(a, 0, sizeof *a);
    a->path = path;
    size_t n = strlen(path);
    if (!(a->tmp = malloc(n + 16))) return dc_set_error(DC_ERR_NOMEM, "out of memory");
    snprintf(a->tmp, n + 16, "%s.tmp.XXXXXX", path);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGQUIT);
    pthread_sigmask(SIG_BLOCK, &block, &a->old);
    int fd = mkstemp(a->tmp);
    if (fd < 0 || !(a->f = fdopen(fd, "wb"))) {
        dc_status st = dc_set_error(DC_ERR_IO, "%s: cannot create a temporary file beside it (%s)", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(a->tmp);
        }
        free(a->tmp);
        a->tmp = NULL;
        pthread_sigmask(SIG_SETMASK, &a->old, NULL);
        return st;
    }
    return DC_OK;
}

dc_status dc_atomic_commit(dc_atomic_file *a) {
    /* mkstemp makes the file 0600; give it the mode a plain fopen would */
    mode_t mask = umask(0);
    umask(mask);
    int bad = fflush(a->f) != 0 || ferror(a->f);
    bad = bad || fchmod(fileno(a->f), 0666 & ~mask) != 0;
    bad = bad || fsync(fileno(a->f)) != 0;
    bad = fclose(a->f) != 0 || bad;
    a->f = NULL;
    if (!bad) bad = rename(a->tmp, a->path) != 0;
    dc_status st = DC_OK;
    if (bad) {
        st = dc_set_error(DC_ERR_IO, "%s: write failed (%s); the previous file, if any, is untouched", a->path, strerror(errno));
        unlink(a->tmp);
    }
    free(a->tmp);
    a->tmp = NULL;
    pthread_sigmask(SIG_SETMASK, &a->old, NULL); /* a signal that came meanwhile is delivered now */
    return st;
}

void dc_atomic_abort(dc_atomic_file *a) {
    if (a->f) fclose(a->f);
    if (a->tmp) unlink(a->tmp);
    free(a->tmp);
    a->f = NULL;
    a->tmp = NULL;
    pthread_sigmask(SIG_SETMASK, &a->old, NULL);
}
