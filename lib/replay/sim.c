/* sim.c - the engine on a scratch state with a simulated clock (sim.h).
 *
 * Every operation (an advance of the clock, an event) is recorded until
 * the transaction that holds it commits, so that a full map can be grown
 * and the operations replayed: the same recovery as houqind's ingest.
 */
#include "sim.h"

#include "buf.h"
#include "clock.h"
#include "issue.h"
#include "mem.h"
#include "mp.h"
#include "timer.h"

#include <dirent.h>
#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TIMERS_PER_CALL 1000

typedef enum { OP_ADVANCE, OP_EVENT } op_kind;

typedef struct op {
    op_kind kind;
    int64_t at_ms;
    char *frame; /* OP_EVENT: a copy */
    size_t len;
    char *auth;  /* OP_EVENT: how the running state marked the action (a copy), or NULL */
} op;

/* What a commit makes permanent, to go back to when replaying. */
typedef struct sim_clock {
    int64_t now_ms;
    int64_t next_gen_ms;
    size_t timers_fired;
} sim_clock;

struct hq_sim {
    hq_store *store;
    hq_engine *engine;
    const hq_schemas *schemas;
    const hq_rules *rules;
    char *dir;
    bool keep;         /* state_dir: leave it in place */
    unsigned batch;
    hq_event_limits limits;
    hq_auth auth;
    MDB_txn *txn;
    sim_clock clk, committed;
    op *ops; /* since the last commit */
    size_t nops, capops;
    msgpack_zone zone;
};

const char *hq_sim_status_name(hq_sim_status s)
{
    switch (s) {
    case HQ_SIM_STORED: return "stored";
    case HQ_SIM_DUPLICATE: return "duplicate";
    case HQ_SIM_REJECTED: return "rejected";
    case HQ_SIM_REFUSED: return "refused";
    }
    return "?";
}

/* Removes the scratch directory: LMDB's two files, and anything else in it. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static void ops_clear(hq_sim *s)
{
    for (size_t i = 0; i < s->nops; i++) {
        free(s->ops[i].frame);
        free(s->ops[i].auth);
    }
    s->nops = 0;
}

static int ops_push(hq_sim *s, op_kind kind, int64_t at_ms, const char *frame, size_t len, const char *auth,
                    hq_err *err)
{
    if (s->nops == s->capops) {
        size_t ncap = s->capops ? s->capops * 2 : 16;
        op *n = hq_realloc(s->ops, ncap * sizeof *n);
        s->ops = n;
        s->capops = ncap;
    }
    op *o = &s->ops[s->nops];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->at_ms = at_ms;
    if (frame) {
        if (!(o->frame = hq_malloc(len ? len : 1)))
            return hq_err_set(err, HQ_ENOMEM, "out of memory");
        memcpy(o->frame, frame, len);
        o->len = len;
    }
    if (auth)
        o->auth = hq_strdup(auth);
    s->nops++;
    return 0;
}

static int ensure_txn(hq_sim *s, hq_err *err)
{
    if (s->txn)
        return 0;
    hq_store_maybe_grow(s->store, NULL);
    return hq_store_begin(s->store, true, &s->txn, err);
}

static int generate(hq_sim *s, hq_err *err)
{
    size_t created = 0;
    int rc = hq_engine_generate(s->engine, s->store, s->txn, s->clk.now_ms, HQ_SIM_HORIZON_MS, &created, err);
    return rc ? rc : hq_store_origin_mark(s->store, s->txn, s->clk.now_ms, err);
}

/* Lives through (now, to]: daily generation and every timer at its due
 * time, in due order. */
