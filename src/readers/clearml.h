/* clearml.h — the ClearML offline-session reader, for the fuzzer and tests. */
#ifndef RUNSITE_CLEARML_H
#define RUNSITE_CLEARML_H

#include "runsite/reader.h"

/* Reads the session folder or zip at path into sink (one run). Returns 1,
 * or -1 when it cannot be read (reported): not a session, or a zip refused
 * for path traversal or bomb sizes. */
long clearml_read_session(const char *path, const struct reader_opts *opts, struct run_sink *sink);
/* Reads task.json text and metrics.jsonl (also as log.jsonl) text into r,
 * as the reader does for a session (for the fuzzer). */
void clearml_ingest_memory(struct run *r, const char *task_json, size_t tlen, const char *events,
                           size_t elen);
/* True when a zip entry name would escape the folder it is unpacked into. */
int clearml_entry_escapes(const char *name);

#endif
