/* test_vocab: the vocabulary (lib/model/vocab.h): the shipped
 * rules/vocabulary.yaml has the built-in labels, a vocabulary section
 * replaces them and is checked at load (file:line:column, naming the
 * code), complaint categories are an enumeration per domain (a label is
 * mapped to its code when an event is decoded, anything else refused with
 * the list), and issue texts name a category by its label. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "buf.h"
#include "event.h"
#include "hq_test.h"
#include "hq_test_rules.h"
#include "rules.h"
#include "schema.h"
#include "vocab.h"

#include <string.h>


typedef struct {
    const hq_vocab *v;
    hq_label_class c;
    size_t n;
} cmp;

static void same_label(void *ctx, const char *code, const char *label)
{
    cmp *k = ctx;
    const char *got = hq_vocab_get(k->v, k->c, code);
    if (!got || strcmp(got, label))
        fail_msg("%s: %s: the file says \"%s\", the built-in table \"%s\"", hq_label_class_name(k->c), code,
                 got ? got : "(nothing)", label);
    k->n++;
}

static void count(void *ctx, const char *code, const char *label)
{
    (void)code, (void)label;
    (*(size_t *)ctx)++;
}

/* The shipped rules (HQ_TEST_RULES), loaded without a diagnostic. */
static hq_rules *load_shipped(void)
{
    hq_diags d;
    hq_diags_init(&d);
    hq_rules *r = NULL;
    assert_int_equal(hq_rules_load(hq_test_env("HQ_TEST_RULES"), hq_test_schemas, &r, &d), 0);
    hq_diags_fini(&d);
    return r;
}

/* Who a timeline entry names, in words: houqind, the data, a person of
 * the organisation, else the id. */
static void test_actor_names(void **state)
{
    (void)state;
    hq_rules *r = load_shipped();
    assert_string_equal(hq_rules_actor_name(r, "lin.sup"), "林监督员");
    assert_string_equal(hq_rules_actor_name(r, "contact.xinyuan"), "鑫源餐饮项目经理");
    assert_string_equal(hq_rules_actor_name(r, "system"), "系统");
    assert_string_equal(hq_rules_actor_name(r, NULL), "系统");
    assert_string_equal(hq_rules_actor_name(r, "auto-recheck"), "监测数据");
    assert_string_equal(hq_rules_actor_name(r, "data"), "监测数据");
    assert_string_equal(hq_rules_actor_name(r, "left.last.year"), "left.last.year");
    assert_string_equal(hq_rules_actor_name(NULL, "lin.sup"), "lin.sup");
    hq_rules_destroy(&r);
}

/* rules/vocabulary.yaml and the built-in table say the same. */
static void test_shipped_file_is_the_builtin_table(void **state)
{
    (void)state;
    hq_rules *r = load_shipped();
    const hq_vocab *v = hq_rules_vocab(r);
    assert_non_null(v);
    assert_ptr_not_equal(hq_vocab_installed(), NULL);
    for (int c = 0; c < HQ_LBL_COUNT; c++) {
        cmp k = {v, (hq_label_class)c, 0};
        hq_vocab_each(NULL, (hq_label_class)c, same_label, &k);
        size_t infile = 0;
        hq_vocab_each(v, (hq_label_class)c, count, &infile);
        assert_true(k.n > 0);
        assert_int_equal(infile, k.n);
    }
    assert_string_equal(hq_severity_label(HQ_SEV_HIGH), "严重");
    assert_string_equal(hq_category_label("catering", "food-safety"), "食品安全");
    assert_string_equal(hq_category_label("dormitory", "hot_water"), "洗浴热水");
    hq_rules_destroy(&r);
    hq_vocab_install(NULL);
}

static const char rule_yaml[] = "rules:\n"
                                "  - id: t.hygiene\n"
                                "    on: complaint.submitted\n"
                                "    when:\n"
                                "      all:\n"
                                "        - {field: data.domain, eq: catering}\n"
                                "        - {field: data.category, in: [hygiene, hygeine]}\n"
                                "    key: \"{{data.site}}\"\n"
                                "    issue:\n"
                                "      title: \"{{data.category}}\"\n"
                                "      domain: catering\n"
                                "      category: food-safety\n"
                                "      severity: low\n"
                                "      deadline: 12h\n"
                                "      chain: standard\n";

