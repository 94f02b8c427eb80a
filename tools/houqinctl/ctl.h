/* ctl.h - shared pieces of houqinctl's commands. */
#ifndef HQCTL_H
#define HQCTL_H

#include "buf.h"
#include "err.h"
#include "issue.h"
#include "opts.h"
#include "rules.h"
#include "schema.h"
#include "store.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#define HQ_DEFAULT_INGEST "tcp://127.0.0.1:7601"
#define HQ_DEFAULT_CONTROL "tcp://127.0.0.1:7603"

/* Exit codes: 0 success, 1 the action was refused (an event rejected, a
 * check failed), 2 bad usage or bad input (unknown issue, bad date, ...). */
enum { EXIT_REFUSED = 1, EXIT_USAGE = 2 };

typedef struct ctl_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} ctl_cmd;

/* Prints "houqinctl: <msg>" to stderr and returns EXIT_USAGE. */
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One request/reply on the control socket; *reply is decoded into zone.
 * Returns 0, or prints the problem and returns an exit code.  With CURVE
 * configured (ctl_control_curve, else the environment variables
 * HQ_CONTROL_CURVE_SERVER and HQ_CONTROL_CURVE_KEY) the connection is
 * encrypted and authenticated with an administrator's key, and a key
 * houqind refuses is reported as such rather than as a timeout. */
int ctl_control_call(const char *endpoint, const char *req, size_t len, int timeout_ms, msgpack_zone *zone,
                     msgpack_object *reply, char **raw_out);
/* A reply of the control socket: obj lives in zone and raw; the caller
 * calls ctl_reply_fini whatever the call returned. */
typedef struct ctl_reply {
    msgpack_zone zone;
    msgpack_object obj;
    char *raw;
} ctl_reply;
/* ctl_control_call into r. */
int ctl_control_ask(const char *endpoint, const char *req, size_t len, int timeout_ms, ctl_reply *r);
/* The status request (houqinctl status, stats), with a 5 s timeout. */
int ctl_control_status(const char *endpoint, ctl_reply *r);
void ctl_reply_fini(ctl_reply *r);
/* The key files for CURVE on the control socket (the --curve-server and
 * --curve-key options of the commands that use it); NULL leaves the
 * environment's. */
void ctl_control_curve(const char *server_file, const char *key_file);

/* ---- common.c ---- */

/* Opens the state read-only and begins a read transaction (a snapshot).
 * Prints a one-line error and returns EXIT_USAGE when dir does not exist
 * or is not a houqin state. */
int ctl_open_state(const char *dir, hq_store **s, MDB_txn **txn);
void ctl_close_state(hq_store **s, MDB_txn *txn);
/* Opens the state of dir as ctl_open_state does, runs fn on the snapshot
 * and closes it: fn's exit status, or ctl_open_state's. */
typedef int ctl_state_fn(hq_store *s, MDB_txn *txn, void *ctx);
int ctl_with_state(const char *dir, ctl_state_fn *fn, void *ctx);
/* The state's "now": the manual clock houqind saved in it, else the wall
 * clock. */
int64_t ctl_state_now_ms(hq_store *s, MDB_txn *txn);
/* Loads schemas and rules; prints the first problem (and how many more)
 * and returns EXIT_USAGE when they do not load. */
int ctl_load_rules(const char *rules_dir, const char *schemas_dir, hq_schemas **schemas, hq_rules **rules);
/* Installs the labels of the rules' vocabulary (rules/vocabulary.yaml)
 * for the human output, by loading the rules; when they do not load, says
 * so on stderr and the built-in labels stay. */
void ctl_use_vocab(const char *rules_dir, const char *schemas_dir);
/* Calls fn for every issue of the state that loads, in number order; with
 * a label, a progress bar (ctl_progress) runs meanwhile. */
typedef void ctl_issue_fn(const hq_issue *is, void *ctx);
void ctl_each_issue(hq_store *s, MDB_txn *txn, const char *label, ctl_issue_fn *fn, void *ctx);
/* Appends text, then spaces up to width columns of a terminal (a CJK
 * character takes two). */
