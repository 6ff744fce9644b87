/* clearml.c — ClearML offline sessions: the folder the SDK writes in offline
 * mode (task.json, metrics.jsonl, log.jsonl, data/, models/), or the zip it
 * makes of that folder when the task closes, read in place with libzip.
 * Shapes: clearml's backend_interface/task/task.py (_offline_filename,
 * _save_data_to_offline_dir), backend_interface/metrics/interface.py
 * (metrics.jsonl), backend_interface/task/log.py (log.jsonl); notes in
 * shared/formats/mlflow-clearml-wandb.md §3. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zip.h>

#include "runsite/diag.h"
#include "runsite/fsview.h"
#include "runsite/reader.h"
#include "runsite/util.h"
#include "artifact_walk.h"
#include "clearml.h"
#include "console_note.h"
#include "runsite/yamlkv.h"

/* libzip's functions, looked up when the first zip is read (lib_ready); each
 * name below stands for its pointer in ziplib. */
#define ZIP_FUNCS(X) \
	X(zip_discard) X(zip_error_fini) X(zip_error_init_with_code) X(zip_error_strerror) \
	X(zip_fclose) X(zip_file_strerror) X(zip_fopen_index) X(zip_fread) X(zip_get_num_entries) \
	X(zip_name_locate) X(zip_open) X(zip_stat) X(zip_stat_index) X(zip_strerror)
static struct {
	ZIP_FUNCS(LIB_SLOT)
} ziplib;
#define ZIP_ADDR(f) LIB_ADDR(ziplib, f)
static struct lazy_lib libzip = LAZY_LIB("libzip.so.4", ZIP_FUNCS(LIB_NAME), ZIP_FUNCS(ZIP_ADDR));

#define zip_discard ziplib.zip_discard
#define zip_error_fini ziplib.zip_error_fini
#define zip_error_init_with_code ziplib.zip_error_init_with_code
#define zip_error_strerror ziplib.zip_error_strerror
#define zip_fclose ziplib.zip_fclose
#define zip_file_strerror ziplib.zip_file_strerror
#define zip_fopen_index ziplib.zip_fopen_index
#define zip_fread ziplib.zip_fread
#define zip_get_num_entries ziplib.zip_get_num_entries
#define zip_name_locate ziplib.zip_name_locate
#define zip_open ziplib.zip_open
#define zip_stat ziplib.zip_stat
#define zip_stat_index ziplib.zip_stat_index
#define zip_strerror ziplib.zip_strerror

#define CM_TASK "task.json"
#define CM_METRICS "metrics.jsonl"
#define CM_LOG "log.jsonl"
#define CM_MAX_TASK ((size_t)64 << 20)     /* task.json */
#define CM_MAX_EVENTS ((size_t)2 << 30)    /* metrics.jsonl, log.jsonl */
#define CM_MAX_ENTRIES 100000              /* entries of a zip */
#define CM_MAX_TOTAL ((uint64_t)8 << 30)   /* uncompressed bytes of a zip */
#define CM_BOMB_RATIO 200                  /* uncompressed / compressed, above a size */
#define CM_BOMB_MIN ((uint64_t)16 << 20)
#define CM_WARN_MAX 5

/* A session: a folder, or a zip opened with libzip. */
struct session {
	const char *path;
	zip_t *zip;
};

static int is_dir(const char *p)
{
	return fsview_is_dir(p);
}

static int is_file(const char *p)
{
	return fsview_is_file(p);
}

/* True when an entry name would leave the folder it is unpacked into:
 * absolute, a ".." component, a backslash or a drive letter. */
int clearml_entry_escapes(const char *name)
{
	if (!*name || name[0] == '/' || strchr(name, '\\') || (name[0] && name[1] == ':'))
		return 1;
	for (const char *p = name; *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		if (!slash)
			break;
		p = slash + 1;
	}
	return 0;
}

/* Opens the zip at path after checking every entry: a name that escapes
 * (path traversal), too many entries, or sizes of a zip bomb refuse it.
 * Returns NULL when refused or unreadable (reported unless quiet). */
