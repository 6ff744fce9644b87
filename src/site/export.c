/* export.c — one self-contained HTML file for a hand-off review: the
 * template (templates/export.html) filled through libxml2's tree, the site
 * stylesheet and script copied in, charts inlined as SVG with their ids made
 * unique per chart, and nothing that loads a file or an address. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "export.h"
#include "runsite/chart.h"
#include "runsite/cleanup.h"
#include "runsite/embedded.h"
#include "runsite/sha256.h"
#include "runsite/status.h"
#include "site_internal.h"

const char *const export_card_titles[EXPORT_CARD_PARTS] = {
	"Intended use", "Training data", "Evaluation data", "Metrics", "Caveats and limitations",
};

/* Heading texts that name each part, lowercase, without a trailing colon. */
static const char *const card_names[EXPORT_CARD_PARTS][8] = {
	{"intended use", "intended uses", "intended use and users", "use", "uses", NULL},
	{"training data", "training dataset", "train data", "data", NULL},
	{"evaluation data", "evaluation dataset", "eval data", "validation data", "test data", NULL},
	{"metrics", "evaluation metrics", "results", "evaluation results", NULL},
	{"caveats and limitations", "caveats & limitations", "caveats", "limitations",
	 "known limitations", "risks and limitations", NULL},
};

/* ---- model card sections from notes ---- */

/* The level (1-6) of an ATX heading line, with its text in *text and *len; 0 when
 * the line is not one. */
static int heading_level(const char *line, size_t n, const char **text, size_t *len)
{
	size_t i = 0;
	while (i < n && i < 3 && line[i] == ' ')
		i++;
	size_t h = 0;
	while (i + h < n && line[i + h] == '#')
		h++;
	if (h < 1 || h > 6 || (i + h < n && line[i + h] != ' ' && line[i + h] != '\t'))
		return 0;
	const char *s = line + i + h, *e = line + n;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	while (e > s && e[-1] == '#') /* closing hashes */
		e--;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == ':'))
		e--;
	*text = s;
	*len = (size_t)(e - s);
	return (int)h;
}

static int names_part(const char *text, size_t len, size_t part)
{
	for (size_t k = 0; card_names[part][k]; k++) {
		const char *nm = card_names[part][k];
		if (strlen(nm) != len)
			continue;
		size_t i = 0;
		while (i < len && tolower((unsigned char)text[i]) == nm[i])
			i++;
		if (i == len)
			return 1;
	}
	return 0;
}

/* True when the line opens or closes a fenced code block. */
static int is_fence(const char *line, size_t n)
{
	size_t i = 0;
	while (i < n && i < 3 && line[i] == ' ')
		i++;
	return n - i >= 3 && (strncmp(line + i, "```", 3) == 0 || strncmp(line + i, "~~~", 3) == 0);
}

/* The section of md headed by one of part's names (see export_card_section). */
static char *heading_section(const char *md, size_t part)
{
	int fenced = 0, level = 0;
	const char *start = NULL, *p = md;
	while (*p) {
		size_t n = strcspn(p, "\n");
		const char *text;
		size_t tl;
		if (is_fence(p, n)) {
			fenced = !fenced;
		} else if (!fenced) {
			int h = heading_level(p, n, &text, &tl);
			if (h && start && h <= level)
				return xstrndup(start, (size_t)(p - start));
			if (h && !start && names_part(text, tl, part)) {
				level = h;
				start = p + n + (p[n] == '\n');
			}
		}
		p += n + (p[n] == '\n');
	}
	return start ? xstrdup(start) : NULL;
}

/* Paragraph openings that stand for the caveats section when no heading
 * names it ("Caveat: ...", "**Caveats:** ..."), lowercase. */
static const char *const caveat_leads[] = {"caveat:", "caveats:", "limitations:",
                                           "caveats and limitations:", NULL};

/* The paragraph of md that opens with one of caveat_leads, from after the
 * lead up to the next blank line; NULL when none does. Fenced code is not
 * searched. Caller frees. */
