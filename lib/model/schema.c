#include "schema.h"

#include "mem.h"
#include "mp.h"
#include "ytree.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hq_schemas {
    hq_schema **items;
    size_t count;
};

static const char *const ftype_names[] = {"string", "int", "number", "bool", "enum", "timestamp", "map", "array"};

const char *hq_ftype_name(hq_ftype t)
{
    return ftype_names[t];
}

static void field_fini(hq_field *f)
{
    free(f->name);
    free(f->unit);
    free(f->category_of);
    hq_free_strv(f->values, f->nvalues);
    for (size_t i = 0; i < f->nfields; i++)
        field_fini(&f->fields[i]);
    free(f->fields);
    if (f->items) {
        field_fini(f->items);
        free(f->items);
    }
    memset(f, 0, sizeof *f);
}

static void schema_free(hq_schema *s)
{
    if (!s)
        return;
    free(s->type);
    free(s->file);
    field_fini(&s->data);
    free(s);
}

void hq_schemas_destroy(hq_schemas **sp)
{
    hq_schemas *s = sp ? *sp : NULL;
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++)
        schema_free(s->items[i]);
    free(s->items);
    free(s);
    *sp = NULL;
}

size_t hq_schemas_count(const hq_schemas *s)
{
    return s ? s->count : 0;
}

const hq_schema *hq_schemas_at(const hq_schemas *s, size_t i)
{
    return s->items[i];
}

const hq_schema *hq_schemas_find(const hq_schemas *s, const char *type, size_t len)
{
    if (!s)
        return NULL;
    for (size_t i = 0; i < s->count; i++)
        if (strlen(s->items[i]->type) == len && memcmp(s->items[i]->type, type, len) == 0)
            return s->items[i];
    return NULL;
}

/* ---- loading ---- */

static const char *const field_keys[] = {"type", "optional", "pii", "description", "min", "max",
                                         "min_length", "max_length", "values", "fields", "items",
                                         "unit", "min_items", "max_items", "example", "category_of", "person",
                                         "labels", NULL};

static int parse_fields(hq_diags *d, const hq_ydoc *doc, const hq_ynode *map, hq_field *owner);

/* Reports key in field spec n when the field's type does not take it. */
static void only_for(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, const char *key, bool applies,
                     const char *types)
{
    const hq_ynode *v = hq_ymap_get(n, key);
    if (v && !applies)
        hq_ydiag(d, doc, v, "\"%s\" applies to %s fields only", key, types);
}

/* Reads an integer limit that must be >= lowest; returns true when it was
 * there and valid. */
static bool read_limit(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, const char *key, int64_t lowest,
                       size_t *out)
{
    const hq_ynode *v = hq_ymap_get(n, key);
    int64_t iv;
    if (!v || hq_yget_int(d, doc, v, &iv) != 0)
        return false;
    if (iv < lowest) {
        hq_ydiag(d, doc, v, "%s must be %s, got %lld", key, lowest > 0 ? "positive" : "zero or more",
                 (long long)iv);
        return false;
    }
    *out = (size_t)iv;
    return true;
}

/* Reads field spec n's "type" into f->type; false (said) when it is
 * missing or unknown. */
static bool parse_type(hq_diags *d, const hq_ydoc *doc, const char *name, const hq_ynode *n, hq_field *f)
{
    const hq_ynode *t = hq_ymap_get(n, "type");
    const char *ts = NULL;
    if (!t) {
        hq_ydiag(d, doc, n, "field \"%s\": missing required key \"type\"", name);
        return false;
    }
    if (hq_yget_str(d, doc, t, &ts) != 0)
        return false;
    for (size_t k = 0; k < sizeof ftype_names / sizeof *ftype_names; k++)
        if (strcmp(ts, ftype_names[k]) == 0) {
            f->type = (hq_ftype)k;
            return true;
        }
    hq_ydiag(d, doc, t, "unknown field type \"%s\" (expected string, int, number, bool, enum, timestamp, map or array)",
             ts);
    return false;
}

#define FT(t) (1u << (t))
#define FT_NUMERIC (FT(HQ_F_INT) | FT(HQ_F_NUMBER) | FT(HQ_F_TIMESTAMP))

