/* cache.c — the build cache: a chart whose fingerprint (chart_fingerprint:
 * every point, every option, the chart code itself) is the one the last
 * build wrote is taken from the last build's site instead of drawn again;
 * so is a run page whose inputs' fingerprint (page_fp_*: the run and the
 * runs it links to, the template, the build options, this runsite binary)
 * is the last build's.
 *
 * The cache is an SQLite file inside the site (CACHE_FILE), one row per
 * chart or page file: path, fingerprint, size and what chart_describe
 * needs; nothing about the file system, so the same site gives the same
 * cache file. When the build commits into the last site in place
 * (cache_reuse_in_place, writer.c), a cached file stays where it is and
 * only what changes is written; else it is hard-linked (or copied) into the
 * new site, which then replaces the old one whole. A file is taken only
 * while it is the one the cache describes:
 * its size, and an mtime no later than the cache file's (written after
 * every other file of its build), so a file rewritten in the old site
 * since, even to the same size, is made again. A missing, damaged or
 * foreign cache just means every chart and page is made. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t in struct page_fp */
#include <xxhash.h>

#include "runsite/diag.h"
#include "runsite/runcache.h"
#include "site_internal.h"

#define CACHE_SCHEMA "runsite build cache 2"

struct cache_row {
	char *path; /* site-relative */
	char fp[CHART_FINGERPRINT_LEN + 1];
	int64_t size;
	bool page;  /* a page (table pages), else a chart (table charts) */
	struct chart_info info;
	/* A page's own folder of files made with it (table page_files), whose
	 * paths and sizes; reused all together with the page. */
	char **files;
	int64_t *fsizes;
	size_t nfiles;
};

struct build_cache {
	sqlite3 *old;          /* the last build's cache, read-only; NULL: none */
	sqlite3_stmt *find, *find_page, *find_files;
	int64_t old_mtime_ns;  /* the old cache file's: no file of its build is newer */
	bool in_place;         /* files taken stay in the old site, which the build commits into */
	struct pathset *taken; /* in place: the old site's files this build keeps */
	char *old_site, *new_site;
	pthread_mutex_t mu;    /* chart workers share it */
	struct cache_row *rows;
	size_t n, cap;
	size_t reused, drawn;
	size_t pages_reused, pages_made;
	struct runcache *runs; /* the runs kept between builds (runcache.h) */
};

static int binary_salt(char out[33]);

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* Opens the last build's cache, or leaves c->old NULL (with a warning when
 * the file is there but cannot be used). */
