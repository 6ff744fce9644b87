/* test_site.c — the site writer, fed by a test-local reader: slugs of
 * hostile names, escaping by construction, output folder safety, atomic
 * replacement, determinism whatever --jobs, and links that resolve. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <sqlite3.h>

#include "../../src/site/site_internal.h"
#include "runsite/build.h"
#include "harness.h"
#include "runsite/diag.h"

/* ---- a reader that delivers runs made here; the store path names the scenario ---- */

static struct run *mk_run(const char *id, const char *name, const char *exp, int64_t start)
{
	struct run *r = run_new("fake", "fake-store");
	r->id = xstrdup(id);
	r->name = xstrdup(name);
	r->experiment_id = xstrdup(exp);
	r->status = xstrdup("FINISHED");
	r->start_ms = start;
	r->end_ms = start + 61500;
	return r;
}

static void add_curve(struct run *r, const char *key, int n, double a, double b)
{
	struct series *se = run_series(r, key);
	for (int i = 0; i < n; i++)
		series_add(se, i * 10, 1700000000000LL + i, a + b * i);
}

static int fake_probe(const char *path)
{
	return 0;
}

static long deliver(struct run_sink *sink, struct run *r, const struct reader_opts *o)
{
	run_finish(r, o->dec_buckets);
	return sink->run(sink->ctx, r);
}

static void deliver_exp(struct run_sink *sink, const char *id, const char *name, const char *desc)
{
	struct experiment *e = experiment_new();
	e->id = xstrdup(id);
	e->name = xstrdup(name);
	e->description = desc ? xstrdup(desc) : NULL;
	sink->experiment(sink->ctx, e);
}

static char *sabotage_parent; /* where the "sabotage" scenario looks for the temp folder */

/* Makes a folder called index.html inside every site temp folder beside the
 * output, so writing the index fails after every run was read. */
static void sabotage(void)
{
	DIR *d = opendir(sabotage_parent);
	if (!d)
		return;
	for (struct dirent *de; (de = readdir(d));) {
		if (!strstr(de->d_name, ".tmp-"))
			continue;
		char *p = xasprintf("%s/%s/index.html", sabotage_parent, de->d_name);
		mkdir(p, 0755);
		free(p);
	}
	closedir(d);
}

static long fake_read(const char *path, const struct reader_opts *o, struct run_sink *sink)
{
	long n = 0;
	if (strcmp(path, "unreadable") == 0)
		return -1;
	if (strcmp(path, "basic") == 0 || strcmp(path, "sabotage") == 0 ||
	    strcmp(path, "basic-again") == 0) {
		deliver_exp(sink, "1", "baseline",
		            "# Baseline\n\nA small **baseline** with a [link](https://example.com).\n");
		deliver_exp(sink, "2", "sweep", NULL);
		struct run *r = mk_run("aaaa1111", "brisk-owl", "1", 1700000000000LL);
		kvlist_add(&r->params, "lr", "0.001");
		kvlist_add(&r->params, "batch", "32");
		kvlist_add(&r->tags, "team", "vision");
		kvlist_add(&r->tags, "mlflow.user", "ada");
		r->notes = xstrdup("Notes with a table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
		                   "- [x] done\n- [ ] todo\n\n~~old~~ www.example.org\n");
		add_curve(r, "val/loss", 50, 2.0, -0.03);
		add_curve(r, "val/accuracy", 50, 0.1, 0.01);
		add_curve(r, "lr", 50, 0.001, 0.0);
		run_add_artifact(r, "model/model.pkl", 123456);
		n += deliver(sink, r, o);
		r = mk_run("bbbb2222", "calm-fox", "1", 1700000100000LL);
		kvlist_add(&r->params, "lr", "0.01");
		kvlist_add(&r->params, "batch", "32");
		r->parent_id = xstrdup("aaaa1111");
		add_curve(r, "val/loss", 40, 2.5, -0.02);
		n += deliver(sink, r, o);
		r = mk_run("cccc3333", "Calm Fox", "2", 1700000200000LL);
		add_curve(r, "train/loss", 10, 1.0, 0.1);
		n += deliver(sink, r, o);
		if (strcmp(path, "sabotage") == 0) {
			/* One more run: the index must be made again, even by an
			 * incremental build that keeps unchanged pages in place. */
			r = mk_run("eeee5555", "late-owl", "2", 1700000300000LL);
			add_curve(r, "train/loss", 10, 1.0, 0.1);
			n += deliver(sink, r, o);
			sabotage();
		}
		return n;
	}
	if (strcmp(path, "dup") == 0) {
		/* The same run as "basic" delivers first: it must be skipped. */
		deliver_exp(sink, "1", "baseline", NULL);
		struct run *r = mk_run("aaaa1111", "brisk-owl-copy", "1", 1700000000000LL);
		n += deliver(sink, r, o);
		r = mk_run("dddd4444", "other", "1", 1600000000000LL);
		n += deliver(sink, r, o);
		return n;
	}
	if (strcmp(path, "hostile") == 0) {
		deliver_exp(sink, "x", "../../etc/passwd",
		            "<script>alert(1)</script>[x](javascript:alert(1)) <img src=x onerror=alert(2)>");
		struct run *r = mk_run("../../../evil", "<script>alert(1)</script>", "x", 1700000000000LL);
		kvlist_add(&r->params, "q\"uote", "a\"b'c&d<e>f &amp; &lt;");
		kvlist_add(&r->tags, "<b>tag</b>", "javascript:alert(3)");
		r->notes = xstrdup("Hello <script>alert(4)</script> world\n\n"
		                   "[click](javascript:alert(5)) [ok](https://example.com/a?b=1&c=2)\n\n"
		                   "<iframe src=\"https://evil.example\"></iframe>\n\n"
		                   "[vb](vbscript:msgbox) [data](data:text/html;base64,PHNjcmlwdD4=)\n");
		add_curve(r, "../../loss", 5, 1.0, -0.1);
		add_curve(r, "/etc/passwd", 5, 1.0, 0.1);
		n += deliver(sink, r, o);
		r = mk_run("long", "", "x", 1700000000000LL);
		free(r->name);
		char *big = xmalloc(10001);
		memset(big, 'A', 10000);
		big[10000] = '\0';
		r->name = big;
		add_curve(r, big, 3, 1, 1);
		n += deliver(sink, r, o);
		r = mk_run("con", "CON", "", TIME_UNKNOWN);
		r->end_ms = TIME_UNKNOWN;
		n += deliver(sink, r, o);
		r = mk_run("dots", "..", "..", TIME_UNKNOWN);
		n += deliver(sink, r, o);
		r = mk_run("uni", "日本語の実験 — α/β", "x", 1700000000000LL);
		add_curve(r, "損失", 4, 1, 1);
		n += deliver(sink, r, o);
		return n;
	}
	return -1;
}

