/* fuzz_clearml.c — libFuzzer target for the ClearML reader: a task.json and
 * event lines (metrics.jsonl, log.jsonl), split at the first NUL byte of the
 * input (no NUL: all of it is event lines), plus the zip entry-name check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/diag.h"
#include "runsite/model.h"
#include "runsite/util.h"
#include "../../src/readers/clearml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	diag_set_quiet(1);
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	size_t tlen = nul ? (size_t)(nul - text) : 0;
	const char *ev = nul ? nul + 1 : text;
	size_t elen = size - (size_t)(ev - text);
	struct run *r = run_new("clearml", "fuzz");
	clearml_ingest_memory(r, text, tlen, ev, elen);
	run_finish(r, 16);
	run_free(r);
	char *name = xstrndup(text, tlen < 512 ? tlen : 512);
	(void)clearml_entry_escapes(name);
	free(name);
	return 0;
}
