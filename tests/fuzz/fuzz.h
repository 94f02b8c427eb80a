/* fuzz.h - shared by the fuzz targets (header only).
 *
 * Each target is one file defining LLVMFuzzerTestOneInput() (and, when it
 * needs set-up, LLVMFuzzerInitialize()).  The same file is linked either
 * with libFuzzer (-DHQ_FUZZ=ON, clang) or with replay.c, which runs the
 * checked-in corpus through it as an ordinary ctest test in every build.
 *
 * A target aborts (HQ_FUZZ_CHECK) when an invariant of the code under test
 * is broken, so that libFuzzer records the input as a crash.
 */
#ifndef HQ_FUZZ_H
#define HQ_FUZZ_H

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HQ_FUZZ_CHECK(cond, ...)                                                             \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__, #cond);    \
            fprintf(stderr, __VA_ARGS__);                                                   \
            fputc('\n', stderr);                                                            \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

/* With HQ_FUZZ_DEBUG set, says what became of an input (to check that the
 * seeds reach the paths they were written for). */
static inline void hq_fuzz_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void hq_fuzz_note(const char *fmt, ...)
{
    static int on = -1;
    if (on < 0)
        on = getenv("HQ_FUZZ_DEBUG") != NULL;
    if (!on)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The shipped schemas: $HQ_FUZZ_SCHEMAS, or the source tree's (compiled in). */
static inline const char *hq_fuzz_schemas_dir(void)
{
    const char *e = getenv("HQ_FUZZ_SCHEMAS");
    return e && *e ? e : HQ_FUZZ_SCHEMAS_DIR;
}

/* A private scratch directory for the whole run, removed at exit (with the
 * one file the targets write in it).  /dev/shm when it exists: the targets
 * rewrite a file per input. */
static char hq_fuzz_dir_path[4096];
static char hq_fuzz_file_path[4096 + 256];

static inline void hq_fuzz_dir_cleanup(void)
{
    if (hq_fuzz_file_path[0])
        unlink(hq_fuzz_file_path);
    if (hq_fuzz_dir_path[0])
        rmdir(hq_fuzz_dir_path);
}

static inline const char *hq_fuzz_dir(void)
{
    if (!hq_fuzz_dir_path[0]) {
        const char *base = getenv("TMPDIR");
        struct stat st;
        if (!base || !*base)
            base = stat("/dev/shm", &st) == 0 && access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(hq_fuzz_dir_path, sizeof hq_fuzz_dir_path, "%s/hq-fuzz-XXXXXX", base);
        if (!mkdtemp(hq_fuzz_dir_path)) {
            perror("mkdtemp");
            abort();
        }
        atexit(hq_fuzz_dir_cleanup);
    }
    return hq_fuzz_dir_path;
}

/* Writes data to <scratch dir>/name (replacing the previous input file) and
 * returns its path. */
static inline const char *hq_fuzz_write(const char *name, const uint8_t *data, size_t size)
{
    const char *dir = hq_fuzz_dir();
    if (hq_fuzz_file_path[0])
        unlink(hq_fuzz_file_path);
    snprintf(hq_fuzz_file_path, sizeof hq_fuzz_file_path, "%s/%s", dir, name);
    FILE *f = fopen(hq_fuzz_file_path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(hq_fuzz_file_path);
        abort();
    }
    return hq_fuzz_file_path;
}

#endif
