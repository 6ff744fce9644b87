/* cleanup.h — no litter on a fatal exit. A build registers its temporary
 * folder here; when SIGINT or SIGTERM arrives, or memory runs out, the folder
 * is removed (with system calls only: no allocation, safe in a signal
 * handler) and the process exits at once with a documented code. */
#ifndef RUNSITE_CLEANUP_H
#define RUNSITE_CLEANUP_H

/* Handles SIGINT and SIGTERM: the registered folder is removed and the
 * process exits with 128 + the signal number (130, 143). Call once, early. */
void cleanup_install_signals(void);

/* The folder to remove on a fatal exit (copied), or NULL for none. */
void cleanup_set_tmpdir(const char *path);

/* Brackets the making of a file or folder below the registered folder, so a
 * fatal exit waits for it and nothing is made once the folder is going:
 * once the process is exiting, cleanup_write_begin does not return (the
 * exiting thread ends the process). Returns 1. */
int cleanup_write_begin(void);
void cleanup_write_end(void);

/* Prints msg (one line, may be NULL), removes the registered folder and
 * exits with code. A second fatal exit on another thread waits for the
 * first. Async-signal-safe. */
_Noreturn void cleanup_fatal(int code, const char *msg);

/* Whether a fatal exit is under way (messages are then dropped). */
int cleanup_exiting(void);

/* Removes the tree at path without following symbolic links and without
 * allocating. Returns 1 when path is gone. Async-signal-safe. */
int cleanup_remove_tree(const char *path);

#endif
