/* redact.c — secret redaction by key name and by credential shape. Matching
 * is by hand (no regex library) so it is fast and has no catastrophic cases. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/redact.h"
#include "runsite/util.h"

/* Key words that mark a secret when they stand as a whole word of the key
 * ("tokenizer" and "author" are not secrets; "hf_token" and "auth" are). */
static const char *const secret_words[] = {
	"password", "passwd", "pwd", "secret", "secrets", "token", "apikey", "credentials",
	"credential", "auth", "passphrase", "privatekey", "secretkey", "accesskey", NULL,
};
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

char *redact_text(const char *text)
{
	if (!text)
		return NULL;
	struct buf out = BUF_INIT;
	const char *copied = text;
	int found = 0;
	for (const char *s = text; *s;) {
		size_t n = credential_at(text, s);
		if (!n) {
			s++;
			continue;
		}
		buf_put(&out, copied, (size_t)(s - copied));
		buf_puts(&out, REDACTED);
		s += n;
		copied = s;
		found = 1;
	}
	if (!found) {
		buf_free(&out);
		return NULL;
	}
	buf_puts(&out, copied);
	return buf_detach(&out);
}

/* Redacts one string field in place; returns 1 when it changed. */
static int redact_field(char **field, bool whole)
{
	if (!*field)
		return 0;
	if (whole) {
		if (strcmp(*field, REDACTED) == 0 || !**field)
			return 0;
		free(*field);
		*field = xstrdup(REDACTED);
		return 1;
	}
	char *r = redact_text(*field);
	if (!r)
		return 0;
	free(*field);
	*field = r;
	return 1;
}

static size_t redact_kvlist(struct kvlist *l, const char *prefix, struct kvlist *what)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (redact_field(&l->items[i].value, redact_key_is_secret(l->items[i].key))) {
			n++;
			if (what) {
				char *place = xasprintf("%s.%s", prefix, l->items[i].key);
				kvlist_add(what, place, REDACTED);
				free(place);
			}
		}
	}
	return n;
}

size_t redact_run(struct run *r, struct kvlist *what)
{
	size_t n = redact_kvlist(&r->params, "params", what);
	n += redact_kvlist(&r->tags, "tags", what);
	if (redact_field(&r->notes, false)) {
		n++;
		if (what)
			kvlist_add(what, "notes", REDACTED);
	}
	for (size_t i = 0; i < r->ndatasets; i++)
		n += (size_t)redact_field(&r->datasets[i].source, false);
	n += (size_t)redact_field(&r->git_repo, false);
	return n;
}

size_t redact_experiment(struct experiment *e)
{
	size_t n = redact_kvlist(&e->tags, "tags", NULL);
	n += (size_t)redact_field(&e->description, false);
	return n;
}
