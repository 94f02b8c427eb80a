/* hq_test_rules.h - loading a small rules directory in a unit test (header
 * only; include after hq_test.h). */
#ifndef HQ_TEST_RULES_H
#define HQ_TEST_RULES_H

#include "buf.h"
#include "rules.h"

#include <stdarg.h>

/* The shipped schemas (HQ_TEST_SCHEMAS), loaded by the group setup. */
static hq_schemas *hq_test_schemas;

static inline int hq_test_schemas_setup(void **state)
{
    (void)state;
    hq_diags d;
    hq_diags_init(&d);
    int rc = hq_schemas_load_dir(hq_test_env("HQ_TEST_SCHEMAS"), &hq_test_schemas, &d);
    hq_diags_fini(&d);
    return rc;
}

static inline int hq_test_schemas_teardown(void **state)
{
    (void)state;
    hq_schemas_destroy(&hq_test_schemas);
    return 0;
}

/* Loads a rules directory made of the shipped escalation chains
 * (HQ_TEST_RULES/escalation.yaml) and the given files (name, text, ...,
 * NULL) against schemas.  Returns the diagnostics, one "file:line:column:
 * message" a line with the file's folder left out ("" when it loaded);
 * *out gets the rules (NULL when they did not load), or they are freed
 * when out is NULL. */
static inline char *hq_test_load_rules(const hq_schemas *schemas, hq_rules **out, ...)
{
    char *dir = hq_test_tmpdir(), p[4200], src[4200];
    snprintf(src, sizeof src, "%s/escalation.yaml", hq_test_env("HQ_TEST_RULES"));
    char *chains = hq_test_read_file(src);
    snprintf(p, sizeof p, "%s/escalation.yaml", dir);
    hq_test_write_file(p, chains, strlen(chains));
    free(chains);
    va_list ap;
    va_start(ap, out);
    for (const char *name; (name = va_arg(ap, const char *));) {
        const char *text = va_arg(ap, const char *);
        snprintf(p, sizeof p, "%s/%s", dir, name);
        hq_test_write_file(p, text, strlen(text));
    }
    va_end(ap);
    hq_diags d;
    hq_diags_init(&d);
    hq_rules *r = NULL;
    int rc = hq_rules_load(dir, schemas, &r, &d);
    hq_buf b;
    hq_buf_init(&b);
    for (size_t i = 0; i < d.count; i++) {
        const char *f = strrchr(d.items[i].file, '/');
        hq_buf_printf(&b, "%s:%d:%d: %s\n", f ? f + 1 : d.items[i].file, d.items[i].line, d.items[i].column,
                      d.items[i].msg);
    }
    hq_buf_putc(&b, 0);
    assert_true(rc == 0 ? d.count == 0 && r != NULL : r == NULL);
    hq_diags_fini(&d);
    hq_test_rmtree(dir);
    free(dir);
    if (out)
        *out = r;
    else
        hq_rules_destroy(&r);
    return hq_buf_steal(&b);
}

#endif
