/* test_buf.c - the growable byte buffer and big-endian helpers (lib/buf.c),
 * as a specification.
 *
 * An hq_buf is a value: init, append, fini.  Its data is always
 * NUL-terminated (not counted in len), so text in it is a C string.
 * Big-endian keys sort in numeric order under memcmp, which is what LMDB
 * compares.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "hq_test.h"

static void test_appends_keep_a_terminated_string(void **state)
{
    (void)state;
    hq_buf b;
    hq_buf_init(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    hq_buf_puts(&b, "stored");
    hq_buf_putc(&b, ' ');
    hq_buf_printf(&b, "seq=%llu", 4711ULL);
    hq_buf_append(&b, "!", 1);
    hq_buf_append(&b, NULL, 0);
    assert_string_equal(b.data, "stored seq=4711!");
    assert_int_equal(b.len, 16);
    assert_true(b.cap > b.len);
    hq_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    hq_buf_fini(&b);
    assert_null(b.data);
    hq_buf_fini(&b); /* twice is fine */
    hq_buf_reset(&b); /* on an empty buffer too */
}

static void test_binary_data_and_growth(void **state)
{
    (void)state;
    hq_buf b;
    hq_buf_init(&b);
    /* Bytes, NULs included, far past the first allocation. */
    for (int i = 0; i < 100000; i++) {
        unsigned char c = (unsigned char)i;
        hq_buf_append(&b, &c, 1);
    }
    assert_int_equal(b.len, 100000);
    assert_int_equal(b.data[b.len], '\0');
    for (int i = 0; i < 100000; i++)
        assert_int_equal((unsigned char)b.data[i], (unsigned char)i);
    hq_buf_fini(&b);

    /* printf larger than any earlier capacity. */
    hq_buf_init(&b);
    char big[5000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    hq_buf_puts(&b, "a");
    hq_buf_printf(&b, "[%s]", big);
    assert_int_equal(b.len, 1 + 2 + 4999);
    assert_int_equal(strlen(b.data), b.len);
    assert_int_equal(b.data[b.len - 1], ']');
    hq_buf_fini(&b);

    /* reserve makes room without changing the content. */
    hq_buf_init(&b);
    hq_buf_puts(&b, "xy");
    hq_buf_reserve(&b, 1000);
    assert_true(b.cap >= 2 + 1000 + 1);
    assert_string_equal(b.data, "xy");
    hq_buf_fini(&b);
}

static void test_steal_hands_over_the_data(void **state)
{
    (void)state;
    hq_buf b;
    hq_buf_init(&b);
    hq_buf_puts(&b, "yours");
    char *s = hq_buf_steal(&b);
    assert_string_equal(s, "yours");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(s);
    /* An empty buffer still gives a string the caller can free. */
    s = hq_buf_steal(&b);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    /* The buffer is reusable afterwards. */
    hq_buf_puts(&b, "again");
    assert_string_equal(b.data, "again");
    hq_buf_fini(&b);
}

static void test_big_endian_helpers(void **state)
{
    (void)state;
    unsigned char k[8];
    hq_be64_put(k, 0x0102030405060708ULL);
    assert_memory_equal(k, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    assert_true(hq_be64_get(k) == 0x0102030405060708ULL);
    hq_be64_put(k, UINT64_MAX);
    assert_true(hq_be64_get(k) == UINT64_MAX);
    hq_be64_put(k, 0);
    assert_true(hq_be64_get(k) == 0);
    unsigned char w[4];
    hq_be32_put(w, 0xdeadbeefU);
    assert_memory_equal(w, "\xde\xad\xbe\xef", 4);
    assert_int_equal(hq_be32_get(w), 0xdeadbeefU);

    /* memcmp order is numeric order: the property the LMDB keys rely on. */
    static const uint64_t v[] = {0, 1, 255, 256, 65535, 65536, 1ULL << 32, 1773024300000ULL, UINT64_MAX - 1,
                                 UINT64_MAX};
    for (size_t i = 1; i < sizeof v / sizeof *v; i++) {
        unsigned char a[8], b[8];
        hq_be64_put(a, v[i - 1]);
        hq_be64_put(b, v[i]);
        assert_true(memcmp(a, b, 8) < 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appends_keep_a_terminated_string),
        cmocka_unit_test(test_binary_data_and_growth),
        cmocka_unit_test(test_steal_hands_over_the_data),
        cmocka_unit_test(test_big_endian_helpers),
    };
    return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
