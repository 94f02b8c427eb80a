/* houqinctl backup: a consistent copy of the state while houqind runs, and
 * its archives copied incrementally.  mdb_env_copyfd2() from a read-only
 * environment copies one read transaction's snapshot, so the writer is
 * never stopped and the copy is what a reader would have seen at one
 * instant; with --compact it is LMDB's compacting copy (MDB_CP_COMPACT, as
 * mdb_env_copy2 makes it), without free pages.  The archives are copied
 * after the snapshot, so every archive the snapshot counts on is there. */
#include "ctl.h"
#include "media.h"

#include "archive.h"
#include "buf.h"
#include "clock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char backup_usage[] =
    "NAME\n"
    "    houqinctl backup - a consistent copy of the state and its archives\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl backup DIR [--state DIR] [--compact] [--media DIR]\n"
    "\n"
    "DESCRIPTION\n"
    "    Copies the state into DIR while houqind keeps running: data.mdb is one\n"
    "    consistent snapshot (LMDB's copy of a read transaction), written as\n"
    "    DIR/data.mdb.part, opened and checked, then renamed into place.  Then the\n"
    "    monthly archives (STATE/archive/) are copied incrementally: an archive\n"
    "    never changes once written, so only those DIR/archive/ lacks are copied,\n"
    "    each checked against its manifest's size and BLAKE2b digest as it is read\n"
    "    and again read back from DIR; an archive that does not match its manifest\n"
    "    is not copied and the backup fails.  DIR is created (with its parents)\n"
    "    when missing; it may be empty or hold an earlier backup of the same state,\n"
    "    whose data.mdb is replaced and whose archives are kept.  DIR is then a\n"
    "    complete state directory.  A progress bar is drawn on stderr when it is a\n"
    "    terminal.\n"
    "\n"
    "    Last, houqin-web's photos (STATE/media/, files named by their SHA-256,\n"
    "    only ever added) are copied into DIR/media/ the same way: only those DIR\n"
    "    lacks, each checked against its name; a photo whose bytes do not match\n"
    "    its name is named and not copied, and the backup fails after copying the\n"
    "    others.\n"
    "\n"
    "    Without --compact the snapshot's pages are copied as they are, free pages\n"
    "    included (the quickest copy; about the size of data.mdb).  With --compact\n"
    "    LMDB leaves the free pages out and renumbers the rest (MDB_CP_COMPACT): a\n"
    "    smaller file, the one to swap in to give back the space retention freed\n"
    "    (docs/operations.md).\n"
    "\n"
    "    To restore: stop houqind, move the state directory aside, copy DIR in its\n"
    "    place, start houqind (see docs/backup.md).\n"
    "\n"
    "OPTIONS\n"
    "    --state DIR    the state directory to copy (default ./var)\n"
    "    --compact      a compacted copy of data.mdb\n"
    "    --media DIR    where houqin-web keeps photos (default STATE/media)\n"
    "\n"
    "EXIT STATUS\n"
    "    0 copied and checked; 1 the copy failed (data.mdb, an archive or a\n"
    "    photo); 2 bad usage, a DIR that holds other files than a backup, or a\n"
    "    state directory that does not exist or is not a houqin state.\n";

typedef struct watch {
    int fd;
    uint64_t total;
    atomic_bool done;
} watch;

/* Draws the copy's progress: the size written so far against the used
 * size of the source (an upper bound: the copy is compacted). */
static void *watcher(void *arg)
{
    watch *w = arg;
    ctl_progress pr;
    ctl_progress_begin(&pr, "backup", w->total);
    while (!atomic_load(&w->done)) {
        struct stat sb;
        if (fstat(w->fd, &sb) == 0)
            ctl_progress_update(&pr, (uint64_t)sb.st_size < w->total ? (uint64_t)sb.st_size : w->total);
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    ctl_progress_end(&pr);
    return NULL;
}

/* DIR may be written into: it holds nothing, or only what a backup holds
 * (data.mdb, an unfinished data.mdb.part, archive/, media/). */
static bool backup_dir_ok(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    struct dirent *e;
    bool ok = true;
    while (ok && (e = readdir(d)))
        ok = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "data.mdb") ||
             !strcmp(e->d_name, "data.mdb.part") || !strcmp(e->d_name, "archive") || !strcmp(e->d_name, "media");
    closedir(d);
    return ok;
}

