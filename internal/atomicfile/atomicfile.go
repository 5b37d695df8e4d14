// Package atomicfile writes output files (reject files, reports, export
// files) so that a reader finds the old content or the new, never a part of
// it, and so that nothing but a regular file is ever replaced.
//
// A regular file (or a path that does not exist yet) is written under a
// temporary name in its folder, synced and renamed into place; a symbolic
// link to a regular file is followed, so the link stays a link. A path that
// names a character device or a FIFO (/dev/null, /dev/stdout, a named pipe)
// is written through, in place: renaming a temporary file over /dev/null
// would replace the machine's /dev/null with a regular file. A folder, a
// socket or a block device is refused.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// File is an output being written; Commit makes it visible, Abort drops it.
type File struct {
	path string // the name the caller gave
	dest string // where the content goes (symbolic links resolved)
	tmp  string // temporary name; "" when written through
	f    *os.File
	done bool
}

// NotFileError refuses a path that is neither a regular file nor a device
// or FIFO that can be written through.
type NotFileError struct {
	Path string
	What string // "a folder", "a socket", ...
}

func (e *NotFileError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file: name a file", e.Path, e.What)
}

// Kind is how a path would be written.
type Kind int

const (
	// Replace: a regular file or a new one, written atomically.
	Replace Kind = iota
	// Through: a character device or a FIFO, written in place.
	Through
)

// Inspect says how path would be written, and where (symbolic links to a
// regular file resolved). It changes nothing.
func Inspect(path string) (Kind, string, error) {
	fi, err := os.Stat(path) // follows links: /dev/stdout is what fd 1 is
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if li, lerr := os.Lstat(path); lerr == nil && li.Mode()&fs.ModeSymlink != 0 {
			// A link to a file not there yet: the file is created where
			// the link points, and the link stays.
			if dest, ok := linkTarget(path); ok && !viaDescriptor(path) {
				return Replace, dest, nil
			}
			return Through, path, nil
		}
		return Replace, path, nil
	case err != nil:
		return 0, "", err
	}
	m := fi.Mode()
	switch {
	case m.IsRegular():
		dest, err := filepath.EvalSymlinks(path)
		if err != nil || viaDescriptor(path) {
			// A file reached through /dev/stdout or /proc/self/fd: the
			// shell holds it open, and a rename would leave the shell's
			// descriptor on a file nobody sees. Write into it.
			return Through, path, nil
		}
		return Replace, dest, nil
	case m&fs.ModeCharDevice != 0 && m&fs.ModeDevice != 0, m&fs.ModeNamedPipe != 0:
		return Through, path, nil
	case m.IsDir():
		return 0, "", &NotFileError{Path: path, What: "a folder"}
	case m&fs.ModeSocket != 0:
		return 0, "", &NotFileError{Path: path, What: "a socket"}
	case m&fs.ModeDevice != 0:
		return 0, "", &NotFileError{Path: path, What: "a block device"}
	}
	return 0, "", &NotFileError{Path: path, What: "something else"}
}

// Create starts writing path: into a temporary file beside it (mode perm),
// or straight into a device or FIFO. Opening a FIFO waits for its reader.
func Create(path string, perm fs.FileMode) (*File, error) {
	kind, dest, err := Inspect(path)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if kind == Through {
		f, err := os.OpenFile(dest, os.O_WRONLY|os.O_APPEND|os.O_CREATE, perm)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		return &File{path: path, dest: dest, f: f}, nil
	}
	dir, base := filepath.Split(dest)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &File{path: path, dest: dest, tmp: f.Name(), f: f}, nil
}

// Write writes to the temporary file (or through).
func (f *File) Write(p []byte) (int, error) { return f.f.Write(p) }

// Name is the path the caller gave.
func (f *File) Name() string { return f.path }

// Through reports whether the file is written in place (a device or FIFO).
func (f *File) Through() bool { return f.tmp == "" }

// Commit syncs and closes the file and renames it into place (then syncs
// the folder, so the rename survives a crash). On failure nothing is left
// but what was at the path before.
func (f *File) Commit() error {
	if f.done {
		return errors.New("atomicfile: commit after commit or abort")
	}
	f.done = true
	if f.tmp == "" {
		return closeThrough(f)
	}
	err := f.f.Sync()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Checked again at the last moment: something else may have been
		// put at the path while the file was written.
		if fi, lerr := os.Lstat(f.dest); lerr == nil && !fi.Mode().IsRegular() {
			err = &NotFileError{Path: f.dest, What: "now something else"}
		}
	}
	if err == nil {
		err = os.Rename(f.tmp, f.dest)
	}
	if err != nil {
		os.Remove(f.tmp)
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return SyncDir(filepath.Dir(f.dest))
}

func closeThrough(f *File) error {
	err := f.f.Sync()
	if err != nil && (errors.Is(err, os.ErrInvalid) || isUnsupported(err)) {
		err = nil // devices and pipes cannot be synced
	}
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return nil
}

// Abort drops what was written: the temporary file is removed. It is safe
// to call after Commit (then it does nothing).
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.f.Close()
	if f.tmp != "" {
		os.Remove(f.tmp)
	}
}

// WriteFile writes path atomically with the content write produces; a
// failure leaves the path as it was.
func WriteFile(path string, perm fs.FileMode, write func(io.Writer) error) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// RemoveRegular removes path when it is a regular file (a stale output),
// and leaves anything else alone: a device, a FIFO, a link.
func RemoveRegular(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// CheckRegular refuses a path that exists and is not a regular file (after
// following links): for files that must be regular, such as a journal
// (locked, truncated and deleted) or a data file.
func CheckRegular(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().IsRegular() {
		return nil
	}
	return &NotFileError{Path: path, What: describe(fi.Mode())}
}

// SyncDir syncs a folder so that a rename in it survives a crash; file
// systems that cannot sync a folder are tolerated.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !isUnsupported(err) {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}

func isUnsupported(err error) bool {
	s := err.Error()
	return strings.Contains(s, "invalid argument") || strings.Contains(s, "not supported") || strings.Contains(s, "inappropriate ioctl")
}

// CheckThrough checks, without writing or waiting, that a device or FIFO
// at path can be opened for writing (a FIFO without a reader yet is fine:
// the writer waits for it). It changes nothing.
func CheckThrough(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ENXIO) {
		return nil // a FIFO nobody reads yet
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// CheckReplaceable refuses a path that exists and is not a regular file
// (not following a link: a rename replaces the link itself), for writers
// that must rename into place.
func CheckReplaceable(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().IsRegular() {
		return nil
	}
	return &NotFileError{Path: path, What: describe(fi.Mode())}
}

func describe(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "something else"
}

// viaDescriptor reports whether path, or a symbolic link on the way from it,
// is under /dev or /proc: a name for an open descriptor (/dev/stdout,
// /dev/fd/1, /proc/self/fd/1) rather than for a file.
func viaDescriptor(path string) bool {
	p, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	for range 40 {
		if strings.HasPrefix(p, "/dev/") || strings.HasPrefix(p, "/proc/") {
			return true
		}
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return false
		}
		target, err := os.Readlink(p)
		if err != nil {
			return false
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		p = target
	}
	return false
}

// linkTarget follows a chain of symbolic links from path to the name at its
// end (which need not exist).
func linkTarget(path string) (string, bool) {
	p := path
	for range 40 {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, true
		}
		if err != nil {
			return "", false
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return p, true
		}
		target, err := os.Readlink(p)
		if err != nil {
			return "", false
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		p = target
	}
	return "", false
}
