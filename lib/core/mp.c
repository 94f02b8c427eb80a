#include "mp.h"

#include "mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const hq_mp_limits hq_mp_default_limits = {
    .max_depth = 10,
    .max_objects = 65536,
    .allow_bin_ext = false,
};

/* Reads a big-endian unsigned of n bytes at p. */
static uint64_t rd_be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* msgpack-c's unpacker has a fixed stack of MSGPACK_EMBED_STACK_SIZE (32)
 * containers and fails a deeper frame with NOMEM: never let a frame through
 * the prescan that the library would then refuse as "out of memory". */
#ifdef MSGPACK_EMBED_STACK_SIZE
#define PRESCAN_MAX_STACK MSGPACK_EMBED_STACK_SIZE
#else
#define PRESCAN_MAX_STACK 32
#endif

/* The formats from 0xc0 to 0xdf by what follows the format byte; the
 * others (fixint, fixmap, fixarray, fixstr) carry their value or length in
 * the byte itself. */
enum {
    F_NIL_BOOL, /* nothing */
    F_RESERVED, /* 0xc1, never valid */
    F_FIXED,    /* n payload bytes: int, uint, float */
    F_FIXEXT,   /* a type byte and n data bytes */
    F_BIN,      /* a length of n bytes, then the data */
    F_STR,
    F_EXT,      /* a length of n bytes, a type byte, then the data */
    F_ARRAY,    /* a count of n bytes, then the elements */
    F_MAP,      /* a count of n bytes, then twice as many objects */
};

#define FMT(b) [(b) - 0xc0]
static const struct {
    unsigned char kind, n;
} formats[32] = {
    FMT(0xc0) = {F_NIL_BOOL, 0}, FMT(0xc1) = {F_RESERVED, 0}, FMT(0xc2) = {F_NIL_BOOL, 0},
    FMT(0xc3) = {F_NIL_BOOL, 0}, FMT(0xc4) = {F_BIN, 1},      FMT(0xc5) = {F_BIN, 2},
    FMT(0xc6) = {F_BIN, 4},      FMT(0xc7) = {F_EXT, 1},      FMT(0xc8) = {F_EXT, 2},
    FMT(0xc9) = {F_EXT, 4},      FMT(0xca) = {F_FIXED, 4},    FMT(0xcb) = {F_FIXED, 8},
    FMT(0xcc) = {F_FIXED, 1},    FMT(0xcd) = {F_FIXED, 2},    FMT(0xce) = {F_FIXED, 4},
    FMT(0xcf) = {F_FIXED, 8},    FMT(0xd0) = {F_FIXED, 1},    FMT(0xd1) = {F_FIXED, 2},
    FMT(0xd2) = {F_FIXED, 4},    FMT(0xd3) = {F_FIXED, 8},    FMT(0xd4) = {F_FIXEXT, 1},
    FMT(0xd5) = {F_FIXEXT, 2},   FMT(0xd6) = {F_FIXEXT, 4},   FMT(0xd7) = {F_FIXEXT, 8},
    FMT(0xd8) = {F_FIXEXT, 16},  FMT(0xd9) = {F_STR, 1},      FMT(0xda) = {F_STR, 2},
    FMT(0xdb) = {F_STR, 4},      FMT(0xdc) = {F_ARRAY, 2},    FMT(0xdd) = {F_ARRAY, 4},
    FMT(0xde) = {F_MAP, 2},      FMT(0xdf) = {F_MAP, 4},
};
#undef FMT

/* What an object's header declares: payload bytes to skip, or for a
 * container the objects inside it. */
typedef struct {
    uint64_t skip;
    uint64_t children;
    bool container;
} mp_head;

/* Reads the header of the object at p[*pos] (*pos < len) and moves *pos
 * past it; the payload is the caller's to check and skip. */
