package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

func TestARPDeconstruct(t *testing.T) {
	a, err := ParseARP(ethFrame[EthernetHeaderLen:]) // with frame padding
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != ARPLen {
		t.Errorf("view not trimmed: len %d", len(a))
	}
	want := ARPFields{
		Op:       ARPRequest,
		SenderHW: testMACA, SenderIP: netip.MustParseAddr("192.0.2.1"),
		TargetIP: netip.MustParseAddr("192.0.2.2"),
	}
	if got := a.Fields(); got != want {
		t.Errorf("Fields() = %+v, want %+v", got, want)
	}
}

func TestARPConstruct(t *testing.T) {
	f := ARPFields{
		Op:       ARPRequest,
		SenderHW: testMACA, SenderIP: netip.MustParseAddr("192.0.2.1"),
		TargetIP: netip.MustParseAddr("192.0.2.2"),
	}
	b := a5(f.Len())
	f.Encode(ARP(b))
	if !bytes.Equal(b, arpPacket) {
		t.Errorf("encoded\n% x\nwant\n% x", b, arpPacket)
	}
}

func TestARPBad(t *testing.T) {
	mod := func(off int, v byte) []byte {
		b := bytes.Clone(arpPacket)
		b[off] = v
		return b
	}
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"short", arpPacket[:ARPLen-1], ErrTruncated},
		{"hardware type", mod(1, 6), ErrBadHeader},
		{"protocol type", mod(2, 0x86), ErrBadHeader},
		{"hardware size", mod(4, 8), ErrBadHeader},
		{"protocol size", mod(5, 16), ErrBadHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseARP(tt.b); !errors.Is(err, tt.want) {
				t.Errorf("err %v, want %v", err, tt.want)
			}
		})
	}
}

func TestARPRoundTripAndString(t *testing.T) {
	tests := []struct {
		f    ARPFields
		want string
	}{
		{ARPFields{Op: ARPRequest, SenderHW: testMACA, SenderIP: netip.MustParseAddr("192.0.2.1"), TargetIP: netip.MustParseAddr("192.0.2.2")},
			"ARP, Request who-has 192.0.2.2 tell 192.0.2.1, length 28"},
		{ARPFields{Op: ARPReply, SenderHW: testMACB, SenderIP: netip.MustParseAddr("192.0.2.2"), TargetHW: testMACA, TargetIP: netip.MustParseAddr("192.0.2.1")},
			"ARP, Reply 192.0.2.2 is-at 02:00:00:00:00:02, length 28"},
		{ARPFields{Op: 9, SenderIP: netip.IPv4Unspecified(), TargetIP: netip.MustParseAddr("192.0.2.9")},
			"ARP, op 9, sender 0.0.0.0 (00:00:00:00:00:00) target 192.0.2.9 (00:00:00:00:00:00), length 28"},
	}
	for _, tt := range tests {
		b := make([]byte, tt.f.Len())
		tt.f.Encode(ARP(b))
		a, err := ParseARP(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Fields(); got != tt.f {
			t.Errorf("round trip: got %+v, want %+v", got, tt.f)
		}
		if got := a.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// TestARPZeroAddr checks that an unset address in a field struct encodes
// as 0.0.0.0 (an ARP probe's sender) instead of panicking.
func TestARPZeroAddr(t *testing.T) {
	f := ARPFields{Op: ARPRequest, SenderHW: testMACA, TargetIP: netip.MustParseAddr("192.0.2.2")}
	b := a5(ARPLen)
	f.Encode(ARP(b))
	if !bytes.Equal(b[arpSenderIP:arpSenderIP+4], []byte{0, 0, 0, 0}) {
		t.Errorf("sender IP % x", b[arpSenderIP:arpSenderIP+4])
	}
}
