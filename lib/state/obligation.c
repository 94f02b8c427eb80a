/* obligation.c - obligations stored per rule and slot (obligation.h).
 *
 * Records in rulestate (see the key space in store.c; integers big-endian):
 *
 *   'O' 0 rule 0 be64(due_ms)        slot: be64 start_ms | be64 timer id (0:
 *                                    none pending) | 16-byte set id | be32
 *                                    units | be32 satisfied before the
 *                                    deadline | be32 units done at the
 *                                    deadline | u8 deadline reached
 *   'P' 0 rule 0 be64(due_ms) unit   what happened to one unit in one slot:
 *                                    be64 start_ms | u8 state | be64 seq
 *   'U' 0 set id                     a unit set: be32 n | be32 offset[n]
 *                                    (set order) | be32 index[n] (in byte
 *                                    order of the ids) | the ids, each
 *                                    NUL-terminated
 *
 * The set id is the first 16 bytes of BLAKE2b over the ids in set order,
 * each with its NUL.  Sets are never deleted: a slot's set must outlive
 * it, and there is one per distinct unit list (one per reload that
 * changed it at most), not one per slot.
 */
#include "obligation.h"

#include "buf.h"
#include "clock.h"
#include "mem.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SET_ID 16
#define RULE_MAX 255           /* longest rule id stored */
#define UNIT_MAX 200           /* longest unit id stored */
#define KEY_MAX (2 + RULE_MAX + 1 + 8 + UNIT_MAX)
#define SLOT_BYTES 45
#define UNIT_BYTES 17

const char *hq_obligation_state_name(hq_obligation_state st)
{
    static const char *const names[] = {"due", "satisfied", "late", "missed"};
    return (unsigned)st < 4 ? names[st] : "?";
}

/* ---- keys and values ---- */

/* 'kind' 0 rule 0 be64(due) [unit]; 0 when the ids are too long. */
static size_t obl_key(unsigned char *buf, char kind, const char *rule, int64_t due_ms, const char *unit)
{
    size_t rl = strlen(rule), ul = unit ? strlen(unit) : 0;
    if (rl > RULE_MAX || ul > UNIT_MAX)
        return 0;
    buf[0] = (unsigned char)kind;
    buf[1] = 0;
    memcpy(buf + 2, rule, rl);
    buf[2 + rl] = 0;
    hq_be64_put(buf + 3 + rl, (uint64_t)due_ms);
    memcpy(buf + 11 + rl, unit ? unit : "", ul);
    return 11 + rl + ul;
}

typedef struct slot_rec {
    int64_t start_ms;
    uint64_t timer_id;
    unsigned char set[SET_ID];
    uint32_t nunits, satisfied, next;
    bool fired;
} slot_rec;

static void slot_pack(unsigned char *p, const slot_rec *r)
{
    hq_be64_put(p, (uint64_t)r->start_ms);
    hq_be64_put(p + 8, r->timer_id);
    memcpy(p + 16, r->set, SET_ID);
    hq_be32_put(p + 32, r->nunits);
    hq_be32_put(p + 36, r->satisfied);
    hq_be32_put(p + 40, r->next);
    p[44] = r->fired;
}

static bool slot_unpack(const MDB_val *v, slot_rec *r)
{
    if (v->mv_size != SLOT_BYTES)
        return false;
    const unsigned char *p = v->mv_data;
    r->start_ms = (int64_t)hq_be64_get(p);
    r->timer_id = hq_be64_get(p + 8);
    memcpy(r->set, p + 16, SET_ID);
    r->nunits = hq_be32_get(p + 32);
    r->satisfied = hq_be32_get(p + 36);
    r->next = hq_be32_get(p + 40);
    r->fired = p[44] != 0;
    return true;
}

typedef struct unit_rec {
    int64_t start_ms;
    hq_obligation_state state;
    uint64_t seq;
} unit_rec;

