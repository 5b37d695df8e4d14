package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// serve runs one request through the handler directly (no network), so it
// works inside a synctest bubble.
func serve(s *Server, key, method, target, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

func mustNew(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = []string{testKey}
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 3 requests per second window: Laravel's throttle:3,1 scaled down.
		s := mustNew(t, Config{RateLimit: 3, RateWindow: time.Second, Keys: []string{testKey, "other"}})
		for i, wantRemaining := range []string{"2", "1", "0"} {
			rec := serve(s, testKey, "GET", "/v1/partners", "")
			if rec.Code != 200 || rec.Header().Get("X-RateLimit-Limit") != "3" || rec.Header().Get("X-RateLimit-Remaining") != wantRemaining {
				t.Fatalf("request %d: %d limit %q remaining %q", i+1, rec.Code, rec.Header().Get("X-RateLimit-Limit"), rec.Header().Get("X-RateLimit-Remaining"))
			}
		}
		time.Sleep(400 * time.Millisecond)
		rec := serve(s, testKey, "GET", "/v1/partners", "")
		if rec.Code != 429 {
			t.Fatalf("4th request: %d, want 429", rec.Code)
		}
		if got := rec.Body.String(); got != `{"message":"Too Many Attempts."}` {
			t.Errorf("429 body = %s", got)
		}
		h := rec.Header()
		if h.Get("Retry-After") != "1" || h.Get("X-RateLimit-Remaining") != "0" || h.Get("X-RateLimit-Limit") != "3" {
			t.Errorf("429 headers = %v", h)
		}
		if reset, _ := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); reset != time.Now().Unix()+1 {
			t.Errorf("X-RateLimit-Reset = %s, want %d", h.Get("X-RateLimit-Reset"), time.Now().Unix()+1)
		}
		// Another key has its own budget; a refused request costs nothing.
		if rec := serve(s, "other", "GET", "/v1/test", ""); rec.Code != 200 || rec.Header().Get("X-RateLimit-Remaining") != "2" {
			t.Errorf("other key: %d remaining %s", rec.Code, rec.Header().Get("X-RateLimit-Remaining"))
		}
		// Unauthenticated requests carry no budget.
		if rec := serve(s, "", "GET", "/v1/test", ""); rec.Code != 401 || rec.Header().Get("X-RateLimit-Limit") != "" {
			t.Errorf("401: %d with limit header %q", rec.Code, rec.Header().Get("X-RateLimit-Limit"))
		}
		time.Sleep(600 * time.Millisecond)
		if rec := serve(s, testKey, "GET", "/v1/partners", ""); rec.Code != 200 || rec.Header().Get("X-RateLimit-Remaining") != "2" {
			t.Errorf("after the window: %d remaining %s", rec.Code, rec.Header().Get("X-RateLimit-Remaining"))
		}
		if st := s.Stats(); st.RateLimited != 1 || st.Routes["GET /partners"].ByStatus["429"] != 1 {
			t.Errorf("stats = %+v", st)
		}
	})
}

func TestRateLimitDefaultWindowIsAMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := mustNew(t, Config{RateLimit: 0.1}) // 6 per minute
		for range 6 {
			if rec := serve(s, testKey, "GET", "/v1/test", ""); rec.Code != 200 {
				t.Fatalf("status %d", rec.Code)
			}
		}
		time.Sleep(15 * time.Second)
		rec := serve(s, testKey, "GET", "/v1/test", "")
		if rec.Code != 429 || rec.Header().Get("Retry-After") != "45" || rec.Header().Get("X-RateLimit-Limit") != "6" {
			t.Errorf("status %d, Retry-After %q, limit %q", rec.Code, rec.Header().Get("Retry-After"), rec.Header().Get("X-RateLimit-Limit"))
		}
	})
}

func TestBurst429(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := mustNew(t, Config{Burst429Rate: 1})
		rec := serve(s, testKey, "GET", "/v1/test", "")
		if rec.Code != 429 || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("status %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
		}
		if rec := serve(s, testKey, "GET", "/_sandbox/stats", ""); rec.Code != 200 {
			t.Errorf("stats during a burst: %d", rec.Code)
		}
	})
}

