// Package yamlpos finds the line of a YAML syntax error, for messages that
// point at the mistake in a mapping or plan file.
//
// The YAML library reports the line where the block around the mistake
// starts, counted from 0, rather than the mistake's own line: a wrong indent
// on line 30 of a mapping file reads "line 2: did not find expected key".
// Its parser stops at the first error of a stream, so every prefix of the
// file that holds the offending token fails with the same message, and a
// shorter prefix either parses or fails otherwise (usually at its end). The
// shortest prefix of whole lines that fails with the file's own message
// therefore ends on the mistake's line; a binary search finds it in
// O(log lines) parses.
package yamlpos

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// lineRE reads the library's "yaml: line 3: did not find expected key".
var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// split returns the line the library named (0 when none) and the message
// without it.
func split(err error) (int, string) {
	msg := err.Error()
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, m[2]
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}

// SyntaxError returns the 1-based line of the syntax error err that parsing
// data gave, and its message without the library's prefix and line. When no
// prefix of data reproduces the error (it is not a syntax error of the first
// document), the library's own line is returned.
func SyntaxError(data []byte, err error) (line int, msg string) {
	libLine, msg := split(err)
	// ends[i] is the end of line i+1, its newline included.
	var ends []int
	for i := 0; i < len(data); {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			ends = append(ends, len(data))
			break
		}
		i += j + 1
		ends = append(ends, i)
	}
	fails := func(n int) bool {
		var doc yaml.Node
		perr := yaml.Unmarshal(data[:ends[n-1]], &doc)
		if perr == nil {
			return false
		}
		_, m := split(perr)
		return m == msg
	}
	if len(ends) == 0 || !fails(len(ends)) {
		return libLine, msg
	}
	lo, hi := 1, len(ends) // fails(hi) holds
	for lo < hi {
		mid := lo + (hi-lo)/2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return hi, msg
}
