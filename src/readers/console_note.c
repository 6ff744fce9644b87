/* console_note.c — console output as the tail of a run's notes. */
#include <stdlib.h>
#include <string.h>

#include "runsite/util.h"
#include "console_note.h"

void console_note_append(char **notes, const char *text, size_t len, size_t max_lines)
{
	/* Lines after carriage-return folding, kept as [start, end) offsets into clean. */
	struct buf clean = BUF_INIT;
	size_t line_start = 0;
	for (size_t i = 0; i < len;) {
		/* A line at a time, copied whole when it holds no '\r' or NUL. */
		const char *nl = memchr(text + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - text) + 1 : len;
		if (!memchr(text + i, '\r', e - i) && !memchr(text + i, '\0', e - i)) {
			buf_put(&clean, text + i, e - i);
			if (nl)
				line_start = clean.size;
			i = e;
			continue;
		}
		for (; i < e; i++) {
			char c = text[i];
			if (c == '\r' && i + 1 < len && text[i + 1] != '\n') {
				clean.size = line_start; /* the line is drawn again */
				continue;
			}
			if (c == '\r' || c == '\0')
				continue;
			buf_putc(&clean, c);
			if (c == '\n')
				line_start = clean.size;
		}
	}
	const char *s = buf_cstr(&clean);
	size_t n = clean.size;
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		n--;
	size_t visible = 0;
	for (size_t i = 0; i < n; i++)
		visible += s[i] != ' ' && s[i] != '\n' && s[i] != '\t';
	if (!visible) {
		buf_free(&clean);
		return;
	}
	size_t lines = 1, from = n;
	for (size_t i = 0; i < n; i++)
		lines += s[i] == '\n';
	size_t kept = 0;
	while (from > 0 && kept < max_lines) {
		from--;
		if (s[from] == '\n' && ++kept == max_lines) {
			from++;
			break;
		}
	}
	/* A fence longer than every run of tildes inside. */
	size_t run = 0, longest = 0;
	for (size_t i = from; i < n; i++) {
		run = s[i] == '~' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	size_t fence = longest < 3 ? 3 : longest + 1;
	struct buf out = BUF_INIT;
	if (*notes && **notes)
		buf_printf(&out, "%s\n\n", *notes);
	BUF_PUTSL(&out, "### Console output\n\n");
	if (lines > max_lines)
		buf_printf(&out, "The last %zu of %zu lines.\n\n", max_lines, lines);
	for (size_t i = 0; i < fence; i++)
		buf_putc(&out, '~');
	buf_putc(&out, '\n');
	buf_put(&out, s + from, n - from);
	buf_putc(&out, '\n');
	for (size_t i = 0; i < fence; i++)
		buf_putc(&out, '~');
	buf_putc(&out, '\n');
	free(*notes);
	*notes = buf_detach(&out);
	buf_free(&clean);
}
