/* discover.c — finds the run stores at and below the paths a user gives.
 * A folder that a reader claims is not searched further; other folders are
 * searched to a fixed depth, hidden folders and symbolic links skipped.
 * TensorBoard is special: its runs are folders holding event files, and a
 * store is the log folder above them (run ids are paths relative to it).
 * Every event file belongs to one run: folders other stores read are left
 * out of the log folder around them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsite/diag.h"
#include "runsite/discover.h"
#include "runsite/fsview.h"
#include "runsite/util.h"

static const char *file_not_store_why(const char *path, const struct stat *st);

#define MAX_DEPTH 8        /* how deep below a given folder stores are looked for */
#define MAX_ENTRIES 200000 /* folder entries looked at per given path, against huge trees */
#define NEST_DEPTH 2       /* folder levels below a claimed folder searched for nested ones */

#define WHY_NOTHING "no run store found in this folder"

struct walk {
	struct discovery *d;
	const char *given;
	char *given_copy; /* the stores' one copy of given (10,000 stores hold one) */
	const struct reader *logdir_reader; /* TensorBoard's, when it is in the table */
	char **tb_dirs;                     /* folders holding event files, outside any store */
	size_t ntb, captb;
	size_t seen;
};

/* ---- formats runsite recognises but cannot read yet ---- */

/* True when dir directly holds a regular file of that name. */
static bool is_file_in(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	bool ok = fsview_is_file(p);
	free(p);
	return ok;
}

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash && slash[1] ? slash + 1 : path;
}

/* A Sacred FileStorageObserver run: a folder holding run.json and
 * config.json (metrics.json and cout.txt beside them). */
static bool sacred_run(const char *path, mode_t type)
{
	return type == S_IFDIR && is_file_in(path, "run.json") &&
	       is_file_in(path, "config.json");
}

/* An Aim repository: a .aim folder with its run metadata database. */
static bool aim_repo(const char *path, mode_t type)
{
	return type == S_IFDIR && strcmp(base_of(path), ".aim") == 0 &&
	       is_file_in(path, "run_metadata.sqlite");
}

/* Each entry goes away by itself once a reader of that name is in
 * reader_table: the reader then claims the folder. */
static const struct {
	const char *format; /* the name its reader will have */
	bool (*looks_like)(const char *path, mode_t type); /* type: its lstat's S_IFMT */
	const char *why;
} unreadable_formats[] = {
	{"sacred", sacred_run, "Sacred run folder: not supported yet"},
	{"aim", aim_repo, "Aim repository: not supported yet"},
};

/* Why path (of type S_IFMT) is a store runsite cannot read yet, or NULL. */
static const char *unreadable_format(const char *path, mode_t type)
{
	for (size_t i = 0; i < sizeof unreadable_formats / sizeof *unreadable_formats; i++)
		if (!reader_by_name(unreadable_formats[i].format) &&
		    unreadable_formats[i].looks_like(path, type))
			return unreadable_formats[i].why;
	return NULL;
}

/* ---- recording ---- */

static void add_store(struct walk *w, const struct reader *r, const char *path,
                      const struct reader *also)
{
	struct discovery *d = w->d;
	GROW(d->stores, d->capstores, d->nstores + 1);
	struct store_ref *s = &d->stores[d->nstores++];
	memset(s, 0, sizeof *s);
	s->reader = r;
	s->path = xstrdup(path);
	s->also = also;
	if (!w->given_copy)
		w->given_copy = xstrdup(w->given);
	s->given = w->given_copy;
}

static void add_skipped(struct discovery *d, const char *path, const char *why)
{
	GROW(d->skipped, d->capskipped, d->nskipped + 1);
	d->skipped[d->nskipped].path = xstrdup(path);
	d->skipped[d->nskipped].why = xstrdup(why);
	d->nskipped++;
}

/* Forgets the skipped entries from index `from` on. */
static void drop_skipped(struct discovery *d, size_t from)
{
	for (size_t i = from; i < d->nskipped; i++) {
		free(d->skipped[i].path);
		free(d->skipped[i].why);
	}
	d->nskipped = from;
}

