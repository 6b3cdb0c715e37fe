package link

import (
	"testing"

	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

func TestVnetHdrRoundTrip(t *testing.T) {
	h := VnetHdr{Flags: VnetFlagNeedsCsum, GSOType: VnetGSOTCPv6 | VnetGSOECN, HdrLen: 74, GSOSize: 1428, CsumStart: 40, CsumOffset: 16}
	var b [VnetHdrLen]byte
	h.Encode(b[:])
	var g VnetHdr
	g.Decode(b[:])
	if g != h {
		t.Errorf("decoded %+v, encoded %+v", g, h)
	}
	if b[0] != VnetFlagNeedsCsum || b[1] != VnetGSOTCPv6|VnetGSOECN {
		t.Errorf("flag bytes % x", b[:2])
	}
}

// TestVnetFromBuffer: a TCP super-segment with a complete checksum is
// described as GSO with NEEDS_CSUM, its checksum turned partial, and the
// kernel-side finish (SegmentGSO here) gives valid segments.
func TestVnetFromBuffer(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		pkt := gsoSuper(v6, 0, 100, wire.TCPFlagACK|wire.TCPFlagCWR|wire.TCPFlagPSH, make([]byte, 4000), 1448, false)
		var h VnetHdr
		if !h.FromBuffer(pkt, 0) {
			t.Fatal("FromBuffer refused a TCP super-segment")
		}
		ipLen, wantType := wire.IPv4MinHeaderLen, uint8(VnetGSOTCPv4)
		if v6 {
			ipLen, wantType = wire.IPv6HeaderLen, VnetGSOTCPv6
		}
		want := VnetHdr{Flags: VnetFlagNeedsCsum, GSOType: wantType | VnetGSOECN, HdrLen: uint16(ipLen + 32),
			GSOSize: 1448, CsumStart: uint16(ipLen), CsumOffset: 16}
		if h != want {
			t.Errorf("v6=%v: header %+v, want %+v", v6, h, want)
		}
		if !pkt.ChecksumPartial {
			t.Error("checksum not marked partial")
		}
		checkGSOSegments(t, pkt, 0)
	}
	// A plain packet with a complete checksum needs no header fields.
	pkt := gsoSuper(false, 0, 1, wire.TCPFlagACK, []byte("x"), 0, false)
	pkt.GSOType = pktbuf.GSONone
	var h VnetHdr
	if !h.FromBuffer(pkt, 0) || h != (VnetHdr{}) {
		t.Errorf("plain packet: %+v", h)
	}
	pkt.Release()
}

func TestVnetToBuffer(t *testing.T) {
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, 3000)
	defer pkt.Release()
	cases := []struct {
		h                 VnetHdr
		ok                bool
		gso               pktbuf.GSOType
		partial, verified bool
	}{
		{VnetHdr{}, true, pktbuf.GSONone, false, false},
		{VnetHdr{Flags: VnetFlagDataValid}, true, pktbuf.GSONone, false, true},
		{VnetHdr{Flags: VnetFlagNeedsCsum, CsumStart: 20, CsumOffset: 16}, true, pktbuf.GSONone, true, true},
		{VnetHdr{Flags: VnetFlagNeedsCsum, GSOType: VnetGSOTCPv4 | VnetGSOECN, GSOSize: 1448, CsumStart: 20, CsumOffset: 16}, true, pktbuf.GSOTCPv4, true, true},
		{VnetHdr{GSOType: VnetGSOTCPv6}, false, 0, false, false},                                     // no segment size
		{VnetHdr{GSOType: VnetGSOUDP, GSOSize: 1000}, false, 0, false, false},                        // UFO
		{VnetHdr{Flags: VnetFlagNeedsCsum, CsumStart: 2990, CsumOffset: 16}, false, 0, false, false}, // outside the frame
	}
	for i, c := range cases {
		ok := c.h.ToBuffer(pkt)
		if ok != c.ok || ok && (pkt.GSOType != c.gso || pkt.ChecksumPartial != c.partial || pkt.ChecksumVerified != c.verified) {
			t.Errorf("case %d: ok %v gso %v partial %v verified %v", i, ok, pkt.GSOType, pkt.ChecksumPartial, pkt.ChecksumVerified)
		}
	}
}
