// Package sandbox is a Partnero-compatible API server: an http.Handler and an
// in-memory store that emulate the Partnero REST API v1 as the project's API
// contract describes it (auth, partners, customers, transactions, the
// paginator, validation errors, rate limits), for tests, rehearsals and demos,
// because the real service has no test mode and cannot be reached from CI.
//
// It is as strict as the real API plausibly is, and misbehaves on demand:
// latency and jitter, a per-key rate limit with Laravel's throttle headers,
// injected 5xx faults with HTML bodies, bursts of 429s, and writes that commit
// and then drop the connection before answering. GET /_sandbox/stats counts
// requests by route and status, so tests can measure what a run cost.
package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config configures a sandbox. The zero value of every field but Keys is a
// quiet, fast, fault-free server.
type Config struct {
	// Keys are the accepted API keys, one program each (at least one).
	Keys []string
	// RateLimit is the budget per key in requests per second; 0 means none.
	RateLimit float64
	// RateWindow is the throttle's fixed window, as Laravel's throttle keeps
	// one ("600 per minute"): the window allows RateLimit*RateWindow requests.
	// 0 means one minute.
	RateWindow time.Duration
	// Latency is added to every /v1 request, plus or minus up to Jitter.
	Latency, Jitter time.Duration
	// FaultRate is the chance that a /v1 request gets a 500, 502 or 503 with
	// an HTML body instead of being handled.
	FaultRate float64
	// Burst429Rate is the chance that a request starts a burst of 429s for
	// its key lasting up to two seconds.
	Burst429Rate float64
	// DropAfterCommitRate is the chance that a successful write (POST, PUT,
	// DELETE) is committed and then its connection is closed before any
	// response is written.
	DropAfterCommitRate float64
	// StrictTransactionKeys makes a repeated transaction key a 422 instead of
	// a second transaction.
	StrictTransactionKeys bool
	// Commission is the program's commission rate; 0 means the default 0.3.
	Commission float64
	// DataFile, when set, is loaded by New and written by Save and Close.
	DataFile string
	// Seed seeds every random choice (faults, latency, generated ids), for
	// reproducible runs.
	Seed int64
	// MaxBodyBytes caps request bodies (413 beyond); 0 means 10 MB.
	MaxBodyBytes int64
	// CompactLogBytes is the size of the data log past which a write
	// saves the data file and empties the log; 0 means 64 MB.
	CompactLogBytes int64
	// PromotionCodesWideLimit makes GET /promotion-codes take limit
	// 1..250 (default 15), as one doc version says, instead of the other's
	// 10..100 (default 10).
	PromotionCodesWideLimit bool
}

// DefaultCommission is the commission rate when Config.Commission is 0.
const DefaultCommission = 0.3

// Server is the sandbox: an http.Handler serving the API under /v1/ and its
// own endpoints under /_sandbox/. It is safe for concurrent use.
type Server struct {
	cfg        Config
	commission string // exact decimal text of the commission rate
	programs   map[string]*program
	all        []*program // configured keys first, then programs only the data file knows
	routes     []*route

	rngMu sync.Mutex
	rng   *rand.Rand // faults and latency

	stats statsRecorder

	extras extraStore // the other list endpoints' seeded objects (lists.go)

	saveMu    sync.Mutex
	compactMu sync.Mutex
	log       *dataLog // with DataFile: every acknowledged write, synced
}

