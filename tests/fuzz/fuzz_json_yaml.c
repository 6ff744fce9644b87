/* fuzz_json_yaml.c — libFuzzer target for the YAML flattening (libyaml),
 * the lenient JSON parser (jansson after the NaN-token rewrite), and the
 * Hugging Face and DVCLive readers given the same bytes as their files. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runsite/diag.h"
#include "runsite/reader.h"
#include "runsite/util.h"
#include "runsite/yamlkv.h"

extern const struct reader reader_hf_trainer;
extern const struct reader reader_dvclive;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/runsite-fuzzjy-XXXXXX";

static int drop(void *ctx, struct run *r)
{
	run_free(r);
	return 1;
}

static void write_file(const char *rel, const uint8_t *data, size_t size)
{
	char *p = path_join(dir, rel);
	FILE *f = fopen(p, "wb");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		diag_set_quiet(1);
		if (!mkdtemp(dir))
			abort();
		char *p = path_join(dir, "dvclive");
		mkdir(p, 0755);
		free(p);
		p = path_join(dir, "dvclive/plots");
		mkdir(p, 0755);
		free(p);
		p = path_join(dir, "dvclive/plots/metrics");
		mkdir(p, 0755);
		free(p);
		ready = 1;
	}
	struct kvlist l = {0};
	yamlkv_parse((const char *)data, size, "fuzz.yaml", "p", YAMLKV_SEP_DVC, &l);
	kvlist_free(&l);
	json_t *j = json_parse_lenient((const char *)data, size, "fuzz.json");
	if (j) {
		char *t = json_to_text(j);
		free(t);
		double d;
		json_to_double(j, 1, &d);
		json_decref(j);
	}

	struct reader_opts o = {.include_deleted = false, .dec_buckets = 8};
	struct run_sink s = {NULL, NULL, drop, NULL};
	write_file("trainer_state.json", data, size);
	write_file("all_results.json", data, size);
	reader_hf_trainer.read(dir, &o, &s);
	write_file("dvclive/metrics.json", data, size);
	write_file("dvclive/params.yaml", data, size);
	write_file("dvclive/plots/metrics/m.tsv", data, size);
	char *dl = path_join(dir, "dvclive");
	reader_dvclive.read(dl, &o, &s);
	free(dl);
	return 0;
}