static char *caveat_paragraph(const char *md)
{
	int fenced = 0, para_start = 1;
	for (const char *p = md; *p;) {
		size_t n = strcspn(p, "\n");
		size_t i = 0;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		bool blank = i == n;
		if (is_fence(p, n)) {
			fenced = !fenced;
		} else if (!fenced && para_start && !blank) {
			const char *t = p + i;
			size_t bold = strncmp(t, "**", 2) == 0 ? 2 : 0;
			for (size_t k = 0; caveat_leads[k]; k++) {
				size_t ll = strlen(caveat_leads[k]);
				if (n - i - bold < ll || strncasecmp(t + bold, caveat_leads[k], ll) != 0)
					continue;
				const char *from = t + bold + ll;
				if (bold && strncmp(from, "**", 2) == 0)
					from += 2;
				const char *end = from;
				/* Up to the blank line that ends the paragraph. */
				for (;;) {
					end += strcspn(end, "\n");
					if (!*end)
						break;
					const char *next = end + 1;
					while (*next == ' ' || *next == '\t')
						next++;
					if (*next == '\n' || !*next)
						break;
					end++;
				}
				while (*from == ' ' || *from == '\t')
					from++;
				return xstrndup(from, (size_t)(end - from));
			}
		}
		para_start = blank;
		p += n + (p[n] == '\n');
	}
	return NULL;
}

char *export_card_section(const char *md, size_t part)
{
	if (!md || part >= EXPORT_CARD_PARTS)
		return NULL;
	char *found = heading_section(md, part);
	if (!found && part == EXPORT_CARD_PARTS - 1)
		found = caveat_paragraph(md);
	return found;
}

/* ---- small helpers ---- */

static const struct embedded_file *embedded(const char *path)
{
	for (size_t i = 0; embedded_files[i].path; i++)
		if (strcmp(embedded_files[i].path, path) == 0)
			return &embedded_files[i];
	return NULL;
}

static xmlNodePtr add_class_elem(xmlNodePtr parent, const char *name, const char *cls,
                                 const char *text)
{
	xmlNodePtr e = tmpl_add_elem(parent, name, text);
	if (cls)
		tmpl_set_attr(e, "class", cls);
	return e;
}

/* A cell with v as the pages show numbers, the exact value in its title. */
static xmlNodePtr add_number(xmlNodePtr tr, double v)
{
	char shown[64], exact[40];
	chart_format_number(shown, sizeof shown, v);
	fmt_double(exact, sizeof exact, v);
	xmlNodePtr td = add_class_elem(tr, "td", "num", shown);
	tmpl_set_attr(td, "title", exact);
	tmpl_set_attr(td, "data-value", exact);
	return td;
}

/* Notes may link to addresses and show remote images; this file fetches
 * nothing and links nowhere, so links become their text with the address
 * after it, and images a line naming them. */
static void unlink_external(xmlNodePtr n)
{
	for (xmlNodePtr c = n->children, next; c; c = next) {
		next = c->next;
		unlink_external(c);
	}
	if (n->type != XML_ELEMENT_NODE)
		return;
	/* Decided before xmlNodeSetName frees the old name. */
	int img = strcmp((const char *)n->name, "img") == 0;
	int a = strcmp((const char *)n->name, "a") == 0;
	xmlChar *href = xmlGetProp(n, (const xmlChar *)(img ? "src" : "href"));
	if (href && href[0] != '#' && (a || img)) {
		char *text = img ? notes_missing_image((const char *)href)
		                 : xasprintf(" <%s>", (const char *)href);
		while (n->properties)
			xmlRemoveProp(n->properties);
		xmlNodeSetName(n, (const xmlChar *)"span");
		tmpl_set_attr(n, "class", img ? "missing" : "url");
		xmlAddChild(n, xmlNewDocText(n->doc, (const xmlChar *)text));
		free(text);
	}
	xmlFree(href);
}

/* Moves every heading below n down by demote levels (at most h6). */
static void demote_headings(xmlNodePtr n, int demote)
{
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		const char *nm = (const char *)c->name;
		if (nm[0] == 'h' && nm[1] >= '1' && nm[1] <= '6' && !nm[2]) {
			int level = nm[1] - '0' + demote;
			char h[3] = {'h', (char)('0' + (level > 6 ? 6 : level)), '\0'};
			xmlNodeSetName(c, (const xmlChar *)h);
		}
		demote_headings(c, demote);
	}
}

