/* png.c — a fast PNG writer for Cairo image surfaces. Cairo's own (libpng,
 * zlib level 6, adaptive filters) spends ~140 ms on a 1600×800 chart, a
 * hundred times the drawing, and even zlib at level 1 with run-length
 * matches spends ~8 ms, looking at every byte. Charts are mostly
 * transparent, so with the "Up" filter most of each row is zeros: rows that
 * are all zeros are written as one small dynamic-Huffman block per run of
 * rows (a fixed bit pattern per row), and the others with fixed codes where
 * runs (zeros, or a repeated pixel) are found eight bytes at a time and sent
 * as distance-4 matches. The output is a standard PNG (RGBA, 8 bits).
 * Buffers live per thread and are reused. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "chart_internal.h"

/* One thread's reusable encoder state. */
struct png_state {
	unsigned char *row; /* the filtered row */
	unsigned char *prev; /* the RGBA of the row above, after the filter byte */
	size_t row_cap;
	struct buf idat;
	unsigned char *canvas; /* pixels reused across charts (no fresh pages to fault in) */
	size_t canvas_cap;
	uint64_t acc; /* bits not yet in idat, LSB first */
	int nacc;
};

static pthread_key_t state_key;
static pthread_once_t state_once = PTHREAD_ONCE_INIT;
/* unpremul[a][c]: straight colour of premultiplied channel c at alpha a. */
static unsigned char unpremul[256][256];
/* RFC 1951's fixed literal/length codes, bit-reversed for the LSB-first stream. */
static uint16_t fixed_code[288];
static uint8_t fixed_len[288];

/* Canonical Huffman codes (RFC 1951 3.2.2) for lengths len[0..n), bit-reversed
 * for the LSB-first stream. */
static void huff_codes(const uint8_t *len, int n, uint16_t *code)
{
	int count[16] = {0}, next[16] = {0};

	for (int i = 0; i < n; i++)
		count[len[i]]++;
	count[0] = 0;
	for (int b = 1, c = 0; b < 16; b++) {
		c = (c + count[b - 1]) << 1;
		next[b] = c;
	}
	for (int i = 0; i < n; i++) {
		uint32_t c = len[i] ? (uint32_t)next[len[i]]++ : 0, r = 0;
		for (int k = 0; k < len[i]; k++, c >>= 1)
			r = (r << 1) | (c & 1);
		code[i] = (uint16_t)r;
	}
}

/* Frees a thread's state when the thread ends. */
static void state_free(void *v)
{
	struct png_state *s = v;

	if (!s)
		return;
	free(s->row);
	free(s->canvas);
	free(s->prev);
	buf_free(&s->idat);
	free(s);
}