static const struct reader fake_reader = {
	.name = "fake", .what = "test stores", .probe = fake_probe, .read = fake_read,
	.unique_ids = true, /* the duplicate-store test relies on ids meaning the same run */
};

static struct discovery discovery_of(const char *const *paths, size_t n)
{
	struct discovery d;
	memset(&d, 0, sizeof d);
	d.stores = xcalloc(n, sizeof *d.stores);
	for (size_t i = 0; i < n; i++)
		d.stores[i] = (struct store_ref){.reader = &fake_reader, .path = xstrdup(paths[i])};
	d.nstores = n;
	return d;
}

static const char *templates_dir; /* for build(): NULL for the built-in templates */

static int build(const char *out, const char *const *paths, size_t n, int jobs, bool force)
{
	struct discovery d = discovery_of(paths, n);
	struct site_opts so;
	site_opts_defaults(&so);
	so.out_dir = out;
	so.quiet = true;
	so.jobs = jobs;
	so.force = force;
	so.templates_dir = templates_dir;
	struct reader_opts ro = {.include_deleted = false, .dec_buckets = 64};
	int rc = build_site(&d, &ro, &so);
	discovery_free(&d); /* build_site empties it once read, but not when it fails first */
	return rc;
}

/* ---- file helpers ---- */

static char *slurp(const char *path)
{
	struct buf b = BUF_INIT;
	if (!read_file(path, &b, 64u << 20)) {
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static int rm_cb(const char *p, const struct stat *st, int f, struct FTW *w)
{
	return remove(p);
}

static void rm_rf(const char *p)
{
	nftw(p, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Every regular file below root, as root-relative paths, sorted. */
static void list_files(const char *root, const char *rel, char ***out, size_t *n, size_t *cap)
{
	char *dir = rel ? path_join(root, rel) : xstrdup(root);
	DIR *d = opendir(dir);
	if (!d) {
		free(dir);
		return;
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *r = rel ? path_join(rel, de->d_name) : xstrdup(de->d_name);
		char *full = path_join(root, r);
		struct stat st;
		if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			list_files(root, r, out, n, cap);
			free(r);
		} else {
			GROW(*out, *cap, *n + 1);
			(*out)[(*n)++] = r;
		}
		free(full);
	}
	closedir(d);
	free(dir);
	qsort(*out, *n, sizeof **out, cmp_strp);
}

static void free_list(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

/* ---- page checks ---- */

struct page_stats {
	int scripts_inline;    /* <script> without the site's own src (site.js, a page's rows) */
	int js_links;          /* href/src starting with javascript: (any case, spaces) */
	int bad_links;         /* relative links that do not name an existing file */
	int links;             /* relative links checked */
	int event_attrs;       /* on* attributes */
};

static int starts_js(const char *v)
{
	char s[16];
	size_t k = 0;
	for (; *v && k < sizeof s - 1; v++)
		if ((unsigned char)*v > ' ')
			s[k++] = (char)((*v >= 'A' && *v <= 'Z') ? *v + 32 : *v);
	s[k] = '\0';
	return strncmp(s, "javascript:", 11) == 0 || strncmp(s, "vbscript:", 9) == 0 ||
	       strncmp(s, "data:text", 9) == 0;
}

static void check_link(struct page_stats *ps, const char *pagedir, const char *v)
{
	if (!*v || v[0] == '#' || strncmp(v, "https://", 8) == 0 || strncmp(v, "http://", 7) == 0 ||
	    strncmp(v, "mailto:", 7) == 0)
		return;
	ps->links++;
	char *target = xstrdup(v);
	target[strcspn(target, "#?")] = '\0';
	size_t len = strlen(target);
	char *full = path_join(pagedir, target);
	struct stat st;
	/* Links name a file: never '/', never a bare folder. */
	if (target[0] == '/' || len == 0 || target[len - 1] == '/' || stat(full, &st) != 0 ||
	    !S_ISREG(st.st_mode)) {
		ps->bad_links++;
		printf("# bad link %s from %s\n", v, pagedir);
	}
	free(full);
	free(target);
}

static void walk_page(struct page_stats *ps, const char *pagedir, xmlNodePtr n)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)n->name, "script") == 0) {
			xmlChar *src = xmlGetProp(n, (const xmlChar *)"src");
			/* the site's script, and the runs table's rows beside the page */
			if (!src || n->children || strchr((const char *)src, ':') ||
			    !(str_ends((const char *)src, "assets/site.js") ||
			      (str_ends((const char *)src, ".rows.js") && !strchr((const char *)src, '/'))))
				ps->scripts_inline++;
			xmlFree(src);
		}
		for (xmlAttrPtr a = n->properties; a; a = a->next) {
			xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
			const char *an = (const char *)a->name;
			if (strncasecmp(an, "on", 2) == 0)
				ps->event_attrs++;
			if (v && (strcmp(an, "href") == 0 || strcmp(an, "src") == 0)) {
				if (starts_js((const char *)v))
					ps->js_links++;
				else
					check_link(ps, pagedir, (const char *)v);
			}
			xmlFree(v);
		}
		walk_page(ps, pagedir, n->children);
	}
}

static htmlDocPtr parse_page(const char *path)
{
	return htmlReadFile(path, "UTF-8", HTML_PARSE_NONET | HTML_PARSE_NOERROR |
	                                           HTML_PARSE_NOWARNING);
}

