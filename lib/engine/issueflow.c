/* issueflow.c - the issue flow: an issue opened from a rule's match, the
 * notifications it sends, its timers (deadline, reminders, escalation,
 * overdue days), penalties and accountability, and the lifecycle actions
 * people take on it (SPEC §4; the states are issue.h's).
 */
#include "engine_int.h"

/* ---- template context ---- */


static bool put_value(const msgpack_object *o, hq_buf *out);

/* A field in words people read: a category's label (卫生, not hygiene),
 * an enum value's (security.incident's category fire: 火情), a labelled
 * code's (labels: items: fs.sample_retention: 留样; the code when it has
 * none), 是/否 for a bool, a person's name (林监督员, not lin.sup; the id when the
 * organisation does not know it); false when the field is none of these
 * (its value as it is). */
static bool put_words(const hq_rules *rules, const hq_event *ev, const char *name, hq_buf *out)
{
    /* A path into a list ("items[result=fail].reason") is the field
     * items.reason of the schema, and its labels are that field's. */
    char field[256];
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < sizeof field; p++) {
        if (*p == '[') {
            while (*p && *p != ']')
                p++;
            if (!*p)
                break;
            continue;
        }
        field[n++] = *p;
    }
    field[n] = '\0';
    const hq_field *f = ev->schema ? hq_schema_field(ev->schema, field) : NULL;
    msgpack_object tmp;
    char path[272];
    snprintf(path, sizeof path, "data.%s", name);
    const msgpack_object *v = f ? (strcmp(field, name) ? hq_event_field(ev, path, &tmp) : hq_mp_map_get(ev->data, name))
                                : NULL;
    if (!v)
        return false;
    if (f->type == HQ_F_BOOL && v->type == MSGPACK_OBJECT_BOOLEAN) {
        hq_buf_puts(out, v->via.boolean ? "是" : "否");
        return true;
    }
    if (v->type != MSGPACK_OBJECT_STR || (!f->category_of && !f->person && !f->labelled && f->type != HQ_F_ENUM))
        return false;
    char code[256];
    snprintf(code, sizeof code, "%.*s", (int)v->via.str.size, v->via.str.ptr);
    if (f->labelled) {
        hq_buf_puts(out, hq_label(f->labels, code));
        return true;
    }
    if (f->person) {
        hq_buf_puts(out, hq_rules_actor_name(rules, code));
        return true;
    }
    if (f->category_of) {
        const msgpack_object *d = hq_mp_map_get(ev->data, f->category_of);
        if (!d || d->type != MSGPACK_OBJECT_STR)
            return false;
        char dom[64];
        snprintf(dom, sizeof dom, "%.*s", (int)d->via.str.size, d->via.str.ptr);
        hq_buf_puts(out, hq_category_label(dom, code));
        return true;
    }
    char k[640];
    snprintf(k, sizeof k, "%s.%s.%s", ev->schema->type, field, code);
    const char *l = hq_label_find(HQ_LBL_VALUE, k);
    hq_buf_puts(out, l ? l : code);
    return true;
}

bool hqe_resolve(void *ctx, const char *path, hq_buf *out)
{
    rctx *c = ctx;
    msgpack_object tmp;
    if (path[0] == 'd' && !strncmp(path, "data.", 5)) { /* the common case first */
        if (c->words && c->ev && put_words(c->e->rules, c->ev, path + 5, out))
            return true;
        return c->ev && put_value(hq_event_field(c->ev, path, &tmp), out);
    }
    if (!strcmp(path, "key")) {
        hq_buf_puts(out, c->key ? c->key : "");
        return true;
    }
    if (!strcmp(path, "rule")) {
        hq_buf_puts(out, c->rule->id);
        return true;
    }
    if (!strcmp(path, "unit.id") || !strcmp(path, "unit.name")) {
        const char *u = c->unit ? c->unit : "";
        hq_buf_puts(out, path[5] == 'n' && c->unit ? hq_rules_unit_name(c->e->rules, u) : u);
        return true;
    }
    if (!strcmp(path, "slot")) {
        char t[32];
        hq_local_fmt(c->slot_ms, t, sizeof t);
        hq_buf_puts(out, t);
        return true;
    }
    if (!strcmp(path, "office")) {
        hq_buf_puts(out, hq_rules_office(c->e->rules));
        return true;
    }
    if (!strcmp(path, "until")) { /* sustained: {until: data.<f>}: that time, local */
        int64_t ms;
        if (!c->ev || !c->rule->until || !hqe_until_ms(c->rule, c->ev, &ms))
            return false;
        char t[32];
        hq_local_fmt(ms, t, sizeof t);
        hq_buf_puts(out, t);
        return true;
    }
    if (!strcmp(path, "deadline") || !strcmp(path, "ts")) {
        char t[32];
        int64_t ms = !strcmp(path, "ts") ? (c->ev ? c->ev->ts_ms : 0) : c->deadline_ms;
        hq_local_fmt(ms, t, sizeof t);
        hq_buf_puts(out, t);
        return true;
    }
    if (!strncmp(path, "site.", 5) || !strncmp(path, "sensor.", 7) || !strncmp(path, "contractor.", 11)) {
        const char *attr = strchr(path, '.') + 1, *val = NULL;
        if (path[1] == 'i') {
            const hq_site *s = hq_rules_site(c->e->rules, c->site);
            if (!strcmp(attr, "id"))
                val = c->site;
            else if (s)
                val = !strcmp(attr, "name") ? s->name : !strcmp(attr, "domain") ? s->domain
                      : !strcmp(attr, "contractor") ? s->contractor : s->unit;
        } else if (path[1] == 'e') {
            const msgpack_object *o = c->ev ? hq_mp_map_get(c->ev->data, "sensor") : NULL;
            char id[128] = "";
            if (o && o->type == MSGPACK_OBJECT_STR)
                snprintf(id, sizeof id, "%.*s", (int)o->via.str.size, o->via.str.ptr);
            const hq_sensor *s = hq_rules_sensor(c->e->rules, id);
            val = !strcmp(attr, "id") ? (id[0] ? id : NULL) : s ? (!strcmp(attr, "site") ? s->site : s->kind) : NULL;
            if (val == id) {
                hq_buf_puts(out, id);
                return true;
            }
        } else {
            const hq_contractor *k = hq_rules_contractor(c->e->rules, c->contractor);
            val = !strcmp(attr, "id") ? c->contractor : k ? k->name : c->contractor;
        }
        if (val)
            hq_buf_puts(out, val);
        return val != NULL;
    }
    if (!c->ev)
        return false;
    return put_value(hq_event_field(c->ev, path, &tmp), out);
}

