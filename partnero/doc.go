// Package partnero is a client for the Partnero REST API v1: typed resources
// (partners, customers, transactions), one place that decodes every response
// into values or typed errors, paging, and the pacing every request made with
// one key shares (a token bucket, a not-before gate on 429, retries with
// backoff).
//
// It is liberal in what it accepts: the API's contract leaves many details
// unsettled (see the project's API notes), and the client must survive every
// plausible variant: any 2xx, a missing "status", unknown fields, amounts as
// numbers or strings, HTML error pages, no rate-limit headers at all.
//
// Pacing lives in the Client, so make one Client per API key and share it
// between goroutines: two clients with the same key would each spend the
// whole budget. With Rate{Auto: true} the budget is learned from the
// X-RateLimit-Limit and X-RateLimit-Remaining headers when the API sends
// them, and found by additive increase / multiplicative decrease on 429s
// when it does not. Network errors, 429 and 5xx are retried, POSTs too (a create whose answer
// was lost may have happened: callers reconcile); other 4xx never are.
//
// Every failure is an *Error whose Kind (ErrNotFound, ErrValidation,
// ErrRateLimited...) errors.Is matches; the classifiers beside it
// (IsRetryable, IsFatal, IsDuplicate, IsUnknownPartner...) say what an
// answer means to a caller.
//
// The API key never appears in errors, logs or the Client's String.
package partnero
