/* retention.h - how long the event log keeps each event type (the
 * `retention:` section of the rules directory, usually rules/retention.yaml;
 * the format is in rules/README.md).
 *
 * The policy only says how old an event of a type may grow in LMDB.  What
 * is removed, and when, is decided by lib/state/retention.c, which also
 * keeps evidence of issues and what rule state points at, and removes
 * nothing that has not been archived first (lib/state/archive.c).
 *
 * Checked at load, every problem reported as file:line:column:
 *   - an event type that no schema defines;
 *   - a duration for a record type (complaint.*, inspection.*, issue.*:
 *     records the office must keep, R6), or a `default:` duration while a
 *     record type is not listed as `keep`;
 *   - a duration shorter than the longest window of a rule that reads the
 *     type (count window, sustained time plus self-clearing, stale time):
 *     the rule would be reading events that are gone.  A recurrence window
 *     does not count: recurrence reads the group's last closed issue, not
 *     events, and an issue's evidence is never removed;
 *   - a duration shorter than HQ_RETENTION_MIN_MS: the dedup record of an
 *     event goes with it, so the retention is also how long a producer's
 *     retry of it is still answered "duplicate".
 *
 * A rule set without a `retention:` section has no policy
 * (hq_rules_retention returns NULL): nothing is ever removed.
 */
#ifndef HQ_RETENTION_H
#define HQ_RETENTION_H

#include "err.h"
#include "ytree.h"

#include <stddef.h>
#include <stdint.h>

#define HQ_RETENTION_KEEP INT64_MAX          /* never removed */
#define HQ_RETENTION_MIN_MS (7LL * 86400000) /* the dedup horizon: 7 days */
#define HQ_RETENTION_EVERY_MS (3600000LL)    /* a run starts every hour unless `every:` says otherwise */

typedef struct hq_retention hq_retention;
struct hq_rules;
struct hq_schemas;

/* Loads the `retention:` sections of docs (at most one may have it) and
 * checks them against the loaded rules and schemas.  *out is NULL when no
 * document has the section.  Returns 0, or HQ_EINVAL with diagnostics. */
int hq_retention_load(hq_ydoc *const *docs, size_t ndocs, const struct hq_rules *rules,
                      const struct hq_schemas *schemas, hq_retention **out, hq_diags *d);
/* The rule set's policy (rules.c keeps it), NULL when it has none. */
const hq_retention *hq_rules_retention(const struct hq_rules *r);
/* Accepts NULL and clears the pointer. */
void hq_retention_destroy(hq_retention **p);

/* How long events of type (not NUL-terminated) stay: HQ_RETENTION_KEEP or
 * a duration in ms. */
int64_t hq_retention_keep_ms(const hq_retention *p, const char *type, size_t len);
/* The shortest duration of any type (HQ_RETENTION_KEEP when nothing
 * expires): no event younger than this is ever removed. */
int64_t hq_retention_min_ms(const hq_retention *p);
/* How often a retention run starts. */
int64_t hq_retention_every_ms(const hq_retention *p);
/* Whether type is a record type that is never removed. */
int hq_retention_is_record_type(const char *type);

#endif
