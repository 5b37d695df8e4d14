package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/partnero-etl/partnero-etl/partnero"
)

// readInput builds the request input the way Laravel does: the query string
// (with PHP's bracket syntax, a[b]=1 and a[]=1) overlaid by the JSON body,
// body keys winning. Numbers stay json.Number so amounts are exact.
func readInput(r *http.Request, maxBody int64) (map[string]any, *response) {
	in := parseQuery(r.URL.RawQuery)
	if r.Body == nil {
		return in, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, &response{status: http.StatusRequestEntityTooLarge, body: message(fmt.Sprintf("The request body is larger than %d bytes.", maxBody))}
		}
		return nil, &response{status: http.StatusBadRequest, body: message("The request body could not be read.")}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return in, nil
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
		for k, v := range parseQuery(string(body)) {
			in[k] = v
		}
		return in, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &response{status: http.StatusBadRequest, body: message("Malformed JSON body: " + err.Error())}
	}
	if dec.More() {
		return nil, &response{status: http.StatusBadRequest, body: message("Malformed JSON body: more than one value.")}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &response{status: http.StatusBadRequest, body: message("The JSON body must be an object.")}
	}
	for k, v := range obj {
		in[k] = v
	}
	return in, nil
}

// parseQuery reads a query string into a tree: "a[b][c]=1" nests, "a[]=1&a[]=2"
// makes a list, a dotted name such as "partner.key" stays one flat key (the
// lookup resolves it). Malformed escapes are skipped, as PHP does.
func parseQuery(raw string) map[string]any {
	root := map[string]any{}
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || key == "" {
			continue
		}
		segs := splitBrackets(key)
		m := root
		for i, s := range segs {
			last := i == len(segs)-1
			if last {
				if s == "" && i > 0 {
					// handled by the parent below
					break
				}
				m[s] = val
				break
			}
			if segs[i+1] == "" && i+1 == len(segs)-1 {
				list, _ := m[s].([]any)
				m[s] = append(list, val)
				break
			}
			next, ok := m[s].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[s] = next
			}
			m = next
		}
	}
	return root
}

// splitBrackets splits "a[b][c]" into a, b, c; a name without brackets, or
// with malformed ones, is one segment.
func splitBrackets(key string) []string {
	i := strings.IndexByte(key, '[')
	if i <= 0 || !strings.HasSuffix(key, "]") {
		return []string{key}
	}
	segs := []string{key[:i]}
	rest := key[i:]
	for rest != "" {
		if rest[0] != '[' {
			return []string{key}
		}
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return []string{key}
		}
		segs = append(segs, rest[1:j])
		rest = rest[j+1:]
	}
	return segs
}

// lookup finds a dotted name in the input under any of its spellings:
// nested objects ({"partner":{"key":..}}, partner[key]), a flat dotted key
// ("partner.key") or a flat underscored one ("partner_key"), and mixes of
// those across levels. A JSON null is found (and reported as nil).
func lookup(node any, path string) (any, bool) {
	return lookupSegs(node, strings.Split(path, "."))
}

func lookupSegs(node any, segs []string) (any, bool) {
	if len(segs) == 0 {
		return node, true
	}
	if list, isList := node.([]any); isList {
		i, err := strconv.Atoi(segs[0])
		if err != nil || i < 0 || i >= len(list) || strconv.Itoa(i) != segs[0] {
			return nil, false
		}
		return lookupSegs(list[i], segs[1:])
	}
	m, ok := node.(map[string]any)
	if !ok {
		return nil, false
	}
	for j := len(segs); j >= 1; j-- {
		for _, sep := range []string{".", "_"} {
			if j == 1 && sep == "_" {
				continue
			}
			if v, ok := m[strings.Join(segs[:j], sep)]; ok {
				if r, ok := lookupSegs(v, segs[j:]); ok {
					return r, true
				}
			}
		}
	}
	return nil, false
}

// verrs collects validation errors by field, keeping the order they were
// found in: the 422's message is the first one.
type verrs struct {
	order  []string
	fields map[string][]string
	count  int
}

func (e *verrs) add(field, msg string) {
	if e.fields == nil {
		e.fields = map[string][]string{}
	}
	if _, ok := e.fields[field]; !ok {
		e.order = append(e.order, field)
	}
	e.fields[field] = append(e.fields[field], msg)
	e.count++
}

func (e *verrs) has(field string) bool { _, ok := e.fields[field]; return ok }

func (e *verrs) empty() bool { return e.count == 0 }