/* ---- claims ---- */

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

static void claim(struct walk *w, const struct reader *r, const char *path, bool is_dir);

/* Folders of a nesting reader's own format below the folder it claimed. */
static void search_nested(struct walk *w, const struct reader *r, const char *dir, int depth)
{
	size_t n;
	char **names = fsview_list_sorted(dir, &n);
	for (size_t i = 0; names && i < n; i++) {
		if (names[i][0] == '.')
			continue;
		char *child = path_join(dir, names[i]);
		if (fsview_mode(child, false) == S_IFDIR) {
			if (r->probe(child) >= READER_SCORE_DIRECT)
				claim(w, r, child, true);
			else if (depth < NEST_DEPTH)
				search_nested(w, r, child, depth + 1);
		}
		free(child);
	}
	free_names(names, n);
}

/* Records path as a store of reader r, with the event files in it as the
 * same runs, and the nested stores of r's format below it. */
static void claim(struct walk *w, const struct reader *r, const char *path, bool is_dir)
{
	int tb = is_dir && w->logdir_reader && w->logdir_reader->probe(path) > 0;
	add_store(w, r, path, tb ? w->logdir_reader : NULL);
	if (is_dir && r->nests)
		search_nested(w, r, path, 1);
}

/* Searches dir; returns how many stores, event folders and notable skips
 * (a format runsite cannot read yet, a folder it cannot open, a limit) it
 * found. A folder in which nothing was found is one skipped entry. */
static size_t search(struct walk *w, const char *dir, int depth)
{
	size_t n, found = 0;
	char **names = fsview_list_sorted(dir, &n);
	if (!names) {
		diag_warn(dir, 0, "cannot read folder: %s", strerror(errno));
		add_skipped(w->d, dir, strerror(errno));
		return 1;
	}
	if (holds_events(w, dir)) {
		GROW(w->tb_dirs, w->captb, w->ntb + 1);
		w->tb_dirs[w->ntb++] = xstrdup(dir);
		found++;
	}
	for (size_t i = 0; i < n; i++) {
		if (++w->seen > MAX_ENTRIES) {
			if (w->seen == MAX_ENTRIES + 1) {
				diag_warn(dir, 0, "stopped looking for run stores after %d entries",
				          MAX_ENTRIES);
				add_skipped(w->d, dir, "stopped looking after 200000 folder entries");
				found++;
			}
			break;
		}
		char *child = path_join(dir, names[i]);
		mode_t type = fsview_mode(child, false);
		if (type == 0) {
			free(child);
			continue;
		}
		bool is_dir = type == S_IFDIR;
		const char *why;
		int score;
		const struct reader *r;
		if (names[i][0] == '.') {
			if ((why = unreadable_format(child, type)) != NULL) {
				diag_warn(child, 0, "%s", why);
				add_skipped(w->d, child, why);
			} else if (is_dir)
				add_skipped(w->d, child, "hidden folder, not searched");
		} else if (type == S_IFLNK) {
			if (fsview_is_dir(child))
				add_skipped(w->d, child, "symbolic link, not followed");
		} else if ((r = best_claim(child, w->logdir_reader, &score)) != NULL) {
			claim(w, r, child, is_dir);
			found++;
		} else if ((why = unreadable_format(child, type)) != NULL) {
			diag_warn(child, 0, "%s", why);
			add_skipped(w->d, child, why);
			found++;
		} else if (is_dir && depth >= MAX_DEPTH) {
			add_skipped(w->d, child, "deeper than 8 folder levels, not searched");
			found++;
		} else if (is_dir) {
			size_t mark = w->d->nskipped;
			size_t below = search(w, child, depth + 1);
			if (below == 0) {
				drop_skipped(w->d, mark);
				add_skipped(w->d, child, WHY_NOTHING);
			}
			found += below;
		}
		free(child);
	}
	free_names(names, n);
	return found;
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

/* True when path is below folder dir ("dir/...", not dir itself). */
static bool is_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && path[n] == '/' && path[n + 1];
}

