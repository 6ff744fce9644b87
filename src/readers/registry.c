/* registry.c — the table of run-store readers and format detection.
 * Adding a format means adding one file in src/readers/ and one line here. */
#include <string.h>

#include "runsite/reader.h"

extern const struct reader reader_mlflow_sqlite;
extern const struct reader reader_mlflow_file;

const struct reader *const reader_table[] = {
	&reader_mlflow_sqlite,
	&reader_mlflow_file,
	NULL,
};

const struct reader *reader_detect(const char *path)
{
	const struct reader *best = NULL;
	int best_score = 0;
	for (size_t i = 0; reader_table[i]; i++) {
		int score = reader_table[i]->probe(path);
		if (score > best_score) {
			best = reader_table[i];
			best_score = score;
		}
	}
	return best;
}

const struct reader *reader_by_name(const char *name)
{
	for (size_t i = 0; reader_table[i]; i++)
		if (strcmp(reader_table[i]->name, name) == 0)
			return reader_table[i];
	return NULL;
}
