#include "json.h"

#include "mem.h"
#include "ytree.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void hq_json_str(hq_buf *b, const char *s, size_t len)
{
    hq_buf_reserve(b, len + 2);
    hq_buf_putc(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': hq_buf_puts(b, "\\\""); break;
        case '\\': hq_buf_puts(b, "\\\\"); break;
        case '\n': hq_buf_puts(b, "\\n"); break;
        case '\r': hq_buf_puts(b, "\\r"); break;
        case '\t': hq_buf_puts(b, "\\t"); break;
        default:
            if (c < 0x20 || c == 0x7f) {
                hq_buf_printf(b, "\\u%04x", c);
            } else if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
                       (unsigned char)s[i + 1] <= 0x9f) {
                /* C1 controls (NEL among them), like LS, PS, U+FFFE and
                 * U+FFFF below: characters YAML (which reads our JSON back)
                 * refuses or folds, so escaped to survive a round trip. */
                hq_buf_printf(b, "\\u%04x", (unsigned char)s[i + 1]);
                i += 1;
            } else if (c == 0xef && i + 2 < len && (unsigned char)s[i + 1] == 0xbf &&
                       ((unsigned char)s[i + 2] == 0xbe || (unsigned char)s[i + 2] == 0xbf)) {
                hq_buf_puts(b, (unsigned char)s[i + 2] == 0xbe ? "\\ufffe" : "\\uffff");
                i += 2;
            } else if (c == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
                       ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
                hq_buf_puts(b, (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
                i += 2;
            } else {
                hq_buf_putc(b, (char)c);
            }
        }
    }
    hq_buf_putc(b, '"');
}

void hq_json_from_mp(hq_buf *b, const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: hq_buf_puts(b, "null"); break;
    case MSGPACK_OBJECT_BOOLEAN: hq_buf_puts(b, o->via.boolean ? "true" : "false"); break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER: hq_buf_printf(b, "%" PRIu64, o->via.u64); break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: hq_buf_printf(b, "%" PRId64, o->via.i64); break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: hq_buf_printf(b, "%.17g", o->via.f64); break;
    case MSGPACK_OBJECT_STR: hq_json_str(b, o->via.str.ptr, o->via.str.size); break;
    case MSGPACK_OBJECT_ARRAY:
        hq_buf_putc(b, '[');
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if (i)
                hq_buf_putc(b, ',');
            hq_json_from_mp(b, &o->via.array.ptr[i]);
        }
        hq_buf_putc(b, ']');
        break;
    case MSGPACK_OBJECT_MAP:
        hq_buf_putc(b, '{');
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            if (i)
                hq_buf_putc(b, ',');
            const msgpack_object *k = &o->via.map.ptr[i].key;
            if (k->type == MSGPACK_OBJECT_STR)
                hq_json_str(b, k->via.str.ptr, k->via.str.size);
            else
                hq_buf_puts(b, "\"?\"");
            hq_buf_putc(b, ':');
            hq_json_from_mp(b, &o->via.map.ptr[i].val);
        }
        hq_buf_putc(b, '}');
        break;
    default: hq_buf_puts(b, "null"); break;
    }
}

/* A decimal number by its form (what strtod reads whole), whatever its
 * size. */
