/* export.h — the self-contained hand-off page of `runsite export`, made
 * with the site's template machinery (tmpl.c, notes.c). */
#ifndef RUNSITE_EXPORT_H
#define RUNSITE_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "runsite/compare.h"
#include "runsite/goal.h"
#include "runsite/model.h"

struct export_opts {
	const char *title;  /* NULL: the run's name, or "Comparison of N runs" */
	bool redacted;      /* redaction was on: say so on the page */
	double smoothing;   /* chart smoothing, as build's --smoothing */
	const int *colors;  /* each run's colour index, as on the site (its place in the
	                     * listing, gate_picker.seq); NULL: the order of runs */
	enum metric_at at;  /* --at: the point each metric's value is read at */
	const struct goal_rules *goals; /* --goal; NULL: directions from the names */
};

/* Writes runs (with their full series) as one HTML file at out_path: CSS,
 * script and SVG charts inline, nothing that loads a file or an address.
 * The file appears whole or not at all. Returns EXIT_OK or EXIT_OUTPUT
 * (reported). */
int export_write(struct run *const *runs, size_t n, const struct export_opts *opts,
                 const char *out_path);

/* The parts of a model card, in order, and the heading texts (lowercase)
 * that name each in a note. */
#define EXPORT_CARD_PARTS 5
extern const char *const export_card_titles[EXPORT_CARD_PARTS];

/* The Markdown of the section of md headed by one of part's names, up to
 * the next heading of the same or a higher level; for the caveats, without
 * such a heading, a paragraph opening "Caveat:" or "Caveats:". NULL when md
 * has none. Fenced code is not searched. Caller frees. */
char *export_card_section(const char *md, size_t part);

#endif
