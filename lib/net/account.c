/* Local log-in accounts: the accounts file, Argon2id hashes (account.h). */
#include "account.h"

#include "buf.h"
#include "file.h"
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(HQ_ACCOUNT_HASH_MAX == crypto_pwhash_STRBYTES, "hash size");

bool hq_account_person_ok(const char *p)
{
    size_t n = strlen(p);
    if (n < 1 || n > HQ_ACCOUNT_PERSON_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

void hq_accounts_fini(hq_accounts *a)
{
    free(a->v);
    a->v = NULL;
    a->n = 0;
}

hq_account *hq_accounts_find(const hq_accounts *a, const char *person)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].person, person) == 0)
            return &a->v[i];
    return NULL;
}

hq_account *hq_accounts_put(hq_accounts *a, const char *person)
{
    hq_account *x = hq_accounts_find(a, person);
    if (x)
        return x;
    a->v = hq_reallocarray(a->v, a->n + 1, sizeof *a->v);
    x = &a->v[a->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->person, sizeof x->person, "%s", person);
    x->locked = true;
    return x;
}

typedef struct read_ctx {
    const char *path;
    hq_accounts *out;
    hq_err *err;
} read_ctx;

static int read_line(void *ctx, char *line, int lineno)
{
    read_ctx *c = ctx;
    char person[128], hash[256], st[16];
    long long ms;
    if (sscanf(line, "%127s %255s %15s %lld", person, hash, st, &ms) != 4 || !hq_account_person_ok(person) ||
        strlen(hash) >= HQ_ACCOUNT_HASH_MAX || (strcmp(st, "active") && strcmp(st, "locked")))
        return hq_err_set(c->err, HQ_EINVAL, "%s:%d: expected PERSON HASH active|locked MS", c->path, lineno);
    if (hq_accounts_find(c->out, person))
        return hq_err_set(c->err, HQ_EINVAL, "%s:%d: %s is listed twice", c->path, lineno, person);
    hq_account *a = hq_accounts_put(c->out, person);
    snprintf(a->hash, sizeof a->hash, "%s", strcmp(hash, "-") ? hash : "");
    a->locked = strcmp(st, "locked") == 0;
    a->changed_ms = ms;
    return 0;
}

int hq_accounts_read(const char *path, hq_accounts *out, hq_err *err)
{
    out->v = NULL;
    out->n = 0;
    read_ctx c = {.path = path, .out = out, .err = err};
    int rc = hq_file_each_line(path, 512, read_line, &c, err);
    if (rc)
        hq_accounts_fini(out);
    return rc;
}

int hq_accounts_write(const char *path, const hq_accounts *a, hq_err *err)
{
    hq_buf b;
    hq_buf_init(&b);
    hq_buf_puts(&b, "# houqin-web accounts: written by `houqinctl account`; do not edit by hand.\n"
                    "# person argon2id-hash active|locked changed-ms\n");
    for (size_t i = 0; i < a->n; i++)
        hq_buf_printf(&b, "%s %s %s %lld\n", a->v[i].person, a->v[i].hash[0] ? a->v[i].hash : "-",
                      a->v[i].locked ? "locked" : "active", (long long)a->v[i].changed_ms);
    int rc = hq_file_replace(path, b.data, b.len, 0640, err);
    hq_buf_fini(&b);
    return rc;
}

int hq_accounts_lock(const char *path, hq_err *err)
{
    return hq_file_lock(path, err);
}

void hq_accounts_unlock(int fd)
{
    hq_file_unlock(fd);
}

int hq_account_set_password(hq_account *a, const char *password, int64_t now_ms, hq_err *err)
{
    size_t n = strlen(password);
    if (n < 8 || n > 1024)
        return hq_err_set(err, HQ_EINVAL, "a password has 8 to 1024 characters");
    if (crypto_pwhash_str(a->hash, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return hq_err_set(err, HQ_ENOMEM, "Argon2id could not get its memory");
    a->changed_ms = now_ms;
    return 0;
}

/* A fixed hash of a random password: what a verification costs. */
static char dummy_hash[crypto_pwhash_STRBYTES];

void hq_account_verify_dummy(const char *password)
{
    if (!dummy_hash[0]) {
        char pw[33];
        unsigned char r[16];
        randombytes_buf(r, sizeof r);
        sodium_bin2hex(pw, sizeof pw, r, sizeof r);
        if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
            return;
    }
    if (crypto_pwhash_str_verify(dummy_hash, password, strlen(password)) == 0)
        return; /* a random password guessed: nothing to do either way */
}

bool hq_account_verify(const hq_account *a, const char *password)
{
    if (!a->hash[0]) {
        hq_account_verify_dummy(password);
        return false;
    }
    bool ok = crypto_pwhash_str_verify(a->hash, password, strlen(password)) == 0;
    return ok && !a->locked;
}

void hq_account_stamp(const hq_account *a, char out[HQ_ACCOUNT_STAMP_LEN + 1])
{
    unsigned char h[HQ_ACCOUNT_STAMP_LEN / 2];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)a->hash, strlen(a->hash));
    crypto_generichash_update(&st, (const unsigned char *)(a->locked ? "L" : "A"), 1);
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, HQ_ACCOUNT_STAMP_LEN + 1, h, sizeof h);
}
