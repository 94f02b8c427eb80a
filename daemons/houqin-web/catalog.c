/* The public vocabulary: domains and complaint categories with their
 * Chinese names (the recommended categories of schemas/README.md, which the
 * shipped rules match), and the sites of the rules' registry. */
#include "web.h"

#include <string.h>

static const char *const domains[] = {"catering", "dormitory", "property", "energy", "transport",
                                      "procurement", "maintenance", NULL};

static const struct {
    const char *code, *name;
} domain_names[] = {
    {"catering", "餐饮（食堂）"},   {"dormitory", "学生公寓"},    {"property", "物业（楼宇、保洁、安保）"},
    {"energy", "水电能源"},         {"transport", "校园交通"},    {"procurement", "物资采购"},
    {"maintenance", "维修工程"},    {"decisions", "决策部署"},
};

static const web_category cats[] = {
    {"catering", "foreign_matter", "饭菜里有异物（头发、虫子、钢丝球等）"},
    {"catering", "pest", "发现老鼠、蟑螂等虫鼠"},
    {"catering", "food_quality", "饭菜质量（变质、夹生、口味异常）"},
    {"catering", "illness", "就餐后身体不适"},
    {"catering", "portion", "份量不足"},
    {"catering", "price", "价格问题"},
    {"catering", "hygiene", "卫生问题（餐具、桌面、地面）"},
    {"catering", "service_attitude", "服务态度"},
    {"catering", "dining_order", "就餐秩序、排队"},
    {"catering", "food_waste", "浪费现象"},
    {"dormitory", "hygiene", "公共区域卫生"},
    {"dormitory", "repair", "设施损坏待维修"},
    {"dormitory", "hot_water", "洗浴热水"},
    {"dormitory", "drinking_water", "饮用水"},
    {"dormitory", "laundry", "洗衣机"},
    {"dormitory", "noise", "噪声"},
    {"dormitory", "security", "安全隐患"},
    {"dormitory", "price", "收费问题"},
    {"dormitory", "service_attitude", "服务态度"},
    {"property", "hygiene", "保洁卫生"},
    {"property", "repair", "设施损坏待维修"},
    {"property", "garbage", "垃圾清运不及时"},
    {"property", "security", "安全隐患、安保"},
    {"property", "public_order", "公共秩序"},
    {"property", "greening", "绿化养护"},
    {"property", "service_attitude", "服务态度"},
    {"energy", "outage", "停水停电"},
    {"energy", "fee", "水电收费异常"},
    {"energy", "water_quality", "水质问题"},
    {"energy", "waste", "水电浪费（长明灯、长流水）"},
    {"transport", "driving_safety", "行车安全（超速、危险驾驶）"},
    {"transport", "punctuality", "班车不准点"},
    {"transport", "vehicle_interior", "车内环境卫生"},
    {"transport", "service_attitude", "司乘服务态度"},
    {"procurement", "goods_quality", "物资质量问题"},
    {"procurement", "late_delivery", "到货不及时"},
    {"procurement", "wrong_spec", "规格不符"},
    {"maintenance", "repair_quality", "维修质量"},
    {"maintenance", "repair_delay", "维修不及时"},
    {"maintenance", "construction", "施工扰民、施工安全"},
};

const char *const *web_domains(void)
{
    return domains;
}

const char *web_domain_name(const char *domain)
{
    for (size_t i = 0; i < sizeof domain_names / sizeof domain_names[0]; i++)
        if (strcmp(domain_names[i].code, domain) == 0)
            return domain_names[i].name;
    return NULL;
}

const web_category *web_categories(size_t *n)
{
    *n = sizeof cats / sizeof cats[0];
    return cats;
}

const web_category *web_category_find(const char *domain, const char *code)
{
    for (size_t i = 0; i < sizeof cats / sizeof cats[0]; i++)
        if (strcmp(cats[i].domain, domain) == 0 && strcmp(cats[i].code, code) == 0)
            return &cats[i];
    return NULL;
}

size_t web_sites(const hq_site **out)
{
    return hq_rules_sites(g_web->rules, out);
}
