// Command partnero-etl moves data in and out of a Partnero affiliate program
// through its REST API: imports and migrations from files, snapshots to files
// or buckets.
//
// This package is deliberately thin: it parses flags, calls one job of the
// pipeline (pipeline/importer, pipeline/migrate, pipeline/export, the
// validate job), prints what it did, and maps how it ended (pipeline's kinds
// of error) to exit codes in exit.go. Every command's work is a run function
// taking an options struct, so it can be tested without a terminal; the
// commands are added by name in root.go.
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
