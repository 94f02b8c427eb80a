/* loop.c - the start of the daemons' main loops, and their poll (loop.h). */
#include "loop.h"

#include "clock.h"
#include "log.h"

#include <errno.h>
#include <string.h>
#include <systemd/sd-daemon.h>

int hq_loop_ready(bool with_sigchld, hq_watchdog *wd, const char *status)
{
    int sfd = hq_signals_open(with_sigchld);
    if (sfd < 0) {
        hq_log_err("signalfd: %s", strerror(errno));
        return -1;
    }
    hq_watchdog_init(wd, hq_mono_ms());
    sd_notifyf(0, "READY=1\nSTATUS=%s", status);
    return sfd;
}

int hq_loop_poll(zmq_pollitem_t *items, int n, long timeout_ms)
{
    int rc = zmq_poll(items, n, timeout_ms);
    if (rc >= 0 || errno == EINTR)
        return rc < 0 ? 0 : rc;
    hq_log_err("zmq_poll: %s", zmq_strerror(errno));
    return -1;
}