static zip_t *open_zip(const char *path, int quiet)
{
	const char *unloaded = lib_ready(&libzip);
	if (unloaded) {
		if (!quiet)
			diag_warn(path, 0, "cannot open the zip: %s", unloaded);
		return NULL;
	}
	int err = 0;
	zip_t *z = zip_open(path, ZIP_RDONLY, &err);
	if (!z) {
		if (!quiet) {
			zip_error_t ze;
			zip_error_init_with_code(&ze, err);
			diag_warn(path, 0, "cannot open the zip: %s", zip_error_strerror(&ze));
			zip_error_fini(&ze);
		}
		return NULL;
	}
	zip_int64_t n = zip_get_num_entries(z, 0);
	const char *why = NULL;
	char detail[256] = "";
	uint64_t total = 0;
	if (n < 0 || n > CM_MAX_ENTRIES)
		why = "too many entries";
	for (zip_int64_t i = 0; !why && i < n; i++) {
		zip_stat_t st;
		if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME)) {
			why = "an entry cannot be read";
			break;
		}
		if (clearml_entry_escapes(st.name)) {
			why = "an entry would be written outside the folder (path traversal)";
			snprintf(detail, sizeof detail, ": %.200s", st.name);
			break;
		}
		uint64_t size = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
		uint64_t comp = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
		total += size;
		if (total > CM_MAX_TOTAL ||
		    (size > CM_BOMB_MIN && (comp == 0 || size / comp > CM_BOMB_RATIO))) {
			why = "it unpacks to far more than it holds (a zip bomb)";
			snprintf(detail, sizeof detail, ": %.200s", st.name);
		}
	}
	if (why) {
		if (!quiet)
			diag_warn(path, 0, "zip refused: %s%s", why, detail);
		zip_discard(z);
		return NULL;
	}
	return z;
}

/* Reads the session file name into out. Returns 1, 0 when it is absent,
 * -1 when it cannot be read (reported). */
static int session_read(struct session *s, const char *name, struct buf *out, size_t max)
{
	buf_reset(out);
	if (!s->zip) {
		char *p = path_join(s->path, name);
		int rc = 0;
		if (is_file(p)) {
			rc = read_file(p, out, max) ? 1 : -1;
			if (rc < 0)
				diag_warn(p, 0, "cannot read: %s", strerror(errno));
		}
		free(p);
		return rc;
	}
	zip_stat_t st;
	if (zip_stat(s->zip, name, 0, &st) != 0)
		return 0;
	if (!(st.valid & ZIP_STAT_SIZE) || st.size > max) {
		diag_warn(s->path, 0, "%s: too large to read (%llu bytes)", name,
		          (unsigned long long)st.size);
		return -1;
	}
	zip_file_t *f = zip_fopen_index(s->zip, st.index, 0);
	if (!f) {
		diag_warn(s->path, 0, "%s: %s", name, zip_strerror(s->zip));
		return -1;
	}
	/* Read one byte past the stated size, so an entry that inflates to more
	 * than its header says is caught rather than trusted. */
	size_t want = (size_t)st.size;
	GROW(out->data, out->cap, want + 2);
	zip_int64_t got = 0, k;
	while ((uint64_t)got <= want &&
	       (k = zip_fread(f, out->data + got, want + 1 - (size_t)got)) > 0)
		got += k;
	int rc = 1;
	if (got < 0 || (uint64_t)got != want) {
		diag_warn(s->path, 0, "%s: %s", name,
		          got < 0 ? zip_file_strerror(f) : "its size does not match the zip directory");
		rc = -1;
	}
	zip_fclose(f);
	out->size = rc == 1 ? want : 0;
	out->data[out->size] = '\0';
	return rc;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && *s ? s : NULL;
}

/* ClearML's task status as runsite's. A zip is written only when the task
 * closes, so a zipped session still "in progress" (status changes are
 * server calls the offline SDK does not make) has finished. */
static const char *map_status(const char *st, int zipped)
{
	if (!st)
		return zipped ? "FINISHED" : "UNKNOWN";
	if (strcmp(st, "completed") == 0 || strcmp(st, "closed") == 0 ||
	    strcmp(st, "published") == 0 || strcmp(st, "publishing") == 0)
		return "FINISHED";
	if (strcmp(st, "failed") == 0)
		return "FAILED";
	if (strcmp(st, "stopped") == 0)
		return "KILLED";
	if (strcmp(st, "in_progress") == 0 || strcmp(st, "created") == 0)
		return zipped ? "FINISHED" : strcmp(st, "created") == 0 ? "SCHEDULED" : "RUNNING";
	if (strcmp(st, "queued") == 0)
		return "SCHEDULED";
	return "UNKNOWN";
}

