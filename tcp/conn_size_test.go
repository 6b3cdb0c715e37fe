package tcp

import (
	"testing"
	"unsafe"
)

// TestConnSize keeps the connection struct within the 1536-byte
// allocation size class: every connection end holds one, and the
// idle-connection memory target (bench idle, 3 KB per end) counts it. A
// field that pushes it over costs the next class, 1792 bytes. Make room
// by grouping small fields (the bools at the top of conn) or by moving
// state few connections use behind a pointer allocated when first needed
// (as wq).
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(conn{}); n > 1536 {
		t.Errorf("conn is %d bytes, over the 1536-byte size class", n)
	}
}
