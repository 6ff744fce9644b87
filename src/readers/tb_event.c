/* tb_event.c — decoding TensorBoard's protobuf messages by hand (field
 * numbers from tensorboard/compat/proto, see formats/tensorboard-csv-dvc-hf.md
 * §1.4–1.10). Wrong wire types for known fields are skipped like unknown fields. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runsite/util.h"
#include "tb_event.h"

int tb_event_parse(const uint8_t *p, size_t n, struct tb_event *ev)
{
	memset(ev, 0, sizeof *ev);
	struct pb b = pb_init(p, n);
	struct pb_field f;
	int rc;
	while ((rc = pb_next(&b, &f)) > 0) {
		switch (f.num) {
		case 1:
			if (f.wire == PB_FIXED64)
				ev->wall_time = pb_double(&f);
			break;
		case 2:
			if (f.wire == PB_VARINT)
				ev->step = (int64_t)f.v;
			break;
		case 3:
		case 5:
			if (f.wire == PB_BYTES) {
				ev->what = f.num == 3 ? TB_FILE_VERSION : TB_SUMMARY;
				ev->data = f.data;
				ev->len = f.len;
			}
			break;
		case 4:
		case 8:
		case 9:
			if (f.wire == PB_BYTES)
				ev->what = TB_GRAPH;
			break;
		case 6:
			if (f.wire == PB_BYTES)
				ev->what = TB_LOG_MESSAGE;
			break;
		case 7:
			if (f.wire == PB_BYTES) {
				struct pb s = pb_init(f.data, f.len);
				struct pb_field g;
				ev->what = TB_SESSION_LOG;
				ev->session_status = 0;
				while (pb_next(&s, &g) > 0)
					if (g.num == 1 && g.wire == PB_VARINT)
						ev->session_status = (int)g.v;
			}
			break;
		default:
			break;
		}
	}
	return rc == 0;
}

/* Reads SummaryMetadata: the plugin name and content. */
static int parse_metadata(const uint8_t *p, size_t n, struct tb_value *v)
{
	struct pb b = pb_init(p, n);
	struct pb_field f, g;
	int rc;
	v->has_meta = true;
	while ((rc = pb_next(&b, &f)) > 0) {
		if (f.num != 1 || f.wire != PB_BYTES)
			continue;
		struct pb d = pb_init(f.data, f.len);
		int rd;
		while ((rd = pb_next(&d, &g)) > 0) {
			if (g.wire != PB_BYTES)
				continue;
			if (g.num == 1) {
				v->plugin = g.data;
				v->plugin_len = g.len;
			} else if (g.num == 2) {
				v->content = g.data;
				v->content_len = g.len;
			}
		}
		if (rd < 0)
			return 0;
	}
	return rc == 0;
}

int tb_summary_next(struct pb *summary, struct tb_value *v)
{
	struct pb_field f;
	int rc;
	/* Fast path for the layout nearly every scalar has: Value{tag, simple_value}
	 * with one-byte lengths: 0a LV 0a LT <tag> 15 <float>. */
	const uint8_t *p = summary->p;
	size_t left = (size_t)(summary->end - p);
	if (left >= 9 && p[0] == 0x0a && p[1] < 0x80 && p[1] + 2u <= left && p[2] == 0x0a &&
	    p[3] < 0x80 && p[1] == p[3] + 7u && p[4 + p[3]] == 0x15 && p[3] > 0) {
		v->tag = p + 4;
		v->tag_len = p[3];
		v->plugin = v->content = v->data = NULL;
		v->plugin_len = v->content_len = v->len = 0;
		v->has_meta = false;
		v->kind = TB_VALUE_SIMPLE;
		memcpy(&v->simple, p + 5 + p[3], 4);
		summary->p = p + 2 + p[1];
		return 1;
	}
	/* Skip anything that is not Summary.value (field 1). */
	while ((rc = pb_next(summary, &f)) > 0)
		if (f.num == 1 && f.wire == PB_BYTES)
			break;
	if (rc <= 0)
		return rc;
	v->tag = v->plugin = v->content = v->data = NULL;
	v->tag_len = v->plugin_len = v->content_len = v->len = 0;
	v->has_meta = false;
	v->kind = TB_VALUE_NONE;
	const uint8_t *node = NULL;
	size_t node_len = 0;
	struct pb b = pb_init(f.data, f.len);
	while ((rc = pb_next(&b, &f)) > 0) {
		if (f.num == 2 && f.wire == PB_FIXED32) {
			v->kind = TB_VALUE_SIMPLE;
			v->simple = pb_float(&f);
			continue;
		}
		if (f.wire != PB_BYTES)
			continue;
		switch (f.num) {
		case 1:
			v->tag = f.data;
			v->tag_len = f.len;
			break;
		case 3:
			v->kind = TB_VALUE_OTHER;
			break;
		case 4:
		case 5:
		case 6:
		case 8:
			v->kind = f.num == 4   ? TB_VALUE_IMAGE
			          : f.num == 5 ? TB_VALUE_HISTO
			          : f.num == 6 ? TB_VALUE_AUDIO
			                       : TB_VALUE_TENSOR;
			v->data = f.data;
			v->len = f.len;
			break;
		case 7:
			node = f.data;
			node_len = f.len;
			break;
		case 9:
			if (!parse_metadata(f.data, f.len, v))
				rc = -1;
			break;
		default:
			break;
		}
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		summary->p = summary->end;
		return -1;
	}
	if (v->tag_len == 0 && node) {
		v->tag = node;
		v->tag_len = node_len;
	}
	return 1;
}