static void unit_pack(unsigned char *p, const unit_rec *r)
{
    hq_be64_put(p, (uint64_t)r->start_ms);
    p[8] = (unsigned char)r->state;
    hq_be64_put(p + 9, r->seq);
}

static bool unit_unpack(const MDB_val *v, unit_rec *r)
{
    if (v->mv_size != UNIT_BYTES)
        return false;
    const unsigned char *p = v->mv_data;
    r->start_ms = (int64_t)hq_be64_get(p);
    r->state = (hq_obligation_state)p[8];
    r->seq = hq_be64_get(p + 9);
    return r->state <= HQ_OBL_MISSED;
}

static int put(hq_store *s, MDB_txn *txn, const unsigned char *k, size_t kl, const void *v, size_t vl, hq_err *err)
{
    return hq_store_put(s, txn, HQ_DB_RULESTATE, k, kl, v, vl, err);
}

static int get_unit(hq_store *s, MDB_txn *txn, const char *rule, int64_t due_ms, const char *unit, unit_rec *r,
                    bool *found, hq_err *err)
{
    unsigned char k[KEY_MAX];
    size_t kl = obl_key(k, 'P', rule, due_ms, unit);
    *found = false;
    if (!kl)
        return 0;
    MDB_val v;
    bool present;
    int rc = hq_store_find(s, txn, HQ_DB_RULESTATE, k, kl, &v, &present, err);
    if (rc || !present)
        return rc;
    *found = unit_unpack(&v, r);
    return 0;
}

static int put_unit(hq_store *s, MDB_txn *txn, const char *rule, int64_t due_ms, const char *unit, const unit_rec *r,
                    hq_err *err)
{
    unsigned char k[KEY_MAX], p[UNIT_BYTES];
    size_t kl = obl_key(k, 'P', rule, due_ms, unit);
    if (!kl)
        return 0;
    unit_pack(p, r);
    return put(s, txn, k, kl, p, sizeof p, err);
}

/* ---- unit sets ---- */

typedef struct set_view {
    const unsigned char *p;   /* the record (a view, or a copy) */
    size_t len;
    uint32_t n;
} set_view;

static bool set_parse(const void *data, size_t len, set_view *v)
{
    const unsigned char *p = data;
    if (len < 4)
        return false;
    uint32_t n = hq_be32_get(p);
    if ((len - 4) / 8 < n || (n && p[len - 1] != 0))
        return false;
    *v = (set_view){p, len, n};
    return true;
}

/* The i-th unit in set order ("" for a damaged record). */
static const char *set_unit(const set_view *v, uint32_t i)
{
    uint32_t off = hq_be32_get(v->p + 4 + 4 * (size_t)i);
    return off >= 4 + 8 * (size_t)v->n && off < v->len ? (const char *)v->p + off : "";
}