/* The keys that only some types take, in the order they are checked. */
static const struct {
    const char *key;
    unsigned types; /* FT() of the types that take it */
    const char *names;
} typed_keys[] = {
    {"min", FT_NUMERIC, "int, number and timestamp"},
    {"max", FT_NUMERIC, "int, number and timestamp"},
    {"min_length", FT(HQ_F_STRING), "string"},
    {"max_length", FT(HQ_F_STRING), "string"},
    {"min_items", FT(HQ_F_ARRAY), "array"},
    {"max_items", FT(HQ_F_ARRAY), "array"},
    {"values", FT(HQ_F_ENUM), "enum"},
    {"fields", FT(HQ_F_MAP), "map"},
    {"items", FT(HQ_F_ARRAY), "array"},
    {"category_of", FT(HQ_F_STRING), "string"},
    {"person", FT(HQ_F_STRING), "string"},
    {"labels", FT(HQ_F_STRING), "string"},
};

/* An enum field's "values": a non-empty list, each value once. */
static void parse_values(hq_diags *d, const hq_ydoc *doc, const char *name, const hq_ynode *n, hq_field *f)
{
    const hq_ynode *v = hq_ymap_get(n, "values");
    if (!v || v->type != HQ_Y_SEQ || v->len == 0) {
        hq_ydiag(d, doc, v ? v : n, "enum field \"%s\" needs a non-empty list \"values\"", name);
        return;
    }
    f->values = hq_calloc(v->len, sizeof *f->values);
    for (size_t i = 0; i < v->len; i++) {
        const char *es;
        if (hq_yget_str(d, doc, v->kids[i], &es) != 0)
            continue;
        bool dup = false;
        for (size_t j = 0; j < f->nvalues && !dup; j++)
            dup = strcmp(f->values[j], es) == 0;
        if (dup)
            hq_ydiag(d, doc, v->kids[i], "enum field \"%s\": value \"%s\" is listed twice", name, es);
        else
            f->values[f->nvalues++] = hq_strdup(es);
    }
}

static int parse_field(hq_diags *d, const hq_ydoc *doc, const char *name, const hq_ynode *n, hq_field *f);

/* A string field's "labels": the vocabulary class of its codes, one keyed
 * by a plain code (vocab.h). */
static void parse_labels(hq_diags *d, const hq_ydoc *doc, const char *name, const hq_ynode *v, const char *cls,
                         hq_field *f)
{
    hq_label_class c;
    if (hq_label_class_parse(cls, &c) == 0 && hq_label_class_flat(c)) {
        f->labelled = true;
        f->labels = c;
        return;
    }
    char all[256] = "";
    for (int k = 0; k < HQ_LBL_COUNT; k++)
        if (hq_label_class_flat((hq_label_class)k))
            snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", *all ? ", " : "",
                     hq_label_class_name((hq_label_class)k));
    hq_ydiag(d, doc, v, "field \"%s\": labels: \"%s\" is no vocabulary section of plain codes (%s)", name, cls, all);
}

/* An array field's limits and its "items" spec. */
static void parse_array(hq_diags *d, const hq_ydoc *doc, const char *name, const hq_ynode *n, hq_field *f)
{
    bool has_min = read_limit(d, doc, n, "min_items", 0, &f->min_items);
    bool has_max = read_limit(d, doc, n, "max_items", 1, &f->max_items);
    if (has_min && has_max && f->min_items > f->max_items)
        hq_ydiag(d, doc, hq_ymap_get(n, "min_items"), "field \"%s\": min_items %zu is greater than max_items %zu",
                 name, f->min_items, f->max_items);
    const hq_ynode *v = hq_ymap_get(n, "items");
    if (!v) {
        hq_ydiag(d, doc, n, "array field \"%s\" needs \"items\"", name);
    } else {
        f->items = hq_calloc(1, sizeof *f->items);
        parse_field(d, doc, "items", v, f->items);
    }
}

/* Parses one field spec.  Checks that depend on the type are made only
 * once the type is known: an unknown type is one diagnostic, not a cascade
 * of "applies to ... only". */
