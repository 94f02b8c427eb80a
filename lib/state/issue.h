/* issue.h - issues (rectification cases): the record, its state machine,
 * its storage and indexes.
 *
 * States (SPEC §4):
 *
 *   opened --ack--> acknowledged --rectify--> rectified --recheck pass--> closed
 *     |                  |                       |
 *     +----rectify-------+                       +--recheck fail--> reopened
 *   reopened --ack--> acknowledged;  reopened --rectify--> rectified
 *   any state but closed --close--> closed;  --opinion--> (same state)
 *   any state --accountability--> (same state; once per issue)
 *
 * Overdue, the escalation level and accountability are part of the state
 * but not of the state name.  A new issue starts opened (hq_issue_open);
 * from then on hq_issue_apply() is the one place that changes the state:
 * it checks the action against the transition table and refuses
 * (HQ_ESTATE, with a reason) what does not fit, changing nothing.  Both
 * assert the record's invariants on entry and exit (issue_check in
 * issue.c):
 *   - state is one of hq_issue_state, and closed_ms is 0 unless closed;
 *   - the number is set, level >= 1, occurrences >= 1;
 *   - an array with a count has storage (timeline, penalties, chain, timers).
 *
 * An issue keeps a copy of its plan (deadline duration, escalation chain,
 * penalty terms), so rule reloads never strand it, and the keys of its
 * pending timers, so that moving on cancels them.
 */
#ifndef HQ_ISSUE_H
#define HQ_ISSUE_H

#include "buf.h"
#include "plan.h"
#include "vocab.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum { HQ_IS_OPENED, HQ_IS_ACKNOWLEDGED, HQ_IS_RECTIFIED, HQ_IS_REOPENED, HQ_IS_CLOSED, HQ_IS_COUNT } hq_issue_state;

typedef enum {
    HQ_ACT_ACK,
    HQ_ACT_RECTIFY,
    HQ_ACT_RECHECK_PASS,
    HQ_ACT_RECHECK_FAIL,
    HQ_ACT_COMMENT,
    HQ_ACT_CLOSE,
    HQ_ACT_OPINION,
    HQ_ACT_ACCOUNTABILITY,
    HQ_ACT_MODERATE, /* complaint.moderated: personal details hidden from contractors */
    HQ_ACT_COUNT
} hq_issue_action;

typedef struct hq_penalty {
    int64_t amount_cents;
    char *reason;
    char *term;
    int64_t ts_ms;
} hq_penalty;

/* A timeline entry is a typed record (STYLE "Records, not sentences"):
 * a kind from hq_tl_kind, the cause that qualifies it, and fields; its
 * words are rendered from the vocabulary only when shown (hq_tl_render).
 * The evaluation and the reports read kinds and fields, never text.
 *
 * Codes (hq_tl_kind_name) are stable: they are the `kind` of the issue
 * JSON and the words of rule tests' `timeline:`.  Which fields a kind
 * uses:
 *   opened          cause rule: clause = rule id, seq = the event;
 *                   cause missing: clause = rule id, ref = unit, due_ms = slot
 *   acknowledged    -
 *   rectified       text = evidence; cause data: dur_ms = quiet time
 *   reopened        (a recheck failed) count = failed rechecks, text = note
 *   closed          cause recheck | auto_recheck | manual (text = reason,
 *                   ref = the issue it duplicates, if closed as a duplicate)
 *   overdue         due_ms = the deadline passed
 *   escalated       level; cause overdue (dur_ms after the deadline) | opinion
 *   accountability  cause escalation | recurrence (ref) | opinion | manual (text)
 *   penalty         amount_cents, clause = penalty kind (per_overdue_day,
 *                   per_failed_recheck, per_recurrence, opinion), count = days
 *                   for per_overdue_day, ref = earlier issue for per_recurrence
 *   reminder        cause overdue (count = days) | recheck | ack
 *   occurrence      count; cause rule (seq) | missing (due_ms) | counted
 *   recurrence      ref = the closed issue, level = the level it starts at
 *   comment, opinion  text
 *   late            due_ms = when the record was due, seq = the record
 *   missed          clause = timer kind, due_ms, count = 1 when collapsed:
 *                   houqind was not running at due_ms
 *   data_resumed    seq = the first reading after the silence
 *   satisfied       the complainant's answer: solved; count = stars (0: none)
 *   unsolved        the complainant's answer: not solved; count = stars,
 *                   text = their reason
 *   moderated       count = what was hidden (HQ_TL_MOD_*), text = reason
 *   merged          ref = an issue closed as a duplicate of this one
 *   legacy          an entry of a state not yet upgraded: only `what`
 */
