/* test_ytree.c - hostile-safe YAML loading (lib/ytree.c), as a specification.
 *
 * The loader turns a file into a tree of positioned nodes, or refuses it
 * with one diagnostic "file:line:column: reason".  The bad inputs are golden
 * files: tests/data/yaml/bad/<case>.yaml with the exact expected diagnostic
 * in <case>.expect; adding a case needs no code.  Inputs too big to check in
 * (a 50,000-deep document, a file over the size cap) are generated here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hq_test.h"
#include "ytree.h"

/* The tests run in $HQ_TEST_DATA so that diagnostics name files the way the
 * .expect files do ("yaml/bad/anchor.yaml:1:11: ..."). */
static int chdir_data(void **state)
{
    (void)state;
    return chdir(hq_test_env("HQ_TEST_DATA"));
}

static hq_ydoc *load_ok(const char *path)
{
    hq_ydoc *doc = NULL;
    hq_err err = {0};
    char buf[1024];
    if (hq_ydoc_load_file(path, NULL, &doc, &err) != 0)
        fail_msg("%s", hq_err_str(&err, buf, sizeof buf));
    return doc;
}

static hq_ydoc *load_str_ok(const char *text)
{
    hq_ydoc *doc = NULL;
    hq_err err = {0};
    if (hq_ydoc_load_buf("t.yaml", text, strlen(text), NULL, &doc, &err) != 0)
        fail_msg("%s", err.msg);
    return doc;
}

/* Loads text and expects the one rendered diagnostic. */
static void expect_buf_error(const char *text, size_t len, const hq_ylimits *lim, int code, const char *want)
{
    hq_ydoc *doc = NULL;
    hq_err err = {0};
    char buf[1024];
    assert_int_equal(hq_ydoc_load_buf("t.yaml", text, len, lim, &doc, &err), code);
    assert_null(doc);
    assert_string_equal(hq_err_str(&err, buf, sizeof buf), want);
}

/* ---- golden bad files ---- */

static void check_golden(const char *yaml_path)
{
    char expect_path[4096], buf[1024];
    snprintf(expect_path, sizeof expect_path, "%.*s.expect", (int)(strlen(yaml_path) - 5), yaml_path);
    char *want = hq_test_read_file(expect_path);
    size_t wl = strlen(want);
    while (wl > 0 && want[wl - 1] == '\n')
        want[--wl] = '\0';

    hq_ydoc *doc = NULL;
    hq_err err = {0};
    int rc = hq_ydoc_load_file(yaml_path, NULL, &doc, &err);
    if (rc == 0) {
        hq_ydoc_destroy(&doc);
        fail_msg("%s: loaded, but should have been refused with: %s", yaml_path, want);
    }
    assert_true(rc == HQ_EINVAL || rc == HQ_ELIMIT);
    assert_null(doc);
    hq_err_str(&err, buf, sizeof buf);
    if (strcmp(buf, want) != 0)
        fail_msg("%s:\n  got:  %s\n  want: %s", yaml_path, buf, want);
    free(want);
}

static void test_golden_bad_files_give_their_diagnostic(void **state)
{
    (void)state;
    DIR *d = opendir("yaml/bad");
    assert_non_null(d);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        char path[4096];
        if (l > 5 && strcmp(de->d_name + l - 5, ".yaml") == 0) {
            snprintf(path, sizeof path, "yaml/bad/%s", de->d_name);
            check_golden(path);
            n++;
        } else if (l > 7 && strcmp(de->d_name + l - 7, ".expect") == 0) {
            /* every .expect has its input */
            snprintf(path, sizeof path, "yaml/bad/%.*s.yaml", (int)(l - 7), de->d_name);
            if (access(path, R_OK) != 0)
                fail_msg("%s has no input file", de->d_name);
        }
    }
    closedir(d);
    assert_true(n >= 19);
}

/* The hazards the loader exists for, by name, so that none of them can
 * silently disappear from the golden set. */
