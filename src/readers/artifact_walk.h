/* artifact_walk.h — a run's artifact folder listed as its artifacts, the
 * one walk the readers whose runs keep files in a folder share. */
#ifndef RUNSITE_ARTIFACT_WALK_H
#define RUNSITE_ARTIFACT_WALK_H
#include <stdbool.h>
#include <stddef.h>

#include "runsite/model.h"

/* Adds every file below root to r as an artifact, named relative to root,
 * in name order: folders are walked to a depth of 32, links to folders are
 * not followed (one may loop), links to files count as their target. skip
 * (may be NULL) leaves out the files it is true for, by relative name. At
 * max files the walk stops with one warning about the run, naming where. */
void artifact_walk(struct run *r, const char *root, size_t max, bool (*skip)(const char *rel),
                   const char *where);

#endif
