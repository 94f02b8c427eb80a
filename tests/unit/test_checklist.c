/* Unit tests for lib/model/checklist.c: the checklists section, alone
 * (hq_checklists_parse) and in a rules directory (the cross-checks of
 * rules.c: the domain, the labels). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "buf.h"
#include "checklist.h"
#include "hq_test.h"
#include "hq_test_rules.h"
#include "rules.h"
#include "ytree.h"

#include <stdlib.h>
#include <string.h>

/* Parses text (a document with a checklists: section) into cl; returns
 * the diagnostics, one "line:column: message" a line. */
static char *parse(const char *text, hq_checklists *cl)
{
    hq_ydoc *doc = NULL;
    hq_err err;
    assert_int_equal(hq_ydoc_load_buf("c.yaml", text, strlen(text), NULL, &doc, &err), 0);
    hq_diags d;
    hq_diags_init(&d);
    hq_checklists_parse(cl, doc, hq_ymap_get(doc->root, "checklists"), &d);
    hq_buf b;
    hq_buf_init(&b);
    for (size_t i = 0; i < d.count; i++)
        hq_buf_printf(&b, "%d:%d: %s\n", d.items[i].line, d.items[i].column, d.items[i].msg);
    hq_buf_putc(&b, 0);
    hq_diags_fini(&d);
    hq_ydoc_destroy(&doc);
    return b.data;
}

static void test_parse_in_order(void **state)
{
    (void)state;
    hq_checklists cl = {0};
    char *msg = parse("checklists:\n"
                      "  dish_quality:\n"
                      "    domain: catering\n"
                      "    items:\n"
                      "      dish.portion: 份量符合公示标准\n"
                      "      dish.taste: 口味正常\n"
                      "  laundry:\n"
                      "    domain: dormitory\n"
                      "    items: {laundry.price: 收费与公示价格一致}\n"
                      "  process_control:\n"
                      "    domain: catering\n"
                      "    items:\n"
                      "      fs.core_temp: {standard: 中心温度达到 70℃ 以上, severity: high}\n"
                      "      fs.hot_holding: 热藏 60℃ 以上\n",
                      &cl);
    assert_string_equal(msg, "");
    assert_int_equal(cl.n, 3);
    const hq_checklist *pc = hq_checklist_find(&cl, "process_control");
    assert_string_equal(pc->items[0].standard, "中心温度达到 70℃ 以上");
    assert_true(pc->items[0].has_severity);
    assert_int_equal(pc->items[0].severity, HQ_SEV_HIGH);
    assert_false(pc->items[1].has_severity);
    const hq_checklist *c = hq_checklist_find(&cl, "dish_quality");
    assert_non_null(c);
    assert_string_equal(c->domain, "catering");
    assert_int_equal(c->nitems, 2);
    assert_string_equal(c->items[0].code, "dish.portion");
    assert_string_equal(c->items[0].standard, "份量符合公示标准");
    assert_string_equal(c->items[1].code, "dish.taste");
    assert_string_equal(c->file, "c.yaml");
    assert_int_equal(c->line, 2);
    assert_null(hq_checklist_find(&cl, "nothing"));
    assert_null(hq_checklist_find(&cl, NULL));
    free(msg);
    hq_checklists_fini(&cl);
    hq_checklists_fini(&cl); /* twice is fine */
}

