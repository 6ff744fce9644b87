/* site_internal.h — what the files of src/site/ share: slugs, the template
 * filler, Markdown notes, the output folder, the build cache, chart specs
 * and files (charts.c) and the helpers every page uses (pages.c). */
#ifndef RUNSITE_SITE_INTERNAL_H
#define RUNSITE_SITE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "runsite/compare.h"
#include "runsite/diag.h"
#include "runsite/goal.h"
#include "runsite/model.h"
#include "runsite/plan.h"
#include "runsite/site.h"
#include "runsite/util.h"

/* ---- slug.c: safe, unique file names ---- */

#define SLUG_MAX 64 /* bytes of a slug before any "-N" suffix */

/* struct slugset (site.h): slugs already handed out, sorted for bsearch. */

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

/* The marker file in the temporary folder (never part of the site). */
#define TMP_MARKER ".runsite-build"

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
/* Removes every data-rs attribute and every link to an in-page "#id" the
 * page does not hold (a nav's link goes, elsewhere its text stays), and
 * serialises doc as UTF-8 HTML into out. */
void tmpl_serialize(htmlDocPtr doc, struct buf *out);

/* ---- notes.c: Markdown through cmark-gfm ---- */

/* Registers cmark-gfm's extensions; call once before any thread renders. */
void notes_init(void);
/* Renders Markdown md (untrusted) as HTML nodes appended to parent: GFM
 * tables, strikethrough, autolinks and task lists; raw HTML, scripts and
 * unsafe link schemes dropped; headings demoted by `demote` levels. */
void notes_render(xmlNodePtr parent, const char *md, int demote);
/* What a page shows for an image that is not in it: its address in
 * quotes, which end it for a reader and for redaction, so text after it
 * does not join it into a URL's user part. Caller frees. */
char *notes_missing_image(const char *src);
/* A plain-text excerpt of Markdown md: its first paragraph, at most max
 * bytes (cut at a UTF-8 boundary, with "…"). Caller frees. */
char *notes_excerpt(const char *md, size_t max);

/* ---- writer.c: the output folder ---- */

/* Writes data to tmp-relative path rel (folders made as needed). Returns 1,
 * or 0 after reporting. */
int site_write(struct site *s, const char *rel, const void *data, size_t n);
/* Opens tmp-relative file rel (its folder exists) to be written in parts
 * with stdio; NULL after reporting. site_stream_close closes it: 1, or 0
 * after reporting a write error. */
FILE *site_stream_open(struct site *s, const char *rel);
int site_stream_close(struct site *s, FILE *f, const char *rel);
/* Makes tmp-relative folder rel (built in place, only when the site lacks
 * it: see site_new_file). Returns 1, or 0 after reporting. */
int site_mkdir(struct site *s, const char *rel);
/* The path in tmp of file rel that the caller writes itself (a chart), its
 * folder made when building in place. Caller frees. */
char *site_new_file(struct site *s, const char *rel);
/* Loads path ("templates/run.html") from the user's templates folder (by
 * its base name) when it is there, else from the binary. Returns 1, or 0
 * reported. */
int site_load_source(const struct site_opts *o, const char *path, struct buf *out);
/* Settles s->out from s->given: checks it may be written (see site_open),
 * makes its parent and the temporary folder s->tmp beside it; notes in s
 * whether out holds the marker of a commit that did not end, and which
 * cache file it holds. Returns 1, or 0 reported. */
int writer_open(struct site *s, const char *const *inputs, size_t ninputs);
/* Writes the assets and the marker that says the folder is runsite's. */
int writer_assets(struct site *s);
/* Removes the scratch folder and puts s->tmp in place of s->out. */
int writer_swap(struct site *s);
/* An incremental build (s->in_place) ends here: each file of s->tmp is
 * renamed over its old one in s->out, the files and folders of s->out that
 * are neither in s->tmp nor listed by s->cache (cache_lists) are removed,
 * and the cache file comes last; a marker in s->out says a commit is under
 * way. Returns 1, or 0 reported (s->out left as it was when nothing was
 * committed yet). */
int writer_commit(struct site *s);
/* Where site-relative file rel of this build is: in s->tmp, or (built in
 * place and not written by this build) in s->out. Caller frees. */
char *site_file_path(const struct site *s, const char *rel);

