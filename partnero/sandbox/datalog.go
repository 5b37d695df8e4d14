package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/partnero-etl/partnero-etl/internal/atomicfile"
	"github.com/partnero-etl/partnero-etl/internal/flock"
)

// The data log makes --data durable between saves: every write the sandbox
// acknowledges is appended to DataFile+".log" and synced before the answer
// is sent, so a sandbox killed with SIGKILL loses nothing it said yes to.
// A start replays the log over the data file; Save (on exit, and when the
// log has grown past Config.CompactLogBytes) writes the data file and empties
// the log.
//
// An entry is the request itself (method, path, query, body) with what the
// handler drew besides it: the time, the state of the program's id
// generator, and the settings a write depends on. Replaying it runs the same
// handler on the same state and so makes the same records, ids and keys,
// without a second description of every change to keep in step with the
// handlers. Each program records the sequence number of the last entry it
// holds, so entries a saved data file already has are skipped (a crash
// between writing the data file and emptying the log).

// LogSuffix is appended to Config.DataFile to name the data log.
const LogSuffix = ".log"

// defaultCompactAt is the log size past which a write triggers a Save
// (Config.CompactLogBytes).
const defaultCompactAt = 64 << 20

type logEntry struct {
	Seq        int64     `json:"seq"`
	Reset      bool      `json:"reset,omitempty"`
	Key        string    `json:"key,omitempty"`
	Method     string    `json:"method,omitempty"`
	Path       string    `json:"path,omitempty"` // relative to /v1/, escaped
	Query      string    `json:"query,omitempty"`
	CType      string    `json:"content_type,omitempty"`
	Body       []byte    `json:"body,omitempty"`
	Now        time.Time `json:"now"`
	RNG        []byte    `json:"rng,omitempty"`
	Strict     bool      `json:"strict,omitempty"`
	Commission string    `json:"commission,omitempty"`
}

// dataLog is the open log. mu orders appends; callers append while holding
// the lock of the program written, so a program's entries are in the order
// its writes were applied.
type dataLog struct {
	path string

	compactAt int64

	mu   sync.Mutex
	f    *os.File
	seq  int64
	size int64
}

// openLog opens (creating) the data log beside the data file and checks,
// now rather than at exit, that the data file can be saved there: its
// folder takes new files and the path is not a folder or a device.
func openLog(dataFile string, compactAt int64) (*dataLog, error) {
	kind, dest, err := atomicfile.Inspect(dataFile)
	if err == nil && kind != atomicfile.Replace {
		err = &atomicfile.NotFileError{Path: dataFile, What: "a device or a FIFO"}
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox data %s: %w", dataFile, err)
	}
	dir := filepath.Dir(dest)
	probe, err := os.CreateTemp(dir, "."+filepath.Base(dataFile)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("sandbox data %s: cannot write in %s: %w", dataFile, dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	path := dataFile + LogSuffix
	if err := atomicfile.CheckRegular(path); err != nil {
		return nil, fmt.Errorf("sandbox data log %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sandbox data log %s: %w", path, err)
	}
	// Two sandboxes on one data file would interleave their logs and
	// overwrite each other's saves.
	if err := flock.TryLock(f); err != nil {
		f.Close()
		if errors.Is(err, flock.ErrLocked) {
			return nil, fmt.Errorf("sandbox data %s is in use by another sandbox", dataFile)
		}
		return nil, fmt.Errorf("sandbox data log %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox data log %s: %w", path, err)
	}
	return &dataLog{path: path, f: f, size: fi.Size(), compactAt: compactAt}, nil
}

// append writes one entry (not yet synced) and gives it its number.
func (l *dataLog) append(e *logEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return errors.New("the data log is closed")
	}
	l.seq++
	e.Seq = l.seq
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	n, err := l.f.Write(b)
	l.size += int64(n)
	if err != nil {
		return fmt.Errorf("write %s: %w", l.path, err)
	}
	return nil
}

// sync makes every appended entry durable.
func (l *dataLog) sync() error {
	l.mu.Lock()
	f := l.f
	l.mu.Unlock()
	if f == nil {
		return errors.New("the data log is closed")
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", l.path, err)
	}
	return nil
}

func (l *dataLog) full() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size > l.compactAt
}

