/* model.h — the neutral run model every reader fills and every page reads.
 * It knows nothing of file formats or HTML. */
#ifndef RUNSITE_MODEL_H
#define RUNSITE_MODEL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIME_UNKNOWN INT64_MIN /* a start/end/timestamp that the store does not give */

/* ISO 8601 "2021-02-05T15:34:31.979427" (UTC; a zone suffix such as Z is
 * taken as UTC) as ms since the epoch; TIME_UNKNOWN when s is not one. */
int64_t iso8601_ms(const char *s);

/* One logged value. */
struct point {
	int64_t step;    /* training step as logged (may be negative) */
	int64_t time_ms; /* wall-clock time, ms since the Unix epoch; 0 if unknown */
	double value;    /* may be NaN or ±Inf */
};

/* Exact summaries of a whole series, computed from every point. */
struct metric_summary {
	uint64_t count;     /* distinct points (identical step, time and value count once) */
	uint64_t nan_count; /* points whose value is NaN */
	uint64_t inf_count; /* points whose value is +Inf or -Inf */
	struct point first; /* smallest (step, time) */
	struct point last;  /* largest (step, time, value), NaN above every number:
	                     * what MLflow calls the latest value */
	bool has_finite;    /* false: min and max are meaningless */
	struct point min;   /* smallest finite value; on a tie the earliest (step, time) */
	struct point max;   /* largest finite value; on a tie the earliest (step, time) */
};

/* Counts v in s's NaN or Inf tally when it is not a finite number;
 * returns whether it was (then it is no candidate for min or max). */
static inline bool summary_count_nonfinite(struct metric_summary *s, double v)
{
	if (__builtin_expect(isfinite(v), 1))
		return false;
	if (isnan(v))
		s->nan_count++;
	else
		s->inf_count++;
	return true;
}

/* A point without its time: a minimum or maximum as pages show it. */
struct step_value {
	int64_t step;
	double value;
};

/* Bits of series_sum's ndec: a decimated copy has at most 4 points a
 * bucket (run_finish), and builds ask for a few hundred buckets. */
#define SERIES_NDEC_BITS 23
#define SERIES_COUNT_MAX ((UINT64_C(1) << 40) - 1)

/* What a run keeps of a metric once its points are gone (run_slim): its
 * name, what the pages, plans and comparisons read of its summary, and the
 * length of its decimated copy. The NaN and Inf counts, which only the
 * run's own page shows, are kept by the run when it has any
 * (run_nonfinite). The first point and the times are left out: the
 * decimated copy begins and ends with the series' first and last points. */
struct series_sum {
	char *key;               /* metric name, e.g. "val/loss" */
	struct step_value last;  /* metric_summary's, its time left out */
	struct step_value min;   /* metric_summary's, when has_finite (its time left out) */
	struct step_value max;
	/* Three counts in one word (each run keeps one summary a metric, to
	 * the end of the build). count < 2^40: a series' points are all in
	 * memory, 24 bytes each, when they are counted. */
	uint64_t count : 40;     /* metric_summary's */
	uint64_t ndec : SERIES_NDEC_BITS; /* points of the M4-decimated copy (4 per bucket) */
	uint64_t has_finite : 1;
};

/* A metric's points. Readers append in any order with series_add(); the
 * run is then finished (sorted, de-duplicated, summarised) by run_finish(). */
struct series {
	union {
		struct series_sum head; /* filled from sum by run_sum (key is the one below) */
		struct {
			char *key; /* metric name, e.g. "val/loss" */
		};
	};
	struct point *pts;       /* every point, sorted by (step, time, value) once finished */
	size_t n, cap;
	struct metric_summary sum;
	struct point *dec;       /* M4-decimated copy (per bucket first, min, max, last), sorted by step */
	uint64_t dropped;        /* points a reader removed by its own rule (e.g. TensorBoard restarts) */
	uint32_t ndec;           /* points in dec */
	bool summarized;         /* the reader kept sum's NaN/Inf counts, min and max point by
	                          * point, with steps strictly increasing: run_finish() only adds
	                          * count, first and last instead of reading every point again */
};

struct kv {
	char *key;
	char *value;
};

