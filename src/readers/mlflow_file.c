/* mlflow_file.c — reads an MLflow FileStore (`mlruns/`): experiments, runs,
 * metric histories, params, tags, artifacts, dataset inputs and MLflow 3
 * logged models. Layout and quirks: shared/formats/mlflow-clearml-wandb.md §1.
 *
 * The store is only read: files are opened O_RDONLY, directory listings are
 * sorted (readdir order is not stable), and a symbolic link is followed only
 * when it stays inside the store. Runs are streamed one at a time. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsite/diag.h"
#include "runsite/fsview.h"
#include "runsite/mapfile.h"
#include "runsite/reader.h"
#include "runsite/util.h"
#include "mlflow_tags.h"
#include "mlflow_text.h"

#define FORMAT_NAME "mlflow-file"
#define META "meta.yaml"
#define META_MAX (1u << 20)        /* a meta.yaml is a few hundred bytes */
#define VALUE_MAX (16u << 20)      /* a param or tag file (notes, JSON) */
#define CHUNK (128u << 10)         /* metric files are read in chunks this big */
#define MAP_MIN (1u << 20)         /* metric files this big are mapped instead */
#define MAP_STEP (1u << 20)        /* and parsed this much at a time */
#define WALK_DEPTH_MAX 32          /* nested folders in metrics/, params/, artifacts/ ... */
#define ARTIFACTS_MAX 100000       /* files listed per run */
#define PARALLEL_MIN_BYTES (256u << 10) /* metrics of a run worth a second thread */

/* Experiment subfolders that are not runs (RESERVED_EXPERIMENT_FOLDERS). */
static const char *const reserved_exp_dirs[] = {"tags", "datasets", "traces", "models", NULL};

static const char *const run_status_names[] = {NULL, "RUNNING", "SCHEDULED", "FINISHED",
                                               "FAILED", "KILLED"};
static const char *const model_status_names[] = {"UNSPECIFIED", "PENDING", "READY", "FAILED"};

enum kind { KIND_NONE, KIND_FILE, KIND_DIR, KIND_OTHER };

/* An MLflow 3 logged model of the current experiment. */
struct exp_model {
	char *id, *name, *type, *status, *uri, *source_run_id;
};

struct ctx {
	const struct reader_opts *opts;
	struct run_sink *sink;
	const char *store;   /* the path as given, stored in each run */
	char *root_real;     /* realpath of the folder links may not leave */
	size_t root_len;
	char *chunk;         /* CHUNK-sized metric read buffer, grown for very long lines */
	size_t chunkcap;
	bool quiet;          /* walks report nothing, only set noted */
	bool noted;
	struct metric_pool *pool;  /* the second metrics thread, once a run is big enough */
	bool pool_failed;
	const char *next_run; /* the run folder read after this one, or NULL */
	struct metric_batch *ahead; /* its metrics, walked and queued ahead */
	long ncpu;
	long delivered;
	bool stop;
	/* the experiment being read */
	char *exp_dir;
	char *exp_id;
	char *exp_name;
	bool exp_deleted;
	struct exp_model *models;
	size_t nmodels, capmodels;
};

/* True when the real path of path lies inside the store. */
static int inside_store(const struct ctx *c, const char *path)
{
	char *real = realpath(path, NULL);
	if (!real)
		return 0;
	int ok = strncmp(real, c->root_real, c->root_len) == 0 &&
	         (real[c->root_len] == '/' || real[c->root_len] == '\0' ||
	          (c->root_len == 1 && c->root_real[0] == '/'));
	free(real);
	return ok;
}

/* What path is, without following a link that leaves the store (reported).
 * *size gets the file size when not NULL. */
static enum kind entry_kind(struct ctx *c, const char *path, int64_t *size)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		/* Missing is normal; unreadable (a folder without permission) is data lost. */
		if (errno != ENOENT && errno != ENOTDIR) {
			c->noted = true;
			if (!c->quiet)
				diag_warn(path, 0, "cannot read: %s", strerror(errno));
		}
		return KIND_NONE;
	}
	if (S_ISLNK(st.st_mode)) {
		if (!inside_store(c, path)) {
			c->noted = true;
			if (!c->quiet)
				diag_warn(path, 0, "symbolic link leads outside the store; not followed");
			return KIND_OTHER;
		}
		if (stat(path, &st) != 0)
			return KIND_NONE;
	}
	if (size)
		*size = (int64_t)st.st_size;
	if (S_ISREG(st.st_mode))
		return KIND_FILE;
	if (S_ISDIR(st.st_mode))
		return KIND_DIR;
	/* A FIFO would block the reading, a device never end it. */
	c->noted = true;
	if (!c->quiet)
		diag_warn(path, 0, "%s, not a regular file; left out", file_kind_name(st.st_mode));
	return KIND_OTHER;
}

/* The names in dir (without "." and ".."), sorted by strcmp. Returns the
 * count and sets *names (free with free_names()); 0 when the folder cannot
 * be read, with errno set (reported unless it is missing). */
static size_t list_dir(const char *dir, char ***names)
{
	size_t n = 0;
	*names = list_dir_sorted(dir, &n);
	if (*names)
		errno = 0;
	else if (errno != ENOENT && errno != ENOTDIR)
		diag_warn(dir, 0, "cannot list the folder: %s; what it holds is left out",
		          strerror(errno));
	return n;
}

/* Reads and parses path/meta.yaml into kv. Returns 1 when read, 0 when it is
 * missing (silent: not every folder is a run), -1 when unreadable or not
 * YAML (reported). */
