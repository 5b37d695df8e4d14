package partnero

import (
	"errors"
	"strings"
	"testing"
)

// TestNewClientNamesTheBadSetting: a key the HTTP layer cannot send is
// refused at construction (no request, no retries), as the key's fault and
// not the base URL's, and without quoting the key.
func TestNewClientNamesTheBadSetting(t *testing.T) {
	const secret = "sk_live_optionstest_77"
	tests := []struct {
		name    string
		opts    []Option
		want    error
		wantMsg string
	}{
		{"line break", []Option{WithAPIKey(secret + "\nx")}, ErrInvalidAPIKey, "line break"},
		{"carriage return", []Option{WithAPIKey(secret[:4] + "\r" + secret[4:])}, ErrInvalidAPIKey, "line break"},
		{"control character", []Option{WithAPIKey(secret[:4] + "\x01" + secret[4:])}, ErrInvalidAPIKey, "control character"},
		{"tab", []Option{WithAPIKey(secret[:4] + "\t" + secret[4:])}, ErrInvalidAPIKey, "control character"},
		{"DEL", []Option{WithAPIKey(secret + "\x7f")}, ErrInvalidAPIKey, "control character"},
		{"not http", []Option{WithAPIKey(secret), WithBaseURL("ftp://x/v1/")}, ErrInvalidBaseURL, "http"},
		{"query", []Option{WithAPIKey(secret), WithBaseURL("http://x/v1/?a=b")}, ErrInvalidBaseURL, "query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewClient(tt.opts...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q, want it to say %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), secret[4:]) {
				t.Errorf("err shows the key: %q", err)
			}
		})
	}
	if _, err := NewClient(WithAPIKey(secret), WithBaseURL("http://127.0.0.1:1/v1")); err != nil {
		t.Errorf("a good key and base URL: %v", err)
	}
}
