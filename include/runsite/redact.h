/* redact.h — secrets in run stores never reach an output file. Values of
 * params and tags whose keys look like secrets, and well-known credential
 * shapes anywhere in params, tags and notes, are replaced by "[redacted]". */
#ifndef RUNSITE_REDACT_H
#define RUNSITE_REDACT_H

#include <stdbool.h>

#include "runsite/model.h"

#define REDACTED "[redacted]"

/* True when a param or tag key names a secret (password, token, api_key, ...). */
bool redact_key_is_secret(const char *key);

/* Replaces every well-known credential in text (AWS keys, GitHub/GitLab/Slack
 * tokens, JWTs, PEM private keys) by REDACTED. Returns a new string the
 * caller frees, or NULL when text holds none. */
char *redact_text(const char *text);

/* Redacts a run in place. Each redacted place is added to what as
 * "params.KEY", "tags.KEY" or "notes" (what may be NULL). Returns the count. */
size_t redact_run(struct run *r, struct kvlist *what);

/* Redacts an experiment's description and tags in place; returns the count. */
size_t redact_experiment(struct experiment *e);

#endif
