/* test_runcache.c — runs kept between builds: a real run of each covered
 * reader (Lightning CSV, the MLflow file store) read, encoded and decoded
 * equals the run as read field by field but its points, which are kept as
 * their id, and its decimated copies, which come back from the file's tail;
 * damaged bytes are no run; the readers ask before parsing a folder and
 * deliver what the sink gives, with the same digest while nothing changed
 * and another once a file did; the kept files are found again only under
 * the same fingerprint and salt, with what the site made of the run. */
#include <malloc.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"
#include "fixture.h"
#include "runsite/runcache.h"
#include "runsite/site.h"

extern const struct reader reader_lightning_csv;
extern const struct reader reader_mlflow_file;
extern const struct reader reader_hf_trainer;
extern const struct reader reader_dvclive;

#define DEC_BUCKETS 16 /* few, so long series are decimated */

/* ---- the whole model, field by field ---- */

static int str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int bits_same(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

static int point_same(const struct point *a, const struct point *b)
{
	return a->step == b->step && a->time_ms == b->time_ms && bits_same(a->value, b->value);
}

static int points_same(const struct point *a, size_t na, const struct point *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (!point_same(&a[i], &b[i]))
			return 0;
	return 1;
}

static int kv_same(const struct kvlist *a, const struct kvlist *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (!str_same(a->items[i].key, b->items[i].key) ||
		    !str_same(a->items[i].value, b->items[i].value))
			return 0;
	return 1;
}

/* Checks every field of b (decoded, k filled, its tail's bytes at tail)
 * against a; what names the run in messages. */
static void check_same_run(const struct run *a, const struct run *b, const struct kept_site *ks,
                           const unsigned char *tail, const char *what)
{
	const struct reader *rd = b->format ? reader_by_name(b->format) : NULL;
	OK(str_same(a->format, b->format) && rd && rd->name == b->format,
	   "%s: format (the reader's own string)", what);
	const char *sa[] = {a->store, a->id, a->name, a->experiment_id, a->experiment_name,
	                    a->status, a->user, a->source_name, a->source_type, a->git_commit,
	                    a->git_branch, a->git_repo, a->parent_id, a->notes, a->artifact_dir};
	const char *sb[] = {b->store, b->id, b->name, b->experiment_id, b->experiment_name,
	                    b->status, b->user, b->source_name, b->source_type, b->git_commit,
	                    b->git_branch, b->git_repo, b->parent_id, b->notes, b->artifact_dir};
	for (size_t i = 0; i < sizeof sa / sizeof sa[0]; i++)
		OK(str_same(sa[i], sb[i]), "%s: string field %zu: \"%s\" vs \"%s\"", what, i,
		   sa[i] ? sa[i] : "(null)", sb[i] ? sb[i] : "(null)");
	INT_EQ(b->start_ms, a->start_ms, "start");
	INT_EQ(b->end_ms, a->end_ms, "end");
	INT_EQ(b->deleted, a->deleted, "deleted");
	OK(kv_same(&a->params, &b->params), "%s: params", what);
	OK(kv_same(&a->tags, &b->tags), "%s: tags", what);
	OK(kv_same(&a->extras, &b->extras), "%s: extras", what);
	OK(kv_same(&a->sources, &b->sources), "%s: sources", what);
	INT_EQ(b->nmetrics, a->nmetrics, "metrics");
	for (size_t i = 0; i < a->nmetrics && i < b->nmetrics; i++) {
		const struct series *x = &a->metrics[i], *y = &b->metrics[i];
		const struct metric_summary *m = &x->sum, *k = &y->sum;
		OK(str_same(x->key, y->key), "%s: metric %zu key", what, i);
		struct points_id id;
		points_id_of(x->pts, x->n, &id);
		OK(y->pts == NULL && y->n == 0 && i < ks->nmetrics && ks->pts_id[i].n == id.n &&
		           memcmp(ks->pts_id[i].hash, id.hash, sizeof id.hash) == 0,
		   "%s: %s: no points, their id", what, x->key);
		struct point *dec = i < ks->nmetrics && tail
		                            ? runcache_decode_dec(tail + ks->dec_at[i], ks, i, y->ndec)
		                            : NULL;
		OK(dec && points_same(x->dec, x->ndec, dec, y->ndec), "%s: %s: decimated copy", what,
		   x->key);
		free(dec);
		OK(m->count == k->count && m->nan_count == k->nan_count &&
		           m->inf_count == k->inf_count && m->has_finite == k->has_finite &&
		           point_same(&m->first, &k->first) && point_same(&m->last, &k->last) &&
		           point_same(&m->min, &k->min) && point_same(&m->max, &k->max),
		   "%s: %s: summary", what, x->key);
		OK(x->dropped == y->dropped && x->summarized == y->summarized, "%s: %s: flags", what,
		   x->key);
	}
	INT_EQ(b->nartifacts, a->nartifacts, "artifacts");
	for (size_t i = 0; i < a->nartifacts && i < b->nartifacts; i++)
		OK(str_same(a->artifacts[i].path, b->artifacts[i].path) &&
		           a->artifacts[i].size == b->artifacts[i].size,
		   "%s: artifact %zu", what, i);
	INT_EQ(b->ndatasets, a->ndatasets, "datasets");
	for (size_t i = 0; i < a->ndatasets && i < b->ndatasets; i++) {
		const struct dataset_input *x = &a->datasets[i], *y = &b->datasets[i];
		OK(str_same(x->name, y->name) && str_same(x->digest, y->digest) &&
		           str_same(x->context, y->context) && str_same(x->source_type, y->source_type) &&
		           str_same(x->source, y->source) && str_same(x->schema, y->schema) &&
		           str_same(x->profile, y->profile),
		   "%s: dataset %zu", what, i);
	}
	INT_EQ(b->nmodels, a->nmodels, "models");
	for (size_t i = 0; i < a->nmodels && i < b->nmodels; i++) {
		const struct logged_model *x = &a->models[i], *y = &b->models[i];
		OK(str_same(x->id, y->id) && str_same(x->name, y->name) && str_same(x->type, y->type) &&
		           str_same(x->status, y->status) && str_same(x->uri, y->uri),
		   "%s: model %zu", what, i);
	}
}

static void drop_exp(void *ctx, struct experiment *e)
{
	experiment_free(e);
}

/* ---- a sink that records what readers ask, and can answer ---- */

struct asked {
	struct got got; /* first: take() is handed the struct asked */
	char *dirs[64];
	char *fps[64];
	size_t n;
	struct run *answer[64]; /* given for the folder asked about in that turn */
};

static struct run *asked_cached(void *ctx, const char *dir, const char *fp)
{
	struct asked *a = ctx;
	struct run *r = NULL;
	if (a->n < 64) {
		a->dirs[a->n] = xstrdup(dir);
		a->fps[a->n] = xstrdup(fp);
		r = a->answer[a->n];
		a->answer[a->n] = NULL;
		a->n++;
	}
	return r;
}

static long read_asking(const struct reader *rd, const char *path, struct asked *a)
{
	struct reader_opts o = {.include_deleted = false, .dec_buckets = DEC_BUCKETS};
	struct run_sink s = {a, drop_exp, take, asked_cached};
	return rd->read(path, &o, &s);
}

static void asked_free(struct asked *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->dirs[i]);
		free(a->fps[i]);
	}
	for (size_t i = 0; i < 64; i++)
		run_free(a->answer[i]);
	got_free(&a->got);
	memset(a, 0, sizeof *a);
}

