package tcp

import (
	"testing"
	"unsafe"
)

// mallocHeader is the type header Go's allocator puts in front of an
// object of more than 512 bytes that holds pointers (the runtime's
// mallocHeaderSize): such an object takes its size plus 8 bytes from its
// size class. A 1,536-byte conn therefore went to the 1,792-byte class.
const mallocHeader = 8

// TestConnSize keeps the connection struct within the 1536-byte
// allocation size class: every connection end holds one, and the
// idle-connection memory target (bench idle, 3 KB per end) counts it. A
// field that pushes it over costs the next class, 1792 bytes. Make room
// by grouping small fields (the bools at the top of conn) or by moving
// state few connections use behind a pointer allocated when first needed
// (as wq).
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(conn{}) + mallocHeader; n > 1536 {
		t.Errorf("conn is %d bytes with its allocation header, over the 1536-byte size class", n)
	}
}
