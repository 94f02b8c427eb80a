/* houqinctl account set|reset|lock|unlock|list: the local log-in accounts
 * of houqin-web (lib/net/account.h; docs/web.md "Console and portal"). */
#include "ctl.h"

#include "account.h"
#include "clock.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static const char help[] =
    "NAME\n"
    "    houqinctl account - log-in accounts of houqin-web's console and portal\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl account set PERSON     [OPTIONS]   password from the terminal or stdin\n"
    "    houqinctl account reset PERSON   [OPTIONS]   a new random password, printed once\n"
    "    houqinctl account lock PERSON    [OPTIONS]   no log-in; ends the person's sessions\n"
    "    houqinctl account unlock PERSON  [OPTIONS]   log-in again; clears a lock-out\n"
    "    houqinctl account list           [OPTIONS]\n"
    "\n"
    "DESCRIPTION\n"
    "    PERSON is a person id of rules/org.yaml (staff or a contractor's contact).\n"
    "    Passwords are stored as Argon2id hashes (libsodium crypto_pwhash_str) in\n"
    "    the accounts file, which is replaced atomically and read by every\n"
    "    houqin-web instance at the next log-in or request.  set and reset also\n"
    "    unlock the account.  A new password, a lock or an unlock ends the\n"
    "    person's sessions (they name the account's stamp).  unlock also clears\n"
    "    the lock-out that houqin-web sets after repeated failed log-ins\n"
    "    (STATE/web-lockout/PERSON).\n"
    "\n"
    "OPTIONS\n"
    "    --state DIR      houqind's state directory (default ./var)\n"
    "    --accounts FILE  the accounts file (default STATE/web-accounts)\n"
    "    --rules DIR      rules, for the people of org.yaml (default " HQ_DEFAULT_RULES_HELP ")\n"
    "    --schemas DIR    schemas (default " HQ_DEFAULT_SCHEMAS_HELP ")\n"
    "    --help           this text\n"
    "\n"
    "EXIT STATUS\n"
    "    0 done; 2 bad usage, an unknown person, a short password, a file error.\n";

static int read_password(char *out, size_t size)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    if (tty) {
        fputs("新密码 (new password, 8+ characters): ", stderr);
        tcgetattr(STDIN_FILENO, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    bool ok = fgets(out, (int)size, stdin) != NULL;
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        fputc('\n', stderr);
    }
    if (!ok)
        return -1;
    size_t n = strlen(out);
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    return 0;
}

/* account list: one line per account. */
static void list_accounts(const hq_accounts *acc)
{
    for (size_t i = 0; i < acc->n; i++) {
        char when[64] = "-";
        if (acc->v[i].changed_ms)
            hq_local_fmt(acc->v[i].changed_ms, when, sizeof when);
        printf("%-24s %-7s %s%s\n", acc->v[i].person, acc->v[i].locked ? "locked" : "active", when,
               acc->v[i].hash[0] ? "" : " (no password)");
    }
}

/* account set (the password from stdin) or reset (a new random one,
 * printed): sets it and unlocks the account.  Returns 0 or the exit
 * status after saying why not. */
static int set_password(hq_account *a, const char *verb, int64_t now)
{
    char pw[1100];
    hq_err err;
    if (!strcmp(verb, "set")) {
        if (read_password(pw, sizeof pw) != 0)
            return ctl_fail("account set: no password on stdin");
    } else {
        /* 16 characters of an alphabet without look-alikes: ~80 bits */
        static const char al[] = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
        for (int i = 0; i < 16; i++)
            pw[i] = al[randombytes_uniform((uint32_t)(sizeof al - 1))];
        pw[16] = '\0';
    }
    if (hq_account_set_password(a, pw, now, &err) != 0) {
        sodium_memzero(pw, sizeof pw);
        return ctl_fail("account %s: %s", verb, err.msg);
    }
    a->locked = false;
    if (!strcmp(verb, "reset"))
        printf("%s\n", pw);
    sodium_memzero(pw, sizeof pw);
    return 0;
}

