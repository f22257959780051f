package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"time"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/tracing"
)

func init() {
	// The library never writes to stderr: OpenTelemetry's export errors
	// are counted instead of printed.
	tracing.Silence()
}

//export objstoreGo_tracing_flush
func objstoreGo_tracing_flush(timeoutMS C.int64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if timeoutMS <= 0 {
			return core.Errorf(core.InvalidArgument, "timeout_ms must be > 0, not %d", int64(timeoutMS))
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(timeoutMS)*time.Millisecond)
		defer cancel()
		return tracing.Flush(ctx)
	})
}
