/* archive.c - monthly archive files of the event log (contract in archive.h). */
#include "archive.h"

#include "buf.h"
#include "file.h"
#include "mem.h"
#include "mp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <msgpack.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define ARCHIVE_FORMAT "houqin-archive"
#define MANIFEST_FORMAT "houqin-archive-manifest"
#define ZSTD_LEVEL 6

void hq_archive_dir(const char *state_dir, char *buf, size_t size)
{
    snprintf(buf, size, "%s/archive", state_dir);
}

static void file_path(const char *state_dir, const char *name, const char *ext, char *buf, size_t size)
{
    snprintf(buf, size, "%s/archive/%s%s", state_dir, name, ext);
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* ---- manifests ---- */

static void pack_bin(msgpack_packer *pk, const unsigned char *p, size_t n)
{
    msgpack_pack_bin(pk, n);
    msgpack_pack_bin_body(pk, p, n);
}

static int write_manifest(const char *state_dir, const hq_archive_info *a, hq_err *err)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 13);
    hq_mp_pack_str(&pk, "format"), hq_mp_pack_str(&pk, MANIFEST_FORMAT);
    hq_mp_pack_str(&pk, "version"), msgpack_pack_uint32(&pk, 1);
    hq_mp_pack_str(&pk, "name"), hq_mp_pack_str(&pk, a->name);
    hq_mp_pack_str(&pk, "first_seq"), msgpack_pack_uint64(&pk, a->first_seq);
    hq_mp_pack_str(&pk, "last_seq"), msgpack_pack_uint64(&pk, a->last_seq);
    hq_mp_pack_str(&pk, "events"), msgpack_pack_uint64(&pk, a->events);
    hq_mp_pack_str(&pk, "first_ms"), msgpack_pack_int64(&pk, a->first_ms);
    hq_mp_pack_str(&pk, "last_ms"), msgpack_pack_int64(&pk, a->last_ms);
    hq_mp_pack_str(&pk, "prev_chain"), pack_bin(&pk, a->prev_chain, HQ_CHAIN_BYTES);
    hq_mp_pack_str(&pk, "last_chain"), pack_bin(&pk, a->last_chain, HQ_CHAIN_BYTES);
    hq_mp_pack_str(&pk, "blake2b"), pack_bin(&pk, a->digest, 32);
    hq_mp_pack_str(&pk, "bytes"), msgpack_pack_uint64(&pk, a->bytes);
    hq_mp_pack_str(&pk, "created_ms"), msgpack_pack_int64(&pk, a->created_ms);
    char path[4200];
    file_path(state_dir, a->name, ".manifest", path, sizeof path);
    int rc = hq_file_replace(path, sb.data, sb.size, 0640, err);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static bool get_u64(const msgpack_object *m, const char *k, uint64_t *out)
{
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        const msgpack_object_kv *kv = &m->via.map.ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == strlen(k) &&
            !memcmp(kv->key.via.str.ptr, k, kv->key.via.str.size)) {
            if (kv->val.type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
                *out = kv->val.via.u64;
                return true;
            }
            if (kv->val.type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
                *out = (uint64_t)kv->val.via.i64;
                return true;
            }
            return false;
        }
    }
    return false;
}

static const msgpack_object *get_obj(const msgpack_object *m, const char *k, msgpack_object_type t)
{
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        const msgpack_object_kv *kv = &m->via.map.ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == strlen(k) &&
            !memcmp(kv->key.via.str.ptr, k, kv->key.via.str.size))
            return kv->val.type == t ? &kv->val : NULL;
    }
    return NULL;
}

static bool get_bin(const msgpack_object *m, const char *k, unsigned char *out, size_t n)
{
    const msgpack_object *o = get_obj(m, k, MSGPACK_OBJECT_BIN);
    if (!o || o->via.bin.size != n)
        return false;
    memcpy(out, o->via.bin.ptr, n);
    return true;
}

