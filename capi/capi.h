/* Included by every cgo preamble in capi and by shims.c. */
#ifndef OBJSTORE_CAPI_H
#define OBJSTORE_CAPI_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "objstore.h"
#endif