// New builds a sandbox from cfg, loading cfg.DataFile when it exists.
func New(cfg Config) (*Server, error) {
	if len(cfg.Keys) == 0 {
		return nil, errors.New("sandbox: at least one key is required")
	}
	for name, v := range map[string]float64{"fault rate": cfg.FaultRate, "burst 429 rate": cfg.Burst429Rate, "drop-after-commit rate": cfg.DropAfterCommitRate} {
		if v < 0 || v > 1 {
			return nil, fmt.Errorf("sandbox: %s %v is not between 0 and 1", name, v)
		}
	}
	if cfg.RateLimit < 0 || cfg.Latency < 0 || cfg.Jitter < 0 || cfg.RateWindow < 0 || cfg.MaxBodyBytes < 0 {
		return nil, errors.New("sandbox: rate limit, window, latency, jitter and body cap must not be negative")
	}
	if cfg.Commission == 0 {
		cfg.Commission = DefaultCommission
	}
	if cfg.Commission < 0 || cfg.Commission > 1 {
		return nil, fmt.Errorf("sandbox: commission %v is not between 0 and 1", cfg.Commission)
	}
	if cfg.RateWindow == 0 {
		cfg.RateWindow = time.Minute
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 10 << 20
	}
	if cfg.CompactLogBytes <= 0 {
		cfg.CompactLogBytes = defaultCompactAt
	}
	s := &Server{
		cfg:        cfg,
		commission: strconv.FormatFloat(cfg.Commission, 'f', -1, 64),
		programs:   map[string]*program{},
		rng:        rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed)),
		routes:     buildRoutes(),
	}
	for i, key := range cfg.Keys {
		if key == "" || strings.ContainsAny(key, " \t\r\n") {
			return nil, fmt.Errorf("sandbox: key %d is empty or contains white space", i+1)
		}
		if s.programs[key] != nil {
			return nil, fmt.Errorf("sandbox: key %d is repeated", i+1)
		}
		p := newProgram(key, pubID(key), fmt.Sprintf("Sandbox program %d", i+1), uint64(cfg.Seed)+uint64(i)*7919)
		s.programs[key] = p
		s.all = append(s.all, p)
	}
	if cfg.DataFile != "" {
		if err := s.load(); err != nil {
			return nil, err
		}
		// Checked now, not at exit: --data on a path that cannot be
		// written would lose every write of the run.
		log, err := openLog(cfg.DataFile, cfg.CompactLogBytes)
		if err != nil {
			return nil, err
		}
		s.log = log
		n, err := s.replay()
		if err == nil && n > 0 {
			err = s.Save() // fold the replayed writes into the data file
		}
		if err != nil {
			log.close()
			return nil, err
		}
	}
	return s, nil
}

// pubID derives a program's public id from its key without revealing it.
func pubID(key string) string {
	sum := sha256.Sum256([]byte("partnero-sandbox:" + key))
	return hex.EncodeToString(sum[:4])
}

// Close saves the data file (when configured) and closes its log. The
// handler keeps working, but writes after Close are not kept.
func (s *Server) Close() error {
	err := s.Save()
	if s.log != nil {
		s.saveMu.Lock()
		defer s.saveMu.Unlock()
		if cerr := s.log.close(); err == nil && cerr != nil {
			err = fmt.Errorf("close %s: %w", s.log.path, cerr)
		}
		if err == nil {
			os.Remove(s.log.path) // empty: the data file holds everything
		}
	}
	return err
}

// response is what a handler answers; ServeHTTP writes it (or drops it).
type response struct {
	status int
	body   any    // JSON-encoded; nil for no body
	html   string // an HTML body instead (proxy and framework error pages)
	plain  bool   // encode as Go does, not as PHP (the sandbox's own endpoints)
	header http.Header
}

type messageBody struct {
	Message string `json:"message"`
	Status  *int   `json:"status,omitempty"`
}

// message is the API's error body {"message": .., "status": 0}.
func message(msg string) messageBody { return messageBody{Message: msg, Status: ptr(0)} }

func errorResponse(status int, msg string) response {
	return response{status: status, body: message(msg)}
}

type dataBody struct {
	Data   any `json:"data"`
	Status int `json:"status"`
}

type statusBody struct {
	Status int `json:"status"`
}

func ok(data any) response {
	return response{status: http.StatusOK, body: dataBody{Data: data, Status: 1}}
}
func created(data any) response {
	return response{status: http.StatusCreated, body: dataBody{Data: data, Status: 1}}
}
func done() response { return response{status: http.StatusOK, body: statusBody{Status: 1}} }

// call is one request being handled: its program (locked), input and route.
type call struct {
	s      *Server
	p      *program
	r      *http.Request
	in     map[string]any
	params []string
	now    time.Time
	// The settings a write depends on, logged with it so that a replay
	// after a restart with other flags does what the write did.
	strict     bool   // StrictTransactionKeys
	commission string // exact decimal
}

func (c *call) form() form { return form{root: c.in, e: &verrs{}} }

func (c *call) param(i int) string { return c.params[i] }