typedef enum {
    HQ_TL_LEGACY,
    HQ_TL_OPENED,
    HQ_TL_ACKNOWLEDGED,
    HQ_TL_RECTIFIED,
    HQ_TL_REOPENED,
    HQ_TL_CLOSED,
    HQ_TL_OVERDUE,
    HQ_TL_ESCALATED,
    HQ_TL_ACCOUNTABILITY,
    HQ_TL_PENALTY,
    HQ_TL_REMINDER,
    HQ_TL_OCCURRENCE,
    HQ_TL_RECURRENCE,
    HQ_TL_COMMENT,
    HQ_TL_OPINION,
    HQ_TL_LATE,
    HQ_TL_MISSED,
    HQ_TL_DATA_RESUMED,
    HQ_TL_SATISFIED,
    HQ_TL_UNSOLVED,
    HQ_TL_MODERATED, /* personal details of the complaint hidden from contractors;
                      * count: HQ_TL_MOD_TEXT | HQ_TL_MOD_PHOTOS, text: the reason */
    HQ_TL_MERGED,    /* ref: an issue closed as a duplicate of this one */
    HQ_TL_KIND_COUNT
} hq_tl_kind;

typedef enum {
    HQ_TLC_NONE,
    HQ_TLC_RULE,         /* a rule matched an event */
    HQ_TLC_MISSING,      /* an expected record did not arrive */
    HQ_TLC_DATA,         /* the data showed it (sustained conditions clearing) */
    HQ_TLC_RECHECK,      /* a person's recheck */
    HQ_TLC_AUTO_RECHECK, /* the data passed the recheck */
    HQ_TLC_MANUAL,       /* a person decided, text says why */
    HQ_TLC_OVERDUE,
    HQ_TLC_OPINION,
    HQ_TLC_RECURRENCE,
    HQ_TLC_ESCALATION,
    HQ_TLC_ACK,
    HQ_TLC_COUNTED,      /* occurrences from here on are only counted */
    HQ_TLC_COUNT
} hq_tl_cause;

/* What a moderated entry hid (its count). */
enum { HQ_TL_MOD_TEXT = 1, HQ_TL_MOD_PHOTOS = 2 };

typedef struct hq_tl_entry {
    int64_t ts_ms;
    hq_tl_kind kind;
    hq_tl_cause cause;
    char *actor;
    uint64_t seq;          /* the event that caused it; 0 for timers */
    int level;             /* escalation level */
    int count;             /* occurrence number, failed rechecks, days overdue */
    int64_t amount_cents;  /* penalty */
    int64_t due_ms;        /* slot, deadline or timer due time */
    int64_t dur_ms;        /* a duration of the rules (hq_wdur) */
    char *clause;          /* rule id, penalty kind, timer kind */
    char *ref;             /* another issue's number, a unit */
    char *text;            /* a person's words (evidence, note, reason) */
    char *what;            /* only for entries written before the typed
                            * timeline: their words as hashed then */
    char *auth;   /* how the actor was proven (perm.h): NULL for the system and for
                   * entries from before, "key" (their own CURVE key), "via:<source>"
                   * (a gateway acting for them), "unauthenticated" (no CURVE) */
    unsigned char hash[32]; /* BLAKE2b-256 chained over the timeline (tamper evidence) */
} hq_tl_entry;

