/* store.h - the state in LMDB: environment, transactions, the event log and
 * the dedup index.  The whole key space is described at the top of store.c.
 *
 * One writer (houqind), many readers (houqinctl, in other processes, with
 * HQ_STORE_RDONLY).  The caller owns every transaction: modules that put
 * records take an MDB_txn and never begin or commit one themselves.
 *
 * Durability: the environment is opened with none of MDB_NOSYNC,
 * MDB_NOMETASYNC, MDB_MAPASYNC or MDB_WRITEMAP, so a successful
 * hq_store_commit() is on disk.  HQ_EFULL from a put or from commit means
 * the map is full: the transaction is already gone; call hq_store_grow() and
 * replay the whole batch.  HQ_EPANIC means LMDB is unusable (MDB_PANIC, a
 * failed fsync): exit and let the supervisor restart; nothing of the batch
 * may be acknowledged.
 */
#ifndef HQ_STORE_H
#define HQ_STORE_H

#include "err.h"
#include "frame.h"

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#define HQ_STORE_FORMAT 2

enum hq_db {
    HQ_DB_META,
    HQ_DB_EVENTS,
    HQ_DB_DEDUP,
    HQ_DB_ISSUES,
    HQ_DB_GROUPS,
    HQ_DB_ISSUE_IDX,
    HQ_DB_TIMERS,
    HQ_DB_OUTBOX,
    HQ_DB_RULESTATE,
    HQ_DB_CHAIN,
    HQ_DB_COUNT
};

enum { HQ_STORE_RDONLY = 1 };

typedef struct hq_store hq_store;

typedef struct hq_store_stats {
    uint64_t entries[HQ_DB_COUNT];
    uint64_t map_size;
    uint64_t used_bytes;
    uint64_t last_event_seq;
} hq_store_stats;

/* Opens (creating if needed, unless RDONLY) the state in dir.  map_size is
 * the initial map size in bytes (0: 1 GiB, or what the file already uses).
 * A state of another format version is refused with HQ_EVERSION.  The
 * writer clears stale reader slots at open. */
int hq_store_open(const char *dir, unsigned flags, uint64_t map_size, hq_store **out, hq_err *err);
/* Closes the environment; accepts NULL and clears the pointer. */
void hq_store_close(hq_store **s);

/* Begins a transaction.  For readers, MDB_MAP_RESIZED (the writer grew the
 * map) is handled here by adopting the new size and retrying; LMDB allows
 * that only while the process has no other transaction, so a handle that
 * threads read through at the same time uses hq_store_begin_shared. */
int hq_store_begin(hq_store *s, bool write, MDB_txn **txn, hq_err *err);
/* A read transaction on a handle that several threads read through at
 * once (houqin-web's workers; each thread one transaction at a time).
 * When the writer has grown the map it begins nothing and returns
 * HQ_EAGAIN: the caller waits until no thread of the process has a
 * transaction, calls hq_store_adopt_map, and begins again. */
int hq_store_begin_shared(hq_store *s, MDB_txn **txn, hq_err *err);
/* Adopts the size to which the writer grew the map.  No transaction of
 * this process may be active. */
void hq_store_adopt_map(hq_store *s);
/* Commits; the txn is freed whatever the result. */
int hq_store_commit(hq_store *s, MDB_txn *txn, hq_err *err);
/* Aborts (accepts NULL); undoes the store's per-transaction counters. */
void hq_store_abort(hq_store *s, MDB_txn *txn);
/* Ends a write transaction by what was done in it: commits when rc is 0,
 * else aborts (txn may then be NULL).  Returns rc, or the commit's code. */
int hq_store_end(hq_store *s, MDB_txn *txn, int rc, hq_err *err);
/* Doubles the map (no transaction may be open in this process). */
int hq_store_grow(hq_store *s, hq_err *err);
/* Grows ahead of need when the map is more than 80% used. */
int hq_store_maybe_grow(hq_store *s, hq_err *err);
/* Clears reader slots of dead processes; returns how many via *cleared. */
int hq_store_reader_check(hq_store *s, int *cleared);

MDB_dbi hq_store_dbi(const hq_store *s, enum hq_db db);
const char *hq_store_dir(const hq_store *s);
MDB_env *hq_store_env(const hq_store *s);

/* Thin wrappers that map LMDB codes to HQ_E* (one place: store_code()). */
int hq_store_put(hq_store *s, MDB_txn *txn, enum hq_db db, const void *k, size_t kl, const void *v, size_t vl,
                 hq_err *err);
