/* alert_route.h - from an outbox record to the deliveries it needs.
 *
 * hq_alert_rec_decode() reads an outbox record (the msgpack map houqind
 * writes, SPEC §5) through the hostile-safe decoder into owned strings.
 * hq_alert_route() decides who gets it on which channel, written for whom
 * (audience), and when (policies): it resolves the record's roles to
 * people through the organisation (hq_rules), takes each person's
 * channels from the alert configuration, and applies quiet hours and
 * digests at the given time.  No I/O, no clock reads.
 *
 * Recipients: a person's id; "complainant:<issue>" for the complainant of
 * a feedback record (their contact is taken from the record when the
 * delivery is made, never copied into the route); "group" on a shared
 * channel (a group robot gets one message per alert, not one per person).
 * A delivery that cannot be made (a person without channels, a contact
 * that is neither an e-mail address nor a phone number, no complainant
 * channel configured) is still a route, with channel "-" and a problem:
 * the caller dead-letters it so that it is visible, never silently lost.
 *
 * Failover: with policies.failover, a person's channel entries from the
 * first `fallback: true` one on (unless it is the first entry) are not
 * routed; the caller watches the person (hq_watch) and routes them when the
 * first ones have not delivered in time.
 */
#ifndef HQ_ALERT_ROUTE_H
#define HQ_ALERT_ROUTE_H

#include "alert_config.h"
#include "err.h"
#include "rules.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest recipient id (person ids longer than this cannot be routed). */
#define HQ_RECIPIENT_MAX 96

typedef struct hq_alert_rec {
    uint64_t seq;
    int64_t ts_ms, deadline_ms;
    int level;
    /* Never NULL after decode ("" when the record has none or nil). */
    char *kind, *issue, *rule, *domain, *contractor, *site, *severity, *title, *text;
    char *contact;      /* feedback only, else NULL: personal data, never log it */
    char *outcome;      /* feedback: the outcome given at closing ("" when none was given) */
    char **roles;       /* role names as written by houqind */
    size_t nroles;
} hq_alert_rec;

/* Decodes a record; on error (not msgpack, not a map, no seq or kind)
 * returns HQ_EINVAL with a reason and leaves *out empty. */
int hq_alert_rec_decode(const char *buf, size_t len, hq_alert_rec *out, hq_err *err);
void hq_alert_rec_fini(hq_alert_rec *r);

typedef struct hq_route {
    char recipient[HQ_RECIPIENT_MAX + 16];
    char channel[HQ_CHANNEL_NAME_MAX + 1]; /* "-" when problem is set */
    hq_audience audience;                  /* office, contractor or complainant */
    bool urgent;                           /* at or above policies.urgent: never held or limited */
    bool digest;                           /* to be gathered into a digest due at ready_ms */
    int64_t ready_ms;                      /* not before (policy clock) */
    const char *problem;                   /* static text: cannot be delivered */
} hq_route;

typedef struct hq_routes {
    hq_route *v;
    size_t n, cap;
} hq_routes;

void hq_routes_fini(hq_routes *r);

/* Appends rec's deliveries to out (which the caller inits to zero). */
void hq_alert_route(const hq_rules *rules, const hq_alert_config *cfg, const hq_alert_rec *rec, int64_t now_ms,
                    hq_routes *out);

/* What kind of contact a complainant gave: 'e' an e-mail address, 'p' a
 * phone number, 0 neither. */
int hq_contact_kind(const char *contact);

#endif
