//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

// Package flock takes exclusive advisory locks on open files (flock(2)):
// a second open of the same file, in this process or another, cannot take
// the lock, and the kernel drops it when the file is closed or the process
// ends, however it ends (SIGKILL included). Journals, import work locks and
// export folders use it.
package flock

import (
	"errors"
	"os"
	"syscall"
)

// ErrLocked is TryLock's error when another open file holds the lock.
var ErrLocked = errors.New("locked")

// TryLock takes an exclusive lock on f without waiting.
func TryLock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return ErrLocked
		}
		return err
	}
}
