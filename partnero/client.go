package partnero

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultBaseURL is the Partnero API's base URL.
const DefaultBaseURL = "https://api.partnero.com/v1/"

const (
	defaultMaxAttempts = 8
	// maxBody bounds an answer read into memory: a page of 250 records is
	// well under a megabyte.
	maxBody = 32 << 20
	// maxRetryAfter caps the Retry-After the pacer holds every request
	// for; a call whose Retry-After is beyond WithMaxWait gives up at once.
	maxRetryAfter = 10 * time.Minute
	// latencyWeight is the weight of a new observation in the smoothed latency.
	latencyWeight = 0.2
)

// Client talks to one Partnero program with one API key. It is safe for
// concurrent use; all its requests share one pacer.
type Client struct {
	Partners     *PartnersService
	Customers    *CustomersService
	Transactions *TransactionsService

	base        *url.URL // always ends in "/"
	baseText    string   // base.String(), for building request URLs
	key         string
	httpClient  *http.Client
	userAgent   string
	maxAttempts int
	maxWait     time.Duration
	logger      *slog.Logger
	pacer       *pacer
	// retryTxCreates: retry transaction creates after ambiguous failures.
	retryTxCreates bool

	requests, retries, rateLimited, serverErrors, networkErrors atomic.Int64
	latency                                                     atomic.Int64 // smoothed, nanoseconds
	// lastAnswer is when the API last answered a request other than with
	// a 429 or a 5xx (UnixNano): failures while it answers others are the
	// request's own; failures while it answers none are an outage.
	lastAnswer atomic.Int64

	routesMu sync.Mutex
	routes   map[string]int64
}

// Option configures a Client.
type Option func(*config) error

type config struct {
	baseURL     string
	key         string
	httpClient  *http.Client
	userAgent   string
	rate        Rate
	maxAttempts int
	maxWait     time.Duration
	logger      *slog.Logger
	// noTxCreateRetries is the negation, so the zero config retries.
	noTxCreateRetries bool
}

// WithBaseURL sets the API's base URL (default DefaultBaseURL). A missing
// trailing slash is added: "http://127.0.0.1:8765/v1" means ".../v1/".
func WithBaseURL(u string) Option {
	return func(c *config) error { c.baseURL = u; return nil }
}

// WithAPIKey sets the key sent as "Authorization: Bearer".
func WithAPIKey(key string) Option {
	return func(c *config) error { c.key = key; return nil }
}

// WithHTTPClient sets the HTTP client (default: one with a 60 s timeout per
// attempt and enough idle connections for a worker pool).
func WithHTTPClient(h *http.Client) Option {
	return func(c *config) error {
		if h == nil {
			return errors.New("nil HTTP client")
		}
		c.httpClient = h
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *config) error { c.userAgent = ua; return nil }
}

// WithRate sets the request budget (default Rate{Auto: true}).
func WithRate(r Rate) Option {
	return func(c *config) error {
		if r.PerSecond < 0 {
			return fmt.Errorf("negative rate %v", r.PerSecond)
		}
		c.rate = r
		return nil
	}
}

// WithMaxAttempts caps how many times one call is sent (default 8; 1 means
// no retries).
func WithMaxAttempts(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("max attempts %d: want at least 1", n)
		}
		c.maxAttempts = n
		return nil
	}
}

// WithLogger sets where the client logs requests (Debug) and retries (Info
// after a 429, Warn after a 5xx or a network error).
// The default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error { c.logger = l; return nil }
}

// WithTransactionCreateRetries(false) stops the client from sending a
// transaction create (Transactions.Create and CreateBatch) again after a
// network error or a 5xx: the server may have committed it before the answer
// was lost, and a second create records a second transaction and pays its
// commission twice (the API does not refuse a repeated key). The call then
// returns that error at once (IsAmbiguous reports true) and the caller
// verifies by listing the customer's transactions. 429s are still retried:
// a throttled request was not carried out. The default is to retry, like
// every other call.
func WithTransactionCreateRetries(retry bool) Option {
	return func(c *config) error { c.noTxCreateRetries = !retry; return nil }
}