static void touch_later(const char *path);

/* ---- round trips ---- */

/* Reads path with rd and round-trips every run; returns the runs checked. */
static size_t round_trip_store(const struct reader *rd, const char *path)
{
	struct got g;
	struct reader_opts o = {.include_deleted = true, .dec_buckets = DEC_BUCKETS};
	struct run_sink s = {&g, drop_exp, take, NULL};
	memset(&g, 0, sizeof g);
	rd->read(path, &o, &s);
	for (size_t i = 0; i < g.n; i++) {
		struct buf head = BUF_INIT, tail = BUF_INIT;
		struct kept_site none, k;
		memset(&none, 0, sizeof none);
		memset(&k, 0, sizeof k);
		runcache_encode(g.runs[i], &head, &tail);
		runcache_encode_site(&none, &head);
		struct run *back = runcache_decode(head.data, head.size, &k, g.runs[i]->format);
		char what[512];
		snprintf(what, sizeof what, "%s run %s", path, g.runs[i]->id);
		OK(back != NULL, "%s decodes", what);
		if (back)
			check_same_run(g.runs[i], back, &k, (const unsigned char *)tail.data, what);
		run_free(back);
		kept_site_free(&k);
		buf_free(&head);
		buf_free(&tail);
	}
	size_t n = g.n;
	got_free(&g);
	return n;
}

