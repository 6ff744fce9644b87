/* fsview.h — what discovery has seen of the file system, so the dozen
 * readers' probes asked about each folder cost one listing of it rather
 * than a stat per name each probe looks for.
 *
 * A view is active on the thread that begins it, until it ends. While it
 * is, the functions below answer for paths at or below its roots from
 * what was read before: a folder is listed once (its names in readdir
 * order, with their d_type), a name missing from its folder's listing is
 * missing without a system call, and a stat or realpath is asked once per
 * path. Without an active view, or outside its roots, each is the plain
 * system call. Answers are as of the first time asked: a view is for one
 * look at a tree, not for watching it change. */
#ifndef RUNSITE_FSVIEW_H
#define RUNSITE_FSVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

struct fsview;

/* Makes a new view active on this thread (one at a time). */
struct fsview *fsview_begin(void);
/* Answers for path and everything below it come from the view (roots are
 * added before the view is asked anything). */
void fsview_add_root(struct fsview *v, const char *path);
/* Ends and frees the view (NULL is accepted). */
void fsview_end(struct fsview *v);

/* As stat(2) and lstat(2), errno included. */
int fsview_stat(const char *path, struct stat *st);
int fsview_lstat(const char *path, struct stat *st);
/* S_IFMT of what path is (follow: what it leads to), 0 when it is not
 * there or cannot be told; from a listing's d_type when it tells. */
mode_t fsview_mode(const char *path, bool follow);
/* True when path is (follow: leads to) a folder / a regular file; the
 * type from a listing's d_type when it tells, else a stat. */
bool fsview_is_dir(const char *path);
bool fsview_is_file(const char *path);
/* True only when path is known not to be there (a missing name in a
 * listed folder): opening it would fail, so it need not be tried. */
bool fsview_absent(const char *path);
/* As realpath(path, NULL). */
char *fsview_realpath(const char *path);

/* A folder's entries, "." and ".." left out, in readdir order. */
struct fsview_entry {
	const char *name;
	unsigned char type; /* d_type: DT_UNKNOWN when the file system does not say */
};
struct fsview_listing {
	const struct fsview_entry *e;
	size_t n;
	struct fsview_entry *own; /* what fsview_close_list frees: not the view's */
};
/* Lists dir into *l: 1, or 0 with errno (as opendir). */
int fsview_open_list(const char *dir, struct fsview_listing *l);
void fsview_close_list(struct fsview_listing *l);
/* As list_dir_sorted (util.h). */
char **fsview_list_sorted(const char *dir, size_t *n);

#endif