typedef struct hq_timer_ref {
    int64_t due_ms;
    uint64_t id;
    int kind;
} hq_timer_ref;

typedef struct hq_issue {
    char number[HQ_ISSUE_NUMBER_SIZE];
    char *rule, *key;
    hq_issue_state state;
    hq_issue_state stored_state; /* as indexed in the store; -1 when new */
    bool is_new;
    bool stored_stuck;           /* indexed as open with no next step (audit) */
    int64_t stored_last_ms;      /* indexed last activity (hq_issue_last_ms) */
    char *domain, *contractor, *site, *category;
    hq_severity severity;
    char *title, *description, *requirement;
    int64_t opened_ms, deadline_ms, closed_ms;
    bool overdue, accountability;
    int level;
    int occurrences;
    int failed_rechecks;
    char *recurrence_of;
    char *close_reason;
    uint64_t source_seq;      /* the event that opened it */
    char *complaint_contact;  /* personal data: only for complainant feedback */
    char *owner;              /* NULL: the contractor's; "office:<unit>": an internal issue of the
                               * office's own obligation (no contractor, not evaluated) */
    /* the plan, copied from the rule when opened */
    int64_t deadline_dur_ms, recheck_after_ms, ack_within_ms, clears_after_ms;
    char *chain_name;
    hq_chain_step *chain;
    size_t nchain;
    hq_penalty_terms terms;
    bool has_terms;
    hq_penalty *penalties;
    size_t npenalties;
    hq_tl_entry *timeline;
    size_t ntimeline;
    hq_timer_ref *timers;
    size_t ntimers;
} hq_issue;

const char *hq_issue_state_name(hq_issue_state s);
int hq_issue_state_parse(const char *s, hq_issue_state *out);
const char *hq_issue_action_name(hq_issue_action a);

/* Frees everything the issue owns (not the struct). */
void hq_issue_fini(hq_issue *is);

/* The transition table: 0 and *to the state after act, or HQ_ESTATE with
 * a reason in err when act does not fit the state. */
int hq_issue_next_state(hq_issue_state from, hq_issue_action act, hq_issue_state *to, hq_err *err);

/* Makes a new record an open issue: state opened, level 1, one
 * occurrence, opened at now_ms.  The number must be set. */
void hq_issue_open(hq_issue *is, int64_t now_ms);

/* Applies act to the issue's state through the transition table: 0, or
 * HQ_ESTATE with a reason (prefixed with the number) and nothing changed.
 * The timeline, deadlines and penalties are the caller's (the engine). */
int hq_issue_apply(hq_issue *is, hq_issue_action act, hq_err *err);

/* The timeline's codes ("opened", ..., "missed"; "legacy"); a static
 * string.  hq_tl_kind_parse: 0 and *out, or HQ_EINVAL. */
const char *hq_tl_kind_name(hq_tl_kind k);
int hq_tl_kind_parse(const char *s, hq_tl_kind *out);
const char *hq_tl_cause_name(hq_tl_cause c);
/* hq_tl_first/last: ts_ms of the first (last) entry of that kind, 0: none. */
int64_t hq_tl_first(const hq_issue *is, hq_tl_kind k);
int64_t hq_tl_last(const hq_issue *is, hq_tl_kind k);

/* Who reads the words: staff (detail such as rule ids and event numbers
 * may follow in parentheses) or the public (a contractor, a
 * complainant: no internal ids). */
typedef enum { HQ_TL_STAFF, HQ_TL_PUBLIC } hq_tl_audience;
/* Appends the entry's words, from the installed vocabulary (vocab.h). */
void hq_tl_render(const hq_tl_entry *e, hq_tl_audience who, hq_buf *out);

