/* rules.h - the rule set: rules, escalation chains, penalty terms, the
 * organisation and the registries (sites, sensors, contractors), loaded
 * from a rules directory.  The language is documented in rules/README.md.
 *
 * hq_rules_load() reads every *.yaml under the directory (recursively;
 * files named *.test.yaml and directories named tests are rule tests, not
 * rules), checks everything, and either returns a complete rule set or
 * reports every problem as file:line:column and returns nothing: a half
 * loaded rule set never exists.  Rules are compiled once and indexed by
 * event type.
 *
 * A loaded hq_rules owns everything in it.  Pointers into it are views
 * valid until hq_rules_destroy(); the engine never keeps them in the state
 * (an issue copies the plan it was opened with), so a reload never strands
 * an open issue.
 */
#ifndef HQ_RULES_H
#define HQ_RULES_H

#include "calendar.h"
#include "checklist.h"
#include "cond.h"
#include "schedule.h"
#include "err.h"
#include "schema.h"
#include "template.h"
#include "perm.h"
#include "plan.h"
#include "vocab.h"

#include <stdbool.h>
#include <stdint.h>



typedef struct hq_site {
    char *id, *name, *domain, *contractor, *unit;
} hq_site;

typedef struct hq_sensor {
    char *id, *site, *kind;
} hq_sensor;

typedef struct hq_contractor {
    char *id, *name, *penalty_terms;
} hq_contractor;

/* A section or service centre of the office (org.yaml `office_units`):
 * the owner of an obligation of the office's own schedule. */
typedef struct hq_office_unit {
    char *id, *name, *domain;
} hq_office_unit;

/* A role a person holds, with its scope: the domain or contractor, or
 * NULL (perm.h; the scope string is owned by the rule set). */
typedef hq_perm_role hq_person_role;

typedef struct hq_person {
    char *id, *name;
    hq_person_role *roles;
    size_t nroles;
} hq_person;

typedef enum { HQ_RULE_MATCH, HQ_RULE_COUNT, HQ_RULE_SUSTAINED, HQ_RULE_ABSENCE, HQ_RULE_STALE } hq_rule_kind;

typedef struct hq_rule {
    char *id;
    char *file;
    int line, column;
    char *description;
    hq_rule_kind kind;
    const hq_schema **types;   /* the event types it listens to */
    size_t ntypes;
    hq_cond *when;             /* NULL: every event of the types */
    hq_cond *scope;            /* SUSTAINED: the events it follows (NULL: all of its types) */
    unsigned count_n;          /* COUNT: this many matches ... */
    int64_t window_ms;         /* ... within this window, per key */
    int64_t sustained_ms;      /* SUSTAINED: true for this long, per key */
    /* SUSTAINED with `until: data.<f>`: the condition must hold until the
     * time in that timestamp field of the event that started (or last
     * moved) the clock, instead of for sustained_ms (a task's due date);
     * NULL otherwise.  The field's path, e.g. "data.due_ms". */
    char *until;
    int64_t clears_after_ms;   /* 0: no self-clearing */
    hq_tmpl *key;              /* the grouping key */
    /* what an opened issue carries */
    hq_tmpl *title, *description_t, *contractor, *site, *requirement;
    char *domain, *category;
    hq_severity severity;
    int64_t deadline_ms;
    int64_t recheck_after_ms;  /* 0: no recheck reminder */
    int64_t ack_within_ms;     /* 0: no acknowledgement reminder */
    const hq_chain *chain;
    const hq_penalty_terms *penalties;
    int64_t recurrence_window_ms; /* 0: no recurrence rule */
    /* ABSENCE: expected events (on/when) per unit on a schedule */
    hq_schedule *schedule;
    hq_tmpl *unit;             /* which unit an expected event is for */
    char **units;              /* the units the rule is instantiated for */
    size_t nunits;
    /* ABSENCE: whose obligation a slot is (`owner`, required): NULL for the
     * contractor's own (its self-inspections, samples, health checks), else
     * the id of an office unit: a missed slot opens an internal issue
     * against that unit, with no contractor, no penalty terms and a chain
     * inside the office, and the evaluation never counts it. */
    char *owner;
    /* STALE: no event for the key within this long */
    int64_t stale_ms;
    bool issue_phase;          /* loader-internal: compiling the issue's templates */
} hq_rule;

