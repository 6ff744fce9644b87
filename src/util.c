/* util.c — allocation wrappers, the byte buffer, small string and path helpers. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsite/cleanup.h"
#include "runsite/dtoa.h"
#include "runsite/status.h"
#include "runsite/util.h"

_Noreturn void out_of_memory(void)
{
	cleanup_fatal(EXIT_NO_MEMORY, "runsite: out of memory\n");
}

static void oom(void)
{
	out_of_memory();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xreallocarray(void *p, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		oom();
	return xrealloc(p, count * size);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	if (n) /* an empty field may come as (NULL, 0) */
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_cstr(&b);
	return buf_detach(&b);
}

void grow_array(void **items, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return;
	size_t ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			oom();
		ncap *= 2;
	}
	*items = xreallocarray(*items, ncap, elem);
	*cap = ncap;
}

void grow_array32(void **items, uint32_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return;
	if (need > UINT32_MAX / 2)
		oom();
	size_t ncap = *cap;
	grow_array(items, &ncap, need, elem);
	*cap = (uint32_t)ncap;
}

static void buf_grow(struct buf *b, size_t extra)
{
	if (b->size + extra + 1 <= b->cap)
		return;
	size_t ncap = b->cap ? b->cap : 64;
	while (ncap < b->size + extra + 1) {
		if (ncap > SIZE_MAX / 2)
			oom();
		ncap *= 2;
	}
	b->data = xrealloc(b->data, ncap);
	b->cap = ncap;
}

void buf_put(struct buf *b, const void *data, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->data + b->size, data, n);
	b->size += n;
	b->data[b->size] = '\0';
}

void huge_pages(void *p, size_t bytes)
{
	const uintptr_t huge = (uintptr_t)2 << 20;
	if (bytes < 4 * huge)
		return;
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1), e = ((uintptr_t)p + bytes) & ~(huge - 1);
	if (e > a)
		madvise((void *)a, e - a, MADV_HUGEPAGE);
}

void buf_reserve(struct buf *b, size_t extra)
{
	buf_grow(b, extra);
}

void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	vsnprintf(b->data + b->size, (size_t)n + 1, fmt, ap);
	b->size += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void buf_reset(struct buf *b)
{
	b->size = 0;
	if (b->data)
		b->data[0] = '\0';
}

const char *buf_cstr(struct buf *b)
{
	buf_grow(b, 0);
	b->data[b->size] = '\0';
	return b->data;
}

char *buf_detach(struct buf *b)
{
	buf_cstr(b);
	char *p = b->data;
	b->data = NULL;
	b->size = b->cap = 0;
	return p;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->size = b->cap = 0;
}

int read_file(const char *path, struct buf *b, size_t max)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return 0;
	struct stat st;
	int e = fstat(fd, &st) != 0 ? errno
	        : S_ISDIR(st.st_mode) ? EISDIR
	        : !S_ISREG(st.st_mode) ? EINVAL /* a FIFO or a device: never ends */
	                               : 0;
	if (e) {
		close(fd);
		errno = e;
		return 0;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		errno = EFBIG;
		return 0;
	}
	buf_reset(b);
	size_t want = (size_t)st.st_size + 1;
	if (b->cap < want) {
		free(b->data);
		b->data = xmalloc(want);
		b->cap = want;
	}
	for (;;) {
		if (b->size + 1 >= b->cap) {
			/* The file grew while being read: take the rest too. */
			if (b->size >= max) {
				close(fd);
				errno = EFBIG;
				return 0;
			}
			b->cap *= 2;
			b->data = xrealloc(b->data, b->cap);
		}
		ssize_t k = read(fd, b->data + b->size, b->cap - 1 - b->size);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			close(fd);
			errno = e;
			return 0;
		}
		if (k == 0)
			break;
		b->size += (size_t)k;
	}
	close(fd);
	b->data[b->size] = '\0';
	return 1;
}

struct build_id_find {
	unsigned char *out;
	size_t cap, len;
};

/* dl_iterate_phdr visits the program first: its PT_NOTE segments are
 * searched for the GNU build ID note, then the walk stops. */
static int build_id_in_phdrs(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct build_id_find *f = arg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
		while (end - p >= (ptrdiff_t)sizeof(ElfW(Nhdr))) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)(const void *)p;
			size_t name_at = sizeof *nh, desc_at = name_at + ((nh->n_namesz + 3) & ~3u);
			size_t next = desc_at + ((nh->n_descsz + 3) & ~3u);
			if (next > (size_t)(end - p))
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    memcmp(p + name_at, "GNU", 4) == 0 && nh->n_descsz > 0 &&
			    nh->n_descsz <= f->cap) {
				memcpy(f->out, p + desc_at, nh->n_descsz);
				f->len = nh->n_descsz;
				return 1;
			}
			p += next;
		}
	}
	return 1; /* only the program itself, not the libraries after it */
}