/* Checks every page of the site at root; returns the totals. */
static struct page_stats check_site(const char *root)
{
	struct page_stats ps;
	memset(&ps, 0, sizeof ps);
	char **files = NULL;
	size_t n = 0, cap = 0;
	list_files(root, NULL, &files, &n, &cap);
	for (size_t i = 0; i < n; i++) {
		if (!str_ends(files[i], ".html"))
			continue;
		char *full = path_join(root, files[i]);
		char *dir = xstrdup(full);
		*strrchr(dir, '/') = '\0';
		htmlDocPtr doc = parse_page(full);
		OK(doc != NULL, "%s parses", files[i]);
		if (doc) {
			walk_page(&ps, dir, xmlDocGetRootElement(doc));
			xmlFreeDoc(doc);
		}
		char *text = slurp(full);
		OK(text && str_starts(text, "<!DOCTYPE html>"), "%s starts with a doctype", files[i]);
		OK(text && strstr(text, "<meta charset=\"utf-8\">"), "%s declares utf-8", files[i]);
		OK(text && !strstr(text, "data-rs"), "%s has no marker attributes left", files[i]);
		free(text);
		free(dir);
		free(full);
	}
	free_list(files, n);
	return ps;
}

/* The text of the whole page (all text nodes concatenated). */
static char *page_text(const char *path)
{
	htmlDocPtr doc = parse_page(path);
	if (!doc)
		return xstrdup("");
	xmlChar *t = xmlNodeGetContent(xmlDocGetRootElement(doc));
	char *out = xstrdup(t ? (const char *)t : "");
	xmlFree(t);
	xmlFreeDoc(doc);
	return out;
}

/* ---- tests ---- */

static void test_slugs(void)
{
	static const char *const hostile[] = {
		"../../etc/passwd", "a/b", "", "..", ".", "...", "/", "\\..\\x", "CON", "con.txt",
		"Com1", "LPT9", "nul", ".hidden", "日本語", "a\nb", "-x-", "a..b", "trailing.",
	};
	for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
		char *s = slug_from(hostile[i], SLUG_MAX, "x");
		int good = *s && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(s) &&
		           !strstr(s, "..") && s[0] != '.' && s[0] != '-' && strlen(s) <= SLUG_MAX;
		OK(good, "slug of \"%s\" is safe: \"%s\"", hostile[i], s);
		/* Windows takes the part before the first dot: "con.txt_.html" is CON too. */
		size_t stem = strcspn(s, ".");
		int device = (stem == 3 && (!strncmp(s, "con", 3) || !strncmp(s, "prn", 3) ||
		                            !strncmp(s, "aux", 3) || !strncmp(s, "nul", 3))) ||
		             (stem == 4 && (!strncmp(s, "com", 3) || !strncmp(s, "lpt", 3)) &&
		              s[3] >= '0' && s[3] <= '9');
		OK(!device, "slug of \"%s\" is not a device name before its first dot: \"%s\"",
		   hostile[i], s);
		free(s);
	}
	char *s = slug_from("Con.txt", SLUG_MAX, "x");
	STR_EQ(s, "con_.txt", "a device name before the first dot is guarded there");
	free(s);
	s = slug_from("../../etc/passwd", SLUG_MAX, "x");
	STR_EQ(s, "etc-passwd", "path-like name");
	free(s);
	s = slug_from("Train Loss (EMA)", SLUG_MAX, "x");
	STR_EQ(s, "train-loss-ema", "words");
	free(s);
	s = slug_from("val/acc_top1.final", SLUG_MAX, "x");
	STR_EQ(s, "val-acc_top1.final", "separators kept where allowed");
	free(s);
	s = slug_from("日本語", SLUG_MAX, "run");
	STR_EQ(s, "run", "nothing left: the fallback");
	free(s);
	char big[10001];
	memset(big, 'a', 10000);
	big[10000] = '\0';
	s = slug_from(big, SLUG_MAX, "x");
	INT_EQ(strlen(s), SLUG_MAX, "10k characters are capped");
	free(s);

	/* Names differing only in case or punctuation stay distinct. */
	struct slugset set = {0};
	const char *a = slug_claim(&set, "run");
	const char *b = slug_claim(&set, "run");
	const char *c = slug_claim(&set, "run");
	OK(strcmp(a, b) && strcmp(b, c) && strcmp(a, c), "claimed slugs are unique: %s %s %s", a, b,
	   c);
	const char *r1 = slug_run(&set, "Run A", "id-1");
	const char *r2 = slug_run(&set, "run-a", "id-2");
	const char *r3 = slug_run(&set, "run a", "id-2");
	OK(strcmp(r1, r2) && strcmp(r2, r3) && strcmp(r1, r3), "run slugs unique: %s %s %s", r1, r2,
	   r3);
	const char *r4 = slug_run(&set, "abc123", "abc123");
	STR_EQ(r4, "abc123", "a run named by its id keeps the id");
	/* The slugs live in shared blocks: each claimed one stays as it was
	 * while hundreds more (past one block) are claimed after it. */
	char *r1_was = xstrdup(r1);
	for (int i = 0; i < 600; i++)
		slug_claim(&set, "a-name-of-some-length");
	STR_EQ(a, "run", "the first slug claimed is unchanged after 600 more");
	STR_EQ(r1, r1_was, "a run slug is unchanged after 600 more");
	free(r1_was);
	slugset_free(&set);

	/* A string longer than a block gets a block of its own. */
	struct str_block *blocks = NULL;
	const char *small = str_blocks_copy(&blocks, "small", 16);
	const char *long_one = str_blocks_copy(&blocks, big, 16);
	const char *after = str_blocks_copy(&blocks, "after", 16);
	OK(strcmp(small, "small") == 0 && strcmp(long_one, big) == 0 && strcmp(after, "after") == 0,
	   "copies into blocks: a small one, one past the block size, one after it");
	str_blocks_free(&blocks);
	OK(blocks == NULL, "freed blocks leave an empty list");

	char h1[9], h2[9];
	slug_hash8(h1, "id-1");
	slug_hash8(h2, "id-1");
	STR_EQ(h1, h2, "hash is stable");
	slug_hash8(h2, "id-2");
	OK(strcmp(h1, h2) != 0, "hash differs for other ids");
}

