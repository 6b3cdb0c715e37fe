package link

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/gosock/gosock/internal/israce"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

var (
	gsoSrc4 = netip.MustParseAddr("192.0.2.1")
	gsoDst4 = netip.MustParseAddr("192.0.2.2")
	gsoSrc6 = netip.MustParseAddr("2001:db8::1")
	gsoDst6 = netip.MustParseAddr("2001:db8::2")
)

// gsoSuper builds a TCP super-segment as gosock's TCP and IP layers do,
// with linkLen bytes of (zero) link header in front, and a partial or full
// checksum.
func gsoSuper(v6 bool, linkLen int, seq uint32, flags wire.TCPFlags, payload []byte, mss int, partial bool) *pktbuf.Buffer {
	f := wire.TCPFields{SrcPort: 1000, DstPort: 2000, Seq: seq, Ack: 7, Flags: flags, Window: 500,
		Opts: &wire.TCPOptions{HasTimestamps: true, TSVal: 1, TSEcr: 2}}
	hl := f.Len()
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, hl+len(payload))
	b := pkt.Bytes()
	f.Encode(wire.TCP(b))
	copy(b[hl:], payload)
	src, dst := gsoSrc4, gsoDst4
	if v6 {
		src, dst = gsoSrc6, gsoDst6
	}
	seg := wire.TCP(b)
	if partial {
		seg.SetChecksum(^wire.FoldChecksum(wire.PseudoHeaderChecksum(wire.ProtoTCP, src, dst, len(b))))
		pkt.ChecksumPartial = true
	} else {
		seg.SetChecksum(seg.ComputeChecksum(src, dst))
	}
	if v6 {
		h := wire.IPv6(pkt.Push(wire.IPv6HeaderLen))
		(&wire.IPv6Fields{PayloadLen: uint16(len(b)), NextHeader: wire.ProtoTCP, HopLimit: 64, Src: src, Dst: dst}).Encode(h)
		pkt.GSOType = pktbuf.GSOTCPv6
	} else {
		h := wire.IPv4(pkt.Push(wire.IPv4MinHeaderLen))
		(&wire.IPv4Fields{TotalLen: uint16(min(wire.IPv4MinHeaderLen+len(b), 0xffff)), ID: 0xfffe, Flags: wire.IPv4FlagDontFragment,
			TTL: 64, Protocol: wire.ProtoTCP, Src: src, Dst: dst}).Encode(h)
		h.UpdateChecksum()
		pkt.GSOType = pktbuf.GSOTCPv4
	}
	pkt.Push(linkLen)
	pkt.GSOSize = uint16(mss)
	return pkt
}

// checkGSOSegments segments pkt and checks the result against the
// properties any correct segmentation has: every segment valid and
// within mss, the payloads reassembling to the input in sequence, flags
// placed as tcp_gso_segment places them, IP IDs counting up.
func checkGSOSegments(t *testing.T, pkt *pktbuf.Buffer, linkLen int) int {
	t.Helper()
	orig := append([]byte(nil), pkt.Bytes()...)
	mss := int(pkt.GSOSize)
	v6 := orig[linkLen]>>4 == 6
	var ipLen int
	var origTCP wire.TCP
	var origID uint16
	if v6 {
		ipLen = wire.IPv6HeaderLen
	} else {
		ipLen = int(orig[linkLen]&0xf) * 4
		origID = wire.IPv4(orig[linkLen:]).ID()
	}
	origTCP = wire.TCP(orig[linkLen+ipLen:])
	origPayload := origTCP.Payload()
	var got []byte
	var segs []*pktbuf.Buffer
	n, err := SegmentGSO(pkt, linkLen, func(s *pktbuf.Buffer) error {
		segs = append(segs, s)
		return nil
	})
	if err != nil {
		t.Fatalf("SegmentGSO: %v", err)
	}
	if n != len(segs) {
		t.Fatalf("SegmentGSO returned %d, emitted %d", n, len(segs))
	}
	want := (len(origPayload) + mss - 1) / mss
	if mss == 0 || want == 0 {
		want = 1
	}
	if n != want {
		t.Fatalf("%d segments, want %d for %d bytes at %d", n, want, len(origPayload), mss)
	}
	for i, s := range segs {
		b := s.Bytes()
		if !bytes.Equal(b[:linkLen], orig[:linkLen]) {
			t.Errorf("segment %d: link header changed", i)
		}
		if s.GSOType != pktbuf.GSONone || s.ChecksumPartial {
			t.Errorf("segment %d still marked GSO %v / partial %v", i, s.GSOType, s.ChecksumPartial)
		}
		var th wire.TCP
		if v6 {
			h, err := wire.ParseIPv6(b[linkLen:])
			if err != nil || len(h) != len(b)-linkLen {
				t.Fatalf("segment %d: bad IPv6 header (%v), length %d of %d", i, err, len(h), len(b)-linkLen)
			}
			th = wire.TCP(h.Payload())
			if !th.ValidChecksum(h.Src(), h.Dst()) {
				t.Errorf("segment %d: bad TCP checksum", i)
			}
		} else {
			h, err := wire.ParseIPv4(b[linkLen:])
			if err != nil || len(h) != len(b)-linkLen || !h.ValidChecksum() {
				t.Fatalf("segment %d: bad IPv4 header (%v)", i, err)
			}
			if n > 1 && h.ID() != origID+uint16(i) {
				t.Errorf("segment %d: IP ID %#x, want %#x", i, h.ID(), origID+uint16(i))
			}
			th = wire.TCP(h.Payload())
			if !th.ValidChecksum(h.Src(), h.Dst()) {
				t.Errorf("segment %d: bad TCP checksum", i)
			}
		}
		if mss > 0 && len(th.Payload()) > mss && n > 1 {
			t.Errorf("segment %d: %d bytes over mss %d", i, len(th.Payload()), mss)
		}
		if th.Seq() != origTCP.Seq()+uint32(len(got)) {
			t.Errorf("segment %d: seq %d, want %d", i, th.Seq(), origTCP.Seq()+uint32(len(got)))
		}
		wantFlags := origTCP.Flags()
		if i < n-1 {
			wantFlags &^= wire.TCPFlagFIN | wire.TCPFlagPSH
		}
		if i > 0 {
			wantFlags &^= wire.TCPFlagCWR
		}
		if th.Flags() != wantFlags {
			t.Errorf("segment %d: flags %v, want %v", i, th.Flags(), wantFlags)
		}
		if !bytes.Equal(th[4:12], origTCP[4:12]) && i == 0 || !bytes.Equal(th[8:12], origTCP[8:12]) ||
			!bytes.Equal(th[14:16], origTCP[14:16]) || !bytes.Equal(th[18:th.HeaderLen()], origTCP[18:origTCP.HeaderLen()]) {
			t.Errorf("segment %d: header fields other than seq/flags/checksum changed", i)
		}
		got = append(got, th.Payload()...)
		s.Release()
	}
	if !bytes.Equal(got, origPayload) {
		t.Errorf("reassembled %d bytes differ from the %d sent", len(got), len(origPayload))
	}
	return n
}