// NewClient's errors for a key or a base URL it refuses wrap these, so a
// caller can say which of its settings is wrong.
var (
	ErrInvalidAPIKey  = errors.New("invalid API key")
	ErrInvalidBaseURL = errors.New("invalid base URL")
)

// CheckAPIKey reports why key cannot be an API key (wrapping
// ErrInvalidAPIKey), or nil. A key is sent in a header, so a line break or
// another control character (a key file with two lines, a stray byte from a
// copy and paste) could never be sent: the HTTP layer refuses the request,
// and retrying it only wastes time. The error says where the character is,
// never what the key is. An empty key is not checked here.
func CheckAPIKey(key string) error {
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '\n' || c == '\r':
			return fmt.Errorf("%w: it contains a line break (at character %d of %d): a key is one line", ErrInvalidAPIKey, i+1, len(key))
		case c < 0x20 || c == 0x7f:
			return fmt.Errorf("%w: it contains a control character (byte 0x%02x at character %d of %d)", ErrInvalidAPIKey, c, i+1, len(key))
		}
	}
	return nil
}

// NewClient returns a client configured by opts.
func NewClient(opts ...Option) (*Client, error) {
	cfg := config{baseURL: DefaultBaseURL, rate: Rate{Auto: true}, maxAttempts: defaultMaxAttempts, userAgent: "partnero-etl"}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("partnero client: %w", err)
		}
	}
	if err := CheckAPIKey(cfg.key); err != nil {
		return nil, fmt.Errorf("partnero client: %w", err)
	}
	base, err := url.Parse(strings.TrimSpace(cfg.baseURL))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		// url.Parse's error repeats the URL, which may hold credentials.
		return nil, fmt.Errorf("partnero client: %w: it must be an absolute http or https URL", ErrInvalidBaseURL)
	}
	if base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("partnero client: %w: it must not have a query or fragment", ErrInvalidBaseURL)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
		if base.RawPath != "" {
			base.RawPath += "/"
		}
	}
	if cfg.httpClient == nil {
		cfg.httpClient = defaultHTTPClient()
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		base:        base,
		baseText:    base.String(),
		key:         cfg.key,
		httpClient:  cfg.httpClient,
		userAgent:   cfg.userAgent,
		maxAttempts: cfg.maxAttempts,
		maxWait:     cfg.maxWait,
		logger:      cfg.logger,
		pacer:       newPacer(cfg.rate),
		routes:      make(map[string]int64),

		retryTxCreates: !cfg.noTxCreateRetries,
	}
	c.Partners = &PartnersService{c: c}
	c.Customers = &CustomersService{c: c}
	c.Transactions = &TransactionsService{c: c}
	return c, nil
}

// NewHTTPClient returns a new HTTP client of the kind NewClient uses when
// given none: a 60 s timeout per attempt, and a transport that keeps enough
// idle connections for a worker pool. Callers that wrap the transport start
// from it rather than from http.DefaultTransport.
func NewHTTPClient() *http.Client { return defaultHTTPClient() }

func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// The default keeps 2 idle connections per host: a pool of workers
	// against one API host would open and close connections all day.
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: t, Timeout: 60 * time.Second}
}

// String describes the client without its key (so %v and %+v are safe).
func (c *Client) String() string {
	key := "none"
	if c.key != "" {
		key = "[redacted]"
	}
	return fmt.Sprintf("partnero.Client{base: %s, key: %s, rate: %s}", c.base.Redacted(), key, c.pacer.mode)
}

// GoString is String, so %#v is safe too.
func (c *Client) GoString() string { return c.String() }

// BaseURL returns the base URL requests are sent to (credentials redacted).
func (c *Client) BaseURL() string { return c.base.Redacted() }