typedef struct hq_rules hq_rules;

int hq_rules_load(const char *dir, const hq_schemas *schemas, hq_rules **out, hq_diags *diags);

/* The format of a rules directory: the sections (top-level keys) its files
 * may hold and who reads each, ending with {NULL, NULL}.  hq_rules_load()
 * refuses any other key, so a misspelt section is caught wherever it was
 * meant to go.  Loaders in higher layers (the alert configuration, the
 * evaluation scheme) read their sections from the same files; their unit
 * tests check that each section they read is listed here, so the
 * dependency points down. */
typedef struct hq_rules_section {
    const char *key;
    const char *reader;
} hq_rules_section;
extern const hq_rules_section hq_rules_sections[];

/* The rules' vocabulary section, or NULL when they have none (the
 * built-in labels).  hq_rules_load installs it (hq_vocab_install): a
 * rules directory with a vocabulary replaces the built-in labels, and one
 * without goes back to them. */
const hq_vocab *hq_rules_vocab(const hq_rules *r);
void hq_rules_destroy(hq_rules **r);

size_t hq_rules_count(const hq_rules *r);
const hq_rule *hq_rules_at(const hq_rules *r, size_t i);
const hq_rule *hq_rules_find(const hq_rules *r, const char *id);
/* The rules listening to an event type (schema pointer from the same
 * hq_schemas the rules were loaded against). */
const hq_rule *const *hq_rules_for(const hq_rules *r, const hq_schema *type, size_t *n);
/* The rules of ev's type that ev can match (dispatch.h), in rule order:
 * fills out, which has room for hq_rules_max_for(r) rules; returns how
 * many. */
size_t hq_rules_select(const hq_rules *r, const hq_event *ev, const hq_rule **out);
/* The largest number of rules listening to one event type. */
size_t hq_rules_max_for(const hq_rules *r);

const hq_chain *hq_rules_chain(const hq_rules *r, const char *name);
const hq_penalty_terms *hq_rules_penalty_terms(const hq_rules *r, const char *name);
const hq_site *hq_rules_site(const hq_rules *r, const char *id);
/* Every site of the registry, in file order (houqin-web's site list). */
size_t hq_rules_sites(const hq_rules *r, const hq_site **out);
const hq_sensor *hq_rules_sensor(const hq_rules *r, const char *id);
const hq_contractor *hq_rules_contractor(const hq_rules *r, const char *id);
/* An office unit (org.yaml office_units) by id, or NULL. */
const hq_office_unit *hq_rules_office_unit(const hq_rules *r, const char *id);
size_t hq_rules_people(const hq_rules *r, const hq_person **out);
const char *hq_rules_office(const hq_rules *r);
const char *hq_rules_timezone(const hq_rules *r);
/* The calendar (the default one when the rules have none). */
const hq_calendar *hq_rules_calendar(const hq_rules *r);
/* The inspection checklists (checklist.h); empty when none are defined. */
const hq_checklists *hq_rules_checklists(const hq_rules *r);
/* A unit's display name: a site's or contractor's name, else the id. */
const char *hq_rules_unit_name(const hq_rules *r, const char *unit);
/* The person with this id (len bytes), or NULL. */
const hq_person *hq_rules_person(const hq_rules *r, const char *id, size_t len);
/* Who an issue's timeline entry names, in words people read: 系统 for
 * houqind itself (actor "system" or none), 监测数据 for the data that closed
 * an issue (actors "data" and "auto-recheck"), else the person's name from
 * the organisation, else the id (r may be NULL).  Borrowed. */
const char *hq_rules_actor_name(const hq_rules *r, const char *actor);
/* The person a staff CURVE key (40-character Z85 public key, the
 * `staff_keys:` section) is bound to, or NULL. */
const hq_person *hq_rules_person_by_key(const hq_rules *r, const char *z85);
size_t hq_rules_staff_key_count(const hq_rules *r);
/* The permission table (`permissions:`), or NULL when the rule set has
 * none: then lifecycle actions are not checked (perm.h). */
const hq_perm *hq_rules_perm(const hq_rules *r);
/* People holding role (in scope, when the role is scoped); returns the
 * count, fills up to max ids. */
size_t hq_rules_resolve_role(const hq_rules *r, hq_role role, const char *scope, const hq_person **out,
                             size_t max);

#endif
