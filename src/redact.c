/* redact.c — secret redaction by key name, by credential shape and by place
 * (passwords inside URLs). Matching is by hand (no regex library) so it is
 * fast and has no catastrophic cases. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include "runsite/redact.h"
#include "runsite/util.h"

/* Key words that mark a secret when they stand as a whole word of the key
 * ("tokenizer" and "author" are not secrets; "hf_token" and "auth" are). */
static const char *const secret_words[] = {
	"password", "passwd", "pwd", "pass", "secret", "secrets", "token", "apikey", "credentials",
	"credential", "auth", "passphrase", "privatekey", "secretkey", "accesskey", NULL,
};
/* Endings that mark a secret inside one word: PGPASSWORD, dbpasswd. */
static const char *const secret_endings[] = {"password", "passwd", NULL};
/* Two-word names, written with any separator or none: api_key, API-KEY, apiKey. */
static const char *const secret_pairs[][2] = {
	{"api", "key"}, {"access", "key"}, {"private", "key"}, {"secret", "key"},
	{"client", "secret"}, {"auth", "token"}, {NULL, NULL},
};

/* Splits key into lower-case words at non-alphanumerics and camelCase humps. */
static size_t split_words(const char *key, char words[][32], size_t max)
{
	size_t n = 0, len = 0;
	for (const char *p = key;; p++) {
		int boundary = !*p || !isalnum((unsigned char)*p) ||
		               (p > key && isupper((unsigned char)*p) && islower((unsigned char)p[-1]));
		if (boundary && len) {
			words[n][len] = 0;
			if (++n == max)
				return n;
			len = 0;
		}
		if (!*p)
			break;
		if (isalnum((unsigned char)*p) && len < 31)
			words[n][len++] = (char)tolower((unsigned char)*p);
	}
	return n;
}

bool redact_key_is_secret(const char *key)
{
	char words[16][32];
	size_t n = split_words(key, words, 16);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; secret_words[k]; k++)
			if (strcmp(words[i], secret_words[k]) == 0)
				return true;
		for (size_t k = 0; secret_endings[k]; k++)
			if (str_ends(words[i], secret_endings[k]))
				return true;
		for (size_t k = 0; secret_pairs[k][0] && i + 1 < n; k++)
			if (strcmp(words[i], secret_pairs[k][0]) == 0 &&
			    strcmp(words[i + 1], secret_pairs[k][1]) == 0)
				return true;
	}
	return false;
}

