/* test_cond.c - rule conditions (lib/cond.c), as a specification.
 *
 * The conditions are compiled from YAML against two small schemas the
 * group setup writes (t.cond, with every field type, a nested map and an
 * array of maps, and t.other, which lacks most of those fields), and
 * evaluated against events built in memory: an event is a view of its
 * envelope and a msgpack data map, which is all the evaluator reads.
 *
 * Compile errors are checked with their exact text, as the rule author
 * reads them: "c.yaml:LINE:COLUMN: reason".  Every condition in this file
 * is written on its own line(s) of c.yaml, so the positions can be read
 * off the YAML by eye.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cond.h"
#include "hq_test.h"
#include "hq_tev.h"
#include "json.h"
#include "mp.h"
#include "schema.h"
#include "ytree.h"

static const char schema_cond[] =
    "type: t.cond\n"
    "description: every field type, for test_cond.c\n"
    "fields:\n"
    "  site: {type: string}\n"
    "  label: {type: string, optional: true}\n"
    "  value: {type: number}\n"
    "  count: {type: int, optional: true}\n"
    "  flag: {type: bool, optional: true}\n"
    "  kind: {type: enum, values: [a, b, c]}\n"
    "  stage: {type: enum, optional: true, values: [open, cancelled]}\n"
    "  at_ms: {type: timestamp, optional: true}\n"
    "  place:\n"
    "    type: map\n"
    "    optional: true\n"
    "    fields:\n"
    "      building: {type: string}\n"
    "      floor: {type: int, optional: true}\n"
    "  items:\n"
    "    type: array\n"
    "    optional: true\n"
    "    items:\n"
    "      type: map\n"
    "      fields:\n"
    "        code: {type: string}\n"
    "        price: {type: number, optional: true}\n"
    "        result: {type: enum, values: [pass, fail]}\n"
    "  tags:\n"
    "    type: array\n"
    "    optional: true\n"
    "    items: {type: string}\n"
    "example: {site: s, value: 1, kind: a}\n";

static const char schema_other[] =
    "type: t.other\n"
    "description: a second type with only some of the fields\n"
    "fields:\n"
    "  site: {type: string}\n"
    "  value: {type: number}\n"
    "  stage: {type: enum, optional: true, values: [done, late]}\n"
    "example: {site: s, value: 1}\n";

/* ---- group state: the schemas ---- */

typedef struct group {
    char *tmp;
    hq_schemas *schemas;
    const hq_schema *cond;  /* t.cond */
    const hq_schema *other; /* t.other */
} group;

static group G;

static int group_setup(void **state)
{
    (void)state;
    G.tmp = hq_test_tmpdir();
    char p[4200];
    snprintf(p, sizeof p, "%s/t.cond.yaml", G.tmp);
    hq_test_write_file(p, schema_cond, strlen(schema_cond));
    snprintf(p, sizeof p, "%s/t.other.yaml", G.tmp);
    hq_test_write_file(p, schema_other, strlen(schema_other));
    hq_diags d;
    hq_diags_init(&d);
    int rc = hq_schemas_load_dir(G.tmp, &G.schemas, &d);
    if (rc != 0) {
        char b[1024];
        for (size_t i = 0; i < d.count; i++)
            fprintf(stderr, "%s\n", hq_err_str(&d.items[i], b, sizeof b));
    }
    hq_diags_fini(&d);
    if (rc != 0)
        return -1;
    G.cond = hq_schemas_find(G.schemas, "t.cond", 6);
    G.other = hq_schemas_find(G.schemas, "t.other", 7);
    return G.cond && G.other ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    hq_schemas_destroy(&G.schemas);
    hq_test_rmtree(G.tmp);
    free(G.tmp);
    return 0;
}

/* ---- registries and tables for known/unknown and above_table ---- */

static bool env_has_registry(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "sites") == 0;
}

static bool env_known(void *ctx, const char *registry, const char *key, size_t len)
{
    (void)ctx;
    static const char *const sites[] = {"canteen-1", "dorm-3"};
    if (strcmp(registry, "sites") != 0)
        return false;
    for (size_t i = 0; i < sizeof sites / sizeof *sites; i++)
        if (strlen(sites[i]) == len && memcmp(sites[i], key, len) == 0)
            return true;
    return false;
}

static bool env_has_table(void *ctx, const char *table)
{
    (void)ctx;
    return strcmp(table, "prices") == 0;
}

/* prices: rice 200, oil 1500; nothing for anything else. */
static bool env_table_value(void *ctx, const char *table, const char *key, size_t len, double *out)
{
    (void)ctx;
    if (strcmp(table, "prices") != 0)
        return false;
    if (len == 4 && memcmp(key, "rice", 4) == 0) {
        *out = 200;
        return true;
    }
    if (len == 3 && memcmp(key, "oil", 3) == 0) {
        *out = 1500;
        return true;
    }
    return false;
}

static const hq_cond_env ENV = {NULL, env_has_registry, env_known, env_has_table, env_table_value};

/* ---- compiling ---- */

/* A compiled condition and the document its positions came from. */
typedef struct compiled {
    hq_ydoc *doc;
    hq_cond *c;
    hq_diags d;
} compiled;

static void compile_with(compiled *out, const char *yaml, const hq_schema *const *schemas, size_t ns,
                         const hq_cond_env *env)
{
    hq_err err = {0};
    memset(out, 0, sizeof *out);
    if (hq_ydoc_load_buf("c.yaml", yaml, strlen(yaml), NULL, &out->doc, &err) != 0)
        fail_msg("the test's YAML does not load: %s", err.msg);
    hq_diags_init(&out->d);
    out->c = hq_cond_compile_env(out->doc, out->doc->root, schemas, ns, env, &out->d);
}

