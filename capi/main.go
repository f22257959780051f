// Command capi is the C ABI of libobjstore (include/objstore.h), built with
// -buildmode=c-shared. It is glue only: the public objstore_* functions are
// C shims (shims.c) that refuse to run after fork() and otherwise call the
// objstoreGo_* exports here, which convert C arguments to core types, call
// core, and convert the results back. Handles, errors and the memory they
// own are managed in registry.go, errors.go and buffers.go.
package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func init() {
	// A write to a closed connection must be an error, not the end of the
	// host process. Notify (rather than Ignore) leaves the host's own
	// SIGPIPE disposition alone for its non-Go threads.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}

// requestContext is the context of one synchronous call. Cancellation per
// request (the async API) will replace this with a context per request id.
func requestContext() context.Context { return context.Background() }

func main() {}
