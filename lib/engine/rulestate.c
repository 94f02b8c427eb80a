/* rulestate.c - what rules remember between events: counting windows,
 * sustained conditions (and their self-clearing), stale data, and the
 * obligations of scheduled rules; and the timers that rule state sets
 * (SPEC §3).  Counting windows and sustained conditions follow the
 * events' ts; obligations follow the daemon's clock.
 */
#include "engine_int.h"

/* ---- rule state (counting windows, sustained conditions) ---- */

/* kind 0x00 rule 0x00 key (kind 0: no kind byte), without printf: this
 * runs for every event a sustained or counting rule sees. */
static size_t compose_key(char *buf, size_t size, char kind, const char *rule, const char *key)
{
    size_t rl = strlen(rule), kl = strlen(key), n = 0;
    if ((kind ? 2 : 0) + rl + 1 + kl > size)
        kl = size > (kind ? 2 : 0) + rl + 1 ? size - (kind ? 2 : 0) - rl - 1 : 0;
    if (kind) {
        buf[n++] = kind;
        buf[n++] = 0;
    }
    memcpy(buf + n, rule, rl);
    n += rl;
    buf[n++] = 0;
    memcpy(buf + n, key, kl);
    return n + kl;
}

static size_t state_key(char *buf, size_t size, char kind, const char *rule, const char *key)
{
    return compose_key(buf, size, kind, rule, key);
}

/* Counting: keeps the ts of the last count_n matches. */
int hqe_count_match(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_rule *rule, const char *key,
                       const hq_event *ev, uint64_t seq, int64_t now_ms, hq_effects *fx, hq_err *err)
{
    /* While the issue is open, every further match attaches to it. */
    hq_group g;
    int grc = hq_group_get(s, txn, rule->id, key, &g, err);
    if (grc)
        return grc;
    if (g.open[0])
        return hqe_match(e, s, txn, rule, key, ev, seq, now_ms, fx, err);
    char k[700];
    size_t kl = state_key(k, sizeof k, 'w', rule->id, key);
    MDB_val v;
    int64_t ts[1024];
    size_t n = 0;
    int rc = hq_store_get(s, txn, HQ_DB_RULESTATE, k, kl, &v, err);
    if (rc == 0) {
        n = v.mv_size / 8;
        if (n > 1024)
            n = 1024;
        for (size_t i = 0; i < n; i++)
            ts[i] = (int64_t)hq_be64_get((unsigned char *)v.mv_data + 8 * i);
    } else if (rc != HQ_ENOTFOUND) {
        return rc;
    }
    /* Drop what fell out of the window, append this one, keep the last N. */
    size_t keep = 0;
    for (size_t i = 0; i < n; i++)
        if (ts[i] > ev->ts_ms - rule->window_ms) /* strictly within: a match exactly window ago has left it */
            ts[keep++] = ts[i];
    n = keep;
    if (n == rule->count_n && n > 0) {
        memmove(ts, ts + 1, (n - 1) * sizeof *ts);
        n--;
    }
    ts[n++] = ev->ts_ms;
    if (n >= rule->count_n) {
        rc = hq_store_del(s, txn, HQ_DB_RULESTATE, k, kl, err);
        if (rc && rc != HQ_ENOTFOUND)
            return rc;
        return hqe_match(e, s, txn, rule, key, ev, seq, now_ms, fx, err);
    }
    unsigned char out[1024 * 8];
    for (size_t i = 0; i < n; i++)
        hq_be64_put(out + 8 * i, (uint64_t)ts[i]);
    return hq_store_put(s, txn, HQ_DB_RULESTATE, k, kl, out, n * 8, err);
}

/* Rule state records ('s' sustained, 'l' stale): u8 phase | be64 since_ms |
 * be64 last_seq | be64 timer due | be64 timer id.  Sustained phases:
 *   'h' holding:  the condition is true since since_ms, no issue open;
 *                 a SUSTAIN timer is pending;
 *   'o' open:     the rule's issue is open (self-clearing rules only), the
 *                 condition held at last sight; no timer;
 *   'c' clearing: the issue is open and the condition false since
 *                 since_ms; a CLEAR timer is pending.
 * No record: the condition is false and nothing is open that could clear
 * itself, so a quiet reading costs one lookup.  Stale records: phase 'l'. */
typedef struct sus_state {
    char phase;
    int64_t since_ms;
    uint64_t last_seq;
    int64_t due_ms;
    uint64_t timer_id;
} sus_state;

