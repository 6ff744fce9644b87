/* csvparse.c — the CSV/TSV tokenizer and the exact number parser shared by
 * the CSV-based readers. Both sit in the hot loop of reading a sweep, so
 * cells are split in place and numbers are parsed by hand, falling back to
 * strtod whenever the quick way cannot prove it gives strtod's result. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsite/diag.h"
#include "runsite/util.h"
#include "csvparse.h"

void csv_init(struct csv_parser *cp, char *text, size_t len, char sep, int trim)
{
	memset(cp, 0, sizeof *cp);
	cp->p = text;
	cp->end = text + len;
	cp->sep = sep;
	cp->trim = trim;
	cp->next_line = 1;
	cp->stop[(unsigned char)sep] = 1;
	cp->stop['\n'] = 1;
	cp->stop['\r'] = 1;
	cp->stop['\0'] = 1;
}

void csv_free(struct csv_parser *cp)
{
	free(cp->fields);
	cp->fields = NULL;
	cp->nfields = cp->capfields = 0;
}

/* Reads a quoted field whose opening quote is at p, unquoting it in place
 * into f. Returns the byte after it (a separator, a line end or the end). */
static char *quoted_field(struct csv_parser *cp, char *p, struct csv_field *f)
{
	char *end = cp->end, *w = p, *r = p + 1;
	f->s = p;
	f->quoted = 1;
	for (;;) {
		if (r >= end) {
			cp->open_quote = cp->line;
			break;
		}
		char c = *r;
		if (c == '"') {
			if (r + 1 < end && r[1] == '"') {
				*w++ = '"';
				r += 2;
				continue;
			}
			r++;
			break;
		}
		if (c == '\n')
			cp->next_line++;
		*w++ = c;
		r++;
	}
	/* Text after the closing quote is kept, as Python's csv module does. */
	while (r < end && *r != cp->sep && *r != '\n' && *r != '\r')
		*w++ = *r++;
	f->len = (size_t)(w - f->s);
	if (cp->trim)
		while (r < end && *r == ' ')
			r++;
	return r;
}

size_t csv_next(struct csv_parser *cp)
{
	char *p = cp->p, *end = cp->end;
	const unsigned char *stop = cp->stop;
	for (;;) {
		if (p >= end) {
			cp->p = p;
			cp->nfields = 0;
			return 0;
		}
		if (*p == '\n' || *p == '\r') {
			if (*p == '\r' && p + 1 < end && p[1] == '\n')
				p++;
			p++;
			cp->next_line++;
			continue;
		}
		break;
	}
	cp->line = cp->next_line;
	size_t n = 0;
	for (;;) {
		if (n == cp->capfields)
			GROW(cp->fields, cp->capfields, n + 1);
		struct csv_field *f = &cp->fields[n++];
		if (cp->trim)
			while (*p == ' ' || *p == '\t')
				p++;
		if (*p == '"' && p < end) {
			p = quoted_field(cp, p, f);
		} else {
			f->s = p;
			f->quoted = 0;
			for (;;) {
				while (!stop[(unsigned char)*p])
					p++;
				if (*p == '\0' && p < end) {
					p++; /* a NUL byte inside the data: part of the cell */
					continue;
				}
				break;
			}
			f->len = (size_t)(p - f->s);
			if (cp->trim)
				while (f->len && (f->s[f->len - 1] == ' ' || f->s[f->len - 1] == '\t'))
					f->len--;
		}
		/* Read the byte that ended the field before the NUL may cover it. */
		char c = p < end ? *p : '\0';
		f->s[f->len] = '\0';
		if (c == cp->sep && p < end) {
			p++;
			continue;
		}
		if (c == '\r' || c == '\n') {
			if (c == '\r' && p + 1 < end && p[1] == '\n')
				p++;
			p++;
			cp->next_line++;
		}
		break;
	}
	cp->p = p;
	cp->nfields = n;
	return n;
}

static const char *scan_number(const char *p, const char *end, double *out);

