/* fuzz_wandb.c — libFuzzer target for the W&B reader: the .wandb framing and
 * the Record decoder, through the entry the reader uses per file.
 * The first byte picks the mode:
 *   even: the rest is a .wandb file (header, blocks, CRCs, resync, decoding);
 *   odd:  the rest is one Record payload, framed here with a header and a
 *         correct chunk CRC so the decoder sees arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/diag.h"
#include "runsite/model.h"
#include "runsite/util.h"
#include "../../src/readers/wandb.h"
#include "../../src/readers/wandb_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ingest(const uint8_t *p, size_t n)
{
	struct run *r = run_new("wandb", "fuzz");
	struct wandb_facts f;
	if (wandb_ingest_memory(r, &f, "fuzz", p, n, true))
		wandb_facts_free(&f);
	run_finish(r, 16);
	run_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	diag_set_quiet(1);
	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0) {
		ingest(data + 1, size - 1);
		return 0;
	}
	size_t n = size - 1;
	if (n > WB_BLOCK - WB_HEADER_LEN - WB_CHUNK_HEADER)
		n = WB_BLOCK - WB_HEADER_LEN - WB_CHUNK_HEADER;
	uint8_t *buf = xmalloc(WB_HEADER_LEN + WB_CHUNK_HEADER + n);
	memcpy(buf, ":W&B\xe1\xbe\x00", WB_HEADER_LEN);
	uint32_t crc = wb_chunk_crc(1, data + 1, n);
	uint8_t *h = buf + WB_HEADER_LEN;
	h[0] = (uint8_t)crc, h[1] = (uint8_t)(crc >> 8), h[2] = (uint8_t)(crc >> 16), h[3] = (uint8_t)(crc >> 24);
	h[4] = (uint8_t)n, h[5] = (uint8_t)(n >> 8), h[6] = 1;
	memcpy(h + WB_CHUNK_HEADER, data + 1, n);
	ingest(buf, WB_HEADER_LEN + WB_CHUNK_HEADER + n);
	free(buf);
	return 0;
}