func TestFaults(t *testing.T) {
	s := mustNew(t, Config{FaultRate: 1, Seed: 7, RateLimit: 100})
	seen := map[int]bool{}
	for range 30 {
		rec := serve(s, testKey, "POST", "/v1/partners", `{"email":"a@example.com"}`)
		seen[rec.Code] = true
		if rec.Code != 500 && rec.Code != 502 && rec.Code != 503 {
			t.Fatalf("status %d, want a 5xx", rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(rec.Body.String(), "<html") {
			t.Errorf("%d: Content-Type %q body %q, want HTML", rec.Code, ct, rec.Body.String())
		}
		if rec.Code == 502 && rec.Header().Get("X-RateLimit-Limit") != "" {
			t.Errorf("a proxy's 502 carries the application's rate limit headers")
		}
	}
	if len(seen) != 3 {
		t.Errorf("statuses seen = %v, want 500, 502 and 503", seen)
	}
	// Nothing was written: faults strike before the handler.
	if st := s.Stats(); st.Programs[0].Partners != 0 || st.Faults != 30 || st.Total != 30 {
		t.Errorf("stats = %+v", st)
	}
	if rec := serve(s, "", "GET", "/_sandbox/stats", ""); rec.Code != 200 {
		t.Errorf("faults reached /_sandbox: %d", rec.Code)
	}
}

// A dropped write is committed, but the client sees a connection error and
// no response at all.
func TestDropAfterCommit(t *testing.T) {
	e := newEnv(t, Config{DropAfterCommitRate: 1})
	req, _ := http.NewRequestWithContext(t.Context(), "POST", e.ts.URL+"/v1/partners", strings.NewReader(`{"id":"p1","email":"a@example.com"}`))
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.ts.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got a response %d, want a connection error", resp.StatusCode)
	}
	// Reads are never dropped; the record is there.
	r := e.must(200, e.do("GET", "/v1/partners/p1", nil))
	if r.field("data.email") != "a@example.com" {
		t.Errorf("partner = %s", r.raw)
	}
	// A failed write is answered normally: only committed writes drop.
	e.must(422, e.do("POST", "/v1/partners", obj{"email": "a@example.com"}))
	st := e.srv.Stats()
	if st.Dropped != 1 || st.Routes["POST /partners"].ByStatus["dropped"] != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestLatencyAndCancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := mustNew(t, Config{Latency: 100 * time.Millisecond, Jitter: 20 * time.Millisecond, Seed: 3})
		start := time.Now()
		rec := serve(s, testKey, "GET", "/v1/test", "")
		if d := time.Since(start); rec.Code != 200 || d < 80*time.Millisecond || d > 120*time.Millisecond {
			t.Errorf("status %d after %v, want 200 after 100ms±20ms", rec.Code, d)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
		defer cancel()
		req := httptest.NewRequestWithContext(ctx, "POST", "/v1/partners", strings.NewReader(`{"email":"a@example.com"}`))
		req.Header.Set("Authorization", "Bearer "+testKey)
		rec = httptest.NewRecorder()
		start = time.Now()
		s.ServeHTTP(rec, req)
		if d := time.Since(start); d != 10*time.Millisecond {
			t.Errorf("cancelled request took %v", d)
		}
		st := s.Stats()
		if st.ByStatus["canceled"] != 1 || st.Programs[0].Partners != 0 {
			t.Errorf("stats = %+v", st)
		}
	})
}

