package socket

import (
	"testing"
	"unsafe"
)

// TestSockAllocSize keeps a Sock in the 224-byte allocation size class:
// every socket holds one, and the idle-connection memory target (bench
// idle, 3 KB per connection end) counts it. The next class is 240 bytes;
// regroup small fields into padding to find room.
func TestSockAllocSize(t *testing.T) {
	if n := unsafe.Sizeof(Sock{}); n > 224 {
		t.Errorf("Sock is %d bytes, over the 224-byte size class", n)
	}
}
