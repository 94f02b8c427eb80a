#include "allowlist.h"

#include "mem.h"
#include "ytree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

struct hq_allowlist {
    hq_producer *p;
    size_t n;
    char *file;
};

const char *hq_allowlist_file(const hq_allowlist *a)
{
    return a && a->file ? a->file : "";
}

bool hq_producer_acts_for(const hq_producer *p, const char *role)
{
    if (!p || !p->on_behalf)
        return false;
    if (p->nroles == 0)
        return true;
    for (size_t i = 0; i < p->nroles; i++)
        if (!strcmp(p->roles[i], role))
            return true;
    return false;
}

void hq_allowlist_destroy(hq_allowlist **ap)
{
    hq_allowlist *a = ap ? *ap : NULL;
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->p[i].source);
        for (size_t j = 0; j < a->p[i].ntypes; j++)
            free(a->p[i].types[j]);
        free(a->p[i].types);
        for (size_t j = 0; j < a->p[i].nroles; j++)
            free(a->p[i].roles[j]);
        free(a->p[i].roles);
    }
    free(a->p);
    free(a->file);
    free(a);
    *ap = NULL;
}

size_t hq_allowlist_count(const hq_allowlist *a)
{
    return a ? a->n : 0;
}

static bool z85_ok(const char *s)
{
    if (strlen(s) != 40)
        return false;
    unsigned char bin[32];
    return zmq_z85_decode(bin, s) != NULL;
}

/* One producer (source, key, types, on_behalf) or administrator (name,
 * key) of the list, added to a when it is well formed. */
static void load_entry(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, bool admins, hq_allowlist *a)
{
    static const char *const keys_p[] = {"source", "key", "types", "description", "on_behalf", NULL};
    static const char *const keys_a[] = {"name", "key", "description", NULL};
    const char *idname = admins ? "name" : "source";
    if (hq_ycheck_keys(d, doc, n, admins ? keys_a : keys_p))
        return;
    const hq_ynode *src = hq_yrequire(d, doc, n, idname), *key = hq_yrequire(d, doc, n, "key"),
                   *ty = admins ? NULL : hq_yrequire(d, doc, n, "types");
    const char *ss, *ks;
    if (!src || !key || (!admins && !ty) || hq_yget_str(d, doc, src, &ss) || hq_yget_str(d, doc, key, &ks))
        return;
    if (!*ss) {
        hq_ydiag(d, doc, src, "%s: expected a non-empty id", idname);
        return;
    }
    if (!z85_ok(ks)) {
        hq_ydiag(d, doc, key, "key: expected a 40-character Z85 CURVE public key (houqinctl keygen)");
        return;
    }
    if (hq_allowlist_by_key(a, ks))
        hq_ydiag(d, doc, key, "this key is listed twice");
    if (hq_allowlist_by_source(a, ss, strlen(ss)))
        hq_ydiag(d, doc, src, "%s \"%s\" is listed twice", idname, ss);
    if (!admins && (ty->type != HQ_Y_SEQ || ty->len == 0)) {
        hq_ydiag(d, doc, ty, "types: expected a list of event types, or [\"*\"] for all");
        return;
    }
    hq_producer *p = &a->p[a->n++];
    p->source = hq_strdup(ss);
    memcpy(p->key, ks, 41);
    p->line = n->line;
    p->column = n->column;
    if (admins)
        return;
    const hq_ynode *ob = hq_ymap_get(n, "on_behalf");
    if (ob && ob->type == HQ_Y_SEQ) {
        p->on_behalf = true;
        if (ob->len == 0)
            hq_ydiag(d, doc, ob, "on_behalf: an empty list acts for nobody: give roles, or true for all");
        p->roles = hq_calloc(ob->len ? ob->len : 1, sizeof *p->roles);
        for (size_t j = 0; j < ob->len; j++) {
            const char *rs;
            if (hq_yget_str(d, doc, ob->kids[j], &rs) == 0)
                p->roles[p->nroles++] = hq_strdup(rs);
        }
    } else if (ob && hq_yget_bool(d, doc, ob, &p->on_behalf) != 0) {
        /* reported: expected true, false or a list of roles */
    }
    p->types = hq_calloc(ty->len, sizeof *p->types);
    for (size_t j = 0; j < ty->len; j++) {
        const char *ts;
        if (hq_yget_str(d, doc, ty->kids[j], &ts) == 0)
            p->types[p->ntypes++] = hq_strdup(ts);
    }
}

/* Loads either list: producers (source, key, types) or administrators
 * (name, key), into the same table; an administrator's name goes in
 * source and it may send no type. */