static bool put_value(const msgpack_object *o, hq_buf *out)
{
    if (!o)
        return false;
    switch (o->type) {
    case MSGPACK_OBJECT_STR: hq_buf_append(out, o->via.str.ptr, o->via.str.size); break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER: hq_buf_printf(out, "%llu", (unsigned long long)o->via.u64); break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: hq_buf_printf(out, "%lld", (long long)o->via.i64); break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: hq_buf_printf(out, "%g", o->via.f64); break;
    case MSGPACK_OBJECT_BOOLEAN: hq_buf_puts(out, o->via.boolean ? "true" : "false"); break;
    default: return false;
    }
    return true;
}

/* A value as stored (codes, not their labels): what sections test. */
static bool resolve_stored(void *ctx, const char *path, hq_buf *out)
{
    rctx *c = ctx;
    bool words = c->words;
    c->words = false;
    bool found = hqe_resolve(ctx, path, out);
    c->words = words;
    return found;
}

char *hqe_render(const hq_tmpl *t, rctx *c)
{
    hq_buf b;
    hq_buf_init(&b);
    if (t)
        hq_tmpl_render_tested(t, hqe_resolve, resolve_stored, c, &b);
    return hq_buf_steal(&b);
}

static char *mp_str(const msgpack_object *data, const char *k)
{
    return hq_mp_strdup(hq_mp_map_get(data, k));
}

/* ---- timers of an issue ---- */

static int issue_timer(hq_store *s, MDB_txn *txn, hq_issue *is, hq_timer_kind kind, int64_t due_ms, int64_t arg,
                       hq_err *err)
{
    hq_timer t = {.due_ms = due_ms, .kind = kind, .arg = arg};
    snprintf(t.issue, sizeof t.issue, "%s", is->number);
    int rc = hq_timer_add(s, txn, &t, err);
    if (rc)
        return rc;
    is->timers = hq_realloc(is->timers, (is->ntimers + 1) * sizeof *is->timers);
    is->timers[is->ntimers++] = (hq_timer_ref){due_ms, t.id, kind};
    return 0;
}

/* Cancels the issue's timers of the given kinds (a mask of 1 << kind). */
static int cancel_timers(hq_store *s, MDB_txn *txn, hq_issue *is, unsigned mask, hq_err *err)
{
    size_t keep = 0;
    for (size_t i = 0; i < is->ntimers; i++) {
        if (mask & (1u << is->timers[i].kind)) {
            int rc = hq_timer_del(s, txn, is->timers[i].due_ms, is->timers[i].id, err);
            if (rc)
                return rc;
        } else {
            is->timers[keep++] = is->timers[i];
        }
    }
    is->ntimers = keep;
    return 0;
}

static void forget_timer(hq_issue *is, uint64_t id)
{
    size_t keep = 0;
    for (size_t i = 0; i < is->ntimers; i++)
        if (is->timers[i].id != id)
            is->timers[keep++] = is->timers[i];
    is->ntimers = keep;
}

#define CLOCK_TIMERS ((1u << HQ_TIMER_DEADLINE) | (1u << HQ_TIMER_ESCALATE) | (1u << HQ_TIMER_OVERDUE_DAY) | \
                      (1u << HQ_TIMER_ACK))
#define ALL_TIMERS 0xffffffffu

/* from_ms + a duration of the rules (exact, or working time on the
 * calendar of the rule set in force: worktime.h). */
static int64_t after(const hq_engine *e, int64_t from_ms, hq_wdur d)
{
    return hq_wdur_add(hq_rules_calendar(e->rules), d, from_ms);
}

/* Schedules the deadline and the escalation steps above the current level. */
static int schedule_deadline(const hq_engine *e, hq_store *s, MDB_txn *txn, hq_issue *is, hq_err *err)
{
    int rc = issue_timer(s, txn, is, HQ_TIMER_DEADLINE, is->deadline_ms, 0, err);
    for (size_t i = 0; rc == 0 && i < is->nchain; i++)
        if (is->chain[i].level > is->level && is->chain[i].level > 1)
            rc = issue_timer(s, txn, is, HQ_TIMER_ESCALATE, after(e, is->deadline_ms, is->chain[i].after_ms),
                             is->chain[i].level, err);
    return rc;
}

/* ---- notifications ---- */


/* Writes one outbox record about is.  roles: the ones to tell (NULL: the
 * current level's roles plus the contractor's contacts). */