/* Renders Markdown into a new div.prose below parent, without outside links. */
static void add_markdown(xmlNodePtr parent, const char *md, int demote)
{
	xmlNodePtr div = add_class_elem(parent, "div", "prose", NULL);
	/* Demoted here, not by notes_render: its demote path reads the element
	 * name after renaming it (a use after free, reported to the lead). */
	notes_render(div, md, 0);
	demote_headings(div, demote);
	unlink_external(div);
}

/* Run i's colour: the one the site gives it. */
static int export_color(const struct export_opts *o, size_t i)
{
	return o->colors ? o->colors[i] : (int)i;
}

/* ---- inline SVG ---- */

/* Rewrites every reference to an id inside value: url(#x) → url(#px), and
 * in a link (href) a whole value "#x" → "#px"; elsewhere "#x" is a colour
 * (stroke="#0072b2") and stays. Returns NULL when nothing changed. */
static char *prefix_refs(const char *value, const char *prefix, bool is_link)
{
	if (is_link && value[0] == '#')
		return xasprintf("#%s%s", prefix, value + 1);
	if (!strstr(value, "url(#"))
		return NULL;
	struct buf b = BUF_INIT;
	for (const char *p = value; *p;) {
		const char *u = strstr(p, "url(#");
		if (!u) {
			buf_puts(&b, p);
			break;
		}
		buf_put(&b, p, (size_t)(u - p) + 5);
		buf_puts(&b, prefix);
		p = u + 5;
	}
	return buf_detach(&b);
}

/* A space-separated list of ids with each one prefixed. */
static char *prefix_idrefs(const char *value, const char *prefix)
{
	struct buf b = BUF_INIT;
	char *copy = xstrdup(value), *save = NULL;
	for (char *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save))
		buf_printf(&b, "%s%s%s", b.size ? " " : "", prefix, t);
	free(copy);
	return buf_detach(&b);
}

/* Prefixes every id below n and every reference to one, so that several
 * charts in one page keep their own glyphs, clips and patterns. */
static void prefix_ids(xmlNodePtr n, const char *prefix)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (xmlAttrPtr a = n->properties; a; a = a->next) {
			xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
			if (!v)
				continue;
			char *nv = NULL;
			const char *an = (const char *)a->name;
			if (strcmp(an, "id") == 0)
				nv = xasprintf("%s%s", prefix, (const char *)v);
			else if (strcmp(an, "aria-labelledby") == 0 || strcmp(an, "aria-describedby") == 0)
				nv = prefix_idrefs((const char *)v, prefix);
			else if (strcmp(an, "href") == 0 || strchr((const char *)v, '#'))
				nv = prefix_refs((const char *)v, prefix, strcmp(an, "href") == 0);
			if (nv) {
				/* Set through the attribute's own namespace (xlink:href stays xlink). */
				xmlSetNsProp(n, a->ns, a->name, (const xmlChar *)nv);
				free(nv);
			}
			xmlFree(v);
		}
		prefix_ids(n->children, prefix);
	}
}

/* Draws spec as SVG into a scratch file, and grafts the SVG, ids prefixed,
 * as the last child of parent. Returns 1, or 0 after reporting. */
