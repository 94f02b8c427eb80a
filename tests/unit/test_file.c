/* file: a file replaced whole (old or new content, never a temporary file
 * left behind), the lock, its lines read back, and the errors named by path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "file.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static char *slurp(const char *path)
{
    static char buf[256];
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void replace_twice(void **state)
{
    (void)state;
    char dir[] = "/tmp/hq-file-XXXXXX", path[128], tmp[140];
    umask(022);
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/f", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    hq_err err;
    assert_int_equal(hq_file_replace(path, "first\n", 6, 0640, &err), 0);
    assert_string_equal(slurp(path), "first\n");
    assert_int_equal(hq_file_replace(path, "second, longer\n", 15, 0600, &err), 0);
    assert_string_equal(slurp(path), "second, longer\n");
    assert_int_equal(hq_file_replace(path, "", 0, 0600, &err), 0);
    assert_string_equal(slurp(path), "");
    assert_int_equal(access(tmp, F_OK), -1); /* no temporary file left */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600); /* the mode of the last replacement (umask 022) */
    unlink(path);
    rmdir(dir);
}

/* mkdirs: every missing level made with the mode, an existing path fine,
 * a file in the way named; sync_dir: a directory yes, a missing one named. */
static void mkdirs_and_sync_dir(void **state)
{
    (void)state;
    char dir[] = "/tmp/hq-file-XXXXXX", deep[160], file[160];
    umask(022);
    assert_non_null(mkdtemp(dir));
    snprintf(deep, sizeof deep, "%s/a/b/c", dir);
    hq_err err = {0};
    assert_int_equal(hq_file_mkdirs(deep, 0750, &err), 0);
    struct stat st;
    assert_int_equal(stat(deep, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0750);
    assert_int_equal(hq_file_mkdirs(deep, 0750, &err), 0); /* already there */
    assert_int_equal(hq_file_sync_dir(deep, &err), 0);
    snprintf(file, sizeof file, "%s/a/f", dir);
    assert_int_equal(hq_file_replace(file, "x", 1, 0600, &err), 0);
    snprintf(deep, sizeof deep, "%s/a/f/g", dir);
    assert_int_equal(hq_file_mkdirs(deep, 0750, &err), HQ_EIO);
    assert_non_null(strstr(err.msg, "/a/f/g"));
    assert_int_equal(hq_file_sync_dir("/tmp/hq-no-such-dir-4711", &err), HQ_EIO);
    assert_non_null(strstr(err.msg, "/tmp/hq-no-such-dir-4711"));
    unlink(file);
    snprintf(deep, sizeof deep, "%s/a/b/c", dir);
    rmdir(deep);
    snprintf(deep, sizeof deep, "%s/a/b", dir);
    rmdir(deep);
    snprintf(deep, sizeof deep, "%s/a", dir);
    rmdir(deep);
    rmdir(dir);
}

static void missing_directory(void **state)
{
    (void)state;
    hq_err err;
    assert_int_equal(hq_file_replace("/tmp/hq-no-such-dir-4711/f", "x", 1, 0600, &err), HQ_EIO);
    assert_non_null(strstr(err.msg, "/tmp/hq-no-such-dir-4711/f.tmp"));
    assert_int_equal(hq_file_lock("/tmp/hq-no-such-dir-4711/f", &err), HQ_EIO);
    assert_non_null(strstr(err.msg, "f.lock"));
}

static void lock_excludes(void **state)
{
    (void)state;
    char dir[] = "/tmp/hq-file-XXXXXX", path[128], lp[140];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/f", dir);
    snprintf(lp, sizeof lp, "%s.lock", path);
    hq_err err;
    int fd = hq_file_lock(path, &err);
    assert_true(fd >= 0);
    /* another open file description cannot take it meanwhile */
    int other = open(lp, O_RDWR);
    assert_true(other >= 0);
    assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
    hq_file_unlock(fd);
    assert_int_equal(flock(other, LOCK_EX | LOCK_NB), 0);
    close(other);
    unlink(lp);
    rmdir(dir);
}

typedef struct seen {
    char lines[4][32];
    int numbers[4], n, stop_at;
} seen;

static int collect(void *ctx, char *line, int lineno)
{
    seen *s = ctx;
    snprintf(s->lines[s->n], sizeof s->lines[s->n], "%s", line);
    s->numbers[s->n++] = lineno;
    return s->n == s->stop_at ? 7 : 0;
}

static void each_line(void **state)
{
    (void)state;
    char dir[] = "/tmp/hq-file-XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/f", dir);
    hq_err err;
    seen s = {.stop_at = 0};
    assert_int_equal(hq_file_each_line(path, 64, collect, &s, &err), 0); /* missing: no lines */
    assert_int_equal(s.n, 0);
    const char *text = "# comment\nfirst\tline\n\nsecond\nthird"; /* the last without LF */
    assert_int_equal(hq_file_replace(path, text, strlen(text), 0600, &err), 0);
    assert_int_equal(hq_file_each_line(path, 64, collect, &s, &err), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.lines[0], "first\tline");
    assert_string_equal(s.lines[2], "third");
    assert_int_equal(s.numbers[0], 2);
    assert_int_equal(s.numbers[1], 4);
    seen t = {.stop_at = 2};
    assert_int_equal(hq_file_each_line(path, 64, collect, &t, &err), 7); /* fn's value stops it */
    assert_int_equal(t.n, 2);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replace_twice),
        cmocka_unit_test(missing_directory),
        cmocka_unit_test(mkdirs_and_sync_dir),
        cmocka_unit_test(lock_excludes),
        cmocka_unit_test(each_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
