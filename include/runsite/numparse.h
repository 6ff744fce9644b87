/* numparse.h — exact number parsing for the text readers: the shortest
 * path for plain decimals (Clinger's fast path, then Eisel-Lemire), strtod
 * for the rest, so every result equals strtod's bit for bit. The fast scanner
 * is inline because the readers call it once per value. */
#ifndef RUNSITE_NUMPARSE_H
#define RUNSITE_NUMPARSE_H

#include <stdint.h>
#include <string.h>

#define NUM_POW128_MIN (-64)
#define NUM_POW128_MAX 64
extern const double num_pow10_d[];
extern const uint64_t num_pow10_128[][2];
/* 10^0 to 10^19, every power of ten a uint64_t holds: the scale of a run
 * of digits read a word at a time. */
static const uint64_t num_pow10_u64[20] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
	10000000000, 100000000000, 1000000000000, 10000000000000, 100000000000000,
	1000000000000000, 10000000000000000, 100000000000000000, 1000000000000000000,
	UINT64_C(10000000000000000000)};

/* Parses the number filling [s, e) exactly as strtod would, including "nan",
 * "inf" and "infinity"; hexadecimal and surrounding blanks are refused.
 * Returns 1, or 0 when it is not a number. */
int num_parse(const char *s, const char *e, double *out);

/* num_parse after dropping blanks (spaces, tabs) at both ends, as a CSV
 * cell or a YAML scalar is written. */
int num_parse_blanks(const char *s, const char *e, double *out);

/* Parses an optionally signed decimal integer filling [s, e). Returns 1, or
 * 0 on anything else or overflow. */
int num_parse_int64(const char *s, const char *e, int64_t *out);

/* Whether the 8 bytes at p are all ASCII digits (SWAR, as in simdjson). */
static inline __attribute__((always_inline)) int num_eight_digits(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return ((v & UINT64_C(0xF0F0F0F0F0F0F0F0)) |
	        (((v + UINT64_C(0x0606060606060606)) & UINT64_C(0xF0F0F0F0F0F0F0F0)) >> 4)) ==
	       UINT64_C(0x3333333333333333);
}

/* The value of 8 ASCII digits at p. */
static inline __attribute__((always_inline)) uint64_t num_parse_eight(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	v = (v & UINT64_C(0x0F0F0F0F0F0F0F0F)) * 2561 >> 8;
	v = (v & UINT64_C(0x00FF00FF00FF00FF)) * 6553601 >> 16;
	return (v & UINT64_C(0x0000FFFF0000FFFF)) * UINT64_C(42949672960001) >> 32;
}

/* How many of the 8 bytes in x (little-endian, as loaded from memory) are
 * ASCII digits before the first that is not. A carry out of a non-digit byte
 * can only spoil the bytes after it, which do not count. */
static inline __attribute__((always_inline)) unsigned num_digit_run(uint64_t x)
{
	x ^= UINT64_C(0x3030303030303030);
	uint64_t nd = ((x + UINT64_C(0x7676767676767676)) | x) & UINT64_C(0x8080808080808080);
	return nd ? (unsigned)__builtin_ctzll(nd) / 8 : 8;
}

/* The value of the first n (1 to 7) digits of x, loaded from memory. */
static inline __attribute__((always_inline)) uint64_t num_parse_run(uint64_t x, unsigned n)
{
	x <<= 8 * (8 - n); /* the digits move up; the zero bytes below read as 0 */
	x = (x & UINT64_C(0x0F0F0F0F0F0F0F0F)) * 2561 >> 8;
	x = (x & UINT64_C(0x00FF00FF00FF00FF)) * 6553601 >> 16;
	return (x & UINT64_C(0x0000FFFF0000FFFF)) * UINT64_C(42949672960001) >> 32;
}

/* The value of the first n (0 to 8) digits of x, loaded from memory: as
 * num_parse_run, for the counts a word may hold whole or not at all. */