static int sus_get(hq_store *s, MDB_txn *txn, const char *k, size_t kl, sus_state *st, bool *found, hq_err *err)
{
    MDB_val v;
    int rc = hq_store_find(s, txn, HQ_DB_RULESTATE, k, kl, &v, found, err);
    if (rc || !*found)
        return rc;
    if (v.mv_size != 33) {
        *found = false;
        return hq_err_set(err, HQ_ESTORE, "rule state of unexpected size");
    }
    const unsigned char *p = v.mv_data;
    st->phase = (char)p[0];
    st->since_ms = (int64_t)hq_be64_get(p + 1);
    st->last_seq = hq_be64_get(p + 9);
    st->due_ms = (int64_t)hq_be64_get(p + 17);
    st->timer_id = hq_be64_get(p + 25);
    return 0;
}

static int sus_put(hq_store *s, MDB_txn *txn, const char *k, size_t kl, const sus_state *st, hq_err *err)
{
    unsigned char p[33];
    p[0] = (unsigned char)st->phase;
    hq_be64_put(p + 1, (uint64_t)st->since_ms);
    hq_be64_put(p + 9, st->last_seq);
    hq_be64_put(p + 17, (uint64_t)st->due_ms);
    hq_be64_put(p + 25, st->timer_id);
    return hq_store_put(s, txn, HQ_DB_RULESTATE, k, kl, p, sizeof p, err);
}

static int rule_timer(hq_store *s, MDB_txn *txn, hq_timer_kind kind, const hq_rule *rule, const char *key,
                      int64_t due_ms, hq_timer *t, hq_err *err)
{
    memset(t, 0, sizeof *t);
    t->due_ms = due_ms;
    t->kind = kind;
    snprintf(t->rule, sizeof t->rule, "%s", rule->id);
    snprintf(t->key, sizeof t->key, "%s", key);
    return hq_timer_add(s, txn, t, err);
}

bool hqe_until_ms(const hq_rule *rule, const hq_event *ev, int64_t *ms)
{
    msgpack_object tmp;
    return rule->until && hq_mp_int64(hq_event_field(ev, rule->until, &tmp), ms);
}

/* Starts a phase with a timer (SUSTAIN for 'h', CLEAR for 'c') at ts +
 * after, or for 'h' of an `until` rule at until_ms. */
static int sus_start(hq_store *s, MDB_txn *txn, const char *k, size_t kl, char phase, const hq_rule *rule,
                     const char *key, const hq_event *ev, uint64_t seq, int64_t until_ms, hq_err *err)
{
    hq_timer t;
    int64_t due = phase == 'c' ? ev->ts_ms + rule->clears_after_ms
                  : rule->until ? until_ms : ev->ts_ms + rule->sustained_ms;
    int rc = rule_timer(s, txn, phase == 'h' ? HQ_TIMER_SUSTAIN : HQ_TIMER_CLEAR, rule, key, due, &t, err);
    if (rc)
        return rc;
    sus_state st = {phase, ev->ts_ms, seq, t.due_ms, t.id};
    return sus_put(s, txn, k, kl, &st, err);
}

/* Sustained rules see every event in their scope for the key: a true
 * condition starts (or continues) the clock, a false one stops it; with
 * clears_after, the open issue clears itself when false long enough.  An
 * `until` rule's clock runs to the time in the event's field; a later true
 * event with another time moves it (a new due date), and a true event
 * without the field counts as false. */
int hqe_sustained(hq_store *s, MDB_txn *txn, const hq_rule *rule, const char *key, bool cond, const hq_event *ev,
                     uint64_t seq, hq_err *err)
{
    char k[700];
    size_t kl = state_key(k, sizeof k, 's', rule->id, key);
    sus_state st;
    bool found;
    int64_t until_ms = 0;
    if (cond && rule->until && !hqe_until_ms(rule, ev, &until_ms))
        cond = false;
    int rc = sus_get(s, txn, k, kl, &st, &found, err);
    if (rc)
        return rc;
    if (!cond) {
        if (!found || st.phase == 'c')
            return 0; /* quiet, or already clearing */
        if (st.phase == 'h') { /* it held for less than the duration */
            if ((rc = hq_timer_del(s, txn, st.due_ms, st.timer_id, err)))
                return rc;
        } else if (rule->clears_after_ms > 0) { /* 'o': back to normal while open */
            hq_group g;
            if ((rc = hq_group_get(s, txn, rule->id, key, &g, err)))
                return rc;
            if (g.open[0])
                return sus_start(s, txn, k, kl, 'c', rule, key, ev, seq, 0, err);
        }
        return hq_store_del(s, txn, HQ_DB_RULESTATE, k, kl, err);
    }
    if (found && st.phase == 'h') {
        if (rule->until && until_ms != st.due_ms) { /* moved: the clock runs to the new time */
            if ((rc = hq_timer_del(s, txn, st.due_ms, st.timer_id, err)))
                return rc;
            return sus_start(s, txn, k, kl, 'h', rule, key, ev, seq, until_ms, err);
        }
        st.last_seq = seq;
        return sus_put(s, txn, k, kl, &st, err);
    }
    if (found && st.phase == 'c' && (rc = hq_timer_del(s, txn, st.due_ms, st.timer_id, err)))
        return rc; /* it went bad again before clearing */
    hq_group g;
    if ((rc = hq_group_get(s, txn, rule->id, key, &g, err)))
        return rc;
    if (g.open[0]) {
        /* The issue is open already and the condition persists. */
        if (found && st.phase == 'o')
            return 0;
        if (rule->clears_after_ms <= 0)
            return found ? hq_store_del(s, txn, HQ_DB_RULESTATE, k, kl, err) : 0;
        st = (sus_state){'o', ev->ts_ms, seq, 0, 0};
        return sus_put(s, txn, k, kl, &st, err);
    }
    return sus_start(s, txn, k, kl, 'h', rule, key, ev, seq, until_ms, err);
}

