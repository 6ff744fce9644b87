/* fuzz_runcache.c — libFuzzer target for a kept run's file (runcache.c):
 * the file sits in the output folder, so its bytes are trusted no further
 * than any input. The first byte picks the reader the run is asked for
 * (even: Lightning CSV, odd: the MLflow file store); the next four give the
 * head's length; the head is decoded as load_head does after its hash
 * check, then each decimated copy from the bytes after it, as an overlay
 * reads it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/diag.h"
#include "runsite/model.h"
#include "runsite/runcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	diag_set_quiet(1);
	if (size < 5)
		return 0;
	const char *format = data[0] & 1 ? "mlflow-file" : "lightning-csv";
	size_t head = (size_t)data[1] | (size_t)data[2] << 8 | (size_t)data[3] << 16 |
	              (size_t)data[4] << 24;
	const uint8_t *p = data + 5;
	size_t n = size - 5;
	if (head > n)
		head = n;
	struct kept_site k;
	memset(&k, 0, sizeof k);
	struct run *r = runcache_decode(p, head, &k, format);
	if (r) {
		/* The tail holds the copies one after another, as the file does. */
		const uint8_t *tail = p + head;
		size_t left = n - head;
		for (size_t i = 0; i < k.nmetrics && i < r->nmetrics; i++) {
			if (k.dec_at[i] > left || k.dec_len[i] > left - k.dec_at[i])
				break;
			free(runcache_decode_dec(tail + k.dec_at[i], &k, i, r->metrics[i].ndec));
		}
		run_free(r);
	}
	kept_site_free(&k);
	return 0;
}
