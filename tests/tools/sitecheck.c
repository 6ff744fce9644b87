/* sitecheck — checks a generated site as a browser would load it: every page
 * parses as HTML with libxml2, every relative link and image names a file
 * that exists inside the site, and nothing is loaded from another host.
 * Usage: sitecheck SITE_DIR   (prints "not ok ..." lines and a summary line) */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

static int passed, failed;
static char site_root[PATH_MAX];

static void bad(const char *page, const char *what, const char *value)
{
	failed++;
	printf("not ok %s: %s: %s\n", page, what, value);
}

static int has_scheme(const char *u)
{
	for (const char *p = u; *p; p++) {
		if (*p == ':')
			return p > u;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (p > u && ((*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))))
			return 0;
	}
	return 0;
}

/* Decodes %XX escapes in place. */
static void url_decode(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '%' && s[1] && s[2]) {
			char hex[3] = {s[1], s[2], 0};
			*o++ = (char)strtol(hex, NULL, 16);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

static void check_ref(const char *page, const char *dir, const char *attr, const char *tag,
                      const char *value)
{
	if (value[0] == '#' || value[0] == 0) {
		passed++;
		return;
	}
	if (has_scheme(value)) {
		/* Outside links in notes are fine on <a>; nothing may be *loaded* from elsewhere. */
		if (strcmp(attr, "href") == 0 && strcmp(tag, "a") == 0 &&
		    (strncmp(value, "http://", 7) == 0 || strncmp(value, "https://", 8) == 0 ||
		     strncmp(value, "mailto:", 7) == 0)) {
			passed++;
			return;
		}
		if (strncmp(value, "data:", 5) == 0 && strcmp(attr, "src") == 0) {
			passed++;
			return;
		}
		bad(page, "link with a scheme that a static site cannot serve", value);
		return;
	}
	if (value[0] == '/') {
		bad(page, "absolute link (breaks under a sub-path and from file://)", value);
		return;
	}
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, value);
	char *cut = strpbrk(path + strlen(dir), "#?");
	if (cut)
		*cut = 0;
	if (path[strlen(path) - 1] == '/') {
		bad(page, "link to a folder (does not work from file://)", value);
		return;
	}
	url_decode(path);
	char real[PATH_MAX];
	struct stat st;
	if (!realpath(path, real) || stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
		bad(page, "link to a missing file", value);
		return;
	}
	if (strncmp(real, site_root, strlen(site_root)) != 0) {
		bad(page, "link leaves the site folder", value);
		return;
	}
	passed++;
}

static void walk_nodes(const char *page, const char *dir, xmlNode *n)
{
	for (; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE) {
			for (xmlAttr *a = n->properties; a; a = a->next) {
				const char *name = (const char *)a->name;
				if (strcmp(name, "href") && strcmp(name, "src"))
					continue;
				xmlChar *v = xmlNodeGetContent((xmlNode *)a);
				check_ref(page, dir, name, (const char *)n->name, (const char *)v);
				xmlFree(v);
			}
			if (strcmp((const char *)n->name, "script") == 0 &&
			    !xmlHasProp(n, (const xmlChar *)"src"))
				bad(page, "inline script", "(a page's script lives in assets/)");
		}
		walk_nodes(page, dir, n->children);
	}
}

static void check_page(const char *path)
{
	htmlDocPtr doc = htmlReadFile(path, "UTF-8", HTML_PARSE_NONET | HTML_PARSE_NOERROR |
	                                                  HTML_PARSE_NOWARNING);
	if (!doc || !xmlDocGetRootElement(doc)) {
		bad(path, "does not parse as HTML", "");
		if (doc)
			xmlFreeDoc(doc);
		return;
	}
	passed++;
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	walk_nodes(path, dir, xmlDocGetRootElement(doc));
	xmlFreeDoc(doc);
}

static int walk_dir(const char *dir)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return 0;
	int pages = 0;
	struct dirent *de;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		struct stat st;
		if (lstat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			pages += walk_dir(p);
		else if (strlen(de->d_name) > 5 && strcmp(de->d_name + strlen(de->d_name) - 5, ".html") == 0) {
			check_page(p);
			pages++;
		}
	}
	closedir(dp);
	return pages;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: sitecheck SITE_DIR\n");
		return 2;
	}
	if (!realpath(argv[1], site_root)) {
		perror(argv[1]);
		return 2;
	}
	int pages = walk_dir(argv[1]);
	if (pages == 0)
		bad(argv[1], "no pages", "");
	printf("sitecheck: %d pages; %d passed, %d failed\n", pages, passed, failed);
	return failed ? 1 : 0;
}
