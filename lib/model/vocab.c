/* vocab.c - severities and roles: names and parsing (vocab.h). */
#include "vocab.h"

#include "err.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

static const char *const sev_names[HQ_SEV_COUNT] = {"low", "medium", "high", "critical"};
static const char *const role_names[HQ_ROLE_COUNT] = {
    "working_group", "office_director", "deputy_director", "section_head", "centre_head",
    "supervisor",    "vice_president",  "contractor_contact", "complainant", "admin",
};

static int lookup(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

const char *hq_severity_name(hq_severity s)
{
    assert(s >= 0 && s < HQ_SEV_COUNT);
    return sev_names[s];
}

int hq_severity_parse(const char *s, hq_severity *out)
{
    int i = lookup(sev_names, HQ_SEV_COUNT, s);
    if (i < 0)
        return HQ_EINVAL;
    *out = (hq_severity)i;
    return 0;
}

const char *hq_role_name(hq_role r)
{
    assert(r >= 0 && r < HQ_ROLE_COUNT);
    return role_names[r];
}

int hq_role_parse(const char *s, hq_role *out)
{
    int i = lookup(role_names, HQ_ROLE_COUNT, s);
    if (i < 0)
        return HQ_EINVAL;
    *out = (hq_role)i;
    return 0;
}

/* ---- labels ---- */

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const class_names[HQ_LBL_COUNT] = {
    "domains", "categories", "severities", "states", "timeline", "penalties", "roles", "notices", "timers",
    "issue_categories",
};

const char *hq_label_class_name(hq_label_class c)
{
    return (unsigned)c < HQ_LBL_COUNT ? class_names[c] : "?";
}

int hq_label_class_parse(const char *s, hq_label_class *out)
{
    int i = lookup(class_names, HQ_LBL_COUNT, s);
    if (i < 0)
        return HQ_EINVAL;
    *out = (hq_label_class)i;
    return 0;
}

/* The built-in labels: the same words as rules/vocabulary.yaml ships
 * (a unit test compares them), used until a vocabulary is installed. */
typedef struct {
    hq_label_class c;
    const char *code, *label;
} builtin;

static const builtin builtins[] = {
    {HQ_LBL_DOMAIN, "catering", "餐饮"},
    {HQ_LBL_DOMAIN, "dormitory", "宿舍"},
    {HQ_LBL_DOMAIN, "property", "物业"},
    {HQ_LBL_DOMAIN, "energy", "能源"},
    {HQ_LBL_DOMAIN, "transport", "车辆运输"},
    {HQ_LBL_DOMAIN, "procurement", "采购"},
    {HQ_LBL_DOMAIN, "maintenance", "维修"},
    {HQ_LBL_DOMAIN, "decisions", "决策督办"},
    {HQ_LBL_DOMAIN, "general", "综合"},
    {HQ_LBL_SEVERITY, "low", "轻微"},
    {HQ_LBL_SEVERITY, "medium", "一般"},
    {HQ_LBL_SEVERITY, "high", "严重"},
    {HQ_LBL_SEVERITY, "critical", "重大"},
    {HQ_LBL_STATE, "opened", "已开立"},
    {HQ_LBL_STATE, "acknowledged", "已签收"},
    {HQ_LBL_STATE, "rectified", "已整改待复查"},
    {HQ_LBL_STATE, "reopened", "重新整改"},
    {HQ_LBL_STATE, "closed", "已办结"},
    {HQ_LBL_KIND, "legacy", "记录"},
    {HQ_LBL_KIND, "opened", "开立"},
    {HQ_LBL_KIND, "acknowledged", "签收"},
    {HQ_LBL_KIND, "rectified", "整改反馈"},
    {HQ_LBL_KIND, "reopened", "复查未通过"},
    {HQ_LBL_KIND, "closed", "办结"},
    {HQ_LBL_KIND, "overdue", "逾期"},
    {HQ_LBL_KIND, "escalated", "升级"},
    {HQ_LBL_KIND, "accountability", "启动问责"},
    {HQ_LBL_KIND, "penalty", "违约金"},
    {HQ_LBL_KIND, "reminder", "提醒"},
    {HQ_LBL_KIND, "occurrence", "再次发生"},
    {HQ_LBL_KIND, "recurrence", "重复发生"},
    {HQ_LBL_KIND, "comment", "批注"},
    {HQ_LBL_KIND, "opinion", "舆情事件"},
    {HQ_LBL_KIND, "late", "迟到的数据"},
    {HQ_LBL_KIND, "missed", "停机期间到期"},
    {HQ_LBL_KIND, "data_resumed", "数据恢复上报"},
    {HQ_LBL_KIND, "satisfied", "投诉人确认已解决"},
    {HQ_LBL_KIND, "unsolved", "投诉人反馈未解决"},
    {HQ_LBL_PENALTY, "per_overdue_day", "逾期违约金"},
    {HQ_LBL_PENALTY, "per_failed_recheck", "复查未通过违约金"},
    {HQ_LBL_PENALTY, "per_recurrence", "重复发生违约金"},
    {HQ_LBL_PENALTY, "opinion", "舆情事件违约金"},
    {HQ_LBL_ROLE, "working_group", "督导工作组"},
    {HQ_LBL_ROLE, "office_director", "后勤管理处处长"},
    {HQ_LBL_ROLE, "deputy_director", "后勤管理处副处长"},
    {HQ_LBL_ROLE, "section_head", "科室负责人"},
    {HQ_LBL_ROLE, "centre_head", "中心负责人"},
    {HQ_LBL_ROLE, "supervisor", "监管员"},
    {HQ_LBL_ROLE, "vice_president", "分管校领导"},
    {HQ_LBL_ROLE, "contractor_contact", "承办单位联系人"},
    {HQ_LBL_ROLE, "complainant", "投诉人"},
    {HQ_LBL_ROLE, "admin", "系统管理员"},
    {HQ_LBL_NOTICE, "opened", "新整改通知"},
    {HQ_LBL_NOTICE, "reminder", "提醒"},
    {HQ_LBL_NOTICE, "overdue", "逾期"},
    {HQ_LBL_NOTICE, "escalated", "升级"},
    {HQ_LBL_NOTICE, "accountability", "启动问责"},
    {HQ_LBL_NOTICE, "penalty", "违约金"},
    {HQ_LBL_NOTICE, "reopened", "复查未通过，重新整改"},
    {HQ_LBL_NOTICE, "closed", "已办结"},
    {HQ_LBL_NOTICE, "rectified", "已整改待复查"},
    {HQ_LBL_NOTICE, "feedback", "处理结果反馈"},
    {HQ_LBL_NOTICE, "unsolved", "投诉人反馈未解决"},
    {HQ_LBL_TIMER, "deadline", "整改期限"},
    {HQ_LBL_TIMER, "escalation", "升级时限"},
    {HQ_LBL_TIMER, "overdue-reminder", "逾期计日"},
    {HQ_LBL_TIMER, "recheck-reminder", "复查提醒"},
    {HQ_LBL_TIMER, "acknowledgement-reminder", "签收时限"},
    {HQ_LBL_TIMER, "sustained-condition", "持续条件判定"},
    {HQ_LBL_TIMER, "self-clearing", "恢复正常判定"},
    {HQ_LBL_TIMER, "obligation-deadline", "应交记录截止"},
    {HQ_LBL_TIMER, "stale-data", "数据中断判定"},
    {HQ_LBL_CATEGORY, "catering.foreign_matter", "异物"},
    {HQ_LBL_CATEGORY, "catering.pest", "虫鼠"},
    {HQ_LBL_CATEGORY, "catering.food_quality", "饭菜质量"},
    {HQ_LBL_CATEGORY, "catering.portion", "份量不足"},
    {HQ_LBL_CATEGORY, "catering.illness", "就餐后身体不适"},
    {HQ_LBL_CATEGORY, "catering.price", "价格"},
    {HQ_LBL_CATEGORY, "catering.hygiene", "卫生"},
    {HQ_LBL_CATEGORY, "catering.service_attitude", "服务态度"},
    {HQ_LBL_CATEGORY, "catering.dining_order", "就餐秩序"},
    {HQ_LBL_CATEGORY, "catering.food_waste", "浪费"},
    {HQ_LBL_CATEGORY, "dormitory.hygiene", "卫生"},
    {HQ_LBL_CATEGORY, "dormitory.repair", "设施维修"},
    {HQ_LBL_CATEGORY, "dormitory.hot_water", "洗浴热水"},
    {HQ_LBL_CATEGORY, "dormitory.drinking_water", "饮用水"},
    {HQ_LBL_CATEGORY, "dormitory.laundry", "洗衣"},
    {HQ_LBL_CATEGORY, "dormitory.price", "收费"},
    {HQ_LBL_CATEGORY, "dormitory.noise", "噪声"},
    {HQ_LBL_CATEGORY, "dormitory.security", "安全隐患"},
    {HQ_LBL_CATEGORY, "dormitory.service_attitude", "服务态度"},
    {HQ_LBL_CATEGORY, "property.hygiene", "卫生"},
    {HQ_LBL_CATEGORY, "property.repair", "设施维修"},
    {HQ_LBL_CATEGORY, "property.garbage", "垃圾清运"},
    {HQ_LBL_CATEGORY, "property.security", "安全隐患"},
    {HQ_LBL_CATEGORY, "property.public_order", "公共秩序"},
    {HQ_LBL_CATEGORY, "property.greening", "绿化养护"},
    {HQ_LBL_CATEGORY, "property.service_attitude", "服务态度"},
    {HQ_LBL_CATEGORY, "energy.outage", "停水停电"},
    {HQ_LBL_CATEGORY, "energy.fee", "水电收费"},
    {HQ_LBL_CATEGORY, "energy.water_quality", "水质"},
    {HQ_LBL_CATEGORY, "energy.waste", "水电浪费"},
    {HQ_LBL_CATEGORY, "transport.driving_safety", "行车安全"},
    {HQ_LBL_CATEGORY, "transport.punctuality", "班车准点"},
    {HQ_LBL_CATEGORY, "transport.vehicle_interior", "车内环境"},
    {HQ_LBL_CATEGORY, "transport.service_attitude", "服务态度"},
    {HQ_LBL_CATEGORY, "procurement.goods_quality", "物资质量"},
    {HQ_LBL_CATEGORY, "procurement.late_delivery", "到货不及时"},
    {HQ_LBL_CATEGORY, "procurement.wrong_spec", "规格不符"},
    {HQ_LBL_CATEGORY, "maintenance.repair_quality", "维修质量"},
    {HQ_LBL_CATEGORY, "maintenance.repair_delay", "维修不及时"},
    {HQ_LBL_CATEGORY, "maintenance.construction", "施工扰民"},
    {HQ_LBL_CATEGORY, "decisions.other", "其他"},
    {HQ_LBL_ISSUE_CATEGORY, "catering.complaint-case", "投诉办理"},
    {HQ_LBL_ISSUE_CATEGORY, "catering.complaint-reinvestigation", "投诉重新核查"},
    {HQ_LBL_ISSUE_CATEGORY, "catering.complaints", "投诉集中"},
    {HQ_LBL_ISSUE_CATEGORY, "catering.data-missing", "数据缺报"},
    {HQ_LBL_ISSUE_CATEGORY, "catering.food-safety", "食品安全"},
    {HQ_LBL_ISSUE_CATEGORY, "catering.food-safety-incident", "食品安全事件"},
    {HQ_LBL_ISSUE_CATEGORY, "catering.hygiene", "卫生"},
    {HQ_LBL_ISSUE_CATEGORY, "catering.ingredient-acceptance", "食材验收"},
    {HQ_LBL_ISSUE_CATEGORY, "catering.inspection", "检查发现问题"},
    {HQ_LBL_ISSUE_CATEGORY, "catering.inspection-missing", "检查缺报"},
    {HQ_LBL_ISSUE_CATEGORY, "catering.price", "价格"},
    {HQ_LBL_ISSUE_CATEGORY, "catering.self-inspection", "自查"},
    {HQ_LBL_ISSUE_CATEGORY, "dormitory.complaint-case", "投诉办理"},
    {HQ_LBL_ISSUE_CATEGORY, "dormitory.complaint-reinvestigation", "投诉重新核查"},
    {HQ_LBL_ISSUE_CATEGORY, "dormitory.complaints", "投诉集中"},
    {HQ_LBL_ISSUE_CATEGORY, "dormitory.data-missing", "数据缺报"},
    {HQ_LBL_ISSUE_CATEGORY, "dormitory.drinking-water", "饮用水"},
    {HQ_LBL_ISSUE_CATEGORY, "dormitory.electrical-safety", "用电安全"},
    {HQ_LBL_ISSUE_CATEGORY, "dormitory.hot-water", "洗浴热水"},
    {HQ_LBL_ISSUE_CATEGORY, "dormitory.inspection", "检查发现问题"},
    {HQ_LBL_ISSUE_CATEGORY, "dormitory.inspection-missing", "检查缺报"},
    {HQ_LBL_ISSUE_CATEGORY, "dormitory.repair-quality", "维修质量"},
    {HQ_LBL_ISSUE_CATEGORY, "dormitory.repair-sla", "维修时限"},
    {HQ_LBL_ISSUE_CATEGORY, "property.complaint-case", "投诉办理"},
    {HQ_LBL_ISSUE_CATEGORY, "property.complaint-reinvestigation", "投诉重新核查"},
    {HQ_LBL_ISSUE_CATEGORY, "property.garbage", "垃圾清运"},
    {HQ_LBL_ISSUE_CATEGORY, "property.inspection", "检查发现问题"},
    {HQ_LBL_ISSUE_CATEGORY, "property.inspection-missing", "检查缺报"},
    {HQ_LBL_ISSUE_CATEGORY, "property.repair-sla", "维修时限"},
    {HQ_LBL_ISSUE_CATEGORY, "property.security", "安全"},
    {HQ_LBL_ISSUE_CATEGORY, "energy.complaint-case", "投诉办理"},
    {HQ_LBL_ISSUE_CATEGORY, "energy.complaint-reinvestigation", "投诉重新核查"},
    {HQ_LBL_ISSUE_CATEGORY, "energy.complaints", "投诉集中"},
    {HQ_LBL_ISSUE_CATEGORY, "energy.energy-waste", "能源浪费"},
    {HQ_LBL_ISSUE_CATEGORY, "energy.inspection", "检查发现问题"},
    {HQ_LBL_ISSUE_CATEGORY, "energy.inspection-missing", "检查缺报"},
    {HQ_LBL_ISSUE_CATEGORY, "energy.outage", "停水停电"},
    {HQ_LBL_ISSUE_CATEGORY, "energy.outage-notice", "停水停电告知"},
    {HQ_LBL_ISSUE_CATEGORY, "transport.complaint-case", "投诉办理"},
    {HQ_LBL_ISSUE_CATEGORY, "transport.complaint-reinvestigation", "投诉重新核查"},
    {HQ_LBL_ISSUE_CATEGORY, "transport.complaints", "投诉集中"},
    {HQ_LBL_ISSUE_CATEGORY, "transport.driving-safety", "行车安全"},
    {HQ_LBL_ISSUE_CATEGORY, "transport.inspection-missing", "检查缺报"},
    {HQ_LBL_ISSUE_CATEGORY, "transport.vehicle-safety", "车辆安全"},
    {HQ_LBL_ISSUE_CATEGORY, "procurement.brand-spec", "品牌规格不符"},
    {HQ_LBL_ISSUE_CATEGORY, "procurement.complaint-case", "投诉办理"},
    {HQ_LBL_ISSUE_CATEGORY, "procurement.complaint-reinvestigation", "投诉重新核查"},
    {HQ_LBL_ISSUE_CATEGORY, "procurement.delivery-quantity", "配送数量不足"},
    {HQ_LBL_ISSUE_CATEGORY, "procurement.delivery-time", "配送不及时"},
    {HQ_LBL_ISSUE_CATEGORY, "procurement.goods-quality", "物资质量"},
    {HQ_LBL_ISSUE_CATEGORY, "procurement.inspection", "检查发现问题"},
    {HQ_LBL_ISSUE_CATEGORY, "maintenance.complaint-case", "投诉办理"},
    {HQ_LBL_ISSUE_CATEGORY, "maintenance.complaint-reinvestigation", "投诉重新核查"},
    {HQ_LBL_ISSUE_CATEGORY, "maintenance.lift", "电梯"},
    {HQ_LBL_ISSUE_CATEGORY, "maintenance.project", "工程项目"},
    {HQ_LBL_ISSUE_CATEGORY, "maintenance.repair-quality", "维修质量"},
    {HQ_LBL_ISSUE_CATEGORY, "maintenance.repair-sla", "维修时限"},
    {HQ_LBL_ISSUE_CATEGORY, "decisions.decision", "决策部署督办"},
    {HQ_LBL_ISSUE_CATEGORY, "general.complaint-reinvestigation", "投诉重新核查"},
    {HQ_LBL_ISSUE_CATEGORY, "general.inspection-missing", "检查缺报"},
    {HQ_LBL_ISSUE_CATEGORY, "general.unknown-reference", "数据引用未登记"},
};
#define NBUILTIN (sizeof builtins / sizeof *builtins)

typedef struct vent {
    hq_label_class c;
    char *code, *label;
} vent;

struct hq_vocab {
    vent *v;
    size_t n;
};

hq_vocab *hq_vocab_new(void)
{
    return hq_calloc(1, sizeof(hq_vocab));
}

void hq_vocab_free(hq_vocab *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        free(v->v[i].code);
        free(v->v[i].label);
    }
    free(v->v);
    free(v);
}