static inline __attribute__((always_inline)) uint64_t num_parse_upto8(uint64_t x, unsigned n)
{
	unsigned half = 4 * (8 - n);
	x = x << half << half; /* two shifts: n = 0 (64 bits) leaves 0 */
	x = (x & UINT64_C(0x0F0F0F0F0F0F0F0F)) * 2561 >> 8;
	x = (x & UINT64_C(0x00FF00FF00FF00FF)) * 6553601 >> 16;
	return (x & UINT64_C(0x0000FFFF0000FFFF)) * UINT64_C(42949672960001) >> 32;
}

/* Reads up to 18 ASCII digits from p into *v (no overflow possible);
 * returns the end of the digits. */
static inline __attribute__((always_inline)) const char *num_fast_digits(const char *p, const char *end, uint64_t *v)
{
	const char *s = p;
	uint64_t w = 0;
	if (end - p >= 16) {
		/* Runs measured a word at a time: no branch per digit. */
		uint64_t x;
		memcpy(&x, p, 8);
		unsigned n = num_digit_run(x);
		if (n < 8) {
			*v = n ? num_parse_run(x, n) : 0;
			return p + n;
		}
		w = num_parse_eight(p);
		memcpy(&x, p + 8, 8);
		n = num_digit_run(x);
		if (n < 8) {
			*v = n ? w * num_pow10_u64[n] + num_parse_run(x, n) : w;
			return p + 8 + n;
		}
		w = w * 100000000 + num_parse_eight(p + 8);
		p += 16;
	} else if (end - p >= 8 && num_eight_digits(p)) {
		w = num_parse_eight(p);
		p += 8;
		if (end - p >= 8 && num_eight_digits(p)) {
			w = w * 100000000 + num_parse_eight(p);
			p += 8;
		}
	}
	while (p < end && (unsigned)(*p - '0') < 10 && p - s < 18)
		w = w * 10 + (uint64_t)(*p++ - '0');
	*v = w;
	return p;
}

__extension__ typedef unsigned __int128 num_u128;

/* w * 10^exp10 when it is exactly a double with exp10 in [-27, 0): w a multiple of
 * 5^-exp10 whose quotient fits in 53 bits. Values logged from float32 and written out
 * in full (0.14218902587890625) are such, and Eisel-Lemire cannot decide them (its
 * product ends in zeros, as at a tie). Returns 0 when the value is not exact this way. */
static inline int num_scale_binary(uint64_t w, int exp10, double *out)
{
	static const uint64_t pow5[28] = {
		1, 5, 25, 125, 625, 3125, 15625, 78125, 390625, 1953125, 9765625, 48828125,
		244140625, 1220703125, 6103515625, 30517578125, 152587890625, 762939453125,
		3814697265625, 19073486328125, 95367431640625, 476837158203125,
		2384185791015625, 11920928955078125, 59604644775390625, 298023223876953125,
		1490116119384765625, 7450580596923828125};
	if (exp10 >= 0 || exp10 < -27 || w % pow5[-exp10] != 0)
		return 0;
	uint64_t m = w / pow5[-exp10];
	if (m > (UINT64_C(1) << 53))
		return 0;
	/* Both exact, and so is the quotient: m / 2^k. */
	*out = (double)m / (double)(UINT64_C(1) << -exp10);
	return 1;
}

static inline __attribute__((always_inline)) int num_scale_el(uint64_t w, int exp10, double *out);

/* w * 10^exp10 correctly rounded, or 0 when this cannot be done quickly
 * (the caller falls back to strtod). w is not 0. */
static inline __attribute__((always_inline)) int num_scale_exact(uint64_t w, int exp10, double *out)
{
	if (w <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
		/* Clinger's fast path: both operands exact, one rounding. */
		*out = exp10 < 0 ? (double)w / num_pow10_d[-exp10] : (double)w * num_pow10_d[exp10];
		return 1;
	}
	return num_scale_el(w, exp10, out);
}

