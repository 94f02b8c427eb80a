/* ruletest.h - rule tests: YAML files of events in, issues and alerts
 * expected out, with simulated time (SPEC §3; the format is documented for
 * administrators in rules/README-tests.md).
 *
 * hq_ruletests_load() reads one test file and checks all of it against
 * the schemas and the rules before anything runs: the structure, every
 * key, durations and times, that the clock never goes back, that every
 * event of an `event` or `act` step is valid for its schema, that every
 * rule, state, severity, outbox kind, role and timeline word named in an
 * expectation exists.  Like every loader it collects each problem as
 * file:line:column and then refuses the whole file: a test that names an
 * unknown rule or field is an error, never a pass.
 *
 * hq_ruletests_run() runs one test of the file on a fresh scratch state
 * (sim.h) with the rules, and reports each failed expectation as
 * file:line: expected ..., got ... (at the line of the step).  A failed
 * expectation does not stop the test (every failure is reported); an
 * event the engine refuses, or a reference to an issue that does not
 * exist ($3 when two were opened), ends it.
 *
 * A loaded hq_ruletests keeps the YAML tree and borrows the schemas and
 * rules, which must outlive it.  Library code: nothing is printed; the
 * optional trace callback is how a caller shows the steps (-v).
 */
#ifndef HQ_RULETEST_H
#define HQ_RULETEST_H

#include "err.h"
#include "rules.h"
#include "schema.h"

#include <stddef.h>

typedef struct hq_ruletests hq_ruletests;

typedef enum { HQ_RT_PASS, HQ_RT_FAIL, HQ_RT_ERROR } hq_rt_result;
const char *hq_rt_result_name(hq_rt_result r); /* "PASS", "FAIL", "ERROR" */

/* Reads and checks path.  On any problem, every one is in diags and
 * HQ_EINVAL (HQ_EIO when the file cannot be read) is returned. */
int hq_ruletests_load(const char *path, const hq_schemas *schemas, const hq_rules *rules, hq_ruletests **out,
                      hq_diags *diags);
void hq_ruletests_destroy(hq_ruletests **t);

size_t hq_ruletests_count(const hq_ruletests *t);
const char *hq_ruletests_file(const hq_ruletests *t);
/* The test's name and the line it starts at. */
const char *hq_ruletests_name(const hq_ruletests *t, size_t i);
int hq_ruletests_line(const hq_ruletests *t, size_t i);

/* Called once per step with what it did ("advance 10m: now
 * 2026-09-01T08:10:00+08:00, 1 timer fired"); line is the step's. */
typedef void (*hq_ruletest_trace_fn)(void *ctx, const char *file, int line, const char *what);

typedef struct hq_ruletest_opts {
    const char *scratch_dir;     /* parent of the scratch states (NULL: $TMPDIR or /tmp) */
    hq_ruletest_trace_fn trace;  /* may be NULL */
    void *ctx;
} hq_ruletest_opts;

/* Runs test i.  *result says how it went; the failures (FAIL) or the
 * error (ERROR) are added to out, each with the file and the step's line.
 * Returns 0, or a negative code when the runner itself could not work
 * (the scratch state), with err set. */
int hq_ruletests_run(const hq_ruletests *t, size_t i, const hq_ruletest_opts *opts, hq_rt_result *result,
                     hq_diags *out, hq_err *err);

/* Times in test files and reports: 2026-09-01T08:00:00+08:00, ...Z, or
 * without an offset in the local zone (the rules' time zone); seconds
 * and fractions optional; a date alone is its midnight. */
int hq_rt_parse_time(const char *s, int64_t *ms);
/* ms as 2026-09-01T08:00:00+08:00 in the local zone. */
void hq_rt_format_time(int64_t ms, char *buf, size_t size);

#endif
