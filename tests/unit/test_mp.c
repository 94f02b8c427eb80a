/* test_mp.c - the safe msgpack decoder (lib/mp.c), as a specification.
 *
 * Every frame an attacker can send is either rejected with a reason fit for
 * a "rejected" reply, or decoded into an object that has unique string keys,
 * valid UTF-8 and finite numbers.  The hostile frames of
 * research/reliability-hazards.md §4.1 are here byte for byte: none of them
 * may reach msgpack-c's allocator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hq_test.h"
#include "mp.h"

/* ---- helpers ---- */

/* Expects buf to be refused by both the prescan and the full decode, with
 * exactly msg. */
static void expect_prescan_reject(const void *buf, size_t len, const hq_mp_limits *lim, const char *msg)
{
    hq_err err = {0};
    if (!lim)
        lim = &hq_mp_default_limits;
    assert_int_equal(hq_mp_prescan(buf, len, lim, &err), HQ_EINVAL);
    assert_int_equal(err.code, HQ_EINVAL);
    assert_string_equal(err.msg, msg);

    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object o;
    memset(&err, 0, sizeof err);
    assert_int_equal(hq_mp_decode(buf, len, lim, &zone, &o, &err), HQ_EINVAL);
    assert_string_equal(err.msg, msg);
    msgpack_zone_destroy(&zone);
}

/* Expects buf to pass the prescan (it is well-formed msgpack) but to be
 * refused by the checks after unpacking, with exactly msg. */
static void expect_decode_reject(const void *buf, size_t len, const char *msg)
{
    hq_err err = {0};
    assert_int_equal(hq_mp_prescan(buf, len, &hq_mp_default_limits, &err), 0);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object o;
    assert_int_equal(hq_mp_decode(buf, len, &hq_mp_default_limits, &zone, &o, &err), HQ_EINVAL);
    assert_int_equal(err.code, HQ_EINVAL);
    assert_string_equal(err.msg, msg);
    msgpack_zone_destroy(&zone);
}

static void expect_decode_ok(const void *buf, size_t len, const hq_mp_limits *lim)
{
    hq_err err = {0};
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object o;
    int rc = hq_mp_decode(buf, len, lim ? lim : &hq_mp_default_limits, &zone, &o, &err);
    if (rc != 0)
        fail_msg("decode failed: %s", err.msg);
    msgpack_zone_destroy(&zone);
}

#define BYTES(...) ((const unsigned char[]){__VA_ARGS__}), sizeof((const unsigned char[]){__VA_ARGS__})

/* n nested fixarrays of one element around an int (n >= 0); returns len.
 * With empty_inner the innermost array is empty instead. */
static size_t nested_arrays(unsigned char *buf, unsigned n, bool empty_inner)
{
    size_t len = 0;
    for (unsigned i = 0; i < n; i++)
        buf[len++] = (empty_inner && i + 1 == n) ? 0x90 : 0x91;
    if (!empty_inner || n == 0)
        buf[len++] = 0x01;
    return len;
}

/* ---- structural rejections (the prescan) ---- */

static void test_empty_frame_is_rejected(void **state)
{
    (void)state;
    expect_prescan_reject("", 0, NULL, "malformed msgpack: empty message");
}

static void test_map_missing_elements_is_truncated(void **state)
{
    (void)state;
    /* {"a": 1, "b": 2, <third pair missing>}: the count fits in the bytes,
     * the elements are not there. */
    expect_prescan_reject(BYTES(0x83, 0xa1, 'a', 0x01, 0xa1, 'b', 0x02), NULL,
                          "malformed msgpack: truncated at byte 7");
    /* A key without its value. */
    expect_prescan_reject(BYTES(0x81, 0xa1, 'a'), NULL, "malformed msgpack: truncated at byte 3");
    expect_prescan_reject(BYTES(0x82, 0xa1, 'a', 0x01, 0xa1), NULL, "malformed msgpack: truncated at byte 5");
}

static void test_count_beyond_the_bytes_left_is_rejected(void **state)
{
    (void)state;
    /* A map of 2 pairs needs 4 objects; only 3 bytes follow. */
    expect_prescan_reject(BYTES(0x82, 0xa1, 'a', 0x01), NULL,
                          "malformed msgpack: container declares 4 objects but 3 bytes are left");
    expect_prescan_reject(BYTES(0x93, 0x01, 0x02), NULL,
                          "malformed msgpack: container declares 3 objects but 2 bytes are left");
}

