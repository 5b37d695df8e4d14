package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
)

// fsizeEnv, when set in the environment of the test binary itself, makes
// it a launcher: it limits the size of files the process may write
// (RLIMIT_FSIZE, a full disk without a full disk) and executes the program
// in fsizeExecEnv with its arguments. Go ignores SIGXFSZ, so a write past
// the limit fails with EFBIG as a write to a full disk fails with ENOSPC.
const (
	fsizeEnv     = "PARTNERO_E2E_FSIZE"
	fsizeExecEnv = "PARTNERO_E2E_FSIZE_EXEC"
)

func init() {
	limit := os.Getenv(fsizeEnv)
	if limit == "" {
		return
	}
	n, err := strconv.ParseUint(limit, 10, 64)
	if err == nil {
		err = syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n})
	}
	if err == nil {
		prog := os.Getenv(fsizeExecEnv)
		env := []string{}
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, fsizeEnv) {
				env = append(env, kv)
			}
		}
		err = syscall.Exec(prog, append([]string{prog}, os.Args[1:]...), env)
	}
	fmt.Fprintln(os.Stderr, "fsize launcher:", err)
	os.Exit(99)
}

// When the disk is full, the reject file and the report both fail: both
// errors are shown, and the report is written atomically (no partial or
// empty file is left where a script would read it).
func TestFullDiskShowsEveryError(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t, sandbox.Config{Seed: 5})
	dir := t.TempDir()
	var rows strings.Builder
	rows.WriteString("id,email,name\n")
	for i := range 50 {
		fmt.Fprintf(&rows, "p%03d,not-an-email-%03d,Name %d with a long enough text to fill the reject file\n", i, i, i)
	}
	input := filepath.Join(dir, "partners.csv")
	if err := os.WriteFile(input, []byte(rows.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "report.json")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd, _, errOut := importCmd(t.Context(), sb, dir, "partners", input, "--report", report)
	cmd.Env = append(cmd.Env, fsizeEnv+"=512", fsizeExecEnv+"="+binary)
	cmd.Path, cmd.Args[0] = self, self
	err = cmd.Run()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("want exit 1, got %v\n%s", err, errOut)
	}
	stderr := errOut.String()
	t.Logf("stderr:\n%s", stderr) // what a user sees
	if !strings.Contains(stderr, "partners.rejects.csv") || !strings.Contains(stderr, "report.json") {
		t.Errorf("stderr should name both failed files:\n%s", stderr)
	}
	if _, err := os.Stat(report); err == nil {
		t.Error("a partial report was left behind")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// fifoReader reads a named pipe from the start of the test to its end; it
// holds the pipe open for writing too, so writers never wait and it never
// sees an end of file between them.
type fifoReader struct {
	mu  sync.Mutex
	buf strings.Builder
}

func readFIFO(t *testing.T, path string) *fifoReader {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r := &fifoReader{}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := f.Read(b)
			r.mu.Lock()
			r.buf.Write(b[:n])
			r.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return r
}

// waitFor waits until the pipe delivered text containing want.
func (r *fifoReader) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		got := r.buf.String()
		r.mu.Unlock()
		if strings.Contains(got, want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t.Errorf("the pipe delivered %q, want it to contain %q", r.buf.String(), want)
}

// --rejects and --report on a device node or a FIFO (/dev/null, a named
// pipe) are written through: never replaced by a regular file (as root,
// that destroyed /dev/null). A journal, which is locked, truncated and
// deleted, must be a regular file: a FIFO is refused up front (exit 2).
// A FIFO stands for the device here: the test must not touch /dev/null.
func TestOutputsOnAFIFOAreWrittenThrough(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t, sandbox.Config{Seed: 6})
	dir := t.TempDir()
	input := filepath.Join(dir, "partners.csv")
	if err := os.WriteFile(input, []byte("id,email,name\np1,p1@example.com,A\np2,not-an-email,B\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rejects, report, journal := filepath.Join(dir, "rejects.pipe"), filepath.Join(dir, "report.pipe"), filepath.Join(dir, "journal.pipe")
	for _, p := range []string{rejects, report, journal} {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
	}
	rr, rp := readFIFO(t, rejects), readFIFO(t, report)

	res := runImport(t, sb, dir, "partners", input, "--rejects", rejects, "--report", report)
	if res.code != 3 {
		t.Fatalf("want exit 3 (one row is invalid), got %s", res)
	}
	rr.waitFor(t, "not-an-email")
	rp.waitFor(t, `"rejected": 1`)

	res = runImport(t, sb, dir, "partners", input, "--journal", journal)
	if res.code != 2 || !strings.Contains(res.stderr, "not a regular file") {
		t.Errorf("--journal on a FIFO: want exit 2 and a clear refusal, got %s", res)
	}
	for _, p := range []string{rejects, report, journal} {
		if fi, err := os.Lstat(p); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("%s was replaced: %v %v", p, fi, err)
		}
	}
}

// The same for a migration: its report and the failed reject file are
// both named, and no partial report is left.
func TestMigrateFullDiskShowsEveryError(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t, sandbox.Config{Seed: 5})
	dir := t.TempDir()
	args := migrateArgs(t, platformSamples[0], dir)[:7] // rewardful partners only
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := migrateProc(t.Context(), sb, dir, append(args, "--rate", "2000/s", "-q")...)
	var errOut strings.Builder
	cmd.Stderr = &errOut
	cmd.Env = append(cmd.Env, fsizeEnv+"=600", fsizeExecEnv+"="+binary)
	cmd.Path, cmd.Args[0] = self, self
	err = cmd.Run()
	stderr := errOut.String()
	t.Logf("stderr:\n%s", stderr) // what a user sees
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("want exit 1, got %v", err)
	}
	if !strings.Contains(stderr, "affiliates.rejects.") || !strings.Contains(stderr, "report.json") {
		t.Errorf("stderr should name both failed files")
	}
	if _, err := os.Stat(filepath.Join(dir, "report.json")); err == nil {
		t.Error("a partial report was left behind")
	}
}
