/* notes.c — Markdown (run notes, experiment descriptions) rendered with
 * cmark-gfm and grafted into a page as libxml2 nodes. cmark runs without
 * CMARK_OPT_UNSAFE, so raw HTML becomes a comment and javascript: links are
 * emptied; the graft then drops comments and checks every element and link
 * again, so the page never holds a script even if cmark changed its mind. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include "site_internal.h"

static const char *const extensions[] = {"table", "strikethrough", "autolink", "tasklist", NULL};

void notes_init(void)
{
	cmark_gfm_core_extensions_ensure_registered();
}

/* Markdown to an HTML string (cmark's allocator; free with free). */
static char *render_html(const char *md)
{
	/* No CMARK_OPT_UNSAFE: raw HTML is omitted, unsafe link schemes emptied. */
	int opts = CMARK_OPT_DEFAULT;
	notes_init();
	/* Our allocators: out of memory ends the build cleanly, not in cmark's abort(). */
	static cmark_mem mem = {xcalloc, xrealloc, free};
	cmark_parser *p = cmark_parser_new_with_mem(opts, &mem);
	for (size_t i = 0; extensions[i]; i++) {
		cmark_syntax_extension *ext = cmark_find_syntax_extension(extensions[i]);
		if (ext)
			cmark_parser_attach_syntax_extension(p, ext);
	}
	cmark_parser_feed(p, md, strlen(md));
	cmark_node *doc = cmark_parser_finish(p);
	char *html = cmark_render_html(doc, opts, cmark_parser_get_syntax_extensions(p));
	cmark_node_free(doc);
	cmark_parser_free(p);
	return html;
}

/* True when the URL's scheme (if any) is one a note may link to. */
static int safe_url(const char *u)
{
	/* Browsers ignore whitespace and control characters inside a scheme. */
	char scheme[16];
	size_t k = 0;
	for (const char *p = u; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ')
			continue;
		if (c == ':')
			break;
		if (c == '/' || c == '?' || c == '#')
			return 1; /* relative: no scheme */
		if (k + 1 >= sizeof scheme)
			return 0;
		scheme[k++] = (char)tolower(c);
		if (!p[1])
			return 1; /* no ':' at all */
	}
	scheme[k] = '\0';
	if (k == 0)
		return 1;
	return strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 ||
	       strcmp(scheme, "mailto") == 0;
}

