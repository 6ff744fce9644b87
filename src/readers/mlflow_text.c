/* mlflow_text.c — MLflow FileStore text parsers: metric history lines (the
 * hot loop of the reader, so numbers are parsed by hand, exactly) and
 * meta.yaml through libyaml. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "runsite/diag.h"
#include "runsite/util.h"
#include "mlflow_text.h"

/* Bad lines named one by one per file; the rest are counted in one warning. */
#define WARN_LINES_MAX 10

static const double pow10_d[] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

#if LDBL_MANT_DIG >= 64
/* 10^k is exact in a 64-bit significand up to k = 27 (5^27 < 2^63). */
static const long double pow10_ld[] = {
	1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
	1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
	1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L,
};
#endif

/* strtod on a copy of [s, e); the slow but exact path. Rejects what Python's
 * float() rejects and strtod takes (hex), and trailing text. */
static int slow_double(const char *s, const char *e, double *out)
{
	size_t n = (size_t)(e - s);
	char small[64];
	char *tmp = n < sizeof small ? small : xmalloc(n + 1);
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	int ok = 0;
	if (n > 0 && !memchr(tmp, 'x', n) && !memchr(tmp, 'X', n) && tmp[0] != ' ' &&
	    tmp[0] != '\t') {
		char *end;
		double v = strtod(tmp, &end);
		if (end == tmp + n) {
			*out = v;
			ok = 1;
		} else if (strcmp(tmp, "True") == 0 || strcmp(tmp, "False") == 0) {
			/* Booleans written by very old clients. */
			*out = tmp[0] == 'T' ? 1.0 : 0.0;
			ok = 1;
		}
	}
	if (tmp != small)
		free(tmp);
	return ok;
}

/* Whether the 8 bytes at p are all ASCII digits (SWAR, as in simdjson). */
static inline int eight_digits(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return ((v & UINT64_C(0xF0F0F0F0F0F0F0F0)) |
	        (((v + UINT64_C(0x0606060606060606)) & UINT64_C(0xF0F0F0F0F0F0F0F0)) >> 4)) ==
	       UINT64_C(0x3333333333333333);
}

/* The value of 8 ASCII digits at p. */
static inline uint64_t parse_eight(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	v = (v & UINT64_C(0x0F0F0F0F0F0F0F0F)) * 2561 >> 8;
	v = (v & UINT64_C(0x00FF00FF00FF00FF)) * 6553601 >> 16;
	return (v & UINT64_C(0x0000FFFF0000FFFF)) * UINT64_C(42949672960001) >> 32;
}

/* Reads up to 18 ASCII digits from p into *v (no overflow possible);
 * returns the end of the digits. */
static inline const char *fast_digits(const char *p, const char *end, uint64_t *v)
{
	const char *s = p;
	uint64_t w = 0;
	if (end - p >= 8 && eight_digits(p)) {
		w = parse_eight(p);
		p += 8;
		if (end - p >= 8 && eight_digits(p)) {
			w = w * 100000000 + parse_eight(p);
			p += 8;
		}
	}
	while (p < end && (unsigned)(*p - '0') < 10 && p - s < 18)
		w = w * 10 + (uint64_t)(*p++ - '0');
	*v = w;
	return p;
}

/* w * 10^exp10 correctly rounded, or 0 when this cannot be done quickly
 * (the caller falls back to strtod). w is not 0 and below 10^19. */