static int parse_field(hq_diags *d, const hq_ydoc *doc, const char *name, const hq_ynode *n, hq_field *f)
{
    size_t before = d->count;
    f->name = hq_strdup(name);
    f->name_len = strlen(name);
    if (n->type != HQ_Y_MAP) {
        hq_ydiag(d, doc, n, "field \"%s\": expected a mapping with at least \"type\"", name);
        return HQ_EINVAL;
    }
    hq_ycheck_keys(d, doc, n, field_keys);
    bool typed = parse_type(d, doc, name, n, f);
    const hq_ynode *v;
    const char *us;
    if ((v = hq_ymap_get(n, "optional")))
        hq_yget_bool(d, doc, v, &f->optional);
    if ((v = hq_ymap_get(n, "pii")))
        hq_yget_bool(d, doc, v, &f->pii);
    if ((v = hq_ymap_get(n, "person")))
        hq_yget_bool(d, doc, v, &f->person);
    if ((v = hq_ymap_get(n, "unit")) && hq_yget_str(d, doc, v, &us) == 0)
        f->unit = hq_strdup(us);
    if (f->pii && !f->optional)
        hq_ydiag(d, doc, hq_ymap_get(n, "pii"), "field \"%s\": personal data (pii) must be optional", name);
    if (!typed)
        return HQ_EINVAL;

    for (size_t i = 0; i < sizeof typed_keys / sizeof *typed_keys; i++)
        only_for(d, doc, n, typed_keys[i].key, (typed_keys[i].types & FT(f->type)) != 0, typed_keys[i].names);
    if (f->type == HQ_F_STRING && (v = hq_ymap_get(n, "category_of")) && hq_yget_str(d, doc, v, &us) == 0)
        f->category_of = hq_strdup(us);
    if (f->type == HQ_F_STRING && (v = hq_ymap_get(n, "labels")) && hq_yget_str(d, doc, v, &us) == 0)
        parse_labels(d, doc, name, v, us, f);

    switch (f->type) {
    case HQ_F_INT:
    case HQ_F_NUMBER:
    case HQ_F_TIMESTAMP:
        if ((v = hq_ymap_get(n, "min")) && hq_yget_number(d, doc, v, &f->min) == 0)
            f->has_min = true;
        if ((v = hq_ymap_get(n, "max")) && hq_yget_number(d, doc, v, &f->max) == 0)
            f->has_max = true;
        if (f->has_min && f->has_max && f->min > f->max)
            hq_ydiag(d, doc, hq_ymap_get(n, "min"), "field \"%s\": min %.15g is greater than max %.15g", name,
                     f->min, f->max);
        break;
    case HQ_F_STRING: {
        bool has_min = read_limit(d, doc, n, "min_length", 0, &f->min_len);
        bool has_max = read_limit(d, doc, n, "max_length", 1, &f->max_len);
        if (has_min && has_max && f->min_len > f->max_len)
            hq_ydiag(d, doc, hq_ymap_get(n, "min_length"),
                     "field \"%s\": min_length %zu is greater than max_length %zu", name, f->min_len, f->max_len);
        break;
    }
    case HQ_F_ENUM: parse_values(d, doc, name, n, f); break;
    case HQ_F_MAP:
        v = hq_ymap_get(n, "fields");
        if (!v)
            hq_ydiag(d, doc, n, "map field \"%s\" needs \"fields\"", name);
        else
            parse_fields(d, doc, v, f);
        break;
    case HQ_F_ARRAY: parse_array(d, doc, name, n, f); break;
    case HQ_F_BOOL:
        break;
    }
    return d->count > before ? HQ_EINVAL : 0;
}

