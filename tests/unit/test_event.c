/* test_event.c - the event envelope (lib/event.c), as a specification.
 *
 * One ingest frame is one msgpack map {id, type, source, ts, data}
 * (SPEC §2).  Every way an envelope can be wrong has its exact error text:
 * it is what the producer reads in its "rejected" reply.  The id is read
 * first, so that a rejection can still name the event.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "event.h"
#include "hq_test.h"

/* ---- frame builder: the standard envelope with one key changed ---- */

typedef enum { V_OMIT, V_STR, V_INT, V_UINT, V_NIL, V_FLOAT, V_ARRAY, V_DATA } vkind;

typedef struct ent {
    const char *key;
    vkind kind;
    const char *s;
    int64_t i;
} ent;

/* sensor.reading with its required fields. */
static void pack_data(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 5);
    hq_test_pack_str(pk, "sensor");
    hq_test_pack_str(pk, "cs-001");
    hq_test_pack_str(pk, "kind");
    hq_test_pack_str(pk, "cold_storage_temp");
    hq_test_pack_str(pk, "value");
    msgpack_pack_double(pk, 9.5);
    hq_test_pack_str(pk, "unit");
    hq_test_pack_str(pk, "C");
    hq_test_pack_str(pk, "site");
    hq_test_pack_str(pk, "canteen-1");
}

static void pack_value(msgpack_packer *pk, const ent *e)
{
    switch (e->kind) {
    case V_STR: hq_test_pack_str(pk, e->s); break;
    case V_INT: msgpack_pack_int64(pk, e->i); break;
    case V_UINT: msgpack_pack_uint64(pk, (uint64_t)e->i); break;
    case V_NIL: msgpack_pack_nil(pk); break;
    case V_FLOAT: msgpack_pack_double(pk, (double)e->i); break;
    case V_ARRAY: msgpack_pack_array(pk, 0); break;
    case V_DATA: pack_data(pk); break;
    case V_OMIT: break;
    }
}

/* Packs the standard envelope into sb, with `change` (if any) replacing
 * the entry of its key, removing it (V_OMIT), or added at the end. */
static void pack_frame(msgpack_sbuffer *sb, const ent *change)
{
    ent e[6] = {
        {"id", V_STR, "e-1", 0},
        {"type", V_STR, "sensor.reading", 0},
        {"source", V_STR, "gw-1", 0},
        {"ts", V_UINT, NULL, 1700000000000LL},
        {"data", V_DATA, NULL, 0},
    };
    size_t n = 5;
    if (change) {
        size_t k;
        for (k = 0; k < n && strcmp(e[k].key, change->key) != 0; k++)
            ;
        e[k] = *change;
        if (k == n)
            n++;
    }
    size_t count = 0;
    for (size_t k = 0; k < n; k++)
        count += e[k].kind != V_OMIT;
    msgpack_sbuffer_clear(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, count);
    for (size_t k = 0; k < n; k++) {
        if (e[k].kind == V_OMIT)
            continue;
        hq_test_pack_str(&pk, e[k].key);
        pack_value(&pk, &e[k]);
    }
}

typedef struct fixture {
    hq_schemas *schemas;
    msgpack_sbuffer sb;
    msgpack_zone zone;
    hq_event ev;
    hq_err err;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    hq_diags d;
    hq_diags_init(&d);
    if (!f || hq_schemas_load_dir(hq_test_env("HQ_TEST_SCHEMAS"), &f->schemas, &d) != 0)
        return -1;
    hq_diags_fini(&d);
    msgpack_sbuffer_init(&f->sb);
    msgpack_zone_init(&f->zone, 4096);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    msgpack_zone_destroy(&f->zone);
    msgpack_sbuffer_destroy(&f->sb);
    hq_schemas_destroy(&f->schemas);
    free(f);
    return 0;
}

static int decode(fixture *f, const char *buf, size_t len, const hq_event_limits *lim)
{
    msgpack_zone_clear(&f->zone);
    memset(&f->err, 0, sizeof f->err);
    return hq_event_decode(buf, len, lim, f->schemas, &f->zone, &f->ev, &f->err);
}

