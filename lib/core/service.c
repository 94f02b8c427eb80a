#include "service.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

int hq_signals_open(bool with_sigchld)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (with_sigchld)
        sigaddset(&set, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
        return -1;
    signal(SIGPIPE, SIG_IGN);
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

hq_signal hq_signals_next(int fd, unsigned *signo)
{
    struct signalfd_siginfo si;
    if (read(fd, &si, sizeof si) != (ssize_t)sizeof si)
        return HQ_SIG_NONE;
    if (signo)
        *signo = si.ssi_signo;
    switch (si.ssi_signo) {
    case SIGTERM:
    case SIGINT: return HQ_SIG_STOP;
    case SIGHUP: return HQ_SIG_RELOAD;
    case SIGCHLD: return HQ_SIG_CHILD;
    default: return hq_signals_next(fd, signo); /* not one of ours: the next */
    }
}

void hq_watchdog_init(hq_watchdog *w, int64_t now_ms)
{
    uint64_t usec = 0;
    w->enabled = sd_watchdog_enabled(0, &usec) > 0 && usec > 0;
    w->interval_ms = w->enabled ? (int64_t)(usec / 2000) : 0;
    if (w->enabled && w->interval_ms < 1)
        w->interval_ms = 1;
    w->last_ms = now_ms;
}

void hq_watchdog_tick(hq_watchdog *w, int64_t now_ms)
{
    if (w->enabled && now_ms - w->last_ms >= w->interval_ms) {
        sd_notify(0, "WATCHDOG=1");
        w->last_ms = now_ms;
    }
}

long hq_watchdog_timeout(const hq_watchdog *w, long max_ms)
{
    return w->enabled && w->interval_ms < max_ms ? (long)w->interval_ms : max_ms;
}
