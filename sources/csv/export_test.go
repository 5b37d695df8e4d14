package csv

// SetMaxRecordBytes lowers the record limit so tests need not build 64 MiB.
func SetMaxRecordBytes(r *Reader, n int64) { r.guard.max = n }
