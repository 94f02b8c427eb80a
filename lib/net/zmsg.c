/* zmsg.c - one whole multipart ZeroMQ message (zmsg.h). */
#include "zmsg.h"

#include <errno.h>
#include <stdbool.h>

int hq_zmsg_recv(void *sock, zmq_msg_t *f, int max, int *kept)
{
    int n = 0;
    bool more = true;
    *kept = 0;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            int e = errno;
            zmq_msg_close(&m);
            hq_zmsg_close(f, *kept);
            *kept = 0;
            errno = e;
            return n == 0 && e == EAGAIN ? 0 : -1;
        }
        more = zmq_msg_more(&m);
        n++;
        if (*kept < max)
            f[(*kept)++] = m;
        else
            zmq_msg_close(&m);
    }
    return n;
}

void hq_zmsg_close(zmq_msg_t *f, int n)
{
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
}