/* True when u starts with a URL scheme ("https:"). */
static int has_scheme(const char *u)
{
	const char *p = u;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	       (p > u && ((*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.')))
		p++;
	return p > u && *p == ':';
}

/* True when an <img> loads from an http(s) address (shown as the note's author meant). */
static int image_is_remote(xmlNodePtr img)
{
	xmlChar *src = xmlGetProp(img, (const xmlChar *)"src");
	int remote = src && has_scheme((const char *)src) && safe_url((const char *)src);
	xmlFree(src);
	return remote;
}

char *notes_missing_image(const char *src)
{
	return xasprintf("[image not included: \"%s\"]", src);
}

static int allowed_element(const char *name)
{
	static const char *const banned[] = {"script", "style", "iframe", "object", "embed",
	                                     "form",   "base",  "meta",   "link",   "frame",
	                                     "frameset", "svg", "math",   "template", NULL};
	for (size_t i = 0; banned[i]; i++)
		if (strcmp(name, banned[i]) == 0)
			return 0;
	return 1;
}

/* Cleans the subtree at n in place; returns 0 when n itself must go.
 * Headings go demote levels down, and never more than one below the one
 * before (*last: the level of the last heading, the page's own at first),
 * so the page's outline skips no level. */
static int sanitize(xmlNodePtr n, int demote, int *last)
{
	if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE)
		return 0;
	if (n->type != XML_ELEMENT_NODE)
		return 1;
	const char *name = (const char *)n->name;
	if (!allowed_element(name))
		return 0;
	if (demote && name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2]) {
		int level = name[1] - '0' + demote;
		if (level > *last + 1)
			level = *last + 1;
		if (level > 6)
			level = 6;
		*last = level;
		char h[3] = {'h', (char)('0' + level), '\0'};
		xmlNodeSetName(n, (const xmlChar *)h);
		name = (const char *)n->name; /* the old name was freed */
	}
	/* A code block scrolls sideways when wide: keyboards can reach it. */
	if (strcmp(name, "pre") == 0)
		xmlSetProp(n, (const xmlChar *)"tabindex", (const xmlChar *)"0");
	/* A task list's checkbox is named for assistive technology. */
	if (strcmp(name, "input") == 0 && !xmlHasProp(n, (const xmlChar *)"aria-label")) {
		int done = xmlHasProp(n, (const xmlChar *)"checked") != NULL;
		xmlSetProp(n, (const xmlChar *)"aria-label", (const xmlChar *)(done ? "done" : "to do"));
	}
	if (strcmp(name, "img") == 0 && !image_is_remote(n)) {
		/* A picture beside the notes in the store (report.md's static/ images) is
		 * not part of the site: say so instead of showing a broken image. */
		xmlChar *src = xmlGetProp(n, (const xmlChar *)"src");
		char *text = notes_missing_image(src ? (const char *)src : "");
		xmlFree(src);
		while (n->properties)
			xmlRemoveProp(n->properties);
		xmlNodeSetName(n, (const xmlChar *)"span");
		xmlSetProp(n, (const xmlChar *)"class", (const xmlChar *)"missing");
		xmlAddChild(n, xmlNewDocText(n->doc, (const xmlChar *)text));
		free(text);
		return 1;
	}
	xmlAttrPtr a = n->properties;
	while (a) {
		xmlAttrPtr next = a->next;
		const char *an = (const char *)a->name;
		int drop = strncasecmp(an, "on", 2) == 0 || strcasecmp(an, "style") == 0;
		if (!drop && (strcasecmp(an, "href") == 0 || strcasecmp(an, "src") == 0)) {
			xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
			/* Relative links point into the store, which is not in the site;
			 * the link text stays, the link goes. Fragments stay. */
			drop = !v || !safe_url((const char *)v) ||
			       (v[0] != '#' && !has_scheme((const char *)v));
			xmlFree(v);
		}
		if (drop)
			xmlRemoveProp(a);
		a = next;
	}
	xmlNodePtr c = n->children;
	while (c) {
		xmlNodePtr next = c->next;
		if (!sanitize(c, demote, last))
			tmpl_remove(c);
		c = next;
	}
	return 1;
}

void notes_render(xmlNodePtr parent, const char *md, int demote)
{
	if (!md || !*md)
		return;
	char *html = render_html(md);
	struct buf wrap = BUF_INIT;
	BUF_PUTSL(&wrap, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body><div>");
	buf_puts(&wrap, html);
	BUF_PUTSL(&wrap, "</div></body></html>");
	free(html);
	htmlDocPtr frag = htmlReadMemory(wrap.data, (int)wrap.size, "note.html", "UTF-8",
	                                 HTML_PARSE_NONET | HTML_PARSE_NOERROR |
	                                         HTML_PARSE_NOWARNING);
	buf_free(&wrap);
	if (!frag)
		return;
	xmlNodePtr body = xmlDocGetRootElement(frag);
	body = body ? body->children : NULL;
	while (body && !(body->type == XML_ELEMENT_NODE && strcmp((const char *)body->name, "body") == 0))
		body = body->next;
	xmlNodePtr div = body ? body->children : NULL;
	while (div && div->type != XML_ELEMENT_NODE)
		div = div->next;
	int last = demote; /* the notes sit below a heading of this level */
	for (xmlNodePtr c = div ? div->children : NULL; c; c = c->next) {
		xmlNodePtr copy = xmlDocCopyNode(c, parent->doc, 1);
		if (!copy)
			continue;
		if (!sanitize(copy, demote, &last)) {
			xmlFreeNode(copy);
			continue;
		}
		xmlAddChild(parent, copy);
	}
	xmlFreeDoc(frag);
}

char *notes_excerpt(const char *md, size_t max)
{
	struct buf b = BUF_INIT;
	const char *p = md ? md : "";
	/* Skip headings and blank lines; the first paragraph is the excerpt. */
	for (;;) {
		while (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t')
			p++;
		if (*p != '#')
			break;
		p += strcspn(p, "\n");
	}
	while (*p) {
		size_t line = strcspn(p, "\n");
		if (line == 0 || strspn(p, " \t\r") == line)
			break;
		const char *q = p;
		while (q < p + line && (*q == '>' || *q == '-' || *q == '*' || *q == ' ' || *q == '\t'))
			q++;
		if (b.size && q < p + line)
			buf_putc(&b, ' ');
		for (; q < p + line; q++)
			if (*q != '\r' && *q != '*' && *q != '`' && *q != '_')
				buf_putc(&b, *q);
		p += line;
		if (*p == '\n')
			p++;
		if (b.size > max)
			break;
	}
	if (b.size > max) {
		size_t cut = max;
		while (cut > 0 && ((unsigned char)b.data[cut] & 0xC0) == 0x80)
			cut--;
		b.size = cut;
		buf_puts(&b, "…");
	}
	return buf_detach(&b);
}
