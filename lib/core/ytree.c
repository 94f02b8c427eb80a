#include "ytree.h"

#include "mem.h"

#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

const hq_ylimits hq_ydefault_limits = {
    .max_bytes = 1u << 20,
    .max_depth = 64,
    .max_nodes = 200000,
};

static void node_free(hq_ynode *n)
{
    if (!n)
        return;
    size_t k = n->type == HQ_Y_MAP ? 2 * n->len : n->type == HQ_Y_SEQ ? n->len : 0;
    for (size_t i = 0; i < k; i++)
        node_free(n->kids[i]);
    free(n->kids);
    free(n->str);
    free(n);
}

void hq_ydoc_destroy(hq_ydoc **docp)
{
    hq_ydoc *doc = docp ? *docp : NULL;
    if (!doc)
        return;
    node_free(doc->root);
    free(doc->file);
    free(doc);
    *docp = NULL;
}

typedef struct frame {
    hq_ynode *node;
    size_t nkids; /* nodes in kids so far (map: keys and values) */
    size_t cap;
} frame;

typedef struct builder {
    const char *name;
    const unsigned char *buf; /* the input, for positions of reader errors */
    size_t len;
    const hq_ylimits *lim;
    size_t nodes;
    frame *stack;
    unsigned depth;
    hq_ynode *root;
    hq_err *err;
} builder;

static hq_ynode *node_new(builder *b, hq_ytype t, const yaml_mark_t *m)
{
    if (++b->nodes > b->lim->max_nodes) {
        hq_err_setpos(b->err, HQ_ELIMIT, b->name, (int)m->line + 1, (int)m->column + 1,
                      "document has more than %zu nodes", b->lim->max_nodes);
        return NULL;
    }
    hq_ynode *n = hq_calloc(1, sizeof *n);
    n->type = t;
    n->line = (int)m->line + 1;
    n->column = (int)m->column + 1;
    return n;
}

static int str_cmp_nodes(const void *a, const void *b)
{
    const hq_ynode *x = *(const hq_ynode *const *)a, *y = *(const hq_ynode *const *)b;
    int c = strcmp(x->str, y->str);
    if (c)
        return c;
    return (x->line - y->line) ? x->line - y->line : x->column - y->column;
}

/* Refuses duplicate keys in a finished map; reports the later one. */
static int check_dup_keys(builder *b, hq_ynode *map)
{
    size_t n = map->len;
    const hq_ynode *dup = NULL, *first = NULL;
    if (n <= 32) {
        for (size_t i = 1; i < n && !dup; i++)
            for (size_t j = 0; j < i; j++)
                if (strcmp(map->kids[2 * i]->str, map->kids[2 * j]->str) == 0) {
                    dup = map->kids[2 * i];
                    first = map->kids[2 * j];
                    break;
                }
    } else {
        hq_ynode **keys = hq_malloc(n * sizeof *keys);
        for (size_t i = 0; i < n; i++)
            keys[i] = map->kids[2 * i];
        qsort(keys, n, sizeof *keys, str_cmp_nodes);
        /* Sorted by name then position: the first of a run is the original.
         * Report the duplicate that comes first in the file. */
        for (size_t i = 1; i < n; i++) {
            /* keys[i] is the second of its run: keys[i - 1] is the original. */
            bool second = strcmp(keys[i]->str, keys[i - 1]->str) == 0 &&
                          (i == 1 || strcmp(keys[i - 1]->str, keys[i - 2]->str) != 0);
            if (second && (!dup || keys[i]->line < dup->line ||
                           (keys[i]->line == dup->line && keys[i]->column < dup->column))) {
                dup = keys[i];
                first = keys[i - 1];
            }
        }
        free(keys);
    }
    if (dup)
        return hq_err_setpos(b->err, HQ_EINVAL, b->name, dup->line, dup->column,
                             "duplicate key \"%s\" (first at %d:%d)", dup->str, first->line, first->column);
    return 0;
}