static int notify(hq_store *s, MDB_txn *txn, hq_issue *is, int64_t now_ms, const char *kind, const hq_role *roles,
                  size_t nroles, const char *extra, hq_effects *fx, hq_err *err)
{
    hq_role buf[16];
    if (is->owner && *is->owner) {
        /* An internal issue (the office's own obligation) tells no contractor. */
        const hq_chain_step *st = roles ? NULL : hq_issue_step(is, is->level);
        const hq_role *from = roles ? roles : st ? st->roles : NULL;
        size_t nfrom = roles ? nroles : st ? st->nroles : 0;
        nroles = 0;
        for (size_t i = 0; i < nfrom && nroles < 16; i++)
            if (from[i] != HQ_ROLE_CONTRACTOR_CONTACT)
                buf[nroles++] = from[i];
        roles = buf;
    } else if (!roles) {
        const hq_chain_step *st = hq_issue_step(is, is->level);
        nroles = 0;
        for (size_t i = 0; st && i < st->nroles && nroles < 15; i++)
            buf[nroles++] = st->roles[i];
        bool has_contact = false;
        for (size_t i = 0; i < nroles; i++)
            has_contact = has_contact || buf[i] == HQ_ROLE_CONTRACTOR_CONTACT;
        if (!has_contact)
            buf[nroles++] = HQ_ROLE_CONTRACTOR_CONTACT;
        roles = buf;
    }
    /* The text is the one fact this alert adds (the templates show the
     * number, title, contractor, site, deadline and level already): the
     * extra words, else the latest timeline entry as the public reads it. */
    char text[2048];
    hq_buf w;
    hq_buf_init(&w);
    if (extra && *extra)
        hq_buf_puts(&w, extra);
    else if (is->ntimeline)
        hq_tl_render(&is->timeline[is->ntimeline - 1], HQ_TL_PUBLIC, &w);
    snprintf(text, sizeof text, "%s %s｜%s", is->number, is->title ? is->title : "", w.data ? w.data : "");
    hq_buf_fini(&w);
    hq_alert a = {
        .ts_ms = now_ms,
        .kind = kind,
        .issue = is->number,
        .rule = is->rule,
        .level = is->level,
        .roles = roles,
        .nroles = nroles,
        .domain = is->domain,
        .contractor = is->contractor,
        .site = is->site,
        .title = is->title,
        .text = text,
        .severity = is->severity,
        .deadline_ms = is->deadline_ms,
    };
    uint64_t seq;
    int rc = hq_outbox_add(s, txn, &a, &seq, err);
    if (rc == 0)
        hqe_fx_outbox(fx, seq);
    return rc;
}

/* What the entry says in public words, cut to size bytes (the text of a
 * notification). */
static void public_words(const hq_tl_entry *e, char *out, size_t size)
{
    hq_buf w;
    hq_buf_init(&w);
    hq_tl_render(e, HQ_TL_PUBLIC, &w);
    snprintf(out, size, "%s", w.data ? w.data : "");
    out[hq_utf8_whole(out, strlen(out))] = '\0';
    hq_buf_fini(&w);
}

/* Records a penalty already assessed on the issue (hq_issue_penalize):
 * a penalty entry on the timeline (kind: the penalty kind; days: for
 * per_overdue_day; ref: the earlier issue for per_recurrence) and tells
 * the section head, the office director and the contractor in the same
 * words.  Nothing when cents is 0 (a cap was reached). */
static int record_penalty(hq_store *s, MDB_txn *txn, hq_issue *is, int64_t now_ms, uint64_t seq, int64_t cents,
                          const char *kind, int from_day, int days, const char *ref, hq_effects *fx, hq_err *err)
{
    if (cents <= 0)
        return 0;
    /* Overdue days: level is the first day this penalty covers (several
     * when houqind was down), count the last. */
    const hq_tl_entry *e = hq_issue_add(is, now_ms, "system", seq,
                                        &(hq_tl_entry){.kind = HQ_TL_PENALTY, .amount_cents = cents,
                                                       .clause = (char *)kind, .level = from_day, .count = days,
                                                       .ref = (char *)ref});
    char extra[256];
    public_words(e, extra, sizeof extra);
    static const hq_role roles[] = {HQ_ROLE_SECTION_HEAD, HQ_ROLE_OFFICE_DIRECTOR, HQ_ROLE_CONTRACTOR_CONTACT};
    return notify(s, txn, is, now_ms, "penalty", roles, 3, extra, fx, err);
}

/* Starts accountability; why is the entry's cause and fields (cause,
 * level, dur_ms, ref, text), its words are what the roles are told. */
static int start_accountability(hq_store *s, MDB_txn *txn, hq_issue *is, int64_t now_ms, const char *actor,
                                uint64_t seq, const hq_tl_entry *why_tpl, hq_effects *fx, hq_err *err)
{
    if (is->accountability)
        return 0;
    is->accountability = true;
    hq_tl_entry tpl = *why_tpl;
    tpl.kind = HQ_TL_ACCOUNTABILITY;
    const hq_tl_entry *e = hq_issue_add(is, now_ms, actor, seq, &tpl);
    char why[512];
    public_words(e, why, sizeof why);
    static const hq_role roles[] = {HQ_ROLE_OFFICE_DIRECTOR, HQ_ROLE_DEPUTY_DIRECTOR, HQ_ROLE_SECTION_HEAD,
                                    HQ_ROLE_CONTRACTOR_CONTACT};
    return notify(s, txn, is, now_ms, "accountability", roles, 4, why, fx, err);
}

/* Raises the level to `level` (no-op when already there or above);
 * cause: overdue (dur_ms after the deadline) or opinion. */
static int escalate_to(hq_store *s, MDB_txn *txn, hq_issue *is, int level, int64_t now_ms, const char *actor,
                       uint64_t seq, hq_tl_cause cause, int64_t dur_ms, hq_effects *fx, hq_err *err)
{
    const hq_chain_step *st = hq_issue_step(is, level);
    if (!st || level <= is->level)
        return 0;
    is->level = level;
    const hq_tl_entry *e = hq_issue_add(
        is, now_ms, actor, seq, &(hq_tl_entry){.kind = HQ_TL_ESCALATED, .cause = cause, .level = level, .dur_ms = dur_ms});
    hq_buf w;
    hq_buf_init(&w);
    hq_tl_render(e, HQ_TL_PUBLIC, &w);
    int rc = notify(s, txn, is, now_ms, "escalated", NULL, 0, w.data, fx, err);
    hq_buf_fini(&w);
    if (rc == 0 && st->accountability)
        rc = start_accountability(s, txn, is, now_ms, actor, seq,
                                  &(hq_tl_entry){.cause = cause == HQ_TLC_OPINION ? HQ_TLC_OPINION : HQ_TLC_ESCALATION,
                                                 .level = level, .dur_ms = dur_ms},
                                  fx, err);
    return rc;
}

/* ---- opening ---- */