static void open_old(struct build_cache *c)
{
	char *path = path_join(c->old_site, CACHE_FILE);
	struct stat st;
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		free(path);
		return;
	}
	c->old_mtime_ns = mtime_ns(&st);
	/* Read-only and defensive: the file is trusted no further than any input. */
	int rc = sqlite3_open_v2(path, &c->old, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		sqlite3_db_config(c->old, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	if (rc == SQLITE_OK)
		sqlite3_exec(c->old, "PRAGMA trusted_schema = OFF", NULL, NULL, NULL);
	sqlite3_stmt *q = NULL;
	const char *schema = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(c->old, "SELECT value FROM meta WHERE key = 'schema'", -1, &q,
		                        NULL);
	if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		schema = (const char *)sqlite3_column_text(q, 0);
	int ours = schema && strcmp(schema, CACHE_SCHEMA) == 0;
	sqlite3_finalize(q);
	/* One read transaction for the whole build: each lookup then takes no
	 * file lock of its own (a kept run's dozen charts, 10,000 runs). */
	if (ours && rc == SQLITE_OK)
		rc = sqlite3_exec(c->old, "BEGIN", NULL, NULL, NULL);
	if (ours)
		rc = sqlite3_prepare_v2(c->old,
		                        "SELECT fingerprint, size, points_total, points_drawn, log_y "
		                        "FROM charts WHERE path = ?",
		                        -1, &c->find, NULL);
	if (ours && rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(c->old,
		                        "SELECT fingerprint, size FROM pages WHERE path = ?",
		                        -1, &c->find_page, NULL);
	if (ours && rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(c->old,
		                        "SELECT path, size FROM page_files WHERE page = ? ORDER BY path",
		                        -1, &c->find_files, NULL);
	if (ours && rc == SQLITE_OK) {
		/* The runs kept by the last build (none in a cache made before
		 * runs were kept: its runs are read). */
		sqlite3_stmt *runs = NULL;
		if (sqlite3_prepare_v2(c->old, "SELECT key, fingerprint, blob FROM runs", -1, &runs,
		                       NULL) == SQLITE_OK)
			while (sqlite3_step(runs) == SQLITE_ROW) {
				const char *k = (const char *)sqlite3_column_text(runs, 0);
				const char *f = (const char *)sqlite3_column_text(runs, 1);
				const char *b = (const char *)sqlite3_column_text(runs, 2);
				if (k && f && b)
					runcache_index_add(c->runs, k, f, b);
			}
		sqlite3_finalize(runs);
	}
	if (!ours || rc != SQLITE_OK) {
		diag_warn(path, 0, "build cache not used (%s); every chart is drawn",
		          rc != SQLITE_OK && c->old ? sqlite3_errmsg(c->old) : "not runsite's");
		sqlite3_finalize(c->find);
		sqlite3_finalize(c->find_page);
		sqlite3_finalize(c->find_files);
		c->find = c->find_page = c->find_files = NULL;
		sqlite3_close(c->old);
		c->old = NULL;
	}
	free(path);
}

struct build_cache *cache_open(const char *old_site, const char *new_site)
{
	struct build_cache *c = xcalloc(1, sizeof *c);
	c->old_site = old_site ? xstrdup(old_site) : NULL;
	c->new_site = xstrdup(new_site);
	pthread_mutex_init(&c->mu, NULL);
	char salt[33];
	char *old_runs = old_site ? path_join(old_site, RUNCACHE_DIR) : NULL;
	char *new_runs = path_join(new_site, RUNCACHE_DIR);
	c->runs = runcache_open(old_runs, new_runs, binary_salt(salt) ? salt : NULL);
	free(old_runs);
	free(new_runs);
	if (old_site)
		open_old(c);
	return c;
}

int cache_reuse_in_place(struct build_cache *c)
{
	if (!c || !c->old)
		return 0;
	c->in_place = true;
	runcache_in_place(c->runs, true);
	c->taken = pathset_new();
	return 1;
}

struct file_list {
	char **paths;
	int64_t *sizes;
	size_t n, cap;
};

struct file_entry {
	char *path;
	int64_t size;
};

/* Notes a file of this build (st: its stat in the new site) and counts it in
 * *counter; a page's files (may be NULL) are moved into its row. */
static int cmp_file_entry(const void *a, const void *b)
{
	return strcmp(((const struct file_entry *)a)->path, ((const struct file_entry *)b)->path);
}

/* Puts l in path order, the order the cache file lists a page's files in
 * (so a page made and the same page taken give the same cache file). */
static void sort_files(struct file_list *l)
{
	struct file_entry *e = xcalloc(l->n + 1, sizeof *e);
	for (size_t i = 0; i < l->n; i++)
		e[i] = (struct file_entry){l->paths[i], l->sizes[i]};
	qsort(e, l->n, sizeof *e, cmp_file_entry);
	for (size_t i = 0; i < l->n; i++) {
		l->paths[i] = e[i].path;
		l->sizes[i] = e[i].size;
	}
	free(e);
}

static void add_row_files(struct build_cache *c, const char *rel, const char *fp, bool page,
                          const struct chart_info *info, const struct stat *st,
                          size_t *counter, struct file_list *files)
{
	pthread_mutex_lock(&c->mu);
	GROW(c->rows, c->cap, c->n + 1);
	struct cache_row *r = &c->rows[c->n++];
	r->path = xstrdup(rel);
	memcpy(r->fp, fp, sizeof r->fp);
	r->size = (int64_t)st->st_size;
	r->page = page;
	if (info)
		r->info = *info;
	else
		memset(&r->info, 0, sizeof r->info);
	r->files = NULL;
	r->fsizes = NULL;
	r->nfiles = 0;
	/* Built in place, a file taken stays in the old site: noted, for the
	 * folder of a page made around it (cache_record_page_dir). */
	if (c->taken && (counter == &c->reused || counter == &c->pages_reused)) {
		pathset_add_ref(c->taken, r->path);
		for (size_t i = 0; files && i < files->n; i++)
			pathset_add_ref(c->taken, files->paths[i]); /* moved into r below */
	}
	if (files) {
		sort_files(files);
		r->files = files->paths;
		r->fsizes = files->sizes;
		r->nfiles = files->n;
		memset(files, 0, sizeof *files);
	}
	(*counter)++;
	pthread_mutex_unlock(&c->mu);
}

static void add_row(struct build_cache *c, const char *rel, const char *fp, bool page,
                    const struct chart_info *info, const struct stat *st, size_t *counter)
{
	add_row_files(c, rel, fp, page, info, st, counter, NULL);
}

/* Copies regular file from to to (new, 0644 less the umask). */
static int copy_file(const char *from, const char *to)
{
	struct buf b = BUF_INIT;
	int ok = 0;
	if (read_file(from, &b, (size_t)1 << 30)) {
		int fd = open(to, O_WRONLY | O_CREAT | O_EXCL, 0666);
		if (fd >= 0) {
			ok = write(fd, b.data ? b.data : "", b.size) == (ssize_t)b.size;
			ok = close(fd) == 0 && ok;
			if (!ok)
				unlink(to);
		}
	}
	buf_free(&b);
	return ok;
}

/* Looks rel up with query q (fingerprint, size[, chart info]):
 * 1 when its fingerprint is fp, with *want the file it describes. */
static int lookup(struct build_cache *c, sqlite3_stmt *q, const char *rel, const char *fp,
                  struct cache_row *want)
{
	int hit = 0;
	pthread_mutex_lock(&c->mu);
	if (q) {
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, rel, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW) {
			const char *old_fp = (const char *)sqlite3_column_text(q, 0);
			hit = old_fp && strcmp(old_fp, fp) == 0;
			want->size = sqlite3_column_int64(q, 1);
			if (sqlite3_column_count(q) > 2) {
				want->info.points_total = (uint64_t)sqlite3_column_int64(q, 2);
				want->info.points_drawn = (uint64_t)sqlite3_column_int64(q, 3);
				want->info.log_y = sqlite3_column_int(q, 4) != 0;
			}
		}
		sqlite3_reset(q);
	}
	pthread_mutex_unlock(&c->mu);
	return hit;
}

/* Puts the last site's file rel into the new site when it is still the
 * file the cache describes (want): a regular file of that size, not written
 * since the cache was. Built in place, the file is left where it is. *st
 * gets its stat. */
static int take_old(struct build_cache *c, const char *rel, const struct cache_row *want,
                    struct stat *st)
{
	char *from = path_join(c->old_site, rel);
	int hit = lstat(from, st) == 0 && S_ISREG(st->st_mode) && st->st_size == want->size &&
	          mtime_ns(st) <= c->old_mtime_ns;
	if (c->in_place) {
		free(from);
		return hit;
	}
	char *to = path_join(c->new_site, rel);
	int linked = hit && link(from, to) == 0;
	if (hit && !linked && errno == ENOENT) {
		/* Its folder is not made yet (a page whose siblings were all reused). */
		char *dir = xstrdup(to);
		*strrchr(dir, '/') = '\0';
		linked = make_dirs(dir, 0777) && link(from, to) == 0;
		free(dir);
	}
	/* Another file system or no hard links: a copy, with its own identity. */
	if (hit && !linked)
		hit = copy_file(from, to) && lstat(to, st) == 0;
	free(from);
	free(to);
	return hit;
}

int cache_reuse(struct build_cache *c, const char *rel, const char *fp, struct chart_info *info)
{
	struct cache_row want;
	memset(&want, 0, sizeof want);
	struct stat st;
	if (!lookup(c, c->find, rel, fp, &want) || !take_old(c, rel, &want, &st))
		return 0;
	*info = want.info;
	add_row(c, rel, fp, false, info, &st, &c->reused);
	return 1;
}

void cache_record(struct build_cache *c, const char *rel, const char *fp,
                  const struct chart_info *info)
{
	char *path = path_join(c->new_site, rel);
	struct stat st;
	if (lstat(path, &st) == 0)
		add_row(c, rel, fp, false, info, &st, &c->drawn);
	free(path);
}

int cache_reuse_page(struct build_cache *c, const char *rel, const char *fp)
{
	struct cache_row want;
	memset(&want, 0, sizeof want);
	struct stat st;
	if (!c || !lookup(c, c->find_page, rel, fp, &want) || !take_old(c, rel, &want, &st))
		return 0;
	add_row(c, rel, fp, true, NULL, &st, &c->pages_reused);
	return 1;
}

void cache_record_page(struct build_cache *c, const char *rel, const char *fp)
{
	if (!c)
		return;
	char *path = path_join(c->new_site, rel);
	struct stat st;
	if (lstat(path, &st) == 0)
		add_row(c, rel, fp, true, NULL, &st, &c->pages_made);
	free(path);
}

static int cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct cache_row *)a)->path, ((const struct cache_row *)b)->path);
}