func TestSegmentGSO(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	payload := make([]byte, 65000)
	for i := range payload {
		payload[i] = byte(rng.Uint32())
	}
	cases := []struct {
		name    string
		v6      bool
		linkLen int
		n, mss  int
		flags   wire.TCPFlags
		partial bool
	}{
		{"v4 64KiB at 1448", false, 0, 65000 - 60, 1448, wire.TCPFlagACK | wire.TCPFlagPSH, true},
		{"v4 exact multiple", false, 0, 1448 * 10, 1448, wire.TCPFlagACK | wire.TCPFlagFIN | wire.TCPFlagPSH, false},
		{"v4 ethernet CWR", false, 14, 5000, 1000, wire.TCPFlagACK | wire.TCPFlagCWR | wire.TCPFlagPSH, true},
		{"v6 at 1428", true, 0, 60000, 1428, wire.TCPFlagACK | wire.TCPFlagPSH, true},
		{"v6 odd sizes", true, 14, 4097, 999, wire.TCPFlagACK | wire.TCPFlagFIN, false},
		{"fits already", false, 0, 1000, 1448, wire.TCPFlagACK | wire.TCPFlagPSH, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := pktbuf.Outstanding()
			pkt := gsoSuper(c.v6, c.linkLen, 0xfffff000, c.flags, payload[:c.n], c.mss, c.partial)
			checkGSOSegments(t, pkt, c.linkLen)
			if d := pktbuf.Outstanding() - before; d != 0 {
				t.Errorf("%d buffers leaked", d)
			}
		})
	}
}

func TestSegmentGSOUDP(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789"), 500)
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, wire.UDPHeaderLen+len(payload))
	b := pkt.Bytes()
	binary.BigEndian.PutUint16(b[0:], 53)
	binary.BigEndian.PutUint16(b[2:], 5353)
	copy(b[8:], payload)
	h := wire.IPv4(pkt.Push(wire.IPv4MinHeaderLen))
	(&wire.IPv4Fields{TotalLen: uint16(pkt.Len()), TTL: 64, Protocol: wire.ProtoUDP, Src: gsoSrc4, Dst: gsoDst4}).Encode(h)
	h.UpdateChecksum()
	pkt.GSOType, pkt.GSOSize = pktbuf.GSOUDPL4, 1200
	var got []byte
	n, err := SegmentGSO(pkt, 0, func(s *pktbuf.Buffer) error {
		ip, err := wire.ParseIPv4(s.Bytes())
		if err != nil || !ip.ValidChecksum() {
			t.Errorf("bad IPv4 header: %v", err)
		}
		u := wire.UDP(ip.Payload())
		if int(u.Length()) != len(u) || len(u.Payload()) > 1200 {
			t.Errorf("UDP length %d for %d bytes", u.Length(), len(u))
		}
		if wire.FoldChecksum(wire.Checksum(u, wire.PseudoHeaderChecksum(wire.ProtoUDP, ip.Src(), ip.Dst(), len(u)))) != 0 {
			t.Error("bad UDP checksum")
		}
		got = append(got, u.Payload()...)
		s.Release()
		return nil
	})
	if err != nil || n != 5 {
		t.Fatalf("SegmentGSO = %d, %v; want 5 segments", n, err)
	}
	if !bytes.Equal(got, payload) {
		t.Error("datagrams do not reassemble to the payload")
	}
}

