package pipeline

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/partnero-etl/partnero-etl/internal/atomicfile"
	"github.com/partnero-etl/partnero-etl/internal/flock"
	"github.com/partnero-etl/partnero-etl/record"
)

// The journal remembers which rows of an import the API has confirmed, so that
// running the same command again after a crash or an interrupt skips them.
//
// It is an append-only text file:
//
//	partnero-etl journal v1 <scope>
//	<key hash> <content hash> <outcome>
//	...
//
// A line is appended only after the API confirmed the write (or the target was
// found identical), and lines are synced to disk in batches: a crash can lose
// the last unsynced lines, never invent one. Rows whose lines were lost are
// simply processed again, and the sink reconciles them against what the target
// holds, so nothing is written twice. The journal holds hashes only: no keys,
// no emails, no API key. The scope line binds it to one entity and one
// target, so a journal is never applied to another program.

const journalMagic = "partnero-etl journal v1"

// JournalSyncEvery and JournalSyncInterval bound what a crash can lose: the
// journal is synced after this many entries or this much time, whichever
// comes first, and when it is closed.
const (
	JournalSyncEvery    = 512
	JournalSyncInterval = time.Second
)

// Journal is an open journal file. It is safe for concurrent use.
type Journal struct {
	path string

	mu       sync.Mutex
	syncMu   sync.Mutex // one fsync at a time, taken without mu
	f        *os.File
	w        *bufio.Writer
	done     map[uint64]journalEntry
	unsynced int
	lastSync time.Time
	now      func() time.Time
	err      error
}

type journalEntry struct {
	content uint64
	outcome record.Outcome
}

// DefaultJournalPath is where the journal of an import lives unless --journal
// says otherwise: beside the input file, named after it and the entity
// ("customers.csv" → ".customers.csv.customers.journal"), or, for standard
// input, in the working directory.
func DefaultJournalPath(input string, entity record.Entity) string {
	if input == "" || input == "-" {
		return fmt.Sprintf(".partnero-etl-stdin.%s.journal", entity)
	}
	dir, base := filepath.Split(input)
	return filepath.Join(dir, fmt.Sprintf(".%s.%s.journal", base, entity))
}

// OpenJournal opens the journal at path for the given scope (a string naming
// the entity and the target, hashed before it is written). The entries of an
// existing journal with the same scope are loaded unless restart is set; a
// journal of another scope, or any journal when restart is set, is replaced.
//
// The journal is locked for as long as it is open (flock(2), released by the
// kernel when the process ends, even by SIGKILL): two runs over one journal
// would both create every row the other has not journaled yet, and a
// transaction created twice is a commission paid twice. A second OpenJournal
// of a locked journal fails at once with a *JournalInUseError, before it
// reads or writes anything.
func OpenJournal(path, scope string, restart bool) (*Journal, error) {
	j := &Journal{path: path, done: make(map[uint64]journalEntry), now: time.Now}
	header := journalMagic + " " + hashHex(scope) + "\n"

	f, err := openLocked(path)
	if err != nil {
		return nil, err
	}
	j.f = f
	loaded := false
	if !restart {
		if loaded, err = j.load(header); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	j.w = bufio.NewWriterSize(f, 64<<10)
	j.lastSync = j.now()
	if loaded {
		return j, nil
	}
	// The file is opened for appending: after the truncation the header
	// is the first line.
	if err := f.Truncate(0); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("create journal %s: %w", path, err)
	}
	if _, err := j.w.WriteString(header); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("write journal %s: %w", path, err)
	}
	if err := j.syncLocked(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return j, nil
}

// JournalInUseError is the error of OpenJournal when another run (in this
// process or another) has the journal open.
type JournalInUseError struct {
	Path string
}

func (e *JournalInUseError) Error() string {
	return fmt.Sprintf("another partnero-etl run is using the journal %s: wait for it to finish (or stop it), then run again", e.Path)
}

