/* yamlkv.h — structured text shared by the readers and the report pages'
 * front matter: YAML files (hparams.yaml, params.yaml, a report's header)
 * flattened into key/value params with libyaml, and JSON as Python writes
 * it (bare NaN, Infinity, -Infinity) through jansson. No code in a file is ever run:
 * Python object tags are shown as text. */
#ifndef RUNSITE_YAMLKV_H
#define RUNSITE_YAMLKV_H

#include <stddef.h>

#include <jansson.h>

#include "runsite/model.h"

/* How nested keys are joined, by the convention of the tool that wrote the
 * file, so a param has the name its users know it by:
 * - Lightning's hparams.yaml: '/', as Lightning's loggers flatten nested
 *   hparams (_flatten_dict) and TensorBoard's HPARAMS tab shows them, so the
 *   same param read from hparams.yaml and from the run's event files is one
 *   key ("model/hidden");
 * - DVC's params.yaml: '.', as `dvc params diff` and `dvc exp show` name
 *   them ("train.lr"). */
#define YAMLKV_SEP_LIGHTNING '/'
#define YAMLKV_SEP_DVC '.'

/* Flattens the first YAML document in text[0, len) into out: scalars under
 * nested mappings get their keys joined by sep ("model/hidden"), merge keys ("<<")
 * are merged, sequences and nodes with an unknown tag (such as
 * !!python/object:...) become one JSON-like text value. Keys get prefix
 * (may be NULL) in front. Aliases are followed within a fixed budget, so a
 * "billion laughs" file costs little. Problems are reported as
 * "path:line: what"; what was read before them is kept. Returns the number
 * of pairs added, or -1 when nothing could be read (reported). */
long yamlkv_parse(const char *text, size_t len, const char *path, const char *prefix,
                  char sep, struct kvlist *out);

/* yamlkv_parse on the file at path. A file that cannot be read is reported
 * and gives -1. */
long yamlkv_load(const char *path, const char *prefix, char sep, struct kvlist *out);

/* Parses JSON text[0, len) accepting the bare NaN, Infinity and -Infinity
 * tokens Python's json module writes (they are read back by json_to_double).
 * Integers are read as reals, so huge ones do not fail. Returns a new
 * reference, or NULL when the text is not JSON (reported as path:line
 * unless path is NULL). */
json_t *json_parse_lenient(const char *text, size_t len, const char *path);

/* The number v holds: a JSON number, a bare NaN/Infinity token, or (when
 * strings is set) a string such as "nan", "inf" or "0.5". Returns 1, or 0
 * when v is not a number. */
int json_to_double(const json_t *v, int strings, double *out);

/* v as text for a param: strings as they are, numbers in their shortest
 * form, true/false/null, arrays and objects as compact JSON. Caller frees. */
char *json_to_text(const json_t *v);

#endif
