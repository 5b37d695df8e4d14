package partnero

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file is the one place that reads answers: every response of every
// call goes through checkResponse, then decodeInto or decodePage. It assumes
// as little as it can: any 2xx is a success, "status" may be missing, unknown
// fields are ignored, and error bodies may be HTML from a proxy.

// envelope is the API's JSON wrapper: {"data": ..., "status": 1} on success,
// {"message": ..., "errors": {...}, "status": 0} on failure, plus "links" and
// "meta" on pages. Every part is optional.
type envelope struct {
	Data    json.RawMessage `json:"data"`
	Status  json.RawMessage `json:"status"`
	Message json.RawMessage `json:"message"`
	Errors  json.RawMessage `json:"errors"`
	Links   json.RawMessage `json:"links"`
	Meta    json.RawMessage `json:"meta"`

	body   []byte // the whole body, for answers without "data"
	parsed bool   // the body was a JSON object
}

// parseEnvelope reads body as an envelope; a body that is not a JSON object
// gives an envelope with parsed false (not an error: HTML is a valid answer).
func parseEnvelope(body []byte) *envelope {
	env := &envelope{body: body}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return env
	}
	if err := json.Unmarshal(trimmed, env); err != nil {
		*env = envelope{body: body}
		return env
	}
	env.parsed = true
	return env
}

// failed reports whether the envelope says "status": 0 (or false, or "0").
func (e *envelope) failed() bool {
	switch strings.Trim(string(bytes.TrimSpace(e.Status)), `"`) {
	case "0", "false":
		return true
	}
	return false
}

// message returns the envelope's "message" when it is a string, else "".
func (e *envelope) message() string {
	var s string
	if len(e.Message) > 0 && json.Unmarshal(e.Message, &s) == nil {
		return s
	}
	return ""
}

// fieldErrors decodes "errors" as a map of field to messages, tolerating a
// single string where a list is expected and anything else as its JSON text.
func (e *envelope) fieldErrors() map[string][]string {
	var raw map[string]json.RawMessage
	if len(e.Errors) == 0 || json.Unmarshal(e.Errors, &raw) != nil || len(raw) == 0 {
		return nil
	}
	out := make(map[string][]string, len(raw))
	for field, v := range raw {
		var list []json.RawMessage
		if json.Unmarshal(v, &list) != nil {
			list = []json.RawMessage{v}
		}
		for _, item := range list {
			var s string
			if json.Unmarshal(item, &s) != nil {
				s = string(item)
			}
			out[field] = append(out[field], s)
		}
	}
	return out
}

// answer is what the client knows about one response when it checks it.
type answer struct {
	method, path string // path relative to the base URL, no query string
	status       int
	header       http.Header
	body         []byte
	now          time.Time
	scrub        func(string) string // removes secrets from text taken from the body
}

// text is the body as one line of scrubbed, clipped text, for messages.
func (a answer) text() string {
	s := textOf(a.body)
	if a.scrub != nil {
		s = a.scrub(s)
	}
	return clip(s)
}

// maxMessage bounds how much of a body an error keeps.
const maxMessage = 300

// checkResponse turns an answer into its envelope (any 2xx) or a typed error.
func checkResponse(a answer) (*envelope, error) {
	env := parseEnvelope(a.body)
	scrub := a.scrub
	if scrub == nil {
		scrub = func(s string) string { return s }
	}
	msg := clip(scrub(env.message()))
	if a.status >= 200 && a.status < 300 && !env.failed() {
		return env, nil
	}
	e := &Error{Kind: ErrOther, Message: msg, StatusCode: a.status, Method: a.method, Path: a.path}
	switch {
	case a.status >= 200 && a.status < 300:
		// A success whose body says "status": 0.
	case a.status == http.StatusUnauthorized:
		e.Kind = ErrUnauthorized
	case a.status == http.StatusForbidden:
		e.Kind = ErrForbidden
	case a.status == http.StatusNotFound:
		e.Kind = ErrNotFound
	case a.status == http.StatusBadRequest || a.status == http.StatusUnprocessableEntity:
		e.Kind = ErrValidation
		// Field names are the server's text as much as messages are: a
		// server that echoes the request may put the key in either, and
		// consumers (the reject file) show both.
		if raw := env.fieldErrors(); raw != nil {
			e.Fields = make(map[string][]string, len(raw))
			for _, f := range sortedKeys(raw) {
				name := clip(scrub(f))
				for _, m := range raw[f] {
					e.Fields[name] = append(e.Fields[name], clip(scrub(m)))
				}
			}
		}
	case a.status == http.StatusTooManyRequests:
		e.Kind = ErrRateLimited
		e.RetryAfter = retryAfter(a.header, a.now)
	case a.status >= 500:
		e.Kind = ErrServer
		// Often an HTML page from a proxy rather than JSON: its start is
		// the message.
		if !env.parsed {
			e.Message = a.text()
		}
	default:
		if msg == "" && !env.parsed {
			e.Message = a.text()
		}
	}
	return nil, e
}

