package gonet

import (
	"testing"
	"unsafe"
)

// TestConnAllocSize keeps a Conn in the 256-byte allocation size class:
// every connection end holds one, and the idle-connection memory target
// (bench idle, 3 KB per end) counts it. The next class is 288 bytes.
// State few connections use (deadline channels, net.Addr forms) is made
// on first use, not held in the Conn.
func TestConnAllocSize(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); n > 256 {
		t.Errorf("Conn is %d bytes, over the 256-byte size class", n)
	}
}

// TestProtoNetwork: a Conn keeps no network name, only its proto, so
// every name parseNetwork takes must come back from proto.network.
func TestProtoNetwork(t *testing.T) {
	for _, n := range []string{"tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", "unix", "unixgram", "unixpacket"} {
		p, err := parseNetwork(n)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.network(); got != n {
			t.Errorf("parseNetwork(%q).network() = %q", n, got)
		}
	}
}