size_t program_build_id(unsigned char *out, size_t cap)
{
	struct build_id_find f = {out, cap, 0};
	dl_iterate_phdr(build_id_in_phdrs, &f);
	return f.len;
}

int make_dirs(const char *path, unsigned mode)
{
	char *p = xstrdup(path);
	int ok = 1;
	for (char *q = p + 1; ok && *q; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST)
			ok = 0;
		*q = '/';
	}
	if (ok && mkdir(p, (mode_t)mode) != 0 && errno != EEXIST)
		ok = 0;
	int saved = errno;
	free(p);
	errno = saved;
	return ok;
}

char *path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (la == 0)
		return xstrdup(b);
	if (la == 1 && a[0] == '/')
		return xasprintf("/%s", b);
	return xasprintf("%.*s/%s", (int)la, a, b);
}

int str_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int str_ends(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

char *str_rstrip(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

static int ascii_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

int str_natcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	while (*x && *y) {
		if (ascii_digit(*x) && ascii_digit(*y)) {
			while (*x == '0')
				x++;
			while (*y == '0')
				y++;
			size_t nx = 0, ny = 0;
			while (ascii_digit(x[nx]))
				nx++;
			while (ascii_digit(y[ny]))
				ny++;
			if (nx != ny)
				return nx < ny ? -1 : 1;
			int c = memcmp(x, y, nx);
			if (c)
				return c;
			x += nx;
			y += ny;
			continue;
		}
		if (*x != *y)
			return *x < *y ? -1 : 1;
		x++;
		y++;
	}
	if (*x || *y)
		return *x ? 1 : -1;
	return strcmp(a, b);
}

/* Copies the n bytes at s to out as snprintf(out, outsz, "%s") would. */
static void copy_truncated(char *out, size_t outsz, const char *s, size_t n)
{
	if (!outsz)
		return;
	if (n > outsz - 1)
		n = outsz - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* The shortest precision p for which "%.*g" of v reads back as v. Reading
 * back exactly holds for every precision from the shortest one up to 17, so
 * a binary search finds it. Most logged values are floats widened to double,
 * which need 16 or 17 digits: those are tried first. The exact reference
 * dtoa_shortest() must agree with, and its fallback. */
static int shortest_precision(double v)
{
	char t[40];
	snprintf(t, sizeof t, "%.15g", v);
	if (strtod(t, NULL) != v) {
		snprintf(t, sizeof t, "%.16g", v);
		return strtod(t, NULL) == v ? 16 : 17;
	}
	int lo = 1, hi = 15;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		snprintf(t, sizeof t, "%.*g", mid, v);
		if (strtod(t, NULL) == v)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The shortest digits of v > 0 by printf and strtod: their count, the
 * digits into digits and the "%e" exponent into *exp10. */
static int shortest_digits_printf(double v, char *digits, int *exp10)
{
	int p = shortest_precision(v);
	char e[40];
	snprintf(e, sizeof e, "%.*e", p - 1, v);
	int nd = 0;
	const char *c = e;
	for (; *c && *c != 'e'; c++)
		if (*c != '.')
			digits[nd++] = *c;
	*exp10 = atoi(c + 1);
	return nd;
}

/* Writes the digits d.ddd * 10^x in plain notation unless the exponent
 * form ("%e"'s: at least two exponent digits) is shorter: 0.001 and
 * 1234567890123456, but 1e-05 and 1e+300. */
static void write_digits(char *out, size_t outsz, int neg, const char *digits, int nd, int x)
{
	int ax = x < 0 ? -x : x;
	int elen = neg + nd + (nd > 1) + 2 + (ax >= 100 ? 3 : 2);
	int plen = x < 0 ? neg + 2 + (-x - 1) + nd
	                 : neg + (nd > x + 1 ? nd + 1 : x + 1);
	char t[32];
	int n = 0;
	if (neg)
		t[n++] = '-';
	if (plen <= elen) {
		if (x < 0) {
			t[n++] = '0';
			t[n++] = '.';
			for (int i = 0; i < -x - 1; i++)
				t[n++] = '0';
			for (int i = 0; i < nd; i++)
				t[n++] = digits[i];
		} else {
			for (int i = 0; i < nd || i <= x; i++) {
				if (i == x + 1)
					t[n++] = '.';
				t[n++] = i < nd ? digits[i] : '0';
			}
		}
	} else {
		t[n++] = digits[0];
		if (nd > 1) {
			t[n++] = '.';
			for (int i = 1; i < nd; i++)
				t[n++] = digits[i];
		}
		t[n++] = 'e';
		t[n++] = x < 0 ? '-' : '+';
		if (ax >= 100)
			t[n++] = (char)('0' + ax / 100);
		t[n++] = (char)('0' + ax / 10 % 10);
		t[n++] = (char)('0' + ax % 10);
	}
	copy_truncated(out, outsz, t, (size_t)n);
}

void fmt_double(char *out, size_t outsz, double v)
{
	if (isnan(v)) {
		snprintf(out, outsz, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(out, outsz, v > 0 ? "Infinity" : "-Infinity");
		return;
	}
	/* Whole numbers as people log them: 500, not 5e+02. */
	if (v == floor(v) && fabs(v) < 1e15) {
		char t[24];
		size_t n = sizeof t;
		unsigned long long u = (unsigned long long)fabs(v);
		do {
			t[--n] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		if (signbit(v))
			t[--n] = '-';
		copy_truncated(out, outsz, t + n, sizeof t - n);
		return;
	}
	char digits[24];
	int x;
	int nd = dtoa_shortest(fabs(v), digits, &x);
	if (!nd)
		nd = shortest_digits_printf(fabs(v), digits, &x);
	write_digits(out, outsz, signbit(v) != 0, digits, nd, x);
}

int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void malloc_settings(void)
{
	/* Runs are read one after another, each about as big as the last: keep the
	 * freed memory for the next run instead of returning it to the system and
	 * faulting it back in (a quarter of the reading time on many-run stores). */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	/* One arena: memory a chart worker frees is reused by the reader rather
	 * than kept in the worker's own arena (a build of the TensorBoard 'long'
	 * store peaked 25 MB higher with one arena per thread). */
	mallopt(M_ARENA_MAX, 1);
}

int jobs_or_cpus(int jobs)
{
	if (jobs > 0)
		return jobs;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

char **list_dir_sorted(const char *dir, size_t *n)
{
	*n = 0;
	DIR *dp = opendir(dir);
	if (!dp)
		return NULL;
	char **names = NULL;
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		GROW(names, cap, *n + 1);
		names[(*n)++] = xstrdup(de->d_name);
	}
	closedir(dp);
	if (!names)
		names = xmalloc(sizeof *names);
	if (*n > 1)
		qsort(names, *n, sizeof *names, cmp_strp);
	return names;
}

void free_names(char **names, size_t n)
{
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

uint64_t hash_bytes(const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, 64-bit */
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

uint64_t hash_str(const char *s)
{
	return hash_bytes(s, strlen(s));
}

int utf8_seq_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		return (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0))
			return 0; /* overlong, surrogate */
		return 3;
	}
	if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
			return 0;
		if ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

char *utf8_fixed(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	int n;
	while (s[i] && (n = utf8_seq_len(s + i)) > 0)
		i += (size_t)n;
	if (!s[i])
		return NULL;
	struct buf b = BUF_INIT;
	buf_put(&b, str, i);
	while (s[i]) {
		n = utf8_seq_len(s + i);
		if (n == 0) {
			BUF_PUTSL(&b, "\xEF\xBF\xBD");
			i++;
		} else {
			buf_put(&b, s + i, (size_t)n);
			i += (size_t)n;
		}
	}
	buf_cstr(&b);
	return buf_detach(&b);
}

void utf8_fix(char **s)
{
	char *v = *s ? utf8_fixed(*s) : NULL;
	if (v) {
		free(*s);
		*s = v;
	}
}

const char *file_kind_name(unsigned mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISDIR(mode))
		return "a folder";
	return "not a regular file";
}

static const char *lib_open(struct lazy_lib *lib)
{
	void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		return lib->error = xasprintf("cannot load %s: %s", lib->soname, why ? why : "not found");
	}
	for (size_t i = 0; i < lib->n; i++) {
		*lib->slots[i] = dlsym(h, lib->names[i]);
		if (!*lib->slots[i]) /* h is left open: its functions may be in use elsewhere */
			return lib->error =
			           xasprintf("cannot load %s: no %s in it", lib->soname, lib->names[i]);
	}
	return NULL;
}

const char *lib_ready(struct lazy_lib *lib)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&lock);
	if (!lib->tried) {
		lib->tried = true;
		lib_open(lib);
	}
	const char *error = lib->error;
	pthread_mutex_unlock(&lock);
	return error;
}

struct str_block {
	struct str_block *next;
	size_t used, size;
	char data[];
};

char *str_blocks_copy(struct str_block **list, const char *s, size_t block)
{
	size_t n = strlen(s) + 1;
	struct str_block *b = *list;
	if (!b || b->used + n > b->size) {
		size_t size = n > block ? n : block;
		b = xmalloc(sizeof *b + size);
		b->next = *list;
		b->used = 0;
		b->size = size;
		*list = b;
	}
	char *at = b->data + b->used;
	memcpy(at, s, n);
	b->used += n;
	return at;
}

void str_blocks_free(struct str_block **list)
{
	while (*list) {
		struct str_block *b = *list;
		*list = b->next;
		free(b);
	}
}
