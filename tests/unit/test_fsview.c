/* test_fsview.c — discovery's view of the file system answers as the
 * system calls do: a missing name, a name below a file, a link (to a
 * folder, to a file, dangling), "." and "..", a folder it cannot list, a
 * path outside its roots; and a listing read once is not read again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "runsite/fsview.h"
#include "runsite/util.h"

static char root[] = "/tmp/runsite-fsview-XXXXXX";

static void put(const char *rel, const char *text)
{
	char *p = path_join(root, rel);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(p);
}

static void dir(const char *rel)
{
	char *p = path_join(root, rel);
	mkdir(p, 0755);
	free(p);
}

static void link_to(const char *target, const char *rel)
{
	char *p = path_join(root, rel);
	if (symlink(target, p) != 0)
		perror("symlink");
	free(p);
}

static const char *const probes[] = {
	"", "store", "store/run", "store/run/metrics.csv", "store/run/missing.csv",
	"store/run/metrics.csv/meta.yaml", "store/run/missing/meta.yaml", "store/link-dir",
	"store/link-dir/metrics.csv", "store/link-dir/nope", "store/link-file", "store/dangling",
	"store/run/.", "store/run/..", "store/run/../run/metrics.csv", "store/locked",
	"store/locked/inside", "store/run/sub", "store/run/sub/deep.txt", "elsewhere",
	"elsewhere/x",
};

/* Compares every answer of the view with the system's for path. */
static void compare(const char *path)
{
	struct stat a, b;
	errno = 0;
	int ra = stat(path, &a), ea = errno;
	errno = 0;
	int rb = fsview_stat(path, &b), eb = errno;
	INT_EQ(rb, ra, path);
	if (ra == 0 && rb == 0) {
		INT_EQ(b.st_mode, a.st_mode, path);
		INT_EQ(b.st_ino, a.st_ino, path);
		INT_EQ(b.st_size, a.st_size, path);
	} else if (ra != 0 && rb != 0) {
		INT_EQ(eb, ea, path);
	}
	ra = lstat(path, &a);
	rb = fsview_lstat(path, &b);
	INT_EQ(rb, ra, path);
	if (ra == 0 && rb == 0)
		INT_EQ(b.st_mode, a.st_mode, path);
	int isdir = stat(path, &a) == 0 && S_ISDIR(a.st_mode);
	int isfile = stat(path, &a) == 0 && S_ISREG(a.st_mode);
	INT_EQ(fsview_is_dir(path), isdir, path);
	INT_EQ(fsview_is_file(path), isfile, path);
	mode_t lmode = lstat(path, &a) == 0 ? a.st_mode & S_IFMT : 0;
	INT_EQ(fsview_mode(path, false), lmode, path);
	if (fsview_absent(path))
		OK(stat(path, &a) != 0 && (errno == ENOENT || errno == ENOTDIR), "%s: absent", path);
	char *ra_real = realpath(path, NULL);
	char *rb_real = fsview_realpath(path);
	STR_EQ(rb_real, ra_real, path);
	free(ra_real);
	free(rb_real);
}

int main(void)
{
	if (!mkdtemp(root))
		return 1;
	dir("store");
	dir("store/run");
	dir("store/run/sub");
	put("store/run/metrics.csv", "step,loss\n0,1\n");
	put("store/run/sub/deep.txt", "x");
	link_to("run", "store/link-dir");
	link_to("run/metrics.csv", "store/link-file");
	link_to("nowhere", "store/dangling");
	dir("store/locked");
	put("store/locked/inside", "y");
	char *locked = path_join(root, "store/locked");
	chmod(locked, 0311); /* searchable, not listable (but for root) */
	dir("elsewhere");
	put("elsewhere/x", "z");

	char *store = path_join(root, "store");
	for (int round = 0; round < 2; round++) {
		/* Twice: the second time every answer comes from what was kept. */
		struct fsview *v = fsview_begin();
		fsview_add_root(v, store);
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
				char *p = path_join(root, probes[i]);
				compare(p);
				free(p);
			}
		/* A listing in readdir order holds what list_dir_sorted does. */
		size_t n, k = 0;
		char *run = path_join(root, "store/run");
		char **sorted = list_dir_sorted(run, &n);
		struct fsview_listing l;
		OK(fsview_open_list(run, &l), "listing store/run");
		INT_EQ(l.n, n, "entries of store/run");
		for (size_t i = 0; i < l.n; i++)
			for (size_t j = 0; j < n; j++)
				k += strcmp(l.e[i].name, sorted[j]) == 0;
		INT_EQ(k, n, "the same names");
		fsview_close_list(&l);
		free_names(sorted, n);
		/* A file made after the folder was listed is not seen: one look. */
		if (round == 0) {
			put("store/run/late.csv", "");
			char *late = path_join(root, "store/run/late.csv");
			OK(!fsview_is_file(late), "a view answers as of its first look");
			free(late);
		}
		free(run);
		fsview_end(v);
		/* Without a view every function is the system call. */
		char *late = path_join(root, "store/run/late.csv");
		OK(fsview_is_file(late), "no view: the file is seen");
		free(late);
	}
	chmod(locked, 0755);
	free(locked);
	char *cmd = xasprintf("rm -rf '%s'", root);
	if (system(cmd) != 0)
		perror("rm");
	free(cmd);
	free(store);
	return TEST_END();
}
