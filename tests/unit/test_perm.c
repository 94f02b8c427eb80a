/* test_perm.c - who may do what (lib/model/perm.c), as a specification
 * (issue 13, "Tests that must exist": the permission decision, table
 * driven: role x action x scope -> allow or deny, with the reason).
 *
 * - the decision over the shipped plan's table for a contractor's
 *   contact, a centre head, a supervisor, a section head, the office
 *   director, a vice-president, an admin, and people holding two roles;
 * - separation of duties whatever the table says: a contractor's person
 *   never rechecks/closes (even one holding an office role too), the
 *   rectifier never passes their own recheck (failing it is allowed);
 * - the refusal sentence names the rule (file:line of the entry) or the
 *   invariant;
 * - table errors at file:line:column: contractors allowed to close or
 *   recheck, scope all for a contractor, an unknown role, an unknown
 *   action, feedback for staff, a complainant with another action.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hq_test.h"

#include "perm.h"
#include "ytree.h"

#include <stdio.h>
#include <string.h>

static const char TABLE[] = "permissions:\n"
                            "  - {role: contractor_contact, actions: [ack, rectify, comment]}\n"
                            "  - {role: centre_head, actions: [ack, rectify, comment]}\n"
                            "  - {role: supervisor, actions: [recheck, comment]}\n"
                            "  - {role: section_head, actions: [recheck, comment, close, opinion]}\n"
                            "  - {role: office_director, actions: [comment, close, opinion, accountability, pii_export]}\n"
                            "  - {role: vice_president, actions: [comment, opinion, accountability]}\n"
                            "  - {role: admin, actions: [pii_export]}\n"
                            "  - {role: complainant, actions: [feedback]}\n"
                            "  - {role: supervisor, actions: [opinion], scope: all}\n";

static hq_perm *load(const char *text, hq_diags *d)
{
    hq_ydoc *doc = NULL;
    hq_err e;
    assert_int_equal(hq_ydoc_load_buf("perm.yaml", text, strlen(text), NULL, &doc, &e), 0);
    hq_perm *t = NULL;
    hq_perm_parse(&t, doc, hq_ymap_get(doc->root, "permissions"), d);
    hq_ydoc_destroy(&doc);
    return t;
}

#define R(role, scope) {HQ_ROLE_##role, scope}

typedef struct person {
    const char *id;
    hq_perm_role roles[3];
    size_t n;
} person;

static const person XINYUAN = {"contact.xinyuan", {R(CONTRACTOR_CONTACT, "xinyuan-catering")}, 1};
static const person MA = {"ma.centre", {R(CENTRE_HEAD, "catering")}, 1};
static const person LIN = {"lin.sup", {R(SUPERVISOR, "catering"), R(SUPERVISOR, "dormitory")}, 2};
static const person CHEN = {"chen.catering", {R(SECTION_HEAD, "catering")}, 1};
static const person WANG = {"wang.director", {R(OFFICE_DIRECTOR, NULL)}, 1};
static const person ZHAO = {"zhao.vp", {R(VICE_PRESIDENT, NULL)}, 1};
static const person XU = {"xu.office", {R(SECTION_HEAD, "decisions"), R(ADMIN, NULL)}, 2};
/* A contractor's contact who is also made office director: still never closes. */
static const person MIXED = {"mixed", {R(CONTRACTOR_CONTACT, "xinyuan-catering"), R(OFFICE_DIRECTOR, NULL)}, 2};
static const person NOBODY = {"nobody", {{0, NULL}}, 0};

typedef struct dcase {
    const person *who;
    hq_perm_action a;
    const char *domain, *contractor, *rectified_by;
    bool pass;
    hq_perm_reason want;
    const char *why; /* words of the refusal */
} dcase;

