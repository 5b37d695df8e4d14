package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/pipeline/migrate"
)

// writeDemoSummary says what the demo did: the rows rejected and why, the
// requests the sandbox answered for the migration and for the exports,
// what the program holds now, and where the files are.
func writeDemoSummary(ctx context.Context, out io.Writer, mopts *migrateOptions, migrated, final sandbox.Stats, exportDirs []string) error {
	if err := writeDemoRejects(ctx, out, mopts); err != nil {
		return err
	}
	fmt.Fprintf(out, "  requests the sandbox answered: %d for the migration, %d for the exports\n",
		migrated.Total, final.Total-migrated.Total)
	fmt.Fprintf(out, "  answered 429 (rate limited): %d\n", final.RateLimited)
	for _, p := range final.Programs {
		fmt.Fprintf(out, "  the program now holds: %s\n", programCounts(p))
	}
	fmt.Fprintf(out, "  files:\n")
	for _, d := range exportDirs {
		fmt.Fprintf(out, "    %s/  (a file per table, and manifest.json)\n", d)
	}
	fmt.Fprintf(out, "    %s  (the migration report)\n", mopts.Report)
	fmt.Fprintf(out, "    %s/\n      (rejected rows with _line, _error_code, _error_message: fix and re-feed)\n", mopts.RejectsDir)
	return nil
}

func programCounts(p sandbox.ProgramStats) string {
	return fmt.Sprintf("%d partners, %d customers, %d transactions", p.Partners, p.Customers, p.Transactions)
}

// writeDemoRejects says, per input, how many rows were rejected for what,
// with the first such row's line and message.
func writeDemoRejects(ctx context.Context, w io.Writer, mopts *migrateOptions) error {
	fmt.Fprintf(w, "  rejected rows and why (one example each):\n")
	for _, file := range []string{mopts.Partners, mopts.Customers, mopts.Transactions} {
		if file == "" {
			continue
		}
		path, err := migrate.RejectPathOf(mopts.RejectsDir, file)
		if err != nil {
			return err
		}
		groups, err := pipeline.DigestRejects(ctx, path)
		if err != nil {
			return err
		}
		if groups == nil {
			continue
		}
		fmt.Fprintf(w, "    %s:\n", filepath.Base(file))
		for _, g := range groups {
			fmt.Fprintf(w, "      %3d %s, e.g.\n", g.Count, g.Code)
			for _, l := range wrapText(fmt.Sprintf("line %s: %s", g.Line, g.Message), demoWidth-11, 3) {
				fmt.Fprintf(w, "          %s\n", l)
			}
		}
	}
	return nil
}

// demoWidth is the terminal width the summary is laid out for (lines
// stay one column short of it).
const demoWidth = 80

// wrapText breaks text into lines of at most width characters at spaces
// (a word longer than a line is cut), at most max lines, the last ending in
// "..." when text is longer.
func wrapText(text string, width, max int) []string {
	var lines []string
	line := []rune{}
	for _, word := range strings.Fields(text) {
		w := []rune(word)
		for len(w) > width {
			if len(line) > 0 {
				lines, line = append(lines, string(line)), nil
			}
			lines, w = append(lines, string(w[:width])), w[width:]
		}
		switch {
		case len(line) == 0:
			line = w
		case len(line)+1+len(w) <= width:
			line = append(append(line, ' '), w...)
		default:
			lines, line = append(lines, string(line)), w
		}
	}
	if len(line) > 0 {
		lines = append(lines, string(line))
	}
	if len(lines) > max {
		last := []rune(lines[max-1])
		if len(last) > width-3 {
			last = last[:width-3]
		}
		lines = append(lines[:max-1], string(last)+"...")
	}
	return lines
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}
