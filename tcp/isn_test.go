package tcp

import (
	"net/netip"
	"testing"
	"time"
)

func TestSipHashVector(t *testing.T) {
	// The reference test vector of the SipHash paper: key 00..0f,
	// message 00..0e (15 bytes).
	key := [2]uint64{0x0706050403020100, 0x0f0e0d0c0b0a0908}
	msg := make([]byte, 15)
	for i := range msg {
		msg[i] = byte(i)
	}
	if got := sipHash24(key, msg); got != 0xa129ca6149be45e5 {
		t.Fatalf("SipHash-2-4 = %#x, want 0xa129ca6149be45e5", got)
	}
}

func TestISNProperties(t *testing.T) {
	s := secrets{seq: [2]uint64{1, 2}, ts: [2]uint64{3, 4}}
	a := netip.MustParseAddrPort("10.0.0.1:40000")
	b := netip.MustParseAddrPort("10.0.0.2:80")
	t0 := time.Unix(100, 0)
	i1 := s.isn(a, b, t0)
	if s.isn(a, b, t0) != i1 {
		t.Fatal("ISN not deterministic for the same tuple and time")
	}
	if s.isn(a, b, t0.Add(time.Second))-i1 != uint32(time.Second/64) {
		t.Error("ISN clock does not tick every 64 ns")
	}
	c := netip.MustParseAddrPort("10.0.0.1:40001")
	if s.isn(c, b, t0) == i1 {
		t.Error("different tuples share an ISN")
	}
	other := secrets{seq: [2]uint64{5, 6}}
	if other.isn(a, b, t0) == i1 {
		t.Error("different keys share an ISN")
	}
	if s.tsOffset(a.Addr(), b.Addr()) == s.tsOffset(b.Addr(), a.Addr()) {
		t.Error("timestamp offset symmetric")
	}
}
