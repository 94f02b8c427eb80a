/* fuzz_json: JSON text to msgpack (hq_json_to_mp, what `houqinctl send`
 * does with JSON lines), then back to JSON (hq_json_from_mp) and in again.
 *
 * Invariants: no crash, leak or hang; a refusal has a reason; what
 * hq_json_to_mp packs is accepted by the safe decoder whenever it is within
 * its limits; and the round trip is stable: JSON -> msgpack -> JSON ->
 * msgpack -> JSON gives the same text the second time as the first, but
 * for one known, accepted difference: a float -0.0 is written "-0", which
 * reads back as the integer 0 (equal as numbers; JSON has no -0 integer).
 * A key whose JSON form is longer than 1024 characters is refused on the
 * way back in (libyaml's limit on implicit keys): such inputs are not
 * checked for the round trip. */
#include "fuzz.h"
#include "json.h"
#include "mp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

/* The longest key of o as JSON (quotes and escapes included). */
static size_t longest_key(const msgpack_object *o)
{
    size_t m = 0;
    if (o->type == MSGPACK_OBJECT_ARRAY) {
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            size_t k = longest_key(&o->via.array.ptr[i]);
            m = k > m ? k : m;
        }
    } else if (o->type == MSGPACK_OBJECT_MAP) {
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type == MSGPACK_OBJECT_STR) {
                hq_buf b;
                hq_buf_init(&b);
                hq_json_str(&b, kv->key.via.str.ptr, kv->key.via.str.size);
                m = b.len > m ? b.len : m;
                hq_buf_fini(&b);
            }
            size_t k = longest_key(&kv->val);
            m = k > m ? k : m;
        }
    }
    return m;
}

/* JSON text -> msgpack -> (decoded) -> JSON text into out.  Returns 0 when
 * every step succeeded. */
static int json_round(const char *text, size_t len, hq_buf *out, bool first)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    hq_err err = {0};
    int rc = hq_json_to_mp("input", text, len, &pk, &err);
    if (first)
        hq_fuzz_note("  json: %s", rc == 0 ? "parsed" : err.msg);
    if (rc != 0) {
        HQ_FUZZ_CHECK(err.msg[0], "refused with no reason");
        HQ_FUZZ_CHECK(first, "hq_json_from_mp wrote JSON that hq_json_to_mp refuses: %s\n%.*s", err.msg,
                      (int)len, text);
        msgpack_sbuffer_destroy(&sb);
        return rc;
    }
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object o;
    /* The YAML depth limit (64) is above msgpack's (at most 32): deep JSON
     * is packed but refused by the decoder, as an event would be. */
    static const hq_mp_limits lim = {.max_depth = 32, .max_objects = 1u << 20, .allow_bin_ext = false};
    rc = hq_mp_decode(sb.data, sb.size, &lim, &zone, &o, &err);
    if (rc == 0 && longest_key(&o) > 1024)
        rc = HQ_ELIMIT;
    if (rc == 0)
        hq_json_from_mp(out, &o);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

/* a with every "-0" number token (not inside a string) written as "0". */
static void drop_negative_zero(const hq_buf *a, hq_buf *out)
{
    bool in_str = false;
    for (size_t i = 0; i < a->len; i++) {
        char c = a->data[i];
        if (in_str) {
            if (c == '\\' && i + 1 < a->len) {
                hq_buf_putc(out, c);
                c = a->data[++i];
            } else if (c == '"') {
                in_str = false;
            }
        } else if (c == '"') {
            in_str = true;
        } else if (c == '-' && i + 1 < a->len && a->data[i + 1] == '0' &&
                   (i + 2 == a->len || strchr(",]}", a->data[i + 2]))) {
            continue;
        }
        hq_buf_putc(out, c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hq_buf a, b;
    hq_buf_init(&a);
    hq_buf_init(&b);
    if (json_round((const char *)data, size, &a, true) == 0 && json_round(a.data, a.len, &b, false) == 0) {
        hq_buf a0;
        hq_buf_init(&a0);
        drop_negative_zero(&a, &a0);
        HQ_FUZZ_CHECK(a0.len == b.len && memcmp(a0.data, b.data, a0.len) == 0,
                      "round trip not stable:\n  first:  %s\n  second: %s", a.data, b.data);
        hq_buf_fini(&a0);
    }
    hq_buf_fini(&a);
    hq_buf_fini(&b);
    return 0;
}