static void test_round_trip_corpus(void)
{
	/* The MLflow store of the repository's samples (real MLflow output). */
	size_t n = round_trip_store(&reader_mlflow_file, "sample-runs/mlruns");
	OK(n >= 10, "sample-runs/mlruns: %zu runs round-tripped", n);
	n = round_trip_store(&reader_hf_trainer, "tests/corpus/hf-trainer/whisper-large-v2-japanese");
	INT_EQ(n, 1, "the Hugging Face Trainer sample round-tripped");
	const char *ml[] = {"../shared/corpus/mlflow-filestore/jday54-mlflow1.26",
	                    "../shared/corpus/mlflow-filestore/lissygrace-mlflow3",
	                    "../shared/corpus/mlflow-filestore/yeshwanth-mlflow3-workspace",
	                    "../shared/corpus/mlflow-filestore/keimoriyama-lightning"};
	const char *lc[] = {"../shared/corpus/lightning-csv/ai-for-chemistry/lightning_logs/version_4",
	                    "../shared/corpus/lightning-csv/ai-for-chemistry/lightning_logs/version_23",
	                    "../shared/corpus/lightning-csv/mlops-homework/lightning_logs/version_0"};
	struct stat st;
	if (stat("../shared/corpus", &st) != 0) {
		SKIP("../shared/corpus not found");
		return;
	}
	size_t total = 0;
	for (size_t i = 0; i < sizeof ml / sizeof ml[0]; i++) {
		char *mlruns = path_join(ml[i], "mlruns");
		total += round_trip_store(&reader_mlflow_file, stat(mlruns, &st) == 0 ? mlruns : ml[i]);
		free(mlruns);
	}
	OK(total > 0, "MLflow corpus: %zu runs round-tripped", total);
	total = 0;
	for (size_t i = 0; i < sizeof lc / sizeof lc[0]; i++)
		total += round_trip_store(&reader_lightning_csv, lc[i]);
	INT_EQ(total, 3, "Lightning corpus runs round-tripped");
	const char *dl[] = {"../shared/corpus/dvclive/get-started-experiments-fastai/results/train",
	                    "../shared/corpus/dvclive/sound-event-detection-lightning/dvclive",
	                    "../shared/corpus/dvclive/example-dvc-experiments-0x/baseline/dvclive"};
	total = 0;
	for (size_t i = 0; i < sizeof dl / sizeof dl[0]; i++)
		total += round_trip_store(&reader_dvclive, dl[i]);
	INT_EQ(total, 3, "DVCLive corpus runs round-tripped");
}

/* The one-run folders (Hugging Face Trainer, DVCLive) ask too, and their
 * digest follows their files. */
static void test_one_run_folders_ask(void)
{
	put("hf/trainer_state.json", "{\"global_step\": 2, \"log_history\": [{\"step\": 1, \"loss\": 0.5}, {\"step\": 2, \"loss\": 0.25}]}");
	put("hf/checkpoint-2/trainer_state.json", "{\"global_step\": 2, \"log_history\": []}");
	put("dl/dvclive/metrics.json", "{\"loss\": 0.25, \"step\": 1}");
	put("dl/dvclive/plots/metrics/loss.tsv", "step\tloss\n0\t0.5\n1\t0.25\n");
	put("dl/params.yaml", "lr: 0.1\n");
	const struct {
		const struct reader *rd;
		const char *dir, *change;
	} cases[] = {{&reader_hf_trainer, "hf", "hf/checkpoint-2/trainer_state.json"},
	             {&reader_dvclive, "dl/dvclive", "dl/params.yaml"}};
	for (size_t i = 0; i < 2; i++) {
		char *dir = tp(cases[i].dir), *ch = tp(cases[i].change);
		struct asked a1, a2;
		memset(&a1, 0, sizeof a1);
		memset(&a2, 0, sizeof a2);
		read_asking(cases[i].rd, dir, &a1);
		OK(a1.n == 1 && a1.got.n == 1, "%s: asked once, read", cases[i].rd->name);
		read_asking(cases[i].rd, dir, &a2);
		OK(a2.n == 1 && strcmp(a1.fps[0], a2.fps[0]) == 0, "%s: unchanged: the same digest",
		   cases[i].rd->name);
		asked_free(&a2);
		touch_later(ch);
		read_asking(cases[i].rd, dir, &a2);
		OK(a2.n == 1 && strcmp(a1.fps[0], a2.fps[0]) != 0, "%s: %s touched: another digest",
		   cases[i].rd->name, cases[i].change);
		asked_free(&a2);
		struct run *given = run_new(cases[i].rd->name, dir);
		a2.answer[0] = given;
		read_asking(cases[i].rd, dir, &a2);
		OK(a2.got.n == 1 && a2.got.runs[0] == given, "%s: the run the sink gave is delivered",
		   cases[i].rd->name);
		asked_free(&a1);
		asked_free(&a2);
		free(dir);
		free(ch);
	}
}

/* Odd values survive: NaN payloads, infinities, negative zero, huge steps,
 * times, NULL against empty strings. */
