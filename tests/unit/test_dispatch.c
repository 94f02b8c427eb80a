/* test_dispatch.c - which rules of a type an event meets (lib/dispatch.c).
 *
 * The index is a filter in front of the conditions: it may select a rule
 * whose condition then fails, but it must never leave out a rule whose
 * gate holds, and it keeps rule order.  The property test checks exactly
 * that over random rules and events; the others pin the choices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dispatch.h"
#include "hq_test.h"
#include "hq_tev.h"
#include "json.h"
#include "mp.h"
#include "schema.h"
#include "ytree.h"

static const char schema_t[] = "type: t.disp\n"
                               "description: for test_dispatch.c\n"
                               "fields:\n"
                               "  sensor: {type: string}\n"
                               "  kind: {type: string}\n"
                               "  site: {type: string, optional: true}\n"
                               "  value: {type: number}\n"
                               "  tags: {type: array, optional: true, items: {type: string}}\n"
                               "example: {sensor: cs-1, kind: a, value: 1}\n";

static struct {
    char *tmp;
    hq_schemas *schemas;
    const hq_schema *t;
} G;

static int group_setup(void **state)
{
    (void)state;
    G.tmp = hq_test_tmpdir();
    char p[4200];
    snprintf(p, sizeof p, "%s/t.disp.yaml", G.tmp);
    hq_test_write_file(p, schema_t, strlen(schema_t));
    hq_diags d;
    hq_diags_init(&d);
    int rc = hq_schemas_load_dir(G.tmp, &G.schemas, &d);
    hq_diags_fini(&d);
    if (rc != 0)
        return -1;
    G.t = hq_schemas_find(G.schemas, "t.disp", 6);
    return G.t ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    hq_schemas_destroy(&G.schemas);
    hq_test_rmtree(G.tmp);
    free(G.tmp);
    return 0;
}

static hq_cond *cond(const char *yaml)
{
    if (!yaml)
        return NULL;
    hq_err err = {0};
    hq_ydoc *doc;
    if (hq_ydoc_load_buf("c.yaml", yaml, strlen(yaml), NULL, &doc, &err) != 0)
        fail_msg("%s: %s", yaml, err.msg);
    hq_diags d;
    hq_diags_init(&d);
    hq_cond *c = hq_cond_compile(doc, doc->root, &G.t, 1, &d);
    if (!c || d.count) {
        char b[1024];
        fail_msg("%s: %s", yaml, d.count ? hq_err_str(&d.items[0], b, sizeof b) : "NULL");
    }
    hq_diags_fini(&d);
    hq_ydoc_destroy(&doc);
    return c;
}

/* A set of rules of type t.disp, each with a condition (and a scope for
 * sustained ones). */
typedef struct rset {
    hq_rule r[64];
    const hq_rule *p[64];
    size_t n;
    hq_dispatch *d;
} rset;

static void add(rset *s, hq_rule_kind kind, const char *when, const char *scope)
{
    hq_rule *r = &s->r[s->n];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->when = cond(when);
    r->scope = cond(scope);
    s->p[s->n] = r;
    s->n++;
}

static void build(rset *s)
{
    s->d = hq_dispatch_build(s->p, s->n);
    assert_non_null(s->d);
}

static void rset_fini(rset *s)
{
    hq_dispatch_destroy(&s->d);
    assert_null(s->d);
    for (size_t i = 0; i < s->n; i++) {
        hq_cond_destroy(&s->r[i].when);
        hq_cond_destroy(&s->r[i].scope);
    }
}

typedef hq_tev tev;

static hq_event *mkev(tev *t, const char *json)
{
    return hq_tev_make(t, G.t, "t.disp", "gw", "e1", 0, json);
}

static void tev_fini(tev *t)
{
    hq_tev_fini(t);
}

/* The selection for json as a string of rule numbers: "0,3,4". */
static const char *selected(const rset *s, const char *json)
{
    static char out[512];
    const hq_rule *sel[64];
    tev t;
    size_t n = hq_dispatch_select(s->d, mkev(&t, json), sel);
    tev_fini(&t);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t pos = (size_t)(sel[i] - s->r);
        assert_true(pos < s->n);
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%zu", i ? "," : "", pos);
    }
    return out;
}

static void the_most_guarded_field_is_chosen(void **state)
{
    (void)state;
    rset s = {0};
    add(&s, HQ_RULE_MATCH, "[{field: data.kind, eq: a}, {field: data.value, gt: 1}]", NULL);
    add(&s, HQ_RULE_MATCH, "{field: data.kind, in: [b, c]}", NULL);
    add(&s, HQ_RULE_MATCH, "{field: data.sensor, prefix: cs-}", NULL);
    add(&s, HQ_RULE_MATCH, "{field: data.value, gt: 1}", NULL);
    build(&s);
    assert_string_equal(hq_dispatch_field(s.d), "data.kind");
    assert_string_equal(selected(&s, "{\"sensor\":\"cs-1\",\"kind\":\"a\",\"value\":5}"), "0,2,3");
    assert_string_equal(selected(&s, "{\"sensor\":\"cs-1\",\"kind\":\"c\",\"value\":5}"), "1,2,3");
    assert_string_equal(selected(&s, "{\"sensor\":\"cs-1\",\"kind\":\"z\",\"value\":5}"), "2,3");
    /* Equality is exact: neither a prefix nor an extension of a value. */
    assert_string_equal(selected(&s, "{\"sensor\":\"cs-1\",\"kind\":\"aa\",\"value\":5}"), "2,3");
    assert_string_equal(selected(&s, "{\"sensor\":\"cs-1\",\"kind\":\"\",\"value\":5}"), "2,3");
    rset_fini(&s);
}

