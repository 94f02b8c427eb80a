/* test_alert_render.c - alert text and channel payloads
 * (lib/alert_render.c), as a specification: the shipped templates filled
 * from a record and the organisation; plain JSON, WeCom and DingTalk robot
 * bodies; MIME e-mail with an RFC 2047 subject; idempotency keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "alert_render.h"
#include "clock.h"
#include "hq_test.h"
#include "json.h"
#include "mp.h"
#include "schema.h"

static const int64_t MON = 1899388800000LL; /* 2030-03-11 00:00 +08:00 */

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

static hq_alert_rec opened(uint64_t seq, const char *contact)
{
    hq_alert_rec r = {.seq = seq, .ts_ms = MON + 9 * 3600000LL, .deadline_ms = MON + 13 * 3600000LL + 1800000,
                      .level = 1};
    char issue[32];
    snprintf(issue, sizeof issue, "HQ-2030-%06llu", (unsigned long long)seq);
    r.kind = strdup("opened");
    r.issue = strdup(issue);
    r.rule = strdup("catering.cold-storage-high");
    r.domain = strdup("catering");
    r.contractor = strdup("xinyuan-catering");
    r.site = strdup("canteen-1");
    r.severity = strdup("high");
    r.title = strdup("冷库温度超标：第一食堂 传感器 cs-001 9.5℃");
    r.text = strdup("【新整改通知】...");
    r.contact = contact ? strdup(contact) : NULL;
    return r;
}

static hq_alert_msg msg(const hq_alert_rec *const *recs, size_t n, hq_audience aud, hq_lang lang, const char *ch)
{
    hq_alert_msg m = {.key = "7-chen.catering-office-mail", .recipient = "chen.catering", .recipient_name = "陈科长",
                      .channel = hq_alert_config_channel(cfg, ch), .audience = aud, .lang = lang, .recs = recs,
                      .nrecs = n};
    assert_non_null(m.channel);
    hq_alert_render_text(cfg, rules, &m);
    return m;
}

static void contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("%s\n--- does not contain ---\n%s", hay, needle);
}

static void office_version(void **state)
{
    (void)state;
    hq_alert_rec r = opened(7, NULL);
    const hq_alert_rec *rp = &r;
    hq_alert_msg m = msg(&rp, 1, HQ_AUD_OFFICE, HQ_LANG_ZH, "office-mail");
    assert_string_equal(m.subject, "【新整改通知】HQ-2030-000007 冷库温度超标：第一食堂 传感器 cs-001 9.5℃");
    contains(m.body, "陈科长：");
    contains(m.body, "领域：餐饮｜承办单位：鑫源餐饮管理有限公司｜地点：第一食堂");
    contains(m.body, "严重程度：严重｜当前级别：第1级｜整改期限：2030-03-11 13:30");
    contains(m.body, "—— 后勤管理处");
    hq_alert_msg_fini(&m);
    m = msg(&rp, 1, HQ_AUD_OFFICE, HQ_LANG_EN, "office-mail");
    assert_string_equal(m.subject, "[New rectification notice] HQ-2030-000007 冷库温度超标：第一食堂 传感器 cs-001 9.5℃");
    contains(m.body, "Severity: high | Level: 1 | Deadline: 2030-03-11 13:30");
    hq_alert_msg_fini(&m);
    hq_alert_rec_fini(&r);
}

static void contractor_version_is_the_rectification_notice(void **state)
{
    (void)state;
    hq_alert_rec r = opened(7, NULL);
    const hq_alert_rec *rp = &r;
    hq_alert_msg m = msg(&rp, 1, HQ_AUD_CONTRACTOR, HQ_LANG_ZH, "office-mail");
    assert_string_equal(m.subject, "【整改通知】HQ-2030-000007 冷库温度超标：第一食堂 传感器 cs-001 9.5℃");
    contains(m.body, "鑫源餐饮管理有限公司：");
    contains(m.body, "通知编号：HQ-2030-000007");
    contains(m.body, "整改期限：2030-03-11 13:30");
    contains(m.body, "提交整改反馈");
    hq_alert_msg_fini(&m);
    /* Kinds without their own template use the contractor's default. */
    free(r.kind);
    r.kind = strdup("escalated");
    m = msg(&rp, 1, HQ_AUD_CONTRACTOR, HQ_LANG_ZH, "office-mail");
    assert_string_equal(m.subject, "【升级】整改通知 HQ-2030-000007");
    hq_alert_msg_fini(&m);
    hq_alert_rec_fini(&r);
}

