/* test_template.c - text templates with {{path}} placeholders
 * (lib/template.c), as a specification.
 *
 * The template module only splits text into literal and variable parts:
 * what a path means is the caller's (a resolve callback at rendering, a
 * check callback at compile time).  The tests use a small dictionary as
 * the resolver, so that a placeholder's value, its absence and the
 * rendering of literal text around it can each be seen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "hq_test.h"
#include "template.h"
#include "ytree.h"

/* ---- a dictionary resolver ---- */

typedef struct dict {
    const char *const *kv; /* key, value, ..., NULL */
    int calls;
} dict;

static bool resolve(void *ctx, const char *path, hq_buf *out)
{
    dict *d = ctx;
    d->calls++;
    for (size_t i = 0; d->kv[i]; i += 2)
        if (strcmp(d->kv[i], path) == 0) {
            hq_buf_puts(out, d->kv[i + 1]);
            return true;
        }
    return false;
}

static const char *const KV[] = {
    "data.site", "canteen-1", "data.value", "9.5", "site.name", "第一食堂", "key", "cs-001", "data.empty", "",
    NULL,
};

static hq_tmpl *compile_ok(const char *s)
{
    hq_err err = {0};
    hq_tmpl *t = hq_tmpl_compile_str(s, &err);
    if (!t)
        fail_msg("\"%s\" does not compile: %s", s, err.msg);
    assert_string_equal(hq_tmpl_source(t), s);
    return t;
}

/* Renders t with KV into a fresh string (the caller frees it). */
static char *render(const hq_tmpl *t, int *calls)
{
    dict d = {KV, 0};
    hq_buf b;
    hq_buf_init(&b);
    hq_tmpl_render(t, resolve, &d, &b);
    if (calls)
        *calls = d.calls;
    char *s = hq_buf_steal(&b);
    return s ? s : strdup("");
}

static void renders(const char *src, const char *want)
{
    hq_tmpl *t = compile_ok(src);
    char *got = render(t, NULL);
    if (strcmp(got, want) != 0)
        fail_msg("\"%s\": rendered \"%s\", expected \"%s\"", src, got, want);
    free(got);
    hq_tmpl_destroy(&t);
    assert_null(t);
}

/* Renders src with the dictionary kv and checks the text. */
static void renders_with(const char *const *kv, const char *src, const char *want)
{
    hq_tmpl *t = compile_ok(src);
    dict d = {kv, 0};
    hq_buf b;
    hq_buf_init(&b);
    hq_tmpl_render(t, resolve, &d, &b);
    if (strcmp(b.data ? b.data : "", want) != 0)
        fail_msg("\"%s\": rendered \"%s\", expected \"%s\"", src, b.data ? b.data : "", want);
    hq_buf_fini(&b);
    hq_tmpl_destroy(&t);
}

/* ---- rendering ---- */

static void fields_are_filled_in(void **state)
{
    (void)state;
    renders("{{data.site}}", "canteen-1");
    renders("冷库温度超标：{{data.site}} {{data.value}}°C", "冷库温度超标：canteen-1 9.5°C");
    renders("{{site.name}}({{key}})", "第一食堂(cs-001)");
    /* Adjacent placeholders, and the same one twice. */
    renders("{{data.site}}{{data.value}}", "canteen-19.5");
    renders("{{key}}-{{key}}", "cs-001-cs-001");
    /* Spaces inside the braces are not part of the path. */
    renders("{{ data.site }}|{{data.site  }}|{{   key}}", "canteen-1|canteen-1|cs-001");
    /* A field whose value is empty. */
    renders("[{{data.empty}}]", "[]");
}