/* *v is a view into the map, valid until the txn ends or the next write. */
int hq_store_get(hq_store *s, MDB_txn *txn, enum hq_db db, const void *k, size_t kl, MDB_val *v, hq_err *err);
int hq_store_del(hq_store *s, MDB_txn *txn, enum hq_db db, const void *k, size_t kl, hq_err *err);
/* hq_store_get of a key that may be missing: 0 with *found false then. */
int hq_store_find(hq_store *s, MDB_txn *txn, enum hq_db db, const void *k, size_t kl, MDB_val *v, bool *found,
                  hq_err *err);
/* hq_store_get in a database keyed by be64 sequence (events, outbox). */
int hq_store_get_seq(hq_store *s, MDB_txn *txn, enum hq_db db, uint64_t seq, MDB_val *v, hq_err *err);
/* Opens a cursor on db (the caller closes it): 0, or an error naming db. */
int hq_store_cursor(hq_store *s, MDB_txn *txn, enum hq_db db, MDB_cursor **c, hq_err *err);
/* The first (op MDB_FIRST) or last (MDB_LAST) record of db, as views
 * valid until the txn ends: 0, HQ_ENOTFOUND when db is empty (err
 * untouched), or an error. */
int hq_store_edge(hq_store *s, MDB_txn *txn, enum hq_db db, MDB_cursor_op op, MDB_val *k, MDB_val *v, hq_err *err);
/* Maps an LMDB return code to HQ_E* with a message. */
int hq_store_code(int mdb_rc, hq_err *err, const char *what);

/* ---- any LMDB state: houqind's (above) and houqin-alertd's (alert_queue.h) ---- */

/* Makes sure dir is a directory, creating it (mode 0770) when it is
 * missing and rdonly is false.  Returns 0 or HQ_EIO ("DIR: why"). */
int hq_store_dir_ready(const char *dir, bool rdonly, hq_err *err);
/* Opens the LMDB environment in dir the way every houqin state is opened:
 * MDB_NOTLS and none of the sync relaxations (durability above), files
 * mode 0660, at most maxdbs named databases and maxreaders readers (0:
 * LMDB's default); a new data file starts with a map of map_size bytes;
 * a writer clears the reader slots of dead processes.  Errors read
 * "DIR: what: ..." (what: "open state").  *env is NULL on failure. */
int hq_store_env_open(const char *dir, bool rdonly, unsigned maxdbs, unsigned maxreaders, uint64_t map_size,
                      const char *what, MDB_env **env, hq_err *err);
/* Begins a transaction on env, adopting the map size once when the writer
 * grew it (MDB_MAP_RESIZED). */
int hq_store_env_begin(MDB_env *env, bool write, MDB_txn **txn, hq_err *err);
/* Doubles env's map (no transaction may be open in this process). */
int hq_store_env_grow(MDB_env *env, hq_err *err);

/* Next key of an append-only database keyed by be64 sequence (events,
 * outbox): last key + 1, cached for the rest of the transaction. */
int hq_store_next_seq(hq_store *s, MDB_txn *txn, enum hq_db db, uint64_t *seq, hq_err *err);
/* The key hq_store_next_seq would hand out next, without taking it. */
int hq_store_peek_seq(hq_store *s, MDB_txn *txn, enum hq_db db, uint64_t *seq, hq_err *err);
/* A named counter in meta (issue numbers per year, timer ids): returns the
 * next value, starting at 1. */
int hq_store_counter_next(hq_store *s, MDB_txn *txn, const char *name, uint64_t *val, hq_err *err);

/* The manual clock's time as last committed (meta "clock"): 0, or
 * HQ_ENOTFOUND when the state has never run on a manual clock. */
int hq_store_clock_get(hq_store *s, MDB_txn *txn, int64_t *ms);
int hq_store_clock_put(hq_store *s, MDB_txn *txn, int64_t ms, hq_err *err);
/* houqind's heartbeat (meta "uptime"): the time of its last write
 * transaction, so that the next start knows when it stopped running.
 * get: HQ_ENOTFOUND (and 0) for a state that never had one. */
int hq_store_alive_get(hq_store *s, MDB_txn *txn, int64_t *ms);
int hq_store_alive_put(hq_store *s, MDB_txn *txn, int64_t ms, hq_err *err);

