package slab

import "testing"

// Slices from one slab do not overlap, cannot be appended into each other,
// and come from one allocation until it is used up.
func TestTake(t *testing.T) { // not parallel: AllocsPerRun
	var s Slab[int]
	a, b := s.Take(3), s.Take(3)
	if len(a) != 3 || cap(a) != 3 || len(b) != 3 || cap(b) != 3 {
		t.Fatalf("len/cap %d/%d and %d/%d, want 3/3", len(a), cap(a), len(b), cap(b))
	}
	a[0], b[0] = 1, 2
	_ = append(a, 9) // must reallocate, not write into b
	if b[0] != 2 || len(b) != 3 {
		t.Errorf("append into a changed b: %v", b)
	}
	next := &s.free[0]
	if next != &s.Take(1)[0] {
		t.Error("the next slice did not come from the same slab")
	}
	if allocs := testing.AllocsPerRun(100, func() { s.Take(2) }); allocs > 0.1 {
		t.Errorf("%.2f allocations per Take, want about 1/64", allocs)
	}
}

// A slab holds Rows slices of the usual width; a slice wider than both the
// usual width and Max gets its own allocation and leaves the slab as it was.
func TestSizes(t *testing.T) {
	t.Parallel()
	s := Slab[string]{Rows: 256, Width: 10}
	s.Take(4)
	if got := len(s.free) + 4; got != 256*10 {
		t.Errorf("slab of %d, want 256*10", got)
	}
	before := len(s.free)
	if big := s.Take(100_000); len(big) != 100_000 || cap(big) != 100_000 {
		t.Fatalf("wide slice len %d cap %d", len(big), cap(big))
	}
	if len(s.free) != before {
		t.Errorf("a wide slice changed the slab: %d free, want %d", len(s.free), before)
	}
	wide := Slab[string]{Width: 200} // wider than Max: still from a slab
	wide.Take(150)
	if got := len(wide.free) + 150; got != 64*200 {
		t.Errorf("slab of %d, want 64*200", got)
	}
}