int hqe_open_issue(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_rule *rule, const char *key,
                      const hq_event *ev, uint64_t seq, int64_t now_ms, hq_group *g, hq_effects *fx, hq_err *err)
{
    return hqe_open_issue_for(e, s, txn, rule, key, ev, NULL, 0, seq, now_ms, g, fx, err);
}

/* The site of a new issue: the rule's template, else the unit when it is
 * a site, else data.site, else the sensor's site; "" when none. */
static char *issue_site(hq_engine *e, const hq_rule *rule, const hq_event *ev, const char *unit, rctx *c)
{
    char *site = rule->site ? hqe_render(rule->site, c) : NULL;
    if ((!site || !*site) && unit && hq_rules_site(e->rules, unit)) {
        free(site);
        site = hq_strdup(unit);
    }
    if ((!site || !*site) && ev) {
        free(site);
        site = mp_str(ev->data, "site");
        if (!site) {
            char *sensor = mp_str(ev->data, "sensor");
            const hq_sensor *sn = hq_rules_sensor(e->rules, sensor);
            site = sn && sn->site ? hq_strdup(sn->site) : NULL;
            free(sensor);
        }
    }
    return site ? site : hq_strdup("");
}

/* The contractor of a new issue: the rule's template, else
 * data.contractor, else the site's, else the unit when it is a
 * contractor; "" when none.  An obligation of the office (an internal
 * issue) has none, and *owner "office:ROLE" instead. */
static char *issue_contractor(hq_engine *e, const hq_rule *rule, const hq_event *ev, const char *unit,
                              const char *site, rctx *c, char **owner)
{
    if (rule->owner) {
        size_t n = strlen(rule->owner) + 8;
        *owner = hq_malloc(n);
        snprintf(*owner, n, "office:%s", rule->owner);
        return hq_strdup("");
    }
    char *contractor = rule->contractor ? hqe_render(rule->contractor, c) : NULL;
    if ((!contractor || !*contractor) && ev) {
        free(contractor);
        contractor = mp_str(ev->data, "contractor");
    }
    if (!contractor || !*contractor) {
        free(contractor);
        const hq_site *st = hq_rules_site(e->rules, site);
        contractor = st && st->contractor ? hq_strdup(st->contractor)
                     : unit && hq_rules_contractor(e->rules, unit) ? hq_strdup(unit)
                                                                    : hq_strdup("");
    }
    return contractor;
}

int hqe_open_issue_for(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_rule *rule, const char *key,
                          const hq_event *ev, const char *unit, int64_t slot_ms, uint64_t seq, int64_t now_ms,
                          hq_group *g, hq_effects *fx, hq_err *err)
{
    hq_issue is;
    memset(&is, 0, sizeof is);
    is.is_new = true;
    struct tm tm;
    hq_local_tm(now_ms, &tm);
    int rc = hq_issue_number_new(s, txn, tm.tm_year + 1900, is.number, sizeof is.number, err);
    if (rc)
        return rc;
    rctx c = {.e = e, .rule = rule, .ev = ev, .key = key, .unit = unit, .slot_ms = slot_ms};
    is.site = issue_site(e, rule, ev, unit, &c);
    c.site = is.site;
    is.contractor = issue_contractor(e, rule, ev, unit, is.site, &c, &is.owner);
    c.contractor = is.contractor;
    is.rule = hq_strdup(rule->id);
    is.key = hq_strdup(key);
    hq_issue_open(&is, now_ms);
    is.domain = hq_strdup(rule->domain);
    is.category = hq_strdup(rule->category ? rule->category : "");
    is.severity = rule->severity;
    is.deadline_ms = after(e, now_ms, rule->deadline_ms);
    c.deadline_ms = is.deadline_ms;
    c.words = true;
    is.title = hqe_render(rule->title, &c);
    is.description = rule->description_t ? hqe_render(rule->description_t, &c) : NULL;
    is.requirement = rule->requirement ? hqe_render(rule->requirement, &c) : NULL;
    c.words = false;
    is.source_seq = seq;
    if (ev && ev->type_len == 19 && !memcmp(ev->type, "complaint.submitted", 19))
        is.complaint_contact = mp_str(ev->data, "contact");
    const hq_contractor *k = hq_rules_contractor(e->rules, is.contractor);
    const hq_penalty_terms *terms = rule->owner ? NULL
                                    : k && k->penalty_terms ? hq_rules_penalty_terms(e->rules, k->penalty_terms)
                                                            : rule->penalties;
    hq_issue_copy_plan(&is, &(hq_plan){.deadline_ms = rule->deadline_ms,
                                        .recheck_after_ms = rule->recheck_after_ms,
                                        .ack_within_ms = rule->ack_within_ms,
                                        .clears_after_ms = rule->clears_after_ms,
                                        .chain = rule->chain,
                                        .terms = terms});
    if (is.recheck_after_ms <= 0)
        is.recheck_after_ms = HQ_DAY_MS; /* a rectification is always rechecked */
    if (unit)
        hq_issue_add(&is, now_ms, "system", 0,
                     &(hq_tl_entry){.kind = HQ_TL_OPENED, .cause = HQ_TLC_MISSING, .clause = rule->id,
                                    .ref = (char *)unit, .text = (char *)hq_rules_unit_name(e->rules, unit),
                                    .due_ms = slot_ms});
    else
        hq_issue_add(&is, now_ms, "system", seq,
                     &(hq_tl_entry){.kind = HQ_TL_OPENED, .cause = HQ_TLC_RULE, .clause = rule->id});

    bool recurrence = rule->recurrence_window_ms > 0 && g->last_closed[0] &&
                      now_ms - g->last_closed_ms <= rule->recurrence_window_ms;
    if (recurrence) {
        is.recurrence_of = hq_strdup(g->last_closed);
        int start = is.nchain >= 2 ? 2 : 1;
        is.level = start;
        hq_issue_add(&is, now_ms, "system", seq,
                     &(hq_tl_entry){.kind = HQ_TL_RECURRENCE, .ref = g->last_closed, .level = start});
    }
    if (e->late) /* opened by a rule or slot timer that fired late */
        hqe_note_missed(e, &is, e->late, now_ms);
    rc = notify(s, txn, &is, now_ms, "opened", NULL, 0, NULL, fx, err);
    if (rc == 0 && recurrence) {
        char why[128];
        snprintf(why, sizeof why, "问题重复发生（前次 %s）", g->last_closed);
        rc = start_accountability(s, txn, &is, now_ms, "system", seq,
                                  &(hq_tl_entry){.cause = HQ_TLC_RECURRENCE, .ref = g->last_closed}, fx, err);
        if (rc == 0) {
            int64_t amt = hq_issue_penalize(&is, now_ms, is.terms.per_recurrence_cents, is.terms.recurrence_cap_cents,
                                            "per_recurrence", why);
            rc = record_penalty(s, txn, &is, now_ms, seq, amt, "per_recurrence", 0, 0, g->last_closed, fx, err);
        }
    }
    if (rc == 0)
        rc = schedule_deadline(e, s, txn, &is, err);
    if (rc == 0 && is.ack_within_ms > 0)
        rc = issue_timer(s, txn, &is, HQ_TIMER_ACK, after(e, now_ms, is.ack_within_ms), 0, err);
    if (rc == 0)
        rc = hq_issue_save(s, txn, &is, err);
    if (rc == 0) {
        snprintf(g->open, sizeof g->open, "%s", is.number);
        rc = hq_group_put(s, txn, rule->id, key, g, err);
    }
    fx->issues_opened++;
    hq_issue_fini(&is);
    return rc;
}

