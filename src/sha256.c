/* sha256.c — SHA-256 through GLib's GChecksum (GLib comes with Pango). */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "runsite/sha256.h"

static void finish(GChecksum *c, char hex[65])
{
	memcpy(hex, g_checksum_get_string(c), 64);
	hex[64] = '\0';
	g_checksum_free(c);
}

void sha256_hex(const void *data, size_t n, char hex[65])
{
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(c, data, (gssize)n);
	finish(c, hex);
}

int sha256_file(const char *path, char hex[65])
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
	unsigned char b[65536];
	size_t n;
	while ((n = fread(b, 1, sizeof b, f)) > 0)
		g_checksum_update(c, b, (gssize)n);
	int err = ferror(f);
	fclose(f);
	if (err) {
		g_checksum_free(c);
		errno = EIO;
		return 0;
	}
	finish(c, hex);
	return 1;
}