// openLocked opens (or creates) the journal file for appending and takes an
// exclusive lock on it without waiting. A run that finishes deletes its
// journal while it still holds the lock, so a run that got the lock on a
// file that is no longer at path (or was replaced) opens path again.
func openLocked(path string) (*os.File, error) {
	// A device or FIFO at path would be locked, truncated and at the end
	// deleted (as root, --journal /dev/null would remove /dev/null).
	if err := atomicfile.CheckRegular(path); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		if err := flock.TryLock(f); err != nil {
			_ = f.Close()
			if errors.Is(err, flock.ErrLocked) {
				return nil, &JournalInUseError{Path: path}
			}
			return nil, fmt.Errorf("lock journal %s: %w", path, err)
		}
		held, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return f, nil
		}
		_ = f.Close()
		if err1 != nil {
			return nil, fmt.Errorf("journal: %w", err1)
		}
	}
	return nil, &JournalInUseError{Path: path}
}

// load reads an existing journal of the same scope from the start of j.f.
// It reports false when there is none (an empty file, or one of another
// scope, which is then overwritten). A torn last line (a crash in the middle
// of a write) is ignored; the file is padded with a newline so that appends
// start on a line of their own.
func (j *Journal) load(header string) (bool, error) {
	br := bufio.NewReaderSize(j.f, 64<<10)
	first, err := br.ReadString('\n')
	if err != nil || first != header {
		return false, nil
	}
	endsClean := true
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			endsClean = line[len(line)-1] == '\n'
			if endsClean {
				j.parseLine(line[:len(line)-1])
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return false, fmt.Errorf("read journal %s: %w", j.path, err)
		}
	}
	if !endsClean {
		if _, err := j.f.WriteString("\n"); err != nil {
			return false, fmt.Errorf("repair journal %s: %w", j.path, err)
		}
	}
	return true, nil
}

func (j *Journal) parseLine(line []byte) {
	fields := bytes.Fields(line)
	if len(fields) != 3 || len(fields[0]) != 16 || len(fields[1]) != 16 || len(fields[2]) != 1 {
		return
	}
	k, err1 := parseHex64(fields[0])
	c, err2 := parseHex64(fields[1])
	o := outcomeOfChar(fields[2][0])
	if err1 != nil || err2 != nil || o == 0 {
		return
	}
	j.done[k] = journalEntry{content: c, outcome: o}
}

// Path is the journal's file name.
func (j *Journal) Path() string { return j.path }

// Len is the number of rows the journal holds.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.done)
}

// Lookup returns the outcome a row with this identity and content had in an
// earlier run. A row whose content changed since is not done.
func (j *Journal) Lookup(key string, content uint64) (record.Outcome, bool) {
	kh := Hash64(key)
	j.mu.Lock()
	defer j.mu.Unlock()
	e, ok := j.done[kh]
	if !ok || e.content != content {
		return 0, false
	}
	return e.outcome, true
}

// Record appends a confirmed row. Only created, updated and unchanged rows
// are journaled: a rejected row is tried again by the next run.
func (j *Journal) Record(key string, content uint64, o record.Outcome) error {
	c := outcomeChar(o)
	if c == 0 {
		return nil
	}
	kh := Hash64(key)
	var line [16 + 1 + 16 + 1 + 1 + 1]byte
	hexPut(line[0:16], kh)
	line[16] = ' '
	hexPut(line[17:33], content)
	line[33] = ' '
	line[34] = c
	line[35] = '\n'

	f, due, err := j.append(kh, journalEntry{content: content, outcome: o}, line[:])
	if err != nil || !due {
		return err
	}
	// The lines are in the file; fsync without holding mu, so that a slow
	// disk does not stall every worker that has a row to record.
	return j.fsync(f)
}