static void test_truncated_strings_and_numbers_are_rejected(void **state)
{
    (void)state;
    expect_prescan_reject(BYTES(0xa5, 'h', 'e'), NULL, "malformed msgpack: truncated at byte 3");
    expect_prescan_reject(BYTES(0xd9), NULL, "malformed msgpack: truncated at byte 1");
    expect_prescan_reject(BYTES(0xd9, 0x05, 'a'), NULL, "malformed msgpack: truncated at byte 3");
    expect_prescan_reject(BYTES(0xda, 0x00), NULL, "malformed msgpack: truncated at byte 1");
    expect_prescan_reject(BYTES(0xdb, 0xff, 0xff, 0xff, 0xff, 'x'), NULL, "malformed msgpack: truncated at byte 6");
    expect_prescan_reject(BYTES(0xcb, 0x40, 0x09), NULL, "malformed msgpack: truncated at byte 3");
    expect_prescan_reject(BYTES(0xcf, 0x00), NULL, "malformed msgpack: truncated at byte 2");
    expect_prescan_reject(BYTES(0xdc, 0x00), NULL, "malformed msgpack: truncated at byte 1");
    expect_prescan_reject(BYTES(0x91), NULL, "malformed msgpack: container declares 1 objects but 0 bytes are left");
}

static void test_trailing_bytes_are_rejected(void **state)
{
    (void)state;
    /* msgpack-c would return SUCCESS with off < len: one object, then junk. */
    expect_prescan_reject(BYTES(0x01, 0x02), NULL, "malformed msgpack: 1 trailing byte after the message");
    expect_prescan_reject(BYTES(0x80, 0x80, 0x80), NULL, "malformed msgpack: 2 trailing bytes after the message");
    expect_prescan_reject(BYTES(0x81, 0xa1, 'a', 0x01, 0x00), NULL,
                          "malformed msgpack: 1 trailing byte after the message");
}

static void test_reserved_byte_c1_is_rejected(void **state)
{
    (void)state;
    expect_prescan_reject(BYTES(0xc1), NULL, "malformed msgpack: reserved byte 0xc1 at byte 0");
    expect_prescan_reject(BYTES(0x92, 0x01, 0xc1), NULL, "malformed msgpack: reserved byte 0xc1 at byte 2");
}

/* msgpack/msgpack-c#1013: 5 bytes that ask msgpack-c for tens of GiB. */
static void test_hostile_5_byte_headers_are_rejected(void **state)
{
    (void)state;
    expect_prescan_reject(BYTES(0xdd, 0xff, 0xff, 0xff, 0xff), NULL,
                          "malformed msgpack: container declares 4294967295 objects but 0 bytes are left");
    /* libFuzzer: out-of-memory (malloc(4294967304)). */
    expect_prescan_reject(BYTES(0xdd, 0x08, 0x00, 0x00, 0x00), NULL,
                          "malformed msgpack: container declares 134217728 objects but 0 bytes are left");
    /* A map: two objects per declared pair. */
    expect_prescan_reject(BYTES(0xdf, 0xff, 0xff, 0xff, 0xff), NULL,
                          "malformed msgpack: container declares 8589934590 objects but 0 bytes are left");
    /* 2^26 elements: msgpack-c lazily allocates ~1.5 GiB and says CONTINUE. */
    expect_prescan_reject(BYTES(0xdd, 0x04, 0x00, 0x00, 0x00), NULL,
                          "malformed msgpack: container declares 67108864 objects but 0 bytes are left");
    expect_prescan_reject(BYTES(0xdc, 0xff, 0xff, 0x01), NULL,
                          "malformed msgpack: container declares 65535 objects but 1 bytes are left");
}

static void test_32_nested_array32_headers_are_rejected(void **state)
{
    (void)state;
    /* 161 bytes that make msgpack-c reserve ~12.9 GB of address space. */
    unsigned char buf[32 * 5 + 1];
    for (int i = 0; i < 32; i++)
        memcpy(buf + 5 * i, (const unsigned char[]){0xdd, 0x01, 0x00, 0x00, 0x00}, 5);
    buf[160] = 0x01;
    expect_prescan_reject(buf, sizeof buf, NULL,
                          "malformed msgpack: container declares 16777216 objects but 156 bytes are left");
}

