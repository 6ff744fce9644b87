/* wandb_log.h — the framing of a W&B run-<id>.wandb file: a 7-byte header
 * (":W&B", magic 0xBEE1 little-endian, version 0), then LevelDB's log format
 * (32 KiB blocks at absolute file offsets; chunks of crc u32, length u16,
 * type u8 FULL/FIRST/MIDDLE/LAST). Unlike LevelDB the checksum is the plain
 * zlib CRC-32 of the type byte and the payload, not a masked CRC-32C
 * (wandb/sdk/internal/datastore.py; core's transactionlog uses CRCAlgoIEEE).
 * Layout notes: shared/formats/mlflow-clearml-wandb.md §4.3. */
#ifndef RUNSITE_WANDB_LOG_H
#define RUNSITE_WANDB_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runsite/util.h"

#define WB_HEADER_LEN 7
#define WB_BLOCK 32768
#define WB_CHUNK_HEADER 7

struct wb_log {
	const char *path;      /* for messages */
	const uint8_t *data;   /* the bytes at file offsets [win_off, win_off + win_len) */
	size_t win_off, win_len;
	size_t n;              /* the file's length */
	size_t pos;            /* offset of the next chunk */
	int fd;                /* read in windows of whole blocks; -1: all of it in data */
	uint8_t *win;          /* the window buffer when reading from fd */
	size_t win_cap;        /* its size, a multiple of WB_BLOCK */
	struct buf rec;        /* a record being put together from FIRST..LAST */
	uint64_t records;      /* records returned */
	uint64_t corrupt;      /* corrupt stretches skipped (each to the next block) */
	uint64_t lost_bytes;   /* bytes skipped over because of them */
	uint64_t cut_at;       /* offset where a cut (truncated) tail starts; 0 when none */
	size_t rec_start;      /* offset of the FIRST chunk of rec */
	bool in_record;        /* rec holds a FIRST and maybe MIDDLEs */
	bool resync;           /* after a corrupt chunk: MIDDLE and LAST are skipped */
	bool quiet;            /* no per-stretch warnings (fuzzing, benchmarks) */
};

/* Checks the file header of data[0, n). Returns 1 and readies l, or 0 when
 * the bytes are not a .wandb file (reported unless quiet). */
int wb_log_open(struct wb_log *l, const char *path, const void *data, size_t n, bool quiet);
/* The same for the file open on fd, n bytes long, read with pread() in
 * windows of win_blocks whole blocks (a chunk never crosses a block, so
 * every chunk lies inside one window; the window stays in the cache while it
 * is checked and decoded). A file shorter than n when read ends where it
 * ends, as a cut file. Returns -1 (errno set) when the file cannot be read. */
int wb_log_open_fd(struct wb_log *l, const char *path, int fd, size_t n, size_t win_blocks,
                   bool quiet);
/* The next whole record. Corrupt chunks (bad CRC, a length past the block,
 * an unknown type, a MIDDLE or LAST without its FIRST) are skipped to the next
 * block as W&B's own reader does, then up to its next FULL or FIRST chunk.
 * A chunk or record cut by the end of the file ends reading (cut_at set).
 * Returns 1 with *p, *len valid until the next call, or 0 at the end. */
int wb_log_next(struct wb_log *l, const uint8_t **p, size_t *len);
/* Reports what was skipped or cut (one warning each), frees the buffers
 * (the fd stays open). */
void wb_log_close(struct wb_log *l);

/* The checksum W&B writes for a chunk of type t over data[0, n). */
uint32_t wb_chunk_crc(uint8_t t, const void *data, size_t n);

#endif