// truncate empties the log once a saved data file holds all of it (mu held).
func (l *dataLog) truncateLocked() error {
	if l.f == nil {
		return nil
	}
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("empty %s: %w", l.path, err)
	}
	l.size = 0
	return l.f.Sync()
}

func (l *dataLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// logWrite records an acknowledged write of program p (p.mu held).
func (s *Server) logWrite(p *program, r *http.Request, path string, body []byte, c *call, rng []byte) error {
	e := &logEntry{
		Key: p.key, Method: r.Method, Path: path, Query: r.URL.RawQuery, CType: r.Header.Get("Content-Type"),
		Body: body, Now: c.now, RNG: rng, Strict: c.strict, Commission: c.commission,
	}
	if err := s.log.append(e); err != nil {
		return err
	}
	p.appliedSeq = e.Seq
	return nil
}

// replay applies the log's entries that the data file does not hold. A
// torn last line (a crash in the middle of an append) is ignored.
func (s *Server) replay() (int, error) {
	if _, err := s.log.f.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("read %s: %w", s.log.path, err)
	}
	br := bufio.NewReaderSize(s.log.f, 1<<20)
	applied := 0
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			break // a line without its newline is torn: never acknowledged
		}
		if err != nil {
			return applied, fmt.Errorf("read %s: %w", s.log.path, err)
		}
		var e logEntry
		if err := json.Unmarshal(line, &e); err != nil || e.Seq <= 0 {
			return applied, fmt.Errorf("sandbox data log %s:%d: not a log entry", s.log.path, lineNo)
		}
		s.log.seq = max(s.log.seq, e.Seq)
		ok, err := s.apply(&e)
		if err != nil {
			return applied, fmt.Errorf("sandbox data log %s:%d: %w", s.log.path, lineNo, err)
		}
		if ok {
			applied++
		}
	}
	for _, p := range s.all {
		s.log.seq = max(s.log.seq, p.appliedSeq)
	}
	return applied, nil
}

// apply replays one entry; false when the data file already held it.
func (s *Server) apply(e *logEntry) (bool, error) {
	if e.Reset {
		did := false
		for _, p := range s.all {
			if p.appliedSeq < e.Seq {
				p.reset()
				p.appliedSeq = e.Seq
				did = true
			}
		}
		return did, nil
	}
	var p *program
	for _, q := range s.all {
		if q.key == e.Key {
			p = q
		}
	}
	if p == nil {
		// A key no longer configured, written after the last save: keep
		// its program, as a data file keeps it.
		p = newProgram(e.Key, pubID(e.Key), fmt.Sprintf("Sandbox program %d", len(s.all)+1), uint64(s.cfg.Seed)+uint64(len(s.all))*7919)
		s.all = append(s.all, p)
	}
	if e.Seq <= p.appliedSeq {
		return false, nil
	}
	rt, params, resp := s.match(e.Method, e.Path)
	if resp != nil || rt == nil {
		return false, fmt.Errorf("%s /v1/%s: no such route", e.Method, e.Path)
	}
	if err := p.pcg.UnmarshalBinary(e.RNG); err != nil {
		return false, fmt.Errorf("generator state: %w", err)
	}
	req, err := http.NewRequest(e.Method, "/v1/"+e.Path+"?"+e.Query, bytes.NewReader(e.Body))
	if err != nil {
		return false, err
	}
	if e.CType != "" {
		req.Header.Set("Content-Type", e.CType)
	}
	in, bad := readInput(req, max(s.cfg.MaxBodyBytes, int64(len(e.Body))))
	if bad != nil {
		return false, fmt.Errorf("%s /v1/%s: input refused on replay", e.Method, e.Path)
	}
	c := &call{s: s, p: p, r: req, in: in, params: params, now: e.Now, strict: e.Strict, commission: e.Commission}
	if out := rt.h(c); out.status >= 300 {
		return false, fmt.Errorf("%s /v1/%s: answered %d on replay, %s", e.Method, e.Path, out.status, "the data file and its log disagree")
	}
	p.appliedSeq = e.Seq
	return true, nil
}

// compact saves the data file when the log is past its size, once: the
// writes that found it full at the same time find it empty after the first.
func (s *Server) compact() {
	s.compactMu.Lock()
	defer s.compactMu.Unlock()
	if s.log.full() {
		_ = s.Save() // on failure the log keeps everything; the next write tries again
	}
}