static void read_task(struct run *r, json_t *t, int zipped, char **exp_id, char **exp_name)
{
	const char *s;
	if ((s = jstr(t, "id")))
		r->id = xstrdup(s);
	if ((s = jstr(t, "name")))
		r->name = xstrdup(s);
	const char *pname = jstr(t, "project_name");
	const char *pid = jstr(t, "project");
	*exp_name = xstrdup(pname ? pname : pid ? pid : "clearml");
	*exp_id = xstrdup(pid ? pid : *exp_name);
	const char *st = jstr(t, "status");
	r->status = xstrdup(map_status(st, zipped));
	if (st)
		kvlist_add(&r->tags, "clearml.status", st);
	if ((s = jstr(t, "type")))
		kvlist_add(&r->tags, "clearml.type", s);
	if ((s = jstr(t, "user")))
		r->user = xstrdup(s);
	if ((s = jstr(t, "comment")))
		r->notes = xstrdup(s);
	if ((s = jstr(t, "parent")))
		r->parent_id = xstrdup(s);
	r->start_ms = iso8601_ms(jstr(t, "started"));
	if (r->start_ms == TIME_UNKNOWN)
		r->start_ms = iso8601_ms(jstr(t, "created"));
	r->end_ms = iso8601_ms(jstr(t, "completed"));
	json_t *tags = json_object_get(t, "tags");
	if (json_is_array(tags) && json_array_size(tags)) {
		struct buf b = BUF_INIT;
		size_t i;
		json_t *x;
		json_array_foreach(tags, i, x) {
			if (!json_is_string(x))
				continue;
			if (b.size)
				BUF_PUTSL(&b, ", ");
			buf_puts(&b, json_string_value(x));
		}
		if (b.size)
			kvlist_add(&r->tags, "clearml.tags", buf_cstr(&b));
		buf_free(&b);
	}
	json_t *script = json_object_get(t, "script");
	if ((s = jstr(script, "repository")))
		r->git_repo = xstrdup(s);
	if ((s = jstr(script, "branch")))
		r->git_branch = xstrdup(s);
	if ((s = jstr(script, "version_num")))
		r->git_commit = xstrdup(s);
	if ((s = jstr(script, "entry_point")))
		r->source_name = xstrdup(s);
	/* Hyperparameters: {section: {name: {value}}} as "section/name". */
	json_t *hp = json_object_get(t, "hyperparams");
	const char *sec, *name;
	json_t *sv, *pv;
	if (json_is_object(hp))
		json_object_foreach(hp, sec, sv) {
			if (!json_is_object(sv))
				continue;
			json_object_foreach(sv, name, pv) {
				json_t *v = json_object_get(pv, "value");
				if (!v)
					continue;
				char *key = xasprintf("%s/%s", sec, name);
				char *text = json_to_text(v);
				kvlist_add(&r->params, key, text);
				free(text);
				free(key);
			}
		}
	/* The legacy flat "Section/name" parameters, when there are no sections. */
	json_t *legacy = json_object_get(json_object_get(t, "execution"), "parameters");
	if (!json_is_object(hp) && json_is_object(legacy))
		json_object_foreach(legacy, name, pv) {
			char *text = json_to_text(pv);
			kvlist_add(&r->params, name, text);
			free(text);
		}
	/* Configuration objects: their text, as "configuration/name". */
	json_t *conf = json_object_get(t, "configuration");
	if (json_is_object(conf))
		json_object_foreach(conf, name, pv) {
			const char *v = jstr(pv, "value");
			if (!v)
				continue;
			char *key = xasprintf("configuration/%s", name);
			kvlist_add(&r->params, key, v);
			free(key);
		}
	json_t *models = json_object_get(t, "offline_output_models");
	size_t i;
	json_t *m;
	if (json_is_array(models))
		json_array_foreach(models, i, m) {
			json_t *init = json_object_get(m, "init");
			json_t *w = json_object_get(m, "weights");
			struct logged_model *lm = run_add_model(r);
			const char *id = jstr(m, "id");
			lm->id = xstrdup(id ? id : "offline-model");
			lm->name = xstrdup(jstr(init, "name") ? jstr(init, "name") : lm->id);
			if ((s = jstr(init, "framework")))
				lm->type = xstrdup(s);
			if ((s = jstr(w, "weights_filename")))
				lm->uri = xstrdup(s);
		}
}

/* Counts per event type other than scalars, shown as extras. */
struct counts {
	size_t vectors, plots, images, other, bad_lines, foreign;
};