/* Attaches n to the open container (or makes it the root). */
static int attach(builder *b, hq_ynode *n)
{
    if (b->depth == 0) {
        if (b->root) {
            node_free(n);
            return hq_err_set(b->err, HQ_EINVAL, "more than one root node");
        }
        b->root = n;
        return 0;
    }
    frame *f = &b->stack[b->depth - 1];
    if (f->node->type == HQ_Y_MAP && f->nkids % 2 == 0) {
        /* n is a key */
        if (n->type != HQ_Y_SCALAR) {
            /* key: {{data.site}} is a flow mapping inside a flow mapping to YAML */
            hq_err_setpos(b->err, HQ_EINVAL, b->name, n->line, n->column, "a mapping key must be a plain value%s",
                          n->type == HQ_Y_MAP
                              ? " (a value that starts with { is a mapping to YAML: quote a template, "
                                "key: \"{{data.site}}\")"
                              : "");
            node_free(n);
            return HQ_EINVAL;
        }
        if (strcmp(n->str, "<<") == 0 && !n->quoted) {
            hq_err_setpos(b->err, HQ_EINVAL, b->name, n->line, n->column,
                          "merge keys (<<) are not supported: write the keys out");
            node_free(n);
            return HQ_EINVAL;
        }
    }
    if (f->nkids == f->cap) {
        size_t ncap = f->cap ? f->cap * 2 : 4;
        hq_ynode **k = hq_realloc(f->node->kids, ncap * sizeof *k);
        f->node->kids = k;
        f->cap = ncap;
    }
    f->node->kids[f->nkids++] = n;
    f->node->len = f->node->type == HQ_Y_MAP ? f->nkids / 2 : f->nkids;
    return 0;
}

static int refuse_props(builder *b, const yaml_mark_t *m, const yaml_char_t *anchor, const yaml_char_t *tag,
                        int implicit)
{
    if (anchor)
        return hq_err_setpos(b->err, HQ_EINVAL, b->name, (int)m->line + 1, (int)m->column + 1,
                             "anchors (&%s) are not supported: write the value out", (const char *)anchor);
    if (tag && !implicit) {
        /* Show a core tag the way it was written: !!str, not tag:yaml.org,2002:str. */
        static const char core[] = "tag:yaml.org,2002:";
        const char *t = (const char *)tag;
        bool is_core = strncmp(t, core, sizeof core - 1) == 0;
        return hq_err_setpos(b->err, HQ_EINVAL, b->name, (int)m->line + 1, (int)m->column + 1,
                             "tags (%s%s) are not supported", is_core ? "!!" : "",
                             is_core ? t + sizeof core - 1 : t);
    }
    return 0;
}

/* libyaml's reader errors (bad UTF-8, control characters) carry a byte
 * offset, not a mark: turn it into a line and a column counted in
 * characters, as the marks are. */