static void test_22_map32_bytes_and_c1_are_rejected(void **state)
{
    (void)state;
    /* The libFuzzer crash input: "allocator is out of memory trying to
     * allocate 0x4000000008 bytes". */
    unsigned char buf[23];
    memset(buf, 0xdf, 22);
    buf[22] = 0xc1;
    char msg[200];
    snprintf(msg, sizeof msg, "malformed msgpack: container declares %llu objects but 18 bytes are left",
             0xdfdfdfdfULL * 2);
    expect_prescan_reject(buf, sizeof buf, NULL, msg);
}

static void test_nesting_deeper_than_the_limit_is_rejected(void **state)
{
    (void)state;
    unsigned char buf[128];
    /* The default limit is 10 levels: the envelope, data, 8 inside. */
    assert_int_equal(hq_mp_default_limits.max_depth, 10);
    expect_decode_ok(buf, nested_arrays(buf, 10, false), NULL);
    expect_prescan_reject(buf, nested_arrays(buf, 11, false), NULL, "nesting deeper than 10 levels");
    /* An empty container is a level too. */
    expect_decode_ok(buf, nested_arrays(buf, 10, true), NULL);
    expect_prescan_reject(buf, nested_arrays(buf, 11, true), NULL, "nesting deeper than 10 levels");

    hq_mp_limits three = {.max_depth = 3, .max_objects = 100};
    expect_decode_ok(buf, nested_arrays(buf, 3, false), &three);
    expect_prescan_reject(buf, nested_arrays(buf, 4, false), &three, "nesting deeper than 3 levels");
    /* Maps count like arrays: {"a": {"b": {"c": {}}}}. */
    expect_prescan_reject(BYTES(0x81, 0xa1, 'a', 0x81, 0xa1, 'b', 0x81, 0xa1, 'c', 0x80), &three,
                          "nesting deeper than 3 levels");
    /* Scalars at depth 0 need no container at all. */
    hq_mp_limits zero = {.max_depth = 0, .max_objects = 100};
    expect_decode_ok(BYTES(0x2a), &zero);
    expect_prescan_reject(BYTES(0x90), &zero, "nesting deeper than 0 levels");
}

static void test_depth_is_capped_at_msgpack_c_stack(void **state)
{
    (void)state;
    /* msgpack-c fails depth 33 with NOMEM: whatever the caller asks, the
     * prescan refuses it first, as bad input, not as out of memory. */
    hq_mp_limits deep = {.max_depth = 1000, .max_objects = 1000};
    unsigned char buf[64];
    expect_decode_ok(buf, nested_arrays(buf, 32, false), &deep);
    expect_prescan_reject(buf, nested_arrays(buf, 33, false), &deep, "nesting deeper than 32 levels");
}

static void test_object_count_over_the_limit_is_rejected(void **state)
{
    (void)state;
    hq_mp_limits five = {.max_depth = 10, .max_objects = 5};
    /* The array itself is one object. */
    expect_decode_ok(BYTES(0x94, 0x01, 0x02, 0x03, 0x04), &five);
    expect_prescan_reject(BYTES(0x95, 0x01, 0x02, 0x03, 0x04, 0x05), &five, "message has more than 5 objects");
    /* A map pair is two objects: 1 + 2 + 2 = 5. */
    expect_decode_ok(BYTES(0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0x02), &five);
    expect_prescan_reject(BYTES(0x82, 0xa1, 'a', 0x91, 0x01, 0xa1, 'b', 0x02), &five,
                          "message has more than 5 objects");
}

