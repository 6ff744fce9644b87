/* hf_trainer.c — Hugging Face Trainer output folders: trainer_state.json
 * (log_history: training, evaluation and the final summary entries) and the
 * *_results.json files. An output folder with several checkpoint-N copies
 * of the state is one run, read from its latest state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/diag.h"
#include "runsite/fsview.h"
#include "runsite/reader.h"
#include "runsite/util.h"
#include "csvparse.h"
#include "runsite/yamlkv.h"

#define HF_MAX_FILE ((size_t)1 << 30)
#define HF_STATE "trainer_state.json"

static const char *const results_files[] = {
	"all_results.json", "train_results.json", "eval_results.json", "test_results.json",
	"predict_results.json", NULL,
};

/* N of a "checkpoint-N" folder name, or -1. */
static long checkpoint_number(const char *name)
{
	if (!str_starts(name, "checkpoint-") || !name[11])
		return -1;
	char *end;
	long n = strtol(name + 11, &end, 10);
	return *end || n < 0 ? -1 : n;
}

/* The state file to read in output folder dir: its own, else that of the
 * highest checkpoint-N, else last-checkpoint's. Sets *ncheckpoints.
 * Returns NULL when there is none. Caller frees. */
static char *pick_state(const char *dir, size_t *ncheckpoints)
{
	char *own = path_join(dir, HF_STATE), *best = NULL;
	long best_n = -1;
	size_t n;
	*ncheckpoints = 0;
	char **names = fsview_list_sorted(dir, &n);
	for (size_t i = 0; names && i < n; i++) {
		long k = checkpoint_number(names[i]);
		if (k < 0 && strcmp(names[i], "last-checkpoint") != 0)
			continue;
		char *p = xasprintf("%s/%s/%s", dir, names[i], HF_STATE);
		if (!csv_is_file(p)) {
			free(p);
			continue;
		}
		(*ncheckpoints)++;
		if (k > best_n || (!best && k < 0)) {
			free(best);
			best = p;
			best_n = k;
		} else {
			free(p);
		}
	}
	free_names(names, n);
	if (csv_is_file(own)) {
		free(best);
		return own;
	}
	free(own);
	return best;
}

static int has_results(const char *dir)
{
	for (size_t i = 0; results_files[i]; i++) {
		char *p = path_join(dir, results_files[i]);
		int ok = csv_is_file(p);
		free(p);
		if (ok)
			return 1;
	}
	return 0;
}

static int probe(const char *path)
{
	if (csv_is_dir(path)) {
		size_t nck;
		char *s = pick_state(path, &nck);
		int score = s ? 60 : has_results(path) ? 30 : 0;
		free(s);
		return score;
	}
	return str_ends(path, "/" HF_STATE) || strcmp(path, HF_STATE) == 0 ? 55 : 0;
}

/* Parses the JSON file at path (Python's NaN tokens accepted); NULL when it
 * cannot be read or parsed (reported). */
static json_t *load_json(const char *path)
{
	struct buf b = BUF_INIT;
	json_t *j = NULL;
	if (!read_file(path, &b, HF_MAX_FILE))
		diag_warn(path, 0, "cannot read: %s", strerror(errno));
	else
		j = json_parse_lenient(b.data ? b.data : "", b.size, path);
	buf_free(&b);
	return j;
}

/* Adds v under key (objects flattened as "key.inner") to l. */
static void add_flat(struct kvlist *l, const char *key, json_t *v, int depth)
{
	if (json_is_object(v) && json_object_size(v) > 0 && depth < 8) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) {
			/* Callback runtime flags say nothing about the run's setup. */
			if (strcmp(k, "attributes") == 0 && depth >= 1)
				continue;
			char *sub = xasprintf("%s.%s", key, k);
			add_flat(l, sub, x, depth + 1);
			free(sub);
		}
		return;
	}
	char *text = json_to_text(v);
	kvlist_add(l, key, text);
	free(text);
}

/* Adds every log_history entry of state to r; returns the last step seen. */
static int64_t read_history(struct run *r, json_t *state, const char *path)
{
	json_t *hist = json_object_get(state, "log_history");
	int64_t last = 0;
	if (!hist)
		return 0;
	if (!json_is_array(hist)) {
		diag_warn(path, 0, "log_history is not a list; left out");
		return 0;
	}
	size_t i, bad = 0;
	json_t *e;
	json_array_foreach(hist, i, e) {
		double sv;
		if (!json_is_object(e) || !json_to_double(json_object_get(e, "step"), 0, &sv) ||
		    sv != sv || sv < -9.2e18 || sv > 9.2e18) {
			if (bad++ < CSV_WARN_MAX)
				diag_warn(path, 0, "log_history entry %zu has no numeric step; left out", i);
			continue;
		}
		int64_t step = (int64_t)sv;
		if (step > last)
			last = step;
		if (json_object_get(e, "train_runtime")) {
			free(r->status);
			r->status = xstrdup("FINISHED");
		}
		const char *k;
		json_t *v;
		json_object_foreach(e, k, v) {
			double d;
			/* null, strings and lists that user metrics return are not drawn. */
			if (strcmp(k, "step") == 0 || !json_to_double(v, 0, &d))
				continue;
			series_add(run_series(r, k), step, 0, d);
		}
	}
	if (bad > CSV_WARN_MAX)
		diag_warn(path, 0, "%zu more log_history entries without a step", bad - CSV_WARN_MAX);
	return last;
}

