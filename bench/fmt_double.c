/* fmt_double.c — doubles per second of fmt_double against the printf search
 * it replaced (tests/unit/fmt_double_ref.h) and against a bare "%.17g"
 * (not shortest: the floor printf sets), on 1M doubles of three kinds. Run
 * by bench/fmt_double.sh. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "runsite/util.h"
#include "../tests/unit/fmt_double_ref.h"

#define N 1000000

static double values[N];
static volatile size_t sink;

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Du;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fmt_g17(char *out, size_t outsz, double v)
{
	snprintf(out, outsz, "%.17g", v);
}

static double rate(void (*fmt)(char *, size_t, double))
{
	char buf[40];
	double best = 0;
	for (int rep = 0; rep < 3; rep++) {
		double t0 = now();
		for (size_t i = 0; i < N; i++) {
			fmt(buf, sizeof buf, values[i]);
			sink += (size_t)buf[0];
		}
		double r = N / (now() - t0);
		if (r > best)
			best = r;
	}
	return best;
}

int main(void)
{
	static const char *kinds[] = {"floats widened (losses, 1e-4..10)",
	                              "random doubles (any bit pattern, finite)",
	                              "3-digit decimals (0.001..999)"};
	for (int k = 0; k < 3; k++) {
		for (size_t i = 0; i < N; i++) {
			double v;
			if (k == 0) {
				v = (double)(float)exp((double)(rnd() % 1000000) / 1e5 - 9.2);
			} else if (k == 1) {
				uint64_t b = rnd();
				memcpy(&v, &b, sizeof v);
				if (!isfinite(v))
					v = 1.5;
			} else {
				v = (double)(rnd() % 1000) / pow(10, (double)(rnd() % 4));
			}
			values[i] = v;
		}
		double fast = rate(fmt_double), ref = rate(ref_fmt_double), g17 = rate(fmt_g17);
		printf("%-42s fmt_double %6.2fM/s  printf search %5.2fM/s (%.1fx)  %%.17g %5.2fM/s\n",
		       kinds[k], fast / 1e6, ref / 1e6, fast / ref, g17 / 1e6);
	}
	return 0;
}