static int read_meta(struct ctx *c, const char *dir, struct kvlist *kv)
{
	char *path = path_join(dir, META);
	struct buf b = BUF_INIT;
	int rc = 0;
	enum kind k = entry_kind(c, path, NULL);
	if (k == KIND_NONE)
		goto out;
	rc = -1;
	if (k == KIND_DIR)
		diag_warn(path, 0, "not a regular file; skipped");
	if (k != KIND_FILE)
		goto out; /* entry_kind said why when not a folder */
	if (!read_file(path, &b, META_MAX)) {
		diag_warn(path, 0, "cannot read: %s", strerror(errno));
		goto out;
	}
	int prc = mlflow_yaml_parse(b.data ? b.data : "", b.size, path, kv);
	if (prc == 0)
		diag_warn(path, 0, "empty; skipped");
	if (prc == 1)
		rc = 1;
out:
	buf_free(&b);
	free(path);
	return rc;
}

/* A copy of the value of key when present and not empty, else NULL. */
static char *dup_nonempty(const char *v)
{
	return v && *v ? xstrdup(v) : NULL;
}

/* Milliseconds from an integer meta.yaml field, or TIME_UNKNOWN. */
static int64_t meta_time(const struct kvlist *kv, const char *key)
{
	const char *v = kvlist_get(kv, key);
	int64_t t;
	if (v && mlflow_parse_int(v, v + strlen(v), &t))
		return t;
	return TIME_UNKNOWN;
}

typedef void (*file_fn)(struct ctx *c, const char *path, const char *rel, int64_t size,
                        void *arg);

/* Calls fn for every regular file below dir, in sorted order, with its path
 * relative to dir ('/'-separated). *budget counts files down; walking stops
 * at 0. Depth is capped (reported). */
static void walk_files(struct ctx *c, const char *dir, const char *rel, int depth, file_fn fn,
                       void *arg, size_t *budget)
{
	if (depth > WALK_DEPTH_MAX) {
		c->noted = true;
		if (!c->quiet)
			diag_warn(dir, 0, "folders nested more than %d deep; not read", WALK_DEPTH_MAX);
		return;
	}
	char **names;
	size_t n = list_dir(dir, &names);
	for (size_t i = 0; i < n && *budget > 0; i++) {
		char *path = path_join(dir, names[i]);
		char *r = *rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		int64_t size = 0;
		enum kind k = entry_kind(c, path, &size);
		if (k == KIND_FILE) {
			(*budget)--;
			fn(c, path, r, size, arg);
		} else if (k == KIND_DIR) {
			walk_files(c, path, r, depth + 1, fn, arg, budget);
		}
		free(r);
		free(path);
	}
	free_names(names, n);
}

/* Adds a param or tag file: the whole file is the value. */
static void add_value_file(struct ctx *c, const char *path, const char *rel, int64_t size,
                           void *arg)
{
	struct kvlist *l = arg;
	struct buf b = BUF_INIT;
	if (!read_file(path, &b, VALUE_MAX)) {
		diag_warn(path, 0, "cannot read: %s", errno == EFBIG ? "larger than 16 MiB" :
		                                                        strerror(errno));
	} else {
		kvlist_add(l, rel, buf_cstr(&b));
	}
	buf_free(&b);
}

/* Reads every key/value file below dir into l. */
static void read_values(struct ctx *c, const char *dir, struct kvlist *l)
{
	size_t budget = SIZE_MAX;
	walk_files(c, dir, "", 0, add_value_file, l, &budget);
}

/* ---- metrics: files parsed by two threads, warnings in key order ----
 *
 * The metrics files of a run are jobs that both threads take in order. While
 * a run's files are being parsed, the main thread walks the next run's
 * metrics folder (quietly) and queues its files too, so the worker goes on
 * while the main thread finishes and delivers a run. Jobs are parsed
 * silently; a file with something to report is parsed again on the main
 * thread, in key order, when its run is read, so warnings come out as in a
 * serial read. At most two runs' points are held at once. */

/* One metrics file. */
struct metric_job {
	char *path;
	char *key;
	int64_t size;
	struct series s;     /* the points (pts, n, cap), until moved into the run */
	bool report;         /* found something to report (a bad line, an I/O error) */
	bool partial;        /* only a half-written last line: to report unless running */
};

/* The metrics files of one run folder. */
struct metric_batch {
	char *dir;           /* the metrics folder walked */
	struct metric_job *items;
	size_t n, cap;
	int64_t bytes;
	size_t next;         /* first job not yet taken (under the lock) */
	size_t done;         /* jobs finished (under the lock) */
	bool noted;          /* the quiet walk met something to report: walk again */
};

/* The worker thread and the queue of batches both threads take jobs from. */
struct metric_pool {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work;   /* a job was queued, or quit */
	pthread_cond_t done;   /* a job was finished */
	struct metric_batch *q[2]; /* the run being read, then the next one */
	size_t nq;
	bool quit;
	char *chunk;           /* the worker's read buffer */
	size_t chunkcap;
};

/* Reads the file of j into j->s with the read buffer (*chunk, *chunkcap).
 * Silent: only sets j->report / j->partial; otherwise problems are reported. */
static void read_metric_chunks(struct metric_job *j, int fd, struct mlflow_metrics *m,
                               bool silent, char **chunk, size_t *chunkcap)
{
	size_t have = 0;
	for (;;) {
		if (have == *chunkcap) {
			/* One line longer than the buffer: grow it. */
			*chunkcap *= 2;
			*chunk = xrealloc(*chunk, *chunkcap);
		}
		ssize_t got = read(fd, *chunk + have, *chunkcap - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			if (silent)
				j->report = true;
			else
				diag_warn(j->path, 0, "read error: %s", strerror(errno));
			break;
		}
		have += (size_t)got;
		bool final = got == 0;
		size_t used = mlflow_metrics_parse(m, *chunk, have, final, &j->s);
		if (final)
			break;
		memmove(*chunk, *chunk + used, have - used);
		have -= used;
	}
}

