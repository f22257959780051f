// Command faultproxy runs a tests/faultproxy proxy for tests written in
// other languages: it prints the proxy's URL on one line of stdout and
// serves until stdin closes or it is signalled.
//
//	faultproxy -upstream 127.0.0.1:9000 -fault stall -times 1 -min-body 1048576
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/libobjstore/objstore/tests/faultproxy"
)

func main() {
	upstream := flag.String("upstream", "", "the server's host:port")
	fault := flag.String("fault", "stall", "stall, silent or flip")
	times := flag.Int("times", 1, "responses to fault; 0 = all")
	after := flag.Int64("after", -1, "body offset where the fault strikes; -1 = half the body")
	minBody := flag.Int64("min-body", 1<<20, "only fault GET bodies at least this long")
	flag.Parse()
	f, ok := faultproxy.ParseFault(*fault)
	if !ok {
		fmt.Fprintf(os.Stderr, "faultproxy: unknown fault %q\n", *fault)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	go func() { io.Copy(io.Discard, os.Stdin); cancel() }()
	err := faultproxy.Serve(ctx, faultproxy.Options{Upstream: *upstream, Fault: f, Times: *times, After: *after, MinBody: *minBody},
		func(url string) { fmt.Println(url) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "faultproxy:", err)
		os.Exit(1)
	}
}
