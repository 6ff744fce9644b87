/* sha256.h — SHA-256 digests, for the artifact manifest of `runsite export`:
 * GLib's GChecksum, read from files in large pieces. */
#ifndef RUNSITE_SHA256_H
#define RUNSITE_SHA256_H

#include <stddef.h>

/* The digest of data[0, n) as 64 lowercase hex digits and a NUL in hex[65]. */
void sha256_hex(const void *data, size_t n, char hex[65]);
/* Hashes the file at path into hex[65]. Returns 1, or 0 with errno set. */
int sha256_file(const char *path, char hex[65]);

#endif
