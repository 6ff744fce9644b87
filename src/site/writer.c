/* writer.c — the output folder: the site is written into a temporary
 * folder beside the target (every page, chart and asset through here) and
 * put in place only when all of it worked, so a failed build never touches
 * the site that is being served. A full build's folder is the whole site,
 * swapped in at once; an incremental one's holds only the files that
 * change, each renamed over its old one (writer_commit). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "runsite/hash.h"

#include "runsite/cleanup.h"
#include "runsite/embedded.h"
#include "runsite/fsview.h"
#include "site_internal.h"

#define SITE_MARKER ".runsite-site"
/* In the site while a commit renames files into it: a site holding it may
 * be part old, part new, and the next build makes the whole site again. */
#define COMMIT_MARKER ".runsite-commit"

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

/* Makes the folder that will hold file path (absolute) when it is not there. */
static int make_parent(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int ok = 1;
	if (slash && slash > dir) {
		*slash = '\0';
		ok = mkdir(dir, 0777) == 0 || errno == EEXIST || make_dirs(dir, 0777);
	}
	int saved = errno;
	free(dir);
	errno = saved;
	return ok;
}

int site_mkdir(struct site *s, const char *rel)
{
	/* Built in place, a folder the site has is made in the staging folder
	 * only when a file is written into it (most are not: an unchanged
	 * run's charts stay where they are). */
	if (s->in_place) {
		char *live = path_join(s->out, rel);
		struct stat st;
		int have = lstat(live, &st) == 0 && S_ISDIR(st.st_mode);
		free(live);
		if (have)
			return 1;
	}
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

char *site_new_file(struct site *s, const char *rel)
{
	char *path = path_join(s->tmp, rel);
	if (s->in_place && cleanup_write_begin()) {
		make_parent(path); /* the writer reports a folder that could not be made */
		cleanup_write_end();
	}
	return path;
}

/* A file written in parts (the rows of a large table), never held whole. */
FILE *site_stream_open(struct site *s, const char *rel)
{
	char *path = path_join(s->tmp, rel);
	FILE *f = NULL;
	int fd = -1;
	if (!cleanup_write_begin())
		goto out;
	if (s->in_place && !make_parent(path))
		goto fail;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd >= 0)
		f = fdopen(fd, "w");
	if (!f) {
	fail:
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
	char *r = fsview_realpath(path);
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
	/* Thousands of stores are often the folders of one: each folder's real
	 * path is resolved once (fsview.h), not a readlink per component per
	 * store. Stores in many folders are resolved one by one. */
	struct fsview *view = fsview_begin();
	size_t folders = 0;
	for (size_t i = 0; i < ninputs && folders <= 16; i++) {
		const char *slash = strrchr(inputs[i], '/');
		size_t n = slash ? (size_t)(slash - inputs[i]) : 0;
		if (n && (i == 0 || strncmp(inputs[i - 1], inputs[i], n + 1) != 0 ||
		          strchr(inputs[i - 1] + n + 1, '/'))) {
			char *parent = xstrndup(inputs[i], n);
			fsview_add_root(view, parent);
			free(parent);
			folders++;
		}
	}
	if (folders > 16) {
		fsview_end(view);
		view = NULL;
	}
	int clash = 0;
	for (size_t i = 0; i < ninputs && !clash; i++) {
		char *sp = abs_path(inputs[i]);
		clash = sp && (path_within(sp, out) || path_within(out, sp));
		if (clash)
			diag_msg("refusing to write the site to %s: it overlaps the run store %s "
			         "(input stores are never written to)",
			         given, inputs[i]);
		free(sp);
	}
	fsview_end(view);
	if (clash)
		return 0;
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
	char *marker = path_join(s->out, COMMIT_MARKER);
	struct stat st;
	s->commit_interrupted = lstat(marker, &st) == 0;
	free(marker);
	if (s->commit_interrupted && !s->opts->quiet)
		diag_msg("%s: the last build was stopped while putting its changes in; "
		         "this build makes the whole site again", s->given);
	char *cache = path_join(s->out, CACHE_FILE);
	if (lstat(cache, &st) == 0) {
		s->old_cache_id[0] = (uint64_t)st.st_dev;
		s->old_cache_id[1] = (uint64_t)st.st_ino;
		s->old_cache_id[2] = (uint64_t)st.st_mtim.tv_sec * 1000000000u +
		                     (uint64_t)st.st_mtim.tv_nsec;
	}
	free(cache);
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

char *site_file_path(const struct site *s, const char *rel)
{
	char *path = path_join(s->tmp, rel);
	if (s->in_place && access(path, F_OK) != 0) {
		free(path);
		path = path_join(s->out, rel);
	}
	return path;
}

/* ---- committing an incremental build into the site ---- */

struct commit {
	struct build_cache *cache; /* what the new site keeps of the old: the files it lists */
	struct pathset *keep; /* and every file moved in that it does not list */
	const char *given;
	char rel[PATH_MAX];   /* the site-relative path being looked at */
	int failed;
};

/* Appends name to c->rel (len bytes so far); the new length, or 0 when too long. */
static size_t rel_push(struct commit *c, size_t len, const char *name)
{
	size_t n = strlen(name);
	if (len + n + 2 > sizeof c->rel) {
		diag_msg("%s: a path in the site is too long", c->given);
		c->failed = 1;
		return 0;
	}
	if (len)
		c->rel[len++] = '/';
	memcpy(c->rel + len, name, n + 1);
	return len + n;
}

static int open_dir_at(int dfd, const char *name)
{
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static int is_dir_entry(int dfd, const struct dirent *de)
{
	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	struct stat st;
	return fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Removes the site's entry rel whatever it is (a file where the new site
 * has a folder, or the other way round). */
static void remove_entry(const char *out, const char *rel)
{
	char *path = path_join(out, rel);
	remove_tree(path);
	free(path);
}

/* Renames every file below staging folder `from` over the same path below
 * the site's folder `to` (c->rel, len bytes, says where), making the
 * folders the site lacks, and notes each in c->keep. */
static void move_in(struct commit *c, const char *out, int from, int to, size_t len)
{
	int fd = dup(from);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		diag_msg("cannot read the new files of %s: %s", c->given, strerror(errno));
		c->failed = 1;
		return;
	}
	for (struct dirent *de; !c->failed && (de = readdir(d));) {
		const char *name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		/* The temporary folder's own marker, and the cache, which comes last. */
		if (len == 0 && (strcmp(name, TMP_MARKER) == 0 || strcmp(name, CACHE_FILE) == 0))
			continue;
		size_t n = rel_push(c, len, name);
		if (!n)
			break;
		if (is_dir_entry(dirfd(d), de)) {
			struct stat st;
			if (mkdirat(to, name, 0777) != 0 && errno == EEXIST &&
			    !(fstatat(to, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			      S_ISDIR(st.st_mode))) {
				remove_entry(out, c->rel);
				mkdirat(to, name, 0777);
			}
			int sub_from = open_dir_at(dirfd(d), name);
			int sub_to = open_dir_at(to, name);
			if (sub_from < 0 || sub_to < 0) {
				diag_msg("cannot put %s into %s: %s", c->rel, c->given,
				         strerror(errno));
				c->failed = 1;
			} else {
				move_in(c, out, sub_from, sub_to, n);
			}
			if (sub_from >= 0)
				close(sub_from);
			if (sub_to >= 0)
				close(sub_to);
		} else if (renameat(dirfd(d), name, to, name) != 0) {
			/* A folder where the new site has a file. */
			if (errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST) {
				remove_entry(out, c->rel);
				if (renameat(dirfd(d), name, to, name) == 0)
					goto moved;
			}
			diag_msg("cannot put %s into %s: %s", c->rel, c->given, strerror(errno));
			c->failed = 1;
		}
	moved:
		if (!cache_lists(c->cache, c->rel))
			pathset_add(c->keep, c->rel);
		c->rel[len] = '\0';
	}
	closedir(d);
}

/* Whether the new site holds c->rel. */
static int kept(struct commit *c)
{
	return pathset_has(c->keep, c->rel) || cache_lists(c->cache, c->rel);
}

/* Removes what the new site does not hold below the site's folder dfd
 * (c->rel, len bytes): files not in c->keep, then folders left empty that
 * the new build did not make. Returns how many entries are left in it. */
static size_t prune(struct commit *c, int dfd, size_t len)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		diag_msg("cannot read %s in %s: %s", len ? c->rel : ".", c->given, strerror(errno));
		c->failed = 1;
		return 1;
	}
	size_t left = 0;
	for (struct dirent *de; (de = readdir(d));) {
		const char *name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		left++;
		if (len == 0 && (strcmp(name, COMMIT_MARKER) == 0 || strcmp(name, CACHE_FILE) == 0))
			continue;
		size_t n = rel_push(c, len, name);
		if (!n)
			break;
		if (is_dir_entry(dirfd(d), de)) {
			int sub = open_dir_at(dirfd(d), name);
			size_t inside = sub >= 0 ? prune(c, sub, n) : 1;
			if (sub >= 0)
				close(sub);
			if (inside == 0 && !kept(c) &&
			    unlinkat(dirfd(d), name, AT_REMOVEDIR) == 0)
				left--;
		} else if (!kept(c)) {
			if (unlinkat(dirfd(d), name, 0) == 0) {
				left--;
			} else {
				diag_msg("cannot remove %s from %s: %s", c->rel, c->given,
				         strerror(errno));
				c->failed = 1;
			}
		}
		c->rel[len] = '\0';
	}
	closedir(d);
	return left;
}

/* Whether out's cache file (open folder dfd) is still the one this build
 * started from: no other build has written the site since. */
static int site_unchanged(const struct site *s, int dfd)
{
	struct stat st;
	if (fstatat(dfd, CACHE_FILE, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	uint64_t id[3] = {(uint64_t)st.st_dev, (uint64_t)st.st_ino,
	                  (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec};
	return memcmp(id, s->old_cache_id, sizeof id) == 0 &&
	       faccessat(dfd, COMMIT_MARKER, F_OK, AT_SYMLINK_NOFOLLOW) != 0;
}

int writer_commit(struct site *s)
{
	char *spill = path_join(s->tmp, SPILL_DIR);
	remove_tree(spill);
	free(spill);
	struct commit *c = xcalloc(1, sizeof *c);
	c->cache = s->cache;
	c->keep = pathset_new();
	c->given = s->given;
	int from = open(s->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int to = open(s->out, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int ok = 0, marked = 0;
	/* Renames and unlinks only, and short: an interrupt waits for the end. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (from < 0 || to < 0) {
		diag_msg("cannot open %s: %s", from < 0 ? s->tmp : s->given, strerror(errno));
		goto out;
	}
	/* One commit at a time, into the site this build started from. */
	if (flock(to, LOCK_EX | LOCK_NB) != 0) {
		diag_msg("%s: another runsite build is putting its changes in; "
		         "this build left the site as it is (run it again)", s->given);
		goto out;
	}
	if (!site_unchanged(s, to)) {
		diag_msg("%s changed while this build ran (another build?); "
		         "this build left it as it is (run it again)", s->given);
		goto out;
	}
	/* The marker is on disk before any file of the site changes. */
	int mfd = openat(to, COMMIT_MARKER, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	                 0666);
	static const char marker_text[] =
	        "A runsite build is putting its changes in; if this file stays, the next build "
	        "makes the whole site again.\n";
	marked = mfd >= 0 && write(mfd, marker_text, sizeof marker_text - 1) ==
	                             (ssize_t)(sizeof marker_text - 1);
	marked = mfd >= 0 && fsync(mfd) == 0 && marked;
	if (mfd >= 0 && close(mfd) != 0)
		marked = 0;
	if (!marked || fsync(to) != 0) {
		diag_msg("cannot write %s/%s: %s", s->given, COMMIT_MARKER, strerror(errno));
		unlinkat(to, COMMIT_MARKER, 0);
		marked = 0;
		goto out;
	}
	move_in(c, s->out, from, to, 0);
	if (!c->failed)
		prune(c, to, 0);
	if (!c->failed && renameat(from, CACHE_FILE, to, CACHE_FILE) != 0) {
		diag_msg("cannot put %s/%s in place: %s", s->given, CACHE_FILE, strerror(errno));
		c->failed = 1;
	}
	/* A commit that failed half way leaves the marker: the next build is whole. */
	ok = !c->failed && unlinkat(to, COMMIT_MARKER, 0) == 0;
	if (!ok)
		diag_msg("%s is part old, part new: the next build makes the whole site again",
		         s->given);
out:
	if (from >= 0)
		close(from);
	if (to >= 0)
		close(to); /* and its lock */
	pathset_free(c->keep);
	free(c);
	if (ok) {
		remove_tree(s->tmp);
		site_tmp_done(s->tmp);
		free(s->tmp);
		s->tmp = NULL;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok;
}
