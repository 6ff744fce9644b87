/* mlflow_text.c — MLflow FileStore text parsers: metric history lines (the
 * hot loop of the reader, so numbers are parsed by hand, exactly) and
 * meta.yaml through libyaml. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX512_LINES 1
#endif

#include <jansson.h>
#include <yaml.h>

#include "runsite/diag.h"
#include "runsite/numparse.h"
#include "runsite/util.h"
#include "mlflow_text.h"

/* Bad lines named one by one per file; the rest are counted in one warning. */
#define WARN_LINES_MAX 10



int mlflow_parse_double(const char *s, const char *e, double *out)
{
	if (num_parse(s, e, out))
		return 1;
	if ((e - s == 4 && memcmp(s, "True", 4) == 0) || (e - s == 5 && memcmp(s, "False", 5) == 0)) {
		*out = *s == 'T' ? 1.0 : 0.0; /* booleans written by very old clients */
		return 1;
	}
	return 0;
}

int mlflow_parse_int(const char *s, const char *e, int64_t *out)
{
	return num_parse_int64(s, e, out);
}

/* The value field at p when it is a word such as "nan" or "-inf" (about 2% of the
 * lines of a run with divergent steps): parsed as the general path would, up to the
 * next space or newline. Returns its end, or NULL. */
static const char *scan_word(const char *p, const char *end, double *out)
{
	const char *q = p;
	while (q < end && q - p < 16 && *q != ' ' && *q != '\n')
		q++;
	if (q == end || q == p || q - p >= 16 || !num_parse(p, q, out))
		return NULL;
	return q;
}

/* Bytes after a line's start that line_fast may read. */
#define LINE_FAST_SPAN 64

/* The first 8 bytes of the last timestamp line_fast read whole, and their
 * value: the timestamps of a file's next hundred lines or so begin alike. */
struct ts_head {
	uint64_t text;  /* 8 ASCII digits */
	uint64_t value; /* what they read as */
};

#ifdef __SSE2__
/* Bit i set when p[i] is no ASCII digit, for i < 48; bits 48 to 63 set. */
static inline __attribute__((always_inline)) uint64_t nondigits48(const char *p)
{
	const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
	uint64_t m = 0;
	for (int k = 0; k < 3; k++) {
		__m128i d = _mm_sub_epi8(_mm_loadu_si128((const void *)(p + 16 * k)), zero);
		/* a digit is d ≤ 9, unsigned */
		m |= (uint64_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, nine), d)) << 16 * k;
	}
	return ~m;
}

/* The usual line at p, "T V S\n": T of 9 to 15 digits (milliseconds), V of
 * the shape Python writes most floats in, [-]D.F…F with 1 to 18 fraction
 * digits, S of 1 to 8 digits, maybe negative; LINE_FAST_SPAN bytes from p.
 * Fills *ts, *val and *step and returns the newline, or NULL for any other
 * line (the slower paths read it, to the same point). Where each field ends
 * comes from one mask of the line's non-digits (SSE2), and the line is
 * checked whole before a digit is read, with one branch; the digits are
 * then read a word at a time, the timestamp's first word only when it is
 * not *head's. */
