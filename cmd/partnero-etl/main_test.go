package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// testStreams returns streams over buffers, as a non-terminal.
func testStreams() (*ioStreams, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &ioStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, &out, &errOut
}

func TestVersionAndUsageExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"version", []string{"version"}, exitOK, "partnero-etl ", ""},
		{"unknown flag", []string{"--no-such-flag"}, exitUsage, "", "unknown flag"},
		{"bad log format", []string{"--log-format", "xml", "version"}, exitUsage, "", "--log-format"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, out, errOut := testStreams()
			code := run(context.Background(), io, tt.args)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr: %s)", code, tt.wantCode, errOut)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("stdout = %q, want it to contain %q", out, tt.wantOut)
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", errOut, tt.wantErr)
			}
		})
	}
}
