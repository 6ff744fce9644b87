/* main.c — the command line: dispatches to the commands (src/cmd_*.c). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libxml/xmlmemory.h>

#include "runsite/cleanup.h"
#include "runsite/cli.h"
#include "runsite/diag.h"
#include "runsite/reader.h"
#include "runsite/util.h"

/* GLib ends the process on a failed allocation or thread start (pango
 * starts threads), and Pango warns when Cairo had no memory for a font:
 * either becomes our out-of-memory exit, which removes the build's
 * temporary folder. Everything else goes to GLib's own writer. */
static GLogWriterOutput glib_log(GLogLevelFlags level, const GLogField *fields, gsize n,
                                 gpointer data)
{
	const char *msg = NULL, *domain = NULL;
	for (gsize i = 0; i < n; i++) {
		if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
			msg = fields[i].value;
		else if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
			domain = fields[i].value;
	}
	/* Threads still drawing while the process exits warn of fonts they could not load. */
	if (cleanup_exiting())
		return G_LOG_WRITER_HANDLED;
	if (msg && (level & G_LOG_LEVEL_ERROR) &&
	    (strstr(msg, "failed to allocate") || strstr(msg, "Error creating thread")))
		out_of_memory();
	/* Pango says why a font failed in its third warning: that one decides. */
	if (msg && domain && strcmp(domain, "Pango") == 0 && (level & G_LOG_LEVEL_WARNING) &&
	    (strstr(msg, "failed to create cairo") || strstr(msg, "font_face status is") ||
	     strstr(msg, "scaled_font status is"))) {
		if (strstr(msg, "status is: out of memory"))
			out_of_memory();
		if (strstr(msg, "failed to create cairo") || strstr(msg, "font_face status is"))
			return G_LOG_WRITER_HANDLED;
	}
	return g_log_writer_default(level, fields, n, data);
}

/* The main thread's stack grows on demand, and under an address-space limit
 * (ulimit -v) it cannot once the heap has taken the rest: the next deep
 * frame is a SIGSEGV, not an allocation failure (Cairo's rasterizer under
 * cairo_stroke, drawing charts on the main thread with -j 1). Touching the
 * bottom of 2 MB of stack now makes that room part of the stack for good. */
__attribute__((noinline)) static void stack_reserve(void)
{
	volatile char room[2 << 20];
	room[0] = 0;
	__asm__ volatile("" : : "r"(room) : "memory");
}

/* Every thread's stack is reserved whole, and under an address-space limit
 * the reservation is what counts: Pango starts a thread for each font set
 * it sorts, at 8 MB each by default. 2 MB is the room the main thread keeps
 * for Cairo's deepest frames (stack_reserve). */
static void thread_stacks(void)
{
#if !defined(__SANITIZE_ADDRESS__)
	pthread_attr_t a;
	size_t size;
	if (pthread_getattr_default_np(&a) != 0)
		return;
	if (pthread_attr_getstacksize(&a, &size) == 0 && size > (2u << 20) &&
	    pthread_attr_setstacksize(&a, 2u << 20) == 0)
		pthread_setattr_default_np(&a);
	pthread_attr_destroy(&a);
#endif
}

/* Libraries allocate through our wrappers where they let us, so running out
 * of memory is one message and exit code wherever it happens. */
static void library_allocators(void)
{
	xmlMemSetup(free, xmalloc, xrealloc, xstrdup);
	g_log_set_writer_func(glib_log, NULL, NULL);
}

/* GSlice's own allocator (GLib before 2.76) aborts with its own message when
 * memory runs out; through malloc, GLib's failure reaches the one
 * out-of-memory exit. GObject's constructor allocates from GSlice before
 * main(), which fixes its setting then; an executable's preinit functions
 * run before every library's constructor. (The environment is not ready
 * there, so G_SLICE cannot be set; a no-op since GLib 2.76.) */
static void gslice_through_malloc(int argc, char **argv, char **envp)
{
	G_GNUC_BEGIN_IGNORE_DEPRECATIONS
	g_slice_set_config(G_SLICE_CONFIG_ALWAYS_MALLOC, TRUE);
	G_GNUC_END_IGNORE_DEPRECATIONS
}
__attribute__((section(".preinit_array"), used)) static void (*const gslice_early)(
	int, char **, char **) = gslice_through_malloc;

static void usage_main(FILE *out)
{
	fputs("usage: runsite COMMAND [OPTION...] PATH...\n"
	      "\n"
	      "runsite reads ML run stores and writes a static HTML report site.\n"
	      "\n"
	      "Commands:\n"
	      "  build PATH... [-o DIR]   write the report site (default ./site)\n"
	      "  ls [--json] PATH...      say what runsite reads at each path, and what it skips\n"
	      "  check PATH... --candidate RUN --rule RULE...  a regression gate for CI\n"
	      "  export PATH... --run RUN -o FILE.html        one self-contained hand-off page\n"
	      "\n"
	      "Formats read:\n",
	      out);
	for (size_t i = 0; reader_table[i]; i++)
		fprintf(out, "  %-16s %s\n", reader_table[i]->name, reader_table[i]->what);
	fputs("\n`runsite COMMAND --help` shows a command's options; `man runsite` has the rest.\n\n",
	      out);
	fputs(cli_exit_codes_help, out);
}

int main(int argc, char **argv)
{
	stack_reserve();
	malloc_settings();
	thread_stacks();
	cleanup_install_signals();
	library_allocators();
	if (argc < 2) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage_main(stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("runsite %s\n", RUNSITE_VERSION);
		return EXIT_OK;
	}
	if (strcmp(cmd, "build") == 0)
		return cmd_build(argc - 1, argv + 1);
	if (strcmp(cmd, "ls") == 0)
		return cmd_ls(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "export") == 0)
		return cmd_export(argc - 1, argv + 1);
	diag_msg("unknown command '%s' (try `runsite --help`)", cmd);
	return EXIT_USAGE;
}
