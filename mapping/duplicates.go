package mapping

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"iter"
	"math/bits"
	"os"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/partnero-etl/partnero-etl/record"
)

// Duplicates finds identities seen twice within one input. It keeps, per
// identity, a 64-bit hash of it and the line it was first seen on, never the
// identity itself.
//
// Memory is bounded: the most recent identities live in an open-addressing
// table of (hash, line) pairs, 16 bytes a slot, that grows to maxSlots
// (16 MiB); when it is three quarters full its entries are sorted by hash
// and spilled to a temporary file as one run, and every four runs of a size
// are merged into one, so a few runs at most are ever probed. Only each
// run's Bloom filter (12 bits per identity, one cache line per probe) and
// the first hash of each of its 4 KiB blocks stay in memory: about 1.6
// bytes per identity past the table. A probe reads one block of a run only
// when that run's filter says the hash may be in it (under 1% of the time
// for a new identity), so the answers, and the first line of each
// duplicate, are exactly those of an index held wholly in memory.
//
// The price of hashing is a false "duplicate" when two different identities
// hash alike: with n identities the chance of any such collision is about
// n²/2⁶⁵, one in 370,000 for ten million. The seeds are random per
// Duplicates, so a collision does not repeat on the next run.
//
// It is safe for concurrent use. Close releases the temporary files; each
// is removed from its folder as soon as it is made where the system allows
// it, so nothing is left behind by a run that is killed.
type Duplicates struct {
	entity record.Entity
	seeds  [numIdentities]maphash.Seed
	mu     sync.Mutex

	// table holds the identities not yet spilled; hash 0 marks a free slot
	// (a hash that is 0 is stored as 1).
	table    []dupSlot
	used     int
	maxSlots int // the table spills instead of growing past this

	runs    []*dupRun
	noSpill bool  // a temporary file could not be made: grow instead
	err     error // a spilled run could not be read back
	block   []byte

	batch   []batchEntry // CheckBatch's scratch
	touched uint64
}

type batchEntry struct {
	ids    [numIdentities]string
	hashes [numIdentities]uint64
}

type dupSlot struct {
	hash uint64
	line int64
}

// The identities checked: a partner's id, email, referral key and source id;
// a customer's key and source id; a transaction's key. A transaction's
// source id is not checked: nothing joins on it (transactions are nobody's
// parent) and its key already identifies it, so a second hash per row would
// only double the memory of the largest input.
const (
	identID = iota
	identEmail
	identKey
	identSource
	numIdentities
)

var identNames = [numIdentities]string{"id", "email", "key", "source_id"}

const (
	// defaultMaxSlots bounds the in-memory table: 2²⁰ slots of 16 bytes.
	defaultMaxSlots = 1 << 20
	minSlots        = 1 << 10
	// dupBlockEntries is how many (hash, line) pairs one read of a run
	// brings in: 4 KiB.
	dupBlockEntries = 256
	dupEntrySize    = 16
	// bloomBitsPerKey sizes a run's filter: with one 512-bit block per
	// probe and 7 bits a key, about 0.4% of the probes of an absent hash
	// read a block for nothing.
	bloomBitsPerKey = 12
	bloomK          = 7
)

// NewDuplicates returns an empty duplicate finder for one entity.
func NewDuplicates(entity record.Entity) *Duplicates {
	return newDuplicates(entity, defaultMaxSlots)
}

func newDuplicates(entity record.Entity, maxSlots int) *Duplicates {
	d := &Duplicates{entity: entity, maxSlots: maxSlots, table: make([]dupSlot, min(minSlots, maxSlots))}
	for i := range d.seeds {
		d.seeds[i] = maphash.MakeSeed()
	}
	return d
}

// Check records rec's identities and returns a CodeDuplicate error naming
// the line that had one of them first. A rejected record claims none of its
// identities, so a later row with the same identity is still checked
// against the first good one only.
func (d *Duplicates) Check(rec record.Record) *record.RowError {
	ids := identitiesOf(rec)
	hashes := d.hashesOf(&ids)
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.checkLocked(rec.Origin, &ids, &hashes)
}

