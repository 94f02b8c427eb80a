/* test_ledger.c - the issue ledger (lib/ledger.c), as a specification:
 * RFC 4180 CSV in UTF-8 with a BOM, one record per issue with its
 * milestones and a timeline summary; JSON rows; personal data redacted
 * unless asked for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hq_issue_fixture.h"
#include "ledger.h"
#include "mem.h"

#include <stdlib.h>

static int setup(void **state)
{
    (void)state;
    return hq_tz_set("Asia/Shanghai");
}

static void test_csv_fields_are_quoted_only_when_needed(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"plain", "plain"},
        {"冷库温度超标", "冷库温度超标"},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"cr\rhere", "\"cr\rhere\""},
        {" lead", "\" lead\""},
        {"trail ", "\"trail \""},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        hq_buf b;
        hq_buf_init(&b);
        hq_csv_field(&b, cases[i][0]);
        assert_string_equal(b.data ? b.data : "", cases[i][1]);
        hq_buf_fini(&b);
    }
    hq_buf b;
    hq_buf_init(&b);
    hq_csv_field(&b, NULL);
    assert_int_equal(b.len, 0);
    hq_buf_fini(&b);
}

static void test_timeline_words(void **state)
{
    (void)state;
    hq_issue is;
    fx_issue(&is, "HQ-2026-000001", "xinyuan-catering", "catering", "food-safety", HQ_SEV_HIGH,
             fx_at(2026, 9, 1, 9));
    hq_issue_note(&is, fx_at(2026, 9, 1, 10), "contact", 2, HQ_TL_ACKNOWLEDGED, HQ_TLC_NONE, "已签收");
    hq_issue_note(&is, fx_at(2026, 9, 1, 11), "contact", 3, HQ_TL_RECTIFIED, HQ_TLC_NONE, "第一次");
    hq_issue_note(&is, fx_at(2026, 9, 1, 12), "lin", 4, HQ_TL_REOPENED, HQ_TLC_NONE, "复查未通过");
    hq_issue_note(&is, fx_at(2026, 9, 1, 13), "contact", 5, HQ_TL_RECTIFIED, HQ_TLC_NONE, "第二次");
    hq_issue_note(&is, fx_at(2026, 9, 1, 14), "x", 6, HQ_TL_COMMENT, HQ_TLC_NONE, "rectified: is words, not a kind");
    assert_int_equal(is.timeline[1].kind, HQ_TL_ACKNOWLEDGED);
    assert_int_equal(is.timeline[5].kind, HQ_TL_COMMENT);
    assert_int_equal(hq_tl_first(&is, HQ_TL_RECTIFIED), fx_at(2026, 9, 1, 11));
    assert_int_equal(hq_tl_last(&is, HQ_TL_RECTIFIED), fx_at(2026, 9, 1, 13));
    assert_int_equal(hq_tl_first(&is, HQ_TL_CLOSED), 0);
    hq_buf w;
    hq_buf_init(&w);
    hq_tl_render(&is.timeline[2], HQ_TL_PUBLIC, &w);
    assert_string_equal(w.data, "提交整改反馈：第一次");
    hq_buf_fini(&w);
    /* An entry of the earlier format shows its words without the prefix;
     * the upgrade's parse types it. */
    hq_tl_entry old = {.ts_ms = 0, .what = hq_strdup("penalty: 违约金 500.00 元（逾期）"), .actor = "x"};
    hq_buf_init(&w);
    hq_tl_render(&old, HQ_TL_PUBLIC, &w);
    assert_string_equal(w.data, "违约金 500.00 元（逾期）");
    hq_buf_fini(&w);
    hq_tl_parse_legacy(&old);
    assert_int_equal(old.kind, HQ_TL_PENALTY);
    assert_int_equal(old.amount_cents, 50000);
    assert_string_equal(old.clause, "per_overdue_day");
    free(old.what);
    free(old.clause);
    hq_issue_fini(&is);
}


/* Every timeline kind has words of its own and a label in the vocabulary;
 * a merged entry names the duplicate. */