const char *hq_vocab_get(const hq_vocab *v, hq_label_class c, const char *code)
{
    for (size_t i = 0; v && code && i < v->n; i++)
        if (v->v[i].c == c && !strcmp(v->v[i].code, code))
            return v->v[i].label;
    return NULL;
}

void hq_vocab_set(hq_vocab *v, hq_label_class c, const char *code, const char *label)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->v[i].c == c && !strcmp(v->v[i].code, code)) {
            free(v->v[i].label);
            v->v[i].label = hq_strdup(label);
            return;
        }
    v->v = hq_realloc(v->v, (v->n + 1) * sizeof *v->v);
    v->v[v->n++] = (vent){c, hq_strdup(code), hq_strdup(label)};
}

void hq_vocab_each(const hq_vocab *v, hq_label_class c, void (*fn)(void *ctx, const char *code, const char *label),
                   void *ctx)
{
    if (v) {
        for (size_t i = 0; i < v->n; i++)
            if (v->v[i].c == c)
                fn(ctx, v->v[i].code, v->v[i].label);
        return;
    }
    for (size_t i = 0; i < NBUILTIN; i++)
        if (builtins[i].c == c)
            fn(ctx, builtins[i].code, builtins[i].label);
}

const char *const *hq_vocab_required(hq_label_class c)
{
    static const char *req[HQ_LBL_COUNT][48];
    static bool done;
    if (!done) {
        size_t n[HQ_LBL_COUNT] = {0};
        for (size_t i = 0; i < NBUILTIN; i++) {
            hq_label_class k = builtins[i].c;
            if (k != HQ_LBL_DOMAIN && k != HQ_LBL_CATEGORY && k != HQ_LBL_ISSUE_CATEGORY && n[k] < 47)
                req[k][n[k]++] = builtins[i].code;
        }
        done = true;
    }
    return req[c];
}

