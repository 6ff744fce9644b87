/* run_files.c — what a reader digests of the files a run is read from
 * (reader.h): their stat, never their bytes, so asking whether a run
 * changed costs a few system calls and reads nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t in struct run_files */
#include "runsite/hash.h"

#include "runsite/diag.h"
#include "runsite/fsview.h"
#include "runsite/reader.h"
#include "runsite/util.h"

struct run_files {
	XXH3_state_t st; /* first: aligned_alloc gives the alignment it wants */
};

#define FILES_DEPTH_MAX 16

static void files_feed(struct run_files *f, const void *p, size_t n)
{
	XXH3_128bits_update(&f->st, p, n);
}

static void files_u64(struct run_files *f, uint64_t v)
{
	files_feed(f, &v, sizeof v);
}

void run_files_add_text(struct run_files *f, const char *text)
{
	if (!f)
		return;
	if (!text) {
		files_u64(f, UINT64_MAX);
		return;
	}
	size_t n = strlen(text);
	files_u64(f, n);
	files_feed(f, text, n);
}

struct run_files *run_files_new(const struct run_sink *sink)
{
	if (!sink || !sink->cached)
		return NULL;
	struct run_files *f = aligned_alloc(64, (sizeof *f + 63) / 64 * 64);
	if (!f)
		out_of_memory();
	XXH3_INITSTATE(&f->st);
	XXH3_128bits_reset(&f->st);
	return f;
}

static void files_stat(struct run_files *f, const struct stat *st)
{
	files_u64(f, (uint64_t)st->st_mode);
	files_u64(f, (uint64_t)st->st_size);
	files_u64(f, (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec);
	files_u64(f, (uint64_t)st->st_ctim.tv_sec * 1000000000u + (uint64_t)st->st_ctim.tv_nsec);
	files_u64(f, (uint64_t)st->st_ino);
	files_u64(f, (uint64_t)st->st_dev);
}

/* Adds path; returns 1 when it is (or leads to) a folder. */
static int files_entry(struct run_files *f, const char *path)
{
	struct stat st;
	run_files_add_text(f, path);
	if (lstat(path, &st) != 0) {
		files_u64(f, (uint64_t)errno);
		return 0;
	}
	files_stat(f, &st);
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlink(path, target, sizeof target - 1);
		target[n > 0 ? n : 0] = '\0';
		run_files_add_text(f, target);
		if (stat(path, &st) != 0) {
			files_u64(f, (uint64_t)errno);
			return 0;
		}
		files_stat(f, &st);
	}
	return S_ISDIR(st.st_mode);
}

void run_files_add(struct run_files *f, const char *path)
{
	if (f)
		files_entry(f, path);
}

static void files_tree(struct run_files *f, const char *dir, int depth)
{
	if (!files_entry(f, dir))
		return;
	if (depth >= FILES_DEPTH_MAX) {
		files_u64(f, UINT64_MAX - 1);
		return;
	}
	size_t n = 0;
	char **names = list_dir_sorted(dir, &n);
	files_u64(f, names ? n : UINT64_MAX);
	for (size_t i = 0; i < n; i++) {
		char *p = path_join(dir, names[i]);
		files_tree(f, p, depth + 1);
		free(p);
	}
	free_names(names, n);
}

void run_files_add_tree(struct run_files *f, const char *dir)
{
	if (f)
		files_tree(f, dir, 0);
}

struct run *run_sink_cached(struct run_sink *sink, const char *dir, struct run_files *f)
{
	if (!f)
		return NULL;
	XXH128_hash_t h = XXH3_128bits_digest(&f->st);
	free(f);
	char fp[33];
	snprintf(fp, sizeof fp, "%016llx%016llx", (unsigned long long)h.high64,
	         (unsigned long long)h.low64);
	return sink->cached(sink->ctx, dir, fp);
}

void run_read_notes(struct run *r, const char *path)
{
	mode_t mode = fsview_mode(path, true);
	if (!mode)
		return;
	if (!S_ISREG(mode)) {
		/* Not opened: a FIFO would wait for a writer. */
		diag_warn(path, 0, "%s, not a regular file; left out", file_kind_name(mode));
		return;
	}
	struct buf b = BUF_INIT;
	if (!read_file(path, &b, RUN_NOTES_MAX)) {
		if (errno == EFBIG)
			diag_warn(path, 0, "notes larger than %zu MiB: left out", RUN_NOTES_MAX >> 20);
		else
			diag_warn(path, 0, "cannot read: %s", strerror(errno));
	} else if (b.size) {
		if (r->notes) {
			buf_puts(&b, "\n\n");
			buf_puts(&b, r->notes);
			free(r->notes);
		}
		r->notes = buf_detach(&b);
	}
	buf_free(&b);
}
