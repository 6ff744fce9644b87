/* diag.c — input warnings as "path:line: what", counted for the exit code.
 * Safe to call from several threads: each message is printed whole. */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "runsite/cleanup.h"
#include "runsite/diag.h"
#include "runsite/util.h"

static atomic_size_t warnings;
static atomic_int quiet;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

/* Warnings given on this thread (diag_thread_count). */
static __thread size_t thread_warnings;

/* Where this thread's messages go instead of stderr (diag_redirect). */
static __thread void (*redirect_fn)(void *ctx, char *text);
static __thread void *redirect_ctx;

void diag_redirect(void (*fn)(void *ctx, char *text), void *ctx)
{
	redirect_fn = fn;
	redirect_ctx = ctx;
}

void diag_print(const char *text)
{
	/* On the way out of a fatal exit, threads still running fail at files
	 * just removed: that is not news. */
	if (cleanup_exiting())
		return;
	if (redirect_fn) {
		redirect_fn(redirect_ctx, xstrdup(text));
		return;
	}
	pthread_mutex_lock(&print_lock);
	fputs(text, stderr);
	pthread_mutex_unlock(&print_lock);
}

/* Prints (or hands over) one whole message line. */
static void emit(const char *prefix, const char *kind, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s%s", prefix, kind);
	buf_vprintf(&b, fmt, ap);
	buf_putc(&b, '\n');
	diag_print(buf_cstr(&b));
	buf_free(&b);
}

static void vreport(const char *kind, const char *where, const char *fmt, va_list ap)
{
	if (atomic_load(&quiet))
		return;
	char prefix[4200];
	snprintf(prefix, sizeof prefix, "%s: ", where);
	emit(prefix, kind, fmt, ap);
}

void diag_warn(const char *path, size_t line, const char *fmt, ...)
{
	char where[4096];
	if (line)
		snprintf(where, sizeof where, "%s:%zu", path, line);
	else
		snprintf(where, sizeof where, "%s", path);
	atomic_fetch_add(&warnings, 1);
	thread_warnings++;
	va_list ap;
	va_start(ap, fmt);
	vreport("", where, fmt, ap);
	va_end(ap);
}

void diag_warn_at(const char *path, uint64_t offset, const char *fmt, ...)
{
	char where[4096];
	snprintf(where, sizeof where, "%s@%" PRIu64, path, offset);
	atomic_fetch_add(&warnings, 1);
	thread_warnings++;
	va_list ap;
	va_start(ap, fmt);
	vreport("", where, fmt, ap);
	va_end(ap);
}

void diag_note_at(const char *path, uint64_t offset, const char *fmt, ...)
{
	char where[4096];
	snprintf(where, sizeof where, "%s@%" PRIu64, path, offset);
	va_list ap;
	va_start(ap, fmt);
	vreport("note: ", where, fmt, ap);
	va_end(ap);
}

void diag_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("runsite: ", "", fmt, ap);
	va_end(ap);
}

void diag_write_error(const char *path, int err)
{
	static atomic_int said;
	if (atomic_exchange(&said, 1))
		return;
	diag_msg("cannot write %s: %s", path, strerror(err));
}

size_t diag_count(void)
{
	return atomic_load(&warnings);
}

size_t diag_thread_count(void)
{
	return thread_warnings;
}

void diag_set_quiet(int q)
{
	atomic_store(&quiet, q);
}
