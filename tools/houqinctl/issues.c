/* houqinctl issues / issue / outbox: reads straight from the state
 * (LMDB opened read-only; one writer, many readers). */
#include "ctl.h"

#include "buf.h"
#include "clock.h"
#include "issue.h"
#include "json.h"
#include "mp.h"
#include "outbox.h"
#include "period.h"
#include "store.h"
#include "ytree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char issues_usage[] =
    "NAME\n"
    "    houqinctl issues - list issues (整改问题台账)\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl issues [--state DIR] [--json] [--color auto|always|never]\n"
    "                     [--status S] [--domain D] [--contractor C] [--site S]\n"
    "                     [--severity S] [--overdue] [--level N] [--accountability]\n"
    "                     [--opened-from DATE] [--opened-to DATE]\n"
    "                     [--closed-from DATE] [--closed-to DATE] [--text T]\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads the state directly (LMDB, read-only, one consistent snapshot) while\n"
    "    houqind runs.  Prints an aligned table in the words of the rules'\n"
    "    vocabulary (状态 已开立, 严重程度 严重, ...), or with --json one JSON array\n"
    "    of issue objects with the codes.  Filters take the codes and combine with AND.\n"
    "\n"
    "OPTIONS\n"
    "    --state DIR          the state directory (default ./var)\n"
    "    --json               one JSON array of issue objects\n"
    "    --color WHEN         colour the table: auto (default: only when stdout is a\n"
    "                         terminal and NO_COLOR is unset), always, never\n"
    "    --status S           opened, acknowledged, rectified, reopened, closed, or\n"
    "                         open (every state but closed)\n"
    "    --domain D           catering, dormitory, property, energy, transport,\n"
    "                         procurement, maintenance, decisions (or a domain on an issue)\n"
    "    --contractor C       a contractor id (of the rules, or on an issue)\n"
    "    --site S             a site id (of the rules, or on an issue)\n"
    "    --severity S         low, medium, high, critical\n"
    "    --overdue            only overdue issues\n"
    "    --level N            escalation level at least N (1 = first level)\n"
    "    --accountability     only issues under accountability (问责)\n"
    "    --opened-from DATE   opened on or after DATE (YYYY-MM-DD, local time)\n"
    "    --opened-to DATE     opened on or before DATE (the whole day)\n"
    "    --closed-from DATE   closed on or after DATE\n"
    "    --closed-to DATE     closed on or before DATE\n"
    "    --text T             T appears in the title or description\n"
    "    --rules DIR          rules whose vocabulary labels the table, and that check\n"
    "                         --contractor and --site\n"
    "                         (default " HQ_DEFAULT_RULES_HELP ")\n"
    "    --schemas DIR        schemas the rules are loaded against\n"
    "                         (default " HQ_DEFAULT_SCHEMAS_HELP ")\n"
    "\n"
    "EXIT STATUS\n"
    "    0 listed (possibly nothing); 2 bad usage, an unknown filter value, a bad\n"
    "    date, or a state directory that does not exist or is not a houqin state.\n";

typedef struct filter {
    const char *status, *domain, *contractor, *site, *severity, *text;
    bool overdue, accountability;
    int64_t level;
    int64_t opened_from, opened_to, closed_from, closed_to; /* [from, to); 0: unbounded */
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
    if ((f->opened_from && is->opened_ms < f->opened_from) || (f->opened_to && is->opened_ms >= f->opened_to))
        return false;
    if ((f->closed_from || f->closed_to) && !is->closed_ms)
        return false;
    if ((f->closed_from && is->closed_ms < f->closed_from) || (f->closed_to && is->closed_ms >= f->closed_to))
        return false;
    if (f->text && !(is->title && strstr(is->title, f->text)) && !(is->description && strstr(is->description, f->text)))
        return false;
    return true;
}

static const char *const known_domains[] = {"catering",    "dormitory",   "property",  "energy",
                                            "transport",   "procurement", "maintenance", "decisions", NULL};