static int is_upper_alnum(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_b64url(int c)
{
	return isalnum(c) || c == '-' || c == '_';
}

/* Length of a run of characters that satisfy pred, starting at s. */
static size_t span(const char *s, int (*pred)(int))
{
	size_t n = 0;
	while (s[n] && pred((unsigned char)s[n]))
		n++;
	return n;
}

static int is_token_char(int c)
{
	return isalnum(c) || c == '_';
}

static int is_slack_char(int c)
{
	return isalnum(c) || c == '-';
}

/* If a credential starts at s (and s starts a word), returns its length; else 0. */
static size_t credential_at(const char *text, const char *s)
{
	if (s > text && (isalnum((unsigned char)s[-1]) || s[-1] == '_'))
		return 0;
	/* AWS access key ids: AKIA/ASIA + 16 upper-case letters or digits. */
	if ((!strncmp(s, "AKIA", 4) || !strncmp(s, "ASIA", 4)) && span(s + 4, is_upper_alnum) == 16)
		return 20;
	/* GitHub tokens: ghp_, gho_, ghu_, ghs_, ghr_ + 36 or more; fine-grained github_pat_. */
	if (s[0] == 'g' && s[1] == 'h' && strchr("pousr", s[2]) && s[2] && s[3] == '_' &&
	    span(s + 4, is_token_char) >= 30)
		return 4 + span(s + 4, is_token_char);
	if (!strncmp(s, "github_pat_", 11) && span(s + 11, is_token_char) >= 20)
		return 11 + span(s + 11, is_token_char);
	/* GitLab personal access tokens. */
	if (!strncmp(s, "glpat-", 6) && span(s + 6, is_b64url) >= 20)
		return 6 + span(s + 6, is_b64url);
	/* Slack tokens: xoxb-, xoxp-, xoxa-, xoxr-, xoxs-. */
	if (!strncmp(s, "xox", 3) && s[3] && strchr("bpars", s[3]) && s[4] == '-' &&
	    span(s + 5, is_slack_char) >= 10)
		return 5 + span(s + 5, is_slack_char);
	/* JWTs: three base64url parts, the first two starting with {" encoded. */
	if (!strncmp(s, "eyJ", 3)) {
		size_t a = span(s, is_b64url);
		if (a >= 10 && s[a] == '.' && !strncmp(s + a + 1, "eyJ", 3)) {
			size_t b = span(s + a + 1, is_b64url);
			if (s[a + 1 + b] == '.') {
				size_t c = span(s + a + 2 + b, is_b64url);
				if (c >= 10)
					return a + 1 + b + 1 + c;
			}
		}
	}
	/* PEM private keys, up to and including the END line (or the end of the text). */
	if (!strncmp(s, "-----BEGIN ", 11)) {
		const char *eol = strstr(s + 11, "-----");
		if (eol && memmem(s, (size_t)(eol - s), "PRIVATE KEY", 11)) {
			const char *end = strstr(eol + 5, "-----END ");
			if (!end)
				return strlen(s);
			const char *close = strstr(end + 9, "-----");
			return close ? (size_t)(close + 5 - s) : strlen(s);
		}
	}
	return 0;
}

/* A bare user name before '@' with this many letters and digits is a token
 * (https://TOKEN@host). */
#define USERINFO_TOKEN_MIN 20

/* True when s (n bytes) is a placeholder, as written or percent-encoded in
 * a link (%5Bredacted-1%5D): redacting twice changes nothing. */
static int is_placeholder(const char *s, size_t n)
{
	if (n >= 10 && !strncmp(s, "[redacted", 9) && s[n - 1] == ']')
		return 1;
	return n >= 14 && !strncasecmp(s, "%5Bredacted", 11) && !strncasecmp(s + n - 3, "%5D", 3);
}

/* Letters and digits in s (n bytes), %XX read as the byte it stands for: a
 * user part counts the same as written and as a page's link encodes it. */
static size_t alnum_count(const char *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = {s[i + 1], s[i + 2], 0};
			c = (int)strtol(hex, NULL, 16);
			i += 2;
		}
		count += isalnum(c) != 0;
	}
	return count;
}

/* When s is the "://" of a URL (scheme://user:password@host), finds the
 * password, or a user part long enough to be a token: returns its length
 * and sets *start. Returns 0 when there is none. */
static size_t url_secret_at(const char *text, const char *s, const char **start, bool whole_url)
{
	if (s[0] != ':' || s[1] != '/' || s[2] != '/')
		return 0;
	/* A scheme: a letter, then letters, digits, '+', '-', '.'; not the tail
	 * of a %XX a link's address encodes a byte as. */
	const char *scheme = s;
	while (scheme > text && (isalnum((unsigned char)scheme[-1]) || scheme[-1] == '+' ||
	                         scheme[-1] == '-' || scheme[-1] == '.'))
		scheme--;
	/* "%FF" is one byte; a '%' before anything else is just a '%' ("%https://"
	 * still links https://). */
	if (scheme > text && scheme[-1] == '%' && isxdigit((unsigned char)scheme[0]) &&
	    isxdigit((unsigned char)scheme[1]))
		scheme += 2;
	while (scheme < s && !isalpha((unsigned char)*scheme))
		scheme++;
	if (scheme == s)
		return 0;
	const char *auth = s + 3;
	/* In text a URL ends at a quote or bracket too; a link's address is all
	 * URL, and its page encodes a backslash as %5C. */
	size_t alen = strcspn(auth, whole_url ? "/?# \t\r\n" : "/?#\\ \t\r\n\"'<>`");
	const char *at = NULL;
	for (size_t i = 0; i < alen; i++)
		if (auth[i] == '@')
			at = auth + i;
	if (!at)
		return 0;
	const char *colon = memchr(auth, ':', (size_t)(at - auth));
	const char *from = colon ? colon + 1 : auth;
	size_t n = (size_t)(at - from);
	if (n == 0 || (!colon && alnum_count(from, n) < USERINFO_TOKEN_MIN))
		return 0;
	if (is_placeholder(from, n))
		return 0;
	*start = from;
	return n;
}

