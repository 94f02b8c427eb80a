/* fuzz_rules: the rules loader on a directory holding one file (the input)
 * against the shipped schemas.  A file may hold every section (office,
 * calendar, chains, penalty terms, contractors, sites, sensors, people,
 * rules), so one input can be a whole rule set; the corpus has the shipped
 * rule set merged into one file.
 *
 * Invariants: no crash, leak or hang (the YAML limits: depth, nodes, size,
 * no aliases); a refusal has at least one diagnostic, each with a message;
 * a loaded set is destroyed cleanly. */
#include "fuzz.h"
#include "rules.h"

static hq_schemas *schemas;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    hq_diags d;
    hq_diags_init(&d);
    if (hq_schemas_load_dir(hq_fuzz_schemas_dir(), &schemas, &d) != 0) {
        fprintf(stderr, "fuzz_rules: cannot load the schemas in %s (%zu errors)\n", hq_fuzz_schemas_dir(), d.count);
        abort();
    }
    hq_diags_fini(&d);
    hq_fuzz_dir();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hq_fuzz_write("input.yaml", data, size);
    hq_rules *r = NULL;
    hq_diags d;
    hq_diags_init(&d);
    int rc = hq_rules_load(hq_fuzz_dir(), schemas, &r, &d);
    hq_fuzz_note("  rules: %s (%zu diagnostics)", rc == 0 ? "loaded" : d.count ? d.items[0].msg : "?", d.count);
    if (rc == 0) {
        HQ_FUZZ_CHECK(r != NULL, "loaded but no rule set");
        HQ_FUZZ_CHECK(d.count == 0, "loaded with %zu diagnostics", d.count);
        (void)hq_rules_count(r);
        hq_rules_destroy(&r);
        HQ_FUZZ_CHECK(r == NULL, "destroy");
    } else {
        HQ_FUZZ_CHECK(r == NULL, "refused but returned a rule set");
        HQ_FUZZ_CHECK(d.count > 0, "refused with no diagnostic");
        for (size_t i = 0; i < d.count; i++)
            HQ_FUZZ_CHECK(d.items[i].msg[0], "empty diagnostic %zu", i);
    }
    hq_diags_fini(&d);
    return 0;
}