/* The standard frame with one change must be rejected with exactly msg. */
static void expect_change(fixture *f, ent change, const char *msg)
{
    pack_frame(&f->sb, &change);
    int rc = decode(f, f->sb.data, f->sb.size, NULL);
    if (!msg) {
        if (rc != 0)
            fail_msg("%s: rejected: %s", change.key, f->err.msg);
        return;
    }
    assert_int_equal(rc, HQ_EINVAL);
    assert_int_equal(f->err.code, HQ_EINVAL);
    assert_string_equal(f->err.msg, msg);
}

/* ---- tests ---- */

static void test_valid_event_is_decoded_as_views(void **state)
{
    fixture *f = *state;
    pack_frame(&f->sb, NULL);
    assert_int_equal(decode(f, f->sb.data, f->sb.size, NULL), 0);
    hq_event *ev = &f->ev;
    assert_ptr_equal(ev->raw, f->sb.data);
    assert_int_equal(ev->raw_len, f->sb.size);
    assert_int_equal(ev->id_len, 3);
    assert_memory_equal(ev->id, "e-1", 3);
    assert_int_equal(ev->type_len, 14);
    assert_memory_equal(ev->type, "sensor.reading", 14);
    assert_int_equal(ev->source_len, 4);
    assert_memory_equal(ev->source, "gw-1", 4);
    assert_int_equal(ev->ts_ms, 1700000000000LL);
    assert_non_null(ev->schema);
    assert_string_equal(ev->schema->type, "sensor.reading");
    assert_int_equal(ev->root->type, MSGPACK_OBJECT_MAP);
    assert_int_equal(ev->data->type, MSGPACK_OBJECT_MAP);
    assert_true(hq_mp_str_eq(hq_mp_map_get(ev->data, "site"), "canteen-1"));
    /* Views into the frame. */
    assert_true(ev->id >= f->sb.data && ev->id < f->sb.data + f->sb.size);

    /* The keys may come in any order. */
    msgpack_sbuffer_clear(&f->sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &f->sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    hq_test_pack_str(&pk, "data");
    pack_data(&pk);
    hq_test_pack_str(&pk, "ts");
    msgpack_pack_uint64(&pk, 5);
    hq_test_pack_str(&pk, "source");
    hq_test_pack_str(&pk, "gw-1");
    hq_test_pack_str(&pk, "type");
    hq_test_pack_str(&pk, "sensor.reading");
    hq_test_pack_str(&pk, "id");
    hq_test_pack_str(&pk, "e-2");
    assert_int_equal(decode(f, f->sb.data, f->sb.size, NULL), 0);
    assert_memory_equal(f->ev.id, "e-2", 3);
    assert_int_equal(f->ev.ts_ms, 5);
}

static void test_malformed_frames(void **state)
{
    fixture *f = *state;
    pack_frame(&f->sb, NULL);
    /* The last string ("canteen-1") loses 3 of its 9 bytes. */
    char want[100];
    snprintf(want, sizeof want, "malformed msgpack: truncated at byte %zu", f->sb.size - 3);
    assert_int_equal(decode(f, f->sb.data, f->sb.size - 3, NULL), HQ_EINVAL);
    assert_string_equal(f->err.msg, want);
    assert_null(f->ev.id); /* no id could be read */
    assert_int_equal(decode(f, f->sb.data, 7, NULL), HQ_EINVAL);
    assert_string_equal(f->err.msg, "malformed msgpack: container declares 10 objects but 6 bytes are left");
    assert_int_equal(decode(f, "", 0, NULL), HQ_EINVAL);
    assert_string_equal(f->err.msg, "malformed msgpack: empty message");
    assert_int_equal(decode(f, "\xdd\xff\xff\xff\xff", 5, NULL), HQ_EINVAL);
    assert_string_equal(f->err.msg, "malformed msgpack: container declares 4294967295 objects but 0 bytes are left");
    /* A JSON producer by mistake. */
    const char *json = "{\"id\": \"e-1\"}";
    assert_int_equal(decode(f, json, strlen(json), NULL), HQ_EINVAL);
    assert_string_equal(f->err.msg, "malformed msgpack: 12 trailing bytes after the message");
}

static void test_not_a_map(void **state)
{
    fixture *f = *state;
    assert_int_equal(decode(f, "\x93\x01\x02\x03", 4, NULL), HQ_EINVAL);
    assert_string_equal(f->err.msg, "event is not a map");
    assert_int_equal(decode(f, "\x2a", 1, NULL), HQ_EINVAL);
    assert_string_equal(f->err.msg, "event is not a map");
    assert_int_equal(decode(f, "\xa3" "e-1", 4, NULL), HQ_EINVAL);
    assert_string_equal(f->err.msg, "event is not a map");
}

static void test_id_errors(void **state)
{
    fixture *f = *state;
    expect_change(f, (ent){"id", V_OMIT, NULL, 0}, "id: missing");
    expect_change(f, (ent){"id", V_INT, NULL, 42}, "id: expected a string");
    expect_change(f, (ent){"id", V_NIL, NULL, 0}, "id: expected a string");
    expect_change(f, (ent){"id", V_STR, "", 0}, "id: must be 1 to 64 bytes long, got 0");
    char id[80];
    memset(id, 'a', sizeof id);
    id[64] = '\0';
    expect_change(f, (ent){"id", V_STR, id, 0}, NULL);
    id[64] = 'a';
    id[65] = '\0';
    expect_change(f, (ent){"id", V_STR, id, 0}, "id: must be 1 to 64 bytes long, got 65");
    static const char *const bad[] = {"a b", "a/b", "e\xc3\xa9", "a\"b", "a\nb", "a,b", "a+b", "a@b", NULL};
    for (const char *const *p = bad; *p; p++)
        expect_change(f, (ent){"id", V_STR, *p, 0}, "id: only letters, digits and . _ : - are allowed");
    expect_change(f, (ent){"id", V_STR, "AZaz09._:-", 0}, NULL);
    expect_change(f, (ent){"id", V_STR, "018f3e5c-7a1b-7c2d-8e3f-0123456789ab", 0}, NULL);
}

static void test_unknown_envelope_key(void **state)
{
    fixture *f = *state;
    expect_change(f, (ent){"foo", V_INT, NULL, 1}, "foo: unknown envelope key (expected id, type, source, ts, data)");
    assert_memory_equal(f->ev.id, "e-1", 3); /* the reply can name the event */
    expect_change(f, (ent){"Data", V_INT, NULL, 1}, "Data: unknown envelope key (expected id, type, source, ts, data)");
    /* A long key is quoted up to 64 bytes, on a character boundary. */
    char key[200] = "";
    for (int i = 0; i < 30; i++)
        strcat(key, "\xe5\x86\xb7");
    char want[300];
    snprintf(want, sizeof want, "%.*s...: unknown envelope key (expected id, type, source, ts, data)", 63, key);
    expect_change(f, (ent){key, V_INT, NULL, 1}, want);
    /* The id is checked before the other keys. */
    msgpack_sbuffer_clear(&f->sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &f->sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    hq_test_pack_str(&pk, "foo");
    msgpack_pack_int(&pk, 1);
    assert_int_equal(decode(f, f->sb.data, f->sb.size, NULL), HQ_EINVAL);
    assert_string_equal(f->err.msg, "id: missing");
}

static void test_duplicate_envelope_key(void **state)
{
    fixture *f = *state;
    /* Two "source" keys: the validator and the store must never read
     * different ones, so the frame is refused. */
    msgpack_sbuffer_clear(&f->sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &f->sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 6);
    hq_test_pack_str(&pk, "id");
    hq_test_pack_str(&pk, "e-1");
    hq_test_pack_str(&pk, "type");
    hq_test_pack_str(&pk, "sensor.reading");
    hq_test_pack_str(&pk, "source");
    hq_test_pack_str(&pk, "gw-1");
    hq_test_pack_str(&pk, "ts");
    msgpack_pack_uint64(&pk, 1);
    hq_test_pack_str(&pk, "data");
    pack_data(&pk);
    hq_test_pack_str(&pk, "source");
    hq_test_pack_str(&pk, "gw-2");
    assert_int_equal(decode(f, f->sb.data, f->sb.size, NULL), HQ_EINVAL);
    assert_string_equal(f->err.msg, "duplicate map key \"source\"");
}

static void test_source_errors(void **state)
{
    fixture *f = *state;
    const char *len_msg = "source: must be 1 to 128 bytes of letters, digits and . _ : -";
    expect_change(f, (ent){"source", V_OMIT, NULL, 0}, "source: missing");
    expect_change(f, (ent){"source", V_INT, NULL, 7}, "source: expected a string");
    expect_change(f, (ent){"source", V_STR, "", 0}, len_msg);
    expect_change(f, (ent){"source", V_STR, "gw 1", 0}, len_msg);
    char src[140];
    memset(src, 's', sizeof src);
    src[128] = '\0';
    expect_change(f, (ent){"source", V_STR, src, 0}, NULL);
    src[128] = 's';
    src[129] = '\0';
    expect_change(f, (ent){"source", V_STR, src, 0}, len_msg);
}

static void test_ts_errors(void **state)
{
    fixture *f = *state;
    const char *msg = "ts: expected a non-negative integer (ms since the epoch)";
    expect_change(f, (ent){"ts", V_OMIT, NULL, 0}, "ts: missing");
    expect_change(f, (ent){"ts", V_STR, "1700000000000", 0}, msg);
    expect_change(f, (ent){"ts", V_INT, NULL, -1}, msg);
    expect_change(f, (ent){"ts", V_FLOAT, NULL, 1700000000000LL}, msg);
    expect_change(f, (ent){"ts", V_NIL, NULL, 0}, msg);
    expect_change(f, (ent){"ts", V_UINT, NULL, (int64_t)0x8000000000000000ULL}, msg);
    expect_change(f, (ent){"ts", V_UINT, NULL, 0}, NULL);
    expect_change(f, (ent){"ts", V_UINT, NULL, INT64_MAX}, NULL);
    assert_int_equal(f->ev.ts_ms, INT64_MAX);
}

static void test_type_errors(void **state)
{
    fixture *f = *state;
    expect_change(f, (ent){"type", V_OMIT, NULL, 0}, "type: missing");
    expect_change(f, (ent){"type", V_INT, NULL, 1}, "type: expected a string");
    expect_change(f, (ent){"type", V_STR, "sensor.readings", 0}, "type: unknown event type \"sensor.readings\"");
    assert_memory_equal(f->ev.id, "e-1", 3);
    assert_memory_equal(f->ev.source, "gw-1", 4);
    expect_change(f, (ent){"type", V_STR, "", 0}, "type: unknown event type \"\"");
    char type[200] = "";
    for (int i = 0; i < 30; i++)
        strcat(type, "\xe5\x86\xb7");
    char want[300];
    snprintf(want, sizeof want, "type: unknown event type \"%.*s...\"", 63, type);
    expect_change(f, (ent){"type", V_STR, type, 0}, want);
}

static void test_data_errors(void **state)
{
    fixture *f = *state;
    expect_change(f, (ent){"data", V_OMIT, NULL, 0}, "data: missing");
    expect_change(f, (ent){"data", V_ARRAY, NULL, 0}, "data: expected a map");
    expect_change(f, (ent){"data", V_NIL, NULL, 0}, "data: expected a map");
    expect_change(f, (ent){"data", V_STR, "{}", 0}, "data: expected a map");

    /* A schema violation comes back with its path. */
    msgpack_sbuffer_clear(&f->sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &f->sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    hq_test_pack_str(&pk, "id");
    hq_test_pack_str(&pk, "e-1");
    hq_test_pack_str(&pk, "type");
    hq_test_pack_str(&pk, "sensor.reading");
    hq_test_pack_str(&pk, "source");
    hq_test_pack_str(&pk, "gw-1");
    hq_test_pack_str(&pk, "ts");
    msgpack_pack_uint64(&pk, 1);
    hq_test_pack_str(&pk, "data");
    msgpack_pack_map(&pk, 4);
    hq_test_pack_str(&pk, "sensor");
    hq_test_pack_str(&pk, "cs-001");
    hq_test_pack_str(&pk, "kind");
    hq_test_pack_str(&pk, "cold_storage_temp");
    hq_test_pack_str(&pk, "unit");
    hq_test_pack_str(&pk, "C");
    hq_test_pack_str(&pk, "site");
    hq_test_pack_str(&pk, "canteen-1");
    assert_int_equal(decode(f, f->sb.data, f->sb.size, NULL), HQ_EINVAL);
    assert_string_equal(f->err.msg, "data.value: missing required field");
    assert_memory_equal(f->ev.id, "e-1", 3);
}

static void test_oversized_frames(void **state)
{
    fixture *f = *state;
    assert_int_equal(hq_event_default_limits.max_bytes, 65536);
    char *big = calloc(1, 70000);
    assert_non_null(big);
    assert_int_equal(decode(f, big, 70000, NULL), HQ_EINVAL);
    assert_string_equal(f->err.msg, "message too large: 70000 bytes, the limit is 65536");
    free(big);
    /* The limit is inclusive and configurable. */
    pack_frame(&f->sb, NULL);
    hq_event_limits lim = hq_event_default_limits;
    lim.max_bytes = f->sb.size;
    assert_int_equal(decode(f, f->sb.data, f->sb.size, &lim), 0);
    lim.max_bytes = f->sb.size - 1;
    assert_int_equal(decode(f, f->sb.data, f->sb.size, &lim), HQ_EINVAL);
    char want[100];
    snprintf(want, sizeof want, "message too large: %zu bytes, the limit is %zu", f->sb.size, f->sb.size - 1);
    assert_string_equal(f->err.msg, want);
}

static void test_deep_nesting(void **state)
{
    fixture *f = *state;
    /* The envelope is level 1 and data level 2: 9 more levels inside data
     * make 11, one more than the default limit. */
    msgpack_sbuffer_clear(&f->sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &f->sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    hq_test_pack_str(&pk, "id");
    hq_test_pack_str(&pk, "e-1");
    hq_test_pack_str(&pk, "type");
    hq_test_pack_str(&pk, "sensor.reading");
    hq_test_pack_str(&pk, "source");
    hq_test_pack_str(&pk, "gw-1");
    hq_test_pack_str(&pk, "ts");
    msgpack_pack_uint64(&pk, 1);
    hq_test_pack_str(&pk, "data");
    msgpack_pack_map(&pk, 1);
    hq_test_pack_str(&pk, "x");
    for (int i = 0; i < 9; i++)
        msgpack_pack_array(&pk, 1);
    msgpack_pack_int(&pk, 1);
    assert_int_equal(decode(f, f->sb.data, f->sb.size, NULL), HQ_EINVAL);
    assert_string_equal(f->err.msg, "nesting deeper than 10 levels");
}

static void test_ident_rules(void **state)
{
    (void)state;
    assert_true(hq_event_ident_ok("a", 1, 64));
    assert_true(hq_event_ident_ok("a.b_c:d-e", 9, 64));
    assert_false(hq_event_ident_ok("", 0, 64));
    assert_false(hq_event_ident_ok("abc", 3, 2));
    assert_true(hq_event_ident_ok("abc", 3, 3));
    /* The length says where it ends: an embedded NUL is a bad character. */
    assert_false(hq_event_ident_ok("a\0b", 3, 64));
    assert_false(hq_event_ident_ok("a b", 3, 64));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_event_is_decoded_as_views),
        cmocka_unit_test(test_malformed_frames),
        cmocka_unit_test(test_not_a_map),
        cmocka_unit_test(test_id_errors),
        cmocka_unit_test(test_unknown_envelope_key),
        cmocka_unit_test(test_duplicate_envelope_key),
        cmocka_unit_test(test_source_errors),
        cmocka_unit_test(test_ts_errors),
        cmocka_unit_test(test_type_errors),
        cmocka_unit_test(test_data_errors),
        cmocka_unit_test(test_oversized_frames),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_ident_rules),
    };
    return cmocka_run_group_tests_name("event", tests, setup, teardown);
}
