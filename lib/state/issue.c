#include "issue.h"

#include "json.h"
#include "mem.h"
#include "mp.h"
#include "clock.h"
#include "worktime.h"

#include <msgpack.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[HQ_IS_COUNT] = {"opened", "acknowledged", "rectified", "reopened", "closed"};
static const char *const action_names[HQ_ACT_COUNT] = {"acknowledge", "rectify", "recheck (pass)", "recheck (fail)",
                                                       "comment", "close", "public-opinion report",
                                                       "accountability", "moderate"};

const char *hq_issue_state_name(hq_issue_state s)
{
    return (unsigned)s < HQ_IS_COUNT ? state_names[s] : "?";
}

int hq_issue_state_parse(const char *s, hq_issue_state *out)
{
    for (int i = 0; i < HQ_IS_COUNT; i++)
        if (strcmp(s, state_names[i]) == 0) {
            *out = (hq_issue_state)i;
            return 0;
        }
    return HQ_EINVAL;
}

const char *hq_issue_action_name(hq_issue_action a)
{
    return action_names[a];
}

/* The transition table.  from: a bit per state the action is allowed in;
 * to: the state after it (-1: unchanged). */
#define S(x) (1u << (x))
static const struct {
    unsigned from;
    int to;
} transitions[HQ_ACT_COUNT] = {
    [HQ_ACT_ACK] = {S(HQ_IS_OPENED) | S(HQ_IS_REOPENED), HQ_IS_ACKNOWLEDGED},
    [HQ_ACT_RECTIFY] = {S(HQ_IS_OPENED) | S(HQ_IS_ACKNOWLEDGED) | S(HQ_IS_REOPENED), HQ_IS_RECTIFIED},
    [HQ_ACT_RECHECK_PASS] = {S(HQ_IS_RECTIFIED), HQ_IS_CLOSED},
    [HQ_ACT_RECHECK_FAIL] = {S(HQ_IS_RECTIFIED), HQ_IS_REOPENED},
    [HQ_ACT_COMMENT] = {S(HQ_IS_OPENED) | S(HQ_IS_ACKNOWLEDGED) | S(HQ_IS_RECTIFIED) | S(HQ_IS_REOPENED) |
                            S(HQ_IS_CLOSED),
                        -1},
    [HQ_ACT_CLOSE] = {S(HQ_IS_OPENED) | S(HQ_IS_ACKNOWLEDGED) | S(HQ_IS_RECTIFIED) | S(HQ_IS_REOPENED),
                      HQ_IS_CLOSED},
    [HQ_ACT_OPINION] = {S(HQ_IS_OPENED) | S(HQ_IS_ACKNOWLEDGED) | S(HQ_IS_RECTIFIED) | S(HQ_IS_REOPENED), -1},
    [HQ_ACT_ACCOUNTABILITY] = {S(HQ_IS_OPENED) | S(HQ_IS_ACKNOWLEDGED) | S(HQ_IS_RECTIFIED) | S(HQ_IS_REOPENED) |
                                   S(HQ_IS_CLOSED),
                               -1},
    [HQ_ACT_MODERATE] = {S(HQ_IS_OPENED) | S(HQ_IS_ACKNOWLEDGED) | S(HQ_IS_RECTIFIED) | S(HQ_IS_REOPENED) |
                             S(HQ_IS_CLOSED),
                         -1},
};

int hq_issue_next_state(hq_issue_state from, hq_issue_action act, hq_issue_state *to, hq_err *err)
{
    if (!(transitions[act].from & S(from))) {
        if (from == HQ_IS_CLOSED)
            return hq_err_set(err, HQ_ESTATE, "the issue is closed; %s is not possible", action_names[act]);
        if (act == HQ_ACT_RECHECK_PASS || act == HQ_ACT_RECHECK_FAIL)
            return hq_err_set(err, HQ_ESTATE, "the issue is %s; a recheck needs a rectification first",
                              state_names[from]);
        if (act == HQ_ACT_RECTIFY)
            return hq_err_set(err, HQ_ESTATE, "the issue is already rectified and waits for its recheck");
        return hq_err_set(err, HQ_ESTATE, "the issue is %s; %s is not possible", state_names[from],
                          action_names[act]);
    }
    *to = transitions[act].to < 0 ? from : (hq_issue_state)transitions[act].to;
    return 0;
}

/* The invariants issue.h states, checked on entry to and exit from every
 * state change (SQLite's assert_pager_state() habit).  Always true. */
static inline bool issue_check(const hq_issue *is)
{
    assert((unsigned)is->state < HQ_IS_COUNT);
    assert(is->number[0]);
    assert(is->level >= 1);
    assert(is->occurrences >= 1);
    assert(is->ntimeline == 0 || is->timeline);
    assert(is->npenalties == 0 || is->penalties);
    assert(is->nchain == 0 || is->chain);
    assert(is->ntimers == 0 || is->timers);
    (void)is;
    return true;
}

void hq_issue_open(hq_issue *is, int64_t now_ms)
{
    is->state = HQ_IS_OPENED;
    is->opened_ms = now_ms;
    is->closed_ms = 0;
    is->level = 1;
    is->occurrences = 1;
    assert(issue_check(is));
}

int hq_issue_apply(hq_issue *is, hq_issue_action act, hq_err *err)
{
    assert(issue_check(is));
    assert((unsigned)act < HQ_ACT_COUNT);
    hq_issue_state to;
    int rc = hq_issue_next_state(is->state, act, &to, err);
    if (rc) {
        hq_err_prefix(err, "%s", is->number);
        return rc;
    }
    is->state = to;
    assert(issue_check(is));
    return 0;
}

void hq_issue_fini(hq_issue *is)
{
    free(is->rule);
    free(is->key);
    free(is->domain);
    free(is->contractor);
    free(is->site);
    free(is->category);
    free(is->title);
    free(is->description);
    free(is->requirement);
    free(is->recurrence_of);
    free(is->close_reason);
    free(is->complaint_contact);
    free(is->owner);
    free(is->chain_name);
    for (size_t i = 0; i < is->nchain; i++)
        free(is->chain[i].roles);
    free(is->chain);
    free(is->terms.name);
    free(is->terms.contract);
    for (size_t i = 0; i < is->npenalties; i++) {
        free(is->penalties[i].reason);
        free(is->penalties[i].term);
    }
    free(is->penalties);
    for (size_t i = 0; i < is->ntimeline; i++) {
        hq_tl_entry *e = &is->timeline[i];
        free(e->what);
        free(e->actor);
        free(e->auth);
        free(e->clause);
        free(e->ref);
        free(e->text);
    }
    free(is->timeline);
    free(is->timers);
    memset(is, 0, sizeof *is);
}

static void h_str(crypto_generichash_state *st, const char *s)
{
    s = s ? s : "";
    crypto_generichash_update(st, (const unsigned char *)s, strlen(s) + 1);
}

static void h_i64(crypto_generichash_state *st, int64_t v)
{
    unsigned char b[8];
    hq_be64_put(b, (uint64_t)v);
    crypto_generichash_update(st, b, 8);
}

/* hash = BLAKE2b-256(previous hash (or the issue number for the first) | be64 ts | ...).
 * Entries written before the typed timeline (what set) hash as they did:
 *   what | 0 | actor | 0 | be64 seq [| auth | 0 when auth is set].
 * Typed entries hash their record, led by 0xff (never the first byte of
 * UTF-8 words, so the two cannot collide):
 *   0xff | kind | cause | be64 level | be64 count | be64 amount | be64 due |
 *   be64 dur | clause 0 | ref 0 | text 0 | actor 0 | be64 seq [| auth 0]. */
static void tl_hash(const hq_issue *is, size_t i, unsigned char out[32])
{
    crypto_generichash_state st;
    const hq_tl_entry *e = &is->timeline[i];
    crypto_generichash_init(&st, NULL, 0, 32);
    if (i == 0)
        crypto_generichash_update(&st, (const unsigned char *)is->number, strlen(is->number));
    else
        crypto_generichash_update(&st, is->timeline[i - 1].hash, 32);
    h_i64(&st, e->ts_ms);
    if (e->what) {
        h_str(&st, e->what);
    } else {
        unsigned char t[3] = {0xff, (unsigned char)e->kind, (unsigned char)e->cause};
        crypto_generichash_update(&st, t, 3);
        h_i64(&st, e->level);
        h_i64(&st, e->count);
        h_i64(&st, e->amount_cents);
        h_i64(&st, e->due_ms);
        h_i64(&st, e->dur_ms);
        h_str(&st, e->clause);
        h_str(&st, e->ref);
        h_str(&st, e->text);
    }
    h_str(&st, e->actor);
    h_i64(&st, (int64_t)e->seq);
    if (e->auth && *e->auth)
        h_str(&st, e->auth);
    crypto_generichash_final(&st, out, 32);
}

long hq_issue_verify_timeline(const hq_issue *is)
{
    unsigned char h[32];
    for (size_t i = 0; i < is->ntimeline; i++) {
        tl_hash(is, i, h);
        if (memcmp(h, is->timeline[i].hash, 32) != 0)
            return (long)i;
    }
    return -1;
}

static char *sdup(const char *s);

hq_tl_entry *hq_issue_add(hq_issue *is, int64_t ts_ms, const char *actor, uint64_t seq, const hq_tl_entry *tpl)
{
    assert((unsigned)tpl->kind < HQ_TL_KIND_COUNT && tpl->kind != HQ_TL_LEGACY);
    is->timeline = hq_realloc(is->timeline, (is->ntimeline + 1) * sizeof *is->timeline);
    hq_tl_entry *e = &is->timeline[is->ntimeline++];
    memset(e, 0, sizeof *e);
    e->ts_ms = ts_ms;
    e->kind = tpl->kind;
    e->cause = tpl->cause;
    e->actor = hq_strdup(actor ? actor : "system");
    e->seq = seq;
    e->level = tpl->level;
    e->count = tpl->count;
    e->amount_cents = tpl->amount_cents;
    e->due_ms = tpl->due_ms;
    e->dur_ms = tpl->dur_ms;
    e->clause = sdup(tpl->clause);
    e->ref = sdup(tpl->ref);
    e->text = sdup(tpl->text);
    tl_hash(is, is->ntimeline - 1, e->hash);
    return e;
}

void hq_issue_note(hq_issue *is, int64_t ts_ms, const char *actor, uint64_t seq, hq_tl_kind kind, hq_tl_cause cause,
                   const char *text)
{
    hq_issue_add(is, ts_ms, actor, seq, &(hq_tl_entry){.kind = kind, .cause = cause, .text = (char *)text});
}

