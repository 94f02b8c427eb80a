/* authz.h - the permission check of a lifecycle action on a loaded issue
 * (SPEC §6a): the bridge between the permission table (model/perm.h) and
 * an issue of the state (state/issue.h).
 *
 * The engine calls it after loading the issue and before its first write,
 * so a refused action writes nothing.  Not checked (HQ_PERM_OK):
 *  - with no permission table in the rules (rules directories of tests
 *    and rule-only deployments; the shipped rules have one);
 *  - events whose transport said nothing (ev->auth == HQ_AUTH_UNKNOWN):
 *    the accepted event log replayed by a backtest, events of a rule test.
 *    houqind's ingest sets auth on every action it receives, so every
 *    live action is checked.
 */
#ifndef HQ_AUTHZ_H
#define HQ_AUTHZ_H

#include "event.h"
#include "issue.h"
#include "rules.h"

/* Decides whether data.actor (actor) of ev may do act on is.  Returns
 * HQ_PERM_OK, or the reason with err set (HQ_EPERM, a sentence that names
 * the rule that refused it). */
hq_perm_reason hq_authz_issue_action(const hq_rules *rules, const hq_event *ev, const char *actor,
                                     const hq_issue *is, hq_issue_action act, hq_err *err);

/* The timeline mark of ev's authentication (hq_tl_entry.auth) written
 * into buf, or NULL when the transport said nothing (HQ_AUTH_UNKNOWN). */
const char *hq_authz_mark(const hq_event *ev, char *buf, size_t size);

#endif
