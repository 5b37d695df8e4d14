package main

import (
	"github.com/partnero-etl/partnero-etl/mapping"
	"github.com/partnero-etl/partnero-etl/pipeline/importer"
)

// moneyRules cuts the money rules of an import's mapping file ("": the
// canonical columns) for importer.Job.MoneyRules. A file that cannot be
// read gives the canonical columns' rules: the job itself refuses it.
func moneyRules(mappingPath string) *mapping.Spec {
	var spec *mapping.Spec
	if mappingPath != "" {
		spec, _ = mapping.Load(mappingPath)
	}
	return importer.MoneyRules(spec)
}