static void read_events(struct run *r, const char *path, const char *text, size_t len,
                        struct counts *c)
{
	const char *p = text, *end = text + len;
	size_t line = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		line++;
		const char *q = p;
		p = nl ? nl + 1 : end;
		while (q < e && (*q == ' ' || *q == '\r' || *q == '\t'))
			q++;
		if (q == e)
			continue;
		json_t *arr = json_parse_lenient(q, (size_t)(e - q), NULL);
		if (!json_is_array(arr)) {
			if (c->bad_lines++ < CM_WARN_MAX)
				diag_warn(path, line, "not a JSON list of events; line left out");
			json_decref(arr);
			continue;
		}
		size_t i;
		json_t *ev;
		json_array_foreach(arr, i, ev) {
			const char *type = jstr(ev, "type");
			const char *task = jstr(ev, "task");
			/* Events of other tasks (offline models) are not this run's. */
			if (task && r->id && strcmp(task, r->id) != 0) {
				c->foreign++;
				continue;
			}
			if (!type)
				continue;
			if (strcmp(type, "training_stats_scalar") == 0) {
				const char *metric = jstr(ev, "metric"), *variant = jstr(ev, "variant");
				double v, it = 0, ts = 0;
				if (!json_to_double(json_object_get(ev, "value"), 0, &v))
					continue;
				json_to_double(json_object_get(ev, "iter"), 0, &it);
				json_to_double(json_object_get(ev, "timestamp"), 0, &ts);
				if (!(it == it) || it < -9.2e18 || it > 9.2e18)
					it = 0;
				if (!(ts == ts) || ts < 0 || ts > 9.2e15)
					ts = 0;
				char *key = xasprintf("%s/%s", metric ? metric : "", variant ? variant : "");
				series_add(run_series(r, key), (int64_t)it, (int64_t)ts, v);
				free(key);
			} else if (strcmp(type, "training_stats_vector") == 0) {
				c->vectors++;
			} else if (strcmp(type, "plot") == 0) {
				c->plots++;
			} else if (strcmp(type, "training_debug_image") == 0) {
				c->images++;
			} else {
				c->other++;
			}
		}
		json_decref(arr);
	}
	if (c->bad_lines > CM_WARN_MAX)
		diag_warn(path, 0, "%zu more lines that are not JSON lists left out",
		          c->bad_lines - CM_WARN_MAX);
}

/* log.jsonl: console messages in order, shown at the end of the notes. */
static void read_log(struct run *r, const char *text, size_t len)
{
	struct buf out = BUF_INIT;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		json_t *arr = json_parse_lenient(p, (size_t)(e - p), NULL);
		p = nl ? nl + 1 : end;
		size_t i;
		json_t *ev;
		json_array_foreach(arr, i, ev) {
			const char *msg = json_string_value(json_object_get(ev, "msg"));
			if (!msg)
				continue;
			buf_puts(&out, msg);
			if (!*msg || msg[strlen(msg) - 1] != '\n')
				buf_putc(&out, '\n');
		}
		json_decref(arr);
	}
	if (out.size)
		console_note_append(&r->notes, out.data, out.size, CONSOLE_NOTE_LINES);
	buf_free(&out);
}

void clearml_ingest_memory(struct run *r, const char *task_json, size_t tlen, const char *events,
                           size_t elen)
{
	json_t *task = json_parse_lenient(task_json, tlen, NULL);
	char *exp_id = NULL, *exp_name = NULL;
	if (json_is_object(task))
		read_task(r, task, 0, &exp_id, &exp_name);
	json_decref(task);
	free(exp_id);
	free(exp_name);
	struct counts c = {0};
	read_events(r, "fuzz", events, elen, &c);
	read_log(r, events, elen);
}

/* The session's own three files, which are not its artifacts. */
static bool is_session_file(const char *rel)
{
	return strcmp(rel, CM_TASK) == 0 || strcmp(rel, CM_METRICS) == 0 || strcmp(rel, CM_LOG) == 0;
}

static void list_zip(struct run *r, zip_t *z)
{
	zip_int64_t n = zip_get_num_entries(z, 0);
	for (zip_int64_t i = 0; i < n; i++) {
		zip_stat_t st;
		if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME))
			continue;
		size_t l = strlen(st.name);
		if (l == 0 || st.name[l - 1] == '/' || is_session_file(st.name))
			continue;
		run_add_artifact(r, st.name, (st.valid & ZIP_STAT_SIZE) ? (int64_t)st.size : -1);
	}
}

