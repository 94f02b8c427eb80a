/* pii.c - the access record of an export with personal data (SPEC §6a;
 * issue 13 item 6; schemas/audit.pii_access.yaml).
 *
 * An export with complainants' contact data (ledger --include-pii,
 * issue --json --include-pii) first sends an audit.pii_access event
 * {actor, what, purpose, host} to houqind through the ingest socket and
 * prints only after houqind acknowledged it as stored: houqind lets it
 * through only for a person whose roles the permission table lets
 * pii_export (and with CURVE only for the key's own person), so the
 * tamper-evident event log holds who saw personal data, when and what.
 * Refused, or houqind not answering: the reason on stderr, exit 1,
 * nothing printed. */
#include "ctl.h"

#include "allowlist.h"
#include "client.h"
#include "mp.h"

#include <msgpack.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int ctl_pii_check(const ctl_pii *p, const char *cmd)
{
    if (!p->on)
        return 0;
    if (!p->actor || !*p->actor)
        return ctl_fail("%s: --include-pii needs --actor PERSON (who exports personal data: recorded as "
                        "audit.pii_access through houqind before anything is printed)",
                        cmd);
    if ((p->curve_server != NULL) != (p->curve_key != NULL))
        return ctl_fail("%s: --curve-server and --curve-key go together", cmd);
    return 0;
}

/* "ledger --from 2026-03-01 ... --include-pii": the command and its
 * filters, without the options that are recorded apart (actor, purpose)
 * or say only where things are (state, rules, keys), at most 200 bytes,
 * cut on a UTF-8 boundary. */
static void what_of(int argc, char **argv, char *out, size_t size)
{
    static const char *const skip[] = {"--state", "--rules", "--schemas", "--ingest", "--actor",
                                       "--purpose", "--curve-server", "--curve-key", NULL};
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < argc; i++) {
        bool skipped = false;
        for (size_t k = 0; skip[k] && !skipped; k++) {
            size_t l = strlen(skip[k]);
            if (!strncmp(argv[i], skip[k], l) && (argv[i][l] == '\0' || argv[i][l] == '=')) {
                skipped = true;
                if (argv[i][l] == '\0')
                    i++; /* its value */
            }
        }
        if (skipped)
            continue;
        int n = snprintf(out + o, size - o, "%s%s", o ? " " : "", argv[i]);
        if (n < 0 || (size_t)n >= size - o)
            break;
        o += (size_t)n;
    }
    if (o > 200)
        o = 200;
    while (o > 0 && ((unsigned char)out[o] & 0xC0) == 0x80)
        o--;
    out[o] = '\0';
}

int ctl_pii_record(const ctl_pii *p, const char *cmd, int argc, char **argv, int64_t ts_ms)
{
    if (!p->on)
        return 0;
    hq_err err;
    hq_client_opts co = {.timeout_ms = 2500, .retries = 1};
    char spub[41], cpub[41], csec[41];
    if (p->curve_server) {
        if (hq_keyfile_read(p->curve_server, spub, NULL, &err) != 0 ||
            hq_keyfile_read(p->curve_key, cpub, csec, &err) != 0) {
            ctl_fail("%s: %s", cmd, err.msg);
            return EXIT_REFUSED;
        }
        co.server_key = spub;
        co.public_key = cpub;
        co.secret_key = csec;
    }
    hq_client *cl;
    if (hq_client_new(p->ingest ? p->ingest : HQ_DEFAULT_INGEST, &co, &cl, &err) != 0) {
        ctl_fail("%s: %s", cmd, err.msg);
        return EXIT_REFUSED;
    }
    char id[72], what[256], host[256] = "";
    hq_client_make_id(cl, id, sizeof id);
    what_of(argc, argv, what, sizeof what);
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    hq_mp_pack_kv(&pk, "id", id);
    hq_mp_pack_kv(&pk, "type", "audit.pii_access");
    /* with CURVE a staff key sends as its person, as the actions do */
    hq_mp_pack_kv(&pk, "source", p->curve_server ? p->actor : "houqinctl");
    hq_mp_pack_str(&pk, "ts");
    msgpack_pack_int64(&pk, ts_ms);
    hq_mp_pack_str(&pk, "data");
    msgpack_pack_map(&pk, 2 + (p->purpose && *p->purpose) + (host[0] != '\0'));
    hq_mp_pack_kv(&pk, "actor", p->actor);
    hq_mp_pack_kv(&pk, "what", what);
    if (p->purpose && *p->purpose)
        hq_mp_pack_kv(&pk, "purpose", p->purpose);
    if (host[0])
        hq_mp_pack_kv(&pk, "host", host);
    int rc = 0;
    hq_client_reply r;
    if (hq_client_send(cl, id, sb.data, sb.size, &err) != 0 || hq_client_recv(cl, &r, &err) != 0) {
        ctl_fail("%s: personal data not exported: %s", cmd, err.msg);
        rc = EXIT_REFUSED;
    } else if (r.status == HQ_REPLY_TIMEOUT) {
        ctl_fail("%s: personal data not exported: houqind did not record the access (audit.pii_access) at %s: %s",
                 cmd, p->ingest ? p->ingest : HQ_DEFAULT_INGEST, r.error);
        rc = EXIT_REFUSED;
    } else if (r.status == HQ_REPLY_REJECTED) {
        ctl_fail("%s: personal data not exported: houqind refused the access record: %s", cmd, r.error);
        rc = EXIT_REFUSED;
    }
    msgpack_sbuffer_destroy(&sb);
    hq_client_destroy(&cl);
    return rc;
}
