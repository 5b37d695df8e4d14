package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sources"
)

// RejectGroup is the rows of a reject file with one error code: how many,
// and the first one's input line and message, as an example.
type RejectGroup struct {
	Code    string
	Count   int
	Line    string
	Message string
}

// DigestRejects reads back the reject file at path (as WriteRejects wrote
// it, CSV or JSON lines) and groups its rows by _error_code, in the order
// of the codes. A file that does not exist has no rejects: nil, nil (an
// empty file: an empty slice, not nil). Rows
// the reader itself refuses (a reject file edited by hand) are skipped.
func DigestRejects(ctx context.Context, path string) ([]RejectGroup, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	src, err := sources.Open(path, sources.Options{})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	groups := map[string]*RejectGroup{}
	for {
		row, err := src.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			if _, ok := errors.AsType[*record.RowError](err); ok {
				continue
			}
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		code := cell(row, "_error_code")
		g := groups[code]
		if g == nil {
			g = &RejectGroup{Code: code, Line: cell(row, "_line"), Message: cell(row, "_error_message")}
			groups[code] = g
		}
		g.Count++
	}
	out := make([]RejectGroup, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b RejectGroup) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}

// cell is a row's value of a column as text, "" when it has none.
func cell(row record.Row, name string) string {
	v, ok := row.Lookup(name)
	if !ok || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
