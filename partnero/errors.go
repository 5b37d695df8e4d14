package partnero

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Every failed call returns an *Error (possibly wrapped, as in an
// *UnavailableError). It carries the request's method and path (relative to
// the base URL, without the query string) and the HTTP status; it never
// carries the API key, a header or the full URL. Messages taken from response
// bodies are cut short and scrubbed of the key before they are stored.
//
// What kind of failure it was is its Kind, one of the sentinels below, and
// callers ask with errors.Is, as they ask an *fs.PathError with
// fs.ErrNotExist:
//
//	if errors.Is(err, partnero.ErrNotFound) { ... }
//
// The classifiers at the end of this file (IsRetryable, IsDuplicate,
// IsUnknownPartner, IsFatal...) read an answer the way the rest of the tool
// needs it read; they live here, beside the client whose answers they read,
// and the contract tests pin them to the sandbox's answers.

// Kind is a class of failed call. The sentinels are its only values.
type Kind struct{ name string }

func (k *Kind) Error() string { return "partnero: " + k.name }

// The kinds of failure. An *Error matches its own kind under errors.Is.
var (
	// ErrUnauthorized is the API's 401: a missing or unknown key.
	ErrUnauthorized = &Kind{"unauthorized"}
	// ErrForbidden is the API's 403: the key may not do this.
	ErrForbidden = &Kind{"forbidden"}
	// ErrNotFound is the API's 404 ("Partner not found").
	ErrNotFound = &Kind{"not found"}
	// ErrValidation is a request the API refused for its content: a 422
	// with field errors, or a 400 such as "Invalid partner key" or "Action
	// failed". Retrying the same request cannot help; the row is rejected.
	ErrValidation = &Kind{"invalid request"}
	// ErrRateLimited is a 429 that retries did not get past.
	ErrRateLimited = &Kind{"rate limited"}
	// ErrServer is a 5xx.
	ErrServer = &Kind{"server error"}
	// ErrOther is any other answer that is not a success: a 4xx the
	// contract does not name (405, 409, 413...), or a 2xx whose body says
	// "status": 0.
	ErrOther = &Kind{"api error"}
	// ErrDecode is a success answer whose body the client could not read.
	// The server did what was asked (a write happened); only the answer is
	// lost, so callers verify by reading the record back rather than
	// retrying blindly.
	ErrDecode = &Kind{"decode"}
	// ErrNetwork is a request that got no HTTP answer: refused, reset,
	// timed out, or dropped after the server may have committed a write.
	ErrNetwork = &Kind{"network"}
)

// Error is a call the API refused or failed, or that got no readable answer.
type Error struct {
	Kind   *Kind
	Method string
	Path   string
	// StatusCode is the HTTP status; 0 for ErrNetwork.
	StatusCode int
	// Message is the answer's "message", or, when the answer was not JSON
	// (an HTML page from a proxy), the start of its body.
	Message string
	// Fields maps the API's dotted field names ("customer.key",
	// "update.email", "transactions.3.amount") to their messages, for
	// ErrValidation; it is empty for a 400.
	Fields map[string][]string
	// RetryAfter is what a 429 asked for (zero when it did not say).
	RetryAfter time.Duration
	// Err is the cause of an ErrNetwork (the transport's failure, scrubbed)
	// or of an ErrDecode (the decoder's).
	Err error
}

func (e *Error) Error() string {
	switch e.Kind {
	case ErrNetwork:
		return fmt.Sprintf("%s %s: %v", e.Method, e.Path, e.Err)
	case ErrDecode:
		return fmt.Sprintf("decode answer to %s %s (%d): %v", e.Method, e.Path, e.StatusCode, e.Err)
	}
	msg := e.Message
	if len(e.Fields) > 0 {
		// Name every field, in a stable order, so a reject file says it all.
		var b strings.Builder
		for _, f := range sortedKeys(e.Fields) {
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(f)
			b.WriteString(": ")
			b.WriteString(strings.Join(e.Fields[f], " "))
		}
		if msg == "" {
			msg = b.String()
		} else {
			msg += " (" + b.String() + ")"
		}
	}
	name := ErrOther.name
	if e.Kind != nil {
		name = e.Kind.name
	}
	s := name + ": " + describe(e.Method, e.Path, e.StatusCode, msg)
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// FirstField names the field a refusal blames and what it says of it, the
// same on every run: the field whose message the answer's "message" repeats
// (Laravel's message is its first error), else the first by name. Both are
// empty when the answer names no field.
func (e *Error) FirstField() (name, msg string) {
	names := sortedKeys(e.Fields)
	for _, f := range names {
		if msgs := e.Fields[f]; len(msgs) > 0 && e.Message != "" && strings.HasPrefix(e.Message, msgs[0]) {
			return f, msgs[0]
		}
	}
	if len(names) == 0 {
		return "", ""
	}
	if msgs := e.Fields[names[0]]; len(msgs) > 0 {
		return names[0], msgs[0]
	}
	return names[0], ""
}

// Is reports whether target is e's kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(*Kind)
	return ok && k == e.Kind
}

// Unwrap returns the cause of a network or decoding failure.
func (e *Error) Unwrap() error { return e.Err }

func describe(method, path string, status int, msg string) string {
	s := fmt.Sprintf("%s %s: %d %s", method, path, status, http.StatusText(status))
	if msg != "" {
		s += ": " + msg
	}
	return s
}

// asError finds the *Error in err's chain.
func asError(err error) (*Error, bool) {
	return errors.AsType[*Error](err)
}

// StatusCode returns the HTTP status of an API error anywhere in err's chain,
// or 0 when err is not an answer from the API.
func StatusCode(err error) int {
	if e, ok := asError(err); ok {
		return e.StatusCode
	}
	return 0
}

// IsRetryable reports whether the same request may succeed later: network
// errors, 429 and 5xx. Cancellation is never retryable, and neither is any
// other 4xx. The client already retried such errors up to its attempt cap;
// callers use this to decide between "try the row again later" and "reject".
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	// A network error may wrap a timeout of the HTTP client itself, which
	// is worth retrying; the caller's own deadline is not.
	return errors.Is(err, ErrRateLimited) || errors.Is(err, ErrServer) || errors.Is(err, ErrNetwork)
}

