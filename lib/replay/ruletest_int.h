/* ruletest_int.h - private to ruletest.c (loading) and ruletest_run.c
 * (running): the compiled form of a rule test file.
 *
 * A loaded file keeps its YAML tree; steps and conditions point into it
 * (views valid until hq_ruletests_destroy()).
 */
#ifndef HQ_RULETEST_INT_H
#define HQ_RULETEST_INT_H

#include "ruletest.h"
#include "ytree.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    ST_EVENT,
    ST_ACT,
    ST_ADVANCE,
    ST_AT,
    ST_EXPECT_ISSUES,
    ST_EXPECT_ISSUE,
    ST_EXPECT_NO_ISSUE,
    ST_EXPECT_OUTBOX,
    ST_EXPECT_NO_OUTBOX,
    ST_EXPECT_REJECTED,
    ST_COUNT
} step_kind;

typedef struct evspec {
    bool act;               /* data fields flat beside type (act), or under data (event) */
    const hq_ynode *node;   /* the map */
    const char *type;
    const hq_schema *schema;
    const char *source, *id;
    const hq_ynode *data;   /* event: the data map, or NULL */
    bool has_ts;
    int64_t ts_ms;
} evspec;

enum { W_ISSUE = 1, W_OUTBOX = 2, W_BOTH = 3 };
typedef enum { V_STR, V_INT, V_BOOL, V_TIME, V_YUAN, V_WORDS, V_REF } vtype;

typedef enum {
    K_NUMBER, K_ISSUE, K_RULE, K_KEY, K_STATE, K_KIND, K_DOMAIN, K_CONTRACTOR, K_SITE, K_CATEGORY, K_SEVERITY,
    K_TITLE, K_TITLE_CONTAINS, K_DESCRIPTION_CONTAINS, K_TEXT_CONTAINS, K_LEVEL, K_OVERDUE, K_ACCOUNTABILITY,
    K_OCCURRENCES, K_OPENED_AT, K_CLOSED_AT, K_DEADLINE_AT, K_AT, K_PENALTY_TOTAL, K_PENALTIES,
    K_TIMELINE_CONTAINS, K_TIMELINE, K_ROLES, K_ROLES_INCLUDE, K_OWNER,
} field_id;

typedef struct fdef {
    const char *name;
    field_id id;
    vtype vt;
    unsigned where;
} fdef;

typedef struct fcond {
    const fdef *def;
    const hq_ynode *node;   /* the value */
    const char *s;          /* V_STR, V_REF */
    int64_t i;              /* V_INT, V_TIME, V_YUAN (cents) */
    bool b;
    const char **words;     /* V_WORDS */
    size_t nwords;
} fcond;

typedef struct step {
    step_kind kind;
    int line, column;
    const hq_ynode *val;
    int64_t clock_ms;       /* the clock when the step runs */
    int64_t ms;             /* advance: the duration; at: the time */
    evspec ev;              /* event, act, expect_rejected */
    fcond *conds;
    size_t nconds;
    bool has_count;
    int64_t count;
    const char *error_contains;
} step;

typedef struct test {
    char *name;
    int line;
    int64_t start_ms;
    step *steps;
    size_t nsteps;
} test;

struct hq_ruletests {
    char *file;
    hq_ydoc *doc;
    const hq_schemas *schemas;
    const hq_rules *rules;
    test *tests;
    size_t ntests;
};

extern const char *const hq_rt_step_names[ST_COUNT + 1];

/* An issue reference: a number (HQ-2026-000001), $last, or $N (the Nth
 * issue opened in the test), the last two optionally of one rule only
 * ($last:catering.complaint-burst). */
typedef struct hq_rt_ref {
    enum { REF_NUMBER, REF_LAST, REF_NTH } kind;
    long n;                 /* REF_NTH */
    const char *rule;       /* after the ':', or NULL */
} hq_rt_ref;
/* 0, or HQ_EINVAL when s is not a reference. */
int hq_rt_ref_parse(const char *s, hq_rt_ref *out);

/* Resolves a reference to an issue number (into out), or fails with the
 * reason in err. */
typedef int (*hq_rt_ref_fn)(void *ctx, const char *ref, char *out, size_t size, hq_err *err);

/* Packs the event of an event, act or expect_rejected step: the envelope
 * (ts: the clock unless the step says; id: made from the line unless the
 * step says), data with $-references in data.issue resolved by ref.  On a
 * reference that does not resolve, err holds its position. */
int hq_rt_pack_event(const evspec *e, int line, int64_t clock_ms, hq_rt_ref_fn ref, void *ctx, msgpack_sbuffer *sb,
                     hq_err *err);
/* The YAML node a validation message's path ("data.items.2.result: ...")
 * names, or the closest one above it. */
const hq_ynode *hq_rt_node_of_path(const evspec *e, const char *msg);
/* 90m as "1h30m". */
void hq_rt_fmt_duration(int64_t ms, char *buf, size_t size);

#endif