/* A rule that compares the category with a code no event can carry. */
static void test_rule_with_an_unknown_category(void **state)
{
    (void)state;
    char *msg = hq_test_load_rules(hq_test_schemas, NULL, "rule.yaml", rule_yaml, NULL);
    assert_string_equal(msg, "rule.yaml:2:5: rule t.hygiene: compares data.category with \"hygeine\", which is no "
                             "complaint category of catering in the built-in vocabulary (no event can carry it; "
                             "categories: catering: ...)\n");
    free(msg);
}

/* A vocabulary section replaces the built-in labels; a code in use
 * without a label is an error where it is missing. */
static void test_vocabulary_file_checked(void **state)
{
    (void)state;
    char src[4200];
    snprintf(src, sizeof src, "%s/vocabulary.yaml", hq_test_env("HQ_TEST_RULES"));
    char *full = hq_test_read_file(src);
    /* Without the severity "high" and the issue category food-safety. */
    hq_buf b;
    hq_buf_init(&b);
    for (char *line = full, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        size_t n = (size_t)(nl - line);
        if (!(n > 8 && (strstr(line, "    high: ") == line || strstr(line, "      food-safety: ") == line)))
            hq_buf_append(&b, line, n + 1);
    }
    hq_buf_putc(&b, 0);
    char *msg = hq_test_load_rules(hq_test_schemas, NULL, "vocabulary.yaml", b.data, "rule.yaml", rule_yaml, NULL);
    char *sev = strstr(msg, "vocabulary.yaml:"), *cat = strstr(msg, "rule.yaml:2:5: rule t.hygiene: issue category");
    assert_non_null(sev);
    assert_non_null(strstr(sev, ": vocabulary: severities: no label for \"high\"\n"));
    assert_non_null(cat);
    assert_non_null(strstr(cat, "issue category \"food-safety\" of catering has no label in "));
    assert_non_null(strstr(msg, "compares data.category with \"hygeine\""));
    /* The severities line is where the section is. */
    int line = 0, col = 0;
    assert_int_equal(sscanf(sev, "vocabulary.yaml:%d:%d:", &line, &col), 2);
    assert_true(line > 1 && col > 1);
    free(msg);
    hq_buf_fini(&b);
    free(full);
}

/* A translated label is what every program shows. */
static void test_vocabulary_replaces_labels(void **state)
{
    (void)state;
    hq_rules *r = NULL;
    char *msg = hq_test_load_rules(hq_test_schemas, &r, "vocabulary.yaml",
                     "vocabulary:\n"
                     "  severities: {low: 低, medium: 中, high: 高, critical: 特别重大}\n"
                     "  categories:\n"
                     "    catering: {hygiene: 环境卫生}\n"
                     "  items: {fs.sample_retention: 留样数量, x: 是}\n",
                     NULL);
    /* Not complete: every fixed class must be there. */
    assert_non_null(strstr(msg, "vocabulary.yaml:2:3: vocabulary: no section \"states\" (it labels opened, "
                                "acknowledged, rectified, reopened, closed)\n"));
    assert_null(strstr(msg, "severities")); /* complete */
    /* items (codes with dots) and checklists are open: no section needed, none complete */
    assert_null(strstr(msg, "\"items\""));
    assert_null(strstr(msg, "vocabulary: items"));
    assert_null(strstr(msg, "\"checklists\""));
    free(msg);
    hq_vocab *v = hq_vocab_new();
    hq_vocab_set(v, HQ_LBL_SEVERITY, "high", "高");
    hq_vocab_set(v, HQ_LBL_CATEGORY, "catering.hygiene", "环境卫生");
    hq_vocab_set(v, HQ_LBL_ITEM, "fs.sample_retention", "留样数量");
    hq_vocab_install(v);
    hq_vocab_free(v);
    assert_string_equal(hq_label(HQ_LBL_ITEM, "fs.sample_retention"), "留样数量");
    assert_string_equal(hq_label(HQ_LBL_ITEM, "veh.brakes"), "veh.brakes"); /* replaced as a whole */
    assert_string_equal(hq_severity_label(HQ_SEV_HIGH), "高");
    assert_string_equal(hq_category_label("catering", "hygiene"), "环境卫生");
    assert_string_equal(hq_category_code("catering", "环境卫生"), "hygiene");
    assert_null(hq_category_code("catering", "卫生")); /* replaced, not added */
    hq_vocab_install(NULL);
    assert_string_equal(hq_severity_label(HQ_SEV_HIGH), "严重");
    assert_string_equal(hq_category_code("catering", "卫生"), "hygiene");
}