static void compiled_fini(compiled *c)
{
    hq_cond_destroy(&c->c);
    assert_null(c->c);
    hq_diags_fini(&c->d);
    hq_ydoc_destroy(&c->doc);
}

/* Compiles yaml against t.cond (with the registries); fails the test on
 * any diagnostic.  The document is freed at once: a condition owns copies
 * of everything it needs. */
static hq_cond *ok(const char *yaml)
{
    compiled c;
    compile_with(&c, yaml, &G.cond, 1, &ENV);
    if (!c.c || c.d.count) {
        char b[1024];
        fail_msg("%s: does not compile: %s", yaml, c.d.count ? hq_err_str(&c.d.items[0], b, sizeof b) : "NULL");
    }
    hq_cond *r = c.c;
    hq_diags_fini(&c.d);
    hq_ydoc_destroy(&c.doc);
    return r;
}

/* Compiles yaml (against schemas, with env) and checks that it is refused
 * with exactly the diagnostics in want, one per line, in order. */
static void refused_with(const char *yaml, const hq_schema *const *schemas, size_t ns, const hq_cond_env *env,
                         const char *want)
{
    compiled c;
    compile_with(&c, yaml, schemas, ns, env);
    char got[4096] = "", b[1024];
    for (size_t i = 0; i < c.d.count; i++) {
        strncat(got, hq_err_str(&c.d.items[i], b, sizeof b), sizeof got - strlen(got) - 1);
        strncat(got, "\n", sizeof got - strlen(got) - 1);
    }
    if (strcmp(got, want) != 0)
        fail_msg("%s\n--- got:\n%s--- want:\n%s", yaml, got, want);
    assert_null(c.c);
    assert_true(c.d.count > 0);
    compiled_fini(&c);
}

static void refused(const char *yaml, const char *want)
{
    refused_with(yaml, &G.cond, 1, &ENV, want);
}

/* ---- events ---- */

/* An event of type t.cond: envelope fields and data given as JSON. */
typedef hq_tev tev;

static hq_event *mkev_env(tev *t, const char *source, const char *id, int64_t ts_ms, const char *json)
{
    return hq_tev_make(t, G.cond, "t.cond", source, id, ts_ms, json);
}

static hq_event *mkev(tev *t, const char *json)
{
    return mkev_env(t, "gw-1", "ev-1", 1773024300000LL, json);
}

static void tev_fini(tev *t)
{
    hq_tev_fini(t);
}

/* Evaluates c against an event with the given data. */
static bool holds(const hq_cond *c, const char *json)
{
    tev t;
    bool r = hq_cond_eval(c, mkev(&t, json));
    tev_fini(&t);
    return r;
}

/* Compiles yaml, evaluates it against json, frees it. */
static bool eval1(const char *yaml, const char *json)
{
    hq_cond *c = ok(yaml);
    bool r = holds(c, json);
    hq_cond_destroy(&c);
    return r;
}

#define BASE "\"site\": \"canteen-1\", \"kind\": \"a\""
#define D(...) "{" BASE ", " __VA_ARGS__ "}"

/* ---- operators ---- */

static void eq_and_ne_on_text_numbers_booleans_and_enums(void **state)
{
    (void)state;
    assert_true(eval1("{field: data.site, eq: canteen-1}", D("\"value\": 1")));
    assert_false(eval1("{field: data.site, eq: canteen-2}", D("\"value\": 1")));
    assert_false(eval1("{field: data.site, eq: canteen}", D("\"value\": 1"))); /* whole value, not a prefix */
    assert_false(eval1("{field: data.site, ne: canteen-1}", D("\"value\": 1")));
    assert_true(eval1("{field: data.site, ne: canteen-2}", D("\"value\": 1")));
    /* Numbers compare by value whatever their msgpack encoding. */
    assert_true(eval1("{field: data.value, eq: 4}", D("\"value\": 4")));
    assert_true(eval1("{field: data.value, eq: 4}", D("\"value\": 4.0")));
    assert_true(eval1("{field: data.value, eq: 4.5}", D("\"value\": 4.5")));
    assert_false(eval1("{field: data.value, eq: 4.5}", D("\"value\": 4")));
    assert_true(eval1("{field: data.value, eq: -3}", D("\"value\": -3")));
    assert_true(eval1("{field: data.value, ne: 4}", D("\"value\": 5")));
    assert_false(eval1("{field: data.value, ne: 4}", D("\"value\": 4")));
    assert_true(eval1("{field: data.count, eq: 3}", D("\"value\": 1, \"count\": 3")));
    assert_true(eval1("{field: data.flag, eq: true}", D("\"value\": 1, \"flag\": true")));
    assert_false(eval1("{field: data.flag, eq: true}", D("\"value\": 1, \"flag\": false")));
    assert_true(eval1("{field: data.flag, eq: false}", D("\"value\": 1, \"flag\": false")));
    assert_true(eval1("{field: data.flag, ne: true}", D("\"value\": 1, \"flag\": false")));
    assert_true(eval1("{field: data.kind, eq: a}", D("\"value\": 1")));
    assert_false(eval1("{field: data.kind, eq: b}", D("\"value\": 1")));
    /* A quoted number on a text field is text; so is a plain one. */
    assert_true(eval1("{field: data.site, eq: \"42\"}", "{\"site\": \"42\", \"kind\": \"a\", \"value\": 1}"));
    assert_true(eval1("{field: data.site, eq: 42}", "{\"site\": \"42\", \"kind\": \"a\", \"value\": 1}"));
    assert_true(eval1("{field: data.site, eq: \"true\"}", "{\"site\": \"true\", \"kind\": \"a\", \"value\": 1}"));
}

