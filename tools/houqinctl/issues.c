/* houqinctl issues / issue / outbox: reads straight from the state
 * (LMDB opened read-only; one writer, many readers). */
#include "ctl.h"

#include "buf.h"
#include "clock.h"
#include "issue.h"
#include "json.h"
#include "mp.h"
#include "outbox.h"
#include "store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int open_state(const char *dir, hq_store **s, MDB_txn **txn)
{
    hq_err err;
    if (hq_store_open(dir, HQ_STORE_RDONLY, 0, s, &err) != 0)
        return ctl_fail("%s", err.msg);
    if (hq_store_begin(*s, false, txn, &err) != 0) {
        hq_store_close(s);
        return ctl_fail("%s", err.msg);
    }
    return 0;
}

static const char issues_usage[] =
    "NAME\n"
    "    houqinctl issues - list issues (整改问题台账)\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl issues [--state DIR] [--json] [--status S] [--domain D]\n"
    "                     [--contractor C] [--site S] [--severity S] [--overdue]\n"
    "                     [--level N] [--accountability] [--text T]\n"
    "\n"
    "OPTIONS\n"
    "    --state DIR        the state directory (default ./var)\n"
    "    --json             one JSON array of issue objects\n"
    "    --status S         opened, acknowledged, rectified, reopened, closed, or open\n"
    "                       (every state but closed)\n"
    "    --domain, --contractor, --site, --severity   exact match\n"
    "    --overdue          only overdue issues\n"
    "    --level N          escalation level at least N\n"
    "    --accountability   only issues under accountability\n"
    "    --text T           T appears in the title or description\n";

typedef struct filter {
    const char *status, *domain, *contractor, *site, *severity, *text;
    int overdue, accountability, level;
} filter;

static bool eq_opt(const char *want, const char *have)
{
    return !want || (have && strcmp(want, have) == 0);
}

static bool keep(const filter *f, const hq_issue *is)
{
    if (f->status) {
        if (strcmp(f->status, "open") == 0) {
            if (is->state == HQ_IS_CLOSED)
                return false;
        } else if (strcmp(f->status, hq_issue_state_name(is->state)) != 0) {
            return false;
        }
    }
    if (!eq_opt(f->domain, is->domain) || !eq_opt(f->contractor, is->contractor) || !eq_opt(f->site, is->site) ||
        !eq_opt(f->severity, hq_severity_name(is->severity)))
        return false;
    if (f->overdue && !is->overdue)
        return false;
    if (f->accountability && !is->accountability)
        return false;
    if (f->level && is->level < f->level)
        return false;
    if (f->text && !(is->title && strstr(is->title, f->text)) && !(is->description && strstr(is->description, f->text)))
        return false;
    return true;
}

int cmd_issues(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"state", required_argument, NULL, 'd'},     {"json", no_argument, NULL, 'j'},
        {"status", required_argument, NULL, 's'},    {"domain", required_argument, NULL, 'D'},
        {"contractor", required_argument, NULL, 'c'}, {"site", required_argument, NULL, 'S'},
        {"severity", required_argument, NULL, 'v'},  {"overdue", no_argument, NULL, 'o'},
        {"level", required_argument, NULL, 'l'},     {"accountability", no_argument, NULL, 'a'},
        {"text", required_argument, NULL, 't'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = "var";
    int json = 0, c;
    filter f = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'j': json = 1; break;
        case 's': f.status = optarg; break;
        case 'D': f.domain = optarg; break;
        case 'c': f.contractor = optarg; break;
        case 'S': f.site = optarg; break;
        case 'v': f.severity = optarg; break;
        case 'o': f.overdue = 1; break;
        case 'l': f.level = atoi(optarg); break;
        case 'a': f.accountability = 1; break;
        case 't': f.text = optarg; break;
        case 'h': fputs(issues_usage, stdout); return 0;
        default: return EXIT_USAGE;
        }
    }
    hq_issue_state st;
    if (f.status && strcmp(f.status, "open") != 0 && hq_issue_state_parse(f.status, &st) != 0)
        return ctl_fail("--status: unknown state \"%s\" (opened, acknowledged, rectified, reopened, closed, open)",
                        f.status);
    hq_severity sv;
    if (f.severity && hq_severity_parse(f.severity, &sv) != 0)
        return ctl_fail("--severity: unknown severity \"%s\" (low, medium, high, critical)", f.severity);
    hq_store *s;
    MDB_txn *txn;
    int rc = open_state(dir, &s, &txn);
    if (rc)
        return rc;
    MDB_cursor *cur;
    mdb_cursor_open(txn, hq_store_dbi(s, HQ_DB_ISSUES), &cur);
    MDB_val k, v;
    hq_buf out;
    hq_buf_init(&out);
    if (json)
        hq_buf_putc(&out, '[');
    else
        hq_buf_printf(&out, "%-15s %-12s %-9s %-3s %-7s %-16s %-22s %s\n", "NUMBER", "STATE", "SEVERITY", "LV",
                      "OVERDUE", "DEADLINE", "CONTRACTOR", "TITLE");
    size_t n = 0;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (mrc == 0) {
        hq_issue is;
        if (hq_issue_load_raw(v.mv_data, v.mv_size, &is, NULL) == 0 && keep(&f, &is)) {
            if (json) {
                if (n)
                    hq_buf_putc(&out, ',');
                hq_issue_to_json(&is, &out, false);
            } else {
                char dl[32];
                hq_local_fmt(is.deadline_ms, dl, sizeof dl);
                hq_buf_printf(&out, "%-15s %-12s %-9s %-3d %-7s %-16s %-22s %s%s\n", is.number,
                              hq_issue_state_name(is.state), hq_severity_name(is.severity), is.level,
                              is.overdue ? "yes" : "no", dl, is.contractor ? is.contractor : "", is.title ? is.title : "",
                              is.accountability ? " [问责]" : "");
            }
            n++;
        }
        hq_issue_fini(&is);
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (json)
        hq_buf_puts(&out, "]\n");
    fputs(out.data, stdout);
    hq_buf_fini(&out);
    hq_store_abort(s, txn);
    hq_store_close(&s);
    return 0;
}