void hq_issue_mark_auth(hq_issue *is, size_t from, const char *actor, const char *auth)
{
    if (!auth || !actor)
        return;
    for (size_t i = from; i < is->ntimeline; i++) {
        hq_tl_entry *e = &is->timeline[i];
        if (!strcmp(e->actor, actor)) {
            free(e->auth);
            e->auth = hq_strdup(auth);
        }
        tl_hash(is, i, e->hash);
    }
}

const char *hq_issue_rectified_by(const hq_issue *is)
{
    for (size_t i = is->ntimeline; i-- > 0;)
        if (is->timeline[i].kind == HQ_TL_RECTIFIED)
            return is->timeline[i].actor;
    return NULL;
}

int64_t hq_issue_penalty_total(const hq_issue *is)
{
    int64_t t = 0;
    for (size_t i = 0; i < is->npenalties; i++)
        t += is->penalties[i].amount_cents;
    return t;
}

/* Whether a penalty's term ("<terms>:<kind>[ <contract>]") is of kind. */
static bool penalty_kind_is(const char *term, const char *kind)
{
    const char *c = term ? strchr(term, ':') : NULL;
    size_t n = strlen(kind);
    return c && !strncmp(c + 1, kind, n) && (c[1 + n] == '\0' || c[1 + n] == ' ');
}

int64_t hq_issue_penalize(hq_issue *is, int64_t ts_ms, int64_t amount_cents, int64_t cap_cents, const char *kind,
                          const char *reason)
{
    if (amount_cents <= 0)
        return 0;
    int64_t same = 0;
    for (size_t i = 0; i < is->npenalties; i++)
        if (penalty_kind_is(is->penalties[i].term, kind))
            same += is->penalties[i].amount_cents;
    if (cap_cents > 0 && same + amount_cents > cap_cents)
        amount_cents = cap_cents - same;
    if (is->terms.total_cap_cents > 0 && hq_issue_penalty_total(is) + amount_cents > is->terms.total_cap_cents)
        amount_cents = is->terms.total_cap_cents - hq_issue_penalty_total(is);
    if (amount_cents <= 0)
        return 0;
    is->penalties = hq_realloc(is->penalties, (is->npenalties + 1) * sizeof *is->penalties);
    hq_penalty *p = &is->penalties[is->npenalties++];
    p->amount_cents = amount_cents;
    p->reason = hq_strdup(reason);
    char term[256];
    snprintf(term, sizeof term, "%s:%s%s%s", is->terms.name ? is->terms.name : "-", kind,
             is->terms.contract ? " " : "", is->terms.contract ? is->terms.contract : "");
    p->term = hq_strdup(term);
    p->ts_ms = ts_ms;
    return amount_cents;
}

const hq_chain_step *hq_issue_step(const hq_issue *is, int level)
{
    for (size_t i = 0; i < is->nchain; i++)
        if (is->chain[i].level == level)
            return &is->chain[i];
    return NULL;
}

static char *sdup(const char *s)
{
    return s ? hq_strdup(s) : NULL;
}

void hq_issue_copy_plan(hq_issue *is, const hq_plan *plan)
{
    const hq_penalty_terms *terms = plan->terms;
    is->deadline_dur_ms = plan->deadline_ms;
    is->recheck_after_ms = plan->recheck_after_ms;
    is->ack_within_ms = plan->ack_within_ms;
    is->clears_after_ms = plan->clears_after_ms;
    if (plan->chain) {
        is->chain_name = hq_strdup(plan->chain->name);
        is->nchain = plan->chain->nsteps;
        is->chain = hq_calloc(is->nchain ? is->nchain : 1, sizeof *is->chain);
        for (size_t i = 0; i < is->nchain; i++) {
            is->chain[i] = plan->chain->steps[i];
            is->chain[i].roles = hq_calloc(is->chain[i].nroles ? is->chain[i].nroles : 1, sizeof(hq_role));
            memcpy(is->chain[i].roles, plan->chain->steps[i].roles, is->chain[i].nroles * sizeof(hq_role));
        }
    }
    if (terms) {
        is->has_terms = true;
        is->terms = *terms;
        is->terms.name = sdup(terms->name);
        is->terms.contract = sdup(terms->contract);
    }
}

/* ---- timeline kinds and words ---- */

static const char *const kind_names[HQ_TL_KIND_COUNT] = {
    "legacy",  "opened",     "acknowledged", "rectified", "reopened", "closed",
    "overdue", "escalated",  "accountability", "penalty", "reminder", "occurrence",
    "recurrence", "comment", "opinion", "late", "missed", "data_resumed",
    "satisfied", "unsolved", "moderated", "merged",
};
static const char *const cause_names[HQ_TLC_COUNT] = {
    "", "rule", "missing", "data", "recheck", "auto_recheck", "manual",
    "overdue", "opinion", "recurrence", "escalation", "ack", "counted",
};

const char *hq_tl_kind_name(hq_tl_kind k)
{
    return (unsigned)k < HQ_TL_KIND_COUNT ? kind_names[k] : "?";
}

int hq_tl_kind_parse(const char *s, hq_tl_kind *out)
{
    for (int i = 0; i < HQ_TL_KIND_COUNT; i++)
        if (!strcmp(s, kind_names[i])) {
            *out = (hq_tl_kind)i;
            return 0;
        }
    return HQ_EINVAL;
}

const char *hq_tl_cause_name(hq_tl_cause c)
{
    return (unsigned)c < HQ_TLC_COUNT ? cause_names[c] : "?";
}

int64_t hq_tl_first(const hq_issue *is, hq_tl_kind k)
{
    for (size_t i = 0; i < is->ntimeline; i++)
        if (is->timeline[i].kind == k)
            return is->timeline[i].ts_ms;
    return 0;
}

int64_t hq_tl_last(const hq_issue *is, hq_tl_kind k)
{
    for (size_t i = is->ntimeline; i > 0; i--)
        if (is->timeline[i - 1].kind == k)
            return is->timeline[i - 1].ts_ms;
    return 0;
}

static void yuan(hq_buf *b, int64_t cents)
{
    hq_buf_printf(b, "%lld.%02lld", (long long)(cents / 100), (long long)(cents < 0 ? -cents % 100 : cents % 100));
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

/* The words of an entry written before the typed timeline: its text
 * after the English prefix ("opened: ..."). */
static const char *legacy_text(const char *w)
{
    w = nz(w);
    const char *c = strchr(w, ':');
    if (!c)
        return w;
    for (const char *p = w; p < c; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '-'))
            return w;
    return c[1] == ' ' ? c + 2 : c + 1;
}

/* What the words of an entry draw on besides its fields: the audience,
 * and its times already formatted ("" when the entry has none). */
typedef struct {
    bool staff;
    char due[32]; /* due_ms, local time */
    char dur[48]; /* dur_ms, working time */
} tl_ctx;

/* "：text" after the words when the entry carries a text (a note, a reason). */
static void then_text(hq_buf *b, const char *text)
{
    if (text && *text)
        hq_buf_printf(b, "：%s", text);
}

/* The event behind the entry, for staff only. */
static void staff_event(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    if (c->staff && e->seq)
        hq_buf_printf(b, "（事件 %llu）", (unsigned long long)e->seq);
}

static void tl_opened(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    if (e->cause == HQ_TLC_MISSING) {
        hq_buf_printf(b, "%s 应于 %s 前提交的记录未收到，开立整改通知", e->text ? e->text : nz(e->ref), c->due);
        if (c->staff)
            hq_buf_printf(b, "（规则 %s）", nz(e->clause));
    } else {
        hq_buf_puts(b, "监测发现问题，开立整改通知");
        if (c->staff)
            hq_buf_printf(b, "（规则 %s，事件 %llu）", nz(e->clause), (unsigned long long)e->seq);
    }
}

static void tl_rectified(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    if (e->cause == HQ_TLC_DATA) {
        hq_buf_printf(b, "数据显示已恢复正常（持续 %s）", c->dur);
    } else {
        hq_buf_puts(b, "提交整改反馈");
        then_text(b, e->text);
    }
}

static void tl_reopened(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    (void)c;
    hq_buf_printf(b, "复查未通过（第%d次），重新限期整改", e->count);
    then_text(b, e->text);
}

static void tl_closed(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    (void)c;
    if (e->cause == HQ_TLC_RECHECK) {
        hq_buf_puts(b, "复查通过，办结");
        return;
    }
    if (e->cause == HQ_TLC_AUTO_RECHECK) {
        hq_buf_puts(b, "数据持续正常，自动复查通过，办结");
        return;
    }
    if (e->ref && *e->ref)
        hq_buf_printf(b, "与 %s 重复，合并办理，", e->ref);
    hq_buf_puts(b, "关闭");
    then_text(b, e->text);
}

static void tl_escalated(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    hq_buf_printf(b, "升级至第%d级", e->level);
    if (e->cause == HQ_TLC_OPINION)
        hq_buf_puts(b, "（舆情事件，直接升级至最高级）");
    else if (e->dur_ms)
        hq_buf_printf(b, "（逾期 %s）", c->dur);
}

static void tl_accountability(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    hq_buf_puts(b, "启动问责");
    if (e->cause == HQ_TLC_ESCALATION && e->dur_ms)
        hq_buf_printf(b, "（逾期 %s，升级至第%d级）", c->dur, e->level);
    else if (e->cause == HQ_TLC_ESCALATION)
        hq_buf_printf(b, "（升级至第%d级）", e->level);
    else if (e->cause == HQ_TLC_RECURRENCE)
        hq_buf_printf(b, "（问题重复发生，前次 %s）", nz(e->ref));
    else if (e->cause == HQ_TLC_OPINION)
        hq_buf_puts(b, "（引发舆情事件）");
    else if (e->text && *e->text)
        hq_buf_printf(b, "（%s）", e->text);
}

static void tl_penalty(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    (void)c;
    hq_buf_printf(b, "%s ", hq_label(HQ_LBL_PENALTY, e->clause));
    yuan(b, e->amount_cents);
    hq_buf_puts(b, " 元");
    /* The same words as the penalty's reason (issueflow.c): 逾期第N天. */
    bool per_day = e->clause && !strcmp(e->clause, "per_overdue_day") && e->count > 0;
    if (per_day && e->level > 0 && e->level < e->count)
        hq_buf_printf(b, "（逾期第%d至第%d天）", e->level, e->count);
    else if (per_day)
        hq_buf_printf(b, "（逾期第%d天）", e->count);
    else if (e->ref && *e->ref)
        hq_buf_printf(b, "（前次 %s）", e->ref);
}