static bool looks_numeric(const char *s)
{
    char *end;
    if (!*s || strpbrk(s, "xXnNiI"))
        return false;
    (void)strtod(s, &end);
    return *end == '\0';
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* JSON writes characters beyond U+FFFF as a pair of \u escapes (UTF-16
 * surrogates: Python's json.dumps does by default); YAML, whose reader
 * parses our JSON, takes only \U00010000 forms.  Rewrites each pair inside
 * a string as its UTF-8 bytes; a lone surrogate is left for the reader to
 * refuse.  Returns a new text (the caller frees it), or NULL when out of
 * memory. */
static char *join_surrogates(const char *text, size_t len, size_t *out_len)
{
    char *out = hq_malloc(len + 1);
    size_t o = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (!in_str) {
            in_str = c == '"';
            out[o++] = c;
            continue;
        }
        if (c == '"') {
            in_str = false;
            out[o++] = c;
            continue;
        }
        if (c != '\\' || i + 1 >= len) {
            out[o++] = c;
            continue;
        }
        int hi = i + 6 <= len && text[i + 1] == 'u' ? hex4(text + i + 2) : -1;
        int lo = hi >= 0xd800 && hi <= 0xdbff && i + 12 <= len && text[i + 6] == '\\' && text[i + 7] == 'u'
                     ? hex4(text + i + 8)
                     : -1;
        if (lo >= 0xdc00 && lo <= 0xdfff) {
            unsigned cp = 0x10000 + (((unsigned)hi - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
            out[o++] = (char)(0xf0 | (cp >> 18));
            out[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
            out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            out[o++] = (char)(0x80 | (cp & 0x3f));
            i += 11;
            continue;
        }
        out[o++] = c; /* any other escape: copied, with the character it escapes */
        out[o++] = text[++i];
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

static bool has_u_escape(const char *text, size_t len)
{
    for (const char *p = text, *end = text + len; (p = memchr(p, '\\', (size_t)(end - p))) && p + 1 < end; p += 2)
        if (p[1] == 'u')
            return true;
    return false;
}

static int pack_node(const hq_ynode *n, msgpack_packer *pk, const char *name, hq_err *err)
{
    switch (n->type) {
    case HQ_Y_SCALAR: {
        int64_t iv;
        double dv;
        if (n->quoted) {
            msgpack_pack_str(pk, n->len);
            msgpack_pack_str_body(pk, n->str, n->len);
        } else if (strcmp(n->str, "null") == 0 || strcmp(n->str, "~") == 0) {
            msgpack_pack_nil(pk);
        } else if (strcmp(n->str, "true") == 0) {
            msgpack_pack_true(pk);
        } else if (strcmp(n->str, "false") == 0) {
            msgpack_pack_false(pk);
        } else if (hq_parse_int64(n->str, &iv)) {
            msgpack_pack_int64(pk, iv);
        } else if (hq_parse_double(n->str, &dv)) {
            msgpack_pack_double(pk, dv);
        } else if (looks_numeric(n->str)) {
            return hq_err_setpos(err, HQ_EINVAL, name, n->line, n->column,
                                 "number %s is out of range (beyond about 1.8e308)", n->str);
        } else {
            return hq_err_setpos(err, HQ_EINVAL, name, n->line, n->column,
                                 "unquoted value \"%s\": strings must be in double quotes", n->str);
        }
        return 0;
    }
    case HQ_Y_SEQ:
        msgpack_pack_array(pk, n->len);
        for (size_t i = 0; i < n->len; i++) {
            int rc = pack_node(n->kids[i], pk, name, err);
            if (rc)
                return rc;
        }
        return 0;
    case HQ_Y_MAP:
        msgpack_pack_map(pk, n->len);
        for (size_t i = 0; i < n->len; i++) {
            const hq_ynode *k = hq_ymap_key(n, i);
            msgpack_pack_str(pk, k->len);
            msgpack_pack_str_body(pk, k->str, k->len);
            int rc = pack_node(hq_ymap_val(n, i), pk, name, err);
            if (rc)
                return rc;
        }
        return 0;
    }
    return 0;
}

int hq_json_to_mp(const char *name, const char *text, size_t len, msgpack_packer *pk, hq_err *err)
{
    hq_ydoc *doc = NULL;
    size_t jl = len;
    char *joined = NULL;
    if (has_u_escape(text, len)) { /* only text with \u escapes can hold surrogate pairs */
        if (!(joined = join_surrogates(text, len, &jl)))
            return hq_err_set(err, HQ_ENOMEM, "%s: out of memory", name);
    }
    int rc = hq_ydoc_load_buf(name, joined ? joined : text, jl, NULL, &doc, err);
    free(joined);
    if (rc)
        return rc;
    if (!doc->root) {
        hq_ydoc_destroy(&doc);
        return hq_err_setpos(err, HQ_EINVAL, name, 1, 1, "empty input");
    }
    rc = pack_node(doc->root, pk, name, err);
    hq_ydoc_destroy(&doc);
    return rc;
}

void hq_json_key(hq_buf *b, const char *k, bool first)
{
    if (!first)
        hq_buf_putc(b, ',');
    hq_json_cstr(b, k);
    hq_buf_putc(b, ':');
}

void hq_json_kstr(hq_buf *b, const char *k, const char *v)
{
    hq_json_key(b, k, false);
    if (v)
        hq_json_cstr(b, v);
    else
        hq_buf_puts(b, "null");
}

void hq_json_kint(hq_buf *b, const char *k, int64_t v)
{
    hq_json_key(b, k, false);
    hq_buf_printf(b, "%lld", (long long)v);
}

void hq_json_kbool(hq_buf *b, const char *k, bool v)
{
    hq_json_key(b, k, false);
    hq_buf_puts(b, v ? "true" : "false");
}

void hq_json_kms(hq_buf *b, const char *k, int64_t ms)
{
    if (ms)
        hq_json_kint(b, k, ms);
    else
        hq_json_kstr(b, k, NULL);
}