/* A set of site-relative paths (pathset.c). */
struct pathset *pathset_new(void);
/* Adds a copy of rel. */
void pathset_add(struct pathset *p, const char *rel);
int pathset_has(const struct pathset *p, const char *rel);
void pathset_free(struct pathset *p);
/* Removes s->tmp (a build that did not finish). */
void writer_discard(struct site *s);

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
 * it is still there, puts it into the new site (built in place: leaves it
 * where it is), fills *info and returns 1. */
int cache_reuse(struct build_cache *c, const char *rel, const char *fp, struct chart_info *info);
/* cache_reuse of each of a kept run's chart files (runcache.h), their
 * chart information not wanted: 1 when every one was taken. */
struct kept_file;
int cache_reuse_kept(struct build_cache *c, const struct kept_file *files, size_t n);
/* Notes a chart file drawn by this build (now in the new site). */
void cache_record(struct build_cache *c, const char *rel, const char *fp,
                  const struct chart_info *info);
/* The same for pages: puts the last build's page rel into the new site
 * when its inputs' fingerprint was fp and the file is unchanged (1), and
 * notes a page made by this build. c may be NULL (--no-cache). */
int cache_reuse_page(struct build_cache *c, const char *rel, const char *fp);
void cache_record_page(struct build_cache *c, const char *rel, const char *fp);
/* The same for a page with files of its own (experiments/<slug>/ with its
 * charts and their points, the runs table's rows data, the index's lists
 * of all runs): the page is reused only with every file the last build
 * listed for it, and recorded with files[0..nfiles) as they are now (each
 * a file, or a folder taken whole). */
int cache_reuse_page_dir(struct build_cache *c, const char *rel, const char *fp);
void cache_record_page_dir(struct build_cache *c, const char *rel, const char *fp,
                           const char *const *files, size_t nfiles);
/* The last build's file rel, listed with page (cache_record_page_dir), open
 * for reading when it is still the file the cache describes (its size, not
 * written since); else -1 (c may be NULL). What a page made again takes of
 * its last version: the rows of unchanged runs, the bands' run means. */
int cache_old_page_file(struct build_cache *c, const char *page, const char *rel);
/* Counts rows of runs tables (means: runs' means of overlay bands) taken
 * from those files and made, for RUNSITE_PHASES. */
void cache_count_taken(struct build_cache *c, bool means, size_t taken, size_t made);
/* Where those files are: below this folder of the site, by kind and the
 * page's own path (".runsite-pages/rows/experiments/<slug>.rows",
 * ".runsite-pages/bands/experiments/<slug>/band-0"). */
#define PAGES_CACHE_DIR ".runsite-pages"
/* When c holds the last build's cache, files taken from it stay in the old
 * site, which the build then commits into in place (writer_commit): 1.
 * Else 0, and files are taken into the new site as before. */
int cache_reuse_in_place(struct build_cache *c);
/* Whether this build's cache lists site-relative file rel (taken or made);
 * 0 for a NULL c. */
int cache_lists(struct build_cache *c, const char *rel);
/* Writes the new site's cache file (cache_close then with write 0).
 * Returns 0 after reporting a write error. */
int cache_write(struct build_cache *c);
/* Writes the new site's cache file when `write`, tells how many charts were
 * reused and drawn and how many pages reused, and frees c (NULL: nothing to
 * do). Returns 0 after reporting a write error. */
int cache_close(struct build_cache *c, int write, size_t *reused, size_t *drawn,
                size_t *pages_reused);

/* A page's fingerprint: everything its bytes depend on. page_fp_begin feeds
 * this runsite binary's digest, the page kind, its template and the build
 * options (fp_build_options in cache.c, the one place they enter); the
 * caller feeds the page's own inputs, then page_fp_end writes the hex
 * digest and frees h. NULL from page_fp_begin: make the page (no reuse). */
struct page_fp;
struct page_fp *page_fp_begin(const struct site *s, const char *kind, const struct buf *tpl);
void page_fp_str(struct page_fp *h, const char *s);
void page_fp_u64(struct page_fp *h, uint64_t v);
void page_fp_bytes(struct page_fp *h, const void *data, size_t n);
void page_fp_end(struct page_fp *h, char out[CHART_FINGERPRINT_LEN + 1]);

/* ---- site.c: the build state ---- */

/* The direction of metric key under the --goal rules, as an arrow (↓, ↑
 * or "") and in words. */
