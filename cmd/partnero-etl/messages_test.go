package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testAPI serves GET /v1/test for key, counting every request it gets.
func testAPI(t *testing.T, key string) (srv *httptest.Server, requests *atomic.Int64) {
	t.Helper()
	requests = new(atomic.Int64)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/v1/test" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"Not Found"}`)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+key {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"message":"Unauthenticated."}`)
			return
		}
		io.WriteString(w, `{"data":{"program":{"pub_id":"prg_1","name":"Acme"}},"status":1}`)
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, requests
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestAPIKeyAndBaseURLMessages: every problem with the key or the base URL
// is named as what it is, with the exit code scripts expect, and the key
// itself never shows.
func TestAPIKeyAndBaseURLMessages(t *testing.T) {
	const key = "sk_live_messages_4d3c2b1a"
	srv, requests := testAPI(t, key)
	base := srv.URL + "/v1/"
	dir := t.TempDir()
	writeKey := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	input := filepath.Join(dir, "partners.csv")
	if err := os.WriteFile(input, []byte("id,email,name\np1,a@x.io,Ann\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	unreachable := "http://" + closedPort(t) + "/v1/"

	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // in stderr
		notWant  []string // not in stderr
		noCalls  bool     // refused before any request
	}{
		{"key with a line break", []string{"--api-key", key[:8] + "\n" + key[8:], "--base-url", base, "ping"},
			exitUsage, []string{"--api-key", "line break"}, []string{"--base-url"}, true},
		{"key file with two lines", []string{"--api-key-file", writeKey("two.key", key+"\n"+key+"\n"), "--base-url", base, "ping"},
			exitUsage, []string{"--api-key-file", "two.key", "line break"}, []string{"--base-url"}, true},
		{"key with a control character", []string{"--api-key-file", writeKey("ctl.key", key[:5]+"\x01"+key[5:]), "--base-url", base, "import", "partners", input},
			exitUsage, []string{"ctl.key", "control character"}, []string{"--base-url"}, true},
		{"key with a tab", []string{"--api-key", key[:5] + "\t" + key[5:], "--base-url", base, "ping"},
			exitUsage, []string{"--api-key", "control character"}, nil, true},
		{"missing key file", []string{"--api-key-file", filepath.Join(dir, "nope.key"), "--base-url", base, "ping"},
			exitUsage, []string{"--api-key-file", "nope.key", "no such file"}, nil, true},
		{"empty key file", []string{"--api-key-file", writeKey("empty.key", " \n"), "--base-url", base, "ping"},
			exitUsage, []string{"empty.key", "empty"}, nil, true},
		{"key file is a folder", []string{"--api-key-file", dir, "--base-url", base, "ping"},
			exitUsage, []string{"--api-key-file"}, nil, true},
		{"key file with surrounding blanks", []string{"--api-key-file", writeKey("blanks.key", "  "+key+" \r\n"), "--base-url", base, "ping"},
			exitOK, nil, nil, false},
		{"bad base URL", []string{"--api-key", key, "--base-url", "ftp://x", "ping"},
			exitUsage, []string{"--base-url"}, nil, true},
		{"base URL without /v1/: ping", []string{"--api-key", key, "--base-url", srv.URL, "ping"},
			exitFailure, []string{"404", "/v1/"}, nil, false},
		{"base URL without /v1/: import", []string{"--api-key", key, "--base-url", srv.URL + "/", "import", "partners", input, "--dry-run"},
			exitFailure, []string{"404", "/v1/"}, []string{"check the API key"}, false},
		{"unreachable API: import", []string{"--api-key", key, "--base-url", unreachable, "import", "partners", input, "--dry-run", "--max-attempts", "1"},
			exitFailure, []string{"cannot reach the API", "connection refused"}, []string{"API key"}, false},
		{"refused key: import", []string{"--api-key", "sk_wrong_key_9", "--base-url", base, "import", "partners", input, "--dry-run"},
			exitAuth, []string{"refused the key"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PARTNERO_API_KEY", "")
			before := requests.Load()
			streams, out, errOut := testStreams()
			start := time.Now()
			code := run(context.Background(), streams, tt.args)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q: %s", w, errOut)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(errOut.String(), w) {
					t.Errorf("stderr has %q: %s", w, errOut)
				}
			}
			if tt.noCalls {
				if n := requests.Load() - before; n != 0 {
					t.Errorf("%d requests sent, want none", n)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("took %s to refuse", d)
				}
			}
			if all := out.String() + errOut.String(); strings.Contains(all, key[:8]) || strings.Contains(all, key[8:]) {
				t.Errorf("output shows the key: %s", all)
			}
		})
	}
}

