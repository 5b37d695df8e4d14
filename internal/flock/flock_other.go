//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

// Package flock takes exclusive advisory locks on open files (flock(2));
// where flock is missing every lock fails, so that work that needs one
// refuses to run rather than risk running twice.
package flock

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// ErrLocked is TryLock's error when another open file holds the lock.
var ErrLocked = errors.New("locked")

// TryLock fails: locking is not supported here.
func TryLock(*os.File) error {
	return fmt.Errorf("locking a file is not supported on %s", runtime.GOOS)
}