long csv_next_numbers(struct csv_parser *cp, double *vals, unsigned char *present, size_t max)
{
	char *p = cp->p, *end = cp->end;
	size_t line = cp->next_line;
	while (p < end && (*p == '\n' || *p == '\r')) {
		if (*p == '\r' && p + 1 < end && p[1] == '\n')
			p++;
		p++;
		line++;
	}
	if (p >= end) {
		cp->p = p;
		cp->next_line = line;
		return 0;
	}
	const char sep = cp->sep;
	size_t n = 0;
	for (;;) {
		if (n == max)
			return -1;
		char c = p < end ? *p : '\0';
		if (c == sep && p < end) {
			present[n++] = 0;
			p++;
			continue;
		}
		if (c == '\n' || c == '\r' || p >= end) {
			present[n++] = 0;
			break;
		}
		const char *q = scan_number(p, end, &vals[n]);
		if (!q)
			return -1;
		present[n++] = 1;
		p = (char *)q;
		c = p < end ? *p : '\0';
		if (c == sep && p < end) {
			p++;
			continue;
		}
		if (c == '\n' || c == '\r' || p >= end)
			break;
		return -1;
	}
	if (p < end) {
		if (*p == '\r' && p + 1 < end && p[1] == '\n')
			p++;
		p++;
	}
	/* Skipped lines before the lines were counted in `line`; a lone CR
	 * ends a line as in csv_next(). */
	cp->line = line;
	cp->next_line = line + 1;
	cp->p = p;
	cp->nfields = 0;
	return (long)n;
}

char csv_sniff_sep(const char *s, const char *e, int *trim)
{
	static const char prefer[] = {'\t', ';', '|', ','};
	*trim = 0;
	for (size_t i = 0; i < sizeof prefer; i++) {
		const char *q = memchr(s, prefer[i], (size_t)(e - s));
		if (!q)
			continue;
		*trim = q + 1 < e && q[1] == ' ';
		return prefer[i];
	}
	return ',';
}

static const double pow10_d[] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

#if LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__))
#define HAVE_X87 1
/* 10^k is exact in a 64-bit significand up to k = 27 (5^27 < 2^63). */
static const long double pow10_ld[] = {
	1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
	1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
	1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L,
};
#endif

/* w * 10^e correctly rounded into *out, or 0 when that cannot be done
 * quickly and surely (the caller then uses strtod). w is below 10^19. */
static int scale_exact(uint64_t w, int e, double *out)
{
	if (w <= (UINT64_C(1) << 53) && e >= -22 && e <= 22) {
		/* Clinger's fast path: both operands exact, one rounding. */
		*out = e < 0 ? (double)w / pow10_d[-e] : (double)w * pow10_d[e];
		return 1;
	}
#ifdef HAVE_X87
	if (e < -27 || e > 27)
		return 0;
	/* One correctly rounded 64-bit-significand operation, then rounding to
	 * 53 bits. The two roundings differ from one only when the extended
	 * result sits exactly on a midpoint between two doubles (its low 11
	 * bits are 10000000000); that case goes to strtod. The results are far
	 * from the subnormal and overflow ranges. */
	long double r = e < 0 ? (long double)w / pow10_ld[-e] : (long double)w * pow10_ld[e];
	uint64_t mant;
	memcpy(&mant, &r, sizeof mant); /* x87 format: the significand comes first */
	if ((mant & 0x7ff) == 0x400)
		return 0;
	*out = (double)r;
	return 1;
#else
	return 0;
#endif
}

/* Case-insensitive comparison of [s, s + n) with the lower-case word w. */
static int word_is(const char *s, size_t n, const char *w)
{
	size_t i = 0;
	for (; i < n && w[i]; i++)
		if ((s[i] | 0x20) != w[i])
			return 0;
	return i == n && w[i] == '\0';
}

