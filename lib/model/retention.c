/* retention.c - the `retention:` section: per event type, how long events
 * stay in LMDB (contract in retention.h). */
#include "retention.h"

#include "mem.h"
#include "rules.h"
#include "schema.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ret_type {
    char *type;
    int64_t keep_ms;
} ret_type;

struct hq_retention {
    ret_type *types;
    size_t ntypes;
    int64_t default_ms;
    int64_t every_ms;
};

static const char *const record_prefixes[] = {"complaint.", "inspection.", "issue.", NULL};

int hq_retention_is_record_type(const char *type)
{
    for (const char *const *p = record_prefixes; *p; p++)
        if (!strncmp(type, *p, strlen(*p)))
            return 1;
    return 0;
}

void hq_retention_destroy(hq_retention **pp)
{
    hq_retention *p = pp ? *pp : NULL;
    if (!p)
        return;
    for (size_t i = 0; i < p->ntypes; i++)
        free(p->types[i].type);
    free(p->types);
    free(p);
    *pp = NULL;
}

int64_t hq_retention_keep_ms(const hq_retention *p, const char *type, size_t len)
{
    if (!p)
        return HQ_RETENTION_KEEP;
    for (size_t i = 0; i < p->ntypes; i++)
        if (strlen(p->types[i].type) == len && !memcmp(p->types[i].type, type, len))
            return p->types[i].keep_ms;
    /* Record types are never removed, whatever the default says (the
     * loader refuses a default that would reach them unlisted). */
    char buf[128];
    if (len < sizeof buf) {
        memcpy(buf, type, len);
        buf[len] = 0;
        if (hq_retention_is_record_type(buf))
            return HQ_RETENTION_KEEP;
    }
    return p->default_ms;
}

int64_t hq_retention_min_ms(const hq_retention *p)
{
    if (!p)
        return HQ_RETENTION_KEEP;
    int64_t m = p->default_ms;
    for (size_t i = 0; i < p->ntypes; i++)
        if (p->types[i].keep_ms < m)
            m = p->types[i].keep_ms;
    return m;
}

int64_t hq_retention_every_ms(const hq_retention *p)
{
    return p ? p->every_ms : HQ_RETENTION_EVERY_MS;
}

/* "90d", "36h", "45m": the largest unit that divides ms. */
static void fmt_dur(int64_t ms, char *buf, size_t size)
{
    if (ms % 86400000 == 0)
        snprintf(buf, size, "%lldd", (long long)(ms / 86400000));
    else if (ms % 3600000 == 0)
        snprintf(buf, size, "%lldh", (long long)(ms / 3600000));
    else if (ms % 60000 == 0)
        snprintf(buf, size, "%lldm", (long long)(ms / 60000));
    else
        snprintf(buf, size, "%llds", (long long)(ms / 1000));
}

/* `keep` or a duration; returns 0 or HQ_EINVAL (diagnosed). */
static int get_keep(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, int64_t *out)
{
    if (n->type == HQ_Y_SCALAR && !n->quoted && !strcmp(n->str, "keep")) {
        *out = HQ_RETENTION_KEEP;
        return 0;
    }
    if (n->type != HQ_Y_SCALAR || hq_parse_duration_ms(n->str, out) != 0 || *out <= 0) {
        hq_ydiag(d, doc, n, "expected keep or a duration like 90d, got %s%s%s", n->type == HQ_Y_SCALAR ? "\"" : "",
                 n->type == HQ_Y_SCALAR ? n->str : "a collection", n->type == HQ_Y_SCALAR ? "\"" : "");
        return HQ_EINVAL;
    }
    return 0;
}

/* The longest stretch of past events a rule reads, and what it is. */
static int64_t rule_reach_ms(const hq_rule *r, const char **what)
{
    int64_t m = 0;
    *what = "";
    if (r->kind == HQ_RULE_COUNT && r->window_ms > m) {
        m = r->window_ms;
        *what = "counting window";
    }
    /* An `until` rule (sustained_ms 0) reads the event its clock started
     * from however long ago that was (a task due in months): the retention
     * run keeps every event that rule state points to (lib/state/prune.c),
     * so no reach is listed for it. */
    if (r->kind == HQ_RULE_SUSTAINED && r->sustained_ms + r->clears_after_ms > m) {
        m = r->sustained_ms + r->clears_after_ms;
        *what = "sustained time (with self-clearing)";
    }
    if (r->kind == HQ_RULE_STALE && r->stale_ms > m) {
        m = r->stale_ms;
        *what = "stale-data time";
    }
    /* A recurrence window is not listed: recurrence reads the (rule, key)
     * group record and the last closed issue (engine.c open_issue_for),
     * never the events, and an issue's evidence is kept as long as the
     * issue (lib/state/retention.c). */
    return m;
}

