package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// pingRecorder is a healthchecks-style endpoint that records the pings.
type pingRecorder struct {
	mu     sync.Mutex
	paths  []string
	bodies []string
}

func (p *pingRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.paths = append(p.paths, r.URL.Path)
	p.bodies = append(p.bodies, string(b))
	p.mu.Unlock()
	io.WriteString(w, "OK")
}

// An export run with the signal flags writes the metrics file and pings
// start and end with the exit status, on success and on failure alike.
func TestExportSignals(t *testing.T) {
	base := exportSandbox(t)
	dir := t.TempDir()
	rec := &pingRecorder{}
	hc := httptest.NewServer(rec)
	defer hc.Close()
	metrics := filepath.Join(dir, "partnero_etl.prom")

	for _, tc := range []struct {
		name     string
		key      string
		wantCode int
		wantEnd  string
	}{
		{"success", exportKey, exitOK, "/check/0"},
		{"refused key", "sk_wrong", exitAuth, "/check/4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec.paths, rec.bodies = nil, nil
			streams, out, errOut := testStreams()
			code := run(context.Background(), streams, []string{"--api-key", tc.key, "--base-url", base, "--rate", "none",
				"export", "--out", filepath.Join(dir, "snap"),
				"--metrics-file", metrics, "--notify-url", hc.URL + "/check"})
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errOut)
			}
			if len(rec.paths) != 2 || rec.paths[0] != "/check/start" || rec.paths[1] != tc.wantEnd {
				t.Fatalf("pings %v, want /check/start then %s", rec.paths, tc.wantEnd)
			}
			data, err := os.ReadFile(metrics)
			if err != nil {
				t.Fatal(err)
			}
			text := string(data)
			for _, want := range []string{
				`partnero_etl_last_run_exit_status{command="export"} ` + strings.TrimPrefix(tc.wantEnd, "/check/"),
				`partnero_etl_last_success_timestamp_seconds{command="export"}`,
			} {
				if !strings.Contains(text, want) {
					t.Errorf("metrics file lacks %q:\n%s", want, text)
				}
			}
			if tc.wantCode == exitOK {
				if !strings.Contains(text, `partnero_etl_last_run_rows{command="export",table="transactions"} 1`) {
					t.Errorf("metrics file lacks the transactions row count:\n%s", text)
				}
				if !strings.Contains(rec.bodies[1], "transactions: 1 rows") {
					t.Errorf("end ping body lacks the row counts:\n%s", rec.bodies[1])
				}
			}
		})
	}
}

func TestExportSignalFlagsChecked(t *testing.T) {
	streams, _, errOut := testStreams()
	code := run(context.Background(), streams, []string{"--api-key", exportKey, "--base-url", "http://127.0.0.1:1/v1/",
		"export", "--out", t.TempDir(), "--notify-url", "hc-ping.example/uuid"})
	if code != exitUsage || !strings.Contains(errOut.String(), "--notify-url") {
		t.Fatalf("exit %d, stderr %s; want a usage error naming --notify-url", code, errOut)
	}
}

// The ping URL may come from the environment, which ps does not show.
func TestExportNotifyURLFromEnvironment(t *testing.T) {
	base := exportSandbox(t)
	rec := &pingRecorder{}
	hc := httptest.NewServer(rec)
	defer hc.Close()
	t.Setenv("PARTNERO_NOTIFY_URL", hc.URL+"/env-check")
	streams, out, errOut := testStreams()
	code := run(context.Background(), streams, []string{"--api-key", exportKey, "--base-url", base, "--rate", "none",
		"export", "partners", "--out", t.TempDir()})
	if code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if len(rec.paths) != 2 || rec.paths[0] != "/env-check/start" || rec.paths[1] != "/env-check/0" {
		t.Fatalf("pings %v", rec.paths)
	}
}