static bool set_has(const set_view *v, const char *unit)
{
    uint32_t lo = 0, hi = v->n;
    const unsigned char *idx = v->p + 4 + 4 * (size_t)v->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2, i = hq_be32_get(idx + 4 * (size_t)mid);
        int c = i < v->n ? strcmp(set_unit(v, i), unit) : 1;
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static int get_set(hq_store *s, MDB_txn *txn, const unsigned char id[SET_ID], set_view *v, hq_err *err)
{
    unsigned char k[2 + SET_ID] = {'U', 0};
    memcpy(k + 2, id, SET_ID);
    MDB_val m;
    int rc = hq_store_get(s, txn, HQ_DB_RULESTATE, k, sizeof k, &m, err);
    if (rc)
        return rc;
    if (!set_parse(m.mv_data, m.mv_size, v))
        return hq_err_set(err, HQ_ESTORE, "rulestate: a unit set record does not decode");
    return 0;
}

typedef struct sort_ent {
    const char *id;
    uint32_t i;
} sort_ent;

static int cmp_ent(const void *a, const void *b)
{
    return strcmp(((const sort_ent *)a)->id, ((const sort_ent *)b)->id);
}

/* Stores the set (unless it is there) and gives its id. */
static int put_set(hq_store *s, MDB_txn *txn, const char *const *units, size_t n, unsigned char id[SET_ID],
                   hq_err *err)
{
    if (n > UINT32_MAX / 16)
        return hq_err_set(err, HQ_EINVAL, "obligations: %zu units in one rule", n);
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, SET_ID);
    size_t bytes = 4 + 8 * n;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(units[i]) + 1;
        crypto_generichash_update(&st, (const unsigned char *)units[i], l);
        bytes += l;
    }
    crypto_generichash_final(&st, id, SET_ID);
    if (bytes > UINT32_MAX)
        return hq_err_set(err, HQ_EINVAL, "obligations: unit list too long");
    unsigned char k[2 + SET_ID] = {'U', 0};
    memcpy(k + 2, id, SET_ID);
    MDB_val m;
    int rc = hq_store_get(s, txn, HQ_DB_RULESTATE, k, sizeof k, &m, err);
    if (rc != HQ_ENOTFOUND)
        return rc;
    unsigned char *p = hq_malloc(bytes);
    sort_ent *ents = hq_malloc((n ? n : 1) * sizeof *ents);
    if (!p || !ents) {
        free(p);
        free(ents);
        return hq_err_set(err, HQ_ENOMEM, "out of memory");
    }
    hq_be32_put(p, (uint32_t)n);
    size_t off = 4 + 8 * n;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(units[i]) + 1;
        hq_be32_put(p + 4 + 4 * i, (uint32_t)off);
        memcpy(p + off, units[i], l);
        off += l;
        ents[i] = (sort_ent){units[i], (uint32_t)i};
    }
    qsort(ents, n, sizeof *ents, cmp_ent);
    for (size_t i = 0; i < n; i++)
        hq_be32_put(p + 4 + 4 * n + 4 * i, ents[i].i);
    rc = put(s, txn, k, sizeof k, p, bytes, err);
    free(p);
    free(ents);
    return rc;
}

/* ---- generation ---- */

static int mark_key(char *buf, size_t size, const char *rule)
{
    return snprintf(buf, size, "gen:%s", rule);
}

typedef struct gen_ctx {
    hq_store *s;
    MDB_txn *txn;
    const char *rule;
    unsigned char set[SET_ID];
    uint32_t nunits;
    int64_t now_ms;
    size_t created;
    int rc;
    hq_err *err;
} gen_ctx;

/* Units of the set that already have a record in the slot (a slot dropped
 * by a reset and generated again): they are not due. */
static int count_done(gen_ctx *g, int64_t due_ms, uint32_t *done)
{
    *done = 0;
    unsigned char k[KEY_MAX];
    size_t pl = obl_key(k, 'P', g->rule, due_ms, NULL);
    MDB_cursor *c;
    int rc = hq_store_cursor(g->s, g->txn, HQ_DB_RULESTATE, &c, g->err);
    if (rc)
        return rc;
    MDB_val mk = {pl, k}, mv;
    rc = mdb_cursor_get(c, &mk, &mv, MDB_SET_RANGE);
    if (rc || mk.mv_size <= pl || memcmp(mk.mv_data, k, pl)) {
        mdb_cursor_close(c);
        return rc == 0 || rc == MDB_NOTFOUND ? 0 : hq_store_code(rc, g->err, "rulestate");
    }
    mdb_cursor_close(c);
    set_view sv;
    if ((rc = get_set(g->s, g->txn, g->set, &sv, g->err)))
        return rc;
    char unit[UNIT_MAX + 1];
    if ((rc = hq_store_cursor(g->s, g->txn, HQ_DB_RULESTATE, &c, g->err)))
        return rc;
    mk = (MDB_val){pl, k};
    for (rc = mdb_cursor_get(c, &mk, &mv, MDB_SET_RANGE); rc == 0 && mk.mv_size > pl && mk.mv_size - pl <= UNIT_MAX &&
                                                           !memcmp(mk.mv_data, k, pl);
         rc = mdb_cursor_get(c, &mk, &mv, MDB_NEXT)) {
        memcpy(unit, (const char *)mk.mv_data + pl, mk.mv_size - pl);
        unit[mk.mv_size - pl] = 0;
        if (set_has(&sv, unit))
            (*done)++;
    }
    mdb_cursor_close(c);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : hq_store_code(rc, g->err, "rulestate");
}