struct run_rows {
	sqlite3_stmt *ins;
};

static int put_run_row(void *ctx, const char *key, const char *fp, const char *blob)
{
	struct run_rows *rr = ctx;
	sqlite3_bind_text(rr->ins, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(rr->ins, 2, fp, -1, SQLITE_STATIC);
	sqlite3_bind_text(rr->ins, 3, blob, -1, SQLITE_STATIC);
	int ok = sqlite3_step(rr->ins) == SQLITE_DONE;
	sqlite3_reset(rr->ins);
	return ok;
}

/* Writes this build's rows into the new site's cache file, in path order
 * so the same site gives the same file. */
int cache_write(struct build_cache *c)
{
	char *path = path_join(c->new_site, CACHE_FILE);
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL, *ins_page = NULL, *ins_file = NULL;
	int ok = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ==
	         SQLITE_OK;
	ok = ok && sqlite3_exec(db,
	                        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
	                        "BEGIN;"
	                        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
	                        "INSERT INTO meta VALUES ('schema', '" CACHE_SCHEMA "');"
	                        "CREATE TABLE charts(path TEXT PRIMARY KEY, fingerprint TEXT NOT NULL,"
	                        " size INTEGER, points_total INTEGER, points_drawn INTEGER,"
	                        " log_y INTEGER) WITHOUT ROWID;"
	                        "CREATE TABLE pages(path TEXT PRIMARY KEY, fingerprint TEXT NOT NULL,"
	                        " size INTEGER) WITHOUT ROWID;"
	                        "CREATE TABLE page_files(page TEXT, path TEXT, size INTEGER,"
	                        " PRIMARY KEY (page, path)) WITHOUT ROWID;"
	                        "CREATE TABLE runs(key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL,"
	                        " blob TEXT NOT NULL) WITHOUT ROWID;",
	                        NULL, NULL, NULL) == SQLITE_OK;
	ok = ok &&
	     sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO charts VALUES (?, ?, ?, ?, ?, ?)",
	                        -1, &ins, NULL) == SQLITE_OK;
	ok = ok && sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO pages VALUES (?, ?, ?)", -1,
	                              &ins_page, NULL) == SQLITE_OK;
	ok = ok && sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO page_files VALUES (?, ?, ?)", -1,
	                              &ins_file, NULL) == SQLITE_OK;
	if (c->n)
		qsort(c->rows, c->n, sizeof *c->rows, cmp_row);
	for (size_t i = 0; ok && i < c->n; i++) {
		const struct cache_row *r = &c->rows[i];
		sqlite3_stmt *q = r->page ? ins_page : ins;
		sqlite3_bind_text(q, 1, r->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, r->fp, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, r->size);
		if (!r->page) {
			sqlite3_bind_int64(q, 4, (sqlite3_int64)r->info.points_total);
			sqlite3_bind_int64(q, 5, (sqlite3_int64)r->info.points_drawn);
			sqlite3_bind_int(q, 6, r->info.log_y);
		}
		ok = sqlite3_step(q) == SQLITE_DONE;
		sqlite3_reset(q);
		for (size_t k = 0; ok && k < r->nfiles; k++) {
			sqlite3_bind_text(ins_file, 1, r->path, -1, SQLITE_STATIC);
			sqlite3_bind_text(ins_file, 2, r->files[k], -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins_file, 3, r->fsizes[k]);
			ok = sqlite3_step(ins_file) == SQLITE_DONE;
			sqlite3_reset(ins_file);
		}
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(ins_file);
	sqlite3_finalize(ins_page);
	struct run_rows rr = {NULL};
	ok = ok && sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO runs VALUES (?, ?, ?)", -1, &rr.ins,
	                              NULL) == SQLITE_OK;
	ok = ok && runcache_rows(c->runs, put_run_row, &rr);
	sqlite3_finalize(rr.ins);
	ok = ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
	if (!ok)
		diag_msg("%s: cannot write the build cache: %s", path,
		         db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_close(db);
	free(path);
	return ok;
}

