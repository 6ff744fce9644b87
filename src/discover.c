/* discover.c — placeholder */
#include "runsite/discover.h"