static void check_type(hq_diags *d, const hq_ydoc *doc, const hq_ynode *at, const char *type, int64_t keep_ms,
                       const hq_rules *rules)
{
    if (keep_ms == HQ_RETENTION_KEEP)
        return;
    char have[32], need[32];
    fmt_dur(keep_ms, have, sizeof have);
    if (hq_retention_is_record_type(type)) {
        hq_ydiag(d, doc, at,
                 "%s: %s would remove records the office must keep (complaints, inspections and issue "
                 "lifecycle events are kept for good; R6): write keep",
                 type, have);
        return;
    }
    if (keep_ms < HQ_RETENTION_MIN_MS) {
        fmt_dur(HQ_RETENTION_MIN_MS, need, sizeof need);
        hq_ydiag(d, doc, at,
                 "%s: %s is shorter than %s, the time a producer's retry is still recognised as a duplicate "
                 "(an event's dedup record goes with it)",
                 type, have, need);
        return;
    }
    size_t n = hq_rules_count(rules);
    for (size_t i = 0; i < n; i++) {
        const hq_rule *r = hq_rules_at(rules, i);
        bool reads = false;
        for (size_t t = 0; t < r->ntypes && !reads; t++)
            reads = !strcmp(r->types[t]->type, type);
        const char *what;
        int64_t reach = reads ? rule_reach_ms(r, &what) : 0;
        if (reach > keep_ms) {
            fmt_dur(reach, need, sizeof need);
            hq_ydiag(d, doc, at, "%s: %s is shorter than the %s %s of rule %s (%s:%d): the rule still reads events "
                     "that old", type, have, need, what, r->id, r->file ? r->file : "?", r->line);
        }
    }
}

static const char *const section_keys[] = {"every", "default", "types", NULL};

int hq_retention_load(hq_ydoc *const *docs, size_t ndocs, const hq_rules *rules, const hq_schemas *schemas,
                      hq_retention **out, hq_diags *d)
{
    *out = NULL;
    size_t before = d->count;
    const hq_ydoc *doc = NULL;
    const hq_ynode *sec = NULL;
    for (size_t i = 0; i < ndocs; i++) {
        const hq_ynode *v = docs[i]->root ? hq_ymap_get(docs[i]->root, "retention") : NULL;
        if (!v)
            continue;
        if (sec) {
            hq_ydiag(d, docs[i], v, "retention: given again (first in %s); one retention section per rule set",
                     doc->file);
            continue;
        }
        doc = docs[i];
        sec = v;
    }
    if (!sec)
        return d->count > before ? HQ_EINVAL : 0;
    if (hq_ycheck_keys(d, doc, sec, section_keys))
        return HQ_EINVAL;
    hq_retention *p = hq_calloc(1, sizeof *p);
    p->default_ms = HQ_RETENTION_KEEP;
    p->every_ms = HQ_RETENTION_EVERY_MS;
    const hq_ynode *v;
    if ((v = hq_ymap_get(sec, "every")) && hq_yget_duration_ms(d, doc, v, &p->every_ms) == 0 &&
        p->every_ms < 60000)
        hq_ydiag(d, doc, v, "every: a retention run at most once a minute (got %lld ms)", (long long)p->every_ms);
    const hq_ynode *defnode = hq_ymap_get(sec, "default");
    bool default_ok = true;
    if (defnode && get_keep(d, doc, defnode, &p->default_ms) == 0 && p->default_ms != HQ_RETENTION_KEEP &&
        p->default_ms < HQ_RETENTION_MIN_MS) {
        check_type(d, doc, defnode, "default", p->default_ms, rules);
        default_ok = false;
    }
    const hq_ynode *types = hq_ymap_get(sec, "types");
    if (types && types->type != HQ_Y_MAP) {
        hq_ydiag(d, doc, types, "types: expected a map of event type to keep or a duration");
    } else if (types) {
        p->types = hq_calloc(types->len ? types->len : 1, sizeof *p->types);
        for (size_t i = 0; p->types && i < types->len; i++) {
            const hq_ynode *k = hq_ymap_key(types, i), *val = hq_ymap_val(types, i);
            int64_t ms;
            if (!hq_schemas_find(schemas, k->str, k->len)) {
                hq_ydiag(d, doc, k, "types: %s: no schema defines this event type", k->str);
                continue;
            }
            if (get_keep(d, doc, val, &ms))
                continue;
            check_type(d, doc, val, k->str, ms, rules);
            p->types[p->ntypes].type = hq_strdup(k->str);
            p->types[p->ntypes++].keep_ms = ms;
        }
    }
    /* A default duration reaches every type not listed: each one is
     * checked as if listed, so a record type or a rule's window is never
     * reached by accident. */
    if (p->default_ms != HQ_RETENTION_KEEP && defnode && default_ok) {
        size_t ns = hq_schemas_count(schemas);
        for (size_t i = 0; i < ns; i++) {
            const char *t = hq_schemas_at(schemas, i)->type;
            bool listed = false;
            for (size_t j = 0; j < p->ntypes && !listed; j++)
                listed = !strcmp(p->types[j].type, t);
            if (listed)
                continue;
            if (hq_retention_is_record_type(t))
                hq_ydiag(d, doc, defnode,
                         "default: would remove %s, a record the office must keep (R6): list it under types "
                         "with keep, or write default: keep",
                         t);
            else
                check_type(d, doc, defnode, t, p->default_ms, rules);
        }
    }
    if (d->count > before) {
        hq_retention_destroy(&p);
        return HQ_EINVAL;
    }
    *out = p;
    return 0;
}