static void literal_text_is_kept_as_written(void **state)
{
    (void)state;
    renders("no placeholders at all", "no placeholders at all");
    renders("", "");
    renders("第一食堂冷库温度持续高于 8℃，请立即检查。", "第一食堂冷库温度持续高于 8℃，请立即检查。");
    /* Single braces, closing braces alone and JSON-like text are literal. */
    renders("{a} {b: 1} }} } {", "{a} {b: 1} }} } {");
    renders("}}{{key}}{", "}}cs-001{");
    /* Characters that mean something elsewhere (HTML, printf, shell) pass
     * unchanged: the template does no escaping, in either direction. */
    renders("<b>{{data.site}}</b> 100% $HOME \\n &amp;", "<b>canteen-1</b> 100% $HOME \\n &amp;");
    /* A value is inserted as it is, never re-read as a template. */
    static const char *const kv2[] = {"data.text", "{{key}} <i>", NULL};
    hq_tmpl *t = compile_ok("said: {{data.text}}");
    dict d = {kv2, 0};
    hq_buf b;
    hq_buf_init(&b);
    hq_tmpl_render(t, resolve, &d, &b);
    assert_string_equal(b.data, "said: {{key}} <i>");
    hq_buf_fini(&b);
    hq_tmpl_destroy(&t);
}

static void missing_fields_render_as_empty_text(void **state)
{
    (void)state;
    renders("site {{data.nosuch}}!", "site !");
    renders("{{data.nosuch}}", "");
    renders("{{a.b}}{{data.site}}{{c}}", "canteen-1");
    /* The resolver is asked once per placeholder, found or not. */
    hq_tmpl *t = compile_ok("{{a}} and {{data.site}} and {{b}}");
    int calls = 0;
    char *s = render(t, &calls);
    assert_string_equal(s, " and canteen-1 and ");
    assert_int_equal(calls, 3);
    free(s);
    hq_tmpl_destroy(&t);
}

static void rendering_appends_to_the_buffer(void **state)
{
    (void)state;
    hq_tmpl *t = compile_ok("{{data.site}};");
    dict d = {KV, 0};
    hq_buf b;
    hq_buf_init(&b);
    hq_buf_puts(&b, "before:");
    hq_tmpl_render(t, resolve, &d, &b);
    hq_tmpl_render(t, resolve, &d, &b);
    assert_string_equal(b.data, "before:canteen-1;canteen-1;");
    assert_int_equal(b.len, strlen("before:canteen-1;canteen-1;"));
    hq_buf_fini(&b);
    hq_tmpl_destroy(&t);
}

typedef struct vars {
    char got[512];
    int n;
} vars;

static void collect(void *ctx, const char *path)
{
    vars *v = ctx;
    v->n++;
    strncat(v->got, path, sizeof v->got - strlen(v->got) - 1);
    strncat(v->got, ";", sizeof v->got - strlen(v->got) - 1);
}

static void each_var_lists_the_placeholders_in_order(void **state)
{
    (void)state;
    hq_tmpl *t = compile_ok("{{site.name}} x {{ data.value }}{{key}} {{site.name}}");
    vars v = {"", 0};
    hq_tmpl_each_var(t, collect, &v);
    assert_string_equal(v.got, "site.name;data.value;key;site.name;");
    assert_int_equal(v.n, 4);
    hq_tmpl_destroy(&t);
    t = compile_ok("plain text");
    vars none = {"", 0};
    hq_tmpl_each_var(t, collect, &none);
    assert_int_equal(none.n, 0);
    hq_tmpl_destroy(&t);
    /* destroy accepts NULL and a cleared pointer. */
    hq_tmpl_destroy(&t);
    hq_tmpl_destroy(NULL);
}

/* ---- sections {{?path}}...{{/?}} and selectors ---- */

