/* ctl.h - shared pieces of houqinctl's commands. */
#ifndef HQCTL_H
#define HQCTL_H

#include "err.h"

#include <msgpack.h>
#include <stdbool.h>

#ifndef HQ_DEFAULT_RULES
#define HQ_DEFAULT_RULES "rules"
#endif
#ifndef HQ_DEFAULT_SCHEMAS
#define HQ_DEFAULT_SCHEMAS "schemas"
#endif

#define HQ_DEFAULT_INGEST "tcp://127.0.0.1:7601"
#define HQ_DEFAULT_CONTROL "tcp://127.0.0.1:7603"

/* Exit codes: 0 success, 1 the action was refused (an event rejected, a
 * check failed), 2 bad usage or bad input (unknown issue, bad date, ...). */
enum { EXIT_REFUSED = 1, EXIT_USAGE = 2 };

typedef struct ctl_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} ctl_cmd;

/* Prints "houqinctl: <msg>" to stderr and returns EXIT_USAGE. */
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One request/reply on the control socket; *reply is decoded into zone.
 * Returns 0, or prints the problem and returns an exit code. */
int ctl_control_call(const char *endpoint, const char *req, size_t len, int timeout_ms, msgpack_zone *zone,
                     msgpack_object *reply, char **raw_out);

int cmd_send(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_issues(int argc, char **argv);
int cmd_issue(int argc, char **argv);
int cmd_outbox(int argc, char **argv);
int cmd_obligations(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_verify(int argc, char **argv);

#endif