static void test_template_escaping(void)
{
	static const char tpl[] =
	        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title data-rs=\"t\">x</title>"
	        "</head><body><p data-rs=\"p\">sample</p><a data-rs=\"a\" href=\"#\">l</a>"
	        "<ul><li data-rs=\"row\">r</li><li data-rs=\"mock\">m</li></ul></body></html>";
	htmlDocPtr doc = tmpl_parse(tpl, sizeof tpl - 1);
	OK(doc != NULL, "template parses");
	if (!doc)
		return;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	const char *evil = "<script>alert(1)</script> &amp; \"q\" 'a' é";
	tmpl_fill(root, "p", evil);
	tmpl_set_attr(tmpl_find(root, "a"), "title", evil);
	xmlNodePtr row = tmpl_find(root, "row");
	for (int i = 0; i < 3; i++)
		tmpl_set_text(tmpl_clone(row), "item");
	tmpl_remove(row);
	struct buf out = BUF_INIT;
	tmpl_serialize(doc, &out);
	xmlFreeDoc(doc);
	const char *html = buf_cstr(&out);
	OK(!strstr(html, "<script>"), "no script element in %s", html);
	OK(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp;") != NULL,
	   "text escaped once: %s", html);
	OK(strstr(html, "&quot;q&quot;") != NULL, "quotes escaped in attribute");
	OK(strstr(html, "é") != NULL, "UTF-8 kept as UTF-8");
	OK(!strstr(html, ">m<"), "mock content removed");
	OK(!strstr(html, "data-rs"), "markers removed");
	int items = 0;
	for (const char *p = html; (p = strstr(p, ">item<")); p++)
		items++;
	INT_EQ(items, 3, "cloned rows");
	/* Read back: the text is exactly what was put in. */
	htmlDocPtr back = htmlReadMemory(html, (int)out.size, "x", "UTF-8",
	                                 HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
	xmlNodePtr body = xmlDocGetRootElement(back)->children;
	while (body && strcmp((const char *)body->name, "body") != 0)
		body = body->next;
	xmlChar *t = xmlNodeGetContent(body->children);
	STR_EQ((const char *)t, evil, "text round-trips");
	xmlFree(t);
	xmlFreeDoc(back);
	buf_free(&out);
}

static void test_notes(void)
{
	static const char tpl[] = "<!DOCTYPE html><html><body><div data-rs=\"n\"></div></body></html>";
	htmlDocPtr doc = tmpl_parse(tpl, sizeof tpl - 1);
	xmlNodePtr n = tmpl_find(xmlDocGetRootElement(doc), "n");
	notes_render(n,
	             "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~ "
	             "https://example.com\n\n- [x] done\n\n<script>alert(1)</script>\n\n"
	             "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](https://ok.example)\n\n"
	             "![loss](static/loss.png)@h\n",
	             2);
	struct buf out = BUF_INIT;
	tmpl_serialize(doc, &out);
	xmlFreeDoc(doc);
	const char *html = buf_cstr(&out);
	OK(strstr(html, "<h3>Title</h3>") != NULL, "headings demoted: %s", html);
	OK(strstr(html, "<table>") != NULL, "GFM table");
	OK(strstr(html, "<del>gone</del>") != NULL, "strikethrough");
	OK(strstr(html, "href=\"https://example.com\"") != NULL, "autolink");
	OK(strstr(html, "type=\"checkbox\"") != NULL, "task list");
	OK(!strstr(html, "<script"), "raw script dropped");
	OK(!strstr(html, "alert(1)</") || !strstr(html, "<script"), "no script text as markup");
	OK(!strstr(html, "avascript:") && !strstr(html, "aVaScRiPt:"), "javascript: links dropped");
	OK(strstr(html, "href=\"https://ok.example\"") != NULL, "safe link kept");
	OK(!strstr(html, "<!--"), "comments dropped");
	OK(strstr(html, "[image not included: \"static/loss.png\"]</span>@h") != NULL,
	   "a local image named, its address in quotes: %s", html);
	buf_free(&out);

	char *ex = notes_excerpt("# Heading\n\nFirst *para* line\ncontinues.\n\nSecond.", 100);
	STR_EQ(ex, "First para line continues.", "excerpt is the first paragraph");
	free(ex);
	ex = notes_excerpt("ééééé", 3);
	OK(strlen(ex) <= 3 + strlen("…") && str_ends(ex, "…"), "excerpt cut at a UTF-8 boundary: %s",
	   ex);
	free(ex);
	ex = notes_excerpt(NULL, 10);
	STR_EQ(ex, "", "no description");
	free(ex);
}

static void test_formatters(void)
{
	char b[64];
	fmt_duration(b, sizeof b, 61500);
	STR_EQ(b, "1m 01s", "duration minutes");
	fmt_duration(b, sizeof b, 3 * 3600000 + 5 * 60000);
	STR_EQ(b, "3h 05m", "duration hours");
	fmt_duration(b, sizeof b, 250);
	STR_EQ(b, "250 ms", "duration ms");
	fmt_duration(b, sizeof b, TIME_UNKNOWN);
	STR_EQ(b, "—", "duration unknown");
	fmt_time_utc(b, sizeof b, 0);
	STR_EQ(b, "1970-01-01T00:00:00Z", "epoch");
	fmt_time_utc(b, sizeof b, 1700000000123LL);
	STR_EQ(b, "2023-11-14T22:13:20Z", "time");
	fmt_size(b, sizeof b, 123456);
	STR_EQ(b, "121 KiB", "size KiB");
	fmt_size(b, sizeof b, 1536);
	STR_EQ(b, "1.5 KiB", "size 1.5 KiB");
	fmt_size(b, sizeof b, 12);
	STR_EQ(b, "12 B", "size bytes");
	fmt_size(b, sizeof b, -1);
	STR_EQ(b, "—", "size unknown");
}

/* Finds the run page whose file name starts with prefix. Caller frees. */
static char *find_page(const char *site, const char *prefix)
{
	char *dir = path_join(site, "runs");
	DIR *d = opendir(dir);
	char *found = NULL;
	for (struct dirent *de; d && !found && (de = readdir(d));)
		if (str_starts(de->d_name, prefix) && str_ends(de->d_name, ".html"))
			found = path_join(dir, de->d_name);
	if (d)
		closedir(d);
	free(dir);
	return found;
}

static void test_build(const char *tmp)
{
	char *site = path_join(tmp, "a/site");
	const char *basic[] = {"basic"};
	INT_EQ(build(site, basic, 1, 1, false), EXIT_OK, "basic build");
	char *marker = path_join(site, ".runsite-site");
	OK(exists(marker), "site marker written");
	free(marker);
	char *idx = path_join(site, "index.html");
	char *css = path_join(site, "assets/style.css");
	char *js = path_join(site, "assets/site.js");
	OK(exists(idx) && exists(css) && exists(js), "index and assets written");
	free(css);
	free(js);
	struct page_stats ps = check_site(site);
	INT_EQ(ps.bad_links, 0, "every relative link names an existing file");
	OK(ps.links > 10, "links were checked (%d)", ps.links);
	INT_EQ(ps.scripts_inline, 0, "no script but the site's own");

	/* Exact values in data-value, the shown value beside it. */
	char *page = find_page(site, "brisk-owl-");
	OK(page != NULL, "run page named from the run name");
	char *html = page ? slurp(page) : NULL;
	char exact[40];
	fmt_double(exact, sizeof exact, 2.0 - 0.03 * 49);
	char *want = xasprintf("data-value=\"%s\"", exact);
	OK(html && strstr(html, want), "last val/loss exact in %s", want);
	free(want);
	OK(html && strstr(html, "../experiments/baseline.html"), "experiment link");
	OK(html && strstr(html, "calm-fox-"), "child run listed");
	OK(html && strstr(html, "<table>") && strstr(html, "<del>old</del>"), "notes rendered");
	OK(html && strstr(html, "System tags"), "mlflow.* tags apart");
	free(html);
	free(page);
	page = find_page(site, "calm-fox-");
	html = page ? slurp(page) : NULL;
	OK(html && strstr(html, "Parent run") && strstr(html, "href=\"brisk-owl-"),
	   "parent run linked");
	free(html);
	free(page);
	html = slurp(idx);
	OK(html && strstr(html, ">lr<") && strstr(html, ">batch<"),
	   "index shows lr and batch (missing in one run: it varies)");
	OK(html && strstr(html, "last ↓"), "a goal metric's column says the point it shows (last by default)");
	free(html);
	char *exp = path_join(site, "experiments/baseline.html");
	html = slurp(exp);
	OK(html && strstr(html, "<strong>baseline</strong>"), "experiment description rendered");
	OK(html && strstr(html, ">lr<") && !strstr(html, ">batch<"),
	   "experiment page shows the params that vary within it (lr), not batch");
	free(html);
	free(exp);

	/* Determinism: other folder, other thread count, same bytes. */
	char *site2 = path_join(tmp, "b/site");
	INT_EQ(build(site2, basic, 1, 4, false), EXIT_OK, "second build with 4 jobs");
	char **f1 = NULL, **f2 = NULL;
	size_t n1 = 0, n2 = 0, c1 = 0, c2 = 0;
	list_files(site, NULL, &f1, &n1, &c1);
	list_files(site2, NULL, &f2, &n2, &c2);
	INT_EQ(n1, n2, "same number of files");
	int same = n1 == n2;
	for (size_t i = 0; same && i < n1; i++) {
		if (strcmp(f1[i], f2[i]) != 0) {
			same = 0;
			break;
		}
		char *p1 = path_join(site, f1[i]), *p2 = path_join(site2, f2[i]);
		struct buf b1 = BUF_INIT, b2 = BUF_INIT;
		read_file(p1, &b1, 64u << 20);
		read_file(p2, &b2, 64u << 20);
		if (b1.size != b2.size || (b1.size && memcmp(b1.data, b2.data, b1.size) != 0)) {
			printf("# differs: %s\n", f1[i]);
			same = 0;
		}
		buf_free(&b1);
		buf_free(&b2);
		free(p1);
		free(p2);
	}
	OK(same, "two builds are byte-identical");
	free_list(f1, n1);
	free_list(f2, n2);

	/* Rebuilding over our own site works; a failed build leaves it whole. */
	char *before = slurp(idx);
	INT_EQ(build(site, basic, 1, 1, false), EXIT_OK, "rebuild over own site");
	sabotage_parent = path_join(tmp, "a");
	const char *sab[] = {"sabotage"};
	INT_EQ(build(site, sab, 1, 1, false), EXIT_OUTPUT, "a failing build reports an output error");
	char *after = slurp(idx);
	OK(before && after && strcmp(before, after) == 0, "previous site intact after failure");
	free(after);
	const char *none[] = {"unreadable"};
	INT_EQ(build(site, none, 1, 1, false), EXIT_NO_INPUT, "nothing read: no input");
	after = slurp(idx);
	OK(before && after && strcmp(before, after) == 0, "previous site intact when nothing read");
	free(after);
	free(before);
	/* No temporary folder is left beside the site. */
	char **left = NULL;
	size_t nl = 0, cl = 0;
	DIR *d = opendir(sabotage_parent);
	for (struct dirent *de; d && (de = readdir(d));)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			GROW(left, cl, nl + 1);
			left[nl++] = xstrdup(de->d_name);
		}
	if (d)
		closedir(d);
	OK(nl == 1 && strcmp(left[0], "site") == 0, "only the site is left beside it (%zu entries)",
	   nl);
	free_list(left, nl);
	free(sabotage_parent);

	/* Duplicate runs from a second store are skipped. */
	char *site3 = path_join(tmp, "c/site");
	const char *two[] = {"basic", "dup"};
	INT_EQ(build(site3, two, 2, 1, false), EXIT_OK, "two stores");
	char *copy = find_page(site3, "brisk-owl-copy");
	OK(copy == NULL, "the duplicate run was skipped");
	free(copy);
	copy = find_page(site3, "other-");
	OK(copy != NULL, "the other run of the second store is there");
	free(copy);

	free(idx);
	free(site);
	free(site2);
	free(site3);
}