int cache_close(struct build_cache *c, int write, size_t *reused, size_t *drawn,
                size_t *pages_reused)
{
	if (!c)
		return 1;
	int ok = !write || cache_write(c);
	if (reused)
		*reused = c->reused;
	if (drawn)
		*drawn = c->drawn;
	if (pages_reused)
		*pages_reused = c->pages_reused;
	sqlite3_finalize(c->find);
	sqlite3_finalize(c->find_page);
	sqlite3_finalize(c->find_files);
	sqlite3_close(c->old);
	runcache_free(c->runs);
	for (size_t i = 0; i < c->n; i++) {
		free(c->rows[i].path);
		for (size_t k = 0; k < c->rows[i].nfiles; k++)
			free(c->rows[i].files[k]);
		free(c->rows[i].files);
		free(c->rows[i].fsizes);
	}
	free(c->rows);
	pathset_free(c->taken);
	free(c->old_site);
	free(c->new_site);
	pthread_mutex_destroy(&c->mu);
	free(c);
	return ok;
}

static void keep_run_file(void *ctx, const char *rel)
{
	pathset_add(ctx, rel);
}

void cache_kept(const struct build_cache *c, struct pathset *set)
{
	if (!c)
		return;
	runcache_files(c->runs, keep_run_file, set);
	for (size_t i = 0; i < c->n; i++) {
		pathset_add_ref(set, c->rows[i].path);
		for (size_t k = 0; k < c->rows[i].nfiles; k++)
			pathset_add_ref(set, c->rows[i].files[k]);
	}
}