int cmd_account(int argc, char **argv)
{
    const char *dir = "var", *file = NULL, *rules_dir = HQ_DEFAULT_RULES, *schemas_dir = HQ_DEFAULT_SCHEMAS;
    const hq_opt opts[] = {
        HQ_OPTION_STR("state", &dir),
        HQ_OPTION_STR("accounts", &file),
        HQ_OPTION_STR("rules", &rules_dir),
        HQ_OPTION_STR("schemas", &schemas_dir),
    };
    const char *words[2]; /* the action and the person */
    int prc = ctl_parse_operands(opts, argc, argv, help, "account",
                                 "give set, reset, lock, unlock or list; see houqinctl account --help", words, 2);
    if (prc >= 0)
        return prc;
    const char *verb = words[0], *person = words[1];
    bool list = !strcmp(verb, "list");
    if (!list && strcmp(verb, "set") && strcmp(verb, "reset") && strcmp(verb, "lock") && strcmp(verb, "unlock"))
        return ctl_fail("account: unknown action \"%s\"; see houqinctl account --help", verb);
    if (!list && !person)
        return ctl_fail("account %s: give the person id (rules/org.yaml)", verb);
    if (list && person)
        return ctl_fail("account: unexpected argument \"%s\"", person);
    if (sodium_init() < 0)
        return ctl_fail("account: libsodium does not start");
    char path[4096];
    snprintf(path, sizeof path, "%s", file ? file : "");
    if (!file)
        snprintf(path, sizeof path, "%s/web-accounts", dir);
    hq_schemas *schemas = NULL;
    hq_rules *rules = NULL;
    int rc = ctl_load_rules(rules_dir, schemas_dir, &schemas, &rules);
    if (rc)
        return rc;
    const hq_person *pp = NULL;
    if (person) {
        const hq_person *people;
        size_t n = hq_rules_people(rules, &people);
        for (size_t i = 0; i < n; i++)
            if (!strcmp(people[i].id, person))
                pp = &people[i];
        if (!pp || !hq_account_person_ok(person)) {
            hq_rules_destroy(&rules);
            hq_schemas_destroy(&schemas);
            return ctl_fail("account %s: \"%s\" is not a person of %s/org.yaml", verb, person, rules_dir);
        }
    }
    hq_err err;
    int lk = hq_accounts_lock(path, &err);
    hq_accounts acc;
    if (lk < 0 || hq_accounts_read(path, &acc, &err) != 0) {
        hq_accounts_unlock(lk);
        hq_rules_destroy(&rules);
        hq_schemas_destroy(&schemas);
        return ctl_fail("account: %s", err.msg);
    }
    rc = 0;
    if (list) {
        list_accounts(&acc);
        goto out;
    }
    hq_account *a = hq_accounts_put(&acc, person);
    int64_t now = hq_wall_ms();
    if (!strcmp(verb, "set") || !strcmp(verb, "reset")) {
        if ((rc = set_password(a, verb, now)))
            goto out;
    } else {
        a->locked = !strcmp(verb, "lock");
        a->changed_ms = now;
    }
    if (hq_accounts_write(path, &acc, &err) != 0) {
        rc = ctl_fail("account: %s", err.msg);
        goto out;
    }
    if (strcmp(verb, "lock")) {
        char lo[4200];
        snprintf(lo, sizeof lo, "%s/web-lockout/%s", dir, person);
        if (unlink(lo) != 0 && errno != ENOENT)
            fprintf(stderr, "houqinctl: account: %s: %s\n", lo, strerror(errno));
    }
    fprintf(stderr, "account %s: %s\n", person, !strcmp(verb, "lock") ? "locked" : "active");
out:
    hq_accounts_fini(&acc);
    hq_accounts_unlock(lk);
    hq_rules_destroy(&rules);
    hq_schemas_destroy(&schemas);
    return rc;
}
