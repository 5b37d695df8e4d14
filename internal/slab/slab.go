// Package slab hands out the short per-row slices of the readers (a row's
// values or cells) from larger allocations, so that a row costs a share of
// one allocation instead of one of its own. The three readers (CSV, JSON
// lines, Parquet) had each copied this; it lives here once.
//
// The slices never overlap and have capacity equal to their length, so an
// append by a consumer reallocates instead of writing into the next row. A
// slab stays alive while any row cut from it does: that is the price of one
// allocation per many rows, and why a slice wider than the limit (a huge
// ragged row) gets an allocation of its own instead of a huge slab.
package slab

// Slab cuts slices of T. The zero value works, with the defaults below.
type Slab[T any] struct {
	// Rows is how many slices of the usual width one allocation serves;
	// 0 means 64.
	Rows int
	// Width is the usual width (a CSV header's column count, say): a slab
	// holds Rows times the larger of it and the width asked for.
	Width int
	// Max is the widest slice cut from a slab when wider than Width; 0
	// means 64. Wider slices get their own allocation.
	Max int

	free []T
}

// Take returns a zeroed slice of length and capacity n.
func (s *Slab[T]) Take(n int) []T {
	if n > len(s.free) {
		if n > max(s.Width, s.max()) {
			return make([]T, n)
		}
		s.free = make([]T, s.rows()*max(n, s.Width))
	}
	out := s.free[:n:n]
	s.free = s.free[n:]
	return out
}

func (s *Slab[T]) rows() int {
	if s.Rows > 0 {
		return s.Rows
	}
	return 64
}

func (s *Slab[T]) max() int {
	if s.Max > 0 {
		return s.Max
	}
	return 64
}