static void test_foreign_dir(const char *tmp)
{
	char *dir = path_join(tmp, "foreign");
	mkdir(dir, 0755);
	char *precious = path_join(dir, "precious.txt");
	FILE *f = fopen(precious, "w");
	fputs("keep me", f);
	fclose(f);
	const char *basic[] = {"basic"};
	INT_EQ(build(dir, basic, 1, 1, false), EXIT_OUTPUT, "refuses a non-empty foreign folder");
	OK(exists(precious), "foreign file untouched");
	char *idx = path_join(dir, "index.html");
	OK(!exists(idx), "nothing written into it");
	INT_EQ(build(dir, basic, 1, 1, true), EXIT_OK, "--force replaces it");
	OK(exists(idx), "site written with --force");
	free(idx);
	free(precious);

	char *empty = path_join(tmp, "empty");
	mkdir(empty, 0755);
	INT_EQ(build(empty, basic, 1, 1, false), EXIT_OK, "an empty folder is fine");
	free(empty);

	char *file = path_join(tmp, "afile");
	f = fopen(file, "w");
	fclose(f);
	INT_EQ(build(file, basic, 1, 1, true), EXIT_OUTPUT, "a file is never replaced");
	free(file);

	/* The output may not overlap an input store. */
	char *cwd = realpath(".", NULL);
	char *inside = path_join(cwd, "basic/site");
	INT_EQ(build(inside, basic, 1, 1, true), EXIT_OUTPUT, "refuses a folder inside a store");
	OK(!exists("basic"), "nothing made inside the store");
	free(inside);
	free(cwd);
	free(dir);
}

