/* writer.c — the output folder: the site is written into a temporary
 * folder beside the target (every page, chart and asset through here) and
 * swapped into place only when all of it worked, so a failed build never
 * destroys the site that is being served. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsite/cleanup.h"
#include "runsite/embedded.h"
#include "site_internal.h"

#define SITE_MARKER ".runsite-site"

/* ---- files ---- */

static int remove_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (remove(path) != 0)
		diag_msg("cannot remove %s: %s", path, strerror(errno));
	return 0;
}

/* Removes the folder tree at path without following symbolic links. */
static void remove_tree(const char *path)
{
	nftw(path, remove_cb, 16, FTW_DEPTH | FTW_PHYS);
}

int site_mkdir(struct site *s, const char *rel)
{
	char *path = path_join(s->tmp, rel);
	int ok = 0;
	/* Nothing is made while a fatal exit removes the folder (make_dirs would make it again). */
	if (cleanup_write_begin()) {
		ok = make_dirs(path, 0777);
		if (!ok)
			diag_write_error(path, errno);
	}
	cleanup_write_end();
	free(path);
	return ok;
}

int site_write_file(const char *path, const void *data, size_t n, bool replace)
{
	int ok = 0, fd = -1;
	if (!cleanup_write_begin())
		goto out;
	const char *slash = strrchr(path, '/');
	if (slash && slash > path) {
		char *dir = xstrndup(path, (size_t)(slash - path));
		int made = make_dirs(dir, 0777);
		int saved = errno;
		free(dir);
		errno = saved;
		if (!made)
			goto fail;
	}
	/* O_EXCL in a site: a file is written once; two pages for one name
	 * would be a slug bug. */
	fd = replace ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)
	             : open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0)
		goto fail;
	const char *p = data;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		p += w;
		n -= (size_t)w;
	}
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	ok = 1;
	goto out;
fail:
	diag_write_error(path, errno);
out:
	if (fd >= 0)
		close(fd);
	cleanup_write_end();
	return ok;
}

int site_write(struct site *s, const char *rel, const void *data, size_t n)
{
	char *path = path_join(s->tmp, rel);
	int ok = site_write_file(path, data, n, false);
	free(path);
	return ok;
}

/* A file written in parts (the rows of a large table), never held whole. */
FILE *site_stream_open(struct site *s, const char *rel)
{
	char *path = path_join(s->tmp, rel);
	FILE *f = NULL;
	int fd = -1;
	if (!cleanup_write_begin())
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd >= 0)
		f = fdopen(fd, "w");
	if (!f) {
		diag_write_error(path, errno);
		if (fd >= 0)
			close(fd);
	}
out:
	cleanup_write_end();
	free(path);
	return f;
}

int site_stream_close(struct site *s, FILE *f, const char *rel)
{
	cleanup_write_begin();
	int ok = !ferror(f);
	int saved = errno;
	if (fclose(f) != 0 && ok) {
		ok = 0;
		saved = errno;
	}
	if (!ok) {
		char *path = path_join(s->tmp, rel);
		diag_write_error(path, saved ? saved : EIO);
		free(path);
	}
	cleanup_write_end();
	return ok;
}

/* ---- templates and assets ---- */

static const struct embedded_file *embedded_find(const char *path)
{
	for (size_t i = 0; embedded_files[i].path; i++)
		if (strcmp(embedded_files[i].path, path) == 0)
			return &embedded_files[i];
	return NULL;
}

int site_load_source(const struct site_opts *o, const char *path, struct buf *out)
{
	if (o->templates_dir) {
		char *user = path_join(o->templates_dir, strrchr(path, '/') + 1);
		int ok = read_file(user, out, 16u << 20);
		if (!ok && errno != ENOENT)
			diag_msg("cannot read %s: %s", user, strerror(errno));
		free(user);
		if (ok)
			return 1;
		if (errno != ENOENT)
			return 0;
		buf_reset(out);
	}
	const struct embedded_file *f = embedded_find(path);
	if (!f) {
		diag_msg("%s is not built into this runsite", path);
		return 0;
	}
	buf_put(out, f->data, f->size);
	buf_cstr(out);
	return 1;
}

int writer_assets(struct site *s)
{
	for (size_t i = 0; embedded_files[i].path; i++) {
		const char *p = embedded_files[i].path;
		if (!str_starts(p, "assets/"))
			continue;
		struct buf b = BUF_INIT;
		int ok = site_load_source(s->opts, p, &b) && site_write(s, p, b.data, b.size);
		buf_free(&b);
		if (!ok)
			return 0;
	}
	static const char marker_text[] =
	        "This folder was made by runsite; `runsite build` replaces it whole.\n";
	return site_write(s, SITE_MARKER, marker_text, sizeof marker_text - 1);
}

/* ---- the output folder ---- */

/* The absolute form of path, resolving what exists of it. Caller frees. */
static char *abs_path(const char *path)
{
	char *r = realpath(path, NULL);
	if (r)
		return r;
	char *copy = xstrdup(path);
	char *slash = strrchr(copy, '/');
	char *out = NULL;
	while (slash && slash > copy && slash[1] == '\0') {
		*slash = '\0';
		slash = strrchr(copy, '/');
	}
	if (!slash) {
		char *cwd = realpath(".", NULL);
		out = cwd ? path_join(cwd, copy) : NULL;
		free(cwd);
	} else if (slash == copy) {
		out = xstrdup(copy);
	} else {
		*slash = '\0';
		char *parent = abs_path(copy);
		out = parent ? path_join(parent, slash + 1) : NULL;
		free(parent);
	}
	free(copy);
	return out;
}

