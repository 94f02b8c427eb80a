/* engine_int.h - what the engine's three files share; not a public header.
 *
 *   engine.c     the engine object, event and timer dispatch, the ledger
 *                head and the audit (the public functions of engine.h);
 *   issueflow.c  the issue flow: templates, opening and attaching,
 *                notifications, penalties, accountability, escalation,
 *                lifecycle actions, and the timers of an issue;
 *   rulestate.c  rule state: counting windows, sustained conditions, stale
 *                data, obligations (absence rules), and the rules' timers.
 *
 * Functions here are hqe_*: internal linkage in spirit, external only so
 * that the three files can call each other.  Every one takes the
 * transaction from its caller and begins or commits nothing (engine.h).
 */
#ifndef HQ_ENGINE_INT_H
#define HQ_ENGINE_INT_H

#include "engine.h"

#include "authz.h"
#include "buf.h"
#include "clock.h"
#include "issue.h"
#include "mem.h"
#include "mp.h"
#include "obligation.h"
#include "outbox.h"
#include "timer.h"
#include "worktime.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HQ_OCCURRENCES_LISTED 100 /* occurrences listed on a timeline; later ones are counted */

struct hq_engine {
    const hq_rules *rules;
    int64_t started_ms;
    int64_t last_alive_ms; /* the heartbeat before this start; 0: unknown */
    const hq_rule **cand; /* hq_rules_select's output, room for hq_rules_max_for */
    size_t ncand;
    const hq_timer *late; /* the timer being fired, when it came due while the daemon was down */
    hq_buf key;           /* the grouping key of the rule being applied (reused: no allocation per event) */
    hq_perm_reason refusal; /* why the last event was refused (HQ_EPERM) */
};

typedef struct rctx {
    const hq_engine *e;
    const hq_rule *rule;
    const hq_event *ev;
    const char *key;
    const char *site;
    const char *contractor;
    int64_t deadline_ms;
    const char *unit;      /* absence rules: the unit whose event is missing */
    int64_t slot_ms;       /* absence rules: the missed deadline */
    bool words;            /* text people read (title, description, requirement): a
                            * category field (schema.h category_of) or an enum value
                            * renders its label, a bool 是/否 (vocab.h) */
} rctx;

/* engine.c: the engine object and the effects */
void hqe_fx_outbox(hq_effects *fx, uint64_t seq);
bool hqe_missed_while_down(const hq_engine *e, const hq_timer *t, int64_t now_ms);
bool hqe_fires_late(const hq_engine *e, const hq_timer *t, int64_t now_ms);
/* Notes a timer that fired late: missed (houqind was not running at its
 * due time) or late (late data set it). */
void hqe_note_missed(const hq_engine *e, hq_issue *is, const hq_timer *t, int64_t now_ms);

/* issueflow.c: the issue flow (templates, opening, notifications, penalties,
 * escalation, lifecycle actions, the timers of an issue) */
int hqe_close_issue(hq_store *s, MDB_txn *txn, hq_issue *is, int64_t now_ms, const char *outcome, hq_effects *fx,
    hq_err *err);
int hqe_fire_issue_timer(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_timer *t, int64_t now_ms,
    hq_effects *fx, hq_err *err);
/* complaint.feedback: noted on its issue; "not solved" tells the section
 * head.  0 when it names no stored issue (nothing changed). */
int hqe_complaint_feedback(hq_store *s, MDB_txn *txn, const hq_event *ev, uint64_t seq, int64_t now_ms,
                           hq_effects *fx, hq_err *err);
int hqe_lifecycle_event(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_event *ev, hq_issue_action act,
    uint64_t seq, int64_t now_ms, hq_effects *fx, hq_err *err);
int hqe_match(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_rule *rule, const char *key, const hq_event *ev,
    uint64_t seq, int64_t now_ms, hq_effects *fx, hq_err *err);
int hqe_open_issue(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_rule *rule, const char *key,
    const hq_event *ev, uint64_t seq, int64_t now_ms, hq_group *g, hq_effects *fx, hq_err *err);
int hqe_open_issue_for(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_rule *rule, const char *key,
    const hq_event *ev, const char *unit, int64_t slot_ms, uint64_t seq, int64_t now_ms,
    hq_group *g, hq_effects *fx, hq_err *err);
/* A template's placeholders (key, data.*, site, ...) for hq_tmpl_render;
 * ctx is an rctx.  hqe_render: the rendered text, the caller's to free. */
bool hqe_resolve(void *ctx, const char *path, hq_buf *out);
char *hqe_render(const hq_tmpl *t, rctx *c);

/* rulestate.c: rule state (counting windows, sustained conditions, stale
 * data, obligations, the rules' timers) */
int hqe_count_match(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_rule *rule, const char *key,
    const hq_event *ev, uint64_t seq, int64_t now_ms, hq_effects *fx, hq_err *err);
int hqe_fire_obligation(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_timer *t, int64_t now_ms, size_t max,
    size_t *work, hq_effects *fx, hq_err *err);
int hqe_fire_rule_timer(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_timer *t, int64_t now_ms,
    hq_effects *fx, hq_err *err);
int hqe_satisfy(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_rule *rule, const char *unit, const hq_event *ev,
    uint64_t seq, int64_t now_ms, hq_err *err);
int hqe_stale_seen(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_rule *rule, const char *key,
    const hq_event *ev, uint64_t seq, int64_t now_ms, hq_err *err);
/* The time in the rule's `until` field of ev (sustained: {until: ...}):
 * false when the event has no such integer field. */
bool hqe_until_ms(const hq_rule *rule, const hq_event *ev, int64_t *ms);
int hqe_sustained(hq_store *s, MDB_txn *txn, const hq_rule *rule, const char *key, bool cond, const hq_event *ev,
    uint64_t seq, hq_err *err);

#endif