// response is Laravel's ValidationException rendering: the first message,
// "(and N more errors)", every field's messages, and the API's status 0.
func (e *verrs) response() response {
	msg := e.fields[e.order[0]][0]
	switch n := e.count - 1; {
	case n == 1:
		msg += " (and 1 more error)"
	case n > 1:
		msg += fmt.Sprintf(" (and %d more errors)", n)
	}
	return response{status: http.StatusUnprocessableEntity, body: errorBody{Message: msg, Errors: e.fields, Status: 0}}
}

type errorBody struct {
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors"`
	Status  int                 `json:"status"`
}

// display is Laravel's displayable attribute name: underscores become spaces.
func display(name string) string { return strings.ReplaceAll(name, "_", " ") }

// form reads typed, validated fields from one object of the input. Field
// names in errors are prefix + name ("update.email", "transactions.3.amount").
type form struct {
	root   any    // the whole input
	prefix string // dotted path of this object in root, "" or ending in "."
	e      *verrs
}

func (f form) name(p string) string { return f.prefix + p }

func (f form) sub(p string) form {
	return form{root: f.root, prefix: f.prefix + p + ".", e: f.e}
}

// get looks a field up in the whole input under its full dotted name, so
// every spelling of every level is found ("update_email", "update[email]").
func (f form) get(p string) (any, bool) { return lookup(f.root, f.prefix+p) }

// raw returns a field's value; absent, null and "" count as absent, as
// Laravel's ConvertEmptyStringsToNull makes them.
func (f form) raw(p string) (any, bool) {
	v, ok := f.get(p)
	if !ok || v == nil {
		return nil, false
	}
	if s, isStr := v.(string); isStr && s == "" {
		return nil, false
	}
	return v, true
}

func (f form) has(p string) bool { _, ok := f.raw(p); return ok }

func (f form) required(p string) {
	f.e.add(f.name(p), fmt.Sprintf("The %s field is required.", display(f.name(p))))
}

// str reads a string of at most max characters.
func (f form) str(p string, max int, required bool) (string, bool) {
	v, ok := f.raw(p)
	if !ok {
		if required {
			f.required(p)
		}
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		f.e.add(f.name(p), fmt.Sprintf("The %s field must be a string.", display(f.name(p))))
		return "", false
	}
	if !utf8.ValidString(s) {
		f.e.add(f.name(p), fmt.Sprintf("The %s field must be a valid UTF-8 string.", display(f.name(p))))
		return "", false
	}
	if utf8.RuneCountInString(s) > max {
		f.e.add(f.name(p), fmt.Sprintf("The %s field must not be greater than %d characters.", display(f.name(p)), max))
		return "", false
	}
	return s, true
}

// email reads an email address (at most 255 characters).
func (f form) email(p string, required bool) (string, bool) {
	s, ok := f.str(p, maxString, required)
	if !ok {
		return "", false
	}
	if !validEmail(s) {
		f.e.add(f.name(p), fmt.Sprintf("The %s field must be a valid email address.", display(f.name(p))))
		return "", false
	}
	return s, true
}

func validEmail(s string) bool {
	if strings.TrimSpace(s) != s || strings.ContainsAny(s, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1
}

// boolean reads Laravel's boolean: true, false, 1, 0, "1", "0".
func (f form) boolean(p string, def bool) bool {
	v, ok := f.raw(p)
	if !ok {
		return def
	}
	switch x := v.(type) {
	case bool:
		return x
	case json.Number:
		switch x.String() {
		case "1":
			return true
		case "0":
			return false
		}
	case string:
		switch x {
		case "1":
			return true
		case "0":
			return false
		}
	}
	f.e.add(f.name(p), fmt.Sprintf("The %s field must be true or false.", display(f.name(p))))
	return def
}

// numberOrString returns the text of a field sent as a JSON number or a
// string; another type is a validation error saying the field "must ...".
// ok is false when the field is absent or of the wrong type.
func (f form) numberOrString(p, must string) (string, bool) {
	v, ok := f.raw(p)
	if !ok {
		return "", false
	}
	switch x := v.(type) {
	case json.Number:
		return x.String(), true
	case string:
		return x, true
	}
	f.e.add(f.name(p), fmt.Sprintf("The %s field %s.", display(f.name(p)), must))
	return "", false
}

// decimal reads a number or a numeric string, exactly.
func (f form) decimal(p string) (partnero.Decimal, bool) {
	s, ok := f.numberOrString(p, "must be a number")
	if !ok {
		return partnero.Decimal{}, false
	}
	d, err := partnero.ParseDecimal(s)
	if err != nil {
		f.e.add(f.name(p), fmt.Sprintf("The %s field must be a number.", display(f.name(p))))
		return partnero.Decimal{}, false
	}
	if len(d.String()) > 40 {
		f.e.add(f.name(p), fmt.Sprintf("The %s field must not have more than 40 digits.", display(f.name(p))))
		return partnero.Decimal{}, false
	}
	return d, true
}

// integer reads an integer between lo and hi (query strings send text).
func (f form) integer(p string, lo, hi int64) (int64, bool) {
	v, ok := f.raw(p)
	if !ok {
		return 0, false
	}
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	default:
		f.e.add(f.name(p), fmt.Sprintf("The %s field must be an integer.", display(f.name(p))))
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f.e.add(f.name(p), fmt.Sprintf("The %s field must be an integer.", display(f.name(p))))
		return 0, false
	}
	if n < lo || n > hi {
		if hi == maxInt {
			f.e.add(f.name(p), fmt.Sprintf("The %s field must be at least %d.", display(f.name(p)), lo))
		} else {
			f.e.add(f.name(p), fmt.Sprintf("The %s field must be between %d and %d.", display(f.name(p)), lo, hi))
		}
		return 0, false
	}
	return n, true
}

