#ifndef MAILDIR_TMP_H
#define MAILDIR_TMP_H

/* maildir-tmp.h - a message file being written, before it has its name in
 * new/ or cur/.
 *
 * Where the file system and the kernel allow it, the file is unnamed
 * (O_TMPFILE in the maildir's tmp/) and is given its final name with
 * linkat(): a crash or an abort leaves nothing behind in tmp/, and the
 * file's fsync writes only the file (a new name in tmp/ would also make
 * ext4 without a journal write tmp/'s directory block and inode with it).
 * Otherwise it is tmp/<base> created with O_EXCL and renamed into place,
 * as the Maildir specification describes. Readers of the maildir cannot
 * tell the two apart. */
#include "lib.h"
#include "pool.h"

struct maildir_tmp {
	int fd;
	/* tmp/<base> for a named file, NULL for an unnamed one */
	const char *path;
	/* an unnamed file is linked through /proc/self/fd (a kernel that
	 * allows linkat(AT_EMPTY_PATH) only with CAP_DAC_READ_SEARCH) */
	bool link_by_proc;
	/* what error messages call the file: path, or "<tmp/> (unnamed)" */
	const char *desc;
};

/* Creates the file in maildir_path's tmp/ (made when missing) for a
 * message whose unique base name is base (maildir_filename_generate();
 * a named file gets a new one from there if base is taken). Strings come
 * from pool; *base_r is the base name used. 0, or -1 with *error_r. */
int maildir_tmp_create(pool_t pool, const char *maildir_path,
		       struct maildir_tmp *tmp_r, const char **base_r,
		       const char **error_r);

/* Gives the written (and fsynced) file its final name dest_path: a link
 * for an unnamed file (EEXIST when dest_path exists), a rename for a named
 * one. The link changes the file's inode (its link count): where no
 * journal commits that with the directory (ext4 without one), the file
 * is to be fsynced again, as well as the directory, before the message
 * counts as saved. Plain system calls only (safe in a save thread). 0, or -1
 * with errno; *call_r names the call ("link" or "rename"). */
int maildir_tmp_publish(struct maildir_tmp *tmp, const char *dest_path,
			const char **call_r);

/* Closes the file, and removes it if it is still a named file in tmp/
 * (not published). */
void maildir_tmp_discard(struct maildir_tmp *tmp, bool published);

/* For tests: false makes every later maildir_tmp_create() of this
 * process make named files. */
void maildir_tmp_set_unnamed(bool allowed);

#endif