/* Adds one occurrence of a repeated numeric field to its list. */
static void list_add(struct tb_list *l, const struct pb_field *f, int elem_wire)
{
	long count;
	if (f->wire == PB_BYTES) {
		if (elem_wire == PB_FIXED32)
			count = (long)(f->len / 4);
		else if (elem_wire == PB_FIXED64)
			count = (long)(f->len / 8);
		else
			count = pb_packed_varint_count(f->data, f->len);
		if (count < 0)
			count = 0;
		if (l->count == 0) {
			l->data = f->data;
			l->len = f->len;
			l->wire = PB_BYTES;
		}
		l->count += count;
		return;
	}
	/* Further unpacked elements: counted; element access keeps to the first. */
	if (f->wire == elem_wire)
		l->count++;
}

int tb_tensor_parse(const uint8_t *p, size_t n, struct tb_tensor *t)
{
	memset(t, 0, sizeof *t);
	struct pb b = pb_init(p, n);
	struct pb_field f;
	int rc;
	while ((rc = pb_next(&b, &f)) > 0) {
		struct tb_list *l = NULL;
		int ew = PB_VARINT;
		switch (f.num) {
		case 1:
			if (f.wire == PB_VARINT)
				t->dtype = (int)f.v;
			continue;
		case 2: {
			if (f.wire != PB_BYTES)
				continue;
			struct pb s = pb_init(f.data, f.len);
			struct pb_field d, e;
			t->rank = 0;
			while (pb_next(&s, &d) > 0) {
				if (d.num != 2 || d.wire != PB_BYTES)
					continue;
				int64_t size = 0;
				struct pb ds = pb_init(d.data, d.len);
				while (pb_next(&ds, &e) > 0)
					if (e.num == 1 && e.wire == PB_VARINT)
						size = (int64_t)e.v;
				if (t->rank < 8)
					t->dims[t->rank] = size;
				t->rank++;
			}
			continue;
		}
		case 4:
			if (f.wire == PB_BYTES) {
				t->content = f.data;
				t->content_len = f.len;
			}
			continue;
		case 8:
			if (f.wire == PB_BYTES) {
				if (t->strings == 0) {
					t->first_string = f.data;
					t->first_string_len = f.len;
				}
				t->strings++;
			}
			continue;
		case 5: l = &t->float_val; ew = PB_FIXED32; break;
		case 6: l = &t->double_val; ew = PB_FIXED64; break;
		case 7: l = &t->int_val; break;
		case 10: l = &t->int64_val; break;
		case 11: l = &t->bool_val; break;
		case 13: l = &t->half_val; break;
		case 16: l = &t->uint32_val; break;
		case 17: l = &t->uint64_val; break;
		default:
			continue;
		}
		if (f.wire != PB_BYTES && f.wire == ew && l->count == 0) {
			/* An unpacked element: point at its bytes inside the message. */
			size_t w = ew == PB_FIXED32 ? 4 : ew == PB_FIXED64 ? 8 : 0;
			if (w) {
				l->data = b.p - w;
				l->len = w;
			} else {
				/* Re-find the varint just read: it ends at b.p. */
				const uint8_t *q = b.p - 1;
				while (q > p && (q[-1] & 0x80))
					q--;
				l->data = q;
				l->len = (size_t)(b.p - q);
			}
			l->wire = PB_BYTES;
			l->count = 1;
			continue;
		}
		list_add(l, &f, ew);
	}
	if (rc < 0)
		return 0;
	if (t->rank > 8)
		t->elements = -1;
	else {
		int64_t e = 1;
		for (int i = 0; i < t->rank; i++) {
			if (t->dims[i] < 0 || (t->dims[i] && e > INT64_MAX / t->dims[i])) {
				e = -1;
				break;
			}
			e *= t->dims[i];
		}
		t->elements = e;
	}
	return 1;
}

