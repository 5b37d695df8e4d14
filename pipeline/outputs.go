package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/partnero-etl/partnero-etl/internal/atomicfile"
)

// Usagef returns a usage error (kind ErrUsage) with a formatted message:
// what the user asked for cannot be done, and nothing was read or written.
func Usagef(format string, args ...any) error {
	return Usage(fmt.Errorf(format, args...))
}

// OutputPath is a file a command writes, named for messages by the flag
// that chose it ("--rejects") or by what it is ("the journal").
type OutputPath struct {
	Name, Path string
}

// CheckOutputs refuses, as a usage error, outputs that would destroy what
// the run reads or writes: an output that is one of the inputs (a reject
// file, journal or report over the input overwrites or deletes it, even in
// a dry run), or two outputs that are the same file. Standard input ("-")
// and empty paths are no files. It runs before anything is read or written.
func CheckOutputs(inputs []string, outputs []OutputPath) error {
	for i, o := range outputs {
		if o.Path == "" || o.Path == "-" {
			continue
		}
		for _, in := range inputs {
			if in != "" && in != "-" && sameFile(in, o.Path) {
				return Usagef("%s %s is the input file itself (%s): name another file", o.Name, o.Path, in)
			}
		}
		for _, p := range outputs[:i] {
			if p.Path != "" && p.Path != "-" && sameFile(p.Path, o.Path) {
				return Usagef("%s and %s are the same file %s: name another file", p.Name, o.Name, o.Path)
			}
		}
	}
	return nil
}

// CheckWritable refuses, as a usage error, an output path that the run
// could not write, before the run starts rather than at its end: its folder
// must exist and take new files, and the path must not be a folder or a file
// that cannot be opened for writing. It changes nothing it finds.
func CheckWritable(o OutputPath) error {
	if o.Path == "" || o.Path == "-" {
		return nil
	}
	dir := filepath.Dir(o.Path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Usagef("%s %s: the folder %s does not exist", o.Name, o.Path, dir)
	case err != nil:
		return Usagef("%s %s: %v", o.Name, o.Path, err)
	case !fi.IsDir():
		return Usagef("%s %s: %s is not a folder", o.Name, o.Path, dir)
	}
	if fi, err := os.Stat(o.Path); err == nil {
		if fi.IsDir() {
			return Usagef("%s %s is a folder, not a file", o.Name, o.Path)
		}
		if kind, _, err := atomicfile.Inspect(o.Path); err != nil {
			return Usagef("%s: %v", o.Name, err)
		} else if kind == atomicfile.Through {
			// A device or a FIFO (/dev/null, a named pipe) is written
			// through, never replaced: its folder need not take files.
			if err := atomicfile.CheckThrough(o.Path); err != nil {
				return Usagef("%s %s cannot be written: %v", o.Name, o.Path, PathErrCause(err))
			}
			return nil
		}
		f, err := os.OpenFile(o.Path, os.O_WRONLY, 0)
		if err != nil {
			return Usagef("%s %s cannot be written: %v", o.Name, o.Path, PathErrCause(err))
		}
		_ = f.Close()
	}
	// Reject files and reports are written beside their final name and
	// renamed, or created: the folder itself must take a new file.
	f, err := os.CreateTemp(dir, ".partnero-etl-check-*")
	if err != nil {
		return Usagef("%s %s: cannot create files in %s: %v", o.Name, o.Path, dir, PathErrCause(err))
	}
	_ = f.Close()
	_ = os.Remove(f.Name())
	return nil
}

// Elsewhere adds to a CheckWritable error of an output at its default path
// (given is "") the flag that puts it elsewhere.
func Elsewhere(err error, given, flag string) error {
	ue, ok := errors.AsType[*Error](err)
	if given != "" || !ok || ue.Kind != ErrUsage || ue.Err == nil {
		return err
	}
	return Usagef("%v (%s PATH writes it elsewhere)", ue.Err, flag)
}

// PathErrCause is the cause of a *fs.PathError (which names a path the
// message already gave), or err itself.
func PathErrCause(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// sameFile reports whether two paths name the same file: the same cleaned
// absolute path, the same existing file (links, another spelling of the
// path), or, when one does not exist yet, the same name in the same folder.
func sameFile(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	if err1 == nil && err2 == nil && aa == ab {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(sa, sb)
	}
	if filepath.Base(a) != filepath.Base(b) {
		return false
	}
	da, err1 := os.Stat(filepath.Dir(a))
	db, err2 := os.Stat(filepath.Dir(b))
	return err1 == nil && err2 == nil && os.SameFile(da, db)
}
