/* fuzz_tfrecord.c — libFuzzer target for the TensorBoard reader: the TFRecord
 * framing and the Event decoder, through the same entry the reader uses per file.
 * The first byte picks the mode:
 *   even: the rest is an event file (framing, CRCs, resync, decoding);
 *   odd:  the rest is one record payload, framed here with correct CRCs so the
 *         decoder sees arbitrary bytes, and also fed to each message decoder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/diag.h"
#include "runsite/model.h"
#include "runsite/util.h"
#include "../../src/readers/tb_event.h"
#include "../../src/readers/tensorboard.h"
#include "../../src/readers/tfrecord.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore_param(void *ctx, const char *name, const char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
}

static void ignore_metric(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
}

static void ignore_status(void *ctx, int status)
{
	(void)ctx;
	(void)status;
}

static void ignore_string(void *ctx, const uint8_t *s, size_t n)
{
	(void)ctx;
	(void)s;
	(void)n;
}

static void ingest(const uint8_t *p, size_t n)
{
	struct run *r = run_new("tensorboard", "fuzz");
	tb_ingest_memory(r, "fuzz", p, n);
	run_finish(r, 16);
	run_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	diag_set_quiet(1);
	tb_set_quiet_notes(1);
	if (size == 0)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	if ((data[0] & 1) == 0) {
		ingest(p, n);
		return 0;
	}
	/* Frame the payload so both CRCs check. */
	uint8_t *rec = xmalloc(n + 16);
	uint64_t len = n;
	memcpy(rec, &len, 8);
	uint32_t c = tfr_masked_crc(rec, 8);
	memcpy(rec + 8, &c, 4);
	if (n)
		memcpy(rec + 12, p, n);
	c = tfr_masked_crc(rec + 12, n);
	memcpy(rec + 12 + n, &c, 4);
	ingest(rec, n + 16);
	free(rec);

	double x;
	struct tb_band band;
	struct tb_hparams_cb cb = {NULL, ignore_param, ignore_metric, ignore_status};
	tb_tensor_scalar(p, n, &x);
	tb_tensor_histo_band(p, n, &band);
	tb_histo_band(p, n, &band);
	tb_hparams_parse(p, n, &cb);
	tb_tensor_strings(p, n, ignore_string, NULL);
	return 0;
}
