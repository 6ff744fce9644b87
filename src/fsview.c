/* fsview.c — discovery's view of the file system (fsview.h).
 * A path's answers are inferred only through its folder's listing taken
 * by the literal parent string ("a/b/c" from the listing of "a/b"), which
 * the kernel resolves the same way as the path itself; a path whose last
 * component is "." or "..", or that has "//" or a trailing slash in it, is
 * asked with a system call (once). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/hash.h"

#include "runsite/fsview.h"
#include "runsite/util.h"

struct node {
	char *path;
	size_t len;
	int cover; /* coverage() of path */
	/* the folder's listing: 0 not tried, 1 taken, -1 failed (list_errno) */
	signed char listed;
	int list_errno;
	struct fsview_entry *ents;
	size_t nents;
	size_t *by_name; /* indexes into ents in name order */
	/* [0] lstat, [1] stat: 0 not asked, 1 asked (st_errno 0: *st holds it) */
	signed char asked[2];
	int st_errno[2];
	struct stat *st[2];
	signed char real_asked;
	int real_errno;
	char *real;
};

struct fsview {
	struct node **slots;
	size_t cap, n;
	char **roots;
	size_t nroots, caproots;
	struct node *last; /* the node last looked up: the folder of the next name, mostly */
};

static _Thread_local struct fsview *active;

struct fsview *fsview_begin(void)
{
	struct fsview *v = xcalloc(1, sizeof *v);
	v->cap = 1024;
	v->slots = xcalloc(v->cap, sizeof *v->slots);
	active = v;
	return v;
}

void fsview_add_root(struct fsview *v, const char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (v->nroots && strlen(v->roots[v->nroots - 1]) == n &&
	    memcmp(v->roots[v->nroots - 1], path, n) == 0)
		return; /* the stores of one folder, one after another */
	GROW(v->roots, v->caproots, v->nroots + 1);
	v->roots[v->nroots++] = xstrndup(path, n);
}

static void node_free(struct node *n)
{
	for (size_t i = 0; i < n->nents; i++)
		free((char *)n->ents[i].name);
	free(n->ents);
	free(n->by_name);
	free(n->st[0]);
	free(n->st[1]);
	free(n->real);
	free(n->path);
	free(n);
}

void fsview_end(struct fsview *v)
{
	if (!v)
		return;
	if (active == v)
		active = NULL;
	for (size_t i = 0; i < v->cap; i++)
		if (v->slots[i])
			node_free(v->slots[i]);
	free(v->slots);
	for (size_t i = 0; i < v->nroots; i++)
		free(v->roots[i]);
	free(v->roots);
	free(v);
}

/* ---- which paths the view answers for ---- */

/* Of the first len bytes of path: 0 not in the view (asked of the system
 * each time); 1 a root, or a path whose last component is not a plain name
 * (asked once); 2 a plain name below a root, known through its folder's
 * listing. */
static int coverage(const struct fsview *v, const char *path, size_t len)
{
	if (len == 0 || memmem(path, len, "//", 2) || (len > 1 && path[len - 1] == '/'))
		return 0;
	int in = 0;
	for (size_t i = 0; i < v->nroots && in < 2; i++) {
		const char *r = v->roots[i];
		size_t lr = strlen(r);
		if (lr == 1 && r[0] == '/' && path[0] == '/')
			in = len > 1 ? 2 : 1;
		else if (len == lr && memcmp(path, r, lr) == 0)
			in = in ? in : 1;
		else if (len > lr && memcmp(path, r, lr) == 0 && path[lr] == '/')
			in = 2;
	}
	if (in == 2) {
		const char *base = (const char *)memrchr(path, '/', len) + 1;
		size_t lb = (size_t)(path + len - base);
		if ((lb == 1 && base[0] == '.') || (lb == 2 && base[0] == '.' && base[1] == '.'))
			in = 1;
	}
	return in;
}

/* ---- the table of paths ---- */

static size_t path_hash(const char *path, size_t len)
{
	return (size_t)XXH3_64bits(path, len);
}

/* The node of the first len bytes of path; NULL when there is none and
 * make is false. */