/* True when path a is b or lies below it. */
static int path_within(const char *a, const char *b)
{
	size_t n = strlen(b);
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/' || (n == 1 && b[0] == '/'));
}

/* Whether the folder path is the root of a mounted file system: the site is
 * swapped in by renaming, which a mount point refuses (EBUSY) — after the
 * whole build, so this is checked before. */
static int is_mount_point(const char *path)
{
	struct statx sx;
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) == 0 &&
	    (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
		return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
	/* Older kernels: a folder on another device than its parent. */
	char *parent = path_join(path, "..");
	struct stat a, b;
	int mp = lstat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
	free(parent);
	return mp;
}

/* Checks that the site may go to out (absolute): it does not exist, or it
 * is a folder that is empty, marked as ours, or given up by --force; and it
 * neither holds nor lies inside an input store. Returns 1, or 0 reported. */
static int check_out_dir(const char *out, const char *given, const char *const *inputs,
                         size_t ninputs, bool force)
{
	if (strcmp(out, "/") == 0) {
		diag_msg("refusing to write the site to /");
		return 0;
	}
	for (size_t i = 0; i < ninputs; i++) {
		char *sp = abs_path(inputs[i]);
		int clash = sp && (path_within(sp, out) || path_within(out, sp));
		if (clash)
			diag_msg("refusing to write the site to %s: it overlaps the run store %s "
			         "(input stores are never written to)",
			         given, inputs[i]);
		free(sp);
		if (clash)
			return 0;
	}
	struct stat st;
	if (lstat(out, &st) != 0)
		return errno == ENOENT ? 1 : (diag_msg("%s: %s", given, strerror(errno)), 0);
	if (S_ISLNK(st.st_mode)) {
		diag_msg("refusing to replace %s: it is a symbolic link (give the folder it points to)",
		         given);
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		diag_msg("refusing to replace %s: it is not a folder", given);
		return 0;
	}
	if (is_mount_point(out)) {
		diag_msg("cannot replace %s: it is a mount point, and the site is swapped in by "
		         "renaming (give a folder inside it)", given);
		return 0;
	}
	char *marker = path_join(out, SITE_MARKER);
	int ours = access(marker, F_OK) == 0;
	free(marker);
	if (ours || force)
		return 1;
	int empty = 1;
	DIR *dir = opendir(out);
	if (!dir) {
		diag_msg("%s: %s", given, strerror(errno));
		return 0;
	}
	for (struct dirent *de; empty && (de = readdir(dir));)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(dir);
	if (!empty)
		diag_msg("refusing to write into %s: it is not empty and runsite did not make it "
		         "(use --force to replace it)",
		         given);
	return empty;
}

/* Puts the finished folder tmp in place of out (absolute). Returns 1, or 0 reported. */
static int swap_in(const char *tmp, const char *out, const char *given)
{
	struct stat st;
	if (lstat(out, &st) != 0) {
		if (rename(tmp, out) == 0)
			return 1;
		diag_msg("cannot move the new site to %s: %s", given, strerror(errno));
		return 0;
	}
	/* One atomic exchange where the file system can; the old site ends up
	 * in tmp and is removed. */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, out, RENAME_EXCHANGE) == 0) {
		remove_tree(tmp);
		return 1;
	}
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
		diag_msg("cannot move the new site to %s: %s", given, strerror(errno));
		return 0;
	}
	char *old = xasprintf("%s.old-XXXXXX", out);
	int ok = 0;
	if (!mkdtemp(old) || rename(out, old) != 0) {
		diag_msg("cannot move the old site %s aside: %s", given, strerror(errno));
		goto out;
	}
	if (rename(tmp, out) != 0) {
		diag_msg("cannot move the new site to %s: %s", given, strerror(errno));
		rename(old, out);
		goto out;
	}
	remove_tree(old);
	ok = 1;
out:
	free(old);
	return ok;
}

int writer_open(struct site *s, const char *const *inputs, size_t ninputs)
{
	s->out = abs_path(s->given);
	if (!s->out) {
		diag_msg("%s: %s", s->given, strerror(errno));
		return 0;
	}
	if (!check_out_dir(s->out, s->given, inputs, ninputs, s->opts->force))
		return 0;
	char *parent = xstrdup(s->out);
	*strrchr(parent, '/') = '\0';
	if (*parent && !make_dirs(parent, 0777)) {
		diag_msg("cannot make folder %s: %s", parent, strerror(errno));
		free(parent);
		return 0;
	}
	free(parent);
	site_tmp_sweep(s->out, s->opts->quiet);
	s->tmp = site_tmp_make(s->out);
	if (!s->tmp) {
		diag_msg("cannot make a temporary folder beside %s: %s", s->given, strerror(errno));
		return 0;
	}
	return 1;
}

int writer_swap(struct site *s)
{
	char *spill = path_join(s->tmp, SPILL_DIR);
	remove_tree(spill);
	free(spill);
	site_tmp_unmark(s->tmp);
	if (!swap_in(s->tmp, s->out, s->given))
		return 0;
	site_tmp_done(s->tmp);
	free(s->tmp);
	s->tmp = NULL;
	return 1;
}

void writer_discard(struct site *s)
{
	if (s->tmp) {
		remove_tree(s->tmp);
		site_tmp_done(s->tmp);
	}
	free(s->tmp);
	s->tmp = NULL;
}