/* Finds the first secret at or after from: sets *start and returns its
 * length, or returns 0 when there is none. */
static size_t next_secret(const char *text, const char *from, const char **start, bool whole_url)
{
	for (const char *s = from; *s; s++) {
		/* Only these characters can start a URL's "://" or a credential. */
		size_t n;
		switch (*s) {
		case ':':
			n = url_secret_at(text, s, start, whole_url);
			if (n)
				return n;
			break;
		case 'A': case 'g': case 'x': case 'e': case '-':
			n = credential_at(text, s);
			if (n) {
				*start = s;
				return n;
			}
			break;
		default:
			break;
		}
	}
	return 0;
}

/* Bytes of a character a page does not show at s (C0 controls but tab and
 * line ends, which HTML drops; DEL; soft hyphen; zero-width spaces and
 * joiners; byte order mark), or 0. */
static size_t invisible_at(const char *p)
{
	const unsigned char *s = (const unsigned char *)p;
	if ((s[0] && s[0] < 0x20 && s[0] != '\t' && s[0] != '\n' && s[0] != '\r') || s[0] == 0x7f)
		return 1;
	if (s[0] == 0xc2 && s[1] == 0xad)
		return 2;
	if (s[0] == 0xe2 && s[1] == 0x80 && s[2] >= 0x8b && s[2] <= 0x8d)
		return 3;
	if ((s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0xa0) ||
	    (s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf))
		return 3;
	return 0;
}

typedef size_t span_t[2]; /* [start, end) byte offsets */

/* Adds to the n spans of *out (in order) each URL secret of text as
 * written that none of them covers. Returns the new count. */
static size_t add_address_secrets(const char *text, span_t **out, size_t *cap, size_t n,
                                  bool whole_url)
{
	const char *start;
	for (const char *s = strstr(text, "://"); s; s = strstr(s + 1, "://")) {
		size_t len = url_secret_at(text, s, &start, whole_url);
		if (!len)
			continue;
		size_t a = (size_t)(start - text), e = a + len;
		bool covered = false;
		for (size_t i = 0; i < n && !covered; i++)
			covered = (*out)[i][0] < e && a < (*out)[i][1];
		if (covered)
			continue;
		GROW(*out, *cap, n + 1);
		size_t i = n++;
		for (; i > 0 && (*out)[i - 1][0] > a; i--)
			memcpy((*out)[i], (*out)[i - 1], sizeof(span_t));
		(*out)[i][0] = a;
		(*out)[i][1] = e;
	}
	return n;
}

/* The secrets in text as a reader sees it (characters a page does not show
 * cannot split one), as offsets into text, in order. Returns their count;
 * *out is freed by the caller (NULL when none). */
