/* test_lib_ready.c — libraries opened on first use: a library that is there
 * fills its table; one that is missing, or lacks a function, gives a message
 * naming what is missing, and is tried only once. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "runsite/util.h"

#define M_FUNCS(X) X(cos) X(sqrt)
static struct {
	M_FUNCS(LIB_SLOT)
} mlib;
#define M_ADDR(f) LIB_ADDR(mlib, f)
static struct lazy_lib libm = LAZY_LIB("libm.so.6", M_FUNCS(LIB_NAME), M_FUNCS(M_ADDR));

#define GONE_FUNCS(X) X(cos)
static struct {
	GONE_FUNCS(LIB_SLOT)
} gonelib;
#define GONE_ADDR(f) LIB_ADDR(gonelib, f)
static struct lazy_lib gone =
    LAZY_LIB("libno-such-runsite-test.so.9", GONE_FUNCS(LIB_NAME), GONE_FUNCS(GONE_ADDR));

/* libm has cos and sqrt but not this one. */
extern double runsite_no_such_function(double);
#define PART_FUNCS(X) X(sqrt) X(runsite_no_such_function)
static struct {
	PART_FUNCS(LIB_SLOT)
} partlib;
#define PART_ADDR(f) LIB_ADDR(partlib, f)
static struct lazy_lib part = LAZY_LIB("libm.so.6", PART_FUNCS(LIB_NAME), PART_FUNCS(PART_ADDR));

int main(void)
{
	INT_EQ(libm.n, 2, "the table's size comes from the list");
	OK(lib_ready(&libm) == NULL, "libm loads: %s", libm.error ? libm.error : "");
	OK(mlib.cos && mlib.sqrt, "every slot filled");
	if (mlib.sqrt)
		DBL_EQ(mlib.sqrt(2.25), 1.5, "the looked-up sqrt is libm's");
	OK(lib_ready(&libm) == NULL, "asked again: still there");

	const char *why = lib_ready(&gone);
	OK(why && strstr(why, "cannot load libno-such-runsite-test.so.9"), "names the library: %s",
	   why ? why : "(null)");
	OK(gonelib.cos == NULL, "nothing filled");
	OK(lib_ready(&gone) == why, "tried once: the same message, not a second dlopen");

	why = lib_ready(&part);
	OK(why && strstr(why, "libm.so.6") && strstr(why, "no runsite_no_such_function in it"),
	   "names the missing function: %s", why ? why : "(null)");
	return TEST_END();
}
