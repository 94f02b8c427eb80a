/* err.h - error codes and error detail for libhouqin.
 *
 * Every library function that can fail returns 0 on success or a negative
 * HQ_E* code.  Detail (a message, and for configuration files the file, line
 * and column) goes to an optional caller-owned hq_err; pass NULL when the
 * detail is not wanted.  Library code never prints and never exits.
 *
 * Loaders that report many problems at once collect them in an hq_diags list
 * and then refuse the whole input (see hq_diags_*).
 */
#ifndef HQ_ERR_H
#define HQ_ERR_H

#include <stddef.h>

enum {
    HQ_OK = 0,
    HQ_EINVAL = -1,    /* bad input: the message says what and where */
    HQ_ENOMEM = -2,    /* allocation failed */
    HQ_EIO = -3,       /* a file or system call failed */
    HQ_ENOTFOUND = -4, /* a looked-up thing does not exist */
    HQ_EEXIST = -5,    /* it exists already */
    HQ_EFULL = -6,     /* the LMDB map is full: grow and replay the batch */
    HQ_ESTORE = -7,    /* any other LMDB failure: the transaction is dead */
    HQ_EVERSION = -8,  /* a state directory of an unknown format version */
    HQ_ETIMEOUT = -9,  /* no answer in time */
    HQ_ELIMIT = -10,   /* a configured limit was exceeded */
    HQ_ESTATE = -11,   /* the action does not fit the current state */
    HQ_EPANIC = -12,   /* unrecoverable: the process must exit */
    HQ_EPERM = -13,    /* the actor may not do this (perm.h): refused, nothing written */
    HQ_EAGAIN = -14,   /* not done; do what the function's contract says, then call again */
};

typedef struct hq_err {
    int code;
    int line;       /* 1-based, 0 when not about a file position */
    int column;     /* 1-based, 0 when unknown */
    char file[256]; /* empty when not about a file */
    char msg[512];
} hq_err;

/* Sets code and formats msg into err (if err is not NULL); returns code so
 * that `return hq_err_set(err, HQ_EINVAL, "...")` reads naturally. */
int hq_err_set(hq_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, with a file position. */
int hq_err_setpos(hq_err *err, int code, const char *file, int line, int column,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Prepends "prefix: " to err->msg (for adding context on the way up). */
void hq_err_prefix(hq_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Renders err as "file:line:column: msg" (or "msg") into buf. */
const char *hq_err_str(const hq_err *err, char *buf, size_t size);
/* A short constant name for a code ("invalid input", "storage full", ...). */
const char *hq_strerror(int code);

/* A list of diagnostics: loaders add every problem they find. */
typedef struct hq_diags {
    hq_err *items;
    size_t count;
    size_t cap;
} hq_diags;

void hq_diags_init(hq_diags *d);
void hq_diags_fini(hq_diags *d);
/* Adds a diagnostic at a file position; never fails (out of memory aborts: mem.h). */
void hq_diags_add(hq_diags *d, const char *file, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Adds a copy of err. */
void hq_diags_add_err(hq_diags *d, const hq_err *err);

#endif