static void sections_show_their_text_only_when_the_path_has_a_value(void **state)
{
    (void)state;
    /* Shown: a value; hidden: no value, an empty value, or false. */
    renders("收货{{?data.site}}，地点 {{data.site}}{{/?}}。", "收货，地点 canteen-1。");
    renders("收货{{?data.nosuch}}，原因 {{data.nosuch}}{{/?}}。", "收货。");
    renders("[{{?data.empty}}x{{/?}}]", "[]");
    static const char *const kv[] = {"data.ok", "false", "data.yes", "true", "data.zero", "0", NULL};
    renders_with(kv, "{{?data.ok}}a{{/?}}{{?data.yes}}b{{/?}}{{?data.zero}}c{{/?}}{{?data.nosuch}}d{{/?}}", "bc");
    /* {{?path=value}}: shown when the value is exactly that text. */
    renders("{{?data.site=canteen-1}}一食堂{{/?}}{{?data.site=canteen-2}}二食堂{{/?}}", "一食堂");
    renders("[{{?data.value=9}}x{{/?}}{{?data.value=9.5}}y{{/?}}{{?data.nosuch=a}}z{{/?}}]", "[y]");
    static const char *const kv2[] = {"data.items[result=fail].code", "fs.b", NULL};
    renders_with(kv2, "{{?data.items[result=fail].code=fs.b}}b{{/?}}{{?data.items[result=fail].code}}!{{/?}}", "b!");
    hq_tmpl *t;
    /* Several sections, spaces inside the braces, text before and after. */
    renders("{{ ?data.value }}{{data.value}}℃{{ /? }}/{{?key}}{{key}}{{/?}}/{{?a}}{{/?}}end", "9.5℃/cs-001/end");
    /* The section's path is a variable of the template (checked when it
     * compiles); the end marker is not. */
    t = compile_ok("{{?data.nosuch}}{{data.site}}{{/?}}");
    vars v = {"", 0};
    hq_tmpl_each_var(t, collect, &v);
    assert_string_equal(v.got, "data.nosuch;data.site;");
    hq_tmpl_destroy(&t);
}

/* A resolver that writes values in words (labels for codes) renders
 * sections on the codes as stored, through the test resolver. */
static bool resolve_words(void *ctx, const char *path, hq_buf *out)
{
    (void)ctx;
    if (strcmp(path, "data.result") != 0)
        return false;
    hq_buf_puts(out, "拒收");
    return true;
}

static bool resolve_codes(void *ctx, const char *path, hq_buf *out)
{
    (void)ctx;
    if (strcmp(path, "data.result") != 0)
        return false;
    hq_buf_puts(out, "refused");
    return true;
}

static void sections_test_the_stored_value_when_words_are_shown(void **state)
{
    (void)state;
    hq_tmpl *t = compile_ok("{{?data.result=refused}}结果：{{data.result}}{{/?}}");
    hq_buf b;
    hq_buf_init(&b);
    hq_tmpl_render_tested(t, resolve_words, resolve_codes, NULL, &b);
    assert_string_equal(b.data, "结果：拒收");
    hq_buf_fini(&b);
    hq_buf_init(&b);
    hq_tmpl_render(t, resolve_words, NULL, &b); /* one resolver: it is also tested */
    assert_int_equal(b.len, 0);
    hq_buf_fini(&b);
    hq_tmpl_destroy(&t);
}

static void selectors_are_part_of_the_path(void **state)
{
    (void)state;
    static const char *const kv[] = {"data.items[result=fail].code", "fs.b", NULL};
    renders_with(kv, "首个不合格项：{{data.items[result=fail].code}}", "首个不合格项：fs.b");
    hq_tmpl *t = compile_ok("{{data.items[code=fs-a_1]}}");
    hq_tmpl_destroy(&t);
    t = compile_ok("{{data.items[result=fail]}}");
    hq_tmpl_destroy(&t);
}