static int read_file(const char *path, char **buf, size_t *len, size_t max, hq_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return hq_err_set(err, HQ_EIO, "%s: %s", path, strerror(errno));
    char *b = hq_malloc(max);
    size_t n = b ? fread(b, 1, max, f) : 0;
    fclose(f);
    if (!b)
        return hq_err_set(err, HQ_ENOMEM, "out of memory");
    *buf = b;
    *len = n;
    return 0;
}

static int read_manifest(const char *path, hq_archive_info *a, hq_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len, 4096, err);
    if (rc)
        return rc;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    memset(a, 0, sizeof *a);
    uint64_t ver = 0, fm = 0, lm = 0, cm = 0;
    const msgpack_object *fmt, *name;
    bool ok = msgpack_unpack_next(&u, buf, len, NULL) == MSGPACK_UNPACK_SUCCESS &&
              u.data.type == MSGPACK_OBJECT_MAP && (fmt = get_obj(&u.data, "format", MSGPACK_OBJECT_STR)) &&
              fmt->via.str.size == strlen(MANIFEST_FORMAT) &&
              !memcmp(fmt->via.str.ptr, MANIFEST_FORMAT, fmt->via.str.size) && get_u64(&u.data, "version", &ver) &&
              ver == 1 && (name = get_obj(&u.data, "name", MSGPACK_OBJECT_STR)) &&
              name->via.str.size < sizeof a->name && get_u64(&u.data, "first_seq", &a->first_seq) &&
              get_u64(&u.data, "last_seq", &a->last_seq) && get_u64(&u.data, "events", &a->events) &&
              get_u64(&u.data, "first_ms", &fm) && get_u64(&u.data, "last_ms", &lm) &&
              get_u64(&u.data, "created_ms", &cm) && get_u64(&u.data, "bytes", &a->bytes) &&
              get_bin(&u.data, "prev_chain", a->prev_chain, HQ_CHAIN_BYTES) &&
              get_bin(&u.data, "last_chain", a->last_chain, HQ_CHAIN_BYTES) &&
              get_bin(&u.data, "blake2b", a->digest, 32) && a->first_seq >= 1 && a->last_seq >= a->first_seq &&
              a->events == a->last_seq - a->first_seq + 1;
    if (ok) {
        memcpy(a->name, name->via.str.ptr, name->via.str.size);
        a->name[name->via.str.size] = 0;
        a->first_ms = (int64_t)fm;
        a->last_ms = (int64_t)lm;
        a->created_ms = (int64_t)cm;
    }
    msgpack_unpacked_destroy(&u);
    free(buf);
    return ok ? 0 : hq_err_set(err, HQ_EINVAL, "%s: not a readable archive manifest", path);
}

static int cmp_info(const void *a, const void *b)
{
    const hq_archive_info *x = a, *y = b;
    return x->first_seq < y->first_seq ? -1 : x->first_seq > y->first_seq;
}

int hq_archive_list(const char *state_dir, hq_archive_info **out, size_t *n, hq_err *err)
{
    char dir[4200];
    hq_archive_dir(state_dir, dir, sizeof dir);
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : hq_err_set(err, HQ_EIO, "%s: %s", dir, strerror(errno));
    struct dirent *e;
    hq_archive_info *v = NULL;
    size_t cnt = 0, cap = 0;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 10 || strcmp(e->d_name + l - 9, ".manifest") != 0)
            continue;
        if (cnt == cap) {
            cap = cap ? 2 * cap : 16;
            hq_archive_info *g = hq_realloc(v, cap * sizeof *v);
            v = g;
        }
        char path[4500];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if ((rc = read_manifest(path, &v[cnt], err)) == 0)
            cnt++;
    }
    closedir(d);
    if (rc) {
        free(v);
        return rc;
    }
    if (cnt)
        qsort(v, cnt, sizeof *v, cmp_info);
    *out = v;
    *n = cnt;
    return 0;
}