// append adds one line under mu and, when a sync is due, hands the buffered
// lines to the file and returns it for an fsync.
func (j *Journal) append(kh uint64, e journalEntry, line []byte) (*os.File, bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return nil, false, j.err
	}
	j.done[kh] = e
	if _, err := j.w.Write(line); err != nil {
		j.err = fmt.Errorf("write journal %s: %w", j.path, err)
		return nil, false, j.err
	}
	j.unsynced++
	if j.unsynced < JournalSyncEvery && j.now().Sub(j.lastSync) < JournalSyncInterval {
		return nil, false, nil
	}
	if err := j.flushLocked(); err != nil {
		return nil, false, err
	}
	return j.f, true, nil
}

// Sync flushes and fsyncs what was recorded so far.
func (j *Journal) Sync() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.syncLocked()
}

func (j *Journal) flushLocked() error {
	if j.err != nil {
		return j.err
	}
	if err := j.w.Flush(); err != nil {
		j.err = fmt.Errorf("write journal %s: %w", j.path, err)
		return j.err
	}
	j.unsynced = 0
	j.lastSync = j.now()
	return nil
}

// fsync syncs f, one caller at a time; Record calls it without mu.
func (j *Journal) fsync(f *os.File) error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
		j.mu.Lock()
		if j.err == nil {
			j.err = fmt.Errorf("sync journal %s: %w", j.path, err)
		}
		err = j.err
		j.mu.Unlock()
		return err
	}
	return nil
}

func (j *Journal) syncLocked() error {
	if err := j.flushLocked(); err != nil {
		return err
	}
	if err := j.f.Sync(); err != nil {
		j.err = fmt.Errorf("sync journal %s: %w", j.path, err)
		return j.err
	}
	return nil
}

// Close syncs and closes the journal; the file stays for a resume.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.syncLocked()
	if cerr := j.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close journal %s: %w", j.path, cerr)
	}
	j.f = nil
	return err
}

// Remove deletes the journal's file and closes it: a run that finished has
// nothing to resume, and the next run reconciles against the target. The
// file is deleted while the lock is still held, so a run waiting to start
// never takes over a journal that is about to disappear (see openLocked).
func (j *Journal) Remove() error {
	j.mu.Lock()
	held := j.f != nil
	j.mu.Unlock()
	var err error
	if held {
		if rerr := atomicfile.RemoveRegular(j.path); rerr != nil {
			err = fmt.Errorf("remove journal %s: %w", j.path, rerr)
		}
	}
	if cerr := j.Close(); err == nil {
		err = cerr
	}
	return err
}

// Hash64 is the stable 64-bit hash (FNV-1a) journals and indexes use. It is
// stable across runs and machines, unlike hash/maphash.
func Hash64(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

func hashHex(s string) string {
	var b [16]byte
	hexPut(b[:], Hash64(s))
	return string(b[:])
}

func hexPut(dst []byte, v uint64) {
	var raw [8]byte
	for i := 7; i >= 0; i-- {
		raw[i] = byte(v)
		v >>= 8
	}
	hex.Encode(dst, raw[:])
}

func parseHex64(b []byte) (uint64, error) {
	var raw [8]byte
	if _, err := hex.Decode(raw[:], b); err != nil {
		return 0, err
	}
	var v uint64
	for _, c := range raw {
		v = v<<8 | uint64(c)
	}
	return v, nil
}

func outcomeChar(o record.Outcome) byte {
	switch o {
	case record.Created:
		return 'c'
	case record.Updated:
		return 'u'
	case record.Unchanged:
		return 'n'
	}
	return 0
}

func outcomeOfChar(c byte) record.Outcome {
	switch c {
	case 'c':
		return record.Created
	case 'u':
		return record.Updated
	case 'n':
		return record.Unchanged
	}
	return 0
}

// JournalScope names what a journal belongs to: the entity and the target
// (base URL and the program's public id when known). Hashed in the file.
func JournalScope(entity record.Entity, target ...string) string {
	return string(entity) + "|" + strings.Join(target, "|")
}
