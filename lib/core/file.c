/* Small files replaced whole (file.h). */
#include "file.h"

#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int hq_file_replace(const char *path, const void *data, size_t len, unsigned mode, hq_err *err)
{
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return hq_err_set(err, HQ_EIO, "%s: path too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
    if (fd < 0)
        return hq_err_set(err, HQ_EIO, "%s: %s", tmp, strerror(errno));
    const char *p = data;
    size_t left = len;
    int bad = 0;
    while (left && !bad) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            bad = 1;
        else {
            p += n;
            left -= (size_t)n;
        }
    }
    bad = bad || fsync(fd) != 0;
    int e = errno;
    bad |= close(fd) != 0;
    if (bad || rename(tmp, path) != 0) {
        e = bad ? e : errno;
        unlink(tmp);
        return hq_err_set(err, HQ_EIO, "%s: %s", path, strerror(e));
    }
    /* the rename is durable once the directory is synced */
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    hq_file_sync_dir(dir[0] ? dir : "/", NULL);
    return 0;
}

int hq_file_sync_dir(const char *dir, hq_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hq_err_set(err, HQ_EIO, "%s: %s", dir, strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    return rc ? hq_err_set(err, HQ_EIO, "%s: fsync: %s", dir, strerror(e)) : 0;
}

int hq_file_mkdirs(const char *path, unsigned mode, hq_err *err)
{
    char buf[4200];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, (mode_t)mode) == 0) {
            char *slash = strrchr(buf, '/');
            if (slash && slash != buf) {
                *slash = '\0';
                hq_file_sync_dir(buf, NULL);
                *slash = '/';
            }
        } else if (errno != EEXIST) {
            return hq_err_set(err, HQ_EIO, "%s: %s", buf, strerror(errno));
        }
        *p = c;
        if (!c)
            return 0;
    }
}

int hq_file_lock(const char *path, hq_err *err)
{
    char lp[4200];
    snprintf(lp, sizeof lp, "%s.lock", path);
    int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return hq_err_set(err, HQ_EIO, "%s: %s", lp, strerror(errno));
    if (flock(fd, LOCK_EX) != 0) {
        int e = errno;
        close(fd);
        return hq_err_set(err, HQ_EIO, "%s: %s", lp, strerror(e));
    }
    return fd;
}

int hq_file_each_line(const char *path, size_t size, int (*fn)(void *ctx, char *line, int lineno), void *ctx,
                      hq_err *err)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? 0 : hq_err_set(err, HQ_EIO, "%s: %s", path, strerror(errno));
    char *line = hq_malloc(size);
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, (int)size, f)) {
        lineno++;
        size_t l = strlen(line);
        if (l && line[l - 1] == '\n')
            line[--l] = '\0';
        if (l && line[0] != '#')
            rc = fn(ctx, line, lineno);
    }
    free(line);
    fclose(f);
    return rc;
}

void hq_file_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the flock */
}
