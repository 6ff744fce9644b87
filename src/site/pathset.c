/* pathset.c — a set of site-relative paths (open addressing on XXH3):
 * which files an in-place commit keeps, which run files the build cache
 * lists. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/hash.h"

#include "site_internal.h"

struct pathset_slot {
	const char *path; /* NULL: free */
	uint64_t hash;
};

struct pathset {
	struct pathset_slot *slot; /* open addressing; cap a power of two, at most half full */
	size_t n, cap;
	char **owned;      /* the copies pathset_add made */
	size_t nowned, capowned;
};

struct pathset *pathset_new(void)
{
	return xcalloc(1, sizeof(struct pathset));
}

static size_t pathset_find(const struct pathset_slot *slot, size_t cap, const char *rel,
                           uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);
	while (slot[i].path && (slot[i].hash != h || strcmp(slot[i].path, rel) != 0))
		i = (i + 1) & (cap - 1);
	return i;
}

/* Adds rel itself (kept alive by the caller) and returns 1, or 0 when it was there. */
static int pathset_put(struct pathset *p, const char *rel)
{
	if ((p->n + 1) * 2 > p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;
		struct pathset_slot *slot = xcalloc(cap, sizeof *slot);
		for (size_t i = 0; i < p->cap; i++)
			if (p->slot[i].path)
				slot[pathset_find(slot, cap, p->slot[i].path, p->slot[i].hash)] =
				        p->slot[i];
		free(p->slot);
		p->slot = slot;
		p->cap = cap;
	}
	uint64_t h = XXH3_64bits(rel, strlen(rel));
	size_t i = pathset_find(p->slot, p->cap, rel, h);
	if (p->slot[i].path)
		return 0;
	p->slot[i] = (struct pathset_slot){rel, h};
	p->n++;
	return 1;
}

void pathset_add(struct pathset *p, const char *rel)
{
	if (pathset_has(p, rel))
		return;
	char *copy = xstrdup(rel);
	GROW(p->owned, p->capowned, p->nowned + 1);
	p->owned[p->nowned++] = copy;
	pathset_put(p, copy);
}

int pathset_has(const struct pathset *p, const char *rel)
{
	return p->cap &&
	       p->slot[pathset_find(p->slot, p->cap, rel, XXH3_64bits(rel, strlen(rel)))].path;
}

void pathset_free(struct pathset *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nowned; i++)
		free(p->owned[i]);
	free(p->owned);
	free(p->slot);
	free(p);
}
