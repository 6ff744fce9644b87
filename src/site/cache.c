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
 * cache file. While the site is built, its rows wait in a private temporary
 * database (SQLite's, in its temporary folder once past its page cache), not
 * in memory, so a build's memory does not grow with its files. When the build commits into the last site in place
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
#include "runsite/hash.h"

#include "runsite/diag.h"
#include "runsite/runcache.h"
#include "site_internal.h"

#define CACHE_SCHEMA "runsite build cache 2"

/* What the last build's cache says of a file. */
struct cache_row {
	int64_t size;
	struct chart_info info;
};

/* The tables of the cache file; the rows of this build are staged in the
 * same tables (and its taken files in one more) before they are written in
 * path order. A page's own folder of files made with it are its rows of
 * page_files, reused all together with the page. */
#define CACHE_TABLES                                                                  \
	"CREATE TABLE charts(path TEXT PRIMARY KEY, fingerprint TEXT NOT NULL,"       \
	" size INTEGER, points_total INTEGER, points_drawn INTEGER,"                  \
	" log_y INTEGER) WITHOUT ROWID;"                                              \
	"CREATE TABLE pages(path TEXT PRIMARY KEY, fingerprint TEXT NOT NULL,"        \
	" size INTEGER) WITHOUT ROWID;"                                               \
	"CREATE TABLE page_files(page TEXT, path TEXT, size INTEGER,"                 \
	" PRIMARY KEY (page, path)) WITHOUT ROWID;"

/* The page cache (PRAGMA cache_size: negative, KiB) of the staging
 * database and of the cache file cache_write fills: past it, their pages go
 * to their files. The file's default (2 MB) filled up with a site of
 * 10,000 runs, on top of the build's peak. */
#define STAGE_CACHE_SIZE "-1024"

struct build_cache {
	sqlite3 *old;          /* the last build's cache, read-only; NULL: none */
	sqlite3_stmt *find, *find_page, *find_files, *find_file;
	int64_t old_mtime_ns;  /* the old cache file's: no file of its build is newer */
	bool in_place;         /* files taken stay in the old site, which the build commits into */
	char *old_site, *new_site;
	pthread_mutex_t mu;    /* chart workers share it, and the statements below */
	/* This build's rows (tables charts, pages, page_files; in place, taken:
	 * the old site's files it keeps), in a private temporary database
	 * inside one transaction; NULL when it could not be opened. */
	sqlite3 *stage;
	sqlite3_stmt *put_chart, *put_page, *put_file, *put_taken, *has_taken;
	char *stage_error;     /* the first error staging a row, reported by cache_write */
	size_t reused, drawn;
	size_t pages_reused, pages_made;
	/* pages made again: rows and band means taken from their last files, and made */
	size_t rows_taken, rows_made, means_taken, means_binned;
	struct runcache *runs; /* the runs kept between builds (runcache.h) */
	/* What the new site lists (its run files and every row staged), by the
	 * 128-bit hash of the path, made at the first cache_lists: the commit
	 * asks for every file of the site. */
	struct listed *listed;
};

static int binary_salt(char out[33]);
struct listed;
static void listed_free(struct listed *l);

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
	if (ours && rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(c->old,
		                        "SELECT size FROM page_files WHERE page = ? AND path = ?",
		                        -1, &c->find_file, NULL);
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
		sqlite3_finalize(c->find_file);
		c->find = c->find_page = c->find_files = c->find_file = NULL;
		sqlite3_close(c->old);
		c->old = NULL;
	}
	free(path);
}

/* Opens c->stage with its tables and statements, a transaction begun; or
 * notes why it could not be. */
