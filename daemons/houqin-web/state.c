/* Read-only lookups in houqind's state, as houqinctl does them: the LMDB
 * environment opened read-only (once per process: LMDB's locks are per
 * process), each lookup one read transaction.  Worker threads read at the
 * same time (a slow evaluation does not hold up an issue page): each holds
 * state_lock shared for its transaction.  Opening the environment and
 * adopting a map houqind has grown (LMDB allows it only while the process
 * has no transaction) take it exclusively; the lock prefers writers, so a
 * stream of readers cannot starve them.
 *
 * A complaint is found by (source, id) through the dedup index; the issue
 * it belongs to is, in order: the issue it follows (data.follows), the
 * issue whose timeline names the complaint's event (opened by it, or an
 * occurrence of it), or an issue at the same site opened within 30 days
 * after it by a complaint of the same category (a counting rule opens the
 * issue on the N-th complaint; the earlier ones are not on its timeline).
 * A complaint that no issue took up stays "received" (已受理). */
#include "web.h"

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "mp.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINK_WINDOW_MS (30LL * 86400 * 1000)

/* Opens the store on first use (houqind may start after us) or adopts
 * the map houqind grew; under the exclusive lock. */
static int exclusive(bool grown, hq_err *err)
{
    pthread_rwlock_wrlock(&g_web->state_lock);
    int rc = 0;
    if (!g_web->store)
        rc = hq_store_open(g_web->state_dir, HQ_STORE_RDONLY, 0, &g_web->store, err);
    else if (grown) {
        hq_store_adopt_map(g_web->store);
        hq_log_debug("state: adopted the map houqind grew");
    }
    pthread_rwlock_unlock(&g_web->state_lock);
    return rc;
}

static int begin(MDB_txn **txn, hq_err *err)
{
    for (int tries = 0; tries < 4; tries++) {
        pthread_rwlock_rdlock(&g_web->state_lock);
        int rc = g_web->store ? hq_store_begin_shared(g_web->store, txn, err) : HQ_ENOTFOUND;
        if (rc == 0)
            return 0;
        pthread_rwlock_unlock(&g_web->state_lock);
        if (rc != HQ_ENOTFOUND && rc != HQ_EAGAIN)
            return rc;
        if ((rc = exclusive(rc == HQ_EAGAIN, err)))
            return rc;
    }
    return hq_err_set(err, HQ_ESTORE, "begin transaction: the map kept being resized");
}

static void end(MDB_txn *txn)
{
    hq_store_abort(g_web->store, txn);
    pthread_rwlock_unlock(&g_web->state_lock);
}

int web_state_begin(MDB_txn **txn, hq_err *err)
{
    return begin(txn, err);
}

void web_state_end(MDB_txn *txn)
{
    end(txn);
}

hq_store *web_store(void)
{
    return g_web->store;
}

void web_complaint_fini(web_complaint *c)
{
    free(c->text);
    free(c->outcome);
    c->text = c->outcome = NULL;
}

static void copy_str(char *dst, size_t size, const msgpack_object *o)
{
    dst[0] = '\0';
    if (o && o->type == MSGPACK_OBJECT_STR)
        snprintf(dst, size, "%.*s", (int)o->via.str.size, o->via.str.ptr);
}

/* Decodes event seq into zone: *ev the envelope map.  Returns 0 or an error. */
static int event_at(MDB_txn *txn, uint64_t seq, msgpack_zone *zone, msgpack_object *ev, int64_t *stored_ms)
{
    const char *frame;
    size_t len;
    if (hq_store_event_get(g_web->store, txn, seq, stored_ms, &frame, &len, NULL) != 0)
        return HQ_ENOTFOUND;
    size_t off = 0;
    if (msgpack_unpack(frame, len, &off, zone, ev) != MSGPACK_UNPACK_SUCCESS || ev->type != MSGPACK_OBJECT_MAP)
        return HQ_EINVAL;
    return 0;
}

static bool is_complaint(const msgpack_object *ev, const char *category)
{
    if (!hq_mp_str_eq(hq_mp_map_get(ev, "type"), "complaint.submitted"))
        return false;
    return !category || hq_mp_str_eq(hq_mp_path(ev, "data.category"), category);
}