// ServeHTTP routes /v1/ to the API and /_sandbox/ to the sandbox's own endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	switch {
	case strings.HasPrefix(path, "/_sandbox/"):
		s.serveAdmin(w, r, strings.TrimPrefix(path, "/_sandbox/"))
	case path == "/v1" || strings.HasPrefix(path, "/v1/"):
		s.serveAPI(w, r, strings.TrimPrefix(strings.TrimPrefix(path, "/v1"), "/"))
	default:
		writeResponse(w, r, errorResponse(http.StatusNotFound, "Not Found"))
	}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, path string) {
	rt, params, resp := s.match(r.Method, path)
	routeName := "UNMATCHED"
	if rt != nil {
		routeName = rt.name
	}
	status := "canceled"
	defer func() {
		if status != "" {
			s.stats.record(routeName, status)
		}
	}()

	if err := s.delay(r.Context()); err != nil {
		// The client went away while the request was "on the network".
		return
	}
	if resp != nil {
		status = strconv.Itoa(resp.status)
		writeResponse(w, r, *resp)
		return
	}

	p := s.programs[bearer(r)]
	if p == nil {
		status = "401"
		writeResponse(w, r, response{status: http.StatusUnauthorized, body: messageBody{Message: "Unauthenticated."}})
		return
	}

	limitHeader, limited := s.throttle(p, time.Now())
	if limited != nil {
		status = "429"
		copyHeader(w.Header(), limitHeader)
		writeResponse(w, r, *limited)
		return
	}
	copyHeader(w.Header(), limitHeader)

	if f := s.fault(); f != nil {
		status = strconv.Itoa(f.status)
		if f.status != http.StatusInternalServerError {
			// 502 and 503 come from the proxy in front of the application,
			// which knows nothing of the application's rate limit headers.
			w.Header().Del("X-RateLimit-Limit")
			w.Header().Del("X-RateLimit-Remaining")
		}
		writeResponse(w, r, *f)
		return
	}

	logged := s.log != nil && rt.write
	var body []byte
	if logged && r.Body != nil {
		// Kept for the data log; readInput still applies the body cap.
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, s.cfg.MaxBodyBytes+1)); err != nil {
			status = "400"
			writeResponse(w, r, errorResponse(http.StatusBadRequest, "The request body could not be read."))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	in, bad := readInput(r, s.cfg.MaxBodyBytes)
	if bad != nil {
		status = strconv.Itoa(bad.status)
		writeResponse(w, r, *bad)
		return
	}

	p.mu.Lock()
	var rng []byte
	if logged {
		rng, _ = p.pcg.MarshalBinary()
	}
	c := &call{s: s, p: p, r: r, in: in, params: params, now: time.Now().UTC().Truncate(time.Second),
		strict: s.cfg.StrictTransactionKeys, commission: s.commission}
	out := rt.h(c)
	var perr error
	logged = logged && out.status < 300
	if logged {
		perr = s.logWrite(p, r, path, body, c, rng)
	}
	p.mu.Unlock()
	if logged && perr == nil {
		// Durable before the client hears yes.
		perr = s.log.sync()
	}
	if perr != nil {
		out = errorResponse(http.StatusInternalServerError, "Server Error")
		logged = false
	}
	if logged && s.log.full() {
		defer s.compact() // after the answer
	}

	status = strconv.Itoa(out.status)
	if rt.write && out.status < 300 && s.chance(s.cfg.DropAfterCommitRate) {
		// Counted before the client can see the drop (a test reading the
		// statistics after its error must find it).
		s.stats.record(routeName, "dropped")
		status = ""
		dropConnection(w)
		return
	}
	writeResponse(w, r, out)
}

// dropConnection closes the client's connection without a response: the
// write has been committed, the client sees a network error.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	// HTTP/2 and recorders cannot be hijacked: abort the stream instead.
	panic(http.ErrAbortHandler)
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v
	}
}

