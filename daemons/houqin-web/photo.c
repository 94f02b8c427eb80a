/* Photos: type by content (JPEG, PNG, WebP magic, never the file name or
 * the declared type), sane dimensions, metadata stripped (EXIF holds the
 * position where the photo was taken):
 *   JPEG  every APPn segment but APP0 (JFIF) and every COM segment dropped
 *   PNG   tEXt, iTXt, zTXt, eXIf and tIME chunks dropped
 *   WebP  EXIF and XMP chunks dropped, VP8X flags and RIFF size fixed
 * then stored content-addressed: MEDIA/ab/cd/<sha256 hex of the cleaned
 * bytes>, written to a temporary file, fsynced, renamed, directory synced.
 * Nothing is decoded beyond the headers: the image data is kept as is. */
#include "web.h"

#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DIM 12000u
#define MAX_PIXELS 60000000ull

static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint32_t le32(const unsigned char *p) { return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]; }
static uint32_t le24(const unsigned char *p) { return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]; }

static int dims_ok(uint32_t w, uint32_t h, hq_err *err)
{
    if (w < 1 || h < 1 || w > MAX_DIM || h > MAX_DIM || (uint64_t)w * h > MAX_PIXELS)
        return hq_err_set(err, HQ_EINVAL, "照片尺寸不合理（%u×%u）", w, h);
    return 0;
}

static int jpeg(const unsigned char *in, size_t len, hq_buf *o, hq_err *err)
{
    bool have_dims = false;
    size_t i = 2;
    hq_buf_append(o, in, 2);
    while (i + 4 <= len) {
        if (in[i] != 0xFF)
            return hq_err_set(err, HQ_EINVAL, "照片文件已损坏（JPEG 段错误）");
        unsigned m = in[i + 1];
        if (m == 0xFF) { /* fill byte */
            i++;
            continue;
        }
        if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) {
            i += 2;
            continue;
        }
        size_t sl = (size_t)in[i + 2] << 8 | in[i + 3];
        if (sl < 2 || i + 2 + sl > len)
            return hq_err_set(err, HQ_EINVAL, "照片文件已损坏（JPEG 段长度）");
        bool sof = (m >= 0xC0 && m <= 0xCF) && m != 0xC4 && m != 0xC8 && m != 0xCC;
        if (sof) {
            if (sl < 7)
                return hq_err_set(err, HQ_EINVAL, "照片文件已损坏（JPEG 帧头）");
            uint32_t h = (uint32_t)in[i + 5] << 8 | in[i + 6], w = (uint32_t)in[i + 7] << 8 | in[i + 8];
            if (dims_ok(w, h, err))
                return HQ_EINVAL;
            have_dims = true;
        }
        bool drop = (m >= 0xE1 && m <= 0xEF) || m == 0xFE;
        if (!drop)
            hq_buf_append(o, in + i, 2 + sl);
        i += 2 + sl;
        if (m == 0xDA) { /* start of scan: the rest is image data */
            hq_buf_append(o, in + i, len - i);
            if (!have_dims)
                return hq_err_set(err, HQ_EINVAL, "照片文件已损坏（JPEG 无帧头）");
            return 0;
        }
    }
    return hq_err_set(err, HQ_EINVAL, "照片文件不完整（JPEG）");
}

static int png(const unsigned char *in, size_t len, hq_buf *o, hq_err *err)
{
    size_t i = 8;
    hq_buf_append(o, in, 8);
    bool first = true;
    while (i + 12 <= len) {
        uint32_t cl = be32(in + i);
        if (cl > len || i + 12 + (size_t)cl > len)
            return hq_err_set(err, HQ_EINVAL, "照片文件已损坏（PNG 块长度）");
        const unsigned char *t = in + i + 4;
        if (first) {
            if (memcmp(t, "IHDR", 4) != 0 || cl != 13)
                return hq_err_set(err, HQ_EINVAL, "照片文件已损坏（PNG 无 IHDR）");
            if (dims_ok(be32(in + i + 8), be32(in + i + 12), err))
                return HQ_EINVAL;
            first = false;
        }
        bool drop = !memcmp(t, "tEXt", 4) || !memcmp(t, "iTXt", 4) || !memcmp(t, "zTXt", 4) ||
                    !memcmp(t, "eXIf", 4) || !memcmp(t, "tIME", 4);
        if (!drop)
            hq_buf_append(o, in + i, 12 + (size_t)cl);
        i += 12 + (size_t)cl;
        if (!memcmp(t, "IEND", 4))
            return 0;
    }
    return hq_err_set(err, HQ_EINVAL, "照片文件不完整（PNG）");
}