#define CAT "catering"
#define XY "xinyuan-catering"
static const dcase CASES[] = {
    /* the contractor's contact: its own issues only, never supervision */
    {&XINYUAN, HQ_PA_ACK, CAT, XY, NULL, false, HQ_PERM_OK, NULL},
    {&XINYUAN, HQ_PA_RECTIFY, CAT, XY, NULL, false, HQ_PERM_OK, NULL},
    {&XINYUAN, HQ_PA_COMMENT, CAT, XY, NULL, false, HQ_PERM_OK, NULL},
    {&XINYUAN, HQ_PA_ACK, CAT, "hexiang-catering", NULL, false, HQ_PERM_SCOPE, "of contractor hexiang-catering"},
    {&XINYUAN, HQ_PA_ACK, CAT, "", NULL, false, HQ_PERM_SCOPE, "(none)"},
    {&XINYUAN, HQ_PA_RECHECK, CAT, XY, NULL, true, HQ_PERM_CONTRACTOR, "separation of duties"},
    {&XINYUAN, HQ_PA_RECHECK, CAT, XY, NULL, false, HQ_PERM_CONTRACTOR, "never recheck"},
    {&XINYUAN, HQ_PA_CLOSE, CAT, XY, NULL, false, HQ_PERM_CONTRACTOR, "never close"},
    {&XINYUAN, HQ_PA_ACCOUNTABILITY, CAT, XY, NULL, false, HQ_PERM_CONTRACTOR, "never accountability"},
    {&XINYUAN, HQ_PA_OPINION, CAT, XY, NULL, false, HQ_PERM_ROLE, "no role of contact.xinyuan may opinion"},
    {&XINYUAN, HQ_PA_PII_EXPORT, NULL, NULL, NULL, false, HQ_PERM_CONTRACTOR, "separation"},
    {&XINYUAN, HQ_PA_MODERATE, CAT, XY, NULL, false, HQ_PERM_CONTRACTOR, "never moderate"},
    /* the centre head: its domain's internal issues */
    {&MA, HQ_PA_RECTIFY, CAT, "", NULL, false, HQ_PERM_OK, NULL},
    {&MA, HQ_PA_ACK, "energy", "", NULL, false, HQ_PERM_SCOPE, "perm.yaml:3: centre_head:catering may ack only"},
    {&MA, HQ_PA_RECHECK, CAT, "", NULL, true, HQ_PERM_ROLE, "it is for: section_head, supervisor"},
    /* the supervisor: recheck in its domains; opinion everywhere (scope all) */
    {&LIN, HQ_PA_RECHECK, CAT, XY, "contact.xinyuan", true, HQ_PERM_OK, NULL},
    {&LIN, HQ_PA_RECHECK, "dormitory", "anju-property", NULL, false, HQ_PERM_OK, NULL},
    {&LIN, HQ_PA_RECHECK, "energy", "huadian-energy", NULL, true, HQ_PERM_SCOPE, "only on domain catering"},
    {&LIN, HQ_PA_COMMENT, "energy", "", NULL, false, HQ_PERM_SCOPE, "this issue is of domain energy"},
    {&LIN, HQ_PA_OPINION, "energy", "", NULL, false, HQ_PERM_OK, NULL},
    {&LIN, HQ_PA_CLOSE, CAT, XY, NULL, false, HQ_PERM_ROLE, "it is for: office_director, section_head"},
    {&LIN, HQ_PA_ACK, CAT, XY, NULL, false, HQ_PERM_ROLE, "may ack"},
    /* the rectifier cannot pass its own recheck; failing it is no conflict */
    {&LIN, HQ_PA_RECHECK, CAT, XY, "lin.sup", true, HQ_PERM_SELF_RECHECK, "reported this rectification"},
    {&LIN, HQ_PA_RECHECK, CAT, XY, "lin.sup", false, HQ_PERM_OK, NULL},
    /* the section head */
    {&CHEN, HQ_PA_CLOSE, CAT, XY, NULL, false, HQ_PERM_OK, NULL},
    {&CHEN, HQ_PA_OPINION, CAT, XY, NULL, false, HQ_PERM_OK, NULL},
    {&CHEN, HQ_PA_CLOSE, "dormitory", "anju-property", NULL, false, HQ_PERM_SCOPE, "perm.yaml:5"},
    {&CHEN, HQ_PA_ACCOUNTABILITY, CAT, XY, NULL, false, HQ_PERM_ROLE, "it is for: office_director, vice_president"},
    /* the office leaders: every domain */
    {&WANG, HQ_PA_CLOSE, "transport", "qingyun-transport", NULL, false, HQ_PERM_OK, NULL},
    {&WANG, HQ_PA_ACCOUNTABILITY, "energy", "", NULL, false, HQ_PERM_OK, NULL},
    {&WANG, HQ_PA_PII_EXPORT, NULL, NULL, NULL, false, HQ_PERM_OK, NULL},
    {&WANG, HQ_PA_RECHECK, CAT, XY, NULL, true, HQ_PERM_ROLE, "may recheck"},
    {&ZHAO, HQ_PA_ACCOUNTABILITY, CAT, XY, NULL, false, HQ_PERM_OK, NULL},
    {&ZHAO, HQ_PA_CLOSE, CAT, XY, NULL, false, HQ_PERM_ROLE, "may close"},
    {&ZHAO, HQ_PA_PII_EXPORT, NULL, NULL, NULL, false, HQ_PERM_ROLE, "it is for: office_director, admin"},
    /* two roles: the admin role gives pii_export, the section one its domain */
    {&XU, HQ_PA_PII_EXPORT, NULL, NULL, NULL, false, HQ_PERM_OK, NULL},
    {&XU, HQ_PA_CLOSE, "decisions", "", NULL, false, HQ_PERM_OK, NULL},
    {&XU, HQ_PA_CLOSE, CAT, XY, NULL, false, HQ_PERM_SCOPE, "section_head:decisions may close only on domain decisions"},
    /* a contractor's person with an office role too: still never */
    {&MIXED, HQ_PA_CLOSE, CAT, "hexiang-catering", NULL, false, HQ_PERM_CONTRACTOR, "never close"},
    {&MIXED, HQ_PA_COMMENT, "energy", "", NULL, false, HQ_PERM_OK, NULL},
    /* feedback is the complainant's, never staff's */
    {&WANG, HQ_PA_FEEDBACK, CAT, XY, NULL, false, HQ_PERM_ROLE, "it is for: complainant"},
    /* no role at all */
    {&NOBODY, HQ_PA_COMMENT, CAT, XY, NULL, false, HQ_PERM_ROLE, "no role of nobody"},
};

