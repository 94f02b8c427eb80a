#include "outbox.h"

#include "buf.h"
#include "mp.h"

#include <msgpack.h>
#include <stdio.h>
#include <string.h>

int hq_outbox_add(hq_store *s, MDB_txn *txn, const hq_alert *a, uint64_t *seq, hq_err *err)
{
    uint64_t n;
    int rc = hq_store_next_seq(s, txn, HQ_DB_OUTBOX, &n, err);
    if (rc)
        return rc;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 14 + (a->contact ? 1 : 0) + (a->outcome ? 1 : 0));
    hq_mp_pack_ku64(&pk, "seq", n);
    hq_mp_pack_ki64(&pk, "ts_ms", a->ts_ms);
    hq_mp_pack_kv(&pk, "kind", a->kind);
    hq_mp_pack_kv(&pk, "issue", a->issue);
    hq_mp_pack_kv(&pk, "rule", a->rule);
    hq_mp_pack_str(&pk, "level");
    msgpack_pack_int(&pk, a->level);
    hq_mp_pack_str(&pk, "roles");
    msgpack_pack_array(&pk, a->nroles);
    for (size_t i = 0; i < a->nroles; i++)
        hq_mp_pack_str(&pk, hq_role_name(a->roles[i]));
    hq_mp_pack_kv(&pk, "domain", a->domain);
    hq_mp_pack_kv(&pk, "contractor", a->contractor);
    hq_mp_pack_kv(&pk, "site", a->site);
    hq_mp_pack_kv(&pk, "severity", hq_severity_name(a->severity));
    hq_mp_pack_kv(&pk, "title", a->title);
    hq_mp_pack_kv(&pk, "text", a->text);
    hq_mp_pack_ki64(&pk, "deadline_ms", a->deadline_ms);
    if (a->contact)
        hq_mp_pack_kv(&pk, "contact", a->contact);
    if (a->outcome)
        hq_mp_pack_kv(&pk, "outcome", a->outcome);
    unsigned char key[8];
    hq_be64_put(key, n);
    rc = hq_store_put(s, txn, HQ_DB_OUTBOX, key, 8, sb.data, sb.size, err);
    msgpack_sbuffer_destroy(&sb);
    if (rc == 0 && seq)
        *seq = n;
    return rc;
}

int hq_outbox_get(hq_store *s, MDB_txn *txn, uint64_t seq, const char **rec, size_t *len, hq_err *err)
{
    MDB_val v;
    int rc = hq_store_get_seq(s, txn, HQ_DB_OUTBOX, seq, &v, err);
    if (rc)
        return rc;
    *rec = v.mv_data;
    *len = v.mv_size;
    return 0;
}

int hq_outbox_each(hq_store *s, MDB_txn *txn, uint64_t from,
                   int (*fn)(void *ctx, uint64_t seq, const msgpack_object *rec), void *ctx, hq_err *err)
{
    MDB_cursor *c;
    int rc = hq_store_cursor(s, txn, HQ_DB_OUTBOX, &c, err);
    if (rc)
        return rc;
    unsigned char key[8];
    hq_be64_put(key, from);
    MDB_val k = {8, key}, v;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    int stop = 0;
    for (int m = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); m == 0 && !stop; m = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        size_t off = 0;
        if (k.mv_size == 8 && msgpack_unpack_next(&u, v.mv_data, v.mv_size, &off) == MSGPACK_UNPACK_SUCCESS &&
            u.data.type == MSGPACK_OBJECT_MAP)
            stop = fn(ctx, hq_be64_get(k.mv_data), &u.data);
    }
    msgpack_unpacked_destroy(&u);
    mdb_cursor_close(c);
    return 0;
}

void hq_outbox_topic(const char *rec, size_t len, char *out, size_t size)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object o;
    size_t off = 0;
    snprintf(out, size, "alert");
    if (msgpack_unpack(rec, len, &off, &zone, &o) == MSGPACK_UNPACK_SUCCESS && o.type == MSGPACK_OBJECT_MAP) {
        const msgpack_object *k = hq_mp_map_get(&o, "kind"), *d = hq_mp_map_get(&o, "domain"),
                             *s = hq_mp_map_get(&o, "severity");
#define SV(x) (x && x->type == MSGPACK_OBJECT_STR ? (int)x->via.str.size : 1), \
              (x && x->type == MSGPACK_OBJECT_STR ? x->via.str.ptr : "-")
        snprintf(out, size, "alert.%.*s.%.*s.%.*s", SV(k), SV(d), SV(s));
#undef SV
    }
    msgpack_zone_destroy(&zone);
}
