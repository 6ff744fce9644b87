/* yamlkv.c — YAML flattened into params (libyaml events into a small tree,
 * then a walk with a budget) for every reader that reads YAML params
 * (Lightning, TensorBoard, DVCLive) and for a report's front matter, and
 * lenient JSON (Python's NaN tokens) for the CSV, Hugging Face and DVCLive
 * readers. It lives outside src/readers/ because the site's report pages use
 * it too, and the site knows no run-store format. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "runsite/diag.h"
#include "runsite/numparse.h"
#include "runsite/util.h"
#include "runsite/yamlkv.h"

#define YAML_MAX_NODES 200000   /* nodes kept from one file */
#define YAML_MAX_DEPTH 64       /* nesting followed when flattening or rendering */
#define YAML_MAX_VISITS 200000  /* nodes visited while flattening, aliases included */
#define YAML_MAX_TEXT 4096      /* bytes of one rendered sequence or tagged value */
#define YAML_MAX_PAIRS 20000    /* pairs added from one file */
#define YAML_MAX_FILE (64u << 20)

#define YAML_CORE "tag:yaml.org,2002:"

enum ykind { Y_SCALAR, Y_SEQ, Y_MAP, Y_ALIAS };

struct ynode {
	enum ykind kind;
	char *tag;             /* a tag other than the core schema's, or NULL */
	char *text;            /* scalar value; alias: the anchor name */
	int plain;             /* scalar written without quotes */
	struct ynode *target;  /* alias: the anchored node, NULL if unknown */
	struct ynode **kids;   /* sequence items; mapping keys and values alternating */
	size_t n, cap;
};

struct anchor {
	char *name;
	struct ynode *node;
};

struct ytree {
	struct ynode **all; /* every node, for freeing */
	size_t nall, capall;
	struct anchor *anchors;
	size_t nanchors, capanchors;
};

struct flat {
	const char *path;
	char sep;          /* between a mapping's key and the keys below it */
	struct kvlist *out;
	long added;
	size_t visits;
	int over; /* a budget ran out (reported once) */
};

/* Whether tag is worth showing: not absent, not "!", not a core-schema tag. */
static int tag_shown(const char *tag)
{
	if (!tag || strcmp(tag, "!") == 0)
		return 0;
	if (str_starts(tag, YAML_CORE)) {
		const char *t = tag + strlen(YAML_CORE);
		static const char *const core[] = {"str", "int", "float", "bool", "null", "map",
		                                   "seq", "binary", "timestamp", NULL};
		for (size_t i = 0; core[i]; i++)
			if (strcmp(t, core[i]) == 0)
				return 0;
	}
	return 1;
}

/* A new node of kind with the event's tag, registered for freeing and under
 * its anchor. Returns NULL when the node budget is spent. */
static struct ynode *node_new(struct ytree *t, enum ykind kind, const yaml_char_t *tag,
                              const yaml_char_t *anchor)
{
	if (t->nall >= YAML_MAX_NODES)
		return NULL;
	struct ynode *n = xcalloc(1, sizeof *n);
	n->kind = kind;
	if (tag_shown((const char *)tag))
		n->tag = xstrdup((const char *)tag);
	GROW(t->all, t->capall, t->nall + 1);
	t->all[t->nall++] = n;
	if (anchor) {
		GROW(t->anchors, t->capanchors, t->nanchors + 1);
		t->anchors[t->nanchors].name = xstrdup((const char *)anchor);
		t->anchors[t->nanchors].node = n;
		t->nanchors++;
	}
	return n;
}

static void node_add(struct ynode *parent, struct ynode *kid)
{
	GROW(parent->kids, parent->cap, parent->n + 1);
	parent->kids[parent->n++] = kid;
}

/* The node anchored as name (the latest such anchor), or NULL. */
static struct ynode *anchor_find(struct ytree *t, const char *name)
{
	for (size_t i = t->nanchors; i-- > 0;)
		if (strcmp(t->anchors[i].name, name) == 0)
			return t->anchors[i].node;
	return NULL;
}