static void test_round_trip_edges(void)
{
	struct run *r = run_new("lightning-csv", "/s");
	r->id = xstrdup("");
	r->notes = xstrdup("notes\nwith\0"); /* NUL ends it */
	r->start_ms = INT64_MIN + 1;
	r->end_ms = INT64_MAX;
	kvlist_add(&r->params, "", "");
	struct series *s = run_series(r, "m");
	double nan2;
	uint64_t payload = 0x7ff8000000000123ull;
	memcpy(&nan2, &payload, sizeof nan2);
	double vals[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, nan2, 1e-310, 1.5, 1.5, -2.25};
	int64_t steps[] = {INT64_MIN, -5, 0, 1, 2, 3, 1000000000000LL, INT64_MAX - 2, INT64_MAX - 1,
	                   INT64_MAX};
	for (size_t i = 0; i < 10; i++)
		series_add(s, steps[i], (int64_t)i * 1000 - 3, vals[i]);
	run_series(r, "empty");
	run_add_artifact(r, "a/b", -1);
	struct dataset_input *d = run_add_dataset(r);
	d->name = xstrdup("ds");
	struct logged_model *m = run_add_model(r);
	m->id = xstrdup("m1");
	m->name = xstrdup("model");
	run_finish(r, 2);
	struct buf b = BUF_INIT, tail = BUF_INIT;
	struct kept_site site, k;
	memset(&site, 0, sizeof site);
	memset(&k, 0, sizeof k);
	site.id = xstrdup("");
	site.slug = xstrdup("s");
	site.color = 7;
	site.nmetrics = 2;
	kept_site_add_chart(&site, 1, "m", "alt", NULL);
	kept_site_add_file(&site, "runs/s/m.svg", "fp");
	runcache_encode(r, &b, &tail);
	runcache_encode_site(&site, &b);
	struct run *back = runcache_decode(b.data, b.size, &k, reader_lightning_csv.name);
	OK(back != NULL, "edge run decodes");
	if (back) {
		check_same_run(r, back, &k, (const unsigned char *)tail.data, "edge run");
		OK(str_same(k.id, "") && str_same(k.slug, "s") && k.color == 7 && k.ncharts == 1 &&
		           k.charts[0].metric == 1 && str_same(k.charts[0].alt, "alt") &&
		           !k.charts[0].data && k.nfiles == 1 && str_same(k.files[0].fp, "fp"),
		   "what the site made of it comes back");
	}
	run_free(back);
	kept_site_free(&k);
	/* Every cut of the bytes short of the whole is no run. */
	size_t bad = 0;
	for (size_t cut = 0; cut < b.size; cut++) {
		struct run *x = runcache_decode(b.data, cut, &k, r->format);
		bad += x != NULL;
		run_free(x);
		kept_site_free(&k);
	}
	INT_EQ(bad, 0, "truncated encodings decoded");
	/* A byte changed anywhere never crashes (the sanitizers watch). */
	for (size_t i = 0; i < b.size; i++) {
		b.data[i] ^= 0x5a;
		run_free(runcache_decode(b.data, b.size, &k, r->format));
		kept_site_free(&k);
		b.data[i] ^= 0x5a;
	}
	/* A run another reader read is no run of this one's. */
	OK(runcache_decode(b.data, b.size, &k, "mlflow-file") == NULL, "another reader's: no run");
	kept_site_free(&k);
	struct run *alien = run_new("no-such-reader", "/s");
	struct buf a = BUF_INIT, at = BUF_INIT;
	runcache_encode(alien, &a, &at);
	runcache_encode_site(&site, &a);
	OK(runcache_decode(a.data, a.size, &k, "lightning-csv") == NULL, "unknown format: no run");
	kept_site_free(&k);
	buf_free(&a);
	buf_free(&at);
	run_free(alien);
	/* A count no memory could have held (a summary keeps 40 bits of it). */
	r->metrics[0].sum.count = SERIES_COUNT_MAX + 1;
	a = (struct buf)BUF_INIT;
	at = (struct buf)BUF_INIT;
	runcache_encode(r, &a, &at);
	runcache_encode_site(&site, &a);
	OK(runcache_decode(a.data, a.size, &k, r->format) == NULL, "a count over 2^40: no run");
	kept_site_free(&k);
	r->metrics[0].sum.count = SERIES_COUNT_MAX;
	buf_free(&a);
	buf_free(&at);
	runcache_encode(r, &a, &at);
	runcache_encode_site(&site, &a);
	back = runcache_decode(a.data, a.size, &k, r->format);
	OK(back != NULL, "a count of 2^40 - 1 decodes");
	if (back) {
		run_slim(back);
		OK(run_sum(back, 0)->count == SERIES_COUNT_MAX, "and is kept whole when slimmed");
	}
	run_free(back);
	kept_site_free(&k);
	buf_free(&a);
	buf_free(&at);
	kept_site_free(&site);
	buf_free(&b);
	buf_free(&tail);
	run_free(r);
}

