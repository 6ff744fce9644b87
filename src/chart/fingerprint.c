/* fingerprint.c — a digest of everything that decides a chart file's bytes,
 * for the build cache: the spec with every point, the format, this build's
 * chart code (CHART_CODE_ID, a hash of src/chart made by the Makefile) and
 * the Cairo and Pango versions. Equal digests, equal files.
 *
 * The spec is hashed field by field through the tables below, which name
 * every field of struct chart_spec and struct chart_series; test_fingerprint
 * fails when a struct has a byte no table entry covers, so a new chart
 * option cannot be left out of the digest (and served stale from the cache).
 * The hash is XXH3's 128 bits: it runs at memory speed, so hashing every
 * point of every chart costs little next to drawing one, and 128 bits make
 * a collision between two charts of one site beyond any chance. */
#include <cairo.h>
#include <pango/pango.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include "runsite/hash.h"

#include "chart_code_id.h"
#include "chart_internal.h"

#define FIELD(type, name, kind, count)                                                     \
	{#name, offsetof(struct type, name), sizeof(((struct type *)0)->name), kind,           \
	 offsetof(struct type, count)}

const struct chart_field chart_spec_fields[] = {
	FIELD(chart_spec, title, CHART_F_STR, title),
	FIELD(chart_spec, x_label, CHART_F_STR, x_label),
	FIELD(chart_spec, y_label, CHART_F_STR, y_label),
	FIELD(chart_spec, width, CHART_F_INT, width),
	FIELD(chart_spec, height, CHART_F_INT, height),
	FIELD(chart_spec, scale, CHART_F_DOUBLE, scale),
	FIELD(chart_spec, smoothing, CHART_F_DOUBLE, smoothing),
	FIELD(chart_spec, log_y, CHART_F_INT, log_y),
	FIELD(chart_spec, clip_outliers, CHART_F_INT, clip_outliers),
	FIELD(chart_spec, goal, CHART_F_INT, goal),
	FIELD(chart_spec, x_kind, CHART_F_INT, x_kind),
	FIELD(chart_spec, series, CHART_F_SERIES, nseries),
	FIELD(chart_spec, nseries, CHART_F_SIZE, nseries),
	{NULL, 0, 0, 0, 0},
};

const struct chart_field chart_series_fields[] = {
	FIELD(chart_series, label, CHART_F_STR, label),
	FIELD(chart_series, pts, CHART_F_POINTS, n),
	FIELD(chart_series, n, CHART_F_SIZE, n),
	FIELD(chart_series, color, CHART_F_INT, color),
	/* The alignment hole between color and band_lo, named so that a field
	 * put into it shows as uncovered bytes. */
	{"(padding)", offsetof(struct chart_series, color) + sizeof(int),
	 offsetof(struct chart_series, band_lo) - offsetof(struct chart_series, color) - sizeof(int),
	 CHART_F_PAD, 0},
	FIELD(chart_series, band_lo, CHART_F_POINTS, nband),
	FIELD(chart_series, band_hi, CHART_F_POINTS, nband),
	FIELD(chart_series, nband, CHART_F_SIZE, nband),
	FIELD(chart_series, faint, CHART_F_INT, faint),
	{"(padding)", offsetof(struct chart_series, faint) + sizeof(int),
	 offsetof(struct chart_series, scan) - offsetof(struct chart_series, faint) - sizeof(int),
	 CHART_F_PAD, 0},
	FIELD(chart_series, scan, CHART_F_SPARE, scan),
	{"(padding)", offsetof(struct chart_series, scan) + sizeof(void *),
	 sizeof(struct chart_series) - offsetof(struct chart_series, scan) - sizeof(void *),
	 CHART_F_PAD, 0},
	{NULL, 0, 0, 0, 0},
};

static void feed(XXH3_state_t *h, const void *data, size_t n)
{
	XXH3_128bits_update(h, data, n);
}

static void feed_u64(XXH3_state_t *h, uint64_t v)
{
	feed(h, &v, sizeof v);
}

/* A string with its length (NULL apart from ""), so fields cannot run together. */
static void feed_str(XXH3_state_t *h, const char *s)
{
	if (!s) {
		feed_u64(h, UINT64_MAX);
		return;
	}
	size_t n = strlen(s);
	feed_u64(h, n);
	feed(h, s, n);
}

static void feed_struct(XXH3_state_t *h, const void *obj, const struct chart_field *fields);

/* Field f of obj; an array is its count (read from the count field) and
 * every element, or UINT64_MAX when the pointer is NULL. */
static void feed_field(XXH3_state_t *h, const char *obj, const struct chart_field *f)
{
	const char *p = obj + f->offset;
	size_t count;
	memcpy(&count, obj + f->count_offset, sizeof count);
	switch (f->kind) {
	case CHART_F_PAD:
	case CHART_F_SPARE:
		break;
	case CHART_F_STR: {
		const char *s;
		memcpy(&s, p, sizeof s);
		feed_str(h, s);
		break;
	}
	case CHART_F_INT: {
		int v;
		memcpy(&v, p, sizeof v);
		feed_u64(h, (uint64_t)(int64_t)v);
		break;
	}
	case CHART_F_DOUBLE:
	case CHART_F_SIZE:
		feed(h, p, f->size);
		break;
	case CHART_F_POINTS: {
		const struct chart_point *pts;
		memcpy(&pts, p, sizeof pts);
		feed_u64(h, pts ? count : UINT64_MAX);
		if (pts && count)
			feed(h, pts, count * sizeof *pts);
		break;
	}
	case CHART_F_SERIES: {
		const struct chart_series *se;
		memcpy(&se, p, sizeof se);
		feed_u64(h, se ? count : UINT64_MAX);
		for (size_t i = 0; se && i < count; i++)
			feed_struct(h, &se[i], chart_series_fields);
		break;
	}
	}
}

static void feed_struct(XXH3_state_t *h, const void *obj, const struct chart_field *fields)
{
	for (const struct chart_field *f = fields; f->name; f++)
		feed_field(h, obj, f);
}

void chart_fingerprint(const struct chart_spec *spec, enum chart_format fmt,
                       char out[CHART_FINGERPRINT_LEN + 1])
{
	XXH3_state_t st;
	XXH3_state_t *h = &st;
	XXH3_INITSTATE(h);
	XXH3_128bits_reset(h);
	feed_str(h, "runsite chart 2");
	feed_str(h, CHART_CODE_ID);
	feed_str(h, cairo_version_string());
	feed_str(h, pango_version_string());
	feed_u64(h, (uint64_t)fmt);
	feed_struct(h, spec, chart_spec_fields);
	XXH128_hash_t d = XXH3_128bits_digest(h);
	snprintf(out, CHART_FINGERPRINT_LEN + 1, "%016llx%016llx", (unsigned long long)d.high64,
	         (unsigned long long)d.low64);
}
