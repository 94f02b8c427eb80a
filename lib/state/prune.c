/* prune.c - the retention run (contract and phases in prune.h). */
#include "prune.h"

#include "buf.h"
#include "issue.h"
#include "mem.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define K_UPTO "archive:upto"
#define K_CHAIN "archive:chain"
#define K_NEXT "prune:next"
#define K_LAST "prune:last"

typedef struct victim {
    uint64_t seq;
    size_t src_off, src_len, id_off, id_len; /* into names */
} victim;

struct hq_prune {
    hq_store *s;
    hq_prune_figures fig;
    bool kick;
    /* ARCHIVE */
    hq_archive_writer *w;
    uint64_t w_first;
    int64_t month_end_ms;
    /* PROTECT / DELETE */
    uint64_t *prot;
    size_t nprot, capprot;
    uint64_t del_pos;
    uint64_t run_archived, run_removed;
    msgpack_unpacked u;
    victim *vic;
    size_t capvic;
    hq_buf names;
};

static int meta_get_u64(hq_store *s, MDB_txn *txn, const char *k, uint64_t *out, hq_err *err)
{
    MDB_val v;
    int rc = hq_store_get(s, txn, HQ_DB_META, k, strlen(k), &v, err);
    *out = 0;
    if (rc == HQ_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (v.mv_size != 8)
        return hq_err_set(err, HQ_ESTORE, "meta %s: record of unexpected size", k);
    *out = hq_be64_get(v.mv_data);
    return 0;
}

static int meta_put_u64(hq_store *s, MDB_txn *txn, const char *k, uint64_t val, hq_err *err)
{
    unsigned char b[8];
    hq_be64_put(b, val);
    return hq_store_put(s, txn, HQ_DB_META, k, strlen(k), b, 8, err);
}

static int read_upto(hq_store *s, MDB_txn *txn, uint64_t *upto, unsigned char chain[HQ_CHAIN_BYTES], hq_err *err)
{
    int rc = meta_get_u64(s, txn, K_UPTO, upto, err);
    memset(chain, 0, HQ_CHAIN_BYTES);
    if (rc || *upto == 0)
        return rc;
    MDB_val v;
    rc = hq_store_get(s, txn, HQ_DB_META, K_CHAIN, strlen(K_CHAIN), &v, err);
    if (rc)
        return rc;
    if (v.mv_size != HQ_CHAIN_BYTES)
        return hq_err_set(err, HQ_ESTORE, "meta %s: record of unexpected size", K_CHAIN);
    memcpy(chain, v.mv_data, HQ_CHAIN_BYTES);
    return 0;
}

int hq_prune_read_meta(hq_store *s, MDB_txn *txn, uint64_t *archived_upto, int64_t *next_run_ms, int64_t *last_run_ms,
                       hq_err *err)
{
    uint64_t n, l;
    int rc = meta_get_u64(s, txn, K_UPTO, archived_upto, err);
    if (rc == 0)
        rc = meta_get_u64(s, txn, K_NEXT, &n, err);
    if (rc == 0)
        rc = meta_get_u64(s, txn, K_LAST, &l, err);
    if (rc == 0) {
        *next_run_ms = (int64_t)n;
        *last_run_ms = (int64_t)l;
    }
    return rc;
}

int hq_prune_new(hq_store *s, hq_prune **out, hq_err *err)
{
    hq_prune *p = hq_calloc(1, sizeof *p);
    p->s = s;
    msgpack_unpacked_init(&p->u);
    hq_buf_init(&p->names);
    MDB_txn *txn;
    int rc = hq_store_begin(s, false, &txn, err);
    if (rc == 0) {
        rc = hq_prune_read_meta(s, txn, &p->fig.archived_upto, &p->fig.next_run_ms, &p->fig.last_run_ms, err);
        hq_store_abort(s, txn);
    }
    if (rc == 0) {
        *out = p;
        p = NULL;
    }
    hq_prune_destroy(&p);
    return rc;
}

void hq_prune_destroy(hq_prune **pp)
{
    hq_prune *p = pp ? *pp : NULL;
    if (!p)
        return;
    hq_archive_writer_abort(&p->w);
    msgpack_unpacked_destroy(&p->u);
    hq_buf_fini(&p->names);
    free(p->prot);
    free(p->vic);
    free(p);
    *pp = NULL;
}

void hq_prune_kick(hq_prune *p)
{
    p->kick = true;
}

const hq_prune_figures *hq_prune_figures_get(const hq_prune *p)
{
    return &p->fig;
}

/* The envelope of a stored frame: views into p->u, valid until the next
 * call.  Returns false for a frame that is not an event map (never
 * removed). */
static bool envelope(hq_prune *p, const char *fr, size_t len, msgpack_object_str *type, msgpack_object_str *src,
                     msgpack_object_str *id, int64_t *ts)
{
    if (msgpack_unpack_next(&p->u, fr, len, NULL) != MSGPACK_UNPACK_SUCCESS || p->u.data.type != MSGPACK_OBJECT_MAP)
        return false;
    int found = 0;
    const msgpack_object_map *m = &p->u.data.via.map;
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object *k = &m->ptr[i].key, *v = &m->ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR)
            continue;
#define IS(name) (k->via.str.size == sizeof name - 1 && !memcmp(k->via.str.ptr, name, sizeof name - 1))
        if (IS("type") && v->type == MSGPACK_OBJECT_STR)
            *type = v->via.str, found |= 1;
        else if (IS("source") && v->type == MSGPACK_OBJECT_STR)
            *src = v->via.str, found |= 2;
        else if (IS("id") && v->type == MSGPACK_OBJECT_STR)
            *id = v->via.str, found |= 4;
        else if (IS("ts") && (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER || v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER))
            *ts = v->via.i64, found |= 8;
#undef IS
    }
    return found == 15;
}