int cmd_issue(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"state", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"include-pii", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = "var";
    int json = 0, pii = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'j': json = 1; break;
        case 'p': pii = 1; break;
        case 'h':
            puts("NAME\n    houqinctl issue - one issue with its whole timeline\n\nSYNOPSIS\n"
                 "    houqinctl issue NUMBER [--state DIR] [--json] [--include-pii]");
            return 0;
        default: return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return ctl_fail("issue: give an issue number like HQ-2026-000123");
    const char *number = argv[optind];
    hq_store *s;
    MDB_txn *txn;
    int rc = open_state(dir, &s, &txn);
    if (rc)
        return rc;
    hq_issue is;
    hq_err err;
    rc = hq_issue_load(s, txn, number, &is, &err);
    if (rc) {
        hq_store_abort(s, txn);
        hq_store_close(&s);
        return ctl_fail("%s", err.msg);
    }
    hq_buf out;
    hq_buf_init(&out);
    if (json) {
        hq_issue_to_json(&is, &out, pii);
        hq_buf_putc(&out, '\n');
    } else {
        char o[32], dl[32], cl[32] = "-";
        hq_local_fmt(is.opened_ms, o, sizeof o);
        hq_local_fmt(is.deadline_ms, dl, sizeof dl);
        if (is.closed_ms)
            hq_local_fmt(is.closed_ms, cl, sizeof cl);
        hq_buf_printf(&out,
                      "%s  %s\n"
                      "  state:        %s%s%s\n"
                      "  rule / key:   %s / %s\n"
                      "  domain:       %s   category: %s   severity: %s\n"
                      "  contractor:   %s   site: %s\n"
                      "  opened:       %s   deadline: %s   closed: %s\n"
                      "  level:        %d   occurrences: %d   failed rechecks: %d\n",
                      is.number, is.title ? is.title : "", hq_issue_state_name(is.state), is.overdue ? ", overdue" : "",
                      is.accountability ? ", accountability (问责)" : "", is.rule, is.key, is.domain,
                      is.category ? is.category : "", hq_severity_name(is.severity), is.contractor, is.site, o, dl, cl,
                      is.level, is.occurrences, is.failed_rechecks);
        if (is.description)
            hq_buf_printf(&out, "  description:  %s\n", is.description);
        for (size_t i = 0; i < is.npenalties; i++)
            hq_buf_printf(&out, "  penalty:      %lld.%02lld 元  %s  (%s)\n",
                          (long long)(is.penalties[i].amount_cents / 100),
                          (long long)(is.penalties[i].amount_cents % 100), is.penalties[i].reason, is.penalties[i].term);
        hq_buf_puts(&out, "  timeline:\n");
        for (size_t i = 0; i < is.ntimeline; i++) {
            char t[32];
            hq_local_fmt(is.timeline[i].ts_ms, t, sizeof t);
            hq_buf_printf(&out, "    %s  %-14s %s\n", t, is.timeline[i].actor, is.timeline[i].what);
        }
    }
    fputs(out.data, stdout);
    hq_buf_fini(&out);
    hq_issue_fini(&is);
    hq_store_abort(s, txn);
    hq_store_close(&s);
    return 0;
}

int cmd_outbox(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"state", required_argument, NULL, 'd'},
        {"from", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = "var";
    unsigned long long from = 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'f': from = strtoull(optarg, NULL, 10); break;
        case 'h':
            puts("NAME\n    houqinctl outbox - the notifications houqind wrote, one JSON object per line\n\n"
                 "SYNOPSIS\n    houqinctl outbox [--state DIR] [--from SEQ]\n\n"
                 "    Complainants' contact data is shown as \"contact\": \"(redacted)\".");
            return 0;
        default: return EXIT_USAGE;
        }
    }
    hq_store *s;
    MDB_txn *txn;
    int rc = open_state(dir, &s, &txn);
    if (rc)
        return rc;
    MDB_cursor *cur;
    mdb_cursor_open(txn, hq_store_dbi(s, HQ_DB_OUTBOX), &cur);
    unsigned char key[8];
    hq_be64_put(key, from);
    MDB_val k = {8, key}, v;
    hq_buf out;
    hq_buf_init(&out);
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (mrc == 0) {
        msgpack_zone zone;
        msgpack_zone_init(&zone, 2048);
        msgpack_object o;
        size_t off = 0;
        if (msgpack_unpack(v.mv_data, v.mv_size, &off, &zone, &o) == MSGPACK_UNPACK_SUCCESS &&
            o.type == MSGPACK_OBJECT_MAP) {
            for (uint32_t i = 0; i < o.via.map.size; i++)
                if (hq_mp_str_eq(&o.via.map.ptr[i].key, "contact")) {
                    o.via.map.ptr[i].val.type = MSGPACK_OBJECT_STR;
                    o.via.map.ptr[i].val.via.str.ptr = "(redacted)";
                    o.via.map.ptr[i].val.via.str.size = 10;
                }
            hq_buf_reset(&out);
            hq_json_from_mp(&out, &o);
            puts(out.data);
        }
        msgpack_zone_destroy(&zone);
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    hq_buf_fini(&out);
    hq_store_abort(s, txn);
    hq_store_close(&s);
    return 0;
}