/* A match of rule for key: attach to the open issue or open one. */
int hqe_match(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_rule *rule, const char *key, const hq_event *ev,
                 uint64_t seq, int64_t now_ms, hq_effects *fx, hq_err *err)
{
    hq_group g;
    int rc = hq_group_get(s, txn, rule->id, key, &g, err);
    if (rc)
        return rc;
    if (!g.open[0])
        return hqe_open_issue(e, s, txn, rule, key, ev, seq, now_ms, &g, fx, err);
    hq_issue is;
    rc = hq_issue_load(s, txn, g.open, &is, err);
    if (rc)
        return rc;
    is.occurrences++;
    /* The timeline lists the first occurrences one by one; after that they
     * are counted (a flood of matches must not grow the record without
     * bound: it is rewritten on every change). */
    if (is.occurrences <= HQ_OCCURRENCES_LISTED)
        hq_issue_add(&is, now_ms, "system", seq,
                     &(hq_tl_entry){.kind = HQ_TL_OCCURRENCE, .cause = HQ_TLC_RULE, .count = is.occurrences});
    else if (is.occurrences == HQ_OCCURRENCES_LISTED + 1)
        hq_issue_add(&is, now_ms, "system", seq,
                     &(hq_tl_entry){.kind = HQ_TL_OCCURRENCE, .cause = HQ_TLC_COUNTED, .count = is.occurrences});
    rc = hq_issue_save(s, txn, &is, err);
    hq_issue_fini(&is);
    return rc;
}

/* ---- lifecycle events ---- */


/* outcome: what the complainant is told (issue.closed data.outcome), or NULL. */
int hqe_close_issue(hq_store *s, MDB_txn *txn, hq_issue *is, int64_t now_ms, const char *outcome, hq_effects *fx,
                       hq_err *err)
{
    is->closed_ms = now_ms;
    int rc = cancel_timers(s, txn, is, ALL_TIMERS, err);
    if (rc)
        return rc;
    hq_group g;
    if ((rc = hq_group_get(s, txn, is->rule, is->key, &g, err)))
        return rc;
    if (!strcmp(g.open, is->number)) {
        g.open[0] = '\0';
        snprintf(g.last_closed, sizeof g.last_closed, "%s", is->number);
        g.last_closed_ms = now_ms;
        if ((rc = hq_group_put(s, txn, is->rule, is->key, &g, err)))
            return rc;
    }
    /* Also drop rule state that would reopen it by itself. */
    rc = notify(s, txn, is, now_ms, "closed", NULL, 0, is->close_reason, fx, err);
    if (rc == 0 && is->complaint_contact) {
        char text[1024];
        snprintf(text, sizeof text, "您反映的问题（%s）已处理完毕：%s。感谢您对后勤服务的监督。", is->number,
                 outcome && *outcome ? outcome : is->title ? is->title : "");
        static const hq_role roles[] = {HQ_ROLE_COMPLAINANT};
        hq_alert a = {.ts_ms = now_ms, .kind = "feedback", .issue = is->number, .rule = is->rule, .level = is->level,
                      .roles = roles, .nroles = 1, .domain = is->domain, .contractor = is->contractor,
                      .site = is->site, .title = is->title, .text = text, .severity = is->severity,
                      .deadline_ms = is->deadline_ms, .contact = is->complaint_contact,
                      .outcome = outcome && *outcome ? outcome : NULL};
        uint64_t seq;
        rc = hq_outbox_add(s, txn, &a, &seq, err);
        if (rc == 0)
            hqe_fx_outbox(fx, seq);
    }
    return rc;
}

/* The issue a duplicate is closed into: it exists and is another one. */
static int duplicate_target(hq_store *s, MDB_txn *txn, const hq_issue *is, const char *dup, hq_err *err)
{
    if (!strcmp(dup, is->number))
        return hq_err_set(err, HQ_EINVAL, "data.duplicate_of: %s cannot be a duplicate of itself", is->number);
    hq_issue other;
    int rc = hq_issue_load(s, txn, dup, &other, err);
    if (rc == HQ_ENOTFOUND)
        return hq_err_set(err, HQ_ENOTFOUND, "data.duplicate_of: no issue %s", dup);
    if (rc == 0)
        hq_issue_fini(&other);
    return rc;
}

/* The issue a duplicate was merged into says so on its own timeline
 * (合并重复问题, with the duplicate's number), in the same transaction. */
