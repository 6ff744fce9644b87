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
#include "runsite/fsview.h"
#include "runsite/numparse.h"
#include "runsite/util.h"
#include "csvparse.h"

void csv_init(struct csv_parser *cp, char *text, size_t len, char sep, int trim)
{
	memset(cp, 0, sizeof *cp);
	cp->p = text;
	cp->end = len ? text + len : text; /* an empty file may map to no bytes (NULL) */
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
		const char *q = num_scan(p, end, &vals[n]);
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

int csv_number(const char *s, size_t len, double *out)
{
	return num_parse_blanks(s, s + len, out);
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




int csv_is_dir(const char *path)
{
	return fsview_is_dir(path);
}

int csv_is_file(const char *path)
{
	return fsview_is_file(path);
}

int csv_file_or_warn(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return 0;
	if (S_ISREG(st.st_mode))
		return 1;
	diag_warn(path, 0, "%s, not a regular file; left out", file_kind_name(st.st_mode));
	return 0;
}

char *csv_first_line(const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *line = xmalloc(max + 1);
	ssize_t got = 0, k;
	/* A header is short: read a little first, more only while no line ends. */
	size_t chunk = 4096;
	while ((size_t)got < max &&
	       (k = read(fd, line + got, (chunk < max - (size_t)got ? chunk : max - (size_t)got))) != 0) {
		chunk *= 2;
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
	char *real = fsview_realpath(path);
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

size_t *csv_columns_to_series(struct run *r, const struct csv_parser *cp,
                              const unsigned char *skip, const char *prefix)
{
	size_t n = cp->nfields, nvals = 0;
	size_t *idx = xreallocarray(NULL, n ? n : 1, sizeof *idx);
	for (size_t i = 0; i < n; i++)
		nvals += !(skip && skip[i]);
	for (size_t i = 0; i < n; i++) {
		idx[i] = SIZE_MAX;
		if (skip && skip[i])
			continue;
		const char *name = cp->fields[i].s;
		char *key = prefix     ? (nvals == 1 ? xstrdup(prefix) : xasprintf("%s/%s", prefix, name))
		            : *name ? xstrdup(name)
		                    : xasprintf("column %zu", i + 1);
		idx[i] = (size_t)(run_series(r, key) - r->metrics);
		free(key);
	}
	return idx;
}