/* Parses the file of j (open as fd) mapped, when it is big enough and can be:
 * no copy of its bytes, and the pages of each MAP_STEP bytes mapped in one
 * call rather than a fault each, then let go once parsed (so the file never
 * counts whole in the process's memory). A file shortened under the mapping
 * (SIGBUS, see runsite/mapfile.h) keeps the points of the steps before.
 * Returns false when it was not mapped (nothing parsed). */
static bool parse_mapped(struct metric_job *j, int fd, struct mlflow_metrics *m, bool silent)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size < MAP_MIN || (uint64_t)st.st_size > SIZE_MAX)
		return false;
	size_t size = (size_t)st.st_size, pg = (size_t)sysconf(_SC_PAGESIZE);
	const char *data = mapfile_map(fd, size);
	if (!data)
		return false;
	sigjmp_buf jb;
	mapfile_guard(data, size, &jb);
	if (sigsetjmp(jb, 0) == 0) {
		size_t off = 0, len = MAP_STEP, dropped = 0;
		for (;;) {
			len = len < size - off ? len : size - off;
			bool final = off + len == size;
#ifdef MADV_POPULATE_READ
			size_t a = off / pg * pg; /* only a hint: faults otherwise */
			madvise((void *)(data + a), off + len - a, MADV_POPULATE_READ);
#endif
			size_t used = mlflow_metrics_parse(m, data + off, len, final, &j->s);
			if (final)
				break;
			/* a line longer than a step: the rest in one */
			len = used ? MAP_STEP : size - off;
			off += used;
			size_t below = off / pg * pg;
			if (below > dropped) {
				madvise((void *)(data + dropped), below - dropped, MADV_DONTNEED);
				dropped = below;
			}
		}
	} else if (silent) {
		j->report = true;
	} else {
		diag_warn(j->path, 0, "the file was shortened while being read; kept the %zu points "
		          "before line %zu", j->s.n, m->line + 1);
	}
	mapfile_unguard();
	mapfile_unmap((void *)data, size);
	return true;
}

/* Reads one metrics file into j->s in chunks with the read buffer (*chunk,
 * *chunkcap). Silent: reports nothing, only sets j->report and j->partial;
 * otherwise problems are reported as found. */
static void parse_metric_file(struct metric_job *j, bool running, bool silent, char **chunk,
                              size_t *chunkcap)
{
	struct mlflow_metrics m = {0};
	m.path = j->path;
	m.quiet_partial = running;
	m.silent = silent;
	j->report = j->partial = false;
	int fd = open(j->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (silent)
			j->report = true;
		else
			diag_warn(j->path, 0, "cannot open: %s", strerror(errno));
		return;
	}
	/* Lines are about 30 bytes: reserve once instead of growing by doubling. */
	struct series *s = &j->s;
	if (j->size > 0 && (uint64_t)j->size / 24 > s->cap && (uint64_t)j->size / 24 < (1u << 28)) {
		GROW(s->pts, s->cap, s->n + (size_t)j->size / 24);
		huge_pages(s->pts, s->cap * sizeof *s->pts); /* 6,000 faults a million points otherwise */
	}
	if (!parse_mapped(j, fd, &m, silent))
		read_metric_chunks(j, fd, &m, silent, chunk, chunkcap);
	close(fd);
	if (silent) {
		j->report |= m.bad > 0;
		j->partial = m.partial;
	}
	mlflow_metrics_end(&m);
}

/* Collects a metrics file; parsing comes after the walk. */
static void add_metric_job(struct ctx *c, const char *path, const char *rel, int64_t size,
                           void *arg)
{
	struct metric_batch *b = arg;
	GROW(b->items, b->cap, b->n + 1);
	struct metric_job *j = &b->items[b->n++];
	memset(j, 0, sizeof *j);
	j->path = xstrdup(path);
	j->key = xstrdup(rel);
	j->size = size;
	b->bytes += size;
}

/* Walks the metrics folder dir into a new batch. Quiet: nothing is reported,
 * b->noted says whether something would have been. */
static struct metric_batch *walk_metrics(struct ctx *c, const char *dir, bool quiet)
{
	struct metric_batch *b = xcalloc(1, sizeof *b);
	size_t budget = SIZE_MAX;
	b->dir = xstrdup(dir);
	c->quiet = quiet;
	c->noted = false;
	walk_files(c, dir, "", 0, add_metric_job, b, &budget);
	b->noted = c->noted;
	c->quiet = false;
	return b;
}

static void batch_free(struct metric_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		free(b->items[i].path);
		free(b->items[i].key);
		free(b->items[i].s.pts);
	}
	free(b->items);
	free(b->dir);
	free(b);
}

/* Takes the next job of the queue (earlier runs first), setting *from to its
 * batch; NULL when none is left. Called with the lock held. */
static struct metric_job *take_job(struct metric_pool *pl, struct metric_batch **from)
{
	for (size_t k = 0; k < pl->nq; k++) {
		struct metric_batch *b = pl->q[k];
		if (b->next < b->n) {
			struct metric_job *j = &b->items[b->next++];
			*from = b;
			return j;
		}
	}
	return NULL;
}

/* Parses job j of batch b silently and marks it done. Called with the lock
 * held, which it drops while parsing. */
static void run_job(struct metric_pool *pl, struct metric_batch *b, struct metric_job *j,
                    char **chunk, size_t *chunkcap)
{
	pthread_mutex_unlock(&pl->mu);
	parse_metric_file(j, false, true, chunk, chunkcap);
	pthread_mutex_lock(&pl->mu);
	b->done++;
	pthread_cond_signal(&pl->done);
}

