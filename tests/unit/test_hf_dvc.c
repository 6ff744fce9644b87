/* test_hf_dvc.c — YAML flattening, lenient JSON, and the Hugging Face
 * Trainer and DVCLive readers on fixtures written here and on the real
 * samples in tests/corpus (../shared/corpus for those not licensed to copy). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "fixture.h"
#include "runsite/diag.h"
#include "runsite/reader.h"
#include "runsite/util.h"
#include "../../src/readers/csvparse.h"
#include "runsite/yamlkv.h"

extern const struct reader reader_hf_trainer;
extern const struct reader reader_dvclive;

/* Messages of this thread, collected instead of printed (diag_redirect). */
static void collect_msg(void *ctx, char *text)
{
	buf_puts(ctx, text);
	free(text);
}

static void test_yaml(void)
{
	const char *y = "base: &b\n  lr: 0.1\n  opt: adam\n"
	                "run:\n  <<: *b\n  lr: 0.2\n  tags: [a, \"b c\"]\n"
	                "obj: !!python/object/apply:collections.OrderedDict\n- - - k\n    - 1\n"
	                "empty:\nnested: {a: {b: 1}}\n";
	struct kvlist l = {0};
	long n = yamlkv_parse(y, strlen(y), "t.yaml", NULL, YAMLKV_SEP_DVC, &l);
	OK(n > 0, "parsed");
	STR_EQ(kvlist_get(&l, "base.lr"), "0.1", "nested dotted");
	STR_EQ(kvlist_get(&l, "run.opt"), "adam", "merge key merged");
	STR_EQ(kvlist_get(&l, "run.tags"), "[\"a\", \"b c\"]", "sequence as JSON-like text");
	STR_EQ(kvlist_get(&l, "nested.a.b"), "1", "flow mapping dotted");
	STR_EQ(kvlist_get(&l, "empty"), "null", "empty value is null");
	const char *o = kvlist_get(&l, "obj");
	OK(o && str_starts(o, "!!python/object/apply:collections.OrderedDict [[[\"k\", 1]]]"),
	   "python tag as text: %s", o ? o : "(none)");
	kvlist_free(&l);

	/* Billion laughs: nine levels of nine aliases; bounded, not expanded. */
	struct buf b = BUF_INIT;
	buf_puts(&b, "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
	for (int i = 1; i < 10; i++) {
		buf_printf(&b, "a%d: &a%d [", i, i);
		for (int k = 0; k < 9; k++)
			buf_printf(&b, "%s*a%d", k ? ", " : "", i - 1);
		buf_puts(&b, "]\n");
	}
	n = yamlkv_parse(b.data, b.size, "laughs.yaml", NULL, YAMLKV_SEP_DVC, &l);
	OK(n >= 1 && n <= 10, "billion laughs bounded (%ld pairs)", n);
	size_t total = 0;
	for (size_t i = 0; i < l.n; i++)
		total += strlen(l.items[i].value);
	OK(total < 100000, "billion laughs text bounded (%zu bytes)", total);
	kvlist_free(&l);
	buf_free(&b);

	/* A recursive alias (Python yaml allows it) must not loop. */
	const char *rec = "a: &x [1, *x]\n";
	n = yamlkv_parse(rec, strlen(rec), "rec.yaml", NULL, YAMLKV_SEP_DVC, &l);
	OK(n == 1, "recursive alias bounded");
	kvlist_free(&l);

	size_t before = diag_count();
	const char *bad = "a: 1\nb: [unclosed\nc: 3\n";
	n = yamlkv_parse(bad, strlen(bad), "bad.yaml", NULL, YAMLKV_SEP_DVC, &l);
	OK(diag_count() > before, "YAML error reported");
	STR_EQ(kvlist_get(&l, "a"), "1", "what came before the error kept");
	kvlist_free(&l);
	OK(yamlkv_parse("{}\n", 3, "e.yaml", NULL, YAMLKV_SEP_DVC, &l) == 0 && l.n == 0, "empty mapping: no params");

	/* Nested past the depth limit: reported, what came before kept, and the
	 * parse stops there (going on costs libyaml time quadratic in the depth). */
	struct buf deep = BUF_INIT;
	buf_puts(&deep, "before: 1\ndeep: ");
	for (int i = 0; i < 200; i++)
		buf_puts(&deep, "{a: ");
	buf_puts(&deep, "1");
	for (int i = 0; i < 200; i++)
		buf_puts(&deep, "}");
	buf_puts(&deep, "\nafter: 2\n");
	struct buf err = BUF_INIT;
	diag_redirect(collect_msg, &err);
	n = yamlkv_parse(deep.data, deep.size, "deep.yaml", NULL, YAMLKV_SEP_DVC, &l);
	diag_redirect(NULL, NULL);
	OK(strstr(buf_cstr(&err), "deep.yaml:2: YAML: nested deeper than 64 levels") != NULL,
	   "depth limit reported: %s", buf_cstr(&err));
	STR_EQ(kvlist_get(&l, "before"), "1", "the key before the deep value kept");
	OK(kvlist_get(&l, "after") == NULL, "parsing stopped at the depth limit");
	buf_free(&err);
	kvlist_free(&l);
	buf_free(&deep);
}

static void test_json(void)
{
	const char *t = "{\"a\": NaN, \"b\": -Infinity, \"c\": [Infinity], \"s\": \"NaN Infinity\", "
	                "\"big\": 123456789012345678901234567890}";
	json_t *j = json_parse_lenient(t, strlen(t), "t.json");
	OK(j != NULL, "bare NaN tokens accepted");
	double d;
	OK(j && json_to_double(json_object_get(j, "a"), 0, &d) && isnan(d), "NaN");
	OK(j && json_to_double(json_object_get(j, "b"), 0, &d) && isinf(d) && d < 0, "-Infinity");
	OK(j && json_to_double(json_array_get(json_object_get(j, "c"), 0), 0, &d) && d > 1e308,
	   "Infinity in a list");
	STR_EQ(j ? json_string_value(json_object_get(j, "s")) : NULL, "NaN Infinity",
	       "tokens inside strings untouched");
	OK(j && json_to_double(json_object_get(j, "big"), 0, &d) && d > 1e29, "huge integer as real");
	OK(j && !json_to_double(json_object_get(j, "s"), 1, &d), "text is not a number");
	json_decref(j);
	size_t before = diag_count();
	OK(json_parse_lenient("{\n\"a\": NaNa}", 12, "bad.json") == NULL, "NaNa is not a token");
	OK(diag_count() == before + 1, "bad JSON reported");
}

#define STATE_TMPL \
	"{\n  \"best_metric\": 0.5,\n  \"best_model_checkpoint\": \"/x/checkpoint-%d\",\n" \
	"  \"global_step\": %d,\n  \"log_history\": [\n" \
	"    {\"epoch\": 0.5, \"learning_rate\": 0.001, \"loss\": NaN, \"step\": 10},\n" \
	"    {\"epoch\": 0.5, \"eval_loss\": 0.7, \"eval_acc\": null, \"step\": 10},\n" \
	"    {\"epoch\": 1.0, \"loss\": 1.5, \"step\": %d}%s\n  ],\n" \
	"  \"stateful_callbacks\": {\"TrainerControl\": {\"args\": {\"should_save\": true}," \
	" \"attributes\": {}}},\n  \"trial_params\": null\n}\n"

static void write_state(const char *rel, int step, int final)
{
	char text[2048];
	snprintf(text, sizeof text, STATE_TMPL, step, step, step,
	         final ? ",\n    {\"epoch\": 1.0, \"step\": 20, \"total_flos\": 5.27e+20, "
	                 "\"train_loss\": 1.2, \"train_runtime\": 99.5}"
	               : "");
	put(rel, text);
}

static void test_hf(void)
{
	/* No top-level state: the highest checkpoint is the run, once. */
	write_state("out/checkpoint-10/trainer_state.json", 10, 0);
	write_state("out/checkpoint-20/trainer_state.json", 20, 0);
	write_state("out/checkpoint-9/trainer_state.json", 9, 0);
	put("out/all_results.json", "{\n    \"epoch\": 1.0,\n    \"eval_samples\": 100,\n    "
	                            "\"train_loss\": 1.2,\n    \"note\": \"hello\"\n}");
	char *out = tp("out"), *ck = tp("out/checkpoint-10");
	OK(reader_hf_trainer.probe(out) > 0, "output folder claimed");
	struct got g;
	INT_EQ(read_with(&reader_hf_trainer, out, &g), 1, "checkpoints make one run");
	if (g.n == 1) {
		struct run *r = g.runs[0];
		const struct series *s = run_find_series(r, "loss");
		OK(s && s->sum.count == 2 && s->sum.last.step == 20, "latest state read (step 20)");
		OK(s && s->sum.nan_count == 1, "bare NaN loss kept as NaN");
		s = run_find_series(r, "eval_loss");
		OK(s && s->sum.count == 1 && s->pts[0].step == 10, "eval entry at its step");
		OK(run_find_series(r, "eval_acc") == NULL, "null value not drawn");
		s = run_find_series(r, "eval_samples");
		OK(s && s->sum.count == 1 && s->pts[0].step == 20, "all_results key at the final step");
		s = run_find_series(r, "epoch");
		OK(s && s->sum.count == 2, "history epoch wins over all_results");
		STR_EQ(kvlist_get(&r->params, "best_model_checkpoint"), "/x/checkpoint-20", "params");
		STR_EQ(kvlist_get(&r->params, "stateful_callbacks.TrainerControl.args.should_save"),
		       "true", "callback args flattened");
		OK(kvlist_get(&r->params, "stateful_callbacks.TrainerControl.attributes") == NULL,
		   "callback runtime attributes left out");
		STR_EQ(kvlist_get(&r->extras, "checkpoints"), "3", "checkpoints counted");
		STR_EQ(kvlist_get(&r->tags, "trainer_state"), "checkpoint-20/trainer_state.json",
		       "which copy was read");
		STR_EQ(kvlist_get(&r->tags, "note"), "hello", "text result as a tag");
		STR_EQ(r->status, "UNKNOWN", "no final entry: status unknown");
	}
	got_free(&g);

	/* A top-level state with the final summary wins over checkpoints. */
	write_state("out/trainer_state.json", 20, 1);
	INT_EQ(read_with(&reader_hf_trainer, out, &g), 1, "top-level state");
	if (g.n == 1) {
		STR_EQ(g.runs[0]->status, "FINISHED", "final summary entry: finished");
		const struct series *s = run_find_series(g.runs[0], "train_runtime");
		OK(s && s->sum.count == 1, "summary entry keys are metrics");
		OK(kvlist_get(&g.runs[0]->tags, "trainer_state") == NULL, "own state: no tag");
	}
	got_free(&g);
	OK(reader_hf_trainer.probe(ck) > 0, "a checkpoint given alone is a run too");

	put("broken/trainer_state.json", "{\"log_history\": [ {\"step\": 1, \"loss\": 1} \n");
	char *br = tp("broken");
	size_t before = diag_count();
	INT_EQ(read_with(&reader_hf_trainer, br, &g), -1, "broken state: nothing read");
	OK(diag_count() > before, "broken state reported");
	got_free(&g);
	free(out);
	free(ck);
	free(br);
}

static void test_dvclive(void)
{
	/* 3.x layout with nested names, a summary-only key and a report. */
	put("proj/dvc.yaml", "metrics:\n- dvclive/metrics.json\n");
	put("proj/dvclive/plots/metrics/train/loss.tsv", "step\tloss\n0\t1.5\n1\tnan\n2\t0.5\n");
	put("proj/dvclive/plots/metrics/acc.tsv",
	    "timestamp\tstep\tacc\r\n1700000000000\t0\t0.1\r\n1700000001000\t2\t0.3\r\n");
	put("proj/dvclive/metrics.json",
	    "{\n    \"train\": {\n        \"loss\": 0.5\n    },\n    \"acc\": 0.3,\n    \"best\": \"nan\","
	    "\n    \"test\": {\"f1\": 0.75},\n    \"label\": \"x\",\n    \"step\": 2\n}");
	put("proj/dvclive/params.yaml", "model:\n  units: 16\nlr: 0.01\n");
	put("proj/dvclive/report.md", "# Report\n\n| a | b |\n");
	put("proj/dvclive/plots/images/a.png", "x");
	/* 0.x layout: summary beside the folder, TSVs inside, params above. */
	put("old/dvclive.json", "{\"step\": 1, \"loss\": 0.25, \"val_loss\": NaN}");
	put("old/dvclive/loss.tsv", "timestamp\tstep\tloss\r\n1644420777053\t0\t0.5\r\n1644420792335\t1\t0.25\r\n");
	put("old/params.yaml", "train:\n  epochs: 10\n");
	put("old/dvc.yaml", "stages:\n  train:\n    cmd: x\n");

	char *d3 = tp("proj/dvclive"), *d0 = tp("old/dvclive"), *proj = tp("proj"), *old = tp("old");
	OK(reader_dvclive.probe(d3) > 0, "3.x folder claimed");
	OK(reader_dvclive.probe(d0) > 0, "0.x folder claimed");
	OK(reader_dvclive.probe(proj) == 0, "project folder left to discovery");
	OK(reader_dvclive.probe(old) == 0, "0.x project folder left to discovery");
	struct got g;
	INT_EQ(read_with(&reader_dvclive, d3, &g), 1, "3.x run");
	if (g.n == 1) {
		struct run *r = g.runs[0];
		const struct series *s = run_find_series(r, "train/loss");
		OK(s && s->sum.count == 3 && s->sum.nan_count == 1, "nested TSV with nan");
		s = run_find_series(r, "acc");
		OK(s && s->sum.count == 2 && s->pts[0].time_ms == INT64_C(1700000000000), "timestamps");
		s = run_find_series(r, "test/f1");
		OK(s && s->sum.count == 1 && s->pts[0].step == 2, "summary-only key at the summary step");
		s = run_find_series(r, "best");
		OK(s && s->sum.nan_count == 1, "\"nan\" string summary as NaN");
		OK(run_find_series(r, "step") == NULL, "summary step is not a metric");
		STR_EQ(kvlist_get(&r->tags, "label"), "x", "text summary as tag");
		STR_EQ(kvlist_get(&r->params, "model.units"), "16", "params.yaml");
		OK(r->notes && str_starts(r->notes, "# Report"), "report.md as notes");
		STR_EQ(kvlist_get(&r->extras, "images"), "1", "images counted");
		STR_EQ(r->name, "proj", "default folder name replaced by its parent's");
		STR_EQ(r->experiment_name, "proj", "experiment is the DVC project");
	}
	got_free(&g);
	INT_EQ(read_with(&reader_dvclive, d0, &g), 1, "0.x run");
	if (g.n == 1) {
		struct run *r = g.runs[0];
		const struct series *s = run_find_series(r, "loss");
		OK(s && s->sum.count == 2, "0.x TSV");
		s = run_find_series(r, "val_loss");
		OK(s && s->sum.nan_count == 1 && s->pts[0].step == 1, "0.x summary beside the folder");
		STR_EQ(kvlist_get(&r->params, "train.epochs"), "10", "project params.yaml");
	}
	got_free(&g);
	free(d3);
	free(d0);
	free(proj);
	free(old);
}

/* Collects the .tsv files below dir as metric keys into keys. */
static void tsv_keys(const char *dir, const char *prefix, struct kvlist *keys)
{
	size_t n;
	char **names = list_dir_sorted(dir, &n);
	for (size_t i = 0; names && i < n; i++) {
		char *p = path_join(dir, names[i]);
		char *k = *prefix ? xasprintf("%s/%s", prefix, names[i]) : xstrdup(names[i]);
		if (str_ends(names[i], ".tsv")) {
			k[strlen(k) - 4] = '\0';
			kvlist_add(keys, k, "");
		} else if (csv_is_dir(p)) {
			tsv_keys(p, k, keys);
		}
		free(k);
		free(p);
	}
	free_names(names, n);
}

static void test_corpus(void)
{
	/* Redistributable, so in tests/corpus on every clone. */
	const char *hf = "tests/corpus/hf-trainer/whisper-large-v2-japanese";
	struct got g;
	size_t before = diag_count();
	INT_EQ(read_with(&reader_hf_trainer, hf, &g), 1, "whisper: one run, not one per copy");
	if (g.n == 1) {
		struct run *r = g.runs[0];
		const char *keys[] = {"loss", "learning_rate", "epoch", "eval_loss", "eval_wer",
		                      "eval_runtime", "train_runtime", "total_flos", "train_samples",
		                      "eval_samples", NULL};
		for (size_t i = 0; keys[i]; i++)
			OK(run_find_series(r, keys[i]) != NULL, "whisper metric %s", keys[i]);
		const struct series *s = run_find_series(r, "loss");
		OK(s && s->sum.count == 200, "200 training entries");
		STR_EQ(r->status, "FINISHED", "final summary entry present");
		OK(kvlist_get(&r->params, "best_metric") != NULL, "best_metric param");
	}
	got_free(&g);
	/* The rest have no licence to copy them here: read from ../shared/corpus. */
	if (!csv_is_dir("../shared/corpus")) {
		SKIP("../shared/corpus not found");
		return;
	}
	const char *lora = "../shared/corpus/hf-trainer/lora-imdb-distilbert";
	INT_EQ(read_with(&reader_hf_trainer, lora, &g), 1, "lora run");
	if (g.n == 1) {
		OK(run_find_series(g.runs[0], "grad_norm") != NULL, "new key grad_norm");
		OK(kvlist_get(&g.runs[0]->params, "logging_steps") != NULL, "new top-level key");
	}
	got_free(&g);

	const char *dl[] = {"../shared/corpus/dvclive/get-started-experiments-fastai/results/train",
	                    "../shared/corpus/dvclive/get-started-experiments-fastai/results/evaluate",
	                    "../shared/corpus/dvclive/get-started-experiments-yolo/results/train",
	                    "../shared/corpus/dvclive/sound-event-detection-lightning/dvclive",
	                    "../shared/corpus/dvclive/example-dvc-experiments-0x/baseline/dvclive",
	                    "../shared/corpus/dvclive/example-dvc-experiments-0x/exps/cnn-32/dvclive",
	                    NULL};
	for (size_t i = 0; dl[i]; i++) {
		OK(reader_dvclive.probe(dl[i]) > 0, "claimed: %s", dl[i]);
		INT_EQ(read_with(&reader_dvclive, dl[i], &g), 1, dl[i]);
		if (g.n != 1)
			continue;
		struct kvlist keys = {0};
		char *pm = path_join(dl[i], "plots/metrics");
		tsv_keys(csv_is_dir(pm) ? pm : dl[i], "", &keys);
		free(pm);
		size_t missing = 0;
		for (size_t k = 0; k < keys.n; k++)
			if (!run_find_series(g.runs[0], keys.items[k].key)) {
				missing++;
				printf("# %s: %s not read\n", dl[i], keys.items[k].key);
			}
		INT_EQ(missing, 0, "every history file read");
		OK(g.runs[0]->nmetrics > 0, "metrics present in %s", dl[i]);
		kvlist_free(&keys);
		got_free(&g);
	}
	INT_EQ(diag_count(), before, "corpus reads without warnings");
}

int main(void)
{
	fixture_init("hfdvc");
	test_yaml();
	test_json();
	test_hf();
	test_dvclive();
	test_corpus();
	rm_tree(tmpdir);
	return TEST_END();
}
