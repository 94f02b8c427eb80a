/* test_zmsg.c - one whole multipart message into a bounded array
 * (lib/net/zmsg.c), over an inproc PAIR of sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "zmsg.h"

typedef struct pair {
    void *ctx, *a, *b;
} pair;

static int setup(void **state)
{
    static pair p;
    p.ctx = zmq_ctx_new();
    p.a = zmq_socket(p.ctx, ZMQ_PAIR);
    p.b = zmq_socket(p.ctx, ZMQ_PAIR);
    if (zmq_bind(p.a, "inproc://zmsg") != 0 || zmq_connect(p.b, "inproc://zmsg") != 0)
        return -1;
    *state = &p;
    return 0;
}

static int teardown(void **state)
{
    pair *p = *state;
    zmq_close(p->a);
    zmq_close(p->b);
    zmq_ctx_term(p->ctx);
    return 0;
}

/* Sends parts[0..n) as one multipart message. */
static void send_parts(void *sock, const char *const *parts, int n)
{
    for (int i = 0; i < n; i++)
        assert_true(zmq_send(sock, parts[i], strlen(parts[i]), i + 1 < n ? ZMQ_SNDMORE : 0) >= 0);
}

static void test_nothing_ready_is_zero(void **state)
{
    pair *p = *state;
    zmq_msg_t f[2];
    int kept = 7;
    assert_int_equal(hq_zmsg_recv(p->b, f, 2, &kept), 0);
    assert_int_equal(kept, 0);
}

static void test_a_message_that_fits_is_kept_whole(void **state)
{
    pair *p = *state;
    static const char *const parts[] = {"hugz", "{}"};
    send_parts(p->a, parts, 2);
    zmq_msg_t f[4];
    int kept;
    assert_int_equal(hq_zmsg_recv(p->b, f, 4, &kept), 2);
    assert_int_equal(kept, 2);
    assert_int_equal(zmq_msg_size(&f[0]), 4);
    assert_memory_equal(zmq_msg_data(&f[0]), "hugz", 4);
    assert_memory_equal(zmq_msg_data(&f[1]), "{}", 2);
    hq_zmsg_close(f, kept);
}

static void test_extra_parts_are_read_and_dropped(void **state)
{
    pair *p = *state;
    static const char *const five[] = {"1", "2", "3", "4", "5"};
    static const char *const next[] = {"next"};
    send_parts(p->a, five, 5);
    send_parts(p->a, next, 1);
    zmq_msg_t f[2];
    int kept;
    /* the count says how many parts the message had; two are kept */
    assert_int_equal(hq_zmsg_recv(p->b, f, 2, &kept), 5);
    assert_int_equal(kept, 2);
    assert_memory_equal(zmq_msg_data(&f[0]), "1", 1);
    assert_memory_equal(zmq_msg_data(&f[1]), "2", 1);
    hq_zmsg_close(f, kept);
    /* the message was read to its end: the next one starts clean */
    assert_int_equal(hq_zmsg_recv(p->b, f, 2, &kept), 1);
    assert_int_equal(kept, 1);
    assert_memory_equal(zmq_msg_data(&f[0]), "next", 4);
    hq_zmsg_close(f, kept);
    assert_int_equal(hq_zmsg_recv(p->b, f, 2, &kept), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_ready_is_zero),
        cmocka_unit_test(test_a_message_that_fits_is_kept_whole),
        cmocka_unit_test(test_extra_parts_are_read_and_dropped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
