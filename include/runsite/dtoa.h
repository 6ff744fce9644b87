/* dtoa.h — the shortest decimal digits of a double, fast, or a refusal. */
#ifndef RUNSITE_DTOA_H
#define RUNSITE_DTOA_H

/* The fewest decimal digits that read back as exactly v (v finite and
 * > 0), the one nearest v among them: writes them to digits (at least 18
 * bytes, no terminator) and the decimal exponent of the first one to *exp10
 * (v ~= d.ddd * 10^exp10), and returns how many there are. Returns 0 when it
 * cannot prove the answer with its 128-bit arithmetic (a power of two, or
 * v or an end of its interval within 2^-58 of a decimal it must tell apart:
 * none in a million random floats): the caller then asks printf and strtod. */
int dtoa_shortest(double v, char *digits, int *exp10);

#endif