static int read_head(const unsigned char *p, size_t len, size_t *pos, const hq_mp_limits *lim, mp_head *h,
                     hq_err *err)
{
    size_t at = (*pos)++; /* the format byte */
    unsigned char b = p[at];
    *h = (mp_head){0};
    if (b <= 0x7f || b >= 0xe0) /* fixint */
        return 0;
    if (b <= 0x9f) { /* fixmap, fixarray */
        h->container = true;
        h->children = b <= 0x8f ? (uint64_t)(b & 0x0f) * 2 : b & 0x0f;
        return 0;
    }
    if (b <= 0xbf) { /* fixstr */
        h->skip = b & 0x1f;
        return 0;
    }
    unsigned kind = formats[b - 0xc0].kind, n = formats[b - 0xc0].n;
    switch (kind) {
    case F_NIL_BOOL: return 0;
    case F_RESERVED: return hq_err_set(err, HQ_EINVAL, "malformed msgpack: reserved byte 0x%02x at byte %zu", b, at);
    case F_FIXED: h->skip = n; return 0;
    case F_FIXEXT:
        if (!lim->allow_bin_ext)
            return hq_err_set(err, HQ_EINVAL, "msgpack ext type not accepted at byte %zu", at);
        h->skip = 1 + (uint64_t)n;
        return 0;
    }
    /* A length or count of n bytes (and an ext's type byte) follows. */
    if (len - *pos < n + (kind == F_EXT))
        return hq_err_set(err, HQ_EINVAL, "malformed msgpack: truncated at byte %zu", *pos);
    if ((kind == F_BIN || kind == F_EXT) && !lim->allow_bin_ext)
        return hq_err_set(err, HQ_EINVAL, "msgpack %s type not accepted at byte %zu", kind == F_BIN ? "bin" : "ext",
                          at);
    uint64_t v = rd_be(p + *pos, (int)n);
    *pos += n;
    if (kind == F_ARRAY || kind == F_MAP) {
        h->container = true;
        h->children = kind == F_MAP ? 2 * v : v;
    } else {
        h->skip = kind == F_EXT ? v + 1 : v;
    }
    return 0;
}

int hq_mp_prescan(const char *buf, size_t len, const hq_mp_limits *lim, hq_err *err)
{
    const unsigned char *p = (const unsigned char *)buf;
    size_t pos = 0;
    /* stack[i]: objects still expected in the container at depth i+1 */
    uint64_t stack[PRESCAN_MAX_STACK];
    unsigned depth = 0;
    unsigned objects = 0;
    unsigned max_depth = lim->max_depth < PRESCAN_MAX_STACK ? lim->max_depth : PRESCAN_MAX_STACK;
    bool root_done = false;

    if (len == 0)
        return hq_err_set(err, HQ_EINVAL, "malformed msgpack: empty message");
    while (!root_done) {
        if (pos >= len)
            return hq_err_set(err, HQ_EINVAL, "malformed msgpack: truncated at byte %zu", pos);
        if (++objects > lim->max_objects)
            return hq_err_set(err, HQ_EINVAL, "message has more than %u objects", lim->max_objects);
        mp_head h;
        int rc = read_head(p, len, &pos, lim, &h, err);
        if (rc)
            return rc;
        size_t left = len - pos;
        if (h.skip > left)
            return hq_err_set(err, HQ_EINVAL, "malformed msgpack: truncated at byte %zu", len);
        pos += (size_t)h.skip;
        left -= (size_t)h.skip;
        if (h.container) {
            /* An empty container is a level too: the limit is on how deep
             * containers nest, not on where the data ends. */
            if (depth + 1 > max_depth)
                return hq_err_set(err, HQ_EINVAL, "nesting deeper than %u levels", max_depth);
            /* Every child takes at least one byte: a count larger than
             * what is left can only be a lie (and would make msgpack-c
             * allocate for it). */
            if (h.children > left)
                return hq_err_set(err, HQ_EINVAL,
                                  "malformed msgpack: container declares %llu objects but %zu bytes are left",
                                  (unsigned long long)h.children, left);
            if (h.children > 0) {
                stack[depth++] = h.children;
                continue;
            }
        }
        /* The object is complete: pop finished containers. */
        for (;;) {
            if (depth == 0) {
                root_done = true;
                break;
            }
            if (--stack[depth - 1] > 0)
                break;
            depth--;
        }
    }
    if (pos != len)
        return hq_err_set(err, HQ_EINVAL, "malformed msgpack: %zu trailing byte%s after the message", len - pos,
                          len - pos == 1 ? "" : "s");
    return 0;
}

bool hq_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= len)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

size_t hq_utf8_prefix(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    /* Back up over continuation bytes to the start of the cut character. */
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    return n;
}

