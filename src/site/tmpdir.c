/* tmpdir.c — the temporary folder a site is built in, beside the output:
 * "<out>.tmp-XXXXXX", marked as runsite's by a marker file this build holds
 * locked until the folder is swapped in. It is removed on SIGINT, SIGTERM
 * and out of memory (cleanup.h); one left by a build killed outright is
 * removed by the next build beside the same output. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runsite/cleanup.h"
#include "site_internal.h"

#define TMP_INFIX ".tmp-"
#define TMP_SUFFIX_LEN 6 /* mkdtemp's XXXXXX */

static int marker_fd = -1; /* locked while this build runs */

char *site_tmp_make(const char *out)
{
	char *tmp = xasprintf("%s" TMP_INFIX "XXXXXX", out);
	if (!mkdtemp(tmp)) {
		free(tmp);
		return NULL;
	}
	cleanup_set_tmpdir(tmp);
	/* mkdtemp makes it private; a site is for reading. */
	mode_t mask = umask(0);
	umask(mask);
	chmod(tmp, 0777 & ~mask);
	char *marker = path_join(tmp, TMP_MARKER);
	int fd = open(marker, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	free(marker);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		cleanup_remove_tree(tmp);
		cleanup_set_tmpdir(NULL);
		free(tmp);
		errno = e;
		return NULL;
	}
	char text[96];
	int n = snprintf(text, sizeof text,
	                 "A runsite build (pid %ld) is writing here; removed when it ends.\n",
	                 (long)getpid());
	if (write(fd, text, (size_t)n) != n) {
		/* The lock marks the folder; the text is for people. */
	}
	marker_fd = fd;
	return tmp;
}

void site_tmp_unmark(const char *tmp)
{
	if (marker_fd < 0)
		return;
	char *marker = path_join(tmp, TMP_MARKER);
	unlink(marker);
	free(marker);
	close(marker_fd);
	marker_fd = -1;
}

void site_tmp_done(const char *tmp)
{
	site_tmp_unmark(tmp);
	cleanup_set_tmpdir(NULL);
}

/* Whether name, in the folder open as dfd, is a temporary folder of a build
 * beside out_base that has ended: a folder of ours holding the marker, made
 * before this build started, whose lock nobody holds. */
static int is_stale(int dfd, const char *name, const char *out_base, time_t started)
{
	size_t nb = strlen(out_base), ni = strlen(TMP_INFIX);
	if (strncmp(name, out_base, nb) != 0 || strncmp(name + nb, TMP_INFIX, ni) != 0 ||
	    strlen(name + nb + ni) != TMP_SUFFIX_LEN)
		return 0;
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid())
		return 0;
	char *marker = path_join(name, TMP_MARKER);
	int fd = openat(dfd, marker, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	free(marker);
	if (fd < 0)
		return 0;
	int stale = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime <= started &&
	            flock(fd, LOCK_EX | LOCK_NB) == 0;
	close(fd); /* releases the lock taken just to test it */
	return stale;
}

void site_tmp_sweep(const char *out, int quiet)
{
	time_t started = time(NULL);
	char *parent = xstrdup(out);
	char *slash = strrchr(parent, '/');
	if (!slash || !slash[1]) {
		free(parent);
		return;
	}
	char *base = slash + 1;
	*slash = '\0';
	DIR *d = opendir(*parent ? parent : "/");
	if (!d) {
		free(parent);
		return;
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (!is_stale(dirfd(d), de->d_name, base, started))
			continue;
		char *path = path_join(*parent ? parent : "/", de->d_name);
		if (cleanup_remove_tree(path) && !quiet)
			diag_msg("removed %s, left by a build that did not finish", path);
		free(path);
	}
	closedir(d);
	free(parent);
}
