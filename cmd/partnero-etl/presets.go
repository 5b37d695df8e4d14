package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/partnero-etl/partnero-etl/mapping"
)

// presetsOptions are the arguments of `partnero-etl presets [show NAME]`.
type presetsOptions struct {
	Show string
	io   *ioStreams
}

func newPresetsCmd(g *globalOptions) *cobra.Command {
	opts := &presetsOptions{io: g.io}
	cmd := &cobra.Command{
		Use:   "presets",
		Short: "List the built-in mappings of other affiliate platforms' exports",
		Long: `List the built-in presets: mappings of other affiliate platforms' exports
(CSV exports, import templates and API objects dumped as JSON lines) to
Partnero's partners, customers and transactions. 'migrate --from NAME' and
a plan's 'preset:' use them.

'presets show NAME' prints a preset as the mapping file it is: save it,
edit it, and pass it with --mapping (import, validate) or 'mapping:' (a
migration plan) when your export differs.`,
		Example: `  partnero-etl presets
  partnero-etl presets show rewardful > rewardful.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPresets(opts)
		},
	}
	show := &cobra.Command{
		Use:   "show NAME",
		Short: "Print a preset as a mapping file (YAML) to copy and edit",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return tooManyArgs(cmd, "one preset name", args[1:])
			}
			if len(args) != 1 {
				return usageError("presets show needs a preset name: %s", presetList())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Show = args[0]
			return runPresets(opts)
		},
	}
	cmd.AddCommand(show)
	return cmd
}

func runPresets(opts *presetsOptions) error {
	if opts.Show != "" {
		data, err := mapping.PresetYAML(opts.Show)
		if err != nil {
			return usageError("%v", err)
		}
		_, err = opts.io.Out.Write(data)
		return err
	}
	tw := tabwriter.NewWriter(opts.io.Out, 0, 4, 2, ' ', 0)
	if opts.io.OutTTY {
		fmt.Fprintln(tw, "NAME\tENTITIES\tDESCRIPTION")
	}
	for _, p := range mapping.Presets() {
		ents := make([]string, len(p.Entities))
		for i, e := range p.Entities {
			ents[i] = string(e)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, strings.Join(ents, ","), p.Description)
	}
	return tw.Flush()
}