static void tree_free(struct ytree *t)
{
	for (size_t i = 0; i < t->nall; i++) {
		free(t->all[i]->tag);
		free(t->all[i]->text);
		free(t->all[i]->kids);
		free(t->all[i]);
	}
	free(t->all);
	for (size_t i = 0; i < t->nanchors; i++)
		free(t->anchors[i].name);
	free(t->anchors);
}

/* Builds the tree of the first document from libyaml's events. Returns the
 * root (possibly incomplete after an error, which is reported), or NULL. */
static struct ynode *tree_build(struct ytree *t, const char *text, size_t len, const char *path)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct ynode *stack[YAML_MAX_DEPTH + 1], *root = NULL;
	int depth = 0, skip = 0; /* skip: levels opened beyond YAML_MAX_DEPTH */
	if (!yaml_parser_initialize(&parser))
		return NULL;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (;;) {
		if (!yaml_parser_parse(&parser, &ev)) {
			diag_warn(path, parser.problem_mark.line + 1, "YAML: %s%s%s",
			          parser.problem ? parser.problem : "cannot parse",
			          parser.context ? " " : "", parser.context ? parser.context : "");
			break;
		}
		if (ev.type == YAML_DOCUMENT_END_EVENT || ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		struct ynode *n = NULL;
		int opens = 0;
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
			if (skip)
				break;
			n = node_new(t, Y_SCALAR, ev.data.scalar.tag, ev.data.scalar.anchor);
			if (n) {
				n->text = xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
				n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			}
			break;
		case YAML_ALIAS_EVENT:
			if (skip)
				break;
			n = node_new(t, Y_ALIAS, NULL, NULL);
			if (n) {
				n->text = xstrdup((const char *)ev.data.alias.anchor);
				n->target = anchor_find(t, n->text);
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			opens = 1;
			if (skip || depth >= YAML_MAX_DEPTH) {
				skip++;
				break;
			}
			if (ev.type == YAML_SEQUENCE_START_EVENT)
				n = node_new(t, Y_SEQ, ev.data.sequence_start.tag,
				             ev.data.sequence_start.anchor);
			else
				n = node_new(t, Y_MAP, ev.data.mapping_start.tag,
				             ev.data.mapping_start.anchor);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (skip)
				skip--;
			else if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
		if (n) {
			if (depth > 0)
				node_add(stack[depth - 1], n);
			else if (!root)
				root = n;
			if (opens)
				stack[depth++] = n;
		} else if ((ev.type == YAML_SCALAR_EVENT || opens) && !skip &&
		           t->nall >= YAML_MAX_NODES) {
			diag_warn(path, ev.start_mark.line + 1,
			          "YAML: more than %d nodes; the rest is left out", YAML_MAX_NODES);
			yaml_event_delete(&ev);
			break;
		} else if (opens && skip == 1) {
			/* Parsing on would cost libyaml time quadratic in the depth. */
			diag_warn(path, ev.start_mark.line + 1,
			          "YAML: nested deeper than %d levels; the rest of the file is left out",
			          YAML_MAX_DEPTH);
			yaml_event_delete(&ev);
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return root;
}

/* Whether a plain scalar reads as a JSON number, boolean or null. */
static int scalar_is_bare(const struct ynode *n)
{
	double d;
	if (!n->plain)
		return 0;
	const char *s = n->text;
	return strcmp(s, "true") == 0 || strcmp(s, "false") == 0 || strcmp(s, "null") == 0 ||
	       (*s && strchr("+-.0123456789", *s) && num_parse_blanks(s, s + strlen(s), &d) && isfinite(d));
}

static void put_quoted(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		if (*s == '\n')
			BUF_PUTSL(b, "\\n");
		else
			buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

/* Shows an unknown tag the way it was most likely written. */
static void put_tag(struct buf *b, const char *tag)
{
	if (str_starts(tag, YAML_CORE))
		buf_printf(b, "!!%s ", tag + strlen(YAML_CORE));
	else
		buf_printf(b, "%s ", tag);
}

/* Renders n as JSON-like text into b, within the text and visit budgets. */
static void render(struct flat *f, struct buf *b, const struct ynode *n, int depth)
{
	if (b->size > YAML_MAX_TEXT || ++f->visits > YAML_MAX_VISITS || depth > YAML_MAX_DEPTH) {
		BUF_PUTSL(b, "…");
		return;
	}
	if (n->kind == Y_ALIAS) {
		if (!n->target) {
			buf_printf(b, "*%s", n->text);
			return;
		}
		n = n->target;
	}
	if (n->tag)
		put_tag(b, n->tag);
	switch (n->kind) {
	case Y_SCALAR:
		if (scalar_is_bare(n))
			buf_puts(b, n->text);
		else if (n->plain && !*n->text)
			BUF_PUTSL(b, "null");
		else
			put_quoted(b, n->text);
		break;
	case Y_SEQ:
		buf_putc(b, '[');
		for (size_t i = 0; i < n->n && b->size <= YAML_MAX_TEXT; i++) {
			if (i)
				BUF_PUTSL(b, ", ");
			render(f, b, n->kids[i], depth + 1);
		}
		buf_putc(b, ']');
		break;
	case Y_MAP:
		buf_putc(b, '{');
		for (size_t i = 0; i + 1 < n->n && b->size <= YAML_MAX_TEXT; i += 2) {
			if (i)
				BUF_PUTSL(b, ", ");
			render(f, b, n->kids[i], depth + 1);
			BUF_PUTSL(b, ": ");
			render(f, b, n->kids[i + 1], depth + 1);
		}
		buf_putc(b, '}');
		break;
	case Y_ALIAS: /* an alias of an alias cannot happen; show the name */
		buf_printf(b, "*%s", n->text);
		break;
	}
}

static void flat_add(struct flat *f, const char *key, const char *value)
{
	if (f->added >= YAML_MAX_PAIRS) {
		if (!f->over)
			diag_warn(f->path, 0, "YAML: more than %d values; the rest is left out",
			          YAML_MAX_PAIRS);
		f->over = 1;
		return;
	}
	kvlist_add(f->out, key && *key ? key : "(value)", value);
	f->added++;
}

/* Adds the pairs under n with key prefix key (NULL at the top). */
static void flatten(struct flat *f, const struct ynode *n, const char *key, int depth)
{
	if (++f->visits > YAML_MAX_VISITS || depth > YAML_MAX_DEPTH) {
		if (!f->over)
			diag_warn(f->path, 0,
			          "YAML: too many nodes or aliases to follow; the rest is left out");
		f->over = 1;
		return;
	}
	if (n->kind == Y_ALIAS && n->target)
		n = n->target;
	if (n->kind == Y_MAP && !n->tag && n->n >= 2) {
		for (size_t i = 0; i + 1 < n->n && !f->over; i += 2) {
			const struct ynode *k = n->kids[i], *v = n->kids[i + 1];
			if (k->kind == Y_SCALAR && k->plain && strcmp(k->text, "<<") == 0) {
				/* A merge key: the mapping (or list of mappings) it names
				 * adds its pairs here. */
				const struct ynode *m = v->kind == Y_ALIAS && v->target ? v->target : v;
				if (m->kind == Y_SEQ)
					for (size_t j = 0; j < m->n; j++)
						flatten(f, m->kids[j], key, depth + 1);
				else
					flatten(f, m, key, depth + 1);
				continue;
			}
			struct buf kb = BUF_INIT;
			if (key && *key) {
				buf_puts(&kb, key);
				buf_putc(&kb, f->sep);
			}
			if (k->kind == Y_SCALAR && !k->tag)
				buf_puts(&kb, k->text);
			else
				render(f, &kb, k, depth + 1);
			flatten(f, v, buf_cstr(&kb), depth + 1);
			buf_free(&kb);
		}
		return;
	}
	struct buf vb = BUF_INIT;
	if (n->kind == Y_SCALAR && !n->tag)
		buf_puts(&vb, n->plain && !*n->text ? "null" : n->text);
	else if (n->kind == Y_MAP && !n->tag)
		BUF_PUTSL(&vb, "{}");
	else
		render(f, &vb, n, depth + 1);
	flat_add(f, key, buf_cstr(&vb));
	buf_free(&vb);
}

long yamlkv_parse(const char *text, size_t len, const char *path, const char *prefix,
                  char sep, struct kvlist *out)
{
	struct ytree t = {0};
	struct ynode *root = tree_build(&t, text, len, path);
	long added = -1;
	if (root) {
		struct flat f = {path, sep, out, 0, 0, 0};
		/* An empty document (a bare "{}" or nothing) adds nothing. */
		if (!(root->kind == Y_MAP && root->n == 0) &&
		    !(root->kind == Y_SCALAR && root->plain && !*root->text))
			flatten(&f, root, prefix, 0);
		added = f.added;
	} else {
		/* Nothing at all, or an error before the first node (reported). */
		added = t.nall == 0 && len > 0 ? -1 : 0;
	}
	tree_free(&t);
	return added;
}

long yamlkv_load(const char *path, const char *prefix, char sep, struct kvlist *out)
{
	struct buf b = BUF_INIT;
	long n = -1;
	if (!read_file(path, &b, YAML_MAX_FILE)) {
		diag_warn(path, 0, "cannot read: %s", strerror(errno));
		goto out;
	}
	n = yamlkv_parse(buf_cstr(&b), b.size, path, prefix, sep, out);
out:
	buf_free(&b);
	return n;
}

/* The strings bare NaN tokens become: a control character first, which
 * Python's json never writes unescaped and users hardly ever log. */
#define SENTINEL "\x01"

static int is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.';
}

json_t *json_parse_lenient(const char *text, size_t len, const char *path)
{
	struct buf b = BUF_INIT;
	int in_str = 0;
	size_t i = 0, copied = 0;
	/* Copy the text, turning each bare token outside strings into a string. */
	while (i < len) {
		char c = text[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			i++;
			continue;
		}
		if (c == '"') {
			in_str = 1;
			i++;
			continue;
		}
		const char *word = NULL;
		size_t wl = 0;
		if (c == 'N' && len - i >= 3 && memcmp(text + i, "NaN", 3) == 0)
			word = "NaN", wl = 3;
		else if (c == 'I' && len - i >= 8 && memcmp(text + i, "Infinity", 8) == 0)
			word = "Infinity", wl = 8;
		else if (c == '-' && len - i >= 9 && memcmp(text + i, "-Infinity", 9) == 0)
			word = "-Infinity", wl = 9;
		if (word && (i == 0 || !is_word(text[i - 1])) && (i + wl == len || !is_word(text[i + wl]))) {
			buf_put(&b, text + copied, i - copied);
			buf_printf(&b, "\"\\u0001%s\"", word);
			i += wl;
			copied = i;
			continue;
		}
		i++;
	}
	const char *src = text;
	size_t srclen = len;
	if (copied > 0) {
		buf_put(&b, text + copied, len - copied);
		src = b.data;
		srclen = b.size;
	}
	json_error_t err;
	json_t *root = json_loadb(src, srclen, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &err);
	if (!root && path)
		diag_warn(path, err.line > 0 ? (size_t)err.line : 0, "JSON: %s", err.text);
	buf_free(&b);
	return root;
}

int json_to_double(const json_t *v, int strings, double *out)
{
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 1;
	}
	if (!json_is_string(v))
		return 0;
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n > 1 && s[0] == SENTINEL[0])
		return num_parse_blanks(s + 1, s + n, out);
	return strings && n > 0 && num_parse_blanks(s, s + n, out);
}

char *json_to_text(const json_t *v)
{
	char num[40];
	double d;
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (s[0] == SENTINEL[0] && json_to_double(v, 0, &d)) {
			fmt_double(num, sizeof num, d);
			return xstrdup(num);
		}
		return xstrndup(s, json_string_length(v));
	}
	if (json_is_number(v)) {
		fmt_double(num, sizeof num, json_number_value(v));
		return xstrdup(num);
	}
	if (json_is_true(v))
		return xstrdup("true");
	if (json_is_false(v))
		return xstrdup("false");
	if (json_is_null(v))
		return xstrdup("null");
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char *copy = xstrdup(s ? s : "");
	free(s);
	return copy;
}