/* ---- pages with a folder of their own files ---- */

static void file_list_free(struct file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	free(l->sizes);
	memset(l, 0, sizeof *l);
}

static void list_file(struct file_list *l, const char *rel, const struct stat *st)
{
	size_t cap = l->cap;
	GROW(l->paths, cap, l->n + 1);
	GROW(l->sizes, l->cap, l->n + 1);
	l->paths[l->n] = xstrdup(rel);
	l->sizes[l->n++] = (int64_t)st->st_size;
}

/* Whether c (built in place) keeps the old site's file rel. */
static int is_taken(struct build_cache *c, const char *rel)
{
	pthread_mutex_lock(&c->mu);
	int taken = pathset_has(c->taken, rel);
	pthread_mutex_unlock(&c->mu);
	return taken;
}

/* Adds site-relative rel of site when a regular file, or the regular files
 * below it (recursively) when a folder; with only_taken, only the files c
 * keeps of the old site. */
static void list_files(const char *site, const char *rel, struct file_list *l,
                       struct build_cache *only_taken)
{
	char *dir = path_join(site, rel);
	struct stat top;
	int have = lstat(dir, &top) == 0;
	if (!have || !S_ISDIR(top.st_mode)) {
		if (have && S_ISREG(top.st_mode) && (!only_taken || is_taken(only_taken, rel)))
			list_file(l, rel, &top);
		free(dir);
		return;
	}
	size_t n = 0;
	char **names = list_dir_sorted(dir, &n);
	for (size_t i = 0; i < n; i++) {
		char *sub = path_join(rel, names[i]);
		char *path = path_join(dir, names[i]);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			list_files(site, sub, l, only_taken);
		} else if (S_ISREG(st.st_mode) && (!only_taken || is_taken(only_taken, sub))) {
			list_file(l, sub, &st);
		}
		free(path);
		free(sub);
	}
	free_names(names, n);
	free(dir);
}

/* The chart row of the last build for rel, carried into this build's cache
 * with its file (so a later build can still take that chart alone). */
static void carry_chart_row(struct build_cache *c, const char *rel, const struct stat *st)
{
	char fp[CHART_FINGERPRINT_LEN + 1] = "";
	struct chart_info info;
	memset(&info, 0, sizeof info);
	int found = 0;
	pthread_mutex_lock(&c->mu);
	sqlite3_reset(c->find);
	sqlite3_bind_text(c->find, 1, rel, -1, SQLITE_STATIC);
	if (sqlite3_step(c->find) == SQLITE_ROW && sqlite3_column_int64(c->find, 1) == st->st_size) {
		const char *old_fp = (const char *)sqlite3_column_text(c->find, 0);
		if (old_fp && strlen(old_fp) == CHART_FINGERPRINT_LEN) {
			memcpy(fp, old_fp, sizeof fp);
			info.points_total = (uint64_t)sqlite3_column_int64(c->find, 2);
			info.points_drawn = (uint64_t)sqlite3_column_int64(c->find, 3);
			info.log_y = sqlite3_column_int(c->find, 4) != 0;
			found = 1;
		}
	}
	sqlite3_reset(c->find);
	pthread_mutex_unlock(&c->mu);
	if (found)
		add_row(c, rel, fp, false, &info, st, &c->reused);
}

