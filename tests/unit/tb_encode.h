/* tb_encode.h — a small encoder of TensorBoard event files for the tests and
 * the fuzz seeds: protobuf wire format, Event/Summary/TensorProto messages and
 * TFRecord framing, written from formats/tensorboard-csv-dvc-hf.md §1.2–1.10. */
#ifndef RUNSITE_TB_ENCODE_H
#define RUNSITE_TB_ENCODE_H

#include <stdint.h>
#include <string.h>

#include "runsite/util.h"
#include "../../src/readers/tfrecord.h"

static void pbw_varint(struct buf *b, uint64_t v)
{
	while (v >= 0x80) {
		buf_putc(b, (int)(v & 0x7f) | 0x80);
		v >>= 7;
	}
	buf_putc(b, (int)v);
}

static void pbw_key(struct buf *b, unsigned num, unsigned wire)
{
	pbw_varint(b, (uint64_t)num << 3 | wire);
}

static void pbw_bytes(struct buf *b, unsigned num, const void *data, size_t n)
{
	pbw_key(b, num, 2);
	pbw_varint(b, n);
	buf_put(b, data, n);
}

static void pbw_str(struct buf *b, unsigned num, const char *s)
{
	pbw_bytes(b, num, s, strlen(s));
}

/* A sub-message: the field is written with m's bytes, then m is freed. */
static void pbw_msg(struct buf *b, unsigned num, struct buf *m)
{
	pbw_bytes(b, num, m->data ? m->data : "", m->size);
	buf_free(m);
}

static void pbw_u64(struct buf *b, unsigned num, uint64_t v)
{
	pbw_key(b, num, 0);
	pbw_varint(b, v);
}

static void pbw_double(struct buf *b, unsigned num, double d)
{
	pbw_key(b, num, 1);
	buf_put(b, &d, 8);
}

static void pbw_float(struct buf *b, unsigned num, float f)
{
	pbw_key(b, num, 5);
	buf_put(b, &f, 4);
}

/* Appends one TFRecord: length, masked CRC of it, payload, masked CRC of it. */
static void tfr_put(struct buf *out, const struct buf *payload)
{
	uint64_t n = payload->size;
	uint8_t h[12];
	memcpy(h, &n, 8);
	uint32_t c = tfr_masked_crc(h, 8);
	memcpy(h + 8, &c, 4);
	buf_put(out, h, 12);
	buf_put(out, payload->data ? payload->data : "", payload->size);
	c = tfr_masked_crc(payload->data ? payload->data : "", payload->size);
	buf_put(out, &c, 4);
}

/* Event{wall_time, step, summary{value: v}} framed onto out; v is freed. */
static void ev_value(struct buf *out, double wall, int64_t step, struct buf *v)
{
	struct buf ev = BUF_INIT, sum = BUF_INIT;
	pbw_msg(&sum, 1, v);
	pbw_double(&ev, 1, wall);
	if (step)
		pbw_u64(&ev, 2, (uint64_t)step);
	pbw_msg(&ev, 5, &sum);
	tfr_put(out, &ev);
	buf_free(&ev);
}

static void ev_file_version(struct buf *out, double wall)
{
	struct buf ev = BUF_INIT;
	pbw_double(&ev, 1, wall);
	pbw_str(&ev, 3, "brain.Event:2");
	tfr_put(out, &ev);
	buf_free(&ev);
}

/* SummaryMetadata{plugin_data{plugin_name, content}} as field 9 of a Value. */
static void val_meta(struct buf *v, const char *plugin, const struct buf *content)
{
	struct buf md = BUF_INIT, pd = BUF_INIT;
	pbw_str(&pd, 1, plugin);
	if (content)
		pbw_bytes(&pd, 2, content->data ? content->data : "", content->size);
	pbw_msg(&md, 1, &pd);
	pbw_msg(v, 9, &md);
}

/* A legacy scalar: Value{tag, simple_value}. */
static void ev_scalar(struct buf *out, double wall, int64_t step, const char *tag, float x)
{
	struct buf v = BUF_INIT;
	pbw_str(&v, 1, tag);
	pbw_float(&v, 2, x);
	ev_value(out, wall, step, &v);
}

/* A tensor value with the given TensorProto bytes and plugin metadata (plugin may be NULL). */
static void ev_tensor(struct buf *out, double wall, int64_t step, const char *tag,
                      struct buf *tensor, const char *plugin)
{
	struct buf v = BUF_INIT;
	pbw_str(&v, 1, tag);
	pbw_msg(&v, 8, tensor);
	if (plugin)
		val_meta(&v, plugin, NULL);
	ev_value(out, wall, step, &v);
}

/* TensorShapeProto with the given dims as field 2 of a TensorProto. */
static void tensor_shape(struct buf *t, const int64_t *dims, int rank)
{
	struct buf sh = BUF_INIT;
	for (int i = 0; i < rank; i++) {
		struct buf d = BUF_INIT;
		pbw_u64(&d, 1, (uint64_t)dims[i]);
		pbw_msg(&sh, 2, &d);
	}
	pbw_msg(t, 2, &sh);
}

#endif