// Stats is a snapshot of what a client has done.
type Stats struct {
	// Requests counts every HTTP request sent, retries included; ByRoute
	// splits them by route ("GET /partners", "PUT /customers/{key}").
	Requests int64
	ByRoute  map[string]int64
	// Retries counts requests sent again after a failure.
	Retries       int64
	RateLimited   int64 // 429 answers
	ServerErrors  int64 // 5xx answers
	NetworkErrors int64 // requests without an answer
	// Limit is the current budget in requests per second (0 = none).
	Limit float64
	// LearnedFromHeaders says the budget came from X-RateLimit-Limit.
	LearnedFromHeaders bool
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats {
	s := Stats{
		Requests:      c.requests.Load(),
		Retries:       c.retries.Load(),
		RateLimited:   c.rateLimited.Load(),
		ServerErrors:  c.serverErrors.Load(),
		NetworkErrors: c.networkErrors.Load(),
	}
	s.Limit, s.LearnedFromHeaders = c.pacer.currentLimit()
	c.routesMu.Lock()
	s.ByRoute = make(map[string]int64, len(c.routes))
	for k, v := range c.routes {
		s.ByRoute[k] = v
	}
	c.routesMu.Unlock()
	return s
}

// Limit returns the current request budget in requests per second (0 when
// there is none).
func (c *Client) Limit() float64 {
	l, _ := c.pacer.currentLimit()
	return l
}

// Latency returns the smoothed latency of the API's answers (0 before the
// first). Worker pools size themselves from Limit() x Latency().
func (c *Client) Latency() time.Duration { return time.Duration(c.latency.Load()) }

func (c *Client) observeLatency(d time.Duration) {
	for {
		old := c.latency.Load()
		next := int64(d)
		if old != 0 {
			next = int64(float64(old)*(1-latencyWeight) + float64(d)*latencyWeight)
		}
		if c.latency.CompareAndSwap(old, next) {
			return
		}
	}
}

// scrub removes the key from text that came from elsewhere (a body echoing
// the request, an error of the transport), also in the escaped spellings an
// echo may use: JSON-escaped (a raw JSON value quoted as is) and
// URL-escaped (a server quoting the request line).
func (c *Client) scrub(s string) string {
	if c.key == "" {
		return s
	}
	s = strings.ReplaceAll(s, c.key, "[redacted]")
	for _, alt := range c.keyForms() {
		s = strings.ReplaceAll(s, alt, "[redacted]")
	}
	return s
}

// keyForms returns the escaped spellings of the key that differ from it.
func (c *Client) keyForms() []string {
	var forms []string
	if b, err := json.Marshal(c.key); err == nil {
		if j := string(b[1 : len(b)-1]); j != c.key {
			forms = append(forms, j)
		}
	}
	for _, u := range []string{url.QueryEscape(c.key), url.PathEscape(c.key)} {
		if u != c.key && !slices.Contains(forms, u) {
			forms = append(forms, u)
		}
	}
	return forms
}

// request is one API call before it is sent.
type request struct {
	method string
	route  string     // "GET /partners/{id}", for Stats
	path   string     // relative to the base, escaped: "partners/p%201"
	query  url.Values // may be nil
	body   any        // JSON-encoded when not nil
	// ambiguousFinal: a network error or 5xx ends the call (no retry).
	ambiguousFinal bool
}

// do sends r, retrying what may succeed later, and returns the success
// answer and its envelope or a typed error. Every call goes through here.
//
// Retries cover network errors, 429 and 5xx, for every verb: POSTs are not
// idempotent, so a retried create may have been committed already (the
// answer got lost). The client still retries them because the import engine
// reconciles what exists before it writes and after such failures; a caller
// that cannot reconcile should use WithMaxAttempts(1).
//
// Throttling and outages are not the request's fault: a 429, and a network
// error or 5xx while the API (which answered this client before) answered
// no other request since this call last failed, do not count against the
// attempts. The call waits them out (the
// pacer holds every request while the server's window is spent; the
// refused request itself also waits for its Retry-After) for up to maxWait,
// then fails with an *UnavailableError: the work is unfinished, not wrong.
func (c *Client) do(ctx context.Context, r request) (answer, *envelope, error) {
	var body []byte
	if r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			return answer{}, nil, fmt.Errorf("encode %s %s: %w", r.method, "/"+r.path, err)
		}
	}
	target := c.baseText + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	shown := "/" + r.path // what errors and logs name: no host, no query
	maxWait := c.maxWait
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	var (
		last     error
		held     time.Time // when throttling or an outage first held this call back
		attempts int       // failures that count against maxAttempts
		failures int       // failures in a row, for the backoff
		failedAt time.Time // the last failure
	)
	for {
		tk, err := c.pacer.wait(ctx)
		if err != nil {
			return answer{}, nil, c.stopped(r, shown, err, last)
		}
		a, env, err := c.attempt(ctx, r, target, shown, body, tk)
		if err == nil {
			return a, env, nil
		}
		if ctx.Err() != nil {
			return answer{}, nil, c.stopped(r, shown, ctx.Err(), err)
		}
		last = err
		rl, _ := asError(err)
		isRL := rl != nil && rl.Kind == ErrRateLimited
		if !IsRetryable(err) || c.maxAttempts == 1 || (r.ambiguousFinal && !isRL) {
			return a, nil, err
		}
		failures++
		now := time.Now()
		// The API answered others since this call last failed (or in the
		// second before its first try): the failure is the request's own.
		// An API that never answered this client is not having an outage
		// (a wrong URL, a host that is down): that fails in attempts too.
		since := failedAt
		if since.IsZero() {
			since = tk.sent.Add(-time.Second)
		}
		failedAt = now
		answered := c.lastAnswer.Load()
		ownFault := !isRL && (answered == 0 || answered > since.UnixNano())
		if ownFault {
			if attempts++; attempts >= c.maxAttempts {
				return a, nil, err
			}
		} else if held.IsZero() {
			held = tk.sent
		}
		if !held.IsZero() && (now.Sub(held) >= maxWait || (isRL && rl.RetryAfter > maxWait)) {
			return a, nil, &UnavailableError{Waited: now.Sub(held), Err: err}
		}
		c.retries.Add(1)
		// The refused request waits for its Retry-After; the pacer holds
		// the others only as long as the server's window is spent. Other
		// failures wait on their own, exponentially, capped lower while
		// the API does not answer at all (it is back within seconds).
		// 429s are pacing at work, logged quietly; 5xx and network errors
		// are worth a warning.
		var pause time.Duration
		level := slog.LevelInfo
		switch {
		case isRL:
			pause = rl.RetryAfter
		case ownFault:
			pause = backoff(failures)
			level = slog.LevelWarn
		default:
			pause = min(backoff(failures), maxOutagePause)
			level = slog.LevelWarn
		}
		if !held.IsZero() {
			pause = min(pause, max(0, held.Add(maxWait).Sub(now)))
		}
		c.logger.LogAttrs(ctx, level, "partnero: retrying",
			slog.String("method", r.method), slog.String("path", shown),
			slog.Int("attempt", attempts+1), slog.String("error", err.Error()), slog.Duration("pause", pause))
		if pause > 0 {
			if err := sleep(ctx, pause); err != nil {
				return answer{}, nil, c.stopped(r, shown, err, last)
			}
		}
	}
}