/* UTC month of ms: its name and where it ends. */
static int64_t month_of(int64_t ms, char name[16])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(name, 16, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
    struct tm nx = {0};
    nx.tm_year = tm.tm_mon == 11 ? tm.tm_year + 1 : tm.tm_year;
    nx.tm_mon = tm.tm_mon == 11 ? 0 : tm.tm_mon + 1;
    nx.tm_mday = 1;
    return (int64_t)timegm(&nx) * 1000;
}

static int commit_upto(hq_prune *p, const hq_archive_info *a, hq_err *err)
{
    MDB_txn *txn;
    int rc = hq_store_begin(p->s, true, &txn, err);
    if (rc)
        return rc;
    if ((rc = meta_put_u64(p->s, txn, K_UPTO, a->last_seq, err)) == 0)
        rc = hq_store_put(p->s, txn, HQ_DB_META, K_CHAIN, strlen(K_CHAIN), a->last_chain, HQ_CHAIN_BYTES, err);
    if (rc) {
        hq_store_abort(p->s, txn);
        return rc;
    }
    if ((rc = hq_store_commit(p->s, txn, err)) == 0) {
        p->fig.archived_upto = a->last_seq;
        p->run_archived += a->events;
        p->fig.total_archived += a->events;
    }
    return rc;
}

/* An archive with a manifest that LMDB does not record yet: a crash came
 * between making it durable and committing archive:upto.  It is adopted
 * when it is intact and continues the log exactly. */
static int adopt(hq_prune *p, const hq_archive_info *a, uint64_t upto, const unsigned char chain[HQ_CHAIN_BYTES],
                 hq_err *err)
{
    if (a->first_seq != upto + 1 || memcmp(a->prev_chain, chain, HQ_CHAIN_BYTES) != 0)
        return hq_err_set(err, HQ_ESTATE,
                          "archive %s exists but does not continue the log at event %llu: move it aside after "
                          "checking it (houqinctl verify)",
                          a->name, (unsigned long long)(upto + 1));
    hq_archive_reader *r;
    int rc = hq_archive_reader_open(hq_store_dir(p->s), a, &r, err);
    if (rc)
        return rc;
    uint64_t seq;
    int64_t ms;
    const char *fr;
    size_t len;
    while ((rc = hq_archive_reader_next(r, &seq, &ms, &fr, &len, err)) == 1)
        ;
    hq_archive_reader_close(&r);
    return rc ? rc : commit_upto(p, a, err);
}