static void tl_reminder(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    (void)c;
    if (e->cause == HQ_TLC_OVERDUE)
        hq_buf_printf(b, "已逾期 %d 天，请尽快整改", e->count);
    else if (e->cause == HQ_TLC_RECHECK)
        hq_buf_puts(b, "整改反馈已提交，请尽快复查");
    else
        hq_buf_puts(b, "整改通知尚未签收，请签收");
}

static void tl_occurrence(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    if (e->cause == HQ_TLC_MISSING) {
        hq_buf_printf(b, "再次缺失（应于 %s 前，第%d次）", c->due, e->count);
    } else if (e->cause == HQ_TLC_COUNTED) {
        hq_buf_printf(b, "再次发生（第%d次起只计数，不逐条列出）", e->count);
    } else {
        hq_buf_printf(b, "再次发生（第%d次）", e->count);
        staff_event(e, c, b);
    }
}

static void tl_recurrence(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    (void)c;
    hq_buf_printf(b, "同一问题在 %s 办结后再次发生，从第%d级开始", nz(e->ref), e->level);
}

static void tl_comment(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    (void)c;
    hq_buf_puts(b, nz(e->text));
}

static void tl_opinion(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    (void)c;
    hq_buf_puts(b, "发生舆情事件");
    then_text(b, e->text);
}

static void tl_late(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    if (e->clause && *e->clause) /* a timer of late data */
        hq_buf_printf(b, "数据晚于发生时间到达：应于 %s 进行的%s，在数据到达后补做", c->due,
                      hq_label(HQ_LBL_TIMER, e->clause));
    else
        hq_buf_printf(b, "迟交的记录已收到（应于 %s 前提交）", c->due);
    staff_event(e, c, b);
}

/* satisfied and unsolved: the complainant's answer, stars, their reason */
static void tl_answer(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    (void)c;
    bool solved = e->kind == HQ_TL_SATISFIED;
    hq_buf_puts(b, solved ? "投诉人确认问题已解决" : "投诉人反馈问题未解决");
    if (e->count > 0)
        hq_buf_printf(b, "（%d星）", e->count);
    if (!solved)
        then_text(b, e->text);
}

static void tl_moderated(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    bool text = e->count & HQ_TL_MOD_TEXT, photos = e->count & HQ_TL_MOD_PHOTOS;
    hq_buf_printf(b, "投诉内容已隐去个人信息（%s%s%s）", text ? "文字" : "", text && photos ? "、" : "",
                  photos ? "照片" : "");
    /* the reason is the office's: the public reads only that it was done */
    if (c->staff && e->text && *e->text)
        hq_buf_printf(b, "，原因：%s", e->text);
}

static void tl_merged(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    (void)c;
    hq_buf_printf(b, "重复问题 %s 已并入本问题，合并办理", e->ref ? e->ref : "");
}

static void tl_missed(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    hq_buf_printf(b, "%s应于 %s 到期，其时系统未运行，现补执行%s", hq_label(HQ_LBL_TIMER, e->clause), c->due,
                  e->count ? "（合并为一次）" : "");
}

static void tl_data_resumed(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b)
{
    hq_buf_puts(b, "数据已恢复上报");
    staff_event(e, c, b);
}

/* The words of each kind: fixed words, or a function of the entry's
 * fields; a kind with neither reads the vocabulary's label for it. */
static const struct {
    const char *words;
    void (*render)(const hq_tl_entry *e, const tl_ctx *c, hq_buf *b);
} tl_words[HQ_TL_KIND_COUNT] = {
    [HQ_TL_OPENED] = {NULL, tl_opened},
    [HQ_TL_ACKNOWLEDGED] = {"承办单位已签收整改通知", NULL},
    [HQ_TL_RECTIFIED] = {NULL, tl_rectified},
    [HQ_TL_REOPENED] = {NULL, tl_reopened},
    [HQ_TL_CLOSED] = {NULL, tl_closed},
    [HQ_TL_OVERDUE] = {"超过整改期限未完成整改", NULL},
    [HQ_TL_ESCALATED] = {NULL, tl_escalated},
    [HQ_TL_ACCOUNTABILITY] = {NULL, tl_accountability},
    [HQ_TL_PENALTY] = {NULL, tl_penalty},
    [HQ_TL_REMINDER] = {NULL, tl_reminder},
    [HQ_TL_OCCURRENCE] = {NULL, tl_occurrence},
    [HQ_TL_RECURRENCE] = {NULL, tl_recurrence},
    [HQ_TL_COMMENT] = {NULL, tl_comment},
    [HQ_TL_OPINION] = {NULL, tl_opinion},
    [HQ_TL_LATE] = {NULL, tl_late},
    [HQ_TL_MISSED] = {NULL, tl_missed},
    [HQ_TL_DATA_RESUMED] = {NULL, tl_data_resumed},
    [HQ_TL_SATISFIED] = {NULL, tl_answer},
    [HQ_TL_UNSOLVED] = {NULL, tl_answer},
    [HQ_TL_MODERATED] = {NULL, tl_moderated},
    [HQ_TL_MERGED] = {NULL, tl_merged},
};

void hq_tl_render(const hq_tl_entry *e, hq_tl_audience who, hq_buf *b)
{
    if (e->what) { /* written before the typed timeline: its words as they were */
        hq_buf_puts(b, legacy_text(e->what));
        return;
    }
    tl_ctx c = {.staff = who == HQ_TL_STAFF};
    if (e->due_ms)
        hq_local_fmt(e->due_ms, c.due, sizeof c.due);
    if (e->dur_ms)
        hq_wdur_format(e->dur_ms, c.dur, sizeof c.dur);
    unsigned k = (unsigned)e->kind;
    if (k < HQ_TL_KIND_COUNT && tl_words[k].render)
        tl_words[k].render(e, &c, b);
    else if (k < HQ_TL_KIND_COUNT && tl_words[k].words)
        hq_buf_puts(b, tl_words[k].words);
    else
        hq_buf_puts(b, hq_label(HQ_LBL_KIND, hq_tl_kind_name(e->kind)));
}

static int64_t parse_cents(const char *s)
{
    long long y = 0, f = 0;
    if (sscanf(s, "%lld.%2lld", &y, &f) < 1)
        return 0;
    return y * 100 + f;
}

void hq_tl_parse_legacy(hq_tl_entry *e)
{
    static const struct {
        const char *word;
        hq_tl_kind kind;
    } words[] = {
        {"opened", HQ_TL_OPENED},         {"acknowledged", HQ_TL_ACKNOWLEDGED},
        {"rectified", HQ_TL_RECTIFIED},   {"reopened", HQ_TL_REOPENED},
        {"closed", HQ_TL_CLOSED},         {"overdue", HQ_TL_OVERDUE},
        {"escalated", HQ_TL_ESCALATED},   {"accountability", HQ_TL_ACCOUNTABILITY},
        {"penalty", HQ_TL_PENALTY},       {"reminder", HQ_TL_REMINDER},
        {"occurrence", HQ_TL_OCCURRENCE}, {"recurrence", HQ_TL_RECURRENCE},
        {"comment", HQ_TL_COMMENT},       {"opinion", HQ_TL_OPINION},
        {"late", HQ_TL_LATE},             {"missed-while-down", HQ_TL_MISSED},
        {"satisfied", HQ_TL_SATISFIED},   {"unsolved", HQ_TL_UNSOLVED},
        {"moderated", HQ_TL_MODERATED},
    };
    const char *w = nz(e->what), *text = legacy_text(w);
    size_t n = strcspn(w, ":");
    e->kind = HQ_TL_COMMENT; /* words with no known prefix stay readable as a remark */
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (w[n] == ':' && strlen(words[i].word) == n && !strncmp(w, words[i].word, n))
            e->kind = words[i].kind;
    const char *p;
    switch (e->kind) {
    case HQ_TL_OPENED: e->cause = strstr(text, "未收到") ? HQ_TLC_MISSING : HQ_TLC_RULE; break;
    case HQ_TL_RECTIFIED: e->cause = strstr(text, "数据显示") ? HQ_TLC_DATA : HQ_TLC_NONE; break;
    case HQ_TL_CLOSED:
        e->cause = strstr(text, "自动复查") ? HQ_TLC_AUTO_RECHECK : strstr(text, "复查通过") ? HQ_TLC_RECHECK
                                                                                          : HQ_TLC_MANUAL;
        break;
    case HQ_TL_REOPENED:
        e->cause = HQ_TLC_RECHECK;
        if ((p = strstr(text, "第")))
            e->count = atoi(p + strlen("第"));
        break;
    case HQ_TL_ESCALATED:
        e->cause = strstr(text, "舆情") ? HQ_TLC_OPINION : HQ_TLC_OVERDUE;
        if ((p = strstr(text, "第")))
            e->level = atoi(p + strlen("第"));
        break;
    case HQ_TL_ACCOUNTABILITY:
        e->cause = strstr(text, "重复发生") ? HQ_TLC_RECURRENCE : strstr(text, "舆情") ? HQ_TLC_OPINION
                                                                                      : HQ_TLC_ESCALATION;
        break;
    case HQ_TL_PENALTY:
        if ((p = strstr(text, "违约金 ")))
            e->amount_cents = parse_cents(p + strlen("违约金 "));
        e->clause = hq_strdup(strstr(text, "逾期") ? "per_overdue_day"
                              : strstr(text, "复查未通过") ? "per_failed_recheck"
                              : strstr(text, "舆情") ? "opinion" : "per_recurrence");
        break;
    case HQ_TL_REMINDER:
        e->cause = strstr(text, "逾期") ? HQ_TLC_OVERDUE : strstr(text, "复查") ? HQ_TLC_RECHECK : HQ_TLC_ACK;
        break;
    case HQ_TL_OCCURRENCE:
        e->cause = strstr(text, "缺失") ? HQ_TLC_MISSING : strstr(text, "只计数") ? HQ_TLC_COUNTED : HQ_TLC_RULE;
        if ((p = strstr(text, "第")))
            e->count = atoi(p + strlen("第"));
        break;
    case HQ_TL_COMMENT:
        if (strstr(text, "数据已恢复上报"))
            e->kind = HQ_TL_DATA_RESUMED;
        break;
    case HQ_TL_SATISFIED:
    case HQ_TL_UNSOLVED: /* "投诉人...（4星）[：reason]" */
        if ((p = strstr(text, "星）")) && p > text && p[-1] >= '1' && p[-1] <= '5')
            e->count = p[-1] - '0';
        break;
    default: break;
    }
}

/* ---- codec ---- */

#define KS(k, v) (hq_mp_pack_str(pk, k), hq_mp_pack_str(pk, v))
#define KI(k, v) (hq_mp_pack_str(pk, k), msgpack_pack_int64(pk, v))
#define KB(k, v) (hq_mp_pack_str(pk, k), (v) ? msgpack_pack_true(pk) : msgpack_pack_false(pk))
#define KA(k, n) (hq_mp_pack_str(pk, k), msgpack_pack_array(pk, n)) /* an array of n follows */

