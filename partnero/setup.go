package partnero

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// Product is the name this client gives itself in its User-Agent.
const Product = "partnero-etl"

// WithVersion sets the User-Agent to "partnero-etl/VERSION" (just the
// product when version is ""), so the API's logs tell releases apart. The
// caller passes its own version in: the client never guesses it.
func WithVersion(version string) Option {
	ua := Product
	if version != "" {
		ua += "/" + version
	}
	return WithUserAgent(ua)
}

// maxKeyFile bounds what is read of a key file: a key is a line, and a
// key file of /dev/zero must not fill the memory.
const maxKeyFile = 64 << 10

// ReadAPIKeyFile reads a key from the file at path, without the blanks
// around it (a trailing newline, a CRLF). It refuses a file larger than
// 64 KiB. It does not check the key: CheckAPIKey and NewClient do, and a
// caller that knows where the key came from (a flag, a variable) says so
// when one is empty or refused. Errors name the file, never its content.
func ReadAPIKeyFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		// A *fs.PathError would name the path a second time.
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err
		}
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxKeyFile {
		return "", fmt.Errorf("%s is larger than %d KiB: not a key file", path, maxKeyFile>>10)
	}
	return strings.TrimSpace(string(b)), nil
}
