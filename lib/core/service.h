/* service.h - what both daemons need to run as a systemd service: their
 * signals through a signalfd, and the watchdog.
 *
 * hq_signals_open() blocks SIGTERM, SIGINT and SIGHUP (and SIGCHLD when
 * asked) so that they arrive only through the returned descriptor, and
 * ignores SIGPIPE.  hq_signals_next() reads the next one without blocking.
 * The caller closes the descriptor.
 */
#ifndef HQ_SERVICE_H
#define HQ_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    HQ_SIG_NONE,   /* nothing (more) to read */
    HQ_SIG_STOP,   /* SIGTERM, SIGINT */
    HQ_SIG_RELOAD, /* SIGHUP */
    HQ_SIG_CHILD   /* SIGCHLD */
} hq_signal;

/* A non-blocking signalfd, or -1 (errno set). */
int hq_signals_open(bool with_sigchld);
/* The next signal; *signo (may be NULL) gets its number. */
hq_signal hq_signals_next(int fd, unsigned *signo);

/* The systemd watchdog: enabled when the unit has WatchdogSec (and the
 * process is the one it watches). */
typedef struct hq_watchdog {
    bool enabled;
    int64_t interval_ms; /* half of WatchdogSec: how often to ping */
    int64_t last_ms;     /* monotonic time of the last ping */
} hq_watchdog;

void hq_watchdog_init(hq_watchdog *w, int64_t now_ms);
/* Pings (WATCHDOG=1) when interval_ms has passed since the last ping. */
void hq_watchdog_tick(hq_watchdog *w, int64_t now_ms);
/* The longest a poll may wait so that the next ping is on time
 * (max_ms when the watchdog is off). */
long hq_watchdog_timeout(const hq_watchdog *w, long max_ms);

#endif
