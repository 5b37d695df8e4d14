package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/partnero-etl/partnero-etl/internal/atomicfile"
)

// MaxBatchTransactions is the most transactions one batch create
// (transactions[]) takes; more is a 422 on "transactions". The contract
// names no cap: 100 is a guess (a typical Laravel "max:100" rule, and what
// the import sends per request), documented in README.md.
const MaxBatchTransactions = 100

// limiter is Laravel's throttle for one key: a fixed window that opens at
// the first request and allows max hits; refused requests are not counted.
// A 429 burst, when injected, refuses everything until burstUntil.
type limiter struct {
	mu         sync.Mutex
	start      time.Time
	hits       int64
	burstUntil time.Time
}

func (l *limiter) reset() {
	l.mu.Lock()
	l.start, l.hits, l.burstUntil = time.Time{}, 0, time.Time{}
	l.mu.Unlock()
}

// throttle counts a request against its key's budget. It returns the rate
// limit headers for the response, and a 429 when the request is refused.
func (s *Server) throttle(p *program, now time.Time) (http.Header, *response) {
	burst := s.chance(s.cfg.Burst429Rate)
	var burstLen time.Duration
	if burst {
		burstLen = time.Duration(250+s.intN(1750)) * time.Millisecond
	}
	l := &p.limiter
	l.mu.Lock()
	defer l.mu.Unlock()
	if burst {
		if until := now.Add(burstLen); until.After(l.burstUntil) {
			l.burstUntil = until
		}
	}
	if s.cfg.RateLimit <= 0 {
		if now.Before(l.burstUntil) {
			return nil, tooMany(http.Header{}, l.burstUntil, now)
		}
		return nil, nil
	}
	max := int64(math.Round(s.cfg.RateLimit * s.cfg.RateWindow.Seconds()))
	if max < 1 {
		max = 1
	}
	if l.start.IsZero() || !now.Before(l.start.Add(s.cfg.RateWindow)) {
		l.start, l.hits = now, 0
	}
	h := http.Header{}
	h.Set("X-RateLimit-Limit", strconv.FormatInt(max, 10))
	if now.Before(l.burstUntil) {
		h.Set("X-RateLimit-Remaining", strconv.FormatInt(max-l.hits, 10))
		return h, tooMany(h, l.burstUntil, now)
	}
	if l.hits >= max {
		h.Set("X-RateLimit-Remaining", "0")
		return h, tooMany(h, l.start.Add(s.cfg.RateWindow), now)
	}
	l.hits++
	h.Set("X-RateLimit-Remaining", strconv.FormatInt(max-l.hits, 10))
	return h, nil
}

// tooMany is the 429 with Retry-After in whole seconds (rounded up, at
// least 1) and X-RateLimit-Reset as epoch seconds.
func tooMany(h http.Header, until, now time.Time) *response {
	wait := until.Sub(now)
	secs := int64(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	h = h.Clone()
	h.Set("Retry-After", strconv.FormatInt(secs, 10))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Unix()+secs, 10))
	return &response{status: http.StatusTooManyRequests, body: messageBody{Message: "Too Many Attempts."}, header: h}
}

// Stats is a snapshot of what the sandbox served, for tests and benchmarks.
type Stats struct {
	// Total counts /v1 requests, whatever their outcome.
	Total int64 `json:"total"`
	// RateLimited counts 429 answers (throttle and injected bursts).
	RateLimited int64 `json:"rate_limited"`
	// Faults counts injected 500/502/503 answers.
	Faults int64 `json:"faults"`
	// Dropped counts writes committed whose connection was then dropped.
	Dropped int64 `json:"dropped"`
	// ByStatus counts answers by status code; "dropped" and "canceled" (the
	// client left during the injected latency) stand for no answer.
	ByStatus map[string]int64 `json:"by_status"`
	// Routes counts by route pattern such as "GET /partners/{id}".
	Routes map[string]RouteStats `json:"routes"`
	// Programs has the record counts of each program, in key order.
	Programs []ProgramStats `json:"programs"`
}

// RouteStats counts one route's requests by status.
type RouteStats struct {
	Total    int64            `json:"total"`
	ByStatus map[string]int64 `json:"by_status"`
}

// ProgramStats is the record count of one program (never its key).
type ProgramStats struct {
	PubID        string `json:"pub_id"`
	Name         string `json:"name"`
	Partners     int    `json:"partners"`
	Customers    int    `json:"customers"`
	Transactions int    `json:"transactions"`
}

type statsRecorder struct {
	mu       sync.Mutex
	total    int64
	faults   int64
	byStatus map[string]int64
	routes   map[string]*RouteStats
}

func (r *statsRecorder) record(route, status string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.routes == nil {
		r.routes = map[string]*RouteStats{}
		r.byStatus = map[string]int64{}
	}
	r.total++
	r.byStatus[status]++
	rs := r.routes[route]
	if rs == nil {
		rs = &RouteStats{ByStatus: map[string]int64{}}
		r.routes[route] = rs
	}
	rs.Total++
	rs.ByStatus[status]++
}