/* Adds a log-folder store at dir that leaves out the folders below it that
 * the stores [first, end) read. */
static void add_logdir(struct walk *w, const char *dir, size_t first, size_t end)
{
	add_store(w, w->logdir_reader, dir, NULL);
	struct store_ref *s = &w->d->stores[w->d->nstores - 1];
	for (size_t i = first; i < end; i++) {
		if (!is_below(w->d->stores[i].path, dir))
			continue;
		s->inner = xreallocarray(s->inner, s->ninner + 1, sizeof *s->inner);
		s->inner[s->ninner++] = xstrdup(w->d->stores[i].path);
	}
}

/* Turns the folders holding event files below top into log-folder stores. */
static void group_logdirs(struct walk *w, const char *top, size_t stores_before)
{
	if (w->ntb == 0)
		return;
	size_t claimed_end = w->d->nstores;
	int only_tb = claimed_end == stores_before;
	if (only_tb || (w->ntb == 1 && strcmp(w->tb_dirs[0], top) == 0)) {
		add_logdir(w, top, stores_before, claimed_end);
		return;
	}
	/* Mixed with other stores: one log folder per top-level folder below top. */
	char *last = NULL;
	for (size_t i = 0; i < w->ntb; i++) {
		char *group = strcmp(w->tb_dirs[i], top) == 0 ? xstrdup(top)
		                                                : top_child(top, w->tb_dirs[i]);
		if (!last || strcmp(last, group) != 0) {
			add_logdir(w, group, stores_before, claimed_end);
			free(last);
			last = group;
		} else {
			free(group);
		}
	}
	free(last);
}

/* The index of the given path that path i lies in (or equals, when given
 * earlier), or -1. */
static long inside_other(char *const *real, size_t n, size_t i)
{
	if (!real[i])
		return -1;
	for (size_t j = 0; j < n; j++) {
		if (j == i || !real[j])
			continue;
		if ((strcmp(real[i], real[j]) == 0 && j < i) ||
		    (strcmp(real[j], "/") == 0 ? real[i][1] != '\0' : is_below(real[i], real[j])))
			return (long)j;
	}
	return -1;
}