/* w * 10^exp10 correctly rounded by the Eisel-Lemire algorithm alone (as in
 * Go's strconv/eisel_lemire.go): a 64x128-bit product gives the result, or
 * says it cannot decide (0; near a halfway point, or exactly on one, as
 * some short exact values are: num_scale_exact then decides). w is not 0.
 * Where values of 16 and 17 digits alternate, trying it first spares the
 * branch between it and Clinger's path, which such values mispredict. */
static inline __attribute__((always_inline)) int num_scale_el(uint64_t w, int exp10, double *out)
{
	if (exp10 < NUM_POW128_MIN || exp10 > NUM_POW128_MAX)
		return 0;
	int clz = __builtin_clzll(w);
	uint64_t man = w << clz;
	uint64_t exp2 = (uint64_t)(((217706 * (int64_t)exp10) >> 16) + 64 + 1023) - (uint64_t)clz;
	const uint64_t *pw = num_pow10_128[exp10 - NUM_POW128_MIN];
	num_u128 x = (num_u128)man * pw[1];
	uint64_t xhi = (uint64_t)(x >> 64), xlo = (uint64_t)x;
	if ((xhi & 0x1ff) == 0x1ff && xlo + man < man) {
		/* Near a halfway point: bring in the low half of the power. */
		num_u128 y = (num_u128)man * pw[0];
		uint64_t yhi = (uint64_t)(y >> 64), ylo = (uint64_t)y;
		uint64_t mhi = xhi, mlo = xlo + yhi;
		if (mlo < xlo)
			mhi++;
		if ((mhi & 0x1ff) == 0x1ff && mlo + 1 == 0 && ylo + man < man)
			return 0;
		xhi = mhi;
		xlo = mlo;
	}
	uint64_t msb = xhi >> 63;
	uint64_t mant = xhi >> (msb + 9);
	exp2 -= 1 ^ msb;
	if (xlo == 0 && (xhi & 0x1ff) == 0 && (mant & 3) == 1)
		return 0; /* exactly halfway: let strtod break the tie */
	mant += mant & 1;
	mant >>= 1;
	if (mant >> 53) {
		mant >>= 1;
		exp2++;
	}
	if (exp2 - 1 >= 0x7ff - 1)
		return 0; /* subnormal or overflow */
	uint64_t bits = exp2 << 52 | (mant & UINT64_C(0x000fffffffffffff));
	memcpy(out, &bits, sizeof *out);
	return 1;
}

/* Parses a plain decimal number (sign, digits, point, exponent) starting
 * at p, stopping at the first byte that cannot continue it. Returns the end,
 * or NULL when there is no such number or it needs the exact slow path. */
static inline __attribute__((always_inline)) const char *num_scan(const char *p, const char *end, double *out)
{
	int neg = 0;
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	const char *d0 = p;
	while (p < end && *p == '0')
		p++;
	const char *ds = p;
	uint64_t w = 0;
	while (p < end && (unsigned)(*p - '0') < 10)
		w = w * 10 + (uint64_t)(*p++ - '0');
	long nsig = p - ds;
	int exp10 = 0;
	if (p < end && *p == '.') {
		const char *fs = ++p;
		if (nsig == 0)
			while (p < end && *p == '0')
				p++;
		const char *fsig = p;
		while (end - p >= 8 && num_eight_digits(p)) {
			w = w * 100000000 + num_parse_eight(p);
			p += 8;
		}
		if (end - p >= 8) {
			/* The last 1 to 7 digits at once. */
			uint64_t x;
			memcpy(&x, p, 8);
			unsigned n = num_digit_run(x);
			if (n) {
				w = w * num_pow10_u64[n] + num_parse_run(x, n);
				p += n;
			}
		}
		while (p < end && (unsigned)(*p - '0') < 10)
			w = w * 10 + (uint64_t)(*p++ - '0');
		nsig += p - fsig;
		if (p - fs > 400)
			return NULL;
		exp10 = -(int)(p - fs);
		if (p == fs + 0 && ds == d0 && nsig == 0)
			return NULL; /* "." or "-." */
	}
	if (p == d0 || (p == d0 + 1 && *d0 == '.'))
		return NULL;
	if (nsig > 19)
		return NULL;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		int eneg = 0, ed = 0, ev = 0;
		if (p < end && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		for (; p < end && (unsigned)(*p - '0') < 10; p++, ed++) {
			if (ed == 4)
				return NULL;
			ev = ev * 10 + (*p - '0');
		}
		if (ed == 0)
			return NULL;
		exp10 += eneg ? -ev : ev;
	}
	double v = 0.0;
	if (w != 0 && !num_scale_exact(w, exp10, &v) && !num_scale_binary(w, exp10, &v))
		return NULL;
	*out = neg ? -v : v;
	return p;
}