static void lt_le_gt_ge_at_and_around_the_bound(void **state)
{
    (void)state;
    static const struct {
        const char *op;
        bool below, at, above;
    } cases[] = {
        {"lt", true, false, false},
        {"le", true, true, false},
        {"gt", false, false, true},
        {"ge", false, true, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char y[128];
        snprintf(y, sizeof y, "{field: data.value, %s: 8}", cases[i].op);
        hq_cond *c = ok(y);
        if (holds(c, D("\"value\": 7.9")) != cases[i].below || holds(c, D("\"value\": 8")) != cases[i].at ||
            holds(c, D("\"value\": 8.0")) != cases[i].at || holds(c, D("\"value\": 8.1")) != cases[i].above ||
            holds(c, D("\"value\": -100")) != cases[i].below || holds(c, D("\"value\": 1e9")) != cases[i].above)
            fail_msg("%s: wrong around 8", y);
        hq_cond_destroy(&c);
    }
    /* Negative and fractional bounds. */
    assert_true(eval1("{field: data.value, lt: -12.5}", D("\"value\": -18")));
    assert_false(eval1("{field: data.value, lt: -12.5}", D("\"value\": -12.5")));
    assert_true(eval1("{field: data.count, ge: 0}", D("\"value\": 1, \"count\": 0")));
}

static void in_and_not_in(void **state)
{
    (void)state;
    hq_cond *in = ok("{field: data.kind, in: [a, b]}");
    hq_cond *nin = ok("{field: data.kind, not_in: [a, b]}");
    static const struct {
        const char *kind;
        bool in;
    } cases[] = {{"a", true}, {"b", true}, {"c", false}};
    for (size_t i = 0; i < 3; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"site\": \"s\", \"kind\": \"%s\", \"value\": 1}", cases[i].kind);
        assert_int_equal(holds(in, json), cases[i].in);
        assert_int_equal(holds(nin, json), !cases[i].in);
    }
    hq_cond_destroy(&in);
    hq_cond_destroy(&nin);
    /* Numbers in a set. */
    assert_true(eval1("{field: data.value, in: [1, 2.5, 3]}", D("\"value\": 2.5")));
    assert_false(eval1("{field: data.value, in: [1, 2.5, 3]}", D("\"value\": 2")));
    assert_true(eval1("{field: data.value, not_in: [1, 2.5, 3]}", D("\"value\": 2")));
    /* A single-item set. */
    assert_true(eval1("{field: data.site, in: [canteen-1]}", D("\"value\": 1")));
}

static void range_is_inclusive_at_both_ends(void **state)
{
    (void)state;
    hq_cond *c = ok("{field: data.value, range: [0, 8]}");
    assert_false(holds(c, D("\"value\": -0.1")));
    assert_true(holds(c, D("\"value\": 0")));
    assert_true(holds(c, D("\"value\": 4.5")));
    assert_true(holds(c, D("\"value\": 8")));
    assert_false(holds(c, D("\"value\": 8.01")));
    hq_cond_destroy(&c);
    /* A range of one value. */
    assert_true(eval1("{field: data.value, range: [3, 3]}", D("\"value\": 3")));
    assert_false(eval1("{field: data.value, range: [3, 3]}", D("\"value\": 3.5")));
    assert_true(eval1("{field: data.value, range: [-20, -12]}", D("\"value\": -18")));
}

static void exists_true_and_false(void **state)
{
    (void)state;
    hq_cond *yes = ok("{field: data.label, exists: true}");
    hq_cond *no = ok("{field: data.label, exists: false}");
    assert_true(holds(yes, D("\"value\": 1, \"label\": \"x\"")));
    assert_false(holds(no, D("\"value\": 1, \"label\": \"x\"")));
    assert_false(holds(yes, D("\"value\": 1")));
    assert_true(holds(no, D("\"value\": 1")));
    /* An empty string exists; null does not. */
    assert_true(holds(yes, D("\"value\": 1, \"label\": \"\"")));
    assert_false(holds(yes, D("\"value\": 1, \"label\": null")));
    assert_true(holds(no, D("\"value\": 1, \"label\": null")));
    hq_cond_destroy(&yes);
    hq_cond_destroy(&no);
    /* A nested field, and a map or array as a whole. */
    assert_true(eval1("{field: data.place.floor, exists: true}", D("\"value\": 1, \"place\": {\"building\": \"B\", \"floor\": 2}")));
    assert_false(eval1("{field: data.place.floor, exists: true}", D("\"value\": 1, \"place\": {\"building\": \"B\"}")));
    assert_false(eval1("{field: data.place.floor, exists: true}", D("\"value\": 1")));
    assert_true(eval1("{field: data.place, exists: true}", D("\"value\": 1, \"place\": {\"building\": \"B\"}")));
    assert_true(eval1("{field: data.items, exists: true}",
                      D("\"value\": 1, \"items\": [{\"code\": \"x\", \"result\": \"pass\"}]")));
}

