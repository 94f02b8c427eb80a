/* houqinctl backup: a consistent, compacted copy of the state while houqind
 * runs: mdb_env_copyfd2(MDB_CP_COMPACT) from a read-only environment copies
 * one read transaction's snapshot, so the writer is never stopped and the
 * copy is what a reader would have seen at one instant. */
#include "ctl.h"

#include "buf.h"
#include "clock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
    "    houqinctl backup - a consistent, compacted copy of the state\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl backup DIR [--state DIR]\n"
    "\n"
    "DESCRIPTION\n"
    "    Copies the state into DIR (created; it must not exist, or be empty) while\n"
    "    houqind keeps running: the copy is one consistent snapshot (LMDB's\n"
    "    compacting copy of a read transaction), without free pages.  DIR then\n"
    "    holds data.mdb, which is a complete state directory.  The copy is opened\n"
    "    and checked before the command reports success.  A progress bar is\n"
    "    drawn on stderr when it is a terminal.\n"
    "\n"
    "    To restore: stop houqind, move the state directory aside, copy DIR in its\n"
    "    place, start houqind (see docs/backup.md).\n"
    "\n"
    "OPTIONS\n"
    "    --state DIR    the state directory to copy (default ./var)\n"
    "\n"
    "EXIT STATUS\n"
    "    0 copied and checked; 1 the copy failed; 2 bad usage, a DIR that exists\n"
    "    and is not empty, or a state directory that does not exist or is not a\n"
    "    houqin state.\n";

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

static bool dir_empty(const char *dir)
{
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return false;
    DIR *d = opendir(dir);
    if (!d)
        return false;
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    return empty;
}

/* Opens the copy without a lock file and counts what is in it. */
static int check_copy(const char *dir, uint64_t *events, uint64_t *issues, char *msg, size_t size)
{
    MDB_env *env;
    MDB_txn *txn;
    int rc = mdb_env_create(&env);
    if (rc)
        goto fail;
    mdb_env_set_maxdbs(env, 16);
    if ((rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS, 0640)) == 0 &&
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

int cmd_backup(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"state", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = "var";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'h': return ctl_help(backup_usage);
        default: return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return ctl_fail("backup: give the directory to copy into; see houqinctl backup --help");
    const char *dest = argv[optind++];
    if (optind < argc)
        return ctl_fail("backup: unexpected argument \"%s\"", argv[optind]);
    struct stat sb;
    bool created = false;
    if (stat(dest, &sb) == 0) {
        if (!dir_empty(dest))
            return ctl_fail("backup: %s exists and is not an empty directory", dest);
    } else if (errno != ENOENT || mkdir(dest, 0750) != 0) {
        return ctl_fail("backup: cannot create %s: %s", dest, strerror(errno));
    } else {
        created = true;
    }
    hq_store *s;
    MDB_txn *txn;
    int rc = ctl_open_state(dir, &s, &txn);
    if (rc) {
        if (created)
            rmdir(dest);
        return rc;
    }
    hq_store_stats ss;
    hq_store_stats_get(s, txn, &ss, NULL);
    /* The copy takes its own read transaction; ours is not needed. */
    hq_store_abort(s, txn);
    char path[4200];
    snprintf(path, sizeof path, "%s/data.mdb", dest);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
    if (fd < 0) {
        hq_store_close(&s);
        return ctl_fail("backup: cannot create %s: %s", path, strerror(errno));
    }
    watch w = {fd, ss.used_bytes, false};
    pthread_t th;
    bool threaded = pthread_create(&th, NULL, watcher, &w) == 0;
    int64_t t0 = hq_mono_ms();
    int mrc = mdb_env_copyfd2(hq_store_env(s), fd, MDB_CP_COMPACT);
    if (mrc == 0 && fsync(fd) != 0)
        mrc = errno;
    atomic_store(&w.done, true);
    if (threaded)
        pthread_join(th, NULL);
    close(fd);
    hq_store_close(&s);
    if (mrc != 0) {
        unlink(path);
        if (created)
            rmdir(dest);
        fprintf(stderr, "houqinctl: backup: copy failed: %s\n", mdb_strerror(mrc));
        return EXIT_REFUSED;
    }
    uint64_t events = 0, issues = 0;
    char msg[256];
    if (check_copy(dest, &events, &issues, msg, sizeof msg) != 0) {
        fprintf(stderr, "houqinctl: backup: the copy in %s does not open: %s\n", dest, msg);
        return EXIT_REFUSED;
    }
    struct stat cs;
    stat(path, &cs);
    printf("backup of %s in %s: %llu events, %llu issues, %.1f MiB (the state used %.1f MiB) in %.1f s\n", dir, dest,
           (unsigned long long)events, (unsigned long long)issues, cs.st_size / 1048576.0,
           ss.used_bytes / 1048576.0, (hq_mono_ms() - t0) / 1000.0);
    return 0;
}