/* The installed vocabulary; earlier ones are kept (never freed) so that
 * a label handed out before a reload stays valid. */
static hq_vocab *installed;

void hq_vocab_install(const hq_vocab *v)
{
    hq_vocab *copy = NULL;
    if (v) {
        copy = hq_vocab_new();
        for (size_t i = 0; i < v->n; i++)
            hq_vocab_set(copy, v->v[i].c, v->v[i].code, v->v[i].label);
    }
    installed = copy; /* the earlier copy stays allocated on purpose */
}

const hq_vocab *hq_vocab_installed(void)
{
    return installed;
}

const char *hq_vocab_lookup(const hq_vocab *v, hq_label_class c, const char *code)
{
    if (!code)
        return NULL;
    if (v)
        return hq_vocab_get(v, c, code);
    for (size_t i = 0; i < NBUILTIN; i++)
        if (builtins[i].c == c && !strcmp(builtins[i].code, code))
            return builtins[i].label;
    return NULL;
}

const char *hq_label_find(hq_label_class c, const char *code)
{
    if (!code)
        return NULL;
    return hq_vocab_lookup(installed, c, code); /* an installed vocabulary replaces the built-in one */
}

const char *hq_label(hq_label_class c, const char *code)
{
    const char *l = hq_label_find(c, code);
    return l ? l : code ? code : "";
}