size_t hq_utf8_whole(const char *s, size_t len)
{
    size_t i = len;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
        i--;
    if (i == 0 || ((unsigned char)s[i - 1] & 0xc0) != 0xc0)
        return len;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    return len - (i - 1) < need ? i - 1 : len;
}

static int kv_cmp(const void *a, const void *b)
{
    const msgpack_object_kv *x = *(const msgpack_object_kv *const *)a;
    const msgpack_object_kv *y = *(const msgpack_object_kv *const *)b;
    uint32_t lx = x->key.via.str.size, ly = y->key.via.str.size;
    /* msgpack-c gives an empty string a NULL pointer: no memcmp on it. */
    int c = lx && ly ? memcmp(x->key.via.str.ptr, y->key.via.str.ptr, lx < ly ? lx : ly) : 0;
    if (c)
        return c;
    return lx < ly ? -1 : lx > ly;
}

static int check_obj(const msgpack_object *o, hq_err *err)
{
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        if (!hq_utf8_valid(o->via.str.ptr, o->via.str.size))
            return hq_err_set(err, HQ_EINVAL, "string is not valid UTF-8");
        return 0;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        if (!isfinite(o->via.f64))
            return hq_err_set(err, HQ_EINVAL, "number is NaN or infinite");
        return 0;
    case MSGPACK_OBJECT_ARRAY:
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            int rc = check_obj(&o->via.array.ptr[i], err);
            if (rc)
                return rc;
        }
        return 0;
    case MSGPACK_OBJECT_MAP: {
        uint32_t n = o->via.map.size;
        for (uint32_t i = 0; i < n; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR)
                return hq_err_set(err, HQ_EINVAL, "map key is not a string");
            int rc = check_obj(&kv->key, err);
            if (!rc)
                rc = check_obj(&kv->val, err);
            if (rc)
                return rc;
        }
        if (n <= 16) {
            for (uint32_t i = 0; i < n; i++)
                for (uint32_t j = i + 1; j < n; j++) {
                    const msgpack_object_str *a = &o->via.map.ptr[i].key.via.str;
                    const msgpack_object_str *b = &o->via.map.ptr[j].key.via.str;
                    if (a->size == b->size && (a->size == 0 || memcmp(a->ptr, b->ptr, a->size) == 0))
                        return hq_err_set(err, HQ_EINVAL, "duplicate map key \"%.*s\"", (int)a->size, a->ptr);
                }
        } else {
            const msgpack_object_kv **idx = hq_malloc(n * sizeof *idx);
            for (uint32_t i = 0; i < n; i++)
                idx[i] = &o->via.map.ptr[i];
            qsort(idx, n, sizeof *idx, kv_cmp);
            for (uint32_t i = 1; i < n; i++)
                if (kv_cmp(&idx[i - 1], &idx[i]) == 0) {
                    const msgpack_object_str *a = &idx[i]->key.via.str;
                    hq_err_set(err, HQ_EINVAL, "duplicate map key \"%.*s\"", (int)a->size, a->ptr);
                    free(idx);
                    return HQ_EINVAL;
                }
            free(idx);
        }
        return 0;
    }
    default:
        return 0;
    }
}

int hq_mp_decode(const char *buf, size_t len, const hq_mp_limits *lim, msgpack_zone *zone,
                 msgpack_object *out, hq_err *err)
{
    int rc = hq_mp_prescan(buf, len, lim, err);
    if (rc)
        return rc;
    size_t off = 0;
    msgpack_unpack_return ur = msgpack_unpack(buf, len, &off, zone, out);
    if (ur == MSGPACK_UNPACK_NOMEM_ERROR)
        return hq_err_set(err, HQ_ENOMEM, "out of memory decoding msgpack");
    if (ur != MSGPACK_UNPACK_SUCCESS || off != len)
        return hq_err_set(err, HQ_EINVAL, "malformed msgpack");
    return check_obj(out, err);
}

const msgpack_object *hq_mp_map_getn(const msgpack_object *map, const char *key, size_t klen)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen &&
            (klen == 0 || memcmp(k->via.str.ptr, key, klen) == 0))
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

const msgpack_object *hq_mp_map_get(const msgpack_object *map, const char *key)
{
    return hq_mp_map_getn(map, key, strlen(key));
}

