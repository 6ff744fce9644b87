/* embedded.h — templates/ and assets/ compiled into the binary (scripts/embed.c). */
#ifndef RUNSITE_EMBEDDED_H
#define RUNSITE_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
	const char *path; /* as in the source tree: "templates/run.html", "assets/style.css" */
	const unsigned char *data;
	size_t size;
};

/* Terminated by an entry whose path is NULL. */
extern const struct embedded_file embedded_files[];

#endif