func (r *statsRecorder) fault() {
	r.mu.Lock()
	r.faults++
	r.mu.Unlock()
}

func (r *statsRecorder) reset() {
	r.mu.Lock()
	r.total, r.faults, r.byStatus, r.routes = 0, 0, nil, nil
	r.mu.Unlock()
}

// Stats returns a snapshot of the request counters and record counts.
func (s *Server) Stats() Stats {
	st := Stats{ByStatus: map[string]int64{}, Routes: map[string]RouteStats{}}
	s.stats.mu.Lock()
	st.Total, st.Faults = s.stats.total, s.stats.faults
	for k, v := range s.stats.byStatus {
		st.ByStatus[k] = v
	}
	for k, v := range s.stats.routes {
		rs := RouteStats{Total: v.Total, ByStatus: make(map[string]int64, len(v.ByStatus))}
		for sk, sv := range v.ByStatus {
			rs.ByStatus[sk] = sv
		}
		st.Routes[k] = rs
	}
	s.stats.mu.Unlock()
	st.RateLimited = st.ByStatus["429"]
	st.Dropped = st.ByStatus["dropped"]
	for _, p := range s.all {
		p.mu.Lock()
		st.Programs = append(st.Programs, ProgramStats{
			PubID: p.PubID, Name: p.Name,
			Partners: p.partners.len(), Customers: p.customers.len(), Transactions: p.transactions.len(),
		})
		p.mu.Unlock()
	}
	return st
}

// dataFile is the on-disk form of the sandbox's state.
type dataFile struct {
	Version  int        `json:"version"`
	Programs []snapshot `json:"programs"`
}

// Save writes every program to the data file atomically (a temporary file
// in the same folder, synced, then renamed over the old one) and empties the
// data log, which the file now holds. Every program is held for the whole
// save, so the file and the emptied log describe one moment. Without a data
// file it does nothing.
func (s *Server) Save() error {
	if s.cfg.DataFile == "" {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	for _, p := range s.all {
		p.mu.Lock()
		defer p.mu.Unlock()
	}
	if s.log != nil {
		s.log.mu.Lock()
		defer s.log.mu.Unlock()
	}
	// A link to the data file stays a link (the file it names is
	// replaced); a device or FIFO never holds the state.
	if kind, _, err := atomicfile.Inspect(s.cfg.DataFile); err != nil || kind != atomicfile.Replace {
		if err == nil {
			err = &atomicfile.NotFileError{Path: s.cfg.DataFile, What: "a device or a FIFO"}
		}
		return fmt.Errorf("save sandbox data: %w", err)
	}
	f, err := atomicfile.Create(s.cfg.DataFile, 0o600)
	if err != nil {
		return fmt.Errorf("save sandbox data: %w", err)
	}
	if err := s.encode(f); err != nil {
		f.Abort()
		return fmt.Errorf("save sandbox data %s: %w", s.cfg.DataFile, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("save sandbox data: %w", err)
	}
	if s.log != nil {
		return s.log.truncateLocked()
	}
	return nil
}

// encode writes the data file (every program's mu held).
func (s *Server) encode(f io.Writer) error {
	if _, err := io.WriteString(f, `{"version":1,"programs":[`); err != nil {
		return err
	}
	for i, p := range s.all {
		b, err := json.Marshal(p.snapshot())
		if err != nil {
			return err
		}
		if i > 0 {
			if _, err := io.WriteString(f, ",\n"); err != nil {
				return err
			}
		}
		if _, err := f.Write(b); err != nil {
			return err
		}
	}
	_, err := io.WriteString(f, "]}\n")
	return err
}

// load reads the data file; a missing file is an empty sandbox. Programs
// of keys no longer configured are kept (and saved again) but unreachable.
func (s *Server) load() error {
	b, err := os.ReadFile(s.cfg.DataFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load sandbox data: %w", err)
	}
	var df dataFile
	if err := json.Unmarshal(b, &df); err != nil {
		return fmt.Errorf("load sandbox data %s: %w", s.cfg.DataFile, err)
	}
	if df.Version != 1 {
		return fmt.Errorf("load sandbox data %s: unknown version %d", s.cfg.DataFile, df.Version)
	}
	for i, snap := range df.Programs {
		if snap.Key == "" {
			return fmt.Errorf("load sandbox data %s: program %d has no key", s.cfg.DataFile, i+1)
		}
		p := s.programs[snap.Key]
		if p == nil {
			p = newProgram(snap.Key, snap.PubID, snap.Name, uint64(s.cfg.Seed)+uint64(len(s.all))*7919)
			s.all = append(s.all, p)
		}
		p.restore(snap)
	}
	return nil
}
