/* retain.c - houqind's side of retention (lib/state/prune.h): bounded
 * steps of the retention run between ingest batches, its figures for the
 * status command. */
#include "houqind.h"

#include "log.h"
#include "mp.h"
#include "prune.h"
#include "retention.h"

#include <stddef.h>

/* A step removes at most this many events in one write transaction (about
 * one ingest batch's commit) or archives eight times as many (a read
 * transaction and zstd, no commit). */
#define STEP_BUDGET 256
/* Under steady ingest a step runs at most this often, so a run progresses
 * without taking more than a sliver of the writer's time: an archive step
 * of 2,048 events takes about 10 ms here, so at 20 ms the run took a third
 * of the writer (ingest at 0.65x, hq-retain-bench); at 100 ms about a tenth.
 * Under load that still archives 20,000 and removes 2,560 events a second,
 * far above any campus's rate; when ingest is idle steps run back to back. */
#define BUSY_INTERVAL_MS 100

int hq_retain_init(hq_daemon *d)
{
    hq_err err;
    if (hq_prune_new(d->store, &d->prune, &err) != 0) {
        hq_log_err("retention: %s", err.msg);
        return -1;
    }
    return 0;
}

void hq_retain_fini(hq_daemon *d)
{
    hq_prune_destroy(&d->prune);
}

int hq_retain_step(hq_daemon *d, bool idle, bool *more)
{
    *more = false;
    if (!d->prune || d->unavailable)
        return 0;
    int64_t mono = hq_mono_ms();
    if (!idle && mono - d->retain_last_step_ms < BUSY_INTERVAL_MS) {
        *more = hq_prune_figures_get(d->prune)->phase != HQ_PRUNE_IDLE;
        return 0;
    }
    d->retain_last_step_ms = mono;
    const hq_retention *pol = hq_rules_retention(d->rules);
    hq_prune_phase before = hq_prune_figures_get(d->prune)->phase;
    hq_err err = {0};
    int rc = hq_prune_step(d->prune, pol, hq_clock_now_ms(&d->clock), STEP_BUDGET, more, &err);
    const hq_prune_figures *f = hq_prune_figures_get(d->prune);
    if (rc == HQ_EPANIC) {
        hq_log_err("retention: %s", err.msg);
        return rc;
    }
    if (rc == HQ_EFULL) {
        hq_err gerr;
        if (hq_store_grow(d->store, &gerr) != 0)
            hq_log_err("retention: %s", gerr.msg);
        return 0;
    }
    if (rc) {
        hq_log_err("retention %s", f->last_error);
        return 0;
    }
    if (before != HQ_PRUNE_IDLE && f->phase == HQ_PRUNE_IDLE)
        hq_log_info("retention run done: %llu events archived, %llu removed from LMDB, archived up to event %llu",
                    (unsigned long long)f->last_archived, (unsigned long long)f->last_removed,
                    (unsigned long long)f->archived_upto);
    return 0;
}

int hq_retain_run(hq_daemon *d, bool wait)
{
    if (!d->prune)
        return 0;
    hq_prune_kick(d->prune);
    if (!wait)
        return 0;
    bool more = true;
    int rc = 0;
    while (more && rc == 0) {
        d->retain_last_step_ms = 0;
        rc = hq_retain_step(d, true, &more);
        if (hq_prune_figures_get(d->prune)->last_error[0] && !more)
            return -1;
    }
    return rc;
}

/* The run's figures in the status, in this order (after "phase"). */
#define PRUNE_NUMBER(name, sign) {#name, offsetof(hq_prune_figures, name), sign}
static const struct {
    const char *key;
    size_t offset;
    bool is_signed; /* int64_t, else uint64_t */
} prune_numbers[] = {
    PRUNE_NUMBER(next_run_ms, true),     PRUNE_NUMBER(last_run_ms, true),     PRUNE_NUMBER(archived_upto, false),
    PRUNE_NUMBER(last_archived, false),  PRUNE_NUMBER(last_removed, false),   PRUNE_NUMBER(total_archived, false),
    PRUNE_NUMBER(total_removed, false),  PRUNE_NUMBER(abandoned_ms, true),
};

void hq_retain_pack_status(hq_daemon *d, msgpack_packer *pk)
{
    static const char *const phases[] = {"idle", "archive", "protect", "delete"};
    const hq_retention *pol = hq_rules_retention(d->rules);
    hq_state_sizes z = {0};
    MDB_txn *txn;
    if (hq_store_begin(d->store, false, &txn, NULL) == 0) {
        hq_state_sizes_get(d->store, txn, &z, NULL);
        hq_store_abort(d->store, txn);
    }
    const hq_prune_figures *f = d->prune ? hq_prune_figures_get(d->prune) : NULL;
    msgpack_pack_map(pk, 16);
    hq_mp_pack_kbool(pk, "policy", pol != NULL);
    hq_mp_pack_ku64(pk, "state_file_bytes", z.file_bytes);
    hq_mp_pack_ku64(pk, "bytes_per_event", z.bytes_per_event);
    hq_mp_pack_ku64(pk, "archive_bytes", z.archive_bytes);
    hq_mp_pack_ki64(pk, "oldest_event_ms", z.oldest_event_ms);
    hq_mp_pack_ku64(pk, "events_in_lmdb", z.events);
    static const hq_prune_figures none = {0};
    if (!f || !pol)
        f = &none;
    hq_mp_pack_kv(pk, "phase", phases[f->phase]);
    for (size_t i = 0; i < sizeof prune_numbers / sizeof *prune_numbers; i++) {
        const void *v = (const char *)f + prune_numbers[i].offset;
        if (prune_numbers[i].is_signed)
            hq_mp_pack_ki64(pk, prune_numbers[i].key, *(const int64_t *)v);
        else
            hq_mp_pack_ku64(pk, prune_numbers[i].key, *(const uint64_t *)v);
    }
    hq_mp_pack_kv(pk, "error", f->last_error);
}
