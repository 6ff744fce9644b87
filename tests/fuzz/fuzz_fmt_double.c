/* fuzz_fmt_double.c — libFuzzer target for fmt_double (src/dtoa.c): every
 * 8 bytes of input are a double, printed both ways and compared with the
 * printf search it replaced (tests/unit/fmt_double_ref.h), and the text
 * must read back as the same double. The mutator's bit flips and byte
 * copies reach the rare doubles (ties, powers of two, exact ends) that
 * random tests seldom do. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/util.h"
#include "../unit/fmt_double_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i + 8 <= size; i += 8) {
		double v;
		memcpy(&v, data + i, sizeof v);
		char got[40], want[40];
		fmt_double(got, sizeof got, v);
		ref_fmt_double(want, sizeof want, v);
		if (strcmp(got, want) != 0)
			abort();
		if (isfinite(v) && strtod(got, NULL) != v)
			abort();
	}
	return 0;
}