// bearer returns the request's bearer token, "" when there is none.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// delay sleeps the configured latency plus jitter, or until ctx ends.
func (s *Server) delay(ctx context.Context) error {
	if s.cfg.Latency == 0 && s.cfg.Jitter == 0 {
		return ctx.Err()
	}
	d := s.cfg.Latency
	if s.cfg.Jitter > 0 {
		s.rngMu.Lock()
		d += time.Duration(s.rng.Int64N(int64(2*s.cfg.Jitter)+1)) - s.cfg.Jitter
		s.rngMu.Unlock()
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// chance draws true with probability p from the seeded source.
func (s *Server) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64() < p
}

func (s *Server) intN(n int) int {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.IntN(n)
}

// fault draws an injected server error, or nil.
func (s *Server) fault() *response {
	if !s.chance(s.cfg.FaultRate) {
		return nil
	}
	s.stats.fault()
	switch s.intN(3) {
	case 0:
		return &response{status: http.StatusInternalServerError, html: laravelErrorPage}
	case 1:
		return &response{status: http.StatusBadGateway, html: nginxPage("502 Bad Gateway")}
	default:
		return &response{status: http.StatusServiceUnavailable, html: nginxPage("503 Service Temporarily Unavailable")}
	}
}

func nginxPage(title string) string {
	return "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
}

const laravelErrorPage = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Server Error</title></head>
<body><div class="flex-center"><div class="code">500</div><div class="message">Server Error</div></div></body>
</html>
`

// writeResponse writes a response with the API's exact Content-Type.
func writeResponse(w http.ResponseWriter, r *http.Request, resp response) {
	copyHeader(w.Header(), resp.header)
	if resp.html != "" {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(resp.status)
		if r.Method != http.MethodHead {
			fmt.Fprint(w, resp.html)
		}
		return
	}
	var b []byte
	var err error
	if resp.plain {
		b, err = json.Marshal(resp.body)
	} else {
		b, err = phpJSON(resp.body)
	}
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"message":"Server Error"}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache, private")
	w.WriteHeader(resp.status)
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

// baseURL is the request's own URL up to the path, for paginator links.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host
}

// pathURL is the paginator's "path": the request URL without its query.
func pathURL(r *http.Request) string {
	u := url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath}
	return baseURL(r) + strings.TrimSuffix(u.EscapedPath(), "/")
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request, path string) {
	switch {
	case path == "stats" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		writeResponse(w, r, response{status: http.StatusOK, body: s.Stats(), plain: true})
	case path == "reset" && r.Method == http.MethodPost:
		s.Reset()
		writeResponse(w, r, done())
	case path == "seed" && r.Method == http.MethodPost:
		writeResponse(w, r, s.seed(r))
	case path == "stats" || path == "reset":
		writeResponse(w, r, errorResponse(http.StatusMethodNotAllowed, "Method Not Allowed"))
	default:
		writeResponse(w, r, errorResponse(http.StatusNotFound, "Not Found"))
	}
}

// Reset empties every program and the request counters. With a data file
// the reset is logged like a write, so it survives a crash too.
func (s *Server) Reset() {
	for _, p := range s.all {
		p.mu.Lock()
	}
	if s.log != nil {
		e := &logEntry{Reset: true, Now: time.Now().UTC()}
		if s.log.append(e) == nil {
			for _, p := range s.all {
				p.appliedSeq = e.Seq
			}
		}
	}
	for _, p := range s.all {
		p.reset()
		p.mu.Unlock()
		s.extras.reset(p)
		p.limiter.reset()
	}
	if s.log != nil {
		_ = s.log.sync()
	}
	s.stats.reset()
}

// phpJSON encodes v as PHP's json_encode does with Laravel's defaults:
// slashes escaped ("\/") and non-ASCII characters as \uXXXX escapes. Clients
// must decode both, as they must for the real API.
func phpJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := jsonEncoder(&buf)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	out := make([]byte, 0, len(b)+len(b)/16)
	inString := false
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case !inString:
			if c == '"' {
				inString = true
			}
			out = append(out, c)
			i++
		case c == '\\':
			out = append(out, b[i], b[i+1])
			i += 2
		case c == '"':
			inString = false
			out = append(out, c)
			i++
		case c == '/':
			out = append(out, '\\', '/')
			i++
		case c < 0x80:
			out = append(out, c)
			i++
		default:
			r, size := decodeRune(b[i:])
			out = appendUnicodeEscape(out, r)
			i += size
		}
	}
	return out, nil
}
