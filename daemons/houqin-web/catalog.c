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
#include <stdatomic.h>
#include <stdlib.h>
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

/* One list of categories; the lists built before a reload stay on the
 * chain from `older`, valid until exit (pages may hold them). */
typedef struct catalog {
    web_category *v;
    size_t n;
    char **names; /* the labels with examples, owned */
    size_t nnames;
    struct catalog *older;
} catalog;

static _Atomic(catalog *) g_cat;
static pthread_mutex_t g_cat_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct collect {
    catalog *cat;
    const char *domain;
    size_t dlen;
} collect;

static void add(void *ctx, const char *code, const char *label)
{
    const collect *c = ctx;
    if (strncmp(code, c->domain, c->dlen) != 0 || code[c->dlen] != '.')
        return;
    catalog *cats = c->cat;
    cats->v = hq_realloc(cats->v, (cats->n + 1) * sizeof *cats->v);
    web_category *k = &cats->v[cats->n++];
    k->domain = c->domain;
    k->code = code + c->dlen + 1;
    k->name = label;
    for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++)
        if (!strcmp(examples[i].code, code)) {
            size_t n = strlen(label) + strlen(examples[i].examples) + sizeof "（）";
            char *s = hq_malloc(n);
            snprintf(s, n, "%s（%s）", label, examples[i].examples);
            k->name = s;
            cats->names = hq_realloc(cats->names, (cats->nnames + 1) * sizeof *cats->names);
            cats->names[cats->nnames++] = s;
        }
}

/* The categories of the offered domains, in their order, from the
 * vocabulary installed now (its strings live until exit: vocab.h); called
 * with g_cat_lock held. */
static catalog *build(void)
{
    catalog *cat = hq_calloc(1, sizeof *cat);
    for (const char *const *d = domains; *d; d++) {
        collect c = {cat, *d, strlen(*d)};
        hq_vocab_each(hq_vocab_installed(), HQ_LBL_CATEGORY, add, &c);
    }
    cat->older = atomic_load(&g_cat);
    atomic_store(&g_cat, cat);
    return cat;
}

void web_catalog_reload(void)
{
    pthread_mutex_lock(&g_cat_lock);
    build();
    pthread_mutex_unlock(&g_cat_lock);
}

void web_catalog_fini(void)
{
    catalog *c = atomic_exchange(&g_cat, NULL);
    while (c) {
        catalog *older = c->older;
        hq_free_strv(c->names, c->nnames);
        free(c->v);
        free(c);
        c = older;
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
    catalog *c = atomic_load(&g_cat);
    if (!c) {
        pthread_mutex_lock(&g_cat_lock);
        if (!(c = atomic_load(&g_cat)))
            c = build();
        pthread_mutex_unlock(&g_cat_lock);
    }
    *n = c->n;
    return c->v;
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