/* The shipped vocabulary with lines dropped: those of section `section`
 * (its header too when whole) or the one line `line` of it. */
static char *vocabulary_without(const char *section, const char *line_start, bool whole)
{
    char src[4200];
    snprintf(src, sizeof src, "%s/vocabulary.yaml", hq_test_env("HQ_TEST_RULES"));
    char *full = hq_test_read_file(src);
    hq_buf b;
    hq_buf_init(&b);
    bool in = false;
    for (char *line = full, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        size_t n = (size_t)(nl - line);
        if (!strncmp(line, "  ", 2) && line[2] != ' ')
            in = !strncmp(line + 2, section, strlen(section)) && line[2 + strlen(section)] == ':';
        bool drop = in && (whole || (line_start && !strncmp(line, line_start, strlen(line_start))));
        if (!drop)
            hq_buf_append(&b, line, n + 1);
    }
    hq_buf_putc(&b, 0);
    free(full);
    return b.data;
}

/* The obligations section came after administrators wrote their files:
 * left out, the built-in labels stand; there but incomplete, an error. */
static void test_optional_section(void **state)
{
    (void)state;
    assert_true(hq_label_class_optional(HQ_LBL_OBLIGATION));
    assert_false(hq_label_class_optional(HQ_LBL_STATE));
    char *without = vocabulary_without("obligations", NULL, true);
    assert_null(strstr(without, "obligations:"));
    hq_rules *r = NULL;
    char *msg = hq_test_load_rules(hq_test_schemas, &r, "vocabulary.yaml", without, NULL);
    assert_string_equal(msg, "");
    assert_non_null(r);
    assert_string_equal(hq_vocab_lookup(hq_rules_vocab(r), HQ_LBL_OBLIGATION, "missed"), "未完成");
    assert_string_equal(hq_vocab_lookup(hq_rules_vocab(r), HQ_LBL_OBLIGATION, "late"), "逾期补交");
    hq_rules_destroy(&r);
    free(msg);
    free(without);
    char *partial = vocabulary_without("obligations", "    late: ", false);
    assert_non_null(strstr(partial, "obligations:"));
    msg = hq_test_load_rules(hq_test_schemas, NULL, "vocabulary.yaml", partial, NULL);
    assert_non_null(strstr(msg, ": vocabulary: obligations: no label for \"late\"\n"));
    free(msg);
    free(partial);
}

/* Checklist items and checklists: open classes of plain codes (with
 * dots), which a schema field names with labels:; an unlabelled code is
 * shown as it is. */
static void test_item_labels(void **state)
{
    (void)state;
    hq_label_class c;
    assert_int_equal(hq_label_class_parse("items", &c), 0);
    assert_int_equal(c, HQ_LBL_ITEM);
    assert_int_equal(hq_label_class_parse("checklists", &c), 0);
    assert_int_equal(c, HQ_LBL_CHECKLIST);
    assert_true(hq_label_class_flat(HQ_LBL_ITEM) && hq_label_class_flat(HQ_LBL_SEVERITY));
    assert_false(hq_label_class_flat(HQ_LBL_CATEGORY) || hq_label_class_flat(HQ_LBL_VALUE) ||
                 hq_label_class_flat(HQ_LBL_ISSUE_CATEGORY));
    assert_null(*hq_vocab_required(HQ_LBL_ITEM));
    assert_null(*hq_vocab_required(HQ_LBL_CHECKLIST));
    assert_string_equal(hq_label(HQ_LBL_ITEM, "fs.sample_retention"), "留样");
    assert_string_equal(hq_label(HQ_LBL_ITEM, "veh.brakes"), "制动系统");
    assert_string_equal(hq_label(HQ_LBL_CHECKLIST, "food_safety_daily"), "每日食品安全检查");
    assert_null(hq_label_find(HQ_LBL_ITEM, "fs.night_snack_2027"));
    assert_string_equal(hq_label(HQ_LBL_ITEM, "fs.night_snack_2027"), "fs.night_snack_2027");
    assert_null(hq_label_find(HQ_LBL_ITEM, "food_safety_daily")); /* a checklist, not an item */
    const hq_schema *sc = hq_schemas_find(hq_test_schemas, "inspection.submitted", 20);
    assert_non_null(sc);
    const hq_field *f = hq_schema_field(sc, "items[result=fail].code");
    assert_true(f && f->labelled && f->labels == HQ_LBL_ITEM);
    f = hq_schema_field(sc, "checklist");
    assert_true(f && f->labelled && f->labels == HQ_LBL_CHECKLIST);
}