static int note_merged(hq_store *s, MDB_txn *txn, const char *into, const char *dup_number, const char *actor,
                       uint64_t seq, int64_t now_ms, hq_err *err)
{
    hq_issue other;
    int rc = hq_issue_load(s, txn, into, &other, err);
    if (rc)
        return rc;
    hq_issue_add(&other, now_ms, actor, seq, &(hq_tl_entry){.kind = HQ_TL_MERGED, .ref = (char *)dup_number});
    rc = hq_issue_save(s, txn, &other, err);
    hq_issue_fini(&other);
    return rc;
}

/* Replaces every occurrence of from in *s by to (a new string). */
static void replace_all(char **s, const char *from, const char *to)
{
    if (!*s || !*from || !strstr(*s, from))
        return;
    hq_buf b;
    hq_buf_init(&b);
    size_t fl = strlen(from);
    const char *p = *s, *q;
    while ((q = strstr(p, from))) {
        hq_buf_append(&b, p, (size_t)(q - p));
        hq_buf_puts(&b, to);
        p = q + fl;
    }
    hq_buf_puts(&b, p);
    free(*s);
    *s = hq_buf_steal(&b);
}

/* complaint.moderated: personal details of the complaint that opened the
 * issue are hidden from contractors.  data.text (the complaint's words
 * with them removed) replaces the complaint's words in the issue's title
 * and description, which every contractor-facing view shows (the original
 * stays in the complaint.submitted event); data.hide_photos hides the
 * complaint's photos (the timeline entry says so, houqin-web reads it). */
static int moderate(hq_store *s, MDB_txn *txn, hq_issue *is, const hq_event *ev, int64_t now_ms, const char *actor,
                    uint64_t seq, const char *reason, hq_err *err)
{
    const msgpack_object *hp = hq_mp_map_get(ev->data, "hide_photos");
    bool photos = hp && hp->type == MSGPACK_OBJECT_BOOLEAN && hp->via.boolean;
    char *redacted = mp_str(ev->data, "text");
    const char *frame;
    size_t len;
    int64_t sm;
    int rc = 0;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object src;
    size_t off = 0;
    if (!is->source_seq || hq_store_event_get(s, txn, is->source_seq, &sm, &frame, &len, NULL) != 0 ||
        msgpack_unpack(frame, len, &off, &zone, &src) != MSGPACK_UNPACK_SUCCESS ||
        !hq_mp_str_eq(hq_mp_map_get(&src, "type"), "complaint.submitted")) {
        rc = hq_err_set(err, HQ_EINVAL, "data.issue: %s was not opened by a complaint", is->number);
        goto out;
    }
    if (!(redacted && *redacted) && !photos) {
        rc = hq_err_set(err, HQ_EINVAL, "nothing to moderate: neither data.text nor data.hide_photos");
        goto out;
    }
    if (redacted && *redacted) {
        char *orig = mp_str(hq_mp_map_get(&src, "data"), "text");
        if (orig && *orig && is->description && strstr(is->description, orig)) {
            replace_all(&is->title, orig, redacted);
            replace_all(&is->description, orig, redacted);
        } else {
            free(is->description);
            is->description = hq_strdup(redacted);
        }
        free(orig);
    }
    hq_issue_add(is, now_ms, actor, seq,
                 &(hq_tl_entry){.kind = HQ_TL_MODERATED, .cause = HQ_TLC_MANUAL,
                                .count = (redacted && *redacted ? HQ_TL_MOD_TEXT : 0) | (photos ? HQ_TL_MOD_PHOTOS : 0),
                                .text = (char *)reason});
out:
    msgpack_zone_destroy(&zone);
    free(redacted);
    return rc;
}

/* A recheck that failed: a new deadline (the supervisor's, else the
 * rule's duration from now), the issue reopened, and the penalty. */
static int recheck_failed(hq_engine *e, hq_store *s, MDB_txn *txn, hq_issue *is, const hq_event *ev,
                          const char *actor, uint64_t seq, int64_t now_ms, hq_effects *fx, hq_err *err)
{
    char *text = mp_str(ev->data, "note");
    is->failed_rechecks++;
    is->overdue = false;
    int64_t dl = 0;
    if (hq_mp_int64(hq_mp_map_get(ev->data, "deadline_ms"), &dl) && dl > now_ms)
        is->deadline_ms = dl;
    else
        is->deadline_ms = after(e, now_ms, is->deadline_dur_ms);
    hq_issue_add(is, now_ms, actor, seq,
                 &(hq_tl_entry){.kind = HQ_TL_REOPENED, .cause = HQ_TLC_RECHECK, .count = is->failed_rechecks,
                                .text = text});
    int rc = cancel_timers(s, txn, is, 1u << HQ_TIMER_RECHECK, err);
    if (rc == 0)
        rc = schedule_deadline(e, s, txn, is, err);
    if (rc == 0)
        rc = notify(s, txn, is, now_ms, "reopened", NULL, 0, NULL, fx, err);
    int64_t amt = hq_issue_penalize(is, now_ms, is->terms.per_failed_recheck_cents,
                                    is->terms.failed_recheck_cap_cents, "per_failed_recheck", "复查未通过");
    if (rc == 0)
        rc = record_penalty(s, txn, is, now_ms, seq, amt, "per_failed_recheck", 0, 0, NULL, fx, err);
    free(text);
    return rc;
}

/* A public-opinion incident (舆情): straight to the top level,
 * accountability, and the penalty. */
static int opinion(hq_store *s, MDB_txn *txn, hq_issue *is, const hq_event *ev, const char *actor, uint64_t seq,
                   int64_t now_ms, hq_effects *fx, hq_err *err)
{
    char *text = mp_str(ev->data, "summary");
    hq_issue_note(is, now_ms, actor, seq, HQ_TL_OPINION, HQ_TLC_NONE, text);
    int top = is->nchain ? is->chain[is->nchain - 1].level : is->level;
    int rc = escalate_to(s, txn, is, top, now_ms, actor, seq, HQ_TLC_OPINION, 0, fx, err);
    if (rc == 0)
        rc = cancel_timers(s, txn, is, 1u << HQ_TIMER_ESCALATE, err);
    if (rc == 0)
        rc = start_accountability(s, txn, is, now_ms, actor, seq, &(hq_tl_entry){.cause = HQ_TLC_OPINION}, fx, err);
    int64_t amt = hq_issue_penalize(is, now_ms, is->terms.opinion_cents, 0, "opinion", "引发舆情事件");
    if (rc == 0)
        rc = record_penalty(s, txn, is, now_ms, seq, amt, "opinion", 0, 0, NULL, fx, err);
    free(text);
    return rc;
}

