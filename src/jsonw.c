/* jsonw.c — streaming JSON output with exact numbers and valid UTF-8.
 * Kept rather than jansson's writer: it streams (`ls --json` of millions of
 * points builds no tree) and writes each double as the shortest text that
 * reads back exactly (fmt_double, src/dtoa.c: faster than json_dumpf's
 * "%.17g", bench/fmt_double.sh). */
#include <math.h>
#include <string.h>

#include "runsite/jsonw.h"
#include "runsite/util.h"

void jsonw_init(struct jsonw *w, FILE *out)
{
	memset(w, 0, sizeof *w);
	w->out = out;
	w->first[0] = 1;
}

/* Writes the comma that separates this value from the previous one. */
static void sep(struct jsonw *w)
{
	if (w->depth < 0 || w->depth >= 64)
		return;
	if (w->first[w->depth] == 2) { /* just after a key */
		w->first[w->depth] = 0;
		return;
	}
	if (!w->first[w->depth])
		fputc(',', w->out);
	w->first[w->depth] = 0;
}

static void open_level(struct jsonw *w, int c)
{
	sep(w);
	fputc(c, w->out);
	if (w->depth < 63)
		w->depth++;
	w->first[w->depth] = 1;
}

void jsonw_begin_object(struct jsonw *w)
{
	open_level(w, '{');
}

void jsonw_end_object(struct jsonw *w)
{
	fputc('}', w->out);
	if (w->depth > 0)
		w->depth--;
}

void jsonw_begin_array(struct jsonw *w)
{
	open_level(w, '[');
}

void jsonw_end_array(struct jsonw *w)
{
	fputc(']', w->out);
	if (w->depth > 0)
		w->depth--;
}

/* Length of the valid UTF-8 sequence at s (1–4), or 0 when it is not one. */
static int utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		return (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if (s[0] == 0xE0 && s[1] < 0xA0)
			return 0; /* overlong */
		if (s[0] == 0xED && s[1] >= 0xA0)
			return 0; /* surrogates */
		return 3;
	}
	if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
			return 0;
		if (s[0] == 0xF0 && s[1] < 0x90)
			return 0;
		if (s[0] == 0xF4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

/* Whether byte c must be escaped inside a <script> element: '<' (so no
 * "</script>" or "<!--" can end or change it), '>' and '&'. */
static int script_unsafe(unsigned char c)
{
	return c == '<' || c == '>' || c == '&';
}

static void put_string(FILE *out, const char *str, int script_safe)
{
	const unsigned char *s = (const unsigned char *)str;
	fputc('"', out);
	while (*s) {
		/* Plain printable ASCII goes out in one write. */
		const unsigned char *run = s;
		while (*s >= 0x20 && *s < 0x7F && *s != '"' && *s != '\\' &&
		       !(script_safe && script_unsafe(*s)))
			s++;
		if (s > run)
			fwrite(run, 1, (size_t)(s - run), out);
		if (!*s)
			break;
		int n = utf8_len(s);
		if (n == 0) {
			fputs("\xEF\xBF\xBD", out);
			s++;
			continue;
		}
		/* U+2028 and U+2029 end a line in older JavaScript. */
		if (script_safe && n == 3 && s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9)) {
			fprintf(out, "\\u%04x", s[2] == 0xA8 ? 0x2028 : 0x2029);
			s += 3;
			continue;
		}
		if (n > 1) {
			fwrite(s, 1, (size_t)n, out);
			s += n;
			continue;
		}
		unsigned char c = *s++;
		switch (c) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (c < 0x20 || c == 0x7F || (script_safe && script_unsafe(c)))
				fprintf(out, "\\u%04x", c);
			else
				fputc(c, out);
		}
	}
	fputc('"', out);
}

void jsonw_key(struct jsonw *w, const char *key)
{
	sep(w);
	put_string(w->out, key, w->script_safe);
	fputc(':', w->out);
	if (w->depth >= 0 && w->depth < 64)
		w->first[w->depth] = 2;
}

void jsonw_string(struct jsonw *w, const char *s)
{
	sep(w);
	if (s)
		put_string(w->out, s, w->script_safe);
	else
		fputs("null", w->out);
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	sep(w);
	fprintf(w->out, "%lld", (long long)v);
}

void jsonw_double(struct jsonw *w, double v)
{
	char num[40];
	fmt_double(num, sizeof num, v);
	if (!isfinite(v)) {
		jsonw_string(w, num);
		return;
	}
	sep(w);
	fputs(num, w->out);
}

void jsonw_null(struct jsonw *w)
{
	sep(w);
	fputs("null", w->out);
}

void jsonw_bool(struct jsonw *w, int v)
{
	sep(w);
	fputs(v ? "true" : "false", w->out);
}