/* A date option: the first ms of the day (--*-from) or the first after
 * it (--*-to). */
static int day_start(const char *v, void *dst, hq_err *why)
{
    return hq_date_parse(v, dst, NULL, why);
}

static int day_end(const char *v, void *dst, hq_err *why)
{
    int64_t from;
    return hq_date_parse(v, &from, dst, why);
}

/* Colours (ANSI SGR) of states and severities. */
static const char *state_colour(hq_issue_state s)
{
    static const char *const c[HQ_IS_COUNT] = {"33", "36", "34", "35", "32"};
    return (unsigned)s < HQ_IS_COUNT ? c[s] : "0";
}

static const char *severity_colour(hq_severity s)
{
    static const char *const c[] = {"0", "33", "31", "1;31"};
    return (unsigned)s < 4 ? c[s] : "0";
}

/* Appends text padded to width, wrapped in colour when colour is on. */
/* A cell of width display columns (a CJK character takes two). */
static void cell(hq_buf *b, bool colour, const char *sgr, const char *text, int width)
{
    bool sgr_on = colour && strcmp(sgr, "0") != 0;
    if (sgr_on)
        hq_buf_printf(b, "\033[%sm", sgr);
    ctl_pad(b, text, width);
    hq_buf_puts(b, sgr_on ? "\033[0m " : " ");
}

/* Checks the filter's values that do not need the state. */
static int check_filter(const filter *f)
{
    hq_issue_state st;
    if (f->status && strcmp(f->status, "open") != 0 && hq_issue_state_parse(f->status, &st) != 0)
        return ctl_fail("--status: unknown state \"%s\" (opened, acknowledged, rectified, reopened, closed, open)",
                        f->status);
    hq_severity sv;
    if (f->severity && hq_severity_parse(f->severity, &sv) != 0)
        return ctl_fail("--severity: unknown severity \"%s\" (low, medium, high, critical)", f->severity);
    if (f->opened_from && f->opened_to && f->opened_to <= f->opened_from)
        return ctl_fail("--opened-to is before --opened-from");
    if (f->closed_from && f->closed_to && f->closed_to <= f->closed_from)
        return ctl_fail("--closed-to is before --closed-from");
    return 0;
}

/* Which of the filter's domain, contractor and site are known: seen on an
 * issue, or (domain) one of the shipped domains, or (contractor, site) an
 * id of the rules with no issue yet, a fine filter that matches nothing. */
typedef struct seen {
    bool domain, contractor, site;
} seen;

static void see_issue(const filter *f, const hq_issue *is, seen *sn)
{
    sn->domain |= f->domain && is->domain && strcmp(f->domain, is->domain) == 0;
    sn->contractor |= f->contractor && is->contractor && strcmp(f->contractor, is->contractor) == 0;
    sn->site |= f->site && is->site && strcmp(f->site, is->site) == 0;
}

static void see_rules(const filter *f, const char *rules_dir, const char *schemas_dir, seen *sn)
{
    if (sn->contractor && sn->site)
        return;
    hq_schemas *schemas = NULL;
    hq_rules *rules = NULL;
    hq_diags d;
    hq_diags_init(&d);
    if (hq_schemas_load_dir(schemas_dir, &schemas, &d) == 0 && hq_rules_load(rules_dir, schemas, &rules, &d) == 0) {
        sn->contractor |= f->contractor && hq_rules_contractor(rules, f->contractor) != NULL;
        sn->site |= f->site && hq_rules_site(rules, f->site) != NULL;
    }
    hq_diags_fini(&d);
    hq_rules_destroy(&rules);
    hq_schemas_destroy(&schemas);
}

/* A filter id that is neither on an issue nor known otherwise is a typo:
 * refused, rather than an empty list. */
