package main

import (
	"context"
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
		partnero.WithUserAgent("partnero-etl/" + toolVersion()),
	}, extra...)
	c, err := partnero.NewClient(opts...)
	if err != nil {
		return nil, usageError("--base-url: %v", err)
	}
	return c, nil
}