static void state_init_once(void)
{
	pthread_key_create(&state_key, state_free);
	for (unsigned a = 1; a < 256; a++)
		for (unsigned c = 0; c < 256; c++) {
			unsigned v = (c * 255 + a / 2) / a;
			unpremul[a][c] = (unsigned char)(v > 255 ? 255 : v);
		}
	for (int i = 0; i < 288; i++)
		fixed_len[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
	huff_codes(fixed_len, 288, fixed_code);
}

/* This thread's encoder state, made on first use. */
static struct png_state *state_get(void)
{
	struct png_state *s;

	pthread_once(&state_once, state_init_once);
	s = pthread_getspecific(state_key);
	if (!s) {
		s = xcalloc(1, sizeof *s);
		pthread_setspecific(state_key, s);
	}
	return s;
}

unsigned char *chart_png_canvas(size_t bytes)
{
	struct png_state *s = state_get();

	if (s->canvas_cap < bytes) {
		free(s->canvas);
		s->canvas = xmalloc(bytes);
		s->canvas_cap = bytes;
	}
	memset(s->canvas, 0, bytes);
	return s->canvas;
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
	uLong crc = crc32(0, (const Bytef *)type, 4);

	put_be32(b, (uint32_t)n);
	buf_put(b, type, 4);
	if (n) {
		buf_put(b, data, n);
		crc = crc32(crc, data, (uInt)n);
	}
	put_be32(b, (uint32_t)crc);
}

/* W pixels of premultiplied ARGB as straight RGBA into q. */
static void pixels_rgba(unsigned char *q, const uint32_t *s, int W)
{
	for (int x = 0; x < W; x++, q += 4) {
		uint32_t v = s[x], al = v >> 24;
		if (al == 255) {
			q[0] = (unsigned char)(v >> 16);
			q[1] = (unsigned char)(v >> 8);
			q[2] = (unsigned char)v;
			q[3] = 255;
		} else if (al == 0) {
			memset(q, 0, 4);
		} else {
			const unsigned char *u = unpremul[al];
			q[0] = u[(v >> 16) & 0xff];
			q[1] = u[(v >> 8) & 0xff];
			q[2] = u[v & 0xff];
			q[3] = (unsigned char)al;
		}
	}
}

/* d = c - p bytewise (the Up filter), eight bytes at a time without
 * borrows between bytes. */
static void up_filter(unsigned char *d, const unsigned char *c, const unsigned char *p, size_t n)
{
	const uint64_t H = 0x8080808080808080ull;
	size_t k = 0;

	for (; k + 8 <= n; k += 8) {
		uint64_t a, b, r;
		memcpy(&a, c + k, 8);
		memcpy(&b, p + k, 8);
		r = ((a | H) - (b & ~H)) ^ ((a ^ ~b) & H);
		memcpy(d + k, &r, 8);
	}
	for (; k < n; k++)
		d[k] = (unsigned char)(c[k] - p[k]);
}

/* Pixels compared and converted at a time. */
enum { BLOCK = 8 };

/* The Up-filtered bytes of pixel row px into d, where prev holds the RGBA of
 * the row above (px_above, NULL for the first row) and is updated to this
 * row's. Blocks of pixels equal to those above filter to zeros without
 * being converted: a chart's rows differ from the row above in a few places
 * (a line crossing, a label), not in its grid or background. */
static void filter_row(unsigned char *d, unsigned char *prev, const uint32_t *px,
                       const uint32_t *px_above, int W)
{
	unsigned char conv[BLOCK * 4];

	for (int x = 0; x < W; x += BLOCK) {
		int n = W - x < BLOCK ? W - x : BLOCK;
		size_t off = (size_t)x * 4, bytes = (size_t)n * 4;
		if (px_above && memcmp(px + x, px_above + x, bytes) == 0) {
			memset(d + off, 0, bytes);
			continue;
		}
		pixels_rgba(conv, px + x, n);
		up_filter(d + off, conv, prev + off, bytes);
		memcpy(prev + off, conv, bytes);
	}
}

/* Appends n bits of v (LSB first) to the deflate stream. */
static void put_bits(struct png_state *s, uint32_t v, int n)
{
	s->acc |= (uint64_t)v << s->nacc;
	s->nacc += n;
	while (s->nacc >= 8) {
		buf_putc(&s->idat, (int)(s->acc & 0xff));
		s->acc >>= 8;
		s->nacc -= 8;
	}
}

static const uint16_t len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,
                                      15, 17, 19, 23, 27, 31, 35, 43, 51,  59,
                                      67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};

/* Writes a run of `rows` filtered rows of `row` bytes that are a filter byte
 * 2 and zeros, as one dynamic-Huffman block: per row the literals 2 and 0,
 * then distance-1 matches of 258 and one for the rest. Five symbols are
 * used; their code is written in the block header. */
