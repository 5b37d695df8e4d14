package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The journal's lock stops two runs sharing one journal, but not two runs
// importing the same rows another way: through a symbolic link, from a copy
// of the file, or with another --journal. Each would create every row the
// other has not created yet, and a transaction created twice is a
// commission paid twice. So an import also locks what identifies its work:
// the target (entity, API, program) with the input's resolved path, and the
// target with the input's content (a SHA-256 of its bytes, which a copy
// shares). The locks are flock(2)s on small files in a per-user folder,
// released by the kernel however the run ends.

// LockDirEnv names a folder for the work locks instead of the user's cache
// folder (tests; machines without a home).
const LockDirEnv = "PARTNERO_ETL_LOCK_DIR"

// WorkLock is held for the whole of an import.
type WorkLock struct {
	files []*os.File
	paths []string
}

// WorkInUseError is LockWork's error when another run (in this process or
// another) imports the same rows into the same target.
type WorkInUseError struct {
	Input string
	Same  string // "file" or "content"
}

func (e *WorkInUseError) Error() string {
	what := "the same file"
	if e.Same == "content" {
		what = "a file with the same content"
	}
	return fmt.Sprintf("another partnero-etl run is importing %s as %s into this program: two runs would both create the same rows; wait for it to finish (or stop it), then run again", what, e.Input)
}

// LockWork locks the import of input (a file; standard input, "-", takes
// no lock: it has no identity to share) into the target scope names. It
// reads the whole input once, for its hash.
func LockWork(ctx context.Context, scope, input string) (*WorkLock, error) {
	if input == "" || input == "-" {
		return &WorkLock{}, nil
	}
	abs, err := filepath.Abs(input)
	if err != nil {
		return nil, fmt.Errorf("lock the import of %s: %w", input, err)
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("lock the import of %s: %w", input, err)
	}
	keys := []struct{ same, id string }{{"file", "path:" + resolved}}
	if fi, err := os.Stat(resolved); err == nil && fi.Mode().IsRegular() {
		// Only a regular file can be read twice: a FIFO or a device is
		// locked by its path alone.
		sum, err := fileHash(ctx, resolved)
		if err != nil {
			return nil, fmt.Errorf("lock the import of %s: %w", input, err)
		}
		keys = append(keys, struct{ same, id string }{"content", "sha256:" + sum})
	}
	dir, err := lockDir()
	if err != nil {
		return nil, fmt.Errorf("lock the import of %s: %w", input, err)
	}
	l := &WorkLock{}
	for _, k := range keys {
		h := sha256.Sum256([]byte(scope + "\x00" + k.id))
		path := filepath.Join(dir, hex.EncodeToString(h[:12])+".lock")
		f, err := openLocked(path)
		if err != nil {
			l.Release()
			if _, ok := errors.AsType[*JournalInUseError](err); ok {
				return nil, &WorkInUseError{Input: input, Same: k.same}
			}
			return nil, fmt.Errorf("lock the import of %s: %w", input, err)
		}
		l.files, l.paths = append(l.files, f), append(l.paths, path)
	}
	return l, nil
}

// Release drops the locks and removes their files (while still held, so a
// run waiting on one opens the path again; see openLocked).
func (l *WorkLock) Release() {
	if l == nil {
		return
	}
	for i, f := range l.files {
		_ = os.Remove(l.paths[i])
		_ = f.Close()
	}
	l.files, l.paths = nil, nil
}

func lockDir() (string, error) {
	dir := os.Getenv(LockDirEnv)
	if dir == "" {
		if cache, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(cache, "partnero-etl", "locks")
		} else {
			dir = filepath.Join(os.TempDir(), fmt.Sprintf("partnero-etl-locks-%d", os.Getuid()))
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return dir, nil
}

// fileHash is the SHA-256 of a file's bytes, cancellable between blocks.
func fileHash(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