static inline __attribute__((always_inline)) const char *line_fast(const char *p, uint64_t *ts,
                                                                   double *val, int64_t *step,
                                                                   struct ts_head *head)
{
	uint64_t nd = nondigits48(p);
	unsigned nt = (unsigned)__builtin_ctzll(nd);
	unsigned v = nt + 1;
	unsigned neg = p[v] == '-';
	v += neg;
	unsigned f = v + 2, nf = (unsigned)__builtin_ctzll(nd >> f);
	unsigned s = f + nf + 1;
	unsigned sneg = p[s] == '-';
	s += sneg;
	unsigned ns = (unsigned)__builtin_ctzll(nd >> s);
	/* T, a space, D, a point, the fraction, a space (no exponent: the slower
	 * path reads those), S and the newline, each just where it must be */
	if (nt - 9 > 6 || p[nt] != ' ' || (nd >> v & 1) || p[v + 1] != '.' || nf - 1 > 17 ||
	    p[f + nf] != ' ' || ns - 1 > 7 || p[s + ns] != '\n')
		return NULL;
	uint64_t a, b, x, y;
	memcpy(&a, p, 8);
	if (a != head->text) {
		head->text = a;
		head->value = num_parse_eight(p);
	}
	memcpy(&b, p + 8, 8);
	uint64_t t = head->value * num_pow10_u64[nt - 8] + num_parse_upto8(b, nt - 8);
	/* the fraction: the usual 15 to 17 digits are two whole words and the
	 * 0 to 2 after them */
	uint64_t w = (uint64_t)(p[v] - '0');
	const char *fp = p + f;
	unsigned left = nf;
	if (left >= 8) {
		w = w * 100000000 + num_parse_eight(fp);
		fp += 8;
		left -= 8;
		if (left >= 8) {
			w = w * 100000000 + num_parse_eight(fp);
			fp += 8;
			left -= 8;
		}
	}
	memcpy(&x, fp, 8);
	w = w * num_pow10_u64[left] + num_parse_upto8(x, left);
	double d = 0.0;
	if (w != 0 && !num_scale_exact(w, -(int)nf, &d) && !num_scale_binary(w, -(int)nf, &d))
		return NULL;
	memcpy(&y, p + s, 8);
	uint64_t sv = num_parse_upto8(y, ns);
	*step = sneg ? -(int64_t)sv : (int64_t)sv;
	*ts = t;
	*val = neg ? -d : d;
	return p + s + ns;
}

/* The usual lines from *pp on, while LINE_FAST_SPAN bytes are left and
 * pts has room, into pts from n on: returns the new count, *pp at the first
 * line left to the slower paths. */
static size_t lines_sse2(const char **pp, const char *end, struct point *pts, size_t n,
                         size_t cap, struct ts_head *head)
{
	const char *p = *pp, *lf;
	uint64_t t;
	int64_t sv;
	double v;
	while (n < cap && end - p >= LINE_FAST_SPAN &&
	       (lf = line_fast(p, &t, &v, &sv, head)) != NULL) {
		pts[n].step = sv;
		pts[n].time_ms = (int64_t)t;
		pts[n].value = v;
		n++;
		p = lf + 1;
	}
	*pp = p;
	return n;
}
#endif

#ifdef HAVE_AVX512_LINES
#define AVX512_LINES __attribute__((target("avx512f,avx512bw,avx512vbmi,bmi,bmi2")))

/* For line_avx512's shuffle, for byte j of the groups: which byte of the
 * word of positions holds its field's end (end_of: 0 the timestamp's, 1
 * the fraction's, 2 the step's) and its start (start_of: 3, a zero, for
 * the timestamp, which starts the line; 4 the fraction's; 5 the step's),
 * and j less the byte where its field ends in the groups (minus_base: 16,
 * 40 or 48). Bytes 48 to 63 go with the fraction and are not used. */
#define GROUP_BYTES(ts, frac, step) \
	ts, ts, ts, ts, ts, ts, ts, ts, ts, ts, ts, ts, ts, ts, ts, ts, \
	frac, frac, frac, frac, frac, frac, frac, frac, frac, frac, frac, frac, frac, frac, frac, frac, \
	frac, frac, frac, frac, frac, frac, frac, frac, step, step, step, step, step, step, step, step, \
	frac, frac, frac, frac, frac, frac, frac, frac, frac, frac, frac, frac, frac, frac, frac, frac
static const unsigned char end_of[64] = {GROUP_BYTES(0, 1, 2)};
static const unsigned char start_of[64] = {GROUP_BYTES(3, 4, 5)};
static const signed char minus_base[64] = {
	-16, -15, -14, -13, -12, -11, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1,
	-24, -23, -22, -21, -20, -19, -18, -17, -16, -15, -14, -13, -12, -11, -10, -9,
	-8, -7, -6, -5, -4, -3, -2, -1, -8, -7, -6, -5, -4, -3, -2, -1,
	8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};

/* The bytes line_avx512 compares with, each 64 times over, in registers
 * the compiler cannot see the values of: it would otherwise make each one
 * again for every line (_mm512_set1_epi8 as a move and a broadcast: two
 * uops of the port the shuffles need). */
