/* Who sees which issue and may do which action.
 *
 * Actions are decided by the shipped permission table itself
 * (hq_rules_perm(rules) and hq_perm_decide, lib/model/perm.h), with the
 * same target houqind's engine builds (lib/engine/authz.c: the issue's
 * domain and contractor, hq_issue_rectified_by, pass for a passing
 * recheck), so a form is offered exactly when houqind will accept the
 * action from this person.  A rules directory without a permission table
 * checks no action in houqind, and here neither (whoever sees the issue
 * may act).  What the web cannot know is houqind's allow-list: with
 * CURVE and an on_behalf list of roles, houqind also refuses a person
 * none of whose roles is in it (docs/web.md "Who sees what").
 *
 * Seeing is reading, which the table does not list; it is derived so
 * that it agrees with the table:
 *   - a contractor's person sees only its contractors' issues (the table
 *     can never widen a contractor's scope);
 *   - the unscoped office roles (office_director, deputy_director,
 *     vice_president, admin) and section_head:general (the office's
 *     general section) see every issue;
 *   - a domain role (section_head, centre_head, supervisor) sees its
 *     domains' issues;
 *   - and anyone sees an issue the table lets them act on (a grant with
 *     "scope: all" widens what they see), so no form is ever offered on an
 *     issue the person may not see.
 * Inspections are no issue action: the domain's staff and the office's
 * leaders file them (web_may_inspect).
 */
#include "web.h"

#include "perm.h"

#include <stdio.h>
#include <string.h>

const char *const web_act_names[WEB_ACT_COUNT] = {"ack",     "rectify",        "pass",     "fail",     "comment",
                                                  "close",   "opinion",        "accountability", "moderate",
                                                  "duplicate"};
const char *const web_act_labels[WEB_ACT_COUNT] = {"签收",     "整改反馈", "复查通过",     "复查不通过",    "备注",
                                                   "办结销号", "记录舆情", "启动问责",     "隐去个人信息", "标记为重复投诉"};
const hq_issue_action web_act_lifecycle[WEB_ACT_COUNT] = {
    HQ_ACT_ACK,   HQ_ACT_RECTIFY, HQ_ACT_RECHECK_PASS,   HQ_ACT_RECHECK_FAIL, HQ_ACT_COMMENT,
    HQ_ACT_CLOSE, HQ_ACT_OPINION, HQ_ACT_ACCOUNTABILITY, HQ_ACT_MODERATE,     HQ_ACT_CLOSE};

/* The table's action of a web action. */
static hq_perm_action perm_action(int act)
{
    static const hq_perm_action map[WEB_ACT_COUNT] = {HQ_PA_ACK,     HQ_PA_RECTIFY, HQ_PA_RECHECK,        HQ_PA_RECHECK,
                                                      HQ_PA_COMMENT, HQ_PA_CLOSE,   HQ_PA_OPINION,        HQ_PA_ACCOUNTABILITY,
                                                      HQ_PA_MODERATE, HQ_PA_CLOSE};
    return act >= 0 && act < WEB_ACT_COUNT ? map[act] : HQ_PA_COUNT;
}

/* Chinese names of the roles, for the refusal sentences. */
static const char *role_label(hq_role r)
{
    static const char *const labels[HQ_ROLE_COUNT] = {
        [HQ_ROLE_WORKING_GROUP] = "监督工作组",  [HQ_ROLE_OFFICE_DIRECTOR] = "处长",
        [HQ_ROLE_DEPUTY_DIRECTOR] = "副处长",    [HQ_ROLE_SECTION_HEAD] = "科室负责人",
        [HQ_ROLE_CENTRE_HEAD] = "服务中心负责人", [HQ_ROLE_SUPERVISOR] = "监督员",
        [HQ_ROLE_VICE_PRESIDENT] = "分管副校长", [HQ_ROLE_CONTRACTOR_CONTACT] = "合作企业联系人",
        [HQ_ROLE_COMPLAINANT] = "投诉人",        [HQ_ROLE_ADMIN] = "系统管理员",
    };
    return (unsigned)r < HQ_ROLE_COUNT && labels[r] ? labels[r] : "?";
}

static bool has(const hq_person *p, hq_role role, const char *scope)
{
    for (size_t i = 0; i < p->nroles; i++)
        if (p->roles[i].role == role &&
            (!scope || (p->roles[i].scope && strcmp(p->roles[i].scope, scope) == 0)))
            return true;
    return false;
}

static bool leader(const hq_person *p)
{
    return has(p, HQ_ROLE_OFFICE_DIRECTOR, NULL) || has(p, HQ_ROLE_DEPUTY_DIRECTOR, NULL);
}

