/* mlflow_text.h — the pure text parsers of the MLflow FileStore reader:
 * metric history lines and meta.yaml files. No file system access, so they
 * can be unit-tested and fuzzed on their own. */
#ifndef RUNSITE_MLFLOW_TEXT_H
#define RUNSITE_MLFLOW_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runsite/model.h"

/* Why a metric line was not read. */
enum mlflow_line_status {
	MLFLOW_LINE_OK,
	MLFLOW_LINE_EMPTY,  /* only white space: skipped silently */
	MLFLOW_LINE_FIELDS, /* not 2, 3 or 5+ fields */
	MLFLOW_LINE_TIME,   /* timestamp is not an integer */
	MLFLOW_LINE_VALUE,  /* value is not a number */
	MLFLOW_LINE_STEP,   /* step is not an integer */
};

/* Parses one metric line `ts value [step [dataset digest]]` held in [s, e)
 * without its newline (a trailing '\r' is allowed). Fields beyond the third
 * (MLflow 3 dataset name and digest) are ignored, but there must be 2, 3 or
 * at least 5 of them, as MLflow requires. Fills *pt on MLFLOW_LINE_OK. */
enum mlflow_line_status mlflow_metric_line(const char *s, const char *e, struct point *pt);

/* Parses the number in [s, e) (the whole range) to exactly the double
 * strtod gives; also "nan", "inf", "-inf", "Infinity" and, for very old
 * stores, "True"/"False" as 1/0. Returns 1, or 0 when it is not a number. */
int mlflow_parse_double(const char *s, const char *e, double *out);

/* Parses an optionally signed decimal integer filling [s, e). Returns 1, or
 * 0 on anything else or overflow. */
int mlflow_parse_int(const char *s, const char *e, int64_t *out);

/* State of a metrics file parsed in chunks. Zero it, then set path. */
struct mlflow_metrics {
	const char *path;   /* named in warnings */
	size_t line;        /* lines consumed so far */
	size_t bad;         /* lines skipped because they did not parse */
	bool partial;       /* the last line had no newline and did not parse (still being written?) */
	size_t partial_line;
	bool quiet_partial; /* do not warn about partial; the caller decides */
	bool silent;        /* count bad lines but report nothing (parsing off the main thread) */
};

/* Appends the points of every complete line in data[0, len) to s. Lines
 * that do not parse are reported as "path:line: what" (the first few per
 * file) and skipped. When final is true the text after the last newline is
 * a last line: it is read when it parses, else only noted in m->partial.
 * Returns the bytes consumed: through the last newline, or len when final. */
size_t mlflow_metrics_parse(struct mlflow_metrics *m, const char *data, size_t len, bool final,
                            struct series *s);

/* The paths that read the usual lines ("T V S", see line_fast), fastest last. */
enum { MLFLOW_SIMD_NONE, MLFLOW_SIMD_SSE2, MLFLOW_SIMD_AVX512 };

/* Makes mlflow_metrics_parse read the usual lines with path want, or the
 * best this CPU has when want is -1 or more than it has; returns the path
 * taken. By default the best is taken. For the tests: every path must give
 * the same points. */
int mlflow_metrics_simd(int want);

/* Reports the bad lines the parser did not name one by one; call once at
 * the end of a file. */
void mlflow_metrics_end(struct mlflow_metrics *m);

/* Parses a meta.yaml document into flat key/value pairs: scalars as their
 * text, null values left out, sequences skipped, and one level of nested
 * mapping flattened as "outer/inner" (inputs' "tags/mlflow.data.context").
 * Returns 1 on success, 0 for an empty document, -1 when the text is not a
 * YAML mapping (already reported as "path:line: what"). */
int mlflow_yaml_parse(const char *data, size_t len, const char *path, struct kvlist *out);

/* Adds to r the models listed in the run tag mlflow.log-model.history (a
 * JSON array written by MLflow 1.x/2.x log_model), skipping ids r already
 * has. Problems are reported against path. Returns the number added. */
size_t mlflow_model_history(const char *json, size_t len, const char *path, struct run *r);

#endif
