/* mlflow_sqlite.c — placeholder until the reader lands: claims nothing. */
#include "runsite/reader.h"

static int probe(const char *path) { (void)path; return 0; }
static long read_store(const char *path, const struct reader_opts *o, struct run_sink *s)
{ (void)path; (void)o; (void)s; return -1; }

const struct reader reader_mlflow_sqlite = {"mlflow-sqlite", "(not yet implemented)", probe, read_store};