static int gen_slot(void *ctx, const hq_slot *slot)
{
    gen_ctx *g = ctx;
    if (slot->due_ms <= g->now_ms)
        return 0; /* a deadline already past when generated: nothing to expect */
    unsigned char k[KEY_MAX];
    size_t kl = obl_key(k, 'O', g->rule, slot->due_ms, NULL);
    MDB_val v;
    int rc = hq_store_get(g->s, g->txn, HQ_DB_RULESTATE, k, kl, &v, g->err);
    if (rc == 0)
        return 0;
    slot_rec r = {.start_ms = slot->start_ms, .nunits = g->nunits};
    memcpy(r.set, g->set, SET_ID);
    if (rc != HQ_ENOTFOUND || (rc = count_done(g, slot->due_ms, &r.satisfied)))
        goto fail;
    if (r.satisfied < r.nunits) {
        hq_timer t = {.due_ms = slot->due_ms, .kind = HQ_TIMER_OBLIGATION, .arg = slot->due_ms};
        snprintf(t.rule, sizeof t.rule, "%s", g->rule);
        if ((rc = hq_timer_add(g->s, g->txn, &t, g->err)))
            goto fail;
        r.timer_id = t.id;
    }
    unsigned char p[SLOT_BYTES];
    slot_pack(p, &r);
    if ((rc = put(g->s, g->txn, k, kl, p, sizeof p, g->err)))
        goto fail;
    g->created += g->nunits;
    return 0;
fail:
    g->rc = rc;
    return 1;
}

int hq_obligation_generate(hq_store *s, MDB_txn *txn, const char *rule, const char *const *units, size_t nunits,
                           const hq_schedule *sched, const hq_calendar *cal, int64_t now_ms, int64_t horizon_ms,
                           size_t *created, hq_err *err)
{
    *created = 0;
    if (strlen(rule) > RULE_MAX || strlen(rule) >= sizeof ((hq_timer *)0)->rule)
        return hq_err_set(err, HQ_EINVAL, "obligations: rule id \"%.40s...\" too long", rule);
    for (size_t i = 0; i < nunits; i++)
        if (strlen(units[i]) > UNIT_MAX)
            return hq_err_set(err, HQ_EINVAL, "obligations: unit id \"%.40s...\" too long", units[i]);
    char mk[RULE_MAX + 8];
    int mkl = mark_key(mk, sizeof mk, rule);
    MDB_val v;
    int64_t until = now_ms;
    int rc = hq_store_get(s, txn, HQ_DB_META, mk, (size_t)mkl, &v, err);
    if (rc == 0 && v.mv_size == 8)
        until = (int64_t)hq_be64_get(v.mv_data);
    else if (rc && rc != HQ_ENOTFOUND)
        return rc;
    int64_t from = until > now_ms ? until : now_ms, to = now_ms + horizon_ms;
    if (to <= from)
        return 0;
    gen_ctx g = {s, txn, rule, {0}, (uint32_t)nunits, now_ms, 0, 0, err};
    if ((rc = put_set(s, txn, units, nunits, g.set, err)))
        return rc;
    /* The slots are the same for every unit: computed once per rule. */
    hq_schedule_slots(sched, cal, from, to, gen_slot, &g);
    if (g.rc)
        return g.rc;
    *created = g.created;
    unsigned char b[8];
    hq_be64_put(b, (uint64_t)to);
    return hq_store_put(s, txn, HQ_DB_META, mk, (size_t)mkl, b, 8, err);
}