// CheckBatch checks recs in order, as many calls of Check would, and puts
// each one's answer in out (len(out) >= len(recs)). It first looks at the
// table slot of every identity of the batch, so that the memory reads,
// independent of each other, overlap instead of waiting in turn: in a
// table larger than the processor's caches each is a trip to memory.
func (d *Duplicates) CheckBatch(recs []record.Record, out []*record.RowError) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.batch = slices.Grow(d.batch[:0], len(recs))[:len(recs)]
	for i := range recs {
		e := &d.batch[i]
		e.ids = identitiesOf(recs[i])
		e.hashes = d.hashesOf(&e.ids)
	}
	// A loop of nothing but the reads, so that many are in flight at once.
	var touch uint64
	shift := 64 - bits.TrailingZeros(uint(len(d.table)))
	for i := range d.batch {
		for _, h := range d.batch[i].hashes {
			touch ^= d.table[h>>shift].hash // h == 0 reads slot 0: harmless
			for _, r := range d.runs {
				touch ^= r.bloom.blocks[r.bloom.index(h)][0]
			}
		}
	}
	d.touched = touch // used, so the reads are not optimised away
	for i := range recs {
		out[i] = d.checkLocked(recs[i].Origin, &d.batch[i].ids, &d.batch[i].hashes)
	}
	clear(d.batch) // do not pin the batch's strings
}

// identitiesOf returns the identities of rec that are checked, "" where it
// has none.
func identitiesOf(rec record.Record) [numIdentities]string {
	var ids [numIdentities]string
	switch {
	case rec.Partner != nil:
		ids[identID] = string(rec.Partner.ID)
		ids[identEmail] = rec.Partner.Email
		ids[identKey] = rec.Partner.Key
	case rec.Customer != nil:
		ids[identKey] = rec.Customer.Key
	case rec.Transaction != nil:
		ids[identKey] = rec.Transaction.Key
	}
	if rec.Transaction == nil {
		ids[identSource] = rec.SourceID
	}
	return ids
}

// hashesOf hashes each identity, 0 for none. One index holds every kind of
// identity, each kind hashed with a seed of its own, so an email never
// matches a key spelled alike.
func (d *Duplicates) hashesOf(ids *[numIdentities]string) [numIdentities]uint64 {
	var hashes [numIdentities]uint64
	for i, s := range ids {
		if s != "" {
			hashes[i] = max(maphash.String(d.seeds[i], s), 1)
		}
	}
	return hashes
}

func (d *Duplicates) checkLocked(origin record.Origin, ids *[numIdentities]string, hashes *[numIdentities]uint64) *record.RowError {
	if d.err != nil {
		// Nothing passes unchecked once the index cannot be read.
		return &record.RowError{Origin: origin, Code: record.CodeDuplicate,
			Message: fmt.Sprintf("cannot check for duplicates: %v", d.err)}
	}
	for i, s := range ids {
		if s == "" {
			continue
		}
		if first, ok := d.lookup(hashes[i]); ok {
			return &record.RowError{
				Origin:  origin,
				Field:   identNames[i],
				Code:    record.CodeDuplicate,
				Message: fmt.Sprintf("duplicate of line %d: the same %s %q", first, identNames[i], s),
			}
		}
		if d.err != nil {
			return &record.RowError{Origin: origin, Code: record.CodeDuplicate,
				Message: fmt.Sprintf("cannot check for duplicates: %v", d.err)}
		}
	}
	for i, s := range ids {
		if s != "" {
			d.insert(hashes[i], origin.Line)
		}
	}
	return nil
}

