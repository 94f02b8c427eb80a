/* test_err.c - error codes and diagnostics (lib/err.c), as a specification.
 *
 * A function returns 0 or a negative HQ_E* code; the detail goes to an
 * optional hq_err.  Loaders collect every problem in an hq_diags list and
 * render each as "file:line:column: reason".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "err.h"
#include "hq_test.h"

static void test_set_returns_the_code_and_formats(void **state)
{
    (void)state;
    hq_err err;
    memset(&err, 0x5a, sizeof err); /* leftovers of an earlier error */
    assert_int_equal(hq_err_set(&err, HQ_EINVAL, "%s: expected %d", "id", 64), HQ_EINVAL);
    assert_int_equal(err.code, HQ_EINVAL);
    assert_string_equal(err.msg, "id: expected 64");
    /* No position: the rendering is the message alone. */
    assert_int_equal(err.line, 0);
    assert_int_equal(err.column, 0);
    assert_string_equal(err.file, "");
    char buf[600];
    assert_ptr_equal(hq_err_str(&err, buf, sizeof buf), buf);
    assert_string_equal(buf, "id: expected 64");
    /* The detail is optional. */
    assert_int_equal(hq_err_set(NULL, HQ_ENOMEM, "ignored"), HQ_ENOMEM);
    assert_int_equal(hq_err_setpos(NULL, HQ_EIO, "f", 1, 2, "ignored"), HQ_EIO);
    hq_err_prefix(NULL, "ignored");
}

static void test_positions_render_as_file_line_column(void **state)
{
    (void)state;
    hq_err err;
    char buf[900];
    hq_err_setpos(&err, HQ_EINVAL, "rules/a.yaml", 12, 7, "escalate.after: expected a duration");
    assert_string_equal(hq_err_str(&err, buf, sizeof buf), "rules/a.yaml:12:7: escalate.after: expected a duration");
    hq_err_setpos(&err, HQ_EINVAL, "rules/a.yaml", 12, 0, "no column");
    assert_string_equal(hq_err_str(&err, buf, sizeof buf), "rules/a.yaml:12: no column");
    hq_err_setpos(&err, HQ_EIO, "rules/a.yaml", 0, 0, "cannot open");
    assert_string_equal(hq_err_str(&err, buf, sizeof buf), "rules/a.yaml: cannot open");
    hq_err_setpos(&err, HQ_EIO, NULL, 3, 4, "no file");
    assert_string_equal(hq_err_str(&err, buf, sizeof buf), "no file");
    /* A small buffer truncates, still terminated. */
    hq_err_setpos(&err, HQ_EINVAL, "f.yaml", 1, 2, "message");
    assert_string_equal(hq_err_str(&err, buf, 8), "f.yaml:");
}

static void test_long_messages_are_truncated_not_overflowed(void **state)
{
    (void)state;
    hq_err err;
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    hq_err_set(&err, HQ_EINVAL, "%s", big);
    assert_int_equal(strlen(err.msg), sizeof err.msg - 1);
    hq_err_setpos(&err, HQ_EINVAL, big, 1, 1, "m");
    assert_int_equal(strlen(err.file), sizeof err.file - 1);
}

static void test_prefix_adds_context_on_the_way_up(void **state)
{
    (void)state;
    hq_err err;
    hq_err_set(&err, HQ_ESTORE, "storage map full");
    hq_err_prefix(&err, "batch of %d", 12);
    assert_string_equal(err.msg, "batch of 12: storage map full");
    assert_int_equal(err.code, HQ_ESTORE);
    hq_err_prefix(&err, "%s", "/var/lib/houqin");
    assert_string_equal(err.msg, "/var/lib/houqin: batch of 12: storage map full");
}

static void test_every_code_has_a_name(void **state)
{
    (void)state;
    static const struct {
        int code;
        const char *name;
    } names[] = {
        {HQ_OK, "ok"},
        {HQ_EINVAL, "invalid input"},
        {HQ_ENOMEM, "out of memory"},
        {HQ_EIO, "i/o error"},
        {HQ_ENOTFOUND, "not found"},
        {HQ_EEXIST, "already exists"},
        {HQ_EFULL, "storage full"},
        {HQ_ESTORE, "storage error"},
        {HQ_EVERSION, "unknown format version"},
        {HQ_ETIMEOUT, "timeout"},
        {HQ_ELIMIT, "limit exceeded"},
        {HQ_ESTATE, "action does not fit the state"},
        {HQ_EPANIC, "fatal error"},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        assert_string_equal(hq_strerror(names[i].code), names[i].name);
    assert_string_equal(hq_strerror(-999), "unknown error");
    assert_string_equal(hq_strerror(1), "unknown error");
    /* Codes are distinct and negative. */
    for (size_t i = 1; i < sizeof names / sizeof *names; i++) {
        assert_true(names[i].code < 0);
        for (size_t j = 1; j < i; j++)
            assert_int_not_equal(names[i].code, names[j].code);
    }
}

static void test_diags_collect_everything_in_order(void **state)
{
    (void)state;
    hq_diags d;
    hq_diags_init(&d);
    assert_int_equal(d.count, 0);
    /* Well past the first allocation (8): the list grows. */
    for (int i = 1; i <= 100; i++)
        hq_diags_add(&d, "schemas/x.yaml", i, i + 1, "problem %d", i);
    assert_int_equal(d.count, 100);
    char buf[600];
    assert_string_equal(hq_err_str(&d.items[0], buf, sizeof buf), "schemas/x.yaml:1:2: problem 1");
    assert_string_equal(hq_err_str(&d.items[99], buf, sizeof buf), "schemas/x.yaml:100:101: problem 100");
    assert_int_equal(d.items[50].code, HQ_EINVAL);

    hq_err e;
    hq_err_setpos(&e, HQ_ELIMIT, "big.yaml", 0, 0, "file is larger than 1048576 bytes");
    hq_diags_add_err(&d, &e);
    assert_int_equal(d.count, 101);
    assert_int_equal(d.items[100].code, HQ_ELIMIT);
    assert_string_equal(hq_err_str(&d.items[100], buf, sizeof buf), "big.yaml: file is larger than 1048576 bytes");
    hq_diags_add(&d, NULL, 0, 0, "no file");
    assert_string_equal(hq_err_str(&d.items[101], buf, sizeof buf), "no file");

    hq_diags_fini(&d);
    assert_int_equal(d.count, 0);
    assert_null(d.items);
    hq_diags_fini(&d); /* twice is fine */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_returns_the_code_and_formats),
        cmocka_unit_test(test_positions_render_as_file_line_column),
        cmocka_unit_test(test_long_messages_are_truncated_not_overflowed),
        cmocka_unit_test(test_prefix_adds_context_on_the_way_up),
        cmocka_unit_test(test_every_code_has_a_name),
        cmocka_unit_test(test_diags_collect_everything_in_order),
    };
    return cmocka_run_group_tests_name("err", tests, NULL, NULL);
}
