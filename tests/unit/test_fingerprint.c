/* test_fingerprint.c — the build cache's chart fingerprint: equal for equal
 * charts (whatever memory they sit in), different when anything drawn or
 * any option differs, down to one ulp of one point. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
	f->s[0] = (struct chart_series){"run-a", f->a, N, 0, NULL, NULL, 0};
	f->s[1] = (struct chart_series){"run-b", f->b, N, 1, f->lo, f->hi, N};
	chart_spec_defaults(&f->spec);
	f->spec.title = "val/loss";
	f->spec.series = f->s;
	f->spec.nseries = 2;
}

static void fp(const struct fixture *f, enum chart_format fmt, char out[CHART_FINGERPRINT_LEN + 1])
{
	chart_fingerprint(&f->spec, fmt, out);
}

int main(void)
{
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
