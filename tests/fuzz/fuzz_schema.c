/* fuzz_schema: the schema loader on one file (the input), then, when it
 * loads, the validator on the schema's own `example:` section turned into
 * msgpack, so that fuzzed limits, enums and nesting meet data of the right
 * shape.
 *
 * The loader reads a directory (hq_schemas_load_dir() has no from-memory
 * entry), so the input is written to <scratch>/<type>.yaml, <type> taken
 * from the input's top-level "type:" line so that the file-name check
 * passes and the rest of the loader runs.
 *
 * Invariants: no crash, leak or hang; a refusal has at least one
 * diagnostic with a message; a loaded set has exactly one schema. */
#include "fuzz.h"
#include "mp.h"
#include "schema.h"
#include "ytree.h"

#include <ctype.h>

static void file_name(const uint8_t *data, size_t size, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i + 5 < size; i++) {
        if ((i == 0 || data[i - 1] == '\n') && memcmp(data + i, "type:", 5) == 0) {
            size_t j = i + 5;
            while (j < size && data[j] == ' ')
                j++;
            while (j < size && n + 6 < cap && n < 64 &&
                   (isalnum(data[j]) || data[j] == '.' || data[j] == '_' || data[j] == '-'))
                out[n++] = (char)data[j++];
            break;
        }
    }
    if (n == 0 || out[0] == '.')
        n = 0, out[n++] = 'x';
    memcpy(out + n, ".yaml", 6);
}

/* The example, packed: scalars as bool, int, number or string. */
static void pack_example(msgpack_packer *pk, const hq_ynode *n)
{
    int64_t iv;
    double dv;
    switch (n->type) {
    case HQ_Y_SCALAR:
        if (!n->quoted && strcmp(n->str, "true") == 0)
            msgpack_pack_true(pk);
        else if (!n->quoted && strcmp(n->str, "false") == 0)
            msgpack_pack_false(pk);
        else if (!n->quoted && hq_parse_int64(n->str, &iv))
            msgpack_pack_int64(pk, iv);
        else if (!n->quoted && hq_parse_double(n->str, &dv))
            msgpack_pack_double(pk, dv);
        else {
            msgpack_pack_str(pk, n->len);
            msgpack_pack_str_body(pk, n->str, n->len);
        }
        break;
    case HQ_Y_SEQ:
        msgpack_pack_array(pk, n->len);
        for (size_t i = 0; i < n->len; i++)
            pack_example(pk, n->kids[i]);
        break;
    case HQ_Y_MAP:
        msgpack_pack_map(pk, n->len);
        for (size_t i = 0; i < n->len; i++) {
            pack_example(pk, hq_ymap_key(n, i));
            pack_example(pk, hq_ymap_val(n, i));
        }
        break;
    }
}

static void validate_example(const hq_schema *s, const uint8_t *data, size_t size)
{
    hq_ydoc *doc = NULL;
    if (hq_ydoc_load_buf("example", (const char *)data, size, NULL, &doc, NULL) != 0)
        return;
    const hq_ynode *ex = doc->root ? hq_ymap_get(doc->root, "example") : NULL;
    if (ex) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        pack_example(&pk, ex);
        msgpack_zone zone;
        msgpack_zone_init(&zone, 2048);
        msgpack_object o;
        hq_err err = {0};
        /* Through the safe decoder, as an event's data would come. */
        if (hq_mp_decode(sb.data, sb.size, &hq_mp_default_limits, &zone, &o, &err) == 0) {
            int rc = hq_schema_validate(s, &o, &err);
            hq_fuzz_note("  example: %s", rc == 0 ? "valid" : err.msg);
            if (rc) {
                HQ_FUZZ_CHECK(err.msg[0], "validation refused with no reason");
                HQ_FUZZ_CHECK(hq_utf8_valid(err.msg, strlen(err.msg)), "reason not UTF-8: %s", err.msg);
            }
        }
        msgpack_zone_destroy(&zone);
        msgpack_sbuffer_destroy(&sb);
    }
    hq_ydoc_destroy(&doc);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    hq_fuzz_dir();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[80];
    file_name(data, size, name, sizeof name);
    hq_fuzz_write(name, data, size);
    hq_schemas *s = NULL;
    hq_diags d;
    hq_diags_init(&d);
    int rc = hq_schemas_load_dir(hq_fuzz_dir(), &s, &d);
    hq_fuzz_note("  schema %s: %s", name, rc == 0 ? "loaded" : d.count ? d.items[0].msg : "?");
    if (rc == 0) {
        HQ_FUZZ_CHECK(s && hq_schemas_count(s) == 1, "loaded %zu schemas", s ? hq_schemas_count(s) : 0);
        HQ_FUZZ_CHECK(d.count == 0, "loaded with %zu diagnostics", d.count);
        const hq_schema *one = hq_schemas_at(s, 0);
        HQ_FUZZ_CHECK(hq_schemas_find(s, one->type, strlen(one->type)) == one, "find");
        validate_example(one, data, size);
        hq_schemas_destroy(&s);
        HQ_FUZZ_CHECK(s == NULL, "destroy");
    } else {
        HQ_FUZZ_CHECK(s == NULL, "refused but returned a set");
        HQ_FUZZ_CHECK(d.count > 0, "refused with no diagnostic");
        for (size_t i = 0; i < d.count; i++)
            HQ_FUZZ_CHECK(d.items[i].msg[0], "empty diagnostic %zu", i);
    }
    hq_diags_fini(&d);
    return 0;
}
