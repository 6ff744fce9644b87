/* cleanup.c — no litter on a fatal exit (cleanup.h). Everything that runs on
 * the way out is a system call on static memory: it may run in a signal
 * handler, or after malloc has failed, on any thread. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runsite/cleanup.h"

static char tmpdir[PATH_MAX];
static atomic_int have_tmpdir;
static atomic_int exiting;      /* a fatal exit is under way */
static atomic_int writers;      /* threads inside cleanup_write_begin/end */
static __thread int this_writes; /* this thread is one of them */

void cleanup_set_tmpdir(const char *path)
{
	atomic_store(&have_tmpdir, 0);
	if (!path || strlen(path) >= sizeof tmpdir)
		return;
	memcpy(tmpdir, path, strlen(path) + 1);
	atomic_store(&have_tmpdir, 1);
}

int cleanup_write_begin(void)
{
	atomic_fetch_add(&writers, 1);
	this_writes++;
	if (atomic_load(&exiting)) {
		/* The exiting thread ends the process with its own status: this
		 * one neither writes nor reports a failed write (exit 4). */
		cleanup_write_end();
		for (;;)
			pause();
	}
	return 1;
}

void cleanup_write_end(void)
{
	this_writes--;
	atomic_fetch_sub(&writers, 1);
}

int cleanup_exiting(void)
{
	return atomic_load(&exiting);
}

static void put(const char *s)
{
	size_t n = strlen(s);
	while (n > 0) {
		ssize_t w = write(2, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Empties the folder open as fd, depth levels deep at most. Returns 1 when
 * a pass over it found nothing left to remove. */
static int empty_dir(int fd, int depth)
{
	char buf[4096] __attribute__((aligned(8)));
	int passes = 0;
	for (;;) {
		int removed = 0, left = 0;
		lseek(fd, 0, SEEK_SET);
		ssize_t n;
		while ((n = getdents64(fd, buf, sizeof buf)) > 0) {
			for (ssize_t off = 0; off < n;) {
				struct dirent64 *de = (struct dirent64 *)(void *)(buf + off);
				off += de->d_reclen;
				const char *name = de->d_name;
				if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
					continue;
				int is_dir = de->d_type == DT_DIR;
				if (de->d_type == DT_UNKNOWN) {
					struct stat st;
					is_dir = fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
					         S_ISDIR(st.st_mode);
				}
				if (is_dir && depth > 0) {
					int sub = openat(fd, name,
					                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
					if (sub >= 0) {
						empty_dir(sub, depth - 1);
						close(sub);
					}
				}
				if (unlinkat(fd, name, is_dir ? AT_REMOVEDIR : 0) == 0)
					removed = 1;
				else
					left = 1;
			}
		}
		/* Entries removed while listing can hide others: list again. */
		if (!left && !removed)
			return 1;
		if (!removed || ++passes > 100)
			return 0;
	}
}

int cleanup_remove_tree(const char *path)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		struct stat st;
		if (lstat(path, &st) != 0)
			return errno == ENOENT;
		if (!S_ISDIR(st.st_mode)) {
			if (unlink(path) == 0 || errno == ENOENT)
				return 1;
			return 0;
		}
		int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			empty_dir(fd, 32);
			close(fd);
		}
		if (rmdir(path) == 0 || errno == ENOENT)
			return 1;
		/* A thread was still closing a file in it: once more. */
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
	return 0;
}

_Noreturn void cleanup_fatal(int code, const char *msg)
{
	if (atomic_exchange(&exiting, 1)) {
		/* Another thread is on its way out; it ends the process, and
		 * need not wait for a file this thread was making. */
		atomic_fetch_sub(&writers, this_writes);
		this_writes = 0;
		for (;;)
			pause();
	}
	if (msg)
		put(msg);
	if (atomic_load(&have_tmpdir)) {
		/* Files being made now finish first, so none is made in a folder
		 * already removed; a thread that never finishes is not waited for. */
		for (int i = 0; i < 2000 && atomic_load(&writers) > this_writes; i++) {
			struct timespec ms = {0, 1000000};
			nanosleep(&ms, NULL);
		}
		if (!cleanup_remove_tree(tmpdir)) {
			put("runsite: could not remove the temporary folder ");
			put(tmpdir);
			put("\n");
		}
	}
	_exit(code);
}

static void on_signal(int sig)
{
	const char *msg = NULL;
	if (atomic_load(&have_tmpdir))
		msg = sig == SIGINT ? "runsite: interrupted; the site is left as it was\n"
		                    : "runsite: terminated; the site is left as it was\n";
	cleanup_fatal(128 + sig, msg);
}

/* A crash (a library that did not check an allocation, under a memory
 * limit) still removes the temporary folder, then ends as a crash. The
 * handler stays installed while it runs: a second thread crashing (Pango's
 * font thread next to a chart worker) waits instead of ending the process
 * before the folder is gone. */
static __thread int this_crashed;

static void on_crash(int sig)
{
	if (!this_crashed) {
		this_crashed = 1;
		if (atomic_exchange(&exiting, 1)) {
			/* The folder is being removed already; the remover ends the process. */
			for (;;)
				pause();
		}
		if (atomic_load(&have_tmpdir))
			cleanup_remove_tree(tmpdir);
	}
	/* (Also when removing it crashed.) */
	signal(sig, SIG_DFL);
	raise(sig);
}

void cleanup_install_signals(void)
{
#if !defined(__SANITIZE_ADDRESS__)
	/* (The sanitizers report crashes through their own handlers.) */
	static const int crashes[] = {SIGSEGV, SIGABRT, SIGTRAP, SIGFPE, SIGILL};
	for (size_t i = 0; i < sizeof crashes / sizeof crashes[0]; i++) {
		struct sigaction old, sa;
		if (sigaction(crashes[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL)
			continue;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_crash;
		sa.sa_flags = SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		sigaction(crashes[i], &sa, NULL);
	}
#endif
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction old, sa;
		/* A signal ignored by whoever started us (nohup, a background job)
		 * stays ignored. */
		if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++)
			sigaddset(&sa.sa_mask, sigs[k]);
		sigaction(sigs[i], &sa, NULL);
	}
}
