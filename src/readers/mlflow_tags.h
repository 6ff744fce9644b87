/* mlflow_tags.h — what both MLflow readers take from a run's system tags. */
#ifndef RUNSITE_MLFLOW_TAGS_H
#define RUNSITE_MLFLOW_TAGS_H

#include "runsite/model.h"

/* Fills the run fields still empty from MLflow's system tags (mlflow.runName,
 * mlflow.user, mlflow.source.*, mlflow.source.git.*, mlflow.parentRunId,
 * mlflow.note.content); empty tag values count as absent. */
void mlflow_fields_from_tags(struct run *r);

#endif