static void test_bin_and_ext_are_refused(void **state)
{
    (void)state;
    expect_prescan_reject(BYTES(0xc4, 0x01, 0x00), NULL, "msgpack bin type not accepted at byte 0");
    expect_prescan_reject(BYTES(0x91, 0xc5, 0x00, 0x01, 0x00), NULL, "msgpack bin type not accepted at byte 1");
    expect_prescan_reject(BYTES(0xc6, 0x00, 0x00, 0x00, 0x00), NULL, "msgpack bin type not accepted at byte 0");
    expect_prescan_reject(BYTES(0xd4, 0x01, 0x00), NULL, "msgpack ext type not accepted at byte 0");
    /* The timestamp extension (type -1) is an ext too. */
    expect_prescan_reject(BYTES(0xd6, 0xff, 0x00, 0x00, 0x00, 0x00), NULL, "msgpack ext type not accepted at byte 0");
    expect_prescan_reject(BYTES(0xc7, 0x01, 0x05, 0x00), NULL, "msgpack ext type not accepted at byte 0");
    expect_prescan_reject(BYTES(0xc9, 0x00, 0x00, 0x00, 0x01, 0x05, 0x00), NULL,
                          "msgpack ext type not accepted at byte 0");
    /* A huge declared ext length is refused before anything is read. */
    expect_prescan_reject(BYTES(0xc9, 0xff, 0xff, 0xff, 0xff, 0x05), NULL, "msgpack ext type not accepted at byte 0");
}

static void test_bin_and_ext_when_allowed(void **state)
{
    (void)state;
    hq_mp_limits lim = hq_mp_default_limits;
    lim.allow_bin_ext = true;
    expect_decode_ok(BYTES(0x92, 0xc4, 0x02, 0xc1, 0xc1, 0xd4, 0x01, 0xc1), &lim);
    expect_decode_ok(BYTES(0xc7, 0x02, 0x05, 0x00, 0x00), &lim);
    /* Allowed, but still bounded by the bytes there are. */
    expect_prescan_reject(BYTES(0xc4, 0x05, 0x00), &lim, "malformed msgpack: truncated at byte 3");
    expect_prescan_reject(BYTES(0xc9, 0xff, 0xff, 0xff, 0xff, 0x05), &lim, "malformed msgpack: truncated at byte 6");
    expect_prescan_reject(BYTES(0xd8, 0x01, 0x00), &lim, "malformed msgpack: truncated at byte 3");
}

/* ---- semantic rejections (after unpacking) ---- */

static void test_duplicate_keys_in_a_small_map_are_rejected(void **state)
{
    (void)state;
    expect_decode_reject(BYTES(0x83, 0xa1, 'a', 0x01, 0xa1, 'b', 0x02, 0xa1, 'a', 0x03), "duplicate map key \"a\"");
    /* Inside an array inside a map. */
    expect_decode_reject(BYTES(0x81, 0xa1, 'x', 0x91, 0x82, 0xa2, 'i', 'd', 0x01, 0xa2, 'i', 'd', 0x02),
                         "duplicate map key \"id\"");
    /* Keys that share a prefix are different keys. */
    expect_decode_ok(BYTES(0x83, 0xa1, 'a', 0x01, 0xa2, 'a', 'b', 0x02, 0xa0, 0x03), NULL);
}

static void pack_keys(msgpack_sbuffer *sb, unsigned n, int dup_of)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, n);
    for (unsigned i = 0; i < n; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%u", (dup_of >= 0 && i == n - 1) ? (unsigned)dup_of : i);
        hq_test_pack_str(&pk, k);
        msgpack_pack_int(&pk, (int)i);
    }
}

static void test_duplicate_keys_in_a_large_map_are_rejected(void **state)
{
    (void)state;
    /* More than 16 keys takes the sorted path. */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    pack_keys(&sb, 40, 5);
    expect_decode_reject(sb.data, sb.size, "duplicate map key \"k5\"");
    msgpack_sbuffer_clear(&sb);
    pack_keys(&sb, 17, 16 - 1);
    expect_decode_reject(sb.data, sb.size, "duplicate map key \"k15\"");
    msgpack_sbuffer_clear(&sb);
    /* k1, k10..k19: prefixes of one another, all distinct. */
    pack_keys(&sb, 40, -1);
    expect_decode_ok(sb.data, sb.size, NULL);
    msgpack_sbuffer_destroy(&sb);
}

static void test_non_string_keys_are_rejected(void **state)
{
    (void)state;
    expect_decode_reject(BYTES(0x81, 0x01, 0x02), "map key is not a string");
    expect_decode_reject(BYTES(0x81, 0xc0, 0x02), "map key is not a string");
    expect_decode_reject(BYTES(0x81, 0x90, 0x02), "map key is not a string");
    expect_decode_reject(BYTES(0x81, 0xa1, 'a', 0x81, 0xc3, 0x01), "map key is not a string");
}

