/* png.c — a small, fast PNG writer for Cairo image surfaces. Cairo's own
 * (libpng, zlib level 6, adaptive filters) spends ~140 ms on a 1600×800 chart,
 * a hundred times the drawing; charts are mostly transparent, so the "Up"
 * filter plus a single-probe LZ77 with fixed Huffman codes does the job in a
 * few ms at a similar size. The output is a standard PNG (RGBA, 8 bits). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chart_internal.h"

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
}

static uint32_t crc32_update(uint32_t c, const unsigned char *p, size_t n)
{
	c = ~c;
	while (n--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

static void put_be32(struct buf *b, uint32_t v)
{
	unsigned char t[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
	                      (unsigned char)(v >> 8), (unsigned char)v};
	buf_put(b, t, 4);
}

/* Appends one chunk: length, type, data, CRC of type and data. */
static void chunk(struct buf *b, const char *type, const unsigned char *data, size_t n)
{
	size_t at;
	put_be32(b, (uint32_t)n);
	at = b->size;
	buf_put(b, type, 4);
	if (n)
		buf_put(b, data, n);
	put_be32(b, crc32_update(0, (unsigned char *)b->data + at, n + 4));
}

struct bits {
	struct buf *b;
	uint64_t acc;
	int n;
};

static void put_bits(struct bits *w, uint32_t v, int n)
{
	w->acc |= (uint64_t)v << w->n;
	w->n += n;
	while (w->n >= 8) {
		buf_putc(w->b, (int)(w->acc & 0xff));
		w->acc >>= 8;
		w->n -= 8;
	}
}

static uint16_t lit_code[288];
static uint8_t lit_len[288];

static uint32_t reverse(uint32_t v, int n)
{
	uint32_t r = 0;
	for (int i = 0; i < n; i++, v >>= 1)
		r = (r << 1) | (v & 1);
	return r;
}

/* The fixed Huffman codes of RFC 1951 section 3.2.6, bit-reversed for an
 * LSB-first stream. */
static void codes_init(void)
{
	for (int s = 0; s < 288; s++) {
		int len = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
		uint32_t code = s < 144 ? 0x30 + (uint32_t)s
		                : s < 256 ? 0x190 + (uint32_t)(s - 144)
		                : s < 280 ? (uint32_t)(s - 256)
		                          : 0xc0 + (uint32_t)(s - 280);
		lit_code[s] = (uint16_t)reverse(code, len);
		lit_len[s] = (uint8_t)len;
	}
	crc_init();
}

static const uint16_t len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,
                                      15, 17, 19, 23, 27, 31, 35, 43, 51,  59,
                                      67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,
                                       17,   25,   33,   49,   65,   97,    129,   193,
                                       257,  385,  513,  769,  1025, 1537,  2049,  3073,
                                       4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

static void put_lit(struct bits *w, int s)
{
	put_bits(w, lit_code[s], lit_len[s]);
}

static void put_match(struct bits *w, unsigned len, unsigned dist)
{
	int i = 28;
	while (len_base[i] > len)
		i--;
	put_lit(w, 257 + i);
	put_bits(w, len - len_base[i], len_extra[i]);
	i = 29;
	while (dist_base[i] > dist)
		i--;
	put_bits(w, reverse((uint32_t)i, 5), 5);
	put_bits(w, dist - dist_base[i], dist_extra[i]);
}

#define HBITS 15

