/* tensorboard.h — entry points of the TensorBoard reader beyond its struct
 * reader, for the fuzzer, the tests and the benchmark. */
#ifndef RUNSITE_TENSORBOARD_H
#define RUNSITE_TENSORBOARD_H

#include <stddef.h>

#include "runsite/model.h"
#include "runsite/reader.h"

extern const struct reader reader_tensorboard;

/* Reads one event file held in memory into r exactly as a file of a run is
 * read (plugins, restarts rule, notes, params, extras), without run_finish().
 * label names it in messages. Returns the records read, or -1 when the bytes
 * are not an event file (reported). */
long tb_ingest_memory(struct run *r, const char *label, const void *data, size_t n);

/* Silences the note about a truncated last record (the fuzzer sets it). */
void tb_set_quiet_notes(int quiet);

#endif
