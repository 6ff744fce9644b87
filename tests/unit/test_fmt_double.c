/* test_fmt_double.c — fmt_double against the printf search it replaced
 * (fmt_double_ref.h), byte for byte, on doubles of every kind: random bit
 * patterns, floats widened to double (most logged values, 16-17 digits),
 * integers, powers of ten and two and their neighbours (powers of two are
 * where dtoa_shortest refuses and the printf search answers), subnormals,
 * the ends of the range, short decimals, and random decimals read by
 * strtod. FMT_DOUBLE_N=<count> runs that many of each random kind (default
 * 100,000). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/dtoa.h"
#include "runsite/util.h"
#include "harness.h"
#include "fmt_double_ref.h"

static double double_of(uint64_t b)
{
	double d;
	memcpy(&d, &b, sizeof d);
	return d;
}

static long compared, mismatches, refused; /* refused: of the non-integers */

/* Compares v and -v; counts the doubles dtoa_shortest refuses. */
static void check(double v)
{
	for (int s = 0; s < 2; s++, v = -v) {
		char got[40], want[40];
		fmt_double(got, sizeof got, v);
		ref_fmt_double(want, sizeof want, v);
		compared++;
		if (strcmp(got, want) != 0 && mismatches++ < 20)
			OK(0, "fmt_double(%a): got \"%s\", want \"%s\"", v, got, want);
	}
	char digits[24];
	int x;
	if (isfinite(v) && v != floor(v) && !dtoa_shortest(fabs(v), digits, &x))
		refused++;
}

/* Each double and its neighbours on either side. */
static void check_around(double v)
{
	double lo = v, hi = v;
	check(v);
	for (int i = 0; i < 3; i++) {
		lo = nextafter(lo, -INFINITY);
		hi = nextafter(hi, INFINITY);
		check(lo);
		check(hi);
	}
}

static void test_specials(void)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{0.0, "0"},       {-0.0, "-0"},          {0.1, "0.1"},     {-2.5, "-2.5"},
		{1e-05, "1e-05"}, {0.001, "0.001"},       {1e300, "1e+300"}, {500.0, "500"},
		{1e15, "1e+15"},  {123456789012345.6, "123456789012345.6"},
		{5e-324, "5e-324"}, {DBL_MAX, "1.7976931348623157e+308"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char got[40];
		fmt_double(got, sizeof got, cases[i].v);
		STR_EQ(got, cases[i].want, "fmt_double of a known value");
		check(cases[i].v);
	}
	char got[40];
	fmt_double(got, sizeof got, NAN);
	STR_EQ(got, "NaN", "NaN");
	fmt_double(got, sizeof got, -INFINITY);
	STR_EQ(got, "-Infinity", "-Infinity");
	/* A short buffer truncates as snprintf does. */
	char small[5];
	fmt_double(small, sizeof small, 0.123456);
	STR_EQ(small, "0.12", "truncated to the buffer");
	fmt_double(small, sizeof small, 123456.0);
	STR_EQ(small, "1234", "a whole number truncated to the buffer");
}

static void test_structured(void)
{
	/* Powers of ten and of two, and their neighbours. */
	for (int i = -325; i <= 309; i++)
		check_around(pow(10, i));
	for (int i = -1074; i <= 1023; i++)
		check_around(ldexp(1, i));
	/* Subnormals: the smallest, and the edge to the normals. */
	for (uint64_t b = 1; b < 2000; b++)
		check(double_of(b));
	check_around(DBL_MIN);
	check_around(DBL_MAX);
	check_around(1e15);
	check_around(1e16);
	check_around(9007199254740992.0);
	/* Integers and halves, small and past 1e15 (the whole-number path's edge). */
	for (int i = 0; i < 5000; i++) {
		check(i + 0.5);
		check(i * 0.25);
		check(i * 0.1);
		check(ldexp((double)(test_rnd() >> 11), -(int)(test_rnd() % 80)));
		check((double)(test_rnd() >> (test_rnd() % 64)));
	}
	/* Short decimals: one to eight digits at every scale. */
	for (int i = 0; i < 20000; i++) {
		char s[40];
		int digits = 1 + (int)(test_rnd() % 8);
		uint64_t m = test_rnd() % (uint64_t)pow(10, digits);
		snprintf(s, sizeof s, "%llue%d", (unsigned long long)m, (int)(test_rnd() % 640) - 330);
		check(strtod(s, NULL));
	}
}

static void test_random(long n)
{
	for (long i = 0; i < n; i++) {
		/* Any bit pattern (NaNs and infinities included). */
		check(double_of(test_rnd()));
		/* A float widened to double, from a random float bit pattern. */
		float fl;
		uint32_t fb = (uint32_t)test_rnd();
		memcpy(&fl, &fb, sizeof fl);
		check((double)fl);
		/* Floats as losses and accuracies are: between 1e-4 and 10. */
		check((double)(float)(exp((double)(test_rnd() % 1000000) / 1e5 - 9.2)));
		/* Random 15 to 17 digit decimals read back. */
		char s[48];
		snprintf(s, sizeof s, "%llu.%llue%d", (unsigned long long)(test_rnd() % 10),
		         (unsigned long long)(test_rnd() % 10000000000000000u), (int)(test_rnd() % 40) - 20);
		check(strtod(s, NULL));
	}
}

int main(void)
{
	const char *env = getenv("FMT_DOUBLE_N");
	long n = env ? atol(env) : 100000;
	test_specials();
	test_structured();
	test_random(n);
	OK(mismatches == 0, "%ld of %ld doubles printed differently", mismatches, compared);
	/* The fast path must answer nearly everything, or it is not one. */
	OK(refused * 100 < compared, "dtoa_shortest refused %ld of %ld doubles", refused, compared / 2);
	printf("%ld doubles compared, dtoa_shortest refused %ld\n", compared, refused);
	return TEST_END();
}
