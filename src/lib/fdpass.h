/* fdpass.h - passing file descriptors over UNIX sockets (SCM_RIGHTS).
 *
 * fd_send() sends data (at least 1 byte) and optionally one fd in a single
 * sendmsg(). fd_read() receives data and the fd if one came with it. */
#ifndef LOFT_FDPASS_H
#define LOFT_FDPASS_H

#include "lib.h"

/* send_fd -1 sends no fd. Returns bytes sent, or -1 with errno. */
ssize_t fd_send(int sock, int send_fd, const void *data, size_t size);
/* *fd_r is -1 when no fd came. Received fds are close-on-exec.
 * Returns bytes read (0 = EOF) or -1 with errno. */
ssize_t fd_read(int sock, void *data, size_t size, int *fd_r);

#endif