static int check_seen(const filter *f, const seen *sn, const char *rules_dir)
{
    if (!sn->domain)
        return ctl_fail("--domain: unknown domain \"%s\" (catering, dormitory, property, energy, transport, "
                        "procurement, maintenance, decisions)", f->domain);
    if (!sn->contractor)
        return ctl_fail("--contractor: unknown contractor \"%s\" (not in %s and on no issue)", f->contractor,
                        rules_dir);
    if (!sn->site)
        return ctl_fail("--site: unknown site \"%s\" (not in %s and on no issue)", f->site, rules_dir);
    return 0;
}

/* One row of the table. */
static void table_row(hq_buf *out, const hq_issue *is, bool colour)
{
    char dl[32], lv[8];
    hq_local_fmt(is->deadline_ms, dl, sizeof dl);
    snprintf(lv, sizeof lv, "%d", is->level);
    cell(out, false, "0", is->number, 15);
    cell(out, colour, state_colour(is->state), hq_label(HQ_LBL_STATE, hq_issue_state_name(is->state)), 14);
    cell(out, colour, severity_colour(is->severity), hq_severity_label(is->severity), 8);
    cell(out, false, "0", lv, 4);
    cell(out, colour, is->overdue ? "1;31" : "0", is->overdue ? "是" : "否", 4);
    cell(out, false, "0", dl, 16);
    cell(out, false, "0", is->contractor ? is->contractor : "", 22);
    hq_buf_printf(out, "%s%s%s%s\n", is->title ? is->title : "",
                  is->accountability && colour ? " \033[1;31m" : is->accountability ? " " : "",
                  is->accountability ? "[问责]" : "", is->accountability && colour ? "\033[0m" : "");
}

/* Where list_issues puts what it sees. */
typedef struct listing {
    const filter *f;
    bool json, colour;
    hq_buf *out;
    seen *sn;
    size_t n; /* JSON objects written */
} listing;

static void list_one(const hq_issue *is, void *ctx)
{
    listing *l = ctx;
    see_issue(l->f, is, l->sn);
    if (keep(l->f, is) && !l->json) {
        table_row(l->out, is, l->colour);
    } else if (keep(l->f, is)) {
        if (l->n++)
            hq_buf_putc(l->out, ',');
        hq_issue_to_json(is, l->out, false);
    }
}

/* Every issue of the state that passes f, as JSON or table rows, into out;
 * what the issues show of the filter's ids goes to sn. */
static int list_issues(const char *dir, const filter *f, bool json, bool colour, hq_buf *out, seen *sn)
{
    hq_store *s;
    MDB_txn *txn;
    int rc = ctl_open_state(dir, &s, &txn);
    if (rc)
        return rc;
    if (json)
        hq_buf_putc(out, '[');
    else
    {
        /* The staff's words (the vocabulary's labels); --json keeps the codes. */
        static const struct { const char *h; int w; } cols[] = {
            {"编号", 15}, {"状态", 14}, {"严重程度", 8}, {"级别", 4}, {"逾期", 4}, {"整改期限", 16}, {"责任单位", 22},
        };
        for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
            cell(out, false, "0", cols[i].h, cols[i].w);
        hq_buf_puts(out, "问题\n");
    }
    listing l = {.f = f, .json = json, .colour = colour, .out = out, .sn = sn};
    ctl_each_issue(s, txn, NULL, list_one, &l);
    ctl_close_state(&s, txn);
    if (json)
        hq_buf_puts(out, "]\n");
    return 0;
}

