/* site_internal.h — what the files of src/site/ share: slugs, the template
 * filler, Markdown notes, and the build state the pages are written from. */
#ifndef RUNSITE_SITE_INTERNAL_H
#define RUNSITE_SITE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "runsite/compare.h"
#include "runsite/diag.h"
#include "runsite/goal.h"
#include "runsite/model.h"
#include "runsite/site.h"
#include "runsite/util.h"

/* ---- slug.c: safe, unique file names ---- */

#define SLUG_MAX 64 /* bytes of a slug before any "-N" suffix */

/* A set of slugs already handed out (sorted, for bsearch). */
struct slugset {
	char **items;
	size_t n, cap;
};

/* The slug of s: [a-z0-9._-] only, no leading or trailing separator, never
 * "." or "..", at most maxlen bytes, never a reserved Windows device name;
 * `fallback` when nothing of s survives. Caller frees. */
char *slug_from(const char *s, size_t maxlen, const char *fallback);
/* A slug not yet in set, made from base (adding "-2", "-3", ... when taken),
 * recorded in set. Returns the set's copy (freed with the set). */
const char *slug_claim(struct slugset *set, const char *base);
void slugset_free(struct slugset *set);
/* 8 lowercase hex digits of a stable 64-bit FNV-1a hash of s, into out[9]. */
void slug_hash8(char out[9], const char *s);
/* A run's slug: its name's slug, '-', the hash of its id (or the id's slug
 * alone when the run is named by its id); claimed in set. */
const char *slug_run(struct slugset *set, const char *name, const char *id);

/* ---- tmpdir.c: the temporary folder a site is built in ---- */

/* Makes "<out>.tmp-XXXXXX" beside out (absolute), marked as this build's
 * and registered for removal on a fatal exit. Caller frees; NULL with errno. */
char *site_tmp_make(const char *out);
/* Takes the marker out of tmp, which is about to become the site. */
void site_tmp_unmark(const char *tmp);
/* tmp is gone or swapped in: unmarked, no longer removed on a fatal exit. */
void site_tmp_done(const char *tmp);
/* Removes the temporary folders beside out that builds which have ended
 * left (killed outright); a folder without runsite's marker, or whose build
 * still runs, is never touched. Says what it removed unless quiet. */
void site_tmp_sweep(const char *out, int quiet);

/* ---- tmpl.c: templates filled through libxml2's tree ---- */

/* Parses template text (UTF-8 HTML) into a document, with every element
 * marked data-rs="mock" (sample content for the mock-up) removed. NULL when
 * libxml2 could not make a document of it (not reported). */
htmlDocPtr tmpl_parse(const char *text, size_t len);
/* The first element at or below n whose data-rs is marker, in document order; or NULL. */
xmlNodePtr tmpl_find(xmlNodePtr n, const char *marker);
/* Replaces n's children with one text node holding text verbatim (escaped on
 * output); NULL is the empty text. */
void tmpl_set_text(xmlNodePtr n, const char *text);
/* Sets attribute name to value verbatim (escaped on output); NULL removes it. */
void tmpl_set_attr(xmlNodePtr n, const char *name, const char *value);
/* Appends cls to n's class attribute. */
void tmpl_add_class(xmlNodePtr n, const char *cls);
/* Removes from n's class attribute every class that starts with prefix. */
void tmpl_drop_classes(xmlNodePtr n, const char *prefix);
/* A deep copy of tpl inserted just before it; the caller fills it. */
xmlNodePtr tmpl_clone(xmlNodePtr tpl);
/* Unlinks and frees n (NULL is fine), with the blank line it stood on. */
void tmpl_remove(xmlNodePtr n);
/* Appends a new element called name, with optional text, to parent. */
xmlNodePtr tmpl_add_elem(xmlNodePtr parent, const char *name, const char *text);
/* Sets the text of every element marked marker at or below n (NULL: empty). */
void tmpl_fill(xmlNodePtr n, const char *marker, const char *text);
/* Fixes up links for a page depth folders below the site root: the template
 * writes site links as from templates/ ("../assets/style.css"); at depth 0
 * the leading "../" of href/src of elements marked "link" is dropped. */
void tmpl_relink(htmlDocPtr doc, int depth);
/* Removes every data-rs attribute and serialises doc as UTF-8 HTML into out. */
void tmpl_serialize(htmlDocPtr doc, struct buf *out);

/* ---- notes.c: Markdown through cmark-gfm ---- */

/* Registers cmark-gfm's extensions; call once before any thread renders. */
void notes_init(void);
/* Renders Markdown md (untrusted) as HTML nodes appended to parent: GFM
 * tables, strikethrough, autolinks and task lists; raw HTML, scripts and
 * unsafe link schemes dropped; headings demoted by `demote` levels. */
void notes_render(xmlNodePtr parent, const char *md, int demote);
/* A plain-text excerpt of Markdown md: its first paragraph, at most max
 * bytes (cut at a UTF-8 boundary, with "…"). Caller frees. */
char *notes_excerpt(const char *md, size_t max);

/* ---- the build state (site.c) read by the pages (pages.c) ---- */

struct site_chart {
	size_t metric;   /* index into run->metrics */
	char *slug;      /* file name stem below runs/<run-slug>/ */
	char *alt;       /* chart_describe() text */
};

