/* account: the accounts file round trip, Argon2id verification, stamps, and
 * malformed files refused with file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "account.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void roundtrip_and_verify(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    char dir[] = "/tmp/hq-account-XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/web-accounts", dir);
    hq_accounts a;
    hq_err err;
    assert_int_equal(hq_accounts_read(path, &a, &err), 0); /* missing file: no accounts */
    assert_int_equal(a.n, 0);
    hq_account *x = hq_accounts_put(&a, "lin.sup");
    assert_true(x->locked); /* a new account has no password and is locked */
    assert_int_equal(hq_account_set_password(x, "short", 1, &err), HQ_EINVAL);
    assert_int_equal(hq_account_set_password(x, "correct horse", 1, &err), 0);
    x->locked = false;
    char s1[HQ_ACCOUNT_STAMP_LEN + 1], s2[HQ_ACCOUNT_STAMP_LEN + 1];
    hq_account_stamp(x, s1);
    assert_int_equal(hq_accounts_write(path, &a, &err), 0);
    hq_accounts_fini(&a);
    assert_int_equal(hq_accounts_read(path, &a, &err), 0);
    assert_int_equal(a.n, 1);
    x = hq_accounts_find(&a, "lin.sup");
    assert_non_null(x);
    assert_true(hq_account_verify(x, "correct horse"));
    assert_false(hq_account_verify(x, "correct horsE"));
    hq_account_stamp(x, s2);
    assert_string_equal(s1, s2);
    x->locked = true;
    assert_false(hq_account_verify(x, "correct horse")); /* locked */
    hq_account_stamp(x, s2);
    assert_string_not_equal(s1, s2); /* a lock ends sessions */
    hq_accounts_fini(&a);
    /* malformed and duplicate lines */
    FILE *f = fopen(path, "w");
    fputs("# c\nlin.sup - active 1\nlin.sup - active 2\n", f);
    fclose(f);
    assert_int_equal(hq_accounts_read(path, &a, &err), HQ_EINVAL);
    assert_non_null(strstr(err.msg, ":3: lin.sup is listed twice"));
    f = fopen(path, "w");
    fputs("Bad/Person x active 1\n", f);
    fclose(f);
    assert_int_equal(hq_accounts_read(path, &a, &err), HQ_EINVAL);
    assert_non_null(strstr(err.msg, ":1: expected"));
    assert_false(hq_account_person_ok("../etc"));
    assert_true(hq_account_person_ok("contact.xinyuan"));
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(roundtrip_and_verify)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
