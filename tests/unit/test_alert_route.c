/* test_alert_route.c - from an outbox record to its deliveries
 * (lib/alert_route.c), as a specification, on the shipped organisation and
 * alert configuration (rules/org.yaml, rules/alerts.yaml): who is reached
 * through which role, on which channels, for which audience, and when
 * (quiet hours, digests).  Times in Asia/Shanghai. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "alert_route.h"
#include "clock.h"
#include "hq_test.h"
#include "schema.h"

#define MIN 60000LL
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
static const int64_t MON = 1899388800000LL; /* 2030-03-11 00:00 +08:00, a Monday */

static hq_schemas *schemas;
static hq_rules *rules;
static hq_alert_config *cfg;

static int group_setup(void **state)
{
    (void)state;
    hq_diags d;
    hq_diags_init(&d);
    int rc = hq_schemas_load_dir(hq_test_env("HQ_TEST_SCHEMAS"), &schemas, &d);
    if (rc == 0)
        rc = hq_rules_load(hq_test_env("HQ_TEST_RULES"), schemas, &rules, &d);
    if (rc == 0)
        rc = hq_alert_config_load(hq_test_env("HQ_TEST_RULES"), &cfg, &d);
    hq_diags_fini(&d);
    return rc == 0 && hq_tz_set("Asia/Shanghai") == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    hq_alert_config_destroy(&cfg);
    hq_rules_destroy(&rules);
    hq_schemas_destroy(&schemas);
    return 0;
}

/* A record as houqind writes it (roles NULL-terminated). */
static hq_alert_rec rec(const char *kind, const char *severity, const char *domain, const char *contractor,
                        const char *contact, const char *const *roles)
{
    hq_alert_rec r = {.seq = 7, .ts_ms = MON, .level = 1};
    r.kind = strdup(kind);
    r.issue = strdup("HQ-2030-000007");
    r.rule = strdup("test");
    r.domain = strdup(domain);
    r.contractor = strdup(contractor);
    r.site = strdup("canteen-1");
    r.severity = strdup(severity);
    r.title = strdup("t");
    r.text = strdup("x");
    r.contact = contact ? strdup(contact) : NULL;
    size_t n = 0;
    while (roles && roles[n])
        n++;
    r.roles = calloc(n + 1, sizeof *r.roles);
    for (size_t i = 0; i < n; i++)
        r.roles[r.nroles++] = strdup(roles[i]);
    return r;
}

static const hq_route *find(const hq_routes *rs, const char *recipient, const char *channel)
{
    for (size_t i = 0; i < rs->n; i++)
        if (!strcmp(rs->v[i].recipient, recipient) && !strcmp(rs->v[i].channel, channel))
            return &rs->v[i];
    return NULL;
}

static const hq_route *must(const hq_routes *rs, const char *recipient, const char *channel)
{
    const hq_route *r = find(rs, recipient, channel);
    if (!r)
        fail_msg("no route %s/%s", recipient, channel);
    return r;
}

static void urgent_alert_reaches_each_role_on_each_channel(void **state)
{
    (void)state;
    static const char *const roles[] = {"section_head", "supervisor", "contractor_contact", NULL};
    hq_alert_rec r = rec("opened", "high", "catering", "xinyuan-catering", NULL, roles);
    hq_routes rs = {0};
    int64_t now = MON + 2 * HOUR; /* Monday 02:00: urgent goes anyway */
    hq_alert_route(rules, cfg, &r, now, &rs);
    assert_int_equal(rs.n, 9);
    const hq_route *x = must(&rs, "chen.catering", "office-mail");
    assert_int_equal(x->audience, HQ_AUD_OFFICE);
    assert_true(x->urgent);
    assert_false(x->digest);
    assert_int_equal(x->ready_ms, now);
    assert_null(x->problem);
    must(&rs, "chen.catering", "campus-oa");
    must(&rs, "lin.sup", "office-mail");
    must(&rs, "lin.sup", "sms");
    assert_int_equal(must(&rs, "contact.xinyuan", "office-mail")->audience, HQ_AUD_CONTRACTOR);
    must(&rs, "contact.xinyuan", "sms");
    /* Shared robots: once per alert, the office's version if any office person uses it. */
    assert_int_equal(must(&rs, "group", "office-wecom")->audience, HQ_AUD_OFFICE);
    must(&rs, "group", "archive");
    assert_int_equal(must(&rs, "group", "xinyuan-dingtalk")->audience, HQ_AUD_CONTRACTOR);
    /* Not reached: other domains, other contractors. */
    assert_null(find(&rs, "sun.dorm", "office-mail"));
    assert_null(find(&rs, "contact.anju", "office-mail"));
    hq_routes_fini(&rs);
    hq_alert_rec_fini(&r);
}

