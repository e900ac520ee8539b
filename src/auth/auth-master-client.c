/* auth-master-client.c - placeholder, replaced below. */
#include "lib.h"
