/* test_alert_config.c - loading alertd's channels, templates, policies and
 * per-person settings (lib/alert_config.c), as a specification: the
 * shipped configuration loads and means what rules/alerts.yaml says;
 * every mistake is refused with its file:line:column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "alert_config.h"
#include "hq_test.h"

/* ---- the shipped configuration ---- */

static void shipped_configuration_loads(void **state)
{
    (void)state;
    hq_diags d;
    hq_diags_init(&d);
    hq_alert_config *c = NULL;
    int rc = hq_alert_config_load(hq_test_env("HQ_TEST_RULES"), &c, &d);
    if (rc) {
        char line[1024];
        for (size_t i = 0; i < d.count; i++)
            print_error("%s\n", hq_err_str(&d.items[i], line, sizeof line));
    }
    assert_int_equal(rc, 0);
    const hq_channel *mail = hq_alert_config_channel(c, "office-mail");
    assert_non_null(mail);
    assert_int_equal(mail->type, HQ_CH_EMAIL);
    assert_string_equal(mail->from, "houqin-alerts@example.edu.cn");
    const hq_channel *wecom = hq_alert_config_channel(c, "office-wecom");
    assert_int_equal(wecom->format, HQ_FMT_WECOM);
    assert_true(wecom->shared);
    assert_int_equal(hq_alert_config_channel(c, "xinyuan-dingtalk")->format, HQ_FMT_DINGTALK);
    assert_int_equal(hq_alert_config_channel(c, "sms")->type, HQ_CH_COMMAND);
    assert_int_equal(hq_alert_config_channel(c, "archive")->type, HQ_CH_FILE);
    assert_null(hq_alert_config_channel(c, "nope"));

    const hq_alert_person *chen = hq_alert_config_person(c, "chen.catering");
    assert_non_null(chen);
    assert_true(chen->nchannels >= 2);
    assert_ptr_equal(chen->channels[0].channel, mail);
    assert_string_equal(chen->channels[0].to, "chen.catering@example.edu.cn");
    assert_true(chen->has_hours);
    assert_int_equal(chen->hours.days, 0x7e); /* mon-sat */
    assert_int_equal(chen->hours.from_min, 7 * 60);
    assert_int_equal(chen->hours.to_min, 19 * 60);

    const hq_alert_policies *p = hq_alert_config_policies(c);
    assert_int_equal(p->urgent_from, HQ_SEV_HIGH);
    assert_true(p->quiet_hours);
    assert_int_equal(p->default_hours.days, 0x3e);
    assert_int_equal(p->digest_every_ms, 4 * 3600000LL);
    assert_int_equal(p->digest_severities, 1u << HQ_SEV_LOW);
    assert_true(p->digest_roles & (1u << HQ_ROLE_SECTION_HEAD));
    assert_false(p->digest_roles & (1u << HQ_ROLE_CONTRACTOR_CONTACT));
    assert_int_equal(p->rate_max, 30);
    assert_int_equal(p->retry_tries, 10);
    assert_int_equal(p->retry_first_ms, 30000);
    assert_int_equal(p->retry_max_ms, 1800000);
    assert_ptr_equal(p->complainant_email, hq_alert_config_channel(c, "complaint-mail"));
    assert_ptr_equal(p->complainant_phone, hq_alert_config_channel(c, "sms"));

    /* Templates: per kind before the audience's default; the language asked for. */
    const hq_alert_tmpl *t = hq_alert_config_template(c, HQ_AUD_CONTRACTOR, "opened", HQ_LANG_ZH);
    assert_non_null(strstr(hq_tmpl_source(t->subject), "【整改通知】"));
    t = hq_alert_config_template(c, HQ_AUD_CONTRACTOR, "reminder", HQ_LANG_ZH);
    assert_non_null(strstr(hq_tmpl_source(t->subject), "【{{kind_name}}】整改通知"));
    t = hq_alert_config_template(c, HQ_AUD_OFFICE, "escalated", HQ_LANG_EN);
    assert_non_null(strstr(hq_tmpl_source(t->subject), "[{{kind_name}}]"));
    t = hq_alert_config_template(c, HQ_AUD_DIGEST, NULL, HQ_LANG_ZH);
    assert_non_null(t->item);
    hq_alert_config_destroy(&c);
    assert_null(c);
    hq_alert_config_destroy(&c); /* accepts NULL */
    hq_diags_fini(&d);
}

/* ---- from text ---- */