static void test_hostile(const char *tmp)
{
	char *parent = path_join(tmp, "h");
	mkdir(parent, 0755);
	char *site = path_join(parent, "site");
	const char *hostile[] = {"hostile"};
	INT_EQ(build(site, hostile, 1, 2, false), EXIT_OK, "hostile build");
	DIR *d = opendir(parent);
	int others = 0;
	for (struct dirent *de; d && (de = readdir(d));)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "site"))
			others++;
	if (d)
		closedir(d);
	INT_EQ(others, 0, "nothing written beside the site");
	OK(!exists("/tmp/etc") && !exists("etc"), "no path escape");
	struct page_stats ps = check_site(site);
	INT_EQ(ps.scripts_inline, 0, "no injected script element");
	INT_EQ(ps.js_links, 0, "no javascript:/vbscript:/data: link");
	INT_EQ(ps.event_attrs, 0, "no event handler attribute");
	INT_EQ(ps.bad_links, 0, "every link resolves");
	char **files = NULL;
	size_t n = 0, cap = 0;
	list_files(site, NULL, &files, &n, &cap);
	int unsafe = 0;
	for (size_t i = 0; i < n; i++) {
		const char *base = strrchr(files[i], '/');
		base = base ? base + 1 : files[i];
		if (strspn(files[i], "abcdefghijklmnopqrstuvwxyz0123456789._-/") != strlen(files[i]) ||
		    strstr(files[i], "..") || strlen(base) > SLUG_MAX + 16)
			unsafe++, printf("# unsafe name %s\n", files[i]);
	}
	INT_EQ(unsafe, 0, "every file name is a safe slug");
	free_list(files, n);

	char *page = find_page(site, "script-alert-1-script-");
	OK(page != NULL, "hostile run page exists");
	char *text = page ? page_text(page) : xstrdup("");
	OK(strstr(text, "<script>alert(1)</script>") != NULL, "the hostile name shows as text");
	OK(strstr(text, "a\"b'c&d<e>f &amp; &lt;") != NULL, "param value shows verbatim");
	OK(strstr(text, "Hello") && strstr(text, "world"), "note text kept");
	free(text);
	char *html = page ? slurp(page) : NULL;
	OK(html && !strstr(html, "<iframe"), "no iframe from notes");
	OK(html && strstr(html, "href=\"https://example.com/a?b=1&amp;c=2\""), "safe link kept");
	free(html);
	free(page);
	char *exp = path_join(site, "experiments/etc-passwd.html");
	OK(exists(exp), "experiment ../../etc/passwd becomes experiments/etc-passwd.html");
	free(exp);
	free(site);
	free(parent);
}

/* A user's own index.html is used; the other templates come from the binary. */
static void test_user_templates(const char *tmp)
{
	char *dir = path_join(tmp, "tpl");
	mkdir(dir, 0755);
	char *idx = path_join(dir, "index.html");
	FILE *f = fopen(idx, "w");
	fputs("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title data-rs=\"page-title\">"
	      "</title></head><body><h1>My own front page</h1><ul><li data-rs=\"exp-row\">"
	      "<a data-rs=\"exp-link\" href=\"x.html\">x</a></li></ul></body></html>\n",
	      f);
	fclose(f);
	char *site = path_join(tmp, "t/site");
	const char *basic[] = {"basic"};
	templates_dir = dir;
	INT_EQ(build(site, basic, 1, 1, false), EXIT_OK, "build with --templates");
	char *out = path_join(site, "index.html");
	char *html = slurp(out);
	OK(html && strstr(html, "My own front page") &&
	           strstr(html, "href=\"experiments/baseline.html\""),
	   "the user's index template is filled");
	free(html);
	free(out);
	out = find_page(site, "brisk-owl-");
	OK(out != NULL, "run pages from the built-in template");
	free(out);
	char *missing = path_join(tmp, "no-such-folder");
	templates_dir = missing;
	char *site2 = path_join(tmp, "t2/site");
	INT_EQ(build(site2, basic, 1, 1, false), EXIT_USAGE, "--templates that is not a folder");
	templates_dir = NULL;
	free(missing);
	free(site2);
	free(site);
	free(idx);
	free(dir);
}

/* Opens a site of one job at tmp/sub with the default options (so lives as
 * long as s). Returns its folder, which the caller frees. */
static char *open_site_in(const char *tmp, const char *sub, struct site_opts *so, struct site *s)
{
	site_opts_defaults(so);
	char *out = path_join(tmp, sub);
	so->out_dir = out;
	so->jobs = 1;
	memset(s, 0, sizeof *s);
	INT_EQ(site_open(s, so, NULL, 0), EXIT_OK, "site opened");
	return out;
}

/* Once a run's charts are drawn it keeps only its summaries: the decimated
 * copies wait in the spill file, and the sparkline drawn from there is the
 * one drawn from memory. */
