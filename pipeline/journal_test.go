package pipeline

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/record"
)

// FuzzJournalLoad feeds arbitrary bytes as the body of a journal: loading
// never fails or panics, keeps only well-formed lines, and a journal it
// loaded takes new entries that the next load sees.
func FuzzJournalLoad(f *testing.F) {
	f.Add([]byte("0123456789abcdef 0123456789abcdef c\n"))
	f.Add([]byte("0123456789abcdef 0123456789abcdef c\nfedcba9876543210 00000000000000"))
	f.Add([]byte("zz\n\n  \n0123456789abcdef 0123456789abcdef x\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		path := filepath.Join(t.TempDir(), "j")
		header := journalMagic + " " + hashHex("scope") + "\n"
		if err := os.WriteFile(path, append([]byte(header), body...), 0o600); err != nil {
			t.Fatal(err)
		}
		j, err := OpenJournal(path, "scope", false)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		n := j.Len()
		if err := j.Record("new key", 42, record.Updated); err != nil {
			t.Fatal(err)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		j, err = OpenJournal(path, "scope", false)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer j.Close()
		if o, ok := j.Lookup("new key", 42); !ok || o != record.Updated {
			t.Fatalf("the appended entry is lost (body %q)", body)
		}
		if j.Len() < n {
			t.Fatalf("reopen lost entries: %d < %d", j.Len(), n)
		}
	})
}

// TestJournalLock: a journal open in one run cannot be opened by another
// (two imports of one file would both create every row), and the lock goes
// with Close and Remove.
func TestJournalLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	j, err := OpenJournal(path, "scope", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Record("k", 1, record.Created); err != nil {
		t.Fatal(err)
	}
	for _, restart := range []bool{false, true} {
		j2, err := OpenJournal(path, "scope", restart)
		var inUse *JournalInUseError
		if !errors.As(err, &inUse) {
			t.Fatalf("second open (restart %v): %v, want a JournalInUseError", restart, err)
		}
		if j2 != nil {
			t.Fatal("second open returned a journal")
		}
		if !strings.Contains(err.Error(), "another partnero-etl run is using the journal "+path) {
			t.Errorf("error %q", err)
		}
	}
	// The refused opens changed nothing: the first run's entry is there.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, err = OpenJournal(path, "scope", false)
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	if _, ok := j.Lookup("k", 1); !ok {
		t.Fatal("a refused open lost the journal's entry")
	}
	if err := j.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("journal still there after Remove: %v", err)
	}
	j, err = OpenJournal(path, "scope", false)
	if err != nil {
		t.Fatalf("open after remove: %v", err)
	}
	defer j.Close()
	if j.Len() != 0 {
		t.Errorf("a removed journal came back with %d rows", j.Len())
	}
}

// TestJournalLockAcrossProcesses holds the journal in a child process: this
// process cannot open it, and can once the child was killed with SIGKILL
// (the kernel drops the lock).
func TestJournalLockAcrossProcesses(t *testing.T) {
	if path := os.Getenv("PARTNERO_ETL_JOURNAL_HOLDER"); path != "" {
		j, err := OpenJournal(path, "scope", false)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		_, _ = io.Copy(io.Discard, os.Stdin) // hold the lock until killed
		_ = j.Close()
		os.Exit(0)
	}
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	path := filepath.Join(t.TempDir(), "j")
	cmd := exec.Command(os.Args[0], "-test.run=^TestJournalLockAcrossProcesses$")
	cmd.Env = append(os.Environ(), "PARTNERO_ETL_JOURNAL_HOLDER="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child: %q %v", line, err)
	}
	_, err = OpenJournal(path, "scope", false)
	var inUse *JournalInUseError
	if !errors.As(err, &inUse) {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("open while another process holds it: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	j, err := OpenJournal(path, "scope", false)
	if err != nil {
		t.Fatalf("open after the holder was killed: %v", err)
	}
	_ = j.Close()
}

// A journal is locked, truncated and deleted: it must be a regular file. A
// device or FIFO named by --journal is refused at once, and left as it was.
func TestJournalRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "journal.pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, path := range []string{fifo, dir} {
		done := make(chan error, 1)
		go func() {
			j, err := OpenJournal(path, "scope", false)
			if err == nil {
				j.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("OpenJournal(%s): err = %v, want a refusal", path, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("OpenJournal(%s) hangs", path)
		}
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was changed: %v %v", fi, err)
	}
}