static int load_list(const char *path, bool admins, hq_allowlist **out, hq_diags *d)
{
    static const char *const top_p[] = {"producers", NULL}, *const top_a[] = {"administrators", NULL};
    const char *list = admins ? "administrators" : "producers";
    hq_ydoc *doc = NULL;
    if (hq_ydoc_load_diag(path, NULL, &doc, d) != 0)
        return HQ_EINVAL;
    size_t before = d->count;
    const hq_ynode *root = doc->root, *ps = NULL;
    if (root && !hq_ycheck_keys(d, doc, root, admins ? top_a : top_p))
        ps = hq_yrequire(d, doc, root, list);
    if (ps && ps->type != HQ_Y_SEQ)
        hq_ydiag(d, doc, ps, admins ? "administrators: expected a list of {name, key}"
                                    : "producers: expected a list of {source, key, types}");
    hq_allowlist *a = hq_calloc(1, sizeof *a);
    a->file = hq_strdup(path);
    if (ps && ps->type == HQ_Y_SEQ) {
        a->p = hq_calloc(ps->len ? ps->len : 1, sizeof *a->p);
        for (size_t i = 0; i < ps->len; i++)
            load_entry(d, doc, ps->kids[i], admins, a);
    }
    hq_ydoc_destroy(&doc);
    int rc = d->count > before ? HQ_EINVAL : 0;
    if (rc == 0) {
        *out = a;
        a = NULL;
    }
    hq_allowlist_destroy(&a);
    return rc;
}

int hq_allowlist_load(const char *path, hq_allowlist **out, hq_diags *d)
{
    return load_list(path, false, out, d);
}

int hq_adminlist_load(const char *path, hq_allowlist **out, hq_diags *d)
{
    return load_list(path, true, out, d);
}

const hq_producer *hq_allowlist_at(const hq_allowlist *a, size_t i)
{
    return a && i < a->n ? &a->p[i] : NULL;
}

const hq_producer *hq_allowlist_by_key(const hq_allowlist *a, const char *z85)
{
    for (size_t i = 0; a && i < a->n; i++)
        if (!strcmp(a->p[i].key, z85))
            return &a->p[i];
    return NULL;
}

const hq_producer *hq_allowlist_by_source(const hq_allowlist *a, const char *source, size_t len)
{
    for (size_t i = 0; a && i < a->n; i++)
        if (strlen(a->p[i].source) == len && !memcmp(a->p[i].source, source, len))
            return &a->p[i];
    return NULL;
}

bool hq_producer_may_send(const hq_producer *p, const char *type, size_t len)
{
    for (size_t i = 0; i < p->ntypes; i++)
        if (!strcmp(p->types[i], "*") || (strlen(p->types[i]) == len && !memcmp(p->types[i], type, len)))
            return true;
    return false;
}

int hq_keyfile_read(const char *path, char *pub, char *sec, hq_err *err)
{
    hq_ydoc *doc = NULL;
    if (hq_ydoc_load_file(path, NULL, &doc, err) != 0)
        return HQ_EINVAL;
    const hq_ynode *p = hq_ymap_get(doc->root, "public"), *s = hq_ymap_get(doc->root, "secret");
    int rc = 0;
    if (!p || p->type != HQ_Y_SCALAR || !z85_ok(p->str))
        rc = hq_err_set(err, HQ_EINVAL, "%s: no valid \"public:\" key", path);
    else
        memcpy(pub, p->str, 41);
    if (rc == 0 && sec) {
        if (!s)
            rc = hq_err_set(err, HQ_ENOTFOUND, "%s: no \"secret:\" key (is this the .pub file?)", path);
        else if (s->type != HQ_Y_SCALAR || !z85_ok(s->str))
            rc = hq_err_set(err, HQ_EINVAL, "%s: the secret key is not valid Z85", path);
        else
            memcpy(sec, s->str, 41);
    }
    hq_ydoc_destroy(&doc);
    return rc;
}

static int write_file(const char *path, mode_t mode, const char *text, hq_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0)
        return hq_err_set(err, HQ_EIO, "%s: %s", path, strerror(errno));
    size_t n = strlen(text);
    int rc = (size_t)write(fd, text, n) == n && fsync(fd) == 0 ? 0 : hq_err_set(err, HQ_EIO, "%s: write failed", path);
    close(fd);
    return rc;
}

int hq_keyfile_write_pair(const char *path, hq_err *err)
{
    char pub[41], sec[41];
    if (zmq_curve_keypair(pub, sec) != 0)
        return hq_err_set(err, HQ_EIO, "CURVE is not available in this libzmq");
    char text[256], pubpath[4096];
    snprintf(text, sizeof text, "# houqin CURVE key pair: keep this file secret\npublic: \"%s\"\nsecret: \"%s\"\n", pub, sec);
    int rc = write_file(path, 0600, text, err);
    if (rc)
        return rc;
    snprintf(pubpath, sizeof pubpath, "%s.pub", path);
    snprintf(text, sizeof text, "# houqin CURVE public key\npublic: \"%s\"\n", pub);
    return write_file(pubpath, 0644, text, err);
}