static void test_run_memory_flat(const char *tmp)
{
	struct site_opts so;
	struct site s;
	char *out = open_site_in(tmp, "flat/site", &so, &s);
	struct run *r = run_new("test", "mem");
	r->id = xstrdup("flat-run");
	r->name = xstrdup("flat-run");
	struct series *se = run_series(r, "loss");
	for (int i = 0; i < 5000; i++)
		series_add(se, i, 1000 + i, 1.0 / (1 + i) + (i % 7) * 0.01);
	run_finish(r, 256);
	size_t ndec = r->metrics[0].ndec;
	struct chart_point *want = site_chart_points(r, r->metrics[0].dec, ndec, CHART_X_STEP);
	double want_end[2], got_end[2];
	char *a = chart_sparkline_path(want, ndec, 96, 24, want_end);
	OK(a != NULL, "sparkline from memory");
	static const char notes[] = "# flat-run\n\nNotes long enough to wait in the scratch file "
	                            "until the run page is written.\n";
	r->notes = xstrdup(notes);
	uint64_t notes_hash = 0;
	size_t i = site_add_run(&s, r, "e", NULL);
	notes_hash = site_run_notes_hash(&s.runs[i]);
	OK(site_run_charts(&s, &s.runs[i]), "charts drawn");
	site_run_park_notes(&s, &s.runs[i]);
	run_slim(r);
	OK(r->notes == NULL && s.runs[i].notes_at, "the notes left memory");
	char *back = site_run_notes(&s, &s.runs[i]);
	STR_EQ(back ? back : "(none)", notes, "and come back for the run page");
	free(back);
	OK(site_run_notes_hash(&s.runs[i]) == notes_hash, "the page's fingerprint of them is the same");
	OK(r->metrics == NULL && run_dec(r, 0) == NULL, "the series and its decimated copy left memory");
	INT_EQ(run_sum(r, 0)->ndec, ndec, "its count is kept");
	struct site_run *sr = &s.runs[i];
	OK(sr->charts == NULL && sr->ncharts == 1, "the chart list left memory too");
	OK(site_run_charts_load(&s, sr), "and comes back for the run page");
	OK(sr->charts && sr->charts[0].metric == 0 && strcmp(sr->charts[0].slug, "loss") == 0 &&
	           sr->charts[0].data && strcmp(sr->charts[0].data, "loss.points.js") == 0,
	   "with its metric, stem and points file");
	OK(sr->charts && str_starts(sr->charts[0].alt, "Line chart of loss for 1 run. flat-run: last ") &&
	           str_ends(sr->charts[0].alt, "points drawn."),
	   "and its description: %s", sr->charts ? sr->charts[0].alt : "(none)");
	site_run_charts_unload(sr);
	OK(sr->charts == NULL, "until the page is written");
	char *b = run_sparkline(&s, &s.runs[i], "loss", got_end);
	OK(b != NULL, "sparkline drawn from the spill file");
	OK(a && b && strcmp(a, b) == 0 && want_end[0] == got_end[0] && want_end[1] == got_end[1],
	   "and it is the sparkline drawn from memory");
	free(a);
	free(b);
	free(want);
	site_free(&s);
	free(out);
}

/* A run's chart is described once: the SVG's <desc> is its alt text too
 * (describing walks every point; it was done again for the page). */
static void test_described_once(const char *tmp)
{
	struct site_opts so;
	struct site s;
	char *out = open_site_in(tmp, "described/site", &so, &s);
	struct run *r = run_new("test", "described");
	r->id = xstrdup("described-run");
	r->name = xstrdup("described-run");
	for (int m = 0; m < 2; m++) {
		struct series *se = run_series(r, m ? "acc" : "loss");
		for (int i = 0; i < 3000; i++)
			series_add(se, i, 1000 + i, m + 1.0 / (1 + i));
	}
	run_finish(r, 256);
	size_t i = site_add_run(&s, r, "e", NULL);
	unsigned long before = chart_describe_calls();
	OK(site_run_charts(&s, &s.runs[i]), "charts drawn");
	INT_EQ(chart_describe_calls() - before, 2, "two charts, each described once");
	struct site_run *sr = &s.runs[i];
	OK(site_run_charts_load(&s, sr) && sr->ncharts == 2, "their list comes back");
	for (size_t c = 0; sr->charts && c < sr->ncharts; c++) {
		char *rel = xasprintf("runs/%s/%s.svg", sr->slug, sr->charts[c].slug);
		char *path = path_join(s.tmp, rel);
		struct buf svg = BUF_INIT;
		OK(read_file(path, &svg, 1 << 24), "%s written", rel);
		OK(strstr(buf_cstr(&svg), sr->charts[c].alt) != NULL,
		   "the alt text of %s is its SVG's description", rel);
		buf_free(&svg);
		free(path);
		free(rel);
	}
	site_run_charts_unload(sr);
	site_free(&s);
	free(out);
}

/* Heap bytes in use (malloc's arenas and its mmapped blocks; one thread). */
static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

/* What the site holds for a run from its reading to its pages, counted by
 * the allocator over hundreds of runs of one shape (6 metrics of 300 points,
 * 12 params, 6 charts): its metrics' summaries (96 bytes each, no series),
 * the texts it shares with the others held once and the rest in one block
 * (no room its lists grew by, no allocation of its own for each text), no
 * chart descriptions and no build cache rows for its files, within a bound
 * (bytes a run) that the memory of 10,000 runs depends on.
 * SQLite's own heap (the cache rows' staging database) is left out: its
 * page cache is bounded, and fills over these few runs; so is the room not
 * yet cut from the slab run blocks come from (64 KB at a time). */
