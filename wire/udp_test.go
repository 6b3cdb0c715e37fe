package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

var testDNS4 = netip.MustParseAddr("192.0.2.53")

func TestUDPDeconstruct(t *testing.T) {
	u, err := ParseUDP(udpPacket[20:])
	if err != nil {
		t.Fatal(err)
	}
	want := UDPFields{SrcPort: 33000, DstPort: 53, Length: 12, Checksum: 0xe74d}
	if got := u.Fields(); got != want {
		t.Errorf("Fields() = %+v, want %+v", got, want)
	}
	if !bytes.Equal(u.Payload(), []byte{0x12, 0x34, 0x01, 0x00}) {
		t.Errorf("payload % x", u.Payload())
	}
	if !u.ValidChecksum(testSrc4, testDNS4) || u.ComputeChecksum(testSrc4, testDNS4) != 0xe74d {
		t.Error("checksum")
	}
	if u.ValidChecksum(testSrc4, testDst4) {
		t.Error("checksum valid with the wrong pseudo-header")
	}
}

func TestUDPConstruct(t *testing.T) {
	f := UDPFields{SrcPort: 33000, DstPort: 53, Length: 12}
	b := a5(f.Len() + 4)
	f.Encode(UDP(b))
	copy(b[8:], []byte{0x12, 0x34, 0x01, 0x00})
	UDP(b).SetChecksum(UDP(b).ComputeChecksum(testSrc4, testDNS4))
	if !bytes.Equal(b, udpPacket[20:]) {
		t.Errorf("encoded % x\nwant    % x", b, udpPacket[20:])
	}
}

func TestUDPBad(t *testing.T) {
	withLen := func(n uint16) []byte {
		b := bytes.Clone(udpPacket[20:])
		UDP(b).SetLength(n)
		return b
	}
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"short", udpPacket[20:27], ErrTruncated},
		{"length 0 (jumbogram)", withLen(0), ErrBadLength},
		{"length 7", withLen(7), ErrBadLength},
		{"length past end", withLen(13), ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseUDP(tt.b); !errors.Is(err, tt.want) {
				t.Errorf("err %v, want %v", err, tt.want)
			}
		})
	}
	u, err := ParseUDP(append(withLen(8), 0xff))
	if err != nil || len(u) != 8 || len(u.Payload()) != 0 {
		t.Errorf("trim: %v len %d", err, len(u))
	}
}

// TestUDPZeroChecksum covers RFC 768's "no checksum": a computed 0 is sent
// as 0xffff, and a received 0 is accepted over IPv4 only.
func TestUDPZeroChecksum(t *testing.T) {
	// Find a payload whose checksum computes to 0: with src == dst == 0 and
	// ports/length fixed, pick the last payload word to cancel the sum.
	b := make([]byte, 10)
	f := UDPFields{SrcPort: 1, DstPort: 2, Length: 10}
	f.Encode(UDP(b))
	zero4 := netip.IPv4Unspecified()
	partial := FoldChecksum(Checksum(b, PseudoHeaderChecksum(ProtoUDP, zero4, zero4, 10)))
	b[8], b[9] = byte(partial>>8), byte(partial)
	// Now the data sums to 0xffff and the checksum computes to 0.
	if c := UDP(b).ComputeChecksum(zero4, zero4); c != 0xffff {
		t.Fatalf("ComputeChecksum = %#04x, want 0xffff", c)
	}
	UDP(b).SetChecksum(0xffff)
	if !UDP(b).ValidChecksum(zero4, zero4) {
		t.Error("0xffff does not verify")
	}
	u := UDP(bytes.Clone(udpPacket[20:]))
	u.SetChecksum(0)
	if !u.ValidChecksum(testSrc4, testDNS4) {
		t.Error("zero checksum rejected over IPv4")
	}
	if u.ValidChecksum(netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")) {
		t.Error("zero checksum accepted over IPv6")
	}
}

func TestUDPString(t *testing.T) {
	u, _ := ParseUDP(udpPacket[20:])
	if got, want := u.String(), "33000 > 53: UDP, length 4"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := u.Format(testSrc4, testDNS4), "192.0.2.1.33000 > 192.0.2.53.53: UDP, length 4"; got != want {
		t.Errorf("Format() = %q, want %q", got, want)
	}
}