static size_t find_spans(const char *text, span_t **out, bool whole_url)
{
	*out = NULL;
	size_t n = 0, cap = 0, *map = NULL;
	const char *seen = text;
	struct buf shown = BUF_INIT;
	/* Invisible characters start with a control byte or 0xc2, 0xe2, 0xef. */
	const unsigned char *p = (const unsigned char *)text;
	while (*p && (*p >= 0x20 || *p == '\t' || *p == '\n' || *p == '\r') && *p != 0x7f &&
	       ((*p != 0xc2 && *p != 0xe2 && *p != 0xef) || !invisible_at((const char *)p)))
		p++;
	if (*p) {
		/* What shows, and where each of its bytes came from. */
		size_t len = strlen(text);
		map = xreallocarray(NULL, len + 1, sizeof *map);
		for (size_t i = 0; i < len;) {
			size_t k = invisible_at(text + i);
			if (k) {
				i += k;
				continue;
			}
			map[shown.size] = i;
			buf_putc(&shown, text[i++]);
		}
		seen = buf_cstr(&shown);
	}
	const char *start;
	size_t len;
	for (const char *from = seen; (len = next_secret(seen, from, &start, whole_url)) != 0;
	     from = start + len) {
		size_t a = (size_t)(start - seen), e = a + len;
		GROW(*out, cap, n + 1);
		/* Invisible characters at its edges go with it (a link would show %12). */
		(*out)[n][0] = !map ? a : a ? map[a - 1] + 1 : 0;
		(*out)[n][1] = !map ? e : e < shown.size ? map[e] : strlen(text);
		if (n && (*out)[n][0] < (*out)[n - 1][1])
			(*out)[n][0] = (*out)[n - 1][1];
		n++;
	}
	/* A link's address shows what a page drops, as %XX: a password of such
	 * characters alone ("https://u:\035\035@h", found by fuzz_notes) is
	 * one there, though the text reads "u:@". */
	if (map)
		n = add_address_secrets(text, out, &cap, n, whole_url);
	free(map);
	buf_free(&shown);
	return n;
}

/* ---- placeholders: one number per distinct secret ---- */

struct redactor {
	char **secrets; /* open addressing, by hash_str */
	size_t *nums;
	size_t cap, n;
};

struct redactor *redactor_new(void)
{
	return xcalloc(1, sizeof(struct redactor));
}

void redactor_free(struct redactor *rd)
{
	if (!rd)
		return;
	for (size_t i = 0; i < rd->cap; i++)
		free(rd->secrets[i]);
	free(rd->secrets);
	free(rd->nums);
	free(rd);
}

/* The number of secret (n bytes), given on first sight in the order 1, 2, 3... */
static size_t secret_number(struct redactor *rd, const char *secret, size_t n)
{
	if (rd->n * 2 >= rd->cap) {
		size_t ncap = rd->cap ? rd->cap * 2 : 64;
		char **ns = xcalloc(ncap, sizeof *ns);
		size_t *nn = xcalloc(ncap, sizeof *nn);
		for (size_t i = 0; i < rd->cap; i++) {
			if (!rd->secrets[i])
				continue;
			size_t j = hash_str(rd->secrets[i]) & (ncap - 1);
			while (ns[j])
				j = (j + 1) & (ncap - 1);
			ns[j] = rd->secrets[i];
			nn[j] = rd->nums[i];
		}
		free(rd->secrets);
		free(rd->nums);
		rd->secrets = ns;
		rd->nums = nn;
		rd->cap = ncap;
	}
	size_t i = hash_bytes(secret, n) & (rd->cap - 1);
	while (rd->secrets[i]) {
		if (strlen(rd->secrets[i]) == n && !memcmp(rd->secrets[i], secret, n))
			return rd->nums[i];
		i = (i + 1) & (rd->cap - 1);
	}
	rd->secrets[i] = xstrndup(secret, n);
	rd->nums[i] = ++rd->n;
	return rd->n;
}

/* Writes the placeholder for a secret: numbered with a redactor, else plain. */
static void put_placeholder(struct buf *out, struct redactor *rd, const char *secret, size_t n)
{
	if (rd)
		buf_printf(out, "[redacted-%zu]", secret_number(rd, secret, n));
	else
		buf_puts(out, REDACTED);
}

/* Replaces every secret in text by its placeholder. Returns a new string, or
 * NULL when text holds none. */
