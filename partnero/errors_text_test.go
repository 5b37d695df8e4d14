package partnero

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestErrorText pins, word for word, what every kind of API error says:
// users read these lines in the terminal and in reject files, and tests of
// the commands match them.
func TestErrorText(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	answerOf := func(method, path string, status int, header http.Header, body string) answer {
		return answer{method: method, path: path, status: status, header: header, body: []byte(body), now: now}
	}
	tests := []struct {
		name string
		a    answer
		want string
	}{
		{"401", answerOf("GET", "test", 401, nil, `{"message":"Unauthenticated."}`),
			"unauthorized: GET test: 401 Unauthorized: Unauthenticated."},
		{"401 without a body", answerOf("GET", "test", 401, nil, ``),
			"unauthorized: GET test: 401 Unauthorized"},
		{"403", answerOf("DELETE", "partners/p1", 403, nil, `{"message":"This action is unauthorized."}`),
			"forbidden: DELETE partners/p1: 403 Forbidden: This action is unauthorized."},
		{"404", answerOf("GET", "customers/c1", 404, nil, `{"message":"Customer not found","status":0}`),
			"not found: GET customers/c1: 404 Not Found: Customer not found"},
		{"400", answerOf("POST", "customers", 400, nil, `{"message":"Invalid partner key","status":0}`),
			"invalid request: POST customers: 400 Bad Request: Invalid partner key"},
		{"422 with fields", answerOf("POST", "partners", 422, nil,
			`{"message":"The email has already been taken.","errors":{"key":["The key has already been taken."],"email":["The email has already been taken.","Twice."]},"status":0}`),
			"invalid request: POST partners: 422 Unprocessable Entity: The email has already been taken. (email: The email has already been taken. Twice.; key: The key has already been taken.)"},
		{"422 fields only", answerOf("POST", "partners", 422, nil, `{"errors":{"email":["bad"]},"status":0}`),
			"invalid request: POST partners: 422 Unprocessable Entity: email: bad"},
		{"429 with Retry-After", answerOf("GET", "partners", 429, http.Header{"Retry-After": {"7"}}, `{"message":"Too Many Attempts."}`),
			"rate limited: GET partners: 429 Too Many Requests: Too Many Attempts. (retry after 7s)"},
		{"429 without", answerOf("GET", "partners", 429, nil, `{"message":"Too Many Attempts."}`),
			"rate limited: GET partners: 429 Too Many Requests: Too Many Attempts."},
		{"500 JSON", answerOf("POST", "transactions", 500, nil, `{"message":"Server Error"}`),
			"server error: POST transactions: 500 Internal Server Error: Server Error"},
		{"502 HTML", answerOf("GET", "partners", 502, nil, `<html><body><h1>502 Bad Gateway</h1></body></html>`),
			"server error: GET partners: 502 Bad Gateway: 502 Bad Gateway"},
		{"405", answerOf("PATCH", "partners", 405, nil, `<html>nope</html>`),
			"api error: PATCH partners: 405 Method Not Allowed: nope"},
		{"200 status 0", answerOf("POST", "partners/p1/archive", 200, nil, `{"message":"Action failed","status":0}`),
			"api error: POST partners/p1/archive: 200 OK: Action failed"},
	}
	for _, tt := range tests {
		_, err := checkResponse(tt.a)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
		if got := StatusCode(fmt.Errorf("wrapped: %w", err)); got != tt.a.status {
			t.Errorf("%s: StatusCode = %d, want %d", tt.name, got, tt.a.status)
		}
	}

	dec := answerOf("GET", "partners/p1", 200, nil, `{"data":`).decodeError(errors.New("unexpected end of JSON input"))
	if got, want := dec.Error(), "decode answer to GET partners/p1 (200): unexpected end of JSON input"; got != want {
		t.Errorf("decode:\n got %q\nwant %q", got, want)
	}
	if StatusCode(dec) != 200 {
		t.Errorf("decode: StatusCode = %d, want 200", StatusCode(dec))
	}
}

// TestNetworkErrorText pins what a request without an answer says: the
// request and the transport's reason, without the URL.
func TestNetworkErrorText(t *testing.T) {
	t.Parallel()
	c, err := NewClient(WithBaseURL("http://127.0.0.1:1/v1/"), WithAPIKey(testKey), WithRate(Rate{}), WithMaxAttempts(1),
		WithHTTPClient(&http.Client{Transport: failingTransport{}}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Partners.Get(t.Context(), "p1")
	if err == nil {
		t.Fatal("no error")
	}
	if got, want := err.Error(), "GET /partners/p1: connection reset by peer"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if StatusCode(err) != 0 || !IsRetryable(err) || !IsAmbiguous(err) {
		t.Errorf("StatusCode %d, retryable %v, ambiguous %v: want 0, true, true", StatusCode(err), IsRetryable(err), IsAmbiguous(err))
	}
}

type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("connection reset by peer")
}
