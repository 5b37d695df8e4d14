// Package program is the export's source: it reads a Partnero program's list
// endpoints at limit=250 and yields typed records in page order. The
// paging itself is the client's one pager (partnero.Pager): pages ahead
// are fetched concurrently in a window sized from the learned rate and
// latency, so memory stays flat and an export takes about pages / rate
// rather than pages x latency; records a shifting listing shows twice are
// yielded once.
package program
