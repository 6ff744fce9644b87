/* sha256.h — SHA-256 (FIPS 180-4) for the artifact manifest of `runsite export`. */
#ifndef RUNSITE_SHA256_H
#define RUNSITE_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;      /* bytes hashed so far */
	uint8_t block[64];
	size_t nblock;     /* bytes waiting in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
/* Writes the digest as 64 lowercase hex digits and a NUL into hex[65]. */
void sha256_final_hex(struct sha256 *s, char hex[65]);
/* Hashes the file at path into hex[65]. Returns 1, or 0 with errno set. */
int sha256_file(const char *path, char hex[65]);

#endif
