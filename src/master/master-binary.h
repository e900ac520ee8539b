/* master-binary.h - finding the service programs the master executes.
 *
 * Lookup order for a program name such as "pop3-login":
 *  1. the directory in the environment variable LOFT_LIBEXEC_DIR, when
 *     set and non-empty (used as is, even if the program is missing there);
 *  2. the directory of the running `loft` (/proc/self/exe) when it holds an
 *     executable file of that name - the build tree, where all programs
 *     land in one directory;
 *  3. LOFT_LIBEXECDIR from loft-config.h, the install location.
 * An absolute name is used as it is. */
#ifndef LOFT_MASTER_BINARY_H
#define LOFT_MASTER_BINARY_H

#include "lib.h"
#include "pool.h"

#define MASTER_ENV_LIBEXEC_DIR "LOFT_LIBEXEC_DIR"

/* The lookup with its inputs given: env_dir and self_dir may be NULL.
 * Returns the path allocated from pool. */
const char *master_binary_find(pool_t pool, const char *name,
			       const char *env_dir, const char *self_dir,
			       const char *default_dir);

/* Directory holding the running executable, from /proc/self/exe, allocated
 * from pool; NULL when it cannot be read. Call it at start-up: after an
 * upgrade replaces the binary the link points to a deleted file. */
const char *master_self_dir(pool_t pool);

/* master_binary_find() with the environment, self_dir (as returned by
 * master_self_dir(), may be NULL) and LOFT_LIBEXECDIR. */
const char *master_binary_path(pool_t pool, const char *name,
			       const char *self_dir);

#endif