/* Appends a typed entry (fields of *tpl: kind, cause, level, count,
 * amount_cents, due_ms, dur_ms, clause, ref, text; strings are copied)
 * at ts_ms by actor (NULL: "system") for event seq, and chains it. */
hq_tl_entry *hq_issue_add(hq_issue *is, int64_t ts_ms, const char *actor, uint64_t seq, const hq_tl_entry *tpl);
/* Shorthand for an entry with only a kind, a cause and a text. */
void hq_issue_note(hq_issue *is, int64_t ts_ms, const char *actor, uint64_t seq, hq_tl_kind kind, hq_tl_cause cause,
                   const char *text);
/* Parses the words of an entry written before the typed timeline (its
 * English prefix "opened:", "penalty: 违约金 1.00 元..."), filling kind,
 * cause and the fields it can: used only by the upgrade. */
void hq_tl_parse_legacy(hq_tl_entry *e);
/* Marks the entries from index `from` on whose actor is `actor` with how
 * the actor was proven (auth, copied), and re-chains their hashes. */
void hq_issue_mark_auth(hq_issue *is, size_t from, const char *actor, const char *auth);
/* The actor of the last rectification reported, or NULL (a view). */
const char *hq_issue_rectified_by(const hq_issue *is);
/* Assesses a penalty under the issue's terms, respecting the caps of its
 * kind (cap_cents, 0 = none) and the total cap; returns the amount
 * actually assessed (0 when a cap is reached). */
int64_t hq_issue_penalize(hq_issue *is, int64_t ts_ms, int64_t amount_cents, int64_t cap_cents, const char *kind,
                          const char *reason);
int64_t hq_issue_penalty_total(const hq_issue *is);
/* The chain step of a level, or NULL. */
const hq_chain_step *hq_issue_step(const hq_issue *is, int level);
/* Copies the plan (chain steps and terms deep) into the issue. */
void hq_issue_copy_plan(hq_issue *is, const hq_plan *plan);

/* Storage.  hq_issue_load fills is from the store (HQ_ENOTFOUND if no
 * such number); hq_issue_save writes it and keeps the indexes right. */
int hq_issue_load(hq_store *s, MDB_txn *txn, const char *number, hq_issue *is, hq_err *err);
int hq_issue_load_raw(const char *buf, size_t len, hq_issue *is, hq_err *err);
int hq_issue_save(hq_store *s, MDB_txn *txn, hq_issue *is, hq_err *err);
/* A new number HQ-<year>-NNNNNN (year in the configured time zone). */
int hq_issue_number_new(hq_store *s, MDB_txn *txn, int year, char *out, size_t size, hq_err *err);

/* The group of (rule, key): its open issue and its last closed one. */
typedef struct hq_group {
    char open[HQ_ISSUE_NUMBER_SIZE];        /* "" when none is open */
    char last_closed[HQ_ISSUE_NUMBER_SIZE];
    int64_t last_closed_ms;
} hq_group;
int hq_group_get(hq_store *s, MDB_txn *txn, const char *rule, const char *key, hq_group *g, hq_err *err);
int hq_group_put(hq_store *s, MDB_txn *txn, const char *rule, const char *key, const hq_group *g, hq_err *err);

/* Recomputes the timeline's hash chain; returns the index of the first
 * entry that does not match, or -1 when the whole timeline is intact. */
long hq_issue_verify_timeline(const hq_issue *is);

/* JSON of SPEC §8 (with the timeline; pii only when include_pii). */
void hq_issue_to_json(const hq_issue *is, hq_buf *out, bool include_pii);

/* Iterates the issues in one state through the index; fn returns nonzero
 * to stop. */
/* The audit's indexes: the number of issues not closed (kept by every
 * save), and the open issues with no next step scheduled. */
int hq_issue_open_count(hq_store *s, MDB_txn *txn, uint64_t *n, hq_err *err);
int hq_issue_each_stuck(hq_store *s, MDB_txn *txn, int (*fn)(void *ctx, const char *number), void *ctx,
                        hq_err *err);
