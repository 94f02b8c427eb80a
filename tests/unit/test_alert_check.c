/* test_alert_check.c - lib/alert/alert_check.c as a specification: URLs
 * that parse and those that do not, what a placeholder address is, what
 * loopback is, and hq_diags_add_at's split of "file:line:column".  (The
 * whole --check on rules directories is tested by alertd.check.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "alert_check.h"

#include <string.h>

static void urls_that_parse(void **state)
{
    (void)state;
    hq_url u;
    hq_err e = {0};
    assert_int_equal(hq_url_parse("smtp://Mail.Campus.cn:587", &u, &e), 0);
    assert_string_equal(u.scheme, "smtp");
    assert_string_equal(u.host, "mail.campus.cn");
    assert_int_equal(u.port, 587);
    assert_int_equal(hq_url_parse("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=ab12", &u, &e), 0);
    assert_int_equal(u.port, 443);
    assert_int_equal(hq_url_parse("smtps://user:p%40ss@relay.campus.cn", &u, &e), 0);
    assert_string_equal(u.host, "relay.campus.cn");
    assert_int_equal(u.port, 465);
    assert_int_equal(hq_url_parse("http://[::1]:8080/x", &u, &e), 0);
    assert_true(u.ipv6);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 8080);
    assert_int_equal(hq_url_parse("http://10.1.2.3", &u, &e), 0);
    assert_int_equal(u.port, 80);
}

static void urls_that_do_not(void **state)
{
    (void)state;
    static const struct {
        const char *url, *why;
    } bad[] = {
        {"http://:8080/x", "no host"},
        {"http:///x", "no host"},
        {"http://host:99999/", "port 99999 is out of range (1-65535)"},
        {"http://host:/", "an empty port after ':'"},
        {"http://host:0/", "port 0 is not a port"},
        {"http://host:8o/", "port \"8o\" is not a number"},
        {"http://ho st/", "host \"ho st\": ' ' is not allowed in a host name"},
        {"http://[::1/", "an IPv6 address without its closing ]"},
        {"http://a..b/", "host \"a..b\" is not a host name"},
        {"mail.campus.cn:25", "no scheme (expected scheme://host...)"},
        {"", "no scheme (expected scheme://host...)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hq_url u;
        hq_err e = {0};
        assert_int_equal(hq_url_parse(bad[i].url, &u, &e), HQ_EINVAL);
        assert_string_equal(e.msg, bad[i].why);
    }
}

static void placeholders(void **state)
{
    (void)state;
    char buf[256];
    static const struct {
        const char *addr;
        hq_addr_kind kind;
    } yes[] = {
        {"wang@example.edu.cn", HQ_ADDR_KIND_EMAIL},   {"pm@xinyuan.example.com", HQ_ADDR_KIND_EMAIL},
        {"a@mail.invalid", HQ_ADDR_KIND_EMAIL},        {"a@campus.test", HQ_ADDR_KIND_EMAIL},
        {"root@localhost", HQ_ADDR_KIND_EMAIL},        {"CHANGE-ME@campus.cn", HQ_ADDR_KIND_EMAIL},
        {"", HQ_ADDR_KIND_EMAIL},                      {"13800000001", HQ_ADDR_KIND_PHONE},
        {"+86 139 0000 0002", HQ_ADDR_KIND_PHONE},     {"13800138000", HQ_ADDR_KIND_PHONE},
        {"12", HQ_ADDR_KIND_PHONE},                    {"https://hooks.example.org/x", HQ_ADDR_KIND_URL},
        {"http://0.0.0.0:8080/", HQ_ADDR_KIND_URL},    {"https://q.weixin.qq.com/send?key=...", HQ_ADDR_KIND_URL},
        {"https://x.cn/send?key=<key>", HQ_ADDR_KIND_URL}, {"your-server", HQ_ADDR_KIND_OTHER},
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_non_null(hq_addr_placeholder(yes[i].addr, yes[i].kind, buf, sizeof buf));
    static const struct {
        const char *addr;
        hq_addr_kind kind;
    } no[] = {
        {"chen@campus.edu.cn", HQ_ADDR_KIND_EMAIL},       {"13812345678", HQ_ADDR_KIND_PHONE},
        {"+86 138 1234 5678", HQ_ADDR_KIND_PHONE},        {"https://qyapi.weixin.qq.com/x?key=ab", HQ_ADDR_KIND_URL},
        {"http://127.0.0.1:8080/hook", HQ_ADDR_KIND_URL}, {"http://localhost/hook", HQ_ADDR_KIND_URL},
        {"wxid_abc123", HQ_ADDR_KIND_OTHER},              {"https://examples.cn/x", HQ_ADDR_KIND_URL},
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_null(hq_addr_placeholder(no[i].addr, no[i].kind, buf, sizeof buf));
    assert_string_equal(hq_addr_placeholder("a@b.example.com", HQ_ADDR_KIND_EMAIL, buf, sizeof buf),
                        "b.example.com is a placeholder domain (example.* is for documentation: RFC 2606)");
    assert_string_equal(hq_addr_placeholder("13900000004", HQ_ADDR_KIND_PHONE, buf, sizeof buf),
                        "looks made up (7 equal digits in a row)");
}

static void loopback(void **state)
{
    (void)state;
    assert_true(hq_host_loopback("127.0.0.1"));
    assert_true(hq_host_loopback("127.1.2.3"));
    assert_true(hq_host_loopback("localhost"));
    assert_true(hq_host_loopback("::1"));
    assert_true(hq_host_loopback("relay.localhost"));
    assert_false(hq_host_loopback("128.0.0.1"));
    assert_false(hq_host_loopback("127.0.0.1.campus.cn"));
    assert_false(hq_host_loopback("mail.campus.cn"));
}

static void positions_split(void **state)
{
    (void)state;
    hq_diags d;
    hq_diags_init(&d);
    hq_diags_add_at(&d, "/etc/houqin:rules/org.yaml:12:7", "x %d", 1);
    hq_diags_add_at(&d, NULL, "no position");
    assert_int_equal(d.count, 2);
    assert_string_equal(d.items[0].file, "/etc/houqin:rules/org.yaml");
    assert_int_equal(d.items[0].line, 12);
    assert_int_equal(d.items[0].column, 7);
    assert_string_equal(d.items[0].msg, "x 1");
    assert_string_equal(d.items[1].file, "");
    assert_int_equal(d.items[1].line, 0);
    hq_diags_fini(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(urls_that_parse),  cmocka_unit_test(urls_that_do_not), cmocka_unit_test(placeholders),
        cmocka_unit_test(loopback),         cmocka_unit_test(positions_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
