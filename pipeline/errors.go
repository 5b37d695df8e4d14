package pipeline

import "errors"

// How a run ended, besides done and failed, as errors a caller matches with
// errors.Is (a command maps them to its exit codes). The library never
// knows the codes: it says what happened.
var (
	// ErrUsage: the job itself is wrong (an unknown entity, a mapping that
	// does not parse, an output that would overwrite an input). Nothing
	// was done; the same job will fail the same way.
	ErrUsage = errors.New("usage error")
	// ErrRowsRejected: the run finished, and some rows were rejected (they
	// are in the reject file, the report counts them).
	ErrRowsRejected = errors.New("some rows were rejected")
	// ErrInterrupted: the context was cancelled; what was done is kept,
	// and the same job resumes.
	ErrInterrupted = errors.New("interrupted")
	// ErrFailed: the run failed, whatever its cause says. A refused key
	// or a cancelled request after work was done is a failed run, not a
	// refused key or an interruption; this kind keeps the cause's message
	// and stops the cause from being classified.
	ErrFailed = errors.New("run failed")
)

// Error is an error with the kind of ending it stands for, like
// fs.PathError with fs.ErrNotExist: errors.Is(err, ErrUsage) matches it,
// and its message is its cause's, unchanged.
type Error struct {
	// Kind is ErrUsage, ErrRowsRejected, ErrInterrupted or ErrFailed.
	Kind error
	// Err is the cause; nil when the caller has already said everything
	// (a summary was printed) and only the kind remains.
	Err error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Kind.Error()
	}
	return e.Err.Error()
}

// Unwrap returns the cause, so errors.As reaches the API's errors in it.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Usage marks err as a usage error (nil stays nil).
func Usage(err error) error { return kind(ErrUsage, err) }

// Failed marks err as a failed run, whatever its cause (nil stays nil).
func Failed(err error) error { return kind(ErrFailed, err) }

// Reported is an ending with nothing left to say: the caller printed its
// summary; kind is ErrRowsRejected, ErrInterrupted or ErrFailed.
func Reported(kind error) error { return &Error{Kind: kind} }

func kind(k, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Err: err}
}
