package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/partnero-etl/partnero-etl/pipeline"
)

// Exit codes, documented in the README. Scripts depend on them: never renumber.
const (
	exitOK          = 0   // everything done
	exitFailure     = 1   // the run failed
	exitUsage       = 2   // bad flags or arguments
	exitRejects     = 3   // finished, but some rows were rejected
	exitAuth        = 4   // the API refused the key
	exitInterrupted = 130 // stopped by SIGINT or SIGTERM
)

// kindCode maps the library's kinds of ending (pipeline.Error's Kind and
// the bare sentinels) to exit codes: the one place they meet.
func kindCode(kind error) (int, bool) {
	switch kind {
	case pipeline.ErrUsage:
		return exitUsage, true
	case pipeline.ErrRowsRejected:
		return exitRejects, true
	case pipeline.ErrInterrupted:
		return exitInterrupted, true
	case pipeline.ErrFailed:
		return exitFailure, true
	}
	return 0, false
}

// exitError carries an exit code out of a command's run function: the
// command's own decision (a summary printed, then exit 3), where the
// library's errors carry a kind instead (see kindCode).
type exitError struct {
	code int
	err  error // nil when the command already said everything it had to say
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks an error in the command line itself.
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// withCode wraps err so the process exits with code.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// exitCodeOf decides the process exit code of an error returned by a
// command: the outermost exit code or kind of ending in the error's chain,
// else an interruption, a refused key, or a failure.
func exitCodeOf(ctx context.Context, err error) int {
	if err == nil {
		return exitOK
	}
	if code, _, ok := chainCode(err); ok {
		return code
	}
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return exitInterrupted
	}
	if isAuthError(err) {
		return exitAuth
	}
	return exitFailure
}

// chainCode walks err's chain in the order errors.As does and returns the
// code of the first *exitError, *pipeline.Error or kind sentinel in it, and
// whether that one is silent: it has no cause, the command already said
// everything, only the code remains.
func chainCode(err error) (code int, silent, ok bool) {
	switch e := err.(type) {
	case nil:
		return 0, false, false
	case *exitError:
		return e.code, e.err == nil, true
	case *pipeline.Error:
		if code, ok := kindCode(e.Kind); ok {
			return code, e.Err == nil, true
		}
		return chainCode(e.Err)
	case interface{ Unwrap() error }:
		return chainCode(e.Unwrap())
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			if code, silent, ok := chainCode(inner); ok {
				return code, silent, true
			}
		}
		return 0, false, false
	}
	code, ok = kindCode(err)
	return code, false, ok
}

// silent reports whether err has nothing left to print (see chainCode).
func silent(err error) bool {
	_, s, _ := chainCode(err)
	return s
}

// rejectsReported reports whether err only says "finished, and some rows
// were rejected", which the command has already reported (exit 3 and
// nothing more to print): a stage of a larger job that is not its failure.
func rejectsReported(err error) bool {
	code, s, ok := chainCode(err)
	return ok && s && code == exitRejects
}
