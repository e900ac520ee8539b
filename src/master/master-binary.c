/* master-binary.c - where the service programs are. Does not check that
 * the chosen file can be executed; the caller does that once, at start-up
 * and on reload, to fail early with a clear message. */
#include "master-binary.h"
#include "loft-config.h"

#include <limits.h>
#include <sys/stat.h>

static bool is_executable_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	return access(path, X_OK) == 0;
}

const char *master_binary_find(pool_t pool, const char *name,
			       const char *env_dir, const char *self_dir,
			       const char *default_dir)
{
	const char *path;

	if (name[0] == '/')
		return p_strdup(pool, name);
	if (env_dir != NULL && env_dir[0] != '\0')
		return p_strconcat(pool, env_dir, "/", name, NULL);
	if (self_dir != NULL && self_dir[0] != '\0') {
		/* The build tree keeps service programs in libexec/ beside
		 * loft; an installed loft finds them in LOFT_LIBEXECDIR. */
		path = p_strconcat(pool, self_dir, "/", name, NULL);
		if (is_executable_file(path))
			return path;
		path = p_strconcat(pool, self_dir, "/libexec/", name, NULL);
		if (is_executable_file(path))
			return path;
	}
	return p_strconcat(pool, default_dir, "/", name, NULL);
}

const char *master_self_dir(pool_t pool)
{
	char buf[PATH_MAX];
	ssize_t len;
	char *slash;

	len = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (len <= 0 || (size_t)len >= sizeof(buf) - 1)
		return NULL;
	buf[len] = '\0';
	slash = strrchr(buf, '/');
	if (slash == NULL)
		return NULL;
	if (slash == buf)
		return p_strdup(pool, "/");
	*slash = '\0';
	return p_strdup(pool, buf);
}

const char *master_binary_path(pool_t pool, const char *name,
			       const char *self_dir)
{
	return master_binary_find(pool, name, getenv(MASTER_ENV_LIBEXEC_DIR),
				  self_dir, LOFT_LIBEXECDIR);
}
