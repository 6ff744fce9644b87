/* fingerprint.c — a digest of everything that decides a chart file's bytes,
 * for the build cache: the spec with every point, the format, this build's
 * chart code (CHART_CODE_ID, a hash of src/chart made by the Makefile) and
 * the Cairo and Pango versions. Equal digests, equal files. */
#include <cairo.h>
#include <pango/pango.h>
#include <stdio.h>
#include <string.h>

#include "chart_code_id.h"
#include "chart_internal.h"

/* Two 64-bit lanes of multiply-and-rotate over 8-byte words: fast enough for
 * a million points (a few ms), and 128 bits make a collision between two
 * charts of one site beyond any chance. */
struct digest {
	uint64_t a, b;
	uint64_t n; /* bytes fed */
};

static inline uint64_t rotl(uint64_t v, int k)
{
	return (v << k) | (v >> (64 - k));
}

static inline void mix(struct digest *d, uint64_t w)
{
	d->a = rotl((d->a ^ w) * 0x9E3779B97F4A7C15ULL, 29);
	d->b = rotl((d->b + w) * 0xC2B2AE3D27D4EB4FULL, 31) ^ d->a;
}

static void feed(struct digest *d, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		mix(d, w);
	}
	uint64_t tail = 0;
	memcpy(&tail, p + i, n - i);
	mix(d, tail ^ ((uint64_t)(n - i) << 56));
	d->n += n;
}

static void feed_u64(struct digest *d, uint64_t v)
{
	mix(d, v);
}

static void feed_double(struct digest *d, double v)
{
	uint64_t w;
	memcpy(&w, &v, 8);
	mix(d, w);
}

/* A string with its length (NULL apart from ""), so fields cannot run together. */
static void feed_str(struct digest *d, const char *s)
{
	if (!s) {
		feed_u64(d, UINT64_MAX);
		return;
	}
	size_t n = strlen(s);
	feed_u64(d, n);
	feed(d, s, n);
}

static void feed_points(struct digest *d, const struct chart_point *p, size_t n)
{
	feed_u64(d, p ? n : UINT64_MAX);
	if (p && n)
		feed(d, p, n * sizeof *p);
}

void chart_fingerprint(const struct chart_spec *spec, enum chart_format fmt,
                       char out[CHART_FINGERPRINT_LEN + 1])
{
	struct digest d = {0x243F6A8885A308D3ULL, 0x13198A2E03707344ULL, 0};

	feed_str(&d, "runsite chart 1");
	feed_str(&d, CHART_CODE_ID);
	feed_str(&d, cairo_version_string());
	feed_str(&d, pango_version_string());
	feed_u64(&d, (uint64_t)fmt);
	feed_str(&d, spec->title);
	feed_str(&d, spec->x_label);
	feed_str(&d, spec->y_label);
	feed_u64(&d, (uint64_t)(int64_t)spec->width);
	feed_u64(&d, (uint64_t)(int64_t)spec->height);
	feed_double(&d, spec->scale);
	feed_double(&d, spec->smoothing);
	feed_u64(&d, (uint64_t)(int64_t)spec->log_y);
	feed_u64(&d, (uint64_t)(int64_t)spec->clip_outliers);
	feed_u64(&d, (uint64_t)(int64_t)spec->goal);
	feed_u64(&d, (uint64_t)spec->x_kind);
	feed_u64(&d, spec->nseries);
	for (size_t s = 0; s < spec->nseries; s++) {
		const struct chart_series *se = &spec->series[s];
		feed_str(&d, se->label);
		feed_u64(&d, (uint64_t)(int64_t)se->color);
		feed_points(&d, se->pts, se->n);
		feed_u64(&d, se->nband);
		feed_points(&d, se->band_lo, se->band_lo ? se->nband : 0);
		feed_points(&d, se->band_hi, se->band_hi ? se->nband : 0);
	}
	feed_u64(&d, d.n);
	snprintf(out, CHART_FINGERPRINT_LEN + 1, "%016llx%016llx", (unsigned long long)d.a,
	         (unsigned long long)d.b);
}