static void formats_write_fen_as_yuan_and_c_as_the_degree_sign(void **state)
{
    (void)state;
    static const char *const kv[] = {"data.p", "1250", "data.z", "0", "data.n", "-5", "data.big", "100000000",
                                     "data.x", "12.5", "data.t", "abc", "data.u", "C", "data.v", "mg/L",
                                     "data.e", "", NULL};
    static const char src[] = "{{data.p|yuan}} {{data.z|yuan}} {{data.n|yuan}} {{data.big|yuan}} {{data.x|yuan}} "
                              "{{data.t|yuan}} [{{data.e|yuan}}] [{{data.nosuch|yuan}}] {{ data.u|unit }} "
                              "{{data.v|unit}} {{data.p|unit}} {{data.nosuch|unit}}";
    /* Not a whole number of fen (12.5, abc, empty): written as it is. */
    renders_with(kv, src, "12.50 0.00 -0.05 1000000.00 12.5 abc [] [] ℃ mg/L 1250 ");
    /* The path of a formatted variable is the path alone. */
    hq_tmpl *t = compile_ok(src);
    vars v = {"", 0};
    hq_tmpl_each_var(t, collect, &v);
    assert_int_equal(v.n, 12);
    assert_memory_equal(v.got, "data.p;data.z;", 14);
    hq_tmpl_destroy(&t);
}

/* ---- malformed templates ---- */

static void refused_str(const char *s, const char *want)
{
    hq_err err = {0};
    hq_tmpl *t = hq_tmpl_compile_str(s, &err);
    if (t) {
        hq_tmpl_destroy(&t);
        fail_msg("\"%s\" compiled; expected \"%s\"", s, want);
    }
    assert_int_equal(err.code, HQ_EINVAL);
    assert_string_equal(err.msg, want);
    /* The error detail is optional. */
    assert_null(hq_tmpl_compile_str(s, NULL));
}

static void malformed_templates_are_refused_with_the_place(void **state)
{
    (void)state;
    refused_str("{{data.site", "template at byte 0: \"{{\" without a closing \"}}\"");
    refused_str("site {{data.site} now", "template at byte 5: \"{{\" without a closing \"}}\"");
    refused_str("{{key}} and {{data.site", "template at byte 12: \"{{\" without a closing \"}}\"");
    refused_str("ok {{", "template at byte 3: \"{{\" without a closing \"}}\"");
    /* Bytes, not characters: 冷库 is six bytes. */
    refused_str("冷库{{data.site", "template at byte 6: \"{{\" without a closing \"}}\"");
    refused_str("a {{}} b", "template at byte 2: empty placeholder \"{{}}\"");
    refused_str("a {{   }} b", "template at byte 2: empty placeholder \"{{}}\"");
    refused_str("{{data site}}", "template at byte 0: placeholder \"data site\": use a path like data.site");
    refused_str("x {{data.site|upper}}",
                "template at byte 2: placeholder \"data.site|upper\": unknown format \"upper\" (formats: yuan, unit)");
    refused_str("{{data.site|}}", "template at byte 0: placeholder \"data.site|\": unknown format \"\" (formats: yuan, unit)");
    refused_str("{{?data.site|yuan}}x{{/?}}", "template at byte 0: placeholder \"?data.site|yuan\": use a path like data.site");
    refused_str("{{da ta|yuan}}", "template at byte 0: placeholder \"da ta|yuan\": use a path like data.site");
    refused_str("{{data-site}}", "template at byte 0: placeholder \"data-site\": use a path like data.site");
    refused_str("{{站点}}", "template at byte 0: placeholder \"站点\": use a path like data.site");
    /* There is no escape for a literal "{{": it always opens a placeholder. */
    refused_str("\\{{not a var}}", "template at byte 1: placeholder \"not a var\": use a path like data.site");
    refused_str("{{{data.site}}}", "template at byte 0: placeholder \"{data.site\": use a path like data.site");
    /* Sections: closed once, not nested, with a path. */
    refused_str("a {{?data.site}} b", "template at byte 2: \"{{?data.site}}\" without a closing \"{{/?}}\"");
    refused_str("a {{/?}} b", "template at byte 2: \"{{/?}}\" without a \"{{?path}}\" before it");
    refused_str("{{?key}}x{{/?}}{{/?}}", "template at byte 15: \"{{/?}}\" without a \"{{?path}}\" before it");
    refused_str("{{?a}}{{?b}}{{/?}}{{/?}}", "template at byte 6: \"{{?b}}\" inside another section: sections do not nest");
    refused_str("{{?}}x{{/?}}", "template at byte 0: placeholder \"?\": use a path like data.site");
    refused_str("{{? data.site}}x{{/?}}", "template at byte 0: placeholder \"? data.site\": use a path like data.site");
    refused_str("{{?data.site=}}x{{/?}}", "template at byte 0: placeholder \"?data.site=\": use {{?path}} or {{?path=value}}");
    refused_str("{{?data.site=a b}}x{{/?}}", "template at byte 0: placeholder \"?data.site=a b\": use {{?path}} or {{?path=value}}");
    refused_str("{{?=a}}x{{/?}}", "template at byte 0: placeholder \"?=a\": use a path like data.site");
    refused_str("{{data.site=a}}", "template at byte 0: placeholder \"data.site=a\": use a path like data.site");
    /* Selectors: [field=value] after a name. */
    refused_str("{{data.items[result]}}", "template at byte 0: placeholder \"data.items[result]\": use a path like data.site");
    refused_str("{{data.items[=fail]}}", "template at byte 0: placeholder \"data.items[=fail]\": use a path like data.site");
    refused_str("{{data.items[result=]}}", "template at byte 0: placeholder \"data.items[result=]\": use a path like data.site");
    refused_str("{{data.items[result=fail}}", "template at byte 0: placeholder \"data.items[result=fail\": use a path like data.site");
    refused_str("{{data.items[result=fail]x}}", "template at byte 0: placeholder \"data.items[result=fail]x\": use a path like data.site");
    refused_str("{{[result=fail]}}", "template at byte 0: placeholder \"[result=fail]\": use a path like data.site");
    refused_str("{{data.[result=fail]}}", "template at byte 0: placeholder \"data.[result=fail]\": use a path like data.site");
    refused_str("{{data.items[result=a.b]}}", "template at byte 0: placeholder \"data.items[result=a.b]\": use a path like data.site");
}