/* ---- the readers ask, and take the answer ---- */

static void touch_later(const char *path)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {0, 0}};
	struct stat st;
	stat(path, &st);
	ts[1].tv_sec = st.st_mtim.tv_sec + 10;
	ts[1].tv_nsec = st.st_mtim.tv_nsec;
	utimensat(AT_FDCWD, path, ts, 0);
}

static void test_lightning_asks(void)
{
	put("proj/lightning_logs/version_0/metrics.csv", "epoch,step,loss\n0,0,1.0\n0,1,0.5\n");
	put("proj/lightning_logs/version_0/hparams.yaml", "lr: 0.1\n");
	put("proj/lightning_logs/version_1/metrics.csv", "epoch,step,loss\n0,0,2.0\n0,1,1.5\n");
	char *logs = tp("proj/lightning_logs"), *m0 = tp("proj/lightning_logs/version_0/metrics.csv");
	char *h0 = tp("proj/lightning_logs/version_0/hparams.yaml");
	struct asked a1, a2, a3;
	memset(&a1, 0, sizeof a1);
	memset(&a2, 0, sizeof a2);
	memset(&a3, 0, sizeof a3);
	struct got plain;
	read_with(&reader_lightning_csv, logs, &plain);
	INT_EQ(plain.n, 2, "a sink that keeps no runs is never asked: both read");
	got_free(&plain);
	read_asking(&reader_lightning_csv, logs, &a1);
	INT_EQ(a1.n, 2, "lightning asks once per run folder");
	INT_EQ(a1.got.n, 2, "and reads both when told nothing");
	read_asking(&reader_lightning_csv, logs, &a2);
	OK(a2.n == 2 && strcmp(a1.fps[0], a2.fps[0]) == 0 && strcmp(a1.fps[1], a2.fps[1]) == 0,
	   "nothing changed: the same digests");
	/* The same content, a later mtime: another digest for that run only. */
	touch_later(m0);
	read_asking(&reader_lightning_csv, logs, &a3);
	OK(a3.n == 2 && strcmp(a1.fps[0], a3.fps[0]) != 0 && strcmp(a1.fps[1], a3.fps[1]) == 0,
	   "metrics.csv touched: that run's digest changed, the other's not");
	asked_free(&a3);
	touch_later(h0);
	read_asking(&reader_lightning_csv, logs, &a3);
	OK(a3.n == 2 && strcmp(a2.fps[0], a3.fps[0]) != 0, "hparams.yaml touched: digest changed");
	asked_free(&a3);
	/* Told a run, the reader delivers it as it is and parses nothing. */
	struct run *given = run_new("lightning-csv", logs);
	given->id = xstrdup("given");
	a3.answer[1] = given;
	read_asking(&reader_lightning_csv, logs, &a3);
	OK(a3.got.n == 2 && a3.got.runs[1] == given, "the run the sink gave is delivered");
	OK(a3.got.n == 2 && a3.got.runs[0] != given && a3.got.runs[0]->nmetrics >= 1,
	   "the other run is read");
	asked_free(&a1);
	asked_free(&a2);
	asked_free(&a3);
	free(logs);
	free(m0);
	free(h0);
}

static void test_mlflow_asks(void)
{
	const char *exp = "mlruns/1";
	put("mlruns/1/meta.yaml", "artifact_location: x\nexperiment_id: '1'\nlifecycle_stage: active\nname: e\n");
	put("mlruns/1/aaaa/meta.yaml", "run_id: aaaa\nexperiment_id: '1'\nstatus: 3\nlifecycle_stage: active\n");
	put("mlruns/1/aaaa/metrics/loss", "1 0.5 0\n2 0.25 1\n");
	put("mlruns/1/aaaa/params/lr", "0.1");
	put("mlruns/1/bbbb/meta.yaml", "run_id: bbbb\nexperiment_id: '1'\nstatus: 3\nlifecycle_stage: active\n");
	put("mlruns/1/bbbb/metrics/loss", "1 0.7 0\n");
	(void)exp;
	char *root = tp("mlruns"), *p = tp("mlruns/1/aaaa/params/lr"),
	     *m = tp("mlruns/1/bbbb/metrics/loss"), *em = tp("mlruns/1/meta.yaml");
	struct asked a1, a2;
	memset(&a1, 0, sizeof a1);
	memset(&a2, 0, sizeof a2);
	read_asking(&reader_mlflow_file, root, &a1);
	INT_EQ(a1.n, 2, "mlflow asks once per run folder");
	touch_later(p);
	read_asking(&reader_mlflow_file, root, &a2);
	OK(a2.n == 2 && strcmp(a1.fps[0], a2.fps[0]) != 0 && strcmp(a1.fps[1], a2.fps[1]) == 0,
	   "a param file changed: that run's digest only");
	asked_free(&a2);
	FILE *f = fopen(m, "a");
	fputs("2 0.6 1\n", f);
	fclose(f);
	read_asking(&reader_mlflow_file, root, &a2);
	OK(a2.n == 2 && strcmp(a1.fps[1], a2.fps[1]) != 0, "a metric point appended: digest changed");
	asked_free(&a1);
	touch_later(em);
	read_asking(&reader_mlflow_file, root, &a1);
	OK(a1.n == 2 && strcmp(a1.fps[0], a2.fps[0]) != 0 && strcmp(a1.fps[1], a2.fps[1]) != 0,
	   "the experiment's meta.yaml changed: every run's digest");
	asked_free(&a1);
	asked_free(&a2);
	free(root);
	free(p);
	free(m);
	free(em);
}