static void digests_list_every_alert(void **state)
{
    (void)state;
    hq_alert_rec a = opened(7, NULL), b = opened(9, NULL);
    const hq_alert_rec *rp[] = {&a, &b};
    hq_alert_msg m = msg(rp, 2, HQ_AUD_OFFICE, HQ_LANG_ZH, "office-mail");
    m.digest = true;
    hq_alert_render_text(cfg, rules, &m);
    assert_string_equal(m.subject, "【汇总】2 条后勤监督提醒");
    contains(m.body, "· [新整改通知] HQ-2030-000007 ");
    contains(m.body, "· [新整改通知] HQ-2030-000009 ");
    contains(m.body, "（第一食堂，期限 2030-03-11 13:30）");
    hq_alert_msg_fini(&m);
    hq_alert_rec_fini(&a);
    hq_alert_rec_fini(&b);
}

/* Parses JSON text with the library's own reader. */
static msgpack_object parse(const char *json, msgpack_sbuffer *sb, msgpack_zone *zone)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    hq_err err = {0};
    if (hq_json_to_mp("json", json, strlen(json), &pk, &err) != 0)
        fail_msg("not JSON (%s): %s", err.msg, json);
    msgpack_object o;
    assert_int_equal(hq_mp_decode(sb->data, sb->size, &hq_mp_default_limits, zone, &o, &err), 0);
    return o;
}

static void plain_json_never_carries_the_contact(void **state)
{
    (void)state;
    hq_alert_rec r = opened(7, "student@example.com");
    const hq_alert_rec *rp = &r;
    hq_alert_msg m = msg(&rp, 1, HQ_AUD_OFFICE, HQ_LANG_ZH, "campus-oa");
    hq_buf b;
    hq_buf_init(&b);
    hq_alert_render_webhook(&m, &b);
    assert_null(strstr(b.data, "student@example.com"));
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object o = parse(b.data, &sb, &zone);
    assert_true(hq_mp_str_eq(hq_mp_map_get(&o, "idempotency_key"), "7-chen.catering-office-mail"));
    assert_true(hq_mp_str_eq(hq_mp_map_get(&o, "issue"), "HQ-2030-000007"));
    assert_true(hq_mp_str_eq(hq_mp_map_get(&o, "audience"), "office"));
    assert_true(hq_mp_str_eq(hq_mp_path(&o, "recipient.id"), "chen.catering"));
    assert_null(hq_mp_path(&o, "recipient.to"));
    assert_null(hq_mp_map_get(&o, "contact"));
    assert_true(hq_mp_str_eq(hq_mp_map_get(&o, "subject"), m.subject));
    assert_true(hq_mp_str_eq(hq_mp_map_get(&o, "text"), m.body));
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
    hq_buf_fini(&b);
    hq_alert_msg_fini(&m);
    hq_alert_rec_fini(&r);
}

static void robots_get_text_messages(void **state)
{
    (void)state;
    hq_alert_rec r = opened(7, NULL);
    const hq_alert_rec *rp = &r;
    const char *robots[] = {"office-wecom", "xinyuan-dingtalk"};
    for (int i = 0; i < 2; i++) {
        hq_alert_msg m = msg(&rp, 1, HQ_AUD_OFFICE, HQ_LANG_ZH, robots[i]);
        hq_buf b, want;
        hq_buf_init(&b);
        hq_buf_init(&want);
        hq_alert_render_webhook(&m, &b);
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_zone zone;
        msgpack_zone_init(&zone, 4096);
        msgpack_object o = parse(b.data, &sb, &zone);
        assert_int_equal(o.via.map.size, 2);
        assert_true(hq_mp_str_eq(hq_mp_map_get(&o, "msgtype"), "text"));
        hq_buf_printf(&want, "%s\n%s", m.subject, m.body);
        assert_true(hq_mp_str_eq(hq_mp_path(&o, "text.content"), want.data));
        msgpack_zone_destroy(&zone);
        msgpack_sbuffer_destroy(&sb);
        hq_buf_fini(&b);
        hq_buf_fini(&want);
        hq_alert_msg_fini(&m);
    }
    hq_alert_rec_fini(&r);
}

static void base64_vectors(void **state)
{
    (void)state;
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        hq_buf b;
        hq_buf_init(&b);
        hq_base64(in[i], strlen(in[i]), &b);
        assert_string_equal(b.data, out[i]);
        hq_buf_fini(&b);
    }
}

static size_t unbase64(const char *s, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    unsigned v = 0, bits = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        v = (v << 6) | (unsigned)(strchr(tab, s[i]) - tab);
        bits += 6;
        if (bits >= 8) {
            out[o++] = (char)((v >> (bits - 8)) & 0xff);
            bits -= 8;
        }
    }
    return o;
}