static void prefixes_of_several_lengths(void **state)
{
    (void)state;
    rset s = {0};
    add(&s, HQ_RULE_MATCH, "{field: data.sensor, prefix: cs-}", NULL);
    add(&s, HQ_RULE_MATCH, "{field: data.sensor, prefix: cs-9}", NULL);
    add(&s, HQ_RULE_MATCH, "{field: data.sensor, eq: cs-9}", NULL);
    add(&s, HQ_RULE_MATCH, "{field: data.sensor, prefix: fz-}", NULL);
    add(&s, HQ_RULE_MATCH, NULL, NULL); /* every event */
    build(&s);
    assert_string_equal(hq_dispatch_field(s.d), "data.sensor");
    assert_string_equal(selected(&s, "{\"sensor\":\"cs-9\",\"kind\":\"a\",\"value\":1}"), "0,1,2,4");
    assert_string_equal(selected(&s, "{\"sensor\":\"cs-91\",\"kind\":\"a\",\"value\":1}"), "0,1,4");
    assert_string_equal(selected(&s, "{\"sensor\":\"cs-1\",\"kind\":\"a\",\"value\":1}"), "0,4");
    assert_string_equal(selected(&s, "{\"sensor\":\"cs\",\"kind\":\"a\",\"value\":1}"), "4");
    assert_string_equal(selected(&s, "{\"sensor\":\"fz-1\",\"kind\":\"a\",\"value\":1}"), "3,4");
    rset_fini(&s);
}

static void an_any_guards_when_every_branch_does(void **state)
{
    (void)state;
    rset s = {0};
    add(&s, HQ_RULE_MATCH,
        "{any: [[{field: data.kind, eq: a}, {field: data.value, gt: 1}], {field: data.kind, prefix: b}]}", NULL);
    add(&s, HQ_RULE_MATCH, "{any: [{field: data.kind, eq: a}, {field: data.value, gt: 1}]}", NULL);
    add(&s, HQ_RULE_MATCH, "{not: {field: data.kind, eq: a}}", NULL);
    add(&s, HQ_RULE_MATCH, "{field: data.kind, ne: a}", NULL);
    build(&s);
    assert_string_equal(hq_dispatch_field(s.d), "data.kind");
    /* Rule 0 is filed under a and the prefix b; 1 (a branch without a
     * guard), 2 and 3 (no equality) are always selected. */
    assert_string_equal(selected(&s, "{\"sensor\":\"x\",\"kind\":\"a\",\"value\":1}"), "0,1,2,3");
    assert_string_equal(selected(&s, "{\"sensor\":\"x\",\"kind\":\"bz\",\"value\":1}"), "0,1,2,3");
    assert_string_equal(selected(&s, "{\"sensor\":\"x\",\"kind\":\"c\",\"value\":1}"), "1,2,3");
    rset_fini(&s);
}

static void sustained_rules_are_filed_by_scope(void **state)
{
    (void)state;
    rset s = {0};
    /* Without a scope, a sustained rule sees every event: a false
     * condition stops its clock. */
    add(&s, HQ_RULE_SUSTAINED, "[{field: data.kind, eq: a}, {field: data.value, gt: 8}]", NULL);
    add(&s, HQ_RULE_SUSTAINED, "{field: data.value, gt: 8}", "{field: data.kind, eq: a}");
    add(&s, HQ_RULE_SUSTAINED, "{field: data.value, gt: 8}", "{field: data.kind, eq: b}");
    add(&s, HQ_RULE_MATCH, "{field: data.kind, eq: b}", NULL);
    build(&s);
    assert_ptr_equal(hq_rule_gate(&s.r[0]), NULL);
    assert_ptr_equal(hq_rule_gate(&s.r[1]), s.r[1].scope);
    assert_ptr_equal(hq_rule_gate(&s.r[3]), s.r[3].when);
    assert_string_equal(selected(&s, "{\"sensor\":\"x\",\"kind\":\"a\",\"value\":1}"), "0,1");
    assert_string_equal(selected(&s, "{\"sensor\":\"x\",\"kind\":\"b\",\"value\":1}"), "0,2,3");
    rset_fini(&s);
}