/* An ordered list of key/value pairs; run_finish() sorts params and tags by
 * key. Grown by kvlist_add only (GROW32: a run holds four). */
struct kvlist {
	struct kv *items;
	uint32_t n, cap;
};

struct artifact {
	char *path;   /* relative to the run's artifact root, '/'-separated */
	int64_t size; /* bytes; -1 when not on disk (remote store) */
};

struct dataset_input {
	char *name;
	char *digest;
	char *context;     /* the mlflow.data.context input tag: "train", "eval", ... */
	char *source_type; /* "local", "http", "hugging_face", ... */
	char *source;      /* as the store gives it (often JSON) */
	char *schema;      /* as the store gives it (often JSON); may be NULL */
	char *profile;     /* as the store gives it (often JSON); may be NULL */
};

/* A model a run logged (MLflow 3 logged models, registry versions, checkpoints). */
struct logged_model {
	char *id;
	char *name;
	char *type;   /* may be NULL */
	char *status; /* may be NULL */
	char *uri;    /* artifact location as the store gives it; may be NULL */
};

struct experiment {
	char *id;          /* as the store names it */
	char *name;
	char *description; /* Markdown (MLflow: experiment tag mlflow.note.content); may be NULL */
	char *artifact_location;
	int64_t created_ms; /* TIME_UNKNOWN when absent */
	bool deleted;
	struct kvlist tags;
};

struct run {
	const char *format;   /* reader name, e.g. "mlflow-sqlite" (static string) */
	char *store;          /* the store path this run was read from */
	char *id;
	char *name;
	char *experiment_id;
	char *experiment_name;
	char *status;         /* "RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED" or "UNKNOWN" */
	int64_t start_ms;     /* TIME_UNKNOWN when absent */
	int64_t end_ms;       /* TIME_UNKNOWN while running */
	char *user;
	char *source_name;    /* script or notebook */
	char *source_type;    /* "LOCAL", "NOTEBOOK", ... */
	char *git_commit;
	char *git_branch;
	char *git_repo;
	char *parent_id;      /* run id of the parent run (nested runs) */
	char *notes;          /* Markdown, untrusted */
	bool deleted;
	struct kvlist params;
	struct kvlist tags;
	struct series *metrics; /* sorted by key by run_finish(); NULL once slimmed */
	uint32_t nmetrics, capmetrics; /* 4 bytes: held for every run (GROW32) */
	struct series_sum *sums; /* a slimmed run's metrics (run_slim): nmetrics of them */
	struct point **decs;     /* a slimmed run's decimated copies still in memory, by
	                          * metric (NULL: none was) */
	uint64_t *nonfinite;     /* a slimmed run's NaN and Inf counts, two a metric (NULL:
	                          * none has any) */
	struct artifact *artifacts; /* sorted by path by run_finish() */
	uint32_t nartifacts, capartifacts;
	char *artifact_dir;   /* the folder on this machine the artifacts were listed from;
	                       * NULL when none was */
	struct dataset_input *datasets;
	uint32_t ndatasets, capdatasets;
	struct logged_model *models;
	uint32_t nmodels, capmodels;
	struct kvlist extras; /* other things the store holds, shown as counts ("images" → "12") */
	struct kvlist sources; /* a run read from several stores: each part ("metrics",
	                        * "artifacts", ...) → the store(s) it came from; else empty */
	char *pack;           /* run_slim's one block of its texts and lists; NULL before */
};

struct experiment *experiment_new(void);
void experiment_free(struct experiment *e);

struct run *run_new(const char *format, const char *store);
void run_free(struct run *r);

/* Every text of the run or experiment that goes into an output made valid
 * UTF-8 (each stray byte becomes U+FFFD), as pages, SVG, Markdown and JUnit
 * declare. Paths used to open files (store, artifact_dir, artifact paths)
 * are left as they are: the site's template filler repairs those it shows. */
void run_make_utf8(struct run *r);
void experiment_make_utf8(struct experiment *e);

/* Adds a key/value pair (copies both). */
void kvlist_add(struct kvlist *l, const char *key, const char *value);
/* The value for key, or NULL. */
const char *kvlist_get(const struct kvlist *l, const char *key);
void kvlist_sort(struct kvlist *l);
void kvlist_free(struct kvlist *l);

