package jsonl

// SetMaxLineBytes lowers the line limit so tests need not build 64 MiB.
func SetMaxLineBytes(r *Reader, n int) { r.maxLine = n }
