/* jsonw.h — a small streaming JSON writer, for `runsite ls --json`.
 * Strings are written as valid UTF-8 whatever the input holds: invalid bytes
 * become U+FFFD. Numbers use the shortest text that reads back exactly. */
#ifndef RUNSITE_JSONW_H
#define RUNSITE_JSONW_H

#include <stdint.h>
#include <stdio.h>

struct jsonw {
	FILE *out;
	int depth;
	int first[64]; /* per nesting level: nothing written yet */
	/* Strings also escape '<', '>', '&', U+2028 and U+2029, so the JSON
	 * can stand inside an HTML <script> element or a script file. */
	int script_safe;
};

void jsonw_init(struct jsonw *w, FILE *out);
void jsonw_begin_object(struct jsonw *w);
void jsonw_end_object(struct jsonw *w);
void jsonw_begin_array(struct jsonw *w);
void jsonw_end_array(struct jsonw *w);
/* A key inside an object; the value follows with one of the calls below. */
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_string(struct jsonw *w, const char *s); /* NULL writes null */
void jsonw_int(struct jsonw *w, int64_t v);
/* A double; NaN and ±Inf are written as the strings "NaN", "Infinity", "-Infinity". */
void jsonw_double(struct jsonw *w, double v);
void jsonw_null(struct jsonw *w);
void jsonw_bool(struct jsonw *w, int v);

#endif
