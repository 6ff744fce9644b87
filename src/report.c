/* report.c — report files (report.h): front matter, ```runsite blocks and
 * {{ ... }} references parsed with their lines, and the runs each selects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/yamlkv.h"
#include "runsite/compare.h"
#include "runsite/diag.h"
#include "runsite/report.h"
#include "runsite/select.h"
#include "runsite/util.h"

static const char *const kind_names[] = {"chart", "table", "compare", "sweep"};

/* Every key a block may hold; the kind keys first. */
static const char *const block_keys[] = {"chart", "table", "compare", "sweep", "runs",
                                         "top",   "x",     "smoothing", "log-y", "group",
                                         "sort",  "caption", "metrics", NULL};

const char *report_kind_name(enum report_kind k)
{
	return kind_names[k];
}

static char *trim(const char *s, size_t len)
{
	while (len && strchr(" \t\r\n", *s)) {
		s++;
		len--;
	}
	while (len && strchr(" \t\r\n", s[len - 1]))
		len--;
	return xstrndup(s, len);
}

char **report_list(const char *text, size_t *n)
{
	char **out = NULL;
	size_t cap = 0;
	*n = 0;
	const char *p = text ? text : "";
	for (;;) {
		size_t l = strcspn(p, ",");
		char *item = trim(p, l);
		if (*item) {
			GROW(out, cap, *n + 1);
			out[(*n)++] = item;
		} else {
			free(item);
		}
		if (!p[l])
			break;
		p += l + 1;
	}
	return out;
}

