/* media.c - houqinctl backup's copy of houqin-web's photos (media.h). */
#include "media.h"

#include "file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return s[n] == '\0';
}

static int fail(char *msg, size_t size, const char *path, int e)
{
    snprintf(msg, size, "%s: %s", path, strerror(e));
    return -1;
}

/* Copies src to tmp, hashing what it writes; 0 or an errno. */
static int copy_hashed(const char *src, const char *tmp, unsigned char h[crypto_hash_sha256_BYTES], uint64_t *bytes)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return errno;
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (out < 0) {
        int e = errno;
        close(in);
        return e;
    }
    crypto_hash_sha256_state hs;
    crypto_hash_sha256_init(&hs);
    unsigned char buf[65536];
    int e = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            e = n < 0 ? errno : 0;
            break;
        }
        crypto_hash_sha256_update(&hs, buf, (size_t)n);
        *bytes += (uint64_t)n;
        for (ssize_t off = 0; off < n && !e;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno != EINTR)
                e = errno;
            off += w > 0 ? w : 0;
        }
        if (e)
            break;
    }
    crypto_hash_sha256_final(&hs, h);
    if (!e && fsync(out) != 0)
        e = errno;
    if (close(out) != 0 && !e)
        e = errno;
    close(in);
    return e;
}

/* One photo: DIR/NAME into DDIR/NAME. */
static int copy_one(const char *dir, const char *ddir, const char *name, ctl_media_stats *st, char *msg, size_t size)
{
    char src[4400], dst[4400], tmp[4500];
    snprintf(src, sizeof src, "%s/%s", dir, name);
    snprintf(dst, sizeof dst, "%s/%s", ddir, name);
    struct stat ss, ds;
    if (stat(src, &ss) != 0)
        return fail(msg, size, src, errno);
    if (stat(dst, &ds) == 0 && ds.st_size == ss.st_size) {
        st->kept++;
        return 0;
    }
    hq_err err = {0};
    if (hq_file_mkdirs(ddir, 0750, &err) != 0) {
        snprintf(msg, size, "%s", err.msg);
        return -1;
    }
    snprintf(tmp, sizeof tmp, "%s/.tmp-%s", ddir, name);
    unsigned char h[crypto_hash_sha256_BYTES];
    uint64_t bytes = 0;
    int e = copy_hashed(src, tmp, h, &bytes);
    if (e) {
        unlink(tmp);
        return fail(msg, size, src, e);
    }
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    if (strcmp(hex, name) != 0) {
        unlink(tmp);
        if (st->damaged++ == 0)
            snprintf(msg, size, "%s: its bytes do not match its name (SHA-256 %s): not copied", src, hex);
        return 0;
    }
    if (rename(tmp, dst) != 0) {
        e = errno;
        unlink(tmp);
        return fail(msg, size, dst, e);
    }
    hq_file_sync_dir(ddir, NULL);
    st->copied++;
    st->bytes += bytes;
    return 0;
}

/* Calls each(name) for the entries of dir whose name is n hex digits
 * (with n == 64, the ones that also begin with prefix). */
static int each_hex(const char *dir, size_t n, const char *prefix,
                    int (*each)(void *ctx, const char *name), void *ctx, char *msg, size_t size)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : fail(msg, size, dir, errno);
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)))
        if (all_hex(de->d_name, n) && (!prefix || !strncmp(de->d_name, prefix, strlen(prefix))))
            rc = each(ctx, de->d_name);
    closedir(d);
    return rc;
}

typedef struct walk {
    const char *src, *dest;
    char l1[3], l2[3];
    ctl_media_stats *st;
    char *msg;
    size_t size;
} walk;

static int on_file(void *ctx, const char *name)
{
    walk *w = ctx;
    char dir[4200], ddir[4200];
    snprintf(dir, sizeof dir, "%s/%s/%s", w->src, w->l1, w->l2);
    snprintf(ddir, sizeof ddir, "%s/media/%s/%s", w->dest, w->l1, w->l2);
    return copy_one(dir, ddir, name, w->st, w->msg, w->size);
}

static int on_l2(void *ctx, const char *name)
{
    walk *w = ctx;
    char dir[4200], prefix[5];
    memcpy(w->l2, name, 3);
    snprintf(dir, sizeof dir, "%s/%s/%s", w->src, w->l1, w->l2);
    snprintf(prefix, sizeof prefix, "%s%s", w->l1, w->l2);
    return each_hex(dir, 64, prefix, on_file, w, w->msg, w->size);
}

static int on_l1(void *ctx, const char *name)
{
    walk *w = ctx;
    char dir[4200];
    memcpy(w->l1, name, 3);
    snprintf(dir, sizeof dir, "%s/%s", w->src, w->l1);
    return each_hex(dir, 2, NULL, on_l2, w, w->msg, w->size);
}

int ctl_media_copy(const char *media_dir, const char *dest, ctl_media_stats *st, char *msg, size_t size)
{
    memset(st, 0, sizeof *st);
    msg[0] = '\0';
    if (sodium_init() < 0) {
        snprintf(msg, size, "libsodium did not initialise");
        return -1;
    }
    walk w = {.src = media_dir, .dest = dest, .st = st, .msg = msg, .size = size};
    int rc = each_hex(media_dir, 2, NULL, on_l1, &w, msg, size);
    return rc;
}
