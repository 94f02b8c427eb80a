/* alert_check.h - what in a loaded alert configuration cannot work
 * (houqin-alertd --check; docs/alertd.md, "Checking the configuration").
 *
 * Loading (alert_config.h) proves the files are well formed; this module
 * looks at what they point to:
 *   - command channels whose program is missing or not executable;
 *   - file channels whose directory is missing or not writable (or whose
 *     file exists and is not writable);
 *   - webhook and SMTP URLs that do not parse (scheme://host[:port]/...);
 *   - placeholder addresses: hosts and e-mail domains under example.*,
 *     *.example, *.invalid, *.test, *.localhost or localhost itself,
 *     "CHANGE-ME"-style words, "..." and <angle brackets> left from a
 *     sample, empty addresses, made-up phone numbers (six equal digits in a
 *     row, 13800138000);
 *   - people whose every channel is broken by one of the above, or who have
 *     no channel at all.
 * Each finding is a diagnostic at the file:line:column where the thing is
 * written, whose message says what is wrong and then, after "; fix: ", what
 * to do.  Hosts on the loopback interface (127.0.0.0/8, ::1, localhost in a
 * URL) are reported as notes, not problems: a local relay is a normal
 * set-up, and only a probe can tell whether something answers there.
 *
 * The checks read the file system (stat, access) and nothing else: no
 * network, no clock.  Probing servers is houqin-alertd's (--probe).
 */
#ifndef HQ_ALERT_CHECK_H
#define HQ_ALERT_CHECK_H

#include "alert_config.h"
#include "err.h"
#include "rules.h"

#include <stdbool.h>
#include <stddef.h>

/* A parsed absolute URL: scheme://[user[:pass]@]host[:port][/path][?query].
 * host is without the brackets of an IPv6 literal; port is the stated one,
 * else the scheme's default (http 80, https 443, smtp 25, smtps 465). */
typedef struct hq_url {
    char scheme[16];
    char host[256];
    unsigned port;
    bool ipv6;
} hq_url;

/* Parses s.  Returns 0, or HQ_EINVAL with the reason in err ("no host",
 * "port 99999 out of range", ...). */
int hq_url_parse(const char *s, hq_url *out, hq_err *err);

typedef enum { HQ_ADDR_KIND_EMAIL, HQ_ADDR_KIND_PHONE, HQ_ADDR_KIND_URL, HQ_ADDR_KIND_OTHER } hq_addr_kind;

/* Why addr looks like a placeholder ("example.edu.cn is a placeholder
 * domain", ...), or NULL when it does not.  The reason is a static string
 * or is written into buf. */
const char *hq_addr_placeholder(const char *addr, hq_addr_kind kind, char *buf, size_t size);

/* Whether host names the loopback interface (localhost, 127.0.0.0/8, ::1). */
bool hq_host_loopback(const char *host);

/* Checks cfg against the people of the rules (people, n).  Appends each
 * thing that cannot work to problems and each that may not (loopback
 * hosts) to notes; either may be NULL when not wanted.  Returns the number
 * of problems added. */
size_t hq_alert_check(const hq_alert_config *cfg, const hq_person *people, size_t n, hq_diags *problems,
                      hq_diags *notes);

/* Splits an "at" of the configuration ("file:line:column") into a
 * diagnostic's position and adds the message there. */
void hq_diags_add_at(hq_diags *d, const char *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