/* ---- compiling from YAML, with a check of the paths ---- */

static bool check_data_only(void *ctx, const char *path, char *why, size_t whylen)
{
    int *calls = ctx;
    (*calls)++;
    if (strncmp(path, "data.", 5) == 0 || strcmp(path, "key") == 0)
        return true;
    snprintf(why, whylen, "unknown field (expected data.<field> or key)");
    return false;
}

typedef struct ydoc_case {
    hq_ydoc *doc;
    hq_diags d;
} ydoc_case;

static const hq_ynode *load_title(ydoc_case *c, const char *yaml)
{
    hq_err err = {0};
    if (hq_ydoc_load_buf("r.yaml", yaml, strlen(yaml), NULL, &c->doc, &err) != 0)
        fail_msg("the test's YAML does not load: %s", err.msg);
    hq_diags_init(&c->d);
    const hq_ynode *n = hq_ymap_get(c->doc->root, "title");
    assert_non_null(n);
    return n;
}

static char *diags_str(const hq_diags *d)
{
    hq_buf b;
    hq_buf_init(&b);
    char line[1024];
    for (size_t i = 0; i < d->count; i++) {
        hq_buf_puts(&b, hq_err_str(&d->items[i], line, sizeof line));
        hq_buf_putc(&b, '\n');
    }
    char *s = hq_buf_steal(&b);
    return s ? s : strdup("");
}

static void yaml_compile_refuses(const char *yaml, bool with_check, const char *want)
{
    ydoc_case c;
    const hq_ynode *n = load_title(&c, yaml);
    int calls = 0;
    hq_tmpl *t = hq_tmpl_compile(c.doc, n, with_check ? check_data_only : NULL, &calls, &c.d);
    char *got = diags_str(&c.d);
    if (strcmp(got, want) != 0)
        fail_msg("%s--- got:\n%s--- want:\n%s", yaml, got, want);
    assert_null(t);
    free(got);
    hq_diags_fini(&c.d);
    hq_ydoc_destroy(&c.doc);
}

