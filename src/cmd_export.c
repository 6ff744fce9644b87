/* cmd_export.c — `runsite export` (being written). */
#include "runsite/cli.h"

int cmd_export(int argc, char **argv)
{
	return EXIT_USAGE;
}
