package mapping

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/record"
)

func TestPresetsParse(t *testing.T) {
	t.Parallel()
	infos := Presets()
	if len(infos) == 0 {
		t.Fatal("no presets")
	}
	for _, p := range infos {
		if p.Description == "" {
			t.Errorf("%s: no description", p.Name)
		}
		// Post Affiliate Pro keeps no customers: its transactions name them.
		if want := 3; len(p.Entities) != want && !(p.Name == "postaffiliatepro" && len(p.Entities) == 2) {
			t.Errorf("%s maps %v, want partners, customers and transactions", p.Name, p.Entities)
		}
		for _, e := range p.Entities {
			spec, err := Preset(p.Name, e)
			if err != nil {
				t.Fatalf("%s %s: %v", p.Name, e, err)
			}
			if _, err := NewMapper(e, spec); err != nil {
				t.Errorf("%s %s: %v", p.Name, e, err)
			}
		}
		y, err := PresetYAML(p.Name)
		if err != nil || !strings.Contains(string(y), "partners:") {
			t.Errorf("PresetYAML(%s): %v", p.Name, err)
		}
		// What presets show prints must be a mapping file the user can load.
		if _, err := Parse("copy.yaml", y); err != nil {
			t.Errorf("%s as a user's file: %v", p.Name, err)
		}
	}
	if _, err := Preset("nosuch", record.Partners); err == nil || !strings.Contains(err.Error(), "rewardful") {
		t.Errorf("unknown preset: %v", err)
	}
	if _, err := PresetYAML("../presets/rewardful"); err == nil {
		t.Error("a path is not a preset name")
	}
	if _, err := Preset("rewardful", record.Rewards); err == nil {
		t.Error("rewards: want an error")
	}
	if _, err := Preset("postaffiliatepro", record.Customers); err == nil || !strings.Contains(err.Error(), "does not map customers") {
		t.Errorf("postaffiliatepro customers: %v", err)
	}
	var names []string
	for _, p := range infos {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "firstpromoter partnerstack postaffiliatepro rewardful tapfiliate tolt" {
		t.Errorf("presets = %s", got)
	}
}

// Every preset names its sources beside the rules it reads: the platform's
// documentation or public code, in its header and above each section, and
// an account file (NAME.md) beside it traces every field. A preset written
// from nothing but our own samples would pass its sample tests by
// construction.
func TestPresetsNameTheirSources(t *testing.T) {
	t.Parallel()
	for _, p := range Presets() {
		y, err := PresetYAML(p.Name)
		if err != nil {
			t.Fatal(err)
		}
		text := string(y)
		head, _, ok := strings.Cut(text, "\nversion:")
		if !ok || !strings.Contains(head, "# Sources (each field's source is in "+p.Name+".md") {
			t.Errorf("%s: the header names no sources", p.Name)
		}
		lines := strings.Split(text, "\n")
		for i, l := range lines {
			switch l {
			case "partners:", "customers:", "transactions:":
				if i == 0 || !strings.HasPrefix(lines[i-1], "# Source: ") {
					t.Errorf("%s: section %s has no \"# Source:\" line above it", p.Name, l)
				}
			}
		}
		if _, err := os.Stat(filepath.Join("presets", p.Name+".md")); err != nil {
			t.Errorf("%s: no account of its sources: %v", p.Name, err)
		}
	}
}