static int fill_complaint(MDB_txn *txn, uint64_t seq, web_complaint *c)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object ev;
    int rc = event_at(txn, seq, &zone, &ev, &c->stored_ms);
    if (rc == 0 && !is_complaint(&ev, NULL))
        rc = HQ_ENOTFOUND;
    if (rc == 0) {
        c->seq = seq;
        copy_str(c->source, sizeof c->source, hq_mp_map_get(&ev, "source"));
        copy_str(c->id, sizeof c->id, hq_mp_map_get(&ev, "id"));
        hq_mp_int64(hq_mp_map_get(&ev, "ts"), &c->ts_ms);
        copy_str(c->domain, sizeof c->domain, hq_mp_path(&ev, "data.domain"));
        copy_str(c->site, sizeof c->site, hq_mp_path(&ev, "data.site"));
        copy_str(c->category, sizeof c->category, hq_mp_path(&ev, "data.category"));
        copy_str(c->token_hash, sizeof c->token_hash, hq_mp_path(&ev, "data.token_hash"));
        copy_str(c->follows, sizeof c->follows, hq_mp_path(&ev, "data.follows"));
        free(c->text);
        c->text = hq_mp_strdup(hq_mp_path(&ev, "data.text"));
    }
    msgpack_zone_destroy(&zone);
    return rc;
}

/* The outcome of the last closing event on the timeline (issue.closed's
 * data.outcome), or NULL. */
static char *closing_outcome(MDB_txn *txn, const hq_issue *is)
{
    for (size_t i = is->ntimeline; i-- > 0;) {
        const hq_tl_entry *e = &is->timeline[i];
        if (e->kind != HQ_TL_CLOSED || e->seq == 0)
            continue;
        msgpack_zone zone;
        msgpack_zone_init(&zone, 2048);
        msgpack_object ev;
        int64_t sm;
        char *out = NULL;
        if (event_at(txn, e->seq, &zone, &ev, &sm) == 0 && hq_mp_str_eq(hq_mp_map_get(&ev, "type"), "issue.closed"))
            out = hq_mp_strdup(hq_mp_path(&ev, "data.outcome"));
        msgpack_zone_destroy(&zone);
        return out;
    }
    return NULL;
}

static void take_issue(MDB_txn *txn, const hq_issue *is, web_complaint *c)
{
    c->has_issue = true;
    snprintf(c->issue, sizeof c->issue, "%s", is->number);
    c->state = is->state;
    c->opened_ms = is->opened_ms;
    c->deadline_ms = is->deadline_ms;
    c->closed_ms = is->closed_ms;
    c->updated_ms = is->ntimeline ? is->timeline[is->ntimeline - 1].ts_ms : is->opened_ms;
    snprintf(c->contractor, sizeof c->contractor, "%s", is->contractor ? is->contractor : "");
    free(c->outcome);
    c->outcome = is->state == HQ_IS_CLOSED ? closing_outcome(txn, is) : NULL;
    c->duplicate = false;
    for (size_t i = is->ntimeline; is->state == HQ_IS_CLOSED && i-- > 0;)
        if (is->timeline[i].kind == HQ_TL_CLOSED) {
            c->duplicate = is->timeline[i].ref && *is->timeline[i].ref;
            break;
        }
}

/* Does the event of the issue's first timeline entry with a seq, a
 * complaint of this category, open it? */
static bool opened_by_category(MDB_txn *txn, const hq_issue *is, const char *category)
{
    uint64_t seq = is->source_seq;
    if (!seq)
        return false;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object ev;
    int64_t sm;
    bool yes = event_at(txn, seq, &zone, &ev, &sm) == 0 && is_complaint(&ev, category);
    msgpack_zone_destroy(&zone);
    return yes;
}