/* The *_results.json files: keys the history does not hold become one
 * point at the final step; other values become tags. */
static void read_results(struct run *r, const char *dir, int64_t step, int *any)
{
	size_t before = r->nmetrics;
	for (size_t f = 0; results_files[f]; f++) {
		char *p = path_join(dir, results_files[f]);
		if (!csv_is_file(p)) {
			free(p);
			continue;
		}
		json_t *j = load_json(p);
		if (j && !json_is_object(j))
			diag_warn(p, 0, "not a JSON object; left out");
		else if (j)
			*any = 1;
		const char *k;
		json_t *v;
		if (json_is_object(j))
			json_object_foreach(j, k, v) {
				double d;
				if (!json_to_double(v, 0, &d)) {
					if (!kvlist_get(&r->tags, k)) {
						char *t = json_to_text(v);
						kvlist_add(&r->tags, k, t);
						free(t);
					}
					continue;
				}
				const struct series *s = run_find_series(r, k);
				/* The history's own points win; all_results repeats the rest. */
				if (s && (size_t)(s - r->metrics) < before)
					continue;
				struct series *ns = run_series(r, k);
				if (ns->n == 0)
					series_add(ns, step, 0, d);
			}
		json_decref(j);
		free(p);
	}
}

/* The last build's run of path (a folder, or its trainer_state.json in
 * folder dir) when none of the files read_store reads of it has changed
 * (reader.h): the folder's listing, the state file, the results files
 * and, for a folder, everything below it (the checkpoints). Else NULL. */
static struct run *cached_run(struct run_sink *sink, const char *path, const char *dir)
{
	struct run_files *f = run_files_new(sink);
	if (!f)
		return NULL;
	run_files_add(f, path);
	run_files_add(f, dir);
	for (size_t i = 0; results_files[i]; i++) {
		char *p = path_join(dir, results_files[i]);
		run_files_add(f, p);
		free(p);
	}
	if (csv_is_dir(path))
		run_files_add_tree(f, path);
	return run_sink_cached(sink, path, f);
}

static long read_store(const char *path, const struct reader_opts *opts, struct run_sink *sink)
{
	char *dir = NULL, *state_path = NULL;
	size_t nck = 0;
	if (csv_is_dir(path)) {
		dir = xstrdup(path);
		state_path = pick_state(dir, &nck);
	} else {
		dir = xstrdup(path);
		char *slash = strrchr(dir, '/');
		if (slash)
			slash[slash == dir ? 1 : 0] = '\0';
		else
			strcpy(dir, ".");
		state_path = xstrdup(path);
	}
	struct run *r = cached_run(sink, path, dir);
	if (r) {
		sink->run(sink->ctx, r);
		free(dir);
		free(state_path);
		return 1;
	}
	r = run_new("hf-trainer", path);
	r->id = xstrdup(".");
	r->name = csv_dir_name(dir, 0);
	r->experiment_name = csv_dir_name(dir, 1);
	int any = 0;
	int64_t last = 0;
	if (state_path) {
		json_t *st = load_json(state_path);
		if (st && !json_is_object(st)) {
			diag_warn(state_path, 0, "not a JSON object; left out");
		} else if (st) {
			any = 1;
			last = read_history(r, st, state_path);
			const char *k;
			json_t *v;
			json_object_foreach(st, k, v) {
				if (strcmp(k, "log_history") != 0)
					add_flat(&r->params, k, v, 0);
			}
			double gs;
			if (json_to_double(json_object_get(st, "global_step"), 0, &gs) && gs == gs &&
			    gs > (double)last && gs < 9.2e18)
				last = (int64_t)gs;
		}
		json_decref(st);
		/* Say which copy was read when it is a checkpoint's. */
		size_t dl = strlen(dir);
		if (strncmp(state_path, dir, dl) == 0 && state_path[dl] == '/' &&
		    strcmp(state_path + dl + 1, HF_STATE) != 0)
			kvlist_add(&r->tags, "trainer_state", state_path + dl + 1);
	}
	read_results(r, dir, last, &any);
	if (nck) {
		char num[32];
		snprintf(num, sizeof num, "%zu", nck);
		kvlist_add(&r->extras, "checkpoints", num);
	}
	long rc = -1;
	if (!any) {
		diag_warn(path, 0, "no readable trainer_state.json or *_results.json");
		run_free(r);
	} else {
		run_finish(r, opts->dec_buckets);
		sink->run(sink->ctx, r);
		rc = 1;
	}
	free(dir);
	free(state_path);
	return rc;
}

const struct reader reader_hf_trainer = {
	.name = "hf-trainer",
	.what = "Hugging Face Trainer output folders (trainer_state.json, *_results.json)",
	.probe = probe,
	.read = read_store,
};