/* ---- obligations (absence rules, R6) ---- */

/* Stored per rule and slot by obligation.c: one timer per slot, the
 * units' records only when something happens.  The engine decides what a
 * late or missed slot does to issues. */

int hq_engine_generate(hq_engine *e, hq_store *s, MDB_txn *txn, int64_t now_ms, int64_t horizon_ms,
                       size_t *created, hq_err *err)
{
    *created = 0;
    if (!e->rules)
        return 0;
    for (size_t i = 0; i < hq_rules_count(e->rules); i++) {
        const hq_rule *r = hq_rules_at(e->rules, i);
        if (r->kind != HQ_RULE_ABSENCE)
            continue;
        size_t n = 0;
        /* A slot must exist from its window's start (a month's first window
         * is the whole month), so look at least that far ahead. */
        int64_t h = hq_schedule_span_ms(r->schedule) + 86400000LL;
        int rc = hq_obligation_generate(s, txn, r->id, (const char *const *)r->units, r->nunits, r->schedule,
                                        hq_rules_calendar(e->rules), now_ms, h > horizon_ms ? h : horizon_ms, &n,
                                        err);
        if (rc)
            return rc;
        *created += n;
    }
    return 0;
}

/* Adds entry, as houqind's, to the issue that rule's group key has open,
 * if any. */
static int note_open_issue(hq_store *s, MDB_txn *txn, const hq_rule *rule, const char *key, uint64_t seq,
                           int64_t now_ms, const hq_tl_entry *entry, hq_err *err)
{
    hq_group g;
    int rc = hq_group_get(s, txn, rule->id, key, &g, err);
    if (rc || !g.open[0])
        return rc;
    hq_issue is;
    if ((rc = hq_issue_load(s, txn, g.open, &is, err)))
        return rc;
    hq_issue_add(&is, now_ms, "system", seq, entry);
    rc = hq_issue_save(s, txn, &is, err);
    hq_issue_fini(&is);
    return rc;
}

/* An expected event arrived: the slot whose window holds ts is satisfied;
 * one that was already missed (within a day) becomes late, and the open
 * issue is told. */
int hqe_satisfy(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_rule *rule, const char *unit, const hq_event *ev,
                   uint64_t seq, int64_t now_ms, hq_err *err)
{
    hq_obligation_hit hit;
    int rc = hq_obligation_arrived(s, txn, rule->id, unit, ev->ts_ms, seq, &hit, err);
    if (rc || hit.state != HQ_OBL_LATE)
        return rc;
    (void)e;
    return note_open_issue(s, txn, rule, unit, seq, now_ms, &(hq_tl_entry){.kind = HQ_TL_LATE, .due_ms = hit.due_ms},
                           err);
}

typedef struct miss_ctx {
    hq_engine *e;
    hq_store *s;
    MDB_txn *txn;
    const hq_rule *rule;
    int64_t now_ms;
    hq_effects *fx;
    hq_err *err;
} miss_ctx;

/* A unit missed its slot: an issue against it, or an occurrence on the
 * open one. */