// TestUsageMessages: usage mistakes exit 2, before any request or row, and
// say what is wrong rather than something near it.
func TestUsageMessages(t *testing.T) {
	const key = "sk_usage_test_5e6f"
	srv, requests := testAPI(t, key)
	base := srv.URL + "/v1/"
	dir := t.TempDir()
	input := filepath.Join(dir, "partners.csv")
	if err := os.WriteFile(input, []byte("id,email,name\np1,a@x.io,Ann\np2,bad,Bob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The default reject file of blocked.csv cannot be written: a folder
	// holds its name.
	blocked := filepath.Join(dir, "blocked.csv")
	if err := os.WriteFile(blocked, []byte("id,email,name\np1,a@x.io,Ann\np2,bad,Bob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "blocked.rejects.csv"), 0o755); err != nil {
		t.Fatal(err)
	}
	g := []string{"--api-key", key, "--base-url", base}
	tests := []struct {
		name    string
		args    []string
		want    []string
		notWant []string
	}{
		{"import: too many arguments", append(g, "import", "partners", input, "more.csv"),
			[]string{"too many arguments", `"more.csv"`}, []string{"needs"}},
		{"validate: too many arguments", []string{"validate", "partners", input, "more.csv", "again.csv"},
			[]string{"too many arguments", `"more.csv"`}, []string{"needs"}},
		{"presets show: too many arguments", []string{"presets", "show", "tolt", "rewardful"},
			[]string{"too many arguments", `"rewardful"`}, nil},
		{"ping: an argument", append(g, "ping", "extra"),
			[]string{"takes no arguments", `"extra"`}, nil},
		{"import: too few arguments", append(g, "import", "partners"),
			[]string{"needs", "FILE"}, nil},
		{"export: unknown table", append(g, "export", "bogus"),
			[]string{`"bogus"`, "partners", "customers", "transactions", "rewards", "all"}, nil},
		{"export: --compression with CSV", append(g, "export", "--format", "csv", "--compression", "snappy", "--out", filepath.Join(dir, "out")),
			[]string{"--compression", "Parquet"}, nil},
		{"export: --compression with JSON lines", append(g, "export", "--format", "jsonl", "--compression", "zstd", "--out", "-", "partners"),
			[]string{"--compression", "Parquet"}, nil},
		{"validate: default reject file not writable", []string{"validate", "partners", blocked},
			[]string{"blocked.rejects.csv", "folder", "--rejects"}, []string{"read "}},
		{"import: default reject file not writable", append(g, "import", "partners", blocked, "--dry-run"),
			[]string{"blocked.rejects.csv", "folder", "--rejects"}, nil},
		{"import: too many workers", append(g, "import", "partners", input, "--workers", "100000"),
			[]string{"--workers", "100000", "at most"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := requests.Load()
			streams, out, errOut := testStreams()
			code := run(context.Background(), streams, tt.args)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stdout: %s; stderr: %s", code, exitUsage, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q: %s", w, errOut)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(errOut.String()+out.String(), w) {
					t.Errorf("output has %q: %s%s", w, out, errOut)
				}
			}
			if n := requests.Load() - before; n != 0 {
				t.Errorf("%d requests sent, want none", n)
			}
		})
	}
}

// TestBuildVersion: the version comes from -ldflags, else the module
// version, else the VCS revision the build recorded; "dev" only when the
// binary knows nothing.
func TestBuildVersion(t *testing.T) {
	const rev = "789d2ed1a2b3c4d5e6f708192a3b4c5d6e7f8091"
	info := func(mainVersion string, settings ...string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/partnero-etl/partnero-etl", Version: mainVersion}}
			for i := 0; i+1 < len(settings); i += 2 {
				bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
			}
			return bi, true
		}
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	tests := []struct {
		name    string
		ldflags string
		read    func() (*debug.BuildInfo, bool)
		want    string
	}{
		{"ldflags win", "v1.4.0", info("v1.3.0", "vcs.revision", rev), "v1.4.0"},
		{"module version", "", info("v1.3.0"), "v1.3.0"},
		{"pseudo-version", "", info("v0.0.0-20261129205002-789d2ed1a2b3+dirty", "vcs.revision", rev, "vcs.modified", "true"), "v0.0.0-20261129205002-789d2ed1a2b3+dirty"},
		{"devel build with a revision", "", info("(devel)", "vcs.revision", rev, "vcs.modified", "false"), "dev-789d2ed1a2b3"},
		{"devel build, modified", "", info("(devel)", "vcs.revision", rev, "vcs.modified", "true"), "dev-789d2ed1a2b3+dirty"},
		{"nothing known", "", info("(devel)"), "dev"},
		{"no build info", "", none, "dev"},
	}
	for _, tt := range tests {
		if got := buildVersion(tt.ldflags, tt.read).Version; got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}

	// The version command prints it with the revision; the User-Agent and
	// the export manifest carry it.
	old := readBuildInfo
	readBuildInfo = info("(devel)", "vcs.revision", rev, "vcs.time", "2026-11-29T20:50:02Z", "vcs.modified", "true")
	t.Cleanup(func() { readBuildInfo = old })
	const want = "dev-789d2ed1a2b3+dirty"

	streams, out, errOut := testStreams()
	if code := run(context.Background(), streams, []string{"version"}); code != exitOK {
		t.Fatalf("version: exit %d: %s", code, errOut)
	}
	for _, w := range []string{"partnero-etl " + want + "\n", rev, "2026-11-29T20:50:02Z", "uncommitted", "go1.26.8"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("version printed %q, want %q in it", out, w)
		}
	}

	var ua atomic.Value
	uaSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua.Store(r.Header.Get("User-Agent"))
		io.WriteString(w, `{"data":{"program":{"pub_id":"prg_1","name":"Acme"}},"status":1}`)
	}))
	t.Cleanup(uaSrv.Close)
	streams, _, errOut = testStreams()
	if code := run(context.Background(), streams, []string{"--api-key", "k", "--base-url", uaSrv.URL + "/v1/", "ping"}); code != exitOK {
		t.Fatalf("ping: exit %d: %s", code, errOut)
	}
	if got, _ := ua.Load().(string); got != "partnero-etl/"+want {
		t.Errorf("User-Agent %q, want %q", got, "partnero-etl/"+want)
	}

	dir := filepath.Join(t.TempDir(), "snap")
	streams, _, errOut = testStreams()
	if code := run(context.Background(), streams, []string{"--api-key", exportKey, "--base-url", exportSandbox(t), "--rate", "none", "export", "partners", "--out", dir}); code != exitOK {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"tool_version": "`+want+`"`) && !strings.Contains(string(b), `"tool_version":"`+want+`"`) {
		t.Errorf("manifest lacks tool_version %q:\n%s", want, b)
	}
}

// TestImportDelimiter: import takes --delimiter as validate does.
func TestImportDelimiter(t *testing.T) {
	base := newTestSandbox(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Commas in the names make "," look like the delimiter too.
	piped := write("partners.txt", "id|email|name\np1|a@x.io|Lee, Ann\np2|b@x.io|Roe, Bob\n")
	jsonl := write("partners.jsonl", `{"id":"p3","email":"c@x.io"}`+"\n")
	g := []string{"--api-key", "good-key", "--base-url", base, "--rate", "none"}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"pipe", append(g, "import", "partners", piped, "--delimiter", "|"), exitOK, "created", ""},
		{"named", append(g, "import", "partners", piped, "--delimiter", "pipe", "--dry-run"), exitOK, "", ""},
		{"not CSV", append(g, "import", "partners", jsonl, "--delimiter", ";"), exitUsage, "", "CSV"},
		{"two characters", append(g, "import", "partners", piped, "--delimiter", "||"), exitUsage, "", "--delimiter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streams, out, errOut := testStreams()
			code := run(context.Background(), streams, tt.args)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stdout: %s; stderr: %s", code, tt.wantCode, out, errOut)
			}
			if !strings.Contains(out.String(), tt.wantOut) || !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stdout %q (want %q), stderr %q (want %q)", out, tt.wantOut, errOut, tt.wantErr)
			}
		})
	}
}

// TestRateHelp: --rate's help names every kind of value ParseRate takes.
func TestRateHelp(t *testing.T) {
	streams, out, _ := testStreams()
	if code := run(context.Background(), streams, []string{"--help"}); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var line string
	for l := range strings.SplitSeq(out.String(), "\n") {
		if strings.Contains(l, "--rate") {
			line = l
		}
	}
	for _, w := range []string{"auto", "none", "/s", "/min", "/h"} {
		if !strings.Contains(line, w) {
			t.Errorf("--rate help %q lacks %q", line, w)
		}
	}
}

// TestReadmeSaysWhatMakeTestFetches: the README's promise about the network
// matches the build: it names the Go module proxy and every module the
// interop check (a separate module that make test runs) requires directly.
func TestReadmeSaysWhatMakeTestFetches(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join("..", "..", "sinks", "parquet", "interop", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	if strings.Contains(text, "no network.") {
		t.Error(`README still says "no network."`)
	}
	if !strings.Contains(text, "Go module proxy") {
		t.Error("README does not say where make test downloads modules from")
	}
	direct := 0
	inRequire := false
	for line := range strings.SplitSeq(string(gomod), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "require (":
			inRequire = true
			continue
		case line == ")":
			inRequire = false
			continue
		case strings.HasPrefix(line, "require "):
			line = strings.TrimPrefix(line, "require ")
		case !inRequire:
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 || strings.Contains(line, "// indirect") || f[0] == "github.com/partnero-etl/partnero-etl" {
			continue
		}
		direct++
		if !strings.Contains(text, f[0]) {
			t.Errorf("README does not name %s, which make test downloads for the interop check", f[0])
		}
	}
	if direct == 0 {
		t.Error("no direct requirement found in the interop go.mod")
	}
}