func TestPersistence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sandbox.json")
	cfg := Config{Keys: []string{testKey, "second"}, DataFile: file, Seed: 5}
	s := mustNew(t, cfg)
	for _, req := range []struct{ method, path, body string }{
		{"POST", "/v1/partners", `{"id":"p1","key":"alice","email":"a@example.com","tags":["vip"]}`},
		{"POST", "/v1/customers", `{"key":"c1","partner":{"key":"alice"}}`},
		{"POST", "/v1/transactions", `{"key":"t1","amount":"99.99","customer":{"key":"c1"}}`},
		{"POST", "/v1/transactions", `{"key":"t0","amount":1,"created_at":1600000000,"customer":{"key":"c1"}}`},
		{"POST", "/v1/customers/c1/suspend", ``},
	} {
		if rec := serve(s, testKey, req.method, req.path, req.body); rec.Code >= 300 {
			t.Fatalf("%s %s: %d %s", req.method, req.path, rec.Code, rec.Body)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm()&0o077 != 0 {
		t.Fatalf("data file: %v %v", info, err)
	}

	// Restart with only one of the keys: the other program is kept.
	s2 := mustNew(t, Config{Keys: []string{testKey}, DataFile: file, Seed: 5})
	if rec := serve(s2, testKey, "GET", "/v1/partners/p1", ""); !strings.Contains(rec.Body.String(), `"tags":[{"value":"vip"}]`) {
		t.Errorf("partner after restart: %d %s", rec.Code, rec.Body)
	}
	if rec := serve(s2, testKey, "GET", "/v1/customers/c1", ""); !strings.Contains(rec.Body.String(), `"status":"suspended"`) {
		t.Errorf("customer after restart: %s", rec.Body)
	}
	rec := serve(s2, testKey, "GET", "/v1/transactions?sort=asc", "")
	var page struct {
		Data []struct {
			Key     string `json:"key"`
			Rewards []struct {
				Amount json.Number `json:"amount"`
			} `json:"rewards"`
		} `json:"data"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || len(page.Data) != 2 || page.Data[0].Key != "t0" || page.Data[1].Rewards[0].Amount != "29.997" {
		t.Errorf("transactions after restart: %s (%v)", rec.Body, err)
	}
	if rec := serve(s2, "second", "GET", "/v1/test", ""); rec.Code != 401 {
		t.Errorf("an unconfigured key answered %d", rec.Code)
	}
	// New records do not collide with restored ones.
	if rec := serve(s2, testKey, "POST", "/v1/partners", `{"email":"b@example.com"}`); rec.Code != 201 {
		t.Errorf("create after restart: %d %s", rec.Code, rec.Body)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	s3 := mustNew(t, Config{Keys: []string{testKey, "second"}, DataFile: file})
	if st := s3.Stats(); len(st.Programs) != 2 || st.Programs[0].Partners != 2 || st.Programs[0].Transactions != 2 {
		t.Errorf("after second restart: %+v", st.Programs)
	}
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 2 || entries[1].Name() != "sandbox.json"+LogSuffix {
		t.Errorf("leftover files beside the data file: %v", entries)
	}

	if err := os.WriteFile(file, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Keys: []string{testKey}, DataFile: file}); err == nil {
		t.Error("New loaded a corrupt data file without error")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{Keys: []string{""}},
		{Keys: []string{"a", "a"}},
		{Keys: []string{"a"}, FaultRate: 1.5},
		{Keys: []string{"a"}, Commission: -1},
		{Keys: []string{"a"}, RateLimit: -1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

func TestCommission(t *testing.T) {
	for _, tt := range []struct {
		commission float64
		amount     string
		want       string
	}{
		{0, "99.99", "29.997"},
		{0.3, "0.01", "0.003"},
		{0.25, "10", "2.5"},
		{0.125, "1.01", "0.12625"},
		{1, "123456789012345678.99", "123456789012345678.99"},
	} {
		s := mustNew(t, Config{Commission: tt.commission})
		serve(s, testKey, "POST", "/v1/partners", `{"key":"a","email":"a@example.com"}`)
		serve(s, testKey, "POST", "/v1/customers", `{"key":"c","partner":{"key":"a"}}`)
		rec := serve(s, testKey, "POST", "/v1/transactions", `{"amount":"`+tt.amount+`","customer":{"key":"c"}}`)
		if !strings.Contains(rec.Body.String(), `"rewards":[{`) || !strings.Contains(rec.Body.String(), `"amount":`+tt.want+`,"amount_units"`) {
			t.Errorf("commission %v of %s: %s, want reward %s", tt.commission, tt.amount, rec.Body, tt.want)
		}
	}
}

func TestTransportDetails(t *testing.T) {
	s := mustNew(t, Config{})
	tests := []struct {
		name, key, method, target, body string
		status                          int
		wantBody                        string
	}{
		{"no key", "", "GET", "/v1/test", "", 401, `{"message":"Unauthenticated."}`},
		{"unknown key", "nope", "GET", "/v1/partners", "", 401, `{"message":"Unauthenticated."}`},
		{"unknown route", testKey, "GET", "/v1/nothing", "", 404, `{"message":"The route v1\/nothing could not be found."}`},
		{"outside /v1", testKey, "GET", "/v2/partners", "", 404, `{"message":"Not Found","status":0}`},
		{"wrong verb", testKey, "PATCH", "/v1/partners/p1", "", 405, `{"message":"The PATCH method is not supported for route v1\/partners\/p1. Supported methods: GET, PUT, DELETE, HEAD."}`},
		{"trailing slash", testKey, "GET", "/v1/partners/", "", 200, ""},
		{"malformed JSON", testKey, "POST", "/v1/partners", `{"email":`, 400, ""},
		{"JSON not an object", testKey, "POST", "/v1/partners", `["a"]`, 400, `{"message":"The JSON body must be an object.","status":0}`},
		{"two JSON values", testKey, "POST", "/v1/partners", `{} {}`, 400, ""},
		{"empty body is no input", testKey, "POST", "/v1/partners", "  ", 422, ""},
		{"unicode and slashes escaped as PHP does", testKey, "POST", "/v1/partners", `{"id":"a/b","email":"z@example.com","name":"Zoë 😀"}`, 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(s, tt.key, tt.method, tt.target, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if tt.wantBody != "" && rec.Body.String() != tt.wantBody {
				t.Errorf("body %s, want %s", rec.Body, tt.wantBody)
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Errorf("invalid JSON %s", rec.Body)
			}
		})
	}
	rec := serve(s, testKey, "GET", "/v1/partners/a%2Fb", "")
	if b := rec.Body.String(); !strings.Contains(b, `"id":"a\/b"`) || !strings.Contains(b, `"name":"Zo\u00eb \ud83d\ude00"`) {
		t.Errorf("escaping: %s", b)
	}
	var v struct{ Data struct{ Name string } }
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.Data.Name != "Zoë 😀" {
		t.Errorf("decoded name %q (%v)", v.Data.Name, err)
	}
}

func TestOversizedBody(t *testing.T) {
	s := mustNew(t, Config{MaxBodyBytes: 1024})
	rec := serve(s, testKey, "POST", "/v1/partners", `{"email":"a@example.com","name":"`+strings.Repeat("x", 2000)+`"}`)
	if rec.Code != http.StatusRequestEntityTooLarge || !json.Valid(rec.Body.Bytes()) {
		t.Errorf("status %d body %s", rec.Code, rec.Body)
	}
}

func TestStatsEndpointAndReset(t *testing.T) {
	e := newEnv(t, Config{})
	e.seedPartner("p1", "alice", "alice@example.com")
	e.must(404, e.do("GET", "/v1/partners/nope", nil))
	e.must(200, e.do("GET", "/v1/partners/p1", nil))
	r := e.must(200, e.doKey("", "GET", "/_sandbox/stats", nil))
	for path, want := range map[string]string{
		"total": "3", "routes.GET /partners/{id}.total": "2", "by_status.201": "1", "programs.0.partners": "1",
		"programs.0.pub_id": e.srv.programs[testKey].PubID,
	} {
		got := ""
		if strings.HasPrefix(path, "routes.") {
			got = str(get(get(r.body, "routes").(map[string]any)["GET /partners/{id}"], "total"))
		} else {
			got = r.field(path)
		}
		if got != want {
			t.Errorf("%s = %s, want %s (%s)", path, got, want, r.raw)
		}
	}
	if strings.Contains(r.raw, testKey) {
		t.Error("stats reveal a key")
	}
	e.must(200, e.doKey("", "POST", "/_sandbox/reset", nil))
	if st := e.srv.Stats(); st.Total != 0 || st.Programs[0].Partners != 0 {
		t.Errorf("after reset: %+v", st)
	}
	e.must(405, e.doKey("", "DELETE", "/_sandbox/stats", nil))
	e.must(404, e.doKey("", "GET", "/_sandbox/nothing", nil))
}

// Many goroutines writing and reading at once: run with -race. Every write
// must land exactly once.
func TestConcurrentLoad(t *testing.T) {
	e := newEnv(t, Config{Keys: []string{testKey, "k2"}})
	e.seedPartner("p1", "alice", "alice@example.com")
	const workers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				key := testKey
				if w%4 == 3 {
					key = "k2"
				}
				c := fmt.Sprintf("c%d-%d", w, i)
				bodies := []struct{ method, path, body string }{
					{"POST", "/v1/customers", `{"key":"` + c + `","partner":{"key":"alice"}}`},
					{"POST", "/v1/transactions", `{"key":"t-` + c + `","amount":1,"customer":{"key":"` + c + `"}}`},
					{"GET", "/v1/transactions?limit=5&partner.key=alice", ""},
					{"PUT", "/v1/customers/" + c, `{"update":{"name":"n"}}`},
					{"GET", "/_sandbox/stats", ""},
				}
				for _, b := range bodies {
					req, _ := http.NewRequestWithContext(t.Context(), b.method, e.ts.URL+b.path, strings.NewReader(b.body))
					req.Header.Set("Authorization", "Bearer "+key)
					resp, err := e.ts.Client().Do(req)
					if err != nil {
						errs <- err
						continue
					}
					resp.Body.Close()
					if key == testKey && resp.StatusCode >= 300 {
						errs <- fmt.Errorf("%s %s: %d", b.method, b.path, resp.StatusCode)
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := e.srv.Stats()
	want := (workers - workers/4) * each
	if st.Programs[0].Customers != want || st.Programs[0].Transactions != want {
		t.Errorf("program counts = %+v, want %d each", st.Programs[0], want)
	}
	if st.Programs[1].Customers != 0 {
		t.Errorf("the second key's program got records: %+v (no partner there)", st.Programs[1])
	}
}

// FuzzHandler throws arbitrary methods, paths and bodies at the handler:
// it must never panic, never answer 5xx (no faults are configured), and
// always answer JSON.
func FuzzHandler(f *testing.F) {
	seeds := []struct{ method, path, body string }{
		{"POST", "/v1/partners", `{"email":"a@example.com","tags":[{"value":"x"},"y"]}`},
		{"POST", "/v1/customers", `{"partner":{"key":"k"},"customer":{"key":"c"}}`},
		{"POST", "/v1/transactions", `{"customer":{"key":"c"},"options":{"create_customer":true},"transactions":[{"amount":"1e3"},{"reward":null}]}`},
		{"PUT", "/v1/partners", `{"update":[1,2],"id":{"x":1}}`},
		{"GET", "/v1/partners?limit[]=1&page[a]=2&sort[]=asc", ``},
		{"GET", "/v1/transactions?customer[key][x]=1&partner.key=a%zz", `{"limit":1e400}`},
		{"DELETE", "/v1/customers/%ff%fe", `null`},
		{"POST", "/v1/transactions", `{"amount":"99999999999999999999999999999999999999999.5","customer":{"key":"c"},"created_at":-99999999999}`},
		{"GET", "/v1/partners:search", `{"email":["a"],"key":{"b":1}}`},
		{"BREW", "/v1/../v1/test", `{`},
		{"GET", "/_sandbox/stats", ``},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body)
	}
	f.Fuzz(func(t *testing.T, method, path, body string) {
		s, err := New(Config{Keys: []string{testKey}, MaxBodyBytes: 1 << 16})
		if err != nil {
			t.Fatal(err)
		}
		serve(s, testKey, "POST", "/v1/partners", `{"key":"k","email":"k@example.com"}`)
		serve(s, testKey, "POST", "/v1/customers", `{"key":"c","partner":{"key":"k"}}`)
		req, err := http.NewRequest(method, "http://sandbox.test"+path, strings.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		req.Header.Set("Authorization", "Bearer "+testKey)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: status %d %s", method, path, body, rec.Code, rec.Body)
		}
		if rec.Header().Get("Content-Type") != "application/json" || (method != "HEAD" && !json.Valid(rec.Body.Bytes())) {
			t.Fatalf("%s %s %q: %q %s", method, path, body, rec.Header().Get("Content-Type"), rec.Body)
		}
		if err := s.Save(); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	})
}

// One seed, one run: generated ids and injected faults repeat exactly.
func TestSeedReproducesARun(t *testing.T) {
	run := func(seed int64) string {
		s := mustNew(t, Config{Seed: seed, FaultRate: 0.3})
		var b strings.Builder
		for i := range 40 {
			rec := serve(s, testKey, "POST", "/v1/partners", fmt.Sprintf(`{"email":"p%d@example.com"}`, i))
			var v struct{ Data struct{ ID string } }
			json.Unmarshal(rec.Body.Bytes(), &v)
			fmt.Fprintf(&b, "%d:%s ", rec.Code, v.Data.ID)
		}
		return b.String()
	}
	a, b, c := run(42), run(42), run(43)
	if a != b {
		t.Errorf("same seed, different runs:\n%s\n%s", a, b)
	}
	if a == c {
		t.Error("different seeds, same run")
	}
}
