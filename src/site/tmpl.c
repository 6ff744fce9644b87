/* tmpl.c — templates are real HTML pages with data-rs="..." marker
 * attributes. They are parsed with libxml2 and filled through its tree API:
 * store values only ever become text nodes or attribute values, which the
 * serialiser escapes, so escaping holds by construction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLtree.h>
#include <libxml/xmlIO.h>

#include "site_internal.h"

#define MARK (const xmlChar *)"data-rs"

static int is_marked(xmlNodePtr n, const char *marker)
{
	if (n->type != XML_ELEMENT_NODE)
		return 0;
	xmlChar *v = xmlGetProp(n, MARK);
	int yes = v && strcmp((const char *)v, marker) == 0;
	xmlFree(v);
	return yes;
}

/* The next node after n in document order within the subtree of root,
 * descending into children when down is set. */
static xmlNodePtr next_node(xmlNodePtr n, xmlNodePtr root, int down)
{
	if (down && n->children && n->type == XML_ELEMENT_NODE)
		return n->children;
	while (n && n != root) {
		if (n->next)
			return n->next;
		n = n->parent;
	}
	return NULL;
}

/* Removes every element marked "mock" and every comment (the template's
 * own documentation) below root. The walk steps past a node before freeing
 * it, the tree-walk form of libxml2's reverse-order rule. */
static void remove_mocks(xmlNodePtr root)
{
	xmlNodePtr n = root;
	while (n) {
		if (n != root && (is_marked(n, "mock") || n->type == XML_COMMENT_NODE)) {
			xmlNodePtr next = next_node(n, root, 0);
			tmpl_remove(n);
			n = next;
			continue;
		}
		n = next_node(n, root, 1);
	}
}

htmlDocPtr tmpl_parse(const char *text, size_t len)
{
	if (len > (size_t)INT32_MAX)
		return NULL;
	htmlDocPtr doc = htmlReadMemory(text, (int)len, "template.html", "UTF-8",
	                                HTML_PARSE_NONET | HTML_PARSE_NOERROR |
	                                        HTML_PARSE_NOWARNING);
	if (!doc)
		return NULL;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (!root) {
		xmlFreeDoc(doc);
		return NULL;
	}
	remove_mocks(root);
	/* Comments before <html> are siblings of the root, outside its walk. */
	for (xmlNodePtr c = doc->children, next; c; c = next) {
		next = c->next;
		if (c->type == XML_COMMENT_NODE)
			tmpl_remove(c);
	}
	return doc;
}

xmlNodePtr tmpl_find(xmlNodePtr n, const char *marker)
{
	for (xmlNodePtr c = n; c; c = next_node(c, n, 1))
		if (is_marked(c, marker))
			return c;
	return NULL;
}

/* A text node of text, made valid UTF-8 (the page says it is): what the
 * pipeline has not repaired, such as file names, is repaired here. */
static xmlNodePtr utf8_text(xmlDocPtr doc, const char *text)
{
	char *fixed = utf8_fixed(text);
	xmlNodePtr t = xmlNewDocText(doc, (const xmlChar *)(fixed ? fixed : text));
	free(fixed);
	return t;
}

void tmpl_set_text(xmlNodePtr n, const char *text)
{
	xmlNodePtr c = n->children;
	while (c) {
		xmlNodePtr next = c->next;
		tmpl_remove(c);
		c = next;
	}
	/* xmlNewDocText takes the bytes as they are; xmlNodeSetContent would
	 * read '&' as the start of an entity reference. */
	xmlAddChild(n, utf8_text(n->doc, text ? text : ""));
}

void tmpl_set_attr(xmlNodePtr n, const char *name, const char *value)
{
	if (!value) {
		xmlUnsetProp(n, (const xmlChar *)name);
		return;
	}
	/* xmlSetProp stores the value as one text node: no entity parsing. */
	char *fixed = utf8_fixed(value);
	xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)(fixed ? fixed : value));
	free(fixed);
}

void tmpl_add_class(xmlNodePtr n, const char *cls)
{
	xmlChar *old = xmlGetProp(n, (const xmlChar *)"class");
	if (old && *old) {
		char *v = xasprintf("%s %s", (const char *)old, cls);
		tmpl_set_attr(n, "class", v);
		free(v);
	} else {
		tmpl_set_attr(n, "class", cls);
	}
	xmlFree(old);
}

void tmpl_drop_classes(xmlNodePtr n, const char *prefix)
{
	xmlChar *old = xmlGetProp(n, (const xmlChar *)"class");
	if (!old)
		return;
	struct buf b = BUF_INIT;
	char *copy = xstrdup((const char *)old), *save = NULL;
	for (char *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save))
		if (!str_starts(t, prefix))
			buf_printf(&b, "%s%s", b.size ? " " : "", t);
	tmpl_set_attr(n, "class", b.size ? buf_cstr(&b) : NULL);
	buf_free(&b);
	free(copy);
	xmlFree(old);
}

xmlNodePtr tmpl_clone(xmlNodePtr tpl)
{
	xmlNodePtr copy = xmlDocCopyNode(tpl, tpl->doc, 1);
	if (!copy) {
		fputs("runsite: out of memory\n", stderr);
		exit(70);
	}
	xmlAddPrevSibling(tpl, copy);
	/* Keep the template's indentation between copies. */
	if (copy->prev && copy->prev->type == XML_TEXT_NODE && xmlIsBlankNode(copy->prev))
		xmlAddPrevSibling(tpl, xmlDocCopyNode(copy->prev, tpl->doc, 1));
	return copy;
}