int cache_reuse_page_dir(struct build_cache *c, const char *rel, const char *fp)
{
	struct cache_row want;
	memset(&want, 0, sizeof want);
	struct file_list l = {0};
	int hit = c && lookup(c, c->find_page, rel, fp, &want);
	if (!hit)
		return 0;
	/* The page's files as the cache lists them: every one must still be there. */
	pthread_mutex_lock(&c->mu);
	sqlite3_reset(c->find_files);
	sqlite3_bind_text(c->find_files, 1, rel, -1, SQLITE_STATIC);
	while (sqlite3_step(c->find_files) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(c->find_files, 0);
		size_t cap = l.cap;
		GROW(l.paths, cap, l.n + 1);
		GROW(l.sizes, l.cap, l.n + 1);
		l.paths[l.n] = xstrdup(p ? p : "");
		l.sizes[l.n++] = sqlite3_column_int64(c->find_files, 1);
	}
	sqlite3_reset(c->find_files);
	pthread_mutex_unlock(&c->mu);
	struct stat *sts = xcalloc(l.n + 1, sizeof *sts);
	for (size_t i = 0; hit && i < l.n; i++) {
		char *from = path_join(c->old_site, l.paths[i]);
		hit = *l.paths[i] && lstat(from, &sts[i]) == 0 && S_ISREG(sts[i].st_mode) &&
		      sts[i].st_size == l.sizes[i] && mtime_ns(&sts[i]) <= c->old_mtime_ns;
		free(from);
	}
	size_t taken = 0;
	/* Built in place, the files just checked stay where they are. */
	for (; hit && !c->in_place && taken < l.n; taken++) {
		struct cache_row fw = {.size = l.sizes[taken]};
		hit = take_old(c, l.paths[taken], &fw, &sts[taken]);
	}
	struct stat st;
	if (hit)
		hit = take_old(c, rel, &want, &st);
	if (hit) {
		for (size_t i = 0; i < l.n; i++)
			carry_chart_row(c, l.paths[i], &sts[i]);
		add_row_files(c, rel, fp, true, NULL, &st, &c->pages_reused, &l);
	} else {
		/* Not all there: the files taken go again, and the page is made. */
		for (size_t i = 0; i < taken && i < l.n; i++) {
			char *to = path_join(c->new_site, l.paths[i]);
			unlink(to);
			free(to);
		}
	}
	free(sts);
	file_list_free(&l);
	return hit;
}

void cache_record_page_dir(struct build_cache *c, const char *rel, const char *fp,
                           const char *const *files, size_t nfiles)
{
	if (!c)
		return;
	char *path = path_join(c->new_site, rel);
	struct stat st;
	if (lstat(path, &st) == 0) {
		struct file_list l = {0};
		/* Built in place, the charts the page took from the cache are
		 * still in the old site; the rest are in the new folder. */
		for (size_t i = 0; i < nfiles; i++) {
			list_files(c->new_site, files[i], &l, NULL);
			if (c->in_place)
				list_files(c->old_site, files[i], &l, c);
		}
		add_row_files(c, rel, fp, true, NULL, &st, &c->pages_made, &l);
	}
	free(path);
}

/* ---- page fingerprints ---- */

/* A digest of the runsite binary running: a page made by other code (or
 * other built-in templates and assets) is never taken from the cache. All
 * zero when the binary cannot be read: then no page is reused. */
static unsigned char code_id[16];
static bool code_id_ok;
static pthread_once_t code_once = PTHREAD_ONCE_INIT;

static void code_id_init(void)
{
	struct buf b = BUF_INIT;
	if (read_file("/proc/self/exe", &b, (size_t)1 << 30) && b.size) {
		XXH128_hash_t h = XXH3_128bits(b.data, b.size);
		memcpy(code_id, &h.low64, 8);
		memcpy(code_id + 8, &h.high64, 8);
		code_id_ok = true;
	}
	buf_free(&b);
}

/* This binary's digest as 32 hex digits, what the kept runs are salted
 * with; 0 when the binary cannot be read (then no run is kept). */
static int binary_salt(char out[33])
{
	pthread_once(&code_once, code_id_init);
	if (!code_id_ok)
		return 0;
	for (size_t i = 0; i < sizeof code_id; i++)
		snprintf(out + 2 * i, 3, "%02x", code_id[i]);
	return 1;
}

struct runcache *cache_runcache(struct build_cache *c)
{
	return c ? c->runs : NULL;
}

void cache_runs_options(struct build_cache *c, const struct site_opts *o)
{
	char salt[33];
	if (!c || !binary_salt(salt))
		return;
	/* What a run's own charts depend on besides the run: a run kept under
	 * other options is read again. */
	char chart_fp[CHART_FINGERPRINT_LEN + 1];
	struct chart_spec base = o->chart;
	base.series = NULL;
	base.nseries = 0;
	chart_fingerprint(&base, CHART_SVG, chart_fp);
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s-%s-%u-%zu:%s", salt, chart_fp, o->chart_formats,
	           o->log_y_pattern ? strlen(o->log_y_pattern) : (size_t)0,
	           o->log_y_pattern ? o->log_y_pattern : "-");
	for (size_t i = 0; i < o->goals.n; i++)
		buf_printf(&b, "-%zu:%s:%d", strlen(o->goals.items[i].pattern),
		           o->goals.items[i].pattern, (int)o->goals.items[i].goal);
	XXH128_hash_t h = XXH3_128bits(b.data, b.size);
	buf_free(&b);
	snprintf(salt, sizeof salt, "%016llx%016llx", (unsigned long long)h.high64,
	         (unsigned long long)h.low64);
	runcache_set_salt(c->runs, salt);
}