/* The worker: takes jobs until told to quit. */
static void *metric_worker(void *arg)
{
	struct metric_pool *pl = arg;
	pthread_mutex_lock(&pl->mu);
	while (!pl->quit) {
		struct metric_batch *b;
		struct metric_job *j = take_job(pl, &b);
		if (j)
			run_job(pl, b, j, &pl->chunk, &pl->chunkcap);
		else
			pthread_cond_wait(&pl->work, &pl->mu);
	}
	pthread_mutex_unlock(&pl->mu);
	return NULL;
}

/* Starts the worker thread; false when there is no second core or the thread
 * cannot be made (everything is then parsed on this thread). */
static bool pool_start(struct ctx *c)
{
	if (c->pool)
		return true;
	if (c->ncpu < 2 || c->pool_failed)
		return false;
	struct metric_pool *pl = xcalloc(1, sizeof *pl);
	pthread_mutex_init(&pl->mu, NULL);
	pthread_cond_init(&pl->work, NULL);
	pthread_cond_init(&pl->done, NULL);
	pl->chunkcap = CHUNK;
	pl->chunk = xmalloc(pl->chunkcap);
	if (pthread_create(&pl->thread, NULL, metric_worker, pl) != 0) {
		pthread_mutex_destroy(&pl->mu);
		pthread_cond_destroy(&pl->work);
		pthread_cond_destroy(&pl->done);
		free(pl->chunk);
		free(pl);
		c->pool_failed = true;
		return false;
	}
	c->pool = pl;
	return true;
}

/* Queues batch b behind those queued (at most two). */
static void pool_push(struct metric_pool *pl, struct metric_batch *b)
{
	pthread_mutex_lock(&pl->mu);
	pl->q[pl->nq++] = b;
	pthread_cond_signal(&pl->work);
	pthread_mutex_unlock(&pl->mu);
}

/* Parses on this thread whatever jobs are left until every job of b is done,
 * then takes b off the queue. Jobs of a later batch are taken too once b has
 * none left, rather than waiting idle. */
static void pool_finish(struct ctx *c, struct metric_pool *pl, struct metric_batch *b)
{
	pthread_mutex_lock(&pl->mu);
	while (b->done < b->n) {
		struct metric_batch *from;
		struct metric_job *j = take_job(pl, &from);
		if (j)
			run_job(pl, from, j, &c->chunk, &c->chunkcap);
		else
			pthread_cond_wait(&pl->done, &pl->mu);
	}
	for (size_t k = 0; k < pl->nq; k++) {
		if (pl->q[k] == b) {
			memmove(&pl->q[k], &pl->q[k + 1], (pl->nq - k - 1) * sizeof *pl->q);
			pl->nq--;
			break;
		}
	}
	pthread_mutex_unlock(&pl->mu);
}

/* Drops a queued batch nobody will use (its run was skipped): jobs not
 * started are cancelled, those being parsed are waited for. */
static void pool_drop(struct ctx *c, struct metric_batch *b)
{
	struct metric_pool *pl = c->pool;
	pthread_mutex_lock(&pl->mu);
	for (; b->next < b->n; b->next++)
		b->done++;
	pthread_mutex_unlock(&pl->mu);
	pool_finish(c, pl, b);
	batch_free(b);
}

/* Drops the walked-ahead batch, if any. */
static void drop_ahead(struct ctx *c)
{
	if (c->ahead) {
		pool_drop(c, c->ahead);
		c->ahead = NULL;
	}
}

/* Stops the worker (after the queue is empty). */
static void pool_stop(struct ctx *c)
{
	struct metric_pool *pl = c->pool;
	if (!pl)
		return;
	drop_ahead(c);
	pthread_mutex_lock(&pl->mu);
	pl->quit = true;
	pthread_cond_broadcast(&pl->work);
	pthread_mutex_unlock(&pl->mu);
	pthread_join(pl->thread, NULL);
	pthread_mutex_destroy(&pl->mu);
	pthread_cond_destroy(&pl->work);
	pthread_cond_destroy(&pl->done);
	free(pl->chunk);
	free(pl);
	c->pool = NULL;
}

/* Walks the next run's metrics folder quietly and queues its files, when
 * the next run is a plain folder with a plain metrics folder. */
static void walk_ahead(struct ctx *c)
{
	if (!c->next_run || c->ahead)
		return;
	struct stat st;
	char *dir = path_join(c->next_run, "metrics");
	if (lstat(c->next_run, &st) == 0 && S_ISDIR(st.st_mode) && lstat(dir, &st) == 0 &&
	    S_ISDIR(st.st_mode)) {
		c->ahead = walk_metrics(c, dir, true);
		pool_push(c->pool, c->ahead);
	}
	free(dir);
}

/* Reads every metrics file below dir into r. */
static void read_metrics(struct ctx *c, struct run *r, const char *dir, bool running)
{
	struct metric_batch *b = NULL;
	if (c->ahead && strcmp(c->ahead->dir, dir) == 0 && !c->ahead->noted) {
		b = c->ahead; /* walked and queued while the run before was read */
		c->ahead = NULL;
	}
	drop_ahead(c);
	bool queued = b != NULL;
	if (!b) {
		b = walk_metrics(c, dir, false);
		queued = b->n > 1 && b->bytes >= PARALLEL_MIN_BYTES && pool_start(c);
		if (queued)
			pool_push(c->pool, b);
	}
	if (queued) {
		walk_ahead(c);
		pool_finish(c, c->pool, b);
	}
	for (size_t i = 0; i < b->n; i++)
		run_series(r, b->items[i].key);
	for (size_t i = 0; i < b->n; i++) {
		struct metric_job *j = &b->items[i];
		struct series *s = run_series(r, j->key);
		if (queued && !j->report && !(j->partial && !running)) {
			/* Parsed silently with nothing to say: the points move over. */
			free(s->pts);
			s->pts = j->s.pts;
			s->n = j->s.n;
			s->cap = j->s.cap;
			j->s.pts = NULL;
			continue;
		}
		j->s.n = 0;
		parse_metric_file(j, running, false, &c->chunk, &c->chunkcap);
		free(s->pts);
		s->pts = j->s.pts;
		s->n = j->s.n;
		s->cap = j->s.cap;
		j->s.pts = NULL;
	}
	batch_free(b);
}