double tb_half_to_double(uint16_t h)
{
	int sign = h >> 15, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
	double v;
	if (exp == 0)
		v = ldexp(frac, -24);
	else if (exp == 31)
		v = frac ? NAN : INFINITY;
	else
		v = ldexp(frac + 1024, exp - 25);
	return sign ? -v : v;
}

double tb_bfloat16_to_double(uint16_t bits)
{
	uint32_t w = (uint32_t)bits << 16;
	float x;
	memcpy(&x, &w, 4);
	return x;
}

/* Element i of a list as raw bits: fixed widths from packed bytes, varints decoded. */
static int list_at(const struct tb_list *l, long i, int ew, uint64_t *out)
{
	if (l->count == 0)
		return 0;
	if (l->count == 1)
		i = 0; /* one element fills the shape */
	if (ew == PB_FIXED32) {
		if ((size_t)(i + 1) * 4 > l->len)
			return 0;
		uint32_t w;
		memcpy(&w, l->data + i * 4, 4);
		*out = w;
		return 1;
	}
	if (ew == PB_FIXED64) {
		if ((size_t)(i + 1) * 8 > l->len)
			return 0;
		memcpy(out, l->data + i * 8, 8);
		return 1;
	}
	return pb_packed_varint_at(l->data, l->len, (size_t)i, out);
}

/* Element i of tensor_content, width bytes little-endian. */
static int content_at(const struct tb_tensor *t, int64_t i, size_t width, uint64_t *out)
{
	if (i < 0 || (uint64_t)(i + 1) * width > t->content_len)
		return 0;
	uint64_t v = 0;
	for (size_t k = 0; k < width; k++)
		v |= (uint64_t)t->content[(size_t)i * width + k] << (8 * k);
	*out = v;
	return 1;
}

static double bits_float(uint32_t w)
{
	float x;
	memcpy(&x, &w, 4);
	return x;
}

static double bits_double(uint64_t w)
{
	double x;
	memcpy(&x, &w, 8);
	return x;
}

int tb_tensor_number(const struct tb_tensor *t, int64_t i, double *out)
{
	uint64_t w;
	bool c = t->content_len > 0;
	switch (t->dtype) {
	case TB_DT_FLOAT:
		if (c ? !content_at(t, i, 4, &w) : !list_at(&t->float_val, (long)i, PB_FIXED32, &w))
			return 0;
		*out = bits_float((uint32_t)w);
		return 1;
	case TB_DT_DOUBLE:
		if (c ? !content_at(t, i, 8, &w) : !list_at(&t->double_val, (long)i, PB_FIXED64, &w))
			return 0;
		*out = bits_double(w);
		return 1;
	case TB_DT_HALF:
	case TB_DT_BFLOAT16:
		if (c ? !content_at(t, i, 2, &w) : !list_at(&t->half_val, (long)i, PB_VARINT, &w))
			return 0;
		/* torch stores the float32 bits of a half in half_val (formats §1.7). */
		if (!c && (w >> 16) && t->dtype == TB_DT_HALF)
			*out = bits_float((uint32_t)w);
		else
			*out = t->dtype == TB_DT_HALF ? tb_half_to_double((uint16_t)w)
			                              : tb_bfloat16_to_double((uint16_t)w);
		return 1;
	case TB_DT_INT32:
	case TB_DT_INT16:
	case TB_DT_INT8:
	case TB_DT_UINT8:
	case TB_DT_UINT16: {
		size_t width = t->dtype == TB_DT_INT32                               ? 4
		               : t->dtype == TB_DT_INT16 || t->dtype == TB_DT_UINT16 ? 2
		                                                                     : 1;
		if (c ? !content_at(t, i, width, &w) : !list_at(&t->int_val, (long)i, PB_VARINT, &w))
			return 0;
		switch (t->dtype) {
		case TB_DT_INT32: *out = (int32_t)(uint32_t)w; break;
		case TB_DT_INT16: *out = (int16_t)(uint16_t)w; break;
		case TB_DT_INT8: *out = (int8_t)(uint8_t)w; break;
		case TB_DT_UINT16: *out = (uint16_t)w; break;
		default: *out = (uint8_t)w; break;
		}
		return 1;
	}
	case TB_DT_INT64:
		if (c ? !content_at(t, i, 8, &w) : !list_at(&t->int64_val, (long)i, PB_VARINT, &w))
			return 0;
		*out = (double)(int64_t)w;
		return 1;
	case TB_DT_UINT32:
		if (c ? !content_at(t, i, 4, &w) : !list_at(&t->uint32_val, (long)i, PB_VARINT, &w))
			return 0;
		*out = (uint32_t)w;
		return 1;
	case TB_DT_UINT64:
		if (c ? !content_at(t, i, 8, &w) : !list_at(&t->uint64_val, (long)i, PB_VARINT, &w))
			return 0;
		*out = (double)w;
		return 1;
	case TB_DT_BOOL:
		if (c ? !content_at(t, i, 1, &w) : !list_at(&t->bool_val, (long)i, PB_VARINT, &w))
			return 0;
		*out = w ? 1.0 : 0.0;
		return 1;
	default:
		return 0;
	}
}

