/* vocab.c - severities and roles: names and parsing (vocab.h). */
#include "vocab.h"

#include "err.h"

#include <assert.h>
#include <stdbool.h>
#include <stdatomic.h>
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
    "issue_categories", "values", "items", "checklists", "obligations",
};

const char *hq_label_class_name(hq_label_class c)
{
    return (unsigned)c < HQ_LBL_COUNT ? class_names[c] : "?";
}

bool hq_label_class_flat(hq_label_class c)
{
    return (unsigned)c < HQ_LBL_COUNT && c != HQ_LBL_CATEGORY && c != HQ_LBL_ISSUE_CATEGORY && c != HQ_LBL_VALUE;
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
    {HQ_LBL_KIND, "moderated", "隐去个人信息"},
    {HQ_LBL_KIND, "merged", "合并重复问题"},
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
    {HQ_LBL_ISSUE_CATEGORY, "catering.dish-quality", "菜品质量与份量"},
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
    {HQ_LBL_ISSUE_CATEGORY, "dormitory.laundry", "洗衣服务"},
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
    {HQ_LBL_ISSUE_CATEGORY, "transport.punctuality", "班车准点"},
    {HQ_LBL_ISSUE_CATEGORY, "transport.vehicle-interior", "车容车貌"},
    {HQ_LBL_ISSUE_CATEGORY, "transport.vehicle-safety", "车辆安全"},
    {HQ_LBL_ISSUE_CATEGORY, "procurement.brand-spec", "品牌规格不符"},
    {HQ_LBL_ISSUE_CATEGORY, "procurement.complaint-case", "投诉办理"},
    {HQ_LBL_ISSUE_CATEGORY, "procurement.complaint-reinvestigation", "投诉重新核查"},
    {HQ_LBL_ISSUE_CATEGORY, "procurement.delivery-quantity", "配送数量不足"},
    {HQ_LBL_ISSUE_CATEGORY, "procurement.delivery-time", "配送不及时"},
    {HQ_LBL_ISSUE_CATEGORY, "procurement.goods-quality", "物资质量"},
    {HQ_LBL_ISSUE_CATEGORY, "procurement.inspection", "检查发现问题"},
    {HQ_LBL_ISSUE_CATEGORY, "procurement.inspection-missing", "检查缺报"},
    {HQ_LBL_ISSUE_CATEGORY, "maintenance.complaint-case", "投诉办理"},
    {HQ_LBL_ISSUE_CATEGORY, "maintenance.complaint-reinvestigation", "投诉重新核查"},
    {HQ_LBL_ISSUE_CATEGORY, "maintenance.lift", "电梯"},
    {HQ_LBL_ISSUE_CATEGORY, "maintenance.project", "工程项目"},
    {HQ_LBL_ISSUE_CATEGORY, "maintenance.repair-quality", "维修质量"},
    {HQ_LBL_ISSUE_CATEGORY, "maintenance.repair-sla", "维修时限"},
    {HQ_LBL_ISSUE_CATEGORY, "maintenance.inspection-missing", "检查缺报"},
    {HQ_LBL_ISSUE_CATEGORY, "decisions.decision", "决策部署督办"},
    {HQ_LBL_ISSUE_CATEGORY, "general.complaint-reinvestigation", "投诉重新核查"},
    {HQ_LBL_ISSUE_CATEGORY, "general.inspection-missing", "检查缺报"},
    {HQ_LBL_ISSUE_CATEGORY, "general.unknown-reference", "数据引用未登记"},
    {HQ_LBL_VALUE, "catering.acceptance.category.meat", "肉类"},
    {HQ_LBL_VALUE, "catering.acceptance.category.poultry", "禽类"},
    {HQ_LBL_VALUE, "catering.acceptance.category.aquatic", "水产"},
    {HQ_LBL_VALUE, "catering.acceptance.category.eggs", "蛋类"},
    {HQ_LBL_VALUE, "catering.acceptance.category.vegetables", "蔬菜"},
    {HQ_LBL_VALUE, "catering.acceptance.category.fruit", "水果"},
    {HQ_LBL_VALUE, "catering.acceptance.category.grain_oil", "粮油"},
    {HQ_LBL_VALUE, "catering.acceptance.category.dairy", "乳制品"},
    {HQ_LBL_VALUE, "catering.acceptance.category.condiments", "调味品"},
    {HQ_LBL_VALUE, "catering.acceptance.category.frozen", "冷冻食品"},
    {HQ_LBL_VALUE, "catering.acceptance.category.other", "其他"},
    {HQ_LBL_VALUE, "catering.acceptance.reason.no_certificate", "无合格证明"},
    {HQ_LBL_VALUE, "catering.acceptance.reason.no_quarantine", "无检疫证明"},
    {HQ_LBL_VALUE, "catering.acceptance.reason.spoiled", "变质"},
    {HQ_LBL_VALUE, "catering.acceptance.reason.wrong_temperature", "温度不符"},
    {HQ_LBL_VALUE, "catering.acceptance.reason.expired", "过期"},
    {HQ_LBL_VALUE, "catering.acceptance.reason.damaged_packaging", "包装破损"},
    {HQ_LBL_VALUE, "catering.acceptance.reason.no_label", "无标签"},
    {HQ_LBL_VALUE, "catering.acceptance.reason.short_weight", "短斤缺两"},
    {HQ_LBL_VALUE, "catering.acceptance.reason.wrong_spec", "规格不符"},
    {HQ_LBL_VALUE, "catering.acceptance.reason.banned_item", "禁用物品"},
    {HQ_LBL_VALUE, "catering.acceptance.reason.pest", "虫害"},
    {HQ_LBL_VALUE, "catering.acceptance.reason.other", "其他"},
    {HQ_LBL_VALUE, "catering.acceptance.items.reason.no_certificate", "无合格证明"},
    {HQ_LBL_VALUE, "catering.acceptance.items.reason.no_quarantine", "无检疫证明"},
    {HQ_LBL_VALUE, "catering.acceptance.items.reason.spoiled", "变质"},
    {HQ_LBL_VALUE, "catering.acceptance.items.reason.wrong_temperature", "温度不符"},
    {HQ_LBL_VALUE, "catering.acceptance.items.reason.expired", "过期"},
    {HQ_LBL_VALUE, "catering.acceptance.items.reason.damaged_packaging", "包装破损"},
    {HQ_LBL_VALUE, "catering.acceptance.items.reason.no_label", "无标签"},
    {HQ_LBL_VALUE, "catering.acceptance.items.reason.short_weight", "短斤缺两"},
    {HQ_LBL_VALUE, "catering.acceptance.items.reason.wrong_spec", "规格不符"},
    {HQ_LBL_VALUE, "catering.acceptance.items.reason.banned_item", "禁用物品"},
    {HQ_LBL_VALUE, "catering.acceptance.items.reason.pest", "虫害"},
    {HQ_LBL_VALUE, "catering.acceptance.items.reason.other", "其他"},
    {HQ_LBL_VALUE, "catering.acceptance.result.pass", "合格"},
    {HQ_LBL_VALUE, "catering.acceptance.result.fail", "不合格"},
    {HQ_LBL_VALUE, "catering.acceptance.result.partial", "部分合格"},
    {HQ_LBL_VALUE, "catering.health_check.shift.breakfast", "早班"},
    {HQ_LBL_VALUE, "catering.health_check.shift.lunch", "午班"},
    {HQ_LBL_VALUE, "catering.health_check.shift.dinner", "晚班"},
    {HQ_LBL_VALUE, "catering.health_check.shift.full_day", "全天"},
    {HQ_LBL_VALUE, "catering.sample_retention.meal.breakfast", "早餐"},
    {HQ_LBL_VALUE, "catering.sample_retention.meal.lunch", "午餐"},
    {HQ_LBL_VALUE, "catering.sample_retention.meal.dinner", "晚餐"},
    {HQ_LBL_VALUE, "catering.sample_retention.meal.late_night", "夜宵"},
    {HQ_LBL_VALUE, "catering.sample_retention.meal.event", "活动餐"},
    {HQ_LBL_VALUE, "complaint.submitted.channel.web", "网页"},
    {HQ_LBL_VALUE, "complaint.submitted.channel.wechat", "微信"},
    {HQ_LBL_VALUE, "complaint.submitted.channel.qr_code", "扫码"},
    {HQ_LBL_VALUE, "complaint.submitted.channel.app", "手机应用"},
    {HQ_LBL_VALUE, "complaint.submitted.channel.hotline", "热线电话"},
    {HQ_LBL_VALUE, "complaint.submitted.channel.mailbox", "意见箱"},
    {HQ_LBL_VALUE, "complaint.submitted.channel.email", "电子邮件"},
    {HQ_LBL_VALUE, "complaint.submitted.channel.in_person", "当面反映"},
    {HQ_LBL_VALUE, "complaint.submitted.channel.other", "其他"},
    {HQ_LBL_VALUE, "decision.progress.status.in_progress", "推进中"},
    {HQ_LBL_VALUE, "decision.progress.status.milestone_done", "阶段完成"},
    {HQ_LBL_VALUE, "decision.progress.status.completed", "已完成"},
    {HQ_LBL_VALUE, "decision.progress.status.blocked", "受阻"},
    {HQ_LBL_VALUE, "decision.progress.status.delayed", "延期"},
    {HQ_LBL_VALUE, "energy.outage.cause.fault", "故障"},
    {HQ_LBL_VALUE, "energy.outage.cause.maintenance", "检修"},
    {HQ_LBL_VALUE, "energy.outage.cause.construction", "施工"},
    {HQ_LBL_VALUE, "energy.outage.cause.external_supply", "外部供应"},
    {HQ_LBL_VALUE, "energy.outage.cause.weather", "天气"},
    {HQ_LBL_VALUE, "energy.outage.cause.overload", "超负荷"},
    {HQ_LBL_VALUE, "energy.outage.cause.arrears", "欠费"},
    {HQ_LBL_VALUE, "energy.outage.cause.other", "其他"},
    {HQ_LBL_VALUE, "energy.outage.utility.electricity", "电"},
    {HQ_LBL_VALUE, "energy.outage.utility.water", "水"},
    {HQ_LBL_VALUE, "energy.outage.utility.hot_water", "热水"},
    {HQ_LBL_VALUE, "energy.outage.utility.drinking_water", "饮用水"},
    {HQ_LBL_VALUE, "energy.outage.utility.heating", "供暖"},
    {HQ_LBL_VALUE, "energy.outage.utility.gas", "燃气"},
    {HQ_LBL_VALUE, "inspection.submitted.kind.self", "自查"},
    {HQ_LBL_VALUE, "inspection.submitted.kind.key", "重点检查"},
    {HQ_LBL_VALUE, "inspection.submitted.kind.spot", "抽查"},
    {HQ_LBL_VALUE, "inspection.submitted.kind.covert", "暗访"},
    {HQ_LBL_VALUE, "inspection.submitted.kind.joint", "联合检查"},
    {HQ_LBL_VALUE, "procurement.delivery.qc_result.pass", "合格"},
    {HQ_LBL_VALUE, "procurement.delivery.qc_result.fail", "不合格"},
    {HQ_LBL_VALUE, "procurement.delivery.qc_result.pending", "待检"},
    {HQ_LBL_VALUE, "procurement.delivery.status.complete", "足量到货"},
    {HQ_LBL_VALUE, "procurement.delivery.status.partial", "部分到货"},
    {HQ_LBL_VALUE, "procurement.delivery.status.refused", "拒收"},
    {HQ_LBL_VALUE, "repair.completed.category.plumbing", "水管"},
    {HQ_LBL_VALUE, "repair.completed.category.electrical", "电路"},
    {HQ_LBL_VALUE, "repair.completed.category.carpentry", "木工门窗"},
    {HQ_LBL_VALUE, "repair.completed.category.air_conditioning", "空调"},
    {HQ_LBL_VALUE, "repair.completed.category.civil", "土建"},
    {HQ_LBL_VALUE, "repair.completed.category.hot_water", "热水"},
    {HQ_LBL_VALUE, "repair.completed.category.drinking_water", "饮水"},
    {HQ_LBL_VALUE, "repair.completed.category.appliance", "电器"},
    {HQ_LBL_VALUE, "repair.completed.category.lift", "电梯"},
    {HQ_LBL_VALUE, "repair.completed.category.network", "网络"},
    {HQ_LBL_VALUE, "repair.completed.category.other", "其他"},
    {HQ_LBL_VALUE, "repair.completed.result.fixed", "已修复"},
    {HQ_LBL_VALUE, "repair.completed.result.partly_fixed", "部分修复"},
    {HQ_LBL_VALUE, "repair.completed.result.not_fixed", "未修复"},
    {HQ_LBL_VALUE, "repair.completed.result.referred", "转交处理"},
    {HQ_LBL_VALUE, "repair.completed.result.cancelled", "已取消"},
    {HQ_LBL_VALUE, "repair.completed.result.duplicate", "重复报修"},
    {HQ_LBL_VALUE, "repair.requested.category.plumbing", "水管"},
    {HQ_LBL_VALUE, "repair.requested.category.electrical", "电路"},
    {HQ_LBL_VALUE, "repair.requested.category.carpentry", "木工门窗"},
    {HQ_LBL_VALUE, "repair.requested.category.air_conditioning", "空调"},
    {HQ_LBL_VALUE, "repair.requested.category.civil", "土建"},
    {HQ_LBL_VALUE, "repair.requested.category.hot_water", "热水"},
    {HQ_LBL_VALUE, "repair.requested.category.drinking_water", "饮水"},
    {HQ_LBL_VALUE, "repair.requested.category.appliance", "电器"},
    {HQ_LBL_VALUE, "repair.requested.category.lift", "电梯"},
    {HQ_LBL_VALUE, "repair.requested.category.network", "网络"},
    {HQ_LBL_VALUE, "repair.requested.category.other", "其他"},
    {HQ_LBL_VALUE, "repair.accepted.category.plumbing", "水管"},
    {HQ_LBL_VALUE, "repair.accepted.category.electrical", "电路"},
    {HQ_LBL_VALUE, "repair.accepted.category.carpentry", "木工门窗"},
    {HQ_LBL_VALUE, "repair.accepted.category.air_conditioning", "空调"},
    {HQ_LBL_VALUE, "repair.accepted.category.civil", "土建"},
    {HQ_LBL_VALUE, "repair.accepted.category.hot_water", "热水"},
    {HQ_LBL_VALUE, "repair.accepted.category.drinking_water", "饮水"},
    {HQ_LBL_VALUE, "repair.accepted.category.appliance", "电器"},
    {HQ_LBL_VALUE, "repair.accepted.category.lift", "电梯"},
    {HQ_LBL_VALUE, "repair.accepted.category.network", "网络"},
    {HQ_LBL_VALUE, "repair.accepted.category.other", "其他"},
    {HQ_LBL_VALUE, "repair.arrived.category.plumbing", "水管"},
    {HQ_LBL_VALUE, "repair.arrived.category.electrical", "电路"},
    {HQ_LBL_VALUE, "repair.arrived.category.carpentry", "木工门窗"},
    {HQ_LBL_VALUE, "repair.arrived.category.air_conditioning", "空调"},
    {HQ_LBL_VALUE, "repair.arrived.category.civil", "土建"},
    {HQ_LBL_VALUE, "repair.arrived.category.hot_water", "热水"},
    {HQ_LBL_VALUE, "repair.arrived.category.drinking_water", "饮水"},
    {HQ_LBL_VALUE, "repair.arrived.category.appliance", "电器"},
    {HQ_LBL_VALUE, "repair.arrived.category.lift", "电梯"},
    {HQ_LBL_VALUE, "repair.arrived.category.network", "网络"},
    {HQ_LBL_VALUE, "repair.arrived.category.other", "其他"},
    {HQ_LBL_VALUE, "security.incident.category.fire", "火情"},
    {HQ_LBL_VALUE, "security.incident.category.smoke_alarm", "烟感报警"},
    {HQ_LBL_VALUE, "security.incident.category.ebike_indoor", "电动车进楼"},
    {HQ_LBL_VALUE, "security.incident.category.lift_entrapment", "电梯困人"},
    {HQ_LBL_VALUE, "security.incident.category.theft", "盗窃"},
    {HQ_LBL_VALUE, "security.incident.category.intrusion", "非法闯入"},
    {HQ_LBL_VALUE, "security.incident.category.fight", "打架斗殴"},
    {HQ_LBL_VALUE, "security.incident.category.injury", "人员受伤"},
    {HQ_LBL_VALUE, "security.incident.category.flooding", "漏水浸水"},
    {HQ_LBL_VALUE, "security.incident.category.gas_leak", "燃气泄漏"},
    {HQ_LBL_VALUE, "security.incident.category.electrical_hazard", "用电隐患"},
    {HQ_LBL_VALUE, "security.incident.category.public_order", "公共秩序"},
    {HQ_LBL_VALUE, "security.incident.category.other", "其他"},
    {HQ_LBL_VALUE, "sensor.reading.kind.cold_storage_temp", "冷库温度"},
    {HQ_LBL_VALUE, "sensor.reading.kind.freezer_temp", "冷冻柜温度"},
    {HQ_LBL_VALUE, "sensor.reading.kind.sample_fridge_temp", "留样冰箱温度"},
    {HQ_LBL_VALUE, "sensor.reading.kind.prep_room_temp", "专间温度"},
    {HQ_LBL_VALUE, "sensor.reading.kind.room_humidity", "室内湿度"},
    {HQ_LBL_VALUE, "sensor.reading.kind.uv_lamp_minutes", "紫外灯时长"},
    {HQ_LBL_VALUE, "sensor.reading.kind.disinfection_temp", "消毒温度"},
    {HQ_LBL_VALUE, "sensor.reading.kind.disinfection_minutes", "消毒时长"},
    {HQ_LBL_VALUE, "sensor.reading.kind.food_core_temp", "食品中心温度"},
    {HQ_LBL_VALUE, "sensor.reading.kind.hot_holding_temp", "热藏温度"},
    {HQ_LBL_VALUE, "sensor.reading.kind.fridge_door_open_seconds", "冰箱门开启时长"},
    {HQ_LBL_VALUE, "sensor.reading.kind.hot_water_temp", "热水温度"},
    {HQ_LBL_VALUE, "sensor.reading.kind.drinking_water_tds", "饮用水溶解性总固体"},
    {HQ_LBL_VALUE, "sensor.reading.kind.drinking_water_conductivity", "饮用水电导率"},
    {HQ_LBL_VALUE, "sensor.reading.kind.drinking_water_turbidity", "饮用水浑浊度"},
    {HQ_LBL_VALUE, "sensor.reading.kind.residual_chlorine", "余氯"},
    {HQ_LBL_VALUE, "sensor.reading.kind.drinking_water_bacteria", "饮用水菌落总数"},
    {HQ_LBL_VALUE, "sensor.reading.kind.drinking_water_coliforms", "饮用水大肠菌群"},
    {HQ_LBL_VALUE, "sensor.reading.kind.filter_age_days", "滤芯使用天数"},
    {HQ_LBL_VALUE, "sensor.reading.kind.power_status", "供电状态"},
    {HQ_LBL_VALUE, "sensor.reading.kind.power_w", "功率"},
    {HQ_LBL_VALUE, "sensor.reading.kind.voltage", "电压"},
    {HQ_LBL_VALUE, "sensor.reading.kind.current", "电流"},
    {HQ_LBL_VALUE, "sensor.reading.kind.electricity_meter", "电表读数"},
    {HQ_LBL_VALUE, "sensor.reading.kind.electricity_consumption", "用电量"},
    {HQ_LBL_VALUE, "sensor.reading.kind.water_meter", "水表读数"},
    {HQ_LBL_VALUE, "sensor.reading.kind.water_consumption", "用水量"},
    {HQ_LBL_VALUE, "sensor.reading.kind.water_flow", "水流量"},
    {HQ_LBL_VALUE, "sensor.reading.kind.power_event", "供电事件"},
    {HQ_LBL_VALUE, "sensor.reading.kind.ai_event", "智能识别事件"},
    {HQ_LBL_VALUE, "sensor.reading.kind.smoke_alarm", "烟感报警"},
    {HQ_LBL_ITEM, "fs.cold_storage_temp", "冷藏温度"},
    {HQ_LBL_ITEM, "fs.sample_retention", "留样"},
    {HQ_LBL_ITEM, "fs.raw_cooked_separation", "生熟分开"},
    {HQ_LBL_ITEM, "fs.health_certificates", "晨检及健康证明"},
    {HQ_LBL_ITEM, "fs.pest_control", "防鼠防虫"},
    {HQ_LBL_ITEM, "fs.hygiene", "环境卫生"},
    {HQ_LBL_ITEM, "fs.kitchen_hygiene", "后厨卫生"},
    {HQ_LBL_ITEM, "fs.risk_review", "食品安全风险排查"},
    {HQ_LBL_ITEM, "fs.storage", "食品贮存"},
    {HQ_LBL_ITEM, "fs.tableware", "餐用具清洗消毒"},
    {HQ_LBL_ITEM, "fs.tableware_disinfection", "餐用具消毒"},
    {HQ_LBL_ITEM, "fs.core_temp", "中心温度"},
    {HQ_LBL_ITEM, "fs.prep_room_uv", "专间紫外线消毒"},
    {HQ_LBL_ITEM, "fs.hot_holding", "热藏温度"},
    {HQ_LBL_ITEM, "dish.portion", "份量"},
    {HQ_LBL_ITEM, "dish.taste", "口味"},
    {HQ_LBL_ITEM, "dorm.public_hygiene", "公共区域卫生"},
    {HQ_LBL_ITEM, "dorm.fire_exit", "消防通道"},
    {HQ_LBL_ITEM, "dorm.fire_safety", "消防安全"},
    {HQ_LBL_ITEM, "dorm.order", "公共秩序"},
    {HQ_LBL_ITEM, "dorm.water_supply", "热水与饮用水供应"},
    {HQ_LBL_ITEM, "laundry.machines_working", "洗衣机运行"},
    {HQ_LBL_ITEM, "laundry.disinfection_record", "消毒记录"},
    {HQ_LBL_ITEM, "laundry.price", "洗衣收费"},
    {HQ_LBL_ITEM, "prop.cleaning", "保洁"},
    {HQ_LBL_ITEM, "prop.classroom_hygiene", "教室卫生"},
    {HQ_LBL_ITEM, "prop.toilet_hygiene", "卫生间卫生"},
    {HQ_LBL_ITEM, "prop.garbage", "垃圾清运"},
    {HQ_LBL_ITEM, "prop.garbage_cleared", "垃圾按时清运"},
    {HQ_LBL_ITEM, "prop.patrol", "安保巡逻"},
    {HQ_LBL_ITEM, "util.pumps", "水泵运行"},
    {HQ_LBL_ITEM, "util.transformer", "变压器运行"},
    {HQ_LBL_ITEM, "util.power", "供电设备"},
    {HQ_LBL_ITEM, "util.water", "供水设备"},
    {HQ_LBL_ITEM, "util.round", "水电巡查"},
    {HQ_LBL_ITEM, "veh.brakes", "制动系统"},
    {HQ_LBL_ITEM, "veh.lights", "灯光"},
    {HQ_LBL_ITEM, "veh.tyres", "轮胎"},
    {HQ_LBL_ITEM, "veh.seats", "座椅"},
    {HQ_LBL_ITEM, "veh.windows", "车窗"},
    {HQ_LBL_ITEM, "veh.floor_hygiene", "车厢地面卫生"},
    {HQ_LBL_ITEM, "veh.documents", "证照与年检"},
    {HQ_LBL_ITEM, "mt.waterproofing", "防水施工"},
    {HQ_LBL_ITEM, "mnt.quality", "维修质量与现场安全"},
    {HQ_LBL_ITEM, "proc.acceptance", "进货查验"},
    {HQ_LBL_ITEM, "dec.progress", "督办事项进度"},
    {HQ_LBL_ITEM, "visit.general", "总体情况"},
    {HQ_LBL_OBLIGATION, "due", "待完成"},
    {HQ_LBL_OBLIGATION, "satisfied", "已完成"},
    {HQ_LBL_OBLIGATION, "late", "逾期补交"},
    {HQ_LBL_OBLIGATION, "missed", "未完成"},
    {HQ_LBL_CHECKLIST, "food_safety_daily", "每日食品安全检查"},
    {HQ_LBL_CHECKLIST, "food_safety_weekly", "每周食品安全排查"},
    {HQ_LBL_CHECKLIST, "food_safety_monthly", "每月食品安全调度"},
    {HQ_LBL_CHECKLIST, "food_safety_key", "食品安全重点检查"},
    {HQ_LBL_CHECKLIST, "process_control", "加工过程控制检查"},
    {HQ_LBL_CHECKLIST, "kitchen_hygiene", "后厨及餐厅卫生检查"},
    {HQ_LBL_CHECKLIST, "dish_quality", "菜品质量抽检"},
    {HQ_LBL_CHECKLIST, "dorm_daily", "宿舍日常检查"},
    {HQ_LBL_CHECKLIST, "laundry", "洗衣房检查"},
    {HQ_LBL_CHECKLIST, "property_daily", "物业日常检查"},
    {HQ_LBL_CHECKLIST, "garbage_cleared", "垃圾清运检查"},
    {HQ_LBL_CHECKLIST, "utilities_daily", "水电日常巡查"},
    {HQ_LBL_CHECKLIST, "vehicle_safety", "车辆安全检查"},
    {HQ_LBL_CHECKLIST, "vehicle_interior", "车容车貌检查"},
    {HQ_LBL_CHECKLIST, "repair_quality", "维修质量抽查"},
    {HQ_LBL_CHECKLIST, "opening_season", "开学专项检查"},
    {HQ_LBL_CHECKLIST, "contractor_weekly", "承办单位周检"},
    {HQ_LBL_CHECKLIST, "procurement_check", "采购验收检查"},
    {HQ_LBL_CHECKLIST, "decision_progress", "督办事项检查"},
};
#define NBUILTIN (sizeof builtins / sizeof *builtins)