func TestSegmentGSOMalformed(t *testing.T) {
	before := pktbuf.Outstanding()
	pkt := gsoSuper(false, 0, 1, wire.TCPFlagACK, make([]byte, 3000), 1000, false)
	wire.IPv4(pkt.Bytes()).SetProtocol(wire.ProtoUDP) // says UDP, GSO type says TCP
	n, err := SegmentGSO(pkt, 0, func(s *pktbuf.Buffer) error { s.Release(); return nil })
	if !errors.Is(err, ErrGSOMalformed) || n != 0 {
		t.Errorf("SegmentGSO = %d, %v; want 0, ErrGSOMalformed", n, err)
	}
	if d := pktbuf.Outstanding() - before; d != 0 {
		t.Errorf("%d buffers leaked", d)
	}
}

// TestSegmentGSOEmitError: a refused segment does not stop the rest, and
// the first error is reported.
func TestSegmentGSOEmitError(t *testing.T) {
	pkt := gsoSuper(true, 0, 1, wire.TCPFlagACK, make([]byte, 3000), 1000, false)
	calls := 0
	boom := errors.New("full")
	n, err := SegmentGSO(pkt, 0, func(s *pktbuf.Buffer) error {
		s.Release()
		calls++
		if calls == 2 {
			return boom
		}
		return nil
	})
	if n != 3 || calls != 3 || err != boom {
		t.Errorf("SegmentGSO = %d, %v after %d calls; want 3, full, 3", n, err, calls)
	}
}

func TestFinishChecksum(t *testing.T) {
	pkt := gsoSuper(false, 0, 1, wire.TCPFlagACK, []byte("hello"), 0, true)
	pkt.GSOType = pktbuf.GSONone
	if err := FinishChecksum(pkt, 0); err != nil {
		t.Fatal(err)
	}
	ip := wire.IPv4(pkt.Bytes())
	if !wire.TCP(ip.Payload()).ValidChecksum(ip.Src(), ip.Dst()) || pkt.ChecksumPartial {
		t.Error("checksum not finished")
	}
	pkt.Release()
}

func TestSegmentGSOAllocs(t *testing.T) {
	if israce.Enabled {
		t.Skip("the race detector empties sync.Pools")
	}
	payload := make([]byte, 60000)
	emit := func(s *pktbuf.Buffer) error { s.Release(); return nil }
	// Warm the pools.
	for range 4 {
		SegmentGSO(gsoSuper(false, 0, 1, wire.TCPFlagACK, payload, 1448, true), 0, emit)
	}
	pkts := make([]*pktbuf.Buffer, 0, 200)
	allocs := testing.AllocsPerRun(100, func() {
		pkts = append(pkts, gsoSuper(false, 0, 1, wire.TCPFlagACK, payload, 1448, true))
		SegmentGSO(pkts[len(pkts)-1], 0, emit)
	})
	// gsoSuper's TCPOptions literal may escape; the segmenter itself must
	// add nothing per segment (42 of them here).
	if allocs > 2 {
		t.Errorf("%.1f allocations per super-segment", allocs)
	}
}

func FuzzGSOSegment(f *testing.F) {
	f.Add([]byte("payload"), uint16(3), false, uint8(0x18), uint8(0))
	f.Add(bytes.Repeat([]byte{0xab}, 5000), uint16(1448), true, uint8(0x99), uint8(14))
	f.Add(bytes.Repeat([]byte{0xff}, 3001), uint16(1000), false, uint8(0x91), uint8(0))
	f.Fuzz(func(t *testing.T, payload []byte, mss uint16, v6 bool, flags uint8, linkLen uint8) {
		if len(payload) > 65000 || mss == 0 {
			return
		}
		ll := int(linkLen % 20)
		before := pktbuf.Outstanding()
		pkt := gsoSuper(v6, ll, uint32(len(payload))*2654435761, wire.TCPFlags(flags), payload, int(mss), flags&1 == 0)
		checkGSOSegments(t, pkt, ll)
		// The same bytes as a raw frame: garbage must be refused or cut
		// without a panic or a leak.
		raw := pktbuf.FromBytes(pktbuf.DefaultHeadroom, payload)
		raw.GSOType = pktbuf.GSOType(1 + flags%3)
		raw.GSOSize = mss
		raw.ChecksumPartial = flags&2 != 0
		SegmentGSO(raw, ll%3, func(s *pktbuf.Buffer) error { s.Release(); return nil })
		if d := pktbuf.Outstanding() - before; d != 0 {
			t.Errorf("%d buffers leaked", d)
		}
	})
}