struct line_bytes {
	__m512i zero, nine, nl, minus, space, point;
};

AVX512_LINES static inline __attribute__((always_inline)) struct line_bytes line_bytes_init(void)
{
	struct line_bytes c = {_mm512_set1_epi8('0'), _mm512_set1_epi8(9), _mm512_set1_epi8('\n'),
	                       _mm512_set1_epi8('-'), _mm512_set1_epi8(' '), _mm512_set1_epi8('.')};
	__asm__("" : "+v"(c.zero), "+v"(c.nine), "+v"(c.nl), "+v"(c.minus), "+v"(c.space),
	        "+v"(c.point));
	return c;
}

/* A usual line whose fields are read as 8-digit groups (into its row of
 * a batch's groups), not yet as numbers. */
struct usual_line {
	const char *p;   /* where the line starts */
	unsigned lead;   /* the value's digit before the point */
	unsigned nf;     /* fraction digits: the value is ±w / 10^nf */
	unsigned neg;    /* bit 0: the value is negative; bit 1: the step */
};

/* line_fast with AVX-512 (VBMI), up to the fields' 8-digit groups: the
 * same lines, their groups into g and the rest into *u (c: the bytes it
 * compares with). The mask of non-digits is one compare of the 64 bytes;
 * then one byte shuffle puts every digit right-aligned in its 8-byte
 * group (bytes 0-15 the timestamp, 16-39 the fraction, 40-47 the step,
 * zeros before each), and the groups are read as numbers all at once
 * (multiply-adds of 10, 100 and 10^4), not a word at a time. raw is the
 * 64 bytes at p, nl where the line's first newline is (64 or more: not in
 * them), found by the caller from a mask of newlines alone, so that the
 * next line's start does not wait on this line's fields. Returns whether
 * the line is a usual one (0: the slower paths read it). */
AVX512_LINES static inline __attribute__((always_inline)) int
line_avx512(const char *p, __m512i raw, unsigned nl, const struct line_bytes *c,
            struct usual_line *u, uint64_t g[8])
{
	__m512i d = _mm512_sub_epi8(raw, c->zero);
	/* bits 48 to 63 set, as nondigits48 has them: the fields end within
	 * 54 bytes however the line goes on, so nothing below reads past 64 */
	uint64_t nd = _mm512_cmpgt_epu8_mask(d, c->nine) | ~UINT64_C(0) << 48;
	/* the signs and separators from masks too: no load waits on a field's end */
	uint64_t minus = _mm512_cmpeq_epi8_mask(raw, c->minus);
	uint64_t space = _mm512_cmpeq_epi8_mask(raw, c->space);
	uint64_t point = _mm512_cmpeq_epi8_mask(raw, c->point);
	unsigned nt = (unsigned)__builtin_ctzll(nd);
	unsigned v = nt + 1;
	unsigned neg = (unsigned)(minus >> v) & 1;
	v += neg;
	unsigned f = v + 2, nf = (unsigned)__builtin_ctzll(nd >> f);
	unsigned s = f + nf + 1;
	unsigned sneg = (unsigned)(minus >> s) & 1;
	s += sneg;
	unsigned ns = (unsigned)__builtin_ctzll(nd >> s);
	if (nt - 9 > 6 || !(space >> nt & 1) || (nd >> v & 1) || !(point >> (v + 1) & 1) ||
	    nf - 1 > 17 || !(space >> (f + nf) & 1) || ns - 1 > 7 || s + ns != nl)
		return 0;
	/* byte j of a group takes the byte at idx[j], kept from the field's
	 * start on (the bytes before, zeros); idx is j + end - base: end the
	 * field's end, base where it ends in the groups (16 the timestamp, 40
	 * the fraction, 48 the step). The ends and starts go into one word
	 * and out to their bytes by a shuffle: one broadcast, not six. */
	uint64_t at = (uint64_t)nt | (uint64_t)(f + nf) << 8 | (uint64_t)(s + ns) << 16 |
	              (uint64_t)f << 32 | (uint64_t)s << 40;
	__m512i atv = _mm512_set1_epi64((long long)at);
	__m512i idx = _mm512_add_epi8(
		_mm512_shuffle_epi8(atv, _mm512_loadu_si512((const void *)end_of)),
		_mm512_loadu_si512((const void *)minus_base));
	__m512i start = _mm512_shuffle_epi8(atv, _mm512_loadu_si512((const void *)start_of));
	__mmask64 keep = _mm512_cmpge_epi8_mask(idx, start);
	__m512i dig = _mm512_maskz_permutexvar_epi8(keep, idx, d);
	__m512i two = _mm512_maddubs_epi16(dig, _mm512_set1_epi16(0x010A));      /* 10a + b */
	__m512i four = _mm512_madd_epi16(two, _mm512_set1_epi32(0x00010064));    /* 100a + b */
	__m512i eight = _mm512_add_epi64(_mm512_mul_epu32(four, _mm512_set1_epi64(10000)),
	                                 _mm512_srli_epi64(four, 32));            /* 10^4 a + b */
	/* stored whole and read back later: taking the groups out of the
	 * register one by one costs more of the ports the vector work needs */
	_mm512_store_si512((void *)g, eight);
	u->p = p;
	u->lead = (unsigned)(p[v] - '0');
	u->nf = nf;
	u->neg = neg | sneg << 1;
	return 1;
}

