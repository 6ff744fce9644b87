/* wandb_log.c — the LevelDB-style framing of .wandb files (see wandb_log.h).
 * The CRC-32 is ISA-L's (Debian libisal), several times faster than zlib's,
 * so checking every chunk costs little next to reading it. */
#include <errno.h>
#include <isa-l/crc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runsite/diag.h"
#include "wandb_log.h"

enum { WB_FULL = 1, WB_FIRST = 2, WB_MIDDLE = 3, WB_LAST = 4 };

/* Per-stretch warnings before they are only counted. */
#define WB_WARN_MAX 5

/* zlib.crc32(bytes([t])) for each chunk type: the CRC of a chunk continues
 * from the CRC of its type byte. */
static const uint32_t type_crc[5] = {0xd202ef8d, 0xa505df1b, 0x3c0c8ea1, 0x4b0bbe37, 0xd56f2b94};

uint32_t wb_chunk_crc(uint8_t t, const void *data, size_t n)
{
	uint32_t c = t < 5 ? type_crc[t] : crc32_gzip_refl(0, &t, 1);
	return crc32_gzip_refl(c, data, n);
}

/* Whether the first bytes of a file are the W&B header (reported if not). */
static int header_ok(const struct wb_log *l)
{
	const uint8_t *d = l->data;
	if (l->n < WB_HEADER_LEN || l->win_len < WB_HEADER_LEN || memcmp(d, ":W&B", 4) != 0 ||
	    d[4] != 0xE1 || d[5] != 0xBE || d[6] != 0) {
		if (!l->quiet)
			diag_warn(l->path, 0, "not a W&B .wandb file (no \":W&B\" header, version 0)");
		return 0;
	}
	return 1;
}

int wb_log_open(struct wb_log *l, const char *path, const void *data, size_t n, bool quiet)
{
	memset(l, 0, sizeof *l);
	l->path = path;
	l->data = data;
	l->n = n;
	l->win_len = n;
	l->fd = -1;
	l->quiet = quiet;
	if (!header_ok(l))
		return 0;
	l->pos = WB_HEADER_LEN;
	return 1;
}

/* Reads the window of whole blocks holding offset at (at < l->n). A short
 * read means the file is shorter now: it ends there. Returns 0 on an error. */