struct page_fp {
	XXH3_state_t st[1];
};

static void fp_u64(struct page_fp *h, uint64_t v)
{
	XXH3_128bits_update(h->st, &v, sizeof v);
}

static void fp_i64(struct page_fp *h, int64_t v)
{
	fp_u64(h, (uint64_t)v);
}

static void fp_double(struct page_fp *h, double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof u);
	fp_u64(h, u);
}

/* A string with its length (NULL apart from ""), so fields cannot run together. */
static void fp_str(struct page_fp *h, const char *s)
{
	if (!s) {
		fp_u64(h, UINT64_MAX);
		return;
	}
	size_t n = strlen(s);
	fp_u64(h, n);
	XXH3_128bits_update(h->st, s, n);
}

static void fp_strs(struct page_fp *h, const char *const *v, size_t n)
{
	fp_u64(h, n);
	for (size_t i = 0; i < n; i++)
		fp_str(h, v[i]);
}

static void fp_kv(struct page_fp *h, const struct kvlist *l)
{
	fp_u64(h, l->n);
	for (size_t i = 0; i < l->n; i++) {
		fp_str(h, l->items[i].key);
		fp_str(h, l->items[i].value);
	}
}

static void fp_point(struct page_fp *h, const struct point *p)
{
	fp_i64(h, p->step);
	fp_i64(h, p->time_ms);
	fp_double(h, p->value);
}

/* THE place where build options enter every page fingerprint: each option
 * that can change a page's bytes is fed here (an option added to
 * struct site_opts that shapes a page must be added too). Options that only
 * say where and how to build (out_dir, force, quiet, jobs, no_cache,
 * strict) are left out: the site is the same whatever they are. */
static void fp_build_options(struct page_fp *h, const struct site *s)
{
	const struct site_opts *o = s->opts;
	char chart_fp[CHART_FINGERPRINT_LEN + 1];
	struct chart_spec base = o->chart;
	base.series = NULL;
	base.nseries = 0;
	chart_fingerprint(&base, CHART_SVG, chart_fp); /* every chart option, and the chart code */
	fp_str(h, chart_fp);
	fp_str(h, o->title);
	fp_u64(h, o->chart_formats);
	fp_str(h, o->log_y_pattern);
	fp_u64(h, o->no_redact);
	fp_u64(h, o->goals.n);
	for (size_t i = 0; i < o->goals.n; i++) {
		fp_str(h, o->goals.items[i].pattern);
		fp_i64(h, o->goals.items[i].goal);
	}
	fp_str(h, o->primary);
	fp_strs(h, o->compare, o->ncompare);
	fp_str(h, o->baseline);
	fp_strs(h, o->group_by, o->ngroup_by);
	fp_u64(h, o->band_minmax);
	fp_str(h, o->reports_dir);
	fp_u64(h, o->report_inline);
	fp_str(h, o->select);
	fp_str(h, o->report_file);
	fp_i64(h, o->at);
	/* What the plan settled from the runs and the options. */
	fp_str(h, s->primary);
	fp_i64(h, s->baseline);
	fp_u64(h, s->plan.nexps);
	for (size_t e = 0; e < s->plan.nexps; e++)
		fp_str(h, s->plan.exp_primary[e]);
}

struct page_fp *page_fp_begin(const struct site *s, const char *kind, const struct buf *tpl)
{
	pthread_once(&code_once, code_id_init);
	if (!code_id_ok)
		return NULL;
	/* XXH3_state_t wants 64-byte alignment. */
	struct page_fp *h = aligned_alloc(64, (sizeof *h + 63) / 64 * 64);
	if (!h)
		return NULL; /* the page is made */
	XXH3_128bits_reset(h->st);
	XXH3_128bits_update(h->st, code_id, sizeof code_id);
	fp_str(h, kind);
	fp_u64(h, tpl->size);
	XXH3_128bits_update(h->st, tpl->data ? tpl->data : "", tpl->size);
	fp_build_options(h, s);
	return h;
}

void page_fp_str(struct page_fp *h, const char *s)
{
	fp_str(h, s);
}

