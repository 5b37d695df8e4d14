// Package partnero is a client for the Partnero REST API v1: typed resources
// (partners, customers, transactions), one place that decodes every response
// into values or typed errors, paging, and the pacing every request made with
// one key shares (a token bucket, a not-before gate on 429, retries with
// backoff).
//
// It is liberal in what it accepts: the API's contract leaves many details
// unsettled (see the project's API notes), and the client must survive every
// plausible variant.
package partnero
