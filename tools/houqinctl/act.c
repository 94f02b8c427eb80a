/* houqinctl ack | rectify | recheck | comment | close | opinion |
 * accountability: actions on
 * an issue, sent as lifecycle events (schemas/issue.*.yaml) through the
 * ingest socket with the producer API (client.h), so that they are stored
 * and applied exactly as any other event.  The acting person is data.actor
 * (--actor, else $USER).  With CURVE (--curve-server, --curve-key: a staff
 * key of the rules' staff_keys) houqind takes the actor from the key and
 * refuses a --actor that disagrees; the source is then the actor.  The
 * daemon's reply is printed as it is. */
#include "ctl.h"

#include "allowlist.h"
#include "client.h"
#include "clock.h"
#include "ytree.h"

#include <assert.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct action {
    const char *name;        /* the command */
    const char *type;        /* the event type */
    const char *summary;
    const char *synopsis;    /* after NUMBER */
    const char *options;     /* the command's own options, for --help */
} action;

static const action actions[] = {
    {"ack", "issue.acknowledged", "acknowledge an issue and its rectification notice (签收)", "[--note TEXT]",
     "    --note TEXT        remarks on receipt (data.note)\n"},
    {"rectify", "issue.rectified", "report the rectification done, with evidence (整改反馈)",
     "--evidence TEXT [--link URL]... [--measures TEXT]",
     "    --evidence TEXT    what was done and what shows it (data.evidence; required)\n"
     "    --link URL         a photo or document (data.photos; repeatable, at most 20)\n"
     "    --measures TEXT    lasting measures taken (data.measures)\n"},
    {"recheck", "issue.rechecked", "pass or fail a rectification after re-inspection (复查)",
     "--pass|--fail [--note TEXT] [--method M]",
     "    --pass, --fail     the result (data.result; one is required)\n"
     "    --note TEXT        what the recheck found (data.note)\n"
     "    --method M         on_site, covert, documents, video or sensor_data (data.method)\n"},
    {"comment", "issue.comment", "add a comment to the issue's timeline (备注/批示)", "TEXT",
     "    TEXT               the comment (data.text)\n"},
    {"close", "issue.closed", "close an issue by hand, with the reason (销号)",
     "--reason TEXT [--resolution R] [--outcome TEXT]",
     "    --reason TEXT      why it is closed (data.reason; required)\n"
     "    --resolution R     resolved, duplicate, false_alarm, merged, withdrawn or other\n"
     "    --outcome TEXT     the outcome as the complainant is told it (data.outcome)\n"},
    {"opinion", "issue.opinion", "record a public-opinion incident (舆情) about the issue",
     "--text TEXT [--platform P] [--url URL] [--severity S]",
     "    --text TEXT        what is being said (data.summary; required)\n"
     "    --title TEXT       the headline or first line of the post (data.title)\n"
     "    --platform P       weibo, wechat, douyin, kuaishou, xiaohongshu, bilibili, zhihu,\n"
     "                       tieba, news, campus_forum or other (data.platform)\n"
     "    --url URL          link to the post (data.url)\n"
     "    --severity S       low, medium, high or critical (data.severity)\n"},
    {"accountability", "issue.accountability", "start accountability (问责) for the issue",
     "--reason TEXT",
     "    --reason TEXT      why accountability is started (data.reason; required)\n"},
};

