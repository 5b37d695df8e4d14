package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPing(t *testing.T) {
	const key = "sk_live_pingtest_9f8e7d"
	var gotAuth, gotUA string
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/test", func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotUA = r.Header.Get("Authorization"), r.Header.Get("User-Agent")
		w.Header().Set("Content-Type", "application/json")
		if gotAuth != "Bearer "+key {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"message":"Unauthenticated."}`)
			return
		}
		io.WriteString(w, `{"data":{"program":{"pub_id":"prg_123","name":"Acme Affiliates"}},"status":1}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	base := srv.URL + "/v1/"

	tests := []struct {
		name     string
		env      string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		{"ok", "", []string{"--api-key", key, "--base-url", base, "ping"}, exitOK, []string{"Acme Affiliates", "prg_123", base}, ""},
		{"key from env", key, []string{"--base-url", base, "--rate", "10/s", "ping"}, exitOK, []string{"prg_123"}, ""},
		{"refused key", "", []string{"--api-key", "sk_wrong_key_123", "--base-url", base, "ping"}, exitAuth, nil, "refused the key"},
		{"no key", "", []string{"--base-url", base, "ping"}, exitUsage, nil, "no API key"},
		{"bad rate", "", []string{"--api-key", key, "--base-url", base, "--rate", "fast", "ping"}, exitUsage, nil, "--rate"},
		{"bad base URL", "", []string{"--api-key", key, "--base-url", "ftp://x", "ping"}, exitUsage, nil, "--base-url"},
		{"arguments", "", []string{"--api-key", key, "--base-url", base, "ping", "extra"}, exitUsage, nil, "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PARTNERO_API_KEY", tt.env)
			streams, out, errOut := testStreams()
			code := run(context.Background(), streams, tt.args)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout %q lacks %q", out, w)
				}
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr %q lacks %q", errOut, tt.wantErr)
			}
			if all := out.String() + errOut.String(); strings.Contains(all, key) || strings.Contains(all, "sk_wrong_key_123") {
				t.Errorf("output shows the key: %s", all)
			}
		})
	}
	if !strings.HasPrefix(gotUA, "partnero-etl/") {
		t.Errorf("User-Agent = %q", gotUA)
	}
}
