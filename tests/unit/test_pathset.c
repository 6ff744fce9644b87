/* test_pathset.c — the set of site paths an incremental commit keeps
 * (pathset.c): copies, growth past many rehashes, absence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/site/site_internal.h"
#include "harness.h"

int main(void)
{
	struct pathset *p = pathset_new();
	OK(!pathset_has(p, "index.html"), "an empty set has nothing");
	char buf[64];
	snprintf(buf, sizeof buf, "runs/a.html");
	pathset_add(p, buf);
	buf[5] = 'b'; /* the set holds its own copy */
	OK(pathset_has(p, "runs/a.html"), "a copied path is there");
	OK(!pathset_has(p, "runs/b.html"), "the caller's buffer is not the set's");
	static const char ref[] = "experiments/e/lr.svg";
	pathset_add(p, ref);
	OK(pathset_has(p, "experiments/e/lr.svg"), "a second path is there");
	pathset_add(p, "runs/a.html");
	pathset_add(p, ref);
	/* Many paths sharing long prefixes, through every growth of the table. */
	enum { N = 50000 };
	char **names = malloc(N * sizeof *names);
	for (int i = 0; i < N; i++) {
		names[i] = malloc(48);
		snprintf(names[i], 48, "runs/run-%08x/val-loss.svg", (unsigned)i * 2654435761u);
		pathset_add(p, names[i]);
	}
	int missing = 0, extra = 0;
	for (int i = 0; i < N; i++) {
		missing += !pathset_has(p, names[i]);
		snprintf(buf, sizeof buf, "runs/run-%08x/val-loss.png", (unsigned)i * 2654435761u);
		extra += pathset_has(p, buf);
	}
	INT_EQ(missing, 0, "every added path is found");
	INT_EQ(extra, 0, "no path that was not added is found");
	OK(pathset_has(p, "runs/a.html") && pathset_has(p, ref), "the first paths survive growth");
	OK(!pathset_has(p, "runs/a.htm") && !pathset_has(p, "") && !pathset_has(p, "runs"),
	   "a prefix of a path is not the path");
	pathset_free(p);
	for (int i = 0; i < N; i++)
		free(names[i]);
	free(names);
	pathset_free(NULL);
	return TEST_END();
}