static int add_svg_chart(xmlNodePtr parent, const struct chart_spec *spec, const char *scratch,
                         size_t no, char **alt)
{
	char *path = xasprintf("%s/chart-%zu.svg", scratch, no);
	struct chart_info info;
	memset(&info, 0, sizeof info);
	int ok = chart_write(spec, CHART_SVG, path, &info);
	struct buf svg = BUF_INIT;
	if (ok && !read_file(path, &svg, (size_t)64 << 20)) {
		diag_msg("cannot read back chart %s: %s", path, strerror(errno));
		ok = 0;
	}
	unlink(path);
	free(path);
	xmlDocPtr doc = NULL;
	if (ok) {
		doc = xmlReadMemory(svg.data, (int)svg.size, "chart.svg", "UTF-8",
		                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		if (!doc || !xmlDocGetRootElement(doc)) {
			diag_msg("chart of %s: the SVG Cairo wrote could not be parsed", spec->title);
			ok = 0;
		}
	}
	if (ok) {
		char prefix[32];
		snprintf(prefix, sizeof prefix, "c%zu-", no);
		xmlNodePtr root = xmlDocGetRootElement(doc);
		prefix_ids(root, prefix);
		xmlNodePtr copy = xmlDocCopyNode(root, parent->doc, 1);
		if (!copy) {
			fputs("runsite: out of memory\n", stderr);
			exit(70);
		}
		*alt = chart_describe(spec, &info);
		/* The chart names itself (title, desc); without them the description says it. */
		xmlSetProp(copy, (const xmlChar *)"role", (const xmlChar *)"img");
		if (!xmlHasProp(copy, (const xmlChar *)"aria-labelledby"))
			xmlSetProp(copy, (const xmlChar *)"aria-label", (const xmlChar *)*alt);
		xmlAddChild(parent, copy);
	}
	xmlFreeDoc(doc);
	buf_free(&svg);
	return ok;
}

/* ---- the page's parts ---- */

static void add_fact(xmlNodePtr dl, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	tmpl_add_elem(dl, "dt", key);
	tmpl_add_elem(dl, "dd", value);
}

static void fill_run_cards(xmlNodePtr body, struct run *const *runs, size_t n,
                           const struct export_opts *o)
{
	for (size_t i = 0; i < n; i++) {
		const struct run *r = runs[i];
		xmlNodePtr card = add_class_elem(body, "div", "run-card", NULL);
		xmlNodePtr h = tmpl_add_elem(card, "h3", NULL);
		xmlNodePtr sw = add_class_elem(h, "span", "swatch", NULL);
		char *style = xasprintf("background:%s", chart_color_hex(export_color(o, i)));
		tmpl_set_attr(sw, "style", style);
		free(style);
		xmlAddChild(h, xmlNewDocText(h->doc, (const xmlChar *)" "));
		xmlAddChild(h, xmlNewDocText(h->doc, (const xmlChar *)r->name));
		xmlNodePtr dl = tmpl_add_elem(card, "dl", NULL);
		char b[64];
		add_fact(dl, "Run id", r->id);
		add_fact(dl, "Experiment", r->experiment_name);
		add_fact(dl, "Status", r->status);
		fmt_time_utc(b, sizeof b, r->start_ms);
		add_fact(dl, "Started (UTC)", b);
		fmt_duration(b, sizeof b, run_duration_ms(r));
		add_fact(dl, "Duration", b);
		add_fact(dl, "User", r->user);
		add_fact(dl, "Source", r->source_name);
		add_fact(dl, "Git commit", r->git_commit);
		add_fact(dl, "Git branch", r->git_branch);
		add_fact(dl, "Parent run", r->parent_id);
		char *store = xasprintf("%s (%s)", r->store, r->format);
		add_fact(dl, "Read from", store);
		free(store);
	}
}

static void fill_handoff(xmlNodePtr body, struct run *const *runs, size_t n)
{
	for (size_t part = 0; part < EXPORT_CARD_PARTS; part++) {
		xmlNodePtr div = add_class_elem(body, "div", "handoff-part", NULL);
		tmpl_add_elem(div, "h3", export_card_titles[part]);
		int found = 0;
		for (size_t i = 0; i < n; i++) {
			char *md = export_card_section(runs[i]->notes, part);
			if (!md)
				continue;
			if (n > 1) {
				char *from = xasprintf("From the notes of %s:", runs[i]->name);
				add_class_elem(div, "p", "from-run", from);
				free(from);
			}
			add_markdown(div, md, 3);
			free(md);
			found = 1;
		}
		if (!found)
			add_class_elem(div, "p", "not-written", "not written");
	}
}

static int fill_notes(xmlNodePtr body, struct run *const *runs, size_t n)
{
	int any = 0;
	for (size_t i = 0; i < n; i++) {
		if (!runs[i]->notes || !*runs[i]->notes)
			continue;
		if (n > 1)
			tmpl_add_elem(body, "h3", runs[i]->name);
		add_markdown(body, runs[i]->notes, n > 1 ? 3 : 2);
		any = 1;
	}
	return any;
}

/* A table whose first header cell is first and then one per run. */
static xmlNodePtr comparison_table(xmlNodePtr parent, const char *first, struct run *const *runs,
                                   size_t n, xmlNodePtr *tbody)
{
	xmlNodePtr table = add_class_elem(parent, "table", "data sortable", NULL);
	xmlNodePtr tr = tmpl_add_elem(tmpl_add_elem(table, "thead", NULL), "tr", NULL);
	tmpl_add_elem(tr, "th", first);
	for (size_t i = 0; i < n; i++)
		add_class_elem(tr, "th", n > 1 ? "num" : "num", n > 1 ? runs[i]->name : "Value");
	*tbody = tmpl_add_elem(table, "tbody", NULL);
	return table;
}

static int fill_params(xmlNodePtr body, struct run *const *runs, size_t n)
{
	size_t nk;
	const char **keys = compare_key_union((const struct run *const *)runs, n, false, &nk);
	if (!nk) {
		free(keys);
		return 0;
	}
	xmlNodePtr tbody;
	comparison_table(body, "Parameter", runs, n, &tbody);
	for (size_t k = 0; k < nk; k++) {
		xmlNodePtr tr = tmpl_add_elem(tbody, "tr", NULL);
		add_class_elem(tr, "th", "param", keys[k]);
		const char *first = kvlist_get(&runs[0]->params, keys[k]);
		int differs = 0;
		for (size_t i = 0; i < n; i++) {
			const char *v = kvlist_get(&runs[i]->params, keys[k]);
			add_class_elem(tr, "td", "value", v ? v : "—");
			if (!v || !first || strcmp(v, first) != 0)
				differs = 1;
		}
		if (differs && n > 1)
			tmpl_set_attr(tr, "class", "differs");
	}
	free(keys);
	return 1;
}

/* The metrics table: each metric's value at the --at point in every run,
 * with the point and step it is at under it ("best, step 840"). */
static int fill_metrics(xmlNodePtr body, struct run *const *runs, size_t n,
                        const struct export_opts *o)
{
	size_t nk;
	const char **keys = compare_key_union((const struct run *const *)runs, n, true, &nk);
	if (!nk) {
		free(keys);
		return 0;
	}
	xmlNodePtr tbody;
	comparison_table(body, o->at == AT_BEST ? "Metric (best)" : "Metric (last)", runs, n, &tbody);
	for (size_t k = 0; k < nk; k++) {
		xmlNodePtr tr = tmpl_add_elem(tbody, "tr", NULL);
		tmpl_set_attr(tr, "data-metric", keys[k]);
		enum goal g = goal_for(o->goals, keys[k]);
		xmlNodePtr th = add_class_elem(tr, "th", "name", keys[k]);
		if (g != GOAL_NONE) {
			xmlAddChild(th, xmlNewDocText(th->doc, (const xmlChar *)" "));
			add_class_elem(th, "span", "goal", g == GOAL_MIN ? "↓" : "↑");
		}
		for (size_t i = 0; i < n; i++) {
			struct at_value v;
			if (!metric_at(run_find_sum(runs[i], keys[k]), g, o->at, &v)) {
				add_class_elem(tr, "td", "num", "—");
				continue;
			}
			xmlNodePtr td = add_number(tr, v.value);
			char where[64];
			metric_at_label(where, sizeof where, &v);
			tmpl_set_attr(td, "data-at", metric_at_name(v.at));
			set_int_attr(td, "data-step", v.step);
			tmpl_add_elem(td, "br", NULL);
			add_class_elem(td, "span", "sub muted", where);
		}
	}
	free(keys);
	return 1;
}

/* One overlay chart per metric some run logged at two steps or more. */
static int fill_charts(xmlNodePtr body, struct run *const *runs, size_t n,
                       const struct export_opts *o, int *any)
{
	size_t nk;
	const char **keys = compare_key_union((const struct run *const *)runs, n, true, &nk);
	char scratch[] = "/tmp/runsite-export.XXXXXX";
	int ok = 1;
	*any = 0;
	if (nk && !mkdtemp(scratch)) {
		diag_msg("cannot make a scratch folder for the charts: %s", strerror(errno));
		free(keys);
		return 0;
	}
	struct chart_series *cs = xcalloc(n, sizeof *cs);
	for (size_t k = 0; k < nk && ok; k++) {
		size_t ns = 0;
		int line = 0;
		for (size_t i = 0; i < n; i++) {
			const struct series *s = run_find_series(runs[i], keys[k]);
			if (!s || !s->pts || s->n == 0)
				continue;
			line |= s->n >= 2;
			struct chart_point *cp = site_chart_points(runs[i], s->pts, s->n, CHART_X_STEP);
			cs[ns++] = (struct chart_series){.label = runs[i]->name, .pts = cp,
			                                 .n = s->n, .color = export_color(o, i)};
		}
		if (line) {
			struct chart_spec spec;
			chart_spec_defaults(&spec);
			spec.title = keys[k];
			spec.smoothing = o->smoothing;
			spec.goal = (enum chart_goal)goal_for(o->goals, keys[k]);
			spec.series = cs;
			spec.nseries = ns;
			xmlNodePtr fig = add_class_elem(body, "figure", "export-chart", NULL);
			char *alt = NULL;
			ok = add_svg_chart(fig, &spec, scratch, k, &alt);
			if (ok)
				add_class_elem(fig, "figcaption", NULL, alt);
			free(alt);
			*any = 1;
		}
		for (size_t i = 0; i < ns; i++)
			free((void *)cs[i].pts);
	}
	free(cs);
	if (nk)
		rmdir(scratch);
	free(keys);
	return ok;
}

/* True when a relative artifact path stays inside its folder. */
static int path_is_inside(const char *p)
{
	if (p[0] == '/' || !*p)
		return 0;
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return 0;
		s += n + (s[n] == '/');
	}
	return 1;
}