/* The optional fields of a timeline entry, in order; each is written
 * when set, under its key in the stored record (ks) and in JSON (kj).
 * A field is a number (i) or a text (s); the cause is both: its code is
 * stored, its name is in JSON.  (auth, and the words of an upgraded
 * entry, are written apart: the stored record has them first and last.) */
enum { TL_OPTS = 9 };
typedef struct tl_opt {
    const char *ks, *kj, *s;
    int64_t i;
} tl_opt;

static void tl_opts(const hq_tl_entry *e, tl_opt out[TL_OPTS])
{
    const tl_opt opt[TL_OPTS] = {
        {"c", "cause", e->cause ? hq_tl_cause_name(e->cause) : NULL, e->cause},
        {"l", "level", NULL, e->level},
        {"n", "count", NULL, e->count},
        {"m", "amount_cents", NULL, e->amount_cents},
        {"d", "due_ms", NULL, e->due_ms},
        {"r", "dur_ms", NULL, e->dur_ms},
        {"cl", "clause", e->clause, 0},
        {"rf", "ref", e->ref, 0},
        {"tx", "text", e->text, 0},
    };
    memcpy(out, opt, sizeof opt);
}

static const char *tl_auth(const hq_tl_entry *e)
{
    return e->auth && *e->auth ? e->auth : NULL;
}

/* A timeline entry: a map of its set fields (k kind, c cause, t ts, a
 * actor, s seq, h hash, u auth, l level, n count, m amount, d due, r dur,
 * cl clause, rf ref, tx text, w the words of an upgraded entry). */
static void encode_entry(const hq_tl_entry *e, msgpack_packer *pk)
{
    tl_opt opt[TL_OPTS];
    tl_opts(e, opt);
    size_t n = 5 + (tl_auth(e) != NULL) + (e->what != NULL);
    for (size_t i = 0; i < TL_OPTS; i++)
        n += opt[i].i || opt[i].s;
    msgpack_pack_map(pk, n);
    KI("k", e->kind);
    KI("t", e->ts_ms);
    KS("a", e->actor);
    hq_mp_pack_str(pk, "s");
    msgpack_pack_uint64(pk, e->seq);
    hq_mp_pack_str(pk, "h");
    msgpack_pack_bin(pk, 32);
    msgpack_pack_bin_body(pk, e->hash, 32);
    if (tl_auth(e))
        KS("u", tl_auth(e));
    for (size_t i = 0; i < TL_OPTS; i++) {
        if (opt[i].i)
            KI(opt[i].ks, opt[i].i);
        else if (opt[i].s)
            KS(opt[i].ks, opt[i].s);
    }
    if (e->what)
        KS("w", e->what);
}

static void encode(const hq_issue *is, msgpack_packer *pk)
{
    msgpack_pack_map(pk, 37); /* keep in step with the keys below */
    KS("number", is->number);
    KS("rule", is->rule);
    KS("key", is->key);
    KI("state", is->state);
    KS("domain", is->domain);
    KS("contractor", is->contractor);
    KS("site", is->site);
    KS("category", is->category);
    KI("severity", is->severity);
    KS("title", is->title);
    KS("description", is->description);
    KS("requirement", is->requirement);
    KI("opened_ms", is->opened_ms);
    KI("deadline_ms", is->deadline_ms);
    KI("closed_ms", is->closed_ms);
    KB("overdue", is->overdue);
    KB("accountability", is->accountability);
    KI("level", is->level);
    KI("occurrences", is->occurrences);
    KI("failed_rechecks", is->failed_rechecks);
    KS("recurrence_of", is->recurrence_of);
    KS("close_reason", is->close_reason);
    KI("source_seq", (int64_t)is->source_seq);
    KS("complaint_contact", is->complaint_contact);
    KS("owner", is->owner);
    KI("deadline_dur_ms", is->deadline_dur_ms);
    KI("recheck_after_ms", is->recheck_after_ms);
    KI("ack_within_ms", is->ack_within_ms);
    KI("clears_after_ms", is->clears_after_ms);
    KS("chain_name", is->chain_name);
    KA("chain", is->nchain);
    for (size_t i = 0; i < is->nchain; i++) {
        const hq_chain_step *st = &is->chain[i];
        msgpack_pack_array(pk, 4);
        msgpack_pack_int(pk, st->level);
        msgpack_pack_int64(pk, st->after_ms);
        st->accountability ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
        msgpack_pack_array(pk, st->nroles);
        for (size_t j = 0; j < st->nroles; j++)
            msgpack_pack_int(pk, st->roles[j]);
    }
    KB("has_terms", is->has_terms);
    KA("terms", 10);
    hq_mp_pack_str(pk, is->terms.name);
    hq_mp_pack_str(pk, is->terms.contract);
    msgpack_pack_int64(pk, is->terms.per_overdue_day_cents);
    msgpack_pack_int64(pk, is->terms.overdue_cap_cents);
    msgpack_pack_int64(pk, is->terms.per_failed_recheck_cents);
    msgpack_pack_int64(pk, is->terms.failed_recheck_cap_cents);
    msgpack_pack_int64(pk, is->terms.per_recurrence_cents);
    msgpack_pack_int64(pk, is->terms.recurrence_cap_cents);
    msgpack_pack_int64(pk, is->terms.opinion_cents);
    msgpack_pack_int64(pk, is->terms.total_cap_cents);
    KA("penalties", is->npenalties);
    for (size_t i = 0; i < is->npenalties; i++) {
        msgpack_pack_array(pk, 4);
        msgpack_pack_int64(pk, is->penalties[i].amount_cents);
        hq_mp_pack_str(pk, is->penalties[i].reason);
        hq_mp_pack_str(pk, is->penalties[i].term);
        msgpack_pack_int64(pk, is->penalties[i].ts_ms);
    }
    KA("timeline", is->ntimeline);
    for (size_t i = 0; i < is->ntimeline; i++)
        encode_entry(&is->timeline[i], pk);
    KA("timers", is->ntimers);
    for (size_t i = 0; i < is->ntimers; i++) {
        msgpack_pack_array(pk, 3);
        msgpack_pack_int64(pk, is->timers[i].due_ms);
        msgpack_pack_uint64(pk, is->timers[i].id);
        msgpack_pack_int(pk, is->timers[i].kind);
    }
    hq_mp_pack_str(pk, "v");
    msgpack_pack_int(pk, 2); /* 2: the timeline is typed */
}

static char *ostr(const msgpack_object *o)
{
    return hq_mp_strdup(o);
}

static int64_t oint(const msgpack_object *o)
{
    int64_t v = 0;
    hq_mp_int64(o, &v);
    return v;
}

static bool obool(const msgpack_object *o)
{
    return o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean;
}

/* The plain fields of a record, by their key: one table walk instead of a
 * chain of comparisons per record type (lengths first: no call for most
 * keys; this runs for every field of every issue read). */
typedef enum { F_I64, F_U64, F_INT, F_BOOL, F_STR } ftype;

typedef struct field {
    const char *name;
    unsigned char len, type;
    unsigned short off;
} field;

#define FLD(name, type, st, member) {name, sizeof name - 1, type, offsetof(st, member)}
static const field entry_fields[] = {
    FLD("t", F_I64, hq_tl_entry, ts_ms),       FLD("a", F_STR, hq_tl_entry, actor),
    FLD("s", F_U64, hq_tl_entry, seq),         FLD("u", F_STR, hq_tl_entry, auth),
    FLD("l", F_INT, hq_tl_entry, level),       FLD("n", F_INT, hq_tl_entry, count),
    FLD("m", F_I64, hq_tl_entry, amount_cents), FLD("d", F_I64, hq_tl_entry, due_ms),
    FLD("r", F_I64, hq_tl_entry, dur_ms),      FLD("cl", F_STR, hq_tl_entry, clause),
    FLD("rf", F_STR, hq_tl_entry, ref),        FLD("tx", F_STR, hq_tl_entry, text),
    FLD("w", F_STR, hq_tl_entry, what),
};
static const field issue_fields[] = {
    FLD("rule", F_STR, hq_issue, rule),
    FLD("key", F_STR, hq_issue, key),
    FLD("domain", F_STR, hq_issue, domain),
    FLD("contractor", F_STR, hq_issue, contractor),
    FLD("site", F_STR, hq_issue, site),
    FLD("category", F_STR, hq_issue, category),
    FLD("title", F_STR, hq_issue, title),
    FLD("description", F_STR, hq_issue, description),
    FLD("requirement", F_STR, hq_issue, requirement),
    FLD("opened_ms", F_I64, hq_issue, opened_ms),
    FLD("deadline_ms", F_I64, hq_issue, deadline_ms),
    FLD("closed_ms", F_I64, hq_issue, closed_ms),
    FLD("overdue", F_BOOL, hq_issue, overdue),
    FLD("accountability", F_BOOL, hq_issue, accountability),
    FLD("level", F_INT, hq_issue, level),
    FLD("occurrences", F_INT, hq_issue, occurrences),
    FLD("failed_rechecks", F_INT, hq_issue, failed_rechecks),
    FLD("recurrence_of", F_STR, hq_issue, recurrence_of),
    FLD("close_reason", F_STR, hq_issue, close_reason),
    FLD("source_seq", F_U64, hq_issue, source_seq),
    FLD("complaint_contact", F_STR, hq_issue, complaint_contact),
    FLD("owner", F_STR, hq_issue, owner),
    FLD("deadline_dur_ms", F_I64, hq_issue, deadline_dur_ms),
    FLD("recheck_after_ms", F_I64, hq_issue, recheck_after_ms),
    FLD("ack_within_ms", F_I64, hq_issue, ack_within_ms),
    FLD("clears_after_ms", F_I64, hq_issue, clears_after_ms),
    FLD("chain_name", F_STR, hq_issue, chain_name),
    FLD("has_terms", F_BOOL, hq_issue, has_terms),
};
#undef FLD

/* Sets the field of base that key names, if the table has it. */
static void decode_field(const field *t, size_t n, const char *key, size_t kl, const msgpack_object *v, void *base)
{
    for (size_t i = 0; i < n; i++) {
        if (t[i].len != kl || memcmp(t[i].name, key, kl) != 0)
            continue;
        char *p = (char *)base + t[i].off;
        switch ((ftype)t[i].type) {
        case F_I64: *(int64_t *)(void *)p = oint(v); break;
        case F_U64: *(uint64_t *)(void *)p = (uint64_t)oint(v); break;
        case F_INT: *(int *)(void *)p = (int)oint(v); break;
        case F_BOOL: *(bool *)(void *)p = obool(v); break;
        case F_STR: *(char **)(void *)p = ostr(v); break;
        }
        return;
    }
}

