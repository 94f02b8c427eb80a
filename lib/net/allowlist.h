/* allowlist.h - CURVE producer keys and what each may send (SPEC §7).
 *
 *   producers:
 *     - {source: gw-canteen-1, key: "<40-char Z85 public key>", types: [sensor.reading]}
 *     - {source: console-office, key: "...", types: ["*"]}     # every type
 *     - {source: web-1, key: "...", types: [issue.comment], on_behalf: [supervisor, section_head]}
 *
 * on_behalf makes the producer a gateway (houqin-web) that acts for
 * logged-in people: only such a source may name a data.actor in a
 * lifecycle event (perm.h); true for every role, or the list of roles
 * (codes of vocab.h, checked by houqind against the rule set) whose
 * holders it may act for; "complainant" lets it send complaint.feedback.
 *
 * houqind's ZAP handler accepts a CURVE client only if its public key is
 * listed, and binds the connection to the entry's source id (the ZAP
 * User-Id); each event's `source` must equal it and its `type` must be
 * allowed.  Key files (houqinctl keygen) hold "public: <z85>" and, for the
 * secret file, "secret: <z85>".
 */
#ifndef HQ_ALLOWLIST_H
#define HQ_ALLOWLIST_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct hq_allowlist hq_allowlist;

typedef struct hq_producer {
    char *source;
    char key[41];     /* Z85 public key */
    char **types;     /* "*" allows every type */
    size_t ntypes;
    bool on_behalf;   /* a gateway acting for people */
    char **roles;     /* on_behalf: the roles it may act for; none = every role */
    size_t nroles;
    int line, column; /* where the entry is, for cross-checks by the caller */
} hq_producer;

/* The file the list was loaded from (for diagnostics of cross-checks). */
const char *hq_allowlist_file(const hq_allowlist *a);
/* Whether p may act for a holder of the role named role. */
bool hq_producer_acts_for(const hq_producer *p, const char *role);

int hq_allowlist_load(const char *path, hq_allowlist **out, hq_diags *diags);
/* The administrators allowed on houqind's control socket (--control-keys):
 *
 *   administrators:
 *     - {name: alice, key: "<40-char Z85 public key>"}
 *
 * Loaded into the same table: an entry's source is the name, and it may
 * send no event type.  Diagnostics as for hq_allowlist_load. */
int hq_adminlist_load(const char *path, hq_allowlist **out, hq_diags *diags);
void hq_allowlist_destroy(hq_allowlist **a);
size_t hq_allowlist_count(const hq_allowlist *a);
/* The i-th entry (file order), NULL past the end. */
const hq_producer *hq_allowlist_at(const hq_allowlist *a, size_t i);
/* The producer with this Z85 public key, or NULL. */
const hq_producer *hq_allowlist_by_key(const hq_allowlist *a, const char *z85);
const hq_producer *hq_allowlist_by_source(const hq_allowlist *a, const char *source, size_t len);
bool hq_producer_may_send(const hq_producer *p, const char *type, size_t len);

/* Key files.  hq_keyfile_read fills public (41 bytes) and, if secret is
 * not NULL, secret (41 bytes; HQ_ENOTFOUND when the file has none). */
int hq_keyfile_read(const char *path, char *public_z85, char *secret_z85, hq_err *err);
/* Writes path (secret, mode 0600) and path.pub (public, 0644). */
int hq_keyfile_write_pair(const char *path, hq_err *err);

#endif