enum goal site_goal(const struct site *s, const char *key);
const char *goal_arrow(enum goal g);
const char *goal_words(enum goal g);
/* The run pointers of runs idx[0..n). Caller frees. */
const struct run **run_ptrs(const struct site *s, const size_t *idx, size_t n);
/* The value of metric key of run r at the site's point (--at); false when
 * it has none. */
bool site_value_at(const struct site *s, const struct run *r, const char *key, enum goal g,
                   double *v);

/* ---- charts.c: model series into chart specs and files ---- */

/* The file extension of each chart format. */
extern const char *const site_chart_ext[3];

/* A chart on a page. */
/* One entry of a chart's legend on the page. */
struct chart_key {
	char *name;        /* the series' full name */
	char *own;         /* its own part (chart_label_common) */
	const char *color; /* "#rrggbb" */
	int dash;          /* line style: 0 solid, 1 dashed, 2 dotted, 3 dash-dot */
};
struct chart_ref {
	const char *key;
	const char *dir; /* relative to the page: "slug" */
	const char *stem;
	const char *alt;
	const char *note;  /* a line under the caption, or NULL */
	const char *group; /* the group heading; NULL: from the key (chart_group) */
	char *data;        /* the drawn points' script for the page (in dir), or NULL */
	struct chart_key *keys; /* overlays: the legend, one per series */
	size_t nkeys;
	char *common;      /* the part of the series' names they share ("mlp16-…"), or NULL */
};
void free_refs(struct chart_ref *refs, size_t n);
/* Writes one overlay chart per metric (keys[0..nk)) of the units into
 * dir/<stem> (dir relative to the site; page_dir relative to the page),
 * and returns their references (free_refs). 0 in *ok: a chart could not be
 * written (reported). */
struct chart_ref *overlay_charts(struct site *s, const struct plan_unit *units, size_t nu,
                                 const struct plan_metric *keys, size_t nk, const char *dir,
                                 const char *page_dir, struct slugset *stems, size_t *nout,
                                 int *ok);
/* The same for page (site-relative), whose own folder band_files keeps the
 * means of the overlays' bands for the next build (see charts.c). */
struct chart_ref *overlay_charts_page(struct site *s, const struct plan_unit *units, size_t nu,
                                      const struct plan_metric *keys, size_t nk,
                                      const char *dir, const char *page_dir,
                                      struct slugset *stems, size_t *nout, int *ok,
                                      const char *page, const char *band_files);
/* Writes the sweep charts of experiment e (at least 5 runs with the primary
 * metric, at least 2 non-seed params with two values or more): parallel
 * coordinates and one scatter per param. Returns the references (their
 * keys too are the caller's to free). */
struct chart_ref *sweep_charts(struct site *s, const struct site_exp *e, const char *dir,
                               struct slugset *stems, size_t *nout, int *ok);
/* The sweep charts of runs idx[0..n) for params[0..np) against metric:
 * parallel coordinates and a scatter per param (runs without a value of
 * the metric left out). The references' keys are the caller's to free. */
struct chart_ref *param_sweep_charts(struct site *s, const size_t *idx, size_t n,
                                     const char *const *params, size_t np, const char *metric,
                                     const char *dir, const char *page_dir,
                                     struct slugset *stems, size_t *nout, int *ok);
/* Run sr's sparkline of metric key (the table's primary metric; from the
 * decimated copy) as an SVG path for a 96×24 box, drawn inline in the runs
 * tables: 500 pictures as files took seconds to load. end gets the last
 * point. NULL: none. Caller frees. */
char *run_sparkline(struct site *s, struct site_run *sr, const char *key, double end[2]);
/* A seed group's legend name: the members' common name prefix up to its
 * last separator ("logreg-posw4" for "logreg-posw4-s1", "-s2"), else the
 * first member's name. Caller frees. */
char *group_name(const struct site *s, const struct plan_unit *u);

/* ---- pages.c: what the pages share ---- */