void page_fp_u64(struct page_fp *h, uint64_t v)
{
	fp_u64(h, v);
}

void page_fp_bytes(struct page_fp *h, const void *data, size_t n)
{
	fp_u64(h, n);
	XXH3_128bits_update(h->st, data, n);
}

void page_fp_end(struct page_fp *h, char out[CHART_FINGERPRINT_LEN + 1])
{
	XXH128_hash_t d = XXH3_128bits_digest(h->st);
	snprintf(out, CHART_FINGERPRINT_LEN + 1, "%016llx%016llx", (unsigned long long)d.high64,
	         (unsigned long long)d.low64);
	free(h);
}

void site_run_digest(struct site_run *sr, const struct kept_site *k)
{
	const struct run *r = sr->run;
	struct page_fp h;
	XXH3_128bits_reset(h.st);
	/* Every field of struct run but the notes, every point included. */
	fp_str(&h, r->format);
	fp_str(&h, r->store);
	fp_str(&h, r->id);
	fp_str(&h, r->name);
	fp_str(&h, r->experiment_id);
	fp_str(&h, r->experiment_name);
	fp_str(&h, r->status);
	fp_i64(&h, r->start_ms);
	fp_i64(&h, r->end_ms);
	fp_str(&h, r->user);
	fp_str(&h, r->source_name);
	fp_str(&h, r->source_type);
	fp_str(&h, r->git_commit);
	fp_str(&h, r->git_branch);
	fp_str(&h, r->git_repo);
	fp_str(&h, r->parent_id);
	/* r->notes left out: only the run page shows them (fp_run_page). */
	fp_u64(&h, r->deleted);
	fp_kv(&h, &r->params);
	/* The tag MLflow keeps the notes in is the notes: left out with them. */
	for (size_t i = 0; i < r->tags.n; i++) {
		const struct kv *t = &r->tags.items[i];
		if (r->notes && strcmp(t->key, "mlflow.note.content") == 0 &&
		    strcmp(t->value ? t->value : "", r->notes) == 0)
			continue;
		fp_str(&h, t->key);
		fp_str(&h, t->value);
	}
	fp_u64(&h, UINT64_MAX);
	fp_u64(&h, r->nmetrics);
	for (size_t i = 0; i < r->nmetrics; i++) {
		const struct series *se = &r->metrics[i];
		const struct metric_summary *m = &se->sum;
		fp_str(&h, se->key);
		/* the points by their id (runcache.h), which a kept run keeps */
		struct points_id id;
		if (k)
			id = k->pts_id[i];
		else
			points_id_of(se->pts, se->n, &id);
		fp_u64(&h, id.n);
		XXH3_128bits_update(h.st, id.hash, sizeof id.hash);
		fp_u64(&h, m->count);
		fp_u64(&h, m->nan_count);
		fp_u64(&h, m->inf_count);
		fp_point(&h, &m->first);
		fp_point(&h, &m->last);
		fp_u64(&h, m->has_finite);
		fp_point(&h, &m->min);
		fp_point(&h, &m->max);
		if (k)
			id = k->dec_id[i];
		else
			points_id_of(se->dec, se->ndec, &id);
		fp_u64(&h, id.n);
		XXH3_128bits_update(h.st, id.hash, sizeof id.hash);
		fp_u64(&h, se->dropped);
		fp_u64(&h, se->summarized);
	}
	fp_u64(&h, r->nartifacts);
	for (size_t i = 0; i < r->nartifacts; i++) {
		fp_str(&h, r->artifacts[i].path);
		fp_i64(&h, r->artifacts[i].size);
	}
	fp_str(&h, r->artifact_dir);
	fp_u64(&h, r->ndatasets);
	for (size_t i = 0; i < r->ndatasets; i++) {
		const struct dataset_input *d = &r->datasets[i];
		const char *f[] = {d->name, d->digest, d->context, d->source_type,
		                   d->source, d->schema, d->profile};
		fp_strs(&h, f, sizeof f / sizeof f[0]);
	}
	fp_u64(&h, r->nmodels);
	for (size_t i = 0; i < r->nmodels; i++) {
		const struct logged_model *m = &r->models[i];
		const char *f[] = {m->id, m->name, m->type, m->status, m->uri};
		fp_strs(&h, f, sizeof f / sizeof f[0]);
	}
	fp_kv(&h, &r->extras);
	fp_kv(&h, &r->sources);
	XXH128_hash_t d = XXH3_128bits_digest(h.st);
	memcpy(sr->digest, &d.low64, 8);
	memcpy(sr->digest + 8, &d.high64, 8);
}
