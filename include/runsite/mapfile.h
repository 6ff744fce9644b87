/* mapfile.h — files mapped read-only, and a guard that turns the SIGBUS of a
 * mapped file shortened by another program into a jump out of the loop that
 * reads it, so a run still being rewritten ends one file, not the program. */
#ifndef RUNSITE_MAPFILE_H
#define RUNSITE_MAPFILE_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>

/* Whether files may be mapped: true once our SIGBUS handler is installed,
 * which happens (once per process) only when nothing else handles SIGBUS.
 * Under a sanitizer or a fuzzer, which own SIGBUS, files are read instead. */
bool mapfile_ok(void);

/* Maps the first n (> 0) bytes of fd read-only, or returns NULL when
 * mapfile_ok() is false or mmap fails (errno set; nothing reported). */
void *mapfile_map(int fd, size_t n);
/* Undoes mapfile_map(p, n); p may be NULL. */
void mapfile_unmap(void *p, size_t n);

/* Guards [p, p + n) on this thread: a SIGBUS there jumps to *jb with value 1
 * (the guard is then already lifted). A reading loop is
 *	sigjmp_buf jb;
 *	mapfile_guard(p, n, &jb);
 *	if (sigsetjmp(jb, 0) == 0)
 *		... read p[0, n) ...
 *	else
 *		... the file was shortened: report, keep what was read ...
 *	mapfile_unguard();
 * Locals changed inside the loop and read after a jump must be volatile.
 * One range per thread; a SIGBUS anywhere else keeps its default action. */
void mapfile_guard(const void *p, size_t n, sigjmp_buf *jb);
void mapfile_unguard(void);

#endif
