/* fuzz_event: one ingest frame through hq_event_decode() (pre-scan, msgpack
 * unpack, envelope, schema validation) against the shipped schemas, with
 * houqind's default limits.
 *
 * Invariants: no crash, leak or unbounded allocation; a rejection carries
 * a non-empty reason that is valid UTF-8 (it goes into the reply, and from
 * there into JSON and HTML); an accepted event has a valid id and source,
 * a known type and a map for data, and renders as JSON. */
#include "event.h"
#include "fuzz.h"
#include "json.h"

static hq_schemas *schemas;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    hq_diags d;
    hq_diags_init(&d);
    if (hq_schemas_load_dir(hq_fuzz_schemas_dir(), &schemas, &d) != 0) {
        fprintf(stderr, "fuzz_event: cannot load the schemas in %s (%zu errors)\n", hq_fuzz_schemas_dir(), d.count);
        abort();
    }
    hq_diags_fini(&d);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    hq_event ev;
    hq_err err = {0};
    int rc = hq_event_decode((const char *)data, size, &hq_event_default_limits, schemas, &zone, &ev, &err);
    hq_fuzz_note("  event: %s", rc == 0 ? "accepted" : err.msg);
    if (rc == 0) {
        HQ_FUZZ_CHECK(hq_event_ident_ok(ev.id, ev.id_len, HQ_ID_MAX), "id");
        HQ_FUZZ_CHECK(hq_event_ident_ok(ev.source, ev.source_len, HQ_SOURCE_MAX), "source");
        HQ_FUZZ_CHECK(ev.schema && hq_schemas_find(schemas, ev.type, ev.type_len) == ev.schema, "type");
        HQ_FUZZ_CHECK(ev.data && ev.data->type == MSGPACK_OBJECT_MAP, "data");
        HQ_FUZZ_CHECK(size <= hq_event_default_limits.max_bytes, "size %zu", size);
        hq_buf b;
        hq_buf_init(&b);
        hq_json_from_mp(&b, ev.root);
        HQ_FUZZ_CHECK(hq_utf8_valid(b.data, b.len), "JSON of an accepted event is not UTF-8");
        hq_buf_fini(&b);
    } else {
        HQ_FUZZ_CHECK(rc == HQ_EINVAL, "rc %d", rc);
        size_t n = strlen(err.msg);
        HQ_FUZZ_CHECK(n > 0, "empty rejection reason");
        HQ_FUZZ_CHECK(hq_utf8_valid(err.msg, n), "rejection reason is not UTF-8: %s", err.msg);
    }
    msgpack_zone_destroy(&zone);
    return 0;
}