/* mkdir -p; *created names the first directory made (to remove on failure). */
static int make_dirs(const char *path, char *created, size_t size)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = 0;
    created[0] = 0;
    for (char *c = p + 1;; c++) {
        bool end = *c == 0;
        if (*c == '/' || end) {
            *c = 0;
            if (mkdir(p, 0750) == 0) {
                if (!created[0])
                    snprintf(created, size, "%s", p);
            } else if (errno != EEXIST) {
                return -1;
            }
            if (end)
                break;
            *c = '/';
        }
    }
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode) ? 0 : (errno = ENOTDIR, -1);
}

/* Removes what a failed backup made: dest and its parents up to the first
 * directory it created, each only if empty. */
static void undo_dirs(const char *dest, const char *created)
{
    if (!created[0])
        return;
    char p[4096];
    snprintf(p, sizeof p, "%s", dest);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = 0;
    while (rmdir(p) == 0 && strcmp(p, created) != 0) {
        char *slash = strrchr(p, '/');
        if (!slash || slash == p)
            break;
        *slash = 0;
    }
}

/* Opens the copy (a file) without a lock file and counts what is in it. */
static int check_copy(const char *path, uint64_t *events, uint64_t *issues, char *msg, size_t size)
{
    MDB_env *env;
    MDB_txn *txn;
    int rc = mdb_env_create(&env);
    if (rc)
        goto fail;
    mdb_env_set_maxdbs(env, 16);
    if ((rc = mdb_env_open(env, path, MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS | MDB_NOSUBDIR, 0640)) == 0 &&
        (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) == 0) {
        MDB_dbi meta, ev, is;
        MDB_val k = {6, "format"}, v;
        MDB_stat st;
        if ((rc = mdb_dbi_open(txn, "meta", 0, &meta)) == 0 && (rc = mdb_get(txn, meta, &k, &v)) == 0 &&
            (rc = mdb_dbi_open(txn, "events", 0, &ev)) == 0 && (rc = mdb_dbi_open(txn, "issues", 0, &is)) == 0) {
            mdb_stat(txn, ev, &st);
            *events = st.ms_entries;
            mdb_stat(txn, is, &st);
            *issues = st.ms_entries;
        }
        mdb_txn_abort(txn);
    }
    mdb_env_close(env);
    if (rc == 0)
        return 0;
fail:
    snprintf(msg, size, "%s", mdb_strerror(rc));
    return -1;
}

/* The backup's directory: an earlier backup, an empty one, or a new one
 * (its missing parents, made, are named in created for undo_dirs).
 * Returns 0, or the exit status after saying why not. */
static int prepare_dest(const char *dest, char *created, size_t size)
{
    struct stat sb;
    if (stat(dest, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode) || !backup_dir_ok(dest))
            return ctl_fail("backup: %s holds other files than a backup (data.mdb, archive/); give an empty or new "
                            "directory, or an earlier backup",
                            dest);
    } else if (errno != ENOENT || make_dirs(dest, created, size) != 0) {
        int e = errno;
        undo_dirs(dest, created);
        return ctl_fail("backup: cannot create %s: %s", dest, strerror(e));
    }
    return 0;
}

/* Copies the state's archives that dest does not hold yet. */
static int copy_archives(const char *dir, const char *dest, size_t *copied, size_t *kept, uint64_t *bytes,
                         hq_err *err)
{
    hq_archive_info *a = NULL;
    size_t na = 0;
    int rc = hq_archive_list(dir, &a, &na, err);
    for (size_t i = 0; rc == 0 && i < na; i++) {
        bool did;
        if ((rc = hq_archive_copy(dir, &a[i], dest, &did, err)) == 0) {
            *copied += did;
            *kept += !did;
            *bytes += did ? a[i].bytes : 0;
        }
    }
    free(a);
    return rc;
}

/* After the snapshot: the archives and the photos it counts on, copied
 * into dest; the summary's tail printed (photos only when media exists).
 * Returns 0 or EXIT_REFUSED with the reason on stderr. */
