package gonet

import (
	"testing"
	"unsafe"
)

// TestConnAllocSize keeps a Conn in the 288-byte allocation size class:
// every connection end holds one, and the idle-connection memory target
// (bench idle, 3 KB per end) counts it. The next class is 320 bytes.
// State few connections use (deadline channels, net.Addr forms) is made
// on first use, not held in the Conn.
func TestConnAllocSize(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); n > 288 {
		t.Errorf("Conn is %d bytes, over the 288-byte size class", n)
	}
}