static void test_golden_set_covers_the_hazards(void **state)
{
    (void)state;
    static const char *const required[] = {
        "syntax-unclosed-flow", "syntax-indent",      "syntax-tab",  "duplicate-key", "duplicate-key-flow",
        "duplicate-key-large",  "anchor",             "alias",       "self-alias",    "custom-tag",
        "python-tag",           "core-tag",           "merge-key",   "two-documents", "complex-key",
        "nul",                  "bad-utf8",           "control-char", "billion-laughs",
    };
    for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
        char path[256];
        snprintf(path, sizeof path, "yaml/bad/%s.yaml", required[i]);
        if (access(path, R_OK) != 0)
            fail_msg("missing golden file %s", path);
        check_golden(path);
    }
}

/* ---- generated hostile inputs ---- */

static void test_50000_deep_document_fails_at_the_depth_cap(void **state)
{
    (void)state;
    /* 100 KB that take libyaml 0.2.5 about 9 s to load whole; the event
     * loop stops at level 65, long before the quadratic part. */
    size_t depth = 50000;
    char *text = malloc(2 * depth + 2);
    assert_non_null(text);
    memset(text, '[', depth);
    memset(text + depth, ']', depth);
    text[2 * depth] = '\n';
    expect_buf_error(text, 2 * depth + 1, NULL, HQ_ELIMIT, "t.yaml:1:65: nesting deeper than 64 levels");
    /* Block style nests the same way. */
    char *p = text;
    for (int i = 0; i < 70; i++)
        p += sprintf(p, "%*sk:\n", i, "");
    expect_buf_error(text, (size_t)(p - text), NULL, HQ_ELIMIT, "t.yaml:65:65: nesting deeper than 64 levels");
    free(text);
}

static void test_depth_cap_is_exact(void **state)
{
    (void)state;
    char text[300];
    memset(text, '[', 64);
    memset(text + 64, ']', 64);
    hq_ydoc *doc = NULL;
    assert_int_equal(hq_ydoc_load_buf("t.yaml", text, 128, NULL, &doc, NULL), 0);
    hq_ydoc_destroy(&doc);
    assert_null(doc);
    memset(text, '[', 65);
    memset(text + 65, ']', 65);
    expect_buf_error(text, 130, NULL, HQ_ELIMIT, "t.yaml:1:65: nesting deeper than 64 levels");
    hq_ylimits two = {.max_bytes = 1024, .max_depth = 2, .max_nodes = 100};
    expect_buf_error("a: {b: [1]}", 11, &two, HQ_ELIMIT, "t.yaml:1:8: nesting deeper than 2 levels");
}

static void test_file_over_the_size_cap_is_refused_unread(void **state)
{
    (void)state;
    char *dir = hq_test_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/big.yaml", dir);
    size_t n = hq_ydefault_limits.max_bytes + 1;
    char *text = malloc(n);
    assert_non_null(text);
    memset(text, '#', n); /* a comment: valid YAML whatever its size */
    hq_test_write_file(path, text, n);
    hq_ydoc *doc = NULL;
    hq_err err = {0};
    char buf[5000], want[5000];
    assert_int_equal(hq_ydoc_load_file(path, NULL, &doc, &err), HQ_ELIMIT);
    assert_null(doc);
    snprintf(want, sizeof want, "%s: file is larger than 1048576 bytes", path);
    assert_string_equal(hq_err_str(&err, buf, sizeof buf), want);
    /* One byte less is loaded (an empty document). */
    hq_test_write_file(path, text, n - 1);
    assert_int_equal(hq_ydoc_load_file(path, NULL, &doc, &err), 0);
    assert_null(doc->root);
    hq_ydoc_destroy(&doc);
    /* The same cap applies to buffers. */
    hq_ylimits small = {.max_bytes = 16, .max_depth = 8, .max_nodes = 100};
    assert_int_equal(hq_ydoc_load_buf("t.yaml", "a: 123456789012\n", 16, &small, &doc, NULL), 0);
    hq_ydoc_destroy(&doc);
    expect_buf_error("a: 1234567890123\n", 17, &small, HQ_ELIMIT, "t.yaml: file is larger than 16 bytes");
    free(text);
    hq_test_rmtree(dir);
    free(dir);
}

static void test_node_cap(void **state)
{
    (void)state;
    hq_ylimits five = {.max_bytes = 1024, .max_depth = 8, .max_nodes = 5};
    hq_ydoc *doc = NULL;
    /* map, key, list, 1, 2 */
    assert_int_equal(hq_ydoc_load_buf("t.yaml", "a: [1, 2]", 9, &five, &doc, NULL), 0);
    hq_ydoc_destroy(&doc);
    expect_buf_error("a: [1, 2, 3]", 12, &five, HQ_ELIMIT, "t.yaml:1:11: document has more than 5 nodes");
}

