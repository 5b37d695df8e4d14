// Package layering holds the test that keeps the module's layers apart, as
// the design's house describes them: nothing imports the command, sources
// and sinks do not import each other, the sandbox imports none of the
// pipeline's code, the API client imports only internal helpers, and
// dependencies point down (nothing under the pipeline imports it). It
// has no code of its own; `make test` runs its test.
package layering
