#include "err.h"

#include "mem.h"
#include "mp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A message cut by vsnprintf ends on a whole character (replies and logs
 * carry valid UTF-8). */
static void whole_chars(char *msg, int n, size_t size)
{
    if (n >= 0 && (size_t)n >= size)
        msg[hq_utf8_whole(msg, strlen(msg))] = '\0';
}

int hq_err_set(hq_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        err->line = err->column = 0;
        err->file[0] = '\0';
        va_start(ap, fmt);
        whole_chars(err->msg, vsnprintf(err->msg, sizeof err->msg, fmt, ap), sizeof err->msg);
        va_end(ap);
    }
    return code;
}

static void vsetpos(hq_err *err, int code, const char *file, int line, int column, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));
static void vsetpos(hq_err *err, int code, const char *file, int line, int column, const char *fmt, va_list ap)
{
    err->code = code;
    err->line = line;
    err->column = column;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    whole_chars(err->msg, vsnprintf(err->msg, sizeof err->msg, fmt, ap), sizeof err->msg);
}

int hq_err_setpos(hq_err *err, int code, const char *file, int line, int column,
                  const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsetpos(err, code, file, line, column, fmt, ap);
        va_end(ap);
    }
    return code;
}

void hq_err_prefix(hq_err *err, const char *fmt, ...)
{
    char pre[256], old[sizeof err->msg];
    va_list ap;
    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", pre, old);
}

const char *hq_err_str(const hq_err *err, char *buf, size_t size)
{
    if (err->file[0] && err->line > 0 && err->column > 0)
        snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line, err->column, err->msg);
    else if (err->file[0] && err->line > 0)
        snprintf(buf, size, "%s:%d: %s", err->file, err->line, err->msg);
    else if (err->file[0])
        snprintf(buf, size, "%s: %s", err->file, err->msg);
    else
        snprintf(buf, size, "%s", err->msg);
    return buf;
}

const char *hq_strerror(int code)
{
    switch (code) {
    case HQ_OK: return "ok";
    case HQ_EINVAL: return "invalid input";
    case HQ_ENOMEM: return "out of memory";
    case HQ_EIO: return "i/o error";
    case HQ_ENOTFOUND: return "not found";
    case HQ_EEXIST: return "already exists";
    case HQ_EFULL: return "storage full";
    case HQ_ESTORE: return "storage error";
    case HQ_EVERSION: return "unknown format version";
    case HQ_ETIMEOUT: return "timeout";
    case HQ_ELIMIT: return "limit exceeded";
    case HQ_ESTATE: return "action does not fit the state";
    case HQ_EPANIC: return "fatal error";
    case HQ_EPERM: return "not permitted";
    case HQ_EAGAIN: return "try again";
    default: return "unknown error";
    }
}

void hq_diags_init(hq_diags *d)
{
    memset(d, 0, sizeof *d);
}

void hq_diags_fini(hq_diags *d)
{
    free(d->items);
    memset(d, 0, sizeof *d);
}

static hq_err *diags_slot(hq_diags *d)
{
    if (d->count == d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 8;
        hq_err *n = hq_realloc(d->items, ncap * sizeof *n);
        d->items = n;
        d->cap = ncap;
    }
    return &d->items[d->count++];
}

void hq_diags_add(hq_diags *d, const char *file, int line, int column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsetpos(diags_slot(d), HQ_EINVAL, file, line, column, fmt, ap);
    va_end(ap);
}

void hq_diags_add_err(hq_diags *d, const hq_err *err)
{
    *diags_slot(d) = *err;
}