bool web_sees_all(const hq_person *p)
{
    return !web_is_contractor(p) &&
           (leader(p) || has(p, HQ_ROLE_VICE_PRESIDENT, NULL) || has(p, HQ_ROLE_ADMIN, NULL) ||
            has(p, HQ_ROLE_WORKING_GROUP, NULL) || has(p, HQ_ROLE_SECTION_HEAD, "general"));
}

bool web_is_contractor(const hq_person *p)
{
    return hq_perm_is_contractor(p->roles, p->nroles);
}

static bool staff_of(const hq_person *p, const char *domain)
{
    return domain && (has(p, HQ_ROLE_SECTION_HEAD, domain) || has(p, HQ_ROLE_CENTRE_HEAD, domain) ||
                      has(p, HQ_ROLE_SUPERVISOR, domain));
}

/* Whether the table lets p do some issue action on (domain, contractor). */
static bool table_lets_act(const hq_person *p, const char *domain, const char *contractor)
{
    const hq_perm *t = hq_rules_perm(g_web->rules);
    if (!t)
        return false;
    hq_perm_target tg = {.domain = domain, .contractor = contractor};
    static const hq_perm_action issue_actions[] = {HQ_PA_ACK,   HQ_PA_RECTIFY, HQ_PA_RECHECK,       HQ_PA_COMMENT,
                                                   HQ_PA_CLOSE, HQ_PA_OPINION, HQ_PA_ACCOUNTABILITY};
    for (size_t i = 0; i < sizeof issue_actions / sizeof *issue_actions; i++)
        if (hq_perm_decide(t, p->id, p->roles, p->nroles, issue_actions[i], &tg, NULL, 0) == HQ_PERM_OK)
            return true;
    return false;
}

bool web_may_see(const hq_person *p, const char *domain, const char *contractor)
{
    if (web_is_contractor(p)) {
        if (!contractor || !*contractor)
            return false;
        return has(p, HQ_ROLE_CONTRACTOR_CONTACT, contractor);
    }
    return web_sees_all(p) || staff_of(p, domain) || table_lets_act(p, domain, contractor);
}

bool web_may_inspect(const hq_person *p, const char *domain)
{
    return !web_is_contractor(p) && (leader(p) || staff_of(p, domain));
}

/* The roles the table grants a at all, in Chinese, into buf. */
static void who_may(hq_perm_action a, char *buf, size_t size)
{
    const hq_perm *t = hq_rules_perm(g_web->rules);
    size_t o = 0;
    buf[0] = '\0';
    for (int r = 0; t && r < HQ_ROLE_COUNT && o < size; r++)
        if (hq_perm_role_may(t, (hq_role)r, a))
            o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? "、" : "", role_label((hq_role)r));
}

const char *web_may_act(const hq_person *p, const hq_issue *is, int act, char *why, size_t size)
{
    if (!web_may_see(p, is->domain, is->contractor)) {
        snprintf(why, size, "您无权查看此问题。");
        return why;
    }
    hq_perm_action a = perm_action(act);
    if (a == HQ_PA_COUNT) {
        snprintf(why, size, "未知的操作。");
        return why;
    }
    const hq_perm *t = hq_rules_perm(g_web->rules);
    if (!t)
        return NULL; /* houqind checks no action either */
    hq_perm_target tg = {.domain = is->domain,
                         .contractor = is->contractor,
                         .rectified_by = hq_issue_rectified_by(is),
                         .pass = act == WEB_ACT_PASS};
    hq_perm_reason r = hq_perm_decide(t, p->id, p->roles, p->nroles, a, &tg, NULL, 0);
    char list[200];
    switch (r) {
    case HQ_PERM_OK: return NULL;
    case HQ_PERM_CONTRACTOR:
        snprintf(why, size, "合作企业不能%s（监管分离）。",
                 a == HQ_PA_RECHECK  ? "复查自己的整改"
                 : a == HQ_PA_CLOSE  ? "办结问题"
                 : a == HQ_PA_MODERATE ? "处理投诉人信息"
                                       : "办理此项");
        return why;
    case HQ_PERM_SELF_RECHECK: snprintf(why, size, "报告整改的人不能复查通过自己的整改（监管分离）。"); return why;
    case HQ_PERM_SCOPE:
        snprintf(why, size, "您的岗位只能对所负责%s的问题办理“%s”，此问题不在其内。",
                 web_is_contractor(p) ? "单位" : "领域", web_act_labels[act]);
        return why;
    default:
        who_may(a, list, sizeof list);
        snprintf(why, size, "按权限表，“%s”由%s办理。", web_act_labels[act], list[0] ? list : "（无人）");
        return why;
    }
}

const char *web_person_name(const char *id)
{
    return hq_rules_actor_name(g_web->rules, id);
}