static int parse_fields(hq_diags *d, const hq_ydoc *doc, const hq_ynode *map, hq_field *owner)
{
    if (map->type != HQ_Y_MAP) {
        hq_ydiag(d, doc, map, "\"fields\" must be a mapping of field names to their specs");
        return HQ_EINVAL;
    }
    owner->fields = hq_calloc(map->len ? map->len : 1, sizeof *owner->fields);
    owner->nfields = map->len;
    for (size_t i = 0; i < map->len; i++) {
        const char *name = hq_ymap_key(map, i)->str;
        bool ok = *name != '\0';
        for (const char *p = name; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
                ok = false;
        if (!ok)
            hq_ydiag(d, doc, hq_ymap_key(map, i), "field name \"%s\": use letters, digits and _", name);
        parse_field(d, doc, name, hq_ymap_val(map, i), &owner->fields[i]);
    }
    return 0;
}

static const char *const schema_keys[] = {"type", "description", "domain", "fields", "example", NULL};

static hq_schema *load_one(const char *path, hq_diags *d)
{
    hq_ydoc *doc = NULL;
    if (hq_ydoc_load_diag(path, NULL, &doc, d) != 0)
        return NULL;
    size_t before = d->count;
    hq_schema *s = hq_calloc(1, sizeof *s);
    s->file = hq_strdup(path);
    s->data.type = HQ_F_MAP;
    s->data.name = hq_strdup("data");
    s->data.name_len = 4;
    const hq_ynode *root = doc->root;
    if (!root || root->type != HQ_Y_MAP) {
        hq_ydiag(d, doc, root, "a schema is a mapping with \"type\" and \"fields\"");
    } else {
        hq_ycheck_keys(d, doc, root, schema_keys);
        const hq_ynode *t = hq_yrequire(d, doc, root, "type");
        const char *ts;
        if (t && hq_yget_str(d, doc, t, &ts) == 0) {
            s->type = hq_strdup(ts);
            /* The file name must say what the schema is about. */
            const char *base = strrchr(path, '/');
            base = base ? base + 1 : path;
            size_t bl = strlen(base);
            if (bl < 5 || strncmp(base, ts, bl - 5) != 0 || strlen(ts) != bl - 5)
                hq_ydiag(d, doc, t, "type \"%s\" does not match the file name %s", ts, base);
        }
        const hq_ynode *f = hq_yrequire(d, doc, root, "fields");
        if (f && parse_fields(d, doc, f, &s->data) == 0)
            for (size_t i = 0; i < s->data.nfields; i++) {
                const hq_field *c = &s->data.fields[i], *dom = NULL;
                if (!c->category_of)
                    continue;
                for (size_t j = 0; j < s->data.nfields; j++)
                    if (!strcmp(s->data.fields[j].name, c->category_of))
                        dom = &s->data.fields[j];
                if (!dom || dom->type != HQ_F_ENUM || dom->optional)
                    hq_ydiag(d, doc, hq_ymap_get(hq_ymap_get(f, c->name), "category_of"),
                             "field \"%s\": category_of names \"%s\", which is not a required enum field of this "
                             "schema (the domain the category belongs to)",
                             c->name, c->category_of);
            }
    }
    hq_ydoc_destroy(&doc);
    if (d->count > before) {
        schema_free(s);
        return NULL;
    }
    return s;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int hq_schemas_load_dir(const char *dir, hq_schemas **out, hq_diags *d)
{
    DIR *dh = opendir(dir);
    if (!dh) {
        hq_diags_add(d, dir, 0, 0, "cannot open the schemas directory: %s", strerror(errno));
        return HQ_EIO;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    size_t before = d->count;
    struct dirent *de;
    while ((de = readdir(dh))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.')
            continue;
        /* *.yml is collected too, to be refused by name below. */
        if ((l > 5 && strcmp(de->d_name + l - 5, ".yaml") == 0) ||
            (l > 4 && strcmp(de->d_name + l - 4, ".yml") == 0)) {
            if (n == cap) {
                cap = cap ? cap * 2 : 32;
                names = hq_realloc(names, cap * sizeof *names);
            }
            names[n++] = hq_strdup(de->d_name);
        }
    }
    closedir(dh);
    if (n > 1)
        qsort(names, n, sizeof *names, name_cmp);
    hq_schemas *s = hq_calloc(1, sizeof *s);
    s->items = hq_calloc(n ? n : 1, sizeof *s->items);
    size_t nyaml = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t l = strlen(names[i]);
        if (strcmp(names[i] + l - 4, ".yml") == 0) {
            /* Not loaded: say so rather than silently run without it. */
            hq_diags_add(d, path, 0, 0, "use the .yaml extension: only *.yaml files are loaded");
        } else {
            nyaml++;
            hq_schema *one = load_one(path, d);
            if (one)
                s->items[s->count++] = one;
        }
        free(names[i]);
    }
    free(names);
    if (nyaml == 0)
        hq_diags_add(d, dir, 0, 0, "no schemas (*.yaml) in the directory");
    if (d->count > before) {
        hq_schemas_destroy(&s);
        return HQ_EINVAL;
    }
    *out = s;
    return 0;
}

/* ---- validation ---- */

/* Bytes of allowed values quoted in an enum rejection: the whole message
 * must fit the daemon's reply (about 300 bytes) with the path and the value. */
#define ENUM_LIST_MAX 160

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            n++;
    return n;
}

static const char *obj_kind(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return "nil";
    case MSGPACK_OBJECT_BOOLEAN: return "a boolean";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "an integer";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return "a number";
    case MSGPACK_OBJECT_STR: return "a string";
    case MSGPACK_OBJECT_ARRAY: return "an array";
    case MSGPACK_OBJECT_MAP: return "a map";
    default: return "an unsupported type";
    }
}

