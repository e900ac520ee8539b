/* master-common.h - small helpers shared by the master's modules.
 *
 * Error strings handed back through *error_r by master functions come
 * from master_errorf(): a few rotating static buffers, valid until several
 * more errors have been formatted. Nothing here does I/O. */
#ifndef LOFT_MASTER_COMMON_H
#define LOFT_MASTER_COMMON_H

#include "lib.h"

/* Formats an error message into a rotating static buffer (truncated at
 * MASTER_ERROR_MAX bytes). The result stays valid across at least the next
 * three calls. */
#define MASTER_ERROR_MAX 512
const char *master_errorf(const char *fmt, ...) ATTR_FORMAT(1, 2);

#endif
