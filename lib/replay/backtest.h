/* backtest.h - replaying a state's stored event log through a rule set,
 * and comparing the issues it opens with the ones the running rules
 * opened (SPEC §6; houqinctl backtest).
 *
 * The source state is only read, through the caller's read transaction
 * (one snapshot: the log and the issues compared are of the same moment).
 * The replay runs in a sim (sim.h) on a scratch state whose clock starts
 * where the source state's history began (its origin, store.h: the clock
 * of houqind's first generation of obligations, before any event), so the
 * issues scheduled rules opened before the first event are replayed too;
 * with from_ms later than that, at from_ms; for a state made before the
 * origin record existed, at the first event replayed.  Then each event at
 * its stored_ms (the time houqind stored it), with every timer that came
 * due in between fired at its due time first, and after the last event
 * the clock is run on to end_ms.  This is houqind's own walk (daily
 * generation, then the timers of one due time), so with the daemon's own
 * rules the backtest reproduces its issues.
 *
 * Lifecycle events (issue.acknowledged, issue.rectified, ...) in the log
 * name issues of the running state.  Each is mapped by (rule, key): the
 * running issue's rule and key name the group whose open issue in the
 * backtest gets the event, with data.issue rewritten to its number.  When
 * the backtest has no open issue for that (rule, key) (the rule is not in
 * the rule set, its condition did not fire, or the issue already closed
 * itself), the event is skipped; when the backtest issue is in a state
 * that does not take it, the engine refuses it.  Both are counted and
 * listed (the first HQ_BT_MAX_SKIPS) with the reason.
 *
 * Comparison: issues are grouped by (rule, key) on both sides, each
 * group in the order opened, and paired in that order; an issue without a
 * partner is only in the backtest or only in the running state; a pair
 * differs when severity, escalation level or state differ.  The running
 * side holds the issues opened within [from_ms, to_ms).
 */
#ifndef HQ_BACKTEST_H
#define HQ_BACKTEST_H

#include "buf.h"
#include "issue.h"
#include "rules.h"
#include "schema.h"
#include "store.h"

#include <stdint.h>

#define HQ_BT_MAX_SKIPS 200

typedef struct hq_backtest_opts {
    int64_t from_ms;       /* events stored at or after this (0: from the first) */
    int64_t to_ms;         /* ... and before this (0: to the last) */
    int64_t end_ms;        /* the clock at the end (at least the last event's time) */
    const char *scratch_dir; /* parent of the scratch state (NULL: $TMPDIR or /tmp) */
    /* Called every few thousand events and at the end; may be NULL. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *ctx;
} hq_backtest_opts;

enum { HQ_BT_SEVERITY = 1, HQ_BT_LEVEL = 2, HQ_BT_STATE = 4 };

typedef struct hq_bt_pair {
    const hq_issue *running, *backtest; /* views into the result's arrays */
    unsigned diff;                      /* HQ_BT_* that differ; 0: the same */
} hq_bt_pair;

typedef struct hq_bt_skip {
    uint64_t seq;          /* in the source log */
    char type[48];
    char issue[HQ_ISSUE_NUMBER_SIZE];        /* the running state's number */
    char reason[200];
    int refused;           /* 1: the engine refused it; 0: no issue to map it to */
} hq_bt_skip;

/* Where the simulation's clock started. */
typedef enum {
    HQ_BT_START_NONE,        /* no simulation: nothing to replay from */
    HQ_BT_START_ORIGIN,      /* the state's origin */
    HQ_BT_START_FROM,        /* opts.from_ms */
    HQ_BT_START_FIRST_EVENT, /* the first event replayed (no origin record) */
} hq_bt_start;

typedef struct hq_backtest {
    int64_t start_ms;           /* the simulation's first clock (0: none) */
    hq_bt_start start;
    uint64_t events;            /* in the range */
    uint64_t replayed;          /* applied (lifecycle ones included) */
    uint64_t invalid;           /* do not validate against the given schemas */
    uint64_t lifecycle_applied, lifecycle_skipped, lifecycle_refused;
    uint64_t timers_fired;
    int64_t first_ms, last_ms;  /* stored_ms of the first and last event replayed (0: none) */
    int64_t end_ms;             /* where the clock stopped */
    hq_issue *bt;               /* the backtest's issues, by (rule, key, opened) */
    size_t nbt;
    hq_issue *run;              /* the running state's, opened within the range */
    size_t nrun;
    hq_bt_pair *pairs;          /* in both */
    size_t npairs;
    const hq_issue **only_bt, **only_run;
    size_t nonly_bt, nonly_run;
    hq_bt_skip *skips;          /* the first HQ_BT_MAX_SKIPS */
    size_t nskips;
} hq_backtest;

/* Replays the log of src (read through src_txn) through rules.  Returns
 * 0 and a result the caller destroys, or an error (the scratch state). */
int hq_backtest_run(hq_store *src, MDB_txn *src_txn, const hq_schemas *schemas, const hq_rules *rules,
                    const hq_backtest_opts *opts, hq_backtest **out, hq_err *err);
void hq_backtest_destroy(hq_backtest **b);

/* The result as one JSON object (format in houqinctl backtest --help). */
void hq_backtest_to_json(const hq_backtest *b, hq_buf *out);

#endif