/* ---- the kept files ---- */

struct row_copy {
	char key[64], fp[128], blob[64];
};

struct rows {
	struct row_copy items[4];
	size_t n;
};

/* Copies each row listed, as cache.c writes them into its database. */
static int collect_row(void *ctx, const char *key, const char *fp, const char *blob)
{
	struct rows *l = ctx;
	if (l->n >= 4)
		return 0;
	struct row_copy *r = &l->items[l->n++];
	snprintf(r->key, sizeof r->key, "%s", key);
	snprintf(r->fp, sizeof r->fp, "%s", fp);
	snprintf(r->blob, sizeof r->blob, "%s", blob);
	return 1;
}

/* A cache over old_dir with the rows of l, as cache.c loads them. */
static struct runcache *reopen(const char *old_dir, const char *new_dir, const char *salt,
                               const struct rows *l)
{
	struct runcache *c = runcache_open(old_dir, new_dir, salt);
	for (size_t i = 0; i < l->n; i++)
		runcache_index_add(c, l->items[i].key, l->items[i].fp, l->items[i].blob);
	return c;
}

/* Asks c for key with fingerprint fp: the run, or NULL; *k the handle. */
static struct run *ask(struct runcache *c, const char *key, const char *fp, struct run_keep **k)
{
	struct run *r = NULL;
	*k = runcache_ask(c, key, fp, reader_mlflow_file.name, &r);
	return r;
}

