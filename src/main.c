/* main.c — the command line: dispatches to the commands (src/cmd_*.c). */
#include <stdio.h>
#include <string.h>

#include "runsite/cleanup.h"
#include "runsite/cli.h"
#include "runsite/diag.h"
#include "runsite/reader.h"
#include "runsite/util.h"

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
	malloc_settings();
	cleanup_install_signals();
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