static void open_stage(struct build_cache *c)
{
	sqlite3 *db = NULL;
	int ok = sqlite3_open_v2("", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ==
	         SQLITE_OK;
	ok = ok && sqlite3_exec(db,
	                        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
	                        "PRAGMA cache_size = " STAGE_CACHE_SIZE ";" CACHE_TABLES
	                        "CREATE TABLE taken(path TEXT PRIMARY KEY) WITHOUT ROWID;"
	                        "BEGIN;",
	                        NULL, NULL, NULL) == SQLITE_OK;
	struct {
		sqlite3_stmt **q;
		const char *sql;
	} stmts[] = {
	        {&c->put_chart, "INSERT OR REPLACE INTO charts VALUES (?, ?, ?, ?, ?, ?)"},
	        {&c->put_page, "INSERT OR REPLACE INTO pages VALUES (?, ?, ?)"},
	        {&c->put_file, "INSERT OR REPLACE INTO page_files VALUES (?, ?, ?)"},
	        {&c->put_taken, "INSERT OR IGNORE INTO taken VALUES (?)"},
	        {&c->has_taken, "SELECT 1 FROM taken WHERE path = ?"},
	};
	for (size_t i = 0; ok && i < sizeof stmts / sizeof stmts[0]; i++)
		ok = sqlite3_prepare_v2(db, stmts[i].sql, -1, stmts[i].q, NULL) == SQLITE_OK;
	c->stage = db;
	if (!ok) {
		c->stage_error = xstrdup(db ? sqlite3_errmsg(db) : "out of memory");
		c->stage = NULL;
		for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
			sqlite3_finalize(*stmts[i].q);
			*stmts[i].q = NULL;
		}
		sqlite3_close(db);
	}
}

/* Runs q (bound by the caller) to its end and resets it; 0 after noting
 * the first error in c->stage_error. c->mu held. */
static int stage_step(struct build_cache *c, sqlite3_stmt *q)
{
	int ok = sqlite3_step(q) == SQLITE_DONE;
	sqlite3_reset(q);
	if (!ok && !c->stage_error)
		c->stage_error = xstrdup(sqlite3_errmsg(c->stage));
	return ok;
}

/* Whether query q (one path parameter) finds rel. c->mu held. */
static int stage_has(sqlite3_stmt *q, const char *rel)
{
	if (!q)
		return 0;
	sqlite3_bind_text(q, 1, rel, -1, SQLITE_STATIC);
	int found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_reset(q);
	return found;
}

struct build_cache *cache_open(const char *old_site, const char *new_site)
{
	struct build_cache *c = xcalloc(1, sizeof *c);
	c->old_site = old_site ? xstrdup(old_site) : NULL;
	c->new_site = xstrdup(new_site);
	pthread_mutex_init(&c->mu, NULL);
	open_stage(c);
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
	return 1;
}

struct file_list {
	char **paths;
	int64_t *sizes;
	size_t n, cap;
};

static void file_list_free(struct file_list *l);

/* Stages the row of a file of this build (st: its stat in the new site) and
 * counts it in *counter; a page's files (may be NULL) are staged with it
 * and emptied. Built in place, a file taken stays in the old site: noted
 * (table taken, with note_taken), for the folder of a page made around it
 * (cache_record_page_dir); a kept run's files, in its own folder
 * runs/<slug>/, are no page's own and are not noted. */
