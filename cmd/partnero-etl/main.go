// Command partnero-etl moves data in and out of a Partnero affiliate program
// through its REST API: imports and migrations from files, snapshots to files
// or buckets.
//
// This package is deliberately thin: it parses flags, wires sources, mapping,
// sinks and the pipeline together, prints results and maps errors to exit
// codes. Every command's work is a run function taking an Options struct, so
// it can be tested without a terminal.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, newIOStreams(), os.Args[1:])
	stop()
	os.Exit(code)
}