/* A map (typed) or, from a state written before the typed timeline, an
 * array [ts, what, actor, seq, hash(, auth)]: kind legacy until the
 * upgrade types it. */
static void decode_entry(const msgpack_object *o, hq_tl_entry *e)
{
    if (o->type == MSGPACK_OBJECT_ARRAY) {
        const msgpack_object *a = o->via.array.ptr;
        uint32_t n = o->via.array.size;
        if (n < 4)
            return;
        e->kind = HQ_TL_LEGACY;
        e->ts_ms = oint(&a[0]);
        e->what = ostr(&a[1]);
        e->actor = ostr(&a[2]);
        e->seq = (uint64_t)oint(&a[3]);
        if (n >= 5 && a[4].type == MSGPACK_OBJECT_BIN && a[4].via.bin.size == 32)
            memcpy(e->hash, a[4].via.bin.ptr, 32);
        if (n >= 6 && a[5].type == MSGPACK_OBJECT_STR)
            e->auth = ostr(&a[5]);
        if (!e->what)
            e->what = hq_strdup("");
        if (!e->actor)
            e->actor = hq_strdup("");
        return;
    }
    if (o->type != MSGPACK_OBJECT_MAP)
        return;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key, *v = &o->via.map.ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR || k->via.str.size > 2)
            continue;
        char key[3] = {0};
        size_t kl = k->via.str.size;
        if (kl)
            memcpy(key, k->via.str.ptr, kl);
        if (kl == 1 && key[0] == 'k') {
            int64_t x = oint(v);
            e->kind = x > 0 && x < HQ_TL_KIND_COUNT ? (hq_tl_kind)x : HQ_TL_COMMENT;
        } else if (kl == 1 && key[0] == 'c') {
            int64_t x = oint(v);
            e->cause = x > 0 && x < HQ_TLC_COUNT ? (hq_tl_cause)x : HQ_TLC_NONE;
        } else if (kl == 1 && key[0] == 'h') {
            if (v->type == MSGPACK_OBJECT_BIN && v->via.bin.size == 32)
                memcpy(e->hash, v->via.bin.ptr, 32);
        } else
            decode_field(entry_fields, sizeof entry_fields / sizeof *entry_fields, key, kl, v, e);
    }
    if (!e->actor)
        e->actor = hq_strdup("");
}

static void decode(const msgpack_object *m, hq_issue *is)
{
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        const msgpack_object *k = &m->via.map.ptr[i].key, *v = &m->via.map.ptr[i].val;
        /* (memcpy, not snprintf: this runs for every field of every
         * issue a page or a report reads) */
        char key[32];
        size_t kl = k->type == MSGPACK_OBJECT_STR && k->via.str.size < sizeof key ? k->via.str.size : 0;
        if (kl)
            memcpy(key, k->via.str.ptr, kl);
        key[kl] = '\0';
#define IS(name) (kl == sizeof name - 1 && memcmp(key, name, sizeof name - 1) == 0)
        if (IS("number")) {
            if (v->type == MSGPACK_OBJECT_STR)
                snprintf(is->number, sizeof is->number, "%.*s", (int)v->via.str.size, v->via.str.ptr);
        } else if (IS("state")) is->state = (hq_issue_state)oint(v);
        else if (IS("severity")) is->severity = (hq_severity)oint(v);
        else if (IS("chain") && v->type == MSGPACK_OBJECT_ARRAY) {
            is->nchain = v->via.array.size;
            is->chain = hq_calloc(is->nchain ? is->nchain : 1, sizeof *is->chain);
            for (size_t j = 0; j < is->nchain; j++) {
                const msgpack_object *a = &v->via.array.ptr[j];
                if (a->type != MSGPACK_OBJECT_ARRAY || a->via.array.size != 4)
                    continue;
                hq_chain_step *st = &is->chain[j];
                st->level = (int)oint(&a->via.array.ptr[0]);
                st->after_ms = oint(&a->via.array.ptr[1]);
                st->accountability = obool(&a->via.array.ptr[2]);
                const msgpack_object *r = &a->via.array.ptr[3];
                st->nroles = r->type == MSGPACK_OBJECT_ARRAY ? r->via.array.size : 0;
                st->roles = hq_calloc(st->nroles ? st->nroles : 1, sizeof(hq_role));
                for (size_t q = 0; q < st->nroles; q++)
                    st->roles[q] = (hq_role)oint(&r->via.array.ptr[q]);
            }
        } else if (IS("terms") && v->type == MSGPACK_OBJECT_ARRAY && v->via.array.size == 10) {
            const msgpack_object *a = v->via.array.ptr;
            is->terms.name = ostr(&a[0]);
            is->terms.contract = ostr(&a[1]);
            is->terms.per_overdue_day_cents = oint(&a[2]);
            is->terms.overdue_cap_cents = oint(&a[3]);
            is->terms.per_failed_recheck_cents = oint(&a[4]);
            is->terms.failed_recheck_cap_cents = oint(&a[5]);
            is->terms.per_recurrence_cents = oint(&a[6]);
            is->terms.recurrence_cap_cents = oint(&a[7]);
            is->terms.opinion_cents = oint(&a[8]);
            is->terms.total_cap_cents = oint(&a[9]);
        } else if (IS("penalties") && v->type == MSGPACK_OBJECT_ARRAY) {
            is->npenalties = v->via.array.size;
            is->penalties = hq_calloc(is->npenalties ? is->npenalties : 1, sizeof *is->penalties);
            for (size_t j = 0; j < is->npenalties; j++) {
                const msgpack_object *a = v->via.array.ptr[j].via.array.ptr;
                is->penalties[j].amount_cents = oint(&a[0]);
                is->penalties[j].reason = ostr(&a[1]);
                is->penalties[j].term = ostr(&a[2]);
                is->penalties[j].ts_ms = oint(&a[3]);
            }
        } else if (IS("timeline") && v->type == MSGPACK_OBJECT_ARRAY) {
            is->ntimeline = v->via.array.size;
            is->timeline = hq_calloc(is->ntimeline ? is->ntimeline : 1, sizeof *is->timeline);
            for (size_t j = 0; j < is->ntimeline; j++)
                decode_entry(&v->via.array.ptr[j], &is->timeline[j]);
        } else if (IS("timers") && v->type == MSGPACK_OBJECT_ARRAY) {
            is->ntimers = v->via.array.size;
            is->timers = hq_calloc(is->ntimers ? is->ntimers : 1, sizeof *is->timers);
            for (size_t j = 0; j < is->ntimers; j++) {
                const msgpack_object *a = v->via.array.ptr[j].via.array.ptr;
                is->timers[j].due_ms = oint(&a[0]);
                is->timers[j].id = (uint64_t)oint(&a[1]);
                is->timers[j].kind = (int)oint(&a[2]);
            }
        }
        else
            decode_field(issue_fields, sizeof issue_fields / sizeof *issue_fields, key, kl, v, is);
#undef IS
    }
}

int hq_issue_load_raw(const char *buf, size_t len, hq_issue *is, hq_err *err)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object o;
    size_t off = 0;
    memset(is, 0, sizeof *is);
    int rc = 0;
    if (msgpack_unpack(buf, len, &off, &zone, &o) != MSGPACK_UNPACK_SUCCESS || o.type != MSGPACK_OBJECT_MAP)
        rc = hq_err_set(err, HQ_ESTORE, "issue record does not decode");
    else
        decode(&o, is);
    msgpack_zone_destroy(&zone);
    is->stored_state = is->state;
    is->stored_stuck = is->state != HQ_IS_CLOSED && is->ntimers == 0;
    is->stored_last_ms = hq_issue_last_ms(is);
    return rc;
}

int hq_issue_load(hq_store *s, MDB_txn *txn, const char *number, hq_issue *is, hq_err *err)
{
    MDB_val v;
    size_t len = strlen(number);
    /* LMDB refuses empty and over-long keys (a dead transaction): no issue
     * has such a number. */
    if (len == 0 || len >= sizeof is->number)
        return hq_err_set(err, HQ_ENOTFOUND, "no issue %.40s", number);
    int rc = hq_store_get(s, txn, HQ_DB_ISSUES, number, len, &v, err);
    if (rc == HQ_ENOTFOUND)
        return hq_err_set(err, HQ_ENOTFOUND, "no issue %s", number);
    if (rc)
        return rc;
    return hq_issue_load_raw(v.mv_data, v.mv_size, is, err);
}

static int each_indexed(hq_store *s, MDB_txn *txn, char kind, const char *value,
                        int (*fn)(void *ctx, const char *number), void *ctx, hq_err *err);

