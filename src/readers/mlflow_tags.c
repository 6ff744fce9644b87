/* mlflow_tags.c — run fields from MLflow's system tags (format reference
 * §1.6), shared by the FileStore and SQLite readers. */
#include <stddef.h>

#include "mlflow_tags.h"
#include "runsite/util.h"

static void from_tag(char **field, const struct run *r, const char *tag)
{
	const char *v = kvlist_get(&r->tags, tag);
	if (!*field && v && *v)
		*field = xstrdup(v);
}

void mlflow_fields_from_tags(struct run *r)
{
	from_tag(&r->name, r, "mlflow.runName");
	from_tag(&r->user, r, "mlflow.user");
	from_tag(&r->source_name, r, "mlflow.source.name");
	from_tag(&r->source_type, r, "mlflow.source.type");
	from_tag(&r->git_commit, r, "mlflow.source.git.commit");
	from_tag(&r->git_branch, r, "mlflow.source.git.branch");
	from_tag(&r->git_repo, r, "mlflow.source.git.repoURL");
	from_tag(&r->parent_id, r, "mlflow.parentRunId");
	from_tag(&r->notes, r, "mlflow.note.content");
}
