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

// exitError carries an exit code out of a command's run function.
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

// exitCodeOf decides the process exit code of an error returned by a command.
func exitCodeOf(ctx context.Context, err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if _, ok := errors.AsType[*pipeline.UsageError](err); ok {
		return exitUsage
	}
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return exitInterrupted
	}
	if isAuthError(err) {
		return exitAuth
	}
	return exitFailure
}