static void zero_rows(struct png_state *s, size_t row, size_t rows)
{
	static const uint8_t clorder[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5,
	                                    11, 4, 12, 3, 13, 2, 14, 1, 15};
	uint8_t lit[286] = {0}, cl[19] = {0};
	uint16_t litc[286], clc[19];
	size_t m = row - 2, q = m / 258, rem = m % 258;
	int remsym = -1, fill = 1;

	if (rem >= 3) {
		remsym = 28;
		while (len_base[remsym] > rem)
			remsym--;
		fill = 257 + remsym;
	}
	lit[0] = lit[2] = lit[256] = 3;
	lit[fill] = 3; /* the rest's length code, or a spare literal to complete the code */
	lit[285] = 1;
	huff_codes(lit, 286, litc);
	/* code-length code: 0, 3 and 18 in two bits, 1 and 17 in three */
	cl[0] = cl[3] = cl[18] = 2;
	cl[1] = cl[17] = 3;
	huff_codes(cl, 19, clc);

	put_bits(s, 0, 1); /* not final */
	put_bits(s, 2, 2); /* dynamic codes */
	put_bits(s, 286 - 257, 5);
	put_bits(s, 0, 5);  /* one distance code */
	put_bits(s, 14, 4); /* 18 code-length code lengths */
	for (int i = 0; i < 18; i++)
		put_bits(s, cl[clorder[i]], 3);
	/* the 286 literal/length code lengths, then the distance code's */
	uint8_t all[287];
	memcpy(all, lit, 286);
	all[286] = 1;
	for (int i = 0; i < 287;) {
		if (all[i]) {
			put_bits(s, clc[all[i]], cl[all[i]]);
			i++;
			continue;
		}
		int z = 0;
		while (i + z < 287 && !all[i + z] && z < 138)
			z++;
		if (z >= 11) {
			put_bits(s, clc[18], cl[18]);
			put_bits(s, (uint32_t)(z - 11), 7);
		} else if (z >= 3) {
			put_bits(s, clc[17], cl[17]);
			put_bits(s, (uint32_t)(z - 3), 3);
		} else {
			z = 1;
			put_bits(s, clc[0], cl[0]);
		}
		i += z;
	}
	for (size_t r = 0; r < rows; r++) {
		put_bits(s, litc[2], 3);
		put_bits(s, litc[0], 3);
		for (size_t k = 0; k < q; k++)
			put_bits(s, litc[285], 2); /* length 258 (1 bit), distance 1 (1 bit) */
		if (remsym >= 0) {
			put_bits(s, litc[257 + remsym], 3);
			put_bits(s, (uint32_t)(rem - len_base[remsym]), len_extra[remsym]);
			put_bits(s, 0, 1);
		} else {
			for (size_t k = 0; k < rem; k++)
				put_bits(s, litc[0], 3);
		}
	}
	put_bits(s, litc[256], 3);
}

/* Adler-32 of a zero row (a 2, then row - 1 zeros) folded into adl. */
static uLong adler_zero_row(uLong adl, size_t row)
{
	uint64_t a = adl & 0xffff, b = adl >> 16;

	a = (a + 2) % 65521;
	b = (b + a) % 65521;
	b = (b + (uint64_t)((row - 1) % 65521) * a) % 65521;
	return (uLong)((b << 16) | a);
}

/* Adler-32 of d[0..n) folded into adl, with zero words in O(1): they add
 * nothing to a and 8a to b. */
static uLong adler_row(uLong adl, const unsigned char *d, size_t n)
{
	uint64_t a = adl & 0xffff, b = adl >> 16;
	size_t i = 0;

	while (i < n) {
		/* at most 4096 bytes between reductions keeps a and b far from overflow */
		size_t end = n - i > 4096 ? i + 4096 : n;
		for (; i + 8 <= end; i += 8) {
			uint64_t w;
			memcpy(&w, d + i, 8);
			if (!w) {
				b += 8 * a;
				continue;
			}
			for (int k = 0; k < 8; k++) {
				a += d[i + k];
				b += a;
			}
		}
		for (; i < end; i++) {
			a += d[i];
			b += a;
		}
		a %= 65521;
		b %= 65521;
	}
	return (uLong)((b << 16) | a);
}

/* Writes a length-`len` match at distance 4 in fixed codes (distance code 3). */
static void put_match4(struct png_state *s, size_t len)
{
	int i = 28;

	while (len_base[i] > len)
		i--;
	put_bits(s, fixed_code[257 + i], fixed_len[257 + i]);
	put_bits(s, (uint32_t)(len - len_base[i]), len_extra[i]);
	put_bits(s, 0x18, 5); /* distance code 3, bit-reversed */
}