static int missed_unit(void *ctx, const char *unit, int64_t due_ms)
{
    miss_ctx *m = ctx;
    hq_group g;
    int rc = hq_group_get(m->s, m->txn, m->rule->id, unit, &g, m->err);
    if (rc)
        return rc;
    if (!g.open[0])
        return hqe_open_issue_for(m->e, m->s, m->txn, m->rule, unit, NULL, unit, due_ms, 0, m->now_ms, &g, m->fx, m->err);
    hq_issue is;
    if ((rc = hq_issue_load(m->s, m->txn, g.open, &is, m->err)))
        return rc;
    is.occurrences++;
    if (m->e->late && is.occurrences <= HQ_OCCURRENCES_LISTED)
        hqe_note_missed(m->e, &is, m->e->late, m->now_ms);
    if (is.occurrences <= HQ_OCCURRENCES_LISTED)
        hq_issue_add(&is, m->now_ms, "system", 0,
                     &(hq_tl_entry){.kind = HQ_TL_OCCURRENCE, .cause = HQ_TLC_MISSING, .due_ms = due_ms,
                                    .count = is.occurrences});
    rc = hq_issue_save(m->s, m->txn, &is, m->err);
    hq_issue_fini(&is);
    return rc;
}

/* A slot's deadline: its units still due are missed (at most max of them
 * in this call; *work counts them). */
int hqe_fire_obligation(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_timer *t, int64_t now_ms, size_t max,
                           size_t *work, hq_effects *fx, hq_err *err)
{
    const hq_rule *rule = e->rules ? hq_rules_find(e->rules, t->rule) : NULL;
    miss_ctx m = {e, s, txn, rule, now_ms, fx, err};
    /* A rule removed by a reload: its slots are recorded as missed, no issue. */
    return hq_obligation_deadline(s, txn, t, max, rule ? missed_unit : NULL, &m, work, err);
}

int hq_engine_obligations_reset(hq_store *s, MDB_txn *txn, int64_t now_ms, size_t *dropped, hq_err *err)
{
    return hq_obligation_reset(s, txn, now_ms, dropped, err);
}

/* ---- stale data ---- */

/* State 'l' rule key: be64 last_ts | be64 last_seq | be64 timer due | be64 timer id.
 * An event only moves last_ts; the timer, when it fires, re-arms itself
 * at last_ts + stale if data came meanwhile (one put per event). */
int hqe_stale_seen(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_rule *rule, const char *key,
                      const hq_event *ev, uint64_t seq, int64_t now_ms, hq_err *err)
{
    char k[700];
    size_t kl = state_key(k, sizeof k, 'l', rule->id, key);
    sus_state st;
    bool found;
    int rc = sus_get(s, txn, k, kl, &st, &found, err);
    if (rc)
        return rc;
    if (found) {
        if (ev->ts_ms <= st.since_ms)
            return 0; /* not newer than what was seen (often the same millisecond) */
        st.since_ms = ev->ts_ms;
        st.last_seq = seq;
        return sus_put(s, txn, k, kl, &st, err);
    }
    hq_timer t;
    if ((rc = rule_timer(s, txn, HQ_TIMER_STALE, rule, key, ev->ts_ms + rule->stale_ms, &t, err)))
        return rc;
    st = (sus_state){'l', ev->ts_ms, seq, t.due_ms, t.id};
    if ((rc = sus_put(s, txn, k, kl, &st, err)))
        return rc;
    /* Reporting again after a stale-data issue: say so on it. */
    (void)e;
    return note_open_issue(s, txn, rule, key, seq, now_ms, &(hq_tl_entry){.kind = HQ_TL_DATA_RESUMED}, err);
}

/* A CLEAR timer on open issue number: the data rectified it and passed
 * the recheck, the same two transitions a person's actions would make;
 * then it closes. */
static int data_cleared(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_timer *t, const char *number,
                        uint64_t last_seq, int64_t now_ms, hq_effects *fx, hq_err *err)
{
    hq_issue is;
    int rc = hq_issue_load(s, txn, number, &is, err);
    if (rc)
        return rc;
    if (is.state != HQ_IS_CLOSED) {
        if (e->late)
            hqe_note_missed(e, &is, t, now_ms);
        if (is.state != HQ_IS_RECTIFIED) {
            hq_issue_add(&is, now_ms, "data", last_seq,
                         &(hq_tl_entry){.kind = HQ_TL_RECTIFIED, .cause = HQ_TLC_DATA, .dur_ms = is.clears_after_ms});
            rc = hq_issue_apply(&is, HQ_ACT_RECTIFY, err);
        }
        if (rc == 0) {
            hq_issue_note(&is, now_ms, "auto-recheck", last_seq, HQ_TL_CLOSED, HQ_TLC_AUTO_RECHECK, NULL);
            rc = hq_issue_apply(&is, HQ_ACT_RECHECK_PASS, err);
        }
        if (rc == 0)
            rc = hqe_close_issue(s, txn, &is, now_ms, NULL, fx, err);
        if (rc == 0)
            rc = hq_issue_save(s, txn, &is, err);
    }
    hq_issue_fini(&is);
    return rc;
}

