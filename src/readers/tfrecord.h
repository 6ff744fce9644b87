/* tfrecord.h — TFRecord framing (the container of TensorBoard event files):
 * CRC32C with a run-time choice of the SSE4.2 instruction, masked CRCs, and a
 * record reader over a file or a memory buffer that reads in small windows. */
#ifndef RUNSITE_TFRECORD_H
#define RUNSITE_TFRECORD_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CRC32C (Castagnoli, reflected 0x82F63B78) of n bytes, continuing from crc
 * (0 to start): crc32c(crc32c(0, a, na), b, nb) == crc32c(0, a ++ b, na + nb). */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);
/* The two implementations behind crc32c(), exposed for tests and benchmarks;
 * crc32c_hw must only be called when crc32c_have_hw() is true. */
uint32_t crc32c_sw(uint32_t crc, const void *p, size_t n);
uint32_t crc32c_hw(uint32_t crc, const void *p, size_t n);
bool crc32c_have_hw(void);

/* TensorFlow's masked CRC32C of n bytes (rotate right 15, add 0xA282EAD8). */
uint32_t tfr_masked_crc(const void *p, size_t n);

/* Reads records in order. Bytes come from fd mapped whole (files of at least
 * TFR_MAP_MIN bytes, read in place, mapped pages given back every TFR_RELEASE
 * bytes) or through a buffer of about TFR_CHUNK (grown only for records
 * larger than that), or from memory. */
#define TFR_CHUNK (128 * 1024)
#define TFR_MAP_MIN (64 * 1024)
#define TFR_RELEASE (4 * 1024 * 1024)

struct tfr_reader {
	const char *path;    /* for messages */
	int fd;              /* -1 when reading from memory */
	uint64_t file_size;  /* bytes in the file when opened (fd) or in memory */
	uint8_t *buf;        /* owned window when reading fd; borrowed memory otherwise */
	size_t cap;          /* size of buf (fd mode) */
	uint64_t boff;       /* file offset of buf[0] */
	size_t blen;         /* valid bytes in buf */
	bool eof;            /* read() returned 0 */
	uint64_t pos;        /* file offset of the next record */
	uint64_t last;       /* file offset of the record last returned */
	uint64_t records;    /* records returned so far */
	uint64_t corrupt;    /* corrupt stretches skipped */
	bool quiet_notes;    /* no note for a truncated tail (fuzzing) */
	bool hw;             /* crc32c_have_hw(), asked once */
	bool mapped;         /* buf is the file mapped whole (fd mode) */
	size_t released;     /* bytes at the start of the mapping given back */
	sigjmp_buf *jmp;     /* where a SIGBUS in the mapping goes (tfr_guard_set) */
};

enum tfr_status {
	TFR_RECORD = 1, /* *payload, *len hold one checked record */
	TFR_END = 0,    /* clean end of file, or a truncated tail (noted) */
	TFR_ERROR = -1, /* an I/O error or a file that is not TFRecord at all (reported) */
};

/* Starts reading fd (not closed by the reader). */
void tfr_open_fd(struct tfr_reader *t, const char *path, int fd, uint64_t file_size);
/* Starts reading n bytes at data, which must outlive the reader. */
void tfr_open_mem(struct tfr_reader *t, const char *path, const void *data, size_t n);
/* The next record whose length and payload CRCs both check. A corrupt stretch
 * is reported as "path@offset: what" and skipped by scanning forward byte by byte
 * to the next position where a whole record checks. The payload stays valid
 * until the next call. */
enum tfr_status tfr_next(struct tfr_reader *t, const uint8_t **payload, size_t *len);
/* A mapped file that another program shortens raises SIGBUS when the lost
 * pages are touched. A reading loop is guarded as
 *	sigjmp_buf jb;
 *	tfr_guard_set(t, &jb);
 *	if (sigsetjmp(jb, 0) == 0)
 *		while (tfr_next(t, ...) == TFR_RECORD) ...;
 *	else
 *		... the file was shortened: report, keep what was read ...
 *	tfr_unguard(t);
 * so the signal ends the loop, not the program. Nothing happens for readers
 * that are not mapped. Payloads must not be touched outside the guard. */
void tfr_guard_set(struct tfr_reader *t, sigjmp_buf *jb);
void tfr_unguard(struct tfr_reader *t);
/* File offset of the record last returned. */
uint64_t tfr_record_offset(const struct tfr_reader *t);
void tfr_close(struct tfr_reader *t);

#endif
