/* protobuf.h — a tiny reader of the protobuf wire format: fields one at a
 * time from a byte range, no generated code, no allocation. Hot paths are
 * inline because every scalar of an event file goes through them. */
#ifndef RUNSITE_PROTOBUF_H
#define RUNSITE_PROTOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum pb_wire { PB_VARINT = 0, PB_FIXED64 = 1, PB_BYTES = 2, PB_FIXED32 = 5 };

/* A range of bytes being read; p advances as fields are taken. */
struct pb {
	const uint8_t *p, *end;
};

/* One field: its number, wire type and value. For PB_BYTES, data/len is the
 * payload; for the others, v holds the raw bits (a fixed32 in the low half). */
struct pb_field {
	uint32_t num;
	int wire;
	uint64_t v;
	const uint8_t *data;
	size_t len;
};

static inline struct pb pb_init(const void *data, size_t n)
{
	struct pb b = {(const uint8_t *)data, (const uint8_t *)data};
	if (n) /* an empty message may be (NULL, 0) */
		b.end += n;
	return b;
}

/* Reads one varint (at most 10 bytes). Returns 0 when it runs past the end
 * or is longer than 10 bytes. */
static inline int pb_varint(struct pb *b, uint64_t *out)
{
	const uint8_t *p = b->p;
	if (p < b->end && *p < 0x80) {
		*out = *p;
		b->p = p + 1;
		return 1;
	}
	/* Two and three bytes (steps up to two million) without a loop. */
	if (b->end - p >= 3) {
		if (p[1] < 0x80) {
			*out = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
			b->p = p + 2;
			return 1;
		}
		if (p[2] < 0x80) {
			*out = (uint64_t)(p[0] & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7 |
			       (uint64_t)p[2] << 14;
			b->p = p + 3;
			return 1;
		}
	}
	uint64_t v = 0;
	for (int shift = 0; shift < 70; shift += 7) {
		if (p >= b->end)
			return 0;
		uint8_t c = *p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (c < 0x80) {
			*out = v;
			b->p = p;
			return 1;
		}
	}
	return 0;
}

/* Reads the next field the general way (any key and length size). */
int pb_next_slow(struct pb *b, struct pb_field *f);

/* Reads the next field. Returns 1 with *f filled, 0 at the end of the range,
 * -1 when the bytes are not valid wire format (the range is then exhausted).
 * One-byte keys, which are nearly all of an event file, are decoded here;
 * everything else (and every error) goes to pb_next_slow(). */
static inline int pb_next(struct pb *b, struct pb_field *f)
{
	const uint8_t *p = b->p;
	size_t left = (size_t)(b->end - p);
	if (left == 0)
		return 0;
	uint8_t k = p[0];
	if (k >= 8 && k < 0x80 && left >= 2) {
		struct pb rest = {p + 1, b->end};
		f->num = k >> 3;
		f->wire = k & 7;
		switch (k & 7) {
		case PB_BYTES: {
			uint64_t n;
			if (pb_varint(&rest, &n) && n <= (uint64_t)(rest.end - rest.p)) {
				f->data = rest.p;
				f->len = (size_t)n;
				b->p = rest.p + n;
				return 1;
			}
			break;
		}
		case PB_FIXED32:
			if (left >= 5) {
				uint32_t w;
				memcpy(&w, p + 1, 4);
				f->v = w;
				b->p = p + 5;
				return 1;
			}
			break;
		case PB_FIXED64:
			if (left >= 9) {
				memcpy(&f->v, p + 1, 8);
				b->p = p + 9;
				return 1;
			}
			break;
		case PB_VARINT:
			if (pb_varint(&rest, &f->v)) {
				b->p = rest.p;
				return 1;
			}
			break;
		default:
			break;
		}
	}
	return pb_next_slow(b, f);
}

static inline double pb_double(const struct pb_field *f)
{
	double d;
	memcpy(&d, &f->v, 8);
	return d;
}

static inline float pb_float(const struct pb_field *f)
{
	uint32_t w = (uint32_t)f->v;
	float x;
	memcpy(&x, &w, 4);
	return x;
}

/* Packed repeated numbers: calls the reader per element. A packed field or a
 * single unpacked element are both accepted; see the functions in protobuf.c. */

/* Counts the elements of a packed varint run; -1 when malformed. */
long pb_packed_varint_count(const uint8_t *data, size_t len);
/* Element i of a packed varint run (i < count). Returns 0 when malformed. */
int pb_packed_varint_at(const uint8_t *data, size_t len, size_t i, uint64_t *out);
/* Copies a string field as a NUL-terminated string (caller frees). */
char *pb_strdup(const struct pb_field *f);
/* True when a bytes field equals the C string s. */
bool pb_eq(const uint8_t *data, size_t len, const char *s);

#endif