static void test_every_kind_has_words(void **state)
{
    (void)state;
    for (int k = HQ_TL_OPENED; k < HQ_TL_KIND_COUNT; k++) {
        hq_tl_entry e = {.kind = (hq_tl_kind)k, .actor = "system", .ref = "HQ-2026-000002", .clause = "deadline",
                         .text = "备注"};
        hq_buf w;
        hq_buf_init(&w);
        hq_tl_render(&e, HQ_TL_STAFF, &w);
        if (!w.data || !*w.data)
            fail_msg("timeline kind %s renders no words", hq_tl_kind_name((hq_tl_kind)k));
        if (!hq_label_find(HQ_LBL_KIND, hq_tl_kind_name((hq_tl_kind)k)))
            fail_msg("timeline kind %s has no label", hq_tl_kind_name((hq_tl_kind)k));
        if (k == HQ_TL_MERGED)
            assert_string_equal(w.data, "重复问题 HQ-2026-000002 已并入本问题，合并办理");
        hq_buf_fini(&w);
    }
}

static void test_labels(void **state)
{
    (void)state;
    assert_string_equal(hq_domain_label("catering"), "餐饮");
    assert_string_equal(hq_domain_label("transport"), "车辆运输");
    assert_string_equal(hq_domain_label("somewhere"), "somewhere");
    assert_string_equal(hq_domain_label(NULL), "");
    assert_string_equal(hq_severity_label(HQ_SEV_CRITICAL), "重大");
    assert_string_equal(hq_state_label(HQ_IS_CLOSED), "已办结");
}

/* Splits one RFC 4180 record (no embedded CRLF) into fields; returns the count. */
static size_t split_record(const char *s, size_t n, char fields[][512], size_t max)
{
    size_t k = 0, j = 0;
    bool q = false;
    for (size_t i = 0; i < n && k < max; i++) {
        char c = s[i];
        if (q) {
            if (c == '"' && i + 1 < n && s[i + 1] == '"') {
                fields[k][j++] = '"';
                i++;
            } else if (c == '"') {
                q = false;
            } else if (j < 511) {
                fields[k][j++] = c;
            }
        } else if (c == '"') {
            q = true;
        } else if (c == ',') {
            fields[k++][j] = '\0';
            j = 0;
        } else if (j < 511) {
            fields[k][j++] = c;
        }
    }
    fields[k][j] = '\0';
    return k + 1;
}

static void test_csv_rows(void **state)
{
    (void)state;
    hq_issue is;
    fx_issue(&is, "HQ-2026-000007", "xinyuan-catering", "catering", "complaints", HQ_SEV_MEDIUM,
             fx_at(2026, 9, 1, 9));
    free(is.title);
    is.title = strdup("饭菜里有异物, \"头发\"");
    is.complaint_contact = strdup("13800000000");
    hq_issue_note(&is, fx_at(2026, 9, 1, 10), "contact.xinyuan", 2, HQ_TL_ACKNOWLEDGED, HQ_TLC_NONE, "已签收");
    hq_issue_note(&is, fx_at(2026, 9, 2, 10), "contact.xinyuan", 3, HQ_TL_RECTIFIED, HQ_TLC_NONE, "已整改");
    fx_penalty(&is, fx_at(2026, 9, 2, 9), 50050, "逾期第1天");
    hq_buf b;
    hq_buf_init(&b);
    hq_ledger_csv_begin(&b);
    assert_memory_equal(b.data, "\xEF\xBB\xBF编号,开立时间,", strlen("\xEF\xBB\xBF编号,开立时间,"));
    char *eol = strstr(b.data, "\r\n");
    assert_non_null(eol);
    size_t head_len = (size_t)(eol + 2 - b.data);
    char head[40][512];
    size_t ncols = split_record(b.data + 3, (size_t)(eol - b.data) - 3, head, 40);
    hq_ledger_names names = {"鑫源餐饮管理有限公司", "第一食堂", NULL};
    hq_ledger_csv_row(&b, &is, &names, false);
    const char *row = b.data + head_len;
    size_t rl = b.len - head_len;
    assert_memory_equal(row + rl - 2, "\r\n", 2);
    /* the record holds LFs inside the quoted timeline, never a CRLF */
    assert_ptr_equal(strstr(row, "\r\n"), row + rl - 2);
    char f[40][512];
    assert_int_equal(split_record(row, rl - 2, f, 40), ncols);
    size_t col_contact = 0, col_title = 0, col_pen = 0, col_ack = 0, col_tl = 0, col_name = 0;
    for (size_t i = 0; i < ncols; i++) {
        if (!strcmp(head[i], "投诉人联系方式")) col_contact = i;
        if (!strcmp(head[i], "标题")) col_title = i;
        if (!strcmp(head[i], "违约金合计(元)")) col_pen = i;
        if (!strcmp(head[i], "签收时间")) col_ack = i;
        if (!strcmp(head[i], "处理过程")) col_tl = i;
        if (!strcmp(head[i], "承办单位")) col_name = i;
    }
    assert_string_equal(f[0], "HQ-2026-000007");
    assert_string_equal(f[col_title], "饭菜里有异物, \"头发\"");
    assert_string_equal(f[col_contact], "（已隐去）");
    assert_string_equal(f[col_pen], "500.50");
    assert_string_equal(f[col_ack], "2026-09-01 10:00");
    assert_string_equal(f[col_name], "鑫源餐饮管理有限公司");
    assert_string_equal(f[col_tl], "2026-09-01 09:00 系统 监测发现问题，开立整改通知（规则 test.rule，事件 1）\n"
                                   "2026-09-01 10:00 contact.xinyuan 承办单位已签收整改通知\n"
                                   "2026-09-02 10:00 contact.xinyuan 提交整改反馈：已整改");
    assert_null(strstr(b.data, "13800000000"));
    hq_buf_reset(&b);
    hq_ledger_csv_row(&b, &is, NULL, true);
    assert_non_null(strstr(b.data, "13800000000"));
    /* without names, the ids stand in */
    assert_non_null(strstr(b.data, ",xinyuan-catering,xinyuan-catering,"));
    hq_buf_fini(&b);
    hq_issue_fini(&is);
}