static int webp(const unsigned char *in, size_t len, hq_buf *o, hq_err *err)
{
    uint32_t riff = le32(in + 4);
    if ((size_t)riff + 8 > len || riff < 4)
        return hq_err_set(err, HQ_EINVAL, "照片文件不完整（WebP）");
    len = (size_t)riff + 8;
    hq_buf_append(o, in, 12);
    size_t i = 12, vp8x_at = 0;
    bool have_dims = false;
    while (i + 8 <= len) {
        const unsigned char *t = in + i;
        uint32_t cl = le32(in + i + 4);
        size_t padded = (size_t)cl + (cl & 1);
        if (i + 8 + (size_t)cl > len)
            return hq_err_set(err, HQ_EINVAL, "照片文件已损坏（WebP 块长度）");
        if (i + 8 + padded > len)
            padded = cl;
        const unsigned char *d = in + i + 8;
        if (!memcmp(t, "VP8X", 4) && cl >= 10) {
            if (dims_ok(le24(d + 4) + 1, le24(d + 7) + 1, err))
                return HQ_EINVAL;
            have_dims = true;
            vp8x_at = o->len;
        } else if (!memcmp(t, "VP8 ", 4) && cl >= 10 && !have_dims) {
            if (d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a)
                return hq_err_set(err, HQ_EINVAL, "照片文件已损坏（WebP VP8）");
            if (dims_ok(((uint32_t)d[6] | (uint32_t)d[7] << 8) & 0x3fff, ((uint32_t)d[8] | (uint32_t)d[9] << 8) & 0x3fff,
                        err))
                return HQ_EINVAL;
            have_dims = true;
        } else if (!memcmp(t, "VP8L", 4) && cl >= 5 && !have_dims) {
            if (d[0] != 0x2f)
                return hq_err_set(err, HQ_EINVAL, "照片文件已损坏（WebP VP8L）");
            uint32_t b = le32(d + 1);
            if (dims_ok((b & 0x3fff) + 1, ((b >> 14) & 0x3fff) + 1, err))
                return HQ_EINVAL;
            have_dims = true;
        }
        bool drop = !memcmp(t, "EXIF", 4) || !memcmp(t, "XMP ", 4);
        if (!drop)
            hq_buf_append(o, in + i, 8 + padded);
        i += 8 + padded;
    }
    if (!have_dims)
        return hq_err_set(err, HQ_EINVAL, "照片文件已损坏（WebP 无图像）");
    if (vp8x_at)
        ((unsigned char *)o->data)[vp8x_at + 8] &= (unsigned char)~0x0C; /* EXIF and XMP flags */
    uint32_t nr = (uint32_t)(o->len - 8);
    unsigned char *p = (unsigned char *)o->data + 4;
    p[0] = nr & 0xff;
    p[1] = (nr >> 8) & 0xff;
    p[2] = (nr >> 16) & 0xff;
    p[3] = (nr >> 24) & 0xff;
    return 0;
}

int web_photo_clean(const unsigned char *in, size_t len, unsigned char **out, size_t *out_len, const char **kind,
                    hq_err *err)
{
    if (len > WEB_MAX_PHOTO)
        return hq_err_set(err, HQ_EINVAL, "照片太大（最大 5 MB）");
    hq_buf o;
    hq_buf_init(&o);
    int rc;
    if (len >= 4 && in[0] == 0xFF && in[1] == 0xD8 && in[2] == 0xFF) {
        *kind = "jpeg";
        rc = jpeg(in, len, &o, err);
    } else if (len >= 8 && !memcmp(in, "\x89PNG\r\n\x1a\n", 8)) {
        *kind = "png";
        rc = png(in, len, &o, err);
    } else if (len >= 20 && !memcmp(in, "RIFF", 4) && !memcmp(in + 8, "WEBP", 4)) {
        *kind = "webp";
        rc = webp(in, len, &o, err);
    } else {
        rc = hq_err_set(err, HQ_EINVAL, "只能上传 JPEG、PNG 或 WebP 格式的照片");
    }
    if (rc) {
        hq_buf_fini(&o);
        return rc;
    }
    *out_len = o.len;
    *out = (unsigned char *)hq_buf_steal(&o);
    return 0;
}

int web_photo_store(const char *media_dir, const unsigned char *in, size_t len, char hash[65], hq_err *err)
{
    unsigned char *clean;
    size_t cl;
    const char *kind;
    int rc = web_photo_clean(in, len, &clean, &cl, &kind, err);
    if (rc)
        return rc;
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, clean, cl);
    sodium_bin2hex(hash, 65, h, sizeof h);
    char dir[4200], path[4300], tmp[4400];
    snprintf(dir, sizeof dir, "%s/%.2s/%.2s", media_dir, hash, hash + 2);
    snprintf(path, sizeof path, "%s/%s", dir, hash);
    struct stat st;
    if (stat(path, &st) == 0 && (size_t)st.st_size == cl) {
        free(clean);
        return 0; /* content-addressed: already there */
    }
    if (hq_file_mkdirs(dir, 0770, err) != 0) {
        free(clean);
        return HQ_EIO;
    }
    snprintf(tmp, sizeof tmp, "%s/.tmp-%s-%08x", dir, hash, randombytes_random());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        free(clean);
        return hq_err_set(err, HQ_EIO, "%s: %s", tmp, strerror(errno));
    }
    size_t off = 0;
    while (off < cl) {
        ssize_t n = write(fd, clean + off, cl - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    free(clean);
    if (off != cl || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return hq_err_set(err, HQ_EIO, "%s: %s", tmp, strerror(e));
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return hq_err_set(err, HQ_EIO, "%s: %s", path, strerror(e));
    }
    hq_file_sync_dir(dir, NULL);
    return 0;
}