/* kind 0x00 value 0x00 number */
static size_t idx_key(char *buf, size_t size, char kind, const char *value, const char *number)
{
    int n = snprintf(buf, size, "%c%c%s%c%s", kind, 0, value ? value : "", 0, number);
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* The number at the end of an index key (memcpy, not snprintf: the
 * evaluation reads 100,000 keys). */
static void key_number(const MDB_val *k, size_t from, char number[32])
{
    size_t n = k->mv_size > from ? k->mv_size - from : 0;
    if (n > 31)
        n = 31;
    memcpy(number, (const char *)k->mv_data + from, n);
    number[n] = '\0';
}

/* From the cursor's entry k (rc its result) on, stepping by op: the
 * numbers of the entries under prefix, to fn until it returns nonzero.
 * Closes the cursor. */
static void walk_numbers(MDB_cursor *c, int rc, MDB_val *k, const char *prefix, size_t pl, MDB_cursor_op op,
                         int (*fn)(void *ctx, const char *number), void *ctx)
{
    MDB_val v;
    while (rc == 0 && k->mv_size > pl && memcmp(k->mv_data, prefix, pl) == 0) {
        char number[32];
        key_number(k, pl, number);
        if (fn(ctx, number))
            break;
        rc = mdb_cursor_get(c, k, &v, op);
    }
    mdb_cursor_close(c);
}

#define OPEN_COUNT "count:open"
#define CONSOLE_MARK "index:console"

int64_t hq_issue_last_ms(const hq_issue *is)
{
    int64_t t = is->opened_ms > is->closed_ms ? is->opened_ms : is->closed_ms;
    for (size_t i = 0; i < is->ntimeline; i++)
        if (is->timeline[i].ts_ms > t)
            t = is->timeline[i].ts_ms;
    for (size_t i = 0; i < is->npenalties; i++)
        if (is->penalties[i].ts_ms > t)
            t = is->penalties[i].ts_ms;
    return t;
}

/* 'a' 0x00 be64(last activity, offset so that it sorts) number */
static size_t active_key(unsigned char *buf, size_t size, int64_t last_ms, const char *number)
{
    size_t nl = strlen(number);
    if (nl > size - 10)
        nl = size - 10;
    buf[0] = 'a';
    buf[1] = 0;
    hq_be64_put(buf + 2, (uint64_t)last_ms ^ (1ULL << 63));
    memcpy(buf + 10, number, nl);
    return 10 + nl;
}

/* ---- the evaluation's summary (issue.h) ----
 * 'e' 0x00 0x00 number -> version 1, state, severity, be64 opened_ms,
 * be64 closed_ms, owner, domain, contractor, category (each be32 length,
 * 0xffffffff for none, and the bytes), be32 count and (be64 time, be64
 * amount) per penalty, be32 count and (kind, be64 time) per timeline
 * entry. */
#define EVAL_MARK "index:eval"
#define SUMMARY_VERSION 1
#define NO_STR 0xffffffffu

static void put_u64(hq_buf *b, uint64_t v)
{
    unsigned char x[8];
    hq_be64_put(x, v);
    hq_buf_append(b, x, 8);
}

static void put_u32(hq_buf *b, uint32_t v)
{
    unsigned char x[4];
    hq_be32_put(x, v);
    hq_buf_append(b, x, 4);
}

static void put_str(hq_buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    put_u32(b, s ? (uint32_t)n : NO_STR);
    hq_buf_append(b, s, n);
}

static int summary_put(hq_store *s, MDB_txn *txn, const hq_issue *is, hq_err *err)
{
    hq_buf b;
    hq_buf_init(&b);
    unsigned char head[3] = {SUMMARY_VERSION, (unsigned char)is->state, (unsigned char)is->severity};
    hq_buf_append(&b, head, 3);
    put_u64(&b, (uint64_t)is->opened_ms);
    put_u64(&b, (uint64_t)is->closed_ms);
    put_str(&b, is->owner);
    put_str(&b, is->domain);
    put_str(&b, is->contractor);
    put_str(&b, is->category);
    put_u32(&b, (uint32_t)is->npenalties);
    for (size_t i = 0; i < is->npenalties; i++) {
        put_u64(&b, (uint64_t)is->penalties[i].ts_ms);
        put_u64(&b, (uint64_t)is->penalties[i].amount_cents);
    }
    put_u32(&b, (uint32_t)is->ntimeline);
    for (size_t i = 0; i < is->ntimeline; i++) {
        unsigned char k = (unsigned char)is->timeline[i].kind;
        hq_buf_append(&b, &k, 1);
        put_u64(&b, (uint64_t)is->timeline[i].ts_ms);
    }
    char key[64];
    size_t kl = idx_key(key, sizeof key, 'e', "", is->number);
    int rc = hq_store_put(s, txn, HQ_DB_ISSUE_IDX, key, kl, b.data, b.len, err);
    hq_buf_fini(&b);
    return rc;
}

/* A reader of a summary: fails (false) at the first byte missing. */
typedef struct rd {
    const unsigned char *p, *end;
} rd;

static bool get_u64(rd *r, int64_t *v)
{
    if (r->end - r->p < 8)
        return false;
    *v = (int64_t)hq_be64_get(r->p);
    r->p += 8;
    return true;
}

static bool get_u32(rd *r, uint32_t *v)
{
    if (r->end - r->p < 4)
        return false;
    *v = hq_be32_get(r->p);
    r->p += 4;
    return true;
}

/* The string's offset in sum->strs (SIZE_MAX: none), copied there. */
static bool get_str(rd *r, hq_issue_summary *sum, size_t *used, size_t *off)
{
    uint32_t n;
    if (!get_u32(r, &n))
        return false;
    *off = SIZE_MAX;
    if (n == NO_STR)
        return true;
    if ((size_t)(r->end - r->p) < n)
        return false;
    if (*used + n + 1 > sum->strs_cap) {
        sum->strs_cap = 2 * (*used + n + 1) + 64;
        sum->strs = hq_realloc(sum->strs, sum->strs_cap);
    }
    memcpy(sum->strs + *used, r->p, n);
    sum->strs[*used + n] = '\0';
    *off = *used;
    *used += n + 1;
    r->p += n;
    return true;
}

/* The count of a list of items of `per` bytes, if the bytes are there. */
static bool get_count(rd *r, size_t per, uint32_t *n)
{
    return get_u32(r, n) && (size_t)(r->end - r->p) / per >= *n;
}

/* Whether an array of *cap must grow for n (then *cap is its new size). */
static bool grows(size_t *cap, size_t n)
{
    if (n <= *cap)
        return false;
    *cap = 2 * n;
    return true;
}

static int summary_decode(const unsigned char *p, size_t len, hq_issue_summary *sum)
{
    rd r = {p, p + len};
    hq_issue *is = &sum->is;
    hq_tl_entry *tl = is->timeline;
    hq_penalty *pen = is->penalties;
    memset(is, 0, sizeof *is);
    is->timeline = tl;
    is->penalties = pen;
    if (len < 3 || p[0] != SUMMARY_VERSION || p[1] >= HQ_IS_COUNT)
        return HQ_ESTORE;
    is->state = (hq_issue_state)p[1];
    is->severity = (hq_severity)p[2];
    r.p += 3;
    size_t used = 0, off[4];
    uint32_t n;
    if (!get_u64(&r, &is->opened_ms) || !get_u64(&r, &is->closed_ms))
        return HQ_ESTORE;
    for (int i = 0; i < 4; i++)
        if (!get_str(&r, sum, &used, &off[i]))
            return HQ_ESTORE;
    char **strs[4] = {&is->owner, &is->domain, &is->contractor, &is->category};
    for (int i = 0; i < 4; i++)
        *strs[i] = off[i] == SIZE_MAX ? NULL : sum->strs + off[i];
    if (!get_count(&r, 16, &n))
        return HQ_ESTORE;
    if (grows(&sum->pen_cap, n))
        is->penalties = hq_realloc(is->penalties, sum->pen_cap * sizeof *is->penalties);
    is->npenalties = n;
    for (uint32_t i = 0; i < n; i++) {
        memset(&is->penalties[i], 0, sizeof is->penalties[i]);
        get_u64(&r, &is->penalties[i].ts_ms);
        get_u64(&r, &is->penalties[i].amount_cents);
    }
    if (!get_count(&r, 9, &n))
        return HQ_ESTORE;
    if (grows(&sum->tl_cap, n))
        is->timeline = hq_realloc(is->timeline, sum->tl_cap * sizeof *is->timeline);
    is->ntimeline = n;
    for (uint32_t i = 0; i < n; i++) {
        hq_tl_entry *e = &is->timeline[i];
        memset(e, 0, sizeof *e);
        e->kind = *r.p < HQ_TL_KIND_COUNT ? (hq_tl_kind)*r.p : HQ_TL_COMMENT;
        r.p++;
        get_u64(&r, &e->ts_ms);
    }
    return 0;
}

int hq_issue_load_summary(hq_store *s, MDB_txn *txn, const char *number, hq_issue_summary *sum, hq_err *err)
{
    char key[64];
    size_t len = strlen(number);
    if (len == 0 || len >= HQ_ISSUE_NUMBER_SIZE)
        return hq_err_set(err, HQ_ENOTFOUND, "no summary of issue %.40s", number);
    key[0] = 'e';
    key[1] = key[2] = 0;
    memcpy(key + 3, number, len);
    size_t kl = 3 + len;
    MDB_val v;
    bool found;
    int rc = hq_store_find(s, txn, HQ_DB_ISSUE_IDX, key, kl, &v, &found, err);
    if (rc)
        return rc;
    if (!found)
        return hq_err_set(err, HQ_ENOTFOUND, "no summary of issue %s", number);
    if (summary_decode(v.mv_data, v.mv_size, sum) != 0)
        return hq_err_set(err, HQ_ESTORE, "the summary of issue %s does not decode", number);
    memcpy(sum->is.number, number, len + 1);
    sum->is.stored_state = sum->is.state;
    return 0;
}

void hq_issue_summary_fini(hq_issue_summary *sum)
{
    free(sum->strs);
    free(sum->is.timeline);
    free(sum->is.penalties);
    memset(sum, 0, sizeof *sum);
}

int hq_issue_summarized(hq_store *s, MDB_txn *txn, bool *yes, hq_err *err)
{
    MDB_val v;
    bool found = false;
    int rc = hq_store_find(s, txn, HQ_DB_META, EVAL_MARK, sizeof EVAL_MARK - 1, &v, &found, err);
    *yes = rc == 0 && found;
    return rc;
}

/* Every stored issue, read (its number from its key) and handed to fn,
 * which writes what an upgrade adds; *scanned counts them. */
static int rewrite_each(hq_store *s, MDB_txn *txn, int (*fn)(hq_store *s, MDB_txn *txn, const hq_issue *is, hq_err *err),
                        size_t *scanned, hq_err *err)
{
    MDB_cursor *c;
    MDB_val k, v;
    int rc;
    if ((rc = hq_store_cursor(s, txn, HQ_DB_ISSUES, &c, err)))
        return rc;
    int mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    for (rc = 0; mrc == 0 && rc == 0; mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        hq_issue is;
        if (hq_issue_load_raw(v.mv_data, v.mv_size, &is, NULL) == 0) {
            snprintf(is.number, sizeof is.number, "%.*s", (int)(k.mv_size < 23 ? k.mv_size : 23),
                     (const char *)k.mv_data);
            rc = fn(s, txn, &is, err);
        }
        hq_issue_fini(&is);
        (*scanned)++;
    }
    mdb_cursor_close(c);
    if (rc)
        return rc;
    return mrc == MDB_NOTFOUND ? 0 : hq_store_code(mrc, err, "issues");
}

/* The summaries of a state written before them: every issue once. */
static int summary_upgrade(hq_store *s, MDB_txn *txn, size_t *scanned, hq_err *err)
{
    bool yes;
    int rc = hq_issue_summarized(s, txn, &yes, err);
    if (rc || yes)
        return rc;
    if ((rc = rewrite_each(s, txn, summary_put, scanned, err)))
        return rc;
    return hq_store_put(s, txn, HQ_DB_META, EVAL_MARK, sizeof EVAL_MARK - 1, "1", 1, err);
}

/* The console's index entries of a saved issue (new: nothing indexed yet). */
static int console_index(hq_store *s, MDB_txn *txn, const hq_issue *is, bool is_new, bool was_open, hq_err *err)
{
    char key[512];
    size_t kl;
    int rc;
    bool open = is->state != HQ_IS_CLOSED;
    if (is_new ? open : was_open != open) {
        kl = idx_key(key, sizeof key, 'o', is->contractor, is->number);
        rc = open ? hq_store_put(s, txn, HQ_DB_ISSUE_IDX, key, kl, "", 0, err)
                  : hq_store_del(s, txn, HQ_DB_ISSUE_IDX, key, kl, err);
        if (rc && rc != HQ_ENOTFOUND)
            return rc;
    }
    int64_t last = hq_issue_last_ms(is);
    if (is_new || last != is->stored_last_ms) {
        unsigned char ak[64], v[8];
        if (!is_new) {
            kl = active_key(ak, sizeof ak, is->stored_last_ms, is->number);
            rc = hq_store_del(s, txn, HQ_DB_ISSUE_IDX, ak, kl, err);
            if (rc && rc != HQ_ENOTFOUND)
                return rc;
        }
        kl = active_key(ak, sizeof ak, last, is->number);
        hq_be64_put(v, (uint64_t)is->opened_ms);
        if ((rc = hq_store_put(s, txn, HQ_DB_ISSUE_IDX, ak, kl, v, 8, err)))
            return rc;
    }
    return summary_put(s, txn, is, err);
}

/* meta "count:open": the number of issues not closed, kept by every save. */
static int count_open(hq_store *s, MDB_txn *txn, int delta, hq_err *err)
{
    uint64_t n;
    int rc = hq_issue_open_count(s, txn, &n, err);
    if (rc)
        return rc;
    n = delta < 0 && n == 0 ? 0 : n + (uint64_t)(int64_t)delta;
    unsigned char b[8];
    hq_be64_put(b, n);
    return hq_store_put(s, txn, HQ_DB_META, OPEN_COUNT, sizeof OPEN_COUNT - 1, b, 8, err);
}

int hq_issue_save(hq_store *s, MDB_txn *txn, hq_issue *is, hq_err *err)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    encode(is, &pk);
    int rc = hq_store_put(s, txn, HQ_DB_ISSUES, is->number, strlen(is->number), sb.data, sb.size, err);
    msgpack_sbuffer_destroy(&sb);
    if (rc)
        return rc;
    char key[512];
    size_t kl;
    if (is->is_new) {
        kl = idx_key(key, sizeof key, 'd', is->domain, is->number);
        if ((rc = hq_store_put(s, txn, HQ_DB_ISSUE_IDX, key, kl, "", 0, err)))
            return rc;
        kl = idx_key(key, sizeof key, 'c', is->contractor, is->number);
        if ((rc = hq_store_put(s, txn, HQ_DB_ISSUE_IDX, key, kl, "", 0, err)))
            return rc;
    }
    if (is->is_new || is->stored_state != is->state) {
        if (!is->is_new) {
            kl = idx_key(key, sizeof key, 's', state_names[is->stored_state], is->number);
            rc = hq_store_del(s, txn, HQ_DB_ISSUE_IDX, key, kl, err);
            if (rc && rc != HQ_ENOTFOUND)
                return rc;
        }
        kl = idx_key(key, sizeof key, 's', state_names[is->state], is->number);
        if ((rc = hq_store_put(s, txn, HQ_DB_ISSUE_IDX, key, kl, "", 0, err)))
            return rc;
    }
    bool stuck = is->state != HQ_IS_CLOSED && is->ntimers == 0;
    if (is->is_new ? stuck : stuck != is->stored_stuck) {
        kl = idx_key(key, sizeof key, 'n', "", is->number);
        rc = stuck ? hq_store_put(s, txn, HQ_DB_ISSUE_IDX, key, kl, "", 0, err)
                   : hq_store_del(s, txn, HQ_DB_ISSUE_IDX, key, kl, err);
        if (rc && rc != HQ_ENOTFOUND)
            return rc;
    }
    bool was_open = !is->is_new && is->stored_state != HQ_IS_CLOSED, open = is->state != HQ_IS_CLOSED;
    if (was_open != open && (rc = count_open(s, txn, open ? 1 : -1, err)))
        return rc;
    if ((rc = console_index(s, txn, is, is->is_new, was_open, err)))
        return rc;
    is->is_new = false;
    is->stored_state = is->state;
    is->stored_stuck = stuck;
    is->stored_last_ms = hq_issue_last_ms(is);
    return 0;
}

