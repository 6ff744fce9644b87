/* test_fingerprint.c — the build cache's chart fingerprint: equal for equal
 * charts (whatever memory they sit in), different when anything drawn or
 * any option differs, down to one ulp of one point; and its field tables
 * cover every byte of struct chart_spec and struct chart_series, so a new
 * chart option cannot be left out of it. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/chart/chart_internal.h"
#include "runsite/chart.h"
#include "runsite/util.h"
#include "harness.h"

enum { N = 1000 };

struct fixture {
	struct chart_point a[N], b[N], lo[N], hi[N];
	struct chart_series s[2];
	struct chart_spec spec;
};

static void make(struct fixture *f)
{
	memset(f, 0, sizeof *f);
	for (int i = 0; i < N; i++) {
		f->a[i] = (struct chart_point){i, sin(i / 10.0)};
		f->b[i] = (struct chart_point){i, cos(i / 10.0)};
		f->lo[i] = (struct chart_point){i, -1};
		f->hi[i] = (struct chart_point){i, 1};
	}
	f->s[0] = (struct chart_series){.label = "run-a", .pts = f->a, .n = N, .color = 0};
	f->s[1] = (struct chart_series){.label = "run-b", .pts = f->b, .n = N, .color = 1,
	                                .band_lo = f->lo, .band_hi = f->hi, .nband = N};
	chart_spec_defaults(&f->spec);
	f->spec.title = "val/loss";
	f->spec.series = f->s;
	f->spec.nseries = 2;
}

static void fp(const struct fixture *f, enum chart_format fmt, char out[CHART_FINGERPRINT_LEN + 1])
{
	chart_fingerprint(&f->spec, fmt, out);
}

/* Whether the table's fields cover every byte of a struct of `size` bytes,
 * once each: a field added to the struct and not to the table leaves bytes
 * uncovered (sizeof grows, or an alignment hole the table names shrinks). */
static int covers(const struct chart_field *t, size_t size, const char *what)
{
	unsigned char *seen = calloc(size, 1);
	int ok = 1;
	for (; t->name; t++)
		for (size_t b = t->offset; b < t->offset + t->size; b++) {
			if (b >= size || seen[b]) {
				printf("# %s.%s overlaps another field or the end\n", what, t->name);
				ok = 0;
				break;
			}
			seen[b] = 1;
		}
	for (size_t b = 0; b < size && ok; b++)
		if (!seen[b]) {
			printf("# byte %zu of struct %s is in no field of its table in fingerprint.c\n",
			       b, what);
			ok = 0;
		}
	free(seen);
	return ok;
}

/* Whether every member that include/runsite/chart.h declares in `struct
 * name { ... };` is in table t: the byte check above misses a field put
 * into an alignment hole, this one does not. */
static int names_covered(const char *name, const struct chart_field *t)
{
	struct buf h = BUF_INIT;
	if (!read_file("include/runsite/chart.h", &h, 1 << 20)) {
		printf("# cannot read include/runsite/chart.h (run from the source tree)\n");
		return 0;
	}
	char *open = xasprintf("struct %s {", name);
	const char *p = strstr(buf_cstr(&h), open), *end = p ? strstr(p, "\n};") : NULL;
	int ok = p && end, members = 0;
	/* The body without its comments, then each declaration's declarators. */
	char *body = ok ? xstrndup(p + strlen(open), (size_t)(end - p - strlen(open))) : xstrdup("");
	for (char *c; (c = strstr(body, "/*"));) {
		char *e = strstr(c, "*/");
		const char *rest = e ? e + 2 : c + strlen(c);
		memmove(c, rest, strlen(rest) + 1);
	}
	char *save = NULL;
	for (char *d = strtok_r(body, ";,", &save); ok && d; d = strtok_r(NULL, ";,", &save)) {
		char *w = d + strlen(d);
		while (w > d && !(isalnum((unsigned char)w[-1]) || w[-1] == '_'))
			w--;
		*w = '\0';
		while (w > d && (isalnum((unsigned char)w[-1]) || w[-1] == '_'))
			w--;
		if (!*w)
			continue;
		int found = 0;
		for (const struct chart_field *f = t; f->name && !found; f++)
			found = strcmp(f->name, w) == 0;
		if (!found) {
			printf("# %s.%s is not in its table in fingerprint.c\n", name, w);
			ok = 0;
		}
		members++;
	}
	free(body);
	free(open);
	buf_free(&h);
	return ok && members > 0;
}