static void add_row_files_locked(struct build_cache *c, const char *rel, const char *fp,
                                 bool page, const struct chart_info *info,
                                 const struct stat *st, size_t *counter,
                                 struct file_list *files, bool note_taken)
{
	int ok = c->stage != NULL;
	if (ok) {
		sqlite3_stmt *q = page ? c->put_page : c->put_chart;
		sqlite3_bind_text(q, 1, rel, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, fp, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, (sqlite3_int64)st->st_size);
		if (!page) {
			struct chart_info none;
			memset(&none, 0, sizeof none);
			const struct chart_info *in = info ? info : &none;
			sqlite3_bind_int64(q, 4, (sqlite3_int64)in->points_total);
			sqlite3_bind_int64(q, 5, (sqlite3_int64)in->points_drawn);
			sqlite3_bind_int(q, 6, in->log_y);
		}
		ok = stage_step(c, q);
	}
	for (size_t i = 0; ok && files && i < files->n; i++) {
		sqlite3_bind_text(c->put_file, 1, rel, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->put_file, 2, files->paths[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(c->put_file, 3, files->sizes[i]);
		ok = stage_step(c, c->put_file);
	}
	if (ok && note_taken && c->in_place &&
	    (counter == &c->reused || counter == &c->pages_reused)) {
		sqlite3_bind_text(c->put_taken, 1, rel, -1, SQLITE_STATIC);
		ok = stage_step(c, c->put_taken);
		for (size_t i = 0; ok && files && i < files->n; i++) {
			sqlite3_bind_text(c->put_taken, 1, files->paths[i], -1, SQLITE_STATIC);
			ok = stage_step(c, c->put_taken);
		}
	}
	if (files)
		file_list_free(files);
	(*counter)++;
}

static void add_row_files(struct build_cache *c, const char *rel, const char *fp, bool page,
                          const struct chart_info *info, const struct stat *st,
                          size_t *counter, struct file_list *files)
{
	pthread_mutex_lock(&c->mu);
	add_row_files_locked(c, rel, fp, page, info, st, counter, files, true);
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
static int lookup_locked(struct build_cache *c, sqlite3_stmt *q, const char *rel,
                         const char *fp, struct cache_row *want)
{
	int hit = 0;
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
	return hit;
}

static int lookup(struct build_cache *c, sqlite3_stmt *q, const char *rel, const char *fp,
                  struct cache_row *want)
{
	pthread_mutex_lock(&c->mu);
	int hit = lookup_locked(c, q, rel, fp, want);
	pthread_mutex_unlock(&c->mu);
	return hit;
}

/* Puts the last site's file rel into the new site when it is still the
 * file the cache describes (want): a regular file of that size, not written
 * since the cache was. Built in place, the file is left where it is. *st
 * gets its stat. */
static int take_old_at(struct build_cache *c, int dfd, const char *rel,
                       const struct cache_row *want, struct stat *st)
{
	/* dfd: rel's folder in the old site, open: only its name is looked up */
	const char *name = strrchr(rel, '/');
	int got = dfd >= 0 && name ? fstatat(dfd, name + 1, st, AT_SYMLINK_NOFOLLOW) : -1;
	char *from = NULL;
	if (dfd < 0 || !name) {
		from = path_join(c->old_site, rel);
		got = lstat(from, st);
	}
	int hit = got == 0 && S_ISREG(st->st_mode) && st->st_size == want->size &&
	          mtime_ns(st) <= c->old_mtime_ns;
	if (c->in_place) {
		free(from);
		return hit;
	}
	if (!from)
		from = path_join(c->old_site, rel);
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

static int take_old(struct build_cache *c, const char *rel, const struct cache_row *want,
                    struct stat *st)
{
	return take_old_at(c, -1, rel, want, st);
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

int cache_reuse_kept(struct build_cache *c, const struct kept_file *files, size_t n)
{
	/* One lock for them all, and each file's folder opened once: a kept run's
	 * dozen files lie in its one folder, and its restore is most of what an
	 * unchanged rebuild does per run. */
	int dfd = -1, ok = 1;
	const char *dir = NULL;
	size_t dirlen = 0;
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < n && ok; i++) {
		const char *rel = files[i].rel;
		const char *slash = strrchr(rel, '/');
		size_t len = slash ? (size_t)(slash - rel) : 0;
		if (slash && (!dir || len != dirlen || strncmp(dir, rel, len) != 0)) {
			if (dfd >= 0)
				close(dfd);
			char *sub = xstrndup(rel, len);
			char *path = path_join(c->old_site, sub);
			dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_PATH);
			free(path);
			free(sub);
			dir = rel;
			dirlen = len;
		}
		struct cache_row want;
		memset(&want, 0, sizeof want);
		struct stat st;
		ok = lookup_locked(c, c->find, rel, files[i].fp, &want) &&
		     take_old_at(c, slash ? dfd : -1, rel, &want, &st);
		if (ok)
			add_row_files_locked(c, rel, files[i].fp, false, &want.info, &st, &c->reused,
			                     NULL, false);
	}
	pthread_mutex_unlock(&c->mu);
	if (dfd >= 0)
		close(dfd);
	return ok;
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
 * (charts and pages together, each page's files after it) so the same site
 * gives the same file. */
int cache_write(struct build_cache *c)
{
	char *path = path_join(c->new_site, CACHE_FILE);
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL, *ins_page = NULL, *ins_file = NULL;
	sqlite3_stmt *rows = NULL, *files = NULL;
	pthread_mutex_lock(&c->mu);
	const char *error = c->stage_error;
	int ok = !error;
	ok = ok && sqlite3_prepare_v2(c->stage,
	                              "SELECT path, fingerprint, size, points_total, points_drawn,"
	                              " log_y, 0 FROM charts UNION ALL"
	                              " SELECT path, fingerprint, size, 0, 0, 0, 1 FROM pages"
	                              " ORDER BY 1",
	                              -1, &rows, NULL) == SQLITE_OK;
	ok = ok && sqlite3_prepare_v2(c->stage,
	                              "SELECT path, size FROM page_files WHERE page = ?"
	                              " ORDER BY path",
	                              -1, &files, NULL) == SQLITE_OK;
	if (!ok && !error)
		error = sqlite3_errmsg(c->stage);
	ok = ok && sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ==
	                   SQLITE_OK;
	ok = ok && sqlite3_exec(db,
	                        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
	                        "PRAGMA cache_size = " STAGE_CACHE_SIZE ";"
	                        "BEGIN;"
	                        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
	                        "INSERT INTO meta VALUES ('schema', '" CACHE_SCHEMA "');" CACHE_TABLES
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
	int rc = SQLITE_DONE;
	while (ok && (rc = sqlite3_step(rows)) == SQLITE_ROW) {
		bool page = sqlite3_column_int(rows, 6) != 0;
		sqlite3_stmt *q = page ? ins_page : ins;
		for (int k = 0; k < (page ? 3 : 6); k++)
			sqlite3_bind_value(q, k + 1, sqlite3_column_value(rows, k));
		ok = sqlite3_step(q) == SQLITE_DONE;
		sqlite3_reset(q);
		if (!page)
			continue;
		sqlite3_bind_value(files, 1, sqlite3_column_value(rows, 0));
		while (ok && (rc = sqlite3_step(files)) == SQLITE_ROW) {
			sqlite3_bind_value(ins_file, 1, sqlite3_column_value(rows, 0));
			sqlite3_bind_value(ins_file, 2, sqlite3_column_value(files, 0));
			sqlite3_bind_value(ins_file, 3, sqlite3_column_value(files, 1));
			ok = sqlite3_step(ins_file) == SQLITE_DONE;
			sqlite3_reset(ins_file);
		}
		sqlite3_reset(files);
		if (ok && rc != SQLITE_DONE) {
			ok = 0;
			error = sqlite3_errmsg(c->stage);
		}
		rc = SQLITE_DONE;
	}
	if (ok && rc != SQLITE_DONE) {
		ok = 0;
		error = sqlite3_errmsg(c->stage);
	}
	sqlite3_finalize(rows);
	sqlite3_finalize(files);
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
		         error ? error : db ? sqlite3_errmsg(db) : "out of memory");
	pthread_mutex_unlock(&c->mu);
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
	if (getenv("RUNSITE_PHASES")) {
		fprintf(stderr, "rows taken from the last build: %zu; made: %zu\n", c->rows_taken,
		        c->rows_made);
		fprintf(stderr, "band means taken from the last build: %zu; binned: %zu\n",
		        c->means_taken, c->means_binned);
	}
	sqlite3_finalize(c->find);
	sqlite3_finalize(c->find_page);
	sqlite3_finalize(c->find_files);
	sqlite3_finalize(c->find_file);
	sqlite3_close(c->old);
	sqlite3_stmt *stage_stmts[] = {c->put_chart, c->put_page, c->put_file, c->put_taken,
	                               c->has_taken};
	for (size_t i = 0; i < sizeof stage_stmts / sizeof stage_stmts[0]; i++)
		sqlite3_finalize(stage_stmts[i]);
	sqlite3_close(c->stage); /* a private temporary database: gone with it */
	free(c->stage_error);
	listed_free(c->listed);
	runcache_free(c->runs);
	free(c->old_site);
	free(c->new_site);
	pthread_mutex_destroy(&c->mu);
	free(c);
	return ok;
}

/* A set of paths by their 128-bit hashes (open addressing, at most three
 * quarters full: at 10,000 runs its ~150,000 paths take 4 MB, not 8; an
 * empty slot is all zero, a hash that is all zero is never added). */
struct listed {
	XXH128_hash_t *slot;
	size_t n, cap;
};

static XXH128_hash_t listed_hash(const char *rel)
{
	XXH128_hash_t h = XXH3_128bits(rel, strlen(rel));
	if (!h.low64 && !h.high64)
		h.low64 = 1;
	return h;
}

static size_t listed_find(const XXH128_hash_t *slot, size_t cap, XXH128_hash_t h)
{
	size_t i = (size_t)h.low64 & (cap - 1);
	while ((slot[i].low64 || slot[i].high64) && !XXH128_isEqual(slot[i], h))
		i = (i + 1) & (cap - 1);
	return i;
}

static void listed_add(struct listed *l, const char *rel)
{
	if ((l->n + 1) * 4 > l->cap * 3) {
		size_t cap = l->cap ? l->cap * 2 : 4096;
		XXH128_hash_t *slot = xcalloc(cap, sizeof *slot);
		for (size_t i = 0; i < l->cap; i++)
			if (l->slot[i].low64 || l->slot[i].high64)
				slot[listed_find(slot, cap, l->slot[i])] = l->slot[i];
		free(l->slot);
		l->slot = slot;
		l->cap = cap;
	}
	XXH128_hash_t h = listed_hash(rel);
	size_t i = listed_find(l->slot, l->cap, h);
	if (!l->slot[i].low64 && !l->slot[i].high64) {
		l->slot[i] = h;
		l->n++;
	}
}

static int listed_has(const struct listed *l, const char *rel)
{
	if (!l->cap)
		return 0;
	size_t i = listed_find(l->slot, l->cap, listed_hash(rel));
	return l->slot[i].low64 || l->slot[i].high64;
}

static void listed_free(struct listed *l)
{
	if (l)
		free(l->slot);
	free(l);
}

static void list_run_file(void *ctx, const char *rel)
{
	listed_add(ctx, rel);
}

int cache_lists(struct build_cache *c, const char *rel)
{
	if (!c)
		return 0;
	pthread_mutex_lock(&c->mu);
	/* Asked only while the build commits, when every run has been kept
	 * and every row staged: one pass over them, not a query a file. */
	if (!c->listed) {
		c->listed = xcalloc(1, sizeof *c->listed);
		runcache_files(c->runs, list_run_file, c->listed);
		sqlite3_stmt *q = NULL;
		if (c->stage &&
		    sqlite3_prepare_v2(c->stage,
		                       "SELECT path FROM charts UNION ALL SELECT path FROM pages"
		                       " UNION ALL SELECT path FROM page_files",
		                       -1, &q, NULL) == SQLITE_OK)
			while (sqlite3_step(q) == SQLITE_ROW) {
				const char *p = (const char *)sqlite3_column_text(q, 0);
				if (p)
					listed_add(c->listed, p);
			}
		sqlite3_finalize(q);
	}
	int listed = listed_has(c->listed, rel);
	pthread_mutex_unlock(&c->mu);
	return listed;
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
	int taken = stage_has(c->has_taken, rel);
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

void cache_count_taken(struct build_cache *c, bool means, size_t taken, size_t made)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	*(means ? &c->means_taken : &c->rows_taken) += taken;
	*(means ? &c->means_binned : &c->rows_made) += made;
	pthread_mutex_unlock(&c->mu);
}

int cache_old_page_file(struct build_cache *c, const char *page, const char *rel)
{
	if (!c || !c->find_file)
		return -1;
	int64_t size = -1;
	pthread_mutex_lock(&c->mu);
	sqlite3_reset(c->find_file);
	sqlite3_bind_text(c->find_file, 1, page, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->find_file, 2, rel, -1, SQLITE_STATIC);
	if (sqlite3_step(c->find_file) == SQLITE_ROW)
		size = sqlite3_column_int64(c->find_file, 0);
	sqlite3_reset(c->find_file);
	pthread_mutex_unlock(&c->mu);
	if (size < 0)
		return -1;
	char *path = path_join(c->old_site, rel);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != size ||
	                mtime_ns(&st) > c->old_mtime_ns)) {
		close(fd);
		fd = -1;
	}
	return fd;
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
 * other built-in templates and assets) is never taken from the cache. The
 * linker's build ID is such a digest already, so the 3 MB binary is read
 * and hashed only when it has none. All zero when the binary cannot be
 * read: then no page is reused. */
static unsigned char code_id[16];
static bool code_id_ok;
static pthread_once_t code_once = PTHREAD_ONCE_INIT;

static void code_id_init(void)
{
	unsigned char id[64];
	size_t n = program_build_id(id, sizeof id);
	struct buf b = BUF_INIT;
	if (n || (read_file("/proc/self/exe", &b, (size_t)1 << 30) && b.size)) {
		XXH128_hash_t h = n ? XXH3_128bits(id, n) : XXH3_128bits(b.data, b.size);
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

static void fp_points_id(struct page_fp *h, const struct points_id *id)
{
	fp_u64(h, id->n);
	XXH3_128bits_update(h->st, id->hash, sizeof id->hash);
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
		else if (!runcache_keep_points_id(sr->keep, se->pts, se->n, &id))
			points_id_of(se->pts, se->n, &id);
		fp_points_id(&h, &id);
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
		fp_points_id(&h, &id);
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
