#include "template.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { P_LIT, P_VAR, P_IF, P_END } pkind;

/* Formats of a variable, {{path|name}}. */
typedef enum { F_NONE, F_YUAN, F_UNIT } pfmt;

typedef struct part {
    pkind kind;
    char *text;  /* literal text, or the variable's (the section's) path */
    size_t end;  /* P_IF: the index of its P_END */
    pfmt fmt;    /* P_VAR */
    char *want;  /* P_IF: {{?path=want}}, the text the value must be; NULL: any value */
} part;

struct hq_tmpl {
    char *src;
    part *parts;
    size_t nparts;
};

void hq_tmpl_destroy(hq_tmpl **tp)
{
    hq_tmpl *t = tp ? *tp : NULL;
    if (!t)
        return;
    for (size_t i = 0; i < t->nparts; i++) {
        free(t->parts[i].text);
        free(t->parts[i].want);
    }
    free(t->parts);
    free(t->src);
    free(t);
    *tp = NULL;
}

static void add_part(hq_tmpl *t, pkind kind, const char *s, size_t n)
{
    t->parts = hq_realloc(t->parts, (t->nparts + 1) * sizeof *t->parts);
    t->parts[t->nparts].kind = kind;
    t->parts[t->nparts].text = hq_strndup(s, n);
    t->parts[t->nparts].end = 0;
    t->parts[t->nparts].fmt = F_NONE;
    t->parts[t->nparts].want = NULL;
    t->nparts++;
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* A path: names and indexes joined by dots ("data.items.0.code"); a name
 * may carry one selector "[field=value]" ("data.items[result=fail].code":
 * the first item whose field is value). */
static bool valid_path(const char *a, const char *b)
{
    if (a == b)
        return false;
    for (const char *q = a; q < b;) {
        if (name_char(*q) || *q == '.') {
            q++;
            continue;
        }
        if (*q != '[' || q == a || q[-1] == '.')
            return false;
        const char *f = ++q;
        while (q < b && name_char(*q))
            q++;
        if (q == f || q >= b || *q != '=')
            return false;
        const char *v = ++q;
        while (q < b && (name_char(*q) || *q == '-'))
            q++;
        if (q == v || q >= b || *q != ']')
            return false;
        q++;
        if (q < b && *q != '.')
            return false;
    }
    return true;
}

/* In a section's placeholder [pa, b), {{?path=value}} (shown when the
 * value is that text): the "=", or NULL.  The "=" of a selector
 * [field=value] is the path's. */
static const char *section_value(const char *pa, const char *b)
{
    bool in_sel = false;
    for (const char *q = pa; q < b; q++) {
        if (*q == '[' || *q == ']')
            in_sel = *q == '[';
        else if (*q == '=' && !in_sel)
            return q;
    }
    return NULL;
}

/* A section's value [v, b): not empty; letters, digits, _ - and . */
static bool value_ok(const char *v, const char *b)
{
    bool ok = v < b;
    for (const char *q = v; q < b; q++)
        ok = ok && (name_char(*q) || *q == '-' || *q == '.');
    return ok;
}

/* The formats of {{path|format}}. */
static const struct {
    const char *name;
    pfmt fmt;
} formats[] = {{"yuan", F_YUAN}, {"unit", F_UNIT}};

/* The format named [f, f + len) into *fmt; false when there is none. */
static bool format_of(const char *f, size_t len, pfmt *fmt)
{
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        if (strlen(formats[i].name) == len && !memcmp(f, formats[i].name, len)) {
            *fmt = formats[i].fmt;
            return true;
        }
    return false;
}

/* Splits s into parts; returns NULL and fills why on a syntax error. */
static hq_tmpl *parse(const char *s, char *why, size_t whylen, size_t *errpos)
{
    hq_tmpl *t = hq_calloc(1, sizeof *t);
    t->src = hq_strdup(s);
    const char *p = s;
    size_t open_if = (size_t)-1; /* the open section's part, if any */
    const char *if_at = NULL;
    while (*p) {
        const char *open = strstr(p, "{{");
        if (!open) {
            add_part(t, P_LIT, p, strlen(p));
            break;
        }
        if (open > p)
            add_part(t, P_LIT, p, (size_t)(open - p));
        const char *close = strstr(open + 2, "}}");
        *errpos = (size_t)(open - s);
        if (!close) {
            snprintf(why, whylen, "\"{{\" without a closing \"}}\"");
            goto fail;
        }
        const char *a = open + 2, *b = close;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        if (a == b) {
            snprintf(why, whylen, "empty placeholder \"{{}}\"");
            goto fail;
        }
        if (b - a == 2 && a[0] == '/' && a[1] == '?') { /* {{/?}} ends a section */
            if (open_if == (size_t)-1) {
                snprintf(why, whylen, "\"{{/?}}\" without a \"{{?path}}\" before it");
                goto fail;
            }
            t->parts[open_if].end = t->nparts;
            add_part(t, P_END, "", 0);
            open_if = (size_t)-1;
            p = close + 2;
            continue;
        }
        pkind kind = P_VAR;
        const char *pa = a, *pb = b;
        pfmt fmt = F_NONE;
        if (*a == '?') { /* {{?path}} starts a section */
            kind = P_IF;
            pa = a + 1;
        }
        const char *want = kind == P_IF ? section_value(pa, b) : NULL;
        if (want) {
            if (!value_ok(want + 1, b)) {
                snprintf(why, whylen, "placeholder \"%.*s\": use {{?path}} or {{?path=value}}", (int)(b - a), a);
                goto fail;
            }
            pb = want;
        }
        const char *bar = memchr(pa, '|', (size_t)(b - pa));
        if (bar && kind == P_VAR && valid_path(pa, bar)) {
            if (!format_of(bar + 1, (size_t)(b - bar - 1), &fmt)) {
                snprintf(why, whylen, "placeholder \"%.*s\": unknown format \"%.*s\" (formats: yuan, unit)",
                         (int)(b - a), a, (int)(b - bar - 1), bar + 1);
                goto fail;
            }
            pb = bar;
        }
        if (!valid_path(pa, pb)) {
            snprintf(why, whylen, "placeholder \"%.*s\": use a path like data.site", (int)(b - a), a);
            goto fail;
        }
        if (kind == P_IF) {
            if (open_if != (size_t)-1) {
                snprintf(why, whylen, "\"{{?%.*s}}\" inside another section: sections do not nest",
                         (int)(b - pa), pa);
                goto fail;
            }
            open_if = t->nparts;
            if_at = open;
        }
        add_part(t, kind, pa, (size_t)(pb - pa));
        t->parts[t->nparts - 1].fmt = fmt;
        if (want)
            t->parts[t->nparts - 1].want = hq_strndup(want + 1, (size_t)(b - want - 1));
        p = close + 2;
    }
    if (open_if != (size_t)-1) {
        *errpos = (size_t)(if_at - s);
        snprintf(why, whylen, "\"{{?%s}}\" without a closing \"{{/?}}\"", t->parts[open_if].text);
        goto fail;
    }
    return t;
fail:
    hq_tmpl_destroy(&t);
    return NULL;
}

hq_tmpl *hq_tmpl_compile(const hq_ydoc *doc, const hq_ynode *n, hq_tmpl_check_fn check, void *ctx,
                         hq_diags *diags)
{
    if (!n || n->type != HQ_Y_SCALAR) {
        hq_ydiag(diags, doc, n, "expected a text template");
        return NULL;
    }
    char why[256];
    size_t pos = 0;
    hq_tmpl *t = parse(n->str, why, sizeof why, &pos);
    if (!t) {
        hq_ydiag(diags, doc, n, "template: %s", why);
        return NULL;
    }
    bool ok = true;
    for (size_t i = 0; check && i < t->nparts; i++) {
        pkind k = t->parts[i].kind;
        if ((k == P_VAR || k == P_IF) && !check(ctx, t->parts[i].text, why, sizeof why)) {
            hq_ydiag(diags, doc, n, "template placeholder {{%s%s}}: %s", k == P_IF ? "?" : "", t->parts[i].text,
                     why);
            ok = false;
        }
    }
    if (!ok)
        hq_tmpl_destroy(&t);
    return t;
}

hq_tmpl *hq_tmpl_compile_str(const char *s, hq_err *err)
{
    char why[256];
    size_t pos = 0;
    hq_tmpl *t = parse(s, why, sizeof why, &pos);
    if (!t)
        hq_err_set(err, HQ_EINVAL, "template at byte %zu: %s", pos, why);
    return t;
}

/* A section is shown when its path has a value that is neither empty nor
 * false, or, with want, a value that is exactly that text. */
static bool has_value(const char *path, const char *want, hq_tmpl_resolve_fn resolve, void *ctx)
{
    hq_buf v;
    hq_buf_init(&v);
    bool found = resolve(ctx, path, &v);
    bool shown = want ? found && v.len == strlen(want) && memcmp(v.data ? v.data : "", want, v.len) == 0
                      : found && v.len > 0 && !(v.len == 5 && memcmp(v.data, "false", 5) == 0);
    hq_buf_fini(&v);
    return shown;
}

/* Appends the value v formatted as fmt: yuan writes a whole number of fen
 * as yuan with two decimals (1250 -> 12.50); unit writes the unit C as ℃.
 * Other values are written as they are. */
static void put_formatted(pfmt fmt, const hq_buf *v, hq_buf *out)
{
    const char *s = v->data ? v->data : "";
    if (fmt == F_YUAN) {
        const char *d = s + (*s == '-');
        bool digits = *d != '\0' && strlen(d) <= 18;
        for (const char *q = d; digits && *q; q++)
            digits = *q >= '0' && *q <= '9';
        if (digits) {
            long long fen = strtoll(d, NULL, 10);
            hq_buf_printf(out, "%s%lld.%02lld", d != s ? "-" : "", fen / 100, fen % 100);
            return;
        }
    } else if (fmt == F_UNIT && strcmp(s, "C") == 0) {
        hq_buf_puts(out, "℃");
        return;
    }
    hq_buf_append(out, s, v->len);
}

void hq_tmpl_render(const hq_tmpl *t, hq_tmpl_resolve_fn resolve, void *ctx, hq_buf *out)
{
    hq_tmpl_render_tested(t, resolve, resolve, ctx, out);
}

void hq_tmpl_render_tested(const hq_tmpl *t, hq_tmpl_resolve_fn resolve, hq_tmpl_resolve_fn test, void *ctx,
                           hq_buf *out)
{
    for (size_t i = 0; i < t->nparts; i++) {
        switch (t->parts[i].kind) {
        case P_VAR:
            if (t->parts[i].fmt == F_NONE) {
                resolve(ctx, t->parts[i].text, out);
            } else {
                hq_buf v;
                hq_buf_init(&v);
                if (resolve(ctx, t->parts[i].text, &v))
                    put_formatted(t->parts[i].fmt, &v, out);
                hq_buf_fini(&v);
            }
            break;
        case P_LIT: hq_buf_puts(out, t->parts[i].text); break;
        case P_IF:
            if (!has_value(t->parts[i].text, t->parts[i].want, test, ctx))
                i = t->parts[i].end;
            break;
        case P_END: break;
        }
    }
}

const char *hq_tmpl_source(const hq_tmpl *t)
{
    return t->src;
}

void hq_tmpl_each_var(const hq_tmpl *t, void (*fn)(void *ctx, const char *path), void *ctx)
{
    for (size_t i = 0; i < t->nparts; i++)
        if (t->parts[i].kind == P_VAR || t->parts[i].kind == P_IF)
            fn(ctx, t->parts[i].text);
}
