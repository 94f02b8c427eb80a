/* test_json.c - JSON in (hq_json_to_mp, what `houqinctl send` reads) and
 * JSON out (hq_json_*). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hq_test.h"
#include "json.h"
#include "mp.h"

#include <float.h>

/* Converts json; on success returns the decoded object (valid until the
 * next call), else NULL with err filled. */
static msgpack_object *conv(const char *json, hq_err *err)
{
    static msgpack_sbuffer sb;
    static msgpack_zone zone;
    static msgpack_object o;
    static bool init;
    if (init) {
        msgpack_sbuffer_destroy(&sb);
        msgpack_zone_destroy(&zone);
    }
    init = true;
    msgpack_sbuffer_init(&sb);
    msgpack_zone_init(&zone, 1024);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    memset(err, 0, sizeof *err);
    if (hq_json_to_mp("in.json", json, strlen(json), &pk, err) != 0)
        return NULL;
    size_t off = 0;
    assert_int_equal(msgpack_unpack(sb.data, sb.size, &off, &zone, &o), MSGPACK_UNPACK_SUCCESS);
    return &o;
}

static void str_is(const msgpack_object *o, const char *want)
{
    assert_non_null(o);
    assert_int_equal(o->type, MSGPACK_OBJECT_STR);
    assert_int_equal(o->via.str.size, strlen(want));
    assert_memory_equal(o->via.str.ptr, want, strlen(want));
}

static void surrogate_pairs_become_utf8(void **state)
{
    (void)state;
    hq_err err;
    /* U+1F600 as Python's json.dumps writes it. */
    msgpack_object *o = conv("{\"text\": \"ok \\ud83d\\ude00!\"}", &err);
    if (!o)
        fail_msg("%s", err.msg);
    str_is(hq_mp_map_get(o, "text"), "ok \xf0\x9f\x98\x80!");
    /* Upper-case hex, two pairs in a row, and U+10FFFF. */
    o = conv("[\"\\uD83D\\uDE00\\ud83d\\ude01\", \"\\udbff\\udfff\"]", &err);
    assert_non_null(o);
    str_is(&o->via.array.ptr[0], "\xf0\x9f\x98\x80\xf0\x9f\x98\x81");
    str_is(&o->via.array.ptr[1], "\xf4\x8f\xbf\xbf");
    /* An escaped backslash before "u" is not an escape. */
    o = conv("[\"\\\\ud83d\\\\ude00\"]", &err);
    assert_non_null(o);
    str_is(&o->via.array.ptr[0], "\\ud83d\\ude00");
    /* Outside strings nothing is rewritten (keys are strings too). */
    o = conv("{\"\\ud83d\\ude00\": 1}", &err);
    assert_non_null(o);
    assert_non_null(hq_mp_map_get(o, "\xf0\x9f\x98\x80"));
}

static void lone_surrogates_are_refused(void **state)
{
    (void)state;
    hq_err err;
    assert_null(conv("[\"\\ud83d\"]", &err));
    assert_int_not_equal(err.code, 0);
    assert_null(conv("[\"\\ude00\\ud83d\"]", &err));
    assert_null(conv("[\"\\ud83dx\"]", &err));
}

static void numbers_at_the_edges(void **state)
{
    (void)state;
    hq_err err;
    msgpack_object *o = conv("[5e-324, 1e-400, 1.7976931348623157e308, -0.0]", &err);
    if (!o)
        fail_msg("%s", err.msg);
    assert_int_equal(o->via.array.ptr[0].type, MSGPACK_OBJECT_FLOAT64);
    assert_true(o->via.array.ptr[0].via.f64 > 0 && o->via.array.ptr[0].via.f64 < DBL_MIN);
    assert_true(o->via.array.ptr[1].via.f64 == 0);
    assert_true(o->via.array.ptr[2].via.f64 == DBL_MAX);
    /* Too large for a double: said so, not "use quotes". */
    assert_null(conv("{\"value\": 1e400}", &err));
    assert_string_equal(err.msg, "number 1e400 is out of range (beyond about 1.8e308)");
    assert_int_equal(err.line, 1);
    assert_null(conv("{\"value\": -2e308}", &err));
    assert_non_null(strstr(err.msg, "out of range"));
    /* A word is still a word. */
    assert_null(conv("{\"value\": canteen}", &err));
    assert_string_equal(err.msg, "unquoted value \"canteen\": strings must be in double quotes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(surrogate_pairs_become_utf8),
        cmocka_unit_test(lone_surrogates_are_refused),
        cmocka_unit_test(numbers_at_the_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
