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
 * and is closed cannot change its figures.  The dashboard is such a period
 * too: the last 30 days (closed, reopened) and 14 (the chart) and what is
 * open.  The evaluation reads each issue's summary (lib/state/issue.h)
 * instead of the whole record where the state has them.  A state that
 * houqind has not upgraded yet (no index) is scanned whole, as before. */
#include "web.h"

#include "buf.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
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
    int stop;
    hq_issue_summary *sum; /* set: read the evaluation's summaries */
} scan;

/* Loads number (or its summary) and hands it on; nonzero stops. */
static int one(scan *sc, const char *number)
{
    int stop = 0;
    if (sc->sum) {
        if (hq_issue_load_summary(web_store(), sc->txn, number, sc->sum, NULL) == 0)
            stop = sc->fn(sc->ctx, &sc->sum->is);
        sc->stop = stop;
        return stop;
    }
    hq_issue is;
    if (hq_issue_load(web_store(), sc->txn, number, &is, NULL) == 0) {
        stop = sc->fn(sc->ctx, &is);
        hq_issue_fini(&is);
    }
    sc->stop = stop;
    return stop;
}

static int open_of_fn(void *ctx, const char *number)
{
    return one(ctx, number);
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

/* The numbers of a period's issues, gathered from both indexes, then read
 * in number order (the order of the scan they replace, so that a page
 * lists what it lists in the same order).  A number is kept zero-padded
 * and compared as three big-endian words: the order of strcmp, without
 * calling it 2,000,000 times for a term's 100,000 issues. */
_Static_assert(HQ_ISSUE_NUMBER_SIZE % 8 == 0, "a number is whole words");

typedef struct entry {
    uint64_t w[HQ_ISSUE_NUMBER_SIZE / 8]; /* the number, zero-padded */
    bool take;   /* false: moved since from, but opened after the period */
    bool active; /* from the activity index (an open one may be there too) */
} entry;

typedef struct numbers {
    entry *v;
    size_t n, cap;
    int64_t to;
} numbers;

static void add_number(numbers *ns, const char *number, bool take, bool active)
{
    if (ns->n == ns->cap) {
        ns->cap = ns->cap ? 2 * ns->cap : 4096;
        ns->v = hq_realloc(ns->v, ns->cap * sizeof *ns->v);
    }
    entry *e = &ns->v[ns->n++];
    unsigned char padded[sizeof e->w] = {0};
    size_t len = strlen(number);
    memcpy(padded, number, len < sizeof padded ? len : sizeof padded - 1);
    for (size_t i = 0; i < sizeof e->w / 8; i++)
        e->w[i] = hq_be64_get(padded + 8 * i);
    e->take = take;
    e->active = active;
}

static int active_fn(void *ctx, const char *number, int64_t opened_ms)
{
    numbers *ns = ctx;
    add_number(ns, number, opened_ms < ns->to, true); /* opened after the period: nothing of it falls in it */
    return 0;
}

/* An open issue the activity index did not give moved last before from
 * (and so was opened before the period): it may have been overdue in it. */
static int open_fn(void *ctx, const char *number)
{
    add_number(ctx, number, true, false);
    return 0;
}

/* Number order; the activity index's entry of a number first. */
static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    for (size_t i = 0; i < sizeof x->w / 8; i++)
        if (x->w[i] != y->w[i])
            return x->w[i] < y->w[i] ? -1 : 1;
    return (int)y->active - (int)x->active;
}

static bool scan_period(MDB_txn *txn, int64_t from_ms, int64_t to_ms, bool newest_first, hq_issue_summary *sum,
                        int (*fn)(void *ctx, const hq_issue *is), void *ctx)
{
    if (!indexed(txn))
        return false;
    numbers ns = {.to = to_ms};
    hq_issue_each_active_since(web_store(), txn, from_ms, active_fn, &ns, NULL);
    for (int s = 0; s < HQ_IS_COUNT; s++)
        if (s != HQ_IS_CLOSED)
            hq_issue_each_in_state(web_store(), txn, (hq_issue_state)s, open_fn, &ns, NULL);
    if (ns.n) /* (no qsort on NULL: an empty state) */
        qsort(ns.v, ns.n, sizeof *ns.v, cmp_entry);
    /* an open issue that moved since from is there twice: keep the
     * activity index's entry (which knows when it was opened) */
    size_t m = 0;
    for (size_t i = 0; i < ns.n; i++)
        if (ns.v[i].active || !m || memcmp(ns.v[i].w, ns.v[m - 1].w, sizeof ns.v[i].w) != 0)
            ns.v[m++] = ns.v[i];
    ns.n = m;
    scan sc = {.txn = txn, .fn = fn, .ctx = ctx, .sum = sum};
    for (size_t i = 0; i < ns.n && !sc.stop; i++) {
        const entry *e = &ns.v[newest_first ? ns.n - 1 - i : i];
        if (!e->take)
            continue;
        char number[sizeof e->w + 1] = {0};
        for (size_t j = 0; j < sizeof e->w / 8; j++)
            hq_be64_put((unsigned char *)number + 8 * j, e->w[j]);
        one(&sc, number);
    }
    free(ns.v);
    return true;
}

bool web_scan_period(MDB_txn *txn, int64_t from_ms, int64_t to_ms, bool newest_first,
                     int (*fn)(void *ctx, const hq_issue *is), void *ctx)
{
    return scan_period(txn, from_ms, to_ms, newest_first, NULL, fn, ctx);
}

bool web_scan_period_summaries(MDB_txn *txn, int64_t from_ms, int64_t to_ms,
                               int (*fn)(void *ctx, const hq_issue *is), void *ctx)
{
    bool yes = false;
    if (hq_issue_summarized(web_store(), txn, &yes, NULL) != 0 || !yes)
        return scan_period(txn, from_ms, to_ms, false, NULL, fn, ctx);
    hq_issue_summary sum = {0};
    bool done = scan_period(txn, from_ms, to_ms, false, &sum, fn, ctx);
    hq_issue_summary_fini(&sum);
    return done;
}
