package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

const testKey = "test-key"

// env is a sandbox behind a real HTTP server, with helpers to call it.
type env struct {
	t   *testing.T
	srv *Server
	ts  *httptest.Server
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = []string{testKey}
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &env{t: t, srv: srv, ts: ts}
}

// reply is a decoded answer.
type reply struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

// do sends a request with the test key; body is JSON-encoded unless it is a
// string, which is sent as is.
func (e *env) do(method, path string, body any) reply {
	e.t.Helper()
	return e.doKey(testKey, method, path, body)
}

func (e *env) doKey(key, method, path string, body any) reply {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Accept", "application/json")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if resp.Header.Get("Content-Type") == "application/json" {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			e.t.Fatalf("%s %s: invalid JSON %q: %v", method, path, raw, err)
		}
		r.body, _ = v.(map[string]any)
	}
	return r
}

// must checks the status of a reply and returns it.
func (e *env) must(status int, r reply) reply {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

// get walks a decoded JSON value along dotted names (numbers index arrays).
func get(v any, path string) any {
	for seg := range strings.SplitSeq(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[seg]
		case []any:
			i := 0
			for _, c := range seg {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// str renders a decoded JSON value for comparisons ("<nil>" for null).
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case string:
		return x
	case json.Number:
		return x.String()
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func (r reply) field(path string) string { return str(get(r.body, path)) }

func (r reply) list(path string) []any {
	l, _ := get(r.body, path).([]any)
	return l
}

// seedPartner creates a partner with the given id, key and email.
func (e *env) seedPartner(id, key, email string) {
	e.t.Helper()
	e.must(201, e.do("POST", "/v1/partners", map[string]any{"id": id, "key": key, "email": email, "name": "N " + id}))
}

func (e *env) seedCustomer(key, partnerKey string) {
	e.t.Helper()
	e.must(201, e.do("POST", "/v1/customers", map[string]any{"key": key, "email": key + "@example.com", "partner": map[string]any{"key": partnerKey}}))
}

// step is one request of a scenario and what its answer must hold.
type step struct {
	name   string
	method string
	path   string
	body   any
	status int
	// want maps a dotted path of the answer to its rendered value; "<absent>"
	// means the field must not be there, and a path starting with "#" is the
	// length of the list at that path.
	want map[string]string
}

// runSteps runs a scenario in order; each step is a subtest.
func runSteps(t *testing.T, e *env, steps []step) {
	t.Helper()
	defer func() { e.t = t }()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			e.t = t
			r := e.do(s.method, s.path, s.body)
			if r.status != s.status {
				t.Fatalf("%s %s: status %d, want %d: %s", s.method, s.path, r.status, s.status, r.raw)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want exactly application/json", ct)
			}
			for path, want := range s.want {
				var got string
				switch {
				case strings.HasPrefix(path, "#"):
					got = strconv.Itoa(len(r.list(path[1:])))
				case want == "<absent>":
					if present(r.body, path) {
						got = "present: " + r.field(path)
					} else {
						got = want
					}
				case want == "<non-nil>":
					if got = r.field(path); got != "<nil>" {
						got = want
					}
				default:
					got = r.field(path)
				}
				if got != want {
					t.Errorf("%s %s: %s = %q, want %q\n%s", s.method, s.path, path, got, want, r.raw)
				}
			}
		})
	}
}

// present reports whether a dotted path names a field of the decoded answer.
func present(v any, path string) bool {
	segs := strings.Split(path, ".")
	for i, seg := range segs {
		m, ok := v.(map[string]any)
		if !ok {
			if l, isList := v.([]any); isList {
				n, err := strconv.Atoi(seg)
				if err != nil || n >= len(l) {
					return false
				}
				v = l[n]
				continue
			}
			return false
		}
		x, ok := m[seg]
		if !ok {
			return false
		}
		if i == len(segs)-1 {
			return true
		}
		v = x
	}
	return true
}