static void rfc2047_words_never_split_a_character(void **state)
{
    (void)state;
    hq_buf b;
    hq_buf_init(&b);
    hq_rfc2047("Plain ASCII subject", &b);
    assert_string_equal(b.data, "Plain ASCII subject");
    hq_buf_reset(&b);
    const char *s = "【整改通知】HQ-2030-000007 冷库温度超标：第一食堂 传感器 cs-001 9.5℃ 请于期限前完成整改";
    hq_rfc2047(s, &b);
    char joined[1024];
    size_t jl = 0;
    int words = 0;
    for (char *w = b.data; (w = strstr(w, "=?UTF-8?B?")); words++) {
        char *end = strstr(w, "?=");
        assert_non_null(end);
        assert_true(end + 2 - w <= 64);
        char part[128];
        size_t pl = unbase64(w + 10, (size_t)(end - w - 10), part);
        assert_true(hq_utf8_valid(part, pl)); /* each word is whole characters */
        memcpy(joined + jl, part, pl);
        jl += pl;
        w = end + 2;
        if (*w)
            assert_memory_equal(w, "\r\n ", 3); /* folded */
    }
    assert_true(words >= 3);
    joined[jl] = '\0';
    assert_string_equal(joined, s);
    hq_buf_fini(&b);
}

static void mime_mail(void **state)
{
    (void)state;
    hq_alert_rec r = opened(7, "student@example.com");
    const hq_alert_rec *rp = &r;
    hq_alert_msg m = msg(&rp, 1, HQ_AUD_COMPLAINANT, HQ_LANG_ZH, "complaint-mail");
    m.key = "12-complainant:HQ-2030-000007-complaint-mail";
    m.to = "student@example.com";
    hq_buf b;
    hq_buf_init(&b);
    hq_alert_render_mime(&m, MON + 9 * 3600000LL, &b);
    assert_memory_equal(b.data, "Date: Mon, 11 Mar 2030 09:00:00 +0800\r\n", 39);
    contains(b.data, "\r\nFrom: houqin-feedback@example.edu.cn\r\n");
    contains(b.data, "\r\nTo: student@example.com\r\n");
    contains(b.data, "\r\nSubject: =?UTF-8?B?");
    contains(b.data, "\r\nMessage-ID: <12-complainant_HQ-2030-000007-complaint-mail@example.edu.cn>\r\n");
    contains(b.data, "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                     "Content-Transfer-Encoding: base64\r\n\r\n");
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i] == '\n')
            assert_true(i > 0 && b.data[i - 1] == '\r'); /* CRLF only */
    const char *body = strstr(b.data, "\r\n\r\n") + 4;
    for (const char *l = body; *l; l = strstr(l, "\r\n") + 2)
        assert_true(strstr(l, "\r\n") - l <= 76);
    hq_buf_fini(&b);
    hq_alert_msg_fini(&m);
    hq_alert_rec_fini(&r);
}

static void keys(void **state)
{
    (void)state;
    char k[256];
    hq_alert_key(12, "chen.catering", "office-mail", k, sizeof k);
    assert_string_equal(k, "12-chen.catering-office-mail");
    hq_alert_key(3, "a\r\nInjected: 1", "x", k, sizeof k);
    assert_string_equal(k, "3-a__Injected: 1-x");
    hq_alert_digest_key(4, 9, "group", "office-wecom", k, sizeof k);
    assert_string_equal(k, "digest-4-9-group-office-wecom");
}

static void names(void **state)
{
    (void)state;
    assert_string_equal(hq_alert_kind_name("overdue", HQ_LANG_ZH), "逾期");
    assert_string_equal(hq_alert_kind_name("overdue", HQ_LANG_EN), "Overdue");
    assert_string_equal(hq_alert_kind_name("something-new", HQ_LANG_ZH), "something-new");
    /* one term per concept: alerts say what the notice and the reports say */
    assert_string_equal(hq_alert_severity_name("high", HQ_LANG_ZH), "严重");
    assert_string_equal(hq_alert_severity_name("critical", HQ_LANG_ZH), "重大");
    assert_string_equal(hq_alert_severity_name("high", HQ_LANG_ZH), hq_severity_label(HQ_SEV_HIGH));
    assert_string_equal(hq_alert_domain_name("dormitory", HQ_LANG_ZH), "宿舍");
    assert_string_equal(hq_alert_domain_name("dormitory", HQ_LANG_ZH), hq_domain_label("dormitory"));
    assert_string_equal(hq_alert_kind_name("unsolved", HQ_LANG_ZH), "投诉人反馈未解决");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(office_version),
        cmocka_unit_test(contractor_version_is_the_rectification_notice),
        cmocka_unit_test(digests_list_every_alert),
        cmocka_unit_test(plain_json_never_carries_the_contact),
        cmocka_unit_test(robots_get_text_messages),
        cmocka_unit_test(base64_vectors),
        cmocka_unit_test(rfc2047_words_never_split_a_character),
        cmocka_unit_test(mime_mail),
        cmocka_unit_test(keys),
        cmocka_unit_test(names),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