int cmd_issues(int argc, char **argv)
{
    const char *dir = "var", *color = "auto", *rules_dir = HQ_DEFAULT_RULES, *schemas_dir = HQ_DEFAULT_SCHEMAS;
    bool json = false;
    filter f = {0};
    const hq_opt opts[] = {
        HQ_OPTION_STR("state", &dir),
        HQ_OPTION_FLAG("json", 0, &json),
        HQ_OPTION_STR("status", &f.status),
        HQ_OPTION_STR("domain", &f.domain),
        HQ_OPTION_STR("contractor", &f.contractor),
        HQ_OPTION_STR("site", &f.site),
        HQ_OPTION_STR("severity", &f.severity),
        HQ_OPTION_FLAG("overdue", 0, &f.overdue),
        {.name = "level", .kind = HQ_OPT_I64, .dst = &f.level, .min = 1, .max = 100, .got = true,
         .expect = "expected a level of 1 or more"},
        HQ_OPTION_FLAG("accountability", 0, &f.accountability),
        HQ_OPTION_STR("text", &f.text),
        {.name = "opened-from", .kind = HQ_OPT_FN, .dst = &f.opened_from, .parse = day_start},
        {.name = "opened-to", .kind = HQ_OPT_FN, .dst = &f.opened_to, .parse = day_end},
        {.name = "closed-from", .kind = HQ_OPT_FN, .dst = &f.closed_from, .parse = day_start},
        {.name = "closed-to", .kind = HQ_OPT_FN, .dst = &f.closed_to, .parse = day_end},
        HQ_OPTION_STR("color", &color),
        HQ_OPTION_STR("colour", &color),
        HQ_OPTION_STR("rules", &rules_dir),
        HQ_OPTION_STR("schemas", &schemas_dir),
    };
    int rc = ctl_parse_opts(opts, argc, argv, issues_usage, "issues", NULL);
    if (rc >= 0)
        return rc;
    bool colour;
    if (strcmp(color, "always") == 0)
        colour = true;
    else if (strcmp(color, "never") == 0)
        colour = false;
    else if (strcmp(color, "auto") == 0)
        colour = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    else
        return ctl_fail("--color: expected auto, always or never, got \"%s\"", color);
    if ((rc = check_filter(&f)))
        return rc;
    seen sn = {!f.domain, !f.contractor, !f.site};
    for (size_t i = 0; f.domain && known_domains[i]; i++)
        sn.domain |= strcmp(known_domains[i], f.domain) == 0;
    if (!json)
        ctl_use_vocab(rules_dir, schemas_dir);
    hq_buf out;
    hq_buf_init(&out);
    rc = list_issues(dir, &f, json, colour, &out, &sn);
    if (rc == 0) {
        see_rules(&f, rules_dir, schemas_dir, &sn);
        rc = check_seen(&f, &sn, rules_dir);
    }
    return ctl_emit(rc, &out);
}

static const char issue_usage[] =
    "NAME\n    houqinctl issue - one issue with its whole timeline\n\n"
    "SYNOPSIS\n    houqinctl issue NUMBER [--state DIR] [--rules DIR] [--schemas DIR] [--json]\n"
    "                   [--include-pii --actor PERSON [--purpose TEXT] [--ingest EP]\n"
    "                    [--curve-server FILE --curve-key FILE]]\n\n"
    "DESCRIPTION\n    Shows the issue's fields, penalties and every timeline entry (time,\n"
    "    actor, what happened), read from the state (read-only).  States,\n"
    "    domains, categories, severities and timeline kinds are shown in the\n"
    "    words of the rules' vocabulary (rules/vocabulary.yaml); the line\n"
    "    \"codes:\" gives their codes.  --json gives the codes only.\n\n" CTL_PII_TEXT "\n"
    "OPTIONS\n    --state DIR      the state directory (default ./var)\n"
    "    --rules DIR      the rules whose vocabulary gives the words (default\n"
    "                     " HQ_DEFAULT_RULES ")\n"
    "    --schemas DIR    their schemas (default " HQ_DEFAULT_SCHEMAS ")\n"
    "    --json           one JSON object (SPEC section 8)\n"
    "    --include-pii    with --json: include the complainant's contact (personal\n"
    "                     data; for authorised staff only)\n" CTL_PII_HELP "\n"
    "EXIT STATUS\n    0 shown; 1 the access to personal data was refused or not\n"
    "    recorded (nothing shown); 2 bad usage, an unknown issue or a bad state\n"
    "    directory.\n";