static void test_decisions(void **st)
{
    (void)st;
    hq_diags d;
    hq_diags_init(&d);
    hq_perm *t = load(TABLE, &d);
    assert_int_equal(d.count, 0);
    assert_non_null(t);
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        const dcase *c = &CASES[i];
        hq_perm_target tg = {c->domain, c->contractor, c->rectified_by, c->pass};
        char why[400];
        hq_perm_reason r = hq_perm_decide(t, c->who->id, c->who->roles, c->who->n, c->a,
                                          c->domain || c->contractor ? &tg : NULL, why, sizeof why);
        if (r != c->want || (c->why && !strstr(why, c->why)) || (!c->why && why[0])) {
            print_error("case %zu: %s %s on %s/%s: got %s \"%s\", want %s \"%s\"\n", i, c->who->id,
                        hq_perm_action_name(c->a), c->domain ? c->domain : "-", c->contractor ? c->contractor : "-",
                        hq_perm_reason_name(r), why, hq_perm_reason_name(c->want), c->why ? c->why : "");
            fail();
        }
    }
    hq_perm_destroy(&t);
    assert_null(t);
    hq_perm_destroy(&t); /* NULL is fine */
    hq_diags_fini(&d);
}

/* Without a table nobody may do anything (hq_perm_decide with NULL); the
 * caller (authz.h) is the one that treats "no table" as "not checked". */
static void test_no_table_refuses(void **st)
{
    (void)st;
    hq_perm_target tg = {CAT, XY, NULL, false};
    assert_int_equal(hq_perm_decide(NULL, CHEN.id, CHEN.roles, CHEN.n, HQ_PA_COMMENT, &tg, NULL, 0), HQ_PERM_ROLE);
    /* separation holds with no table too */
    assert_int_equal(hq_perm_decide(NULL, XINYUAN.id, XINYUAN.roles, XINYUAN.n, HQ_PA_CLOSE, &tg, NULL, 0),
                     HQ_PERM_CONTRACTOR);
}

