/* engine.c - rules, issues, timers and escalation (SPEC §3, §4).
 *
 * Per event: the rules indexed under its type are evaluated; a match opens
 * an issue for (rule, key) or attaches to the open one.  Counting rules keep
 * the timestamps of the last N matches per key in rulestate; sustained rules
 * keep when the condition started and fire through a SUSTAIN timer; their
 * issues can clear themselves through a CLEAR timer.  Lifecycle events
 * (issue.*) move issues through the transition table of issue.c.
 *
 * Time: deadlines and escalation follow the daemon's clock (now_ms);
 * counting windows and sustained conditions follow the events' ts.
 */
#include "engine_int.h"

hq_perm_reason hq_engine_refusal(const hq_engine *e)
{
    return e->refusal;
}

hq_engine *hq_engine_new(void)
{
    return hq_calloc(1, sizeof(hq_engine));
}

void hq_engine_destroy(hq_engine **e)
{
    if (e && *e) {
        free((*e)->cand);
        hq_buf_fini(&(*e)->key);
        free(*e);
        *e = NULL;
    }
}

void hq_engine_set_rules(hq_engine *e, const hq_rules *rules)
{
    e->rules = rules;
}

void hq_engine_set_started(hq_engine *e, int64_t started_ms)
{
    e->started_ms = started_ms;
}

void hq_engine_set_alive(hq_engine *e, int64_t last_alive_ms)
{
    e->last_alive_ms = last_alive_ms;
}

/* A timer fires late (more than a second after it came due): either the
 * daemon was not running then (it came due after the last heartbeat
 * before this start), or the data that set it arrived late. */
bool hqe_fires_late(const hq_engine *e, const hq_timer *t, int64_t now_ms)
{
    (void)e;
    return now_ms - t->due_ms > 1000;
}

bool hqe_missed_while_down(const hq_engine *e, const hq_timer *t, int64_t now_ms)
{
    return hqe_fires_late(e, t, now_ms) && t->due_ms < e->started_ms && t->due_ms > e->last_alive_ms;
}

void hqe_note_missed(const hq_engine *e, hq_issue *is, const hq_timer *t, int64_t now_ms)
{
    bool down = hqe_missed_while_down(e, t, now_ms);
    hq_issue_add(is, now_ms, "system", 0,
                 &(hq_tl_entry){.kind = down ? HQ_TL_MISSED : HQ_TL_LATE,
                                .cause = down ? HQ_TLC_NONE : HQ_TLC_DATA,
                                .clause = (char *)hq_timer_kind_name(t->kind), .due_ms = t->due_ms,
                                .count = down && hq_timer_missed_policy(t->kind) == HQ_MISSED_COLLAPSE});
}

void hqe_fx_outbox(hq_effects *fx, uint64_t seq)
{
    if (!fx->outbox_first)
        fx->outbox_first = seq;
    fx->outbox_last = seq;
}

/* The lifecycle events and the action each is. */
static const struct {
    const char *type;
    hq_issue_action act;
} lifecycle[] = {
    {"issue.acknowledged", HQ_ACT_ACK}, {"issue.rectified", HQ_ACT_RECTIFY}, {"issue.rechecked", HQ_ACT_RECHECK_PASS},
    {"issue.comment", HQ_ACT_COMMENT},  {"issue.closed", HQ_ACT_CLOSE},      {"issue.opinion", HQ_ACT_OPINION},
    {"issue.accountability", HQ_ACT_ACCOUNTABILITY},
};

int hq_engine_event(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_event *ev, uint64_t seq, int64_t now_ms,
                    hq_effects *fx, hq_err *err)
{
    e->refusal = HQ_PERM_OK;
    if (ev->type_len == 18 && !memcmp(ev->type, "complaint.feedback", 18)) {
        int frc = hqe_complaint_feedback(s, txn, ev, seq, now_ms, fx, err);
        if (frc)
            return frc;
    }
    if (ev->type_len == 19 && !memcmp(ev->type, "complaint.moderated", 19))
        return hqe_lifecycle_event(e, s, txn, ev, HQ_ACT_MODERATE, seq, now_ms, fx, err);
    if (ev->type_len > 6 && !memcmp(ev->type, "issue.", 6)) {
        for (size_t i = 0; i < sizeof lifecycle / sizeof *lifecycle; i++)
            if (strlen(lifecycle[i].type) == ev->type_len && !memcmp(lifecycle[i].type, ev->type, ev->type_len))
                return hqe_lifecycle_event(e, s, txn, ev, lifecycle[i].act, seq, now_ms, fx, err);
    }
    if (!e->rules)
        return 0;
    size_t need = hq_rules_max_for(e->rules);
    if (need > e->ncand) {
        const hq_rule **c = hq_realloc(e->cand, need * sizeof *c);
        e->cand = c;
        e->ncand = need;
    }
    size_t n = hq_rules_select(e->rules, ev, e->cand);
    for (size_t i = 0; i < n; i++) {
        const hq_rule *r = e->cand[i];
        if (r->scope && !hq_cond_eval(r->scope, ev))
            continue; /* not an event this sustained rule follows */
        bool cond = !r->when || hq_cond_eval(r->when, ev);
        if (!cond && r->kind != HQ_RULE_SUSTAINED)
            continue;
        rctx c = {.e = e, .rule = r, .ev = ev};
        int rc;
        if (r->kind == HQ_RULE_ABSENCE) {
            char *unit = hqe_render(r->unit, &c);
            rc = *unit ? hqe_satisfy(e, s, txn, r, unit, ev, seq, now_ms, err) : 0;
            free(unit);
            if (rc)
                return rc;
            continue;
        }
        hq_buf_reserve(&e->key, 0); /* data is never NULL, even for an empty key */
        hq_buf_reset(&e->key);
        hq_tmpl_render(r->key, hqe_resolve, &c, &e->key);
        const char *key = e->key.data;
        switch (r->kind) {
        case HQ_RULE_STALE: rc = hqe_stale_seen(e, s, txn, r, key, ev, seq, now_ms, err); break;
        case HQ_RULE_COUNT: rc = hqe_count_match(e, s, txn, r, key, ev, seq, now_ms, fx, err); break;
        case HQ_RULE_SUSTAINED: rc = hqe_sustained(s, txn, r, key, cond, ev, seq, err); break;
        default: rc = hqe_match(e, s, txn, r, key, ev, seq, now_ms, fx, err); break;
        }
        if (rc)
            return rc;
    }
    return 0;
}