const maxInt = int64(^uint64(0) >> 1)

// list reads an array; PHP's a[0]=..&a[1]=.. arrive as an object with index
// keys and are accepted too.
func (f form) list(p string) ([]any, bool) {
	v, ok := f.get(p)
	if !ok || v == nil {
		return nil, false
	}
	switch x := v.(type) {
	case []any:
		return x, true
	case map[string]any:
		out := make([]any, len(x))
		for i := range out {
			item, ok := x[strconv.Itoa(i)]
			if !ok {
				f.e.add(f.name(p), fmt.Sprintf("The %s field must be an array.", display(f.name(p))))
				return nil, false
			}
			out[i] = item
		}
		return out, true
	}
	f.e.add(f.name(p), fmt.Sprintf("The %s field must be an array.", display(f.name(p))))
	return nil, false
}

// tags reads a tag list: strings, or {"value": ..} objects as answers carry
// them. set is false when tags are absent or null (leave as is); an empty
// list clears.
func (f form) tags(p string) (tags []string, set bool) {
	items, ok := f.list(p)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		name := fmt.Sprintf("%s.%d", f.name(p), i)
		if m, isObj := it.(map[string]any); isObj {
			it = m["value"]
		}
		s, isStr := it.(string)
		switch {
		case !isStr || s == "":
			f.e.add(name, fmt.Sprintf("The %s field must be a string.", display(name)))
		case utf8.RuneCountInString(s) > maxString || !utf8.ValidString(s):
			f.e.add(name, fmt.Sprintf("The %s field must not be greater than %d characters.", display(name), maxString))
		default:
			out = append(out, s)
		}
	}
	return out, true
}

// stringList reads a string or an array of strings (product_type).
func (f form) stringList(p string) ([]string, bool) {
	v, ok := f.raw(p)
	if !ok {
		return nil, false
	}
	if s, isStr := v.(string); isStr {
		if utf8.RuneCountInString(s) > maxString || !utf8.ValidString(s) {
			f.e.add(f.name(p), fmt.Sprintf("The %s field must not be greater than %d characters.", display(f.name(p)), maxString))
			return nil, false
		}
		return []string{s}, true
	}
	items, ok := f.list(p)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, isStr := it.(string)
		if !isStr || utf8.RuneCountInString(s) > maxString || !utf8.ValidString(s) {
			name := fmt.Sprintf("%s.%d", f.name(p), i)
			f.e.add(name, fmt.Sprintf("The %s field must be a string of at most %d characters.", display(name), maxString))
			continue
		}
		out = append(out, s)
	}
	return out, true
}

// timestamp reads Unix seconds (number or numeric string) or an ISO-8601 date.
func (f form) timestamp(p string) (time.Time, bool) {
	s, ok := f.numberOrString(p, "must be a valid date")
	if !ok {
		return time.Time{}, false
	}
	t, err := partnero.ParseTime(s)
	if err != nil || t.Year() < 1970 || t.Year() > 9999 {
		f.e.add(f.name(p), fmt.Sprintf("The %s field must be a valid date.", display(f.name(p))))
		return time.Time{}, false
	}
	return t.Truncate(time.Microsecond), true
}

// isObject reports whether p names an object (a JSON object or a[b] form).
func (f form) isObject(p string) bool {
	v, ok := f.get(p)
	if !ok {
		return false
	}
	_, isMap := v.(map[string]any)
	return isMap
}

// Field limits of the contract: keys 64, names 100, other strings 255.
const (
	maxKey    = 64
	maxName   = 100
	maxString = 255
)