static void values_the_index_cannot_judge_select_every_rule(void **state)
{
    (void)state;
    rset s = {0};
    add(&s, HQ_RULE_MATCH, "{field: data.site, eq: s1}", NULL);
    add(&s, HQ_RULE_MATCH, "{field: data.site, eq: s2}", NULL);
    add(&s, HQ_RULE_MATCH, "{field: data.value, gt: 1}", NULL);
    build(&s);
    assert_string_equal(hq_dispatch_field(s.d), "data.site");
    assert_string_equal(selected(&s, "{\"sensor\":\"x\",\"kind\":\"a\",\"value\":1,\"site\":\"s2\"}"), "1,2");
    /* Missing: every rule (the condition decides). */
    assert_string_equal(selected(&s, "{\"sensor\":\"x\",\"kind\":\"a\",\"value\":1}"), "0,1,2");
    /* Not text: no text guard can pass. */
    assert_string_equal(selected(&s, "{\"sensor\":\"x\",\"kind\":\"a\",\"value\":1,\"site\":7}"), "2");
    /* An array: a condition matches when any item does. */
    assert_string_equal(selected(&s, "{\"sensor\":\"x\",\"kind\":\"a\",\"value\":1,\"site\":[\"s1\"]}"), "0,1,2");
    rset_fini(&s);
}

static void no_guards_no_index(void **state)
{
    (void)state;
    rset s = {0};
    add(&s, HQ_RULE_MATCH, "{field: data.value, gt: 1}", NULL);
    add(&s, HQ_RULE_COUNT, NULL, NULL);
    build(&s);
    assert_null(hq_dispatch_field(s.d));
    assert_string_equal(selected(&s, "{\"sensor\":\"x\",\"kind\":\"a\",\"value\":1}"), "0,1");
    rset_fini(&s);
    rset e = {0};
    build(&e);
    assert_string_equal(selected(&e, "{\"sensor\":\"x\",\"kind\":\"a\",\"value\":1}"), "");
    rset_fini(&e);
}

static unsigned rnd(unsigned *seed, unsigned n)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) % n;
}

/* Random rules over a small alphabet, random events: every rule whose gate
 * holds is selected, in order. */
static void property_never_misses_a_rule_whose_gate_holds(void **state)
{
    (void)state;
    static const char *const vals[] = {"a", "ab", "b", "ba", "c", ""};
    unsigned seed = 12345;
#define RND(n) rnd(&seed, n)
    for (int round = 0; round < 40; round++) {
        rset s = {0};
        size_t nr = 1 + RND(40);
        for (size_t i = 0; i < nr; i++) {
            char y[256];
            const char *f = RND(2) ? "data.kind" : "data.sensor";
            switch (RND(6)) {
            case 0: snprintf(y, sizeof y, "{field: %s, eq: \"%s\"}", f, vals[RND(6)]); break;
            case 1: snprintf(y, sizeof y, "{field: %s, prefix: \"%s\"}", f, vals[RND(6)]); break;
            case 2: snprintf(y, sizeof y, "{field: %s, in: [\"%s\", \"%s\"]}", f, vals[RND(6)], vals[RND(6)]); break;
            case 3:
                snprintf(y, sizeof y, "[{field: %s, eq: \"%s\"}, {field: data.kind, prefix: \"%s\"}]", f,
                         vals[RND(6)], vals[RND(6)]);
                break;
            case 4:
                snprintf(y, sizeof y, "{any: [{field: %s, eq: \"%s\"}, {field: %s, prefix: \"%s\"}]}", f,
                         vals[RND(6)], f, vals[RND(6)]);
                break;
            default: snprintf(y, sizeof y, "{field: data.value, gt: %u}", RND(3)); break;
            }
            add(&s, HQ_RULE_MATCH, y, NULL);
        }
        build(&s);
        for (int k = 0; k < 50; k++) {
            char json[256];
            snprintf(json, sizeof json, "{\"sensor\":\"%s%s\",\"kind\":\"%s%s\",\"value\":%u}", vals[RND(6)],
                     vals[RND(6)], vals[RND(6)], RND(3) ? "" : vals[RND(6)], RND(3));
            tev t;
            const hq_event *ev = mkev(&t, json);
            const hq_rule *sel[64];
            size_t n = hq_dispatch_select(s.d, ev, sel);
            for (size_t i = 1; i < n; i++)
                assert_true(sel[i - 1] < sel[i]); /* rule order, no repeats */
            size_t j = 0;
            for (size_t i = 0; i < s.n; i++) {
                while (j < n && sel[j] < &s.r[i])
                    j++;
                bool in = j < n && sel[j] == &s.r[i];
                if (hq_cond_eval(s.r[i].when, ev) && !in)
                    fail_msg("rule %zu holds for %s but was not selected (field %s)", i, json,
                             hq_dispatch_field(s.d) ? hq_dispatch_field(s.d) : "none");
            }
            tev_fini(&t);
        }
        rset_fini(&s);
    }
#undef RND
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_most_guarded_field_is_chosen),
        cmocka_unit_test(prefixes_of_several_lengths),
        cmocka_unit_test(an_any_guards_when_every_branch_does),
        cmocka_unit_test(sustained_rules_are_filed_by_scope),
        cmocka_unit_test(values_the_index_cannot_judge_select_every_rule),
        cmocka_unit_test(no_guards_no_index),
        cmocka_unit_test(property_never_misses_a_rule_whose_gate_holds),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
