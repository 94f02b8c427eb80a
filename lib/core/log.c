#include "log.h"

#include "err.h"

#include <stdarg.h>
#include <stdio.h>

static const char *log_prog = "houqin";
static int log_max = HQ_LOG_INFO;

void hq_log_init(const char *prog, int max_prio)
{
    log_prog = prog;
    log_max = max_prio;
}

void hq_log(int prio, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    if (prio > log_max)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One fprintf per line so that concurrent writers do not interleave. */
    fprintf(stderr, "<%d>%s: %s\n", prio, log_prog, line);
}

void hq_log_diags(const hq_diags *d)
{
    char line[1024];
    for (size_t i = 0; i < d->count; i++)
        hq_log_err("%s", hq_err_str(&d->items[i], line, sizeof line));
}
