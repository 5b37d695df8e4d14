package pipeline

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestErrorKinds: a kind matches with errors.Is through wrapping, keeps its
// cause's message and its cause reachable, and marks nothing when there is
// no error.
func TestErrorKinds(t *testing.T) {
	t.Parallel()
	cause := fmt.Errorf("read plan: %w", context.DeadlineExceeded)
	tests := []struct {
		name    string
		err     error
		kind    error
		wantMsg string
	}{
		{"usage", Usage(cause), ErrUsage, cause.Error()},
		{"failed", Failed(cause), ErrFailed, cause.Error()},
		{"wrapped", fmt.Errorf("stage partners: %w", Usage(cause)), ErrUsage, "stage partners: " + cause.Error()},
		{"reported rejects", Reported(ErrRowsRejected), ErrRowsRejected, ErrRowsRejected.Error()},
		{"reported interruption", Reported(ErrInterrupted), ErrInterrupted, ErrInterrupted.Error()},
	}
	kinds := []error{ErrUsage, ErrRowsRejected, ErrInterrupted, ErrFailed}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, k := range kinds {
				if got := errors.Is(tt.err, k); got != (k == tt.kind) {
					t.Errorf("errors.Is(err, %v) = %v", k, got)
				}
			}
			if tt.err.Error() != tt.wantMsg {
				t.Errorf("message %q, want %q", tt.err, tt.wantMsg)
			}
			var e *Error
			if !errors.As(tt.err, &e) || e.Kind != tt.kind {
				t.Errorf("errors.As: %+v", e)
			}
			if e != nil && e.Err != nil && !errors.Is(tt.err, context.DeadlineExceeded) {
				t.Errorf("the cause is not reachable through %v", tt.err)
			}
		})
	}
	if Usage(nil) != nil || Failed(nil) != nil {
		t.Error("a kind of nil is not nil")
	}
}
