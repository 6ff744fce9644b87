/* mapfile.c — read-only file mappings and the SIGBUS guard (mapfile.h). */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "runsite/mapfile.h"

/* The range this thread reads inside a guard, and where a SIGBUS there goes. */
struct guard {
	const uint8_t *lo, *hi;
	sigjmp_buf *jb;
};
static __thread struct guard guarded;
static struct sigaction old_bus;
static pthread_once_t bus_once = PTHREAD_ONCE_INIT;
static bool bus_ok;

/* A SIGBUS inside the guarded range ends that loop; any other is given back
 * to what was there before us (returning repeats the faulting access). */
static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	const uint8_t *a = si->si_addr;
	if (guarded.jb && a >= guarded.lo && a < guarded.hi) {
		sigjmp_buf *jb = guarded.jb;
		guarded.jb = NULL;
		siglongjmp(*jb, 1);
	}
	sigaction(SIGBUS, &old_bus, NULL);
}

/* Installs on_sigbus unless someone else (a sanitizer, a fuzzer) already
 * handles SIGBUS. */
static void bus_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER; /* no mask to restore after the jump */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, NULL, &old_bus) != 0 || (old_bus.sa_flags & SA_SIGINFO) ||
	    old_bus.sa_handler != SIG_DFL)
		return;
	bus_ok = sigaction(SIGBUS, &sa, NULL) == 0;
}

bool mapfile_ok(void)
{
	pthread_once(&bus_once, bus_install);
	return bus_ok;
}

void *mapfile_map(int fd, size_t n)
{
	if (n == 0 || !mapfile_ok())
		return NULL;
	void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return NULL;
	madvise(m, n, MADV_SEQUENTIAL);
	return m;
}

void mapfile_unmap(void *p, size_t n)
{
	if (p)
		munmap(p, n);
}

void mapfile_guard(const void *p, size_t n, sigjmp_buf *jb)
{
	guarded.lo = p;
	guarded.hi = (const uint8_t *)p + n;
	guarded.jb = jb;
}

void mapfile_unguard(void)
{
	guarded.jb = NULL;
}
