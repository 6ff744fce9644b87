/* discover.c — finds the run stores at and below the paths a user gives.
 * A folder that a reader claims is not searched further; other folders are
 * searched to a fixed depth, hidden folders and symbolic links skipped.
 * TensorBoard is special: its runs are folders holding event files, and a
 * store is the log folder above them (run ids are paths relative to it). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runsite/diag.h"
#include "runsite/discover.h"
#include "runsite/util.h"

#define MAX_DEPTH 8        /* how deep below a given folder stores are looked for */
#define MAX_ENTRIES 200000 /* folder entries looked at per given path, against huge trees */

struct walk {
	struct discovery *d;
	const struct reader *logdir_reader; /* TensorBoard's, when it is in the table */
	char **tb_dirs;                     /* folders holding event files, outside any store */
	size_t ntb, captb;
	size_t seen;
};

static void add_store(struct discovery *d, const struct reader *r, const char *path,
                      const struct reader *also)
{
	GROW(d->stores, d->capstores, d->nstores + 1);
	d->stores[d->nstores].reader = r;
	d->stores[d->nstores].path = xstrdup(path);
	d->stores[d->nstores].also = also;
	d->nstores++;
}

static void add_skipped(struct discovery *d, const char *path, const char *why)
{
	GROW(d->skipped, d->capskipped, d->nskipped + 1);
	d->skipped[d->nskipped].path = xstrdup(path);
	d->skipped[d->nskipped].why = xstrdup(why);
	d->nskipped++;
}


/* The best claim on path among the readers other than skip, with its score. */
static const struct reader *best_claim(const char *path, const struct reader *skip, int *score)
{
	const struct reader *best = NULL;
	*score = 0;
	for (size_t i = 0; reader_table[i]; i++) {
		if (reader_table[i] == skip)
			continue;
		int s = reader_table[i]->probe(path);
		if (s > *score) {
			best = reader_table[i];
			*score = s;
		}
	}
	return best;
}

/* True when dir itself holds event files (TensorBoard's direct claim). */
static int holds_events(const struct walk *w, const char *dir)
{
	if (!w->logdir_reader)
		return 0;
	return w->logdir_reader->probe(dir) >= READER_SCORE_DIRECT;
}

static void search(struct walk *w, const char *dir, int depth)
{
	size_t n;
	char **names = list_dir_sorted(dir, &n);
	if (!names) {
		diag_warn(dir, 0, "cannot read folder: %s", strerror(errno));
		return;
	}
	if (holds_events(w, dir)) {
		GROW(w->tb_dirs, w->captb, w->ntb + 1);
		w->tb_dirs[w->ntb++] = xstrdup(dir);
	}
	for (size_t i = 0; i < n; i++) {
		if (++w->seen > MAX_ENTRIES) {
			if (w->seen == MAX_ENTRIES + 1)
				diag_warn(dir, 0, "stopped looking for run stores after %d entries",
				          MAX_ENTRIES);
			break;
		}
		if (names[i][0] == '.')
			continue;
		char *child = path_join(dir, names[i]);
		struct stat st;
		if (lstat(child, &st) == 0 && !S_ISLNK(st.st_mode)) {
			int score;
			const struct reader *r = best_claim(child, w->logdir_reader, &score);
			if (r) {
				/* Event files inside a claimed folder belong to the same runs. */
				int tb = S_ISDIR(st.st_mode) && w->logdir_reader &&
				         w->logdir_reader->probe(child) > 0;
				add_store(w->d, r, child, tb ? w->logdir_reader : NULL);
			} else if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH) {
				search(w, child, depth + 1);
			}
		}
		free(child);
	}
	free_names(names, n);
}

/* The first path component of sub below top ("top/a/b" → "top/a"). */
static char *top_child(const char *top, const char *sub)
{
	size_t lt = strlen(top);
	const char *rest = sub + lt;
	while (*rest == '/')
		rest++;
	const char *slash = strchr(rest, '/');
	return xstrndup(sub, slash ? (size_t)(slash - sub) : strlen(sub));
}

/* Turns the folders holding event files below top into log-folder stores. */
static void group_logdirs(struct walk *w, const char *top, size_t stores_before)
{
	if (w->ntb == 0)
		return;
	int only_tb = w->d->nstores == stores_before;
	if (only_tb || (w->ntb == 1 && strcmp(w->tb_dirs[0], top) == 0)) {
		add_store(w->d, w->logdir_reader, top, NULL);
		return;
	}
	/* Mixed with other stores: one log folder per top-level folder below top. */
	char *last = NULL;
	for (size_t i = 0; i < w->ntb; i++) {
		char *group = strcmp(w->tb_dirs[i], top) == 0 ? xstrdup(top)
		                                                : top_child(top, w->tb_dirs[i]);
		if (!last || strcmp(last, group) != 0) {
			add_store(w->d, w->logdir_reader, group, NULL);
			free(last);
			last = group;
		} else {
			free(group);
		}
	}
	free(last);
}

size_t discover(const char *const *paths, size_t npaths, const char *forced_format,
                struct discovery *out)
{
	const struct reader *forced = forced_format ? reader_by_name(forced_format) : NULL;
	const struct reader *tb = NULL;
	for (size_t i = 0; reader_table[i]; i++)
		if (reader_table[i]->logdir)
			tb = reader_table[i];
	for (size_t i = 0; i < npaths; i++) {
		const char *p = paths[i];
		struct stat st;
		if (server_url(p)) {
			/* A tracking server: stored under its URL without the password. */
			char *shown = server_url_register(p);
			add_store(out, reader_by_name("mlflow-server"), shown, NULL);
			free(shown);
			continue;
		}
		if (stat(p, &st) != 0) {
			diag_warn(p, 0, "%s", strerror(errno));
			add_skipped(out, p, strerror(errno));
			continue;
		}
		if (forced) {
			add_store(out, forced, p, NULL);
			continue;
		}
		int score;
		const struct reader *r = best_claim(p, tb, &score);
		if (r) {
			int also = S_ISDIR(st.st_mode) && tb && tb->probe(p) > 0;
			add_store(out, r, p, also ? tb : NULL);
			continue;
		}
		if (!S_ISDIR(st.st_mode) && tb && tb->probe(p) > 0) {
			add_store(out, tb, p, NULL); /* a single event file */
			continue;
		}
		size_t before = out->nstores;
		struct walk w = {.d = out, .logdir_reader = tb};
		if (S_ISDIR(st.st_mode))
			search(&w, p, 1);
		group_logdirs(&w, p, before);
		for (size_t k = 0; k < w.ntb; k++)
			free(w.tb_dirs[k]);
		free(w.tb_dirs);
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
