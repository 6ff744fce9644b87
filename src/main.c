/* main.c — the command line (temporary: replaced by the full CLI). */
#include <stdio.h>
int main(void) { puts("runsite " RUNSITE_VERSION); return 0; }