uint64_t hq_archive_bytes(const char *state_dir)
{
    char dir[4200];
    hq_archive_dir(state_dir, dir, sizeof dir);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    uint64_t total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[4500];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            total += (uint64_t)st.st_size;
    }
    closedir(d);
    return total;
}

/* ---- writer ---- */

struct hq_archive_writer {
    char *state_dir;
    hq_archive_info info;
    int fd;
    ZSTD_CCtx *cctx;
    crypto_generichash_state hash; /* over the compressed bytes */
    msgpack_sbuffer sb;            /* one record, packed */
    msgpack_packer pk;
    unsigned char *out;
    size_t out_cap;
    uint64_t next_seq;
    unsigned char chain[HQ_CHAIN_BYTES];
};

static int w_emit(hq_archive_writer *w, const void *p, size_t n, ZSTD_EndDirective end, hq_err *err)
{
    ZSTD_inBuffer in = {p, n, 0};
    for (;;) {
        ZSTD_outBuffer out = {w->out, w->out_cap, 0};
        size_t left = ZSTD_compressStream2(w->cctx, &out, &in, end);
        if (ZSTD_isError(left))
            return hq_err_set(err, HQ_EIO, "archive %s: zstd: %s", w->info.name, ZSTD_getErrorName(left));
        if (out.pos) {
            if (write_all(w->fd, w->out, out.pos) != 0)
                return hq_err_set(err, HQ_EIO, "archive %s: write: %s", w->info.name, strerror(errno));
            crypto_generichash_update(&w->hash, w->out, out.pos);
            w->info.bytes += out.pos;
        }
        if (end == ZSTD_e_end ? left == 0 : in.pos == in.size)
            return 0;
    }
}

static int w_flush_record(hq_archive_writer *w, hq_err *err)
{
    int rc = w_emit(w, w->sb.data, w->sb.size, ZSTD_e_continue, err);
    msgpack_sbuffer_clear(&w->sb);
    return rc;
}

int hq_archive_writer_open(const char *state_dir, const char *name, uint64_t first_seq,
                           const unsigned char prev_chain[HQ_CHAIN_BYTES], hq_archive_writer **out, hq_err *err)
{
    char dir[4200], path[4200];
    hq_archive_dir(state_dir, dir, sizeof dir);
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        return hq_err_set(err, HQ_EIO, "%s: %s", dir, strerror(errno));
    file_path(state_dir, name, ".manifest", path, sizeof path);
    if (access(path, F_OK) == 0)
        return hq_err_set(err, HQ_EEXIST, "%s: exists", path);
    /* An .hqa without a manifest is an interrupted write: nothing refers
     * to it yet. */
    file_path(state_dir, name, ".hqa", path, sizeof path);
    unlink(path);
    file_path(state_dir, name, ".hqa.part", path, sizeof path);
    hq_archive_writer *w = hq_calloc(1, sizeof *w);
    if (!w || !(w->state_dir = hq_strdup(state_dir)) || !(w->cctx = ZSTD_createCCtx()) ||
        !(w->out = hq_malloc(w->out_cap = ZSTD_CStreamOutSize()))) {
        if (w) {
            ZSTD_freeCCtx(w->cctx);
            free(w->state_dir);
        }
        free(w);
        return hq_err_set(err, HQ_ENOMEM, "out of memory");
    }
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (w->fd < 0) {
        int e = errno;
        ZSTD_freeCCtx(w->cctx);
        free(w->out);
        free(w->state_dir);
        free(w);
        return hq_err_set(err, HQ_EIO, "%s: %s", path, strerror(e));
    }
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, ZSTD_LEVEL);
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
    snprintf(w->info.name, sizeof w->info.name, "%s", name);
    w->info.first_seq = first_seq;
    memcpy(w->info.prev_chain, prev_chain, HQ_CHAIN_BYTES);
    memcpy(w->chain, prev_chain, HQ_CHAIN_BYTES);
    w->next_seq = first_seq;
    crypto_generichash_init(&w->hash, NULL, 0, 32);
    msgpack_sbuffer_init(&w->sb);
    msgpack_packer_init(&w->pk, &w->sb, msgpack_sbuffer_write);
    msgpack_pack_map(&w->pk, 5);
    hq_mp_pack_str(&w->pk, "format"), hq_mp_pack_str(&w->pk, ARCHIVE_FORMAT);
    hq_mp_pack_str(&w->pk, "version"), msgpack_pack_uint32(&w->pk, 1);
    hq_mp_pack_str(&w->pk, "month"), hq_mp_pack_str(&w->pk, name);
    hq_mp_pack_str(&w->pk, "first_seq"), msgpack_pack_uint64(&w->pk, first_seq);
    hq_mp_pack_str(&w->pk, "prev_chain"), pack_bin(&w->pk, prev_chain, HQ_CHAIN_BYTES);
    int rc = w_flush_record(w, err);
    if (rc == 0) {
        *out = w;
        w = NULL;
    }
    hq_archive_writer_abort(&w);
    return rc;
}