/* Copies up to budget events of the month being archived (p->w) from the
 * event log through cursor c; *complete when the month has no more. */
static int copy_events(hq_prune *p, MDB_cursor *c, unsigned budget, bool *complete, hq_err *err)
{
    unsigned char kb[8];
    MDB_val k = {8, kb}, v;
    uint64_t next = p->w_first + hq_archive_writer_count(p->w);
    hq_be64_put(kb, next);
    int mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    for (unsigned i = 0; i < budget; i++) {
        if (mrc == MDB_NOTFOUND) {
            *complete = true; /* the month is over: nothing more can be stored in it */
            return 0;
        }
        if (mrc)
            return hq_store_code(mrc, err, "events");
        uint64_t seq = hq_be64_get(k.mv_data);
        int64_t ms = v.mv_size >= 8 ? (int64_t)hq_be64_get(v.mv_data) : 0;
        if (ms >= p->month_end_ms) {
            *complete = true;
            return 0;
        }
        if (seq != next)
            return hq_err_set(err, HQ_ESTATE, "the event log has no event %llu and no archive holds it",
                              (unsigned long long)next);
        int rc = hq_archive_writer_add(p->w, seq, ms, (const char *)v.mv_data + 8, v.mv_size - 8, err);
        if (rc)
            return rc;
        next++;
        mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    return 0;
}

/* One piece of ARCHIVE; *done when no month is left to archive. */
static int archive_step(hq_prune *p, int64_t now_ms, unsigned budget, bool *done, hq_err *err)
{
    hq_store *s = p->s;
    MDB_txn *txn;
    *done = false;
    int rc = hq_store_begin(s, false, &txn, err);
    if (rc)
        return rc;
    MDB_cursor *c;
    if ((rc = hq_store_cursor(s, txn, HQ_DB_EVENTS, &c, err))) {
        hq_store_abort(s, txn);
        return rc;
    }
    unsigned char kb[8];
    MDB_val k = {8, kb}, v;
    if (!p->w) {
        uint64_t upto;
        unsigned char chain[HQ_CHAIN_BYTES];
        if ((rc = read_upto(s, txn, &upto, chain, err)))
            goto out;
        hq_be64_put(kb, upto + 1);
        int mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (mrc == MDB_NOTFOUND) {
            *done = true;
            goto out;
        }
        if (mrc) {
            rc = hq_store_code(mrc, err, "events");
            goto out;
        }
        if (hq_be64_get(k.mv_data) != upto + 1 || v.mv_size < 8) {
            rc = hq_err_set(err, HQ_ESTATE, "the event log has no event %llu and no archive holds it",
                            (unsigned long long)(upto + 1));
            goto out;
        }
        char name[16];
        int64_t end = month_of((int64_t)hq_be64_get(v.mv_data), name);
        if (now_ms < end) {
            *done = true; /* the month of the next event is not over */
            goto out;
        }
        hq_archive_info *list;
        size_t n;
        if ((rc = hq_archive_list(hq_store_dir(s), &list, &n, err)))
            goto out;
        const hq_archive_info *have = NULL;
        for (size_t i = 0; i < n && !have; i++)
            if (!strcmp(list[i].name, name))
                have = &list[i];
        if (have) {
            mdb_cursor_close(c);
            hq_store_abort(s, txn);
            rc = adopt(p, have, upto, chain, err);
            free(list);
            return rc;
        }
        free(list);
        if ((rc = hq_archive_writer_open(hq_store_dir(s), name, upto + 1, chain, &p->w, err)))
            goto out;
        p->w_first = upto + 1;
        p->month_end_ms = end;
    }
    bool complete = false;
    rc = copy_events(p, c, budget, &complete, err);
    mdb_cursor_close(c);
    hq_store_abort(s, txn);
    if (rc)
        return rc;
    if (complete) {
        hq_archive_info info;
        if ((rc = hq_archive_writer_finish(&p->w, now_ms, &info, err)))
            return rc;
        rc = commit_upto(p, &info, err);
    }
    return rc;
out:
    mdb_cursor_close(c);
    hq_store_abort(s, txn);
    return rc;
}

static int add_prot(hq_prune *p, uint64_t seq)
{
    if (!seq)
        return 0;
    if (p->nprot == p->capprot) {
        size_t cap = p->capprot ? 2 * p->capprot : 1024;
        uint64_t *g = hq_realloc(p->prot, cap * sizeof *g);
        p->prot = g;
        p->capprot = cap;
    }
    p->prot[p->nprot++] = seq;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool is_protected(const hq_prune *p, uint64_t seq)
{
    return p->nprot && bsearch(&seq, p->prot, p->nprot, sizeof *p->prot, cmp_u64) != NULL;
}

static int protect(hq_prune *p, hq_err *err)
{
    hq_store *s = p->s;
    MDB_txn *txn;
    p->nprot = 0;
    int rc = hq_store_begin(s, false, &txn, err);
    if (rc)
        return rc;
    MDB_cursor *c;
    MDB_val k, v;
    if ((rc = mdb_cursor_open(txn, hq_store_dbi(s, HQ_DB_ISSUES), &c)) == 0) {
        for (int m = mdb_cursor_get(c, &k, &v, MDB_FIRST); m == 0 && rc == 0; m = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            hq_issue is;
            hq_err e;
            if (hq_issue_load_raw(v.mv_data, v.mv_size, &is, &e) != 0) {
                rc = hq_err_set(err, HQ_ESTORE, "issue %.*s: unreadable record: %s", (int)k.mv_size,
                                (const char *)k.mv_data, e.msg);
                break;
            }
            rc = add_prot(p, is.source_seq);
            for (size_t i = 0; i < is.ntimeline && rc == 0; i++)
                rc = add_prot(p, is.timeline[i].seq);
            hq_issue_fini(&is);
        }
        mdb_cursor_close(c);
    } else {
        rc = hq_store_code(rc, err, "issues");
    }
    if (rc == 0 && (rc = mdb_cursor_open(txn, hq_store_dbi(s, HQ_DB_RULESTATE), &c)) == 0) {
        for (int m = mdb_cursor_get(c, &k, &v, MDB_FIRST); m == 0 && rc == 0; m = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            const unsigned char *kp = k.mv_data;
            if (k.mv_size < 2 || kp[1] != 0)
                continue;
            /* sustained / stale state: u8 phase | be64 since | be64 last_seq | ...;
             * an obligation unit: be64 start | u8 state | be64 seq. */
            if (((kp[0] == 's' || kp[0] == 'l') && v.mv_size == 33) || (kp[0] == 'P' && v.mv_size == 17))
                rc = add_prot(p, hq_be64_get((const unsigned char *)v.mv_data + 9));
        }
        mdb_cursor_close(c);
    } else if (rc == 0) {
        rc = hq_store_code(rc, err, "rulestate");
    }
    hq_store_abort(s, txn);
    if (rc == HQ_ENOMEM)
        return hq_err_set(err, HQ_ENOMEM, "out of memory");
    if (rc)
        return rc;
    if (p->nprot) /* qsort on NULL is undefined even for no elements */
        qsort(p->prot, p->nprot, sizeof *p->prot, cmp_u64);
    return 0;
}

/* One write transaction of DELETE; *done at the end of the walk. */
static int delete_step(hq_prune *p, const hq_retention *pol, int64_t now_ms, unsigned budget, bool *done,
                       hq_err *err)
{
    hq_store *s = p->s;
    MDB_txn *txn;
    *done = false;
    int rc = hq_store_begin(s, true, &txn, err);
    if (rc)
        return rc;
    uint64_t upto, last;
    unsigned char chain[HQ_CHAIN_BYTES];
    MDB_cursor *c = NULL;
    if ((rc = read_upto(s, txn, &upto, chain, err)) || (rc = hq_store_peek_seq(s, txn, HQ_DB_EVENTS, &last, err)))
        goto fail;
    last--; /* the last event of the log: never removed */
    int64_t youngest = hq_retention_min_ms(pol);
    if ((rc = hq_store_cursor(s, txn, HQ_DB_EVENTS, &c, err)))
        goto fail;
    unsigned char kb[8];
    hq_be64_put(kb, p->del_pos);
    MDB_val k = {8, kb}, v;
    size_t nv = 0;
    hq_buf_reset(&p->names);
    unsigned examined = 0;
    int mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (nv < budget && examined < budget * 16) {
        if (mrc == MDB_NOTFOUND) {
            *done = true;
            break;
        }
        if (mrc) {
            rc = hq_store_code(mrc, err, "events");
            goto fail;
        }
        uint64_t seq = hq_be64_get(k.mv_data);
        if (seq > upto || seq >= last || v.mv_size < 8) {
            *done = true;
            break;
        }
        examined++;
        p->del_pos = seq + 1;
        int64_t stored = (int64_t)hq_be64_get(v.mv_data), ts = 0;
        if (stored > now_ms - youngest) {
            *done = true; /* younger than every retention: so is what follows */
            break;
        }
        msgpack_object_str type = {0, NULL}, src = {0, NULL}, id = {0, NULL};
        if (envelope(p, (const char *)v.mv_data + 8, v.mv_size - 8, &type, &src, &id, &ts)) {
            int64_t keep = hq_retention_keep_ms(pol, type.ptr, type.size);
            if (keep != HQ_RETENTION_KEEP && stored < now_ms - keep && ts < now_ms - keep && !is_protected(p, seq)) {
                if (nv == p->capvic) {
                    size_t cap = p->capvic ? 2 * p->capvic : 256;
                    victim *g = hq_realloc(p->vic, cap * sizeof *g);
                    p->vic = g;
                    p->capvic = cap;
                }
                victim *vi = &p->vic[nv++];
                vi->seq = seq;
                vi->src_off = p->names.len;
                vi->src_len = src.size;
                hq_buf_append(&p->names, src.ptr, src.size);
                vi->id_off = p->names.len;
                vi->id_len = id.size;
                hq_buf_append(&p->names, id.ptr, id.size);
            }
        }
        mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    c = NULL;
    for (size_t i = 0; i < nv && rc == 0; i++)
        rc = hq_store_event_remove(s, txn, p->vic[i].seq, p->names.data + p->vic[i].src_off, p->vic[i].src_len,
                                   p->names.data + p->vic[i].id_off, p->vic[i].id_len, err);
    if (rc)
        goto fail;
    if (nv == 0) {
        hq_store_abort(s, txn);
        return 0;
    }
    if ((rc = hq_store_commit(s, txn, err)))
        return rc;
    p->run_removed += nv;
    p->fig.total_removed += nv;
    return 0;
fail:
    if (c)
        mdb_cursor_close(c);
    hq_store_abort(s, txn);
    return rc;
}

static int end_run(hq_prune *p, const hq_retention *pol, int64_t now_ms, hq_err *err)
{
    p->fig.phase = HQ_PRUNE_IDLE;
    p->fig.next_run_ms = now_ms + hq_retention_every_ms(pol);
    p->fig.last_run_ms = now_ms;
    p->fig.last_archived = p->run_archived;
    p->fig.last_removed = p->run_removed;
    MDB_txn *txn;
    int rc = hq_store_begin(p->s, true, &txn, err);
    if (rc)
        return rc;
    if ((rc = meta_put_u64(p->s, txn, K_NEXT, (uint64_t)p->fig.next_run_ms, err)) == 0 &&
        (rc = meta_put_u64(p->s, txn, K_LAST, (uint64_t)now_ms, err)) == 0)
        return hq_store_commit(p->s, txn, err);
    hq_store_abort(p->s, txn);
    return rc;
}

int hq_prune_step(hq_prune *p, const hq_retention *pol, int64_t now_ms, unsigned budget, bool *more, hq_err *err)
{
    *more = false;
    if (!pol || hq_retention_min_ms(pol) == HQ_RETENTION_KEEP) {
        hq_archive_writer_abort(&p->w);
        p->fig.phase = HQ_PRUNE_IDLE;
        p->fig.next_run_ms = 0;
        return 0;
    }
    if (budget == 0)
        budget = 1;
    if (p->fig.phase == HQ_PRUNE_IDLE) {
        if (!p->kick && p->fig.next_run_ms && now_ms < p->fig.next_run_ms)
            return 0;
        p->kick = false;
        p->run_archived = p->run_removed = 0;
        p->fig.phase = HQ_PRUNE_ARCHIVE;
    }
    bool done = false;
    int rc = 0;
    switch (p->fig.phase) {
    case HQ_PRUNE_ARCHIVE:
        rc = archive_step(p, now_ms, budget * 8, &done, err);
        if (rc == 0 && done)
            p->fig.phase = HQ_PRUNE_PROTECT;
        break;
    case HQ_PRUNE_PROTECT:
        rc = protect(p, err);
        if (rc == 0) {
            p->del_pos = 1;
            p->fig.phase = HQ_PRUNE_DELETE;
        }
        break;
    case HQ_PRUNE_DELETE:
        rc = delete_step(p, pol, now_ms, budget, &done, err);
        if (rc == 0 && done)
            rc = end_run(p, pol, now_ms, err);
        break;
    case HQ_PRUNE_IDLE: break;
    }
    if (rc) {
        /* Abandon the run: nothing unarchived was deleted; try again later. */
        static const char *const phases[] = {"idle", "archiving", "protecting", "deleting"};
        hq_prune_phase at = p->fig.phase;
        hq_archive_writer_abort(&p->w);
        p->fig.phase = HQ_PRUNE_IDLE;
        p->fig.next_run_ms = now_ms + hq_retention_every_ms(pol);
        p->fig.abandoned_ms = now_ms;
        snprintf(p->fig.last_error, sizeof p->fig.last_error,
                 "run abandoned while %s; the events stay in LMDB until the next run: %.200s", phases[at],
                 err ? err->msg : "error");
        return rc;
    }
    if (p->fig.phase == HQ_PRUNE_IDLE) {
        p->fig.last_error[0] = 0;
        p->fig.abandoned_ms = 0;
    }
    *more = p->fig.phase != HQ_PRUNE_IDLE;
    return 0;
}

int hq_state_sizes_get(hq_store *s, MDB_txn *txn, hq_state_sizes *out, hq_err *err)
{
    memset(out, 0, sizeof *out);
    hq_store_stats st;
    int rc = hq_store_stats_get(s, txn, &st, err);
    if (rc == 0)
        rc = hq_prune_read_meta(s, txn, &out->archived_upto, &out->next_run_ms, &out->last_run_ms, err);
    if (rc)
        return rc;
    out->used_bytes = st.used_bytes;
    out->events = st.entries[HQ_DB_EVENTS];
    out->bytes_per_event = out->events ? out->used_bytes / out->events : 0;
    char path[4200];
    struct stat sb;
    snprintf(path, sizeof path, "%s/data.mdb", hq_store_dir(s));
    if (stat(path, &sb) == 0)
        out->file_bytes = (uint64_t)sb.st_size;
    out->archive_bytes = hq_archive_bytes(hq_store_dir(s));
    MDB_val k, v;
    if (hq_store_edge(s, txn, HQ_DB_EVENTS, MDB_FIRST, &k, &v, NULL) == 0 && v.mv_size >= 8)
        out->oldest_event_ms = (int64_t)hq_be64_get(v.mv_data);
    return 0;
}