static void test_json_rows(void **state)
{
    (void)state;
    hq_issue is;
    fx_issue(&is, "HQ-2026-000008", "anju-property", "dormitory", "complaints", HQ_SEV_LOW, fx_at(2026, 9, 3, 8));
    hq_issue_note(&is, fx_at(2026, 9, 3, 9), "lin", 2, HQ_TL_COMMENT, HQ_TLC_NONE, "已转交");
    hq_buf b;
    hq_buf_init(&b);
    hq_ledger_json_row(&b, &is, NULL, false);
    assert_non_null(strstr(b.data, "\"number\":\"HQ-2026-000008\""));
    assert_non_null(strstr(b.data, "\"complaint_contact\":null"));
    assert_non_null(strstr(b.data, "\"acknowledged_ms\":null"));
    assert_non_null(strstr(b.data, "{\"ts_ms\":"));
    assert_non_null(strstr(b.data, "\"event\":\"comment\",\"actor\":\"lin\""));
    assert_non_null(strstr(b.data, "\"severity\":\"low\""));
    is.complaint_contact = strdup("wx:abc");
    hq_buf_reset(&b);
    hq_ledger_json_row(&b, &is, NULL, false);
    assert_non_null(strstr(b.data, "\"complaint_contact\":\"(redacted)\""));
    hq_buf_reset(&b);
    hq_ledger_json_row(&b, &is, NULL, true);
    assert_non_null(strstr(b.data, "\"complaint_contact\":\"wx:abc\""));
    hq_buf_fini(&b);
    hq_issue_fini(&is);
}

static void test_long_entries_are_cut_on_a_character(void **state)
{
    (void)state;
    hq_issue is;
    fx_issue(&is, "HQ-2026-000009", "c", "catering", "x", HQ_SEV_LOW, fx_at(2026, 9, 3, 8));
    char longtext[1000] = "";
    for (int i = 0; i < 100; i++)
        strcat(longtext, "长");
    hq_issue_note(&is, fx_at(2026, 9, 3, 9), "lin", 2, HQ_TL_COMMENT, HQ_TLC_NONE, longtext);
    hq_buf b;
    hq_buf_init(&b);
    hq_ledger_csv_row(&b, &is, NULL, false);
    const char *cut = strstr(b.data, "lin 长");
    cut = cut ? cut + 4 : NULL;
    assert_non_null(cut);
    const char *end = strstr(cut, "…");
    assert_non_null(end);
    assert_true((size_t)(end - cut) <= HQ_LEDGER_WHAT_MAX);
    assert_int_equal((size_t)(end - cut) % 3, 0); /* whole 3-byte characters */
    hq_buf_fini(&b);
    hq_issue_fini(&is);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_fields_are_quoted_only_when_needed),
        cmocka_unit_test(test_timeline_words),
        cmocka_unit_test(test_every_kind_has_words),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_csv_rows),
        cmocka_unit_test(test_json_rows),
        cmocka_unit_test(test_long_entries_are_cut_on_a_character),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
