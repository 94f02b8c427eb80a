/* test_rules_golden.c - rule files the loader (lib/model/rules.c) must
 * refuse, with every diagnostic exactly (issue 18 items 2 and 3).
 *
 * Each folder tests/data/rules-bad/<case>/ holds t.yaml, written into a
 * rules directory with the shipped registry files (rt_fixture.h), and
 * `expected`: every diagnostic of the load, in order, one per line, with
 * the rules directory's path left out wherever it appears
 * (`t.yaml:6:35: ...`).  A new case
 * needs no code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "clock.h"
#include "hq_test.h"
#include "rt_fixture.h"

#include <dirent.h>

static void run_case(const char *casedir, const char *name, hq_buf *failures)
{
    char p[4200], dir[4200];
    snprintf(p, sizeof p, "%s/t.yaml", casedir);
    char *text = hq_test_read_file(p);
    snprintf(p, sizeof p, "%s/expected", casedir);
    char *want = hq_test_read_file(p);
    char *tmp = hq_test_tmpdir();
    snprintf(dir, sizeof dir, "%s/rules", tmp);
    hq_rt_rules_dir(dir, text);
    hq_schemas *schemas = NULL;
    hq_rules *rules = NULL;
    hq_diags d;
    hq_diags_init(&d);
    if (hq_schemas_load_dir(hq_test_env("HQ_TEST_SCHEMAS"), &schemas, &d) != 0)
        fail_msg("the schemas do not load");
    int rc = hq_rules_load(dir, schemas, &rules, &d);
    hq_buf got;
    hq_buf_init(&got);
    size_t prefix = strlen(dir) + 1;
    for (size_t i = 0; i < d.count; i++) {
        char line[2048];
        const char *s = hq_err_str(&d.items[i], line, sizeof line);
        /* the rules directory's path, wherever it appears, is left out */
        for (const char *p2 = s; *p2;) {
            if (strncmp(p2, dir, prefix - 1) == 0 && p2[prefix - 1] == '/') {
                p2 += prefix;
                continue;
            }
            hq_buf_putc(&got, *p2++);
        }
        hq_buf_putc(&got, '\n');
    }
    const char *g = got.data ? got.data : "";
    if (rc == 0)
        hq_buf_printf(failures, "%s: loaded, but must be refused\n", name);
    else if (strcmp(g, want) != 0)
        hq_buf_printf(failures, "%s: diagnostics\n%s-- wanted --\n%s", name, g, want);
    hq_buf_fini(&got);
    hq_rules_destroy(&rules);
    hq_schemas_destroy(&schemas);
    hq_diags_fini(&d);
    hq_test_rmtree(tmp);
    free(tmp);
    free(text);
    free(want);
}

static void test_every_case(void **state)
{
    (void)state;
    char root[4096];
    snprintf(root, sizeof root, "%s/rules-bad", hq_test_env("HQ_TEST_DATA"));
    DIR *dh = opendir(root);
    assert_non_null(dh);
    struct dirent *de;
    hq_buf failures;
    hq_buf_init(&failures);
    int n = 0;
    while ((de = readdir(dh))) {
        if (de->d_name[0] == '.')
            continue;
        char casedir[4200];
        snprintf(casedir, sizeof casedir, "%s/%s", root, de->d_name);
        run_case(casedir, de->d_name, &failures);
        n++;
    }
    closedir(dh);
    assert_true(n >= 1);
    if (failures.len)
        fail_msg("%s", failures.data);
    hq_buf_fini(&failures);
}

int main(void)
{
    hq_tz_set("Asia/Shanghai");
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_case)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
