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
			int ok = u[0] == '#' || strncasecmp(u, "http://", 7) == 0 ||
			         strncasecmp(u, "https://", 8) == 0 || strncasecmp(u, "mailto:", 7) == 0;
			xmlFree(v);
			if (!ok)
				return 0;
		}
		if (!safe_tree(n->children))
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
	free(md);
	return 0;
}
