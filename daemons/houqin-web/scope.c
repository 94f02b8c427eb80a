/* Who sees which issue and may do which action, from the roles of
 * rules/org.yaml.  This is the web's copy of the plan's table (the
 * identity issue's permission table, which houqind checks on every
 * lifecycle event whatever the web decided):
 *
 *   see      office leaders (office_director, deputy_director,
 *            vice_president, admin, section_head:general|decisions) all;
 *            section heads, centre heads and supervisors their domains;
 *            a contractor's contact only that contractor's issues
 *   ack, rectify   the issue's contractor's contact; for an issue with no
 *                  contractor, the domain's centre head or section head
 *   pass, fail     the domain's supervisors and section heads (never a
 *                  contractor's person; not whoever reported the last
 *                  rectification)
 *   comment        whoever sees the issue
 *   close, opinion the domain's section head, the office director and deputy
 */
#include "web.h"

#include <string.h>

const char *const web_act_names[WEB_ACT_COUNT] = {"ack", "rectify", "pass", "fail", "comment", "close", "opinion"};
const char *const web_act_labels[WEB_ACT_COUNT] = {"签收", "整改反馈", "复查通过", "复查不通过", "备注",
                                                   "办结销号", "记录舆情"};

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
    return leader(p) || has(p, HQ_ROLE_VICE_PRESIDENT, NULL) || has(p, HQ_ROLE_ADMIN, NULL) ||
           has(p, HQ_ROLE_WORKING_GROUP, NULL) || has(p, HQ_ROLE_SECTION_HEAD, "general");
}

bool web_is_contractor(const hq_person *p)
{
    return has(p, HQ_ROLE_CONTRACTOR_CONTACT, NULL);
}

static bool staff_of(const hq_person *p, const char *domain)
{
    return domain && (has(p, HQ_ROLE_SECTION_HEAD, domain) || has(p, HQ_ROLE_CENTRE_HEAD, domain) ||
                      has(p, HQ_ROLE_SUPERVISOR, domain));
}

bool web_may_see(const hq_person *p, const char *domain, const char *contractor)
{
    if (web_is_contractor(p))
        return contractor && *contractor && has(p, HQ_ROLE_CONTRACTOR_CONTACT, contractor);
    return web_sees_all(p) || staff_of(p, domain);
}

bool web_may_inspect(const hq_person *p, const char *domain)
{
    return !web_is_contractor(p) && (leader(p) || staff_of(p, domain));
}

const char *web_may_act(const hq_person *p, const hq_issue *is, int act, const char *last_rectifier)
{
    if (!web_may_see(p, is->domain, is->contractor))
        return "您无权查看此问题。";
    bool contractor = is->contractor && *is->contractor;
    switch (act) {
    case WEB_ACT_ACK:
    case WEB_ACT_RECTIFY:
        if (contractor ? has(p, HQ_ROLE_CONTRACTOR_CONTACT, is->contractor)
                       : (has(p, HQ_ROLE_CENTRE_HEAD, is->domain) || has(p, HQ_ROLE_SECTION_HEAD, is->domain)))
            return NULL;
        return contractor ? "签收和整改反馈由责任单位（合作企业）办理。" : "签收和整改反馈由本领域服务中心或科室办理。";
    case WEB_ACT_PASS:
    case WEB_ACT_FAIL:
        if (web_is_contractor(p))
            return "合作企业不能复查自己的整改（监管分离）。";
        if (!has(p, HQ_ROLE_SUPERVISOR, is->domain) && !has(p, HQ_ROLE_SECTION_HEAD, is->domain))
            return "复查由本领域的监督员或科室负责人办理。";
        if (act == WEB_ACT_PASS && last_rectifier && strcmp(last_rectifier, p->id) == 0)
            return "报告整改的人不能复查通过自己的整改（监管分离）。";
        return NULL;
    case WEB_ACT_COMMENT: return NULL;
    case WEB_ACT_CLOSE:
    case WEB_ACT_OPINION:
        if (web_is_contractor(p))
            return "合作企业不能办结问题或记录舆情。";
        if (leader(p) || has(p, HQ_ROLE_SECTION_HEAD, is->domain))
            return NULL;
        return "办结和记录舆情由本领域科室负责人或处领导办理。";
    default: return "未知的操作。";
    }
}

const char *web_person_name(const char *id)
{
    const hq_person *p = web_person(id);
    return p && p->name ? p->name : id;
}
