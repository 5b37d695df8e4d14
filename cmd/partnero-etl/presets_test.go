package main

import (
	"context"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/mapping"
)

func TestPresets(t *testing.T) {
	rewardful, err := mapping.PresetYAML("rewardful")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		{"list", []string{"presets"}, exitOK, []string{"rewardful\tpartners,customers,transactions\tRewardful", "firstpromoter", "tapfiliate"}, ""},
		{"show", []string{"presets", "show", "rewardful"}, exitOK, []string{string(rewardful)}, ""},
		{"show upper case", []string{"presets", "show", "Rewardful"}, exitOK, []string{"description: Rewardful"}, ""},
		{"unknown", []string{"presets", "show", "nosuch"}, exitUsage, nil, `unknown preset "nosuch"`},
		{"path", []string{"presets", "show", "../presets/rewardful"}, exitUsage, nil, "unknown preset"},
		{"no name", []string{"presets", "show"}, exitUsage, nil, "needs a preset name"},
		{"arguments", []string{"presets", "rewardful"}, exitUsage, nil, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streams, out, errOut := testStreams()
			code := run(context.Background(), streams, tt.args)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, errOut)
			}
			got := strings.ReplaceAll(out.String(), "  ", "\t")
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) && !strings.Contains(squeeze(got), w) {
					t.Errorf("stdout %q lacks %q", out, w)
				}
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr %q lacks %q", errOut, tt.wantErr)
			}
		})
	}
}

// squeeze turns the runs of tabs tabwriter's padding became into one tab.
func squeeze(s string) string {
	for strings.Contains(s, "\t\t") {
		s = strings.ReplaceAll(s, "\t\t", "\t")
	}
	return strings.ReplaceAll(s, "\t ", "\t")
}

func TestPresetsShowParsesAsMapping(t *testing.T) {
	// What `presets show` prints is a mapping file a user can load as is.
	for _, p := range mapping.Presets() {
		streams, out, errOut := testStreams()
		if code := run(context.Background(), streams, []string{"presets", "show", p.Name}); code != exitOK {
			t.Fatalf("%s: exit %d: %s", p.Name, code, errOut)
		}
		if _, err := mapping.Parse(p.Name+".yaml", out.Bytes()); err != nil {
			t.Errorf("%s: printed mapping does not parse: %v", p.Name, err)
		}
	}
}
