/* An LD_PRELOAD shim for fault tests: fdatasync/fsync fail with EIO once
 * the file named by HQ_FAIL_FSYNC_FLAG exists (the test creates it when the
 * fault should start).  Everything else is the real call. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static int failing(void)
{
    const char *flag = getenv("HQ_FAIL_FSYNC_FLAG");
    return flag && access(flag, F_OK) == 0;
}

int fdatasync(int fd)
{
    static int (*real)(int);
    if (failing()) {
        errno = EIO;
        return -1;
    }
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    return real(fd);
}

int fsync(int fd)
{
    static int (*real)(int);
    if (failing()) {
        errno = EIO;
        return -1;
    }
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return real(fd);
}