int hq_archive_writer_add(hq_archive_writer *w, uint64_t seq, int64_t stored_ms, const char *frame, size_t len,
                          hq_err *err)
{
    if (seq != w->next_seq)
        return hq_err_set(err, HQ_ESTATE, "archive %s: event %llu does not follow %llu", w->info.name,
                          (unsigned long long)seq, (unsigned long long)(w->next_seq - 1));
    msgpack_pack_array(&w->pk, 3);
    msgpack_pack_uint64(&w->pk, seq);
    msgpack_pack_int64(&w->pk, stored_ms);
    msgpack_pack_bin(&w->pk, len);
    msgpack_pack_bin_body(&w->pk, frame, len);
    int rc = w_flush_record(w, err);
    if (rc)
        return rc;
    hq_store_chain_next(w->chain, seq, stored_ms, frame, len, w->chain);
    if (w->info.events++ == 0)
        w->info.first_ms = stored_ms;
    w->info.last_ms = stored_ms;
    w->info.last_seq = seq;
    w->next_seq++;
    return 0;
}

uint64_t hq_archive_writer_count(const hq_archive_writer *w)
{
    return w ? w->info.events : 0;
}

static void writer_free(hq_archive_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    ZSTD_freeCCtx(w->cctx);
    msgpack_sbuffer_destroy(&w->sb);
    free(w->out);
    free(w->state_dir);
    free(w);
}

void hq_archive_writer_abort(hq_archive_writer **wp)
{
    hq_archive_writer *w = wp ? *wp : NULL;
    if (!w)
        return;
    char path[4200];
    file_path(w->state_dir, w->info.name, ".hqa.part", path, sizeof path);
    unlink(path);
    writer_free(w);
    *wp = NULL;
}

int hq_archive_writer_finish(hq_archive_writer **wp, int64_t created_ms, hq_archive_info *info, hq_err *err)
{
    hq_archive_writer *w = *wp;
    int rc = 0;
    if (w->info.events == 0)
        rc = hq_err_set(err, HQ_ESTATE, "archive %s: no events", w->info.name);
    if (rc == 0) {
        msgpack_pack_map(&w->pk, 3);
        hq_mp_pack_str(&w->pk, "end"), msgpack_pack_true(&w->pk);
        hq_mp_pack_str(&w->pk, "events"), msgpack_pack_uint64(&w->pk, w->info.events);
        hq_mp_pack_str(&w->pk, "last_chain"), pack_bin(&w->pk, w->chain, HQ_CHAIN_BYTES);
        rc = w_emit(w, w->sb.data, w->sb.size, ZSTD_e_end, err);
    }
    if (rc == 0 && fsync(w->fd) != 0)
        rc = hq_err_set(err, HQ_EIO, "archive %s: fsync: %s", w->info.name, strerror(errno));
    if (rc) {
        hq_archive_writer_abort(wp);
        return rc;
    }
    close(w->fd);
    w->fd = -1;
    crypto_generichash_final(&w->hash, w->info.digest, 32);
    memcpy(w->info.last_chain, w->chain, HQ_CHAIN_BYTES);
    w->info.created_ms = created_ms;
    char part[4200], path[4200], dir[4200];
    file_path(w->state_dir, w->info.name, ".hqa.part", part, sizeof part);
    file_path(w->state_dir, w->info.name, ".hqa", path, sizeof path);
    hq_archive_dir(w->state_dir, dir, sizeof dir);
    if (rename(part, path) != 0) {
        rc = hq_err_set(err, HQ_EIO, "%s: rename: %s", path, strerror(errno));
        unlink(part);
    } else if ((rc = hq_file_sync_dir(dir, err)) == 0 && (rc = write_manifest(w->state_dir, &w->info, err)) == 0) {
        rc = hq_file_sync_dir(dir, err);
    }
    if (rc) {
        /* Not durable as a whole: drop it; the events are still in LMDB. */
        unlink(path);
        file_path(w->state_dir, w->info.name, ".manifest", path, sizeof path);
        unlink(path);
    } else if (info) {
        *info = w->info;
    }
    writer_free(w);
    *wp = NULL;
    return rc;
}