static void compiling_a_yaml_node_checks_every_path(void **state)
{
    (void)state;
    ydoc_case c;
    const hq_ynode *n = load_title(&c, "title: \"{{data.site}} {{key}}\"\n");
    int calls = 0;
    hq_tmpl *t = hq_tmpl_compile(c.doc, n, check_data_only, &calls, &c.d);
    assert_non_null(t);
    assert_int_equal(c.d.count, 0);
    assert_int_equal(calls, 2);
    assert_string_equal(hq_tmpl_source(t), "{{data.site}} {{key}}");
    char *s = render(t, NULL);
    assert_string_equal(s, "canteen-1 cs-001");
    free(s);
    hq_tmpl_destroy(&t);
    hq_diags_fini(&c.d);
    hq_ydoc_destroy(&c.doc);
    /* Without a check every path is accepted. */
    n = load_title(&c, "title: \"{{anything.at.all}}\"\n");
    t = hq_tmpl_compile(c.doc, n, NULL, NULL, &c.d);
    assert_non_null(t);
    assert_int_equal(c.d.count, 0);
    hq_tmpl_destroy(&t);
    hq_diags_fini(&c.d);
    hq_ydoc_destroy(&c.doc);
    /* Each refused path is reported, at the template's position. */
    yaml_compile_refuses("id: x\n"
                         "title: \"{{site.name}} at {{data.site}} by {{contractor.name}}\"\n",
                         true,
                         "r.yaml:2:8: template placeholder {{site.name}}: unknown field (expected data.<field> or "
                         "key)\n"
                         "r.yaml:2:8: template placeholder {{contractor.name}}: unknown field (expected "
                         "data.<field> or key)\n");
}

static void malformed_yaml_templates_are_refused_with_file_line_column(void **state)
{
    (void)state;
    yaml_compile_refuses("title: \"{{data.site\"\n", true,
                         "r.yaml:1:8: template: \"{{\" without a closing \"}}\"\n");
    yaml_compile_refuses("\n  title: x {{}} y\n", false, "r.yaml:2:10: template: empty placeholder \"{{}}\"\n");
    yaml_compile_refuses("title: \"{{a b}}\"\n", false,
                         "r.yaml:1:8: template: placeholder \"a b\": use a path like data.site\n");
    /* A syntax error is reported before (and instead of) path checks. */
    yaml_compile_refuses("title: \"{{site.name}} {{\"\n", true,
                         "r.yaml:1:8: template: \"{{\" without a closing \"}}\"\n");
    /* Not text at all. */
    yaml_compile_refuses("title: [a, b]\n", true, "r.yaml:1:8: expected a text template\n");
    yaml_compile_refuses("title: {a: b}\n", true, "r.yaml:1:8: expected a text template\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fields_are_filled_in),
        cmocka_unit_test(literal_text_is_kept_as_written),
        cmocka_unit_test(missing_fields_render_as_empty_text),
        cmocka_unit_test(rendering_appends_to_the_buffer),
        cmocka_unit_test(each_var_lists_the_placeholders_in_order),
        cmocka_unit_test(sections_show_their_text_only_when_the_path_has_a_value),
        cmocka_unit_test(sections_test_the_stored_value_when_words_are_shown),
        cmocka_unit_test(selectors_are_part_of_the_path),
        cmocka_unit_test(formats_write_fen_as_yuan_and_c_as_the_degree_sign),
        cmocka_unit_test(malformed_templates_are_refused_with_the_place),
        cmocka_unit_test(compiling_a_yaml_node_checks_every_path),
        cmocka_unit_test(malformed_yaml_templates_are_refused_with_file_line_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
