package mapping

import (
	"embed"
	"fmt"
	"slices"
	"strings"

	"github.com/partnero-etl/partnero-etl/record"
)

// presetFiles are the built-in mapping files, one per platform, each mapping
// partners, customers and transactions. They are ordinary mapping files:
// `partnero-etl presets show NAME` prints one to copy and edit.
//
//go:embed presets/*.yaml
var presetFiles embed.FS

// PresetInfo describes a built-in preset.
type PresetInfo struct {
	Name        string // what --from and --preset take: "rewardful"
	Description string // the preset's description line
	Entities    []record.Entity
}

// Presets lists the built-in presets by name.
func Presets() []PresetInfo {
	entries, err := presetFiles.ReadDir("presets")
	if err != nil {
		return nil
	}
	var out []PresetInfo
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".yaml")
		if !ok {
			continue
		}
		spec, err := parsePreset(name)
		if err != nil {
			// The presets are tested to parse: this is a build bug, shown
			// rather than hidden.
			out = append(out, PresetInfo{Name: name, Description: "invalid preset: " + err.Error()})
			continue
		}
		out = append(out, PresetInfo{Name: name, Description: spec.description, Entities: spec.Entities()})
	}
	slices.SortFunc(out, func(a, b PresetInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// PresetYAML returns a preset's mapping file as written.
func PresetYAML(name string) ([]byte, error) {
	data, err := presetFiles.ReadFile("presets/" + strings.ToLower(name) + ".yaml")
	if err != nil || name == "" || strings.ContainsAny(name, "/.\\") {
		return nil, fmt.Errorf("unknown preset %q: want one of %s", name, presetNames())
	}
	return data, nil
}

// Preset returns the spec of a built-in preset for one entity.
func Preset(name string, entity record.Entity) (*Spec, error) {
	spec, err := parsePreset(name)
	if err != nil {
		return nil, err
	}
	if !spec.Has(entity) {
		return nil, fmt.Errorf("preset %s does not map %s (it maps %v)", name, entity, spec.Entities())
	}
	return spec, nil
}

func parsePreset(name string) (*Spec, error) {
	data, err := PresetYAML(name)
	if err != nil {
		return nil, err
	}
	return Parse("preset "+strings.ToLower(name), data)
}

func presetNames() string {
	entries, _ := presetFiles.ReadDir("presets")
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}
