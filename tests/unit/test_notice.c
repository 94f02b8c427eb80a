/* test_notice.c - the rectification notice (lib/notice.c), as a
 * specification: what it must say, in text and in printable HTML, and what
 * it must never carry (a complainant's personal data). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hq_issue_fixture.h"
#include "notice.h"

static int setup(void **state)
{
    (void)state;
    return hq_tz_set("Asia/Shanghai");
}

static void make(hq_issue *is)
{
    fx_issue(is, "HQ-2026-000123", "xinyuan-catering", "catering", "food-safety", HQ_SEV_HIGH,
             fx_at(2026, 9, 1, 9));
    is->deadline_ms = fx_at(2026, 9, 1, 13);
    is->complaint_contact = strdup("13800000000");
    is->has_terms = true;
    is->terms.contract = strdup("餐饮服务合同第十二条");
    hq_issue_note(is, fx_at(2026, 9, 1, 10), "contact.xinyuan", 2, HQ_TL_ACKNOWLEDGED, HQ_TLC_NONE, "承办单位已签收整改通知");
}

static void test_the_text_notice_says_everything(void **state)
{
    (void)state;
    hq_issue is;
    make(&is);
    hq_notice_info info = {"后勤管理处", "鑫源餐饮管理有限公司", "第一食堂", NULL};
    hq_buf b;
    hq_buf_init(&b);
    hq_notice_text(&is, &info, &b);
    static const char *const must[] = {
        "问题整改通知单", "编号：HQ-2026-000123", "承办单位：鑫源餐饮管理有限公司", "地    点：第一食堂",
        "严重程度：严重", "整改期限：2026-09-01 13:00", "冷库温度超标", "第一食堂冷库温度持续高于 8℃",
        "2026-09-01 10:00  contact.xinyuan  承办单位已签收整改通知", "立即检查制冷设备",
        "《餐饮服务合同第十二条》", "签发单位：后勤管理处", "签发日期：2026年09月01日", "签 发 人：",
        "承办单位签收人：", "复 查 人：",
    };
    for (size_t i = 0; i < sizeof must / sizeof *must; i++)
        if (!strstr(b.data, must[i]))
            fail_msg("the notice lacks \"%s\":\n%s", must[i], b.data);
    assert_null(strstr(b.data, "13800000000"));
    /* without names the ids stand in; without an office, a default */
    hq_buf_reset(&b);
    hq_notice_text(&is, NULL, &b);
    assert_non_null(strstr(b.data, "承办单位：xinyuan-catering"));
    assert_non_null(strstr(b.data, "签发单位：后勤管理处"));
    hq_buf_fini(&b);
    hq_issue_fini(&is);
}

static void test_the_html_notice_is_printable_and_escaped(void **state)
{
    (void)state;
    hq_issue is;
    make(&is);
    free(is.title);
    is.title = strdup("<script>alert(1)</script> & \"x\"");
    hq_notice_info info = {"后勤管理处", "鑫源餐饮管理有限公司", "第一食堂", NULL};
    hq_buf b;
    hq_buf_init(&b);
    hq_notice_html(&is, &info, &b);
    assert_true(strncmp(b.data, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(strstr(b.data, "<html lang=\"zh-CN\">"));
    assert_non_null(strstr(b.data, "<meta charset=\"utf-8\">"));
    assert_non_null(strstr(b.data, "@page { size: A4;"));
    assert_non_null(strstr(b.data, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
    assert_null(strstr(b.data, "<script"));
    assert_null(strstr(b.data, "src="));
    assert_null(strstr(b.data, "href="));
    assert_null(strstr(b.data, "url("));
    assert_null(strstr(b.data, "13800000000"));
    assert_non_null(strstr(b.data, "签发日期：2026年09月01日"));
    assert_non_null(strstr(b.data, "鑫源餐饮管理有限公司"));
    assert_non_null(strstr(b.data, "</html>\n"));
    hq_buf_fini(&b);
    hq_issue_fini(&is);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_text_notice_says_everything),
        cmocka_unit_test(test_the_html_notice_is_printable_and_escaped),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
