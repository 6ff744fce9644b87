/* test_artifact_walk.c — the artifact folder walk the W&B, ClearML and MLflow
 * SQLite readers share: name order, skipped names, links, the file limit. */
#include "harness.h"
#include "fixture.h"

#include "../../src/readers/artifact_walk.h"
#include "runsite/diag.h"

static bool skip_task(const char *rel)
{
	return strcmp(rel, "task.json") == 0;
}

/* The run's artifact paths joined by spaces, in the order they were added. */
static char *paths(const struct run *r)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < r->nartifacts; i++)
		buf_printf(&b, "%s%s:%lld", i ? " " : "", r->artifacts[i].path,
		           (long long)r->artifacts[i].size);
	char *s = xstrdup(buf_cstr(&b) ? buf_cstr(&b) : "");
	buf_free(&b);
	return s;
}

int main(void)
{
	fixture_init("artwalk");
	put("files/b.txt", "bb");
	put("files/a/z.bin", "zzz");
	put("files/a/deep/x", "x");
	put("files/task.json", "{}");
	put("outside/o.txt", "oooo");
	char *files = tp("files"), *outside = tp("outside"), *o = tp("outside/o.txt");
	char *link_dir = tp("files/c-link-dir"), *link_file = tp("files/d-link-file"),
	     *dangling = tp("files/e-dangling");
	OK(symlink(outside, link_dir) == 0, "symlink to a folder");
	OK(symlink(o, link_file) == 0, "symlink to a file");
	OK(symlink("nowhere", dangling) == 0, "dangling symlink");

	/* Name order at every level (readdir's order is the disk's), the skipped
	 * name left out, a link to a file listed with its target's size, the
	 * linked folder and the dangling link not. */
	struct run *r = run_new("test", "mem");
	r->id = xstrdup("r1");
	artifact_walk(r, files, 100, skip_task, files);
	char *got = paths(r);
	STR_EQ(got, "a/deep/x:1 a/z.bin:3 b.txt:2 d-link-file:4", "walk");
	free(got);
	run_free(r);

	/* No skip: every file. */
	r = run_new("test", "mem");
	artifact_walk(r, files, 100, NULL, files);
	INT_EQ(r->nartifacts, 5, "files without skip");
	run_free(r);

	/* The limit: the first files in name order, one warning. */
	size_t before = diag_count();
	r = run_new("test", "mem");
	r->id = xstrdup("r1");
	artifact_walk(r, files, 2, NULL, files);
	got = paths(r);
	STR_EQ(got, "a/deep/x:1 a/z.bin:3", "limited walk");
	free(got);
	INT_EQ(diag_count() - before, 1, "one warning at the limit");
	run_free(r);

	/* A folder that is not there lists nothing and says nothing. */
	before = diag_count();
	r = run_new("test", "mem");
	char *none = tp("none");
	artifact_walk(r, none, 100, NULL, none);
	INT_EQ(r->nartifacts, 0, "missing folder");
	INT_EQ(diag_count() - before, 0, "missing folder is quiet");
	run_free(r);

	/* Through a reader: a ClearML session's own three files are not its
	 * artifacts, its data/ samples and a linked file are. */
	char *cmd = xasprintf(
	    "cp -r sample-runs/clearml/offline-418ccf3302603e9c82128289910c1b08 %s/session",
	    tmpdir);
	OK(system(cmd) == 0, "copy the sample session");
	free(cmd);
	put("session/data/debug/sample_1.png", "png");
	char *in_session = tp("session/linked.txt");
	OK(symlink(o, in_session) == 0, "symlink in the session");
	free(in_session);
	struct got g;
	char *session = tp("session");
	INT_EQ(read_with(reader_by_name("clearml"), session, &g), 1, "session read");
	if (g.n == 1) {
		got = paths(g.runs[0]);
		STR_EQ(got, "data/debug/sample_1.png:3 linked.txt:4", "session artifacts");
		free(got);
	}
	got_free(&g);
	free(session);

	free(none);
	free(files);
	free(outside);
	free(o);
	free(link_dir);
	free(link_file);
	free(dangling);
	rm_tree(tmpdir);
	return TEST_END();
}