static void find_issue(MDB_txn *txn, web_complaint *c)
{
    hq_issue is;
    if (c->follows[0] && hq_issue_load(g_web->store, txn, c->follows, &is, NULL) == 0) {
        take_issue(txn, &is, c);
        hq_issue_fini(&is);
        return;
    }
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, hq_store_dbi(g_web->store, HQ_DB_ISSUES), &cur) != 0)
        return;
    MDB_val k, v;
    bool found = false, near_found = false;
    char near[24] = "";
    int64_t near_ms = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !found;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (hq_issue_load_raw(v.mv_data, v.mv_size, &is, NULL) != 0) {
            hq_issue_fini(&is);
            continue;
        }
        if (is.site && strcmp(is.site, c->site) == 0) {
            for (size_t i = 0; i < is.ntimeline && !found; i++)
                found = is.timeline[i].seq == c->seq;
            if (found)
                take_issue(txn, &is, c);
            else if (is.opened_ms >= c->stored_ms && is.opened_ms - c->stored_ms <= LINK_WINDOW_MS &&
                     (!near_found || is.opened_ms < near_ms) && opened_by_category(txn, &is, c->category)) {
                near_found = true;
                near_ms = is.opened_ms;
                snprintf(near, sizeof near, "%s", is.number);
            }
        }
        hq_issue_fini(&is);
    }
    mdb_cursor_close(cur);
    if (!found && near_found && hq_issue_load(g_web->store, txn, near, &is, NULL) == 0) {
        take_issue(txn, &is, c);
        hq_issue_fini(&is);
    }
}

int web_state_complaint(const char *source, const char *id, web_complaint *c, hq_err *err)
{
    memset(c, 0, sizeof *c);
    size_t sl = strlen(source), il = strlen(id);
    if (sl > 128 || il > 64)
        return hq_err_set(err, HQ_ENOTFOUND, "no such complaint");
    unsigned char key[128 + 1 + 64];
    memcpy(key, source, sl);
    key[sl] = 0;
    memcpy(key + sl + 1, id, il);
    MDB_txn *txn;
    int rc = begin(&txn, err);
    if (rc)
        return rc;
    MDB_val v;
    rc = hq_store_get(g_web->store, txn, HQ_DB_DEDUP, key, sl + 1 + il, &v, err);
    if (rc == 0 && v.mv_size >= 8)
        rc = fill_complaint(txn, hq_be64_get(v.mv_data), c);
    else if (rc == 0)
        rc = HQ_ENOTFOUND;
    if (rc == 0)
        find_issue(txn, c);
    end(txn);
    if (rc == HQ_ENOTFOUND)
        hq_err_set(err, HQ_ENOTFOUND, "no such complaint");
    return rc;
}

size_t web_state_open_issues(const char *site, const char *category, web_open_issue *out, size_t max)
{
    MDB_txn *txn;
    if (begin(&txn, NULL) != 0)
        return 0;
    size_t n = 0;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, hq_store_dbi(g_web->store, HQ_DB_ISSUES), &cur) == 0) {
        MDB_val k, v;
        for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && n < max;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            hq_issue is;
            if (hq_issue_load_raw(v.mv_data, v.mv_size, &is, NULL) == 0 && is.state != HQ_IS_CLOSED && is.site &&
                strcmp(is.site, site) == 0) {
                bool match = false;
                for (size_t i = 0; i < is.ntimeline && i < 64 && !match; i++) {
                    if (!is.timeline[i].seq)
                        continue;
                    msgpack_zone zone;
                    msgpack_zone_init(&zone, 2048);
                    msgpack_object ev;
                    int64_t sm;
                    match = event_at(txn, is.timeline[i].seq, &zone, &ev, &sm) == 0 && is_complaint(&ev, category);
                    msgpack_zone_destroy(&zone);
                }
                if (match) {
                    snprintf(out[n].number, sizeof out[n].number, "%s", is.number);
                    snprintf(out[n].title, sizeof out[n].title, "%s", is.title ? is.title : "");
                    out[n].opened_ms = is.opened_ms;
                    out[n].occurrences = is.occurrences;
                    n++;
                }
            }
            hq_issue_fini(&is);
        }
        mdb_cursor_close(cur);
    }
    end(txn);
    return n;
}