/* Appends ".name" to path (length plen, capacity pcap), truncating;
 * returns the new length.  The hot path of validation: no printf. */
static size_t path_append(char *path, size_t plen, size_t pcap, const char *name, size_t n)
{
    if (plen + 1 + n >= pcap)
        n = plen + 1 < pcap ? pcap - plen - 2 : 0;
    if (plen + 1 >= pcap)
        return plen;
    path[plen] = '.';
    memcpy(path + plen + 1, name, n);
    path[plen + 1 + n] = '\0';
    return plen + 1 + n;
}

/* path is the dotted path so far, built in a caller buffer. */
static int validate(const hq_field *f, const msgpack_object *o, char *path, size_t plen, size_t pcap,
                    hq_err *err);

static int unknown_field(const msgpack_object_str *k, const char *path, hq_err *err)
{
    size_t kl = hq_utf8_prefix(k->ptr, k->size, 64);
    return hq_err_set(err, HQ_EINVAL, "%s.%.*s%s: unknown field", path, (int)kl, k->ptr, kl < k->size ? "..." : "");
}

#define MATCH_FIELDS 64 /* schemas up to this many fields per map: one pass over the keys */

static int validate_map(const hq_field *f, const msgpack_object *o, char *path, size_t plen, size_t pcap,
                        hq_err *err)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return hq_err_set(err, HQ_EINVAL, "%s: expected a map, got %s", path, obj_kind(o));
    /* Each key to its field once (keys are strings without repeats: mp.c
     * checked); then the fields in schema order, then unknown keys. */
    const msgpack_object *vals[MATCH_FIELDS];
    const msgpack_object_str *unknown = NULL;
    bool matched = f->nfields <= MATCH_FIELDS;
    if (matched) {
        memset(vals, 0, f->nfields * sizeof *vals);
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            if (o->via.map.ptr[i].key.type != MSGPACK_OBJECT_STR)
                return hq_err_set(err, HQ_EINVAL, "%s: map key is not a string", path);
            const msgpack_object_str *k = &o->via.map.ptr[i].key.via.str;
            size_t j;
            for (j = 0; j < f->nfields; j++)
                if (f->fields[j].name_len == k->size && memcmp(f->fields[j].name, k->ptr, k->size) == 0)
                    break;
            if (j < f->nfields)
                vals[j] = &o->via.map.ptr[i].val;
            else if (!unknown)
                unknown = k;
        }
    }
    for (size_t i = 0; i < f->nfields; i++) {
        const hq_field *sub = &f->fields[i];
        const msgpack_object *v = matched ? vals[i] : hq_mp_map_getn(o, sub->name, sub->name_len);
        size_t nlen = path_append(path, plen, pcap, sub->name, sub->name_len);
        if (!v || (v->type == MSGPACK_OBJECT_NIL && sub->optional)) {
            if (!sub->optional) {
                int rc = hq_err_set(err, HQ_EINVAL, "%s: missing required field", path);
                path[plen] = '\0';
                return rc;
            }
            path[plen] = '\0';
            continue;
        }
        int rc = validate(sub, v, path, nlen, pcap, err);
        path[plen] = '\0';
        if (rc)
            return rc;
    }
    if (matched)
        return unknown ? unknown_field(unknown, path, err) : 0;
    /* Unknown fields: every key must be in the schema. */
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        if (o->via.map.ptr[i].key.type != MSGPACK_OBJECT_STR)
            return hq_err_set(err, HQ_EINVAL, "%s: map key is not a string", path);
        const msgpack_object_str *k = &o->via.map.ptr[i].key.via.str;
        bool known = false;
        for (size_t j = 0; j < f->nfields && !known; j++)
            known = f->fields[j].name_len == k->size && memcmp(f->fields[j].name, k->ptr, k->size) == 0;
        if (!known)
            return unknown_field(k, path, err);
    }
    return 0;
}

