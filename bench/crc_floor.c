/* crc_floor.c — the floor for reading event files: a loop that only reads
 * every byte with read() in 128 KiB chunks (the size ../shared/bench/BASELINES.md
 * found fastest here) and computes CRC32C over it with SSE4.2. No framing,
 * no decoding. Built and run by bench/tfevents.sh.
 *   crc_floor DIR_OR_FILE...    files whose name contains "tfevents", found below each DIR */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <nmmintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (128 * 1024)

static unsigned long long total_bytes, total_files;
static uint32_t crc_all;
static unsigned char buf[CHUNK];

__attribute__((target("sse4.2"))) static uint32_t crc32c(uint32_t crc, const unsigned char *p,
                                                         size_t n)
{
	uint64_t c = (uint32_t)~crc;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		c = _mm_crc32_u64(c, w);
		p += 8;
		n -= 8;
	}
	uint32_t c32 = (uint32_t)c;
	while (n--)
		c32 = _mm_crc32_u8(c32, *p++);
	return ~c32;
}

static void crc_file(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		return;
	}
	ssize_t got;
	uint32_t c = 0;
	while ((got = read(fd, buf, sizeof buf)) > 0) {
		c = crc32c(c, buf, (size_t)got);
		total_bytes += (unsigned long long)got;
	}
	close(fd);
	crc_all ^= c;
	total_files++;
}

static void walk(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return;
	if (S_ISREG(sb.st_mode)) {
		const char *slash = strrchr(path, '/');
		if (strstr(slash ? slash + 1 : path, "tfevents"))
			crc_file(path);
		return;
	}
	if (!S_ISDIR(sb.st_mode))
		return;
	DIR *dp = opendir(path);
	if (!dp)
		return;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *child;
		if (asprintf(&child, "%s/%s", path, de->d_name) < 0)
			break;
		walk(child);
		free(child);
	}
	closedir(dp);
}

int main(int argc, char **argv)
{
	struct timespec a, b;
	if (!__builtin_cpu_supports("sse4.2")) {
		fprintf(stderr, "crc_floor: this CPU has no SSE4.2\n");
		return 1;
	}
	if (crc32c(0, (const unsigned char *)"123456789", 9) != 0xE3069283u) {
		fprintf(stderr, "crc_floor: CRC32C self-test failed\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 1; i < argc; i++)
		walk(argv[i]);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
	printf("files %llu bytes %llu seconds %.3f cpu_seconds %.3f mb_per_s %.0f crc %08x\n",
	       total_files, total_bytes, secs, cpu, secs > 0 ? (double)total_bytes / 1e6 / secs : 0.0,
	       crc_all);
	return 0;
}