/* Lines read a batch at a time: first every line's fields, then every
 * value's double. Each line's double takes long to work out, but no line
 * waits on another's: batched, the CPU works on many at once. The loops
 * over a batch end on a branch that mispredicts (how many values take
 * each path changes from batch to batch): 32 lines pay it half as often
 * as 16. */
#define USUAL_BATCH 32

/* lines_sse2 with line_avx512. */
AVX512_LINES static size_t lines_avx512(const char **pp, const char *end, struct point *pts,
                                        size_t n, size_t cap)
{
	const char *p = *pp;
	struct usual_line b[USUAL_BATCH];
	/* the lines whose value takes Clinger's path (w ≤ 2^53: one division),
	 * and the others (Eisel-Lemire), listed apart without a branch: 16 and
	 * 17 digits alternate at random, and a branch a line mispredicts them */
	unsigned char small[USUAL_BATCH], big[USUAL_BATCH];
	uint64_t w[USUAL_BATCH]; /* the values' digits, point left out */
	/* the lines' groups: timestamp g0 g1, fraction g2 g3 g4, step g5 */
	_Alignas(64) uint64_t gs[USUAL_BATCH][8];
	const struct line_bytes c = line_bytes_init();
	for (;;) {
		size_t k = 0, ns = 0, nb = 0, room = cap - n < USUAL_BATCH ? cap - n : USUAL_BATCH;
		/* Two lines a turn while two spans are left: the second one's end
		 * is in the two spans from the first's start, so the next turn
		 * waits on one search for newlines, not on one a line. */
		while (k + 2 <= room && end - p > 2 * LINE_FAST_SPAN) {
			__m512i r0 = _mm512_loadu_si512((const void *)p);
			__m512i r1 = _mm512_loadu_si512((const void *)(p + 64));
			uint64_t m0 = _mm512_cmpeq_epi8_mask(r0, c.nl);
			uint64_t m1 = _mm512_cmpeq_epi8_mask(r1, c.nl);
			uint64_t m0b = _blsr_u64(m0);
			/* the first two newlines from p (a 64 when the first span has
			 * none, bnl 128 when neither has a second): bnl in the first
			 * span or else the second, without a branch (which one it is
			 * follows the lengths of the lines) */
			unsigned a = (unsigned)_tzcnt_u64(m0);
			unsigned bnl = (unsigned)_tzcnt_u64(m0b) +
			               ((unsigned)_tzcnt_u64(m1) & -(unsigned)(m0b == 0));
			if (!line_avx512(p, r0, a, &c, &b[k], gs[k]))
				goto batch_done;
			k++;
			const char *q = p + a + 1;
			if (!line_avx512(q, _mm512_loadu_si512((const void *)q), bnl - a - 1, &c, &b[k],
			                 gs[k])) {
				p = q;
				goto batch_done;
			}
			k++;
			p += bnl + 1;
		}
		while (k < room && end - p >= LINE_FAST_SPAN) {
			__m512i r0 = _mm512_loadu_si512((const void *)p);
			unsigned a = (unsigned)_tzcnt_u64(_mm512_cmpeq_epi8_mask(r0, c.nl));
			if (!line_avx512(p, r0, a, &c, &b[k], gs[k]))
				break;
			k++;
			p += a + 1;
		}
batch_done:
		for (size_t j = 0; j < k; j++) {
			const uint64_t *g = gs[j];
			pts[n + j].step = b[j].neg & 2 ? -(int64_t)g[5] : (int64_t)g[5];
			pts[n + j].time_ms = (int64_t)(g[0] * 100000000 + g[1]);
			/* the fraction's 18 digits at most and the digit before the point fit in 64 bits */
			w[j] = b[j].lead * num_pow10_u64[b[j].nf] + (g[2] * 100000000 + g[3]) * 100000000 +
			       g[4];
			unsigned is_big = w[j] > UINT64_C(1) << 53;
			small[ns] = (unsigned char)j;
			big[nb] = (unsigned char)j;
			ns += !is_big;
			nb += is_big;
		}
		for (size_t i = 0; i < ns; i++) {
			const struct usual_line *u = &b[small[i]];
			double x = (double)w[small[i]] / num_pow10_d[u->nf]; /* as num_scale_exact */
			pts[n + small[i]].value = u->neg & 1 ? -x : x;
		}
		size_t fail = k;
		for (size_t i = 0; i < nb; i++) {
			const struct usual_line *u = &b[big[i]];
			double x;
			int e = -(int)u->nf;
			if (!num_scale_el(w[big[i]], e, &x) && !num_scale_binary(w[big[i]], e, &x)) {
				fail = big[i]; /* the first: big lists them in order */
				break;
			}
			pts[n + big[i]].value = u->neg & 1 ? -x : x;
		}
		if (fail < k) {
			*pp = b[fail].p; /* the slower paths read it */
			return n + fail;
		}
		n += k;
		if (k < USUAL_BATCH) {
			*pp = p;
			return n;
		}
	}
}
#endif