static void offset_to_pos(const builder *b, size_t off, int *line, int *column)
{
    int l = 1, c = 1;
    if (off > b->len)
        off = b->len;
    for (size_t i = 0; i < off; i++) {
        if (b->buf[i] == '\n') {
            l++;
            c = 1;
        } else if ((b->buf[i] & 0xc0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *column = c;
}

static int syntax_error(builder *b, const yaml_parser_t *parser)
{
    int line = (int)parser->problem_mark.line + 1, column = (int)parser->problem_mark.column + 1;
    if (parser->error == YAML_READER_ERROR) {
        offset_to_pos(b, parser->problem_offset, &line, &column);
        if (parser->problem_value >= 0)
            return hq_err_setpos(b->err, HQ_EINVAL, b->name, line, column, "yaml syntax: %s (0x%02x)",
                                 parser->problem ? parser->problem : "error", (unsigned)parser->problem_value);
    }
    if (parser->context && (parser->context_mark.line != parser->problem_mark.line ||
                            parser->context_mark.column != parser->problem_mark.column))
        return hq_err_setpos(b->err, HQ_EINVAL, b->name, line, column, "yaml syntax: %s %s (started at %d:%d)",
                             parser->problem ? parser->problem : "error", parser->context,
                             (int)parser->context_mark.line + 1, (int)parser->context_mark.column + 1);
    return hq_err_setpos(b->err, HQ_EINVAL, b->name, line, column, "yaml syntax: %s%s%s",
                         parser->problem ? parser->problem : "error", parser->context ? " " : "",
                         parser->context ? parser->context : "");
}

static int build(builder *b, yaml_parser_t *parser)
{
    yaml_event_t ev;
    int docs = 0;
    for (;;) {
        if (!yaml_parser_parse(parser, &ev))
            return syntax_error(b, parser);
        int rc = 0;
        const yaml_mark_t *m = &ev.start_mark;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            yaml_event_delete(&ev);
            return 0;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1)
                rc = hq_err_setpos(b->err, HQ_EINVAL, b->name, (int)m->line + 1, (int)m->column + 1,
                                   "only one document per file");
            break;
        case YAML_ALIAS_EVENT:
            rc = hq_err_setpos(b->err, HQ_EINVAL, b->name, (int)m->line + 1, (int)m->column + 1,
                               "aliases (*%s) are not supported: write the value out",
                               (const char *)ev.data.alias.anchor);
            break;
        case YAML_SCALAR_EVENT: {
            rc = refuse_props(b, m, ev.data.scalar.anchor, ev.data.scalar.tag,
                              ev.data.scalar.plain_implicit || ev.data.scalar.quoted_implicit);
            if (rc)
                break;
            hq_ynode *n = node_new(b, HQ_Y_SCALAR, m);
            if (!n) {
                rc = b->err ? b->err->code : HQ_ELIMIT;
                break;
            }
            n->str = hq_malloc(ev.data.scalar.length + 1);
            memcpy(n->str, ev.data.scalar.value, ev.data.scalar.length);
            n->str[ev.data.scalar.length] = '\0';
            n->len = ev.data.scalar.length;
            n->quoted = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
            if (memchr(n->str, '\0', n->len))
                rc = hq_err_setpos(b->err, HQ_EINVAL, b->name, n->line, n->column, "NUL character in a value");
            if (rc) {
                node_free(n);
                break;
            }
            rc = attach(b, n);
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            bool seq = ev.type == YAML_SEQUENCE_START_EVENT;
            rc = seq ? refuse_props(b, m, ev.data.sequence_start.anchor, ev.data.sequence_start.tag,
                                    ev.data.sequence_start.implicit)
                     : refuse_props(b, m, ev.data.mapping_start.anchor, ev.data.mapping_start.tag,
                                    ev.data.mapping_start.implicit);
            if (rc)
                break;
            if (b->depth >= b->lim->max_depth) {
                rc = hq_err_setpos(b->err, HQ_ELIMIT, b->name, (int)m->line + 1, (int)m->column + 1,
                                   "nesting deeper than %u levels", b->lim->max_depth);
                break;
            }
            hq_ynode *n = node_new(b, seq ? HQ_Y_SEQ : HQ_Y_MAP, m);
            if (!n) {
                rc = b->err ? b->err->code : HQ_ELIMIT;
                break;
            }
            rc = attach(b, n);
            if (rc)
                break;
            b->stack[b->depth].node = n;
            b->stack[b->depth].nkids = 0;
            b->stack[b->depth].cap = 0;
            b->depth++;
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            frame *f = &b->stack[--b->depth];
            if (f->node->type == HQ_Y_MAP)
                rc = check_dup_keys(b, f->node);
            break;
        }
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (rc)
            return rc;
    }
}

int hq_ydoc_load_buf(const char *name, const char *buf, size_t len, const hq_ylimits *lim,
                     hq_ydoc **out, hq_err *err)
{
    if (!lim)
        lim = &hq_ydefault_limits;
    if (len > lim->max_bytes)
        return hq_err_setpos(err, HQ_ELIMIT, name, 0, 0, "file is larger than %zu bytes", lim->max_bytes);
    builder b = {.name = name, .buf = (const unsigned char *)buf, .len = len, .lim = lim, .err = err};
    b.stack = hq_calloc(lim->max_depth + 1, sizeof *b.stack);
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        free(b.stack);
        return hq_err_set(err, HQ_ENOMEM, "out of memory");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    int rc = build(&b, &parser);
    yaml_parser_delete(&parser);
    if (rc) {
        /* A map still open holds a key whose value never came: its len
         * (pairs) does not count it, so node_free() would not see it. */
        for (unsigned i = 0; i < b.depth; i++) {
            frame *f = &b.stack[i];
            if (f->node->type == HQ_Y_MAP && f->nkids % 2 == 1)
                node_free(f->node->kids[f->nkids - 1]);
        }
    }
    free(b.stack);
    if (rc) {
        node_free(b.root);
        if (err && err->file[0] == '\0')
            snprintf(err->file, sizeof err->file, "%s", name);
        return rc;
    }
    hq_ydoc *d = hq_calloc(1, sizeof *d);
    d->file = hq_strdup(name);
    d->root = b.root;
    *out = d;
    return 0;
}

int hq_ydoc_load_file(const char *path, const hq_ylimits *lim, hq_ydoc **out, hq_err *err)
{
    if (!lim)
        lim = &hq_ydefault_limits;
    FILE *f = fopen(path, "rb");
    if (!f)
        return hq_err_setpos(err, HQ_EIO, path, 0, 0, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return hq_err_setpos(err, HQ_EIO, path, 0, 0, "not a regular file");
    }
    if ((size_t)st.st_size > lim->max_bytes) {
        fclose(f);
        return hq_err_setpos(err, HQ_ELIMIT, path, 0, 0, "file is larger than %zu bytes", lim->max_bytes);
    }
    char *buf = hq_malloc((size_t)st.st_size + 1);
    size_t n = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    int rc = hq_ydoc_load_buf(path, buf, n, lim, out, err);
    free(buf);
    return rc;
}

int hq_ydoc_load_diag(const char *path, const hq_ylimits *lim, hq_ydoc **out, hq_diags *diags)
{
    hq_err e = {0};
    int rc = hq_ydoc_load_file(path, lim, out, &e);
    if (rc)
        hq_diags_add_err(diags, &e);
    return rc;
}

const hq_ynode *hq_ymap_get(const hq_ynode *map, const char *key)
{
    if (!map || map->type != HQ_Y_MAP)
        return NULL;
    for (size_t i = 0; i < map->len; i++)
        if (strcmp(map->kids[2 * i]->str, key) == 0)
            return map->kids[2 * i + 1];
    return NULL;
}

static void vdiag(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static void vdiag(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    hq_diags_add(d, doc ? doc->file : "", n ? n->line : 0, n ? n->column : 0, "%s", msg);
}

void hq_ydiag(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(d, doc, n, fmt, ap);
    va_end(ap);
}

static const char *type_name(hq_ytype t)
{
    return t == HQ_Y_MAP ? "a mapping" : t == HQ_Y_SEQ ? "a list" : "a value";
}

int hq_ycheck_keys(hq_diags *d, const hq_ydoc *doc, const hq_ynode *map, const char *const *allowed)
{
    if (!map || map->type != HQ_Y_MAP) {
        hq_ydiag(d, doc, map, "expected a mapping, got %s", map ? type_name(map->type) : "nothing");
        return 1;
    }
    int bad = 0;
    for (size_t i = 0; i < map->len; i++) {
        const hq_ynode *k = hq_ymap_key(map, i);
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, k->str) == 0) {
                ok = true;
                break;
            }
        if (!ok) {
            /* Whole names only; a list that does not fit ends in ", ...". */
            char list[300] = "";
            size_t used = 0;
            for (const char *const *a = allowed; *a; a++) {
                size_t need = strlen(*a) + (a == allowed ? 0 : 2);
                if (used + need + 5 >= sizeof list) {
                    snprintf(list + used, sizeof list - used, ", ...");
                    break;
                }
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", a == allowed ? "" : ", ", *a);
            }
            hq_ydiag(d, doc, k, "unknown key \"%s\" (expected one of: %s)", k->str, list);
            bad++;
        }
    }
    return bad;
}

const hq_ynode *hq_yrequire(hq_diags *d, const hq_ydoc *doc, const hq_ynode *map, const char *key)
{
    const hq_ynode *v = hq_ymap_get(map, key);
    if (!v)
        hq_ydiag(d, doc, map, "missing required key \"%s\"", key);
    return v;
}

bool hq_yseq(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, const char *fmt, ...)
{
    if (n->type == HQ_Y_SEQ)
        return true;
    va_list ap;
    va_start(ap, fmt);
    vdiag(d, doc, n, fmt, ap);
    va_end(ap);
    return false;
}

int hq_yget_str(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, const char **out)
{
    if (!n || n->type != HQ_Y_SCALAR) {
        hq_ydiag(d, doc, n, "expected a text value, got %s", n ? type_name(n->type) : "nothing");
        return HQ_EINVAL;
    }
    *out = n->str;
    return 0;
}

bool hq_parse_int64(const char *s, int64_t *out)
{
    char *end;
    if (!*s || (*s != '-' && *s != '+' && (*s < '0' || *s > '9')))
        return false;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

bool hq_parse_double(const char *s, double *out)
{
    char *end;
    if (!*s || (*s != '-' && *s != '+' && *s != '.' && (*s < '0' || *s > '9')))
        return false;
    /* strtod also reads hex floats ("0x1p3"), "inf" and "nan": decimal only. */
    if (strpbrk(s, "xXnN"))
        return false;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || !isfinite(v))
        return false;
    /* Overflow is refused; underflow (5e-324, 1e-400) gives the nearest
     * value, as JSON and YAML readers do. */
    if (errno == ERANGE && fabs(v) >= DBL_MIN)
        return false;
    *out = v;
    return true;
}

/* "1.5h": a digit, a decimal point or comma, a digit. */
static bool has_fraction(const char *s)
{
    for (const char *p = s; *p; p++)
        if ((*p == '.' || *p == ',') && p > s && p[-1] >= '0' && p[-1] <= '9' && p[1] >= '0' && p[1] <= '9')
            return true;
    return false;
}

/* "expected WHAT, got "text"" (or "got a list", "got nothing"), with a hint
 * for "1.5h" where a duration was wanted. */
int hq_ywrong(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, const char *what, bool duration)
{
    bool scalar = n && n->type == HQ_Y_SCALAR;
    hq_ydiag(d, doc, n, "expected %s, got %s%s%s%s", what, scalar ? "\"" : "",
             scalar ? n->str : n ? type_name(n->type) : "nothing", scalar ? "\"" : "",
             duration && scalar && has_fraction(n->str) ? " (whole numbers only: write 1h30m, not 1.5h)" : "");
    return HQ_EINVAL;
}

int hq_yget_int(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, int64_t *out)
{
    if (!n || n->type != HQ_Y_SCALAR || n->quoted || !hq_parse_int64(n->str, out))
        return hq_ywrong(d, doc, n, "an integer", false);
    return 0;
}

int hq_yget_number(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, double *out)
{
    if (!n || n->type != HQ_Y_SCALAR || n->quoted || !hq_parse_double(n->str, out))
        return hq_ywrong(d, doc, n, "a number", false);
    return 0;
}

int hq_yget_bool(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, bool *out)
{
    if (n && n->type == HQ_Y_SCALAR && !n->quoted) {
        if (strcmp(n->str, "true") == 0 || strcmp(n->str, "yes") == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(n->str, "false") == 0 || strcmp(n->str, "no") == 0) {
            *out = false;
            return 0;
        }
    }
    return hq_ywrong(d, doc, n, "true or false", false);
}

int hq_parse_duration_ms(const char *s, int64_t *out)
{
    /* Units from the largest down, each at most once ("1h30m", not "30m1h"
     * or "1h1h"): that keeps the total below 7 * 10^8 weeks, far from
     * overflow, and a typo from adding up silently. */
    static const struct {
        const char *name;
        int64_t ms;
    } units[] = {{"w", 7 * 86400000LL}, {"d", 86400000LL}, {"h", 3600000LL},
                 {"ms", 1},             {"m", 60000LL},    {"s", 1000LL}};
    static const int rank[] = {0, 1, 2, 5, 3, 4}; /* w d h m s ms, by index above */
    int64_t total = 0;
    int last_rank = -1;
    const char *p = s;
    if (!*p)
        return HQ_EINVAL;
    while (*p) {
        if (*p < '0' || *p > '9')
            return HQ_EINVAL;
        int64_t v = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (*p - '0');
            if (v > 100000000)
                return HQ_EINVAL;
            p++;
        }
        size_t u;
        for (u = 0; u < sizeof units / sizeof *units; u++)
            if (strncmp(p, units[u].name, strlen(units[u].name)) == 0)
                break;
        if (u == sizeof units / sizeof *units || rank[u] <= last_rank)
            return HQ_EINVAL;
        last_rank = rank[u];
        p += strlen(units[u].name);
        total += v * units[u].ms;
    }
    *out = total;
    return 0;
}