/* ---- events ---- */

/* Positions on the rule's slot with the first deadline at or after ts_ms
 * (a) and the one before it (b); found flags say which exist. */
static int find_slots(hq_store *s, MDB_txn *txn, const char *rule, int64_t ts_ms, int64_t *a_due, slot_rec *a,
                      bool *a_found, int64_t *b_due, slot_rec *b, bool *b_found, hq_err *err)
{
    unsigned char k[KEY_MAX];
    size_t kl = obl_key(k, 'O', rule, ts_ms, NULL), pl = kl - 8;
    *a_found = *b_found = false;
    MDB_cursor *c;
    int rc = hq_store_cursor(s, txn, HQ_DB_RULESTATE, &c, err);
    if (rc)
        return rc;
    MDB_val mk = {kl, k}, mv;
    rc = mdb_cursor_get(c, &mk, &mv, MDB_SET_RANGE);
    if (rc == 0 && mk.mv_size == kl && !memcmp(mk.mv_data, k, pl) && slot_unpack(&mv, a)) {
        *a_found = true;
        *a_due = (int64_t)hq_be64_get((const unsigned char *)mk.mv_data + pl);
    }
    rc = rc == 0 ? mdb_cursor_get(c, &mk, &mv, MDB_PREV) : mdb_cursor_get(c, &mk, &mv, MDB_LAST);
    if (rc == 0 && mk.mv_size == kl && !memcmp(mk.mv_data, k, pl) && slot_unpack(&mv, b)) {
        *b_found = true;
        *b_due = (int64_t)hq_be64_get((const unsigned char *)mk.mv_data + pl);
    }
    mdb_cursor_close(c);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : hq_store_code(rc, err, "rulestate");
}

int hq_obligation_arrived(hq_store *s, MDB_txn *txn, const char *rule, const char *unit, int64_t ts_ms, uint64_t seq,
                          hq_obligation_hit *hit, hq_err *err)
{
    *hit = (hq_obligation_hit){HQ_OBL_DUE, 0};
    if (strlen(rule) > RULE_MAX || strlen(unit) > UNIT_MAX)
        return 0; /* never generated for */
    int64_t a_due = 0, b_due = 0;
    slot_rec a, b;
    bool a_found, b_found, found;
    int rc = find_slots(s, txn, rule, ts_ms, &a_due, &a, &a_found, &b_due, &b, &b_found, err);
    if (rc)
        return rc;
    unit_rec u;
    if (a_found && a.start_ms <= ts_ms) {
        /* The slot whose window holds ts: due if on time, missed if the
         * record came after the deadline marked it (then it is late). */
        set_view sv;
        if ((rc = get_set(s, txn, a.set, &sv, err)))
            return rc;
        if (set_has(&sv, unit)) {
            if ((rc = get_unit(s, txn, rule, a_due, unit, &u, &found, err)))
                return rc;
            if (!found || u.state == HQ_OBL_MISSED) {
                bool late = found;
                u = (unit_rec){a.start_ms, late ? HQ_OBL_LATE : HQ_OBL_SATISFIED, seq};
                if ((rc = put_unit(s, txn, rule, a_due, unit, &u, err)))
                    return rc;
                *hit = (hq_obligation_hit){u.state, a_due};
                if (late || a.fired)
                    return 0;
                /* Everyone came before the deadline: it has nothing to do. */
                if (++a.satisfied >= a.nunits && a.timer_id) {
                    if ((rc = hq_timer_del(s, txn, a_due, a.timer_id, err)))
                        return rc;
                    a.timer_id = 0;
                }
                unsigned char k[KEY_MAX], p[SLOT_BYTES];
                size_t kl = obl_key(k, 'O', rule, a_due, NULL);
                slot_pack(p, &a);
                return put(s, txn, k, kl, p, sizeof p, err);
            }
            /* Exactly at a deadline already met: the event opens the next
             * window (which starts at this deadline). */
            if (a_due == ts_ms && ts_ms < INT64_MAX)
                return hq_obligation_arrived(s, txn, rule, unit, ts_ms + 1, seq, hit, err);
        }
    }
    /* Between windows (a weekly slot's gap), or the slot was already
     * done: the slot just before takes it as late if it was missed within
     * a day. */
    if (!b_found || ts_ms > b_due + HQ_DAY_MS)
        return 0;
    if ((rc = get_unit(s, txn, rule, b_due, unit, &u, &found, err)))
        return rc;
    if (!found || u.state != HQ_OBL_MISSED)
        return 0;
    u.state = HQ_OBL_LATE;
    u.seq = seq;
    if ((rc = put_unit(s, txn, rule, b_due, unit, &u, err)))
        return rc;
    *hit = (hq_obligation_hit){HQ_OBL_LATE, b_due};
    return 0;
}

