package main

import (
	"io"
	"os"

	"golang.org/x/term"
)

// ioStreams is where a command reads and writes, and whether those are a
// terminal. Tests build one around buffers (see testStreams).
type ioStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY and ErrTTY say whether Out and ErrOut are terminals: progress bars
	// and colour only go to a terminal; elsewhere plain lines are logged.
	OutTTY bool
	ErrTTY bool
}

func newIOStreams() *ioStreams {
	return &ioStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
}