int hq_issue_open_count(hq_store *s, MDB_txn *txn, uint64_t *n, hq_err *err)
{
    MDB_val v;
    *n = 0;
    bool found;
    int rc = hq_store_find(s, txn, HQ_DB_META, OPEN_COUNT, sizeof OPEN_COUNT - 1, &v, &found, err);
    if (rc || !found)
        return rc;
    if (v.mv_size != 8)
        return hq_err_set(err, HQ_ESTORE, "open issue count of unexpected size");
    *n = hq_be64_get(v.mv_data);
    return 0;
}

int hq_issue_each_stuck(hq_store *s, MDB_txn *txn, int (*fn)(void *ctx, const char *number), void *ctx,
                        hq_err *err)
{
    return each_indexed(s, txn, 'n', "", fn, ctx, err);
}

/* States written before the audit index existed get it built once, by a
 * scan of every issue; new states are marked as indexed from the start. */
static int console_index_new(hq_store *s, MDB_txn *txn, const hq_issue *is, hq_err *err)
{
    return console_index(s, txn, is, true, false, err);
}

/* The console's indexes for a state written before them: every issue once. */
static int console_upgrade(hq_store *s, MDB_txn *txn, size_t *scanned, hq_err *err)
{
    MDB_val v;
    int rc = hq_store_get(s, txn, HQ_DB_META, CONSOLE_MARK, sizeof CONSOLE_MARK - 1, &v, err);
    if (rc != HQ_ENOTFOUND)
        return rc;
    if ((rc = rewrite_each(s, txn, console_index_new, scanned, err)))
        return rc;
    /* (console_index wrote each issue's summary too) */
    if ((rc = hq_store_put(s, txn, HQ_DB_META, EVAL_MARK, sizeof EVAL_MARK - 1, "1", 1, err)))
        return rc;
    return hq_store_put(s, txn, HQ_DB_META, CONSOLE_MARK, sizeof CONSOLE_MARK - 1, "1", 1, err);
}

int hq_issue_console_indexed(hq_store *s, MDB_txn *txn, bool *yes, hq_err *err)
{
    MDB_val v;
    int rc = hq_store_get(s, txn, HQ_DB_META, CONSOLE_MARK, sizeof CONSOLE_MARK - 1, &v, err);
    *yes = rc == 0;
    return rc == HQ_ENOTFOUND ? 0 : rc;
}

int hq_issue_each_open_of(hq_store *s, MDB_txn *txn, const char *contractor, bool newest_first, const char *before,
                          int (*fn)(void *ctx, const char *number), void *ctx, hq_err *err)
{
    char prefix[256], start[512];
    size_t pl = idx_key(prefix, sizeof prefix, 'o', contractor, "");
    MDB_cursor *c;
    int rc = hq_store_cursor(s, txn, HQ_DB_ISSUE_IDX, &c, err);
    if (rc)
        return rc;
    MDB_val k, v;
    if (newest_first) {
        /* Position after the last entry of the prefix (or at `before`),
         * then step back. */
        size_t sl = idx_key(start, sizeof start, 'o', contractor, before && *before ? before : "\xff");
        k.mv_size = sl;
        k.mv_data = start;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        rc = rc == 0 ? mdb_cursor_get(c, &k, &v, MDB_PREV) : mdb_cursor_get(c, &k, &v, MDB_LAST);
    } else {
        k.mv_size = pl;
        k.mv_data = prefix;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    }
    walk_numbers(c, rc, &k, prefix, pl, newest_first ? MDB_PREV : MDB_NEXT, fn, ctx);
    return 0;
}

int hq_issue_each_active_since(hq_store *s, MDB_txn *txn, int64_t from_ms,
                               int (*fn)(void *ctx, const char *number, int64_t opened_ms), void *ctx,
                               hq_err *err)
{
    unsigned char start[16];
    size_t sl = active_key(start, sizeof start, from_ms, "");
    MDB_cursor *c;
    int rc = hq_store_cursor(s, txn, HQ_DB_ISSUE_IDX, &c, err);
    if (rc)
        return rc;
    MDB_val k = {sl, start}, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size > 10 && memcmp(k.mv_data, "a", 2) == 0) {
        char number[32];
        key_number(&k, 10, number);
        int64_t opened = v.mv_size == 8 ? (int64_t)hq_be64_get(v.mv_data) : 0;
        if (fn(ctx, number, opened))
            break;
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    return 0;
}

