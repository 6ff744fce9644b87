/* util.h — allocation that never returns NULL, a growable byte buffer,
 * and small string and path helpers shared by every module. */
#ifndef RUNSITE_UTIL_H
#define RUNSITE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Allocation wrappers: on out-of-memory they call out_of_memory(), so a NULL
 * or 0 return elsewhere always means a real input or I/O problem. */
/* Says "out of memory", removes the build's temporary folder and exits
 * with EXIT_NO_MEMORY (cleanup.h). For libraries' allocation failures too. */
_Noreturn void out_of_memory(void);
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *items (of *cap elements of size elem) so that index `need - 1` fits. */
void grow_array(void **items, size_t *cap, size_t need, size_t elem);
#define GROW(arr, cap, need) grow_array((void **)&(arr), &(cap), (need), sizeof(*(arr)))
/* The same for a list whose count and capacity are uint32_t (the lists a
 * run holds to the end of a build, where 8-byte counts cost 8 bytes each). */
void grow_array32(void **items, uint32_t *cap, size_t need, size_t elem);
#define GROW32(arr, cap, need) grow_array32((void **)&(arr), &(cap), (need), sizeof(*(arr)))

/* Asks for huge pages under the big array p (bytes long) about to be
 * filled: a page fault per 2 MiB, not per 4 KiB. Only a hint (the kernel
 * may say no); arrays under 8 MiB are left alone. */
void huge_pages(void *p, size_t bytes);

/* A growable byte buffer; data is always NUL-terminated when size > 0 or after buf_cstr. */
struct buf {
	char *data;
	size_t size;
	size_t cap;
};
#define BUF_INIT {NULL, 0, 0}

void buf_put(struct buf *b, const void *data, size_t n);
/* Room for extra more bytes in one allocation (instead of doubling to it). */
void buf_reserve(struct buf *b, size_t extra);
/* One byte. Inline: the SVG path and JSON writers put numbers a
 * character at a time. */
static inline void buf_putc(struct buf *b, int c)
{
	if (b->size + 2 > b->cap)
		buf_reserve(b, 1);
	b->data[b->size++] = (char)c;
	b->data[b->size] = '\0';
}
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_reset(struct buf *b);
/* Returns the contents as a C string (never NULL; "" when empty). */
const char *buf_cstr(struct buf *b);
/* Hands the storage to the caller, who frees it; the buffer is left empty. */
char *buf_detach(struct buf *b);
void buf_free(struct buf *b);
#define BUF_PUTSL(b, lit) buf_put((b), (lit), sizeof(lit) - 1)

/* Reads a whole file into *out (NUL-terminated), sized from fstat (a file
 * still growing is read to its end). Returns 0 and sets errno on failure;
 * does not report. Files larger than max_bytes fail with EFBIG. */
int read_file(const char *path, struct buf *out, size_t max_bytes);

/* Copies the running program's GNU build ID (the linker's digest of its
 * code and data, the .note.gnu.build-id section) into out; returns its
 * length, or 0 when the program has none or it is longer than cap. */
size_t program_build_id(unsigned char *out, size_t cap);

/* Strings copied one after another into blocks of at least block bytes
 * and freed together: many small copies kept to the end of a build would,
 * allocated one by one, each pin a piece of the heap among what is freed
 * around them. A NULL list is empty. */
struct str_block;
char *str_blocks_copy(struct str_block **list, const char *s, size_t block);
void str_blocks_free(struct str_block **list);

/* The names in dir, sorted (without "." and ".."), or NULL with errno set
 * when it cannot be read. Free with free_names(). */
char **list_dir_sorted(const char *dir, size_t *n);
void free_names(char **names, size_t n);

/* Joins two path parts with one '/'. Caller frees. */
char *path_join(const char *a, const char *b);
/* Makes folder path and every missing parent (like mkdir -p; each new one
 * with mode). Returns 1, or 0 with errno set. The one folder maker: the
 * site writer and `runsite check` use it. */
int make_dirs(const char *path, unsigned mode);
/* True when s starts with prefix / ends with suffix. */
int str_starts(const char *s, const char *prefix);
int str_ends(const char *s, const char *suffix);
/* Removes trailing "\r\n" / "\n" / spaces in place; returns s. */
char *str_rstrip(char *s);
/* Orders names as people read them: digit runs by their number, so
 * "version_2" comes before "version_10"; names equal that way (only
 * leading zeros differ) by strcmp, so the order stays total. */
int str_natcmp(const char *a, const char *b);

/* Shortest decimal text that reads back as exactly v ("NaN", "Infinity" and
 * "-Infinity" for the non-finite values). Writes into out (at least 32 bytes). */
void fmt_double(char *out, size_t outsz, double v);

/* The number of worker threads to use: jobs when given (> 0), else the CPU count. */
int jobs_or_cpus(int jobs);

/* runsite's malloc settings, made once at start-up (main.c, and the
 * benchmarks that time runsite's parts as it runs them). */
void malloc_settings(void);

/* FNV-1a of n bytes, and of a C string: for hash tables and stable slugs. */
uint64_t hash_bytes(const void *data, size_t n);
uint64_t hash_str(const char *s);

/* qsort-compatible comparison of two `char *` elements by strcmp. */
int cmp_strp(const void *a, const void *b);

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one
 * (overlong forms and surrogates included); stops at a NUL. */
int utf8_seq_len(const unsigned char *s);
/* A copy of s in which each byte that does not start a valid UTF-8 sequence
 * is U+FFFD, or NULL when s is valid already (nothing allocated). */
char *utf8_fixed(const char *s);
/* Replaces *s (may be NULL) by its utf8_fixed form when it is not valid. */
void utf8_fix(char **s);

/* What a file of this st_mode is, for a message: "a FIFO", "a character
 * device", ... (runsite reads only regular files: a FIFO would block). */
const char *file_kind_name(unsigned mode);

/* A shared library opened on first use: the libraries only some stores need
 * (the database clients, libzip) are opened when such a store is read, not at
 * every start (loading them and what they pull in, TLS, Kerberos and LDAP among
 * it, took more than half a small build's start-up). Declare one with an
 * X-macro list of its functions:
 *   #define PQ_FUNCS(X) X(PQclear) X(PQexec)
 *   static struct { PQ_FUNCS(LIB_SLOT) } pqlib;
 *   #define PQ_ADDR(f) LIB_ADDR(pqlib, f)
 *   static struct lazy_lib pq = LAZY_LIB("libpq.so.5", PQ_FUNCS(LIB_NAME), PQ_FUNCS(PQ_ADDR));
 * and call lib_ready(&pq) before using pqlib.PQexec. */
#define LIB_SLOT(f) __typeof__(f) *f;
#define LIB_NAME(f) #f,
#define LIB_ADDR(table, f) (void **)&table.f,
#define LAZY_LIB(soname, names, slots)                                                             \
	{                                                                                              \
		(soname), (const char *const[]){names}, (void **const[]){slots},                         \
		    sizeof((const char *const[]){names}) / sizeof(const char *), false, NULL               \
	}
struct lazy_lib {
	const char *soname;
	const char *const *names; /* the functions looked up, */
	void **const *slots;      /* and where each one's address goes */
	size_t n;
	bool tried;  /* opened once, whatever the outcome */
	char *error; /* why it could not be, or NULL */
};
/* Opens lib the first time it is asked for (thread-safe) and looks its
 * functions up. Returns NULL when they are there, or why they are not (the
 * message names the library; owned by lib). */
const char *lib_ready(struct lazy_lib *lib);

#endif
