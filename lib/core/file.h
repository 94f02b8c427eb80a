/* file.h - small files replaced whole, for readers that must never see a
 * half-written one (houqin-web's accounts and saved filters beside the
 * state).
 *
 * hq_file_replace writes PATH.tmp, fsyncs it, renames it over PATH and
 * fsyncs the directory: a reader sees the old content or the new, and the
 * new survives a crash once the call returned.  Several writers (processes)
 * serialise a read-modify-write on PATH.lock with hq_file_lock;
 * hq_file_each_line reads such a file of lines back.
 *
 * Functions return 0 (a descriptor for hq_file_lock) or HQ_EIO with the
 * path and the system's reason in the optional err.
 */
#ifndef HQ_FILE_H
#define HQ_FILE_H

#include "err.h"

#include <stddef.h>

int hq_file_replace(const char *path, const void *data, size_t len, unsigned mode, hq_err *err);
/* fsyncs the directory dir, so that the entries created or renamed in it
 * survive a crash. */
int hq_file_sync_dir(const char *dir, hq_err *err);
/* Creates path and its missing parents with mode; the parent of each
 * directory it creates is synced (hq_file_sync_dir).  An existing path is
 * fine. */
int hq_file_mkdirs(const char *path, unsigned mode, hq_err *err);
/* Takes PATH.lock exclusively (flock), creating it with mode 0640. */
int hq_file_lock(const char *path, hq_err *err);
void hq_file_unlock(int fd);
/* Calls fn for each line of path that is neither empty nor a comment
 * ('#' first), without its LF, in a buffer of size bytes (a longer line
 * comes in pieces); lineno counts from 1.  fn returns 0 to go on, anything
 * else to stop, which is then returned.  A missing file has no lines (0);
 * another that cannot be opened is HQ_EIO. */
int hq_file_each_line(const char *path, size_t size, int (*fn)(void *ctx, char *line, int lineno), void *ctx,
                      hq_err *err);

#endif
