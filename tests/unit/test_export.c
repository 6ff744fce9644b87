/* test_export.c — model-card sections found in notes by their headings. */
#include <stdlib.h>

#include "../../src/site/export.h"
#include "harness.h"

static void section_is(const char *md, size_t part, const char *want, const char *what)
{
	char *got = export_card_section(md, part);
	STR_EQ(got, want, what);
	free(got);
}

int main(void)
{
	const char *md = "# Model\n\nIntro.\n\n## Intended use\n\nFor Biscuit.\n\n### Out of scope\n\nCats.\n\n"
	                 "## Caveats and limitations:\n\nLate teething only.\n\n"
	                 "```\n## Training data\nin a fence\n```\n"
	                 "## Other\n\ntext\n";
	section_is(md, 0, "\nFor Biscuit.\n\n### Out of scope\n\nCats.\n\n",
	           "a section runs to the next heading of its level, deeper ones inside");
	section_is(md, 4, "\nLate teething only.\n\n```\n## Training data\nin a fence\n```\n",
	           "a trailing colon is ignored; fenced headings are text");
	section_is(md, 1, NULL, "a heading inside fenced code does not count");
	section_is(md, 3, NULL, "absent part");
	section_is("#### METRICS ####\nf1 0.4", 3, "f1 0.4", "any level, any case, closing hashes");
	section_is("## Limitations\nx\n# Next\ny", 4, "x\n", "an alias; a higher heading ends it");
	section_is("##Intended use\nx", 0, NULL, "no space after the hashes: not a heading");
	section_is("    ## Intended use\nx", 0, NULL, "indented four spaces: code, not a heading");
	section_is(NULL, 0, NULL, "no notes");
	section_is("## Intended use", 0, "", "a heading at the end: empty section");
	STR_EQ(export_card_titles[2], "Evaluation data", "titles in card order");
	return TEST_END();
}