int hq_engine_fire_due(hq_engine *e, hq_store *s, MDB_txn *txn, int64_t now_ms, size_t max, size_t *fired,
                       hq_effects *fx, hq_err *err)
{
    *fired = 0;
    while (*fired < max) {
        hq_timer t;
        int rc = hq_timer_first_due(s, txn, now_ms, &t, err);
        if (rc == HQ_ENOTFOUND)
            return 0;
        if (rc)
            return rc;
        if ((rc = hq_timer_del(s, txn, t.due_ms, t.id, err)))
            return rc;
        size_t work = 1;
        e->late = hqe_fires_late(e, &t, now_ms) ? &t : NULL;
        if (t.kind == HQ_TIMER_SUSTAIN || t.kind == HQ_TIMER_CLEAR || t.kind == HQ_TIMER_STALE)
            rc = hqe_fire_rule_timer(e, s, txn, &t, now_ms, fx, err);
        else if (t.kind == HQ_TIMER_OBLIGATION)
            rc = hqe_fire_obligation(e, s, txn, &t, now_ms, max - *fired, &work, fx, err);
        else
            rc = hqe_fire_issue_timer(e, s, txn, &t, now_ms, fx, err);
        e->late = NULL;
        if (rc)
            return rc;
        /* A slot's deadline counts as the units it marked missed. */
        *fired += work > 1 ? work : 1;
        fx->timers_fired++;
    }
    return 0;
}

int hq_engine_ledger_head(hq_store *s, MDB_txn *txn, int64_t now_ms, int64_t every_ms, hq_effects *fx,
                          hq_err *err)
{
    MDB_val v;
    uint64_t sent_seq = 0;
    int rc = hq_store_get(s, txn, HQ_DB_META, "head_sent", 9, &v, err);
    if (rc == 0 && v.mv_size == 16) {
        if (now_ms - (int64_t)hq_be64_get(v.mv_data) < every_ms)
            return 0;
        sent_seq = hq_be64_get((unsigned char *)v.mv_data + 8);
    } else if (rc && rc != HQ_ENOTFOUND) {
        return rc;
    }
    uint64_t seq;
    unsigned char head[HQ_CHAIN_BYTES];
    if ((rc = hq_store_chain_head(s, txn, &seq, head, err)))
        return rc;
    if (seq == sent_seq)
        return 0; /* nothing new since the last one */
    char hex[2 * HQ_CHAIN_BYTES + 1], text[512], day[32];
    for (int i = 0; i < HQ_CHAIN_BYTES; i++)
        snprintf(hex + 2 * i, 3, "%02x", head[i]);
    hq_local_fmt(now_ms, day, sizeof day);
    snprintf(text, sizeof text,
             "【台账校验值】截至 %s，事件日志共 %llu 条，链头哈希 %s。请留存备查（houqinctl verify 可核对）。", day,
             (unsigned long long)seq, hex);
    static const hq_role roles[] = {HQ_ROLE_ADMIN};
    hq_alert a = {.ts_ms = now_ms, .kind = "ledger-head", .issue = "", .rule = "", .level = 0, .roles = roles,
                  .nroles = 1, .domain = "general", .contractor = "", .site = "", .title = "台账校验值",
                  .text = text, .severity = HQ_SEV_LOW, .deadline_ms = 0};
    uint64_t oseq;
    if ((rc = hq_outbox_add(s, txn, &a, &oseq, err)))
        return rc;
    hqe_fx_outbox(fx, oseq);
    unsigned char b[16];
    hq_be64_put(b, (uint64_t)now_ms);
    hq_be64_put(b + 8, seq);
    return hq_store_put(s, txn, HQ_DB_META, "head_sent", 9, b, 16, err);
}

typedef struct audit_ctx {
    size_t stuck;
    char *first;
    size_t size;
} audit_ctx;

static int audit_one(void *ctx, const char *number)
{
    audit_ctx *a = ctx;
    if (a->stuck++ == 0 && a->first)
        snprintf(a->first, a->size, "%s", number);
    return 0;
}

/* Every save keeps the count of open issues and the index of those with no
 * next step, so the audit reads two indexes instead of every open issue. */
int hq_engine_audit(hq_store *s, MDB_txn *txn, size_t *open, size_t *stuck, char *first_stuck, size_t size,
                    hq_err *err)
{
    audit_ctx a = {0, first_stuck, size};
    if (first_stuck && size)
        first_stuck[0] = '\0';
    uint64_t n;
    int rc = hq_issue_open_count(s, txn, &n, err);
    if (rc == 0)
        rc = hq_issue_each_stuck(s, txn, audit_one, &a, err);
    *open = rc ? 0 : (size_t)n;
    *stuck = a.stuck;
    return rc;
}