static void test_unreadable_inputs(void **state)
{
    (void)state;
    hq_ydoc *doc = NULL;
    hq_err err = {0};
    char buf[1024];
    assert_int_equal(hq_ydoc_load_file("yaml/no-such-file.yaml", NULL, &doc, &err), HQ_EIO);
    assert_string_equal(hq_err_str(&err, buf, sizeof buf),
                        "yaml/no-such-file.yaml: cannot open: No such file or directory");
    assert_int_equal(hq_ydoc_load_file("yaml", NULL, &doc, &err), HQ_EIO);
    assert_string_equal(hq_err_str(&err, buf, sizeof buf), "yaml: not a regular file");
    assert_null(doc);
}

static void test_errors_in_buffers(void **state)
{
    (void)state;
    const char *t = "a: 1\nb: [x, &y z]\n";
    expect_buf_error(t, strlen(t), NULL, HQ_EINVAL, "t.yaml:2:8: anchors (&y) are not supported: write the value out");
    t = "list:\n  - a\n  - b: 1\n    b: 2\n";
    expect_buf_error(t, strlen(t), NULL, HQ_EINVAL, "t.yaml:4:5: duplicate key \"b\" (first at 3:5)");
    /* Each map is checked on its own: the same key in two maps is fine. */
    hq_ydoc *doc = load_str_ok("a: {x: 1}\nb: {x: 2}\n");
    hq_ydoc_destroy(&doc);
    /* An embedded NUL is refused even outside quotes. */
    expect_buf_error("a: b\0c", 6, NULL, HQ_EINVAL,
                     "t.yaml:1:5: yaml syntax: control characters are not allowed (0x00)");
}

/* ---- the tree ---- */

static void test_tree_has_positions_types_and_values(void **state)
{
    (void)state;
    hq_ydoc *doc = load_ok("yaml/good/rule.yaml");
    const hq_ynode *r = doc->root;
    assert_string_equal(doc->file, "yaml/good/rule.yaml");
    assert_int_equal(r->type, HQ_Y_MAP);
    assert_int_equal(r->len, 12);

    assert_string_equal(hq_ymap_key(r, 0)->str, "id");
    assert_int_equal(hq_ymap_key(r, 0)->line, 2);
    assert_int_equal(hq_ymap_key(r, 0)->column, 1);
    const hq_ynode *v = hq_ymap_get(r, "id");
    assert_ptr_equal(v, hq_ymap_val(r, 0));
    assert_string_equal(v->str, "cold-storage-temp");
    assert_int_equal(v->len, strlen("cold-storage-temp"));
    assert_int_equal(v->line, 2);
    assert_int_equal(v->column, 5);
    assert_false(v->quoted);

    v = hq_ymap_get(r, "title");
    assert_true(v->quoted);
    assert_string_equal(v->str, "冷库温度超标 {{data.site}}");
    assert_int_equal(v->column, 8);

    /* A quoted "<<" is an ordinary key. */
    v = hq_ymap_get(r, "<<");
    assert_non_null(v);
    assert_string_equal(v->str, "a quoted merge key is an ordinary key");

    v = hq_ymap_get(r, "sites");
    assert_int_equal(v->type, HQ_Y_SEQ);
    assert_int_equal(v->len, 2);
    assert_string_equal(v->kids[1]->str, "canteen-2");
    assert_int_equal(v->kids[1]->line, 11);
    assert_int_equal(v->kids[1]->column, 5);

    v = hq_ymap_get(r, "escalate");
    assert_int_equal(v->type, HQ_Y_MAP);
    assert_int_equal(v->line, 12);
    assert_int_equal(v->column, 11);
    assert_int_equal(hq_ymap_get(v, "to")->type, HQ_Y_SEQ);
    assert_string_equal(hq_ymap_get(v, "to")->kids[0]->str, "section_head");

    assert_int_equal(hq_ymap_get(r, "empty_list")->type, HQ_Y_SEQ);
    assert_int_equal(hq_ymap_get(r, "empty_list")->len, 0);
    assert_int_equal(hq_ymap_get(r, "empty_map")->type, HQ_Y_MAP);
    assert_int_equal(hq_ymap_get(r, "empty_map")->len, 0);
    /* "nothing:" has an empty plain value. */
    v = hq_ymap_get(r, "nothing");
    assert_int_equal(v->type, HQ_Y_SCALAR);
    assert_string_equal(v->str, "");
    assert_false(v->quoted);

    assert_null(hq_ymap_get(r, "missing"));
    assert_null(hq_ymap_get(hq_ymap_get(r, "sites"), "x")); /* not a map */
    assert_null(hq_ymap_get(NULL, "x"));
    hq_ydoc_destroy(&doc);
    assert_null(doc);
    hq_ydoc_destroy(&doc); /* accepts NULL */
    hq_ydoc_destroy(NULL);
}

