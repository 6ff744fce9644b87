/* diag.c — input warnings as "path:line: what", counted for the exit code. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "runsite/diag.h"

static size_t warnings;
static int quiet;

static void vreport(const char *where, const char *fmt, va_list ap)
{
	warnings++;
	if (quiet)
		return;
	fprintf(stderr, "%s: ", where);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void diag_warn(const char *path, size_t line, const char *fmt, ...)
{
	char where[4096];
	if (line)
		snprintf(where, sizeof where, "%s:%zu", path, line);
	else
		snprintf(where, sizeof where, "%s", path);
	va_list ap;
	va_start(ap, fmt);
	vreport(where, fmt, ap);
	va_end(ap);
}

void diag_warn_at(const char *path, uint64_t offset, const char *fmt, ...)
{
	char where[4096];
	snprintf(where, sizeof where, "%s@%" PRIu64, path, offset);
	va_list ap;
	va_start(ap, fmt);
	vreport(where, fmt, ap);
	va_end(ap);
}

void diag_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("runsite: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

size_t diag_count(void)
{
	return warnings;
}

void diag_set_quiet(int q)
{
	quiet = q;
}