static hq_err decode(const char *domain, const char *category, char *got, size_t size)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    /* {id, type, source, ts, data: {domain, site, category, text}} */
    const char *const env[] = {"id", "c-1", "type", "complaint.submitted", "source", "portal"};
    const char *const data[] = {"domain", domain, "site", "canteen-2", "category", category, "text", "餐桌很脏"};
    msgpack_pack_map(&pk, 5);
    for (size_t i = 0; i < sizeof env / sizeof *env; i++)
        hq_test_pack_str(&pk, env[i]);
    hq_test_pack_str(&pk, "ts");
    msgpack_pack_uint64(&pk, 1773030420000ull);
    hq_test_pack_str(&pk, "data");
    msgpack_pack_map(&pk, 4);
    for (size_t i = 0; i < sizeof data / sizeof *data; i++)
        hq_test_pack_str(&pk, data[i]);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    hq_event ev;
    hq_err err = {0};
    got[0] = '\0';
    if (hq_event_decode(sb.data, sb.size, NULL, hq_test_schemas, &zone, &ev, &err) == 0) {
        const msgpack_object *c = hq_mp_map_get(ev.data, "category");
        snprintf(got, size, "%.*s", (int)c->via.str.size, c->via.str.ptr);
    }
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
    return err;
}

/* A category's label is taken and mapped to the code; an unknown one, or
 * one of another domain, is refused with the domain's list. */
static void test_complaint_category_enumeration(void **state)
{
    (void)state;
    char got[64];
    hq_err e = decode("catering", "卫生", got, sizeof got);
    if (e.code)
        fail_msg("%s", e.msg);
    assert_string_equal(got, "hygiene");
    e = decode("catering", "foreign_matter", got, sizeof got);
    assert_int_equal(e.code, 0);
    assert_string_equal(got, "foreign_matter");
    e = decode("dormitory", "洗浴热水", got, sizeof got);
    assert_string_equal(got, "hot_water");
    e = decode("catering", "service", got, sizeof got);
    assert_int_equal(e.code, HQ_EINVAL);
    assert_string_equal(got, "");
    assert_non_null(strstr(e.msg, "category: unknown category \"service\" of catering (one of: foreign_matter（异物）, "
                                  "pest（虫鼠）"));
    assert_non_null(strstr(e.msg, "service_attitude（服务态度）"));
    e = decode("energy", "hot_water", got, sizeof got); /* a dormitory category */
    assert_int_equal(e.code, HQ_EINVAL);
    assert_non_null(strstr(e.msg, "unknown category \"hot_water\" of energy (one of: outage（停水停电）"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_file_is_the_builtin_table),
        cmocka_unit_test(test_actor_names),
        cmocka_unit_test(test_rule_with_an_unknown_category),
        cmocka_unit_test(test_vocabulary_file_checked),
        cmocka_unit_test(test_vocabulary_replaces_labels),
        cmocka_unit_test(test_complaint_category_enumeration),
        cmocka_unit_test(test_item_labels),
        cmocka_unit_test(test_optional_section),
    };
    return cmocka_run_group_tests(tests, hq_test_schemas_setup, hq_test_schemas_teardown);
}
