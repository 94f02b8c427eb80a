/* fuzz_allowlist: the producers' allow-list loader of houqind's CURVE
 * ingest (lib/net/allowlist.c, hq_allowlist_load) and the administrators'
 * list of its control socket (hq_adminlist_load), both on the input as a
 * file.  Administrators write these files by hand, like the rules.
 *
 * Invariants: no crash, leak or hang; a refusal has at least one
 * diagnostic, each with a message, and no list; in a loaded list every
 * entry has a source and a 40-character key, is found again by its key
 * and by its source, and an administrators' entry may send no event type. */
#include "allowlist.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    hq_fuzz_dir();
    return 0;
}

static void one(const char *path, bool admins)
{
    hq_allowlist *a = NULL;
    hq_diags d;
    hq_diags_init(&d);
    int rc = admins ? hq_adminlist_load(path, &a, &d) : hq_allowlist_load(path, &a, &d);
    hq_fuzz_note("  %s: %s (%zu diagnostics)", admins ? "admins" : "producers",
                 rc == 0 ? "loaded" : d.count ? d.items[0].msg : "?", d.count);
    if (rc == 0) {
        HQ_FUZZ_CHECK(a != NULL, "loaded but no list");
        HQ_FUZZ_CHECK(d.count == 0, "loaded with %zu diagnostics", d.count);
        size_t n = hq_allowlist_count(a);
        for (size_t i = 0; i < n; i++) {
            const hq_producer *p = hq_allowlist_at(a, i);
            HQ_FUZZ_CHECK(p && p->source && p->source[0], "entry %zu without a source", i);
            HQ_FUZZ_CHECK(strlen(p->key) == 40, "entry %zu: key of %zu characters", i, strlen(p->key));
            HQ_FUZZ_CHECK(hq_allowlist_by_key(a, p->key) == p, "entry %zu not found by its key", i);
            HQ_FUZZ_CHECK(hq_allowlist_by_source(a, p->source, strlen(p->source)) != NULL,
                          "entry %zu not found by its source", i);
            if (admins)
                HQ_FUZZ_CHECK(p->ntypes == 0, "an administrator may send %zu event types", p->ntypes);
            (void)hq_producer_acts_for(p, "supervisor");
        }
        HQ_FUZZ_CHECK(hq_allowlist_at(a, n) == NULL, "an entry past the end");
        hq_allowlist_destroy(&a);
        HQ_FUZZ_CHECK(a == NULL, "destroy");
    } else {
        HQ_FUZZ_CHECK(a == NULL, "refused but returned a list");
        HQ_FUZZ_CHECK(d.count > 0, "refused with no diagnostic");
        for (size_t i = 0; i < d.count; i++)
            HQ_FUZZ_CHECK(d.items[i].msg[0], "empty diagnostic %zu", i);
    }
    hq_diags_fini(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = hq_fuzz_write("allow.yaml", data, size);
    one(path, false);
    one(path, true);
    return 0;
}
