/* csvparse.h — one CSV/TSV tokenizer shared by the CSV-based readers
 * (Lightning, Keras, DVCLive TSV, plain CSV), and an exact number parser.
 * RFC 4180 as Python's csv module writes it: quoted fields with doubled
 * quotes, quoted newlines, "\n" or "\r\n" (or a lone "\r") line ends, any
 * one-byte separator, optionally followed by spaces (Keras dumps with ", ").
 * The tokenizer works in place on the caller's own copy of the text: fields
 * are unquoted and NUL-terminated inside it, so no cell is ever allocated. */
#ifndef RUNSITE_CSVPARSE_H
#define RUNSITE_CSVPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "runsite/model.h"
#include "runsite/util.h"

struct csv_field {
	char *s;    /* NUL-terminated, inside the parser's text */
	size_t len;
	int quoted; /* the field was in quotes (so "" is an empty string, not a missing cell) */
};

struct csv_parser {
	char *p, *end;        /* the text still to read; *end must be '\0' */
	char sep;             /* field separator: ',', '\t', ';', ... */
	int trim;             /* skip spaces before and after unquoted fields */
	size_t line;          /* line where the record last returned starts (1-based) */
	size_t next_line;     /* line where the next record starts */
	size_t open_quote;    /* line of a quote left open at the end of the text, or 0 */
	struct csv_field *fields;
	size_t nfields, capfields;
	unsigned char stop[256]; /* bytes that end an unquoted field */
};

/* Starts parsing text[0, len), which the parser changes in place; text[len]
 * must be '\0' (read_file() and struct buf guarantee it). */
void csv_init(struct csv_parser *cp, char *text, size_t len, char sep, int trim);
/* Reads the next record into cp->fields / cp->nfields. Empty lines are
 * skipped. Returns the number of fields, or 0 at the end of the text. */
size_t csv_next(struct csv_parser *cp);
void csv_free(struct csv_parser *cp);
/* The fast path for numeric tables: reads the next record when each of its
 * cells is empty or a plain decimal number (no quotes, no words such as
 * "nan"), setting vals[i] and present[i] (1: a number, 0: empty) for its
 * fields. Returns the number of fields, 0 at the end of the text, or -1
 * when the record has more than max fields or any other cell: then nothing
 * is consumed and csv_next() reads the same record. */
long csv_next_numbers(struct csv_parser *cp, double *vals, unsigned char *present, size_t max);

/* Guesses the separator from a header line [s, e): tab, ';', '|' or ',',
 * whichever occurs (in that order of preference), and whether a space
 * follows each one (", "). Returns ',' when there is none. */
char csv_sniff_sep(const char *s, const char *e, int *trim);

/* Parses [s, s + len) as a whole number to exactly the double strtod gives.
 * Also takes "nan", "inf", "-inf", "infinity", "NaN", "Infinity" and
 * "-Infinity" in any case. Hexadecimal and surrounding text are refused.
 * Returns 1, or 0 when the cell is not a number. */
int csv_number(const char *s, size_t len, double *out);
/* Parses an optionally signed decimal integer filling [s, s + len); a
 * number like "12.0" or "1e3" with an integral value is also taken.
 * Returns 1, or 0 on anything else or out of range. */
int csv_int64(const char *s, size_t len, int64_t *out);

/* Bad rows or cells named one by one per file before the rest are only counted. */
#define CSV_WARN_MAX 10

/* Warnings about one file: the first CSV_WARN_MAX are printed, the rest
 * counted and summed up by csv_warn_end(). Zero it, then set path. */
struct csv_warns {
	const char *path;
	size_t n;
};
void csv_warn(struct csv_warns *w, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void csv_warn_end(struct csv_warns *w);

/* Small file-system helpers of the readers built on this module. */

int csv_is_dir(const char *path);
int csv_is_file(const char *path);
/* The first line of the file at path (at most max bytes, without its line
 * end), or NULL when it cannot be read. Caller frees. */
char *csv_first_line(const char *path, size_t max);
/* The name of the folder `up` levels above path (0: path's own last
 * component), resolved through realpath so "." has a name. Caller frees;
 * "" when there is none. */
char *csv_dir_name(const char *path, int up);

/* The series of run r each column of the header record just read into cp
 * fills: idx[i] is an index into r->metrics, or SIZE_MAX for a column that
 * is not a metric (skip[i] nonzero: a step or time column; skip may be NULL).
 * A metric column is named by its header ("column N" when it has none); with
 * prefix, by prefix alone when it is the only metric column, else
 * "prefix/header" (DVCLive's one file per metric). The one header-to-series
 * mapping of the CSV readers. Caller frees. */
size_t *csv_columns_to_series(struct run *r, const struct csv_parser *cp,
                              const unsigned char *skip, const char *prefix);

#endif