// lookup returns the line that first had hash h.
func (d *Duplicates) lookup(h uint64) (int64, bool) {
	mask := uint64(len(d.table) - 1)
	for i := home(h, len(d.table)); ; i = (i + 1) & mask {
		switch d.table[i].hash {
		case h:
			return d.table[i].line, true
		case 0:
			for _, r := range d.runs {
				if !r.mayHave(h) {
					continue
				}
				line, ok, err := r.find(h, &d.block)
				if err != nil {
					d.err = err
					return 0, false
				}
				if ok {
					return line, true
				}
			}
			return 0, false
		}
	}
}

// home is the slot a hash is looked for from: its top bits, so that the
// table holds its entries nearly in hash order and a spill's sort has
// little left to do.
func home(h uint64, slots int) uint64 {
	return h >> (64 - bits.TrailingZeros(uint(slots)))
}

func (d *Duplicates) insert(h uint64, line int64) {
	if 4*(d.used+1) > 3*len(d.table) {
		switch {
		case len(d.table) < d.maxSlots || d.noSpill:
			d.grow()
		default:
			d.spillTable()
		}
	}
	mask := uint64(len(d.table) - 1)
	i := home(h, len(d.table))
	for d.table[i].hash != 0 {
		i = (i + 1) & mask
	}
	d.table[i] = dupSlot{hash: h, line: line}
	d.used++
}

func (d *Duplicates) grow() {
	old := d.table
	d.table = make([]dupSlot, 2*len(old))
	d.used = 0
	mask := uint64(len(d.table) - 1)
	for _, s := range old {
		if s.hash != 0 {
			i := home(s.hash, len(d.table))
			for d.table[i].hash != 0 {
				i = (i + 1) & mask
			}
			d.table[i] = s
			d.used++
		}
	}
}

// spillTable writes the table as a sorted run to a temporary file of its
// own and empties it; then, as in a log-structured merge, every four runs of
// one level are merged into one of the next, so that at most three runs a
// level (a handful in all) are probed. When a file cannot be made or
// written, the table grows instead: memory as an unbounded index, never a
// wrong answer.
func (d *Duplicates) spillTable() {
	// Gather the entries at the front of the table (in place: no second
	// copy of the table), sort them and write them out. Slots follow the
	// hashes' top bits, so the entries come out nearly sorted, but for the
	// few that wrapped round from the end of the table to its start: those
	// go last.
	n := 0
	var wrapped []dupSlot
	slots := len(d.table)
	start := true // still in the cluster at slot 0, which may hold wrapped entries
	for i, s := range d.table {
		switch {
		case s.hash == 0:
			start = false
		case start && home(s.hash, slots) > uint64(i):
			wrapped = append(wrapped, s)
		default:
			d.table[n] = s
			n++
		}
	}
	n += copy(d.table[n:], wrapped)
	entries := d.table[:n]
	sortNearlySorted(entries)
	r, err := writeRun(n, func(yield func(dupSlot) bool) {
		for _, s := range entries {
			if !yield(s) {
				return
			}
		}
	})
	if err != nil {
		// Put the table back together and keep it in memory.
		d.noSpill = true
		clear(d.table[n:])
		d.rehashPrefix(n)
		d.grow()
		return
	}
	d.runs = append(d.runs, r)
	clear(d.table)
	d.used = 0
	for len(d.runs) >= dupFanIn {
		last := d.runs[len(d.runs)-dupFanIn:]
		if last[0].level != last[dupFanIn-1].level {
			break
		}
		merged, err := mergeRuns(last)
		if err != nil {
			break // the runs stay as they are: more probes, same answers
		}
		for _, r := range last {
			r.close()
		}
		d.runs = append(d.runs[:len(d.runs)-dupFanIn], merged)
	}
}

// sortNearlySorted sorts entries by hash: by insertion, which costs little
// when each entry is a short way from its place, as a table's entries are;
// past a budget of moves it leaves the rest to a general sort.
func sortNearlySorted(entries []dupSlot) {
	budget := 16 * len(entries)
	for i := 1; i < len(entries); i++ {
		e := entries[i]
		j := i
		for j > 0 && entries[j-1].hash > e.hash {
			entries[j] = entries[j-1]
			j--
		}
		entries[j] = e
		if budget -= i - j; budget < 0 {
			slices.SortFunc(entries, func(a, b dupSlot) int { return cmp.Compare(a.hash, b.hash) })
			return
		}
	}
}