// IsAmbiguous reports whether the request may or may not have been carried
// out: it was sent, and the answer was lost (a network error) or came from a
// failing server or proxy (a 5xx). For a create, the caller verifies whether
// the record exists before creating it again.
func IsAmbiguous(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	return errors.Is(err, ErrServer) || errors.Is(err, ErrNetwork)
}

// IsFatal reports whether err must end a run rather than reject one row: a
// refused key or permission, cancellation, or an API that stayed throttled
// or down longer than the client waits (the row is unfinished, not wrong:
// the run stops and resumes from its journal).
func IsFatal(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	return errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrForbidden) || IsUnavailable(err)
}

// IsLimitRefused reports whether err is the API refusing a page size (a 422
// naming "limit"): the caller retries with a smaller one.
func IsLimitRefused(err error) bool {
	e, ok := asError(err)
	if !ok || e.Kind != ErrValidation || e.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	_, ok = e.Fields["limit"]
	return ok
}

// IsNotServed reports whether a list endpoint is not served to this key: a
// 404 (an endpoint this API or plan does not have) or a 403 (the key may not
// read it). An export leaves such an optional table out rather than fail.
func IsNotServed(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrForbidden)
}

// IsUnknownPartner reports whether the API refused a write because the
// partner it names does not exist: the documented 400 "Invalid partner key",
// a "Partner not found" message inside a refusal, or any field error on the
// partner the row names ("partner", "partner.key", "customer.partner.key":
// the wording of a 422 is not documented, its field names are).
func IsUnknownPartner(err error) bool {
	e, ok := asError(err)
	if !ok || e.Kind != ErrValidation {
		return false
	}
	if m := strings.ToLower(e.Message); strings.Contains(m, "invalid partner") || strings.Contains(m, "partner not found") {
		return true
	}
	for f := range e.Fields {
		if f == "partner" || strings.HasPrefix(f, "partner.") || strings.HasPrefix(f, "customer.partner") {
			return true
		}
	}
	return false
}

// IsUnknownCustomer reports whether the API answered that a customer does
// not exist: a 404, or a refusal whose text says "customer not found".
func IsUnknownCustomer(err error) bool {
	if errors.Is(err, ErrNotFound) {
		return true
	}
	if !errors.Is(err, ErrValidation) {
		return false
	}
	return strings.Contains(strings.ToLower(err.Error()), "customer not found")
}

// IsDuplicate reports whether the API refused a create because the identity
// it names exists. The documented answer is a 422 "Duplicate key"; for an
// email, id or key of a partner only the status is documented, so any
// wording of Laravel's unique rule ("has already been taken") or its
// paraphrases ("already exists", "duplicate") counts, in the message or in
// a field's messages.
func IsDuplicate(err error) bool {
	e, ok := asError(err)
	if !ok || e.Kind != ErrValidation {
		return false
	}
	texts := []string{e.Message}
	for _, msgs := range e.Fields {
		texts = append(texts, msgs...)
	}
	for _, t := range texts {
		t = strings.ToLower(t)
		if strings.Contains(t, "duplicate") || strings.Contains(t, "already") || strings.Contains(t, "taken") || strings.Contains(t, "exists") {
			return true
		}
	}
	return false
}
