package partnero

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Every error the API answers is one of the types below. Each carries the
// request's method and path (relative to the base URL, without the query
// string) and the HTTP status; none ever carries the API key, a header or the
// full URL. Messages taken from response bodies are cut short and scrubbed of
// the key before they are stored.

// UnauthorizedError is the API's 401: a missing or unknown key.
type UnauthorizedError struct {
	Message    string
	StatusCode int
	Method     string
	Path       string
}

func (e *UnauthorizedError) Error() string {
	return "unauthorized: " + describe(e.Method, e.Path, e.StatusCode, e.Message)
}

// ForbiddenError is the API's 403: the key may not do this.
type ForbiddenError struct {
	Message    string
	StatusCode int
	Method     string
	Path       string
}

func (e *ForbiddenError) Error() string {
	return "forbidden: " + describe(e.Method, e.Path, e.StatusCode, e.Message)
}

// NotFoundError is the API's 404 ("Partner not found").
type NotFoundError struct {
	Message    string
	StatusCode int
	Method     string
	Path       string
}

func (e *NotFoundError) Error() string {
	return "not found: " + describe(e.Method, e.Path, e.StatusCode, e.Message)
}

// ValidationError is a request the API refused for its content: a 422 with
// field errors, or a 400 such as "Invalid partner key" or "Action failed".
// Fields maps the API's dotted field names ("customer.key", "update.email",
// "transactions.3.amount") to their messages; it is empty for a 400.
type ValidationError struct {
	Message    string
	Fields     map[string][]string
	StatusCode int
	Method     string
	Path       string
}

func (e *ValidationError) Error() string {
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
	return "invalid request: " + describe(e.Method, e.Path, e.StatusCode, msg)
}

// RateLimitError is a 429 that retries did not get past. RetryAfter is what
// the server asked for (zero when it did not say).
type RateLimitError struct {
	Message    string
	RetryAfter time.Duration
	StatusCode int
	Method     string
	Path       string
}

func (e *RateLimitError) Error() string {
	s := "rate limited: " + describe(e.Method, e.Path, e.StatusCode, e.Message)
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// ServerError is a 5xx. Body is the start of the answer, which is often an
// HTML page from a proxy rather than JSON.
type ServerError struct {
	Message    string
	Body       string
	StatusCode int
	Method     string
	Path       string
}

func (e *ServerError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Body
	}
	return "server error: " + describe(e.Method, e.Path, e.StatusCode, msg)
}

// APIError is any other answer that is not a success: a 4xx the contract does
// not name (405, 409, 413...), or a 2xx whose body says "status": 0.
type APIError struct {
	Message    string
	StatusCode int
	Method     string
	Path       string
}

func (e *APIError) Error() string {
	return "api error: " + describe(e.Method, e.Path, e.StatusCode, e.Message)
}

// DecodeError is a success answer whose body the client could not read. The
// server did what was asked (a write happened); only the answer is lost, so
// callers verify by reading the record back rather than retrying blindly.
type DecodeError struct {
	StatusCode int
	Method     string
	Path       string
	Err        error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("decode answer to %s %s (%d): %v", e.Method, e.Path, e.StatusCode, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// NetworkError is a request that got no HTTP answer: refused, reset, timed
// out, or dropped after the server may have committed a write.
type NetworkError struct {
	Method string
	Path   string
	Err    error
}

func (e *NetworkError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.Method, e.Path, e.Err)
}

func (e *NetworkError) Unwrap() error { return e.Err }

func describe(method, path string, status int, msg string) string {
	s := fmt.Sprintf("%s %s: %d %s", method, path, status, http.StatusText(status))
	if msg != "" {
		s += ": " + msg
	}
	return s
}

// StatusCode returns the HTTP status of an API error anywhere in err's chain,
// or 0 when err is not an answer from the API.
func StatusCode(err error) int {
	var (
		ue *UnauthorizedError
		fe *ForbiddenError
		ne *NotFoundError
		ve *ValidationError
		re *RateLimitError
		se *ServerError
		ae *APIError
		de *DecodeError
	)
	switch {
	case errors.As(err, &ue):
		return ue.StatusCode
	case errors.As(err, &fe):
		return fe.StatusCode
	case errors.As(err, &ne):
		return ne.StatusCode
	case errors.As(err, &ve):
		return ve.StatusCode
	case errors.As(err, &re):
		return re.StatusCode
	case errors.As(err, &se):
		return se.StatusCode
	case errors.As(err, &ae):
		return ae.StatusCode
	case errors.As(err, &de):
		return de.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is the API's 404.
func IsNotFound(err error) bool {
	var e *NotFoundError
	return errors.As(err, &e)
}

// IsValidation reports whether the API refused the request's content (422 or
// 400): retrying the same request cannot help; the row is rejected.
func IsValidation(err error) bool {
	var e *ValidationError
	return errors.As(err, &e)
}

// IsUnauthorized reports whether the API refused the key (401).
func IsUnauthorized(err error) bool {
	var e *UnauthorizedError
	return errors.As(err, &e)
}

// IsRetryable reports whether the same request may succeed later: network
// errors, 429 and 5xx. Cancellation is never retryable, and neither is any
// other 4xx. The client already retried such errors up to its attempt cap;
// callers use this to decide between "try the row again later" and "reject".
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var (
		re *RateLimitError
		se *ServerError
		ne *NetworkError
	)
	// A NetworkError may wrap a timeout of the HTTP client itself, which is
	// worth retrying; the caller's own deadline is not.
	return errors.As(err, &re) || errors.As(err, &se) || errors.As(err, &ne)
}

// IsAmbiguous reports whether the request may or may not have been carried
// out: it was sent, and the answer was lost (a network error) or came from a
// failing server or proxy (a 5xx). For a create, the caller verifies whether
// the record exists before creating it again.
func IsAmbiguous(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var (
		se *ServerError
		ne *NetworkError
	)
	return errors.As(err, &se) || errors.As(err, &ne)
}
