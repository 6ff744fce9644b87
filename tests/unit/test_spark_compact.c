/* test_spark_compact.c — spark_compact (src/site/rows.c) writes the half-
 * pixel grid's numbers itself, not by printf: against the strtod + "%g"
 * version it replaced (kept here), byte for byte, on random sparkline paths
 * as chart_sparkline_path writes them and on numbers off the grid. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/site/site_internal.h"
#include "harness.h"

static void ref_num(struct buf *b, double v, int *after_num)
{
	if (*after_num && v >= 0)
		buf_putc(b, ' ');
	buf_printf(b, "%g", v);
	*after_num = 1;
}

static char *ref_compact(const char *d)
{
	struct buf b = BUF_INIT;
	double x = 0, y = 0;
	int after_num = 0, started = 0, want_l = 0;
	const char *p = d;
	while (*p) {
		char cmd = *p++;
		char *end;
		double nx = strtod(p, &end);
		if (end == p)
			break;
		p = end;
		double ny = strtod(p, &end);
		if (end == p)
			break;
		p = end;
		if (cmd == 'M' || !started) {
			buf_putc(&b, cmd == 'M' ? 'M' : 'L');
			after_num = 0;
			ref_num(&b, nx, &after_num);
			ref_num(&b, ny, &after_num);
			want_l = cmd == 'M';
			started = 1;
		} else {
			if (want_l) {
				buf_putc(&b, 'l');
				after_num = 0;
				want_l = 0;
			}
			ref_num(&b, nx - x, &after_num);
			ref_num(&b, ny - y, &after_num);
		}
		x = nx;
		y = ny;
	}
	buf_putc(&b, '\0');
	return b.data;
}

static int mismatches;

static void same(const char *path)
{
	char *got = spark_compact(path), *want = ref_compact(path);
	if (strcmp(got, want) != 0 && mismatches++ < 10)
		OK(0, "spark_compact(\"%.80s\"): got \"%.80s\", want \"%.80s\"", path, got, want);
	free(got);
	free(want);
}

int main(void)
{
	/* Paths as chart_sparkline_path writes them: "%c%g %g" of halves. */
	for (int k = 0; k < 20000; k++) {
		struct buf b = BUF_INIT;
		int n = 1 + (int)(test_rnd() % 60);
		double scale = k % 10 == 0 ? 1e5 : 100; /* sometimes past %g's 6 digits */
		for (int i = 0; i < n; i++) {
			double x = (double)(test_rnd() % (uint64_t)(scale * 2)) / 2;
			double y = (double)(test_rnd() % 60) / 2 - (k % 7 == 0 ? 10 : 0);
			buf_printf(&b, "%c%g %g", i == 0 || test_rnd() % 9 == 0 ? 'M' : 'L', x, y);
		}
		buf_putc(&b, '\0');
		same(b.data);
		buf_free(&b);
	}
	/* Numbers off the grid and odd spellings: strtod's reading. */
	static const char *const odd[] = {
	        "M1.25 3L2.75 4.125", "M-0 0L-0 -0", "M0x10 3L4 5", "M1e3 2L1e+05 3",
	        "M12.50 3L12.5 3.5", "M.5 1L+2 3", "M1234567 1L1234568.5 2", "M 1  2L\t3 4",
	        "Minf 1L2 nan", "M3. 4L5 6", "M5 6L7", "M-3.5 -2.5L-1 0.5",
	};
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
		same(odd[i]);
	OK(mismatches == 0, "%d paths written differently", mismatches);
	return TEST_END();
}