static char *redact_in(struct redactor *rd, const char *text, bool whole_url)
{
	if (!text)
		return NULL;
	span_t *spans;
	size_t n = find_spans(text, &spans, whole_url);
	if (!n)
		return NULL;
	struct buf out = BUF_INIT;
	size_t copied = 0;
	for (size_t i = 0; i < n; i++) {
		buf_put(&out, text + copied, spans[i][0] - copied);
		put_placeholder(&out, rd, text + spans[i][0], spans[i][1] - spans[i][0]);
		copied = spans[i][1];
	}
	buf_puts(&out, text + copied);
	free(spans);
	return buf_detach(&out);
}

static char *redact_with(struct redactor *rd, const char *text)
{
	return redact_in(rd, text, false);
}

char *redact_text(const char *text)
{
	return redact_with(NULL, text);
}

char *redact_name(struct redactor *rd, const char *text)
{
	return redact_with(rd, text);
}

/* ---- Markdown: the text as rendered ---- */

/* A piece of a block's rendered text: a text or code node's literal, or a
 * line break (node NULL). */
struct piece {
	cmark_node *node;
	size_t off, len;
};

struct md_block {
	cmark_node *block; /* the block the pieces belong to */
	struct piece *pieces;
	size_t n, cap;
	struct buf text;   /* the pieces' text, joined */
	int changed;
	cmark_node **emptied; /* nodes left without text, removed after the walk */
	size_t nemptied, capemptied;
};

static cmark_node *block_of(cmark_node *n)
{
	while (n && (cmark_node_get_type(n) & CMARK_NODE_TYPE_MASK) != CMARK_NODE_TYPE_BLOCK)
		n = cmark_node_parent(n);
	return n;
}

/* A link whose address ends with its text (an autolink: "https://u:pw@h",
 * "mailto:pw@h") loses in its address what text loses, now its literal. */
static void link_follows(cmark_node *text, const char *now)
{
	cmark_node *link = cmark_node_parent(text);
	if (!link || cmark_node_get_type(link) != CMARK_NODE_LINK)
		return;
	const char *url = cmark_node_get_url(link), *old = cmark_node_get_literal(text);
	if (!url || !old || !*old || !str_ends(url, old))
		return;
	char *moved = xasprintf("%.*s%s", (int)(strlen(url) - strlen(old)), url, now);
	cmark_node_set_url(link, moved);
	free(moved);
}

/* Looks for secrets in the block's rendered text, which markup may split
 * over several nodes (AKIA**…**, a character reference, a code span): the
 * piece where one starts gets the placeholder, the pieces it spans lose it. */
static void md_flush(struct md_block *mb, struct redactor *rd)
{
	const char *text = buf_cstr(&mb->text);
	span_t *spans;
	size_t nspans = find_spans(text, &spans, false);
	for (size_t i = 0; i < mb->n && nspans; i++) {
		struct piece *p = &mb->pieces[i];
		size_t end = p->off + p->len, k = 0;
		struct buf lit = BUF_INIT;
		int touched = 0;
		for (size_t at = p->off; at < end;) {
			while (k < nspans && spans[k][1] <= at)
				k++;
			if (k < nspans && spans[k][0] <= at) {
				if (spans[k][0] == at)
					put_placeholder(&lit, rd, text + spans[k][0],
					                spans[k][1] - spans[k][0]);
				at = spans[k][1] < end ? spans[k][1] : end;
				touched = 1;
				continue;
			}
			size_t stop = k < nspans && spans[k][0] < end ? spans[k][0] : end;
			buf_put(&lit, text + at, stop - at);
			at = stop;
		}
		if (touched && p->node) {
			link_follows(p->node, buf_cstr(&lit));
			cmark_node_set_literal(p->node, buf_cstr(&lit));
			mb->changed = 1;
			if (!lit.size) {
				GROW(mb->emptied, mb->capemptied, mb->nemptied + 1);
				mb->emptied[mb->nemptied++] = p->node;
			}
		}
		buf_free(&lit);
	}
	free(spans);
	mb->n = 0;
	buf_reset(&mb->text);
}

