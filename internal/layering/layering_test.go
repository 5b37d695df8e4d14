package layering

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/partnero-etl/partnero-etl"

// pkg is what the check needs of `go list -deps -json`.
type pkg struct {
	ImportPath string
	Deps       []string // every package it depends on, transitively
	Module     *struct{ Path string }
}

// rule forbids the packages that from matches to depend on any package
// that to matches (paths relative to the module, as "sources/csv").
type rule struct {
	why      string
	from, to func(rel string) bool
}

// under matches a package and its subpackages.
func under(roots ...string) func(string) bool {
	return func(rel string) bool {
		for _, r := range roots {
			if rel == r || strings.HasPrefix(rel, r+"/") {
				return true
			}
		}
		return false
	}
}

func is(name string) func(string) bool { return func(rel string) bool { return rel == name } }

var rules = []rule{
	{"nothing imports the command", func(string) bool { return true }, under("cmd")},
	{"sources do not import sinks", under("sources"), under("sinks")},
	{"sinks do not import sources", under("sinks"), under("sources")},
	{"the sandbox imports no pipeline code", under("partnero/sandbox"), under("pipeline", "mapping", "sources", "sinks", "signals", "cmd")},
	{"the API client imports only internal packages", is("partnero"), func(rel string) bool { return !under("internal")(rel) }},
	{"dependencies point down: nothing below the pipeline imports it", under("sources", "sinks", "mapping", "record", "partnero", "signals", "internal"), under("pipeline")},
}

// violations lists every dependency of the module's packages that a rule
// forbids, one line each.
func violations(pkgs []pkg) []string {
	var out []string
	for _, p := range pkgs {
		from, ok := strings.CutPrefix(p.ImportPath, module+"/")
		if !ok || p.Module == nil || p.Module.Path != module {
			continue
		}
		for _, d := range p.Deps {
			to, ok := strings.CutPrefix(d, module+"/")
			if !ok {
				continue
			}
			for _, r := range rules {
				if r.from(from) && r.to(to) {
					out = append(out, from+" imports "+to+": "+r.why)
				}
			}
		}
	}
	return out
}

func TestLayers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over the module")
	}
	t.Parallel()
	cmd := exec.CommandContext(t.Context(), "go", "list", "-deps", "-json", "./...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	mine := slices.IndexFunc(pkgs, func(p pkg) bool { return p.ImportPath == module+"/partnero" })
	if mine < 0 || len(pkgs) < 20 {
		t.Fatalf("go list gave %d packages, without the client: not the module", len(pkgs))
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

// Each rule reports a dependency it forbids, and only those.
func TestRulesReport(t *testing.T) {
	t.Parallel()
	mod := &struct{ Path string }{module}
	p := func(path string, deps ...string) pkg {
		full := make([]string, len(deps))
		for i, d := range deps {
			full[i] = module + "/" + d
		}
		return pkg{ImportPath: module + "/" + path, Deps: append(full, "fmt"), Module: mod}
	}
	got := violations([]pkg{
		p("pipeline", "cmd/partnero-etl", "sinks/csv", "sources/csv"),
		p("sources/csv", "sinks"),
		p("sinks/upsert", "sources/program", "partnero"),
		p("partnero/sandbox", "partnero", "internal/flock", "pipeline"),
		p("partnero", "internal/atomicfile", "record"),
		p("partnero/sandboxtest", "partnero", "partnero/sandbox"),
		p("mapping", "record", "pipeline/export"),
	})
	want := []string{
		"pipeline imports cmd/partnero-etl: nothing imports the command",
		"sources/csv imports sinks: sources do not import sinks",
		"sinks/upsert imports sources/program: sinks do not import sources",
		"partnero/sandbox imports pipeline: the sandbox imports no pipeline code",
		"partnero/sandbox imports pipeline: dependencies point down: nothing below the pipeline imports it",
		"partnero imports record: the API client imports only internal packages",
		"mapping imports pipeline/export: dependencies point down: nothing below the pipeline imports it",
	}
	if !slices.Equal(got, want) {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