/* strtod on a copy of [s, s + n): the slow, exact path. */
static int slow_number(const char *s, size_t n, double *out)
{
	char small[64];
	if (n == 0 || memchr(s, 'x', n) || memchr(s, 'X', n) || memchr(s, '(', n))
		return 0;
	char *tmp = n < sizeof small ? small : xmalloc(n + 1);
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	char *e;
	double v = strtod(tmp, &e);
	int ok = e == tmp + n && n > 0 && !(tmp[0] == ' ' || tmp[0] == '\t');
	if (ok)
		*out = v;
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

/* The value of the 8 ASCII digits at p. */
static inline uint64_t parse_eight(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	v = (v & UINT64_C(0x0F0F0F0F0F0F0F0F)) * 2561 >> 8;
	v = (v & UINT64_C(0x00FF00FF00FF00FF)) * 6553601 >> 16;
	return (v & UINT64_C(0x0000FFFF0000FFFF)) * UINT64_C(42949672960001) >> 32;
}

/* Parses a plain decimal number (optional '-', digits, '.', exponent) at p,
 * stopping at the first byte that cannot continue it, when that can be done
 * quickly and exactly. Returns the end, or NULL for anything else (the
 * caller then takes the general path, which may still find a number). */
static const char *scan_number(const char *p, const char *end, double *out)
{
	int neg = 0;
	if (p < end && *p == '-')
		neg = 1, p++;
	const char *d0 = p;
	while (p < end && *p == '0')
		p++;
	const char *ds = p;
	uint64_t w = 0;
	while (p < end && (unsigned)(*p - '0') < 10)
		w = w * 10 + (uint64_t)(*p++ - '0');
	long nsig = p - ds;
	int e = 0, digits = p > d0;
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
		if (p - fs > 300)
			return NULL;
		nsig += p - fsig;
		e = -(int)(p - fs);
		digits |= p > fs;
	}
	if (!digits || nsig > 19) /* no digits, or more than w can hold */
		return NULL;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		int eneg = 0, ed = 0, ev = 0;
		if (p < end && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		for (; p < end && (unsigned)(*p - '0') < 10; p++, ed++)
			if (ev < 100000)
				ev = ev * 10 + (*p - '0');
		if (ed == 0)
			return NULL;
		e += eneg ? -ev : ev;
	}
	double v = 0.0;
	if (w != 0 && !scale_exact(w, e, &v))
		return NULL;
	*out = neg ? -v : v;
	return p;
}