static int validate(const hq_field *f, const msgpack_object *o, char *path, size_t plen, size_t pcap,
                    hq_err *err)
{
    double num;
    int64_t iv;
    switch (f->type) {
    case HQ_F_STRING:
        if (o->type != MSGPACK_OBJECT_STR)
            return hq_err_set(err, HQ_EINVAL, "%s: expected a string, got %s", path, obj_kind(o));
        {
            size_t chars = utf8_chars(o->via.str.ptr, o->via.str.size);
            if (chars < f->min_len)
                return hq_err_set(err, HQ_EINVAL, "%s: shorter than %zu characters", path, f->min_len);
            if (f->max_len && chars > f->max_len)
                return hq_err_set(err, HQ_EINVAL, "%s: longer than %zu characters", path, f->max_len);
        }
        return 0;
    case HQ_F_ENUM:
        if (o->type != MSGPACK_OBJECT_STR)
            return hq_err_set(err, HQ_EINVAL, "%s: expected a string, got %s", path, obj_kind(o));
        for (size_t i = 0; i < f->nvalues; i++)
            if (hq_mp_str_eq(o, f->values[i]))
                return 0;
        {
            /* Whole values while they fit a reply; the rest as ", ...". */
            char list[ENUM_LIST_MAX + 8];
            size_t used = 0;
            list[0] = '\0';
            for (size_t i = 0; i < f->nvalues; i++) {
                size_t need = strlen(f->values[i]) + (i ? 2 : 0);
                if (used + need > ENUM_LIST_MAX) {
                    snprintf(list + used, sizeof list - used, ", ...");
                    break;
                }
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", f->values[i]);
            }
            size_t gl = hq_utf8_prefix(o->via.str.ptr, o->via.str.size, 64);
            return hq_err_set(err, HQ_EINVAL, "%s: expected one of %s, got \"%.*s%s\"", path, list, (int)gl,
                              o->via.str.ptr, gl < o->via.str.size ? "..." : "");
        }
    case HQ_F_BOOL:
        if (o->type != MSGPACK_OBJECT_BOOLEAN)
            return hq_err_set(err, HQ_EINVAL, "%s: expected a boolean, got %s", path, obj_kind(o));
        return 0;
    case HQ_F_INT:
    case HQ_F_TIMESTAMP:
        if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 > (uint64_t)INT64_MAX)
            return hq_err_set(err, HQ_EINVAL, "%s: %llu is too large for a 64-bit integer", path,
                              (unsigned long long)o->via.u64);
        if (!hq_mp_int64(o, &iv))
            return hq_err_set(err, HQ_EINVAL, "%s: expected an integer, got %s", path, obj_kind(o));
        /* Integers print as integers: %g would say "4.10245e+12 is above
         * the maximum 4.10244e+12". */
        if (f->has_min && (double)iv < f->min)
            return hq_err_set(err, HQ_EINVAL, "%s: %lld is below the minimum %.15g", path, (long long)iv, f->min);
        if (f->has_max && (double)iv > f->max)
            return hq_err_set(err, HQ_EINVAL, "%s: %lld is above the maximum %.15g", path, (long long)iv, f->max);
        return 0;
    case HQ_F_NUMBER:
        if (!hq_mp_number(o, &num))
            return hq_err_set(err, HQ_EINVAL, "%s: expected a number, got %s", path, obj_kind(o));
        if (f->has_min && num < f->min)
            return hq_err_set(err, HQ_EINVAL, "%s: %.15g is below the minimum %.15g", path, num, f->min);
        if (f->has_max && num > f->max)
            return hq_err_set(err, HQ_EINVAL, "%s: %.15g is above the maximum %.15g", path, num, f->max);
        return 0;
    case HQ_F_MAP:
        return validate_map(f, o, path, plen, pcap, err);
    case HQ_F_ARRAY:
        if (o->type != MSGPACK_OBJECT_ARRAY)
            return hq_err_set(err, HQ_EINVAL, "%s: expected an array, got %s", path, obj_kind(o));
        if (o->via.array.size < f->min_items)
            return hq_err_set(err, HQ_EINVAL, "%s: fewer than %zu items", path, f->min_items);
        if (f->max_items && o->via.array.size > f->max_items)
            return hq_err_set(err, HQ_EINVAL, "%s: more than %zu items", path, f->max_items);
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            char idx[16];
            size_t il = 0;
            uint32_t q = i;
            do {
                idx[il++] = (char)('0' + q % 10);
                q /= 10;
            } while (q);
            for (size_t a = 0, b = il - 1; a < b; a++, b--) {
                char t = idx[a];
                idx[a] = idx[b];
                idx[b] = t;
            }
            size_t nlen = path_append(path, plen, pcap, idx, il);
            int rc = validate(f->items, &o->via.array.ptr[i], path, nlen, pcap, err);
            path[plen] = '\0';
            if (rc)
                return rc;
        }
        return 0;
    }
    return 0;
}