/* One issue for a person: the vocabulary's words, the codes in a line
 * of their own. */
static void issue_text(const hq_issue *is, hq_buf *out)
{
    char o[32], dl[32], cl[32] = "-";
    hq_local_fmt(is->opened_ms, o, sizeof o);
    hq_local_fmt(is->deadline_ms, dl, sizeof dl);
    if (is->closed_ms)
        hq_local_fmt(is->closed_ms, cl, sizeof cl);
    const char *state = hq_issue_state_name(is->state), *category = is->category ? is->category : "";
    hq_buf_printf(out,
                  "%s  %s\n"
                  "  state:        %s%s%s\n"
                  "  rule / key:   %s / %s\n"
                  "  domain:       %s   category: %s   severity: %s\n"
                  "  codes:        state %s, domain %s, category %s, severity %s\n"
                  "  contractor:   %s   site: %s\n"
                  "  opened:       %s   deadline: %s   closed: %s\n"
                  "  level:        %d   occurrences: %d   failed rechecks: %d\n",
                  is->number, is->title ? is->title : "", hq_label(HQ_LBL_STATE, state),
                  is->overdue ? "，" : "", is->overdue ? hq_label(HQ_LBL_KIND, "overdue") : "",
                  is->rule, is->key, hq_domain_label(is->domain), *category ? hq_category_label(is->domain, category) : "",
                  hq_severity_label(is->severity), state, is->domain, *category ? category : "-",
                  hq_severity_name(is->severity), is->contractor, is->site, o, dl, cl, is->level, is->occurrences,
                  is->failed_rechecks);
    if (is->accountability)
        hq_buf_printf(out, "  accountability: %s\n", hq_label(HQ_LBL_KIND, "accountability"));
    if (is->description)
        hq_buf_printf(out, "  description:  %s\n", is->description);
    for (size_t i = 0; i < is->npenalties; i++)
        hq_buf_printf(out, "  penalty:      %lld.%02lld 元  %s  (%s)\n", (long long)(is->penalties[i].amount_cents / 100),
                      (long long)(is->penalties[i].amount_cents % 100), is->penalties[i].reason, is->penalties[i].term);
    hq_buf_puts(out, "  timeline:\n");
    for (size_t i = 0; i < is->ntimeline; i++) {
        char t[32];
        hq_local_fmt(is->timeline[i].ts_ms, t, sizeof t);
        /* How the actor was proven (SPEC §6a): said only when not by their own key. */
        const char *auth = is->timeline[i].auth;
        char how[96] = "";
        if (auth && !strcmp(auth, "unauthenticated"))
            snprintf(how, sizeof how, "（未认证）");
        else if (auth && !strncmp(auth, "via:", 4))
            snprintf(how, sizeof how, "（经 %s 代办）", auth + 4);
        hq_buf_printf(out, "    %s  %-14s ", t, is->timeline[i].actor);
        ctl_pad(out, hq_label(HQ_LBL_KIND, hq_tl_kind_name(is->timeline[i].kind)), 14);
        hq_buf_putc(out, ' ');
        hq_tl_render(&is->timeline[i], HQ_TL_STAFF, out);
        hq_buf_printf(out, "%s\n", how);
    }
}

