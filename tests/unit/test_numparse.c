/* test_numparse.c — the exact number parser against strtod, bit for bit, on random
 * decimals of every kind the fast paths take: short and long significands, exponents,
 * float32 values written out exactly (exact binary fractions), values near ties, and
 * the strings the scanner must refuse. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/numparse.h"
#include "runsite/util.h"
#include "harness.h"

static uint64_t bits_of(double d)
{
	uint64_t b;
	memcpy(&b, &d, sizeof b);
	return b;
}

static double double_of(uint64_t b)
{
	double d;
	memcpy(&d, &b, sizeof d);
	return d;
}

static long mismatches;
static long repr_taken;    /* strings num_parse_repr took */
static long seconds_taken; /* and num_parse_seconds */
static long point_taken;   /* and num_scan_point */

/* num_scan_point reads words from a number followed by at least 32 bytes
 * (here blanks, as an MLflow line has): it must stop where num_scan stops,
 * with the same value, and that value must be strtod's. */
static void check_point(const char *s, size_t n, double want, const char *want_end)
{
	char *c = xmalloc(n + 32);
	memcpy(c, s, n);
	memset(c + n, ' ', 32);
	double got, scanned = 0;
	const char *q = num_scan_point(c, c + n + 32, &got);
	if (q) {
		point_taken++;
		const char *r = num_scan(c, c + n + 32, &scanned);
		if (r != q || bits_of(got) != bits_of(scanned) ||
		    (q - c == want_end - s && bits_of(got) != bits_of(want)) || q - c > want_end - s) {
			if (mismatches++ < 10)
				printf("num_scan_point(\"%s\") = %.17g (%td bytes), num_scan %.17g (%td)\n", s,
				       got, q - c, scanned, r ? r - c : -1);
		}
	}
	free(c);
}

/* Parses s with num_scan (when it takes it) and num_parse, and compares with strtod.
 * Both read a copy that ends exactly where its allocation does (no NUL after it),
 * so a scanner reading a word past the end trips AddressSanitizer. */
static void check(const char *s)
{
	size_t n = strlen(s);
	char *end;
	double want = strtod(s, &end);
	double got;
	char *c = xmalloc(n ? n : 1);
	memcpy(c, s, n);
	const char *q = num_scan(c, c + n, &got);
	if (q == c + n && bits_of(got) != bits_of(want)) {
		if (mismatches++ < 10)
			printf("num_scan(\"%s\") = %.17g, strtod %.17g\n", s, got, want);
	}
	if (!num_parse(c, c + n, &got) || bits_of(got) != bits_of(want)) {
		if (mismatches++ < 10)
			printf("num_parse(\"%s\") = %.17g, strtod %.17g\n", s, got, want);
	}
	if (num_parse_repr(c, c + n, &got)) {
		repr_taken++;
		if (end != s + n || bits_of(got) != bits_of(want)) {
			if (mismatches++ < 10)
				printf("num_parse_repr(\"%s\") = %.17g, strtod %.17g\n", s, got, want);
		}
	}
	check_point(s, n, want, end);
	if (num_parse_seconds(c, c + n, &got)) {
		seconds_taken++;
		if (end != s + n || bits_of(got) != bits_of(want)) {
			if (mismatches++ < 10)
				printf("num_parse_seconds(\"%s\") = %.17g, strtod %.17g\n", s, got, want);
		}
	}
	free(c);
}

/* For strings that may not be numbers: num_parse_repr must refuse, or give
 * strtod's value when strtod reads the whole string. */
static void check_repr(const char *s)
{
	size_t n = strlen(s);
	char *c = xmalloc(n ? n : 1), *end;
	memcpy(c, s, n);
	double got, want = strtod(s, &end);
	if (num_parse_repr(c, c + n, &got) && (end != s + n || bits_of(got) != bits_of(want))) {
		if (mismatches++ < 10)
			printf("num_parse_repr(\"%s\") = %.17g, strtod %.17g\n", s, got, want);
	}
	check_point(s, n, want, end);
	if (num_parse_seconds(c, c + n, &got) && (end != s + n || bits_of(got) != bits_of(want))) {
		if (mismatches++ < 10)
			printf("num_parse_seconds(\"%s\") = %.17g, strtod %.17g\n", s, got, want);
	}
	free(c);
}