static void test_names_and_types(void **st)
{
    (void)st;
    for (int a = 0; a < HQ_PA_COUNT; a++) {
        hq_perm_action back;
        assert_int_equal(hq_perm_action_parse(hq_perm_action_name((hq_perm_action)a), &back), 0);
        assert_int_equal(back, a);
    }
    hq_perm_action x;
    assert_int_equal(hq_perm_action_parse("pass", &x), HQ_EINVAL);
    assert_int_equal(hq_perm_action_of_type("issue.closed", 12), HQ_PA_CLOSE);
    assert_int_equal(hq_perm_action_of_type("issue.rechecked", 15), HQ_PA_RECHECK);
    assert_int_equal(hq_perm_action_of_type("issue.accountability", 20), HQ_PA_ACCOUNTABILITY);
    assert_int_equal(hq_perm_action_of_type("complaint.feedback", 18), HQ_PA_FEEDBACK);
    assert_int_equal(hq_perm_action_of_type("audit.pii_access", 16), HQ_PA_PII_EXPORT);
    assert_int_equal(hq_perm_action_of_type("complaint.moderated", 19), HQ_PA_MODERATE);
    assert_int_equal(hq_perm_action_of_type("sensor.reading", 14), -1);
    assert_int_equal(hq_perm_action_of_type("issue.closedX", 12), HQ_PA_CLOSE); /* length decides */
    assert_string_equal(hq_perm_reason_name(HQ_PERM_SELF_RECHECK), "separation_self_recheck");
    assert_string_equal(hq_perm_reason_name(HQ_PERM_NOT_GATEWAY), "not_gateway");
}

typedef struct ecase {
    const char *yaml; /* the permissions list */
    int line, column;
    const char *words;
} ecase;

static const ecase ERRORS[] = {
    {"  - {role: contractor_contact, actions: [ack, close]}\n", 2, 47, "separation of duties: a contractor's contact may never close"},
    {"  - {role: contractor_contact, actions: [recheck]}\n", 2, 42, "may never recheck"},
    {"  - {role: contractor_contact, actions: [ack], scope: all}\n", 2, 55, "scope all is not allowed"},
    {"  - {role: superviser, actions: [recheck]}\n", 2, 12, "unknown role \"superviser\" (roles: working_group"},
    {"  - {role: supervisor, actions: [pass]}\n", 2, 34, "unknown action \"pass\" (actions: ack, rectify"},
    {"  - {role: supervisor, actions: recheck}\n", 2, 33, "actions: expected a list"},
    {"  - {role: section_head, actions: [feedback]}\n", 2, 36, "only role complainant"},
    {"  - {role: complainant, actions: [comment]}\n", 2, 35, "feedback is their only action"},
    {"  - {role: supervisor, actions: [recheck], scope: everywhere}\n", 2, 51, "expected own"},
    {"  - {role: supervisor, action: [recheck]}\n", 2, 24, "action"},
    {"  - {actions: [recheck]}\n", 2, 5, "role"},
    {"  - {role: working_group, actions: [comment]}\n", 2, 12, "grant its roles instead"},
};

static void test_table_errors(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof ERRORS / sizeof *ERRORS; i++) {
        char text[512];
        snprintf(text, sizeof text, "permissions:\n%s", ERRORS[i].yaml);
        hq_diags d;
        hq_diags_init(&d);
        hq_perm *t = load(text, &d);
        char line[700];
        if (d.count < 1 || d.items[0].line != ERRORS[i].line || d.items[0].column != ERRORS[i].column ||
            !strstr(d.items[0].msg, ERRORS[i].words)) {
            print_error("case %zu: %s -> %s\n", i, ERRORS[i].yaml,
                        d.count ? hq_err_str(&d.items[0], line, sizeof line) : "(no error)");
            fail();
        }
        /* the bad grant is not in the table */
        if (t && i < 2)
            assert_false(hq_perm_role_may(t, HQ_ROLE_CONTRACTOR_CONTACT, i == 0 ? HQ_PA_CLOSE : HQ_PA_RECHECK));
        hq_perm_destroy(&t);
        hq_diags_fini(&d);
    }
    /* every error in one run */
    hq_diags d;
    hq_diags_init(&d);
    hq_perm *t = load("permissions:\n  - {role: superviser, actions: [recheck]}\n"
                      "  - {role: contractor_contact, actions: [close, recheck]}\n",
                      &d);
    assert_int_equal(d.count, 3);
    hq_perm_destroy(&t);
    hq_diags_fini(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decisions),
        cmocka_unit_test(test_no_table_refuses),
        cmocka_unit_test(test_names_and_types),
        cmocka_unit_test(test_table_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
