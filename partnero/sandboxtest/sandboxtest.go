// Package sandboxtest starts a Partnero sandbox for one test: the
// sandbox.Server behind a loopback HTTP server, closed by the test's
// cleanup, with a client pointed at it and helpers that seed it. Every test
// that needs a server uses it, so the wiring (loopback, the /v1/ base URL,
// the key, closing the server before saving the data file) is written once.
package sandboxtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
)

// DefaultKey is the API key of a sandbox whose Config names none.
const DefaultKey = "sandbox-test-key"

// Env is a sandbox served on loopback for the length of one test.
type Env struct {
	// Server is the sandbox itself (statistics, Reset, Save).
	Server *sandbox.Server
	// HTTP is the loopback server in front of it.
	HTTP *httptest.Server
	// Key is the first key of the Config: the one Client and the seeding
	// helpers use.
	Key string
}

// Option changes how Start serves the sandbox.
type Option func(*options)

type options struct {
	wrap func(http.Handler) http.Handler
}

// Wrap serves wrap(sandbox) instead of the sandbox: a test that injects
// faults or watches requests puts its handler in front.
func Wrap(wrap func(http.Handler) http.Handler) Option {
	return func(o *options) { o.wrap = wrap }
}

// Start builds a sandbox from cfg (Keys defaults to DefaultKey) and serves
// it on 127.0.0.1 until the test ends: then the HTTP server closes first and
// the sandbox after it, so a data file is saved with every write in it.
func Start(t testing.TB, cfg sandbox.Config, opts ...Option) *Env {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if len(cfg.Keys) == 0 {
		cfg.Keys = []string{DefaultKey}
	}
	srv, err := sandbox.New(cfg)
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	var h http.Handler = srv
	if o.wrap != nil {
		h = o.wrap(srv)
	}
	ts := httptest.NewServer(h) // httptest listens on loopback only
	t.Cleanup(func() {
		ts.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("sandbox close: %v", err)
		}
	})
	return &Env{Server: srv, HTTP: ts, Key: cfg.Keys[0]}
}

// URL is the server's root (for /_sandbox/ endpoints and raw requests).
func (e *Env) URL() string { return e.HTTP.URL }

// BaseURL is the API's base URL, as --base-url and partnero.WithBaseURL take
// it.
func (e *Env) BaseURL() string { return e.HTTP.URL + "/v1/" }

// Client is a client for the sandbox with its key and no pacing (the sandbox
// throttles only when its Config says so); opts come after those and
// override them.
func (e *Env) Client(t testing.TB, opts ...partnero.Option) *partnero.Client {
	t.Helper()
	base := []partnero.Option{
		partnero.WithBaseURL(e.BaseURL()),
		partnero.WithAPIKey(e.Key),
		partnero.WithRate(partnero.Rate{}),
	}
	c, err := partnero.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatalf("sandbox client: %v", err)
	}
	return c
}

// Post sends body (JSON text) to POST /v1/path with the key, failing the
// test unless the sandbox accepts it: seeding through the API itself, as a
// user's earlier run would have.
func (e *Env) Post(t testing.TB, path, body string) {
	t.Helper()
	e.send(t, e.BaseURL()+strings.TrimPrefix(path, "/"), []byte(body))
}

// Seed sends objects to POST /_sandbox/seed with the key (JSON-encoded: a
// map from list name, as "promotion_codes", to its objects), for the lists
// the API has no create call for.
func (e *Env) Seed(t testing.TB, objects any) {
	t.Helper()
	body, err := json.Marshal(objects)
	if err != nil {
		t.Fatalf("sandbox seed: %v", err)
	}
	e.send(t, e.HTTP.URL+"/_sandbox/seed", body)
}

func (e *Env) send(t testing.TB, url string, body []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.Key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.HTTP.Client().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode >= 300 {
		t.Fatalf("POST %s: %s: %s", url, resp.Status, msg)
	}
}