const msgpack_object *hq_mp_path(const msgpack_object *root, const char *path)
{
    const msgpack_object *o = root;
    const char *p = path;
    while (o && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        const char *sel = memchr(p, '[', n);
        if (sel && p[n - 1] == ']') {
            /* "items[result=fail]": the first item whose result is "fail". */
            if (sel > p)
                o = o->type == MSGPACK_OBJECT_MAP ? hq_mp_map_getn(o, p, (size_t)(sel - p)) : NULL;
            const char *eq = memchr(sel, '=', (size_t)(p + n - sel));
            if (!o || o->type != MSGPACK_OBJECT_ARRAY || !eq)
                return NULL;
            const msgpack_object *hit = NULL;
            size_t vn = (size_t)(p + n - 1 - (eq + 1));
            for (uint32_t i = 0; !hit && i < o->via.array.size; i++) {
                const msgpack_object *it = &o->via.array.ptr[i];
                const msgpack_object *v = it->type == MSGPACK_OBJECT_MAP
                                              ? hq_mp_map_getn(it, sel + 1, (size_t)(eq - sel - 1))
                                              : NULL;
                if (v && v->type == MSGPACK_OBJECT_STR && v->via.str.size == vn &&
                    (vn == 0 || memcmp(v->via.str.ptr, eq + 1, vn) == 0))
                    hit = it;
            }
            o = hit;
        } else if (o->type == MSGPACK_OBJECT_MAP) {
            o = hq_mp_map_getn(o, p, n);
        } else if (o->type == MSGPACK_OBJECT_ARRAY) {
            /* Plain decimal digits only: strtoul would also take " 1",
             * "+1" and "-1" (as ULONG_MAX). */
            uint64_t i = 0;
            if (n == 0 || n > 10)
                return NULL;
            for (size_t k = 0; k < n; k++) {
                if (p[k] < '0' || p[k] > '9')
                    return NULL;
                i = i * 10 + (uint64_t)(p[k] - '0');
            }
            if (i >= o->via.array.size)
                return NULL;
            o = &o->via.array.ptr[i];
        } else {
            return NULL;
        }
        p += n;
        if (*p == '.')
            p++;
    }
    return o;
}

bool hq_mp_str_eq(const msgpack_object *o, const char *s)
{
    size_t n = strlen(s);
    return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == n && (n == 0 || memcmp(o->via.str.ptr, s, n) == 0);
}

bool hq_mp_number(const msgpack_object *o, double *out)
{
    if (!o)
        return false;
    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER: *out = (double)o->via.u64; return true;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: *out = (double)o->via.i64; return true;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: *out = o->via.f64; return true;
    default: return false;
    }
}

bool hq_mp_int64(const msgpack_object *o, int64_t *out)
{
    if (!o)
        return false;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)o->via.u64;
        return true;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *out = o->via.i64;
        return true;
    }
    return false;
}

char *hq_mp_strdup(const msgpack_object *o)
{
    if (!o || o->type != MSGPACK_OBJECT_STR)
        return NULL;
    char *s = hq_malloc(o->via.str.size + 1);
    if (o->via.str.size) /* an empty string's ptr may be NULL */
        memcpy(s, o->via.str.ptr, o->via.str.size);
    s[o->via.str.size] = '\0';
    return s;
}

void hq_mp_pack_strn(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

void hq_mp_pack_str(msgpack_packer *pk, const char *s)
{
    if (s)
        hq_mp_pack_strn(pk, s, strlen(s));
    else
        msgpack_pack_nil(pk);
}

void hq_mp_pack_kv(msgpack_packer *pk, const char *k, const char *v)
{
    hq_mp_pack_str(pk, k);
    hq_mp_pack_str(pk, v);
}

void hq_mp_pack_ku64(msgpack_packer *pk, const char *k, uint64_t v)
{
    hq_mp_pack_str(pk, k);
    msgpack_pack_uint64(pk, v);
}

void hq_mp_pack_ki64(msgpack_packer *pk, const char *k, int64_t v)
{
    hq_mp_pack_str(pk, k);
    msgpack_pack_int64(pk, v);
}

void hq_mp_pack_kbool(msgpack_packer *pk, const char *k, bool v)
{
    hq_mp_pack_str(pk, k);
    if (v)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
}
