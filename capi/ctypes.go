package main

/*
#include "capi.h"
*/
import "C"

// C types under Go names, for the package's tests: a _test.go file cannot
// import "C", but it can call the exports with these.
type (
	cChar       = C.char
	cUint8      = C.uint8_t
	cSize       = C.size_t
	cError      = C.objstore_error
	cGetOptions = C.objstore_get_options
	cGetInfo    = C.objstore_get_info
	cObjectMeta = C.objstore_object_meta
)

// cRangeBounded is OBJSTORE_RANGE_BOUNDED.
const cRangeBounded = C.OBJSTORE_RANGE_BOUNDED

type cInt = C.int
