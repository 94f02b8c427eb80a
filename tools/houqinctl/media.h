/* media.h - houqinctl backup's copy of houqin-web's photos.
 *
 * houqin-web keeps complaint photos outside LMDB, content-addressed:
 * MEDIA/ab/cd/<64 hex digits of the SHA-256 of the bytes>.  A file is only
 * ever added, never changed, so a copy taken after the state's snapshot
 * holds every photo an event of the snapshot names.
 *
 * ctl_media_copy copies into DEST/media each photo that DEST does not hold
 * yet (a file of the same name and size counts as held): it writes a
 * temporary file, checks the SHA-256 of what it wrote against the name,
 * fsyncs it and renames it into place.  Files that are not photos (other
 * names, houqin-web's unfinished .tmp-* files) are passed over.  A photo
 * whose bytes do not match its name is not copied; it is counted in
 * damaged and named in msg, and the others are still copied.  A missing
 * MEDIA is no photos.  Returns 0, or -1 with the reason in msg when a file
 * cannot be read or written.
 */
#ifndef HQCTL_MEDIA_H
#define HQCTL_MEDIA_H

#include <stddef.h>
#include <stdint.h>

typedef struct ctl_media_stats {
    size_t copied, kept, damaged;
    uint64_t bytes; /* copied */
} ctl_media_stats;

int ctl_media_copy(const char *media_dir, const char *dest, ctl_media_stats *st, char *msg, size_t size);

#endif