static int fill_artifacts(xmlNodePtr body, struct run *const *runs, size_t n)
{
	int any = 0;
	for (size_t i = 0; i < n; i++) {
		const struct run *r = runs[i];
		if (!r->nartifacts)
			continue;
		any = 1;
		if (n > 1)
			tmpl_add_elem(body, "h3", r->name);
		const char *dir = r->artifact_dir;
		xmlNodePtr wrap = add_class_elem(body, "div", "table-wrap", NULL);
		xmlNodePtr table = add_class_elem(wrap, "table", "data sortable manifest", NULL);
		xmlNodePtr tr = tmpl_add_elem(tmpl_add_elem(table, "thead", NULL), "tr", NULL);
		tmpl_add_elem(tr, "th", "Path");
		add_class_elem(tr, "th", "num", "Size (bytes)");
		tmpl_add_elem(tr, "th", "SHA-256");
		xmlNodePtr tbody = tmpl_add_elem(table, "tbody", NULL);
		for (size_t j = 0; j < r->nartifacts; j++) {
			const struct artifact *a = &r->artifacts[j];
			tr = tmpl_add_elem(tbody, "tr", NULL);
			add_class_elem(tr, "td", "path", a->path);
			char size[32] = "—";
			if (a->size >= 0)
				snprintf(size, sizeof size, "%" PRId64, a->size);
			xmlNodePtr td = add_class_elem(tr, "td", "num", size);
			tmpl_set_attr(td, "data-value", a->size >= 0 ? size : "");
			char hex[65] = "";
			if (dir && path_is_inside(a->path)) {
				char *full = path_join(dir, a->path);
				struct stat st;
				if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && !sha256_file(full, hex))
					hex[0] = '\0';
				free(full);
			}
			add_class_elem(tr, "td", "sha", hex[0] ? hex : "not on this machine");
		}
	}
	return any;
}