/* Changes field f of obj (any kind) so that its value differs. */
static void perturb(void *obj, const struct chart_field *f)
{
	char *p = (char *)obj + f->offset;
	switch (f->kind) {
	case CHART_F_STR: {
		static const char other[] = "something else";
		const char *v = other;
		memcpy(p, &v, sizeof v);
		break;
	}
	case CHART_F_INT: {
		int v;
		memcpy(&v, p, sizeof v);
		v = v == 1 ? 2 : 1;
		memcpy(p, &v, sizeof v);
		break;
	}
	case CHART_F_DOUBLE: {
		double v;
		memcpy(&v, p, sizeof v);
		v += 0.25;
		memcpy(p, &v, sizeof v);
		break;
	}
	case CHART_F_SIZE: {
		size_t v;
		memcpy(&v, p, sizeof v);
		v = v ? v - 1 : 1;
		memcpy(p, &v, sizeof v);
		break;
	}
	case CHART_F_POINTS:
	case CHART_F_SERIES: {
		const void *v = NULL;
		memcpy(p, &v, sizeof v);
		break;
	}
	case CHART_F_SPARE: {
		static const struct chart_extrema_scan spare = CHART_EXTREMA_SCAN_INIT;
		const void *v = &spare;
		memcpy(p, &v, sizeof v);
		break;
	}
	case CHART_F_PAD:
		break;
	}
}

int main(void)
{
	OK(covers(chart_spec_fields, sizeof(struct chart_spec), "chart_spec"),
	   "the fingerprint covers every field of struct chart_spec");
	OK(covers(chart_series_fields, sizeof(struct chart_series), "chart_series"),
	   "the fingerprint covers every field of struct chart_series");
	OK(names_covered("chart_spec", chart_spec_fields),
	   "every member chart.h declares in struct chart_spec is hashed");
	OK(names_covered("chart_series", chart_series_fields),
	   "every member chart.h declares in struct chart_series is hashed");

	static struct fixture base, other;
	char want[CHART_FINGERPRINT_LEN + 1], got[CHART_FINGERPRINT_LEN + 1];
	make(&base);
	fp(&base, CHART_PNG, want);
	INT_EQ(strlen(want), CHART_FINGERPRINT_LEN, "32 hex digits");
	make(&other);
	fp(&other, CHART_PNG, got);
	STR_EQ(got, want, "the same chart in other memory, the same fingerprint");

	fp(&base, CHART_SVG, got);
	OK(strcmp(got, want) != 0, "another format");

	/* each change alone gives another fingerprint */
	static const char *const changes[] = {
		"one point one ulp up", "one x", "a point fewer", "a label", "a label NULL",
		"a colour", "the band", "no band", "the title", "the y label", "smoothing",
		"log y", "clip outliers", "the goal", "the x axis", "the size", "the scale",
		"one series",
	};
	for (int i = 0; i < (int)(sizeof changes / sizeof *changes); i++) {
		struct fixture *f = &other;
		make(f);
		switch (i) {
		case 0: f->b[N / 2].y = nextafter(f->b[N / 2].y, INFINITY); break;
		case 1: f->a[7].x += 0.5; break;
		case 2: f->s[0].n--; break;
		case 3: f->s[1].label = "run-c"; break;
		case 4: f->s[0].label = NULL; break;
		case 5: f->s[1].color = 2; break;
		case 6: f->hi[3].y = 2; break;
		case 7: f->s[1].band_lo = f->s[1].band_hi = NULL; break;
		case 8: f->spec.title = "val/acc"; break;
		case 9: f->spec.y_label = "loss"; break;
		case 10: f->spec.smoothing = 0.5; break;
		case 11: f->spec.log_y = 1; break;
		case 12: f->spec.clip_outliers = 1; break;
		case 13: f->spec.goal = CHART_GOAL_MIN; break;
		case 14: f->spec.x_kind = CHART_X_TIME; break;
		case 15: f->spec.width = 721; break;
		case 16: f->spec.scale = 3; break;
		default: f->spec.nseries = 1; break;
		}
		fp(f, CHART_PNG, got);
		OK(strcmp(got, want) != 0, "changed: %s", changes[i]);
	}
	/* every field of either table, changed alone, changes the fingerprint */
	make(&base);
	fp(&base, CHART_PNG, want);
	for (const struct chart_field *f = chart_spec_fields; f->name; f++) {
		make(&other);
		perturb(&other.spec, f);
		fp(&other, CHART_PNG, got);
		OK(strcmp(got, want) != 0, "changed: chart_spec.%s", f->name);
	}
	for (const struct chart_field *f = chart_series_fields; f->name; f++) {
		if (f->kind == CHART_F_PAD)
			continue;
		make(&other);
		perturb(&other.s[1], f);
		fp(&other, CHART_PNG, got);
		if (f->kind == CHART_F_SPARE) /* the same picture: the same fingerprint */
			OK(strcmp(got, want) == 0, "unchanged: chart_series.%s", f->name);
		else
			OK(strcmp(got, want) != 0, "changed: chart_series.%s", f->name);
	}
	/* title "ab" + no y label must not equal title "a" + y label "b" */
	make(&other);
	other.spec.title = "ab";
	fp(&other, CHART_PNG, want);
	other.spec.title = "a";
	other.spec.y_label = "b";
	fp(&other, CHART_PNG, got);
	OK(strcmp(got, want) != 0, "fields do not run together");
	return TEST_END();
}
