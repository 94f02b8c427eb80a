/* dispatch.h - which rules of an event type can match an event.
 *
 * A dispatch index picks the one field of the type that most of its rules
 * guard (hq_cond_each_guard: {field: data.kind, eq: cold_storage_temp}, an
 * `in` list, a `prefix`) and files each such rule under the guard's
 * values; a rule with no guard on that field is filed under "always".
 * The contract of hq_dispatch_select(): an event meets every rule filed
 * under its value of the field, every rule whose prefix its value starts
 * with, and every "always" rule, once each, in rule order; when the
 * event's value is missing or an array (a condition's path may fan out
 * over arrays), every rule of the type.  It is a filter only: a rule it
 * leaves out could not have matched, and the engine still evaluates the
 * condition of each rule it returns.
 *
 * A rule's gate is the condition that must hold for an event to matter to
 * it: `when`, or for a sustained rule its `scope` (a sustained rule without
 * a scope sees every event of its types, since a false `when` stops its
 * clock).  hq_dispatch_build() copies the rule pointers; the rules must
 * outlive the index.
 */
#ifndef HQ_DISPATCH_H
#define HQ_DISPATCH_H

#include "event.h"
#include "rules.h"

#include <stddef.h>

typedef struct hq_dispatch hq_dispatch;

/* rules[0..n) in rule order.  Returns NULL only when out of memory. */
hq_dispatch *hq_dispatch_build(const hq_rule *const *rules, size_t n);
void hq_dispatch_destroy(hq_dispatch **d);

/* The selecting field ("data.kind"), or NULL when no rule has a guard. */
const char *hq_dispatch_field(const hq_dispatch *d);

/* Fills out (room for every rule of the index) with the rules ev can
 * match, in rule order; returns how many. */
size_t hq_dispatch_select(const hq_dispatch *d, const hq_event *ev, const hq_rule **out);

/* The condition that must hold for an event to matter to the rule, or NULL
 * (every event of its types). */
const hq_cond *hq_rule_gate(const hq_rule *r);

#endif
