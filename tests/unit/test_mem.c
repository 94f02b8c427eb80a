/* test_mem.c - the allocation wrappers (mem.h).  Leaks and double frees are
 * caught when the suite runs under ASan (.ci/run, stage asan). */
#include "mem.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_copies_of_strings(void **state)
{
    (void)state;
    char *a = hq_strdup("后勤");
    assert_string_equal(a, "后勤");
    char *b = hq_strndup("abcdef", 3);
    assert_string_equal(b, "abc");
    char *c = hq_strndup("ab", 10);
    assert_string_equal(c, "ab");
    free(a);
    free(b);
    free(c);
}

static void test_free_strv_frees_the_strings_and_the_array(void **state)
{
    (void)state;
    size_t n = 3;
    char **v = hq_calloc(n, sizeof *v);
    v[0] = hq_strdup("one");
    v[1] = hq_strdup("two");
    v[2] = NULL; /* a slot never filled */
    hq_free_strv(v, n);
    hq_free_strv(NULL, 0);
    char **grown = hq_reallocarray(NULL, 2, sizeof *grown);
    grown[0] = hq_strdup("x");
    grown = hq_reallocarray(grown, 4, sizeof *grown);
    grown[1] = hq_strdup("y");
    assert_string_equal(grown[0], "x");
    hq_free_strv(grown, 2);
}

typedef struct {
    char *name;
    char **tags;
    size_t ntags;
} record;

static int finis;

static void record_fini(record *r)
{
    finis++;
    free(r->name);
    hq_free_strv(r->tags, r->ntags);
}

static void test_free_each_finis_every_record_then_the_array(void **state)
{
    (void)state;
    size_t n = 3;
    record *v = hq_calloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i].name = hq_strdup("r");
        v[i].ntags = i;
        v[i].tags = hq_calloc(i ? i : 1, sizeof *v[i].tags);
        for (size_t j = 0; j < i; j++)
            v[i].tags[j] = hq_strdup("t");
    }
    finis = 0;
    HQ_FREE_EACH(v, n, record_fini);
    assert_int_equal(finis, 3);
    record *none = NULL;
    size_t nnone = 0;
    HQ_FREE_EACH(none, nnone, record_fini);
    assert_int_equal(finis, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copies_of_strings),
        cmocka_unit_test(test_free_strv_frees_the_strings_and_the_array),
        cmocka_unit_test(test_free_each_finis_every_record_then_the_array),
    };
    return cmocka_run_group_tests_name("mem", tests, NULL, NULL);
}