static int do_advance(hq_sim *s, int64_t to_ms, size_t *fired, size_t *opened, hq_err *err)
{
    for (;;) {
        int64_t due = INT64_MAX;
        int rc = hq_timer_next_due(s->store, s->txn, &due, err);
        if (rc == HQ_ENOTFOUND)
            due = INT64_MAX;
        else if (rc)
            return rc;
        if (s->clk.next_gen_ms <= to_ms && s->clk.next_gen_ms <= due) {
            if (s->clk.next_gen_ms > s->clk.now_ms)
                s->clk.now_ms = s->clk.next_gen_ms;
            s->clk.next_gen_ms += HQ_DAY_MS;
            if ((rc = generate(s, err)))
                return rc;
            continue;
        }
        if (due > to_ms)
            break;
        if (due > s->clk.now_ms)
            s->clk.now_ms = due;
        size_t n;
        do {
            hq_effects fx = {0};
            rc = hq_engine_fire_due(s->engine, s->store, s->txn, s->clk.now_ms, TIMERS_PER_CALL, &n, &fx, err);
            if (rc)
                return rc;
            s->clk.timers_fired += n;
            if (fired)
                *fired += n;
            if (opened)
                *opened += fx.issues_opened;
        } while (n == TIMERS_PER_CALL);
    }
    if (to_ms > s->clk.now_ms)
        s->clk.now_ms = to_ms;
    return 0;
}

/* A replayed action's timeline entries get the mark the running state gave
 * them (the stored frame does not say how the actor was proven). */
static int mark_auth(hq_sim *s, const hq_event *ev, uint64_t seq, const char *auth, hq_err *err)
{
    char *number = hq_mp_strdup(hq_mp_map_get(ev->data, "issue"));
    char *actor = hq_mp_strdup(hq_mp_map_get(ev->data, "actor"));
    hq_issue is;
    int rc = 0;
    if (number && actor && hq_issue_load(s->store, s->txn, number, &is, NULL) == 0) {
        size_t from = is.ntimeline;
        for (size_t i = 0; i < is.ntimeline; i++)
            if (is.timeline[i].seq == seq) {
                from = i;
                break;
            }
        if (from < is.ntimeline) {
            hq_issue_mark_auth(&is, from, actor, auth);
            rc = hq_issue_save(s->store, s->txn, &is, err);
        }
        hq_issue_fini(&is);
    }
    free(number);
    free(actor);
    return rc;
}

static int do_event(hq_sim *s, const op *o, hq_sim_result *res, hq_err *err)
{
    memset(res, 0, sizeof *res);
    int rc = do_advance(s, o->at_ms, &res->timers_fired, &res->issues_opened, err);
    if (rc)
        return rc;
    msgpack_zone_clear(&s->zone);
    hq_event ev;
    if (hq_event_decode(o->frame, o->len, &s->limits, s->schemas, &s->zone, &ev, &res->error) != 0) {
        res->status = HQ_SIM_REJECTED;
        return 0;
    }
    ev.auth = s->auth;
    uint64_t next, orig = 0;
    hq_dedup dd;
    hq_frame fr = hq_event_frame(&ev);
    if ((rc = hq_store_peek_seq(s->store, s->txn, HQ_DB_EVENTS, &next, err)) ||
        (rc = hq_store_dedup_claim(s->store, s->txn, &fr, next, &dd, &orig, err)))
        return rc;
    if (dd == HQ_DEDUP_SAME) {
        res->status = HQ_SIM_DUPLICATE;
        res->seq = orig;
        return 0;
    }
    if (dd == HQ_DEDUP_CONFLICT) {
        res->status = HQ_SIM_REJECTED;
        hq_err_set(&res->error, HQ_EINVAL,
                   "id reused with different content (the first event with this id is seq %llu)",
                   (unsigned long long)orig);
        return 0;
    }
    hq_effects fx = {0};
    hq_err eerr = {0};
    rc = hq_engine_event(s->engine, s->store, s->txn, &ev, next, s->clk.now_ms, &fx, &eerr);
    if (hq_engine_refused(rc)) {
        res->status = HQ_SIM_REFUSED;
        res->error = eerr;
        return hq_store_dedup_release(s->store, s->txn, &fr, err);
    }
    if (rc) {
        if (err)
            *err = eerr;
        return rc;
    }
    if ((rc = hq_store_event_put(s->store, s->txn, &fr, s->clk.now_ms, next, err)))
        return rc;
    if (o->auth && (rc = mark_auth(s, &ev, next, o->auth, err)))
        return rc;
    res->status = HQ_SIM_STORED;
    res->seq = next;
    res->issues_opened += fx.issues_opened;
    /* A timer the event set in the past (a sustained condition of an old
     * reading) fires now, as houqind fires it right after the batch. */
    return do_advance(s, s->clk.now_ms, &res->timers_fired, &res->issues_opened, err);
}