static void low_alerts_go_to_digests_for_the_digest_roles(void **state)
{
    (void)state;
    static const char *const roles[] = {"section_head", "contractor_contact", NULL};
    hq_alert_rec r = rec("reminder", "low", "catering", "xinyuan-catering", NULL, roles);
    hq_routes rs = {0};
    int64_t now = MON + 10 * HOUR;
    hq_alert_route(rules, cfg, &r, now, &rs);
    const hq_route *x = must(&rs, "chen.catering", "office-mail");
    assert_true(x->digest);
    assert_false(x->urgent);
    assert_int_equal(x->ready_ms, MON + 12 * HOUR); /* every 4h from midnight */
    x = must(&rs, "contact.xinyuan", "office-mail"); /* contractor contacts are not in the digest roles */
    assert_false(x->digest);
    assert_int_equal(x->ready_ms, now);
    assert_true(must(&rs, "group", "office-wecom")->digest);
    assert_false(must(&rs, "group", "xinyuan-dingtalk")->digest);
    hq_routes_fini(&rs);
    hq_alert_rec_fini(&r);
}

static void quiet_hours_hold_until_each_persons_working_hours(void **state)
{
    (void)state;
    static const char *const roles[] = {"section_head", "supervisor", NULL};
    hq_alert_rec r = rec("overdue", "medium", "catering", "xinyuan-catering", NULL, roles);
    hq_routes rs = {0};
    hq_alert_route(rules, cfg, &r, MON - 2 * HOUR, &rs); /* Sunday 22:00 */
    assert_int_equal(must(&rs, "chen.catering", "office-mail")->ready_ms, MON + 7 * HOUR); /* mon-sat 07:00 */
    assert_int_equal(must(&rs, "lin.sup", "sms")->ready_ms, MON + 6 * HOUR + 30 * MIN); /* every day 06:30 */
    /* Shared channels: the union of the hours of the people the alert
     * reaches through them (not the policies' 08:00). */
    assert_int_equal(must(&rs, "group", "office-wecom")->ready_ms, MON + 7 * HOUR);   /* chen.catering */
    assert_int_equal(must(&rs, "group", "archive")->ready_ms, MON + 6 * HOUR + 30 * MIN); /* lin.sup */
    hq_routes_fini(&rs);
    hq_alert_rec_fini(&r);
}

/* A shared channel's own working_hours win over its members'; without
 * them, the first member at work opens it (union across days too). */
static void shared_channel_hours(void **state)
{
    (void)state;
    char *dir = hq_test_tmpdir();
    char p[4200];
    snprintf(p, sizeof p, "%s/alerts.yaml", dir);
    const char *y =
        "channels:\n"
        "  robot: {type: webhook, url: \"http://127.0.0.1:9/r\", shared: true}\n"
        "  night: {type: webhook, url: \"http://127.0.0.1:9/n\", shared: true,\n"
        "          working_hours: {days: [mon-sun], from: \"20:00\", to: \"23:00\"}}\n"
        "policies: {working_hours: {days: [mon-fri], from: \"09:00\", to: \"17:00\"}}\n"
        "people:\n"
        "  - {id: chen.catering, channels: [robot, night],\n"
        "     working_hours: {days: [tue], from: \"10:00\", to: \"12:00\"}}\n"
        "  - {id: lin.sup, channels: [robot, night],\n"
        "     working_hours: {days: [sun-mon], from: \"23:00\", to: \"24:00\"}}\n";
    hq_test_write_file(p, y, strlen(y));
    hq_alert_config *c = NULL;
    hq_diags d;
    hq_diags_init(&d);
    assert_int_equal(hq_alert_config_load(dir, &c, &d), 0);
    static const char *const roles[] = {"section_head", "supervisor", NULL};
    hq_alert_rec r = rec("overdue", "medium", "catering", "xinyuan-catering", NULL, roles);
    hq_routes rs = {0};
    hq_alert_route(rules, c, &r, MON + 13 * HOUR, &rs); /* Monday 13:00 */
    /* chen: Tuesday 10:00; lin.sup: Monday 23:00: the robot opens at 23:00. */
    assert_int_equal(must(&rs, "group", "robot")->ready_ms, MON + 23 * HOUR);
    assert_int_equal(must(&rs, "group", "night")->ready_ms, MON + 20 * HOUR); /* its own hours win */
    hq_routes_fini(&rs);
    hq_alert_route(rules, c, &r, MON + 23 * HOUR + 30 * MIN, &rs); /* inside lin.sup's hours */
    assert_int_equal(must(&rs, "group", "robot")->ready_ms, MON + 23 * HOUR + 30 * MIN);
    hq_routes_fini(&rs);
    hq_alert_rec_fini(&r);
    hq_alert_config_destroy(&c);
    /* Only a shared channel has hours of its own. */
    const char *bad = "channels:\n  m: {type: file, path: /tmp/x.jsonl, working_hours: always}\n";
    hq_test_write_file(p, bad, strlen(bad));
    assert_int_equal(hq_alert_config_load(dir, &c, &d), HQ_EINVAL);
    assert_non_null(strstr(d.items[d.count - 1].msg, "only a shared channel has hours of its own"));
    assert_int_equal(d.items[d.count - 1].line, 2);
    hq_diags_fini(&d);
    hq_test_rmtree(dir);
    free(dir);
}