/* ---- reader ---- */

struct hq_archive_reader {
    hq_archive_info info;
    FILE *f;
    ZSTD_DCtx *dctx;
    unsigned char *in;
    size_t in_cap;
    ZSTD_inBuffer inb;
    bool eof;
    msgpack_unpacker up;
    msgpack_unpacked u;
    bool header, ended;
    uint64_t next_seq, count;
    unsigned char chain[HQ_CHAIN_BYTES];
};

static int digest_file(const char *path, unsigned char out[32], uint64_t *bytes, hq_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return hq_err_set(err, HQ_EIO, "%s: %s", path, strerror(errno));
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    unsigned char buf[65536];
    size_t n;
    *bytes = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        crypto_generichash_update(&h, buf, n);
        *bytes += n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return hq_err_set(err, HQ_EIO, "%s: read error", path);
    crypto_generichash_final(&h, out, 32);
    return 0;
}

/* ---- copying (backups) ---- */

static bool same_bytes(const char *path, const char *buf, size_t len)
{
    char *other = NULL;
    size_t olen = 0;
    if (read_file(path, &other, &olen, 4096, NULL) != 0)
        return false;
    bool same = olen == len && !memcmp(other, buf, len);
    free(other);
    return same;
}

/* src -> dst (created or truncated), hashing what was read; fsynced. */
static int copy_hashed(const char *src, const char *dst, unsigned char dg[32], uint64_t *bytes, hq_err *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return hq_err_set(err, HQ_EIO, "%s: %s", src, strerror(errno));
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (out < 0) {
        int e = errno;
        close(in);
        return hq_err_set(err, HQ_EIO, "%s: %s", dst, strerror(e));
    }
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    unsigned char *buf = hq_malloc(1 << 20);
    *bytes = 0;
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, 1 << 20);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = hq_err_set(err, HQ_EIO, "%s: read: %s", src, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        crypto_generichash_update(&h, buf, (size_t)n);
        *bytes += (uint64_t)n;
        if (write_all(out, buf, (size_t)n) != 0) {
            rc = hq_err_set(err, HQ_EIO, "%s: write: %s", dst, strerror(errno));
            break;
        }
    }
    if (rc == 0 && fsync(out) != 0)
        rc = hq_err_set(err, HQ_EIO, "%s: fsync: %s", dst, strerror(errno));
    free(buf);
    close(in);
    if (close(out) != 0 && rc == 0)
        rc = hq_err_set(err, HQ_EIO, "%s: close: %s", dst, strerror(errno));
    crypto_generichash_final(&h, dg, 32);
    return rc;
}