static int run_op(hq_sim *s, const op *o, hq_sim_result *res, size_t *fired, hq_err *err)
{
    int rc = ensure_txn(s, err);
    if (rc)
        return rc;
    if (o->kind == OP_ADVANCE)
        return do_advance(s, o->at_ms, fired, NULL, err);
    return do_event(s, o, res, err);
}

/* The map is full and the transaction gone: grow, go back to the last
 * commit and replay ops[0, n). */
static int recover(hq_sim *s, size_t n, hq_err *err)
{
    for (int attempt = 0; attempt < 16; attempt++) {
        hq_store_abort(s->store, s->txn);
        s->txn = NULL;
        int rc = hq_store_grow(s->store, err);
        if (rc)
            return rc;
        s->clk = s->committed;
        rc = ensure_txn(s, err);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            hq_sim_result res;
            size_t fired = 0;
            rc = run_op(s, &s->ops[i], &res, &fired, err);
        }
        if (rc != HQ_EFULL)
            return rc;
    }
    return hq_err_set(err, HQ_EFULL, "the scratch state keeps filling up");
}

static int commit(hq_sim *s, hq_err *err)
{
    for (;;) {
        if (!s->txn) {
            ops_clear(s);
            s->committed = s->clk;
            return 0;
        }
        MDB_txn *t = s->txn;
        s->txn = NULL;
        int rc = hq_store_commit(s->store, t, err);
        if (rc == 0) {
            ops_clear(s);
            s->committed = s->clk;
            return 0;
        }
        if (rc != HQ_EFULL)
            return rc;
        if ((rc = recover(s, s->nops, err)))
            return rc;
    }
}

/* Records and runs one operation, recovering from a full map. */
static int submit(hq_sim *s, op_kind kind, int64_t at_ms, const char *frame, size_t len, const char *auth,
                  hq_sim_result *res, size_t *fired, hq_err *err)
{
    int rc = ops_push(s, kind, at_ms, frame, len, auth, err);
    if (rc)
        return rc;
    for (;;) {
        size_t f = 0;
        rc = run_op(s, &s->ops[s->nops - 1], res, &f, err);
        if (rc == 0) {
            if (fired)
                *fired += f;
            break;
        }
        if (rc != HQ_EFULL) {
            /* The transaction is unusable: drop what it held. */
            hq_store_abort(s->store, s->txn);
            s->txn = NULL;
            s->clk = s->committed;
            ops_clear(s);
            return rc;
        }
        if ((rc = recover(s, s->nops - 1, err)))
            return rc;
    }
    if (s->nops >= s->batch)
        return commit(s, err);
    return 0;
}

