/* wandb_ingest.c — reading a .wandb file against the floor. Both sides read
 * the file as they would (the floor with read() in 128 KiB chunks, the
 * reader as `runsite ls` does: wandb_ingest_file(), pread() of 128 KiB
 * windows), after one warm-up, alternating, REPS times each; the minimum and
 * the median of each are given:
 *   floor:   CRC32C (SSE4.2, tfrecord.c's) over every byte, nothing else;
 *   runsite: wandb_ingest_file() — reading, framing, W&B's CRC-32 of every chunk,
 *            Record decoding, history/stats/summary into series — and
 *            run_finish() without decimated copies, as `runsite ls` does.
 *   wandb_ingest FILE [REPS]
 *   wandb_ingest FILE REPS floor|reader   one side only, REPS times (for a
 *                                          profiler or an instruction count) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runsite/diag.h"
#include "runsite/model.h"
#include "runsite/util.h"
#include "../src/readers/tfrecord.h"
#include "../src/readers/wandb.h"

#define CHUNK (128 * 1024)

/* CPU time of this process, user and system (the floor's read() copies and
 * the reader's page faults both count): on a machine shared with other work
 * it varies far less than wall time, and both sides run on one thread. */
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static unsigned char chunk[CHUNK];

static double floor_once(const char *path, uint32_t *crc)
{
	double t = now();
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	ssize_t got;
	uint32_t c = 0;
	while ((got = read(fd, chunk, sizeof chunk)) > 0)
		c = crc32c(c, chunk, (size_t)got);
	close(fd);
	*crc = c; /* printed, so the loop is not optimised away */
	return now() - t;
}

static double reader_once(const char *path, size_t *points, size_t *series)
{
	double t = now();
	struct run *r = run_new("wandb", path);
	struct wandb_facts f;
	if (wandb_ingest_file(r, &f, path) != 1)
		exit(1);
	wandb_facts_free(&f);
	run_finish(r, 0);
	double s = now() - t;
	*points = 0;
	for (size_t i = 0; i < r->nmetrics; i++)
		*points += r->metrics[i].sum.count;
	*series = r->nmetrics;
	run_free(r);
	return s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: wandb_ingest FILE [REPS]\n");
		return 2;
	}
	malloc_settings();
	int reps = argc > 2 ? atoi(argv[2]) : 3;
	struct stat st;
	if (stat(argv[1], &st) != 0) {
		perror(argv[1]);
		return 1;
	}
	uint32_t crc = 0;
	size_t pts = 0, ns = 0;
	if (reps < 1)
		reps = 1;
	if (argc > 3) {
		/* One side only: no warm-up, no timing. */
		int floor_side = strcmp(argv[3], "floor") == 0;
		for (int i = 0; i < reps; i++)
			if (floor_side)
				floor_once(argv[1], &crc);
			else
				reader_once(argv[1], &pts, &ns);
		printf("%s: crc %08x, %zu series, %zu points\n", argv[3], crc, ns, pts);
		return 0;
	}
	double *tf = xmalloc((size_t)reps * sizeof *tf), *tr = xmalloc((size_t)reps * sizeof *tr);
	floor_once(argv[1], &crc);
	reader_once(argv[1], &pts, &ns);
	double bf = 1e30, br = 1e30;
	for (int i = 0; i < reps; i++) {
		tf[i] = floor_once(argv[1], &crc);
		tr[i] = reader_once(argv[1], &pts, &ns);
		bf = tf[i] < bf ? tf[i] : bf;
		br = tr[i] < br ? tr[i] : br;
	}
	double mf = median(tf, reps), mr = median(tr, reps);
	double mb = (double)st.st_size / 1e6;
	printf("file: %.1f MB, %zu series, %zu points (CPU seconds, min and median of %d, page cache warm)\n",
	       mb, ns, pts, reps);
	printf("crc32c floor: %.4f s  median %.4f s  %.0f MB/s  (crc %08x)\n", bf, mf, mb / bf, crc);
	printf("runsite:      %.4f s  median %.4f s  %.0f MB/s  %.1fM points/s\n", br, mr, mb / br,
	       (double)pts / br / 1e6);
	printf("vs floor:     %.2fx the CRC32C-only time (medians: %.2fx; goal: within 3x)\n", br / bf,
	       mr / mf);
	free(tf);
	free(tr);
	return 0;
}