static void md_add(struct md_block *mb, cmark_node *node, const char *text)
{
	GROW(mb->pieces, mb->cap, mb->n + 1);
	mb->pieces[mb->n++] = (struct piece){node, mb->text.size, strlen(text)};
	buf_puts(&mb->text, text);
}

/* Redacts a link's or image's address and title in place; returns 1 when one changed. */
static int md_link(cmark_node *node, struct redactor *rd)
{
	int changed = 0;
	char *r = redact_in(rd, cmark_node_get_url(node), true);
	if (r) {
		cmark_node_set_url(node, r);
		free(r);
		changed = 1;
	}
	r = redact_with(rd, cmark_node_get_title(node));
	if (r) {
		cmark_node_set_title(node, r);
		free(r);
		changed = 1;
	}
	return changed;
}

/* Emphasis, strong or strikethrough left around nothing (a link or an
 * image still shows something). */
static int empty_emphasis(cmark_node *n)
{
	if (!n || cmark_node_first_child(n))
		return 0;
	cmark_node_type t = cmark_node_get_type(n);
	return (t & CMARK_NODE_TYPE_MASK) == CMARK_NODE_TYPE_INLINE && t != CMARK_NODE_LINK &&
	       t != CMARK_NODE_IMAGE;
}

/* md with "\\[redacted-1\\]", as cmark writes a placeholder back, made
 * "[redacted-1]" again, as the source pass writes it: an autolink keeps
 * backslashes, and a placeholder must read the same everywhere. */
static char *unescape_placeholders(const char *md)
{
	struct buf out = BUF_INIT;
	for (const char *p = md; *p;) {
		if (!strncmp(p, "\\[redacted", 10)) {
			const char *q = p + 10;
			if (*q == '-')
				for (q++; isdigit((unsigned char)*q); q++)
					;
			if (q[0] == '\\' && q[1] == ']') {
				buf_put(&out, p + 1, (size_t)(q - p - 1));
				buf_putc(&out, ']');
				p = q + 2;
				continue;
			}
		}
		buf_putc(&out, *p++);
	}
	return buf_detach(&out);
}

/* Markdown whose rendered text holds a secret the source does not show
 * (&#65;KIA…, AKIA**…**): the source rewritten from the redacted tree, or
 * NULL when the rendering holds no secret. */
static char *redact_markdown(struct redactor *rd, const char *md)
{
	static const char *const extensions[] = {"table", "strikethrough", "autolink", "tasklist",
	                                         NULL};
	cmark_gfm_core_extensions_ensure_registered();
	cmark_parser *parser = cmark_parser_new(CMARK_OPT_DEFAULT);
	for (size_t i = 0; extensions[i]; i++) {
		cmark_syntax_extension *ext = cmark_find_syntax_extension(extensions[i]);
		if (ext)
			cmark_parser_attach_syntax_extension(parser, ext);
	}
	cmark_parser_feed(parser, md, strlen(md));
	cmark_node *doc = cmark_parser_finish(parser);
	struct md_block mb = {0};
	int changed = 0;
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		if (ev != CMARK_EVENT_ENTER)
			continue;
		cmark_node *node = cmark_iter_get_node(it);
		cmark_node_type type = cmark_node_get_type(node);
		if (type == CMARK_NODE_LINK || type == CMARK_NODE_IMAGE) {
			changed |= md_link(node, rd);
		} else if (type == CMARK_NODE_CODE_BLOCK) {
			char *r = redact_with(rd, cmark_node_get_literal(node));
			if (r) {
				cmark_node_set_literal(node, r);
				free(r);
				changed = 1;
			}
		} else if (type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE ||
		           type == CMARK_NODE_SOFTBREAK || type == CMARK_NODE_LINEBREAK) {
			cmark_node *block = block_of(node);
			if (block != mb.block) {
				md_flush(&mb, rd);
				mb.block = block;
			}
			const char *lit = cmark_node_get_literal(node);
			if (type == CMARK_NODE_SOFTBREAK || type == CMARK_NODE_LINEBREAK)
				md_add(&mb, NULL, "\n");
			else
				md_add(&mb, node, lit ? lit : "");
		}
	}
	md_flush(&mb, rd);
	changed |= mb.changed;
	cmark_iter_free(it);
	/* An emptied node goes, and so does emphasis left around nothing
	 * (AKIA**…** would otherwise leave a literal "****"). */
	for (size_t i = 0; i < mb.nemptied; i++) {
		cmark_node *node = mb.emptied[i];
		while (node) {
			cmark_node *parent = cmark_node_parent(node);
			cmark_node_free(node); /* unlinks it */
			node = empty_emphasis(parent) ? parent : NULL;
		}
	}
	free(mb.emptied);
	char *out = NULL;
	if (changed) {
		char *cm = cmark_render_commonmark(doc, CMARK_OPT_DEFAULT, 0);
		out = unescape_placeholders(cm);
		free(cm);
	}
	free(mb.pieces);
	buf_free(&mb.text);
	cmark_node_free(doc);
	cmark_parser_free(parser);
	return out;
}