int hq_archive_copy(const char *state_dir, const hq_archive_info *a, const char *dest_dir, bool *copied,
                    hq_err *err)
{
    *copied = false;
    char src[4200], src_man[4200], ddir[4200], dst[4200], dst_man[4200], part[4300];
    file_path(state_dir, a->name, ".hqa", src, sizeof src);
    file_path(state_dir, a->name, ".manifest", src_man, sizeof src_man);
    hq_archive_dir(dest_dir, ddir, sizeof ddir);
    file_path(dest_dir, a->name, ".hqa", dst, sizeof dst);
    file_path(dest_dir, a->name, ".manifest", dst_man, sizeof dst_man);
    snprintf(part, sizeof part, "%s.part", dst);
    char *man = NULL;
    size_t man_len = 0;
    int rc = read_file(src_man, &man, &man_len, 4096, err);
    if (rc)
        return rc;
    /* Already there: the same manifest and a file of its size (an archive
     * never changes once written; verify checks the copy's digest). */
    struct stat sb;
    if (same_bytes(dst_man, man, man_len) && stat(dst, &sb) == 0 && (uint64_t)sb.st_size == a->bytes) {
        free(man);
        return 0;
    }
    if (mkdir(ddir, 0750) != 0 && errno != EEXIST) {
        free(man);
        return hq_err_set(err, HQ_EIO, "%s: %s", ddir, strerror(errno));
    }
    unsigned char dg[32];
    uint64_t bytes = 0;
    if ((rc = copy_hashed(src, part, dg, &bytes, err)) == 0 && (bytes != a->bytes || memcmp(dg, a->digest, 32)))
        rc = hq_err_set(err, HQ_EINVAL,
                        "archive %s.hqa does not match its manifest (%s): not copied; check the state with "
                        "houqinctl verify and restore the file from an earlier backup",
                        a->name, bytes != a->bytes ? "size differs" : "BLAKE2b digest differs");
    /* The copy as written, read back. */
    if (rc == 0 && (rc = digest_file(part, dg, &bytes, err)) == 0 &&
        (bytes != a->bytes || memcmp(dg, a->digest, 32)))
        rc = hq_err_set(err, HQ_EIO, "%s: the copy read back does not match the manifest", part);
    if (rc == 0 && rename(part, dst) != 0)
        rc = hq_err_set(err, HQ_EIO, "%s: rename: %s", dst, strerror(errno));
    if (rc) {
        unlink(part);
        free(man);
        return rc;
    }
    /* The manifest last: an .hqa without one is an unfinished copy. */
    unlink(dst_man);
    rc = hq_file_replace(dst_man, man, man_len, 0640, err);
    free(man);
    if (rc == 0)
        rc = hq_file_sync_dir(ddir, err);
    if (rc == 0)
        *copied = true;
    return rc;
}

int hq_archive_reader_open(const char *state_dir, const hq_archive_info *a, hq_archive_reader **out, hq_err *err)
{
    char path[4200];
    file_path(state_dir, a->name, ".hqa", path, sizeof path);
    unsigned char dg[32];
    uint64_t bytes;
    int rc = digest_file(path, dg, &bytes, err);
    if (rc)
        return rc;
    if (bytes != a->bytes || memcmp(dg, a->digest, 32) != 0)
        return hq_err_set(err, HQ_EINVAL,
                          "archive %s.hqa does not match its manifest (%s): the file was altered or damaged; "
                          "restore it from a backup",
                          a->name, bytes != a->bytes ? "size differs" : "BLAKE2b digest differs");
    hq_archive_reader *r = hq_calloc(1, sizeof *r);
    r->info = *a;
    r->in_cap = ZSTD_DStreamInSize();
    if (!(r->f = fopen(path, "rb")) || !(r->dctx = ZSTD_createDCtx()) || !(r->in = hq_malloc(r->in_cap)) ||
        !msgpack_unpacker_init(&r->up, 1 << 16)) {
        if (r->f)
            fclose(r->f);
        ZSTD_freeDCtx(r->dctx);
        free(r->in);
        free(r);
        return hq_err_set(err, HQ_ENOMEM, "%s: cannot open for reading", path);
    }
    msgpack_unpacked_init(&r->u);
    r->inb = (ZSTD_inBuffer){r->in, 0, 0};
    r->next_seq = a->first_seq;
    memcpy(r->chain, a->prev_chain, HQ_CHAIN_BYTES);
    *out = r;
    return 0;
}

