// Command gen writes the sample exports under samples/: small, real-looking
// files of other affiliate platforms with the quirks real exports have and a
// handful of rows that must be rejected. It is deterministic (fixed seeds),
// so the files and the counts samples/README.md states are reproducible:
//
//	go run ./samples/gen            # from the repository root
//	go run ./samples/gen -out DIR   # elsewhere
//
// Each platform's generator also prints the counts a mapping (and a
// migration) of its files must produce.
package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	out := flag.String("out", "samples", "the samples folder to write into")
	flag.Parse()
	if err := generate(*out, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// generate writes every platform's samples under out and their counts to w.
func generate(out string, w io.Writer) error {
	for _, p := range platforms {
		dir := filepath.Join(out, p.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		g := &gen{dir: dir, rng: rand.New(rand.NewPCG(p.seed, 0x5eed))}
		p.run(g)
		if g.err != nil {
			return fmt.Errorf("%s: %w", p.name, g.err)
		}
		fmt.Fprintf(w, "%s:\n", p.name)
		for _, line := range g.report {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
	return nil
}

type platform struct {
	name string
	seed uint64
	run  func(*gen)
}

var platforms = []platform{
	{"rewardful", 1, rewardful},
	{"firstpromoter", 2, firstpromoter},
	{"tapfiliate", 3, tapfiliate},
	{"partnerstack", 4, partnerstack},
	{"tolt", 5, tolt},
	{"postaffiliatepro", 6, postaffiliatepro},
}

// gen writes one platform's files and collects its report.
type gen struct {
	dir    string
	rng    *rand.Rand
	err    error
	report []string
}

func (g *gen) reportf(format string, args ...any) {
	g.report = append(g.report, fmt.Sprintf(format, args...))
}

func (g *gen) writeCSV(name string, comma rune, header []string, rows [][]string) {
	if g.err != nil {
		return
	}
	f, err := os.Create(filepath.Join(g.dir, name))
	if err != nil {
		g.err = err
		return
	}
	w := csv.NewWriter(f)
	w.Comma = comma
	w.UseCRLF = false
	_ = w.Write(header)
	_ = w.WriteAll(rows)
	if err := w.Error(); err != nil {
		g.err = err
	}
	if err := f.Close(); err != nil && g.err == nil {
		g.err = err
	}
}

func (g *gen) writeJSONL(name string, objs []map[string]any) {
	if g.err != nil {
		return
	}
	var b strings.Builder
	for _, o := range objs {
		line, err := json.Marshal(o)
		if err != nil {
			g.err = err
			return
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	g.err = os.WriteFile(filepath.Join(g.dir, name), []byte(b.String()), 0o644)
}

var firstNames = []string{"Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Lucas", "Mia", "Mateo",
	"Isabella", "Leo", "Amelia", "Hugo", "Chloe", "Jonas", "Zoe", "Arjun", "Yuki", "Fatima", "Lars", "Ines",
	"Tomasz", "Aisha", "Kenji", "Nora", "Diego", "Freya", "Omar", "Priya"}
var lastNames = []string{"Martin", "Smith", "Garcia", "Müller", "Rossi", "Dubois", "Kowalski", "Tanaka", "Silva",
	"Jensen", "Novak", "O'Brien", "Haddad", "Patel", "Kim", "Larsen", "Moreau", "Fischer", "Costa", "Nakamura"}
var domains = []string{"gmail.com", "outlook.com", "proton.me", "yahoo.com", "fastmail.com", "icloud.com", "hey.com"}

func (g *gen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *gen) uuid() string {
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", g.rng.Uint32(), g.rng.Uint32()&0xffff, g.rng.Uint32()&0xfff,
		0x8000|g.rng.Uint32()&0x3fff, g.rng.Uint64()&0xffffffffffff)
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rng.IntN(16)]
	}
	return string(b)
}

func (g *gen) alnum(n int) string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rng.IntN(len(digits))]
	}
	return string(b)
}

// person returns a first name, last name and a lower-case email.
func (g *gen) person(i int) (first, last, email string) {
	first, last = g.pick(firstNames), g.pick(lastNames)
	local := strings.ToLower(first) + "." + strings.ToLower(strings.NewReplacer("ü", "u", "'", "").Replace(last))
	return first, last, fmt.Sprintf("%s%d@%s", local, i, g.pick(domains))
}

// counts is a tally of outcomes for a report line.
type counts map[string]int

func (c counts) String() string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, c[k]))
	}
	return strings.Join(parts, " ")
}
