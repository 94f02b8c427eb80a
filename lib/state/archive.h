/* archive.h - monthly archive files of the event log (STATE/archive/).
 *
 * An archive holds one contiguous segment of the log, seqs first..last
 * with no gap, every event of it (also those that stay in LMDB), as a
 * msgpack stream compressed with zstd:
 *   {"format": "houqin-archive", "version": 1, "month": "2025-01",
 *    "first_seq": N, "prev_chain": bin32}
 *   [seq, stored_ms, bin frame]            one per event, in seq order
 *   {"end": true, "events": n, "last_chain": bin32}
 * prev_chain is the chain hash (store.h) of seq first-1 (zeros for seq 1),
 * so archives chain to each other and to the log left in LMDB.
 *
 * Beside it, NAME.manifest (msgpack map) says what the file covers and its
 * BLAKE2b-256 digest: a reader checks the digest before it reads anything,
 * so a file that does not match its manifest is reported, never read.
 *
 * Durability: a writer writes NAME.hqa.part, fsyncs it, renames it, writes
 * NAME.manifest the same way and fsyncs the directory; only then may LMDB
 * record the segment as archived (prune.c) and delete from it.  A .part
 * file, or an .hqa without a manifest, is an interrupted write: the next
 * writer removes it.  A file once archived never changes, so backups copy
 * archives incrementally.
 *
 * Months are UTC months of the events' stored time.
 */
#ifndef HQ_ARCHIVE_H
#define HQ_ARCHIVE_H

#include "err.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hq_archive_info {
    char name[16];               /* "2025-01" (files NAME.hqa, NAME.manifest) */
    uint64_t first_seq, last_seq, events;
    int64_t first_ms, last_ms;   /* stored time of the first and last event */
    unsigned char prev_chain[HQ_CHAIN_BYTES], last_chain[HQ_CHAIN_BYTES];
    unsigned char digest[32];    /* BLAKE2b-256 of NAME.hqa */
    uint64_t bytes;              /* size of NAME.hqa */
    int64_t created_ms;
} hq_archive_info;

/* "STATE/archive" into buf. */
void hq_archive_dir(const char *state_dir, char *buf, size_t size);

/* Reads every manifest under the state's archive directory, sorted by
 * first_seq; *out is the caller's to free (NULL, 0 when there are none).
 * An unreadable manifest is an error naming it. */
int hq_archive_list(const char *state_dir, hq_archive_info **out, size_t *n, hq_err *err);
/* Total bytes of the archive files and manifests. */
uint64_t hq_archive_bytes(const char *state_dir);

/* ---- writing ---- */
typedef struct hq_archive_writer hq_archive_writer;
/* Starts NAME.hqa.part for the segment starting at first_seq (removing an
 * interrupted write of the same name).  HQ_EEXIST when NAME.manifest exists. */
int hq_archive_writer_open(const char *state_dir, const char *name, uint64_t first_seq,
                           const unsigned char prev_chain[HQ_CHAIN_BYTES], hq_archive_writer **out, hq_err *err);
/* Appends the next event (seq must follow the last one). */
int hq_archive_writer_add(hq_archive_writer *w, uint64_t seq, int64_t stored_ms, const char *frame, size_t len,
                          hq_err *err);
/* Ends the stream, makes file, manifest and directory durable, fills *info
 * and destroys the writer (also on error, leaving nothing behind). */
int hq_archive_writer_finish(hq_archive_writer **w, int64_t created_ms, hq_archive_info *info, hq_err *err);
/* Drops an unfinished archive (removes the .part file); accepts NULL. */
void hq_archive_writer_abort(hq_archive_writer **w);
uint64_t hq_archive_writer_count(const hq_archive_writer *w);

/* ---- copying (houqinctl backup) ---- */
/* Copies archive a of state_dir into dest_dir/archive/ (created): NAME.hqa
 * through NAME.hqa.part, checked against the manifest's size and digest as
 * it is read and again read back after fsync, then NAME.manifest, then the
 * directory fsynced.  When dest_dir already holds the same manifest and a
 * NAME.hqa of its size, nothing is copied (*copied false): an archive never
 * changes once written.  A source that does not match its manifest is
 * HQ_EINVAL and nothing is left behind. */
int hq_archive_copy(const char *state_dir, const hq_archive_info *a, const char *dest_dir, bool *copied,
                    hq_err *err);

/* ---- reading ---- */
typedef struct hq_archive_reader hq_archive_reader;
/* Checks NAME.hqa against its manifest (size, digest) and opens it.
 * HQ_EINVAL with the reason when it does not match. */
int hq_archive_reader_open(const char *state_dir, const hq_archive_info *a, hq_archive_reader **out, hq_err *err);
/* The next event: 1 and the event (*frame a view valid until the next
 * call), 0 at the end, or an error.  The chain is recomputed as it goes;
 * at the end the last hash and the count must match the manifest, else
 * HQ_EINVAL naming the first seq that does not fit. */
int hq_archive_reader_next(hq_archive_reader *r, uint64_t *seq, int64_t *stored_ms, const char **frame, size_t *len,
                           hq_err *err);
/* The chain hash after the last event returned. */
const unsigned char *hq_archive_reader_chain(const hq_archive_reader *r);
void hq_archive_reader_close(hq_archive_reader **r);

/* Checks every archive (digest, content, chain, continuity from seq 1 and
 * from one archive to the next) and that what LMDB still holds of the
 * archived segments is the same.  *bad_seq is 0 when all is well, else the
 * first seq that does not fit and why says how; *upto and upto_chain
 * return where the archives end (0 and zeros without archives), so the
 * LMDB log is checked from there (hq_store_chain_verify_from). */
int hq_archive_verify(const char *state_dir, hq_store *s, MDB_txn *txn, uint64_t *checked, uint64_t *bad_seq,
                      char *why, size_t whylen, uint64_t *upto, unsigned char upto_chain[HQ_CHAIN_BYTES],
                      hq_err *err);

#endif