int hq_schema_validate(const hq_schema *s, const msgpack_object *data, hq_err *err)
{
    char path[256] = "data";
    return validate(&s->data, data, path, 4, sizeof path, err);
}

/* The field name of map f (crossing array levels), or NULL. */
static const hq_field *hq_schema_field_in(const hq_field *f, const char *name)
{
    while (f->type == HQ_F_ARRAY && f->items)
        f = f->items;
    if (f->type != HQ_F_MAP)
        return NULL;
    for (size_t i = 0; i < f->nfields; i++)
        if (strcmp(f->fields[i].name, name) == 0)
            return &f->fields[i];
    return NULL;
}

const hq_field *hq_schema_field(const hq_schema *s, const char *path)
{
    const hq_field *f = &s->data;
    const char *p = path;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        const char *sel = memchr(p, '[', n);
        if (sel && n > 0 && p[n - 1] == ']') {
            /* "items[result=fail]": an array of maps, selected on one of
             * the items' text fields (an enum's value must be one of its). */
            const char *eq = memchr(sel, '=', (size_t)(p + n - sel));
            if (!eq)
                return NULL;
            if (sel > p) {
                char name[128];
                if ((size_t)(sel - p) >= sizeof name)
                    return NULL;
                snprintf(name, sizeof name, "%.*s", (int)(sel - p), p);
                f = hq_schema_field_in(f, name);
            }
            if (!f || f->type != HQ_F_ARRAY || !f->items || f->items->type != HQ_F_MAP)
                return NULL;
            f = f->items;
            const hq_field *k = NULL;
            for (size_t i = 0; i < f->nfields; i++)
                if (strlen(f->fields[i].name) == (size_t)(eq - sel - 1) &&
                    memcmp(f->fields[i].name, sel + 1, (size_t)(eq - sel - 1)) == 0)
                    k = &f->fields[i];
            if (!k || (k->type != HQ_F_STRING && k->type != HQ_F_ENUM))
                return NULL;
            size_t vn = (size_t)(p + n - 1 - (eq + 1));
            bool known = k->type == HQ_F_STRING;
            for (size_t i = 0; !known && i < k->nvalues; i++)
                known = strlen(k->values[i]) == vn && memcmp(k->values[i], eq + 1, vn) == 0;
            if (!known)
                return NULL;
            p += n;
            if (*p == '.')
                p++;
            continue;
        }
        bool digits = n > 0;
        for (size_t i = 0; i < n; i++)
            digits = digits && p[i] >= '0' && p[i] <= '9';
        if (f->type == HQ_F_ARRAY && digits) {
            f = f->items; /* an explicit index */
        } else {
            while (f->type == HQ_F_ARRAY && f->items)
                f = f->items; /* "items.code": any item's code */
            if (f->type != HQ_F_MAP)
                return NULL;
            const hq_field *next = NULL;
            for (size_t i = 0; i < f->nfields; i++)
                if (strlen(f->fields[i].name) == n && memcmp(f->fields[i].name, p, n) == 0) {
                    next = &f->fields[i];
                    break;
                }
            if (!next)
                return NULL;
            f = next;
        }
        p += n;
        if (*p == '.')
            p++;
    }
    return f;
}
