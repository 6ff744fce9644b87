/* cache.c — the build cache: a chart whose fingerprint (chart_fingerprint:
 * every point, every option, the chart code itself) is the one the last
 * build wrote is taken from the last build's site instead of drawn again.
 *
 * The cache is an SQLite file inside the site (CACHE_FILE), one row per
 * chart file: path, fingerprint, size and what chart_describe needs. The
 * last site is only read: a cached file is hard-linked (or copied) into the
 * new site, which then replaces the old one whole as before. A missing,
 * damaged or foreign cache just means every chart is drawn. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsite/diag.h"
#include "site_internal.h"

#define CACHE_SCHEMA "runsite build cache 1"

struct cache_row {
	char *path; /* site-relative */
	char fp[CHART_FINGERPRINT_LEN + 1];
	int64_t size;
	struct chart_info info;
};

struct build_cache {
	sqlite3 *old;          /* the last build's cache, read-only; NULL: none */
	sqlite3_stmt *find;
	char *old_site, *new_site;
	pthread_mutex_t mu;    /* chart workers share it */
	struct cache_row *rows;
	size_t n, cap;
	size_t reused, drawn;
};

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
	if (ours)
		rc = sqlite3_prepare_v2(c->old,
		                        "SELECT fingerprint, size, points_total, points_drawn, log_y "
		                        "FROM charts WHERE path = ?",
		                        -1, &c->find, NULL);
	if (!ours || rc != SQLITE_OK) {
		diag_warn(path, 0, "build cache not used (%s); every chart is drawn",
		          rc != SQLITE_OK && c->old ? sqlite3_errmsg(c->old) : "not runsite's");
		sqlite3_finalize(c->find);
		c->find = NULL;
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
	if (old_site)
		open_old(c);
	return c;
}

/* Notes a chart file of this build and counts it in *counter. */
static void add_row(struct build_cache *c, const char *rel, const char *fp,
                    const struct chart_info *info, int64_t size, size_t *counter)
{
	pthread_mutex_lock(&c->mu);
	GROW(c->rows, c->cap, c->n + 1);
	struct cache_row *r = &c->rows[c->n++];
	r->path = xstrdup(rel);
	memcpy(r->fp, fp, sizeof r->fp);
	r->size = size;
	r->info = *info;
	(*counter)++;
	pthread_mutex_unlock(&c->mu);
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

int cache_reuse(struct build_cache *c, const char *rel, const char *fp, struct chart_info *info)
{
	int hit = 0;
	int64_t size = -1;
	struct chart_info got = {0};

	pthread_mutex_lock(&c->mu);
	if (c->find) {
		sqlite3_reset(c->find);
		sqlite3_bind_text(c->find, 1, rel, -1, SQLITE_STATIC);
		if (sqlite3_step(c->find) == SQLITE_ROW) {
			const char *old_fp = (const char *)sqlite3_column_text(c->find, 0);
			hit = old_fp && strcmp(old_fp, fp) == 0;
			size = sqlite3_column_int64(c->find, 1);
			got.points_total = (uint64_t)sqlite3_column_int64(c->find, 2);
			got.points_drawn = (uint64_t)sqlite3_column_int64(c->find, 3);
			got.log_y = sqlite3_column_int(c->find, 4) != 0;
		}
		sqlite3_reset(c->find);
	}
	pthread_mutex_unlock(&c->mu);
	if (!hit)
		return 0;
	/* The old file must still be the one the cache describes. */
	char *from = path_join(c->old_site, rel), *to = path_join(c->new_site, rel);
	struct stat st;
	hit = lstat(from, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == size &&
	      (link(from, to) == 0 || copy_file(from, to));
	free(from);
	free(to);
	if (hit) {
		*info = got;
		add_row(c, rel, fp, info, size, &c->reused);
	}
	return hit;
}

void cache_record(struct build_cache *c, const char *rel, const char *fp,
                  const struct chart_info *info, int64_t size)
{
	add_row(c, rel, fp, info, size, &c->drawn);
}

static int cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct cache_row *)a)->path, ((const struct cache_row *)b)->path);
}

/* Writes this build's rows into the new site's cache file, in path order
 * so the same site gives the same file. */
static int write_new(struct build_cache *c)
{
	char *path = path_join(c->new_site, CACHE_FILE);
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL;
	int ok = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ==
	         SQLITE_OK;
	ok = ok && sqlite3_exec(db,
	                        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
	                        "BEGIN;"
	                        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
	                        "INSERT INTO meta VALUES ('schema', '" CACHE_SCHEMA "');"
	                        "CREATE TABLE charts(path TEXT PRIMARY KEY, fingerprint TEXT NOT NULL,"
	                        " size INTEGER, points_total INTEGER, points_drawn INTEGER,"
	                        " log_y INTEGER) WITHOUT ROWID;",
	                        NULL, NULL, NULL) == SQLITE_OK;
	ok = ok && sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO charts VALUES (?, ?, ?, ?, ?, ?)",
	                              -1, &ins, NULL) == SQLITE_OK;
	if (c->n)
		qsort(c->rows, c->n, sizeof *c->rows, cmp_row);
	for (size_t i = 0; ok && i < c->n; i++) {
		const struct cache_row *r = &c->rows[i];
		sqlite3_bind_text(ins, 1, r->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, r->fp, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 3, r->size);
		sqlite3_bind_int64(ins, 4, (sqlite3_int64)r->info.points_total);
		sqlite3_bind_int64(ins, 5, (sqlite3_int64)r->info.points_drawn);
		sqlite3_bind_int(ins, 6, r->info.log_y);
		ok = sqlite3_step(ins) == SQLITE_DONE;
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	ok = ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
	if (!ok)
		diag_msg("%s: cannot write the build cache: %s", path,
		         db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_close(db);
	free(path);
	return ok;
}

int cache_close(struct build_cache *c, int write, size_t *reused, size_t *drawn)
{
	if (!c)
		return 1;
	int ok = !write || write_new(c);
	if (reused)
		*reused = c->reused;
	if (drawn)
		*drawn = c->drawn;
	sqlite3_finalize(c->find);
	sqlite3_close(c->old);
	for (size_t i = 0; i < c->n; i++)
		free(c->rows[i].path);
	free(c->rows);
	free(c->old_site);
	free(c->new_site);
	pthread_mutex_destroy(&c->mu);
	free(c);
	return ok;
}