/* ---- deadlines ---- */

int hq_obligation_deadline(hq_store *s, MDB_txn *txn, const hq_timer *t, size_t max,
                           int (*missed)(void *ctx, const char *unit, int64_t due_ms), void *ctx, size_t *marked,
                           hq_err *err)
{
    *marked = 0;
    int64_t due = t->arg;
    unsigned char k[KEY_MAX];
    size_t kl = obl_key(k, 'O', t->rule, due, NULL);
    if (!kl)
        return 0;
    MDB_val v;
    slot_rec r;
    bool present;
    int rc = hq_store_find(s, txn, HQ_DB_RULESTATE, k, kl, &v, &present, err);
    if (rc || !present)
        return rc;
    if (!slot_unpack(&v, &r) || r.timer_id != t->id)
        return 0; /* a timer the slot no longer waits for */
    set_view sv;
    if ((rc = get_set(s, txn, r.set, &sv, err)))
        return rc;
    /* The callbacks write to the txn: work on a copy of the set. */
    unsigned char *copy = hq_malloc(sv.len);
    memcpy(copy, sv.p, sv.len);
    sv.p = copy;
    r.fired = true;
    r.timer_id = 0;
    if (max == 0)
        max = 1;
    uint32_t i = r.next;
    for (; i < sv.n && *marked < max; i++) {
        const char *unit = set_unit(&sv, i);
        unit_rec u;
        bool found;
        if ((rc = get_unit(s, txn, t->rule, due, unit, &u, &found, err)))
            goto out;
        if (found)
            continue;
        u = (unit_rec){r.start_ms, HQ_OBL_MISSED, 0};
        if ((rc = put_unit(s, txn, t->rule, due, unit, &u, err)))
            goto out;
        (*marked)++;
        if (missed && (rc = missed(ctx, unit, due)))
            goto out;
    }
    r.next = i;
    if (i < sv.n) {
        /* More to mark: the next transaction goes on from here. */
        hq_timer nt = {.due_ms = t->due_ms, .kind = HQ_TIMER_OBLIGATION, .arg = due};
        snprintf(nt.rule, sizeof nt.rule, "%s", t->rule);
        if ((rc = hq_timer_add(s, txn, &nt, err)))
            goto out;
        r.timer_id = nt.id;
    }
    unsigned char p[SLOT_BYTES];
    slot_pack(p, &r);
    rc = put(s, txn, k, kl, p, sizeof p, err);
out:
    free(copy);
    return rc;
}

/* ---- reset ---- */