static int probe(const char *path)
{
	if (is_dir(path)) {
		char *t = path_join(path, CM_TASK);
		char *m = path_join(path, CM_METRICS);
		char *l = path_join(path, CM_LOG);
		int score = is_file(t) && (is_file(m) || is_file(l)) ? 60 : 0;
		if (is_file(t) && !score) {
			/* A session with nothing reported yet: task.json names its folder. */
			struct buf b = BUF_INIT;
			if (read_file(t, &b, CM_MAX_TASK) && b.size && strstr(b.data, "\"offline_folder\""))
				score = 60;
			buf_free(&b);
		}
		free(t);
		free(m);
		free(l);
		return score;
	}
	if (!str_ends(path, ".zip") || lib_ready(&libzip))
		return 0;
	int err;
	zip_t *z = zip_open(path, ZIP_RDONLY, &err);
	if (!z)
		return 0;
	int score = zip_name_locate(z, CM_TASK, 0) >= 0 ? 60 : 0;
	zip_discard(z);
	return score;
}

long clearml_read_session(const char *path, const struct reader_opts *opts, struct run_sink *sink)
{
	struct session s = {.path = path};
	int zipped = !is_dir(path);
	if (zipped && !(s.zip = open_zip(path, 0)))
		return -1;
	struct buf b = BUF_INIT;
	long rc = -1;
	struct run *r = NULL;
	char *exp_id = NULL, *exp_name = NULL;
	int got = session_read(&s, CM_TASK, &b, CM_MAX_TASK);
	json_t *task = got == 1 ? json_parse_lenient(b.data ? b.data : "", b.size, NULL) : NULL;
	if (!json_is_object(task)) {
		if (got >= 0)
			diag_warn(path, 0, "%s", got == 0 ? "no task.json: not a ClearML offline session"
			                                  : "task.json is not a JSON object (cut while "
			                                    "being rewritten?)");
		goto out;
	}
	r = run_new("clearml", path);
	read_task(r, task, zipped, &exp_id, &exp_name);
	if (!r->id) {
		char *base = xstrdup(strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
		if (str_ends(base, ".zip"))
			base[strlen(base) - 4] = '\0';
		r->id = base;
	}
	struct counts c = {0};
	got = session_read(&s, CM_METRICS, &b, CM_MAX_EVENTS);
	if (got == 1) {
		char *where = s.zip ? xasprintf("%s:%s", path, CM_METRICS) : path_join(path, CM_METRICS);
		read_events(r, where, b.data ? b.data : "", b.size, &c);
		free(where);
	}
	if (session_read(&s, CM_LOG, &b, CM_MAX_EVENTS) == 1)
		read_log(r, b.data ? b.data : "", b.size);
	struct {
		const char *name;
		size_t n;
	} extra[] = {{"vectors", c.vectors}, {"plots", c.plots}, {"debug images", c.images},
	             {"other events", c.other}, {"model events", c.foreign}};
	for (size_t i = 0; i < sizeof extra / sizeof *extra; i++)
		if (extra[i].n) {
			char num[32];
			snprintf(num, sizeof num, "%zu", extra[i].n);
			kvlist_add(&r->extras, extra[i].name, num);
		}
	if (s.zip) {
		list_zip(r, s.zip);
	} else {
		artifact_walk(r, path, CM_MAX_ENTRIES, is_session_file, path);
		r->artifact_dir = xstrdup(path);
	}
	struct experiment *e = experiment_new();
	e->id = xstrdup(exp_id);
	e->name = xstrdup(exp_name);
	sink->experiment(sink->ctx, e);
	r->experiment_id = exp_id;
	r->experiment_name = exp_name;
	exp_id = exp_name = NULL;
	run_finish(r, opts->dec_buckets);
	sink->run(sink->ctx, r);
	r = NULL;
	rc = 1;
out:
	json_decref(task);
	if (r)
		run_free(r);
	free(exp_id);
	free(exp_name);
	buf_free(&b);
	if (s.zip)
		zip_discard(s.zip);
	return rc;
}

const struct reader reader_clearml = {
	.name = "clearml",
	.what = "ClearML offline sessions (a folder with task.json and metrics.jsonl, or its zip)",
	.unique_ids = true, /* ClearML task ids are uuids */
	.probe = probe,
	.read = clearml_read_session,
};