/* The series for key, created empty when absent. Valid until the next call. */
struct series *run_series(struct run *r, const char *key);
const struct series *run_find_series(const struct run *r, const char *key);
/* Metric i of r (i < nmetrics), slimmed or not; what pages, plans and
 * comparisons read of it. Of a run not slimmed it is copied from the
 * series' full summary into the series at each call, so two threads must
 * not read one such run at once. */
const struct series_sum *run_sum(const struct run *r, size_t i);
/* The metric of r called key, or NULL; its index, or SIZE_MAX. */
const struct series_sum *run_find_sum(const struct run *r, const char *key);
size_t run_metric_index(const struct run *r, const char *key);
/* Metric i's count of NaN values (out[0]) and of ±Inf (out[1]). */
void run_nonfinite(const struct run *r, size_t i, uint64_t out[2]);
/* Metric i's decimated copy when it is in memory, else NULL. */
const struct point *run_dec(const struct run *r, size_t i);
void series_add(struct series *s, int64_t step, int64_t time_ms, double value);

void run_add_artifact(struct run *r, const char *path, int64_t size);
struct dataset_input *run_add_dataset(struct run *r);
struct logged_model *run_add_model(struct run *r);

/* Sorts and de-duplicates every series, computes the summaries and the
 * decimated copies (dec_buckets per series, 0 for none), and sorts params,
 * tags, metrics and artifacts. Readers call nothing after this. */
void run_finish(struct run *r, size_t dec_buckets);
/* Sorts metrics, params, tags and artifacts, and fills name, id and status
 * when missing (the part of run_finish() that does not touch points). */
void run_sort_lists(struct run *r);
/* Frees the full point arrays and every series, keeping their summaries
 * (sums) and the decimated copies not yet spilled (decs), and moves the
 * rest into one block (texts runs share held once by the
 * process). A slimmed run is read-only: nothing may be added to its lists
 * or replace its texts (run_slim again is harmless). */
void run_slim(struct run *r);
/* Bytes of the slab run_slim cuts blocks from that are not cut yet: held
 * for the next runs, so the allocator counts them in use (for measuring
 * what a run holds). */
size_t run_slab_unused(void);
/* Drops the hashes of the texts run_slim has seen once (a quarter of a
 * megabyte at 10,000 runs), for when every run is slimmed: a run slimmed
 * after it shares its texts with the others only from their next sighting. */
void run_share_forget(void);

/* The order values and points are kept in: numbers in order, then NaN (so
 * sorting is deterministic whatever the input holds); points by (step, time,
 * value). */
int value_cmp(double a, double b);
int point_cmp(const struct point *a, const struct point *b);
/* Sorts pts by point_cmp and removes identical points; returns the new count. */
size_t points_sort_unique(struct point *pts, size_t n);
void summary_compute(struct metric_summary *sum, const struct point *pts, size_t n);
/* Folds one point into sum (zeroed to start), in any order, to what
 * summary_compute gives over the sorted points: first and last the smallest
 * and largest by point_cmp; min and max the smallest and largest finite
 * value, on a tie (-0 equal to 0) the earliest (step, time). The points
 * folded must be distinct. */
void summary_fold(struct metric_summary *sum, struct point p);
/* M4 decimation of sorted points into at most 4 * buckets points over equal step
 * buckets; returns a new array (caller frees) and its length in *nout. */
struct point *points_decimate_m4(const struct point *pts, size_t n, size_t buckets, size_t *nout);
/* The paths points_decimate_m4 (and run_finish) can take through a bucket: point by point, or 8
 * points at a time with AVX-512 (the same points kept, the same summary).
 * points_m4_simd(want) makes it take path want, or the best this CPU has
 * when want is -1 or beyond it; returns the path taken. */
enum { POINTS_M4_SCALAR, POINTS_M4_AVX512 };
int points_m4_simd(int want);

/* True when selector names run r: its id, its name, "tag:KEY=VALUE" (the tag
 * has that value) or "tag:KEY" (the run has the tag). */
bool run_matches(const struct run *r, const char *selector);

/* Duration in ms, or TIME_UNKNOWN. */
int64_t run_duration_ms(const struct run *r);

#endif
