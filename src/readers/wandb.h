/* wandb.h — the W&B reader's record decoder, for the fuzzer, the tests and
 * the benchmark: everything a run-<id>.wandb file holds, read into a run. */
#ifndef RUNSITE_WANDB_H
#define RUNSITE_WANDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runsite/model.h"

/* What a .wandb file held besides points, for the caller to merge. */
struct wandb_facts {
	uint64_t records;     /* whole records read */
	uint64_t corrupt;     /* corrupt stretches skipped */
	uint64_t cut_at;      /* offset of a cut tail, 0 when none */
	bool has_run;         /* a run record was read */
	bool has_exit;        /* an exit record was read */
	int64_t exit_runtime_s; /* its runtime, seconds */
	bool has_config;      /* config items were read */
	bool has_history;     /* history rows were read */
	size_t console_lines; /* output records */
	uint64_t shape_rows;  /* history rows read by the shape of an earlier row */
	char *project;        /* from the run record, or NULL */
};

/* Reads the .wandb bytes data[0, n) into r (identity, params, tags, series,
 * notes) and f. Returns 0 when the bytes are not a .wandb file (reported
 * unless quiet), 1 otherwise. Free f with wandb_facts_free(). */
int wandb_ingest_memory(struct run *r, struct wandb_facts *f, const char *path,
                        const void *data, size_t n, bool quiet);
/* The same for the n bytes of the file open on fd, read win_blocks 32 KiB
 * blocks at a time (wb_log_open_fd); a file shortened while being read keeps
 * what came before. Returns 1, 0 when it is not a .wandb file, -1 when it
 * cannot be read (errno set, not reported). */
int wandb_ingest_fd(struct run *r, struct wandb_facts *f, const char *path, int fd, size_t n,
                    size_t win_blocks, bool quiet);
/* wandb_ingest_fd on the file at path. Returns 1, 0 when it is not a .wandb
 * file, -1 when it cannot be read (both reported). */
int wandb_ingest_file(struct run *r, struct wandb_facts *f, const char *path);
void wandb_facts_free(struct wandb_facts *f);
/* Whether history rows are read by the shapes of earlier rows (the default)
 * or each item by item; both give the same run. For tests. */
void wandb_use_row_shapes(bool on);
/* The number a value_json text v[0, n) holds (a JSON number, or Python's
 * NaN, Infinity, -Infinity), read exactly. Returns 0 for anything else. */
int wandb_json_number(const uint8_t *v, size_t n, double *out);
/* Seconds (a history row's _timestamp) as whole ms, rounded as llround()
 * does; 0 for NaN and values out of range. */
int64_t wandb_ms_of_seconds(double s);

#endif