typedef struct fx {
    char *dir;
    hq_diags d;
    hq_alert_config *c;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = hq_test_tmpdir();
    hq_diags_init(&f->d);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    hq_alert_config_destroy(&f->c);
    hq_diags_fini(&f->d);
    hq_test_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static int load_text(fx *f, const char *yaml)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/alerts.yaml", f->dir);
    hq_test_write_file(p, yaml, strlen(yaml));
    hq_alert_config_destroy(&f->c);
    hq_diags_fini(&f->d);
    hq_diags_init(&f->d);
    return hq_alert_config_load(f->dir, &f->c, &f->d);
}

/* The load fails and its first diagnostic is "alerts.yaml:L:C: msg",
 * where L:C is the position of needle in yaml. */
static void refused(fx *f, const char *yaml, const char *needle, const char *msg)
{
    assert_int_equal(load_text(f, yaml), HQ_EINVAL);
    assert_null(f->c);
    assert_true(f->d.count > 0);
    const char *at = strstr(yaml, needle);
    assert_non_null(at);
    int line = 1, col = 1;
    for (const char *p = yaml; p < at; p++, col++)
        if (*p == '\n')
            line++, col = 0;
    char got[1200], want[1200];
    hq_err_str(&f->d.items[0], got, sizeof got);
    snprintf(want, sizeof want, "%s/alerts.yaml:%d:%d: %s", f->dir, line, col, msg);
    assert_string_equal(got, want);
}

static void an_empty_directory_gives_built_in_templates(void **state)
{
    fx *f = *state;
    assert_int_equal(hq_alert_config_load(f->dir, &f->c, &f->d), 0);
    assert_int_equal(hq_alert_config_nchannels(f->c), 0);
    const hq_alert_tmpl *t = hq_alert_config_template(f->c, HQ_AUD_COMPLAINANT, "feedback", HQ_LANG_EN);
    assert_non_null(strstr(hq_tmpl_source(t->subject), "Your report"));
    const hq_alert_policies *p = hq_alert_config_policies(f->c);
    assert_int_equal(p->retry_tries, 8);
    assert_int_equal(p->digest_every_ms, 0);
    assert_int_equal(p->rate_per_ms, 0);
}

static void channels_and_people(void **state)
{
    fx *f = *state;
    int rc = load_text(f, "channels:\n"
                          "  hook: {type: webhook, url: \"https://qyapi.example.com/x?key=1\", format: wecom,\n"
                          "         timeout: 3s, parallel: 2, lang: en}\n"
                          "  run: {type: command, argv: [/usr/bin/env, x]}\n"
                          "people:\n"
                          "  - {id: a, channels: [{channel: hook, lang: zh}, {channel: run, to: \"138\"}],\n"
                          "     working_hours: {days: [sat-mon, wed], from: \"22:00\", to: \"24:00\"}}\n"
                          "  - {id: b, working_hours: always}\n"
                          "  - {id: c, name: no alert settings}\n");
    assert_int_equal(rc, 0);
    const hq_channel *h = hq_alert_config_channel(f->c, "hook");
    assert_int_equal(h->timeout_ms, 3000);
    assert_int_equal(h->parallel, 2);
    assert_int_equal(h->lang, HQ_LANG_EN);
    assert_int_equal(hq_alert_config_channel(f->c, "run")->argc, 2);
    const hq_alert_person *a = hq_alert_config_person(f->c, "a");
    assert_int_equal(a->nchannels, 2);
    assert_int_equal(a->channels[0].lang, HQ_LANG_ZH);
    assert_null(a->channels[0].to);
    assert_string_equal(a->channels[1].to, "138");
    assert_int_equal(a->channels[1].lang, HQ_LANG_ZH);
    assert_int_equal(a->hours.days, (1 << 6) | (1 << 0) | (1 << 1) | (1 << 3));
    assert_int_equal(a->hours.to_min, 1440);
    assert_true(hq_alert_config_person(f->c, "b")->hours.always);
    assert_null(hq_alert_config_person(f->c, "c"));
}