// retryAfter reads Retry-After (seconds or an HTTP date) and, failing that,
// X-RateLimit-Reset (Unix seconds). Zero when neither says anything usable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil {
			if secs > 0 && secs < 1e7 {
				return time.Duration(secs * float64(time.Second))
			}
			return 0
		}
		if t, err := http.ParseTime(v); err == nil {
			if d := t.Sub(now); d > 0 {
				return d
			}
			return 0
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs > 0 {
			if d := time.Unix(secs, 0).Sub(now); d > 0 && d < 24*time.Hour {
				return d
			}
		}
	}
	return 0
}

// decodeInto decodes a success envelope's "data" into v. An answer without
// "data" is decoded whole (some endpoints and proxies skip the wrapper).
func decodeInto(a answer, env *envelope, v any) error {
	raw := env.Data
	if len(raw) == 0 || string(raw) == "null" {
		if !env.parsed {
			return a.decodeError(fmt.Errorf("answer is not JSON: %q", a.text()))
		}
		raw = bytes.TrimSpace(env.body)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return a.decodeError(err)
	}
	return nil
}

// decodeError wraps a decoding failure; its text is scrubbed because
// decoders quote the values they refuse.
func (a answer) decodeError(err error) error {
	if a.scrub != nil {
		if msg := a.scrub(err.Error()); msg != err.Error() {
			err = errors.New(msg)
		}
	}
	return &Error{Kind: ErrDecode, StatusCode: a.status, Method: a.method, Path: a.path, Err: err}
}

// pageLinks and pageMeta are the parts of Laravel's paginators the client
// reads: the "simple" one (no total, links.next null at the end) and, to be
// liberal, the length-aware one (meta.last_page).
type pageLinks struct {
	Next json.RawMessage `json:"next"`
}

type pageMeta struct {
	CurrentPage json.RawMessage `json:"current_page"`
	PerPage     json.RawMessage `json:"per_page"`
	LastPage    json.RawMessage `json:"last_page"`
}

// decodePage decodes a list answer. page and limit are what was asked, used
// when the answer does not say.
func decodePage[T any](a answer, env *envelope, page, limit int) (*Page[T], error) {
	derr := a.decodeError
	if !env.parsed {
		return nil, derr(fmt.Errorf("answer is not JSON: %q", a.text()))
	}
	var items []json.RawMessage
	if len(env.Data) > 0 && string(env.Data) != "null" {
		if err := json.Unmarshal(env.Data, &items); err != nil {
			return nil, derr(fmt.Errorf("data is not a list: %w", err))
		}
	}
	p := &Page[T]{Page: page, PerPage: limit, Items: make([]T, 0, len(items)), Raw: make([]json.RawMessage, 0, len(items))}
	for i, it := range items {
		var v T
		if err := json.Unmarshal(it, &v); err != nil {
			return nil, derr(fmt.Errorf("item %d: %w", i, err))
		}
		p.Items = append(p.Items, v)
		// The item slices the body, which nothing else keeps: no copy needed.
		p.Raw = append(p.Raw, it)
	}
	var meta pageMeta
	if len(env.Meta) > 0 && json.Unmarshal(env.Meta, &meta) == nil {
		if n, ok := jsonInt(meta.CurrentPage); ok && n > 0 {
			p.Page = n
		}
		if n, ok := jsonInt(meta.PerPage); ok && n > 0 {
			p.PerPage = n
		}
	}
	var links pageLinks
	switch {
	case len(env.Links) > 0 && json.Unmarshal(env.Links, &links) == nil && bytes.HasPrefix(bytes.TrimSpace(env.Links), []byte("{")):
		var next string
		p.HasNext = json.Unmarshal(links.Next, &next) == nil && strings.TrimSpace(next) != ""
	case len(meta.LastPage) > 0:
		last, ok := jsonInt(meta.LastPage)
		p.HasNext = ok && p.Page < last
	default:
		// No paginator at all: only a full page can have a successor.
		p.HasNext = len(items) > 0 && len(items) >= p.PerPage
	}
	return p, nil
}

// jsonInt reads an integer sent as a number or a numeric string.
func jsonInt(raw json.RawMessage) (int, bool) {
	s := strings.Trim(string(bytes.TrimSpace(raw)), `"`)
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// textOf turns a body (often an HTML error page) into one line of text.
func textOf(body []byte) string {
	s := string(body)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	// Drop tags so a proxy's page reads as its words ("502 Bad Gateway nginx").
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
			b.WriteByte(' ')
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// clip bounds a message taken from a body.
func clip(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