int hqe_lifecycle_event(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_event *ev, hq_issue_action act,
                           uint64_t seq, int64_t now_ms, hq_effects *fx, hq_err *err)
{
    char *number = mp_str(ev->data, "issue");
    char *actor = mp_str(ev->data, "actor");
    hq_issue is;
    int rc = hq_issue_load(s, txn, number ? number : "", &is, err);
    if (rc) {
        if (rc == HQ_ENOTFOUND)
            hq_err_set(err, HQ_ENOTFOUND, "data.issue: no issue %s", number ? number : "");
        free(number);
        free(actor);
        return rc;
    }
    if (act == HQ_ACT_RECHECK_PASS && hq_mp_str_eq(hq_mp_map_get(ev->data, "result"), "fail"))
        act = HQ_ACT_RECHECK_FAIL;
    /* Who may: before the state, so that a refused actor learns nothing
     * and nothing is written (authz.h). */
    e->refusal = hq_authz_issue_action(e->rules, ev, actor, &is, act, err);
    if (e->refusal != HQ_PERM_OK) {
        rc = HQ_EPERM;
        goto out;
    }
    size_t tl_from = is.ntimeline;
    if ((rc = hq_issue_apply(&is, act, err)))
        goto out;
    if (act == HQ_ACT_ACCOUNTABILITY && is.accountability) {
        rc = hq_err_set(err, HQ_ESTATE, "%s: accountability was already started for this issue", is.number);
        goto out;
    }
    /* From here on the action fits and the state has moved. */
    char *text = NULL;
    switch (act) {
    case HQ_ACT_ACK:
        hq_issue_note(&is, now_ms, actor, seq, HQ_TL_ACKNOWLEDGED, HQ_TLC_NONE, NULL);
        rc = cancel_timers(s, txn, &is, 1u << HQ_TIMER_ACK, err);
        break;
    case HQ_ACT_RECTIFY:
        text = mp_str(ev->data, "evidence");
        hq_issue_note(&is, now_ms, actor, seq, HQ_TL_RECTIFIED, HQ_TLC_NONE, text ? text : "");
        /* The feedback is the receipt that stops the deadline clock. */
        rc = cancel_timers(s, txn, &is, CLOCK_TIMERS, err);
        if (rc == 0)
            rc = issue_timer(s, txn, &is, HQ_TIMER_RECHECK, after(e, now_ms, is.recheck_after_ms), 0, err);
        if (rc == 0) {
            static const hq_role roles[] = {HQ_ROLE_SECTION_HEAD, HQ_ROLE_SUPERVISOR};
            rc = notify(s, txn, &is, now_ms, "rectified", roles, 2, "请安排复查", fx, err);
        }
        break;
    case HQ_ACT_RECHECK_PASS:
        hq_issue_note(&is, now_ms, actor, seq, HQ_TL_CLOSED, HQ_TLC_RECHECK, NULL);
        rc = hqe_close_issue(s, txn, &is, now_ms, NULL, fx, err);
        break;
    case HQ_ACT_RECHECK_FAIL: rc = recheck_failed(e, s, txn, &is, ev, actor, seq, now_ms, fx, err); break;
    case HQ_ACT_COMMENT:
        text = mp_str(ev->data, "text");
        hq_issue_note(&is, now_ms, actor, seq, HQ_TL_COMMENT, HQ_TLC_NONE, text ? text : "");
        break;
    case HQ_ACT_CLOSE:
        text = mp_str(ev->data, "reason");
        is.close_reason = text ? hq_strdup(text) : NULL;
        {
            /* a duplicate of (merged into) another issue: linked by its number */
            char *dup = mp_str(ev->data, "duplicate_of");
            if (dup && *dup && (rc = duplicate_target(s, txn, &is, dup, err)) != 0) {
                free(dup);
                break;
            }
            hq_issue_add(&is, now_ms, actor, seq,
                         &(hq_tl_entry){.kind = HQ_TL_CLOSED, .cause = HQ_TLC_MANUAL, .text = text ? text : "",
                                        .ref = dup && *dup ? dup : NULL});
            char *outcome = mp_str(ev->data, "outcome");
            rc = hqe_close_issue(s, txn, &is, now_ms, outcome, fx, err);
            free(outcome);
            if (rc == 0 && dup && *dup)
                rc = note_merged(s, txn, dup, is.number, actor, seq, now_ms, err);
            free(dup);
        }
        break;
    case HQ_ACT_OPINION: rc = opinion(s, txn, &is, ev, actor, seq, now_ms, fx, err); break;
    case HQ_ACT_MODERATE:
        text = mp_str(ev->data, "reason");
        rc = moderate(s, txn, &is, ev, now_ms, actor, seq, text, err);
        break;
    case HQ_ACT_ACCOUNTABILITY:
        text = mp_str(ev->data, "reason");
        rc = start_accountability(s, txn, &is, now_ms, actor, seq,
                                  &(hq_tl_entry){.cause = HQ_TLC_MANUAL, .text = text}, fx, err);
        break;
    default:
        break;
    }
    free(text);
    char mark[96];
    hq_issue_mark_auth(&is, tl_from, actor, hq_authz_mark(ev, mark, sizeof mark));
    if (rc == 0)
        rc = hq_issue_save(s, txn, &is, err);
out:
    hq_issue_fini(&is);
    free(number);
    free(actor);
    return rc;
}

