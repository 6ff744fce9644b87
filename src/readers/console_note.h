/* console_note.h — a run's console output shown in its notes: the last lines
 * as a fenced Markdown code block that no backtick or tilde in the text can
 * close early. Shared by the tracker readers (W&B, ClearML). */
#ifndef RUNSITE_CONSOLE_NOTE_H
#define RUNSITE_CONSOLE_NOTE_H

#include <stddef.h>

#define CONSOLE_NOTE_LINES 40

/* Appends to *notes (which may be NULL; replaced, the old one freed) a
 * "Console output" heading, how many lines were left out, and the last
 * max_lines lines of text[0, len). A carriage return keeps only what follows
 * it on its line, as a terminal shows progress bars. Nothing when text holds
 * no visible character. */
void console_note_append(char **notes, const char *text, size_t len, size_t max_lines);

#endif
