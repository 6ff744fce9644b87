/* diag.h — warnings and errors about inputs, printed as "path:line: what"
 * (or "path@offset: what"), counted so the command can choose its exit code. */
#ifndef RUNSITE_DIAG_H
#define RUNSITE_DIAG_H

#include <stddef.h>
#include <stdint.h>

/* A warning about a file: something was skipped or repaired, reading went on.
 * line 0 means "the whole file". */
void diag_warn(const char *path, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same, located by byte offset (binary formats). */
void diag_warn_at(const char *path, uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A note about a file that is not a problem (a run still being written ends in
 * a partial record): printed unless quiet, not counted. */
void diag_note_at(const char *path, uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A general message to stderr, prefixed "runsite: ". */
void diag_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An output file could not be written (err is errno): said for the first
 * one only, as "runsite: cannot write PATH: ERR" — a full disk fails every
 * file after it, and one line says it. The writer stops after it. */
void diag_write_error(const char *path, int err);

/* Hands this thread's messages, each one whole line with its newline, to fn
 * (which takes ownership of text) instead of printing them; fn NULL prints
 * again. Lets stores read on worker threads report in store order. */
void diag_redirect(void (*fn)(void *ctx, char *text), void *ctx);
/* Prints text to stderr as one piece (or hands it on, when redirected). */
void diag_print(const char *text);

/* Number of warnings so far. */
size_t diag_count(void);
/* Number of warnings given on this thread so far (whether a reader warned
 * while it read one run, with other stores read on other threads). */
size_t diag_thread_count(void);
/* Silences warnings on stderr (they are still counted), for --quiet and fuzzing. */
void diag_set_quiet(int quiet);

#endif