static void mistakes_are_refused_with_positions(void **state)
{
    fx *f = *state;
    refused(f, "channels:\n  x: {type: pager}\n", "pager",
            "unknown channel type \"pager\" (expected one of webhook, email, command, file)");
    refused(f, "channels:\n  Bad Name: {type: file, path: /tmp/x}\n", "Bad",
            "channel name \"Bad Name\": use 1 to 48 of a-z, 0-9, '.', '_', '-'");
    refused(f, "channels:\n  x: {type: file, path: relative.jsonl}\n", "relative",
            "path: expected an absolute path, got \"relative.jsonl\"");
    refused(f, "channels:\n  x: {type: email, url: \"smtp://h\", from: \"a <b@c.d>\"}\n", "\"a <",
            "from: expected an e-mail address like alerts@example.edu.cn");
    refused(f, "channels:\n  x: {type: webhook, url: \"http://h/\", format: xml}\n", "xml",
            "unknown webhook format \"xml\" (expected one of json, wecom, dingtalk)");
    refused(f, "channels:\n  x: {type: webhook, url: \"ftp://h/\"}\n", "\"ftp",
            "url: expected http://..., got \"ftp://h/\"");
    refused(f, "channels:\n  x: {type: webhook, urll: \"http://h/\"}\n", "urll",
            "unknown key \"urll\" (expected one of: type, lang, shared, parallel, timeout, connect_timeout, url, "
            "format, to, working_hours)");
    refused(f, "channels:\n  x: {type: command, argv: [notify]}\n", "notify",
            "argv[0]: expected an absolute path, got \"notify\"");
    refused(f, "people:\n  - {id: a, channels: [{channel: ghost}]}\n", "ghost", "unknown channel \"ghost\"");
    refused(f,
            "channels:\n  m: {type: email, url: \"smtp://h\", from: a@b.cn}\n"
            "people:\n  - {id: a, channels: [{channel: m, to: \"not mail\"}]}\n",
            "\"not mail", "channel m is e-mail: expected `to` or the person's `email:` with an address like name@example.edu.cn");
    refused(f, "people:\n  - {id: a, working_hours: {days: [mon-fri], from: \"18:00\", to: \"08:00\"}}\n",
            "\"08:00", "working_hours: \"to\" must be later than \"from\" on the same day");
    refused(f, "people:\n  - {id: a, working_hours: {days: [weekday], from: \"08:00\", to: \"18:00\"}}\n",
            "weekday", "expected a day (mon, tue, ..., sun) or a range like mon-fri, got \"weekday\"");
    refused(f, "templates:\n  office.sent: {zh: {subject: x, body: y}}\n", "office.sent",
            "unknown template \"office.sent\": no such alert kind");
    refused(f, "templates:\n  office: {zh: {subject: \"{{contact}}\", body: y}}\n", "\"{{contact",
            "template placeholder {{contact}}: unknown placeholder (known: seq, kind, kind_name, issue, rule, "
            "level, domain, domain_name, contractor, contractor_id, site, site_id, severity, severity_name, title, "
            "text, deadline, time, recipient, office, outcome)");
    refused(f, "templates:\n  office: {fr: {subject: x, body: y}}\n", "fr", "unknown key \"fr\" (expected one of: zh, en)");
    refused(f, "policies:\n  digest: {every: 4h, roles: [complainant]}\n", "complainant",
            "unknown role \"complainant\" (feedback to complainants is never digested)");
    refused(f, "policies:\n  digest: {every: 4h, roles: [dean]}\n", "dean", "unknown role \"dean\"");
    refused(f, "policies:\n  retry: {tries: 0}\n", "0}", "expected a number from 1 to 1000, got 0");
    refused(f, "policies:\n  rate_limit: {max: 5}\n", "{max", "missing required key \"per\"");
    refused(f, "policies:\n  complainant: {email: nowhere}\n", "nowhere", "unknown channel \"nowhere\"");
}

static void every_mistake_is_reported(void **state)
{
    fx *f = *state;
    assert_int_equal(load_text(f, "channels:\n"
                                  "  a: {type: pager}\n"
                                  "  b: {type: webhook}\n"
                                  "policies:\n"
                                  "  urgent: severe\n"),
                     HQ_EINVAL);
    assert_int_equal(f->d.count, 3);
}

/* The sections this loader reads belong to the rules directory's format
 * (hq_rules_sections), so the rules loader accepts them. */
static void sections_are_in_the_rules_directory_format(void **state)
{
    (void)state;
    for (const char *const *k = hq_alert_config_sections; *k; k++) {
        bool listed = false;
        for (const hq_rules_section *r = hq_rules_sections; r->key; r++)
            listed |= strcmp(r->key, *k) == 0;
        if (!listed)
            fail_msg("section %s is not in hq_rules_sections", *k);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sections_are_in_the_rules_directory_format),
        cmocka_unit_test(shipped_configuration_loads),
        cmocka_unit_test_setup_teardown(an_empty_directory_gives_built_in_templates, setup, teardown),
        cmocka_unit_test_setup_teardown(channels_and_people, setup, teardown),
        cmocka_unit_test_setup_teardown(mistakes_are_refused_with_positions, setup, teardown),
        cmocka_unit_test_setup_teardown(every_mistake_is_reported, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