static void usage(const action *a)
{
    printf("NAME\n"
           "    houqinctl %s - %s\n"
           "\n"
           "SYNOPSIS\n"
           "    houqinctl %s NUMBER %s\n"
           "                  [--actor NAME] [--ingest EP] [--source SRC] [--id ID] [--ts MS]\n"
           "                  [--curve-server FILE --curve-key FILE]\n"
           "\n"
           "DESCRIPTION\n"
           "    Sends an %s event for issue NUMBER (like HQ-2026-000123) to houqind's\n"
           "    ingest socket and waits until it is stored, then prints the reply:\n"
           "        stored NUMBER TYPE id=ID seq=N\n"
           "    A refusal (an unknown issue, an action that does not fit the issue's\n"
           "    state, an actor who may not do it) is printed as houqind gave it:\n"
           "        rejected NUMBER TYPE: REASON\n"
           "\n"
           "    Who may (rules/permissions.yaml, rules/README.md \"Permissions\"): the actor\n"
           "    must be a person of rules/org.yaml whose roles allow the action on this\n"
           "    issue's domain or contractor.  A contractor's contact never rechecks or\n"
           "    closes, and whoever reported the rectification cannot pass its recheck.\n"
           "    With CURVE the actor comes from your staff key (staff_keys in the rules):\n"
           "    a --actor other than your own person is refused.  Without CURVE the\n"
           "    timeline marks the action unauthenticated (未认证).\n"
           "    An event with no reply is resent with the same id, which houqind answers\n"
           "    \"duplicate\" if it had stored it: an action is never applied twice.\n"
           "\n"
           "OPTIONS\n"
           "%s"
           "    --actor NAME       the acting person (data.actor; default $USER): a person id of\n"
           "                       rules/org.yaml (staff or a contractor's contact)\n"
           "    --ingest EP        houqind's ingest endpoint (default " HQ_DEFAULT_INGEST ")\n"
           "    --source SRC       the producer id of the event (default houqinctl; with CURVE\n"
           "                       the actor, which is the source a staff key is bound to)\n"
           "    --curve-server FILE  houqind's public key file: use CURVE (with --curve-key)\n"
           "    --curve-key FILE   your staff key pair (houqinctl keygen; its public key is\n"
           "                       bound to your person in the rules' staff_keys)\n"
           "    --id ID            the event id (default: a new time-ordered id); resending\n"
           "                       the same event (same id, --ts and options) is answered\n"
           "                       \"duplicate\" and changes nothing\n"
           "    --ts MS            the event time, ms since the epoch (default: now)\n"
           "    --timeout MS       resend after MS without a reply (default 2500)\n"
           "    --retries N        resends before giving up (default 3)\n"
           "\n"
           "EXIT STATUS\n"
           "    0 stored (or duplicate); 1 rejected by houqind, or no reply; 2 bad usage.\n",
           a->name, a->summary, a->name, a->synopsis, a->type, a->options);
}

#define MAX_LINKS 20

/* The data fields of the actions, in the order they are packed (a resent
 * action must be the same bytes).  Each is filled from --OPT, except
 * result (--pass/--fail) and text (the comment, a positional argument). */
typedef struct field {
    const char *opt;      /* the option; NULL: not an option */
    const char *key;      /* data.KEY */
    const char *actions;  /* the commands that take it, space separated */
} field;

static const field fields[] = {
    {"note", "note", "ack recheck"},
    {"evidence", "evidence", "rectify"},
    {"measures", "measures", "rectify"},
    {NULL, "result", "recheck"},
    {"method", "method", "recheck"},
    {"reason", "reason", "close accountability"},
    {"resolution", "resolution", "close"},
    {"outcome", "outcome", "close"},
    {NULL, "text", "comment"},
    {"text", "summary", "opinion"}, /* issue.opinion has no "text": the text is its summary */
    {"title", "title", "opinion"},
    {"platform", "platform", "opinion"},
    {"url", "url", "opinion"},
    {"severity", "severity", "opinion"},
};
#define NFIELDS (sizeof fields / sizeof *fields)

/* The field each action cannot do without, with the option that gives it. */
static const struct {
    const char *action, *key, *how;
} required[] = {
    {"rectify", "evidence", "--evidence TEXT is required"},
    {"recheck", "result", "give --pass or --fail"},
    {"close", "reason", "--reason TEXT is required"},
    {"accountability", "reason", "--reason TEXT is required"},
    {"opinion", "summary", "--text TEXT is required"},
    {"comment", "text", "give the comment text after the issue number"},
};

static bool takes(const char *cmds, const char *name)
{
    size_t l = strlen(name);
    for (const char *p = cmds; (p = strstr(p, name)); p += l)
        if ((p == cmds || p[-1] == ' ') && (!p[l] || p[l] == ' '))
            return true;
    return false;
}

static size_t field_of(const char *key)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (!strcmp(fields[i].key, key))
            return i;
    assert(!"no such field");
    return 0;
}

/* What the command line says: the action's fields and how to send. */
typedef struct act_args {
    const char *val[NFIELDS];
    const char *links[MAX_LINKS];
    size_t nlinks;
    const char *number, *actor, *ingest, *source, *id, *curve_server, *curve_key;
    int64_t ts;
    hq_client_opts co;
} act_args;

enum { O_FIELD = 256, O_LINK = O_FIELD + (int)NFIELDS, O_PASS, O_FAIL, O_ACTOR, O_INGEST, O_SOURCE, O_ID,
       O_TIMEOUT, O_RETRIES, O_TS, O_CSERVER, O_CKEY };

