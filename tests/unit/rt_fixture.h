/* rt_fixture.h - a rules directory for the rule test, sim and backtest
 * unit tests (header only; include after <cmocka.h> and hq_test.h).
 *
 * hq_rt_rules_dir() copies the shipped files that hold no rules or
 * schedules (organisation, chains, contractors, sites, sensors, calendar)
 * into dir and adds t.yaml with the rules given, so that the tests do not
 * depend on the shipped rules or their schedules.
 */
#ifndef HQ_RT_FIXTURE_H
#define HQ_RT_FIXTURE_H

#include "rules.h"
#include "schema.h"

/* Two small rules: t.hot opens a high issue for a hot-water reading above
 * 50 (per sensor); t.cold opens one when a cold-storage reading stays
 * above 8 for 30 minutes (per sensor), on the urgent chain. */
static const char hq_rt_test_rules[] =
    "rules:\n"
    "  - id: t.hot\n"
    "    on: sensor.reading\n"
    "    when: [{field: data.kind, eq: hot_water_temp}, {field: data.value, gt: 50}]\n"
    "    key: \"{{data.sensor}}\"\n"
    "    issue: {title: \"hot {{data.sensor}} {{data.value}}\", domain: catering, severity: high, deadline: 4h,\n"
    "            chain: standard}\n"
    "  - id: t.cold\n"
    "    on: sensor.reading\n"
    "    when: [{field: data.kind, eq: cold_storage_temp}, {field: data.value, gt: 8}]\n"
    "    sustained: {for: 30m}\n"
    "    key: \"{{data.sensor}}\"\n"
    "    issue: {title: \"cold {{data.sensor}}\", domain: catering, deadline: 4h, chain: urgent}\n";

static inline void hq_rt_rules_dir(const char *dir, const char *rules_yaml)
{
    const char *from = hq_test_env("HQ_TEST_RULES");
    mkdir(dir, 0755);
    DIR *d = opendir(from);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0)
            continue;
        char src[4096], dst[4096];
        snprintf(src, sizeof src, "%s/%s", from, de->d_name);
        struct stat st;
        if (stat(src, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        char *text = hq_test_read_file(src);
        if (!strstr(text, "\nrules:") && strncmp(text, "rules:", 6) != 0 && !strstr(text, "\nschedules:")) {
            snprintf(dst, sizeof dst, "%s/%s", dir, de->d_name);
            hq_test_write_file(dst, text, strlen(text));
        }
        free(text);
    }
    closedir(d);
    char p[4200];
    snprintf(p, sizeof p, "%s/t.yaml", dir);
    hq_test_write_file(p, rules_yaml, strlen(rules_yaml));
}

/* Loads the schemas and the rules of dir; fails the test on a problem. */
static inline void hq_rt_load(const char *dir, hq_schemas **schemas, hq_rules **rules)
{
    hq_diags d;
    hq_diags_init(&d);
    if (!*schemas && hq_schemas_load_dir(hq_test_env("HQ_TEST_SCHEMAS"), schemas, &d) != 0)
        fail_msg("the schemas do not load");
    if (hq_rules_load(dir, *schemas, rules, &d) != 0) {
        char b[1024];
        fail_msg("the test rules do not load: %s", d.count ? hq_err_str(&d.items[0], b, sizeof b) : "?");
    }
    hq_diags_fini(&d);
}

#endif