int hq_sim_new(const hq_sim_opts *opts, const hq_schemas *schemas, const hq_rules *rules, int64_t start_ms,
               hq_sim **out, hq_err *err)
{
    hq_sim_opts o = opts ? *opts : (hq_sim_opts){0};
    const char *parent = o.parent_dir;
    if (!parent || !*parent)
        parent = getenv("TMPDIR");
    if (!parent || !*parent)
        parent = "/tmp";
    hq_sim *s = hq_calloc(1, sizeof *s);
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/hq-sim-XXXXXX", parent);
    if (o.state_dir) {
        snprintf(tmpl, sizeof tmpl, "%s", o.state_dir);
        s->keep = true;
    } else if (!mkdtemp(tmpl)) {
        free(s);
        return hq_err_set(err, HQ_EIO, "%s: cannot create a scratch directory: %s", parent, strerror(errno));
    }
    s->dir = hq_strdup(tmpl);
    s->schemas = schemas;
    s->rules = rules;
    s->batch = o.batch ? o.batch : 1;
    s->limits = o.limits.max_bytes ? o.limits : hq_event_default_limits;
    s->auth = o.auth;
    s->clk.now_ms = start_ms;
    s->clk.next_gen_ms = start_ms + HQ_DAY_MS;
    msgpack_zone_init(&s->zone, 8192);
    int rc = s->dir ? 0 : hq_err_set(err, HQ_ENOMEM, "out of memory");
    if (rc == 0)
        rc = hq_store_open(s->dir, 0, o.map_size ? o.map_size : (256ULL << 20), &s->store, err);
    if (rc == 0) {
        /* A scratch state: no fsync at commit. */
        if (!s->keep)
            mdb_env_set_flags(hq_store_env(s->store), MDB_NOSYNC, 1);
        if (!(s->engine = hq_engine_new()))
            rc = hq_err_set(err, HQ_ENOMEM, "out of memory");
    }
    if (rc == 0) {
        hq_engine_set_rules(s->engine, rules);
        hq_engine_set_started(s->engine, start_ms);
        if ((rc = ensure_txn(s, err)) == 0 && (rc = generate(s, err)) == 0)
            rc = commit(s, err);
    }
    if (rc == 0) {
        s->committed = s->clk;
        *out = s;
        s = NULL;
    }
    hq_sim_destroy(&s);
    return rc;
}

void hq_sim_destroy(hq_sim **sp)
{
    hq_sim *s = sp ? *sp : NULL;
    if (!s)
        return;
    if (s->store) {
        hq_store_abort(s->store, s->txn);
        hq_store_close(&s->store);
    }
    if (s->dir && !s->keep)
        remove_dir(s->dir);
    hq_engine_destroy(&s->engine);
    ops_clear(s);
    free(s->ops);
    msgpack_zone_destroy(&s->zone);
    free(s->dir);
    free(s);
    *sp = NULL;
}

int64_t hq_sim_now(const hq_sim *s)
{
    return s->clk.now_ms;
}

int hq_sim_advance(hq_sim *s, int64_t to_ms, size_t *fired, hq_err *err)
{
    if (fired)
        *fired = 0;
    if (to_ms <= s->clk.now_ms)
        return 0;
    return submit(s, OP_ADVANCE, to_ms, NULL, 0, NULL, NULL, fired, err);
}

int hq_sim_event(hq_sim *s, const char *frame, size_t len, int64_t at_ms, hq_sim_result *res, hq_err *err)
{
    return hq_sim_event_marked(s, frame, len, at_ms, NULL, res, err);
}

int hq_sim_event_marked(hq_sim *s, const char *frame, size_t len, int64_t at_ms, const char *auth,
                        hq_sim_result *res, hq_err *err)
{
    hq_sim_result tmp;
    if (!res)
        res = &tmp;
    memset(res, 0, sizeof *res);
    if (at_ms < s->clk.now_ms)
        at_ms = s->clk.now_ms;
    return submit(s, OP_EVENT, at_ms, frame, len, auth, res, NULL, err);
}

int hq_sim_flush(hq_sim *s, hq_err *err)
{
    return commit(s, err);
}

int hq_sim_txn(hq_sim *s, MDB_txn **txn, hq_err *err)
{
    int rc = ensure_txn(s, err);
    if (rc == 0)
        *txn = s->txn;
    return rc;
}

hq_store *hq_sim_store(hq_sim *s)
{
    return s->store;
}

const char *hq_sim_dir(const hq_sim *s)
{
    return s->dir;
}

size_t hq_sim_timers_fired(const hq_sim *s)
{
    return s->clk.timers_fired;
}
