/* registry.c — the table of run-store readers and format detection.
 * Adding a format means adding one file in src/readers/ and one line here.
 * The highest probe score wins, so the order only breaks ties. */
#include <string.h>

#include "runsite/reader.h"

extern const struct reader reader_mlflow_sqlite;
extern const struct reader reader_mlflow_server;
extern const struct reader reader_mlflow_file;
extern const struct reader reader_tensorboard;
extern const struct reader reader_hf_trainer;
extern const struct reader reader_dvclive;
extern const struct reader reader_lightning_csv;
extern const struct reader reader_keras_csv;
extern const struct reader reader_plain_csv;
extern const struct reader reader_wandb;
extern const struct reader reader_clearml;

const struct reader *const reader_table[] = {
	&reader_mlflow_sqlite,
	&reader_mlflow_server,
	&reader_mlflow_file,
	&reader_tensorboard,
	&reader_hf_trainer,
	&reader_dvclive,
	&reader_lightning_csv,
	&reader_keras_csv,
	&reader_plain_csv,
	&reader_wandb,
	&reader_clearml,
	NULL,
};

const struct reader *reader_by_name(const char *name)
{
	for (size_t i = 0; reader_table[i]; i++)
		if (strcmp(reader_table[i]->name, name) == 0)
			return reader_table[i];
	return NULL;
}
