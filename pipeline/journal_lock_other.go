//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package pipeline

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// errLocked is lockFile's error when another open file holds the lock.
var errLocked = errors.New("locked")

// lockFile fails where flock(2) is missing: without the lock two runs over
// one journal could each create the same rows, so an import refuses to run
// rather than risk it.
func lockFile(*os.File) error {
	return fmt.Errorf("locking a journal is not supported on %s", runtime.GOOS)
}