static void test_empty_documents_have_no_root(void **state)
{
    (void)state;
    hq_ydoc *doc = load_ok("yaml/good/comments-only.yaml");
    assert_null(doc->root);
    hq_ydoc_destroy(&doc);
    doc = load_str_ok("");
    assert_null(doc->root);
    hq_ydoc_destroy(&doc);
    /* A single explicit document is fine. */
    doc = load_str_ok("---\na: 1\n...\n");
    assert_string_equal(hq_ymap_get(doc->root, "a")->str, "1");
    hq_ydoc_destroy(&doc);
}

/* ---- diagnostics helpers ---- */

static const char *diag(const hq_diags *d, size_t i)
{
    static char buf[1024];
    assert_true(i < d->count);
    return hq_err_str(&d->items[i], buf, sizeof buf);
}

static void test_ycheck_keys_reports_every_unknown_key(void **state)
{
    (void)state;
    hq_ydoc *doc = load_str_ok("id: x\nwhen: y\nthen: z\nseverity: high\n");
    hq_diags d;
    hq_diags_init(&d);
    static const char *const allowed[] = {"id", "severity", "title", NULL};
    assert_int_equal(hq_ycheck_keys(&d, doc, doc->root, allowed), 2);
    assert_int_equal(d.count, 2);
    assert_string_equal(diag(&d, 0), "t.yaml:2:1: unknown key \"when\" (expected one of: id, severity, title)");
    assert_string_equal(diag(&d, 1), "t.yaml:3:1: unknown key \"then\" (expected one of: id, severity, title)");
    assert_int_equal(d.items[0].code, HQ_EINVAL);
    /* Known keys only: nothing. */
    static const char *const all[] = {"id", "when", "then", "severity", NULL};
    assert_int_equal(hq_ycheck_keys(&d, doc, doc->root, all), 0);
    assert_int_equal(d.count, 2);
    /* Not a map at all. */
    assert_int_equal(hq_ycheck_keys(&d, doc, hq_ymap_get(doc->root, "id"), allowed), 1);
    assert_string_equal(diag(&d, 2), "t.yaml:1:5: expected a mapping, got a value");
    assert_int_equal(hq_ycheck_keys(&d, doc, NULL, allowed), 1);
    assert_string_equal(diag(&d, 3), "t.yaml: expected a mapping, got nothing");
    hq_diags_fini(&d);
    hq_ydoc_destroy(&doc);
}

static void test_ycheck_keys_says_when_the_list_is_cut(void **state)
{
    (void)state;
    hq_ydoc *doc = load_str_ok("zzz: 1\n");
    static const char *const many[] = {
        "a_rather_long_key_name_01", "a_rather_long_key_name_02", "a_rather_long_key_name_03",
        "a_rather_long_key_name_04", "a_rather_long_key_name_05", "a_rather_long_key_name_06",
        "a_rather_long_key_name_07", "a_rather_long_key_name_08", "a_rather_long_key_name_09",
        "a_rather_long_key_name_10", "a_rather_long_key_name_11", "a_rather_long_key_name_12",
        "a_rather_long_key_name_13", "a_rather_long_key_name_14", "a_rather_long_key_name_15",
        NULL};
    hq_diags d;
    hq_diags_init(&d);
    assert_int_equal(hq_ycheck_keys(&d, doc, doc->root, many), 1);
    const char *m = d.items[0].msg;
    size_t ml = strlen(m);
    assert_true(ml > 10);
    assert_string_equal(m + ml - 6, ", ...)");
    /* Names are never cut in the middle: a whole one comes before ", ...". */
    assert_true(ml > 6 + 25);
    assert_memory_equal(m + ml - 6 - 25, "a_rather_long_key_name_", 23);
    hq_diags_fini(&d);
    hq_ydoc_destroy(&doc);
}