struct site_run {
	struct run *run;         /* slimmed once its charts are written */
	const char *slug;        /* owned by the run slug set */
	int color;               /* palette index, order of arrival */
	size_t exp;              /* index into site.exps */
	size_t *children;        /* indexes of runs whose parent this is */
	size_t nchildren, capchildren;
	long parent;             /* index of the parent run, or -1 */
	struct site_chart *charts;
	size_t ncharts, capcharts;
	int spark;               /* the primary metric's sparkline: 0 not tried, 1 drawn, -1 none */
	/* Series longer than their decimated copy, kept for the overlays as
	 * chart points in a file of the build folder (SPILL_DIR/<slug>), so an
	 * overlay is drawn from every point without holding them in memory:
	 * metric i is spill_n[i] points at byte spill_off[i] (0 points: none). */
	uint64_t *spill_off;
	size_t *spill_n;
};

struct site_exp {
	char *name;
	const char *slug;        /* owned by the experiment slug set */
	char *description;       /* Markdown; may be NULL */
	size_t *runs;            /* indexes into site.runs, sorted for display at the end */
	size_t nruns, capruns;
};

/* A map from run id to run index (open addressing). */
struct idmap {
	const char **keys;
	size_t *vals;
	size_t n, cap;
};

/* A compare page: runs side by side, the first one the reference. */
struct site_compare {
	char *title;             /* "a vs b" */
	const char *slug;        /* owned by the compare slug set */
	size_t *runs;            /* indexes into site.runs; runs[0] is the reference */
	size_t n;
	long exp;                /* the experiment it belongs to, or -1 (runs of several) */
};

struct site {
	const struct site_opts *opts;
	const struct reader_opts *ropts;
	char *tmp;                /* the temporary folder the site is built in */
	struct site_run *runs;
	size_t nruns, capruns;
	size_t *order;             /* run indexes in display order: newest first */
	struct site_exp *exps;
	size_t nexps, capexps;
	struct slugset run_slugs, exp_slugs;
	struct idmap ids;
	struct kvlist store_exps;  /* experiment id → name/description for the current store */
	struct kvlist store_descs;
	const char *store_path;
	size_t store_no, nstores;  /* for the progress line */
	int failed;                /* a file could not be written: the build is abandoned */
	struct buf tpl_index, tpl_exp, tpl_run, tpl_cmp;
	const char *primary;       /* the goal metric the best run is named for; may be NULL */
	long baseline;             /* index of the --baseline run, or -1 */
	struct site_compare *cmps;
	size_t ncmps, capcmps;
	struct slugset cmp_slugs;
	struct chart_pool *charts; /* workers drawing run charts while reading; NULL: in line */
	struct build_cache *cache; /* the build cache: charts of the last build to reuse */
};

/* Writes data to tmp-relative path rel (folders made as needed). Returns 1,
 * or 0 after reporting. */
int site_write(struct site *s, const char *rel, const void *data, size_t n);
/* Makes tmp-relative folder rel. Returns 1, or 0 after reporting. */
int site_mkdir(struct site *s, const char *rel);
/* The index of the run with id, or -1. */
long site_find_run(const struct site *s, const char *id);

/* The build folder's scratch folder for spilled series, removed before the
 * site is swapped in. */
#define SPILL_DIR ".spill"

/* ---- cache.c: the build cache ---- */

/* The cache's file, inside the site. */
#define CACHE_FILE ".runsite-cache.sqlite"

struct build_cache;
/* Opens the cache of the site in old_site (it may have none; NULL: reuse
 * nothing) for a build into new_site. Never fails: without a usable cache
 * every chart is drawn. */
struct build_cache *cache_open(const char *old_site, const char *new_site);
/* When the last build wrote site-relative file rel with fingerprint fp and
 * it is still there, puts it into the new site, fills *info and returns 1. */
int cache_reuse(struct build_cache *c, const char *rel, const char *fp, struct chart_info *info);
/* Notes a chart file drawn by this build (size bytes). */
void cache_record(struct build_cache *c, const char *rel, const char *fp,
                  const struct chart_info *info, int64_t size);
/* Writes the new site's cache file when `write`, tells how many charts were
 * reused and drawn, and frees c (NULL: nothing to do). Returns 0 after
 * reporting a write error. */
int cache_close(struct build_cache *c, int write, size_t *reused, size_t *drawn);

/* ---- pages.c ---- */

/* Draws the charts of a run that still has its full series (before run_slim). */
int page_run_charts(struct site *s, struct site_run *sr);
/* Writes runs/<slug>.html, experiments/<slug>.html (with overlay charts), index.html. */
int page_run(struct site *s, size_t i);
int page_experiment(struct site *s, size_t e);
int page_index(struct site *s);
/* Writes compare/<slug>.html with its overlay charts. */
int page_compare(struct site *s, size_t c);
/* Works out the primary metric, the baseline and the compare pages from
 * the options, once every run is read and arranged; bad names are warned
 * about and left out. */
void site_plan_compares(struct site *s);
/* The direction of metric key under the --goal rules. */
enum goal site_goal(const struct site *s, const char *key);

/* Display helpers shared by the pages and the tests. */
void fmt_duration(char *out, size_t outsz, int64_t ms);
void fmt_time_utc(char *out, size_t outsz, int64_t ms);
void fmt_size(char *out, size_t outsz, int64_t bytes);

#endif