// stopped is the error of a call that cancellation interrupted; it wraps the
// context's error (errors.Is works) and names the last failure, if any.
func (c *Client) stopped(r request, shown string, ctxErr, last error) error {
	if last != nil {
		return fmt.Errorf("%s %s: %w (last failure: %v)", r.method, shown, ctxErr, last)
	}
	return fmt.Errorf("%s %s: %w", r.method, shown, ctxErr)
}

// attempt sends r once and reads its answer.
func (c *Client) attempt(ctx context.Context, r request, target, shown string, body []byte, tk ticket) (answer, *envelope, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, rd)
	if err != nil {
		return answer{}, nil, fmt.Errorf("build %s %s: %w", r.method, shown, errors.New(c.scrub(err.Error())))
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}

	c.requests.Add(1)
	c.routesMu.Lock()
	c.routes[r.route]++
	c.routesMu.Unlock()

	start := time.Now()
	resp, err := c.httpClient.Do(req)
	var data []byte
	if err == nil {
		data, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		resp.Body.Close()
		if err == nil && len(data) > maxBody {
			err = fmt.Errorf("answer larger than %d bytes", maxBody)
		}
	}
	elapsed := time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			return answer{}, nil, ctx.Err()
		}
		c.networkErrors.Add(1)
		c.pacer.observe(tk, 0, nil, 0)
		c.logger.LogAttrs(ctx, slog.LevelDebug, "partnero: request failed",
			slog.String("method", r.method), slog.String("path", shown), slog.Duration("elapsed", elapsed))
		return answer{}, nil, &Error{Kind: ErrNetwork, Method: r.method, Path: shown, Err: c.transportError(err)}
	}
	c.observeLatency(elapsed)
	a := answer{method: r.method, path: shown, status: resp.StatusCode, header: resp.Header, body: data, now: time.Now(), scrub: c.scrub}
	env, err := checkResponse(a)
	var ra time.Duration
	switch e, _ := asError(err); {
	case e != nil && e.Kind == ErrRateLimited:
		c.rateLimited.Add(1)
		ra = min(e.RetryAfter, maxRetryAfter)
	case resp.StatusCode >= 500:
		c.serverErrors.Add(1)
	}
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
		c.lastAnswer.Store(time.Now().UnixNano())
	}
	c.pacer.observe(tk, resp.StatusCode, resp.Header, ra)
	c.logger.LogAttrs(ctx, slog.LevelDebug, "partnero: request",
		slog.String("method", r.method), slog.String("path", shown),
		slog.Int("status", resp.StatusCode), slog.Duration("elapsed", elapsed))
	return a, env, err
}