static void test_yrequire_and_ydiag(void **state)
{
    (void)state;
    hq_ydoc *doc = load_str_ok("rule:\n  id: x\n");
    hq_diags d;
    hq_diags_init(&d);
    const hq_ynode *rule = hq_ymap_get(doc->root, "rule");
    assert_non_null(hq_yrequire(&d, doc, rule, "id"));
    assert_int_equal(d.count, 0);
    assert_null(hq_yrequire(&d, doc, rule, "severity"));
    assert_string_equal(diag(&d, 0), "t.yaml:2:3: missing required key \"severity\"");
    hq_ydiag(&d, doc, hq_ymap_get(rule, "id"), "id: %s is taken", "x");
    assert_string_equal(diag(&d, 1), "t.yaml:2:7: id: x is taken");
    hq_ydiag(&d, doc, NULL, "about the whole file");
    assert_string_equal(diag(&d, 2), "t.yaml: about the whole file");
    hq_diags_fini(&d);
    hq_ydoc_destroy(&doc);
}

static void test_yseq_and_ywrong(void **state)
{
    (void)state;
    hq_ydoc *doc = load_str_ok("days: [mon, tue]\nhours: 8\nspan: 1.5h\nlist: [1]\n");
    hq_diags d;
    hq_diags_init(&d);
    assert_true(hq_yseq(&d, doc, hq_ymap_get(doc->root, "days"), "days: expected a list"));
    assert_int_equal(d.count, 0);
    assert_false(hq_yseq(&d, doc, hq_ymap_get(doc->root, "hours"), "%s: expected a list of %s", "hours", "ranges"));
    assert_string_equal(diag(&d, 0), "t.yaml:2:8: hours: expected a list of ranges");
    assert_int_equal(hq_ywrong(&d, doc, hq_ymap_get(doc->root, "span"), "a duration", true), HQ_EINVAL);
    assert_string_equal(diag(&d, 1), "t.yaml:3:7: expected a duration, got \"1.5h\" "
                                     "(whole numbers only: write 1h30m, not 1.5h)");
    hq_ywrong(&d, doc, hq_ymap_get(doc->root, "span"), "a count", false);
    assert_string_equal(diag(&d, 2), "t.yaml:3:7: expected a count, got \"1.5h\"");
    hq_ywrong(&d, doc, hq_ymap_get(doc->root, "list"), "a count", false);
    assert_string_equal(diag(&d, 3), "t.yaml:4:7: expected a count, got a list");
    hq_ywrong(&d, doc, NULL, "a count", false);
    assert_string_equal(diag(&d, 4), "t.yaml: expected a count, got nothing");
    hq_diags_fini(&d);
    hq_ydoc_destroy(&doc);
}

