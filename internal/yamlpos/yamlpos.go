// Package yamlpos finds the line of a YAML syntax error, for messages that
// point at the mistake in a mapping or plan file, and takes apart the
// messages of a type error (a value of the wrong type, an unknown field).
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
	"errors"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// lineRE reads the library's "yaml: line 3: did not find expected key".
var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// split returns the line the library named (0 when none) and the message
// without it.
func split(err error) (int, string) { return splitMessage(err.Error()) }

func splitMessage(msg string) (int, string) {
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

// The messages of a *yaml.TypeError after their line: a field KnownFields
// refused, and a value that does not fit the Go type it is decoded into.
var (
	unknownRE = regexp.MustCompile(`^field (.+) not found in type (\S+)$`)
	typeRE    = regexp.MustCompile("^cannot unmarshal !!\\w+(?: `.*`)? into (\\S+)$")
)

// TypeProblem is one message of a *yaml.TypeError, taken apart.
type TypeProblem struct {
	Line    int    // 1-based; 0 when the message names none
	Message string // the message without the library's prefix and line
	// UnknownField is a field that the Go type In has not (a decoder
	// with KnownFields); both "" for other messages.
	UnknownField, In string
	// Into is the Go type a value could not be decoded into; "" for
	// other messages.
	Into string
}

// TypeProblems takes apart the messages of err when it is a
// *yaml.TypeError (the document parsed, but values did not fit); nil for
// any other error.
func TypeProblems(err error) []TypeProblem {
	te, ok := errors.AsType[*yaml.TypeError](err)
	if !ok {
		return nil
	}
	out := make([]TypeProblem, 0, len(te.Errors))
	for _, e := range te.Errors {
		p := TypeProblem{}
		p.Line, p.Message = splitMessage(e)
		if m := unknownRE.FindStringSubmatch(p.Message); m != nil {
			p.UnknownField, p.In = m[1], m[2]
		} else if m := typeRE.FindStringSubmatch(p.Message); m != nil {
			p.Into = m[1]
		}
		out = append(out, p)
	}
	return out
}