int hqe_fire_issue_timer(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_timer *t, int64_t now_ms,
                            hq_effects *fx, hq_err *err)
{
    hq_issue is;
    int rc = hq_issue_load(s, txn, t->issue, &is, err);
    if (rc == HQ_ENOTFOUND)
        return 0; /* an orphan: nothing to do */
    if (rc)
        return rc;
    forget_timer(&is, t->id);
    if (hqe_missed_while_down(e, t, now_ms))
        hqe_note_missed(e, &is, t, now_ms);
    switch (t->kind) {
    case HQ_TIMER_DEADLINE:
        is.overdue = true;
        hq_issue_add(&is, now_ms, "system", 0, &(hq_tl_entry){.kind = HQ_TL_OVERDUE, .due_ms = is.deadline_ms});
        rc = notify(s, txn, &is, now_ms, "overdue", NULL, 0, NULL, fx, err);
        if (rc == 0)
            rc = issue_timer(s, txn, &is, HQ_TIMER_OVERDUE_DAY, is.deadline_ms + HQ_DAY_MS, 1, err);
        break;
    case HQ_TIMER_ESCALATE: {
        const hq_chain_step *st = hq_issue_step(&is, (int)t->arg);
        rc = escalate_to(s, txn, &is, (int)t->arg, now_ms, "system", 0, HQ_TLC_OVERDUE, st ? st->after_ms : 0, fx,
                         err);
        break;
    }
    case HQ_TIMER_OVERDUE_DAY: {
        /* Collapse: every full day overdue up to now, at once. */
        int64_t days = (now_ms - is.deadline_ms) / HQ_DAY_MS;
        int64_t done = t->arg - 1; /* days assessed before this one */
        int64_t total = 0;
        if (days < 1)
            days = 1;
        for (int64_t d = done + 1; d <= days; d++) {
            char why[64];
            snprintf(why, sizeof why, "逾期第%lld天", (long long)d);
            total += hq_issue_penalize(&is, now_ms, is.terms.per_overdue_day_cents, is.terms.overdue_cap_cents,
                                       "per_overdue_day", why);
        }
        hq_issue_add(&is, now_ms, "system", 0,
                     &(hq_tl_entry){.kind = HQ_TL_REMINDER, .cause = HQ_TLC_OVERDUE, .count = (int)days});
        rc = notify(s, txn, &is, now_ms, "reminder", NULL, 0, "已逾期，请尽快整改", fx, err);
        if (rc == 0)
            rc = record_penalty(s, txn, &is, now_ms, 0, total, "per_overdue_day", (int)done + 1, (int)days, NULL, fx,
                                err);
        if (rc == 0)
            rc = issue_timer(s, txn, &is, HQ_TIMER_OVERDUE_DAY, is.deadline_ms + (days + 1) * HQ_DAY_MS, days + 1, err);
        break;
    }
    case HQ_TIMER_RECHECK: {
        hq_issue_note(&is, now_ms, "system", 0, HQ_TL_REMINDER, HQ_TLC_RECHECK, NULL);
        static const hq_role roles[] = {HQ_ROLE_SECTION_HEAD, HQ_ROLE_SUPERVISOR};
        rc = notify(s, txn, &is, now_ms, "reminder", roles, 2, "待复查", fx, err);
        /* Remind again each recheck period until someone rechecks. */
        if (rc == 0)
            rc = issue_timer(s, txn, &is, HQ_TIMER_RECHECK, after(e, now_ms, is.recheck_after_ms), 0, err);
        break;
    }
    case HQ_TIMER_ACK:
        if (is.state == HQ_IS_OPENED || is.state == HQ_IS_REOPENED) {
            hq_issue_note(&is, now_ms, "system", 0, HQ_TL_REMINDER, HQ_TLC_ACK, NULL);
            rc = notify(s, txn, &is, now_ms, "reminder", NULL, 0, "请签收整改通知", fx, err);
        }
        break;
    default:
        break;
    }
    if (rc == 0)
        rc = hq_issue_save(s, txn, &is, err);
    hq_issue_fini(&is);
    return rc;
}

/* The complainant's satisfaction answer (complaint.feedback, SPEC §6b):
 * noted on the issue it names as a satisfied or unsolved entry (stars in
 * count, the reason as text: the kinds the evaluation counts,
 * lib/report/evaluation.h), and "not solved" tells
 * the section head of the issue's domain (outbox kind "unsolved"), who may
 * reopen it.  An answer naming no stored issue changes nothing.  Its
 * permission (feedback, the complainant through the gateway) was decided
 * at ingest, before this. */
int hqe_complaint_feedback(hq_store *s, MDB_txn *txn, const hq_event *ev, uint64_t seq, int64_t now_ms,
                           hq_effects *fx, hq_err *err)
{
    const msgpack_object *so = hq_mp_map_get(ev->data, "solved");
    char *number = mp_str(ev->data, "issue");
    if (!so || so->type != MSGPACK_OBJECT_BOOLEAN || !number || !*number) {
        free(number);
        return 0;
    }
    hq_issue is;
    int rc = hq_issue_load(s, txn, number, &is, err);
    free(number);
    if (rc)
        return rc == HQ_ENOTFOUND ? 0 : rc;
    const msgpack_object *st = hq_mp_map_get(ev->data, "stars");
    int stars = st && st->type == MSGPACK_OBJECT_POSITIVE_INTEGER && st->via.u64 <= 5 ? (int)st->via.u64 : 0;
    char *reason = mp_str(ev->data, "reason");
    hq_issue_add(&is, now_ms, "complainant", seq,
                 &(hq_tl_entry){.kind = so->via.boolean ? HQ_TL_SATISFIED : HQ_TL_UNSOLVED, .count = stars,
                                .text = so->via.boolean ? NULL : reason});
    if (!so->via.boolean) {
        static const hq_role roles[] = {HQ_ROLE_SECTION_HEAD};
        rc = notify(s, txn, &is, now_ms, "unsolved", roles, 1, reason ? reason : NULL, fx, err);
    }
    free(reason);
    if (rc == 0)
        rc = hq_issue_save(s, txn, &is, err);
    hq_issue_fini(&is);
    return rc;
}
