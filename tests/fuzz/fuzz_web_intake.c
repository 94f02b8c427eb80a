/* fuzz_web_intake: houqin-web's intake body splitter (intake_split.c,
 * jansson): one JSON event, an array, or JSON lines.
 *
 * Invariants: no crash, leak or hang; a refusal has a reason; at most
 * WEB_MAX_EVENTS items; each item is a JSON value or a reason. */
#include "fuzz.h"
#include "web.h"

web *g_web;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    web_item *items;
    size_t n;
    hq_err err = {0};
    if (web_intake_split((const char *)data, size, &items, &n, &err) != 0) {
        HQ_FUZZ_CHECK(err.msg[0] != '\0', "refusal without a reason");
        return 0;
    }
    HQ_FUZZ_CHECK(n >= 1 && n <= WEB_MAX_EVENTS, "%zu items", n);
    for (size_t i = 0; i < n; i++)
        HQ_FUZZ_CHECK(items[i].json != NULL || items[i].err[0] != '\0', "item %zu: neither JSON nor a reason", i);
    web_intake_items_free(items, n);
    return 0;
}