static void test_typed_scalar_readers(void **state)
{
    (void)state;
    hq_ydoc *doc = load_str_ok("s: text\n"
                               "i: -42\n"
                               "qi: \"12\"\n"
                               "f: 12.5\n"
                               "e: 1e3\n"
                               "hex: 0x10\n"
                               "t: true\n"
                               "y: yes\n"
                               "n: no\n"
                               "cap: True\n"
                               "qt: \"true\"\n"
                               "l: [1]\n");
    const hq_ynode *r = doc->root;
    hq_diags d;
    hq_diags_init(&d);
    const char *s;
    int64_t i;
    double x;
    bool b;
    assert_int_equal(hq_yget_str(&d, doc, hq_ymap_get(r, "s"), &s), 0);
    assert_string_equal(s, "text");
    assert_int_equal(hq_yget_str(&d, doc, hq_ymap_get(r, "i"), &s), 0); /* any scalar is text */
    assert_int_equal(hq_yget_int(&d, doc, hq_ymap_get(r, "i"), &i), 0);
    assert_int_equal(i, -42);
    assert_int_equal(hq_yget_number(&d, doc, hq_ymap_get(r, "f"), &x), 0);
    assert_true(x == 12.5);
    assert_int_equal(hq_yget_number(&d, doc, hq_ymap_get(r, "e"), &x), 0);
    assert_true(x == 1000.0);
    assert_int_equal(hq_yget_number(&d, doc, hq_ymap_get(r, "i"), &x), 0);
    assert_true(x == -42.0);
    assert_int_equal(hq_yget_bool(&d, doc, hq_ymap_get(r, "t"), &b), 0);
    assert_true(b);
    assert_int_equal(hq_yget_bool(&d, doc, hq_ymap_get(r, "y"), &b), 0);
    assert_true(b);
    assert_int_equal(hq_yget_bool(&d, doc, hq_ymap_get(r, "n"), &b), 0);
    assert_false(b);
    assert_int_equal(d.count, 0);

    assert_int_equal(hq_yget_str(&d, doc, hq_ymap_get(r, "l"), &s), HQ_EINVAL);
    assert_int_equal(hq_yget_int(&d, doc, hq_ymap_get(r, "qi"), &i), HQ_EINVAL);
    assert_int_equal(hq_yget_int(&d, doc, hq_ymap_get(r, "f"), &i), HQ_EINVAL);
    assert_int_equal(hq_yget_number(&d, doc, hq_ymap_get(r, "hex"), &x), HQ_EINVAL);
    assert_int_equal(hq_yget_number(&d, doc, hq_ymap_get(r, "s"), &x), HQ_EINVAL);
    assert_int_equal(hq_yget_bool(&d, doc, hq_ymap_get(r, "cap"), &b), HQ_EINVAL);
    assert_int_equal(hq_yget_bool(&d, doc, hq_ymap_get(r, "qt"), &b), HQ_EINVAL);
    assert_int_equal(hq_yget_int(&d, doc, hq_ymap_get(r, "l"), &i), HQ_EINVAL);
    assert_int_equal(hq_yget_bool(&d, doc, NULL, &b), HQ_EINVAL);
    assert_int_equal(d.count, 9);
    assert_string_equal(diag(&d, 0), "t.yaml:12:4: expected a text value, got a list");
    assert_string_equal(diag(&d, 1), "t.yaml:3:5: expected an integer, got \"12\"");
    assert_string_equal(diag(&d, 2), "t.yaml:4:4: expected an integer, got \"12.5\"");
    assert_string_equal(diag(&d, 3), "t.yaml:6:6: expected a number, got \"0x10\"");
    assert_string_equal(diag(&d, 4), "t.yaml:1:4: expected a number, got \"text\"");
    assert_string_equal(diag(&d, 5), "t.yaml:10:6: expected true or false, got \"True\"");
    assert_string_equal(diag(&d, 6), "t.yaml:11:5: expected true or false, got \"true\"");
    assert_string_equal(diag(&d, 7), "t.yaml:12:4: expected an integer, got a list");
    assert_string_equal(diag(&d, 8), "t.yaml: expected true or false, got nothing");
    hq_diags_fini(&d);
    hq_ydoc_destroy(&doc);
}

static void test_number_parsing_is_strict(void **state)
{
    (void)state;
    int64_t i;
    double x;
    assert_true(hq_parse_int64("0", &i) && i == 0);
    assert_true(hq_parse_int64("-9223372036854775808", &i) && i == INT64_MIN);
    assert_true(hq_parse_int64("+7", &i) && i == 7);
    static const char *const bad_ints[] = {"", " 1", "1 ", "1.0", "1e3", "0x10", "9223372036854775808",
                                           "12abc", "-", "--1", NULL};
    for (const char *const *p = bad_ints; *p; p++)
        if (hq_parse_int64(*p, &i))
            fail_msg("\"%s\" parsed as an integer", *p);
    assert_true(hq_parse_double("1.5", &x) && x == 1.5);
    assert_true(hq_parse_double("-.5", &x) && x == -0.5);
    assert_true(hq_parse_double(".25", &x) && x == 0.25);
    assert_true(hq_parse_double("1e-3", &x) && x == 0.001);
    assert_true(hq_parse_double("42", &x) && x == 42.0);
    static const char *const bad_doubles[] = {"", " 1", "1 ", "inf", "-inf", "nan", "NaN", "+Infinity",
                                              "0x10", "0x1p3", "1e400", "1.5.2", "1,5", "e5", NULL};
    for (const char *const *p = bad_doubles; *p; p++)
        if (hq_parse_double(*p, &x))
            fail_msg("\"%s\" parsed as a number", *p);
}