static void test_invalid_utf8_is_rejected(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        unsigned char s[4];
        size_t n;
    } bad[] = {
        {"overlong NUL", {0xc0, 0x80}, 2},
        {"overlong 2-byte", {0xc1, 0xbf}, 2},
        {"overlong 3-byte '/'", {0xe0, 0x80, 0xaf}, 3},
        {"overlong 4-byte", {0xf0, 0x8f, 0xbf, 0xbf}, 4},
        {"surrogate U+D800", {0xed, 0xa0, 0x80}, 3},
        {"surrogate U+DFFF", {0xed, 0xbf, 0xbf}, 3},
        {"truncated sequence at the end", {'a', 0xe4, 0xb8}, 3},
        {"bad continuation", {0xe4, 0xb8, 'A'}, 3},
        {"above U+10FFFF", {0xf4, 0x90, 0x80, 0x80}, 4},
        {"lead byte 0xf5", {0xf5, 0x80, 0x80, 0x80}, 4},
        {"byte 0xff", {0xff}, 1},
        {"lone continuation", {0x80}, 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        unsigned char buf[16];
        size_t n = bad[i].n;
        assert_false(hq_utf8_valid((const char *)bad[i].s, n));
        /* as a value */
        buf[0] = (unsigned char)(0xa0 | n);
        memcpy(buf + 1, bad[i].s, n);
        expect_decode_reject(buf, 1 + n, "string is not valid UTF-8");
        /* as a map key */
        buf[0] = 0x81;
        buf[1] = (unsigned char)(0xa0 | n);
        memcpy(buf + 2, bad[i].s, n);
        buf[2 + n] = 0x01;
        expect_decode_reject(buf, 3 + n, "string is not valid UTF-8");
    }
}

static void test_valid_utf8_is_accepted(void **state)
{
    (void)state;
    assert_true(hq_utf8_valid("", 0));
    assert_true(hq_utf8_valid("plain ascii", 11));
    assert_true(hq_utf8_valid("\xc2\x80", 2));                  /* U+0080 */
    assert_true(hq_utf8_valid("\xe0\xa0\x80", 3));              /* U+0800 */
    assert_true(hq_utf8_valid("\xed\x9f\xbf", 3));              /* U+D7FF */
    assert_true(hq_utf8_valid("\xee\x80\x80", 3));              /* U+E000 */
    assert_true(hq_utf8_valid("\xf0\x90\x80\x80", 4));          /* U+10000 */
    assert_true(hq_utf8_valid("\xf4\x8f\xbf\xbf", 4));          /* U+10FFFF */
    assert_true(hq_utf8_valid("\xe5\x86\xb7\xe8\x97\x8f", 6));  /* 冷藏 */
    /* An embedded NUL is valid UTF-8 (the length says where it ends). */
    assert_true(hq_utf8_valid("a\0b", 3));
    expect_decode_ok(BYTES(0x81, 0xa6, 0xe5, 0x86, 0xb7, 0xe8, 0x97, 0x8f, 0xa4, 0xf0, 0x9f, 0x98, 0x80), NULL);
}

static void test_utf8_prefix_never_cuts_a_character(void **state)
{
    (void)state;
    const char *s = "ab\xe5\x86\xb7\xe8\x97\x8f"; /* ab冷藏, 8 bytes */
    assert_int_equal(hq_utf8_prefix(s, 8, 100), 8);
    assert_int_equal(hq_utf8_prefix(s, 8, 8), 8);
    assert_int_equal(hq_utf8_prefix(s, 8, 7), 5);
    assert_int_equal(hq_utf8_prefix(s, 8, 6), 5);
    assert_int_equal(hq_utf8_prefix(s, 8, 5), 5);
    assert_int_equal(hq_utf8_prefix(s, 8, 4), 2);
    assert_int_equal(hq_utf8_prefix(s, 8, 3), 2);
    assert_int_equal(hq_utf8_prefix(s, 8, 2), 2);
    assert_int_equal(hq_utf8_prefix(s, 8, 0), 0);
}