/* A string of the envelope root (type, source, id) into *p and *len. */
static void envelope_str(const msgpack_object *root, const char *key, const char **p, size_t *len)
{
    const msgpack_object *o = hq_mp_map_get(root, key);
    if (o && o->type == MSGPACK_OBJECT_STR) {
        *p = o->via.str.ptr;
        *len = o->via.str.size;
    }
}

/* ev from a stored event's decoded envelope, without validation (it was
 * valid when stored), as an event of schema for the templates. */
static void envelope(hq_event *ev, const char *frame, size_t len, const msgpack_object *root,
                     const hq_schema *schema)
{
    memset(ev, 0, sizeof *ev);
    ev->raw = frame;
    ev->raw_len = len;
    ev->root = root;
    ev->data = hq_mp_map_get(root, "data");
    envelope_str(root, "type", &ev->type, &ev->type_len);
    envelope_str(root, "source", &ev->source, &ev->source_len);
    envelope_str(root, "id", &ev->id, &ev->id_len);
    hq_mp_int64(hq_mp_map_get(root, "ts"), &ev->ts_ms);
    ev->schema = schema;
}

/* A SUSTAIN or CLEAR timer: the rule state says whether it still holds. */
int hqe_fire_rule_timer(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_timer *t, int64_t now_ms,
                           hq_effects *fx, hq_err *err)
{
    char k[700];
    size_t kl = state_key(k, sizeof k, t->kind == HQ_TIMER_STALE ? 'l' : 's', t->rule, t->key);
    sus_state st;
    bool found;
    int rc = sus_get(s, txn, k, kl, &st, &found, err);
    if (rc || !found || st.timer_id != t->id)
        return rc; /* superseded */
    if (t->kind == HQ_TIMER_STALE) {
        const hq_rule *sr = e->rules ? hq_rules_find(e->rules, t->rule) : NULL;
        if (sr && st.since_ms + sr->stale_ms > now_ms) {
            /* Data came meanwhile: re-arm at the new silence deadline. */
            hq_timer nt;
            if ((rc = rule_timer(s, txn, HQ_TIMER_STALE, sr, t->key, st.since_ms + sr->stale_ms, &nt, err)))
                return rc;
            st.due_ms = nt.due_ms;
            st.timer_id = nt.id;
            return sus_put(s, txn, k, kl, &st, err);
        }
    }
    if ((rc = hq_store_del(s, txn, HQ_DB_RULESTATE, k, kl, err)))
        return rc;
    hq_group g;
    if ((rc = hq_group_get(s, txn, t->rule, t->key, &g, err)))
        return rc;
    if (t->kind == HQ_TIMER_CLEAR)
        return g.open[0] ? data_cleared(e, s, txn, t, g.open, st.last_seq, now_ms, fx, err) : 0;
    /* SUSTAIN: the condition held for the whole duration. */
    const hq_rule *rule = e->rules ? hq_rules_find(e->rules, t->rule) : NULL;
    if (!rule)
        return 0; /* the rule was removed by a reload */
    const char *frame;
    size_t len;
    if ((rc = hq_store_event_get(s, txn, st.last_seq, NULL, &frame, &len, err)))
        return rc;
    /* Re-decode the stored event for the templates (it was valid when stored). */
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    hq_event ev;
    hq_err derr;
    hq_event_limits lim = hq_event_default_limits;
    lim.max_bytes = 1u << 20;
    const hq_schema *schema = rule->ntypes ? rule->types[0] : NULL;
    rc = 0;
    if (schema) {
        /* hq_event_decode needs the schema registry; reuse the rule's type
         * by decoding the envelope without validation. */
        msgpack_object root;
        if (hq_mp_decode(frame, len, &lim.mp, &zone, &root, &derr) == 0) {
            envelope(&ev, frame, len, &root, schema);
            if (ev.data && !g.open[0])
                rc = hqe_open_issue(e, s, txn, rule, t->key, &ev, st.last_seq, now_ms, &g, fx, err);
        }
    }
    msgpack_zone_destroy(&zone);
    if (rc == 0 && g.open[0] && rule->clears_after_ms > 0) {
        /* Open, and it may clear itself: the next normal reading starts the clearing clock. */
        st = (sus_state){'o', st.since_ms, st.last_seq, 0, 0};
        rc = sus_put(s, txn, k, kl, &st, err);
    }
    return rc;
}
