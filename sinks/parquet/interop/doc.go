// Package interop reads the export's Parquet files back with an independent
// implementation, Apache Arrow's Go Parquet reader, and checks the documented
// logical types and exact values. It is its own module so Arrow never enters
// the tool's go.mod; run it with `make interop`.
package interop
