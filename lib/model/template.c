#include "template.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct part {
    bool var;
    char *text; /* literal text, or the variable's path */
} part;

struct hq_tmpl {
    char *src;
    part *parts;
    size_t nparts;
};

void hq_tmpl_destroy(hq_tmpl **tp)
{
    if (!tp || !*tp)
        return;
    hq_tmpl *t = *tp;
    for (size_t i = 0; i < t->nparts; i++)
        free(t->parts[i].text);
    free(t->parts);
    free(t->src);
    free(t);
    *tp = NULL;
}

static void add_part(hq_tmpl *t, bool var, const char *s, size_t n)
{
    t->parts = hq_realloc(t->parts, (t->nparts + 1) * sizeof *t->parts);
    t->parts[t->nparts].var = var;
    t->parts[t->nparts].text = hq_strndup(s, n);
    t->nparts++;
}

/* Splits s into parts; returns NULL and fills why on a syntax error. */
static hq_tmpl *parse(const char *s, char *why, size_t whylen, size_t *errpos)
{
    hq_tmpl *t = hq_calloc(1, sizeof *t);
    t->src = hq_strdup(s);
    const char *p = s;
    while (*p) {
        const char *open = strstr(p, "{{");
        if (!open) {
            add_part(t, false, p, strlen(p));
            break;
        }
        if (open > p)
            add_part(t, false, p, (size_t)(open - p));
        const char *close = strstr(open + 2, "}}");
        if (!close) {
            snprintf(why, whylen, "\"{{\" without a closing \"}}\"");
            *errpos = (size_t)(open - s);
            hq_tmpl_destroy(&t);
            return NULL;
        }
        const char *a = open + 2, *b = close;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        if (a == b) {
            snprintf(why, whylen, "empty placeholder \"{{}}\"");
            *errpos = (size_t)(open - s);
            hq_tmpl_destroy(&t);
            return NULL;
        }
        for (const char *q = a; q < b; q++)
            if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '_' ||
                  *q == '.')) {
                snprintf(why, whylen, "placeholder \"%.*s\": use a path like data.site", (int)(b - a), a);
                *errpos = (size_t)(open - s);
                hq_tmpl_destroy(&t);
                return NULL;
            }
        add_part(t, true, a, (size_t)(b - a));
        p = close + 2;
    }
    return t;
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
        if (t->parts[i].var && !check(ctx, t->parts[i].text, why, sizeof why)) {
            hq_ydiag(diags, doc, n, "template placeholder {{%s}}: %s", t->parts[i].text, why);
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

void hq_tmpl_render(const hq_tmpl *t, hq_tmpl_resolve_fn resolve, void *ctx, hq_buf *out)
{
    for (size_t i = 0; i < t->nparts; i++) {
        if (t->parts[i].var)
            resolve(ctx, t->parts[i].text, out);
        else
            hq_buf_puts(out, t->parts[i].text);
    }
}

const char *hq_tmpl_source(const hq_tmpl *t)
{
    return t->src;
}

void hq_tmpl_each_var(const hq_tmpl *t, void (*fn)(void *ctx, const char *path), void *ctx)
{
    for (size_t i = 0; i < t->nparts; i++)
        if (t->parts[i].var)
            fn(ctx, t->parts[i].text);
}