int hq_yget_duration_ms(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, int64_t *out)
{
    if (!n || n->type != HQ_Y_SCALAR || hq_parse_duration_ms(n->str, out) != 0)
        return hq_ywrong(d, doc, n, "a duration like 30m, 48h or 7d", true);
    return 0;
}

/* ---- directories ---- */

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, size_t l, const char *suffix)
{
    size_t sl = strlen(suffix);
    return l > sl && strcmp(s + l - sl, suffix) == 0;
}

static void load_dir(const char *dir, int depth, hq_ydoc ***docs, size_t *ndocs, hq_diags *diags)
{
    if (depth > 8)
        return;
    DIR *dh = opendir(dir);
    if (!dh) {
        hq_diags_add(diags, dir, 0, 0, "cannot open the directory: %s", strerror(errno));
        return;
    }
    struct dirent *de;
    char **names = NULL;
    size_t n = 0;
    while ((de = readdir(dh))) {
        if (de->d_name[0] == '.')
            continue;
        char **grown = hq_realloc(names, (n + 1) * sizeof *names);
        names = grown;
        if ((names[n] = hq_strdup(de->d_name)))
            n++;
    }
    closedir(dh);
    /* Sorted, so that the load order (and the diagnostics) are stable. */
    if (n)
        qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        size_t l = strlen(names[i]);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (strcmp(names[i], "tests") != 0)
                load_dir(path, depth + 1, docs, ndocs, diags);
        } else if (ends_with(names[i], l, ".yaml") && !ends_with(names[i], l, ".test.yaml")) {
            hq_ydoc *doc = NULL;
            if (hq_ydoc_load_diag(path, NULL, &doc, diags) == 0) {
                *docs = hq_realloc(*docs, (*ndocs + 1) * sizeof **docs);
                (*docs)[(*ndocs)++] = doc;
            }
        } else if (ends_with(names[i], l, ".yml")) {
            hq_diags_add(diags, path, 0, 0, "use the .yaml extension (this file is not loaded)");
        }
        free(names[i]);
    }
    free(names);
}

void hq_ydocs_load_dir(const char *dir, hq_ydoc ***docs, size_t *ndocs, hq_diags *diags)
{
    load_dir(dir, 0, docs, ndocs, diags);
}
