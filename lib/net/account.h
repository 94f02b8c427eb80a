/* account.h - local log-in accounts of houqin-web (people of rules/org.yaml).
 *
 * The accounts file (default STATE/web-accounts) is text, one account per
 * line, written only by `houqinctl account` and read by every houqin-web
 * instance:
 *
 *   # comment
 *   PERSON SP ARGON2ID-HASH SP active|locked SP CHANGED-MS LF
 *
 * The hash is libsodium's crypto_pwhash_str (Argon2id, interactive limits:
 * 64 MiB, 2 passes), which carries its own salt and parameters.  Why a file
 * and not the LMDB state: houqind is the state's only writer and knows
 * nothing of passwords; a file beside the state is backed up with it, is
 * read by several web instances without a server-side store, and is
 * replaced atomically (hq_accounts_write: temporary file, fsync, rename,
 * directory fsync), so a reader sees the old file or the new one, never a
 * half-written one.  Writers serialise on PATH.lock (flock).
 *
 * The stamp of an account is a short hash of its password hash and state:
 * a session names it, so that a new password or a lock ends the sessions
 * made before (stateless sessions cannot be revoked any other way).
 *
 * Functions return 0 or a negative HQ_E* with detail in the optional err.
 */
#ifndef HQ_ACCOUNT_H
#define HQ_ACCOUNT_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HQ_ACCOUNT_PERSON_MAX 64
#define HQ_ACCOUNT_HASH_MAX 128   /* crypto_pwhash_STRBYTES */
#define HQ_ACCOUNT_STAMP_LEN 16   /* hex characters */

typedef struct hq_account {
    char person[HQ_ACCOUNT_PERSON_MAX + 1];
    char hash[HQ_ACCOUNT_HASH_MAX];
    bool locked;
    int64_t changed_ms;
} hq_account;

typedef struct hq_accounts {
    hq_account *v;
    size_t n;
} hq_accounts;

/* Reads path; a missing file is no accounts (0).  A malformed line is
 * HQ_EINVAL with "path:line: reason"; nothing is kept then. */
int hq_accounts_read(const char *path, hq_accounts *out, hq_err *err);
/* Writes atomically (mode 0640). */
int hq_accounts_write(const char *path, const hq_accounts *a, hq_err *err);
void hq_accounts_fini(hq_accounts *a);
/* Takes PATH.lock exclusively for a read-modify-write: returns the lock's
 * descriptor (>= 0) for hq_accounts_unlock, or HQ_EIO. */
int hq_accounts_lock(const char *path, hq_err *err);
void hq_accounts_unlock(int fd);

hq_account *hq_accounts_find(const hq_accounts *a, const char *person);
/* The account of person, added (no password, locked) when missing. */
hq_account *hq_accounts_put(hq_accounts *a, const char *person);

/* Person ids: 1-64 of [a-z0-9._-], as in rules/org.yaml. */
bool hq_account_person_ok(const char *person);
/* Hashes a password (8-1024 bytes) into a->hash; HQ_EINVAL for a bad
 * length, HQ_ENOMEM when Argon2id cannot get its memory. */
int hq_account_set_password(hq_account *a, const char *password, int64_t now_ms, hq_err *err);
/* True when the account is active and the password matches (constant
 * time in the password; Argon2id's cost is paid even for a locked or
 * password-less account, so timing does not tell them apart). */
bool hq_account_verify(const hq_account *a, const char *password);
/* Pays the cost of one verification (for an unknown person). */
void hq_account_verify_dummy(const char *password);
/* HQ_ACCOUNT_STAMP_LEN hex characters and a NUL. */
void hq_account_stamp(const hq_account *a, char out[HQ_ACCOUNT_STAMP_LEN + 1]);

#endif