static void feedback_goes_to_the_complainant_only(void **state)
{
    (void)state;
    static const char *const roles[] = {"complainant", "office_director", NULL};
    struct {
        const char *contact, *channel, *problem;
    } cases[] = {
        {"student@example.com", "complaint-mail", NULL},
        {"+86 138-1234-5678", "sms", NULL},
        {"wechat:abc", "-",
         "the complainant's contact is neither an e-mail address nor a phone number, and there is no channel for "
         "other contacts (policies.complainant.other)"},
        {NULL, "-", "feedback without a contact"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        hq_alert_rec r = rec("feedback", "medium", "catering", "xinyuan-catering", cases[i].contact, roles);
        hq_routes rs = {0};
        hq_alert_route(rules, cfg, &r, MON - 2 * HOUR, &rs);
        assert_int_equal(rs.n, 1);
        assert_string_equal(rs.v[0].recipient, "complainant:HQ-2030-000007");
        assert_string_equal(rs.v[0].channel, cases[i].channel);
        assert_int_equal(rs.v[0].audience, HQ_AUD_COMPLAINANT);
        assert_true(rs.v[0].urgent); /* the outcome is never held */
        if (cases[i].problem)
            assert_string_equal(rs.v[0].problem, cases[i].problem);
        else
            assert_null(rs.v[0].problem);
        hq_routes_fini(&rs);
        hq_alert_rec_fini(&r);
    }
}

static void roles_that_reach_nobody(void **state)
{
    (void)state;
    /* The complainant role outside feedback, unknown roles, and contractor
     * contacts of an issue without a contractor reach nobody. */
    static const char *const roles[] = {"complainant", "dean", "contractor_contact", NULL};
    hq_alert_rec r = rec("opened", "high", "energy", "", NULL, roles);
    hq_routes rs = {0};
    hq_alert_route(rules, cfg, &r, MON, &rs);
    assert_int_equal(rs.n, 0);
    hq_routes_fini(&rs);
    hq_alert_rec_fini(&r);
}

static void working_group_and_unknown_severity(void **state)
{
    (void)state;
    static const char *const roles[] = {"working_group", NULL};
    hq_alert_rec r = rec("accountability", "grave", "catering", "xinyuan-catering", NULL, roles);
    hq_routes rs = {0};
    hq_alert_route(rules, cfg, &r, MON - 2 * HOUR, &rs);
    must(&rs, "wang.director", "office-mail");
    must(&rs, "sun.dorm", "office-mail");
    assert_null(find(&rs, "zhao.vp", "office-mail"));
    assert_null(find(&rs, "contact.xinyuan", "office-mail"));
    /* A severity it does not know is treated as urgent: never held. */
    assert_true(must(&rs, "wang.director", "office-mail")->urgent);
    assert_int_equal(must(&rs, "wang.director", "office-mail")->ready_ms, MON - 2 * HOUR);
    hq_routes_fini(&rs);
    hq_alert_rec_fini(&r);
}

static void a_person_without_channels_is_a_problem_route(void **state)
{
    (void)state;
    char *dir = hq_test_tmpdir();
    char p[4200];
    snprintf(p, sizeof p, "%s/alerts.yaml", dir);
    const char *y = "channels:\n  m: {type: file, path: /tmp/x.jsonl}\npeople:\n  - {id: chen.catering, channels: [{channel: m}]}\n";
    hq_test_write_file(p, y, strlen(y));
    hq_alert_config *c = NULL;
    hq_diags d;
    hq_diags_init(&d);
    assert_int_equal(hq_alert_config_load(dir, &c, &d), 0);
    static const char *const roles[] = {"section_head", "supervisor", NULL};
    hq_alert_rec r = rec("opened", "high", "catering", "xinyuan-catering", NULL, roles);
    hq_routes rs = {0};
    hq_alert_route(rules, c, &r, MON, &rs);
    assert_int_equal(rs.n, 2);
    assert_null(must(&rs, "chen.catering", "m")->problem);
    assert_string_equal(must(&rs, "lin.sup", "-")->problem, "no channels configured for this person");
    hq_routes_fini(&rs);
    hq_alert_rec_fini(&r);
    hq_alert_config_destroy(&c);
    hq_diags_fini(&d);
    hq_test_rmtree(dir);
    free(dir);
}

static void contact_kinds(void **state)
{
    (void)state;
    assert_int_equal(hq_contact_kind("a@b.cn"), 'e');
    assert_int_equal(hq_contact_kind("first.last+tag@mail.example.edu.cn"), 'e');
    assert_int_equal(hq_contact_kind("13812345678"), 'p');
    assert_int_equal(hq_contact_kind("+86 (138) 1234-5678"), 'p');
    assert_int_equal(hq_contact_kind("1234"), 0);
    assert_int_equal(hq_contact_kind("a@b"), 0);
    assert_int_equal(hq_contact_kind("@b.cn"), 0);
    assert_int_equal(hq_contact_kind("a@@b.cn"), 0);
    assert_int_equal(hq_contact_kind("a b@c.cn"), 0);
    assert_int_equal(hq_contact_kind("<a@b.cn>"), 0);
    assert_int_equal(hq_contact_kind("138+1234"), 0);
    assert_int_equal(hq_contact_kind(""), 0);
    assert_int_equal(hq_contact_kind(NULL), 0);
}

static void records_decode_safely(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 6);
    hq_test_pack_str(&pk, "seq");
    msgpack_pack_uint64(&pk, 42);
    hq_test_pack_str(&pk, "kind");
    hq_test_pack_str(&pk, "feedback");
    hq_test_pack_str(&pk, "title");
    msgpack_pack_nil(&pk);
    hq_test_pack_str(&pk, "roles");
    msgpack_pack_array(&pk, 2);
    hq_test_pack_str(&pk, "complainant");
    msgpack_pack_int(&pk, 3); /* not a string: skipped */
    hq_test_pack_str(&pk, "contact");
    hq_test_pack_str(&pk, "a@b.cn");
    hq_test_pack_str(&pk, "deadline_ms");
    msgpack_pack_int64(&pk, 1234);
    hq_alert_rec r;
    hq_err err = {0};
    assert_int_equal(hq_alert_rec_decode(sb.data, sb.size, &r, &err), 0);
    assert_int_equal(r.seq, 42);
    assert_string_equal(r.kind, "feedback");
    assert_string_equal(r.title, "");
    assert_string_equal(r.issue, "");
    assert_string_equal(r.contact, "a@b.cn");
    assert_int_equal(r.nroles, 1);
    assert_int_equal(r.deadline_ms, 1234);
    hq_alert_rec_fini(&r);
    /* Not msgpack; not a map; no kind. */
    assert_int_equal(hq_alert_rec_decode("\xc1", 1, &r, &err), HQ_EINVAL);
    assert_int_equal(hq_alert_rec_decode("\x93\x01\x02\x03", 4, &r, &err), HQ_EINVAL);
    assert_string_equal(err.msg, "outbox record: not a map");
    assert_int_equal(hq_alert_rec_decode("\x81\xa3seq\x05", 6, &r, &err), HQ_EINVAL);
    assert_string_equal(err.msg, "outbox record 5: no kind");
    assert_int_equal(hq_alert_rec_decode("\xdd\xff\xff\xff\xff", 5, &r, &err), HQ_EINVAL);
    msgpack_sbuffer_destroy(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(urgent_alert_reaches_each_role_on_each_channel),
        cmocka_unit_test(low_alerts_go_to_digests_for_the_digest_roles),
        cmocka_unit_test(quiet_hours_hold_until_each_persons_working_hours),
        cmocka_unit_test(shared_channel_hours),
        cmocka_unit_test(feedback_goes_to_the_complainant_only),
        cmocka_unit_test(roles_that_reach_nobody),
        cmocka_unit_test(working_group_and_unknown_severity),
        cmocka_unit_test(a_person_without_channels_is_a_problem_route),
        cmocka_unit_test(contact_kinds),
        cmocka_unit_test(records_decode_safely),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