/* num_scan for the shape Python writes most floats in, [-]D.F…F with 1 to 18
 * fraction digits and maybe e or E, a sign and 1 to 3 exponent digits
 * ("0.36359792947769165", "8.999280057595392e-05"): the fraction is measured
 * and read a word at a time. At least 32 bytes must be left from p. Returns
 * what num_scan returns, or NULL when the number has another shape or needs
 * the slow path (the caller then tries num_scan). */
static inline __attribute__((always_inline)) const char *num_scan_point(const char *p,
                                                                        const char *end,
                                                                        double *out)
{
	if (end - p < 32)
		return NULL;
	int neg = *p == '-';
	p += neg;
	uint64_t w = (uint64_t)(unsigned char)p[0] - '0';
	if (w > 9 || p[1] != '.')
		return NULL;
	const char *f = p + 2;
	uint64_t x;
	unsigned n, nf = 0;
	/* Whole words of 8 digits, then the 0 to 7 after them (2 at most after
	 * 16: the digits fit in 64 bits). */
	for (;;) {
		memcpy(&x, f + nf, 8);
		n = num_digit_run(x);
		if (n < 8 || nf == 16)
			break;
		w = w * 100000000 + num_parse_eight(f + nf);
		nf += 8;
	}
	if (nf == 16 && n > 2)
		return NULL;
	if (n)
		w = w * num_pow10_u64[n] + num_parse_run(x, n);
	nf += n;
	if (nf == 0)
		return NULL;
	const char *q = f + nf;
	int exp10 = -(int)nf;
	if ((*q | 0x20) == 'e') {
		q++;
		int eneg = *q == '-';
		q += eneg || *q == '+';
		unsigned ev = 0, ed = 0;
		for (; ed < 4 && (unsigned)(*q - '0') < 10; q++, ed++)
			ev = ev * 10 + (unsigned)(*q - '0');
		if (ed == 0 || ed == 4)
			return NULL;
		exp10 += eneg ? -(int)ev : (int)ev;
	}
	double v = 0.0;
	if (w != 0 && !num_scale_exact(w, exp10, &v) && !num_scale_binary(w, exp10, &v))
		return NULL;
	*out = neg ? -v : v;
	return q;
}

/* The token [s, e) when it has the shape Python's repr gives most floats:
 * [-]D.F…F with 6 to 16 fraction digits, then maybe e or E, a sign and two
 * or three exponent digits ("-0.0123456789012345", "8.999280057595392e-05").
 * The fraction is read as whole words inside the token, and no branch depends
 * on how many digits it has. Returns 1 with the value strtod gives, or 0 when
 * the token has another shape or needs the slow path (the caller then tries
 * num_scan). Reads only [s, e). */
