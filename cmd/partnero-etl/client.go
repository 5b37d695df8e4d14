package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
)

// newClient builds the API client every command that talks to Partnero
// uses, from the global settings: the key (--api-key, --api-key-file or
// PARTNERO_API_KEY), --base-url, --rate and the logger. A bad setting is a
// usage error. ctx is the command's; the client itself keeps none.
func (g *globalOptions) newClient(ctx context.Context) (*partnero.Client, error) {
	return g.newClientWith(ctx)
}

// maxWait is --max-wait, the client's default when unset (zero options in tests).
func (g *globalOptions) maxWait() time.Duration {
	if g.MaxWait <= 0 {
		return partnero.DefaultMaxWait
	}
	return g.MaxWait
}

// newClientWith is newClient with extra options, applied last (a command
// that checks rather than works, like ping, retries less).
func (g *globalOptions) newClientWith(ctx context.Context, extra ...partnero.Option) (*partnero.Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key, err := g.apiKey()
	if err != nil {
		return nil, err
	}
	rate, err := partnero.ParseRate(g.Rate)
	if err != nil {
		return nil, usageError("--rate: %v", err)
	}
	opts := append([]partnero.Option{
		partnero.WithBaseURL(g.BaseURL),
		partnero.WithAPIKey(key),
		partnero.WithRate(rate),
		partnero.WithMaxWait(g.maxWait()),
		partnero.WithLogger(g.logger()),
		partnero.WithVersion(toolVersion()),
	}, extra...)
	c, err := partnero.NewClient(opts...)
	switch {
	case errors.Is(err, partnero.ErrInvalidBaseURL):
		return nil, usageError("--base-url: %v", err)
	case err != nil:
		return nil, usageError("%v", err)
	}
	return c, nil
}

// checkProgram asks the API which program the key belongs to (GET /test),
// the first call of every command that talks to Partnero, and says what a
// failure means: the key refused (exit 4), the API not reached, or a base
// URL that is not the API's.
func checkProgram(ctx context.Context, c *partnero.Client) (*partnero.Program, error) {
	p, err := c.Test(ctx)
	if err == nil {
		return p, nil
	}
	base := c.BaseURL()
	switch {
	case ctx.Err() != nil:
		return nil, err
	case isAuthError(err):
		return nil, fmt.Errorf("the API at %s refused the key: %w", base, err)
	case errors.Is(err, partnero.ErrNetwork):
		return nil, fmt.Errorf("cannot reach the API at %s (check --base-url and the network): %w", base, err)
	case errors.Is(err, partnero.ErrNotFound):
		hint := "is --base-url the API's?"
		if u, perr := url.Parse(base); perr == nil && !strings.HasSuffix(u.Path, "/v1/") {
			hint = "the API's base URL ends in /v1/, as in " + partnero.DefaultBaseURL
		}
		return nil, fmt.Errorf("%s answered 404 to GET /test: %s (%w)", base, hint, err)
	}
	return nil, fmt.Errorf("ask the API at %s which program the key belongs to: %w", base, err)
}