void ctl_pad(hq_buf *b, const char *text, int width);
/* Prints out when rc is 0 (the command's whole output, only once it is
 * complete), frees it, and returns rc. */
int ctl_emit(int rc, hq_buf *out);
/* HQ-YYYY-NNNNNN (any number of digits after the year). */
bool ctl_valid_number(const char *s);
/* Prints usage text for --help: text to stdout, returns 0. */
int ctl_help(const char *text);
/* Parses the options of command cmd from a table (lib/core/opts.h) of
 * the command's own options: --help (usage printed) and the table's end
 * are added here, for every command alike.  ctl_parse_opts takes the
 * table as an array (at most CTL_MAX_OPTS entries).  Returns -1 when the
 * command goes on, its operands from *next (next NULL: the command takes
 * none, and one is refused); else the exit status: 0 after --help
 * printed usage, EXIT_USAGE after an unknown option, a refused value or
 * an operand (said on stderr). */
enum { CTL_MAX_OPTS = 60 };
int ctl_parse_table(const hq_opt *opts, size_t n, int argc, char **argv, const char *usage, const char *cmd,
                    int *next);
#define ctl_parse_opts(opts, argc, argv, usage, cmd, next)                                                    \
    ctl_parse_table((opts), sizeof(opts) / sizeof((opts)[0]), (argc), (argv), (usage), (cmd), (next))
/* The same for a command of 1 to max operands: they go to ops[0..max),
 * those not given NULL.  None is refused with "CMD: MISSING", one more
 * than max with "CMD: unexpected argument". */
int ctl_parse_table_operands(const hq_opt *opts, size_t n, int argc, char **argv, const char *usage,
                             const char *cmd, const char *missing, const char **ops, int max);
#define ctl_parse_operands(opts, argc, argv, usage, cmd, missing, ops, max)                                  \
    ctl_parse_table_operands((opts), sizeof(opts) / sizeof((opts)[0]), (argc), (argv), (usage), (cmd),         \
                             (missing), (ops), (max))
/* The options of the commands that talk to houqind's control socket. */
#define CTL_CONTROL_OPTIONS(control, curve_server, curve_key)                                                 \
    HQ_OPTION_STR("control", control), HQ_OPTION_STR("curve-server", curve_server),                          \
        HQ_OPTION_STR("curve-key", curve_key)

/* A progress bar on stderr, drawn only when stderr is a terminal, at
 * most ten times a second; ctl_progress_end clears it. */
typedef struct ctl_progress {
    bool on;
    const char *label;
    uint64_t total;
    int64_t last_ms;
} ctl_progress;
void ctl_progress_begin(ctl_progress *p, const char *label, uint64_t total);
void ctl_progress_update(ctl_progress *p, uint64_t done);
void ctl_progress_end(ctl_progress *p);

/* Exports with personal data (pii.c): the audit.pii_access record sent
 * to houqind, and stored, before anything is printed.  A command adds
 * CTL_PII_OPTIONS to its option table and --include-pii to set on, calls
 * ctl_pii_check before reading and ctl_pii_record (0, or EXIT_REFUSED with
 * the reason on stderr) before printing. */
#define CTL_PII_HELP                                                                                          \
    "    --actor PERSON       who exports (a person of rules/org.yaml); needed with\n"                           \
    "                         --include-pii\n"                                                                  \
    "    --purpose TEXT       why (recorded with the access)\n"                                                 \
    "    --ingest EP          houqind's ingest endpoint, where the access record goes\n"                        \
    "                         (default " HQ_DEFAULT_INGEST ")\n"                                                \
    "    --curve-server FILE, --curve-key FILE\n"                                                              \
    "                         CURVE: houqind's public key and your staff key pair\n"
#define CTL_PII_TEXT                                                                                          \
    "    Personal data (--include-pii) is printed only after houqind stored an\n"                               \
    "    audit.pii_access event (who, when, what, why) in its tamper-evident log;\n"                           \
    "    houqind refuses it unless the permission table lets one of the actor's roles\n"                       \
    "    pii_export (the office's leaders and admins in the shipped table), and with\n"                        \
    "    CURVE the actor must be the key's person.  Refused, or houqind not\n"                                  \
    "    answering: the reason on stderr, exit status 1, nothing printed.\n"