static int copy_after_snapshot(const char *dir, const char *media_opt, const char *dest)
{
    size_t copied = 0, kept = 0;
    uint64_t copied_bytes = 0;
    hq_err err = {0};
    int arc = copy_archives(dir, dest, &copied, &kept, &copied_bytes, &err);
    printf("archives: %zu copied (%.1f MiB), %zu already there", copied, copied_bytes / 1048576.0, kept);
    char media[4200], msg[4600] = "";
    snprintf(media, sizeof media, "%s/media", dir);
    if (media_opt)
        snprintf(media, sizeof media, "%s", media_opt);
    struct stat sb;
    ctl_media_stats ms = {0};
    bool photos = arc == 0 && stat(media, &sb) == 0;
    int mrc = photos ? ctl_media_copy(media, dest, &ms, msg, sizeof msg) : 0;
    if (photos)
        printf("; photos: %zu copied (%.1f MiB), %zu already there", ms.copied, ms.bytes / 1048576.0, ms.kept);
    printf("\n");
    if (arc) {
        fprintf(stderr, "houqinctl: backup: archives: %s\n", err.msg);
        return EXIT_REFUSED;
    }
    if (mrc || ms.damaged) {
        if (ms.damaged > 1)
            fprintf(stderr, "houqinctl: backup: photos: %s; and %zu more that do not match their names\n", msg,
                    ms.damaged - 1);
        else
            fprintf(stderr, "houqinctl: backup: photos: %s\n", msg);
        return EXIT_REFUSED;
    }
    return 0;
}

int cmd_backup(int argc, char **argv)
{
    const char *dir = "var", *media = NULL;
    bool compact = false;
    const hq_opt opts[] = {
        HQ_OPTION_STR("state", &dir),
        HQ_OPTION_FLAG("compact", 0, &compact),
        HQ_OPTION_STR("media", &media),
    };
    const char *dest;
    int prc = ctl_parse_operands(opts, argc, argv, backup_usage, "backup",
                                 "give the directory to copy into; see houqinctl backup --help", &dest, 1);
    if (prc >= 0)
        return prc;
    char created[4096] = "";
    int rc = prepare_dest(dest, created, sizeof created);
    if (rc)
        return rc;
    hq_store *s;
    MDB_txn *txn;
    rc = ctl_open_state(dir, &s, &txn);
    if (rc) {
        undo_dirs(dest, created);
        return rc;
    }
    hq_store_stats ss;
    hq_store_stats_get(s, txn, &ss, NULL);
    /* The copy takes its own read transaction; ours is not needed. */
    hq_store_abort(s, txn);
    char path[4200], part[4300];
    snprintf(path, sizeof path, "%s/data.mdb", dest);
    snprintf(part, sizeof part, "%s/data.mdb.part", dest);
    unlink(part); /* an earlier backup that was interrupted */
    int fd = open(part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        int e = errno;
        hq_store_close(&s);
        undo_dirs(dest, created);
        return ctl_fail("backup: cannot create %s: %s", part, strerror(e));
    }
    watch w = {fd, ss.used_bytes, false};
    pthread_t th;
    bool threaded = pthread_create(&th, NULL, watcher, &w) == 0;
    int64_t t0 = hq_mono_ms();
    int mrc = mdb_env_copyfd2(hq_store_env(s), fd, compact ? MDB_CP_COMPACT : 0);
    if (mrc == 0 && fsync(fd) != 0)
        mrc = errno;
    atomic_store(&w.done, true);
    if (threaded)
        pthread_join(th, NULL);
    close(fd);
    hq_store_close(&s);
    uint64_t events = 0, issues = 0;
    char msg[256];
    if (mrc != 0) {
        unlink(part);
        undo_dirs(dest, created);
        fprintf(stderr, "houqinctl: backup: copy failed: %s\n", mdb_strerror(mrc));
        return EXIT_REFUSED;
    }
    if (check_copy(part, &events, &issues, msg, sizeof msg) != 0) {
        fprintf(stderr, "houqinctl: backup: the copy %s does not open: %s\n", part, msg);
        return EXIT_REFUSED;
    }
    if (rename(part, path) != 0) {
        fprintf(stderr, "houqinctl: backup: %s: rename: %s\n", path, strerror(errno));
        return EXIT_REFUSED;
    }
    int dfd = open(dest, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    struct stat cs;
    stat(path, &cs);
    double mdb_s = (hq_mono_ms() - t0) / 1000.0;
    printf("backup of %s in %s: %llu events, %llu issues, %.1f MiB (%s; the state used %.1f MiB) in %.1f s; ", dir,
           dest, (unsigned long long)events, (unsigned long long)issues, cs.st_size / 1048576.0,
           compact ? "compacted" : "page copy", ss.used_bytes / 1048576.0, mdb_s);
    /* The archives and photos, after the snapshot: every one it counts on
     * exists by then. */
    return copy_after_snapshot(dir, media, dest);
}