static void test_bytes_per_run(const char *tmp)
{
	struct site_opts so;
	struct site s;
	char *out = open_site_in(tmp, "perrun/site", &so, &s);
	chart_fonts_load(so.chart_formats);
	/* The counts are powers of two, so the site's arrays are as full at
	 * both ends of the count. */
	enum { WARM = 128, RUNS = 512 };
	static const char *const metrics[] = {"train/loss", "val/loss", "train/accuracy",
	                                      "val/accuracy", "lr", "grad_norm"};
	static const char *const params[] = {"batch_size", "dropout",     "epochs",
	                                     "hidden_size", "lr",         "model",
	                                     "num_layers", "optimizer",   "scheduler",
	                                     "seed",       "warmup_frac", "weight_decay"};
	size_t before = 0;
	int ok = 1;
	for (int i = 0; i < RUNS && ok; i++) {
		if (i == WARM)
			before = heap_in_use() - (size_t)sqlite3_memory_used() - run_slab_unused();
		char id[64], name[64], v[32];
		snprintf(id, sizeof id, "4f1c2a9b8e7d6c5b%016x", (unsigned)i * 2654435761u);
		snprintf(name, sizeof name, "version_%d", i);
		struct run *r = run_new("lightning-csv", "/data/lightning_logs");
		r->id = xstrdup(id);
		r->name = xstrdup(name);
		r->experiment_name = xstrdup("lightning_logs");
		r->status = xstrdup("FINISHED");
		for (size_t p = 0; p < sizeof params / sizeof params[0]; p++) {
			snprintf(v, sizeof v, "%d", p == 9 ? 1000 + i : (int)p * 16 + i % 4);
			kvlist_add(&r->params, params[p], v);
		}
		for (int m = 0; m < 6; m++) {
			struct series *se = run_series(r, metrics[m]);
			for (int k = 0; k < 300; k++)
				series_add(se, k, 1700000000000LL + k * 1000,
				           1.0 / (1 + k + i) + (k % 7) * 0.01 * m);
		}
		/* Notes the size genruns.py writes; they wait in the scratch file. */
		struct buf notes = BUF_INIT;
		buf_printf(&notes, "# %s\n\n", name);
		while (notes.size < 800)
			buf_printf(&notes, "- run %d, line %zu: the loss falls, the accuracy rises.\n", i,
			           notes.size);
		r->notes = buf_detach(&notes);
		run_finish(r, 256);
		size_t idx = site_add_run(&s, r, "lightning_logs", NULL);
		ok = site_run_charts(&s, &s.runs[idx]);
		site_run_park_notes(&s, &s.runs[idx]); /* as the build does, after the run cache */
		run_slim(r);
	}
	OK(ok, "charts drawn");
	size_t after = heap_in_use() - (size_t)sqlite3_memory_used() - run_slab_unused();
	if (before == 0 || after < before) {
		SKIP("this allocator does not count with mallinfo2 (a sanitizer's)");
	} else {
		size_t per_run = (after - before) / (RUNS - WARM);
		OK(per_run <= 1210, "a read and drawn run holds %zu bytes (at most 1,210)", per_run);
	}
	site_free(&s);
	free(out);
}

/* The build cache holds no memory per file it records: its rows wait in a
 * database on disk past a bounded page cache, and come out in path order.
 * Tens of thousands of rows (a site of a few thousand runs) are recorded,
 * and the heap counted between the first half and the end. */
static void test_cache_rows_not_held(const char *tmp)
{
	enum { WARM = 24000, ROWS = 48000 };
	char *site = path_join(tmp, "cache-rows");
	char *dir = path_join(site, "runs");
	OK(make_dirs(dir, 0777), "site folder made");
	struct build_cache *c = cache_open(NULL, site);
	size_t before = 0;
	int made = 1;
	for (int i = 0; i < ROWS && made; i++) {
		if (i == WARM)
			before = heap_in_use();
		/* Not in path order, as chart workers record them. */
		char rel[96], fp[CHART_FINGERPRINT_LEN + 1];
		snprintf(rel, sizeof rel, "runs/version-%05u-4f1c2a9b-train-accuracy-%d.svg",
		         (unsigned)((i * 7919u) % ROWS), i % 6);
		snprintf(fp, sizeof fp, "%032x", (unsigned)i * 2654435761u);
		char *path = path_join(site, rel);
		FILE *f = fopen(path, "w");
		made = f && fputs("<svg/>", f) >= 0 && fclose(f) == 0;
		free(path);
		struct chart_info info = {.points_total = (uint64_t)i, .points_drawn = (uint64_t)i / 2, .log_y = i % 2};
		cache_record(c, rel, fp, &info);
	}
	OK(made, "chart files made");
	size_t after = heap_in_use();
	if (before == 0 || after < before) {
		SKIP("this allocator does not count with mallinfo2 (a sanitizer's)");
	} else {
		size_t per_row = (after - before) / (ROWS - WARM);
		OK(per_row <= 8, "a recorded chart holds %zu bytes (at most 8)", per_row);
	}
	OK(cache_write(c), "cache written");
	INT_EQ(cache_lists(c, "runs/version-00000-4f1c2a9b-train-accuracy-0.svg"), 1,
	       "the cache lists a recorded chart");
	INT_EQ(cache_lists(c, "runs/version-00000-4f1c2a9b-train-accuracy-1.svg"), 0,
	       "and not a file it was not given");
	cache_close(c, 0, NULL, NULL, NULL);
	char *db_path = path_join(site, CACHE_FILE);
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int rows = 0, ordered = 1;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT path FROM charts", -1, &q, NULL) == SQLITE_OK) {
		char last[96] = "";
		while (sqlite3_step(q) == SQLITE_ROW) {
			const char *p = (const char *)sqlite3_column_text(q, 0);
			ordered &= strcmp(last, p) < 0;
			snprintf(last, sizeof last, "%s", p);
			rows++;
		}
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	INT_EQ(rows, ROWS, "the cache file holds every row");
	OK(ordered, "in path order");
	free(db_path);
	free(dir);
	free(site);
}

/* The runs tables' sparkline paths in their short form draw the same points. */
static void test_spark_compact(void)
{
	char *c = spark_compact("M2 20L4 19L5 17.5M10 3L12 3M20 5M30 1L29 1.5");
	STR_EQ(c, "M2 20l2-1 1-1.5M10 3l2 0M20 5M30 1l-1 0.5", "lines after a move relative, moves absolute");
	free(c);
	c = spark_compact("");
	STR_EQ(c, "", "an empty path stays empty");
	free(c);
}

int main(void)
{
	diag_set_quiet(1);
	char tmpl[] = "/tmp/test_site.XXXXXX";
	char *tmp = mkdtemp(tmpl);
	if (!tmp) {
		perror("mkdtemp");
		return 1;
	}
	test_slugs();
	test_template_escaping();
	test_notes();
	test_formatters();
	test_spark_compact();
	test_build(tmp);
	test_foreign_dir(tmp);
	test_hostile(tmp);
	test_user_templates(tmp);
	test_run_memory_flat(tmp);
	test_described_once(tmp);
	test_bytes_per_run(tmp);
	test_cache_rows_not_held(tmp);
	rm_rf(tmp);
	return TEST_END();
}