/* The options CTL_PII_HELP describes, in an hq_opt table, into a ctl_pii. */
#define CTL_PII_OPTIONS(p)                                                                                    \
    HQ_OPTION_STR("actor", &(p)->actor), HQ_OPTION_STR("purpose", &(p)->purpose),                            \
        HQ_OPTION_STR("ingest", &(p)->ingest), HQ_OPTION_STR("curve-server", &(p)->curve_server),            \
        HQ_OPTION_STR("curve-key", &(p)->curve_key)
typedef struct ctl_pii {
    bool on;
    const char *actor, *purpose, *ingest, *curve_server, *curve_key;
} ctl_pii;
int ctl_pii_check(const ctl_pii *p, const char *cmd);
int ctl_pii_record(const ctl_pii *p, const char *cmd, int argc, char **argv, int64_t ts_ms);

/* ---- document.c: the commands that print documents (notice, evaluation,
 * ledger) ---- */

/* Their common options: add CTL_DOC_OPTIONS to the command's option table
 * and start from ctl_doc_init (the defaults: ./var and the installed rules
 * and schemas). */
typedef struct ctl_doc {
    const char *format, *state, *rules, *schemas, *output;
} ctl_doc;
#define CTL_DOC_OPTIONS(d)                                                                                    \
    HQ_OPTION_STR("format", &(d)->format), HQ_OPTION_STR("state", &(d)->state),                              \
        HQ_OPTION_STR("rules", &(d)->rules), HQ_OPTION_STR("schemas", &(d)->schemas),                        \
        HQ_OPTION_STR("output", &(d)->output)
void ctl_doc_init(ctl_doc *d);
/* The index of --format in formats (NULL-terminated), or -1 after printing
 * what is missing or wrong. */
int ctl_doc_format(const ctl_doc *d, const char *cmd, const char *const *formats);
/* Loads --rules against --schemas and opens --state read-only (a
 * snapshot); 0, or EXIT_USAGE after the message, with nothing left open.
 * ctl_doc_close undoes it. */
int ctl_doc_open(const ctl_doc *d, hq_schemas **schemas, hq_rules **rules, hq_store **s, MDB_txn **txn);
void ctl_doc_close(hq_schemas **schemas, hq_rules **rules, hq_store **s, MDB_txn *txn);
/* Writes the document to --output or stdout; 0 or EXIT_USAGE. */
int ctl_doc_write(const ctl_doc *d, const hq_buf *out);
/* Writes out, or with pdf the PDF that ctl_doc_pdf prints it to (cmd
 * names the command in messages); frees out.  0 or EXIT_USAGE. */
int ctl_doc_emit(const ctl_doc *d, const char *cmd, bool pdf, hq_buf *out);
/* Prints html to PDF with headless Chromium (HQ_CHROMIUM, else chromium on
 * PATH; at most 120 s) into pdf; 0, or EXIT_USAGE after a message that says
 * what to install when Chromium is missing. */
int ctl_doc_pdf(const char *cmd, const hq_buf *html, hq_buf *pdf);

int cmd_send(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_clock(int argc, char **argv);
int cmd_issues(int argc, char **argv);
int cmd_issue(int argc, char **argv);
int cmd_outbox(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_backtest(int argc, char **argv);
int cmd_obligations(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_deadletters(int argc, char **argv);
int cmd_ack(int argc, char **argv);
int cmd_rectify(int argc, char **argv);
int cmd_recheck(int argc, char **argv);
int cmd_comment(int argc, char **argv);
int cmd_close(int argc, char **argv);
int cmd_opinion(int argc, char **argv);
int cmd_accountability(int argc, char **argv);
int cmd_ledger(int argc, char **argv);
int cmd_notice(int argc, char **argv);
int cmd_evaluation(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_account(int argc, char **argv);

#endif