int hq_obligation_reset(hq_store *s, MDB_txn *txn, int64_t now_ms, size_t *dropped, hq_err *err)
{
    *dropped = 0;
    MDB_cursor *c;
    int rc = hq_store_cursor(s, txn, HQ_DB_RULESTATE, &c, err);
    if (rc)
        return rc;
    MDB_val k = {2, (void *)"O"}, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size > 11 && ((char *)k.mv_data)[0] == 'O' && ((char *)k.mv_data)[1] == 0) {
        slot_rec r;
        int64_t due = (int64_t)hq_be64_get((const unsigned char *)k.mv_data + k.mv_size - 8);
        if (slot_unpack(&v, &r) && !r.fired && due > now_ms) {
            if (r.timer_id && (rc = hq_timer_del(s, txn, due, r.timer_id, err))) {
                mdb_cursor_close(c);
                return rc;
            }
            if ((rc = mdb_cursor_del(c, 0))) {
                mdb_cursor_close(c);
                return hq_store_code(rc, err, "rulestate");
            }
            *dropped += r.nunits > r.satisfied ? r.nunits - r.satisfied : 0;
            rc = mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT);
            if (rc == 0)
                continue;
            break;
        }
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return hq_store_code(rc, err, "rulestate");
    /* Forget how far each rule was generated: all of it is generated again. */
    if ((rc = hq_store_cursor(s, txn, HQ_DB_META, &c, err)))
        return rc;
    MDB_val gk = {4, (void *)"gen:"};
    rc = mdb_cursor_get(c, &gk, &v, MDB_SET_RANGE);
    while (rc == 0 && gk.mv_size >= 4 && !memcmp(gk.mv_data, "gen:", 4)) {
        if ((rc = mdb_cursor_del(c, 0)))
            break;
        rc = mdb_cursor_get(c, &gk, &v, MDB_GET_CURRENT);
    }
    mdb_cursor_close(c);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : hq_store_code(rc, err, "meta");
}

/* ---- listing ---- */

/* Compares the (rule 0 due) parts of two keys whose kind bytes differ. */
static int cmp_rule_due(const MDB_val *a, const MDB_val *b)
{
    size_t al = a->mv_size - 2, bl = b->mv_size - 2;
    const unsigned char *ap = (const unsigned char *)a->mv_data + 2, *bp = (const unsigned char *)b->mv_data + 2;
    size_t ar = strnlen((const char *)ap, al) + 9, br = strnlen((const char *)bp, bl) + 9;
    if (ar > al)
        ar = al;
    if (br > bl)
        br = bl;
    int c = memcmp(ap, bp, ar < br ? ar : br);
    return c ? c : (ar > br) - (ar < br);
}

static bool is_kind(const MDB_val *k, char kind)
{
    if (k->mv_size < 12 || ((const char *)k->mv_data)[0] != kind || ((const char *)k->mv_data)[1] != 0)
        return false;
    size_t rl = strnlen((const char *)k->mv_data + 2, k->mv_size - 2);
    return 2 + rl + 9 <= k->mv_size && (kind == 'P' || 2 + rl + 9 == k->mv_size);
}

typedef struct walk {
    hq_store *s;
    MDB_txn *txn;
    int (*fn)(void *ctx, const hq_obligation *o);
    void *ctx;
    char rule[RULE_MAX + 1];
    bool stop;
} walk;

/* Emits the record under cursor position k/v ('P' key). */
static void emit_rec(walk *w, const MDB_val *k, const MDB_val *v)
{
    const char *p = (const char *)k->mv_data + 2;
    size_t rl = strnlen(p, k->mv_size - 2), ul = k->mv_size - 2 - rl - 9;
    unit_rec u;
    if (rl > RULE_MAX || ul > UNIT_MAX || !unit_unpack(v, &u))
        return;
    char rule[RULE_MAX + 1], unit[UNIT_MAX + 1];
    memcpy(rule, p, rl);
    rule[rl] = 0;
    memcpy(unit, p + rl + 9, ul);
    unit[ul] = 0;
    hq_obligation o = {rule, unit, u.start_ms, (int64_t)hq_be64_get((const unsigned char *)p + rl + 1), u.state,
                       u.seq};
    if (w->fn(w->ctx, &o))
        w->stop = true;
}