typedef struct vent {
    hq_label_class c;
    char *code, *label;
} vent;

struct hq_vocab {
    vent *v;
    size_t n;
    struct hq_vocab *older; /* installed copies only: the one installed before */
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
            if (k != HQ_LBL_DOMAIN && k != HQ_LBL_CATEGORY && k != HQ_LBL_ISSUE_CATEGORY && k != HQ_LBL_VALUE &&
                k != HQ_LBL_ITEM && k != HQ_LBL_CHECKLIST && n[k] < 47)
                req[k][n[k]++] = builtins[i].code;
        }
        done = true;
    }
    return req[c];
}

bool hq_label_class_optional(hq_label_class c)
{
    return c == HQ_LBL_OBLIGATION;
}

/* The installed vocabulary, swapped atomically (houqind's reload installs
 * while other threads read labels).  Every copy ever installed is kept, on
 * the chain from `copies`, so that a label handed out before a reload stays
 * valid: a reload adds one small copy, administrators reload rarely. */
static _Atomic(hq_vocab *) installed;
static hq_vocab *copies;

void hq_vocab_install(const hq_vocab *v)
{
    hq_vocab *copy = NULL;
    if (v) {
        copy = hq_vocab_new();
        for (size_t i = 0; i < v->n; i++)
            hq_vocab_set(copy, v->v[i].c, v->v[i].code, v->v[i].label);
        copy->older = copies;
        copies = copy;
    }
    atomic_store(&installed, copy);
}

const hq_vocab *hq_vocab_installed(void)
{
    return atomic_load(&installed);
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
    return hq_vocab_lookup(atomic_load(&installed), c, code); /* an installed vocabulary replaces the built-in one */
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