static void prefix_of_text(void **state)
{
    (void)state;
    hq_cond *c = ok("{field: data.site, prefix: canteen-}");
    assert_true(holds(c, "{\"site\": \"canteen-1\", \"kind\": \"a\", \"value\": 1}"));
    assert_true(holds(c, "{\"site\": \"canteen-\", \"kind\": \"a\", \"value\": 1}")); /* the prefix itself */
    assert_false(holds(c, "{\"site\": \"canteen\", \"kind\": \"a\", \"value\": 1}"));  /* shorter */
    assert_false(holds(c, "{\"site\": \"dorm-1\", \"kind\": \"a\", \"value\": 1}"));
    assert_false(holds(c, "{\"site\": \"xcanteen-1\", \"kind\": \"a\", \"value\": 1}")); /* not at the start */
    assert_false(holds(c, "{\"site\": \"Canteen-1\", \"kind\": \"a\", \"value\": 1}")); /* case matters */
    hq_cond_destroy(&c);
    /* UTF-8 text is compared byte for byte. */
    assert_true(eval1("{field: data.site, prefix: 第一}", "{\"site\": \"第一食堂\", \"kind\": \"a\", \"value\": 1}"));
    assert_false(eval1("{field: data.site, prefix: 第二}", "{\"site\": \"第一食堂\", \"kind\": \"a\", \"value\": 1}"));
}

static void all_any_not_and_lists(void **state)
{
    (void)state;
    static const char all[] = "{all: [{field: data.value, gt: 8}, {field: data.kind, eq: a}]}";
    static const char list[] = "[{field: data.value, gt: 8}, {field: data.kind, eq: a}]";
    static const char any[] = "{any: [{field: data.value, gt: 8}, {field: data.kind, eq: b}]}";
    static const char not_[] = "{not: {field: data.value, gt: 8}}";
    static const struct {
        const char *json;
        bool all, any, not_;
    } cases[] = {
        {"{\"site\": \"s\", \"kind\": \"a\", \"value\": 9}", true, true, false},
        {"{\"site\": \"s\", \"kind\": \"a\", \"value\": 1}", false, false, true},
        {"{\"site\": \"s\", \"kind\": \"b\", \"value\": 9}", false, true, false},
        {"{\"site\": \"s\", \"kind\": \"b\", \"value\": 1}", false, true, true},
    };
    hq_cond *ca = ok(all), *cl = ok(list), *cy = ok(any), *cn = ok(not_);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(holds(ca, cases[i].json), cases[i].all);
        assert_int_equal(holds(cl, cases[i].json), cases[i].all);
        assert_int_equal(holds(cy, cases[i].json), cases[i].any);
        assert_int_equal(holds(cn, cases[i].json), cases[i].not_);
    }
    hq_cond_destroy(&ca);
    hq_cond_destroy(&cl);
    hq_cond_destroy(&cy);
    hq_cond_destroy(&cn);
    /* Nesting: not(any(all(...), ...)). */
    hq_cond *c = ok("{not: {any: [{all: [{field: data.value, ge: 1}, {field: data.value, le: 2}]},\n"
                    "                {field: data.kind, eq: c}]}}");
    assert_false(holds(c, "{\"site\": \"s\", \"kind\": \"a\", \"value\": 1.5}"));
    assert_false(holds(c, "{\"site\": \"s\", \"kind\": \"c\", \"value\": 5}"));
    assert_true(holds(c, "{\"site\": \"s\", \"kind\": \"a\", \"value\": 5}"));
    hq_cond_destroy(&c);
    /* Double negation. */
    assert_true(eval1("{not: {not: {field: data.kind, eq: a}}}", D("\"value\": 1")));
    assert_false(eval1("{not: {not: {field: data.kind, eq: b}}}", D("\"value\": 1")));
}

static void known_and_unknown_registries(void **state)
{
    (void)state;
    hq_cond *k = ok("{field: data.site, known: sites}");
    hq_cond *u = ok("{field: data.site, unknown: sites}");
    static const char known_site[] = "{\"site\": \"dorm-3\", \"kind\": \"a\", \"value\": 1}";
    static const char other_site[] = "{\"site\": \"dorm-99\", \"kind\": \"a\", \"value\": 1}";
    static const char prefix_site[] = "{\"site\": \"dorm-\", \"kind\": \"a\", \"value\": 1}";
    assert_true(holds(k, known_site));
    assert_false(holds(u, known_site));
    assert_false(holds(k, other_site));
    assert_true(holds(u, other_site));
    assert_false(holds(k, prefix_site)); /* the whole id, by length */
    assert_true(holds(u, prefix_site));
    hq_cond_destroy(&k);
    hq_cond_destroy(&u);
    /* An absent field is neither known nor unknown: there is nothing to look up. */
    assert_false(eval1("{field: data.label, known: sites}", D("\"value\": 1")));
    assert_false(eval1("{field: data.label, unknown: sites}", D("\"value\": 1")));
    assert_true(eval1("{field: data.label, unknown: sites}", D("\"value\": 1, \"label\": \"nowhere\"")));
}

