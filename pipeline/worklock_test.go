package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Two imports of the same rows into one program cannot run at once, however
// the second names them: the same path, a symbolic link, a copy. Another
// program, another entity or other rows are free.
func TestLockWork(t *testing.T) {
	t.Setenv(LockDirEnv, t.TempDir())
	dir := t.TempDir()
	input := filepath.Join(dir, "sales.csv")
	os.WriteFile(input, []byte("key,amount\nt1,1\n"), 0o600)
	link := filepath.Join(dir, "link.csv")
	os.Symlink(input, link)
	copyDir := t.TempDir()
	cp := filepath.Join(copyDir, "copy.csv")
	os.WriteFile(cp, []byte("key,amount\nt1,1\n"), 0o600)
	other := filepath.Join(copyDir, "other.csv")
	os.WriteFile(other, []byte("key,amount\nt2,1\n"), 0o600)

	scope := JournalScope("transactions", "https://api", "prog1")
	held, err := LockWork(t.Context(), scope, input)
	if err != nil {
		t.Fatal(err)
	}
	for path, same := range map[string]string{input: "file", link: "file", cp: "content"} {
		_, err := LockWork(t.Context(), scope, path)
		var inUse *WorkInUseError
		if !errors.As(err, &inUse) || inUse.Same != same {
			t.Errorf("%s: err = %v, want the work in use (same %s)", path, err, same)
		}
	}
	for _, free := range []struct{ scope, input string }{
		{JournalScope("transactions", "https://api", "prog2"), input},
		{JournalScope("customers", "https://api", "prog1"), input},
		{scope, other},
	} {
		l, err := LockWork(t.Context(), free.scope, free.input)
		if err != nil {
			t.Errorf("%v: %v", free, err)
		}
		l.Release()
	}
	held.Release()
	l, err := LockWork(t.Context(), scope, cp)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l.Release()
}

// BenchmarkLockWork measures what the work lock adds to the start of an
// import: one read of the input for its SHA-256 (64 MiB here).
func BenchmarkLockWork(b *testing.B) {
	b.Setenv(LockDirEnv, b.TempDir())
	input := filepath.Join(b.TempDir(), "big.csv")
	row := []byte("tx0000001,19.99,USD,sale,c000001,p00001\n")
	f, err := os.Create(input)
	if err != nil {
		b.Fatal(err)
	}
	for range (64 << 20) / len(row) {
		f.Write(row)
	}
	f.Close()
	b.SetBytes(64 << 20)
	for b.Loop() {
		l, err := LockWork(b.Context(), "scope", input)
		if err != nil {
			b.Fatal(err)
		}
		l.Release()
	}
}