/* ---- the run model ---- */

/* Replaces *field by r when r is not NULL; returns 1 when it did. */
static int take(char **field, char *r)
{
	if (!r)
		return 0;
	free(*field);
	*field = r;
	return 1;
}

/* Redacts a name or other short text in place; returns 1 when it changed. */
static int redact_field(struct redactor *rd, char **field)
{
	return *field ? take(field, redact_with(rd, *field)) : 0;
}

/* Rounds of redacting notes before giving up on them: taking a secret out
 * of rewritten Markdown can join its neighbours into the shape of another. */
#define NOTES_ROUNDS 4

/* Redacts Markdown in place, in its source and as rendered, until neither
 * changes; notes that keep changing are redacted whole. */
static int redact_notes(struct redactor *rd, char **md)
{
	if (!*md)
		return 0;
	int changed = 0;
	for (int round = 1;; round++) {
		int again = redact_field(rd, md);
		/* Always as rendered too: the markup that can hide a secret
		 * (references, emphasis, code spans, links, characters a page
		 * drops, in any combination) is too varied to screen for. */
		again |= take(md, redact_markdown(rd, *md));
		if (!again)
			break;
		changed = 1;
		if (round == NOTES_ROUNDS) {
			take(md, xstrdup(REDACTED));
			break;
		}
	}
	return changed;
}

/* Adds place to what once. */
static void note_place(struct kvlist *what, const char *place)
{
	if (what && !kvlist_get(what, place))
		kvlist_add(what, place, REDACTED);
}

/* Redacts keys (by shape) and values (all of a secret key's value, else by
 * shape) of a list; each changed pair is noted as "prefix.KEY", its key as
 * redacted. Returns the count. */
/* Markdown as read and as redacted, for the tag that repeats it (MLflow
 * keeps a run's notes and an experiment's description in a tag too). */
struct notes_pair {
	const char *read, *redacted;
};

static size_t redact_kvlist(struct redactor *rd, struct kvlist *l, const char *prefix,
                            const struct notes_pair *notes, struct kvlist *what)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct kv *kv = &l->items[i];
		/* Whether the key names a secret is decided on the key as the store gave it. */
		bool whole = redact_key_is_secret(kv->key);
		int changed = redact_field(rd, &kv->key);
		if (whole) {
			if (*kv->value && strcmp(kv->value, REDACTED) != 0) {
				free(kv->value);
				kv->value = xstrdup(REDACTED);
				changed = 1;
			}
		} else if (strcmp(kv->key, "mlflow.note.content") == 0) {
			if (notes && notes->read && strcmp(kv->value, notes->read) == 0)
				changed |= strcmp(kv->value, notes->redacted) != 0 &&
				           take(&kv->value, xstrdup(notes->redacted));
			else
				changed |= redact_notes(rd, &kv->value);
		} else {
			changed |= redact_field(rd, &kv->value);
		}
		if (changed) {
			n++;
			char *place = xasprintf("%s.%s", prefix, kv->key);
			note_place(what, place);
			free(place);
		}
	}
	return n;
}