const char *hq_severity_label(hq_severity s)
{
    return (unsigned)s < HQ_SEV_COUNT ? hq_label(HQ_LBL_SEVERITY, sev_names[s]) : "?";
}

const char *hq_domain_label(const char *domain)
{
    return hq_label(HQ_LBL_DOMAIN, domain);
}

const char *hq_category_label(const char *domain, const char *category)
{
    if (!category || !*category)
        return "";
    char k[160];
    snprintf(k, sizeof k, "%s.%s", domain ? domain : "", category);
    const char *l = hq_label_find(HQ_LBL_ISSUE_CATEGORY, k);
    if (!l)
        l = hq_label_find(HQ_LBL_CATEGORY, k);
    return l ? l : category;
}

typedef struct {
    const char *prefix;
    size_t plen;
    const char *text;
    const char *found;
    char *out;
    size_t size, used, count;
} catscan;

static void cat_match(void *ctx, const char *code, const char *label)
{
    catscan *s = ctx;
    if (strncmp(code, s->prefix, s->plen) || s->found)
        return;
    if (!strcmp(code + s->plen, s->text) || !strcmp(label, s->text))
        s->found = code + s->plen;
}

static void cat_list(void *ctx, const char *code, const char *label)
{
    catscan *s = ctx;
    if (strncmp(code, s->prefix, s->plen))
        return;
    int n = snprintf(s->out + s->used, s->size - s->used, "%s%s（%s）", s->count ? ", " : "", code + s->plen, label);
    if (n > 0 && s->used + (size_t)n < s->size)
        s->used += (size_t)n;
    s->count++;
}

const char *hq_category_code(const char *domain, const char *text)
{
    char p[96];
    snprintf(p, sizeof p, "%s.", domain ? domain : "");
    catscan s = {.prefix = p, .plen = strlen(p), .text = text ? text : ""};
    hq_vocab_each(installed, HQ_LBL_CATEGORY, cat_match, &s);
    return s.found;
}

size_t hq_category_list(const char *domain, char *out, size_t size)
{
    char p[96];
    snprintf(p, sizeof p, "%s.", domain ? domain : "");
    if (size)
        out[0] = '\0';
    catscan s = {.prefix = p, .plen = strlen(p), .out = out, .size = size};
    if (size)
        hq_vocab_each(installed, HQ_LBL_CATEGORY, cat_list, &s);
    return s.count;
}
