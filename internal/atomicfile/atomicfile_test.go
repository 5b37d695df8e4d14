//go:build unix

package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func write(t *testing.T, path, text string) error {
	t.Helper()
	return WriteFile(path, 0o600, func(w io.Writer) error {
		_, err := io.WriteString(w, text)
		return err
	})
}

func TestRegularFileIsReplacedAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := WriteFile(path, 0o600, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("a failed write left %q, want the old content", b)
	}
	if err := write(t, path, "new"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("got %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestLinkToFileStaysALink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.csv")
	link := filepath.Join(dir, "link.csv")
	os.WriteFile(real, []byte("old"), 0o600)
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := write(t, link, "new"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(real); string(b) != "new" {
		t.Fatalf("target holds %q", b)
	}
}

// A FIFO (like a device node) is written through, never replaced by a
// regular file.
func TestFIFOIsWrittenThrough(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink(fifo, link)
	for _, path := range []string{fifo, link} {
		got := make(chan string, 1)
		go func() {
			f, err := os.Open(fifo)
			if err != nil {
				got <- err.Error()
				return
			}
			b, _ := io.ReadAll(f)
			f.Close()
			got <- string(b)
		}()
		if err := write(t, path, "rows\n"); err != nil {
			t.Fatal(err)
		}
		if s := <-got; s != "rows\n" {
			t.Fatalf("%s: reader got %q", path, s)
		}
		fi, err := os.Lstat(fifo)
		if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Fatalf("the FIFO was replaced: %v %v", fi, err)
		}
		if err := RemoveRegular(path); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(path); err != nil {
			t.Fatalf("RemoveRegular removed %s", path)
		}
	}
}

func TestFoldersAndSocketsAreRefused(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("unix socket: %v", err)
	}
	defer ln.Close()
	for path, what := range map[string]string{dir: "a folder", sock: "a socket"} {
		err := write(t, path, "x")
		var nf *NotFileError
		if !errors.As(err, &nf) || !strings.Contains(err.Error(), what) {
			t.Errorf("%s: err = %v, want a NotFileError saying %q", path, err, what)
		}
		if err := CheckRegular(path); err == nil {
			t.Errorf("CheckRegular(%s) passed", path)
		}
	}
}

// /dev/stdout redirected to a file (here a link to /proc/self/fd/N, as
// /dev/stdout is): the output goes into the open file, which is not
// replaced (a rename would leave the shell's descriptor on a file nobody
// sees).
func TestOpenDescriptorIsWrittenInto(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.txt")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fdPath := fmt.Sprintf("/proc/self/fd/%d", f.Fd())
	if _, err := os.Stat(fdPath); err != nil {
		t.Skipf("no /proc: %v", err)
	}
	link := filepath.Join(dir, "stdout")
	os.Symlink(fdPath, link)
	before, _ := os.Stat(out)
	if err := write(t, link, "report\n"); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(out)
	if err != nil || !os.SameFile(before, after) {
		t.Fatalf("the open file was replaced: %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "report\n" {
		t.Fatalf("the open file holds %q", b)
	}
}

// A link to a file not there yet: the file is created where it points.
func TestDanglingLinkCreatesItsTarget(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.csv")
	link := filepath.Join(dir, "link.csv")
	os.Symlink("real.csv", link)
	if err := write(t, link, "new"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v", err)
	}
	if b, _ := os.ReadFile(real); string(b) != "new" {
		t.Fatalf("target holds %q", b)
	}
}
