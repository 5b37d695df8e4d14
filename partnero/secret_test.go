package partnero

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
)

// TestKeyNeverLeaks drives every kind of error through a server that echoes
// the key back in every way it can, and checks that no error text, log line
// or rendering of the client carries it.
func TestKeyNeverLeaks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		answers := []func(w http.ResponseWriter, key string) error{
			func(w http.ResponseWriter, key string) error {
				reply(w, 401, `{"message":"Unknown key `+key+`"}`)
				return nil
			},
			func(w http.ResponseWriter, key string) error {
				reply(w, 403, `{"message":"key `+key+` may not"}`)
				return nil
			},
			func(w http.ResponseWriter, key string) error {
				reply(w, 404, `{"message":"`+key+` not found"}`)
				return nil
			},
			func(w http.ResponseWriter, key string) error {
				reply(w, 422, `{"message":"bad `+key+`","errors":{"email":["`+key+`"]}}`)
				return nil
			},
			func(w http.ResponseWriter, key string) error {
				reply(w, 429, `{"message":"slow down `+key+`"}`)
				return nil
			},
			func(w http.ResponseWriter, key string) error {
				w.WriteHeader(502)
				io.WriteString(w, "<html><pre>Authorization: Bearer "+key+"</pre></html>")
				return nil
			},
			func(w http.ResponseWriter, key string) error { reply(w, 409, `<b>`+key+`</b>`); return nil },
			func(w http.ResponseWriter, key string) error {
				reply(w, 200, `{"status":0,"message":"`+key+`"}`)
				return nil
			},
			func(w http.ResponseWriter, key string) error { reply(w, 200, `not json `+key); return nil },
			func(w http.ResponseWriter, key string) error {
				reply(w, 200, `{"data":{"amount":"`+key+`"}}`)
				return nil
			},
			// A transport that quotes the request's headers in its error.
			func(w http.ResponseWriter, key string) error {
				return errors.New("proxy refused Authorization: Bearer " + key)
			},
		}
		for i, answer := range answers {
			c, err := NewClient(
				WithBaseURL("http://user:hunter2@api.test/v1/"), WithAPIKey(testKey), WithLogger(logger),
				WithRate(Rate{}), WithMaxAttempts(2),
				WithHTTPClient(&http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
					rec := httptest.NewRecorder()
					if err := answer(rec, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")); err != nil {
						return nil, err
					}
					return rec.Result(), nil
				})}))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Transactions.Get(t.Context(), "t1")
			if err == nil {
				t.Fatalf("answer %d: no error", i)
			}
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			_, cerr := c.Partners.Get(ctx, "p1")
			for _, s := range []string{err.Error(), fmt.Sprintf("%v %+v %#v", err, err, err), cerr.Error(),
				fmt.Sprintf("%v %+v %#v %s", c, c, c, c), c.BaseURL()} {
				if strings.Contains(s, testKey) || strings.Contains(s, "hunter2") {
					t.Errorf("answer %d leaks a secret: %s", i, s)
				}
			}
		}
		if logs.Len() == 0 {
			t.Fatal("nothing logged")
		}
		if bytes.Contains(logs.Bytes(), []byte(testKey)) {
			t.Errorf("logs leak the key:\n%s", logs.String())
		}
	})
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A server may echo the key in anything it answers, field names included;
// every consumer of a validation error (the reject file names fields) reads
// Fields directly, so the names are scrubbed where the error is built.
func TestKeyNeverLeaksFromFieldNames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := NewClient(WithBaseURL("http://api.test/v1/"), WithAPIKey(testKey), WithRate(Rate{}), WithMaxAttempts(1),
			WithHTTPClient(&http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
				key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
				rec := httptest.NewRecorder()
				reply(rec, 422, `{"message":"invalid","errors":{"`+key+`":["bad"],"meta.`+key+`.x":[{"k":"`+key+`"}],"email":"taken"}}`)
				return rec.Result(), nil
			})}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Partners.Get(t.Context(), "p1")
		ve, ok := errors.AsType[*Error](err)
		if !ok || !errors.Is(err, ErrValidation) {
			t.Fatalf("err = %v, want an ErrValidation", err)
		}
		if s := fmt.Sprintf("%v %#v", err, ve.Fields); strings.Contains(s, testKey) {
			t.Fatalf("the key leaks through the field names: %s", s)
		}
		if got := ve.Fields["[redacted]"]; len(got) != 1 || got[0] != "bad" {
			t.Errorf("Fields = %q: want the scrubbed field kept with its message", ve.Fields)
		}
		if got := ve.Fields["email"]; len(got) != 1 || got[0] != "taken" {
			t.Errorf("Fields = %q: the other fields must be kept as they are", ve.Fields)
		}
	})
}

// An echo may quote the key escaped: as raw JSON (a non-string value kept as
// its JSON text) or URL-escaped (a quoted request line).
func TestScrubEscapedKey(t *testing.T) {
	const key = "sk+a/b<c>&d"
	c := &Client{key: key}
	for _, s := range []string{
		"plain " + key,
		`json {"k":"sk+a/b\u003cc\u003e\u0026d"}`,
		"query sk%2Ba%2Fb%3Cc%3E%26d",
		"path sk+a%2Fb%3Cc%3E&d",
	} {
		if got := c.scrub(s); !strings.Contains(got, "[redacted]") || strings.Contains(got, "sk+") || strings.Contains(got, "sk%2B") {
			t.Errorf("scrub(%q) = %q", s, got)
		}
	}
}
