/* sqlconn.c — what every SQL connection implementation shares: the error
 * record and reading numbers from a column's text. */
#include <stdlib.h>
#include <string.h>

#include "runsite/util.h"
#include "sqlconn.h"

void sqlconn_set_error(struct sqlconn *c, enum sql_fail fail, const char *msg)
{
	free(c->error);
	c->fail = fail;
	c->error = xstrndup(msg ? msg : "unknown error", msg ? strcspn(msg, "\n") : 13);
}

int sqlconn_text_real(struct sqlconn *c, int i, double *v)
{
	const char *s = c->ops->text(c, i);
	char *end;
	if (!s)
		return 0;
	*v = strtod(s, &end);
	return end != s && *end == '\0';
}

int64_t sqlconn_text_integer(struct sqlconn *c, int i)
{
	const char *s = c->ops->text(c, i);
	return s ? strtoll(s, NULL, 10) : 0;
}

bool sqlconn_text_flag(struct sqlconn *c, int i)
{
	const char *s = c->ops->text(c, i);
	if (!s)
		return false;
	if (*s == 't' || *s == 'T')
		return true;
	return strtod(s, NULL) != 0;
}