static void test_nan_and_infinity_are_rejected(void **state)
{
    (void)state;
    const char *msg = "number is NaN or infinite";
    expect_decode_reject(BYTES(0xcb, 0x7f, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00), msg); /* f64 NaN */
    expect_decode_reject(BYTES(0xcb, 0x7f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00), msg); /* f64 +Inf */
    expect_decode_reject(BYTES(0xcb, 0xff, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00), msg); /* f64 -Inf */
    expect_decode_reject(BYTES(0xca, 0x7f, 0xc0, 0x00, 0x00), msg);                         /* f32 NaN */
    expect_decode_reject(BYTES(0xca, 0x7f, 0x80, 0x00, 0x00), msg);                         /* f32 +Inf */
    /* {"v": [1, NaN]} */
    expect_decode_reject(BYTES(0x81, 0xa1, 'v', 0x92, 0x01, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0), msg);
    /* Finite extremes and -0.0 are fine. */
    expect_decode_ok(BYTES(0xcb, 0x7f, 0xef, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), NULL); /* DBL_MAX */
    expect_decode_ok(BYTES(0xcb, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00), NULL); /* -0.0 */
    expect_decode_ok(BYTES(0xca, 0x3f, 0xc0, 0x00, 0x00), NULL);                         /* 1.5f */
}

/* ---- what is accepted, and lookups ---- */

/* {"id": "e-1", "ts": 1700000000000, "data": {"site": "canteen-1", "temp": -3.5,
 *  "ok": true, "none": nil, "items": [{"code": "a", "n": -7}, {"code": "b", "n": 2}],
 *  "big": 18446744073709551615}} */
static void pack_event_like(msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    hq_test_pack_str(&pk, "id");
    hq_test_pack_str(&pk, "e-1");
    hq_test_pack_str(&pk, "ts");
    msgpack_pack_uint64(&pk, 1700000000000ULL);
    hq_test_pack_str(&pk, "data");
    msgpack_pack_map(&pk, 6);
    hq_test_pack_str(&pk, "site");
    hq_test_pack_str(&pk, "canteen-1");
    hq_test_pack_str(&pk, "temp");
    msgpack_pack_double(&pk, -3.5);
    hq_test_pack_str(&pk, "ok");
    msgpack_pack_true(&pk);
    hq_test_pack_str(&pk, "none");
    msgpack_pack_nil(&pk);
    hq_test_pack_str(&pk, "items");
    msgpack_pack_array(&pk, 2);
    for (int i = 0; i < 2; i++) {
        msgpack_pack_map(&pk, 2);
        hq_test_pack_str(&pk, "code");
        hq_test_pack_str(&pk, i ? "b" : "a");
        hq_test_pack_str(&pk, "n");
        msgpack_pack_int(&pk, i ? 2 : -7);
    }
    hq_test_pack_str(&pk, "big");
    msgpack_pack_uint64(&pk, UINT64_MAX);
}

static void test_nested_valid_maps_decode_as_views(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    pack_event_like(&sb);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object root;
    hq_err err = {0};
    assert_int_equal(hq_mp_decode(sb.data, sb.size, &hq_mp_default_limits, &zone, &root, &err), 0);
    assert_int_equal(root.type, MSGPACK_OBJECT_MAP);
    assert_int_equal(root.via.map.size, 3);

    const msgpack_object *id = hq_mp_map_get(&root, "id");
    assert_true(hq_mp_str_eq(id, "e-1"));
    assert_false(hq_mp_str_eq(id, "e-"));
    assert_false(hq_mp_str_eq(id, "e-10"));
    /* Strings are views into the frame, not copies. */
    assert_true(id->via.str.ptr >= sb.data && id->via.str.ptr < sb.data + sb.size);
    char *copy = hq_mp_strdup(id);
    assert_string_equal(copy, "e-1");
    free(copy);
    assert_null(hq_mp_strdup(hq_mp_map_get(&root, "ts")));

    int64_t iv;
    double dv;
    assert_true(hq_mp_int64(hq_mp_map_get(&root, "ts"), &iv));
    assert_int_equal(iv, 1700000000000LL);
    assert_true(hq_mp_number(hq_mp_path(&root, "data.temp"), &dv));
    assert_true(dv == -3.5);
    assert_false(hq_mp_int64(hq_mp_path(&root, "data.temp"), &iv)); /* a float is not an integer */
    assert_true(hq_mp_int64(hq_mp_path(&root, "data.items.0.n"), &iv));
    assert_int_equal(iv, -7);
    assert_true(hq_mp_number(hq_mp_path(&root, "data.items.0.n"), &dv));
    assert_true(dv == -7.0);
    /* 2^64-1 is a number but does not fit an int64. */
    assert_false(hq_mp_int64(hq_mp_path(&root, "data.big"), &iv));
    assert_true(hq_mp_number(hq_mp_path(&root, "data.big"), &dv));
    assert_false(hq_mp_number(hq_mp_path(&root, "data.site"), &dv));
    assert_false(hq_mp_number(NULL, &dv));
    assert_false(hq_mp_int64(NULL, &iv));

    assert_int_equal(hq_mp_path(&root, "data.ok")->type, MSGPACK_OBJECT_BOOLEAN);
    assert_int_equal(hq_mp_path(&root, "data.none")->type, MSGPACK_OBJECT_NIL);
    assert_null(hq_mp_map_get(&root, "missing"));
    assert_null(hq_mp_map_get(hq_mp_map_get(&root, "id"), "x")); /* not a map */
    assert_null(hq_mp_map_get(NULL, "x"));
    assert_non_null(hq_mp_map_getn(&root, "idx", 2)); /* "id" */
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
}