static void above_table_by_event_key_and_by_sibling(void **state)
{
    (void)state;
    /* The key from elsewhere in the event: value above the site's price. */
    hq_cond *c = ok("{field: data.value, above_table: {table: prices, key: data.label}}");
    assert_true(holds(c, D("\"value\": 201, \"label\": \"rice\"")));
    assert_false(holds(c, D("\"value\": 200, \"label\": \"rice\""))); /* strictly above */
    assert_false(holds(c, D("\"value\": 199, \"label\": \"rice\"")));
    assert_true(holds(c, D("\"value\": 1501, \"label\": \"oil\"")));
    assert_false(holds(c, D("\"value\": 1000, \"label\": \"oil\"")));
    assert_false(holds(c, D("\"value\": 99999, \"label\": \"salt\""))); /* no approved value: no finding */
    assert_false(holds(c, D("\"value\": 99999")));                      /* no key */
    hq_cond_destroy(&c);
    /* The key beside the value in the same array item: each item against
     * its own price, not the first item's. */
    c = ok("{field: data.items.price, above_table: {table: prices, key: data.items.code}}");
    assert_true(holds(c, D("\"value\": 1, \"items\": [{\"code\": \"rice\", \"price\": 100, \"result\": \"pass\"},"
                           " {\"code\": \"oil\", \"price\": 1600, \"result\": \"pass\"}]")));
    assert_false(holds(c, D("\"value\": 1, \"items\": [{\"code\": \"rice\", \"price\": 150, \"result\": \"pass\"},"
                            " {\"code\": \"oil\", \"price\": 1000, \"result\": \"pass\"}]")));
    assert_true(holds(c, D("\"value\": 1, \"items\": [{\"code\": \"rice\", \"price\": 250, \"result\": \"pass\"}]")));
    hq_cond_destroy(&c);
}

/* ---- paths ---- */

static void paths_into_nested_maps_and_arrays(void **state)
{
    (void)state;
    static const char ev[] = D("\"value\": 1, \"place\": {\"building\": \"B1\", \"floor\": 3},"
                               " \"items\": [{\"code\": \"fs.sample\", \"result\": \"pass\"},"
                               " {\"code\": \"fs.temp\", \"result\": \"fail\", \"price\": 5}],"
                               " \"tags\": [\"x\", \"y\"]");
    assert_true(eval1("{field: data.place.building, eq: B1}", ev));
    assert_false(eval1("{field: data.place.building, eq: B2}", ev));
    assert_true(eval1("{field: data.place.floor, gt: 2}", ev));
    /* Crossing an array: any item may match. */
    assert_true(eval1("{field: data.items.result, eq: fail}", ev));
    assert_true(eval1("{field: data.items.result, eq: pass}", ev));
    assert_true(eval1("{field: data.items.code, prefix: fs.t}", ev));
    assert_false(eval1("{field: data.items.code, eq: fs.other}", ev));
    assert_true(eval1("{field: data.items.price, ge: 5}", ev)); /* only the second item has one */
    /* An index picks one item. */
    assert_true(eval1("{field: data.items.1.result, eq: fail}", ev));
    assert_false(eval1("{field: data.items.0.result, eq: fail}", ev));
    assert_false(eval1("{field: data.items.7.result, eq: fail}", ev)); /* out of range: absent */
    /* An array of scalars: any item. */
    assert_true(eval1("{field: data.tags, eq: y}", ev));
    /* Registry checks on a list of texts hold when any item passes. */
    assert_true(eval1("{field: data.tags, unknown: sites}", ev));
    assert_false(eval1("{field: data.tags, known: sites}", ev));
    assert_true(eval1("{field: data.tags, known: sites}", D("\"value\": 1, \"tags\": [\"x\", \"dorm-3\"]")));
    assert_false(eval1("{field: data.tags, unknown: sites}", D("\"value\": 1, \"tags\": [\"canteen-1\"]")));
    assert_false(eval1("{field: data.tags, eq: z}", ev));
    assert_true(eval1("{field: data.tags, in: [z, x]}", ev));
    /* The path through a map that is not there. */
    assert_false(eval1("{field: data.place.building, eq: B1}", D("\"value\": 1")));
    assert_true(eval1("{field: data.place.building, ne: B1}", D("\"value\": 1")));
}

