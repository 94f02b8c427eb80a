/* mem.h - the out-of-memory policy of the whole codebase, in one place.
 *
 * Allocation failure is not an error that code returns: the hq_malloc
 * family writes one line to stderr and calls abort().  The reasons:
 *   - houqind acknowledges an event only after the transaction holding it
 *     and everything it caused has committed.  A process that dies before
 *     the commit leaves nothing half-done (LMDB discards the transaction)
 *     and the producer retries; a process that limps on after a failed
 *     allocation could ack something it did not store.
 *   - the daemons run under systemd with Restart=, so an abort is a quick,
 *     clean restart, and the core dump says where memory ran out.
 *   - every error path that only existed for NULL returns was an untested
 *     path; none is left.
 * So these functions never return NULL, and callers do not check.  Sizes
 * that would overflow (n * size) abort as well.  Library code, the daemons
 * and houqinctl use these and never the raw allocators (tests/layers.sh
 * enforces it).  Memory from them is released with free(); an owned array
 * of strings with hq_free_strv(), one of records with HQ_FREE_EACH().
 *
 * hq_buf (buf.h) follows the same policy.
 */
#ifndef HQ_MEM_H
#define HQ_MEM_H

#include <stddef.h>

void *hq_malloc(size_t n);
void *hq_calloc(size_t n, size_t size);
/* realloc(p, n); p may be NULL. */
void *hq_realloc(void *p, size_t n);
/* realloc(p, n * size) with the product checked for overflow. */
void *hq_reallocarray(void *p, size_t n, size_t size);
/* Copies of a NUL-terminated string, or its first n bytes (NUL added). */
char *hq_strdup(const char *s);
char *hq_strndup(const char *s, size_t n);
/* Frees the n strings of v, then v itself (NULL with n 0 is fine). */
void hq_free_strv(char **v, size_t n);
/* Calls fini(&arr[i]) on each of the n elements of arr, then frees arr:
 * for an owned array of records whose fini frees what one record owns. */
#define HQ_FREE_EACH(arr, n, fini)                                                                                     \
    do {                                                                                                               \
        for (size_t i_ = 0; i_ < (n); i_++)                                                                            \
            fini(&(arr)[i_]);                                                                                          \
        free(arr);                                                                                                     \
    } while (0)

#endif
