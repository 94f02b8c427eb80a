/* houqinctl verify: walks the tamper-evident chains of the state (the
 * event log and every issue's timeline) and reports the first break. */
#include "ctl.h"

#include "archive.h"
#include "issue.h"
#include "store.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char verify_usage[] =
    "NAME\n"
    "    houqinctl verify - check that the ledger has not been altered\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl verify [--state DIR]\n"
    "\n"
    "DESCRIPTION\n"
    "    Every event stored carries a BLAKE2b-256 hash chained to the one before\n"
    "    (over its sequence number, time and content), and every entry of an issue's\n"
    "    timeline carries a hash chained to the previous entry.  verify recomputes\n"
    "    both chains and reports the first record that does not match.  houqind\n"
    "    sends the head of the event chain as a daily \"ledger-head\" alert, so that\n"
    "    a copy held outside the office can prove what the log held on that day.\n"
    "\n"
    "    Events that retention moved out of LMDB are in the monthly archives under\n"
    "    STATE/archive/: verify checks each archive against its manifest (BLAKE2b\n"
    "    digest), recomputes the chain through every archive, checks that what LMDB\n"
    "    still holds of an archived month is the same event, and continues the chain\n"
    "    in LMDB from where the archives end.  An archive that does not match its\n"
    "    manifest is reported and never read.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 intact; 1 a break was found; 2 bad usage or not a houqin state.\n";

static void progress(void *ctx, uint64_t done, uint64_t total)
{
    if (isatty(2))
        fprintf(stderr, "\rverify: %llu/%llu events", (unsigned long long)done, (unsigned long long)total);
    (void)ctx;
}

/* The issues' timelines, counted as they are checked. */
typedef struct timelines {
    size_t issues, broken;
} timelines;

static void check_timeline(const hq_issue *is, void *ctx)
{
    timelines *t = ctx;
    t->issues++;
    long at = hq_issue_verify_timeline(is);
    if (at >= 0 && t->broken++ == 0)
        printf("timeline of %s: BROKEN at entry %ld (%s)\n", is->number, at + 1,
               hq_tl_kind_name(is->timeline[at].kind));
}

/* The archives of the state in dir, the event log from where they end and
 * the issues' timelines, on one snapshot. */
static int verify(hq_store *s, MDB_txn *txn, void *dir)
{
    hq_err err;
    uint64_t checked = 0, bad = 0, archived = 0, upto = 0;
    unsigned char upto_chain[HQ_CHAIN_BYTES];
    char why[512] = "";
    int rc = hq_archive_verify(dir, s, txn, &archived, &bad, why, sizeof why, &upto, upto_chain, &err);
    if (rc == 0 && bad) {
        printf("archives: BROKEN at event %llu: %s\n", (unsigned long long)bad, why);
        return EXIT_REFUSED;
    }
    if (rc == 0 && upto)
        printf("archives: intact, events 1 to %llu\n", (unsigned long long)upto);
    if (rc == 0)
        rc = hq_store_chain_verify_from(s, txn, upto, upto_chain, &checked, &bad, why, sizeof why, progress, NULL,
                                        &err);
    if (isatty(2))
        fputs("\r\033[K", stderr);
    int status = 0;
    if (rc) {
        status = ctl_fail("%s", err.msg);
    } else if (bad) {
        printf("event log: BROKEN at event %llu: %s (%llu events before it are intact)\n", (unsigned long long)bad,
               why, (unsigned long long)checked);
        status = EXIT_REFUSED;
    } else {
        uint64_t head_seq;
        unsigned char head[HQ_CHAIN_BYTES];
        hq_store_chain_head(s, txn, &head_seq, head, &err);
        printf("event log: intact, %llu events%s, head ", (unsigned long long)checked,
               upto ? " after the archives" : "");
        for (int i = 0; i < HQ_CHAIN_BYTES; i++)
            printf("%02x", head[i]);
        putchar('\n');
    }
    timelines t = {0};
    ctl_each_issue(s, txn, NULL, check_timeline, &t);
    if (t.broken)
        printf("timelines: %zu of %zu issues broken\n", t.broken, t.issues);
    else
        printf("timelines: intact, %zu issues\n", t.issues);
    return t.broken ? EXIT_REFUSED : status;
}

int cmd_verify(int argc, char **argv)
{
    const char *dir = "var";
    int ignored;
    const hq_opt opts[] = {
        HQ_OPTION_STR("state", &dir),
    };
    int prc = ctl_parse_opts(opts, argc, argv, verify_usage, "verify", &ignored);
    if (prc >= 0)
        return prc;
    return ctl_with_state(dir, verify, (void *)dir);
}