/* Adds an artifact file. */
static void add_artifact(struct ctx *c, const char *path, const char *rel, int64_t size, void *arg)
{
	run_add_artifact(arg, rel, size);
}

/* Whether name is a plain file name that cannot climb out of a folder. */
static int safe_name(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* Adds the datasets the run logged as inputs: inputs/<id>/meta.yaml joined
 * with <exp>/datasets/<source_id>/meta.yaml. */
static void read_inputs(struct ctx *c, struct run *r, const char *run_dir)
{
	char *dir = path_join(run_dir, "inputs");
	char **names;
	size_t n = list_dir(dir, &names);
	for (size_t i = 0; i < n; i++) {
		struct kvlist in = {0}, ds = {0};
		char *idir = path_join(dir, names[i]);
		char *ddir = NULL;
		if (entry_kind(c, idir, NULL) != KIND_DIR || read_meta(c, idir, &in) != 1)
			goto next;
		const char *type = kvlist_get(&in, "source_type");
		const char *src = kvlist_get(&in, "source_id");
		if (type && strcmp(type, "DATASET") != 0)
			goto next; /* a model used as input (MLflow 3) */
		if (!src || !safe_name(src)) {
			diag_warn(idir, 0, "meta.yaml: no usable source_id; input skipped");
			goto next;
		}
		ddir = xasprintf("%s/datasets/%s", c->exp_dir, src);
		if (read_meta(c, ddir, &ds) != 1) {
			diag_warn(idir, 0, "dataset %s not found in %s/datasets; input skipped", src,
			          c->exp_dir);
			goto next;
		}
		struct dataset_input *d = run_add_dataset(r);
		d->name = xstrdup(kvlist_get(&ds, "name") ? kvlist_get(&ds, "name") : src);
		d->digest = dup_nonempty(kvlist_get(&ds, "digest"));
		d->context = dup_nonempty(kvlist_get(&in, "tags/mlflow.data.context"));
		d->source_type = dup_nonempty(kvlist_get(&ds, "source_type"));
		d->source = dup_nonempty(kvlist_get(&ds, "source"));
		d->schema = dup_nonempty(kvlist_get(&ds, "schema"));
		d->profile = dup_nonempty(kvlist_get(&ds, "profile"));
next:
		kvlist_free(&in);
		kvlist_free(&ds);
		free(ddir);
		free(idir);
	}
	free_names(names, n);
	free(dir);
}

/* Forgets the experiment's logged models. */
static void exp_models_free(struct ctx *c)
{
	for (size_t i = 0; i < c->nmodels; i++) {
		struct exp_model *m = &c->models[i];
		free(m->id);
		free(m->name);
		free(m->type);
		free(m->status);
		free(m->uri);
		free(m->source_run_id);
	}
	free(c->models);
	c->models = NULL;
	c->nmodels = c->capmodels = 0;
}

/* Loads the experiment's MLflow 3 logged models (<exp>/models/<id>/meta.yaml). */
static void load_exp_models(struct ctx *c)
{
	char *dir = path_join(c->exp_dir, "models");
	char **names;
	size_t n = list_dir(dir, &names);
	for (size_t i = 0; i < n; i++) {
		struct kvlist kv = {0};
		char *mdir = path_join(dir, names[i]);
		if (entry_kind(c, mdir, NULL) == KIND_DIR && read_meta(c, mdir, &kv) == 1) {
			const char *stage = kvlist_get(&kv, "lifecycle_stage");
			if (!(stage && strcmp(stage, "deleted") == 0) || c->opts->include_deleted) {
				GROW(c->models, c->capmodels, c->nmodels + 1);
				struct exp_model *m = &c->models[c->nmodels++];
				const char *id = kvlist_get(&kv, "model_id");
				m->id = xstrdup(id && *id ? id : names[i]);
				m->name = xstrdup(kvlist_get(&kv, "name") ? kvlist_get(&kv, "name") : m->id);
				m->type = dup_nonempty(kvlist_get(&kv, "model_type"));
				const char *st = kvlist_get(&kv, "status");
				int64_t sn;
				if (st && mlflow_parse_int(st, st + strlen(st), &sn) && sn >= 0 && sn <= 3)
					m->status = xstrdup(model_status_names[sn]);
				else
					m->status = dup_nonempty(st);
				m->uri = dup_nonempty(kvlist_get(&kv, "artifact_location"));
				m->source_run_id = dup_nonempty(kvlist_get(&kv, "source_run_id"));
			}
		}
		kvlist_free(&kv);
		free(mdir);
	}
	free_names(names, n);
	free(dir);
}

/* Whether run_dir/outputs/ names model id (MLflow 3 run outputs). */
static int run_outputs_model(struct ctx *c, const char *run_dir, const char *id)
{
	if (!safe_name(id))
		return 0;
	char *p = xasprintf("%s/outputs/%s", run_dir, id);
	int ok = entry_kind(c, p, NULL) == KIND_DIR;
	free(p);
	return ok;
}

/* Links the experiment's logged models to run r: those whose source_run_id
 * is the run, and those the run lists in outputs/. */
static void add_run_models(struct ctx *c, struct run *r, const char *run_dir)
{
	for (size_t i = 0; i < c->nmodels; i++) {
		const struct exp_model *em = &c->models[i];
		if (!((em->source_run_id && strcmp(em->source_run_id, r->id) == 0) ||
		      run_outputs_model(c, run_dir, em->id)))
			continue;
		struct logged_model *m = run_add_model(r);
		m->id = xstrdup(em->id);
		m->name = xstrdup(em->name);
		m->type = em->type ? xstrdup(em->type) : NULL;
		m->status = em->status ? xstrdup(em->status) : NULL;
		m->uri = em->uri ? xstrdup(em->uri) : NULL;
	}
}

/* The last build's run of run_dir when none of the files read_run reads
 * of it has changed (reader.h): everything below the run folder, and its
 * experiment's meta.yaml, logged models and (for a run with inputs)
 * datasets. Else NULL. */
static struct run *cached_run(struct ctx *c, const char *run_dir)
{
	struct run_files *f = run_files_new(c->sink);
	if (!f)
		return NULL;
	run_files_add_text(f, c->exp_id);
	run_files_add_text(f, c->exp_name);
	run_files_add_text(f, c->exp_deleted ? "deleted" : "");
	run_files_add_text(f, c->root_real);
	run_files_add_tree(f, run_dir);
	char *p = path_join(c->exp_dir, META);
	run_files_add(f, p);
	free(p);
	p = path_join(c->exp_dir, "models");
	run_files_add_tree(f, p);
	free(p);
	p = path_join(run_dir, "inputs");
	struct stat st;
	if (lstat(p, &st) == 0) {
		char *d = path_join(c->exp_dir, "datasets");
		run_files_add_tree(f, d);
		free(d);
	}
	free(p);
	return run_sink_cached(c->sink, run_dir, f);
}

/* Reads the run in run_dir and delivers it. Returns 0 when the sink asked
 * to stop, else 1 (also when the folder was skipped). */
static int read_run(struct ctx *c, const char *run_dir, const char *dirname)
{
	struct kvlist kv = {0};
	struct run *r = NULL;
	int rc = 1;
	if (read_meta(c, run_dir, &kv) != 1)
		goto out;
	const char *stage = kvlist_get(&kv, "lifecycle_stage");
	bool deleted = c->exp_deleted || (stage && strcmp(stage, "deleted") == 0);
	if (deleted && !c->opts->include_deleted)
		goto out;
	if ((r = cached_run(c, run_dir)) != NULL)
		goto deliver;

	r = run_new(FORMAT_NAME, c->store);
	r->deleted = deleted;
	const char *id = kvlist_get(&kv, "run_id");
	if (!id || !*id)
		id = kvlist_get(&kv, "run_uuid");
	r->id = xstrdup(id && *id ? id : dirname);
	r->experiment_id = xstrdup(c->exp_id);
	r->experiment_name = xstrdup(c->exp_name);
	const char *st = kvlist_get(&kv, "status");
	int64_t sn;
	if (!st)
		r->status = xstrdup("RUNNING"); /* missing means RUNNING (MLflow) */
	else if (mlflow_parse_int(st, st + strlen(st), &sn) && sn >= 1 && sn <= 5)
		r->status = xstrdup(run_status_names[sn]);
	else if (strcmp(st, "RUNNING") == 0 || strcmp(st, "SCHEDULED") == 0 ||
	         strcmp(st, "FINISHED") == 0 || strcmp(st, "FAILED") == 0 ||
	         strcmp(st, "KILLED") == 0)
		r->status = xstrdup(st);
	else
		r->status = xstrdup("UNKNOWN");
	r->start_ms = meta_time(&kv, "start_time");
	r->end_ms = meta_time(&kv, "end_time");
	r->user = dup_nonempty(kvlist_get(&kv, "user_id"));

	char *dir = path_join(run_dir, "params");
	read_values(c, dir, &r->params);
	free(dir);
	dir = path_join(run_dir, "tags");
	read_values(c, dir, &r->tags);
	free(dir);

	r->name = dup_nonempty(kvlist_get(&kv, "run_name"));
	mlflow_fields_from_tags(r);
	if (!r->name)
		r->name = xstrdup(r->id);

	if (!c->opts->no_points) {
		dir = path_join(run_dir, "metrics");
		read_metrics(c, r, dir, strcmp(r->status, "RUNNING") == 0);
		free(dir);
	}

	size_t budget = ARTIFACTS_MAX;
	dir = path_join(run_dir, "artifacts");
	walk_files(c, dir, "", 0, add_artifact, r, &budget);
	if (budget == 0)
		diag_warn(dir, 0, "more than %d files; only the first %d are listed", ARTIFACTS_MAX,
		          ARTIFACTS_MAX);
	if (r->nartifacts && !r->artifact_dir)
		r->artifact_dir = dir;
	else
		free(dir);

	read_inputs(c, r, run_dir);
	add_run_models(c, r, run_dir);
	const char *hist = kvlist_get(&r->tags, "mlflow.log-model.history");
	if (hist && *hist) {
		char *hp = xasprintf("%s/tags/mlflow.log-model.history", run_dir);
		mlflow_model_history(hist, strlen(hist), hp, r);
		free(hp);
	}

	run_finish(r, c->opts->dec_buckets);
deliver:
	c->delivered++;
	rc = c->sink->run(c->sink->ctx, r) ? 1 : 0;
	r = NULL;
out:
	run_free(r);
	kvlist_free(&kv);
	return rc;
}

/* Whether name is an experiment subfolder that holds no run. */
static int reserved_dir(const char *name)
{
	for (size_t i = 0; reserved_exp_dirs[i]; i++)
		if (strcmp(name, reserved_exp_dirs[i]) == 0)
			return 1;
	return 0;
}

/* Reads the runs of the experiment in c->exp_dir, or only the one in
 * only_run when not NULL. */
static void read_exp_runs(struct ctx *c, const char *only_run)
{
	if (only_run) {
		const char *base = strrchr(only_run, '/');
		base = base ? base + 1 : only_run;
		if (!read_run(c, only_run, base))
			c->stop = true;
		return;
	}
	char **names;
	size_t n = list_dir(c->exp_dir, &names);
	for (size_t i = 0; i < n && !c->stop; i++) {
		if (reserved_dir(names[i]))
			continue;
		size_t k = i + 1;
		while (k < n && reserved_dir(names[k]))
			k++;
		char *next = k < n ? path_join(c->exp_dir, names[k]) : NULL;
		char *rd = path_join(c->exp_dir, names[i]);
		c->next_run = next;
		if (entry_kind(c, rd, NULL) == KIND_DIR && !read_run(c, rd, names[i]))
			c->stop = true;
		c->next_run = NULL;
		free(rd);
		free(next);
	}
	if (c->pool)
		drop_ahead(c);
	free_names(names, n);
}

/* Reads the experiment in dir (folder name id): delivers it, then its runs
 * (only only_run when not NULL). in_trash marks it deleted whatever its meta
 * says. Without meta.yaml the folder is no experiment; with a broken one
 * (reported) it is read under its folder name, so its runs are not lost. */
static void read_experiment(struct ctx *c, const char *dir, const char *id, bool in_trash,
                            const char *only_run)
{
	struct kvlist kv = {0};
	int mrc = read_meta(c, dir, &kv);
	if (mrc == 0)
		goto out;
	if (mrc < 0) {
		kvlist_free(&kv);
		diag_warn(dir, 0, "experiment read as \"%s\" (its folder name), its runs with it", id);
	}
	const char *stage = kvlist_get(&kv, "lifecycle_stage");
	bool deleted = in_trash || (stage && strcmp(stage, "deleted") == 0);
	if (deleted && !c->opts->include_deleted)
		goto out;
	const char *mid = kvlist_get(&kv, "experiment_id");
	if (mid && strcmp(mid, id) != 0)
		diag_warn(dir, 0, "meta.yaml: experiment_id %s differs from the folder name; using %s",
		          mid, id);

	struct experiment *e = experiment_new();
	e->id = xstrdup(id);
	const char *name = kvlist_get(&kv, "name");
	e->name = xstrdup(name && *name ? name : id);
	e->artifact_location = dup_nonempty(kvlist_get(&kv, "artifact_location"));
	e->created_ms = meta_time(&kv, "creation_time");
	e->deleted = deleted;
	char *tdir = path_join(dir, "tags");
	read_values(c, tdir, &e->tags);
	free(tdir);
	kvlist_sort(&e->tags);
	e->description = dup_nonempty(kvlist_get(&e->tags, "mlflow.note.content"));

	c->exp_dir = xstrdup(dir);
	c->exp_id = xstrdup(e->id);
	c->exp_name = xstrdup(e->name);
	c->exp_deleted = deleted;
	c->sink->experiment(c->sink->ctx, e);
	load_exp_models(c);
	read_exp_runs(c, only_run);
	exp_models_free(c);
	free(c->exp_dir);
	free(c->exp_id);
	free(c->exp_name);
	c->exp_dir = c->exp_id = c->exp_name = NULL;
out:
	kvlist_free(&kv);
}

/* Reads every experiment folder directly below dir. */
static void read_experiments_in(struct ctx *c, const char *dir, bool in_trash)
{
	char **names;
	size_t n = list_dir(dir, &names);
	for (size_t i = 0; i < n && !c->stop; i++) {
		if (!in_trash && (strcmp(names[i], ".trash") == 0 || strcmp(names[i], "models") == 0))
			continue;
		char *ed = path_join(dir, names[i]);
		if (entry_kind(c, ed, NULL) == KIND_DIR)
			read_experiment(c, ed, names[i], in_trash, NULL);
		free(ed);
	}
	free_names(names, n);
}

/* What a folder's meta.yaml describes. */
enum meta_kind { META_NONE, META_EXPERIMENT, META_RUN, META_OTHER };

/* Whether the text has a line starting with key (e.g. "run_id:"). */
static int has_key(const char *text, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = text; (p = strstr(p, key)); p += n)
		if (p == text || p[-1] == '\n')
			return 1;
	return 0;
}