static void test_store(void)
{
	char *d1 = tp("site1/.runsite-runs"), *d2 = tp("site2/.runsite-runs");
	struct run *r = run_new("mlflow-file", "/store");
	r->id = xstrdup("r1");
	for (int i = 0; i < 100; i++)
		series_add(run_series(r, "loss"), i, 0, 1.0 / (i + 1));
	run_finish(r, DEC_BUCKETS);
	struct point spill[3] = {{1, 10, 0.5}, {2, 20, 0.25}, {3, 30, NAN}};
	struct rows l1 = {0}, l2 = {0}, l3 = {0};
	struct runcache *c = runcache_open(NULL, d1, "salt");
	struct run_keep *k;
	OK(ask(c, "k1", "fp1", &k) == NULL && !runcache_keep_hit(k), "nothing kept yet");
	runcache_keep_read(k, r);
	struct kept_site *ks = runcache_keep_site(k);
	ks->id = xstrdup("r1");
	ks->slug = xstrdup("r1-slug");
	ks->color = 3;
	kept_site_add_chart(ks, 0, "loss", "a chart of loss", "loss.points.js");
	kept_site_add_file(ks, "runs/r1-slug/loss.svg", "fpsvg");
	kept_site_add_spill(ks, 0, spill, 3);
	runcache_keep_done(c, k, 1);
	/* A run whose site part could not be kept, and one the site failed on, are not. */
	ask(c, "k2", "fp1", &k);
	runcache_keep_read(k, r);
	runcache_keep_site(k)->unkeepable = true;
	runcache_keep_done(c, k, 1);
	ask(c, "k3", "fp1", &k);
	runcache_keep_read(k, r);
	runcache_keep_done(c, k, 0);
	OK(runcache_rows(c, collect_row, &l1), "rows listed");
	INT_EQ(l1.n, 1, "one row: the run kept whole");
	runcache_free(c);

	c = reopen(d1, d2, "salt", &l1);
	OK(ask(c, "k1", "fp2", &k) == NULL, "another fingerprint: not taken");
	runcache_keep_free(k);
	OK(ask(c, "k2", "fp1", &k) == NULL, "another key: not taken");
	runcache_keep_free(k);
	struct run *back = ask(c, "k1", "fp1", &k);
	OK(back != NULL && runcache_keep_hit(k), "the same key and fingerprint: taken");
	ks = runcache_keep_site(k);
	if (back) {
		struct buf head = BUF_INIT, tail = BUF_INIT;
		runcache_encode(r, &head, &tail);
		struct kept_site at = *ks;
		at.dec_at = xcalloc(1, sizeof *at.dec_at); /* the tail alone starts at 0 */
		check_same_run(r, back, &at, (const unsigned char *)tail.data, "kept run");
		free(at.dec_at);
		buf_free(&head);
		buf_free(&tail);
		struct point *dec = runcache_read_dec(ks, 0, back->metrics[0].ndec);
		OK(dec && points_same(dec, back->metrics[0].ndec, r->metrics[0].dec,
		                      r->metrics[0].ndec),
		   "its decimated copy is read back from its file");
		free(dec);
		OK(str_same(ks->id, "r1") && str_same(ks->slug, "r1-slug") && ks->color == 3 &&
		           ks->ncharts == 1 && str_same(ks->charts[0].data, "loss.points.js") &&
		           ks->nfiles == 1 && str_same(ks->files[0].rel, "runs/r1-slug/loss.svg") &&
		           str_same(ks->files[0].fp, "fpsvg") && ks->nspill == 1,
		   "what the site made of it comes back");
		size_t ns = 0;
		struct point *sp = runcache_read_spill(ks, 0, &ns);
		OK(sp && points_same(sp, ns, spill, 3), "and the points kept for its overlays");
		free(sp);
		OK(!runcache_read_spill(ks, 1, &ns), "none kept of another metric");
	}
	run_free(back);
	runcache_keep_done(c, k, 1);
	runcache_rows(c, collect_row, &l2);
	OK(l2.n == 1 && strcmp(l2.items[0].blob, l1.items[0].blob) == 0 &&
	           strcmp(l2.items[0].fp, l1.items[0].fp) == 0,
	   "the taken run is listed for the new cache as it was");
	char *kept = path_join(d2, l1.items[0].blob);
	struct stat st;
	OK(stat(kept, &st) == 0, "and its file is in the new folder");
	size_t hits, misses;
	runcache_counts(c, &hits, &misses);
	OK(hits == 1 && misses == 2, "counted: %zu taken, %zu not", hits, misses);
	runcache_free(c);

	c = reopen(d2, d1, "other", &l1);
	OK(ask(c, "k1", "fp1", &k) == NULL, "another binary (salt): not taken");
	runcache_keep_free(k);
	runcache_free(c);

	/* A byte of the tail changed: the run is taken, its copy is not read back. */
	FILE *f = fopen(kept, "r+b");
	size_t spill_bytes = 3 * 3 + 1 + 4 * 8; /* at most, after the copies */
	fseek(f, st.st_size - (long)spill_bytes - 5, SEEK_SET);
	int ch = fgetc(f);
	fseek(f, st.st_size - (long)spill_bytes - 5, SEEK_SET);
	fputc(ch ^ 0x40, f);
	fclose(f);
	c = reopen(d2, d1, "salt", &l1);
	back = ask(c, "k1", "fp1", &k);
	OK(back && !runcache_read_dec(runcache_keep_site(k), 0, back->metrics[0].ndec),
	   "a damaged decimated copy is not read back");
	run_free(back);
	f = fopen(kept, "r+b");
	fseek(f, st.st_size - 1, SEEK_SET);
	ch = fgetc(f);
	fseek(f, st.st_size - 1, SEEK_SET);
	fputc(ch ^ 0x01, f);
	fclose(f);
	size_t ns;
	struct point *sp = runcache_read_spill(runcache_keep_site(k), 0, &ns);
	OK(!sp, "nor damaged points kept for the overlays");
	free(sp);
	runcache_keep_free(k);
	runcache_free(c);
	/* A byte of the head changed: no run. */
	f = fopen(kept, "r+b");
	fseek(f, 60, SEEK_SET);
	fputc('#', f);
	fclose(f);
	c = reopen(d2, d1, "salt", &l1);
	OK(ask(c, "k1", "fp1", &k) == NULL, "a damaged file: not taken");
	runcache_keep_free(k);
	runcache_free(c);

	snprintf(l1.items[0].blob, sizeof l1.items[0].blob, "../../../etc/passwd");
	c = reopen(d2, d1, "salt", &l1);
	OK(ask(c, "k1", "fp1", &k) == NULL, "a row naming another file: not taken");
	runcache_keep_free(k);
	runcache_rows(c, collect_row, &l3);
	INT_EQ(l3.n, 0, "nothing listed for a build that kept nothing");
	runcache_free(c);
	free(kept);
	run_free(r);
	free(d1);
	free(d2);
}

/* Heap bytes in use (malloc's arenas and its mmapped blocks; one thread). */
static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

/* Counts the rows listed, checking they come in key order. */
struct row_order {
	size_t n;
	char last[128];
	int ordered;
};

