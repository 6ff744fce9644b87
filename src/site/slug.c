/* slug.c — file names made from names found in run stores. A slug is built
 * only of [a-z0-9._-], so no store name can make a path leave the site. */
#include <stdlib.h>
#include <string.h>

#include "site_internal.h"

static int is_sep(char c)
{
	return c == '-' || c == '.' || c == '_';
}

/* True when s (a slug) names a device on Windows ("con", "com1.txt", ...),
 * where such files cannot be opened as files. */
static int reserved_name(const char *s)
{
	static const char *const names[] = {"con", "prn", "aux", "nul", NULL};
	size_t stem = strcspn(s, ".");
	for (size_t i = 0; names[i]; i++)
		if (stem == 3 && memcmp(s, names[i], 3) == 0)
			return 1;
	if (stem == 4 && (memcmp(s, "com", 3) == 0 || memcmp(s, "lpt", 3) == 0) && s[3] >= '0' &&
	    s[3] <= '9')
		return 1;
	return 0;
}

char *slug_from(const char *s, size_t maxlen, const char *fallback)
{
	struct buf b = BUF_INIT;
	int pending = 0; /* a separator is due before the next letter or digit */
	char sep = '-';
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		char c = (char)*p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (b.size >= maxlen)
				break;
			/* The separator only goes in when a letter follows, so a slug
			 * never starts or ends with one and never holds "..". */
			if (pending && b.size > 0) {
				if (b.size + 2 > maxlen)
					break;
				buf_putc(&b, sep);
			}
			pending = 0;
			buf_putc(&b, c);
		} else if (!pending) {
			pending = 1;
			sep = is_sep(c) ? c : '-';
		}
	}
	if (b.size == 0) {
		buf_free(&b);
		return xstrdup(fallback);
	}
	if (reserved_name(buf_cstr(&b))) {
		/* Windows reads the name before the first dot: "con.txt" is CON, so
		 * the guard goes there ("con_.txt"). */
		size_t stem = strcspn(b.data, ".");
		buf_putc(&b, '_');
		memmove(b.data + stem + 1, b.data + stem, b.size - 1 - stem);
		b.data[stem] = '_';
	}
	return buf_detach(&b);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, *(char *const *)b);
}

/* The position of key in the sorted set, and whether it is there. */
static size_t set_pos(const struct slugset *set, const char *key, int *found)
{
	size_t lo = 0, hi = set->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_str(key, &set->items[mid]);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = 0;
	return lo;
}

/* Slugs are cut from chunks of their own, one after another: 10,000 run
 * slugs allocated one by one among the memory reading takes and gives back
 * would each pin a piece of the heap. */
#define SLUG_CHUNK 4096

const char *slug_claim(struct slugset *set, const char *base)
{
	char *cand = xstrdup(base);
	int found;
	size_t pos = set_pos(set, cand, &found);
	for (unsigned k = 2; found; k++) {
		free(cand);
		cand = xasprintf("%s-%u", base, k);
		pos = set_pos(set, cand, &found);
	}
	char *kept = str_blocks_copy(&set->chunks, cand, SLUG_CHUNK);
	free(cand);
	GROW(set->items, set->cap, set->n + 1);
	memmove(set->items + pos + 1, set->items + pos, (set->n - pos) * sizeof *set->items);
	set->items[pos] = kept;
	set->n++;
	return kept;
}

void slugset_free(struct slugset *set)
{
	str_blocks_free(&set->chunks);
	free(set->items);
	memset(set, 0, sizeof *set);
}

void slug_hash8(char out[9], const char *s)
{
	uint64_t h = hash_str(s);
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 8; i++)
		out[i] = hex[(h >> (60 - 4 * i)) & 0xf];
	out[8] = '\0';
}

const char *slug_run(struct slugset *set, const char *name, const char *id)
{
	/* An unnamed run is called by its id, which is unique already. */
	if (name && id && strcmp(name, id) == 0) {
		char *stem = slug_from(id, SLUG_MAX, "run");
		const char *slug = slug_claim(set, stem);
		free(stem);
		return slug;
	}
	char h[9];
	slug_hash8(h, id ? id : "");
	char *stem = slug_from(name, SLUG_MAX - 9, "run");
	char *base = xasprintf("%s-%s", stem, h);
	const char *slug = slug_claim(set, base);
	free(stem);
	free(base);
	return slug;
}