int cmd_issue(int argc, char **argv)
{
    ctl_pii pa = {0};
    const char *dir = "var", *rules_dir = HQ_DEFAULT_RULES, *schemas_dir = HQ_DEFAULT_SCHEMAS;
    bool json = false, pii = false;
    const hq_opt opts[] = {
        HQ_OPTION_STR("state", &dir),
        HQ_OPTION_STR("rules", &rules_dir),
        HQ_OPTION_STR("schemas", &schemas_dir),
        HQ_OPTION_FLAG("json", 0, &json),
        HQ_OPTION_FLAG("include-pii", 0, &pii),
        CTL_PII_OPTIONS(&pa),
    };
    int next, rc = ctl_parse_opts(opts, argc, argv, issue_usage, "issue", &next);
    if (rc >= 0)
        return rc;
    if (next >= argc)
        return ctl_fail("issue: give an issue number like HQ-2026-000123");
    const char *number = argv[next];
    if (!ctl_valid_number(number))
        return ctl_fail("issue: \"%s\" is not an issue number (like HQ-2026-000123)", number);
    if (!json)
        ctl_use_vocab(rules_dir, schemas_dir);
    pa.on = pii && json; /* only the JSON carries the contact */
    rc = ctl_pii_check(&pa, "issue");
    if (rc)
        return rc;
    hq_store *s;
    MDB_txn *txn;
    rc = ctl_open_state(dir, &s, &txn);
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
        issue_text(&is, &out);
    }
    int64_t now_ms = ctl_state_now_ms(s, txn);
    hq_issue_fini(&is);
    hq_store_abort(s, txn);
    hq_store_close(&s);
    rc = ctl_pii_record(&pa, "issue", argc, argv, now_ms);
    return ctl_emit(rc, &out);
}

static const char outbox_usage[] =
    "NAME\n    houqinctl outbox - the notifications houqind wrote, one JSON object per line\n\n"
    "SYNOPSIS\n    houqinctl outbox [--state DIR] [--from SEQ]\n\n"
    "DESCRIPTION\n    Reads the outbox from the state (read-only), from sequence number SEQ\n"
    "    (default 1).  Complainants' contact data is shown as\n"
    "    \"contact\": \"(redacted)\".\n\n"
    "OPTIONS\n    --state DIR   the state directory (default ./var)\n"
    "    --from SEQ    the first sequence number\n\n"
    "EXIT STATUS\n    0 printed; 2 bad usage or a bad state directory.\n";

/* An outbox record as JSON into out, the contact replaced by
 * "(redacted)"; false when it is not a msgpack map (decoded with the
 * checks of mp.h: the state may be damaged). */
static bool redacted_json(const char *rec, size_t len, hq_buf *out)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object o;
    bool map = hq_mp_decode(rec, len, &hq_mp_default_limits, &zone, &o, NULL) == 0 && o.type == MSGPACK_OBJECT_MAP;
    for (uint32_t i = 0; map && i < o.via.map.size; i++)
        if (hq_mp_str_eq(&o.via.map.ptr[i].key, "contact")) {
            o.via.map.ptr[i].val.type = MSGPACK_OBJECT_STR;
            o.via.map.ptr[i].val.via.str.ptr = "(redacted)";
            o.via.map.ptr[i].val.via.str.size = 10;
        }
    if (map)
        hq_json_from_mp(out, &o);
    msgpack_zone_destroy(&zone);
    return map;
}

int cmd_outbox(int argc, char **argv)
{
    const char *dir = "var";
    int64_t from = 1;
    int ignored;
    const hq_opt opts[] = {
        HQ_OPTION_STR("state", &dir),
        {.name = "from", .kind = HQ_OPT_I64, .dst = &from, .min = 1, .max = INT64_MAX, .got = true,
         .expect = "expected a sequence number of 1 or more"},
    };
    int prc = ctl_parse_opts(opts, argc, argv, outbox_usage, "outbox", &ignored);
    if (prc >= 0)
        return prc;
    hq_store *s;
    MDB_txn *txn;
    int rc = ctl_open_state(dir, &s, &txn);
    if (rc)
        return rc;
    MDB_cursor *cur;
    mdb_cursor_open(txn, hq_store_dbi(s, HQ_DB_OUTBOX), &cur);
    unsigned char key[8];
    hq_be64_put(key, from);
    MDB_val k = {8, key}, v;
    hq_buf out;
    hq_buf_init(&out);
    for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        hq_buf_reset(&out);
        if (redacted_json(v.mv_data, v.mv_size, &out))
            puts(out.data);
    }
    mdb_cursor_close(cur);
    hq_buf_fini(&out);
    ctl_close_state(&s, txn);
    return 0;
}
