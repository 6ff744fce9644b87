/* status.h — the exit codes every command uses (also in --help and the man page). */
#ifndef RUNSITE_STATUS_H
#define RUNSITE_STATUS_H

enum {
	EXIT_OK = 0,
	EXIT_GATE_FAILED = 1, /* runsite check: a rule failed */
	EXIT_USAGE = 2,
	EXIT_NO_INPUT = 3,    /* nothing could be read (check: a run or metric is missing) */
	EXIT_OUTPUT = 4,      /* an output could not be written */
	EXIT_NO_MEMORY = 5,   /* out of memory (build: the previous site is left whole) */
	/* A tracking server (postgresql://, mysql://) failed; nothing was written. */
	EXIT_SERVER_CONNECT = 6, /* it could not be reached: refused, no such host */
	EXIT_SERVER_AUTH = 7,    /* it refused the login: wrong password, user or database */
	EXIT_SERVER_LOST = 8,    /* the connection broke or the server stopped mid-read */
	EXIT_SERVER_TIMEOUT = 9, /* a statement ran past the statement timeout */
};

#endif