int tb_tensor_scalar(const uint8_t *p, size_t n, double *out)
{
	struct tb_tensor t;
	if (!tb_tensor_parse(p, n, &t) || t.elements != 1)
		return 0;
	return tb_tensor_number(&t, 0, out);
}

int tb_tensor_strings(const uint8_t *p, size_t n,
                      void (*fn)(void *ctx, const uint8_t *s, size_t len), void *ctx)
{
	struct pb b = pb_init(p, n);
	struct pb_field f;
	int rc;
	while ((rc = pb_next(&b, &f)) > 0)
		if (f.num == 8 && f.wire == PB_BYTES)
			fn(ctx, f.data, f.len);
	return rc == 0;
}

int tb_histo_band(const uint8_t *p, size_t n, struct tb_band *band)
{
	struct pb b = pb_init(p, n);
	struct pb_field f;
	double v[5] = {0, 0, 0, 0, 0};
	int rc;
	while ((rc = pb_next(&b, &f)) > 0)
		if (f.num >= 1 && f.num <= 5 && f.wire == PB_FIXED64)
			v[f.num - 1] = pb_double(&f);
	if (rc < 0 || !(v[2] > 0))
		return 0;
	band->min = v[0];
	band->max = v[1];
	band->mean = v[3] / v[2];
	return 1;
}

int tb_tensor_histo_band(const uint8_t *p, size_t n, struct tb_band *band)
{
	struct tb_tensor t;
	if (!tb_tensor_parse(p, n, &t) || t.rank != 2 || t.dims[1] != 3 || t.dims[0] <= 0)
		return 0;
	double total = 0, weighted = 0;
	bool any = false;
	for (int64_t k = 0; k < t.dims[0]; k++) {
		double l, r, c;
		if (!tb_tensor_number(&t, k * 3, &l) || !tb_tensor_number(&t, k * 3 + 1, &r) ||
		    !tb_tensor_number(&t, k * 3 + 2, &c))
			return 0;
		if (!(c > 0))
			continue;
		if (!any)
			band->min = l;
		band->max = r;
		any = true;
		total += c;
		weighted += c * (l + r) / 2;
	}
	if (!any)
		return 0;
	band->mean = weighted / total;
	return 1;
}

/* google.protobuf.Value as text: numbers shortest, strings as they are, and
 * structs and lists as compact JSON. depth bounds hostile nesting. */