void set_int_attr(xmlNodePtr n, const char *name, int64_t v);
/* Shows v as the axes do, with its exact value in data-value and title. */
void set_number(xmlNodePtr n, double v);
void fill_number(xmlNodePtr row, const char *marker, double v);
void fill_step(xmlNodePtr row, const char *marker, int64_t step);
void fill_empty(xmlNodePtr row, const char *marker);
/* The status text with its CSS class ("status-finished", ...). */
void fill_status(xmlNodePtr n, const char *status);
/* Sets an <a> to link to href with the given text. */
void fill_link(xmlNodePtr a, const char *href, const char *text);
/* Sets the style of a colour swatch to run colour `color`. */
void fill_swatch(xmlNodePtr n, int color);
/* The best point of a series under goal g, or NULL. */
const struct step_value *series_best(const struct series_sum *se, enum goal g);
/* Parses a template (NULL reported), fills what every page has (titles,
 * site links) for a page depth folders down, and saves it as rel. */
htmlDocPtr page_load(struct site *s, const struct buf *tpl, const char *name);
void page_common(struct site *s, htmlDocPtr doc, int depth, const char *title);
int page_save(struct site *s, htmlDocPtr doc, const char *rel);
/* Fills the charts section below root with charts, grouped by key prefix. */
void fill_chart_section(struct site *s, xmlNodePtr root, const char *marker,
                 const struct chart_ref *charts, size_t n);
/* A metric column's heading, and a run's cell in it. */
void metric_head(xmlNodePtr th, const char *key, enum goal g, enum compare_mode m,
                 const char *extra);
/* Fills the runs table below root (marker "runs") for runs idx[0..n), for
 * a page depth folders down: the column heads, the first RUNS_FIRST_PAGE
 * rows as HTML (with a note linking the plain lists of all runs when there
 * are more), and every row as data in the script file rows_rel (relative
 * to the site, beside the page), which the page's "runs-data" script
 * loads. primary: the metric that leads the metric columns and that the
 * trend column draws (the page's own: an experiment's primary metric on its
 * page), or NULL. Returns 1, or 0 after reporting a write error. */
int fill_runs_table(struct site *s, xmlNodePtr root, const size_t *idx, size_t n, int depth,
                    const char *rows_rel, const char *primary);

/* ---- rows.c: a runs table's rows as data for the page script ---- */

/* Rows a runs table shows as HTML; the plain lists of all runs
 * (all-runs-N.html) hold RUNS_LIST_PAGE each. */
#define RUNS_FIRST_PAGE 100
#define RUNS_LIST_PAGE 1000
/* How many all-runs-N.html lists the index writes (none for a short table). */
size_t runs_list_pages(const struct site *s);
/* Sparkline path d ("M2 20L4 19L5 17.5 ...", absolute) in the same
 * picture's shorter form: each line after a move relative, the command
 * letter implied ("M2 20l2-1 1-1.5 ..."). Caller frees. */
char *spark_compact(const char *d);
/* The folder of experiment e's page's band files (charts.c). Caller frees. */
char *exp_band_files(const struct site_exp *e);
/* Where the index of the rows of rows file rel is kept (PAGES_CACHE_DIR/...),
 * one of its page's own files. Caller frees. */
char *rows_index_rel(const char *rows_rel);
/* Streams runs idx[0..n) as the script file rel (see rows.c). */
int runs_rows_write(struct site *s, const char *rel, const size_t *idx, size_t n, int depth,
                    const struct compare_param *params, size_t np,
                    const struct plan_metric *metrics, size_t nm, const char *primary);
/* Fills rows of a key/value table from list l (entries chosen by keep). */
size_t fill_kv(xmlNodePtr root, const char *row_marker, const char *kmark, const char *vmark,
               const struct kvlist *l, bool (*keep)(const char *));
/* Removes the section below root marked marker when it is empty (n == 0). */
void keep_section(xmlNodePtr root, const char *marker, size_t n);
/* Fills a "best run" element (marker) below root for the primary metric
 * over runs idx[0..n) at page depth; removes it when there is none. */
void fill_best(struct site *s, xmlNodePtr root, const char *marker, const size_t *idx, size_t n,
               int depth);
/* Lists compare pages (those of experiment e, or all when e < 0) below
 * root at depth; removes the section when there are none. */
void fill_compare_list(struct site *s, xmlNodePtr root, long e, int depth);

/* Lists the reports below root (index.html; marker "reports-section");
 * removes the section when there are none. */
void fill_report_list(struct site *s, xmlNodePtr root);

/* Display helpers shared by the pages and the tests. */
void fmt_duration(char *out, size_t outsz, int64_t ms);
void fmt_time_utc(char *out, size_t outsz, int64_t ms);
void fmt_size(char *out, size_t outsz, int64_t bytes);

#endif