static void test_path_indexes_arrays_with_decimal_parts(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    pack_event_like(&sb);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object root;
    assert_int_equal(hq_mp_decode(sb.data, sb.size, &hq_mp_default_limits, &zone, &root, NULL), 0);

    assert_true(hq_mp_str_eq(hq_mp_path(&root, "data.items.0.code"), "a"));
    assert_true(hq_mp_str_eq(hq_mp_path(&root, "data.items.1.code"), "b"));
    assert_int_equal(hq_mp_path(&root, "data.items.1")->type, MSGPACK_OBJECT_MAP);
    assert_int_equal(hq_mp_path(&root, "data.items")->type, MSGPACK_OBJECT_ARRAY);
    assert_ptr_equal(hq_mp_path(&root, ""), &root);
    /* Out of range, not a number, or not plain digits: nothing. */
    assert_null(hq_mp_path(&root, "data.items.2.code"));
    assert_null(hq_mp_path(&root, "data.items.x.code"));
    assert_null(hq_mp_path(&root, "data.items.-1.code"));
    assert_null(hq_mp_path(&root, "data.items.+1.code"));
    assert_null(hq_mp_path(&root, "data.items. 1.code"));
    assert_null(hq_mp_path(&root, "data.items.1x.code"));
    assert_null(hq_mp_path(&root, "data.items.99999999999999999999.code"));
    assert_null(hq_mp_path(&root, "data.items..code"));
    /* A selector: the first item whose field is the text. */
    assert_true(hq_mp_str_eq(hq_mp_path(&root, "data.items[code=b].code"), "b"));
    assert_ptr_equal(hq_mp_path(&root, "data.items[code=a]"), hq_mp_path(&root, "data.items.0"));
    assert_null(hq_mp_path(&root, "data.items[code=c].code")); /* no such item */
    assert_null(hq_mp_path(&root, "data.items[n=1].code"));    /* a number is not the text "1" */
    assert_null(hq_mp_path(&root, "data.items[nosuch=a]"));
    assert_null(hq_mp_path(&root, "data.site[code=a]"));       /* not an array */
    assert_null(hq_mp_path(&root, "data.items[code].code"));   /* no "=" */
    /* Into a scalar, or a missing key. */
    assert_null(hq_mp_path(&root, "data.site.x"));
    assert_null(hq_mp_path(&root, "data.nosuch"));
    assert_null(hq_mp_path(&root, "nosuch.site"));
    assert_null(hq_mp_path(NULL, "data"));
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
}

/* ---- properties over many inputs ---- */

static void test_every_proper_prefix_of_a_frame_is_rejected(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    pack_event_like(&sb);
    for (size_t n = 0; n < sb.size; n++) {
        hq_err err = {0};
        msgpack_zone zone;
        msgpack_zone_init(&zone, 1024);
        msgpack_object o;
        assert_int_equal(hq_mp_decode(sb.data, n, &hq_mp_default_limits, &zone, &o, &err), HQ_EINVAL);
        assert_non_null(strstr(err.msg, "malformed msgpack"));
        msgpack_zone_destroy(&zone);
    }
    msgpack_sbuffer_destroy(&sb);
}

/* Deterministic mutations of a valid frame: whatever the bytes, decode
 * either refuses them or returns an object that obeys the contract.  (The
 * sanitizer build makes this a memory-safety check too.) */