/* Classifies dir/meta.yaml from its first 4 KiB (probe: one small read). */
static enum meta_kind meta_kind_of(const char *dir)
{
	char *path = path_join(dir, META);
	char head[4096];
	enum meta_kind k = META_NONE;
	int fd = fsview_absent(path) ? -1 : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	free(path);
	if (fd < 0)
		return META_NONE;
	struct stat st;
	ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, head, sizeof head - 1) : -1;
	close(fd);
	if (n <= 0)
		return META_NONE;
	head[n] = '\0';
	/* Keys are written sorted, so the telling ones come early. */
	if (has_key(head, "model_id:"))
		k = META_OTHER;
	else if (has_key(head, "run_id:") || has_key(head, "run_uuid:"))
		k = META_RUN;
	else if (has_key(head, "experiment_id:") && has_key(head, "name:"))
		k = META_EXPERIMENT;
	else
		k = META_OTHER;
	return k;
}

/* Whether path is a folder (following links: the user named it). */
static int is_dir(const char *path)
{
	return fsview_is_dir(path);
}

/* Whether the first subfolder of dir (of at most 64 looked at) that has a
 * meta.yaml holds an experiment: stats, and one small read. */
static int has_experiment_child(const char *dir)
{
	struct fsview_listing l;
	if (!fsview_open_list(dir, &l))
		return 0;
	int found = 0, seen = 0;
	for (size_t i = 0; i < l.n && seen < 64; i++) {
		const char *name = l.e[i].name;
		if (name[0] == '.' || strcmp(name, "models") == 0)
			continue;
		seen++;
		char *sub = path_join(dir, name);
		char *meta = path_join(sub, META);
		int has = fsview_is_file(meta);
		if (has)
			found = meta_kind_of(sub) == META_EXPERIMENT;
		free(meta);
		free(sub);
		if (has)
			break;
	}
	fsview_close_list(&l);
	return found;
}