// dupFanIn is how many runs of one level are merged into one.
const dupFanIn = 4

// writeRun writes n entries, in ascending hash order, to a new temporary
// file, with the run's block index and Bloom filter.
func writeRun(n int, entries iter.Seq[dupSlot]) (*dupRun, error) {
	f, err := os.CreateTemp("", "partnero-etl-index-*")
	if err != nil {
		return nil, err
	}
	r := &dupRun{f: f, n: n, bloom: newBloom(n)}
	// Removed at once where an open file may be (Unix): the space is freed
	// when the file is closed, or the process ends.
	if os.Remove(f.Name()) != nil {
		r.name = f.Name()
	}
	r.cleanup = runtime.AddCleanup(r, func(c runFile) { c.close() }, runFile{f, r.name})
	w := bufio.NewWriterSize(f, 1<<16)
	var rec [dupEntrySize]byte
	i := 0
	for s := range entries {
		if i%dupBlockEntries == 0 {
			r.firsts = append(r.firsts, s.hash)
		}
		r.bloom.add(s.hash)
		binary.LittleEndian.PutUint64(rec[:8], s.hash)
		binary.LittleEndian.PutUint64(rec[8:], uint64(s.line))
		if _, err := w.Write(rec[:]); err != nil {
			r.close()
			return nil, err
		}
		i++
	}
	if err := w.Flush(); err != nil {
		r.close()
		return nil, err
	}
	if i != n {
		r.close()
		return nil, fmt.Errorf("wrote %d index entries, want %d", i, n)
	}
	return r, nil
}

// mergeRuns merges sorted runs into one of the next level. A hash is in one
// run at most (it is stored where it was first seen), so nothing is dropped.
func mergeRuns(runs []*dupRun) (*dupRun, error) {
	type cursor struct {
		r    *bufio.Reader
		head dupSlot
		ok   bool
	}
	var readErr error
	next := func(c *cursor) {
		var rec [dupEntrySize]byte
		if _, err := io.ReadFull(c.r, rec[:]); err != nil {
			if err != io.EOF {
				readErr = err
			}
			c.ok = false
			return
		}
		c.head = dupSlot{hash: binary.LittleEndian.Uint64(rec[:8]), line: int64(binary.LittleEndian.Uint64(rec[8:]))}
		c.ok = true
	}
	cursors := make([]*cursor, len(runs))
	total := 0
	for i, r := range runs {
		cursors[i] = &cursor{r: bufio.NewReaderSize(io.NewSectionReader(r.f, 0, int64(r.n)*dupEntrySize), 1<<16)}
		next(cursors[i])
		total += r.n
	}
	merged, err := writeRun(total, func(yield func(dupSlot) bool) {
		for {
			var lo *cursor
			for _, c := range cursors {
				if c.ok && (lo == nil || c.head.hash < lo.head.hash) {
					lo = c
				}
			}
			if lo == nil || readErr != nil {
				return
			}
			if !yield(lo.head) {
				return
			}
			next(lo)
		}
	})
	if err == nil && readErr != nil {
		merged.close()
		err = readErr
	}
	if err != nil {
		return nil, err
	}
	merged.level = runs[0].level + 1
	return merged, nil
}

// rehashPrefix rebuilds the table from its first n slots, which hold its
// entries after a spill that failed.
func (d *Duplicates) rehashPrefix(n int) {
	entries := slices.Clone(d.table[:n])
	clear(d.table)
	d.used = 0
	mask := uint64(len(d.table) - 1)
	for _, s := range entries {
		i := home(s.hash, len(d.table))
		for d.table[i].hash != 0 {
			i = (i + 1) & mask
		}
		d.table[i] = s
		d.used++
	}
}