static bool obj_ok(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_STR: return hq_utf8_valid(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return o->via.f64 == o->via.f64 && o->via.f64 - o->via.f64 == 0;
    case MSGPACK_OBJECT_BIN:
    case MSGPACK_OBJECT_EXT: return false;
    case MSGPACK_OBJECT_ARRAY:
        for (uint32_t i = 0; i < o->via.array.size; i++)
            if (!obj_ok(&o->via.array.ptr[i]))
                return false;
        return true;
    case MSGPACK_OBJECT_MAP:
        for (uint32_t i = 0; i < o->via.map.size; i++)
            if (o->via.map.ptr[i].key.type != MSGPACK_OBJECT_STR || !obj_ok(&o->via.map.ptr[i].key) ||
                !obj_ok(&o->via.map.ptr[i].val))
                return false;
        return true;
    default: return true;
    }
}

static void test_mutated_frames_are_refused_or_sound(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    pack_event_like(&sb);
    unsigned char *buf = malloc(sb.size);
    assert_non_null(buf);
    uint32_t rng = 12345;
    unsigned accepted = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, sb.data, sb.size);
        int edits = 1 + round % 4;
        for (int e = 0; e < edits; e++) {
            rng = rng * 1103515245u + 12345u;
            size_t at = (rng >> 8) % sb.size;
            rng = rng * 1103515245u + 12345u;
            buf[at] = (unsigned char)(rng >> 16);
        }
        rng = rng * 1103515245u + 12345u;
        size_t len = (round % 3 == 0) ? (rng >> 8) % (sb.size + 1) : sb.size;
        msgpack_zone zone;
        msgpack_zone_init(&zone, 1024);
        msgpack_object o;
        hq_err err = {0};
        int rc = hq_mp_decode((const char *)buf, len, &hq_mp_default_limits, &zone, &o, &err);
        if (rc == 0) {
            accepted++;
            assert_true(obj_ok(&o));
        } else {
            assert_int_equal(rc, HQ_EINVAL);
            assert_true(err.msg[0] != '\0');
        }
        msgpack_zone_destroy(&zone);
    }
    assert_true(accepted > 0); /* the mutations do not all break the frame */
    free(buf);
    msgpack_sbuffer_destroy(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_frame_is_rejected),
        cmocka_unit_test(test_map_missing_elements_is_truncated),
        cmocka_unit_test(test_count_beyond_the_bytes_left_is_rejected),
        cmocka_unit_test(test_truncated_strings_and_numbers_are_rejected),
        cmocka_unit_test(test_trailing_bytes_are_rejected),
        cmocka_unit_test(test_reserved_byte_c1_is_rejected),
        cmocka_unit_test(test_hostile_5_byte_headers_are_rejected),
        cmocka_unit_test(test_32_nested_array32_headers_are_rejected),
        cmocka_unit_test(test_22_map32_bytes_and_c1_are_rejected),
        cmocka_unit_test(test_nesting_deeper_than_the_limit_is_rejected),
        cmocka_unit_test(test_depth_is_capped_at_msgpack_c_stack),
        cmocka_unit_test(test_object_count_over_the_limit_is_rejected),
        cmocka_unit_test(test_bin_and_ext_are_refused),
        cmocka_unit_test(test_bin_and_ext_when_allowed),
        cmocka_unit_test(test_duplicate_keys_in_a_small_map_are_rejected),
        cmocka_unit_test(test_duplicate_keys_in_a_large_map_are_rejected),
        cmocka_unit_test(test_non_string_keys_are_rejected),
        cmocka_unit_test(test_invalid_utf8_is_rejected),
        cmocka_unit_test(test_valid_utf8_is_accepted),
        cmocka_unit_test(test_utf8_prefix_never_cuts_a_character),
        cmocka_unit_test(test_nan_and_infinity_are_rejected),
        cmocka_unit_test(test_nested_valid_maps_decode_as_views),
        cmocka_unit_test(test_path_indexes_arrays_with_decimal_parts),
        cmocka_unit_test(test_every_proper_prefix_of_a_frame_is_rejected),
        cmocka_unit_test(test_mutated_frames_are_refused_or_sound),
    };
    return cmocka_run_group_tests_name("mp", tests, NULL, NULL);
}
