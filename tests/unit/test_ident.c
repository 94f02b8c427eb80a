/* Unit tests for lib/core/ident.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ident.h"

#include <stdint.h>
#include <string.h>

static void test_ident(void **state)
{
    (void)state;
    assert_true(hq_ident_ok("catering.weekly-risk_review", SIZE_MAX, "-_.", true));
    assert_true(hq_ident_ok("Catering.X", SIZE_MAX, "-_.", true));
    assert_false(hq_ident_ok("Catering.X", 64, "-_.", false)); /* lower case only */
    assert_false(hq_ident_ok("", 64, "-_.", true));
    assert_false(hq_ident_ok(NULL, 64, "-_.", true));
    assert_false(hq_ident_ok("a b", 64, "-_.", true));
    assert_false(hq_ident_ok("a:b", 64, "-_.", true));
    assert_true(hq_ident_ok("a:b", 64, "-_.:", true));
    assert_false(hq_ident_ok("餐饮", 64, "-_.", true));
    char long_id[66];
    memset(long_id, 'a', 65);
    long_id[65] = 0;
    assert_false(hq_ident_ok(long_id, 64, "", false));
    long_id[64] = 0;
    assert_true(hq_ident_ok(long_id, 64, "", false));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_ident)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