static void envelope_source_ts_type_and_id(void **state)
{
    (void)state;
    tev t;
    hq_event *ev = mkev_env(&t, "gw-canteen-1", "e-77", 1773024300000LL, D("\"value\": 1"));
    static const struct {
        const char *yaml;
        bool want;
    } cases[] = {
        {"{field: source, eq: gw-canteen-1}", true},
        {"{field: source, eq: gw-canteen-2}", false},
        {"{field: source, prefix: gw-}", true},
        {"{field: source, prefix: cam-}", false},
        {"{field: source, in: [a, gw-canteen-1]}", true},
        {"{field: source, not_in: [a, gw-canteen-1]}", false},
        {"{field: ts, ge: 1773024300000}", true},
        {"{field: ts, gt: 1773024300000}", false},
        {"{field: ts, lt: 1773024300001}", true},
        {"{field: ts, range: [1773000000000, 1773100000000]}", true},
        {"{field: ts, range: [1773100000000, 1773200000000]}", false},
        {"{field: ts, eq: 1773024300000}", true},
        {"{field: type, eq: t.cond}", true},
        {"{field: type, eq: t.other}", false},
        {"{field: id, eq: e-77}", true},
        {"{field: id, prefix: e-8}", false},
        {"{field: source, exists: true}", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        hq_cond *c = ok(cases[i].yaml);
        if (hq_cond_eval(c, ev) != cases[i].want)
            fail_msg("%s: expected %s", cases[i].yaml, cases[i].want ? "true" : "false");
        hq_cond_destroy(&c);
    }
    tev_fini(&t);
}

static void hq_event_field_resolves_envelope_and_data(void **state)
{
    (void)state;
    tev t;
    hq_event *ev = mkev_env(&t, "gw-1", "e-1", 1234, D("\"value\": 7, \"place\": {\"building\": \"B\"}"));
    msgpack_object tmp;
    const msgpack_object *o = hq_event_field(ev, "ts", &tmp);
    assert_non_null(o);
    int64_t ts = 0;
    assert_true(hq_mp_int64(o, &ts));
    assert_int_equal(ts, 1234);
    assert_true(hq_mp_str_eq(hq_event_field(ev, "source", &tmp), "gw-1"));
    assert_true(hq_mp_str_eq(hq_event_field(ev, "type", &tmp), "t.cond"));
    assert_true(hq_mp_str_eq(hq_event_field(ev, "id", &tmp), "e-1"));
    assert_true(hq_mp_str_eq(hq_event_field(ev, "data.place.building", &tmp), "B"));
    double v = 0;
    assert_true(hq_mp_number(hq_event_field(ev, "data.value", &tmp), &v));
    assert_true(v == 7);
    assert_null(hq_event_field(ev, "data.label", &tmp));
    assert_null(hq_event_field(ev, "data.place.room", &tmp));
    assert_null(hq_event_field(ev, "nosuch", &tmp));
    tev_fini(&t);
}

/* ---- type mismatches and missing fields at evaluation ---- */

static void missing_fields_match_only_negative_operators(void **state)
{
    (void)state;
    static const struct {
        const char *yaml;
        bool want;
    } cases[] = {
        {"{field: data.label, eq: x}", false},       {"{field: data.label, ne: x}", true},
        {"{field: data.count, lt: 5}", false},       {"{field: data.count, le: 5}", false},
        {"{field: data.count, gt: 5}", false},       {"{field: data.count, ge: 5}", false},
        {"{field: data.label, in: [x, y]}", false},  {"{field: data.label, not_in: [x, y]}", true},
        {"{field: data.count, range: [0, 9]}", false}, {"{field: data.label, prefix: x}", false},
        {"{not: {field: data.label, eq: x}}", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (eval1(cases[i].yaml, D("\"value\": 1")) != cases[i].want)
            fail_msg("%s on an event without the field: expected %s", cases[i].yaml, cases[i].want ? "true" : "false");
    /* null is absent too. */
    assert_false(eval1("{field: data.count, lt: 5}", D("\"value\": 1, \"count\": null")));
    assert_true(eval1("{field: data.label, ne: x}", D("\"value\": 1, \"label\": null")));
}

static void values_of_the_wrong_type_never_match(void **state)
{
    (void)state;
    /* The evaluator does not convert: a number field that arrives as text
     * (or text that looks like a number) fails every numeric comparison,
     * and ne holds. */
    static const char text_value[] = D("\"value\": \"9\"");
    assert_false(eval1("{field: data.value, gt: 8}", text_value));
    assert_false(eval1("{field: data.value, lt: 10}", text_value));
    assert_false(eval1("{field: data.value, eq: 9}", text_value));
    assert_true(eval1("{field: data.value, ne: 9}", text_value));
    assert_false(eval1("{field: data.value, range: [0, 10]}", text_value));
    assert_false(eval1("{field: data.value, in: [9]}", text_value));
    assert_true(eval1("{field: data.value, exists: true}", text_value));
    /* A text field holding a number fails text comparisons. */
    static const char num_site[] = "{\"site\": 42, \"kind\": \"a\", \"value\": 1}";
    assert_false(eval1("{field: data.site, eq: \"42\"}", num_site));
    assert_false(eval1("{field: data.site, prefix: \"4\"}", num_site));
    assert_false(eval1("{field: data.site, known: sites}", num_site));
    /* A boolean is not the number 1. */
    assert_false(eval1("{field: data.flag, eq: true}", D("\"value\": 1, \"flag\": 1")));
    /* A map where a value is expected. */
    assert_false(eval1("{field: data.place, eq: B}", D("\"value\": 1, \"place\": {\"building\": \"B\"}")));
    /* An envelope text field is text: ordering it is refused. */
    refused("{field: source, gt: 8}", "c.yaml:1:21: gt: expected a number\n");
}

static void envelope_text_compared_with_a_plain_number_is_text(void **state)
{
    (void)state;
    /* `{field: data.site, eq: 42}` on a text field compares as the text
     * "42"; so does an unquoted number on the envelope's text fields. */
    tev t;
    hq_event *ev = mkev_env(&t, "42", "7", 1, D("\"value\": 1"));
    hq_cond *c = ok("{field: source, eq: 42}");
    assert_true(hq_cond_eval(c, ev));
    hq_cond_destroy(&c);
    c = ok("{field: id, in: [7, 8]}");
    assert_true(hq_cond_eval(c, ev));
    hq_cond_destroy(&c);
    tev_fini(&t);
}

/* ---- compile errors ---- */

static void unknown_and_misplaced_operators(void **state)
{
    (void)state;
    refused("field: data.site\n"
            "like: canteen\n",
            "c.yaml:2:1: unknown operator \"like\" (expected eq, ne, lt, le, gt, ge, in, not_in, range, exists, "
            "prefix, known, unknown or above_table)\n");
    /* "not in" is spelled not_in. */
    refused("{field: data.kind, not in: [a]}",
            "c.yaml:1:20: unknown operator \"not in\" (expected eq, ne, lt, le, gt, ge, in, not_in, range, exists, "
            "prefix, known, unknown or above_table)\n");
    refused("{field: data.site, eq: a, ne: b}", "c.yaml:1:1: a condition has \"field\" and exactly one operator\n");
    refused("{field: data.site}", "c.yaml:1:1: a condition has \"field\" and exactly one operator\n");
    refused("{eq: a}", "c.yaml:1:1: a condition needs \"field\" and one operator (eq, ne, lt, le, gt, ge, in, "
                       "not_in, range, exists, prefix, known, unknown, above_table), or all/any/not\n");
    refused("{field: [data.site], eq: a}",
            "c.yaml:1:1: a condition needs \"field\" and one operator (eq, ne, lt, le, gt, ge, in, not_in, range, "
            "exists, prefix, known, unknown, above_table), or all/any/not\n");
    refused("data.site == 1", "c.yaml:1:1: expected a condition: {field: ..., eq: ...}, all, any or not\n");
}

static void unknown_fields_and_paths(void **state)
{
    (void)state;
    refused("{field: data.nosuch, eq: 1}", "c.yaml:1:9: field \"data.nosuch\": event type t.cond has no such field\n");
    refused("{field: data.place.room, eq: 1}",
            "c.yaml:1:9: field \"data.place.room\": event type t.cond has no such field\n");
    /* A template's selector is not a condition's path. */
    refused("{field: \"data.items[result=fail].code\", eq: a}",
            "c.yaml:1:9: field \"data.items[result=fail].code\": a selector [field=value] is for templates; a "
            "condition on data.items.result already looks at every item\n");
    refused("{field: site, eq: a}",
            "c.yaml:1:9: field \"site\": expected data.<field> or one of source, ts, type, id\n");
    refused("{field: data., eq: a}",
            "c.yaml:1:9: field \"data.\": expected data.<field> or one of source, ts, type, id\n");
    refused("{field: timestamp, eq: 1}",
            "c.yaml:1:9: field \"timestamp\": expected data.<field> or one of source, ts, type, id\n");
    /* A rule on two types: the path must exist in each. */
    const hq_schema *both[] = {G.cond, G.other};
    refused_with("{field: data.kind, eq: a}", both, 2, &ENV,
                 "c.yaml:1:9: field \"data.kind\": event type t.other has no such field\n");
    compiled c;
    compile_with(&c, "{field: data.value, gt: 1}", both, 2, &ENV);
    assert_non_null(c.c);
    assert_int_equal(c.d.count, 0);
    compiled_fini(&c);
    /* An enum value of either type's field is a value (a decision.progress
     * status in a rule on decision.task and decision.progress); one of
     * neither is refused, and a single type knows only its own values. */
    compile_with(&c, "{field: data.stage, in: [cancelled, done]}", both, 2, &ENV);
    assert_non_null(c.c);
    assert_int_equal(c.d.count, 0);
    compiled_fini(&c);
    refused_with("{field: data.stage, eq: finished}", both, 2, &ENV,
                 "c.yaml:1:25: data.stage: \"finished\" is not one of the field's values\n");
    refused("{field: data.stage, eq: done}", "c.yaml:1:25: data.stage: \"done\" is not one of the field's values\n");
    /* Envelope paths exist for every type. */
    compile_with(&c, "{field: source, eq: a}", both, 2, &ENV);
    assert_non_null(c.c);
    compiled_fini(&c);
}

static void values_of_the_wrong_type_are_refused(void **state)
{
    (void)state;
    refused("{field: data.value, eq: abc}", "c.yaml:1:25: data.value is a number; expected a number, got \"abc\"\n");
    refused("{field: data.value, eq: \"8\"}", "c.yaml:1:25: data.value is a number; expected a number, got \"8\"\n");
    refused("{field: data.count, gt: ten}", "c.yaml:1:25: data.count is a number; expected a number, got \"ten\"\n");
    refused("{field: data.at_ms, ge: today}",
            "c.yaml:1:25: data.at_ms is a number; expected a number, got \"today\"\n");
    refused("{field: ts, ge: today}", "c.yaml:1:17: ts is a number; expected a number, got \"today\"\n");
    refused("{field: data.flag, eq: yes}",
            "c.yaml:1:24: data.flag is a boolean; expected true or false, got \"yes\"\n");
    refused("{field: data.flag, eq: 1}",
            "c.yaml:1:24: data.flag is a boolean; expected true or false, got \"1\"\n");
    refused("{field: data.kind, eq: z}", "c.yaml:1:24: data.kind: \"z\" is not one of the field's values\n");
    refused("{field: data.kind, in: [a, z]}", "c.yaml:1:28: data.kind: \"z\" is not one of the field's values\n");
    refused("{field: data.site, lt: abc}", "c.yaml:1:24: lt: expected a number\n");
    refused("{field: data.site, ge: 5}", "c.yaml:1:24: ge: expected a number\n");
    refused("{field: data.value, prefix: 5}", "c.yaml:1:29: prefix: expected a text value\n");
    refused("{field: data.site, eq: {a: 1}}", "c.yaml:1:24: data.site: expected a single value\n");
    refused("{field: data.site, eq: [a]}", "c.yaml:1:24: data.site: expected a single value\n");
    refused("{field: data.label, exists: maybe}", "c.yaml:1:29: expected true or false, got \"maybe\"\n");
}

static void sets_and_ranges_of_the_wrong_shape_are_refused(void **state)
{
    (void)state;
    refused("{field: data.kind, in: a}", "c.yaml:1:24: in: expected a list of values\n");
    refused("{field: data.kind, not_in: []}", "c.yaml:1:28: not_in: expected a list of values\n");
    refused("{field: data.value, range: [1]}", "c.yaml:1:28: range: expected [low, high]\n");
    refused("{field: data.value, range: [1, 2, 3]}", "c.yaml:1:28: range: expected [low, high]\n");
    refused("{field: data.value, range: 5}", "c.yaml:1:28: range: expected [low, high]\n");
    refused("{field: data.value, range: [8, 0]}", "c.yaml:1:28: range: low is greater than high\n");
    refused("{field: data.site, range: [a, b]}", "c.yaml:1:27: range: expected two numbers\n");
}

static void all_any_not_of_the_wrong_shape_are_refused(void **state)
{
    (void)state;
    refused("{all: []}", "c.yaml:1:7: all: expected a non-empty list of conditions\n");
    refused("{any: {field: data.kind, eq: a}}", "c.yaml:1:7: any: expected a non-empty list of conditions\n");
    refused("{all: [{field: data.kind, eq: a}], field: data.site}",
            "c.yaml:1:1: all/any must be alone in their mapping\n");
    refused("{not: {field: data.kind, eq: a}, any: []}", "c.yaml:1:1: all/any must be alone in their mapping\n");
    refused("{not: {field: data.kind, eq: a}, field: data.site}", "c.yaml:1:1: not must be alone in its mapping\n");
    refused("{not: 5}", "c.yaml:1:7: expected a condition: {field: ..., eq: ...}, all, any or not\n");
    /* An error deep inside is reported at its own position. */
    refused("all:\n"
            "  - {field: data.kind, eq: a}\n"
            "  - any:\n"
            "      - {field: data.value, gt: 1}\n"
            "      - {not: {field: data.nope, eq: 1}}\n",
            "c.yaml:5:23: field \"data.nope\": event type t.cond has no such field\n");
}

static void every_error_is_reported_and_nothing_is_returned(void **state)
{
    (void)state;
    refused("- {field: data.kind, eq: z}\n"
            "- {field: data.value, gt: 1}\n"
            "- {field: data.site, frob: 1}\n"
            "- {field: data.nosuch, eq: 1}\n"
            "- {field: data.value, range: [9, 1]}\n",
            "c.yaml:1:26: data.kind: \"z\" is not one of the field's values\n"
            "c.yaml:3:22: unknown operator \"frob\" (expected eq, ne, lt, le, gt, ge, in, not_in, range, exists, "
            "prefix, known, unknown or above_table)\n"
            "c.yaml:4:11: field \"data.nosuch\": event type t.cond has no such field\n"
            "c.yaml:5:30: range: low is greater than high\n");
}

static void registry_and_table_errors(void **state)
{
    (void)state;
    refused("{field: data.site, known: people}", "c.yaml:1:27: known: unknown registry \"people\" (sites, sensors, contractors)\n");
    refused("{field: data.value, unknown: sites}",
            "c.yaml:1:30: unknown: data.value is not a text field (or a list of texts)\n");
    /* Without an environment there are no registries and no tables. */
    refused_with("{field: data.site, known: sites}", &G.cond, 1, NULL,
                 "c.yaml:1:27: known: unknown registry \"sites\" (sites, sensors, contractors)\n");
    refused_with("{field: data.value, above_table: {table: prices, key: data.site}}", &G.cond, 1, NULL,
                 "c.yaml:1:42: above_table: unknown table \"prices\" (define it under tables:)\n");
    refused("{field: data.value, above_table: {table: costs, key: data.site}}",
            "c.yaml:1:42: above_table: unknown table \"costs\" (define it under tables:)\n");
    refused("{field: data.site, above_table: {table: prices, key: data.label}}",
            "c.yaml:1:33: above_table: data.site is not a number field\n");
    refused("{field: data.value, above_table: {table: prices, key: data.nosuch}}",
            "c.yaml:1:55: field \"data.nosuch\": event type t.cond has no such field\n");
    refused("{field: data.value, above_table: {table: prices}}", "c.yaml:1:34: missing required key \"key\"\n");
    refused("{field: data.value, above_table: {table: prices, key: data.site, max: 1}}",
            "c.yaml:1:66: unknown key \"max\" (expected one of: table, key)\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(eq_and_ne_on_text_numbers_booleans_and_enums),
        cmocka_unit_test(lt_le_gt_ge_at_and_around_the_bound),
        cmocka_unit_test(in_and_not_in),
        cmocka_unit_test(range_is_inclusive_at_both_ends),
        cmocka_unit_test(exists_true_and_false),
        cmocka_unit_test(prefix_of_text),
        cmocka_unit_test(all_any_not_and_lists),
        cmocka_unit_test(known_and_unknown_registries),
        cmocka_unit_test(above_table_by_event_key_and_by_sibling),
        cmocka_unit_test(paths_into_nested_maps_and_arrays),
        cmocka_unit_test(envelope_source_ts_type_and_id),
        cmocka_unit_test(hq_event_field_resolves_envelope_and_data),
        cmocka_unit_test(missing_fields_match_only_negative_operators),
        cmocka_unit_test(values_of_the_wrong_type_never_match),
        cmocka_unit_test(envelope_text_compared_with_a_plain_number_is_text),
        cmocka_unit_test(unknown_and_misplaced_operators),
        cmocka_unit_test(unknown_fields_and_paths),
        cmocka_unit_test(values_of_the_wrong_type_are_refused),
        cmocka_unit_test(sets_and_ranges_of_the_wrong_shape_are_refused),
        cmocka_unit_test(all_any_not_of_the_wrong_shape_are_refused),
        cmocka_unit_test(every_error_is_reported_and_nothing_is_returned),
        cmocka_unit_test(registry_and_table_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
