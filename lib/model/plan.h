/* plan.h - what an issue is opened with and keeps: the escalation chain
 * and the penalty terms.  The rule set owns the originals (rules.h); an
 * issue copies them when it opens (hq_issue_copy_plan), so that a reload
 * of the rules never changes or strands an open issue's plan.
 */
#ifndef HQ_PLAN_H
#define HQ_PLAN_H

#include "vocab.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hq_chain_step {
    int level;              /* 1 = first level */
    int64_t after_ms;       /* after the deadline (level 1: at opening) */
    hq_role *roles;
    size_t nroles;
    bool accountability;    /* reaching this level starts accountability */
} hq_chain_step;

typedef struct hq_chain {
    char *name;
    hq_chain_step *steps;   /* sorted by level */
    size_t nsteps;
} hq_chain;

typedef struct hq_penalty_terms {
    char *name;
    char *contract;               /* the contract clause, quoted on the issue */
    int64_t per_overdue_day_cents, overdue_cap_cents;
    int64_t per_failed_recheck_cents, failed_recheck_cap_cents;
    int64_t per_recurrence_cents, recurrence_cap_cents;
    int64_t opinion_cents;
    int64_t total_cap_cents;      /* 0 = none */
} hq_penalty_terms;

/* The durations and references a rule gives an issue it opens; views into
 * the rule set, copied by hq_issue_copy_plan(). */
typedef struct hq_plan {
    int64_t deadline_ms, recheck_after_ms, ack_within_ms, clears_after_ms;
    const hq_chain *chain;           /* NULL: no escalation */
    const hq_penalty_terms *terms;   /* NULL: no penalties */
} hq_plan;

#endif