// transportError strips the URL from a transport error (it repeats the
// query, and the base URL may hold credentials) and scrubs the rest.
func (c *Client) transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := c.scrub(err.Error())
	if c.base.User != nil {
		if pw, ok := c.base.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "[redacted]")
		}
	}
	return &transportError{msg: msg, timeout: isTimeout(err)}
}

// transportError is a transport failure reduced to its scrubbed text.
type transportError struct {
	msg     string
	timeout bool
}

func (e *transportError) Error() string { return e.msg }

// Timeout reports whether the transport timed out (net.Error style).
func (e *transportError) Timeout() bool { return e.timeout }

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// get sends a GET and decodes the answer's data into v.
func (c *Client) get(ctx context.Context, route, path string, q url.Values, v any) error {
	return c.call(ctx, request{method: http.MethodGet, route: route, path: path, query: q}, v)
}

// call sends r and decodes the answer's data into v (nil: the answer is only
// checked, as for the action endpoints that answer {"status": 1}).
func (c *Client) call(ctx context.Context, r request, v any) error {
	a, env, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	if v == nil {
		return nil
	}
	return decodeInto(a, env, v)
}

// Test checks the key with GET /test and returns the program it belongs to.
func (c *Client) Test(ctx context.Context) (*Program, error) {
	var data json.RawMessage
	if err := c.get(ctx, "GET /test", "test", nil, &data); err != nil {
		return nil, err
	}
	// The program is data.program; be liberal and accept it as data itself.
	var wrapped struct {
		Program json.RawMessage `json:"program"`
	}
	raw := data
	if json.Unmarshal(data, &wrapped) == nil && len(wrapped.Program) > 0 && string(wrapped.Program) != "null" {
		raw = wrapped.Program
	}
	var v struct {
		PubID ID     `json:"pub_id"` // a string, but a number would do
		Name  string `json:"name"`
		// Not in the contract: taken when it is a plain code, ignored in
		// any other shape.
		Currency json.RawMessage `json:"currency"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, &Error{Kind: ErrDecode, StatusCode: http.StatusOK, Method: http.MethodGet, Path: "/test", Err: err}
	}
	p := &Program{PubID: string(v.PubID), Name: v.Name, Raw: raw}
	var code string
	if json.Unmarshal(v.Currency, &code) == nil && len(code) == 3 {
		p.Currency = strings.ToUpper(code)
	}
	return p, nil
}

// segment escapes one id or key for a URL path. An empty id, "." or ".."
// would address another resource, so they are refused.
func segment(kind, id string) (string, error) {
	switch id {
	case "":
		return "", fmt.Errorf("empty %s", kind)
	case ".", "..":
		return "", fmt.Errorf("invalid %s %q", kind, id)
	}
	return url.PathEscape(id), nil
}
