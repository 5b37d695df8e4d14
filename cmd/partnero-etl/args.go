package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// noArgs refuses positional arguments, as what they are (cobra's own
// NoArgs calls them unknown commands).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError("%s takes no arguments, got %s", commandName(cmd), quoteArgs(args))
	}
	return nil
}

// tooManyArgs is the usage error of a command given more arguments than
// it takes: it names the first extra ones. For a command that reads a file
// the usual cause is a path with spaces left unquoted, which it says.
func tooManyArgs(cmd *cobra.Command, takes string, extra []string) error {
	hint := ""
	if strings.Contains(strings.ToLower(takes), "file") {
		hint = " (quote a path that holds spaces)"
	}
	return usageError("%s takes %s: too many arguments: %s%s", commandName(cmd), takes, quoteArgs(extra), hint)
}

// commandName is the command's path without the program's name, which
// every error line already starts with ("presets show").
func commandName(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// quoteArgs quotes up to three arguments for a message.
func quoteArgs(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i == 3 {
			fmt.Fprintf(&b, " and %d more", len(args)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(a))
	}
	return b.String()
}
