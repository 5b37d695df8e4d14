package record

import "context"

// The stage contract: what a source's rows become in mapping (Mapped), what
// writing a record comes to (Result), and the two stages the engine drives
// (Mapper, Sink). It is defined here, once, so that mapping, the sinks and
// the pipeline meet on the same types and none of them adapts another's.

// Mapped is what one input row maps to: a validated record, a row a rule
// chose to skip (Skipped, with a Reason), or a rejected row (Err). Record
// always carries the entity, origin and input row, so that skipped and
// rejected rows can be reported and written to a reject file.
type Mapped struct {
	Record  Record
	Skipped bool
	Reason  string
	Err     *RowError
	// RewardLeftOut says the row's reward was in another currency than
	// its transaction (a money.currency rule) and was left out: Partnero
	// computes that commission by the program's rules. The report counts
	// such rows, so a total compared with the old platform's is explained.
	RewardLeftOut bool
}

// Mapper maps the rows of one entity. Implementations are safe for
// concurrent use: the engine maps rows from several goroutines.
type Mapper interface {
	Map(row Row) Mapped
}

// MapperFunc lets an ordinary function be a Mapper (as http.HandlerFunc
// is a Handler): a run that adds a step around mapping wraps it in one.
type MapperFunc func(row Row) Mapped

// Map calls f(row).
func (f MapperFunc) Map(row Row) Mapped { return f(row) }

// Result is the outcome of writing one record.
type Result struct {
	Outcome Outcome
	// Err explains a Rejected outcome.
	Err *RowError
}

// Sink writes records to the target. Write is called concurrently by the
// engine's workers, but never concurrently for two records with the same
// partition key, and always in input order for them.
type Sink interface {
	// Partition returns the key that orders records: records with equal
	// keys go to one worker in input order (a customer's transactions).
	Partition(rec Record) string
	// Write writes a group of records that share a partition key, in order,
	// and returns one Result per record. A record without an outcome (zero
	// Outcome) was not finished; the error says why (a cancelled context, a
	// refused API key): a non-nil error other than a row problem ends the run.
	Write(ctx context.Context, recs []Record) ([]Result, error)
}
