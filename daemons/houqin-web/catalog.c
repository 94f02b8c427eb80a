/* The public catalogue: the domains the form offers, their complaint
 * categories and the sites of the rules' registry.  The words are the
 * rules' vocabulary (rules/vocabulary.yaml, installed when houqin-web
 * loads the rules), so that an administrator's label shows on the form,
 * in Open311 and on the console; this file keeps only what the vocabulary
 * does not hold: which domains the public form offers, in which order, and
 * examples that help a complainant pick a category. */
#include "web.h"

#include "mem.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const char *const domains[] = {"catering", "dormitory", "property", "energy", "transport",
                                      "procurement", "maintenance", NULL};

/* Examples shown after a category's label: 异物（头发、虫子、钢丝球等）. */
static const struct {
    const char *code, *examples;
} examples[] = {
    {"catering.foreign_matter", "头发、虫子、钢丝球等"}, {"catering.pest", "老鼠、蟑螂等"},
    {"catering.food_quality", "变质、夹生、口味异常"},  {"catering.hygiene", "餐具、桌面、地面"},
    {"catering.dining_order", "排队"},                  {"dormitory.hygiene", "公共区域"},
    {"property.hygiene", "保洁"},                       {"property.security", "安保"},
    {"energy.waste", "长明灯、长流水"},                 {"transport.driving_safety", "超速、危险驾驶"},
    {"maintenance.construction", "施工安全"},
};

static struct {
    pthread_once_t once;
    web_category *v;
    size_t n;
} cats = {.once = PTHREAD_ONCE_INIT};

typedef struct collect {
    const char *domain;
    size_t dlen;
} collect;

static void add(void *ctx, const char *code, const char *label)
{
    const collect *c = ctx;
    if (strncmp(code, c->domain, c->dlen) != 0 || code[c->dlen] != '.')
        return;
    cats.v = hq_realloc(cats.v, (cats.n + 1) * sizeof *cats.v);
    web_category *k = &cats.v[cats.n++];
    k->domain = c->domain;
    k->code = code + c->dlen + 1;
    k->name = label;
    for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++)
        if (!strcmp(examples[i].code, code)) {
            size_t n = strlen(label) + strlen(examples[i].examples) + sizeof "（）";
            char *s = hq_malloc(n);
            snprintf(s, n, "%s（%s）", label, examples[i].examples);
            k->name = s;
        }
}

/* The categories of the offered domains, in their order, from the
 * vocabulary houqin-web installed at start (its strings live until exit). */
static void build(void)
{
    for (const char *const *d = domains; *d; d++) {
        collect c = {*d, strlen(*d)};
        hq_vocab_each(hq_vocab_installed(), HQ_LBL_CATEGORY, add, &c);
    }
}

const char *const *web_domains(void)
{
    return domains;
}

const char *web_domain_name(const char *domain)
{
    return hq_label_find(HQ_LBL_DOMAIN, domain);
}

const web_category *web_categories(size_t *n)
{
    pthread_once(&cats.once, build);
    *n = cats.n;
    return cats.v;
}

const web_category *web_category_find(const char *domain, const char *code)
{
    size_t n;
    const web_category *v = web_categories(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].domain, domain) == 0 && strcmp(v[i].code, code) == 0)
            return &v[i];
    return NULL;
}

size_t web_sites(const hq_site **out)
{
    return hq_rules_sites(g_web->rules, out);
}