// Len returns the number of distinct identities recorded.
func (d *Duplicates) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.used
	for _, r := range d.runs {
		n += r.n
	}
	return n
}

// Err reports a spilled part of the index that could not be read back;
// every Check since has rejected its row.
func (d *Duplicates) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// Close releases the temporary files, if any. The Duplicates must not be
// used after.
func (d *Duplicates) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var err error
	for _, r := range d.runs {
		err = errors.Join(err, r.close())
	}
	d.runs = nil
	return err
}

// dupRun is one spilled, sorted run of (hash, line) pairs in a file of
// its own.
type dupRun struct {
	f       *os.File
	name    string // set when the file could not be removed while open
	level   int    // how many merges made it
	n       int
	firsts  []uint64 // the first hash of every block
	bloom   bloom
	cleanup runtime.Cleanup
}

// runFile is what a run's cleanup needs: never the run itself.
type runFile struct {
	f    *os.File
	name string
}

func (c runFile) close() error {
	err := c.f.Close()
	if c.name != "" {
		_ = os.Remove(c.name)
	}
	return err
}

func (r *dupRun) close() error {
	r.cleanup.Stop()
	return runFile{r.f, r.name}.close()
}

func (r *dupRun) mayHave(h uint64) bool {
	return r.bloom.mayHave(h) && h >= r.firsts[0]
}

// find reads the one block that may hold h.
func (r *dupRun) find(h uint64, scratch *[]byte) (int64, bool, error) {
	b := sort.Search(len(r.firsts), func(i int) bool { return r.firsts[i] > h }) - 1
	if b < 0 {
		return 0, false, nil
	}
	count := min(dupBlockEntries, r.n-b*dupBlockEntries)
	if cap(*scratch) < dupBlockEntries*dupEntrySize {
		*scratch = make([]byte, dupBlockEntries*dupEntrySize)
	}
	buf := (*scratch)[:count*dupEntrySize]
	if _, err := r.f.ReadAt(buf, int64(b)*dupBlockEntries*dupEntrySize); err != nil {
		return 0, false, fmt.Errorf("read the duplicate index's temporary file: %w", err)
	}
	i := sort.Search(count, func(i int) bool { return binary.LittleEndian.Uint64(buf[i*dupEntrySize:]) >= h })
	if i < count && binary.LittleEndian.Uint64(buf[i*dupEntrySize:]) == h {
		return int64(binary.LittleEndian.Uint64(buf[i*dupEntrySize+8:])), true, nil
	}
	return 0, false, nil
}

// bloom is a blocked Bloom filter: every key sets bloomK bits within one
// 512-bit block, so a probe touches one cache line.
type bloom struct {
	blocks [][8]uint64
}

func newBloom(n int) bloom {
	return bloom{blocks: make([][8]uint64, max(1, (n*bloomBitsPerKey+511)/512))}
}

// index maps the top 32 bits of h onto the blocks (multiply and shift: no
// power-of-two rounding of the filter's size).
func (b *bloom) index(h uint64) uint64 {
	return ((h >> 32) * uint64(len(b.blocks))) >> 32
}

// bitsOf spreads h over bloomK bit positions in a block (9 bits each),
// from a remix of h so they do not depend on the block index.
func bitsOf(h uint64) uint64 {
	return h * 0x9E3779B97F4A7C15
}

func (b *bloom) add(h uint64) {
	blk := &b.blocks[b.index(h)]
	g := bitsOf(h)
	for range bloomK {
		p := g & 511
		blk[p>>6] |= 1 << (p & 63)
		g >>= 9
	}
}

func (b *bloom) mayHave(h uint64) bool {
	blk := &b.blocks[b.index(h)]
	g := bitsOf(h)
	for range bloomK {
		p := g & 511
		if blk[p>>6]&(1<<(p&63)) == 0 {
			return false
		}
		g >>= 9
	}
	return true
}
