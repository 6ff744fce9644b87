/* tb_event.h — decoding TensorBoard's Event, Summary, TensorProto,
 * HistogramProto and HParamsPluginData messages from their bytes. Nothing
 * is copied: results point into the record. */
#ifndef RUNSITE_TB_EVENT_H
#define RUNSITE_TB_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protobuf.h"

/* What an Event carries besides its time and step (the `what` oneof). */
enum tb_what {
	TB_NONE = 0,
	TB_FILE_VERSION,
	TB_GRAPH,        /* graph_def, meta_graph_def or tagged_run_metadata */
	TB_SUMMARY,
	TB_LOG_MESSAGE,
	TB_SESSION_LOG,
};

struct tb_event {
	double wall_time;     /* seconds since the epoch; 0 when absent */
	int64_t step;         /* 0 when absent */
	enum tb_what what;
	const uint8_t *data;  /* the summary / file_version bytes */
	size_t len;
	int session_status;   /* SessionLog.status when what == TB_SESSION_LOG */
};

/* Parses an Event. Returns 0 when the bytes are not a valid Event. */
int tb_event_parse(const uint8_t *p, size_t n, struct tb_event *ev);

/* The kind of value a Summary.Value holds (its `value` oneof). */
enum tb_kind {
	TB_VALUE_NONE = 0, /* metadata only (hparams summaries) */
	TB_VALUE_SIMPLE,
	TB_VALUE_IMAGE,
	TB_VALUE_HISTO,
	TB_VALUE_AUDIO,
	TB_VALUE_TENSOR,
	TB_VALUE_OTHER,    /* obsolete_old_style_histogram */
};

struct tb_value {
	const uint8_t *tag;     /* tag, or node_name when tag is empty */
	size_t tag_len;
	bool has_meta;
	const uint8_t *plugin;  /* metadata.plugin_data.plugin_name */
	size_t plugin_len;
	const uint8_t *content; /* metadata.plugin_data.content */
	size_t content_len;
	enum tb_kind kind;
	float simple;           /* TB_VALUE_SIMPLE */
	const uint8_t *data;    /* the tensor / histo / image / audio message */
	size_t len;
};

/* Iterates the values of a Summary: returns 1 with *v filled, 0 at the end,
 * -1 when malformed (iteration then ends). */
int tb_summary_next(struct pb *summary, struct tb_value *v);

/* A TensorProto, decoded shallowly. Typed lists are kept as their raw bytes. */
struct tb_tensor {
	int dtype;
	int rank;             /* number of dims; 0 when the shape is absent */
	int64_t dims[8];      /* the first 8 dims */
	int64_t elements;     /* product of dims; -1 when unknown or overflowing */
	const uint8_t *content;
	size_t content_len;
	struct tb_list {
		const uint8_t *data; /* packed bytes; when unpacked, the last element only */
		size_t len;
		long count;          /* elements seen (packed and unpacked together) */
		int wire;            /* wire type of the elements */
	} float_val, double_val, int_val, int64_val, half_val, bool_val, uint32_val, uint64_val;
	const uint8_t *first_string; /* string_val[0] */
	size_t first_string_len;
	long strings;                /* number of string_val entries */
};

/* TensorFlow's DataType numbers used here. */
enum {
	TB_DT_FLOAT = 1, TB_DT_DOUBLE = 2, TB_DT_INT32 = 3, TB_DT_UINT8 = 4, TB_DT_INT16 = 5,
	TB_DT_INT8 = 6, TB_DT_STRING = 7, TB_DT_INT64 = 9, TB_DT_BOOL = 10, TB_DT_BFLOAT16 = 14,
	TB_DT_UINT16 = 17, TB_DT_HALF = 19, TB_DT_UINT32 = 22, TB_DT_UINT64 = 23,
};

/* Parses a TensorProto. Returns 0 when malformed. */
int tb_tensor_parse(const uint8_t *p, size_t n, struct tb_tensor *t);
/* Element i of a numeric tensor as a double (float_val, double_val, the int
 * lists, half_val or tensor_content, by dtype; a single typed element fills
 * the shape). Returns 0 when the dtype is not numeric or the element is absent. */
int tb_tensor_number(const struct tb_tensor *t, int64_t i, double *out);
/* The single value of a rank-0 (or one-element) numeric tensor. */
int tb_tensor_scalar(const uint8_t *p, size_t n, double *out);
/* Calls fn for each string_val element of a DT_STRING tensor in order. */
int tb_tensor_strings(const uint8_t *p, size_t n,
                      void (*fn)(void *ctx, const uint8_t *s, size_t len), void *ctx);

/* IEEE half and bfloat16 bit patterns as doubles. */
double tb_half_to_double(uint16_t h);
double tb_bfloat16_to_double(uint16_t b);

/* A histogram's band: the smallest and largest value, and the mean. */
struct tb_band {
	double min, max, mean;
};
/* From a legacy HistogramProto (mean = sum / num). Returns 0 when malformed or empty. */
int tb_histo_band(const uint8_t *p, size_t n, struct tb_band *b);
/* From a TF2 histogram tensor of [k,3] rows (left, right, count): the edges of the
 * first and last non-empty buckets, and the count-weighted mean of bucket centres. */
int tb_tensor_histo_band(const uint8_t *p, size_t n, struct tb_band *b);

/* What an HParamsPluginData holds, delivered to callbacks. */
struct tb_hparams_cb {
	void *ctx;
	/* one session_start_info hparam: name and value as text */
	void (*param)(void *ctx, const char *name, const char *value);
	/* one metric declared by the experiment (group/tag, or just tag) */
	void (*metric)(void *ctx, const char *name);
	/* session_end_info status: 1 SUCCESS, 2 FAILURE, 3 RUNNING */
	void (*end_status)(void *ctx, int status);
};
/* Decodes HParamsPluginData. Returns 0 when malformed (what was decoded stays delivered). */
int tb_hparams_parse(const uint8_t *p, size_t n, const struct tb_hparams_cb *cb);

#endif