void hq_archive_reader_close(hq_archive_reader **rp)
{
    hq_archive_reader *r = rp ? *rp : NULL;
    if (!r)
        return;
    fclose(r->f);
    ZSTD_freeDCtx(r->dctx);
    free(r->in);
    msgpack_unpacked_destroy(&r->u);
    msgpack_unpacker_destroy(&r->up);
    free(r);
    *rp = NULL;
}

const unsigned char *hq_archive_reader_chain(const hq_archive_reader *r)
{
    return r->chain;
}

/* Decompresses more into the unpacker; 0 at the end of the file. */
static int r_fill(hq_archive_reader *r, hq_err *err)
{
    for (;;) {
        if (r->inb.pos == r->inb.size) {
            if (r->eof)
                return 0;
            size_t n = fread(r->in, 1, r->in_cap, r->f);
            if (n == 0) {
                r->eof = true;
                return 0;
            }
            r->inb = (ZSTD_inBuffer){r->in, n, 0};
        }
        if (!msgpack_unpacker_reserve_buffer(&r->up, 1 << 16))
            return hq_err_set(err, HQ_ENOMEM, "out of memory");
        ZSTD_outBuffer ob = {msgpack_unpacker_buffer(&r->up), msgpack_unpacker_buffer_capacity(&r->up), 0};
        size_t z = ZSTD_decompressStream(r->dctx, &ob, &r->inb);
        if (ZSTD_isError(z))
            return hq_err_set(err, HQ_EINVAL, "archive %s.hqa: zstd: %s", r->info.name, ZSTD_getErrorName(z));
        msgpack_unpacker_buffer_consumed(&r->up, ob.pos);
        if (ob.pos)
            return 1;
    }
}

static int r_bad(hq_archive_reader *r, hq_err *err, const char *what)
{
    return hq_err_set(err, HQ_EINVAL, "archive %s.hqa: %s at event %llu", r->info.name, what,
                      (unsigned long long)r->next_seq);
}

int hq_archive_reader_next(hq_archive_reader *r, uint64_t *seq, int64_t *stored_ms, const char **frame, size_t *len,
                           hq_err *err)
{
    for (;;) {
        if (r->ended)
            return 0;
        msgpack_unpack_return ur = msgpack_unpacker_next(&r->up, &r->u);
        if (ur == MSGPACK_UNPACK_CONTINUE) {
            int rc = r_fill(r, err);
            if (rc < 0)
                return rc;
            if (rc == 0)
                return r_bad(r, err, "truncated (no end record)");
            continue;
        }
        if (ur != MSGPACK_UNPACK_SUCCESS)
            return r_bad(r, err, "malformed record");
        const msgpack_object *o = &r->u.data;
        if (!r->header) {
            uint64_t fs;
            unsigned char pc[HQ_CHAIN_BYTES];
            if (o->type != MSGPACK_OBJECT_MAP || !get_u64(o, "first_seq", &fs) || fs != r->info.first_seq ||
                !get_bin(o, "prev_chain", pc, HQ_CHAIN_BYTES) || memcmp(pc, r->info.prev_chain, HQ_CHAIN_BYTES))
                return r_bad(r, err, "header does not match the manifest");
            r->header = true;
            continue;
        }
        if (o->type == MSGPACK_OBJECT_MAP) {
            uint64_t n;
            unsigned char lc[HQ_CHAIN_BYTES];
            if (!get_u64(o, "events", &n) || n != r->count || r->count != r->info.events ||
                !get_bin(o, "last_chain", lc, HQ_CHAIN_BYTES) || memcmp(lc, r->chain, HQ_CHAIN_BYTES) ||
                memcmp(r->chain, r->info.last_chain, HQ_CHAIN_BYTES))
                return r_bad(r, err, "the end record or the chain does not match the manifest");
            r->ended = true;
            return 0;
        }
        if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 3 ||
            o->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
            (o->via.array.ptr[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER &&
             o->via.array.ptr[1].type != MSGPACK_OBJECT_NEGATIVE_INTEGER) ||
            o->via.array.ptr[2].type != MSGPACK_OBJECT_BIN)
            return r_bad(r, err, "malformed event record");
        if (o->via.array.ptr[0].via.u64 != r->next_seq || r->next_seq > r->info.last_seq)
            return r_bad(r, err, "a gap or an event out of place");
        *seq = r->next_seq++;
        *stored_ms = o->via.array.ptr[1].via.i64;
        *frame = o->via.array.ptr[2].via.bin.ptr;
        *len = o->via.array.ptr[2].via.bin.size;
        hq_store_chain_next(r->chain, *seq, *stored_ms, *frame, *len, r->chain);
        r->count++;
        return 1;
    }
}