void report_list_free(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

/* The known key "KEY:" at p (p at a line start or after a space), or -1. */
static int key_at(const char *p)
{
	for (int k = 0; block_keys[k]; k++) {
		size_t l = strlen(block_keys[k]);
		if (strncmp(p, block_keys[k], l) == 0 && p[l] == ':')
			return k;
	}
	return -1;
}

/* Adds the "KEY: VALUE" pairs of one block line to b (error on a word
 * that is no key). */
static void block_line(struct report_block *b, const char *line, size_t len)
{
	char *l = xstrndup(line, len);
	/* A comment: '#' at the start or after a space. */
	for (char *c = l; *c; c++)
		if (*c == '#' && (c == l || c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			break;
		}
	char *p = l;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || b->error) {
		free(l);
		return;
	}
	int k = key_at(p);
	if (k < 0) {
		size_t w = strcspn(p, ": \t");
		b->error = xasprintf("'%.*s' is not a block key (chart, table, compare, sweep, runs, "
		                     "top, x, smoothing, log-y, group, sort, caption)",
		                     (int)w, p);
		free(l);
		return;
	}
	while (k >= 0) {
		const char *v = p + strlen(block_keys[k]) + 1;
		/* The value runs to the next known key after two spaces or more. */
		const char *q = v, *next = NULL;
		int nk = -1;
		while (*q && !next) {
			if ((q[0] == ' ' || q[0] == '\t') && (q[1] == ' ' || q[1] == '\t')) {
				const char *r = q;
				while (*r == ' ' || *r == '\t')
					r++;
				if ((nk = key_at(r)) >= 0)
					next = r;
				q = r;
			} else {
				q++;
			}
		}
		char *val = trim(v, next ? (size_t)(next - v) : strlen(v));
		if (kvlist_get(&b->opts, block_keys[k]) || (k < 4 && b->what)) {
			b->error = xasprintf("'%s' is given twice", block_keys[k]);
			free(val);
			break;
		}
		if (k < 4) {
			b->kind = (enum report_kind)k;
			b->what = val;
		} else {
			kvlist_add(&b->opts, block_keys[k], val);
			free(val);
		}
		k = nk;
		p = (char *)next;
	}
	free(l);
}

static void block_finish(struct report_block *b)
{
	if (b->error)
		return;
	if (!b->what) {
		b->error = xstrdup("the block says neither chart:, table:, compare: nor sweep:");
		return;
	}
	if (!*b->what)
		b->error = xasprintf("%s: names nothing", kind_names[b->kind]);
}

/* Splits "SEL : SPEC" of a reference into r. */
static void ref_parse(struct report_ref *r)
{
	const char *t = r->text;
	const char *colon = strstr(t, " : ");
	if (!colon) {
		r->error = xasprintf("'{{ %s }}' is not a reference: write {{ RUN : METRIC [best|last|"
		                     "min|max] }}, {{ RUN : param KEY }} or {{ group NAME : METRIC "
		                     "mean±std }}",
		                     t);
		return;
	}
	char *sel = trim(t, (size_t)(colon - t));
	char *spec = trim(colon + 3, strlen(colon + 3));
	if (strncmp(sel, "group ", 6) == 0) {
		r->group = true;
		r->sel = trim(sel + 6, strlen(sel + 6));
		free(sel);
	} else {
		r->sel = sel;
	}
	if (strncmp(spec, "param ", 6) == 0) {
		r->param = true;
		r->key = trim(spec + 6, strlen(spec + 6));
	} else {
		/* The mode is the last word when it is one. */
		static const char *const modes[] = {"best", "last", "min", "max", "mean±std",
		                                    "mean", "std", "n", NULL};
		char *sp = strrchr(spec, ' ');
		for (size_t i = 0; sp && modes[i]; i++)
			if (strcmp(sp + 1, modes[i]) == 0) {
				r->mode = xstrdup(modes[i]);
				r->key = trim(spec, (size_t)(sp - spec));
			}
		if (!r->key)
			r->key = xstrdup(spec);
	}
	free(spec);
	if (!*r->sel || !*r->key)
		r->error = xasprintf("'{{ %s }}' names no %s", t, *r->sel ? "metric" : "run");
	else if (r->group && r->param)
		r->error = xasprintf("'{{ %s }}': a group has no single param value", t);
	else if (!r->group && r->mode && (strncmp(r->mode, "mean", 4) == 0 ||
	                                  strcmp(r->mode, "std") == 0 || strcmp(r->mode, "n") == 0))
		r->error = xasprintf("'{{ %s }}': %s is for groups: {{ group NAME : %s %s }}", t,
		                     r->mode, r->key, r->mode);
}

/* Appends line (len bytes) to out, each {{ ... }} replaced by a mark. */
static void body_line(struct report_doc *d, struct buf *out, const char *s, size_t len,
                      size_t lineno)
{
	size_t i = 0;
	while (i < len) {
		const char *open = NULL;
		for (size_t j = i; j + 1 < len; j++)
			if (s[j] == '{' && s[j + 1] == '{') {
				open = s + j;
				break;
			}
		const char *close = NULL;
		if (open)
			for (const char *c = open + 2; c + 1 < s + len; c++)
				if (c[0] == '}' && c[1] == '}') {
					close = c;
					break;
				}
		if (!open || !close) {
			buf_put(out, s + i, len - i);
			return;
		}
		buf_put(out, s + i, (size_t)(open - (s + i)));
		GROW(d->refs, d->caprefs, d->nrefs + 1);
		struct report_ref *r = &d->refs[d->nrefs];
		memset(r, 0, sizeof *r);
		r->line = lineno;
		r->text = trim(open + 2, (size_t)(close - open - 2));
		ref_parse(r);
		buf_printf(out, REPORT_REF_MARK "%zuX", d->nrefs++);
		i = (size_t)(close + 2 - s);
	}
}

/* Reads the front matter's keys (YAML between "---" lines). */
static void front_matter(struct report_doc *d, const char *text, size_t len)
{
	struct kvlist kv = {0};
	char *path = xasprintf("%s (front matter)", d->path);
	size_t before = diag_count();
	if (yamlkv_parse(text, len, path, NULL, '/', &kv) < 0 || diag_count() != before)
		d->fm_error = xstrdup("the front matter is not YAML (title: ..., author: ..., "
		                      "date: ..., summary: ..., runs: ...)");
	free(path);
	static const char *const keys[] = {"title", "author", "date", "summary", "runs"};
	char **dst[] = {&d->title, &d->author, &d->date, &d->summary, &d->runs};
	for (size_t i = 0; i < 5; i++) {
		const char *v = kvlist_get(&kv, keys[i]);
		if (v && *v)
			*dst[i] = xstrdup(v);
	}
	kvlist_free(&kv);
}

/* The fence of a line ("```" or "~~~", up to 3 spaces in): its length, or 0. */
static size_t fence_len(const char *s, size_t len, char *ch)
{
	size_t i = 0;
	while (i < len && i < 3 && s[i] == ' ')
		i++;
	if (i >= len || (s[i] != '`' && s[i] != '~'))
		return 0;
	char c = s[i];
	size_t n = 0;
	while (i + n < len && s[i + n] == c)
		n++;
	if (n < 3)
		return 0;
	*ch = c;
	return i + n;
}

void report_parse(const char *text, size_t len, const char *path, struct report_doc *d)
{
	memset(d, 0, sizeof *d);
	d->path = xstrdup(path);
	struct buf out = BUF_INIT;
	size_t pos = 0, lineno = 1;
	/* Front matter: "---" on the first line, up to the next "---" or "...". */
	if (len >= 3 && strncmp(text, "---", 3) == 0 &&
	    (len == 3 || text[3] == '\n' || text[3] == '\r')) {
		size_t p = strcspn(text, "\n");
		p = p < len ? p + 1 : len;
		size_t start = p, lines = 1;
		int closed = 0;
		while (p < len) {
			size_t l = strcspn(text + p, "\n");
			if (p + l > len)
				l = len - p;
			lines++;
			if ((l >= 3 && (strncmp(text + p, "---", 3) == 0 ||
			                strncmp(text + p, "...", 3) == 0)) &&
			    strspn(text + p + 3, " \t\r") == l - 3) {
				front_matter(d, text + start, p - start);
				pos = p + l + (p + l < len);
				lineno = lines + 1;
				/* Keep the line numbers of the body right for cmark too. */
				for (size_t k = 1; k < lineno; k++)
					buf_putc(&out, '\n');
				closed = 1;
				break;
			}
			p += l + 1;
		}
		if (!closed)
			d->fm_error = xstrdup("the front matter opened with --- is never closed");
	}
	struct report_block *blk = NULL; /* the block being read */
	char fch = 0;
	size_t flen = 0; /* an open fence of other code: its length */
	while (pos < len) {
		size_t l = strcspn(text + pos, "\n");
		if (pos + l > len)
			l = len - pos;
		const char *s = text + pos;
		char ch = 0;
		size_t fl = fence_len(s, l, &ch);
		if (blk) {
			if (fl && ch == fch && strspn(s + fl, "`~ \t\r") == l - fl) {
				block_finish(blk);
				blk = NULL;
				buf_putc(&out, '\n');
			} else {
				block_line(blk, s, l);
				buf_putc(&out, '\n');
			}
		} else if (flen) {
			buf_put(&out, s, l);
			buf_putc(&out, '\n');
			if (fl >= flen && ch == fch && strspn(s + fl, " \t\r") == l - fl)
				flen = 0;
		} else if (fl) {
			char *info = trim(s + fl, l - fl);
			if (strcmp(info, "runsite") == 0) {
				GROW(d->blocks, d->capblocks, d->nblocks + 1);
				blk = &d->blocks[d->nblocks];
				memset(blk, 0, sizeof *blk);
				blk->line = lineno;
				fch = ch;
				/* The block's own paragraph, apart from the text around it. */
				buf_printf(&out, "\n" REPORT_BLOCK_MARK "%zuX\n", d->nblocks++);
			} else {
				fch = ch;
				flen = fl - strspn(s, " ");
				buf_put(&out, s, l);
				buf_putc(&out, '\n');
			}
			free(info);
		} else {
			body_line(d, &out, s, l, lineno);
			buf_putc(&out, '\n');
		}
		pos += l + 1;
		lineno++;
	}
	if (blk) {
		block_finish(blk);
		if (!blk->error)
			blk->error = xstrdup("the block is never closed (a ``` line ends it)");
	}
	d->body = buf_detach(&out);
	if (!d->body)
		d->body = xstrdup("");
}

void report_doc_free(struct report_doc *d)
{
	free(d->path);
	free(d->title);
	free(d->author);
	free(d->date);
	free(d->summary);
	free(d->runs);
	free(d->body);
	free(d->fm_error);
	for (size_t i = 0; i < d->nblocks; i++) {
		free(d->blocks[i].what);
		free(d->blocks[i].error);
		kvlist_free(&d->blocks[i].opts);
	}
	free(d->blocks);
	for (size_t i = 0; i < d->nrefs; i++) {
		struct report_ref *r = &d->refs[i];
		free(r->text);
		free(r->sel);
		free(r->key);
		free(r->mode);
		free(r->error);
	}
	free(d->refs);
	memset(d, 0, sizeof *d);
}

/* ---- which runs ---- */

long report_select(const char *runs_expr, const char *top, const struct run *const *runs,
                   size_t n, const struct goal_rules *goals, const char *primary,
                   enum metric_at at, size_t *out, char *err, size_t errsz)
{
	char *text = xasprintf("%s%s%s", runs_expr && *runs_expr ? runs_expr : "*",
	                       top && *top ? " top " : "", top && *top ? top : "");
	long k = -1;
	struct select_expr *e = select_parse(text, err, errsz);
	select_set_at(e, at);
	if (e && select_check(e, runs, n, goals, primary, err, errsz)) {
		k = (long)select_runs(e, runs, n, goals, primary, out);
		if (k == 0 && select_is_single(e))
			snprintf(err, errsz, "no run is named '%s'", text);
		else if (k == 0)
			snprintf(err, errsz, "'%s' selects no run", text);
		if (k == 0)
			k = -1;
	}
	select_free(e);
	free(text);
	return k;
}

long report_one_run(const char *sel, const struct run *const *runs, size_t n,
                    const struct goal_rules *goals, const char *primary, enum metric_at at,
                    char *err, size_t errsz)
{
	size_t *out = xreallocarray(NULL, n ? n : 1, sizeof *out);
	long k = -1, idx = -1;
	struct select_expr *e = select_parse(sel, err, errsz);
	select_set_at(e, at);
	if (e && select_check(e, runs, n, goals, primary, err, errsz)) {
		k = (long)select_runs(e, runs, n, goals, primary, out);
		if (k == 0)
			snprintf(err, errsz, "no run is named '%s'", sel);
		else if (k > 1)
			snprintf(err, errsz, "'%s' names %ld runs (%s, %s%s); name one", sel, k,
			         runs[out[0]]->name, runs[out[1]]->name, k > 2 ? ", ..." : "");
		else
			idx = (long)out[0];
	}
	select_free(e);
	free(out);
	return idx;
}

char *report_group_name(const struct run *const *runs, const size_t *members, size_t n)
{
	const char *first = runs[members[0]]->name ? runs[members[0]]->name : "";
	size_t len = strlen(first);
	for (size_t i = 1; i < n; i++) {
		const char *o = runs[members[i]]->name ? runs[members[i]]->name : "";
		size_t j = 0;
		while (j < len && o[j] == first[j])
			j++;
		len = j;
	}
	while (len > 0 && !strchr("-_. /", first[len - 1]))
		len--;
	while (len > 0 && strchr("-_. /", first[len - 1]))
		len--;
	return len ? xstrndup(first, len) : xstrdup(first);
}

long report_group_runs(const char *name, const struct run *const *runs, size_t n,
                       const struct goal_rules *goals, const char *primary, enum metric_at at,
                       const char *const *group_by, size_t ngroup_by, size_t *out, char *err,
                       size_t errsz)
{
	if (strpbrk(name, "=:*?[ \t,"))
		return report_select(name, NULL, runs, n, goals, primary, at, out, err, errsz);
	/* A seed group of that name. */
	struct compare_group *groups = NULL;
	size_t ng = compare_seed_groups(runs, n, group_by, ngroup_by, &groups);
	long k = -1;
	for (size_t g = 0; g < ng && k < 0; g++) {
		char *gn = report_group_name(runs, groups[g].members, groups[g].n);
		if (strcmp(gn, name) == 0) {
			k = (long)groups[g].n;
			memcpy(out, groups[g].members, groups[g].n * sizeof *out);
		}
		free(gn);
	}
	compare_groups_free(groups, ng);
	if (k >= 0)
		return k;
	size_t m = 0, l = strlen(name);
	for (size_t i = 0; i < n; i++) {
		const char *rn = runs[i]->name ? runs[i]->name : "";
		if (strncmp(rn, name, l) == 0 && rn[l] && strchr("-_. /", rn[l]) && rn[l + 1])
			out[m++] = i;
	}
	if (m == 0) {
		snprintf(err, errsz, "no seed group is called '%s', and no run's name starts with it "
		                     "and a separator", name);
		return -1;
	}
	return (long)m;
}