static void test_durations(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int64_t ms;
    } good[] = {
        {"30m", 30 * 60000LL},   {"48h", 48 * 3600000LL},         {"7d", 7 * 86400000LL},
        {"1h30m", 5400000LL},    {"500ms", 500},                  {"90s", 90000},
        {"2w", 14 * 86400000LL}, {"1d12h", 36 * 3600000LL},       {"0s", 0},
        {"1m30s500ms", 90500},   {"1w2d3h4m5s6ms", 788645006LL},  {"100000000ms", 100000000LL},
    };
    for (size_t k = 0; k < sizeof good / sizeof *good; k++) {
        int64_t ms = -1;
        if (hq_parse_duration_ms(good[k].s, &ms) != 0)
            fail_msg("\"%s\" refused", good[k].s);
        if (ms != good[k].ms)
            fail_msg("\"%s\" = %lld, want %lld", good[k].s, (long long)ms, (long long)good[k].ms);
    }
    static const char *const bad[] = {
        "", "30", "m", "h5", "30x", "1.5h", "-5m", " 5m", "5m ", "5 m", "5M", "1h1h", "30m1h", "1s1m",
        "500ms1s", "5mss", "1msm", "100000001s", "99999999999999999999w", "two days", NULL,
    };
    for (const char *const *p = bad; *p; p++) {
        int64_t ms = 12345;
        if (hq_parse_duration_ms(*p, &ms) != HQ_EINVAL)
            fail_msg("\"%s\" accepted as %lld ms", *p, (long long)ms);
        assert_int_equal(ms, 12345); /* untouched */
    }

    hq_ydoc *doc = load_str_ok("after: 1h30m\nbad: two days\nlist: [1h]\nfrac: 1.5h\n");
    hq_diags d;
    hq_diags_init(&d);
    int64_t ms;
    assert_int_equal(hq_yget_duration_ms(&d, doc, hq_ymap_get(doc->root, "after"), &ms), 0);
    assert_int_equal(ms, 5400000);
    assert_int_equal(hq_yget_duration_ms(&d, doc, hq_ymap_get(doc->root, "bad"), &ms), HQ_EINVAL);
    assert_int_equal(hq_yget_duration_ms(&d, doc, hq_ymap_get(doc->root, "list"), &ms), HQ_EINVAL);
    assert_string_equal(diag(&d, 0), "t.yaml:2:6: expected a duration like 30m, 48h or 7d, got \"two days\"");
    assert_string_equal(diag(&d, 1), "t.yaml:3:7: expected a duration like 30m, 48h or 7d, got a list");
    /* issue 18: the grammar says why a fraction is refused */
    assert_int_equal(hq_yget_duration_ms(&d, doc, hq_ymap_get(doc->root, "frac"), &ms), HQ_EINVAL);
    assert_string_equal(diag(&d, 2), "t.yaml:4:7: expected a duration like 30m, 48h or 7d, got \"1.5h\" "
                                     "(whole numbers only: write 1h30m, not 1.5h)");
    hq_diags_fini(&d);
    hq_ydoc_destroy(&doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_bad_files_give_their_diagnostic),
        cmocka_unit_test(test_golden_set_covers_the_hazards),
        cmocka_unit_test(test_50000_deep_document_fails_at_the_depth_cap),
        cmocka_unit_test(test_depth_cap_is_exact),
        cmocka_unit_test(test_file_over_the_size_cap_is_refused_unread),
        cmocka_unit_test(test_node_cap),
        cmocka_unit_test(test_unreadable_inputs),
        cmocka_unit_test(test_errors_in_buffers),
        cmocka_unit_test(test_tree_has_positions_types_and_values),
        cmocka_unit_test(test_empty_documents_have_no_root),
        cmocka_unit_test(test_ycheck_keys_reports_every_unknown_key),
        cmocka_unit_test(test_ycheck_keys_says_when_the_list_is_cut),
        cmocka_unit_test(test_yrequire_and_ydiag),
        cmocka_unit_test(test_yseq_and_ywrong),
        cmocka_unit_test(test_typed_scalar_readers),
        cmocka_unit_test(test_number_parsing_is_strict),
        cmocka_unit_test(test_durations),
    };
    return cmocka_run_group_tests_name("ytree", tests, chdir_data, NULL);
}
