/* fuzz_ruletest: the rule test loader (lib/ruletest.c) on one test file
 * (the input) against the shipped schemas and rules.  The corpus has the
 * shipped test files and the golden bad ones of tests/ruletests/data.
 *
 * Only loading is fuzzed: a loaded file's run is the engine's work on a
 * scratch state, which a hostile `advance: 5000w` would make long without
 * finding anything the unit tests do not.
 *
 * Invariants: no crash, leak or hang; a refusal has at least one
 * diagnostic, each with a message and a line in the file; a loaded file
 * has at least one test, each with a line and a name, and is destroyed
 * cleanly. */
#include "fuzz.h"
#include "clock.h"
#include "ruletest.h"

static hq_schemas *schemas;
static hq_rules *rules;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/../rules", hq_fuzz_schemas_dir());
    const char *e = getenv("HQ_FUZZ_RULES");
    hq_diags d;
    hq_diags_init(&d);
    if (hq_schemas_load_dir(hq_fuzz_schemas_dir(), &schemas, &d) != 0 ||
        hq_rules_load(e && *e ? e : dir, schemas, &rules, &d) != 0) {
        fprintf(stderr, "fuzz_ruletest: cannot load the schemas and rules (%zu errors)\n", d.count);
        abort();
    }
    hq_diags_fini(&d);
    hq_tz_set(hq_rules_timezone(rules));
    hq_fuzz_dir();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = hq_fuzz_write("input.test.yaml", data, size);
    hq_ruletests *t = NULL;
    hq_diags d;
    hq_diags_init(&d);
    int rc = hq_ruletests_load(path, schemas, rules, &t, &d);
    hq_fuzz_note("  ruletest: %s (%zu diagnostics)", rc == 0 ? "loaded" : d.count ? d.items[0].msg : "?", d.count);
    if (rc == 0) {
        HQ_FUZZ_CHECK(t != NULL, "loaded but nothing returned");
        HQ_FUZZ_CHECK(d.count == 0, "loaded with %zu diagnostics", d.count);
        HQ_FUZZ_CHECK(hq_ruletests_count(t) > 0, "loaded with no test");
        for (size_t i = 0; i < hq_ruletests_count(t); i++)
            HQ_FUZZ_CHECK(hq_ruletests_name(t, i) && hq_ruletests_line(t, i) > 0, "test %zu", i);
        hq_ruletests_destroy(&t);
        HQ_FUZZ_CHECK(t == NULL, "destroy");
    } else {
        HQ_FUZZ_CHECK(t == NULL, "refused but returned tests");
        HQ_FUZZ_CHECK(d.count > 0, "refused with no diagnostic");
        for (size_t i = 0; i < d.count; i++)
            HQ_FUZZ_CHECK(d.items[i].msg[0], "empty diagnostic %zu", i);
    }
    hq_diags_fini(&d);
    return 0;
}
