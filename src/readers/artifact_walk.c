/* artifact_walk.c — see artifact_walk.h. */
#include <stdlib.h>
#include <sys/stat.h>

#include "artifact_walk.h"
#include "runsite/diag.h"
#include "runsite/util.h"

#define ARTIFACT_DEPTH_MAX 32

struct walk {
	struct run *r;
	const char *root, *where;
	size_t max;
	bool (*skip)(const char *rel);
};

/* Walks root/rel (rel NULL: root itself). Returns false once max is reached. */
static bool walk_folder(const struct walk *w, const char *rel, int depth)
{
	char *dir = rel ? path_join(w->root, rel) : xstrdup(w->root);
	size_t n;
	char **names = list_dir_sorted(dir, &n);
	bool go = true;
	for (size_t i = 0; go && names && i < n; i++) {
		char *sub = rel ? path_join(rel, names[i]) : xstrdup(names[i]);
		char *full = path_join(w->root, sub);
		struct stat st;
		if (lstat(full, &st) != 0)
			st.st_mode = 0;
		bool link = S_ISLNK(st.st_mode);
		if (link && stat(full, &st) != 0)
			st.st_mode = 0; /* a dangling link lists nothing */
		if (S_ISDIR(st.st_mode)) {
			if (!link && depth < ARTIFACT_DEPTH_MAX)
				go = walk_folder(w, sub, depth + 1);
		} else if (S_ISREG(st.st_mode) && !(w->skip && w->skip(sub))) {
			if (w->r->nartifacts >= w->max) {
				diag_warn(w->where, 0,
				          "run %s: more than %zu artifact files; listed the first",
				          w->r->id, w->max);
				go = false;
			} else {
				run_add_artifact(w->r, sub, (int64_t)st.st_size);
			}
		}
		free(full);
		free(sub);
	}
	free_names(names, n);
	free(dir);
	return go;
}

void artifact_walk(struct run *r, const char *root, size_t max, bool (*skip)(const char *rel),
                   const char *where)
{
	struct walk w = {r, root, where, max, skip};
	walk_folder(&w, NULL, 0);
}