static inline int scale_exact(uint64_t w, int exp10, double *out)
{
	if (w <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
		/* Clinger's fast path: both operands exact, one rounding. */
		*out = exp10 < 0 ? (double)w / pow10_d[-exp10] : (double)w * pow10_d[exp10];
		return 1;
	}
#if LDBL_MANT_DIG >= 64
	if (exp10 < -27 || exp10 > 27)
		return 0;
	/* One correctly rounded extended operation, then rounding to double.
	 * The two roundings can differ from one only when the extended result
	 * lies exactly halfway between two doubles (a midpoint nearer to the
	 * true value would itself have been the extended result); that rare
	 * case goes to strtod. Results stay far from the subnormal range. */
	long double r = exp10 < 0 ? (long double)w / pow10_ld[-exp10]
	                          : (long double)w * pow10_ld[exp10];
	double v = (double)r;
#if LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__))
	/* x87 format: the 64-bit significand comes first; a double keeps 53 bits. */
	uint64_t mant;
	memcpy(&mant, &r, sizeof mant);
	if ((mant & 0x7ff) == 0x400)
		return 0;
#else
	if ((long double)v != r) {
		double nb = nextafter(v, r > (long double)v ? INFINITY : -INFINITY);
		if (((long double)v + (long double)nb) / 2 == r)
			return 0;
	}
#endif
	*out = v;
	return 1;
#else
	return 0;
#endif
}

/* Parses a plain decimal number (sign, digits, point, exponent) starting
 * at p, stopping at the first byte that cannot continue it. Returns the end,
 * or NULL when there is no such number or it needs the exact slow path. */
static inline __attribute__((always_inline)) const char *fast_double(const char *p, const char *end, double *out)
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
		while (end - p >= 8 && eight_digits(p)) {
			w = w * 100000000 + parse_eight(p);
			p += 8;
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
	if (w != 0 && !scale_exact(w, exp10, &v))
		return NULL;
	*out = neg ? -v : v;
	return p;
}

int mlflow_parse_double(const char *s, const char *e, double *out)
{
	if (fast_double(s, e, out) == e)
		return 1;
	return slow_double(s, e, out);
}

int mlflow_parse_int(const char *s, const char *e, int64_t *out)
{
	const char *p = s;
	int neg = 0;
	if (p < e && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if (p == e)
		return 0;
	uint64_t v = 0;
	for (; p < e; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (d >= 10)
			return 0;
		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return 0;
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (v > (uint64_t)INT64_MAX)
			return 0;
		*out = (int64_t)v;
	}
	return 1;
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
	for (;;) {
		/* Fast path for the usual "ts value step\n" or "ts value\n"; any
		 * other shape goes through the general parser below. */
		struct point pt;
		const char *q = p;
		uint64_t ts;
		q = fast_digits(q, end, &ts);
		if (q > p && q < end && *q == ' ') {
			q = fast_double(q + 1, end, &pt.value);
			if (q && q < end && *q == ' ') {
				const char *ss = ++q;
				int neg = q < end && *q == '-';
				q += neg;
				uint64_t st;
				q = fast_digits(q, end, &st);
				if (q < end && *q == '\n' && q > ss + neg) {
					pt.time_ms = (int64_t)ts;
					pt.step = neg ? -(int64_t)st : (int64_t)st;
					goto add;
				}
			} else if (q && q < end && *q == '\n') {
				pt.time_ms = (int64_t)ts;
				pt.step = 0;
				goto add;
			}
		}
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (!nl && (!final || p == end))
			break;
		m->line++;
		enum mlflow_line_status st = mlflow_metric_line(p, le, &pt);
		if (st == MLFLOW_LINE_OK) {
			if (s->n == s->cap)
				GROW(s->pts, s->cap, s->n + 1);
			s->pts[s->n++] = pt;
		} else if (st != MLFLOW_LINE_EMPTY) {
			if (!nl) {
				/* A last line without newline: a run still writing. */
				m->partial = true;
				m->partial_line = m->line;
			} else {
				if (++m->bad <= WARN_LINES_MAX)
					warn_line(m, st, p, le);
			}
		}
		if (!nl) {
			p = end;
			break;
		}
		p = nl + 1;
		continue;
add:
		m->line++;
		if (s->n == s->cap)
			GROW(s->pts, s->cap, s->n + 1);
		s->pts[s->n++] = pt;
		p = q + 1;
	}
	return (size_t)(p - data);
}

void mlflow_metrics_end(struct mlflow_metrics *m)
{
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