int csv_number(const char *s, size_t len, double *out)
{
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	const char *p = s, *end = s + len;
	int neg = 0;
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	const char *d0 = p;
	uint64_t w = 0;
	int nsig = 0, e = 0, ndig = 0;
	while (p < end && *p == '0')
		p++, ndig++;
	for (; p < end && (unsigned)(*p - '0') < 10; p++, ndig++) {
		if (nsig < 19)
			w = w * 10 + (uint64_t)(*p - '0');
		else
			e++; /* digits beyond 19: the slow path decides (see below) */
		nsig++;
	}
	if (p < end && *p == '.') {
		p++;
		for (; p < end && (unsigned)(*p - '0') < 10; p++, ndig++) {
			if (nsig == 0 && *p == '0') {
				e--;
				continue;
			}
			if (nsig < 19) {
				w = w * 10 + (uint64_t)(*p - '0');
				e--;
			}
			nsig++;
		}
	}
	if (ndig == 0) {
		/* No digits: maybe one of the words Python writes for non-finite values. */
		size_t n = (size_t)(end - d0);
		if (word_is(d0, n, "nan")) {
			*out = neg ? -NAN : NAN;
			return 1;
		}
		if (word_is(d0, n, "inf") || word_is(d0, n, "infinity")) {
			*out = neg ? -INFINITY : INFINITY;
			return 1;
		}
		return 0;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		int eneg = 0, ed = 0, ev = 0;
		if (p < end && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		for (; p < end && (unsigned)(*p - '0') < 10; p++, ed++)
			if (ev < 100000)
				ev = ev * 10 + (*p - '0');
		if (ed == 0)
			return 0;
		e += eneg ? -ev : ev;
	}
	if (p != end)
		return 0;
	if (nsig > 19)
		return slow_number(s, len, out);
	double v = 0.0;
	if (w != 0 && !scale_exact(w, e, &v))
		return slow_number(s, len, out);
	*out = neg ? -v : v;
	return 1;
}

int csv_int64(const char *s, size_t len, int64_t *out)
{
	const char *p = s, *end = s + len;
	int neg = 0;
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	uint64_t v = 0;
	const char *d = p;
	for (; p < end && (unsigned)(*p - '0') < 10; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == end && p > d) {
		if (v > (uint64_t)INT64_MAX + (uint64_t)neg)
			return 0;
		*out = neg ? (int64_t)(0 - v) : (int64_t)v;
		return 1;
	}
	/* "12.0", "1e3": integral values written as floats. */
	double x;
	if (!csv_number(s, len, &x) || !isfinite(x) || x != floor(x) || x < -9.2e18 || x > 9.2e18)
		return 0;
	*out = (int64_t)x;
	return 1;
}

void csv_warn(struct csv_warns *w, size_t line, const char *fmt, ...)
{
	if (w->n++ >= CSV_WARN_MAX)
		return;
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	diag_warn(w->path, line, "%s", buf_cstr(&b));
	buf_free(&b);
}

void csv_warn_end(struct csv_warns *w)
{
	if (w->n > CSV_WARN_MAX)
		diag_warn(w->path, 0, "%zu more problems like the ones above", w->n - CSV_WARN_MAX);
	w->n = 0;
}

char **csv_list_dir(const char *dir, size_t *n)
{
	*n = 0;
	DIR *dp = opendir(dir);
	if (!dp)
		return NULL;
	char **names = NULL;
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		GROW(names, cap, *n + 1);
		names[(*n)++] = xstrdup(de->d_name);
	}
	closedir(dp);
	if (!names)
		names = xmalloc(sizeof *names);
	if (*n > 1)
		qsort(names, *n, sizeof *names, cmp_strp);
	return names;
}

void csv_free_list(char **names, size_t n)
{
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

int csv_read_file(const char *path, struct buf *b, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
		close(fd);
		errno = e;
		return 0;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		errno = EFBIG;
		return 0;
	}
	buf_reset(b);
	size_t want = (size_t)st.st_size + 1;
	if (b->cap < want) {
		free(b->data);
		b->data = xmalloc(want);
		b->cap = want;
	}
	for (;;) {
		if (b->size + 1 >= b->cap) {
			/* The file grew while being read: take the rest too. */
			if (b->size >= max) {
				close(fd);
				errno = EFBIG;
				return 0;
			}
			b->cap *= 2;
			b->data = xrealloc(b->data, b->cap);
		}
		ssize_t k = read(fd, b->data + b->size, b->cap - 1 - b->size);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			return 0;
		}
		if (k == 0)
			break;
		b->size += (size_t)k;
	}
	close(fd);
	b->data[b->size] = '\0';
	return 1;
}

int csv_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int csv_is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *csv_first_line(const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *line = xmalloc(max + 1);
	ssize_t got = 0, k;
	while ((size_t)got < max && (k = read(fd, line + got, max - (size_t)got)) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (memchr(line + got, '\n', (size_t)k)) {
			got += k;
			break;
		}
		got += k;
	}
	close(fd);
	if (got <= 0) {
		free(line);
		return NULL;
	}
	line[got] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

char *csv_dir_name(const char *path, int up)
{
	char *real = realpath(path, NULL);
	char *s = real ? real : xstrdup(path);
	for (int i = 0; i <= up; i++) {
		size_t n = strlen(s);
		while (n > 1 && s[n - 1] == '/')
			s[--n] = '\0';
		char *slash = strrchr(s, '/');
		if (i == up) {
			char *name = xstrdup(slash ? slash + 1 : s);
			free(s);
			return name;
		}
		if (!slash || slash == s) {
			free(s);
			return xstrdup("");
		}
		*slash = '\0';
	}
	free(s);
	return xstrdup("");
}