bool web_state_issue_open(const char *number, const char *site)
{
    MDB_txn *txn;
    if (begin(&txn, NULL) != 0)
        return false;
    hq_issue is;
    bool ok = false;
    if (hq_issue_load(g_web->store, txn, number, &is, NULL) == 0) {
        ok = is.state != HQ_IS_CLOSED && is.site && strcmp(is.site, site) == 0;
        hq_issue_fini(&is);
    }
    end(txn);
    return ok;
}

int web_state_each_complaint(const char *const *sources, size_t nsources, int64_t from_ms, int64_t to_ms,
                             size_t max_scan, web_complaint_fn fn, void *ctx, hq_err *err)
{
    MDB_txn *txn;
    int rc = begin(&txn, err);
    if (rc)
        return rc;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, hq_store_dbi(g_web->store, HQ_DB_EVENTS), &cur) != 0) {
        end(txn);
        return hq_err_set(err, HQ_ESTORE, "cannot read the event log");
    }
    MDB_val k, v;
    size_t scanned = 0;
    for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST); mrc == 0 && scanned < max_scan;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV), scanned++) {
        if (k.mv_size != 8 || v.mv_size < 8)
            continue;
        int64_t stored = (int64_t)hq_be64_get(v.mv_data);
        if (from_ms && stored < from_ms)
            break;
        if (to_ms && stored > to_ms)
            continue;
        msgpack_zone zone;
        msgpack_zone_init(&zone, 2048);
        msgpack_object ev;
        size_t off = 0;
        bool want = false;
        if (msgpack_unpack((const char *)v.mv_data + 8, v.mv_size - 8, &off, &zone, &ev) == MSGPACK_UNPACK_SUCCESS &&
            ev.type == MSGPACK_OBJECT_MAP && is_complaint(&ev, NULL)) {
            const msgpack_object *src = hq_mp_map_get(&ev, "source");
            for (size_t i = 0; i < nsources && !want; i++)
                want = hq_mp_str_eq(src, sources[i]);
        }
        msgpack_zone_destroy(&zone);
        if (!want)
            continue;
        web_complaint c;
        memset(&c, 0, sizeof c);
        if (fill_complaint(txn, hq_be64_get(k.mv_data), &c) == 0) {
            find_issue(txn, &c);
            int stop = fn(ctx, &c);
            web_complaint_fini(&c);
            if (stop)
                break;
        }
    }
    mdb_cursor_close(cur);
    end(txn);
    return 0;
}

int64_t web_state_now_ms(void)
{
    MDB_txn *txn;
    int64_t now = hq_wall_ms();
    if (begin(&txn, NULL) != 0)
        return now;
    hq_store_clock_get(g_web->store, txn, &now);
    end(txn);
    return now;
}

bool web_state_event_ts(const char *source, const char *id, int64_t *ts_ms)
{
    size_t sl = strlen(source), il = strlen(id);
    if (sl > 128 || il > 64)
        return false;
    unsigned char key[128 + 1 + 64];
    memcpy(key, source, sl);
    key[sl] = 0;
    memcpy(key + sl + 1, id, il);
    MDB_txn *txn;
    if (begin(&txn, NULL) != 0)
        return false;
    MDB_val v;
    bool found = false;
    if (hq_store_get(g_web->store, txn, HQ_DB_DEDUP, key, sl + 1 + il, &v, NULL) == 0 && v.mv_size >= 8) {
        msgpack_zone zone;
        msgpack_zone_init(&zone, 2048);
        msgpack_object ev;
        int64_t sm;
        if (event_at(txn, hq_be64_get(v.mv_data), &zone, &ev, &sm) == 0)
            found = hq_mp_int64(hq_mp_map_get(&ev, "ts"), ts_ms);
        msgpack_zone_destroy(&zone);
    }
    end(txn);
    return found;
}

const char *const web_stage_names[4] = {"已受理", "处理中", "已整改待复查", "已办结"};

int web_complaint_stage(const web_complaint *c)
{
    if (!c->has_issue)
        return 0;
    switch (c->state) {
    case HQ_IS_OPENED: return 0; /* every complaint opens its case at once: received until acknowledged */
    case HQ_IS_RECTIFIED: return 2;
    case HQ_IS_CLOSED: return 3;
    default: return 1;
    }
}