int hq_issue_index_upgrade(hq_store *s, MDB_txn *txn, size_t *scanned, hq_err *err)
{
    static const char marker[] = "index:audit";
    MDB_val v;
    *scanned = 0;
    int rc = console_upgrade(s, txn, scanned, err);
    if (rc == 0)
        rc = summary_upgrade(s, txn, scanned, err);
    if (rc)
        return rc;
    size_t console_scanned = *scanned;
    *scanned = 0;
    rc = hq_store_get(s, txn, HQ_DB_META, marker, sizeof marker - 1, &v, err);
    if (rc != HQ_ENOTFOUND) {
        *scanned = console_scanned;
        return rc;
    }
    MDB_cursor *c;
    if ((rc = hq_store_cursor(s, txn, HQ_DB_ISSUES, &c, err)))
        return rc;
    uint64_t open = 0;
    MDB_val k;
    rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    while (rc == 0) {
        hq_issue is;
        if (hq_issue_load_raw(v.mv_data, v.mv_size, &is, err) == 0) {
            snprintf(is.number, sizeof is.number, "%.*s", (int)(k.mv_size < 23 ? k.mv_size : 23),
                     (const char *)k.mv_data);
            if (is.state != HQ_IS_CLOSED)
                open++;
            if (is.stored_stuck) {
                char key[64];
                size_t kl = idx_key(key, sizeof key, 'n', "", is.number);
                int prc = hq_store_put(s, txn, HQ_DB_ISSUE_IDX, key, kl, "", 0, err);
                if (prc) {
                    hq_issue_fini(&is);
                    mdb_cursor_close(c);
                    return prc;
                }
            }
        }
        hq_issue_fini(&is);
        (*scanned)++;
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (rc != MDB_NOTFOUND)
        return hq_store_code(rc, err, "issues");
    unsigned char b[8];
    hq_be64_put(b, open);
    if ((rc = hq_store_put(s, txn, HQ_DB_META, OPEN_COUNT, sizeof OPEN_COUNT - 1, b, 8, err)))
        return rc;
    return hq_store_put(s, txn, HQ_DB_META, marker, sizeof marker - 1, "1", 1, err);
}

int hq_issue_number_new(hq_store *s, MDB_txn *txn, int year, char *out, size_t size, hq_err *err)
{
    char name[32];
    snprintf(name, sizeof name, "issue:%04d", year);
    uint64_t n;
    int rc = hq_store_counter_next(s, txn, name, &n, err);
    if (rc)
        return rc;
    snprintf(out, size, "HQ-%04d-%06llu", year, (unsigned long long)n);
    return 0;
}

static size_t group_key(char *buf, size_t size, const char *rule, const char *key)
{
    size_t rl = strlen(rule), kl = strlen(key);
    if (rl + 1 + kl > size)
        kl = size > rl + 1 ? size - rl - 1 : 0;
    memcpy(buf, rule, rl);
    buf[rl] = 0;
    memcpy(buf + rl + 1, key, kl);
    return rl + 1 + kl;
}

int hq_group_get(hq_store *s, MDB_txn *txn, const char *rule, const char *key, hq_group *g, hq_err *err)
{
    char k[600];
    size_t kl = group_key(k, sizeof k, rule, key);
    MDB_val v;
    memset(g, 0, sizeof *g);
    bool found;
    int rc = hq_store_find(s, txn, HQ_DB_GROUPS, k, kl, &v, &found, err);
    if (rc || !found)
        return rc;
    if (v.mv_size != 24 + 24 + 8)
        return hq_err_set(err, HQ_ESTORE, "group record of unexpected size");
    memcpy(g->open, v.mv_data, 24);
    memcpy(g->last_closed, (char *)v.mv_data + 24, 24);
    g->open[23] = g->last_closed[23] = '\0';
    g->last_closed_ms = (int64_t)hq_be64_get((unsigned char *)v.mv_data + 48);
    return 0;
}

int hq_group_put(hq_store *s, MDB_txn *txn, const char *rule, const char *key, const hq_group *g, hq_err *err)
{
    char k[600];
    size_t kl = group_key(k, sizeof k, rule, key);
    unsigned char v[56];
    memset(v, 0, sizeof v);
    memcpy(v, g->open, strnlen(g->open, 23));
    memcpy(v + 24, g->last_closed, strnlen(g->last_closed, 23));
    hq_be64_put(v + 48, (uint64_t)g->last_closed_ms);
    return hq_store_put(s, txn, HQ_DB_GROUPS, k, kl, v, sizeof v, err);
}

int hq_issue_each_in_state(hq_store *s, MDB_txn *txn, hq_issue_state st,
                           int (*fn)(void *ctx, const char *number), void *ctx, hq_err *err)
{
    return each_indexed(s, txn, 's', state_names[st], fn, ctx, err);
}

static int each_indexed(hq_store *s, MDB_txn *txn, char kind, const char *value,
                        int (*fn)(void *ctx, const char *number), void *ctx, hq_err *err)
{
    char prefix[64];
    size_t pl = idx_key(prefix, sizeof prefix, kind, value, "");
    MDB_cursor *c;
    int rc = hq_store_cursor(s, txn, HQ_DB_ISSUE_IDX, &c, err);
    if (rc)
        return rc;
    MDB_val k = {pl, prefix}, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    walk_numbers(c, rc, &k, prefix, pl, MDB_NEXT, fn, ctx);
    return 0;
}

/* ---- JSON ---- */

/* Opens the object at index i of a JSON array, with its first member
 * (a number). */
static void json_object_at(hq_buf *b, size_t i, const char *key, int64_t v)
{
    if (i)
        hq_buf_putc(b, ',');
    hq_buf_putc(b, '{');
    hq_json_key(b, key, true);
    hq_buf_printf(b, "%lld", (long long)v);
}

void hq_issue_to_json(const hq_issue *is, hq_buf *b, bool include_pii)
{
    hq_buf_putc(b, '{');
    hq_json_key(b, "number", true);
    hq_json_cstr(b, is->number);
    hq_json_kstr(b, "rule", is->rule);
    hq_json_kstr(b, "key", is->key);
    hq_json_kstr(b, "state", hq_issue_state_name(is->state));
    hq_json_kstr(b, "domain", is->domain);
    hq_json_kstr(b, "contractor", is->contractor);
    hq_json_kstr(b, "site", is->site);
    hq_json_kstr(b, "category", is->category);
    hq_json_kstr(b, "severity", hq_severity_name(is->severity));
    hq_json_kstr(b, "title", is->title);
    hq_json_kstr(b, "description", is->description);
    hq_json_kstr(b, "requirement", is->requirement);
    hq_json_kint(b, "opened_ms", is->opened_ms);
    hq_json_kint(b, "deadline_ms", is->deadline_ms);
    hq_json_key(b, "closed_ms", false);
    if (is->closed_ms)
        hq_buf_printf(b, "%lld", (long long)is->closed_ms);
    else
        hq_buf_puts(b, "null");
    hq_json_key(b, "overdue", false);
    hq_buf_puts(b, is->overdue ? "true" : "false");
    hq_json_kint(b, "level", is->level);
    hq_json_key(b, "accountability", false);
    hq_buf_puts(b, is->accountability ? "true" : "false");
    hq_json_kint(b, "occurrences", is->occurrences);
    hq_json_kint(b, "failed_rechecks", is->failed_rechecks);
    hq_json_kstr(b, "recurrence_of", is->recurrence_of);
    hq_json_kstr(b, "close_reason", is->close_reason);
    if (is->owner) /* internal issues only: other records keep their JSON as it was */
        hq_json_kstr(b, "owner", is->owner);
    hq_json_kstr(b, "chain", is->chain_name);
    if (include_pii)
        hq_json_kstr(b, "complaint_contact", is->complaint_contact);
    hq_json_kint(b, "penalty_total_cents", hq_issue_penalty_total(is));
    hq_json_key(b, "penalties", false);
    hq_buf_putc(b, '[');
    for (size_t i = 0; i < is->npenalties; i++) {
        json_object_at(b, i, "amount_cents", is->penalties[i].amount_cents);
        hq_json_kstr(b, "reason", is->penalties[i].reason);
        hq_json_kstr(b, "term", is->penalties[i].term);
        hq_json_kint(b, "ts_ms", is->penalties[i].ts_ms);
        hq_buf_putc(b, '}');
    }
    hq_buf_putc(b, ']');
    hq_json_key(b, "timeline", false);
    hq_buf_putc(b, '[');
    for (size_t i = 0; i < is->ntimeline; i++) {
        const hq_tl_entry *e = &is->timeline[i];
        json_object_at(b, i, "ts_ms", e->ts_ms);
        hq_buf w;
        hq_buf_init(&w);
        hq_tl_render(e, HQ_TL_STAFF, &w);
        hq_json_kstr(b, "what", w.data ? w.data : "");
        hq_buf_fini(&w);
        hq_json_kstr(b, "actor", e->actor);
        hq_json_kint(b, "seq", (int64_t)e->seq);
        hq_json_kstr(b, "kind", hq_tl_kind_name(e->kind));
        tl_opt opt[TL_OPTS];
        tl_opts(e, opt);
        for (size_t o = 0; o < TL_OPTS; o++) {
            if (opt[o].s)
                hq_json_kstr(b, opt[o].kj, opt[o].s);
            else if (opt[o].i)
                hq_json_kint(b, opt[o].kj, opt[o].i);
        }
        if (tl_auth(e))
            hq_json_kstr(b, "auth", tl_auth(e));
        hq_buf_putc(b, '}');
    }
    hq_buf_putc(b, ']');
    hq_json_key(b, "next_timers", false);
    hq_buf_putc(b, '[');
    for (size_t i = 0; i < is->ntimers; i++)
        hq_buf_printf(b, "%s%lld", i ? "," : "", (long long)is->timers[i].due_ms);
    hq_buf_putc(b, ']');
    hq_buf_putc(b, '}');
}

/* ---- the typed timeline's upgrade ---- */

static const char tl_marker[] = "timeline:typed";

int hq_issue_timeline_typed(hq_store *s, MDB_txn *txn, bool *typed, hq_err *err)
{
    MDB_val v;
    int rc = hq_store_get(s, txn, HQ_DB_META, tl_marker, sizeof tl_marker - 1, &v, err);
    *typed = rc == 0;
    return rc == HQ_ENOTFOUND ? 0 : rc;
}

int hq_issue_timeline_mark(hq_store *s, MDB_txn *txn, hq_err *err)
{
    return hq_store_put(s, txn, HQ_DB_META, tl_marker, sizeof tl_marker - 1, "1", 1, err);
}

int hq_issue_timeline_upgrade(hq_store *s, MDB_txn *txn, size_t *scanned, size_t *broken, hq_err *err)
{
    bool typed;
    *scanned = *broken = 0;
    int rc = hq_issue_timeline_typed(s, txn, &typed, err);
    if (rc || typed)
        return rc;
    /* The numbers first: the issues are rewritten after the scan. */
    MDB_cursor *c;
    if ((rc = hq_store_cursor(s, txn, HQ_DB_ISSUES, &c, err)))
        return rc;
    char (*numbers)[HQ_ISSUE_NUMBER_SIZE] = NULL;
    size_t n = 0, cap = 0;
    MDB_val k, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    while (rc == 0) {
        if (k.mv_size < HQ_ISSUE_NUMBER_SIZE) {
            if (n == cap) {
                cap = cap ? cap * 2 : 256;
                numbers = hq_realloc(numbers, cap * sizeof *numbers);
            }
            memcpy(numbers[n], k.mv_data, k.mv_size);
            numbers[n++][k.mv_size] = '\0';
        }
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (rc != MDB_NOTFOUND) {
        free(numbers);
        return hq_store_code(rc, err, "issues");
    }
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        hq_issue is;
        if ((rc = hq_issue_load(s, txn, numbers[i], &is, err)))
            break;
        bool legacy = false;
        for (size_t j = 0; j < is.ntimeline; j++)
            legacy = legacy || is.timeline[j].kind == HQ_TL_LEGACY;
        if (legacy) {
            if (hq_issue_verify_timeline(&is) >= 0)
                (*broken)++;
            for (size_t j = 0; j < is.ntimeline; j++)
                if (is.timeline[j].kind == HQ_TL_LEGACY)
                    hq_tl_parse_legacy(&is.timeline[j]); /* what stays: it is what was hashed */
            rc = hq_issue_save(s, txn, &is, err);
            (*scanned)++;
        }
        hq_issue_fini(&is);
    }
    free(numbers);
    return rc ? rc : hq_issue_timeline_mark(s, txn, err);
}