/* Emits one slot: its set's units (with their records, else due). */
static int emit_slot(walk *w, const MDB_val *k, const MDB_val *v, hq_err *err)
{
    const char *p = (const char *)k->mv_data + 2;
    size_t rl = strnlen(p, k->mv_size - 2);
    slot_rec r;
    if (rl > RULE_MAX || !slot_unpack(v, &r))
        return 0;
    char rule[RULE_MAX + 1];
    memcpy(rule, p, rl);
    rule[rl] = 0;
    int64_t due = (int64_t)hq_be64_get((const unsigned char *)p + rl + 1);
    set_view sv;
    int rc = get_set(w->s, w->txn, r.set, &sv, err);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < sv.n && !w->stop; i++) {
        const char *unit = set_unit(&sv, i);
        unit_rec u;
        bool found;
        if ((rc = get_unit(w->s, w->txn, rule, due, unit, &u, &found, err)))
            return rc;
        hq_obligation o = {rule, unit, found ? u.start_ms : r.start_ms, due, found ? u.state : HQ_OBL_DUE,
                           found ? u.seq : 0};
        if (w->fn(w->ctx, &o))
            w->stop = true;
    }
    return 0;
}

static bool rec_in_slot_set(walk *w, const MDB_val *slot_v, const MDB_val *rk)
{
    slot_rec r;
    set_view sv;
    if (!slot_unpack(slot_v, &r) || get_set(w->s, w->txn, r.set, &sv, NULL))
        return false;
    const char *p = (const char *)rk->mv_data + 2;
    size_t rl = strnlen(p, rk->mv_size - 2), ul = rk->mv_size - 2 - rl - 9;
    char unit[UNIT_MAX + 1];
    if (ul > UNIT_MAX)
        return false;
    memcpy(unit, p + rl + 9, ul);
    unit[ul] = 0;
    return set_has(&sv, unit);
}

int hq_obligation_each(hq_store *s, MDB_txn *txn, int (*fn)(void *ctx, const hq_obligation *o), void *ctx,
                       hq_err *err)
{
    MDB_cursor *cs = NULL, *cr = NULL;
    int rc = hq_store_cursor(s, txn, HQ_DB_RULESTATE, &cs, err);
    if (rc == 0)
        rc = hq_store_cursor(s, txn, HQ_DB_RULESTATE, &cr, err);
    if (rc) {
        if (cs)
            mdb_cursor_close(cs);
        return rc;
    }
    walk w = {s, txn, fn, ctx, "", false};
    MDB_val sk = {2, (void *)"O"}, sv, rk = {2, (void *)"P"}, rv;
    int src = mdb_cursor_get(cs, &sk, &sv, MDB_SET_RANGE);
    int rrc = mdb_cursor_get(cr, &rk, &rv, MDB_SET_RANGE);
    rc = 0;
    while (!w.stop && rc == 0) {
        bool have_s = src == 0 && is_kind(&sk, 'O'), have_r = rrc == 0 && is_kind(&rk, 'P');
        if (!have_s && !have_r)
            break;
        int c = have_s && have_r ? cmp_rule_due(&sk, &rk) : have_s ? -1 : 1;
        if (c <= 0) {
            if ((rc = emit_slot(&w, &sk, &sv, err)))
                break;
            /* The slot's records were listed with its set; the others after. */
            while (!w.stop && c == 0) {
                if (!rec_in_slot_set(&w, &sv, &rk))
                    emit_rec(&w, &rk, &rv);
                rrc = mdb_cursor_get(cr, &rk, &rv, MDB_NEXT);
                c = rrc == 0 && is_kind(&rk, 'P') ? cmp_rule_due(&sk, &rk) : -1;
            }
            src = mdb_cursor_get(cs, &sk, &sv, MDB_NEXT);
        } else {
            /* Records of a slot that is gone (dropped by a reload). */
            emit_rec(&w, &rk, &rv);
            rrc = mdb_cursor_get(cr, &rk, &rv, MDB_NEXT);
        }
    }
    mdb_cursor_close(cs);
    mdb_cursor_close(cr);
    return rc;
}
