package main

import (
	"context"
	"fmt"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/spf13/cobra"
)

// pingOptions are the inputs of runPing.
type pingOptions struct {
	g *globalOptions
}

func newPingCmd(g *globalOptions) *cobra.Command {
	opts := &pingOptions{g: g}
	return &cobra.Command{
		Use:   "ping",
		Short: "Check the API key and print the program it belongs to",
		Long: `ping calls GET /test with the configured key and prints the program the key
belongs to and the API it talked to. It exits with 4 when the API refuses the
key, so scripts can check a key before a long import.`,
		Example: `  PARTNERO_API_KEY=... partnero-etl ping
  partnero-etl ping --api-key-file key.txt --base-url http://127.0.0.1:8765/v1/`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPing(cmd.Context(), opts)
		},
	}
}

// runPing checks the key. A 401 comes back as the client's
// partnero.ErrUnauthorized, which exitCodeOf maps to exit code 4.
func runPing(ctx context.Context, opts *pingOptions) error {
	// A check should answer in seconds: three attempts ride out a blip
	// without making an unreachable API look like a hang.
	c, err := opts.g.newClientWith(ctx, partnero.WithMaxAttempts(3))
	if err != nil {
		return err
	}
	start := time.Now()
	p, err := checkProgram(ctx, c)
	if err != nil {
		return err
	}
	name := p.Name
	if name == "" {
		name = "(no name)"
	}
	_, err = fmt.Fprintf(opts.g.io.Out, "program:  %s\npub_id:   %s\nbase_url: %s\nanswered: in %s\n",
		name, p.PubID, c.BaseURL(), time.Since(start).Round(time.Millisecond))
	return err
}