/* Where the state's history began (meta "origin"): the clock of its first
 * generation of obligations.  get: 0, or HQ_ENOTFOUND for a state made
 * before the record existed.  mark: records now_ms when there is no
 * origin yet and the state has never held an event (called with every
 * generation; a no-op after the first); put: sets it (a clock reset on a
 * state without events). */
int hq_store_origin_get(hq_store *s, MDB_txn *txn, int64_t *ms);
int hq_store_origin_put(hq_store *s, MDB_txn *txn, int64_t ms, hq_err *err);
int hq_store_origin_mark(hq_store *s, MDB_txn *txn, int64_t now_ms, hq_err *err);

/* ---- event log and dedup ---- */

typedef enum { HQ_DEDUP_NEW, HQ_DEDUP_SAME, HQ_DEDUP_CONFLICT } hq_dedup;

/* Looks (source, id) up.  NEW: not seen.  SAME: seen with the same bytes,
 * *seq is the original.  CONFLICT: the id was used with different content. */
int hq_store_dedup_check(hq_store *s, MDB_txn *txn, const hq_frame *fr, hq_dedup *res, uint64_t *seq,
                         hq_err *err);
/* Appends the event to the log and records it in the dedup index. */
int hq_store_event_append(hq_store *s, MDB_txn *txn, hq_frame *fr, int64_t stored_ms, uint64_t *seq,
                          hq_err *err);
/* The fast path of ingest, one B-tree descent for dedup: records
 * (source, id) -> seq unless it exists (MDB_NOOVERWRITE), reporting what
 * exists as hq_store_dedup_check does.  With NEW, the caller must either
 * store the event under seq (hq_store_event_put) or give the claim back
 * (hq_store_dedup_release) in the same transaction. */
int hq_store_dedup_claim(hq_store *s, MDB_txn *txn, hq_frame *fr, uint64_t seq, hq_dedup *res,
                         uint64_t *orig_seq, hq_err *err);
int hq_store_dedup_release(hq_store *s, MDB_txn *txn, hq_frame *fr, hq_err *err);
/* Appends the event under seq, which must be the next one (peeked). */
int hq_store_event_put(hq_store *s, MDB_txn *txn, hq_frame *fr, int64_t stored_ms, uint64_t seq,
                       hq_err *err);
/* The tamper-evident chain over the event log: chain[seq] =
 * BLAKE2b-256(chain[seq-1] | be64 seq | be64 stored_ms | BLAKE2b-128(frame)),
 * with chain[0] = 32 zero bytes.  hq_store_event_put extends it.
 * hq_store_chain_verify walks the log and the chain and reports the first
 * seq where they disagree (*bad_seq 0 when all is well). */
#define HQ_CHAIN_BYTES 32
int hq_store_chain_head(hq_store *s, MDB_txn *txn, uint64_t *seq, unsigned char head[HQ_CHAIN_BYTES], hq_err *err);
int hq_store_chain_verify(hq_store *s, MDB_txn *txn, uint64_t *checked, uint64_t *bad_seq, char *why, size_t whylen,
                          void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx, hq_err *err);
/* The same from seq after+1 on, chained to after_chain (the hash at seq
 * after, where the archives end: archive.h).  Events at or below after are
 * not looked at. */
int hq_store_chain_verify_from(hq_store *s, MDB_txn *txn, uint64_t after, const unsigned char after_chain[HQ_CHAIN_BYTES],
                               uint64_t *checked, uint64_t *bad_seq, char *why, size_t whylen,
                               void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx, hq_err *err);
/* One link of that chain, for readers of archived segments (archive.c). */
void hq_store_chain_next(const unsigned char prev[HQ_CHAIN_BYTES], uint64_t seq, int64_t stored_ms, const char *frame,
                         size_t len, unsigned char out[HQ_CHAIN_BYTES]);
/* Removes event seq from the log with its chain record, and the dedup
 * record of (source, id) when it still names seq.  Only for events already
 * in a durable archive (prune.c); never the last event of the log (its seq
 * and chain record are where the next event continues). */
int hq_store_event_remove(hq_store *s, MDB_txn *txn, uint64_t seq, const char *source, size_t source_len,
                          const char *id, size_t id_len, hq_err *err);
/* Reads event seq: *frame is a view of the msgpack frame. */
int hq_store_event_get(hq_store *s, MDB_txn *txn, uint64_t seq, int64_t *stored_ms, const char **frame,
                       size_t *len, hq_err *err);

int hq_store_stats_get(hq_store *s, MDB_txn *txn, hq_store_stats *st, hq_err *err);

#endif
