/* fmt_double_ref.h — fmt_double as it was before src/dtoa.c, printf and
 * strtod only: the reference test_fmt_double.c compares with, and
 * bench/fmt_double.sh times. */
#ifndef RUNSITE_FMT_DOUBLE_REF_H
#define RUNSITE_FMT_DOUBLE_REF_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ref_shortest_precision(double v)
{
	char t[40];
	snprintf(t, sizeof t, "%.15g", v);
	if (strtod(t, NULL) != v) {
		snprintf(t, sizeof t, "%.16g", v);
		return strtod(t, NULL) == v ? 16 : 17;
	}
	int lo = 1, hi = 15;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		snprintf(t, sizeof t, "%.*g", mid, v);
		if (strtod(t, NULL) == v)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void ref_fmt_double(char *out, size_t outsz, double v)
{
	if (isnan(v)) {
		snprintf(out, outsz, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(out, outsz, v > 0 ? "Infinity" : "-Infinity");
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(out, outsz, "%.0f", v);
		return;
	}
	int p = ref_shortest_precision(v);
	char e[40], plain[400];
	snprintf(e, sizeof e, "%.*e", p - 1, v);
	const char *m = e[0] == '-' ? e + 1 : e;
	char digits[24];
	size_t nd = 0;
	const char *c = m;
	for (; *c && *c != 'e'; c++)
		if (*c != '.')
			digits[nd++] = *c;
	digits[nd] = '\0';
	int x = atoi(c + 1);
	size_t n = 0;
	if (e[0] == '-')
		plain[n++] = '-';
	if (x < 0) {
		plain[n++] = '0';
		plain[n++] = '.';
		for (int i = 0; i < -x - 1 && n < 350; i++)
			plain[n++] = '0';
		for (size_t i = 0; i < nd; i++)
			plain[n++] = digits[i];
	} else {
		for (size_t i = 0; i < nd || (int)i <= x; i++) {
			if ((int)i == x + 1)
				plain[n++] = '.';
			plain[n++] = i < nd ? digits[i] : '0';
			if (n > 350)
				break;
		}
	}
	plain[n] = '\0';
	/* snprintf(out, outsz, "%s", ...), without the truncation warning */
	const char *best = strlen(plain) <= strlen(e) ? plain : e;
	size_t len = strlen(best) < outsz ? strlen(best) : outsz - 1;
	memcpy(out, best, len);
	out[len] = '\0';
}

#endif