/* Appends nd random digits (the first not 0 when nonzero_first) to b at *k. */
static void put_digits(char *b, int *k, int nd, int nonzero_first)
{
	for (int j = 0; j < nd; j++)
		b[(*k)++] = (char)(j == 0 && nonzero_first ? '1' + test_rnd() % 9 : '0' + test_rnd() % 10);
}

int main(void)
{
	char buf[128];
	for (int i = 0; i < 300000; i++) {
		double d;
		switch (i % 6) {
		case 0: /* any finite double, shortest-ish and full precision */
			do
				d = double_of(test_rnd());
			while (d != d || d - d != 0);
			snprintf(buf, sizeof buf, "%.*g", (int)(test_rnd() % 17) + 1, d);
			break;
		case 1: /* float32 values written exactly: exact binary fractions */
			d = (double)(float)((double)(test_rnd() >> 11) / (double)(UINT64_C(1) << 53) *
			                    (double)(1 << (test_rnd() % 8)));
			snprintf(buf, sizeof buf, "%.*f", (int)(test_rnd() % 30), d);
			break;
		case 2: /* m / 2^k written exactly */
			d = (double)(test_rnd() >> (11 + test_rnd() % 40)) / (double)(UINT64_C(1) << (test_rnd() % 28));
			snprintf(buf, sizeof buf, "%.30f", d);
			break;
		case 3: /* random digit strings of up to 22 digits with a point */
		{
			int nd = (int)(test_rnd() % 22) + 1, pt = (int)(test_rnd() % (unsigned)(nd + 1)), k = 0;
			if (test_rnd() & 1)
				buf[k++] = '-';
			for (int j = 0; j < nd; j++) {
				if (j == pt)
					buf[k++] = '.';
				buf[k++] = (char)('0' + test_rnd() % 10);
			}
			buf[k] = '\0';
			break;
		}
		case 4: /* digits with an exponent */
			snprintf(buf, sizeof buf, "%llue%d", (unsigned long long)(test_rnd() >> (test_rnd() % 64)),
			         (int)(test_rnd() % 80) - 40);
			break;
		default: /* halfway between two doubles, written exactly (ties to even) */
		{
			uint64_t m = (test_rnd() >> 11) | 1;
			d = ((double)(m >> 1) + 0.5) / (double)(UINT64_C(1) << (test_rnd() % 20));
			snprintf(buf, sizeof buf, "%.40f", d);
			break;
		}
		}
		check(buf);
	}
	INT_EQ(mismatches, 0, "every number parses as strtod parses it");

	/* Python's repr of doubles, as W&B writes them: 16 and 17 significant digits,
	 * often after "0.00". */
	mismatches = 0;
	for (int i = 0; i < 200000; i++) {
		double d;
		do
			d = double_of(test_rnd());
		while (d != d || d - d != 0);
		if (i % 2)
			d = (double)(test_rnd() >> 11) / (double)(UINT64_C(1) << 53) /
			    (double)(UINT64_C(1) << (test_rnd() % 20));
		snprintf(buf, sizeof buf, "%.*g", 16 + (int)(test_rnd() % 2), d);
		check(buf);
	}
	INT_EQ(mismatches, 0, "16- and 17-digit values parse as strtod parses them");

	/* Digit counts around the 8-digit words the scanner reads at once, in the
	 * integer part, the fraction, after leading zeros of either, with and without
	 * an exponent; every string ends at the end of its allocation. */
	static const int counts[] = {1, 7, 8, 9, 15, 16, 17, 18, 19, 20, 23, 24, 25};
	mismatches = 0;
	for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
		for (int i = 0; i < 4000; i++) {
			int nd = counts[c], k = 0, shape = i % 5;
			if (test_rnd() % 4 == 0)
				buf[k++] = '-';
			int zeros = (int)(test_rnd() % 12);
			switch (shape) {
			case 0: /* integer: "12345678" or "00012345678" */
				for (int z = 0; z < zeros % 4; z++)
					buf[k++] = '0';
				put_digits(buf, &k, nd, 1);
				break;
			case 1: /* "0.000ddd" */
				buf[k++] = '0';
				buf[k++] = '.';
				for (int z = 0; z < zeros; z++)
					buf[k++] = '0';
				put_digits(buf, &k, nd, 1);
				break;
			case 2: /* digits either side of the point */
			{
				int left = (int)(test_rnd() % (unsigned)(nd + 1));
				put_digits(buf, &k, left, 1);
				buf[k++] = '.';
				put_digits(buf, &k, nd - left, 0);
				break;
			}
			case 3: /* "0.000…" with the digits all zero, or digits then ".0" */
				if (test_rnd() & 1) {
					buf[k++] = '0';
					buf[k++] = '.';
					for (int z = 0; z < nd; z++)
						buf[k++] = '0';
				} else {
					put_digits(buf, &k, nd, 1);
					buf[k++] = '.';
					buf[k++] = '0';
				}
				break;
			default: /* digits with a point and an exponent */
				put_digits(buf, &k, 1, 1);
				buf[k++] = '.';
				put_digits(buf, &k, nd - 1, 0);
				k += snprintf(buf + k, sizeof buf - (size_t)k, "e%d", (int)(test_rnd() % 70) - 35);
				break;
			}
			buf[k] = '\0';
			check(buf);
		}
	}
	INT_EQ(mismatches, 0, "7 to 25 digits around the 8-digit words parse as strtod parses them");
	const char *edges[] = {"0", "-0", "0.0", "00000000", "0.00000000", "12345678", "123456789",
	                       "1234567890123456", "12345678901234567", "0.12345678901234568",
	                       "0.0011947431302270011", "1791192890.0", "9999999999999999999",
	                       "18446744073709551615", "18446744073709551616", "1e308", "1e-308",
	                       "4.9406564584124654e-324", "1.7976931348623157e308", "nan", "inf",
	                       "-Infinity", "1E+5", "0.1e-0"};
	mismatches = 0;
	for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
		check(edges[i]);
	INT_EQ(mismatches, 0, "edge values parse as strtod parses them");

	/* num_parse_repr: every fraction length around its 6 to 16, with and
	 * without two- and three-digit exponents of either sign or case; it must
	 * take the shapes it is for (else the test of its values tests nothing). */
	mismatches = 0;
	repr_taken = point_taken = 0;
	long repr_shapes = 0, point_shapes = 0;
	for (int i = 0; i < 60000; i++) {
		int k = 0, nf = (int)(test_rnd() % 20) + 1;
		if (test_rnd() % 3 == 0)
			buf[k++] = '-';
		put_digits(buf, &k, 1, test_rnd() % 4 != 0);
		buf[k++] = '.';
		put_digits(buf, &k, nf, 0);
		/* No exponent, two digits (up to 40: Eisel-Lemire's table reaches
		 * 10^±64) or three (beyond it, for strtod). */
		int ex = (int)(test_rnd() % 4);
		if (ex)
			k += snprintf(buf + k, sizeof buf - (size_t)k, "%c%c%0*d", test_rnd() & 1 ? 'e' : 'E',
			              test_rnd() & 1 ? '-' : '+', ex == 3 ? 3 : 2,
			              (int)(test_rnd() % (ex == 3 ? 330 : 41)));
		buf[k] = '\0';
		repr_shapes += nf >= 6 && nf <= 16 && ex != 3;
		point_shapes += nf <= 18 && ex != 3;
		check(buf);
	}
	INT_EQ(mismatches, 0, "repr-shaped decimals parse as strtod parses them");
	OK(repr_taken > repr_shapes * 9 / 10, "num_parse_repr takes them (%ld of %ld)", repr_taken,
	   repr_shapes);
	OK(point_taken > point_shapes * 9 / 10, "num_scan_point takes them (%ld of %ld)",
	   point_taken, point_shapes);
	/* One byte of a repr-shaped string changed: taken only when strtod reads
	 * the whole string to the same value. */
	mismatches = 0;
	static const char junk[] = "0123456789.eE+-x \0";
	for (int i = 0; i < 100000; i++) {
		double d;
		do
			d = double_of(test_rnd());
		while (d != d || d - d != 0);
		int len = snprintf(buf, sizeof buf, "%.*g", 15 + (int)(test_rnd() % 3), d);
		buf[test_rnd() % (unsigned)len] = junk[test_rnd() % (sizeof junk - 1)];
		check_repr(buf);
	}
	INT_EQ(mismatches, 0, "num_parse_repr refuses what strtod does not read whole");

	/* num_parse_seconds: 1 to 18 integer digits, 0 to 9 fraction digits
	 * (time.time() is 10 and about 7); it must take the shapes it is for. */
	mismatches = 0;
	seconds_taken = 0;
	long seconds_shapes = 0;
	for (int i = 0; i < 60000; i++) {
		int k = 0, ni = (int)(test_rnd() % 18) + 1, nf = (int)(test_rnd() % 10);
		if (test_rnd() % 4 == 0)
			buf[k++] = '-';
		put_digits(buf, &k, ni, 1);
		if (nf || test_rnd() % 2)
			buf[k++] = '.';
		put_digits(buf, &k, nf, 0);
		buf[k] = '\0';
		seconds_shapes += ni >= 9 && ni <= 16 && nf >= 1 && nf <= 7 && ni + nf <= 19;
		check(buf);
	}
	INT_EQ(mismatches, 0, "seconds-shaped decimals parse as strtod parses them");
	OK(seconds_taken > seconds_shapes * 9 / 10, "num_parse_seconds takes them (%ld of %ld)",
	   seconds_taken, seconds_shapes);
	mismatches = 0;
	for (int i = 0; i < 100000; i++) {
		int len = snprintf(buf, sizeof buf, "%.*f", (int)(test_rnd() % 9),
		                   1.6e9 + (double)(test_rnd() % 1000000000) / 7.0);
		buf[test_rnd() % (unsigned)len] = junk[test_rnd() % (sizeof junk - 1)];
		check_repr(buf);
	}
	INT_EQ(mismatches, 0, "num_parse_seconds refuses what strtod does not read whole");

	/* num_fast_digits against a digit loop: runs of 0 to 20 digits, then a stop byte,
	 * with the buffer's end before, at and after the run. */
	long bad_runs = 0;
	for (int i = 0; i < 200000; i++) {
		char d[40];
		int nd = (int)(test_rnd() % 21);
		for (int j = 0; j < 40; j++)
			d[j] = (char)('0' + test_rnd() % 10);
		static const char stops[] = " \n.e-x/:\0\xff";
		d[nd] = stops[test_rnd() % (sizeof stops - 1)];
		size_t len = (size_t)(test_rnd() % 40) + 1;
		const char *end = d + len;
		uint64_t want = 0, got;
		const char *p = d;
		while (p < end && *p >= '0' && *p <= '9' && p - d < 18)
			want = want * 10 + (uint64_t)(*p++ - '0');
		const char *q = num_fast_digits(d, end, &got);
		if (q != p || got != want)
			bad_runs++;
	}
	INT_EQ(bad_runs, 0, "num_fast_digits reads digit runs as a loop does");

	/* The exact binary fractions, by value: num_scale_binary decides these. */
	double v;
	const char *f32 = "0.14218902587890625";
	OK(num_scan(f32, f32 + strlen(f32), &v) && v == 0.14218902587890625,
	   "an exact float32 value is read by the fast scanner");
	const char *tie = "9007199254740993"; /* 2^53 + 1: a tie, to even */
	OK(num_parse(tie, tie + strlen(tie), &v) && v == 9007199254740992.0, "2^53 + 1 ties to even");
	const char *refuse[] = {"", ".", "-", "1e", "0x10", " 1", "1 ", "--1", "1..2"};
	for (size_t i = 0; i < sizeof refuse / sizeof *refuse; i++)
		OK(!num_parse(refuse[i], refuse[i] + strlen(refuse[i]), &v), "\"%s\" is refused",
		   refuse[i]);
	const char *padded = " \t-2.5e3 \t";
	OK(num_parse_blanks(padded, padded + strlen(padded), &v) && v == -2500.0,
	   "num_parse_blanks drops blanks at both ends");
	const char *inner = " 1 2 ", *blank = " \t ";
	OK(!num_parse_blanks(inner, inner + strlen(inner), &v) &&
	       !num_parse_blanks(blank, blank + strlen(blank), &v),
	   "num_parse_blanks refuses a blank inside, and blanks alone");
	return TEST_END();
}
