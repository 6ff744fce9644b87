/* fixture.h — what the reader tests share: a scratch folder with files
 * written into it, a sink that keeps the runs a reader delivers, and a
 * capture of stderr to check warning text. Include after harness.h. */
#ifndef RUNSITE_FIXTURE_H
#define RUNSITE_FIXTURE_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsite/reader.h"
#include "runsite/util.h"

static char tmpdir[64];

/* Makes the scratch folder /tmp/runsite-TAG-XXXXXX; exits when it cannot. */
static void fixture_init(const char *tag)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/runsite-%s-XXXXXX", tag);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		exit(1);
	}
}

/* Writes content to tmpdir/rel, creating folders on the way. */
static void put(const char *rel, const char *content)
{
	char *p = path_join(tmpdir, rel);
	for (char *s = p + strlen(tmpdir) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	FILE *f = fopen(p, "wb");
	fputs(content, f);
	fclose(f);
	free(p);
}

/* tmpdir/rel; caller frees. */
static char *tp(const char *rel)
{
	return path_join(tmpdir, rel);
}

/* Removes dir and everything below it. */
static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *p = path_join(dir, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(p);
		else
			unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* The runs a reader delivered, kept in order. */
struct got {
	struct run *runs[64];
	size_t n;
};

static int take(void *ctx, struct run *r)
{
	struct got *g = ctx;
	if (g->n < 64)
		g->runs[g->n++] = r;
	else
		run_free(r);
	return 1;
}

static void drop_experiment(void *ctx, struct experiment *e)
{
	experiment_free(e);
}

/* Reads path with reader rd into g (emptied first); returns what read() returned. */
static long read_with(const struct reader *rd, const char *path, struct got *g)
{
	struct reader_opts o = {.include_deleted = false, .dec_buckets = 100};
	struct run_sink s = {g, drop_experiment, take, NULL};
	memset(g, 0, sizeof *g);
	return rd->read(path, &o, &s);
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		run_free(g->runs[i]);
	g->n = 0;
}

#endif