/* A zlib stream of one fixed-Huffman deflate block holding p[0..n). */
static void deflate_fixed(struct buf *out, const unsigned char *p, size_t n)
{
	static int32_t head[1 << HBITS];
	struct bits w = {out, 0, 0};
	uint32_t a = 1, b = 0;
	size_t i = 0;

	for (size_t k = 0; k < n;) { /* Adler-32, in blocks that cannot overflow */
		size_t m = n - k < 5552 ? n - k : 5552;
		for (size_t j = 0; j < m; j++) {
			a += p[k + j];
			b += a;
		}
		a %= 65521;
		b %= 65521;
		k += m;
	}
	memset(head, 0xff, sizeof head);
	buf_putc(out, 0x78);
	buf_putc(out, 0x01);
	put_bits(&w, 1, 1); /* BFINAL */
	put_bits(&w, 1, 2); /* fixed codes */
	while (i < n) {
		if (i + 4 <= n) {
			uint32_t v;
			memcpy(&v, p + i, 4);
			uint32_t h = (v * 2654435761u) >> (32 - HBITS);
			int32_t cand = head[h];
			head[h] = (int32_t)i;
			if (cand >= 0 && i - (size_t)cand <= 32768 && memcmp(p + cand, p + i, 4) == 0) {
				size_t len = 4, max = n - i < 258 ? n - i : 258;
				while (len < max && p[(size_t)cand + len] == p[i + len])
					len++;
				put_match(&w, (unsigned)len, (unsigned)(i - (size_t)cand));
				i += len;
				if (i >= 1 && i + 3 <= n) { /* remember where the match ended */
					memcpy(&v, p + i - 1, 4);
					if (i + 3 <= n)
						head[(v * 2654435761u) >> (32 - HBITS)] = (int32_t)(i - 1);
				}
				continue;
			}
		}
		put_lit(&w, p[i]);
		i++;
	}
	put_lit(&w, 256);
	if (w.n)
		put_bits(&w, 0, 8 - w.n);
	put_be32(out, (b << 16) | a);
}

void chart_png_encode(struct buf *out, cairo_surface_t *img)
{
	static int ready;
	int W = cairo_image_surface_get_width(img), H = cairo_image_surface_get_height(img);
	int stride = cairo_image_surface_get_stride(img);
	const unsigned char *src = cairo_image_surface_get_data(img);
	size_t row = (size_t)W * 4 + 1;
	unsigned char *raw = xmalloc(row * (size_t)H), *prev = xcalloc(row, 1), *cur = xmalloc(row);
	struct buf z = BUF_INIT;

	if (!ready) {
		codes_init();
		ready = 1;
	}
	for (int y = 0; y < H; y++) {
		const uint32_t *s = (const uint32_t *)(const void *)(src + (size_t)y * (size_t)stride);
		unsigned char *d = raw + (size_t)y * row;
		for (int x = 0; x < W; x++) { /* premultiplied ARGB → straight RGBA */
			uint32_t v = s[x], al = v >> 24;
			unsigned char *q = cur + 1 + 4 * x;
			if (al == 0) {
				q[0] = q[1] = q[2] = q[3] = 0;
			} else if (al == 255) {
				q[0] = (unsigned char)(v >> 16);
				q[1] = (unsigned char)(v >> 8);
				q[2] = (unsigned char)v;
				q[3] = 255;
			} else {
				q[0] = (unsigned char)((((v >> 16) & 0xff) * 255 + al / 2) / al);
				q[1] = (unsigned char)((((v >> 8) & 0xff) * 255 + al / 2) / al);
				q[2] = (unsigned char)(((v & 0xff) * 255 + al / 2) / al);
				q[3] = (unsigned char)al;
			}
		}
		d[0] = 2; /* Up: rows that repeat (background, vertical rules) become zeros */
		for (size_t k = 1; k < row; k++)
			d[k] = (unsigned char)(cur[k] - prev[k]);
		unsigned char *t = prev;
		prev = cur;
		cur = t;
	}
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	unsigned char ihdr[13] = {0, 0, 0, 0, 0, 0, 0, 0, 8, 6, 0, 0, 0};
	for (int k = 0; k < 4; k++) {
		ihdr[k] = (unsigned char)((uint32_t)W >> (24 - 8 * k));
		ihdr[4 + k] = (unsigned char)((uint32_t)H >> (24 - 8 * k));
	}
	buf_put(out, sig, 8);
	chunk(out, "IHDR", ihdr, 13);
	deflate_fixed(&z, raw, row * (size_t)H);
	chunk(out, "IDAT", (unsigned char *)z.data, z.size);
	chunk(out, "IEND", NULL, 0);
	buf_free(&z);
	free(raw);
	free(prev);
	free(cur);
}
