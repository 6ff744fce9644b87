/* redact.h — secrets in run stores never reach an output file. Every string
 * of the run model is redacted once, where the pipeline delivers it, so no
 * page, chart, cache, listing or report can show what it never received:
 * well-known credential shapes and passwords inside URLs anywhere (names,
 * keys, ids, paths, values, notes as rendered) become a numbered placeholder,
 * and values of params and tags whose keys look like secrets become
 * "[redacted]". */
#ifndef RUNSITE_REDACT_H
#define RUNSITE_REDACT_H

#include <stdbool.h>

#include "runsite/model.h"

#define REDACTED "[redacted]"

/* True when a param or tag key names a secret (password, db_pass, token, api_key, ...). */
bool redact_key_is_secret(const char *key);

/* Replaces every well-known credential in text (AWS keys, GitHub/GitLab/Slack
 * tokens, JWTs, PEM private keys) and every password inside a URL
 * (scheme://user:PASSWORD@host) by REDACTED. Returns a new string the caller
 * frees, or NULL when text holds none. */
char *redact_text(const char *text);

/* Gives each distinct secret its placeholder "[redacted-N]", N counted from 1
 * in the order the secrets are first seen: the same secret gets the same
 * placeholder on every page, and the same inputs the same numbers, so a
 * redacted run name still names one run and its pages still link. */
struct redactor *redactor_new(void);
void redactor_free(struct redactor *rd);

/* As redact_text, with rd's numbered placeholders. */
char *redact_name(struct redactor *rd, const char *text);

/* Redacts every string of a run in place: its id, names, user, source, git
 * fields, params and tags (keys and values), metric names, artifact paths,
 * datasets, logged models, extras and notes (Markdown, also as rendered:
 * &#65;KIA… and AKIA**…** are caught). Each redacted place is added to what
 * as "params.KEY", "tags.KEY", "name", "notes", ... (what may be NULL).
 * Returns the number of fields changed; 0 the second time. */
size_t redact_run(struct redactor *rd, struct run *r, struct kvlist *what);

/* Redacts an experiment's id, name, artifact location, tags and description
 * in place; returns the count. */
size_t redact_experiment(struct redactor *rd, struct experiment *e);

#endif
