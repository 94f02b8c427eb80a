/* test_service.c - signals through a signalfd and the watchdog (lib/service.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "service.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void signals_arrive_through_the_descriptor(void **state)
{
    (void)state;
    int fd = hq_signals_open(true);
    assert_true(fd >= 0);
    unsigned no = 0;
    assert_int_equal(hq_signals_next(fd, &no), HQ_SIG_NONE);
    /* Blocked, so raising them runs no handler: they wait in the fd. */
    raise(SIGHUP);
    raise(SIGTERM);
    raise(SIGCHLD);
    hq_signal got[3];
    unsigned nos[3];
    for (int i = 0; i < 3; i++)
        got[i] = hq_signals_next(fd, &nos[i]);
    assert_int_equal(hq_signals_next(fd, NULL), HQ_SIG_NONE);
    /* The kernel hands them over in signal-number order. */
    assert_int_equal(got[0], HQ_SIG_RELOAD);
    assert_int_equal(nos[0], SIGHUP);
    assert_int_equal(got[1], HQ_SIG_STOP);
    assert_int_equal(nos[1], SIGTERM);
    assert_int_equal(got[2], HQ_SIG_CHILD);
    raise(SIGINT);
    assert_int_equal(hq_signals_next(fd, &no), HQ_SIG_STOP);
    assert_int_equal(no, SIGINT);
    /* SIGPIPE is ignored: a write to a closed pipe is an error, not death. */
    int p[2];
    assert_int_equal(pipe(p), 0);
    close(p[0]);
    assert_int_equal(write(p[1], "x", 1), -1);
    close(p[1]);
    close(fd);
}

static void the_watchdog_pings_at_half_its_period(void **state)
{
    (void)state;
    unsetenv("WATCHDOG_USEC");
    unsetenv("NOTIFY_SOCKET");
    hq_watchdog w;
    hq_watchdog_init(&w, 1000);
    assert_false(w.enabled);
    assert_int_equal(hq_watchdog_timeout(&w, 1000), 1000);
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    setenv("WATCHDOG_PID", pid, 1);
    setenv("WATCHDOG_USEC", "4000000", 1); /* WatchdogSec=4 */
    hq_watchdog_init(&w, 1000);
    assert_true(w.enabled);
    assert_int_equal(w.interval_ms, 2000);
    assert_int_equal(hq_watchdog_timeout(&w, 5000), 2000);
    assert_int_equal(hq_watchdog_timeout(&w, 500), 500);
    hq_watchdog_tick(&w, 2999); /* not yet */
    assert_int_equal(w.last_ms, 1000);
    hq_watchdog_tick(&w, 3000); /* pinged (no NOTIFY_SOCKET: sd_notify does nothing) */
    assert_int_equal(w.last_ms, 3000);
    /* Another process's watchdog is not ours. */
    setenv("WATCHDOG_PID", "1", 1);
    hq_watchdog_init(&w, 0);
    assert_false(w.enabled);
    unsetenv("WATCHDOG_PID");
    unsetenv("WATCHDOG_USEC");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signals_arrive_through_the_descriptor),
        cmocka_unit_test(the_watchdog_pings_at_half_its_period),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