/* ---- verify ---- */

int hq_archive_verify(const char *state_dir, hq_store *s, MDB_txn *txn, uint64_t *checked, uint64_t *bad_seq,
                      char *why, size_t whylen, uint64_t *upto, unsigned char upto_chain[HQ_CHAIN_BYTES],
                      hq_err *err)
{
    hq_archive_info *v;
    size_t n;
    *checked = 0;
    *bad_seq = 0;
    *upto = 0;
    memset(upto_chain, 0, HQ_CHAIN_BYTES);
    int rc = hq_archive_list(state_dir, &v, &n, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && !*bad_seq; i++) {
        if (v[i].first_seq != *upto + 1 || memcmp(v[i].prev_chain, upto_chain, HQ_CHAIN_BYTES)) {
            *bad_seq = *upto + 1;
            snprintf(why, whylen, "archive %s does not continue the chain where %s ends", v[i].name,
                     i ? v[i - 1].name : "the log starts");
            break;
        }
        hq_archive_reader *r;
        hq_err e;
        if (hq_archive_reader_open(state_dir, &v[i], &r, &e) != 0) {
            *bad_seq = v[i].first_seq;
            snprintf(why, whylen, "%s", e.msg);
            break;
        }
        uint64_t seq = v[i].first_seq - 1;
        int64_t ms;
        const char *fr;
        size_t len;
        int nr;
        while ((nr = hq_archive_reader_next(r, &seq, &ms, &fr, &len, &e)) == 1) {
            (*checked)++;
            /* What LMDB still holds of the segment must be the same event,
             * with the same chain hash. */
            int64_t lms;
            const char *lfr;
            size_t llen;
            hq_err ge;
            int grc = hq_store_event_get(s, txn, seq, &lms, &lfr, &llen, &ge);
            if (grc == HQ_ENOTFOUND)
                continue;
            unsigned char key[8];
            MDB_val cv;
            hq_be64_put(key, seq);
            if (grc || lms != ms || llen != len || memcmp(lfr, fr, len) != 0 ||
                hq_store_get(s, txn, HQ_DB_CHAIN, key, 8, &cv, &ge) != 0 || cv.mv_size != HQ_CHAIN_BYTES ||
                memcmp(cv.mv_data, hq_archive_reader_chain(r), HQ_CHAIN_BYTES) != 0) {
                *bad_seq = seq;
                snprintf(why, whylen, "the event in LMDB differs from its copy in archive %s (altered)",
                         v[i].name);
                break;
            }
        }
        if (nr < 0) {
            *bad_seq = seq + 1;
            snprintf(why, whylen, "%s", e.msg);
        }
        hq_archive_reader_close(&r);
        *upto = v[i].last_seq;
        memcpy(upto_chain, v[i].last_chain, HQ_CHAIN_BYTES);
    }
    free(v);
    return 0;
}
