/* discover.c — finds the run stores at and below the paths a user gives.
 * A folder that a reader claims is not searched further; other folders are
 * searched to a fixed depth, hidden folders and symbolic links skipped. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runsite/diag.h"
#include "runsite/discover.h"
#include "runsite/util.h"

#define MAX_DEPTH 6        /* how deep below a given folder stores are looked for */
#define MAX_ENTRIES 100000 /* folder entries looked at per given path, against huge trees */

static void add_store(struct discovery *d, const struct reader *r, const char *path)
{
	GROW(d->stores, d->capstores, d->nstores + 1);
	d->stores[d->nstores].reader = r;
	d->stores[d->nstores].path = xstrdup(path);
	d->nstores++;
}

static void add_skipped(struct discovery *d, const char *path, const char *why)
{
	GROW(d->skipped, d->capskipped, d->nskipped + 1);
	d->skipped[d->nskipped].path = xstrdup(path);
	d->skipped[d->nskipped].why = xstrdup(why);
	d->nskipped++;
}

/* The sorted names in dir (without "." and ".."), or NULL when it cannot be read. */
static char **list_dir(const char *dir, size_t *count)
{
	DIR *dp = opendir(dir);
	*count = 0;
	if (!dp)
		return NULL;
	char **names = NULL;
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		GROW(names, cap, *count + 1);
		names[(*count)++] = xstrdup(de->d_name);
	}
	closedir(dp);
	if (!names)
		names = xmalloc(sizeof *names); /* empty but readable */
	if (*count > 1)
		qsort(names, *count, sizeof *names, cmp_strp);
	return names;
}

static void search(struct discovery *d, const char *dir, int depth, size_t *seen)
{
	size_t n;
	char **names = list_dir(dir, &n);
	if (!names) {
		diag_warn(dir, 0, "cannot read folder: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (++*seen > MAX_ENTRIES) {
			if (*seen == MAX_ENTRIES + 1)
				diag_warn(dir, 0, "stopped looking for run stores after %d entries",
				          MAX_ENTRIES);
			break;
		}
		if (names[i][0] == '.')
			continue;
		char *child = path_join(dir, names[i]);
		struct stat st;
		if (lstat(child, &st) == 0 && !S_ISLNK(st.st_mode)) {
			const struct reader *r = reader_detect(child);
			if (r)
				add_store(d, r, child);
			else if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH)
				search(d, child, depth + 1, seen);
		}
		free(child);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

size_t discover(const char *const *paths, size_t npaths, const char *forced_format,
                struct discovery *out)
{
	const struct reader *forced = forced_format ? reader_by_name(forced_format) : NULL;
	for (size_t i = 0; i < npaths; i++) {
		const char *p = paths[i];
		struct stat st;
		if (stat(p, &st) != 0) {
			diag_warn(p, 0, "%s", strerror(errno));
			add_skipped(out, p, strerror(errno));
			continue;
		}
		if (forced) {
			add_store(out, forced, p);
			continue;
		}
		const struct reader *r = reader_detect(p);
		if (r) {
			add_store(out, r, p);
			continue;
		}
		size_t before = out->nstores, seen = 0;
		if (S_ISDIR(st.st_mode))
			search(out, p, 1, &seen);
		if (out->nstores == before) {
			const char *why = S_ISDIR(st.st_mode) ? "no run store found in this folder"
			                                       : "not a run store runsite can read";
			diag_warn(p, 0, "%s", why);
			add_skipped(out, p, why);
		}
	}
	return out->nstores;
}

void discovery_free(struct discovery *d)
{
	for (size_t i = 0; i < d->nstores; i++)
		free(d->stores[i].path);
	free(d->stores);
	for (size_t i = 0; i < d->nskipped; i++) {
		free(d->skipped[i].path);
		free(d->skipped[i].why);
	}
	free(d->skipped);
	memset(d, 0, sizeof *d);
}
