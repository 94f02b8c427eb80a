/* loop.h - what the ZeroMQ daemons' main loops (houqind, houqin-alertd)
 * begin with and poll by.  It logs, so it lives here and not in lib/
 * (library code never prints). */
#ifndef HQ_LOOP_H
#define HQ_LOOP_H

#include "service.h"

#include <stdbool.h>
#include <zmq.h>

/* Opens the signalfd (hq_signals_open(with_sigchld)), starts the watchdog
 * wd, and tells systemd READY=1 with STATUS=status.  The signalfd (the
 * caller closes it), or -1 after logging why it could not be opened
 * (nothing said to systemd). */
int hq_loop_ready(bool with_sigchld, hq_watchdog *wd, const char *status);

/* zmq_poll(items, n, timeout_ms): the number of items ready, 0 also when
 * a signal interrupted the wait, or -1 after logging another failure (the
 * loop ends with status 2). */
int hq_loop_poll(zmq_pollitem_t *items, int n, long timeout_ms);

#endif
