package jsonl

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// maxDepth is the nesting limit of objects and arrays, encoding/json's.
const maxDepth = 10000

// parser decodes and validates one line of JSON in a single pass: a strict
// RFC 8259 grammar (the fuzz test holds it to encoding/json both ways), with
// objects as map[string]any, arrays as []any and numbers as json.Number.
// The caller has checked the line is valid UTF-8.
type parser struct {
	b     []byte
	i     int
	depth int
}

// syntaxError is a JSON syntax error at a byte offset (0-based).
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.off+1, e.msg)
}

func (p *parser) fail(msg string) error { return &syntaxError{off: p.i, msg: msg} }

func (p *parser) unexpected(what string) error {
	if p.i >= len(p.b) {
		return p.fail("unexpected end of line " + what)
	}
	return p.fail(fmt.Sprintf("unexpected %q %s", p.b[p.i], what))
}

func (p *parser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// value decodes the value at p.i (after optional space).
func (p *parser) value() (any, error) {
	p.space()
	switch c := p.peek(); {
	case c == '"':
		return p.str()
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, p.unexpected("looking for a value")
}

func (p *parser) literal(word string, v any) (any, error) {
	if !bytes.HasPrefix(p.b[p.i:], []byte(word)) {
		return nil, p.fail("invalid literal, want " + word)
	}
	p.i += len(word)
	return v, nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.fail("nested too deeply")
	}
	return nil
}

func (p *parser) object() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.i++ // '{'
	m := make(map[string]any)
	p.space()
	if p.peek() == '}' {
		p.i++
		p.depth--
		return m, nil
	}
	for {
		p.space()
		raw, err := p.rawString()
		if err != nil {
			return nil, err
		}
		key, err := unquote(raw)
		if err != nil {
			return nil, err
		}
		p.space()
		if p.peek() != ':' {
			return nil, p.unexpected("after an object key, want ':'")
		}
		p.i++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		m[key] = v
		p.space()
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			p.depth--
			return m, nil
		default:
			return nil, p.unexpected("after an object value, want ',' or '}'")
		}
	}
}

func (p *parser) array() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.i++ // '['
	list := []any{}
	p.space()
	if p.peek() == ']' {
		p.i++
		p.depth--
		return list, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		list = append(list, v)
		p.space()
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			p.depth--
			return list, nil
		default:
			return nil, p.unexpected("after an array element, want ',' or ']'")
		}
	}
}

func (p *parser) str() (any, error) {
	raw, err := p.rawString()
	if err != nil {
		return nil, err
	}
	return unquote(raw)
}

// rawString checks the string literal at p.i and returns it, quotes included.
func (p *parser) rawString() ([]byte, error) {
	if p.peek() != '"' {
		return nil, p.unexpected("looking for a string")
	}
	start := p.i
	p.i++
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return p.b[start:p.i], nil
		case c == '\\':
			p.i++
			switch p.peek() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i++
			case 'u':
				p.i++
				for range 4 {
					if !isHex(p.peek()) {
						return nil, p.fail("invalid \\u escape in a string")
					}
					p.i++
				}
			default:
				return nil, p.fail("invalid escape in a string")
			}
		case c < 0x20:
			return nil, p.fail("control character in a string")
		default:
			p.i++
		}
	}
	return nil, p.fail("unterminated string")
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *parser) number() (any, error) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	switch c := p.peek(); {
	case c == '0':
		p.i++
	case c >= '1' && c <= '9':
		for isDigit(p.peek()) {
			p.i++
		}
	default:
		return nil, p.fail("invalid number")
	}
	if p.peek() == '.' {
		p.i++
		if !isDigit(p.peek()) {
			return nil, p.fail("invalid number: no digits after '.'")
		}
		for isDigit(p.peek()) {
			p.i++
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if !isDigit(p.peek()) {
			return nil, p.fail("invalid number: no digits in the exponent")
		}
		for isDigit(p.peek()) {
			p.i++
		}
	}
	return json.Number(string(p.b[start:p.i])), nil
}

// unquote decodes a JSON string literal, quotes included.
func unquote(q []byte) (string, error) {
	inner := q[1 : len(q)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), nil
	}
	var s string
	err := json.Unmarshal(q, &s)
	return s, err
}

// kindAt names the kind of JSON value starting with c, for messages.
func kindAt(c byte) string {
	switch c {
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}