static int load_window(struct wb_log *l, size_t at)
{
	size_t off = at / WB_BLOCK * (size_t)WB_BLOCK;
	size_t want = l->n - off < l->win_cap ? l->n - off : l->win_cap, got = 0;
	while (got < want) {
		ssize_t r = pread(l->fd, l->win + got, want - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return 0;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	l->win_off = off;
	l->win_len = got;
	if (got < want)
		l->n = off + got;
	return 1;
}

int wb_log_open_fd(struct wb_log *l, const char *path, int fd, size_t n, size_t win_blocks,
                   bool quiet)
{
	memset(l, 0, sizeof *l);
	l->path = path;
	l->n = n;
	l->fd = fd;
	l->quiet = quiet;
	l->win_cap = (win_blocks ? win_blocks : 1) * (size_t)WB_BLOCK;
	l->win = xmalloc(l->win_cap);
	l->data = l->win;
	if (n && !load_window(l, 0)) {
		free(l->win);
		l->win = NULL;
		return -1;
	}
	if (!header_ok(l)) {
		free(l->win);
		l->win = NULL;
		return 0;
	}
	l->pos = WB_HEADER_LEN;
	return 1;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A corrupt chunk at l->pos: drop the record being put together and go on
 * at the next block, skipping its leading MIDDLE and LAST chunks. */
static void skip_corrupt(struct wb_log *l, const char *why)
{
	size_t next = (l->pos / WB_BLOCK + 1) * (size_t)WB_BLOCK;
	if (next > l->n)
		next = l->n;
	if (l->corrupt++ < WB_WARN_MAX && !l->quiet)
		diag_warn_at(l->path, l->pos, "corrupt chunk (%s); skipped to the next 32 KiB block",
		             why);
	l->lost_bytes += next - l->pos + (l->in_record ? l->rec.size : 0);
	l->in_record = false;
	l->resync = true;
	l->pos = next;
}

/* A valid chunk at offset at that does not fit the record in progress:
 * count and warn, without skipping the block (its chunks check). */
static void count_lost(struct wb_log *l, size_t at, size_t bytes, const char *why)
{
	if (l->corrupt++ < WB_WARN_MAX && !l->quiet)
		diag_warn_at(l->path, at, "%s; its data is lost", why);
	l->lost_bytes += bytes;
	l->in_record = false;
}

int wb_log_next(struct wb_log *l, const uint8_t **p, size_t *len)
{
	for (;;) {
		if (l->pos - l->win_off >= l->win_len && l->pos < l->n && l->fd >= 0 &&
		    !load_window(l, l->pos)) {
			/* A read error: what follows is lost, like a cut tail. */
			if (!l->quiet)
				diag_warn_at(l->path, l->pos, "cannot read: %s", strerror(errno));
			l->n = l->pos;
		}
		size_t off = l->pos % WB_BLOCK, left = WB_BLOCK - off;
		if (left < WB_CHUNK_HEADER) {
			l->pos += left; /* the zero trailer of a block */
			continue;
		}
		if (l->pos + WB_CHUNK_HEADER > l->n) {
			if (l->pos < l->n || l->in_record)
				l->cut_at = l->in_record ? l->rec_start : l->pos;
			return 0;
		}
		const uint8_t *h = l->data + (l->pos - l->win_off);
		uint32_t crc = le32(h);
		size_t dlen = (size_t)h[4] | (size_t)h[5] << 8;
		uint8_t type = h[6];
		if (crc == 0 && dlen == 0 && type == 0) {
			/* A zeroed stretch (preallocated or never written): the
			 * block holds nothing more. */
			if (l->in_record) {
				skip_corrupt(l, "zeroed bytes inside a record");
				continue;
			}
			l->pos += left;
			continue;
		}
		if (WB_CHUNK_HEADER + dlen > left) {
			skip_corrupt(l, "length runs past the block");
			continue;
		}
		if (l->pos + WB_CHUNK_HEADER + dlen > l->n) {
			l->cut_at = l->in_record ? l->rec_start : l->pos;
			l->in_record = false;
			return 0;
		}
		if (type < WB_FULL || type > WB_LAST) {
			skip_corrupt(l, "unknown chunk type");
			continue;
		}
		const uint8_t *payload = h + WB_CHUNK_HEADER;
		if (crc32_gzip_refl(type_crc[type], payload, dlen) != crc) {
			skip_corrupt(l, "checksum mismatch");
			continue;
		}
		size_t at = l->pos;
		l->pos += WB_CHUNK_HEADER + dlen;
		if (l->resync && (type == WB_MIDDLE || type == WB_LAST)) {
			l->lost_bytes += WB_CHUNK_HEADER + dlen; /* the rest of a lost record */
			continue;
		}
		l->resync = false;
		switch (type) {
		case WB_FULL:
			if (l->in_record)
				count_lost(l, l->rec_start, l->rec.size, "a record without its LAST chunk");
			l->records++;
			*p = payload;
			*len = dlen;
			return 1;
		case WB_FIRST:
			if (l->in_record)
				count_lost(l, l->rec_start, l->rec.size, "a record without its LAST chunk");
			buf_reset(&l->rec);
			buf_put(&l->rec, payload, dlen);
			l->in_record = true;
			l->rec_start = at;
			continue;
		default: /* MIDDLE, LAST */
			if (!l->in_record) {
				count_lost(l, at, WB_CHUNK_HEADER + dlen, "a MIDDLE or LAST chunk without its FIRST");
				continue;
			}
			buf_put(&l->rec, payload, dlen);
			if (type == WB_MIDDLE)
				continue;
			l->in_record = false;
			l->records++;
			*p = (const uint8_t *)(l->rec.data ? l->rec.data : "");
			*len = l->rec.size;
			return 1;
		}
	}
}

void wb_log_close(struct wb_log *l)
{
	if (!l->quiet && l->corrupt > WB_WARN_MAX)
		diag_warn(l->path, 0, "%llu more corrupt chunks skipped",
		          (unsigned long long)(l->corrupt - WB_WARN_MAX));
	if (!l->quiet && l->corrupt)
		diag_warn(l->path, 0,
		          "%llu corrupt stretch%s: %llu bytes skipped, the records in them lost",
		          (unsigned long long)l->corrupt, l->corrupt == 1 ? "" : "es",
		          (unsigned long long)l->lost_bytes);
	buf_free(&l->rec);
	free(l->win);
	l->win = NULL;
}