void tmpl_remove(xmlNodePtr n)
{
	if (!n)
		return;
	/* The line the node stood on goes too, so removed parts leave no blank lines. */
	xmlNodePtr p = n->prev;
	if (n->type == XML_ELEMENT_NODE && p && p->type == XML_TEXT_NODE && p->content &&
	    strchr((const char *)p->content, '\n') && xmlIsBlankNode(p)) {
		xmlUnlinkNode(p);
		xmlFreeNode(p);
	}
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

xmlNodePtr tmpl_add_elem(xmlNodePtr parent, const char *name, const char *text)
{
	xmlNodePtr e = xmlNewDocNode(parent->doc, NULL, (const xmlChar *)name, NULL);
	xmlAddChild(parent, e);
	if (text)
		xmlAddChild(e, utf8_text(parent->doc, text));
	return e;
}

void tmpl_fill(xmlNodePtr n, const char *marker, const char *text)
{
	for (xmlNodePtr c = n; c; c = next_node(c, n, 1))
		if (is_marked(c, marker))
			tmpl_set_text(c, text);
}

/* Drops a leading "../" from attribute name of e. */
static void strip_up(xmlNodePtr e, const char *name)
{
	xmlChar *v = xmlGetProp(e, (const xmlChar *)name);
	if (v && strncmp((const char *)v, "../", 3) == 0) {
		char *rest = xstrdup((const char *)v + 3);
		tmpl_set_attr(e, name, rest);
		free(rest);
	}
	xmlFree(v);
}

void tmpl_relink(htmlDocPtr doc, int depth)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (depth != 0 || !root)
		return;
	for (xmlNodePtr n = root; n; n = next_node(n, root, 1)) {
		if (!is_marked(n, "link"))
			continue;
		strip_up(n, "href");
		strip_up(n, "src");
	}
}

static int buf_write_cb(void *ctx, const char *data, int len)
{
	buf_put(ctx, data, (size_t)len);
	return len;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether n is inside a <nav> (below root). */
static xmlNodePtr nav_of(xmlNodePtr n)
{
	for (; n && n->type == XML_ELEMENT_NODE; n = n->parent)
		if (xmlStrcmp(n->name, BAD_CAST "nav") == 0)
			return n;
	return NULL;
}

/* Links to "#id" where the page has no such id (a section a page left out,
 * such as Sweep or Seeds in the template's nav): in a nav the link goes,
 * elsewhere its text stays without the link; a nav left with no link goes
 * too. Every in-page link then points somewhere. */
static void drop_dead_anchors(xmlNodePtr root)
{
	size_t nids = 0, cap = 0;
	xmlChar **ids = NULL;
	for (xmlNodePtr n = root; n; n = next_node(n, root, 1)) {
		xmlChar *id = n->type == XML_ELEMENT_NODE ? xmlGetProp(n, BAD_CAST "id") : NULL;
		if (!id)
			continue;
		GROW(ids, cap, nids + 1);
		ids[nids++] = id;
	}
	if (nids)
		qsort(ids, nids, sizeof *ids, cmp_cstr);
	xmlNodePtr n = root;
	while (n) {
		xmlChar *href = NULL;
		if (n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST "a") == 0)
			href = xmlGetProp(n, BAD_CAST "href");
		const char *frag = href && href[0] == '#' && href[1] ? (const char *)href + 1 : NULL;
		if (!frag || (nids && bsearch(&frag, ids, nids, sizeof *ids, cmp_cstr))) {
			xmlFree(href);
			n = next_node(n, root, 1);
			continue;
		}
		xmlFree(href);
		xmlNodePtr next = next_node(n, root, 0), nav = nav_of(n);
		if (nav) {
			tmpl_remove(n);
			int links = 0;
			for (xmlNodePtr c = nav; c; c = next_node(c, nav, 1))
				links += c->type == XML_ELEMENT_NODE && xmlStrcmp(c->name, BAD_CAST "a") == 0;
			if (!links) {
				next = next_node(nav, root, 0);
				tmpl_remove(nav);
			}
		} else {
			while (n->children) {
				xmlNodePtr c = n->children;
				xmlUnlinkNode(c);
				xmlAddPrevSibling(n, c);
			}
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
		n = next;
	}
	for (size_t i = 0; i < nids; i++)
		xmlFree(ids[i]);
	free(ids);
}

void tmpl_serialize(htmlDocPtr doc, struct buf *out)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (root)
		drop_dead_anchors(root);
	for (xmlNodePtr n = root; n; n = next_node(n, root, 1))
		if (n->type == XML_ELEMENT_NODE)
			xmlUnsetProp(n, MARK);
	/* Written through a UTF-8 encoder, so text stays UTF-8 instead of
	 * becoming character references. */
	xmlOutputBufferPtr ob = xmlOutputBufferCreateIO(buf_write_cb, NULL, out,
	                                                xmlFindCharEncodingHandler("UTF-8"));
	if (!ob)
		out_of_memory();
	htmlDocContentDumpFormatOutput(ob, doc, "UTF-8", 0);
	xmlOutputBufferClose(ob);
	buf_cstr(out);
}