size_t discover(const char *const *paths, size_t npaths, const char *forced_format,
                struct discovery *out)
{
	const struct reader *forced = forced_format ? reader_by_name(forced_format) : NULL;
	const struct reader *tb = NULL;
	for (size_t i = 0; reader_table[i]; i++)
		if (reader_table[i]->logdir)
			tb = reader_table[i];
	char **real = xcalloc(npaths ? npaths : 1, sizeof *real);
	for (size_t i = 0; i < npaths; i++)
		real[i] = realpath(paths[i], NULL);
	/* Every reader probes every folder: each folder is listed once, and the
	 * probes' questions about it are answered from its listing. */
	struct fsview *view = fsview_begin();
	for (size_t i = 0; i < npaths; i++)
		if (!server_url(paths[i]))
			fsview_add_root(view, paths[i]);
	for (size_t i = 0; i < npaths; i++) {
		const char *p = paths[i];
		struct walk w = {.d = out, .given = p, .logdir_reader = tb};
		struct stat st;
		if (server_url(p)) {
			/* A tracking server: stored under its URL without the password. */
			char *shown = server_url_register(p);
			w.given = shown; /* never the password */
			add_store(&w, reader_by_name("mlflow-server"), shown, NULL);
			free(shown);
			continue;
		}
		if (stat(p, &st) != 0) {
			diag_warn(p, 0, "%s", strerror(errno));
			add_skipped(out, p, strerror(errno));
			continue;
		}
		/* A path given twice, or inside another given path, is read once. */
		long other = inside_other(real, npaths, i);
		if (other >= 0) {
			char *why = strcmp(real[i], real[other]) == 0
			                    ? xasprintf("given twice; read once")
			                    : xasprintf("inside %s, which is read whole", paths[other]);
			add_skipped(out, p, why);
			free(why);
			continue;
		}
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
			/* A FIFO would block a reader, a device never end it. */
			char *why = xasprintf("%s, not a regular file", file_kind_name(st.st_mode));
			diag_warn(p, 0, "%s", why);
			add_skipped(out, p, why);
			free(why);
			continue;
		}
		if (forced) {
			add_store(&w, forced, p, NULL);
			continue;
		}
		int score;
		const struct reader *r = best_claim(p, tb, &score);
		if (r) {
			claim(&w, r, p, S_ISDIR(st.st_mode));
			continue;
		}
		if (!S_ISDIR(st.st_mode) && tb && tb->probe(p) > 0) {
			add_store(&w, tb, p, NULL); /* a single event file */
			continue;
		}
		const char *unreadable = unreadable_format(p, st.st_mode & S_IFMT);
		if (unreadable) {
			diag_warn(p, 0, "%s", unreadable);
			add_skipped(out, p, unreadable);
			continue;
		}
		size_t before = out->nstores, skipped_before = out->nskipped;
		size_t found = 0;
		if (S_ISDIR(st.st_mode))
			found = search(&w, p, 1);
		group_logdirs(&w, p, before);
		for (size_t k = 0; k < w.ntb; k++)
			free(w.tb_dirs[k]);
		free(w.tb_dirs);
		if (found == 0) {
			/* Nothing at all: the path itself is the one thing to say. */
			drop_skipped(out, skipped_before);
			const char *why = S_ISDIR(st.st_mode) ? WHY_NOTHING : file_not_store_why(p, &st);
			diag_warn(p, 0, "%s", why);
			add_skipped(out, p, why);
		}
	}
	fsview_end(view);
	for (size_t i = 0; i < npaths; i++)
		free(real[i]);
	free(real);
	/* The list is kept through the build: without the room it grew by. */
	if (out->capstores > out->nstores && out->nstores) {
		out->stores = xreallocarray(out->stores, out->nstores, sizeof *out->stores);
		out->capstores = out->nstores;
	}
	return out->nstores;
}

/* Why the file path, which no reader claims, is not a run store: empty,
 * unreadable, or text or data no reader knows. */
static const char *file_not_store_why(const char *path, const struct stat *st)
{
	if (st->st_size == 0)
		return "an empty file, not a run store";
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno == EACCES ? "cannot be read: permission denied" : "cannot be read";
	char head[512];
	ssize_t n = read(fd, head, sizeof head);
	close(fd);
	if (n < 0)
		return "cannot be read";
	if (memchr(head, '\0', (size_t)n))
		return "not a run store runsite can read (binary data no reader knows)";
	return "a text file no reader knows (a CSV or JSON Lines file with a step column "
	       "is read with --format csv)";
}

void discovery_compact(struct discovery *d)
{
	if (d->paths || !d->nstores)
		return;
	size_t total = 0;
	for (size_t i = 0; i < d->nstores; i++)
		total += strlen(d->stores[i].path) + 1;
	d->paths = xmalloc(total);
	char *at = d->paths;
	for (size_t i = 0; i < d->nstores; i++) {
		size_t n = strlen(d->stores[i].path) + 1;
		memcpy(at, d->stores[i].path, n);
		free(d->stores[i].path);
		d->stores[i].path = at;
		at += n;
	}
}

void discovery_free(struct discovery *d)
{
	for (size_t i = 0; i < d->nstores; i++) {
		if (!d->paths)
			free(d->stores[i].path);
		/* The stores of one given path, one after another, share its copy. */
		if (i == 0 || d->stores[i].given != d->stores[i - 1].given)
			free(d->stores[i].given);
		for (size_t k = 0; k < d->stores[i].ninner; k++)
			free(d->stores[i].inner[k]);
		free(d->stores[i].inner);
	}
	free(d->stores);
	free(d->paths);
	drop_skipped(d, 0);
	free(d->skipped);
	memset(d, 0, sizeof *d);
}