static struct node *node_at(struct fsview *v, const char *path, size_t len, bool make)
{
	if (v->last && v->last->len == len && memcmp(v->last->path, path, len) == 0)
		return v->last;
	size_t mask = v->cap - 1, i = path_hash(path, len) & mask;
	for (; v->slots[i]; i = (i + 1) & mask)
		if (v->slots[i]->len == len && memcmp(v->slots[i]->path, path, len) == 0)
			return v->last = v->slots[i];
	if (!make)
		return NULL;
	if (2 * (v->n + 1) > v->cap) {
		size_t cap = v->cap * 2;
		struct node **slots = xcalloc(cap, sizeof *slots);
		for (size_t k = 0; k < v->cap; k++) {
			struct node *n = v->slots[k];
			if (!n)
				continue;
			size_t j = path_hash(n->path, n->len) & (cap - 1);
			while (slots[j])
				j = (j + 1) & (cap - 1);
			slots[j] = n;
		}
		free(v->slots);
		v->slots = slots;
		v->cap = cap;
		return node_at(v, path, len, make);
	}
	struct node *n = xcalloc(1, sizeof *n);
	n->path = xstrndup(path, len);
	n->len = len;
	n->cover = coverage(v, path, len);
	v->slots[i] = n;
	v->n++;
	return v->last = n;
}

static struct node *node_get(struct fsview *v, const char *path)
{
	return node_at(v, path, strlen(path), true);
}

/* The length of the folder part of the first len bytes of path (covered as 2). */
static size_t folder_len(const char *path, size_t len)
{
	const char *slash = memrchr(path, '/', len);
	return slash == path ? 1 : (size_t)(slash - path);
}

/* ---- listings ---- */

static struct fsview_entry *read_listing(const char *dir, size_t *n)
{
	*n = 0;
	DIR *dp = opendir(dir);
	if (!dp)
		return NULL;
	struct fsview_entry *e = NULL;
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		GROW(e, cap, *n + 1);
		e[*n].name = xstrdup(de->d_name);
		e[*n].type = de->d_type;
		(*n)++;
	}
	int err = errno;
	closedir(dp);
	errno = err;
	if (!e)
		e = xmalloc(sizeof *e);
	return e;
}

static int cmp_by_name(const void *a, const void *b, void *ents)
{
	const struct fsview_entry *e = ents;
	return strcmp(e[*(const size_t *)a].name, e[*(const size_t *)b].name);
}

static void list_node(struct node *n)
{
	if (n->listed)
		return;
	n->ents = read_listing(n->path, &n->nents);
	if (!n->ents) {
		n->listed = -1;
		n->list_errno = errno;
		return;
	}
	n->listed = 1;
	n->by_name = xreallocarray(NULL, n->nents ? n->nents : 1, sizeof *n->by_name);
	for (size_t i = 0; i < n->nents; i++)
		n->by_name[i] = i;
	qsort_r(n->by_name, n->nents, sizeof *n->by_name, cmp_by_name, n->ents);
}