/* Writes the filtered row d[0..n) in fixed codes: literals, and distance-4
 * matches wherever four bytes repeat the four before them (zeros, or one
 * pixel repeated), found eight bytes at a time. */
static void fixed_row(struct png_state *s, const unsigned char *d, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (i >= 4 && i + 4 <= n && memcmp(d + i, d + i - 4, 4) == 0) {
			size_t len = 4;
			while (i + len + 8 <= n) {
				uint64_t a, b;
				memcpy(&a, d + i + len, 8);
				memcpy(&b, d + i + len - 4, 8);
				if (a != b)
					break;
				len += 8;
			}
			while (i + len < n && d[i + len] == d[i + len - 4])
				len++;
			i += len;
			for (; len >= 258 + 3 || len == 258; len -= 258)
				put_match4(s, 258);
			if (len > 258) { /* 259 or 260: split so both parts are matches */
				put_match4(s, len - 3);
				len = 3;
			}
			if (len)
				put_match4(s, len);
			continue;
		}
		put_bits(s, fixed_code[d[i]], fixed_len[d[i]]);
		i++;
	}
}

void chart_png_encode(struct buf *out, cairo_surface_t *img)
{
	struct png_state *s = state_get();
	int W = cairo_image_surface_get_width(img), H = cairo_image_surface_get_height(img);
	int stride = cairo_image_surface_get_stride(img);
	const unsigned char *src = cairo_image_surface_get_data(img);
	size_t row = (size_t)W * 4 + 1, zrun = 0;
	int infixed = 0; /* a fixed-code block is open */
	const uint32_t *above = NULL;
	uLong adl = adler32(0, NULL, 0);

	if (s->row_cap < row) {
		s->prev = xrealloc(s->prev, row);
		s->row = xrealloc(s->row, row);
		s->row_cap = row;
	}
	s->idat.size = 0;
	s->acc = 0;
	s->nacc = 0;
	buf_putc(&s->idat, 0x78);
	buf_putc(&s->idat, 0x01);
	memset(s->prev, 0, row);
	for (int y = 0; y < H; y++) {
		const uint32_t *px = (const uint32_t *)(const void *)(src + (size_t)y * (size_t)stride);
		/* the first row is filtered against zeros, as if a clear row were above */
		int zero = above ? memcmp(px, above, (size_t)W * 4) == 0
		                 : memcmp(px, s->prev + 1, (size_t)W * 4) == 0;
		if (zero) {
			if (infixed) {
				put_bits(s, fixed_code[256], fixed_len[256]);
				infixed = 0;
			}
			zrun++;
			adl = adler_zero_row(adl, row);
		} else {
			if (zrun) {
				zero_rows(s, row, zrun);
				zrun = 0;
			}
			if (!infixed) {
				put_bits(s, 2, 3); /* not final, fixed codes */
				infixed = 1;
			}
			s->row[0] = 2; /* Up */
			filter_row(s->row + 1, s->prev + 1, px, above, W);
			adl = adler_row(adl, s->row, row);
			fixed_row(s, s->row, row);
		}
		above = px;
	}
	if (infixed)
		put_bits(s, fixed_code[256], fixed_len[256]);
	if (zrun)
		zero_rows(s, row, zrun);
	put_bits(s, 3, 3); /* final block: empty, fixed codes */
	put_bits(s, fixed_code[256], fixed_len[256]);
	if (s->nacc)
		put_bits(s, 0, 8 - s->nacc);
	put_be32(&s->idat, (uint32_t)adl);

	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	unsigned char ihdr[13] = {0, 0, 0, 0, 0, 0, 0, 0, 8, 6, 0, 0, 0};
	for (int k = 0; k < 4; k++) {
		ihdr[k] = (unsigned char)((uint32_t)W >> (24 - 8 * k));
		ihdr[4 + k] = (unsigned char)((uint32_t)H >> (24 - 8 * k));
	}
	buf_put(out, sig, 8);
	chunk(out, "IHDR", ihdr, 13);
	chunk(out, "IDAT", (unsigned char *)s->idat.data, s->idat.size);
	chunk(out, "IEND", NULL, 0);
}