static inline __attribute__((always_inline)) int num_parse_repr(const char *s, const char *e,
                                                                double *out)
{
	const uint64_t zeros = UINT64_C(0x3030303030303030);
	int neg = s < e && s[0] == '-';
	s += neg;
	size_t n = (size_t)(e - s);
	if (n < 8 || n > 24 || (unsigned)(s[0] - '0') >= 10 || s[1] != '.')
		return 0;
	size_t m = n; /* the end of the fraction */
	int x10 = 0;
	if ((e[-4] | 0x20) == 'e' || (e[-5] | 0x20) == 'e') {
		int three = (e[-4] | 0x20) != 'e';
		m = n - 4 - (size_t)three;
		char sign = s[m + 1];
		unsigned d2 = (unsigned)(e[-1] - '0'), d1 = (unsigned)(e[-2] - '0');
		unsigned d0 = three ? (unsigned)(e[-3] - '0') : 0;
		if (((sign != '-') & (sign != '+')) | (d2 > 9) | (d1 > 9) | (d0 > 9))
			return 0;
		int v = (int)(d0 * 100 + d1 * 10 + d2);
		x10 = sign == '-' ? -v : v;
	}
	size_t nf = m - 2; /* fraction digits */
	if (nf < 6 || nf > 16)
		return 0;
	/* The last 8 bytes of the fraction, the bytes before it (the "D." or
	 * digits read already) made '0'. */
	uint64_t last;
	memcpy(&last, s + m - 8, 8);
	unsigned before = 8 * (unsigned)((nf > 8 ? 16 : 8) - nf);
	uint64_t mask = before ? (UINT64_C(1) << before) - 1 : 0;
	last = (last & ~mask) | (zeros & mask);
	if (!num_eight_digits((const char *)&last))
		return 0;
	uint64_t w = (uint64_t)(s[0] - '0');
	if (nf > 8) {
		if (!num_eight_digits(s + 2))
			return 0;
		w = (w * 100000000 + num_parse_eight(s + 2)) * num_pow10_u64[nf - 8];
	} else {
		w *= num_pow10_u64[nf];
	}
	w += num_parse_eight((const char *)&last);
	double v = 0.0;
	int exp10 = x10 - (int)nf;
	if (w != 0 && !num_scale_exact(w, exp10, &v) && !num_scale_binary(w, exp10, &v))
		return 0;
	*out = neg ? -v : v;
	return 1;
}

/* The token [s, e) when it is [-]I.F with 9 to 16 integer digits and 1 to 7
 * fraction digits, no exponent: wall-clock seconds as Python writes
 * time.time() ("1684155555.8734057"). Read as whole words inside the token,
 * like num_parse_repr(), with the same contract. */
static inline __attribute__((always_inline)) int num_parse_seconds(const char *s, const char *e,
                                                                   double *out)
{
	const uint64_t zeros = UINT64_C(0x3030303030303030), ones = UINT64_C(0x0101010101010101);
	int neg = s < e && s[0] == '-';
	s += neg;
	size_t n = (size_t)(e - s);
	if (n < 11 || n > 24)
		return 0;
	/* The point is in the last 8 bytes: the lowest zero byte of last ^ "...." */
	uint64_t last;
	memcpy(&last, e - 8, 8);
	uint64_t t = last ^ (ones * '.');
	uint64_t z = (t - ones) & ~t & (ones * 0x80);
	if (!z)
		return 0;
	unsigned at = (unsigned)__builtin_ctzll(z) / 8, nf = 7 - at;
	size_t ni = n - nf - 1;
	if (nf == 0 || ni < 9 || ni > 16 || ni + nf > 19)
		return 0;
	/* Each word with the bytes already counted (or the point) made '0'. */
	uint64_t before = (UINT64_C(1) << (8 * (8 - nf))) - 1;
	last = (last & ~before) | (zeros & before);
	uint64_t mid;
	memcpy(&mid, s + ni - 8, 8);
	unsigned over = 8 * (16 - (unsigned)ni);
	uint64_t mmask = over ? (UINT64_C(1) << over) - 1 : 0;
	mid = (mid & ~mmask) | (zeros & mmask);
	if (!num_eight_digits(s) || !num_eight_digits((const char *)&mid) ||
	    !num_eight_digits((const char *)&last))
		return 0;
	uint64_t whole = num_parse_eight(s) * num_pow10_u64[ni - 8] +
	                 num_parse_eight((const char *)&mid);
	uint64_t w = whole * num_pow10_u64[nf] + num_parse_eight((const char *)&last);
	double v = 0.0;
	if (w != 0 && !num_scale_exact(w, -(int)nf, &v) && !num_scale_binary(w, -(int)nf, &v))
		return 0;
	*out = neg ? -v : v;
	return 1;
}

#endif