static const struct fsview_entry *find_entry(const struct node *n, const char *name)
{
	size_t lo = 0, hi = n->nents;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(n->ents[n->by_name[mid]].name, name);
		if (c == 0)
			return &n->ents[n->by_name[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- stat ---- */

static int node_stat(struct fsview *v, struct node *n, int follow, struct stat *st);
static mode_t node_mode(struct fsview *v, struct node *n, int follow);

enum { KNOWN_NOT, KNOWN_MISSING, KNOWN_ENTRY };

/* What the listing of its folder says of the first len bytes of path
 * (covered as 2): missing (errno as the system would say), an entry (*type
 * its d_type), or nothing. Missing names and folders get no node. */
static int from_listing(struct fsview *v, const char *path, size_t len, unsigned char *type)
{
	size_t plen = folder_len(path, len);
	struct node *p = node_at(v, path, plen, false);
	int pcover = p ? p->cover : coverage(v, path, plen);
	if (pcover == 0)
		return KNOWN_NOT;
	if (!p || !p->listed) {
		/* Is the folder there, and a folder? From its own folder's listing
		 * when that tells, else asked. */
		mode_t ptype = 0;
		unsigned char pt = DT_UNKNOWN;
		int known = !p && pcover == 2 ? from_listing(v, path, plen, &pt) : KNOWN_NOT;
		if (known == KNOWN_MISSING)
			return KNOWN_MISSING;
		if (known == KNOWN_ENTRY && pt != DT_UNKNOWN && pt != DT_LNK && pt != DT_DIR) {
			errno = ENOTDIR;
			return KNOWN_MISSING;
		}
		if (!p)
			p = node_at(v, path, plen, true);
		ptype = known == KNOWN_ENTRY && pt == DT_DIR ? S_IFDIR : node_mode(v, p, 1);
		if (ptype == 0)
			return errno == ENOENT || errno == ENOTDIR ? KNOWN_MISSING : KNOWN_NOT;
		if (ptype != S_IFDIR) {
			errno = ENOTDIR;
			return KNOWN_MISSING;
		}
		list_node(p);
	}
	if (p->listed != 1)
		return KNOWN_NOT;
	char name[NAME_MAX + 1];
	size_t lb = len - plen - (plen == 1 && path[0] == '/' ? 0 : 1); /* after "dir/" or "/" */
	if (lb > NAME_MAX)
		return KNOWN_NOT;
	memcpy(name, path + len - lb, lb);
	name[lb] = '\0';
	const struct fsview_entry *e = find_entry(p, name);
	if (!e) {
		errno = ENOENT;
		return KNOWN_MISSING;
	}
	*type = e->type;
	return KNOWN_ENTRY;
}

static int node_stat(struct fsview *v, struct node *n, int follow, struct stat *st)
{
	if (n->asked[follow]) {
		if (n->st_errno[follow]) {
			errno = n->st_errno[follow];
			return -1;
		}
		*st = *n->st[follow];
		return 0;
	}
	int rc;
	unsigned char type = DT_UNKNOWN;
	int known = n->cover == 2 ? from_listing(v, n->path, n->len, &type) : KNOWN_NOT;
	if (known == KNOWN_MISSING) {
		rc = -1;
	} else if (follow && n->asked[0] && !n->st_errno[0] && !S_ISLNK(n->st[0]->st_mode)) {
		/* Not a link: its stat is its lstat. */
		*st = *n->st[0];
		rc = 0;
	} else {
		rc = follow ? stat(n->path, st) : lstat(n->path, st);
	}
	n->asked[follow] = 1;
	n->st_errno[follow] = rc == 0 ? 0 : errno;
	if (rc == 0) {
		n->st[follow] = xmalloc(sizeof *st);
		*n->st[follow] = *st;
	}
	return rc;
}

static int view_stat(const char *path, struct stat *st, int follow)
{
	if (!active || coverage(active, path, strlen(path)) == 0)
		return follow ? stat(path, st) : lstat(path, st);
	return node_stat(active, node_get(active, path), follow, st);
}

int fsview_stat(const char *path, struct stat *st)
{
	return view_stat(path, st, 1);
}

int fsview_lstat(const char *path, struct stat *st)
{
	return view_stat(path, st, 0);
}

/* S_IFMT of what d_type says, when it says enough (follow: of what a link
 * leads to); 0 when it does not. */
static mode_t type_mode(unsigned char type, int follow)
{
	if (type == DT_DIR)
		return S_IFDIR;
	if (type == DT_REG)
		return S_IFREG;
	if (type == DT_LNK && !follow)
		return S_IFLNK;
	return 0;
}

/* S_IFMT of what node n is (follow: leads to), or 0 with errno. */
static mode_t node_mode(struct fsview *v, struct node *n, int follow)
{
	struct stat st;
	if (!n->asked[follow] && n->cover == 2) {
		unsigned char type = DT_UNKNOWN;
		int known = from_listing(v, n->path, n->len, &type);
		if (known == KNOWN_MISSING)
			return 0;
		if (known == KNOWN_ENTRY && type_mode(type, follow))
			return type_mode(type, follow);
	}
	return node_stat(v, n, follow, &st) == 0 ? st.st_mode & S_IFMT : 0;
}

mode_t fsview_mode(const char *path, bool follow)
{
	struct stat st;
	size_t len = strlen(path);
	int cover = active ? coverage(active, path, len) : 0;
	if (cover == 0)
		return (follow ? stat(path, &st) : lstat(path, &st)) == 0 ? st.st_mode & S_IFMT : 0;
	struct node *n = node_at(active, path, len, false);
	if (!n && cover == 2) {
		/* Most names asked of are answered by their folder's listing alone. */
		unsigned char type = DT_UNKNOWN;
		int known = from_listing(active, path, len, &type);
		if (known == KNOWN_MISSING)
			return 0;
		if (known == KNOWN_ENTRY && type_mode(type, follow))
			return type_mode(type, follow);
	}
	return node_mode(active, n ? n : node_at(active, path, len, true), follow);
}

bool fsview_is_dir(const char *path)
{
	return fsview_mode(path, true) == S_IFDIR;
}

bool fsview_is_file(const char *path)
{
	return fsview_mode(path, true) == S_IFREG;
}

bool fsview_absent(const char *path)
{
	size_t len = strlen(path);
	if (!active || coverage(active, path, len) != 2)
		return false;
	struct node *n = node_at(active, path, len, false);
	if (n && n->asked[1])
		return n->st_errno[1] == ENOENT || n->st_errno[1] == ENOTDIR;
	unsigned char type;
	return from_listing(active, path, len, &type) == KNOWN_MISSING;
}

/* ---- realpath ---- */

static char *node_realpath(struct fsview *v, struct node *n)
{
	if (!n->real_asked) {
		unsigned char type = DT_UNKNOWN;
		int known = n->cover == 2 ? from_listing(v, n->path, n->len, &type) : KNOWN_NOT;
		if (known == KNOWN_MISSING) {
			n->real_errno = ENOENT;
		} else if (known == KNOWN_ENTRY && (type == DT_DIR || type == DT_REG)) {
			/* Not a link: its folder's real path and its name. */
			size_t plen = folder_len(n->path, n->len);
			struct node *p = node_at(v, n->path, plen, true);
			char *pr = node_realpath(v, p);
			const char *base = strrchr(n->path, '/') + 1;
			if (pr)
				n->real = strcmp(pr, "/") == 0 ? xasprintf("/%s", base)
				                               : xasprintf("%s/%s", pr, base);
			else
				n->real_errno = p->real_errno;
			free(pr);
		} else {
			n->real = realpath(n->path, NULL);
			n->real_errno = n->real ? 0 : errno;
		}
		n->real_asked = 1;
	}
	if (!n->real) {
		errno = n->real_errno;
		return NULL;
	}
	return xstrdup(n->real);
}

char *fsview_realpath(const char *path)
{
	if (!active || coverage(active, path, strlen(path)) == 0)
		return realpath(path, NULL);
	return node_realpath(active, node_get(active, path));
}

/* ---- listings for callers ---- */

int fsview_open_list(const char *dir, struct fsview_listing *l)
{
	memset(l, 0, sizeof *l);
	if (!active || coverage(active, dir, strlen(dir)) == 0) {
		l->own = read_listing(dir, &l->n);
		l->e = l->own;
		return l->own != NULL;
	}
	struct node *d = node_get(active, dir);
	list_node(d);
	if (d->listed != 1) {
		errno = d->list_errno;
		return 0;
	}
	l->e = d->ents;
	l->n = d->nents;
	return 1;
}

void fsview_close_list(struct fsview_listing *l)
{
	for (size_t i = 0; l->own && i < l->n; i++)
		free((char *)l->own[i].name);
	free(l->own);
	memset(l, 0, sizeof *l);
}

char **fsview_list_sorted(const char *dir, size_t *n)
{
	*n = 0;
	if (!active || coverage(active, dir, strlen(dir)) == 0)
		return list_dir_sorted(dir, n);
	struct node *d = node_get(active, dir);
	list_node(d);
	if (d->listed != 1) {
		errno = d->list_errno;
		return NULL;
	}
	char **names = xreallocarray(NULL, d->nents ? d->nents : 1, sizeof *names);
	for (size_t i = 0; i < d->nents; i++)
		names[i] = xstrdup(d->ents[d->by_name[i]].name);
	*n = d->nents;
	return names;
}
