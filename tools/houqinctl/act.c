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

#include <getopt.h>
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

static int run_action(const action *a, int argc, char **argv)
{
    enum { O_NOTE = 256, O_EVIDENCE, O_LINK, O_MEASURES, O_PASS, O_FAIL, O_METHOD, O_REASON, O_RESOLUTION,
           O_OUTCOME, O_TEXT, O_TITLE, O_PLATFORM, O_URL, O_SEVERITY, O_ACTOR, O_INGEST, O_SOURCE, O_ID,
           O_TIMEOUT, O_RETRIES, O_TS, O_CSERVER, O_CKEY };
    static const struct option longopts[] = {
        {"note", required_argument, NULL, O_NOTE},         {"evidence", required_argument, NULL, O_EVIDENCE},
        {"link", required_argument, NULL, O_LINK},         {"measures", required_argument, NULL, O_MEASURES},
        {"pass", no_argument, NULL, O_PASS},               {"fail", no_argument, NULL, O_FAIL},
        {"method", required_argument, NULL, O_METHOD},     {"reason", required_argument, NULL, O_REASON},
        {"resolution", required_argument, NULL, O_RESOLUTION}, {"outcome", required_argument, NULL, O_OUTCOME},
        {"text", required_argument, NULL, O_TEXT},         {"title", required_argument, NULL, O_TITLE},
        {"platform", required_argument, NULL, O_PLATFORM}, {"url", required_argument, NULL, O_URL},
        {"severity", required_argument, NULL, O_SEVERITY}, {"actor", required_argument, NULL, O_ACTOR},
        {"ingest", required_argument, NULL, O_INGEST},     {"source", required_argument, NULL, O_SOURCE},
        {"id", required_argument, NULL, O_ID},             {"timeout", required_argument, NULL, O_TIMEOUT},
        {"retries", required_argument, NULL, O_RETRIES},   {"ts", required_argument, NULL, O_TS},
        {"curve-server", required_argument, NULL, O_CSERVER}, {"curve-key", required_argument, NULL, O_CKEY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* Which options each action takes. */
    const char *mine = !strcmp(a->name, "ack")       ? "note"
                       : !strcmp(a->name, "rectify") ? "evidence link measures"
                       : !strcmp(a->name, "recheck") ? "pass fail note method"
                       : !strcmp(a->name, "comment") ? ""
                       : !strcmp(a->name, "close")   ? "reason resolution outcome"
                       : !strcmp(a->name, "accountability") ? "reason"
                                                     : "text title platform url severity";
    const char *note = NULL, *evidence = NULL, *measures = NULL, *method = NULL, *reason = NULL,
               *resolution = NULL, *outcome = NULL, *text = NULL, *title = NULL, *platform = NULL, *url = NULL,
               *severity = NULL, *actor = getenv("USER"), *ingest = HQ_DEFAULT_INGEST, *source = NULL,
               *id = NULL, *curve_server = NULL, *curve_key = NULL;
    const char *links[MAX_LINKS];
    size_t nlinks = 0;
    int result = 0; /* 1 pass, 2 fail */
    hq_client_opts co = {0};
    int64_t ts = hq_wall_ms();
    int c, idx;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
        if (c >= O_NOTE && c < O_ACTOR) {
            /* an action-specific option: check it belongs to this action */
            const char *nm = longopts[idx].name;
            const char *p = strstr(mine, nm);
            size_t l = strlen(nm);
            if (!p || (p != mine && p[-1] != ' ') || (p[l] && p[l] != ' '))
                return ctl_fail("%s: --%s is not an option of this command; see houqinctl %s --help", a->name, nm,
                                a->name);
        }
        int64_t iv;
        switch (c) {
        case O_NOTE: note = optarg; break;
        case O_EVIDENCE: evidence = optarg; break;
        case O_LINK:
            if (nlinks == MAX_LINKS)
                return ctl_fail("rectify: at most %d --link", MAX_LINKS);
            links[nlinks++] = optarg;
            break;
        case O_MEASURES: measures = optarg; break;
        case O_PASS:
        case O_FAIL:
            if (result && result != (c == O_PASS ? 1 : 2))
                return ctl_fail("recheck: give --pass or --fail, not both");
            result = c == O_PASS ? 1 : 2;
            break;
        case O_METHOD: method = optarg; break;
        case O_REASON: reason = optarg; break;
        case O_RESOLUTION: resolution = optarg; break;
        case O_OUTCOME: outcome = optarg; break;
        case O_TEXT: text = optarg; break;
        case O_TITLE: title = optarg; break;
        case O_PLATFORM: platform = optarg; break;
        case O_URL: url = optarg; break;
        case O_SEVERITY: severity = optarg; break;
        case O_ACTOR: actor = optarg; break;
        case O_INGEST: ingest = optarg; break;
        case O_SOURCE: source = optarg; break;
        case O_CSERVER: curve_server = optarg; break;
        case O_CKEY: curve_key = optarg; break;
        case O_ID: id = optarg; break;
        case O_TIMEOUT:
            if (!hq_parse_int64(optarg, &iv) || iv < 1 || iv > 600000)
                return ctl_fail("--timeout: expected milliseconds, got \"%s\"", optarg);
            co.timeout_ms = (int)iv;
            break;
        case O_RETRIES:
            if (!hq_parse_int64(optarg, &iv) || iv < 0 || iv > 100)
                return ctl_fail("--retries: expected a count, got \"%s\"", optarg);
            co.retries = (int)iv;
            break;
        case O_TS:
            if (!hq_parse_int64(optarg, &ts) || ts < 0)
                return ctl_fail("--ts: expected ms since the epoch, got \"%s\"", optarg);
            break;
        case 'h': usage(a); return 0;
        default: return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return ctl_fail("%s: give the issue number (like HQ-2026-000123); see houqinctl %s --help", a->name,
                        a->name);
    const char *number = argv[optind++];
    if (!ctl_valid_number(number))
        return ctl_fail("%s: \"%s\" is not an issue number (like HQ-2026-000123)", a->name, number);
    const char *comment = NULL;
    if (!strcmp(a->name, "comment")) {
        if (optind >= argc)
            return ctl_fail("comment: give the comment text after the issue number");
        comment = argv[optind++];
    }
    if (optind < argc)
        return ctl_fail("%s: unexpected argument \"%s\"", a->name, argv[optind]);
    if (!actor || !*actor)
        return ctl_fail("%s: give --actor NAME (the acting person); $USER is not set", a->name);
    if (!strcmp(a->name, "rectify") && (!evidence || !*evidence))
        return ctl_fail("rectify: --evidence TEXT is required");
    if (!strcmp(a->name, "recheck") && !result)
        return ctl_fail("recheck: give --pass or --fail");
    if ((!strcmp(a->name, "close") || !strcmp(a->name, "accountability")) && (!reason || !*reason))
        return ctl_fail("%s: --reason TEXT is required", a->name);
    if (!strcmp(a->name, "opinion") && (!text || !*text))
        return ctl_fail("opinion: --text TEXT is required");
    if (comment && !*comment)
        return ctl_fail("comment: the text is empty");

    hq_err err;
    char spub[41], cpub[41], csec[41];
    if ((curve_server != NULL) != (curve_key != NULL))
        return ctl_fail("%s: --curve-server and --curve-key go together", a->name);
    if (curve_server) {
        if (hq_keyfile_read(curve_server, spub, NULL, &err) != 0 || hq_keyfile_read(curve_key, cpub, csec, &err) != 0)
            return ctl_fail("%s", err.msg);
        co.server_key = spub;
        co.public_key = cpub;
        co.secret_key = csec;
    }
    if (!source)
        source = curve_server ? actor : "houqinctl";
    hq_client *cl;
    if (hq_client_new(ingest, &co, &cl, &err) != 0)
        return ctl_fail("%s", err.msg);
    char idbuf[72];
    if (id)
        snprintf(idbuf, sizeof idbuf, "%s", id);
    else
        hq_client_make_id(cl, idbuf, sizeof idbuf);

    /* data: issue, actor and the action's fields, in a fixed order. */
    const char *kv[16][2];
    size_t n = 0;
    kv[n][0] = "issue", kv[n++][1] = number;
    kv[n][0] = "actor", kv[n++][1] = actor;
#define ADD(k, v) \
    if (v)        \
        kv[n][0] = k, kv[n++][1] = v;
    ADD("note", note);
    ADD("evidence", evidence);
    ADD("measures", measures);
    ADD("result", result == 1 ? "pass" : result == 2 ? "fail" : NULL);
    ADD("method", method);
    ADD("reason", reason);
    ADD("resolution", resolution);
    ADD("outcome", outcome);
    ADD("text", comment);
    /* issue.opinion has no "text" field: the text is the summary. */
    ADD("summary", text);
    ADD("title", title);
    ADD("platform", platform);
    ADD("url", url);
    ADD("severity", severity);
#undef ADD
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    hq_mp_pack_kv(&pk, "id", idbuf);
    hq_mp_pack_kv(&pk, "type", a->type);
    hq_mp_pack_kv(&pk, "source", source);
    hq_mp_pack_str(&pk, "ts");
    msgpack_pack_int64(&pk, ts);
    hq_mp_pack_str(&pk, "data");
    msgpack_pack_map(&pk, n + (nlinks ? 1 : 0));
    for (size_t i = 0; i < n; i++)
        hq_mp_pack_kv(&pk, kv[i][0], kv[i][1]);
    if (nlinks) {
        hq_mp_pack_str(&pk, "photos");
        msgpack_pack_array(&pk, nlinks);
        for (size_t i = 0; i < nlinks; i++)
            hq_mp_pack_str(&pk, links[i]);
    }
    int rc = 0;
    hq_client_reply r;
    if (hq_client_send(cl, idbuf, sb.data, sb.size, &err) != 0 || hq_client_recv(cl, &r, &err) != 0) {
        rc = ctl_fail("%s", err.msg);
    } else if (r.status == HQ_REPLY_STORED || r.status == HQ_REPLY_DUPLICATE) {
        printf("%s %s %s id=%s seq=%llu\n", hq_reply_status_name(r.status), number, a->type, r.id,
               (unsigned long long)r.seq);
    } else {
        fprintf(stderr, "%s %s %s: %s\n", hq_reply_status_name(r.status), number, a->type, r.error);
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
