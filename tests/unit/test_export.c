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
	/* Caveats written as a paragraph rather than under a heading. */
	section_is("Trained on 3 homes.\n\nCaveat: only tested on one puppy.\nNot on cats.\n\nMore.", 4,
	           "only tested on one puppy.\nNot on cats.", "a paragraph opening \"Caveat:\"");
	section_is("Intro.\n\n**Caveats:** small data.\n", 4, "small data.",
	           "\"**Caveats:**\" in bold");
	section_is("The caveat: none.\n", 4, NULL, "\"caveat:\" inside a sentence is not the section");
	section_is("```\nCaveat: in code\n```\n", 4, NULL, "nor in fenced code");
	section_is("## Caveats\nA\n\nCaveat: B\n", 4, "A\n\nCaveat: B\n", "a heading comes first");
	STR_EQ(export_card_titles[2], "Evaluation data", "titles in card order");
	return TEST_END();
}