/* Redacts the fields of a list given as pointers; notes place when one changed. */
static size_t redact_fields(struct redactor *rd, char **const *fields, size_t n, const char *place,
                            struct kvlist *what)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += (size_t)redact_field(rd, fields[i]);
	if (count)
		note_place(what, place);
	return count;
}

size_t redact_run(struct redactor *rd, struct run *r, struct kvlist *what)
{
	size_t n = 0;
	/* Names first: a run's places are listed under its redacted keys. */
	char **const ids[] = {&r->id, &r->parent_id};
	n += redact_fields(rd, ids, 2, "id", what);
	char **const names[] = {&r->name};
	n += redact_fields(rd, names, 1, "name", what);
	char **const exp[] = {&r->experiment_id, &r->experiment_name};
	n += redact_fields(rd, exp, 2, "experiment", what);
	char **const user[] = {&r->user};
	n += redact_fields(rd, user, 1, "user", what);
	char **const source[] = {&r->source_name, &r->source_type, &r->status, &r->store};
	n += redact_fields(rd, source, 4, "source", what);
	char **const git[] = {&r->git_commit, &r->git_branch, &r->git_repo};
	n += redact_fields(rd, git, 3, "git", what);

	size_t keys = 0;
	for (size_t i = 0; i < r->nmetrics; i++)
		keys += (size_t)redact_field(rd, &r->metrics[i].key);
	if (keys)
		note_place(what, "metric names");
	size_t paths = 0;
	for (size_t i = 0; i < r->nartifacts; i++)
		paths += (size_t)redact_field(rd, &r->artifacts[i].path);
	if (paths)
		note_place(what, "artifact paths");
	n += keys + paths;
	for (size_t i = 0; i < r->ndatasets; i++) {
		struct dataset_input *d = &r->datasets[i];
		char **const f[] = {&d->name,   &d->digest, &d->context, &d->source_type,
		                    &d->source, &d->schema, &d->profile};
		n += redact_fields(rd, f, sizeof f / sizeof *f, "datasets", what);
	}
	for (size_t i = 0; i < r->nmodels; i++) {
		struct logged_model *m = &r->models[i];
		char **const f[] = {&m->id, &m->name, &m->type, &m->status, &m->uri};
		n += redact_fields(rd, f, sizeof f / sizeof *f, "models", what);
	}
	char *read = r->notes ? xstrdup(r->notes) : NULL;
	if (redact_notes(rd, &r->notes)) {
		n++;
		note_place(what, "notes");
	}
	struct notes_pair notes = {read, r->notes};
	n += redact_kvlist(rd, &r->params, "params", NULL, what);
	n += redact_kvlist(rd, &r->tags, "tags", &notes, what);
	n += redact_kvlist(rd, &r->extras, "extras", NULL, what);
	free(read);
	if (n)
		run_sort_lists(r); /* a redacted key or path may sort elsewhere */
	return n;
}

size_t redact_experiment(struct redactor *rd, struct experiment *e)
{
	char **const f[] = {&e->id, &e->name, &e->artifact_location};
	size_t n = redact_fields(rd, f, 3, "", NULL);
	char *read = e->description ? xstrdup(e->description) : NULL;
	n += (size_t)redact_notes(rd, &e->description);
	struct notes_pair notes = {read, e->description};
	n += redact_kvlist(rd, &e->tags, "tags", &notes, NULL);
	free(read);
	if (n)
		kvlist_sort(&e->tags);
	return n;
}
