/* protobuf.c — the out-of-line parts of the wire-format reader. */
#include "protobuf.h"
#include "runsite/util.h"

int pb_next_slow(struct pb *b, struct pb_field *f)
{
	if (b->p >= b->end)
		return 0;
	uint64_t key;
	if (!pb_varint(b, &key) || key >> 32 || (key >> 3) == 0)
		goto bad;
	f->num = (uint32_t)(key >> 3);
	f->wire = (int)(key & 7);
	switch (f->wire) {
	case PB_VARINT:
		if (!pb_varint(b, &f->v))
			goto bad;
		return 1;
	case PB_FIXED64:
		if (b->end - b->p < 8)
			goto bad;
		memcpy(&f->v, b->p, 8);
		b->p += 8;
		return 1;
	case PB_FIXED32: {
		uint32_t w;
		if (b->end - b->p < 4)
			goto bad;
		memcpy(&w, b->p, 4);
		f->v = w;
		b->p += 4;
		return 1;
	}
	case PB_BYTES: {
		uint64_t n;
		if (!pb_varint(b, &n) || n > (uint64_t)(b->end - b->p))
			goto bad;
		f->data = b->p;
		f->len = (size_t)n;
		b->p += n;
		return 1;
	}
	default: /* groups (3, 4) never occur in TensorBoard's messages */
		goto bad;
	}
bad:
	b->p = b->end;
	return -1;
}

long pb_packed_varint_count(const uint8_t *data, size_t len)
{
	struct pb b = pb_init(data, len);
	long n = 0;
	uint64_t v;
	while (b.p < b.end) {
		if (!pb_varint(&b, &v))
			return -1;
		n++;
	}
	return n;
}

int pb_packed_varint_at(const uint8_t *data, size_t len, size_t i, uint64_t *out)
{
	struct pb b = pb_init(data, len);
	for (size_t k = 0; k <= i; k++)
		if (!pb_varint(&b, out))
			return 0;
	return 1;
}

char *pb_strdup(const struct pb_field *f)
{
	return xstrndup((const char *)f->data, f->len);
}

bool pb_eq(const uint8_t *data, size_t len, const char *s)
{
	size_t n = strlen(s);
	return n == len && memcmp(data, s, n) == 0;
}
