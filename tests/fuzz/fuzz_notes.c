/* fuzz_notes.c — untrusted note text: Markdown rendered through cmark-gfm
 * and cleaned into a page (notes.c), the notes excerpt, and secret
 * redaction. The first byte picks heading demotion; the rest is the note. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLtree.h>
#include <libxml/tree.h>

#include "../../src/site/site_internal.h"
#include "runsite/redact.h"
#include "runsite/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True when no element can run script: no script-like element, no on*
 * attribute, no link or source other than http(s), mailto or a fragment. */
static int safe_tree(xmlNodePtr n)
{
	static const char *const banned[] = {"script", "iframe", "object", "embed", "style",
	                                     "base", "meta", "link", "form", NULL};
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (size_t i = 0; banned[i]; i++)
			if (strcasecmp((const char *)n->name, banned[i]) == 0)
				return 0;
		for (xmlAttrPtr a = n->properties; a; a = a->next) {
			const char *an = (const char *)a->name;
			if (strncasecmp(an, "on", 2) == 0)
				return 0;
			if (strcasecmp(an, "href") && strcasecmp(an, "src"))
				continue;
			xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
			const char *u = v ? (const char *)v : "";
			/* The scheme is what matters ("https:host" is a browser's https://host). */
			int ok = u[0] == '#' || strncasecmp(u, "http:", 5) == 0 ||
			         strncasecmp(u, "https:", 6) == 0 || strncasecmp(u, "mailto:", 7) == 0;
			xmlFree(v);
			if (!ok)
				return 0;
		}
		if (!safe_tree(n->children))
			return 0;
	}
	return 1;
}

/* True when no block below n shows a credential in its text or in a link. */
static int no_secret_shown(xmlNodePtr n)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (xmlAttrPtr a = n->properties; a; a = a->next) {
			xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
			char *left = redact_text(v ? (const char *)v : "");
			xmlFree(v);
			if (left) {
				free(left);
				return 0;
			}
		}
		/* Blocks only: their text joins inline markup the way a reader sees it. */
		const char *nm = (const char *)n->name;
		if (!strcmp(nm, "p") || !strcmp(nm, "li") || !strcmp(nm, "td") ||
		    !strcmp(nm, "th") || !strcmp(nm, "pre") ||
		    (nm[0] == 'h' && nm[1] >= '1' && nm[1] <= '6' && !nm[2])) {
			xmlChar *text = xmlNodeGetContent(n);
			char *left = redact_text(text ? (const char *)text : "");
			xmlFree(text);
			if (left) {
				free(left);
				return 0;
			}
		}
		if (!no_secret_shown(n->children))
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int demote = data[0] % 3;
	char *md = xstrndup((const char *)data + 1, size - 1);
	static int ready;
	if (!ready) {
		notes_init();
		ready = 1;
	}
	htmlDocPtr doc = htmlNewDoc(NULL, NULL);
	xmlNodePtr html = xmlNewDocNode(doc, NULL, (const xmlChar *)"html", NULL);
	xmlDocSetRootElement(doc, html);
	xmlNodePtr div = xmlNewChild(html, NULL, (const xmlChar *)"div", NULL);
	notes_render(div, md, demote);
	if (!safe_tree(div->children))
		abort(); /* something that runs script survived the cleaning */
	xmlFreeDoc(doc);
	free(notes_excerpt(md, 200));
	free(redact_text(md));

	/* Redacted notes, as the pipeline delivers them, render no credential
	 * in any block's text, and redacting them again changes nothing. */
	struct run *r = run_new("fuzz", "mem");
	r->notes = md;
	struct redactor *rd = redactor_new();
	redact_run(rd, r, NULL);
	if (redact_run(rd, r, NULL) != 0)
		abort();
	doc = htmlNewDoc(NULL, NULL);
	html = xmlNewDocNode(doc, NULL, (const xmlChar *)"html", NULL);
	xmlDocSetRootElement(doc, html);
	div = xmlNewChild(html, NULL, (const xmlChar *)"div", NULL);
	notes_render(div, r->notes, 0);
	if (!no_secret_shown(div->children))
		abort(); /* a credential shows on the page */
	xmlFreeDoc(doc);
	redactor_free(rd);
	run_free(r);
	return 0;
}