static void test_every_problem_reported(void **state)
{
    (void)state;
    hq_checklists cl = {0};
    char *msg = parse("checklists:\n"
                      "  a:\n"
                      "    domain: catering\n"
                      "    items: []\n"
                      "  b:\n"
                      "    items: {x.y: z}\n"
                      "  c:\n"
                      "    domain: catering\n"
                      "    items: {x.y: 一, Bad: 三, x.z: \"\", x.w: [1]}\n"
                      "    color: red\n"
                      "  e:\n"
                      "    domain: catering\n"
                      "    items: {x.y: 一, x.z: 二}\n",
                      &cl);
    assert_non_null(strstr(msg, "4:12: checklist a: items: expected a map of item codes"));
    if (!strstr(msg, "6:5: missing required key \"domain\""))  /* b */
        fail_msg("%s", msg);
    assert_non_null(strstr(msg, "color"));   /* c: an unknown key */
    assert_int_equal(cl.n, 2);               /* a (empty) and e */
    free(msg);
    /* a second file: e again */
    msg = parse("checklists:\n"
                "  e:\n"
                "    domain: catering\n"
                "    items: {x.y: z}\n",
                &cl);
    assert_non_null(strstr(msg, "2:3: checklist e is defined twice (first in c.yaml:11)"));
    free(msg);
    hq_checklists_fini(&cl);
    /* a bad code, an empty standard, a standard that is no text */
    msg = parse("checklists:\n"
                "  c:\n"
                "    domain: catering\n"
                "    items: {x.y: 一, Bad: 三, x.z: \"\", x.w: [1]}\n",
                &cl);
    assert_non_null(strstr(msg, "checklist c: item code \"Bad\": expected 1 to 64 of a-z, 0-9, _ . -"));
    assert_non_null(strstr(msg, "checklist c: item x.z: the standard must be one line of 1 to 300 bytes"));
    assert_non_null(strstr(msg, "got a list")); /* x.w */
    assert_int_equal(cl.n, 1);
    assert_int_equal(cl.v[0].nitems, 1);
    free(msg);
    hq_checklists_fini(&cl);
    msg = parse("checklists:\n"
                "  c:\n"
                "    domain: catering\n"
                "    items:\n"
                "      x.a: {standard: 一, severity: severe}\n"
                "      x.b: {severity: high}\n"
                "      x.c: {standard: 三, weight: 2}\n",
                &cl);
    assert_non_null(strstr(msg, "5:36: checklist c: item x.a: severity: expected low, medium, high or critical"));
    assert_non_null(strstr(msg, "missing required key \"standard\""));
    assert_non_null(strstr(msg, "weight"));
    assert_int_equal(cl.v[0].nitems, 0);
    free(msg);
    hq_checklists_fini(&cl);
    msg = parse("checklists: [a, b]\n", &cl);
    assert_non_null(strstr(msg, ": checklists: expected a map of checklist ids"));
    free(msg);
    hq_checklists_fini(&cl);
}

/* In a rules directory: the shipped checklists load, with their labels;
 * an unknown domain and (with a vocabulary) an unlabelled id or item are
 * errors at the checklist. */
static void test_in_the_rule_set(void **state)
{
    (void)state;
    hq_rules *r = NULL;
    hq_diags d;
    hq_diags_init(&d);
    assert_int_equal(hq_rules_load(hq_test_env("HQ_TEST_RULES"), hq_test_schemas, &r, &d), 0);
    hq_diags_fini(&d);
    const hq_checklists *cl = hq_rules_checklists(r);
    const hq_checklist *w = hq_checklist_find(cl, "food_safety_weekly");
    assert_non_null(w);
    assert_string_equal(w->domain, "catering");
    assert_string_equal(w->items[0].code, "fs.risk_review");
    hq_rules_destroy(&r);
    char *msg = hq_test_load_rules(hq_test_schemas, NULL, "c.yaml",
                                   "checklists:\n"
                                   "  x_daily:\n"
                                   "    domain: kitchens\n"
                                   "    items: {fs.sample_retention: 留样}\n",
                                   NULL);
    assert_non_null(strstr(msg, "c.yaml:2:3: checklist x_daily: unknown domain \"kitchens\""));
    free(msg);
    /* with the shipped vocabulary: an unlabelled checklist and item */
    char src[4200];
    snprintf(src, sizeof src, "%s/vocabulary.yaml", hq_test_env("HQ_TEST_RULES"));
    char *vocab = hq_test_read_file(src);
    msg = hq_test_load_rules(hq_test_schemas, NULL, "vocabulary.yaml", vocab, "c.yaml",
                             "checklists:\n"
                             "  x_daily:\n"
                             "    domain: catering\n"
                             "    items: {fs.sample_retention: 留样, fs.unlabelled: 无}\n",
                             NULL);
    assert_non_null(strstr(msg, "c.yaml:2:3: checklist x_daily has no label in "));
    assert_non_null(strstr(msg, "vocabulary.yaml (checklists: x_daily: ...)\n"));
    assert_non_null(strstr(msg, "c.yaml:2:3: checklist x_daily: item fs.unlabelled has no label in "));
    assert_null(strstr(msg, "fs.sample_retention"));
    free(msg);
    free(vocab);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_in_order),
        cmocka_unit_test(test_every_problem_reported),
        cmocka_unit_test(test_in_the_rule_set),
    };
    return cmocka_run_group_tests(tests, hq_test_schemas_setup, hq_test_schemas_teardown);
}
