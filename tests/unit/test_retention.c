/* test_retention: the `retention:` section of a rule set (lib/model/retention.h):
 * what it keeps, and every policy it refuses with the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "buf.h"
#include "hq_test.h"
#include "hq_test_rules.h"
#include "retention.h"
#include "rules.h"
#include "schema.h"

static const char rule_yaml[] =
    "rules:\n"
    "  - id: t.count\n"
    "    on: sensor.reading\n"
    "    count: {at_least: 3, within: 30d}\n"
    "    key: \"{{data.sensor}}\"\n"
    "    issue:\n"
    "      title: t\n"
    "      domain: catering\n"
    "      category: t\n"
    "      severity: low\n"
    "      deadline: 12h\n"
    "      chain: standard\n";

/* Loads a rule set made of rule_yaml, the shipped escalation chains and
 * policy; returns the diagnostics joined by newlines ("" when it loaded). */
static char *load(const char *policy, hq_rules **out)
{
    return hq_test_load_rules(hq_test_schemas, out, "rule.yaml", rule_yaml, "retention.yaml", policy, NULL);
}

static void test_policy_loads(void **state)
{
    (void)state;
    hq_rules *r;
    char *msg = load("retention:\n  every: 30m\n  types:\n    sensor.reading: 90d\n    complaint.submitted: keep\n", &r);
    assert_string_equal(msg, "");
    const hq_retention *p = hq_rules_retention(r);
    assert_non_null(p);
    assert_int_equal(hq_retention_keep_ms(p, "sensor.reading", 14), 90LL * 86400000);
    assert_true(hq_retention_keep_ms(p, "complaint.submitted", 19) == HQ_RETENTION_KEEP);
    assert_true(hq_retention_keep_ms(p, "mealcard.transaction", 20) == HQ_RETENTION_KEEP); /* default keep */
    assert_int_equal(hq_retention_min_ms(p), 90LL * 86400000);
    assert_int_equal(hq_retention_every_ms(p), 30LL * 60000);
    free(msg);
    hq_rules_destroy(&r);
}

static void test_no_section_no_policy(void **state)
{
    (void)state;
    hq_rules *r;
    char *msg = load("# nothing\n{}\n", &r);
    assert_string_equal(msg, "");
    assert_null(hq_rules_retention(r));
    assert_true(hq_retention_keep_ms(NULL, "sensor.reading", 14) == HQ_RETENTION_KEEP);
    free(msg);
    hq_rules_destroy(&r);
}

static void expect_refused(const char *policy, const char *needle)
{
    char *msg = load(policy, NULL);
    if (!strstr(msg, needle))
        fail_msg("expected \"%s\" in:\n%s", needle, msg);
    free(msg);
}

static void test_shorter_than_window(void **state)
{
    (void)state;
    expect_refused("retention:\n  types:\n    sensor.reading: 10d\n",
                   "retention.yaml:3:21: sensor.reading: 10d is shorter than the 30d counting window of rule t.count");
}

static void test_record_types_refused(void **state)
{
    (void)state;
    expect_refused("retention:\n  types:\n    complaint.submitted: 365d\n",
                   "complaint.submitted: 365d would remove records the office must keep");
    expect_refused("retention:\n  types:\n    issue.closed: 400d\n", "issue.closed: 400d would remove records");
    expect_refused("retention:\n  default: 400d\n",
                   "default: would remove inspection.submitted, a record the office must keep");
}

static void test_default_reaches_windows(void **state)
{
    (void)state;
    /* A default duration is checked against every unlisted type. */
    expect_refused("retention:\n  default: 10d\n  types:\n    complaint.submitted: keep\n    "
                   "inspection.submitted: keep\n",
                   "sensor.reading: 10d is shorter than the 30d counting window");
}

static void test_too_short_and_unknown(void **state)
{
    (void)state;
    expect_refused("retention:\n  types:\n    vehicle.telemetry: 2d\n",
                   "vehicle.telemetry: 2d is shorter than 7d, the time a producer's retry is still recognised");
    expect_refused("retention:\n  types:\n    sensor.readings: 90d\n",
                   "types: sensor.readings: no schema defines this event type");
    expect_refused("retention:\n  types:\n    sensor.reading: forever\n",
                   "expected keep or a duration like 90d, got \"forever\"");
    expect_refused("retention:\n  every: 1h\n  keep_for: 3d\n", "keep_for");
}

static void test_shipped_policy(void **state)
{
    (void)state;
    hq_diags d;
    hq_diags_init(&d);
    hq_rules *r = NULL;
    assert_int_equal(hq_rules_load(hq_test_env("HQ_TEST_RULES"), hq_test_schemas, &r, &d), 0);
    const hq_retention *p = hq_rules_retention(r);
    assert_non_null(p);
    assert_int_equal(hq_retention_keep_ms(p, "sensor.reading", 14), 90LL * 86400000);
    assert_true(hq_retention_keep_ms(p, "inspection.submitted", 20) == HQ_RETENTION_KEEP);
    hq_rules_destroy(&r);
    hq_diags_fini(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_loads),        cmocka_unit_test(test_no_section_no_policy),
        cmocka_unit_test(test_shorter_than_window), cmocka_unit_test(test_record_types_refused),
        cmocka_unit_test(test_default_reaches_windows), cmocka_unit_test(test_too_short_and_unknown),
        cmocka_unit_test(test_shipped_policy),
    };
    return cmocka_run_group_tests(tests, hq_test_schemas_setup, hq_test_schemas_teardown);
}
