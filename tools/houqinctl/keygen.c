/* houqinctl keygen: CURVE key pairs for houqind and its producers. */
#include "ctl.h"

#include "allowlist.h"

#include <stdio.h>
#include <string.h>

int cmd_keygen(int argc, char **argv)
{
    if (argc != 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        puts("NAME\n    houqinctl keygen - write a CURVE key pair\n\nSYNOPSIS\n    houqinctl keygen FILE\n\n"
             "DESCRIPTION\n    Writes FILE (public and secret key, mode 0600) and FILE.pub (the public key).\n"
             "    houqind takes its pair with --curve-key FILE; a producer's FILE.pub public key\n"
             "    goes into houqind's allow-list (--allow) with the producer's source id and event\n"
             "    types, and the producer sends with --curve-server SERVER.pub --curve-key FILE.\n"
             "    An administrator's FILE.pub goes into the administrators' list (--control-keys),\n"
             "    and houqinctl status/stats connect with --curve-server SERVER.pub --curve-key FILE\n"
             "    (or HQ_CONTROL_CURVE_SERVER and HQ_CONTROL_CURVE_KEY).  Keep the two kinds apart:\n"
             "    houqind refuses a key that is on both lists.\n"
             "    Existing files are never overwritten.");
        return argc == 2 ? 0 : EXIT_USAGE;
    }
    hq_err err;
    if (hq_keyfile_write_pair(argv[1], &err) != 0)
        return ctl_fail("%s", err.msg);
    char pub[41];
    if (hq_keyfile_read(argv[1], pub, NULL, &err) != 0)
        return ctl_fail("%s", err.msg);
    printf("wrote %s and %s.pub\npublic key: %s\n", argv[1], argv[1], pub);
    return 0;
}