/* Parses argv into x: 0, or the exit status (help printed, or bad usage
 * reported). */
static int parse_args(const action *a, int argc, char **argv, act_args *x, bool *help)
{
    struct option longopts[NFIELDS + 16];
    size_t n = 0;
    for (size_t i = 0; i < NFIELDS; i++)
        if (fields[i].opt)
            longopts[n++] = (struct option){fields[i].opt, required_argument, NULL, O_FIELD + (int)i};
    static const struct option common[] = {
        {"link", required_argument, NULL, O_LINK},   {"pass", no_argument, NULL, O_PASS},
        {"fail", no_argument, NULL, O_FAIL},         {"actor", required_argument, NULL, O_ACTOR},
        {"ingest", required_argument, NULL, O_INGEST}, {"source", required_argument, NULL, O_SOURCE},
        {"id", required_argument, NULL, O_ID},       {"timeout", required_argument, NULL, O_TIMEOUT},
        {"retries", required_argument, NULL, O_RETRIES}, {"ts", required_argument, NULL, O_TS},
        {"curve-server", required_argument, NULL, O_CSERVER}, {"curve-key", required_argument, NULL, O_CKEY},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    memcpy(longopts + n, common, sizeof common);
    const size_t result = field_of("result");
    int c, idx;
    int64_t iv;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
        if (c >= O_FIELD && c < O_LINK) {
            const field *f = &fields[c - O_FIELD];
            if (!takes(f->actions, a->name))
                return ctl_fail("%s: --%s is not an option of this command; see houqinctl %s --help", a->name,
                                f->opt, a->name);
            x->val[c - O_FIELD] = optarg;
            continue;
        }
        switch (c) {
        case O_LINK:
            if (strcmp(a->name, "rectify") != 0)
                return ctl_fail("%s: --link is not an option of this command; see houqinctl %s --help", a->name,
                                a->name);
            if (x->nlinks == MAX_LINKS)
                return ctl_fail("rectify: at most %d --link", MAX_LINKS);
            x->links[x->nlinks++] = optarg;
            break;
        case O_PASS:
        case O_FAIL: {
            const char *r = c == O_PASS ? "pass" : "fail";
            if (strcmp(a->name, "recheck") != 0)
                return ctl_fail("%s: --%s is not an option of this command; see houqinctl %s --help", a->name, r,
                                a->name);
            if (x->val[result] && strcmp(x->val[result], r) != 0)
                return ctl_fail("recheck: give --pass or --fail, not both");
            x->val[result] = r;
            break;
        }
        case O_ACTOR: x->actor = optarg; break;
        case O_INGEST: x->ingest = optarg; break;
        case O_SOURCE: x->source = optarg; break;
        case O_CSERVER: x->curve_server = optarg; break;
        case O_CKEY: x->curve_key = optarg; break;
        case O_ID: x->id = optarg; break;
        case O_TIMEOUT:
            if (!hq_parse_int64(optarg, &iv) || iv < 1 || iv > 600000)
                return ctl_fail("--timeout: expected milliseconds, got \"%s\"", optarg);
            x->co.timeout_ms = (int)iv;
            break;
        case O_RETRIES:
            if (!hq_parse_int64(optarg, &iv) || iv < 0 || iv > 100)
                return ctl_fail("--retries: expected a count, got \"%s\"", optarg);
            x->co.retries = (int)iv;
            break;
        case O_TS:
            if (!hq_parse_int64(optarg, &x->ts) || x->ts < 0)
                return ctl_fail("--ts: expected ms since the epoch, got \"%s\"", optarg);
            break;
        case 'h': usage(a); *help = true; return 0;
        default: return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return ctl_fail("%s: give the issue number (like HQ-2026-000123); see houqinctl %s --help", a->name,
                        a->name);
    x->number = argv[optind++];
    if (!ctl_valid_number(x->number))
        return ctl_fail("%s: \"%s\" is not an issue number (like HQ-2026-000123)", a->name, x->number);
    if (!strcmp(a->name, "comment") && optind < argc)
        x->val[field_of("text")] = argv[optind++];
    if (optind < argc)
        return ctl_fail("%s: unexpected argument \"%s\"", a->name, argv[optind]);
    if (!x->actor || !*x->actor)
        return ctl_fail("%s: give --actor NAME (the acting person); $USER is not set", a->name);
    for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
        const char *v = x->val[field_of(required[i].key)];
        if (!strcmp(required[i].action, a->name) && (!v || !*v))
            return ctl_fail("%s: %s", a->name, required[i].how);
    }
    if ((x->curve_server != NULL) != (x->curve_key != NULL))
        return ctl_fail("%s: --curve-server and --curve-key go together", a->name);
    return 0;
}

/* The event: envelope, then data: issue, actor, the fields in order. */
static void pack_event(const action *a, const act_args *x, const char *id, msgpack_packer *pk)
{
    size_t n = 0;
    for (size_t i = 0; i < NFIELDS; i++)
        n += x->val[i] != NULL;
    msgpack_pack_map(pk, 5);
    hq_mp_pack_kv(pk, "id", id);
    hq_mp_pack_kv(pk, "type", a->type);
    hq_mp_pack_kv(pk, "source", x->source);
    hq_mp_pack_str(pk, "ts");
    msgpack_pack_int64(pk, x->ts);
    hq_mp_pack_str(pk, "data");
    msgpack_pack_map(pk, 2 + n + (x->nlinks ? 1 : 0));
    hq_mp_pack_kv(pk, "issue", x->number);
    hq_mp_pack_kv(pk, "actor", x->actor);
    for (size_t i = 0; i < NFIELDS; i++)
        if (x->val[i])
            hq_mp_pack_kv(pk, fields[i].key, x->val[i]);
    if (x->nlinks) {
        hq_mp_pack_str(pk, "photos");
        msgpack_pack_array(pk, x->nlinks);
        for (size_t i = 0; i < x->nlinks; i++)
            hq_mp_pack_str(pk, x->links[i]);
    }
}

static int run_action(const action *a, int argc, char **argv)
{
    act_args x = {.actor = getenv("USER"), .ingest = HQ_DEFAULT_INGEST, .ts = hq_wall_ms()};
    bool help = false;
    int rc = parse_args(a, argc, argv, &x, &help);
    if (rc || help)
        return rc;
    hq_err err;
    char spub[41], cpub[41], csec[41];
    if (x.curve_server) {
        if (hq_keyfile_read(x.curve_server, spub, NULL, &err) != 0 ||
            hq_keyfile_read(x.curve_key, cpub, csec, &err) != 0)
            return ctl_fail("%s", err.msg);
        x.co.server_key = spub;
        x.co.public_key = cpub;
        x.co.secret_key = csec;
    }
    if (!x.source)
        x.source = x.curve_server ? x.actor : "houqinctl";
    hq_client *cl;
    if (hq_client_new(x.ingest, &x.co, &cl, &err) != 0)
        return ctl_fail("%s", err.msg);
    char idbuf[72];
    if (x.id)
        snprintf(idbuf, sizeof idbuf, "%s", x.id);
    else
        hq_client_make_id(cl, idbuf, sizeof idbuf);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    pack_event(a, &x, idbuf, &pk);
    hq_client_reply r;
    if (hq_client_send(cl, idbuf, sb.data, sb.size, &err) != 0 || hq_client_recv(cl, &r, &err) != 0) {
        rc = ctl_fail("%s", err.msg);
    } else if (r.status == HQ_REPLY_STORED || r.status == HQ_REPLY_DUPLICATE) {
        printf("%s %s %s id=%s seq=%llu\n", hq_reply_status_name(r.status), x.number, a->type, r.id,
               (unsigned long long)r.seq);
    } else {
        fprintf(stderr, "%s %s %s: %s\n", hq_reply_status_name(r.status), x.number, a->type, r.error);
        rc = EXIT_REFUSED;
    }
    msgpack_sbuffer_destroy(&sb);
    hq_client_destroy(&cl);
    return rc;
}

static int run_named(const char *name, int argc, char **argv)
{
    for (size_t i = 0; i < sizeof actions / sizeof *actions; i++)
        if (!strcmp(actions[i].name, name))
            return run_action(&actions[i], argc, argv);
    return EXIT_USAGE;
}

int cmd_ack(int argc, char **argv) { return run_named("ack", argc, argv); }
int cmd_rectify(int argc, char **argv) { return run_named("rectify", argc, argv); }
int cmd_recheck(int argc, char **argv) { return run_named("recheck", argc, argv); }
int cmd_comment(int argc, char **argv) { return run_named("comment", argc, argv); }
int cmd_close(int argc, char **argv) { return run_named("close", argc, argv); }
int cmd_opinion(int argc, char **argv) { return run_named("opinion", argc, argv); }
int cmd_accountability(int argc, char **argv) { return run_named("accountability", argc, argv); }
