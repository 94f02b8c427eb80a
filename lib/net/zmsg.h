/* zmsg.h - one whole multipart ZeroMQ message, read into a bounded array.
 *
 * The daemons' sockets (houqind's control socket and ZAP handler,
 * houqin-alertd's subscription) read a message part by part; a peer may
 * send more parts than the reader has room for.  hq_zmsg_recv keeps the
 * first max parts and closes the rest, so that the message is always read
 * to its end and the reader can refuse it by its count of parts.
 */
#ifndef HQ_ZMSG_H
#define HQ_ZMSG_H

#include <zmq.h>

/* Receives one whole message from sock, waiting only for the parts after
 * the first: f[0..*kept) are its first parts (at most max; the caller
 * closes them, hq_zmsg_close), the others are read and closed.  Returns
 * the number of parts the message had, 0 when no message was ready, or
 * -1 on a socket error (errno; no part kept). */
int hq_zmsg_recv(void *sock, zmq_msg_t *f, int max, int *kept);
/* Closes f[0..n). */
void hq_zmsg_close(zmq_msg_t *f, int n);

#endif