enum store_shape { SHAPE_NONE, SHAPE_ROOT, SHAPE_EXPERIMENT, SHAPE_RUN };

/* How path looks as a FileStore, with the probe score in *score. */
static enum store_shape shape_of(const char *path, int *score)
{
	*score = 0;
	if (!is_dir(path))
		return SHAPE_NONE;
	char *p0 = path_join(path, "0");
	char *trash = path_join(path, ".trash");
	int has0 = meta_kind_of(p0) == META_EXPERIMENT;
	int hastrash = is_dir(trash);
	free(p0);
	free(trash);
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	int named = len >= 6 && strncmp(path + len - 6, "mlruns", 6) == 0 &&
	            (len == 6 || path[len - 7] == '/');
	/* A folder with its own meta.yaml is one experiment or one run. */
	enum meta_kind k = meta_kind_of(path);
	if (k == META_EXPERIMENT) {
		*score = 80;
		return SHAPE_EXPERIMENT;
	}
	if (k == META_RUN) {
		*score = 80;
		return SHAPE_RUN;
	}
	if (has0 || has_experiment_child(path)) {
		*score = 100;
		return SHAPE_ROOT;
	}
	if (hastrash) {
		*score = named ? 100 : 60;
		return SHAPE_ROOT;
	}
	if (named) {
		/* An mlruns folder without experiments (e.g. a tracking server's
		 * artifacts): a weak claim, anything more specific wins. */
		*score = 10;
		return SHAPE_ROOT;
	}
	return SHAPE_NONE;
}

