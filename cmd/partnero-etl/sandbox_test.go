package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseRateLimit(t *testing.T) {
	tests := []struct {
		in      string
		perSec  float64
		window  time.Duration
		wantErr bool
	}{
		{"600/min", 10, time.Minute, false},
		{"10/s", 10, time.Second, false},
		{"3600/h", 1, time.Hour, false},
		{" 120/Minute ", 2, time.Minute, false},
		{"none", 0, 0, false},
		{"0", 0, 0, false},
		{"600", 0, 0, true},
		{"-5/s", 0, 0, true},
		{"5/day", 0, 0, true},
		{"abc/s", 0, 0, true},
	}
	for _, tt := range tests {
		perSec, window, err := parseRateLimit(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseRateLimit(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if perSec != tt.perSec || window != tt.window {
			t.Errorf("parseRateLimit(%q) = %v, %v; want %v, %v", tt.in, perSec, window, tt.perSec, tt.window)
		}
	}
}

func TestCheckListenAddr(t *testing.T) {
	tests := []struct {
		addr   string
		remote bool
		ok     bool
	}{
		{"127.0.0.1:8765", false, true},
		{"localhost:0", false, true},
		{"[::1]:8765", false, true},
		{":8765", false, false},
		{"0.0.0.0:8765", false, false},
		{"192.168.1.5:80", false, false},
		{"0.0.0.0:8765", true, true},
		{"no-port", false, false},
	}
	for _, tt := range tests {
		err := checkListenAddr(tt.addr, tt.remote)
		if (err == nil) != tt.ok {
			t.Errorf("checkListenAddr(%q, %v) = %v, want ok %v", tt.addr, tt.remote, err, tt.ok)
		}
		if err != nil && exitCodeOf(context.Background(), err) != exitUsage {
			t.Errorf("checkListenAddr(%q): exit code %d, want usage", tt.addr, exitCodeOf(context.Background(), err))
		}
	}
}

func TestSandboxCommandUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"sandbox", "--addr", "0.0.0.0:0"},
		{"sandbox", "--rate-limit", "lots"},
		{"sandbox", "--fault-rate", "2"},
		{"sandbox", "--commission", "0"},
	} {
		io, _, errOut := testStreams()
		if code := run(context.Background(), io, args); code != exitUsage {
			t.Errorf("%v: exit code %d, want %d (stderr %s)", args, code, exitUsage, errOut)
		}
	}
}

// TestRunSandboxServesAndSaves starts the command on a free port, talks to
// it, stops it as a signal would, and checks the state was saved and is
// loaded again by a second run.
func TestRunSandboxServesAndSaves(t *testing.T) {
	data := filepath.Join(t.TempDir(), "state.json")
	start := func() (string, context.CancelFunc, chan error, *strings.Builder) {
		ctx, cancel := context.WithCancel(t.Context())
		io, out, _ := testStreams()
		ready := make(chan string, 1)
		opts := &sandboxOptions{
			Addr: "127.0.0.1:0", Keys: []string{"k1"}, RateLimit: "none", Commission: 0.3,
			DataFile: data, Seed: 1, io: io, ready: func(u string) { ready <- u },
		}
		done := make(chan error, 1)
		go func() { done <- runSandbox(ctx, opts) }()
		select {
		case u := <-ready:
			b := &strings.Builder{}
			b.WriteString(out.String())
			return u, cancel, done, b
		case err := <-done:
			cancel()
			t.Fatalf("runSandbox: %v", err)
		}
		return "", cancel, done, nil
	}
	call := func(method, url, body string) (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer k1")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	base, stop, done, banner := start()
	if !strings.Contains(banner.String(), "Partnero sandbox listening: base URL "+base) || !strings.Contains(banner.String(), "curl -s -H 'Authorization: Bearer k1' "+base+"test") {
		t.Errorf("banner = %q", banner)
	}
	if code, body := call("POST", base+"partners", `{"email":"a@example.com","id":"p1"}`); code != 201 {
		t.Fatalf("create partner: %d %s", code, body)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("runSandbox after stop: %v", err)
	}
	if _, err := os.Stat(data); err != nil {
		t.Fatalf("data file not saved: %v", err)
	}

	base, stop, done, _ = start()
	defer func() { stop(); <-done }()
	if code, body := call("GET", base+"partners/p1", ""); code != 200 || !strings.Contains(body, `"a@example.com"`) {
		t.Fatalf("partner after restart: %d %s", code, body)
	}
}

func TestSandboxHelp(t *testing.T) {
	io, out, errOut := testStreams()
	if code := run(context.Background(), io, []string{"sandbox", "--help"}); code != exitOK {
		t.Fatalf("exit code %d: %s", code, errOut)
	}
	for _, flag := range []string{"--addr", "--key", "--rate-limit", "--latency", "--jitter", "--fault-rate", "--burst-429", "--drop-after-commit", "--strict-transaction-keys", "--commission", "--data", "--seed", "--allow-remote"} {
		if !strings.Contains(out.String(), flag) {
			t.Errorf("help does not mention %s", flag)
		}
	}
}
