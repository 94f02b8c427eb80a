/* index.c - the console's reads of a large state through its indexes
 * (lib/state/issue.h "the console's indexes"; bench/README.md "The console
 * on 1,000,000 issues").
 *
 * The ledger's pages scan the issues newest first and stop after a page:
 * quick while the matching issues are recent, but a filter that few
 * issues match reads the whole state.  The open issues of one contractor
 * have their own index, so the ledger filtered to a contractor and to open
 * issues (or one open state) reads only those.  The evaluation of a period
 * needs only the issues that moved in or after it (the index by last
 * activity, skipping those opened after the period) and those still open
 * (which may have been overdue during it): what moved before the period
 * and is closed cannot change its figures.  A state that houqind has not
 * upgraded yet (no index) is scanned whole, as before. */
#include "web.h"

#include "mem.h"

#include <string.h>

static bool indexed(MDB_txn *txn)
{
    bool yes = false;
    return hq_issue_console_indexed(web_store(), txn, &yes, NULL) == 0 && yes;
}

typedef struct scan {
    MDB_txn *txn;
    int (*fn)(void *ctx, const hq_issue *is);
    void *ctx;
    int64_t from, to;
    int stop;
} scan;

/* Loads number and hands it on; nonzero stops. */
static int one(scan *sc, const char *number, bool open_before_only)
{
    hq_issue is;
    int stop = 0;
    if (hq_issue_load(web_store(), sc->txn, number, &is, NULL) == 0) {
        /* From the open states' index: only those the activity index did
         * not give already. */
        if (!open_before_only || is.stored_last_ms < sc->from)
            stop = sc->fn(sc->ctx, &is);
        hq_issue_fini(&is);
    }
    sc->stop = stop;
    return stop;
}

static int open_of_fn(void *ctx, const char *number)
{
    return one(ctx, number, false);
}

bool web_scan_open_of(MDB_txn *txn, const char *state, const char *contractor, const char *before,
                      int (*fn)(void *ctx, const hq_issue *is), void *ctx)
{
    if (!contractor || !*contractor || !state || !*state || !strcmp(state, "closed"))
        return false;
    hq_issue_state st;
    if (strcmp(state, "open") != 0 && hq_issue_state_parse(state, &st) != 0)
        return false; /* an unknown state: the scan answers (nothing) */
    if (!indexed(txn))
        return false;
    scan sc = {.txn = txn, .fn = fn, .ctx = ctx};
    hq_issue_each_open_of(web_store(), txn, contractor, true, before, open_of_fn, &sc, NULL);
    return true;
}

static int active_fn(void *ctx, const char *number, int64_t opened_ms)
{
    scan *sc = ctx;
    if (opened_ms >= sc->to)
        return 0; /* opened after the period: nothing of it falls in it */
    return one(sc, number, false);
}

static int open_fn(void *ctx, const char *number)
{
    return one(ctx, number, true);
}

bool web_scan_period(MDB_txn *txn, int64_t from_ms, int64_t to_ms, int (*fn)(void *ctx, const hq_issue *is),
                     void *ctx)
{
    if (!indexed(txn))
        return false;
    scan sc = {.txn = txn, .fn = fn, .ctx = ctx, .from = from_ms, .to = to_ms};
    hq_issue_each_active_since(web_store(), txn, from_ms, active_fn, &sc, NULL);
    for (int s = 0; s < HQ_IS_COUNT && !sc.stop; s++)
        if (s != HQ_IS_CLOSED)
            hq_issue_each_in_state(web_store(), txn, (hq_issue_state)s, open_fn, &sc, NULL);
    return true;
}
