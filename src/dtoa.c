/* dtoa.c — shortest round-trip digits of a double without printf.
 *
 * v = f * 2^e reads back from every decimal strictly inside (or, for even f,
 * on the ends of) [v - h, v + h], h = 2^(e-1), unless f is a power of two
 * with a narrower gap below (refused: the caller's printf search handles
 * it). Scaled by 10^t so that v * 10^t has 18 or 19 integer digits, v and h
 * are computed as 64.64 fixed-point numbers from a 128-bit table of powers
 * of ten rounded down; each is then at most a few units of 2^-64 below its
 * true value. Whether v and the ends are integers after scaling is decided
 * exactly; one that is not must lie clear of integers by a margin larger
 * than that error (else the function refuses). Then the integers in the
 * interval are known exactly, the shortest decimal is a multiple of the
 * largest power of ten among them, and the answer is the multiple nearest
 * v (an exact tie to even). For a symmetric interval that is also what
 * "%.*e" prints at that precision, and no shorter precision reads back, so
 * fmt_double's bytes are those of its printf search. */
#include <stdint.h>
#include <string.h>

#include "runsite/dtoa.h"
#include "pow10_table.h"

typedef unsigned __int128 u128;

/* Within this many units of 2^-64 of an integer the computed value may be on
 * the wrong side of it (the computed errors are below 4 units). */
#define MARGIN 64u
#define HALF ((u128)1 << 63)

/* floor(e2 * log10(2)) for |e2| < 1700. */
static int floor_log10_pow2(int e2)
{
	if (e2 >= 0)
		return (int)(((uint32_t)e2 * 78913u) >> 18);
	return -(int)(((uint32_t)-e2 * 78913u + (1u << 18) - 1) >> 18);
}

/* Whether c * 2^e * 10^t is an integer. */
static int is_integer_scaled(uint64_t c, int e, int t)
{
	if (e + t + __builtin_ctzll(c) < 0)
		return 0;
	if (t >= 0)
		return 1;
	if (-t > 27)
		return 0; /* 5^28 > 2^64 > c */
	uint64_t five = 1;
	for (int i = 0; i < -t; i++)
		five *= 5;
	return c % five == 0;
}

static int near_integer(uint64_t frac)
{
	return frac < MARGIN || frac > UINT64_MAX - MARGIN;
}

int dtoa_shortest(double v, char *digits, int *exp10)
{
	static const uint64_t pow10[20] = {
		1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
		1000000000u, 10000000000u, 100000000000u, 1000000000000u,
		10000000000000u, 100000000000000u, 1000000000000000u,
		10000000000000000u, 100000000000000000u, 1000000000000000000u,
		10000000000000000000u,
	};
	uint64_t bits;
	memcpy(&bits, &v, sizeof bits);
	uint64_t frac = bits & ((UINT64_C(1) << 52) - 1);
	int bexp = (int)((bits >> 52) & 0x7ff);
	if ((bits >> 63) || bexp == 0x7ff)
		return 0;
	uint64_t f;
	int e;
	if (bexp == 0) {
		if (!frac)
			return 0;
		f = frac;
		e = -1074;
	} else {
		if (!frac && bexp > 1)
			return 0; /* the gap below is half the gap above */
		f = frac | (UINT64_C(1) << 52);
		e = bexp - 1075;
	}

	/* v * 10^t in [1e17, 2e18): t from floor(log2 v). */
	int e2 = 63 - __builtin_clzll(f) + e;
	int t = 17 - floor_log10_pow2(e2);
	if (t < POW10_MIN || t > POW10_MAX)
		return 0;
	const struct pow10_entry *p = &pow10_table[t - POW10_MIN];

	/* f * P as three 64-bit words, then shifted to 64.64 fixed point:
	 * v * 10^t = f * P * 2^(e + q). */
	int r = -(e + p->q) - 64;
	if (r <= 0 || r >= 64)
		return 0;
	u128 lo = (u128)f * p->lo, hi = (u128)f * p->hi;
	uint64_t w0 = (uint64_t)lo;
	u128 mid = (lo >> 64) + (uint64_t)hi;
	uint64_t w1 = (uint64_t)mid;
	uint64_t w2 = (uint64_t)(hi >> 64) + (uint64_t)(mid >> 64);
	if (w2 >> r)
		return 0;
	u128 vs = ((u128)((w2 << (64 - r)) | (w1 >> r)) << 64) | ((w1 << (64 - r)) | (w0 >> r));
	/* h * 10^t = P * 2^(e - 1 + q). */
	u128 pp = ((u128)p->hi << 64) | p->lo;
	u128 hs = pp >> (r + 1);

	uint64_t vi = (uint64_t)(vs >> 64);
	if (vi >= pow10[19] / 2 || hs > vs)
		return 0;
	/* v and the ends of its interval are c * 2^(e-1) * 10^t for c = 2f and
	 * 2f -+ 1. One that is an integer (a float's short binary fraction, a
	 * large whole number) is computed just below it: round it. Else it must
	 * be clear of integers, and then which integers the interval holds is
	 * known: [a, b], the ends included for an even f. */
	u128 ls = vs - hs, us = vs + hs;
	int v_exact = is_integer_scaled(2 * f, e - 1, t);
	uint64_t a, b;
	if (v_exact)
		vi = (uint64_t)((vs + HALF) >> 64);
	else if (near_integer((uint64_t)vs))
		return 0;
	if (is_integer_scaled(2 * f - 1, e - 1, t))
		a = (uint64_t)((ls + HALF) >> 64) + (f & 1);
	else if (near_integer((uint64_t)ls))
		return 0;
	else
		a = (uint64_t)(ls >> 64) + 1;
	if (is_integer_scaled(2 * f + 1, e - 1, t))
		b = (uint64_t)((us + HALF) >> 64) - (f & 1);
	else if (near_integer((uint64_t)us))
		return 0;
	else
		b = (uint64_t)(us >> 64);
	if (a > b)
		return 0;

	/* The largest j with a multiple of 10^j in [a, b]. */
	uint64_t aq = a - 1, bq = b;
	int j = 0;
	while (bq / 10 > aq / 10) {
		aq /= 10;
		bq /= 10;
		j++;
	}
	if (j < 1)
		return 0;
	uint64_t d = vi / pow10[j], rem = vi % pow10[j];
	if (rem > pow10[j] / 2 || (rem == pow10[j] / 2 && (!v_exact || (d & 1))))
		d++; /* to nearest; an exact tie to even, as printf rounds */
	/* Checks the reasoning cheaply: d * 10^j is in [a, b] and has no
	 * trailing zero. */
	if (d == 0 || d % 10 == 0 || d > b / pow10[j] || d * pow10[j] < a)
		return 0;

	char tmp[20];
	int n = 0;
	for (; d; d /= 10)
		tmp[n++] = (char)('0' + d % 10);
	for (int i = 0; i < n; i++)
		digits[i] = tmp[n - 1 - i];
	*exp10 = j - t + n - 1;
	return n;
}
