/* The clients file (SPEC §8):
 *
 *   clients:
 *     - {source: card-system, token: "...", types: [mealcard.transaction]}
 *     - {source: fixmystreet, token: "...", types: [complaint.submitted], open311: true}
 *
 * Optional per client: rate (requests per second, with burst).  Every
 * problem is reported (file:line:column) before the file is refused. */
#include "web.h"

#include "event.h"
#include "mem.h"
#include "ratelimit.h"
#include "ytree.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char *const client_keys[] = {"source", "token", "types", "open311", "rate", "burst", NULL};

void web_clients_fini(web_clients *c)
{
    for (size_t i = 0; i < c->n; i++) {
        web_client *k = &c->v[i];
        free(k->source);
        free(k->token);
        for (size_t j = 0; j < k->ntypes; j++)
            free(k->types[j]);
        free(k->types);
        hq_ratelimit_destroy(&k->rl);
    }
    free(c->v);
    c->v = NULL;
    c->n = 0;
}

int web_clients_load(const char *path, web_clients *out, hq_diags *d)
{
    hq_ydoc *doc = NULL;
    memset(out, 0, sizeof *out);
    if (hq_ydoc_load_diag(path, &hq_ydefault_limits, &doc, d) != 0)
        return HQ_EINVAL;
    size_t before = d->count;
    static const char *const top_keys[] = {"clients", NULL};
    const hq_ynode *root = doc->root, *list = NULL;
    if (!root || root->type != HQ_Y_MAP) {
        hq_diags_add(d, path, 1, 1, "expected a map with the key clients");
    } else if (hq_ycheck_keys(d, doc, root, top_keys) == 0 && (list = hq_yrequire(d, doc, root, "clients"))) {
        if (list->type != HQ_Y_SEQ) {
            hq_ydiag(d, doc, list, "clients: expected a list of {source, token, types, open311}");
            list = NULL;
        }
    }
    for (size_t i = 0; list && i < list->len; i++) {
        const hq_ynode *m = list->kids[i];
        if (hq_ycheck_keys(d, doc, m, client_keys) != 0 || m->type != HQ_Y_MAP)
            continue;
        const hq_ynode *src = hq_yrequire(d, doc, m, "source"), *tok = hq_yrequire(d, doc, m, "token");
        const hq_ynode *types = hq_ymap_get(m, "types"), *o311 = hq_ymap_get(m, "open311");
        const hq_ynode *rate = hq_ymap_get(m, "rate"), *burst = hq_ymap_get(m, "burst");
        const char *s = NULL, *t = NULL;
        if (src && hq_yget_str(d, doc, src, &s) == 0 && !hq_event_ident_ok(s, strlen(s), 128)) {
            hq_ydiag(d, doc, src, "source: must be 1 to 128 bytes of letters, digits and . _ : -");
            s = NULL;
        }
        if (tok && hq_yget_str(d, doc, tok, &t) == 0 && strlen(t) < 16) {
            hq_ydiag(d, doc, tok, "token: must be at least 16 characters (use a random one: "
                                  "head -c 24 /dev/urandom | base64)");
            t = NULL;
        }
        for (size_t j = 0; t && j < out->n; j++)
            if (strcmp(out->v[j].token, t) == 0) {
                hq_ydiag(d, doc, tok, "token: the same token as client %s", out->v[j].source);
                t = NULL;
            }
        bool open311 = false;
        if (o311)
            hq_yget_bool(d, doc, o311, &open311);
        double r = 0, b = 0;
        if (rate && hq_yget_number(d, doc, rate, &r) == 0 && r < 0)
            hq_ydiag(d, doc, rate, "rate: expected a number of requests per second, 0 or more");
        if (burst && hq_yget_number(d, doc, burst, &b) == 0 && b < 1)
            hq_ydiag(d, doc, burst, "burst: expected 1 or more");
        if (types && types->type != HQ_Y_SEQ)
            hq_ydiag(d, doc, types, "types: expected a list of event types");
        for (size_t j = 0; types && types->type == HQ_Y_SEQ && j < types->len; j++) {
            const char *ty;
            if (hq_yget_str(d, doc, types->kids[j], &ty) == 0 && g_web && g_web->schemas &&
                !hq_schemas_find(g_web->schemas, ty, strlen(ty)))
                hq_ydiag(d, doc, types->kids[j], "types: unknown event type \"%s\"", ty);
        }
        if (!s || !t)
            continue;
        out->v = hq_realloc(out->v, (out->n + 1) * sizeof *out->v);
        web_client *c = &out->v[out->n++];
        memset(c, 0, sizeof *c);
        c->source = hq_strdup(s);
        c->token = hq_strdup(t);
        c->open311 = open311;
        c->rate = r;
        c->burst = b > 0 ? b : (r > 0 ? r * 2 : 0);
        if (r > 0)
            c->rl = hq_ratelimit_new(r, c->burst);
        if (types && types->type == HQ_Y_SEQ) {
            c->types = hq_calloc(types->len ? types->len : 1, sizeof *c->types);
            for (size_t j = 0; j < types->len; j++) {
                if (types->kids[j]->type == HQ_Y_SCALAR)
                    c->types[c->ntypes++] = hq_strdup(types->kids[j]->str);
            }
        }
        if (open311 && !web_client_may_send(c, "complaint.submitted"))
            hq_ydiag(d, doc, m, "client %s: open311 needs complaint.submitted in types", s);
    }
    hq_ydoc_destroy(&doc);
    if (d->count > before) {
        web_clients_fini(out);
        return HQ_EINVAL;
    }
    return 0;
}

const web_client *web_clients_by_token(const web_clients *c, const char *tok, size_t len)
{
    const web_client *found = NULL;
    for (size_t i = 0; i < c->n; i++) {
        size_t tl = strlen(c->v[i].token);
        if (tl == len && sodium_memcmp(c->v[i].token, tok, len) == 0)
            found = &c->v[i];
    }
    return found;
}

bool web_client_may_send(const web_client *c, const char *type)
{
    for (size_t i = 0; i < c->ntypes; i++)
        if (strcmp(c->types[i], type) == 0)
            return true;
    return false;
}