/* Scores path: 100 for a FileStore root (0/meta.yaml, .trash/, or experiment
 * folders), 80 for one experiment or run folder, 10 for a bare "mlruns". */
static int probe(const char *path)
{
	int score;
	shape_of(path, &score);
	return score;
}

/* The parent folder of path (caller frees). */
static char *parent_of(const char *path)
{
	char *real = realpath(path, NULL);
	if (!real)
		return NULL;
	char *slash = strrchr(real, '/');
	if (slash && slash != real)
		*slash = '\0';
	else if (slash)
		slash[1] = '\0';
	return real;
}

/* Reads a run folder that has no experiment above it (copied out of its
 * store): its experiment is made from the run's experiment_id. */
static void read_lone_run(struct ctx *c, const char *run_dir, const char *parent)
{
	struct kvlist kv = {0};
	if (read_meta(c, run_dir, &kv) != 1)
		goto out;
	const char *eid = kvlist_get(&kv, "experiment_id");
	struct experiment *e = experiment_new();
	e->id = xstrdup(eid && *eid ? eid : "0");
	e->name = xstrdup(e->id);
	c->exp_dir = xstrdup(parent ? parent : run_dir);
	c->exp_id = xstrdup(e->id);
	c->exp_name = xstrdup(e->name);
	c->sink->experiment(c->sink->ctx, e);
	read_exp_runs(c, run_dir);
	free(c->exp_dir);
	free(c->exp_id);
	free(c->exp_name);
	c->exp_dir = c->exp_id = c->exp_name = NULL;
out:
	kvlist_free(&kv);
}

/* Reads the store, experiment or run folder at path into sink (reader.h). */
static long read_store(const char *path, const struct reader_opts *opts, struct run_sink *sink)
{
	struct ctx c = {0};
	int score;
	enum store_shape shape = shape_of(path, &score);
	c.opts = opts;
	c.sink = sink;
	c.store = path;
	c.root_real = realpath(path, NULL);
	if (!c.root_real || !is_dir(path)) {
		diag_warn(path, 0, "cannot read the MLflow store: %s",
		          c.root_real ? "not a folder" : strerror(errno));
		free(c.root_real);
		return -1;
	}
	c.root_len = strlen(c.root_real);
	c.chunkcap = CHUNK;
	c.chunk = xmalloc(c.chunkcap);
	c.ncpu = jobs_or_cpus(opts->jobs);
	if (shape == SHAPE_RUN) {
		/* A run folder given alone: its experiment is the folder above,
		 * which links may then reach (datasets, models). */
		char *exp = parent_of(path);
		if (exp && meta_kind_of(exp) == META_EXPERIMENT) {
			const char *base = strrchr(exp, '/');
			base = base && base[1] ? base + 1 : exp;
			free(c.root_real);
			c.root_real = xstrdup(exp);
			c.root_len = strlen(c.root_real);
			read_experiment(&c, exp, base, false, path);
		} else {
			read_lone_run(&c, path, exp);
		}
		free(exp);
	} else if (shape == SHAPE_EXPERIMENT) {
		char *real = xstrdup(c.root_real);
		const char *base = strrchr(real, '/');
		base = base && base[1] ? base + 1 : real;
		read_experiment(&c, path, base, false, NULL);
		free(real);
	} else {
		read_experiments_in(&c, path, false);
		if (opts->include_deleted && !c.stop) {
			char *trash = path_join(path, ".trash");
			if (entry_kind(&c, trash, NULL) == KIND_DIR)
				read_experiments_in(&c, trash, true);
			free(trash);
		}
	}
	pool_stop(&c);
	free(c.root_real);
	free(c.chunk);
	return c.delivered;
}

const struct reader reader_mlflow_file = {
	.name = FORMAT_NAME,
	.what = "MLflow file store (mlruns/: meta.yaml, metrics, params, tags, artifacts)",
	.probe = probe,
	.read = read_store,
	.unique_ids = true, /* MLflow run ids are uuids */
};