/* Builds those indexes once for a state written before they existed (a scan
 * of every issue); a no-op afterwards. *scanned counts the issues read. */
int hq_issue_index_upgrade(hq_store *s, MDB_txn *txn, size_t *scanned, hq_err *err);

/* The console's indexes (houqin-web's pages on large states), kept by every
 * save and built once by hq_issue_index_upgrade for an older state:
 *   - the open issues (not closed) of each contractor;
 *   - every issue by its last activity (hq_issue_last_ms), with its
 *     opening time, so that a period's evaluation reads only the issues
 *     that moved in or after the period.
 * hq_issue_console_indexed: whether the state has them (a reader of a
 * state that houqind has not upgraded yet scans instead). */
int hq_issue_console_indexed(hq_store *s, MDB_txn *txn, bool *yes, hq_err *err);
/* The latest time of the issue's opening, closing, timeline and penalties. */
int64_t hq_issue_last_ms(const hq_issue *is);
/* The open issues of contractor, by number, newest first when newest_first;
 * from the one before `before` (a number) when before is set.  fn returns
 * nonzero to stop. */
int hq_issue_each_open_of(hq_store *s, MDB_txn *txn, const char *contractor, bool newest_first, const char *before,
                          int (*fn)(void *ctx, const char *number), void *ctx, hq_err *err);
/* The issues whose last activity is at or after from_ms, in the order of
 * that time; fn gets each one's opening time too. */
int hq_issue_each_active_since(hq_store *s, MDB_txn *txn, int64_t from_ms,
                               int (*fn)(void *ctx, const char *number, int64_t opened_ms), void *ctx,
                               hq_err *err);
/* The evaluation's summary of an issue (lib/report/evaluation.c reads no
 * more): number, state, severity, owner, domain, contractor, category,
 * opening and closing times, each penalty's time and amount and each
 * timeline entry's time and kind.  Kept next to the console's indexes by
 * every save (about 150 bytes instead of the whole record), built once by
 * hq_issue_index_upgrade for an older state (meta "index:eval");
 * hq_issue_summarized says whether a state has them.
 * hq_issue_load_summary fills sum->is with those fields only (every other
 * field zero) from the store, reusing sum's memory: no allocation per
 * issue once it has grown.  sum->is is valid until the next load; the
 * caller never passes it to hq_issue_fini but frees sum with
 * hq_issue_summary_fini.  HQ_ENOTFOUND when the issue has no summary. */
typedef struct hq_issue_summary {
    hq_issue is;
    char *strs;
    size_t strs_cap, tl_cap, pen_cap;
} hq_issue_summary;
int hq_issue_summarized(hq_store *s, MDB_txn *txn, bool *yes, hq_err *err);
int hq_issue_load_summary(hq_store *s, MDB_txn *txn, const char *number, hq_issue_summary *sum, hq_err *err);
void hq_issue_summary_fini(hq_issue_summary *sum);
/* Whether the state's timelines are typed (meta "timeline:typed"); a new
 * state is marked so by hq_issue_timeline_mark. */
int hq_issue_timeline_typed(hq_store *s, MDB_txn *txn, bool *typed, hq_err *err);
int hq_issue_timeline_mark(hq_store *s, MDB_txn *txn, hq_err *err);
/* Types the timelines of a state written before the typed timeline:
 * every entry's words are parsed once (hq_tl_parse_legacy) and kept as
 * they were hashed, so the chains still verify; then the marker is set.
 * *scanned counts the issues rewritten; *broken those whose chain did
 * not verify before (rewritten all the same, their hashes untouched). */
int hq_issue_timeline_upgrade(hq_store *s, MDB_txn *txn, size_t *scanned, size_t *broken, hq_err *err);

int hq_issue_each_in_state(hq_store *s, MDB_txn *txn, hq_issue_state st,
                           int (*fn)(void *ctx, const char *number), void *ctx, hq_err *err);

#endif