/* Which of the paths above reads the usual lines (MLFLOW_SIMD_*); -1 until
 * the CPU is asked. */
static _Atomic int simd_level = -1;

static int simd_best(void)
{
#ifdef HAVE_AVX512_LINES
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi") &&
	    __builtin_cpu_supports("bmi2"))
		return MLFLOW_SIMD_AVX512;
#endif
#ifdef __SSE2__
	return MLFLOW_SIMD_SSE2;
#else
	return MLFLOW_SIMD_NONE;
#endif
}

int mlflow_metrics_simd(int want)
{
	int best = simd_best();
	simd_level = want < 0 || want > best ? best : want;
	return simd_level;
}

/* The usual lines through the chosen path (none: the word-at-a-time path
 * below reads them). */
static size_t lines_usual(const char **pp, const char *end, struct point *pts, size_t n,
                          size_t cap, struct ts_head *head)
{
	int level = simd_level;
	if (level < 0)
		level = mlflow_metrics_simd(-1);
	switch (level) {
#ifdef HAVE_AVX512_LINES
	case MLFLOW_SIMD_AVX512:
		return lines_avx512(pp, end, pts, n, cap);
#endif
#ifdef __SSE2__
	case MLFLOW_SIMD_SSE2:
		return lines_sse2(pp, end, pts, n, cap, head);
#endif
	default:
		return n;
	}
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

enum mlflow_line_status mlflow_metric_line(const char *s, const char *e, struct point *pt)
{
	/* Python's str.strip() before split(" "). */
	while (s < e && is_blank(*s))
		s++;
	while (e > s && is_blank(e[-1]))
		e--;
	if (s == e)
		return MLFLOW_LINE_EMPTY;
	const char *f[4];
	const char *fe[3];
	int nf = 1;
	f[0] = s;
	for (int i = 0; i < 3; i++) {
		const char *sp = memchr(f[i], ' ', (size_t)(e - f[i]));
		if (!sp) {
			fe[i] = e;
			break;
		}
		fe[i] = sp;
		f[i + 1] = sp + 1;
		nf++;
	}
	if (nf == 4) {
		/* A fourth field must be followed by a fifth (dataset name and digest). */
		if (!memchr(f[3], ' ', (size_t)(e - f[3])))
			return MLFLOW_LINE_FIELDS;
	} else if (nf < 2) {
		return MLFLOW_LINE_FIELDS;
	}
	if (!mlflow_parse_int(f[0], fe[0], &pt->time_ms))
		return MLFLOW_LINE_TIME;
	if (!mlflow_parse_double(f[1], fe[1], &pt->value))
		return MLFLOW_LINE_VALUE;
	pt->step = 0;
	if (nf >= 3 && !mlflow_parse_int(f[2], fe[2], &pt->step))
		return MLFLOW_LINE_STEP;
	return MLFLOW_LINE_OK;
}

/* Copies [s, e) into out for a message: at most 40 bytes, control bytes as '?'. */
static void excerpt(char *out, size_t outsz, const char *s, const char *e)
{
	size_t n = 0;
	for (; s < e && n + 4 < outsz && n < 40; s++)
		out[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	if (s < e && n + 4 <= outsz) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

/* Reports why the line [s, e) was skipped. */
static void warn_line(const struct mlflow_metrics *m, enum mlflow_line_status st, const char *s,
                      const char *e)
{
	char ex[64];
	excerpt(ex, sizeof ex, s, e);
	switch (st) {
	case MLFLOW_LINE_FIELDS: {
		int nf = 1;
		const char *p = s;
		while (p < e && is_blank(*p))
			p++;
		for (const char *q = p; q < e; q++)
			nf += *q == ' ';
		diag_warn(m->path, m->line, "expected 2, 3 or 5 fields (timestamp value step), found %d: \"%s\"",
		          nf, ex);
		break;
	}
	case MLFLOW_LINE_TIME:
		diag_warn(m->path, m->line, "the timestamp is not an integer: \"%s\"", ex);
		break;
	case MLFLOW_LINE_VALUE:
		diag_warn(m->path, m->line, "the value is not a number: \"%s\"", ex);
		break;
	case MLFLOW_LINE_STEP:
		diag_warn(m->path, m->line, "the step is not an integer: \"%s\"", ex);
		break;
	default:
		break;
	}
}

size_t mlflow_metrics_parse(struct mlflow_metrics *m, const char *data, size_t len, bool final,
                            struct series *s)
{
	const char *p = data, *end = data + len;
	/* Locals, not s->n and m->line: stores into pts may alias them. */
	struct point *pts = s->pts;
	size_t n = s->n, cap = s->cap, line = m->line;
	struct ts_head head = {UINT64_C(0x3030303030303030), 0}; /* "00000000" */
	for (;;) {
		/* The usual lines, while their words are in the buffer. */
		size_t before = n;
		n = lines_usual(&p, end, pts, n, cap, &head);
		line += n - before;
		/* Fast path for the usual "ts value step\n" or "ts value\n"; any
		 * other shape goes through the general parser below. The point is
		 * kept in registers and stored field by field (a struct on the stack
		 * read back whole would stall on store forwarding). */
		struct point pt;
		const char *q = p;
		uint64_t ts, stp = 0;
		double val;
		int neg = 0;
		q = num_fast_digits(q, end, &ts);
		if (q > p && q < end && *q == ' ') {
			const char *vs = q + 1;
			/* Python writes most values as D.F…F: read a word at a time */
			q = num_scan_point(vs, end, &val);
			if (!q)
				q = num_scan(vs, end, &val);
			if (!q && vs < end && (unsigned)(*vs - '0') >= 10)
				q = scan_word(vs, end, &val);
			if (q && q < end && *q == ' ') {
				const char *ss = ++q;
				neg = q < end && *q == '-';
				q += neg;
				q = num_fast_digits(q, end, &stp);
				if (q < end && *q == '\n' && q > ss + neg)
					goto add_fast;
			} else if (q && q < end && *q == '\n') {
				goto add_fast;
			}
		}
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (!nl && (!final || p == end))
			break;
		line++;
		enum mlflow_line_status st = mlflow_metric_line(p, le, &pt);
		if (st == MLFLOW_LINE_OK) {
			q = le;
			goto add_general;
		}
		if (st != MLFLOW_LINE_EMPTY) {
			m->line = line;
			if (!nl) {
				/* A last line without newline: a run still writing. */
				m->partial = true;
				m->partial_line = line;
			} else {
				if (++m->bad <= WARN_LINES_MAX && !m->silent)
					warn_line(m, st, p, le);
			}
		}
		if (!nl) {
			p = end;
			break;
		}
		p = nl + 1;
		continue;
add_fast:
		line++;
		if (n == cap) {
			s->n = n;
			GROW(s->pts, s->cap, n + 1);
			pts = s->pts;
			cap = s->cap;
		}
		pts[n].step = neg ? -(int64_t)stp : (int64_t)stp;
		pts[n].time_ms = (int64_t)ts;
		pts[n].value = val;
		n++;
		p = q + 1;
		continue;
add_general:
		if (n == cap) {
			s->n = n;
			GROW(s->pts, s->cap, n + 1);
			pts = s->pts;
			cap = s->cap;
		}
		pts[n++] = pt;
		if (q == end) {
			p = end; /* an unterminated last line that parsed */
			break;
		}
		p = q + 1;
	}
	s->n = n;
	m->line = line;
	return (size_t)(p - data);
}

void mlflow_metrics_end(struct mlflow_metrics *m)
{
	if (m->silent)
		return;
	if (m->bad > WARN_LINES_MAX)
		diag_warn(m->path, 0, "%zu more lines skipped that do not parse (%zu in all)",
		          m->bad - WARN_LINES_MAX, m->bad);
	if (m->partial && !m->quiet_partial)
		diag_warn(m->path, m->partial_line,
		          "incomplete last line (no newline, does not parse) skipped");
}

/* True for the plain scalars YAML reads as null. */
static int yaml_is_null(const yaml_event_t *ev)
{
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	const char *v = (const char *)ev->data.scalar.value;
	return ev->data.scalar.length == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* Reports the parser's error as "path:line: what". */
static void yaml_warn(const yaml_parser_t *p, const char *path)
{
	size_t line = p->problem_mark.line + 1;
	if (p->error == YAML_READER_ERROR)
		line = 0; /* encoding problems carry a byte offset, not a line */
	diag_warn(path, line, "not valid YAML: %s%s%s", p->problem ? p->problem : "parse error",
	          p->context ? " " : "", p->context ? p->context : "");
}

#define MLFLOW_YAML_DEPTH 64

int mlflow_yaml_parse(const char *data, size_t len, const char *path, struct kvlist *out)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = -1, have_ev = 0;
	char *key = NULL, *outer = NULL;
	int depth = 0;        /* collections open inside the top-level mapping */
	int skip_from = 0;    /* when > 0: skipping events until depth falls below this */
	int skip_is_key = 0;  /* the skipped collection was a key: its value goes too */
	int state = 0;        /* 0 before the document, 1 in the top mapping, 2 done */
	int null_doc = 0;

	if (!yaml_parser_initialize(&p)) {
		diag_warn(path, 0, "cannot start the YAML parser");
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	for (;;) {
		if (!yaml_parser_parse(&p, &ev)) {
			yaml_warn(&p, path);
			goto out;
		}
		have_ev = 1;
		yaml_event_type_t t = ev.type;
		if (t == YAML_STREAM_END_EVENT)
			break;
		int opens = t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT;
		int closes = t == YAML_MAPPING_END_EVENT || t == YAML_SEQUENCE_END_EVENT;
		if (state == 0) {
			if (t == YAML_MAPPING_START_EVENT) {
				state = 1;
			} else if (t == YAML_SCALAR_EVENT && yaml_is_null(&ev)) {
				state = 2; /* "~" or an empty document */
				null_doc = 1;
			} else if (t == YAML_SCALAR_EVENT || opens || t == YAML_ALIAS_EVENT) {
				diag_warn(path, ev.start_mark.line + 1,
				          "expected a YAML mapping of keys to values");
				goto out;
			}
		} else if (state == 1) {
			if (skip_from) {
				depth += opens - closes;
				if (depth > MLFLOW_YAML_DEPTH) {
					/* Parsing on would cost libyaml time quadratic in the depth. */
					diag_warn(path, ev.start_mark.line + 1,
					          "YAML nested deeper than %d levels; the rest of the "
					          "file is left out", MLFLOW_YAML_DEPTH);
					rc = 1;
					goto out;
				}
				if (depth < skip_from) {
					skip_from = 0;
					key = skip_is_key ? xstrdup("") : NULL;
				}
			} else if (closes) {
				if (depth == 0) {
					state = 2;
				} else {
					depth--;
					free(outer);
					outer = NULL;
				}
			} else if (!key) {
				/* A key. Only scalar keys are kept; others drop their value. */
				if (t == YAML_SCALAR_EVENT) {
					key = xstrndup((const char *)ev.data.scalar.value,
					               ev.data.scalar.length);
				} else if (opens) {
					depth++;
					skip_from = depth;
					skip_is_key = 1;
				} else {
					key = xstrdup("");
				}
			} else if (t == YAML_SCALAR_EVENT) {
				if (*key && !yaml_is_null(&ev)) {
					char *v = xstrndup((const char *)ev.data.scalar.value,
					                   ev.data.scalar.length);
					char *k = outer ? xasprintf("%s/%s", outer, key) : NULL;
					kvlist_add(out, k ? k : key, v);
					free(k);
					free(v);
				}
				free(key);
				key = NULL;
			} else if (t == YAML_MAPPING_START_EVENT && depth == 0 && *key) {
				depth++;
				outer = key; /* its pairs become "outer/inner" */
				key = NULL;
			} else if (opens) {
				depth++;
				skip_from = depth;
				skip_is_key = 0;
				free(key);
				key = NULL;
			} else {
				free(key); /* an alias as the value: nothing to keep */
				key = NULL;
			}
		}
		yaml_event_delete(&ev);
		have_ev = 0;
	}
	rc = state == 0 || null_doc ? 0 : 1;
out:
	if (have_ev)
		yaml_event_delete(&ev);
	free(key);
	free(outer);
	yaml_parser_delete(&p);
	return rc;
}

/* The string member key of object o, or NULL. */
static const char *json_str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) && *json_string_value(v) ? json_string_value(v) : NULL;
}

size_t mlflow_model_history(const char *json, size_t len, const char *path, struct run *r)
{
	json_error_t err;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	size_t added = 0;
	if (!root || !json_is_array(root)) {
		if (root)
			diag_warn(path, 0, "expected a JSON array of logged models");
		else
			diag_warn(path, (size_t)err.line > 0 ? (size_t)err.line : 0, "not valid JSON: %s",
			          err.text);
		goto out;
	}
	size_t i;
	json_t *m;
	json_array_foreach(root, i, m) {
		if (!json_is_object(m))
			continue;
		const char *id = json_str(m, "model_id");
		if (!id)
			id = json_str(m, "model_uuid");
		const char *apath = json_str(m, "artifact_path");
		if (!id && !apath)
			continue;
		char *fallback = NULL;
		if (!id)
			id = fallback = xasprintf("%s/%s", r->id ? r->id : "", apath);
		int dup = 0;
		for (size_t k = 0; k < r->nmodels && !dup; k++)
			dup = r->models[k].id && strcmp(r->models[k].id, id) == 0;
		if (!dup) {
			/* The flavor is the first one that is not the generic python_function. */
			const char *flavor = NULL, *key;
			json_t *fv;
			json_object_foreach(json_object_get(m, "flavors"), key, fv) {
				if (!flavor || strcmp(flavor, "python_function") == 0)
					flavor = key;
			}
			struct logged_model *lm = run_add_model(r);
			lm->id = xstrdup(id);
			lm->name = xstrdup(apath ? apath : id);
			lm->type = flavor ? xstrdup(flavor) : NULL;
			const char *rid = json_str(m, "run_id");
			if (apath && (rid || r->id))
				lm->uri = xasprintf("runs:/%s/%s", rid ? rid : r->id, apath);
			added++;
		}
		free(fallback);
	}
out:
	json_decref(root);
	return added;
}