static int count_row(void *ctx, const char *key, const char *fp, const char *blob)
{
	struct row_order *o = ctx;
	o->ordered &= strcmp(o->last, key) < 0 && strcmp(fp, "fp-salt") == 0 && strlen(blob) == 32;
	snprintf(o->last, sizeof o->last, "%s", key);
	o->n++;
	return 1;
}

/* The list of runs a build keeps holds no memory per run while the site is
 * built: its rows wait in a file until the list is written, then come out
 * in key order. Thousands of runs are kept (not in key order, as chart
 * workers finish them), and the heap counted between the first quarter
 * and the end. */
static void test_rows_not_held(void)
{
	enum { WARM = 256, RUNS = 1024 };
	char *dir = tp("many/.runsite-runs");
	struct runcache *c = runcache_open(NULL, dir, "salt");
	struct run *r = run_new("mlflow-file", "/store");
	r->id = xstrdup("r");
	for (int i = 0; i < 10; i++)
		series_add(run_series(r, "loss"), i, 0, 1.0 / (i + 1));
	run_finish(r, DEC_BUCKETS);
	size_t before = 0;
	for (int i = 0; i < RUNS; i++) {
		if (i == WARM)
			before = heap_in_use();
		char key[96];
		snprintf(key, sizeof key, "mlflow-file\t/store/0/%05u-4f1c2a9b8e7d6c5b",
		         (unsigned)((i * 7919u) % RUNS));
		struct run_keep *k;
		ask(c, key, "fp", &k);
		runcache_keep_read(k, r);
		struct kept_site *ks = runcache_keep_site(k);
		ks->id = xstrdup(key); /* a file of its own for each */
		ks->slug = xstrdup("r");
		runcache_keep_done(c, k, 1);
	}
	size_t after = heap_in_use();
	if (before == 0 || after < before) {
		SKIP("this allocator does not count with mallinfo2 (a sanitizer's)");
	} else {
		size_t per_run = (after - before) / (RUNS - WARM);
		OK(per_run <= 8, "a kept run's row holds %zu bytes (at most 8)", per_run);
	}
	struct row_order o = {0, "", 1};
	OK(runcache_rows(c, count_row, &o), "rows listed");
	INT_EQ(o.n, RUNS, "every kept run is listed");
	OK(o.ordered, "in key order, with its fingerprint and file");
	struct row_order again = {0, "", 1};
	OK(runcache_rows(c, count_row, &again) && again.n == RUNS && again.ordered,
	   "and again the same");
	runcache_free(c);
	run_free(r);
	free(dir);
}

/* The site's digest of a run read now takes each series' points id from
 * the run's keep, worked out when the run was encoded, instead of hashing
 * its points again; a series added since (a merge) is hashed. The digest
 * is the same either way. */
static void test_digest_hashes_once(void)
{
	struct run *r = run_new("mlflow-file", "/store");
	r->id = xstrdup("r-digest");
	for (int i = 0; i < 5000; i++)
		series_add(run_series(r, "loss"), i, 1000 + i, 1.0 / (i + 1));
	run_finish(r, DEC_BUCKETS);
	char *d = tp("site-digest/.runsite-runs");
	struct runcache *c = runcache_open(NULL, d, "salt");
	struct run_keep *k;
	ask(c, "kd", "fp", &k);
	runcache_keep_read(k, r);
	/* a series merged in after the run was encoded */
	for (int i = 0; i < 3000; i++)
		series_add(run_series(r, "acc"), i, 1000 + i, 0.5);
	size_t ndec = r->metrics[0].ndec + r->metrics[1].ndec;
	struct site_run sr;
	memset(&sr, 0, sizeof sr);
	sr.run = r;
	sr.keep = k;
	uint64_t before = points_id_hashed();
	site_run_digest(&sr, NULL);
	uint64_t hashed = points_id_hashed() - before;
	INT_EQ(hashed, 3000 + ndec, "only the merged series and the decimated copies are hashed");
	unsigned char with_keep[16];
	memcpy(with_keep, sr.digest, sizeof with_keep);
	sr.keep = NULL;
	site_run_digest(&sr, NULL);
	OK(memcmp(with_keep, sr.digest, sizeof with_keep) == 0, "the same digest as hashing every point");
	runcache_keep_free(k);
	runcache_free(c);
	run_free(r);
	free(d);
}

int main(void)
{
	fixture_init("runcache");
	test_round_trip_corpus();
	test_round_trip_edges();
	test_lightning_asks();
	test_mlflow_asks();
	test_one_run_folders_ask();
	test_store();
	test_digest_hashes_once();
	test_rows_not_held();
	rm_tree(tmpdir);
	return TEST_END();
}