static void value_text(const uint8_t *p, size_t n, struct buf *out, int depth, bool quote)
{
	struct pb b = pb_init(p, n);
	struct pb_field f;
	if (depth > 16) {
		BUF_PUTSL(out, "...");
		return;
	}
	while (pb_next(&b, &f) > 0) {
		char num[40];
		switch (f.num) {
		case 1:
			BUF_PUTSL(out, "null");
			return;
		case 2:
			if (f.wire != PB_FIXED64)
				break;
			fmt_double(num, sizeof num, pb_double(&f));
			buf_puts(out, num);
			return;
		case 3:
			if (f.wire != PB_BYTES)
				break;
			if (quote)
				buf_putc(out, '"');
			buf_put(out, f.data, f.len);
			if (quote)
				buf_putc(out, '"');
			return;
		case 4:
			buf_puts(out, f.v ? "true" : "false");
			return;
		case 5:
		case 6: {
			if (f.wire != PB_BYTES)
				break;
			bool list = f.num == 6;
			buf_putc(out, list ? '[' : '{');
			struct pb s = pb_init(f.data, f.len);
			struct pb_field e, g;
			int first = 1;
			while (pb_next(&s, &e) > 0) {
				if (e.num != 1 || e.wire != PB_BYTES)
					continue;
				if (!first)
					BUF_PUTSL(out, ", ");
				first = 0;
				if (list) {
					value_text(e.data, e.len, out, depth + 1, true);
					continue;
				}
				struct pb m = pb_init(e.data, e.len);
				while (pb_next(&m, &g) > 0) {
					if (g.wire != PB_BYTES)
						continue;
					if (g.num == 1) {
						buf_putc(out, '"');
						buf_put(out, g.data, g.len);
						BUF_PUTSL(out, "\": ");
					} else if (g.num == 2) {
						value_text(g.data, g.len, out, depth + 1, true);
					}
				}
			}
			buf_putc(out, list ? ']' : '}');
			return;
		}
		default:
			break;
		}
	}
}

static void parse_start_info(const uint8_t *p, size_t n, const struct tb_hparams_cb *cb)
{
	struct pb b = pb_init(p, n);
	struct pb_field f, g;
	while (pb_next(&b, &f) > 0) {
		if (f.num != 1 || f.wire != PB_BYTES)
			continue;
		char *key = NULL;
		struct buf val = BUF_INIT;
		struct pb e = pb_init(f.data, f.len);
		while (pb_next(&e, &g) > 0) {
			if (g.wire != PB_BYTES)
				continue;
			if (g.num == 1) {
				free(key);
				key = pb_strdup(&g);
			} else if (g.num == 2) {
				buf_reset(&val);
				value_text(g.data, g.len, &val, 0, false);
			}
		}
		if (key && cb->param)
			cb->param(cb->ctx, key, buf_cstr(&val));
		free(key);
		buf_free(&val);
	}
}

static void parse_experiment(const uint8_t *p, size_t n, const struct tb_hparams_cb *cb)
{
	struct pb b = pb_init(p, n);
	struct pb_field f, g, h;
	while (pb_next(&b, &f) > 0) {
		if (f.num != 5 || f.wire != PB_BYTES)
			continue;
		struct pb mi = pb_init(f.data, f.len);
		while (pb_next(&mi, &g) > 0) {
			if (g.num != 1 || g.wire != PB_BYTES)
				continue;
			struct pb mn = pb_init(g.data, g.len);
			char *group = NULL, *tag = NULL;
			while (pb_next(&mn, &h) > 0) {
				if (h.wire != PB_BYTES)
					continue;
				if (h.num == 1) {
					free(group);
					group = pb_strdup(&h);
				} else if (h.num == 2) {
					free(tag);
					tag = pb_strdup(&h);
				}
			}
			if (tag && cb->metric) {
				if (group && *group) {
					char *both = xasprintf("%s [%s]", tag, group);
					cb->metric(cb->ctx, both);
					free(both);
				} else {
					cb->metric(cb->ctx, tag);
				}
			}
			free(group);
			free(tag);
		}
	}
}

int tb_hparams_parse(const uint8_t *p, size_t n, const struct tb_hparams_cb *cb)
{
	struct pb b = pb_init(p, n);
	struct pb_field f, g;
	int rc;
	while ((rc = pb_next(&b, &f)) > 0) {
		if (f.wire != PB_BYTES)
			continue;
		if (f.num == 2) {
			parse_experiment(f.data, f.len, cb);
		} else if (f.num == 3) {
			parse_start_info(f.data, f.len, cb);
		} else if (f.num == 4) {
			struct pb e = pb_init(f.data, f.len);
			while (pb_next(&e, &g) > 0)
				if (g.num == 1 && g.wire == PB_VARINT && cb->end_status)
					cb->end_status(cb->ctx, (int)g.v);
		}
	}
	return rc == 0;
}
