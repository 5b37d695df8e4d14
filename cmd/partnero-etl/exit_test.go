package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/pipeline"
)

// TestExitCodeOf: the library's kinds of ending map to the documented
// codes; the outermost code or kind in a chain wins (a failed run whose
// cause is a refused key exits 1, not 4); a kind without a cause prints
// nothing more.
func TestExitCodeOf(t *testing.T) {
	t.Parallel()
	cause := errors.New("mapping.yaml:3: unknown field")
	refused := &partnero.Error{Kind: partnero.ErrUnauthorized, StatusCode: 401}
	tests := []struct {
		name       string
		err        error
		want       int
		wantSilent bool
	}{
		{"nil", nil, exitOK, false},
		{"plain", cause, exitFailure, false},
		{"refused key", fmt.Errorf("ping: %w", refused), exitAuth, false},
		{"cancelled", fmt.Errorf("read: %w", context.Canceled), exitInterrupted, false},
		{"usage", pipeline.Usage(cause), exitUsage, false},
		{"usage, wrapped", fmt.Errorf("stage partners: %w", pipeline.Usage(cause)), exitUsage, false},
		{"usage sentinel", fmt.Errorf("%w: no entity", pipeline.ErrUsage), exitUsage, false},
		{"rows rejected, reported", pipeline.Reported(pipeline.ErrRowsRejected), exitRejects, true},
		{"rows rejected, reported, wrapped", fmt.Errorf("export csv: %w", pipeline.Reported(pipeline.ErrRowsRejected)), exitRejects, true},
		{"rows rejected sentinel", pipeline.ErrRowsRejected, exitRejects, false},
		{"interrupted", pipeline.Reported(pipeline.ErrInterrupted), exitInterrupted, true},
		{"failed, cause a refused key", pipeline.Failed(refused), exitFailure, false},
		{"failed, cause cancelled", pipeline.Failed(context.Canceled), exitFailure, false},
		{"joined", errors.Join(cause, pipeline.Usage(cause)), exitUsage, false},
		{"command's code outside the library's", withCode(exitFailure, pipeline.Usage(cause)), exitFailure, false},
		{"library's kind outside the command's", pipeline.Usage(withCode(exitRejects, nil)), exitUsage, false},
		{"command's silent code", withCode(exitRejects, nil), exitRejects, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := exitCodeOf(context.Background(), tt.err); got != tt.want {
				t.Errorf("exitCodeOf(%v) = %d, want %d", tt.err, got, tt.want)
			}
			if got := silent(tt.err); got != tt.wantSilent {
				t.Errorf("silent(%v) = %v, want %v", tt.err, got, tt.wantSilent)
			}
		})
	}
}

// TestRejectsReported: only "finished with rejects, already reported" lets
// a stage of a larger job (the demo's migration) count as done.
func TestRejectsReported(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want bool
	}{
		{withCode(exitRejects, nil), true},
		{pipeline.Reported(pipeline.ErrRowsRejected), true},
		{fmt.Errorf("stage: %w", pipeline.Reported(pipeline.ErrRowsRejected)), true},
		{withCode(exitRejects, errors.New("3 rows")), false},
		{pipeline.ErrRowsRejected, false},
		{pipeline.Reported(pipeline.ErrInterrupted), false},
		{withCode(exitInterrupted, nil), false},
		{errors.New("boom"), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := rejectsReported(tt.err); got != tt.want {
			t.Errorf("rejectsReported(%#v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestREADMEExitCodes: the README's table of exit codes and the codes the
// command uses are the same set; scripts depend on both.
func TestREADMEExitCodes(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Exit codes\n")
	if !ok {
		t.Fatal("README.md has no Exit codes section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var documented []int
	for _, m := range regexp.MustCompile(`(?m)^\| (\d+) \|`).FindAllStringSubmatch(section, -1) {
		n, _ := strconv.Atoi(m[1])
		documented = append(documented, n)
	}
	used := []int{exitOK, exitFailure, exitUsage, exitRejects, exitAuth, exitInterrupted}
	if !slices.Equal(documented, used) {
		t.Errorf("README documents exit codes %v, the command uses %v", documented, used)
	}
	for _, k := range []error{pipeline.ErrUsage, pipeline.ErrRowsRejected, pipeline.ErrInterrupted, pipeline.ErrFailed} {
		if code, ok := kindCode(k); !ok || !slices.Contains(documented, code) {
			t.Errorf("%v maps to %d, which the README does not document", k, code)
		}
	}
}

// TestRootAddsEveryCommand: each command is added by the root, once.
func TestRootAddsEveryCommand(t *testing.T) {
	t.Parallel()
	streams, _, _ := testStreams()
	var names []string
	for _, c := range newRootCmd(streams).Commands() {
		names = append(names, c.Name())
	}
	slices.Sort(names)
	want := []string{"convert", "demo", "export", "import", "migrate", "ping", "presets", "sandbox", "validate", "version"}
	if !slices.Equal(names, want) {
		t.Errorf("commands %v, want %v", names, want)
	}
}
