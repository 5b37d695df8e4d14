package export

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"

	"github.com/partnero-etl/partnero-etl/internal/atomicfile"
	"github.com/partnero-etl/partnero-etl/internal/flock"
)

// tmpSuffix marks files an export is still writing. They are hidden (a dot
// in front) so a warehouse glob such as *.parquet never picks one up, and a
// later export removes any a killed run left behind.
const tmpSuffix = ".partnero-etl.tmp"

// atomicFile is an output file written under a temporary name in its final
// folder, counted and hashed as it is written. finish makes it durable
// (flush, fsync, close); commit renames it into place; abort removes it.
type atomicFile struct {
	f     *os.File
	tmp   string
	buf   *bufio.Writer
	hash  hash.Hash
	bytes int64
	done  bool
}

func createAtomic(dir, hint string) (*atomicFile, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create folder %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+hint+"-*"+tmpSuffix)
	if err != nil {
		return nil, fmt.Errorf("create temp file in %s: %w", dir, err)
	}
	a := &atomicFile{f: f, tmp: f.Name(), hash: sha256.New()}
	a.buf = bufio.NewWriterSize(fileHasher{a}, 256<<10)
	return a, nil
}

// fileHasher writes to the file and the hash and counts bytes.
type fileHasher struct{ a *atomicFile }

func (h fileHasher) Write(p []byte) (int, error) {
	n, err := h.a.f.Write(p)
	h.a.hash.Write(p[:n])
	h.a.bytes += int64(n)
	return n, err
}

func (a *atomicFile) Write(p []byte) (int, error) { return a.buf.Write(p) }

// finish flushes, fsyncs and closes the temp file: its bytes are durable
// but it is not yet visible under its final name.
func (a *atomicFile) finish() error {
	if a.done {
		return nil
	}
	a.done = true
	if err := a.buf.Flush(); err != nil {
		a.f.Close()
		return fmt.Errorf("write %s: %w", a.tmp, err)
	}
	if err := a.f.Sync(); err != nil {
		a.f.Close()
		return fmt.Errorf("sync %s: %w", a.tmp, err)
	}
	if err := a.f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", a.tmp, err)
	}
	return nil
}

func (a *atomicFile) sum() string { return hex.EncodeToString(a.hash.Sum(nil)) }

// commit renames the finished temp file to final (in the same folder, so the
// rename is atomic) and syncs the folder so the rename survives a crash.
func (a *atomicFile) commit(final string) error {
	if err := atomicfile.CheckReplaceable(final); err != nil {
		return err
	}
	if err := os.Rename(a.tmp, final); err != nil {
		return fmt.Errorf("rename %s: %w", final, err)
	}
	return syncDir(filepath.Dir(final))
}

// abort removes the temp file; it is safe to call at any point.
func (a *atomicFile) abort() {
	if !a.done {
		a.done = true
		a.f.Close()
	}
	os.Remove(a.tmp)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !isUnsupportedSync(err) {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}

// isUnsupportedSync tolerates file systems that cannot fsync a folder.
func isUnsupportedSync(err error) bool {
	return strings.Contains(err.Error(), "invalid argument") || strings.Contains(err.Error(), "not supported")
}

// removeStaleTemps deletes temp files a killed export left in dir and its
// sub-folders. It runs before an export starts writing.
func removeStaleTemps(dir string) error {
	return filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), tmpSuffix) && strings.HasPrefix(d.Name(), ".") {
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("remove stale temp file %s: %w", path, err)
			}
		}
		return nil
	})
}

// lockName is the lock file an export holds in its folder while it runs.
const lockName = ".partnero-etl.lock"

// FolderInUseError is the error of an export into a folder another export
// is writing: the two would remove each other's temporary files, give their
// increments the same names and each write a manifest without the other's
// files.
type FolderInUseError struct{ Dir string }

func (e *FolderInUseError) Error() string {
	return fmt.Sprintf("another partnero-etl export is writing to %s: wait for it to finish (or stop it), then run again", e.Dir)
}

// lockFolder takes the export lock of dir without waiting; unlock removes
// the lock file (while still holding it) and releases it. A run that locked
// a file no longer at the path (removed by the run before) opens it again.
func lockFolder(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, lockName)
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		if err := flock.TryLock(f); err != nil {
			f.Close()
			if errors.Is(err, flock.ErrLocked) {
				return nil, &FolderInUseError{Dir: dir}
			}
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		held, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return func() {
				os.Remove(path)
				f.Close()
			}, nil
		}
		f.Close()
	}
	return nil, &FolderInUseError{Dir: dir}
}