/* Writes data to path through a temporary file beside it, so the file
 * appears whole or not at all. Returns 1, or 0 after reporting. */
static int write_whole(const char *path, const struct buf *b)
{
	char *tmp = xasprintf("%s.tmp-%ld", path, (long)getpid());
	cleanup_set_tmpdir(tmp); /* removed on SIGINT, SIGTERM, out of memory */
	FILE *f = fopen(tmp, "wb");
	int ok = f && fwrite(b->data, 1, b->size, f) == b->size;
	if (f && fclose(f) != 0)
		ok = 0;
	if (ok && rename(tmp, path) != 0)
		ok = 0;
	if (!ok) {
		diag_msg("cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	cleanup_set_tmpdir(NULL);
	free(tmp);
	return ok;
}

/* Removes the element marked marker, or empties its marked body. */
static void drop_section(xmlNodePtr root, const char *marker)
{
	tmpl_remove(tmpl_find(root, marker));
}

int export_write(struct run *const *runs, size_t n, const struct export_opts *o,
                 const char *out_path)
{
	const struct embedded_file *tpl = embedded("templates/export.html");
	const struct embedded_file *css = embedded("assets/style.css");
	const struct embedded_file *js = embedded("assets/site.js");
	if (!tpl || !css || !js) {
		diag_msg("export: the built-in template is missing from this build");
		return EXIT_OUTPUT;
	}
	htmlDocPtr doc = tmpl_parse((const char *)tpl->data, tpl->size);
	if (!doc) {
		diag_msg("export: the built-in template could not be parsed");
		return EXIT_OUTPUT;
	}
	xmlNodePtr root = xmlDocGetRootElement(doc);
	char *title = o->title ? xstrdup(o->title)
	              : n == 1 ? xstrdup(runs[0]->name)
	                       : xasprintf("Comparison of %zu runs", n);
	char *page_title = xasprintf("%s — hand-off", title);
	tmpl_fill(root, "page-title", page_title);
	tmpl_fill(root, "doc-title", title);
	free(page_title);
	free(title);
	char *lede = xasprintf("Hand-off review of %s, made by runsite from the run store. "
	                       "Everything is in this file: it fetches nothing.",
	                       n == 1 ? "one run" : "several runs side by side");
	tmpl_fill(root, "doc-lede", lede);
	free(lede);
	char *css_text = xstrndup((const char *)css->data, css->size);
	char *js_text = xstrndup((const char *)js->data, js->size);
	tmpl_fill(root, "site-css", css_text);
	tmpl_fill(root, "site-js", js_text);
	free(css_text);
	free(js_text);
	if (!o->redacted)
		drop_section(root, "redacted-note");
	int ok = 1, any;
	xmlNodePtr body;
	if ((body = tmpl_find(root, "runs-body")))
		fill_run_cards(body, runs, n, o);
	if ((body = tmpl_find(root, "handoff-body")))
		fill_handoff(body, runs, n);
	if ((body = tmpl_find(root, "notes-body")) && !fill_notes(body, runs, n))
		drop_section(root, "notes-section");
	tmpl_fill(root, "metrics-lede",
	          o->at == AT_BEST ? "Each metric's best value (lowest or highest by its direction; "
	                             "the last where it has none), with its step."
	                           : "Each metric's last value logged, with its step.");
	if ((body = tmpl_find(root, "metrics-body")) && !fill_metrics(body, runs, n, o))
		drop_section(root, "metrics-section");
	if ((body = tmpl_find(root, "charts-body"))) {
		ok = fill_charts(body, runs, n, o, &any);
		if (!any)
			drop_section(root, "charts-section");
	}
	if ((body = tmpl_find(root, "params-body")) && !fill_params(body, runs, n))
		drop_section(root, "params-section");
	else if (n < 2)
		tmpl_remove(tmpl_find(root, "params-lede"));
	if ((body = tmpl_find(root, "artifacts-body")) && !fill_artifacts(body, runs, n))
		drop_section(root, "artifacts-section");
	char *footer = xasprintf("Made with runsite %s", RUNSITE_VERSION);
	tmpl_fill(root, "footer", footer);
	free(footer);
	struct buf out = BUF_INIT;
	tmpl_serialize(doc, &out);
	xmlFreeDoc(doc);
	if (ok)
		ok = write_whole(out_path, &out);
	buf_free(&out);
	return ok ? EXIT_OK : EXIT_OUTPUT;
}
