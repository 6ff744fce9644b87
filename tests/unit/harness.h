/* harness.h — a tiny test harness. Each check prints "not ok" with file:line
 * when it fails; TEST_END prints the totals that tests/run.sh adds up. */
#ifndef RUNSITE_HARNESS_H
#define RUNSITE_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int harness_passed, harness_failed, harness_skipped;

/* xorshift64*: a fixed sequence of random bits, so a failure repeats. */
static inline unsigned long long test_rnd(void)
{
	static unsigned long long state = 0x9E3779B97F4A7C15u;
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545F4914F6CDD1Du;
}

/* ---- the resident peak, for memory checks (Linux) ---- */

/* Kilobytes of field ("VmRSS:", "VmHWM:") of /proc/self/status, or -1. */
static inline long test_status_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, field, strlen(field)) == 0)
			kb = strtol(line + strlen(field), NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

/* Resets the resident peak to what is resident now and returns that (KB),
 * or -1 when it cannot be done here; under a sanitizer too, whose
 * allocator keeps what is freed. */
static inline long test_peak_reset(void)
{
#ifdef __SANITIZE_ADDRESS__
	return -1;
#else
	FILE *f = fopen("/proc/self/clear_refs", "w");
	int reset = f && fputs("5", f) >= 0;
	if (f && fclose(f) != 0)
		reset = 0;
	long rss = test_status_kb("VmRSS:"), hwm = test_status_kb("VmHWM:");
	return reset && rss >= 0 && hwm >= 0 && hwm <= rss + 64 ? rss : -1;
#endif
}

/* KB the resident peak grew by since test_peak_reset() returned rss, or -1. */
static inline long test_peak_grew(long rss)
{
	long hwm = test_status_kb("VmHWM:");
	return rss < 0 || hwm < 0 ? -1 : hwm - rss;
}

#define PEAK_SKIP_WHY "the resident peak cannot be reset here, or a sanitizer keeps what is freed"

#define OK(cond, ...)                                                                      \
	do {                                                                               \
		if (cond) {                                                                \
			harness_passed++;                                                  \
		} else {                                                                   \
			harness_failed++;                                                  \
			printf("not ok %s:%d: ", __FILE__, __LINE__);                      \
			printf(__VA_ARGS__);                                               \
			printf("\n");                                                      \
		}                                                                          \
	} while (0)

#define INT_EQ(got, want, what)                                                            \
	do {                                                                               \
		long long g_ = (long long)(got), w_ = (long long)(want);                   \
		OK(g_ == w_, "%s: got %lld, want %lld", (what), g_, w_);                   \
	} while (0)

#define STR_EQ(got, want, what)                                                            \
	do {                                                                               \
		const char *g_ = (got), *w_ = (want);                                      \
		OK((g_ == NULL && w_ == NULL) || (g_ && w_ && strcmp(g_, w_) == 0),        \
		   "%s: got \"%s\", want \"%s\"", (what), g_ ? g_ : "(null)",              \
		   w_ ? w_ : "(null)");                                                    \
	} while (0)

/* Equal as doubles; NaN equals NaN. */
#define DBL_EQ(got, want, what)                                                            \
	do {                                                                               \
		double g_ = (got), w_ = (want);                                            \
		OK((isnan(g_) && isnan(w_)) || g_ == w_, "%s: got %.17g, want %.17g",      \
		   (what), g_, w_);                                                        \
	} while (0)

#define SKIP(why)                                                                          \
	do {                                                                               \
		harness_skipped++;                                                         \
		printf("skipped %s:%d: %s\n", __FILE__, __LINE__, (why));                  \
	} while (0)

#define TEST_END()                                                                         \
	(printf("%s: %d passed, %d failed, %d skipped\n", __FILE__, harness_passed,       \
	        harness_failed, harness_skipped),                                          \
	 harness_failed ? 1 : 0)

#endif
