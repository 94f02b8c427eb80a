/* Form bodies: application/x-www-form-urlencoded and multipart/form-data
 * (RFC 7578), parsed from a complete, size-capped body.  Pure functions:
 * no I/O, every length checked; tests/fuzz/fuzz_web_form.c runs them on
 * hostile input.  Field names and text values must be UTF-8 (checked by
 * the pages that use them); file parts keep their bytes. */
#define _GNU_SOURCE
#include "web.h"

#include "mem.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void web_form_fini(web_form *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].name);
        free(f->v[i].value);
        free(f->v[i].filename);
        free(f->v[i].ctype);
    }
    free(f->v);
    f->v = NULL;
    f->n = 0;
}

static int add(web_form *f, char *name, char *value, size_t vlen, char *filename, char *ctype, hq_err *err)
{
    if (f->n >= WEB_FORM_MAX_FIELDS) {
        free(name);
        free(value);
        free(filename);
        free(ctype);
        return hq_err_set(err, HQ_EINVAL, "more than %d form fields", WEB_FORM_MAX_FIELDS);
    }
    web_field *nv = hq_realloc(f->v, (f->n + 1) * sizeof *f->v);
    f->v = nv;
    f->v[f->n++] = (web_field){name, value, vlen, filename, ctype};
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX and '+' into a new NUL-terminated string. */
static char *urldecode(const char *s, size_t n, size_t *out_len, hq_err *err)
{
    char *o = hq_malloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+')
            o[k++] = ' ';
        else if (s[i] == '%') {
            int h, l;
            if (i + 2 >= n || (h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0) {
                free(o);
                hq_err_set(err, HQ_EINVAL, "bad %%-escape");
                return NULL;
            }
            o[k++] = (char)(h * 16 + l);
            i += 2;
        } else
            o[k++] = s[i];
    }
    o[k] = '\0';
    *out_len = k;
    return o;
}

int web_form_parse_urlencoded(const char *body, size_t len, web_form *f, hq_err *err)
{
    memset(f, 0, sizeof *f);
    size_t i = 0;
    while (i < len) {
        const char *amp = memchr(body + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - body) : len;
        if (end > i) {
            const char *eq = memchr(body + i, '=', end - i);
            size_t nl = eq ? (size_t)(eq - body) - i : end - i;
            size_t kl, vl = 0;
            char *k = urldecode(body + i, nl, &kl, err);
            char *v = k ? (eq ? urldecode(eq + 1, end - (size_t)(eq + 1 - body), &vl, err) : hq_strdup("")) : NULL;
            if (!k || !v || memchr(k, '\0', kl)) {
                free(k);
                free(v);
                web_form_fini(f);
                if (k && v)
                    return hq_err_set(err, HQ_EINVAL, "NUL in a field name");
                return HQ_EINVAL;
            }
            if (add(f, k, v, vl, NULL, NULL, err) != 0) {
                web_form_fini(f);
                return HQ_EINVAL;
            }
        }
        i = end + 1;
    }
    return 0;
}

static const char *memmem_s(const char *h, size_t hl, const char *n, size_t nl)
{
    if (nl == 0 || hl < nl)
        return NULL;
    return memmem(h, hl, n, nl);
}

/* The value of param (name= or filename=) in a Content-Disposition or
 * Content-Type header line; quoted or not.  NULL when absent. */
static char *header_param(const char *h, size_t hl, const char *param)
{
    size_t pl = strlen(param);
    for (size_t i = 0; i + pl < hl; i++) {
        if ((i == 0 || h[i - 1] == ' ' || h[i - 1] == ';' || h[i - 1] == '\t') && strncasecmp(h + i, param, pl) == 0 &&
            h[i + pl] == '=') {
            const char *v = h + i + pl + 1;
            size_t rest = hl - (i + pl + 1), vl = 0;
            if (rest && *v == '"') {
                v++;
                rest--;
                while (vl < rest && v[vl] != '"')
                    vl++;
                if (vl == rest)
                    return NULL; /* unterminated quote */
            } else {
                while (vl < rest && v[vl] != ';' && v[vl] != ' ' && v[vl] != '\t')
                    vl++;
            }
            char *o = hq_malloc(vl + 1);
            memcpy(o, v, vl);
            o[vl] = '\0';
            return o;
        }
    }
    return NULL;
}

int web_form_parse_multipart(const char *body, size_t len, const char *ctype, web_form *f, hq_err *err)
{
    memset(f, 0, sizeof *f);
    if (!ctype)
        return hq_err_set(err, HQ_EINVAL, "no Content-Type");
    char *bnd = header_param(ctype, strlen(ctype), "boundary");
    if (!bnd || !bnd[0] || strlen(bnd) > 70) {
        free(bnd);
        return hq_err_set(err, HQ_EINVAL, "multipart without a valid boundary");
    }
    char delim[80];
    int dl = snprintf(delim, sizeof delim, "--%s", bnd);
    free(bnd);
    /* The first delimiter (at the start, or after a preamble line). */
    const char *p = memmem_s(body, len, delim, (size_t)dl);
    if (!p)
        return hq_err_set(err, HQ_EINVAL, "multipart: no boundary in the body");
    const char *end = body + len;
    for (;;) {
        p += dl;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return 0; /* closing delimiter */
        /* rest of the delimiter line */
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
            web_form_fini(f);
            return hq_err_set(err, HQ_EINVAL, "multipart: malformed delimiter line");
        }
        p += 2;
        const char *hend = memmem_s(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (!hend) {
            web_form_fini(f);
            return hq_err_set(err, HQ_EINVAL, "multipart: part headers not terminated");
        }
        char *name = NULL, *filename = NULL, *pct = NULL;
        const char *h = p;
        while (h < hend) {
            const char *eol = memmem_s(h, (size_t)(hend - h), "\r\n", 2);
            size_t hl = eol ? (size_t)(eol - h) : (size_t)(hend - h);
            if (hl > 20 && strncasecmp(h, "Content-Disposition:", 20) == 0) {
                free(name);
                free(filename);
                name = header_param(h + 20, hl - 20, "name");
                filename = header_param(h + 20, hl - 20, "filename");
            } else if (hl > 13 && strncasecmp(h, "Content-Type:", 13) == 0) {
                const char *v = h + 13;
                size_t vl = hl - 13;
                while (vl && (*v == ' ' || *v == '\t')) {
                    v++;
                    vl--;
                }
                free(pct);
                pct = hq_strndup(v, vl);
            }
            h += hl + 2;
        }
        const char *data = hend + 4;
        /* The part ends at CRLF + delimiter. */
        char nd[84];
        int ndl = snprintf(nd, sizeof nd, "\r\n%s", delim);
        const char *next = memmem_s(data, (size_t)(end - data), nd, (size_t)ndl);
        if (!next || !name) {
            free(name);
            free(filename);
            free(pct);
            web_form_fini(f);
            return hq_err_set(err, HQ_EINVAL, next ? "multipart: part without a name" : "multipart: truncated part");
        }
        size_t vl = (size_t)(next - data);
        char *v = hq_malloc(vl + 1);
        memcpy(v, data, vl);
        v[vl] = '\0';
        if (add(f, name, v, vl, filename, pct, err) != 0) {
            web_form_fini(f);
            return HQ_EINVAL;
        }
        p = next + 2;
    }
}

int web_form_parse(const char *body, size_t len, const char *ctype, web_form *f, hq_err *err)
{
    memset(f, 0, sizeof *f);
    if (ctype && strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0)
        return web_form_parse_urlencoded(body, len, f, err);
    if (ctype && strncasecmp(ctype, "multipart/form-data", 19) == 0)
        return web_form_parse_multipart(body, len, ctype, f, err);
    return hq_err_set(err, HQ_EINVAL, "expected a form (application/x-www-form-urlencoded or multipart/form-data)");
}

const web_field *web_form_field(const web_form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].name, name) == 0)
            return &f->v[i];
    return NULL;
}

const char *web_form_get(const web_form *f, const char *name)
{
    const web_field *x = web_form_field(f, name);
    return x ? x->value : NULL;
}
