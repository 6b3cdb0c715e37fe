package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

func TestICMPv4Deconstruct(t *testing.T) {
	c, err := ParseICMPv4(icmpPacket[20:])
	if err != nil {
		t.Fatal(err)
	}
	if c.Type() != ICMPv4EchoRequest || c.Code() != 0 || c.Ident() != 0x1234 || c.Seq() != 1 || string(c.Payload()) != "abcdefgh" {
		t.Errorf("fields %+v payload %q", c.Fields(), c.Payload())
	}
	if !c.ValidChecksum() || c.ComputeChecksum() != c.Checksum() {
		t.Error("checksum")
	}
	want := ICMPv4Fields{Type: ICMPv4EchoRequest, Ident: 0x1234, Seq: 1, Checksum: c.Checksum()}
	if got := c.Fields(); got != want {
		t.Errorf("Fields() = %+v, want %+v", got, want)
	}

	c, err = ParseICMPv4(fragNeededPacket[20:])
	if err != nil {
		t.Fatal(err)
	}
	if c.Type() != ICMPv4DestUnreach || c.Code() != ICMPv4CodeFragNeeded || c.MTU() != 1400 || !c.ValidChecksum() {
		t.Errorf("frag needed: %+v", c.Fields())
	}
	if !bytes.Equal(c.Payload(), udpPacket[:28]) {
		t.Error("quoted packet")
	}
}

func TestICMPv4Construct(t *testing.T) {
	f := ICMPv4Fields{Type: ICMPv4EchoRequest, Ident: 0x1234, Seq: 1}
	b := a5(f.Len() + 8)
	f.Encode(ICMPv4(b))
	copy(b[8:], "abcdefgh")
	ICMPv4(b).SetChecksum(ICMPv4(b).ComputeChecksum())
	if !bytes.Equal(b, icmpPacket[20:]) {
		t.Errorf("encoded % x\nwant    % x", b, icmpPacket[20:])
	}

	f = ICMPv4Fields{Type: ICMPv4DestUnreach, Code: ICMPv4CodeFragNeeded, MTU: 1400}
	b = a5(f.Len() + 28)
	f.Encode(ICMPv4(b))
	copy(b[8:], udpPacket)
	ICMPv4(b).SetChecksum(ICMPv4(b).ComputeChecksum())
	if !bytes.Equal(b, fragNeededPacket[20:]) {
		t.Errorf("encoded % x\nwant    % x", b, fragNeededPacket[20:])
	}
}

func TestICMPv4Truncated(t *testing.T) {
	for n := range ICMPv4HeaderLen {
		if _, err := ParseICMPv4(icmpPacket[20 : 20+n]); !errors.Is(err, ErrTruncated) {
			t.Errorf("len %d: %v", n, err)
		}
	}
}

func TestICMPv4RoundTrip(t *testing.T) {
	tests := []ICMPv4Fields{
		{Type: ICMPv4EchoReply, Ident: 9, Seq: 0xffff},
		{Type: ICMPv4DestUnreach, Code: ICMPv4CodePortUnreach},
		{Type: ICMPv4DestUnreach, Code: ICMPv4CodeFragNeeded, MTU: 576},
		{Type: ICMPv4TimeExceeded, Code: ICMPv4CodeTTLExceeded, Checksum: 0x1234},
		{Type: ICMPv4ParamProblem, Pointer: 20},
		{Type: ICMPv4Redirect, Code: ICMPv4CodeRedirectHost, Gateway: netip.MustParseAddr("192.0.2.9")},
		{Type: ICMPv4Timestamp, Ident: 1, Seq: 2},
		{Type: ICMPv4RouterSolicit},
	}
	for _, f := range tests {
		b := a5(f.Len())
		f.Encode(ICMPv4(b))
		c, err := ParseICMPv4(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Fields(); got != f {
			t.Errorf("got %+v, want %+v", got, f)
		}
	}
	// Unused rest-of-header bytes are written as zero.
	b := a5(8)
	(&ICMPv4Fields{Type: ICMPv4TimeExceeded}).Encode(ICMPv4(b))
	if ICMPv4(b).Rest() != 0 {
		t.Errorf("rest % x", b[4:])
	}
	c := ICMPv4(b)
	c.SetRest(0xc0000201)
	if c.Gateway() != netip.MustParseAddr("192.0.2.1") || c.Pointer() != 0xc0 {
		t.Error("SetRest")
	}
}

// TestICMPv4String compares with tcpdump 4.99.3 -nn output.
func TestICMPv4String(t *testing.T) {
	quote := udpPacket[:28]
	build := func(f ICMPv4Fields, p []byte) ICMPv4 {
		b := make([]byte, f.Len()+len(p))
		f.Encode(ICMPv4(b))
		copy(b[8:], p)
		return ICMPv4(b)
	}
	tests := []struct {
		name string
		c    ICMPv4
		want string
	}{
		{"echo", ICMPv4(icmpPacket[20:]), "ICMP echo request, id 4660, seq 1, length 16"},
		{"echo reply", build(ICMPv4Fields{Type: ICMPv4EchoReply, Ident: 1, Seq: 2}, make([]byte, 56)), "ICMP echo reply, id 1, seq 2, length 64"},
		{"port unreachable", build(ICMPv4Fields{Type: ICMPv4DestUnreach, Code: ICMPv4CodePortUnreach}, quote), "ICMP 192.0.2.53 udp port 53 unreachable, length 36"},
		{"frag needed", ICMPv4(fragNeededPacket[20:]), "ICMP 192.0.2.53 unreachable - need to frag (mtu 1400), length 36"},
		{"host unreachable", build(ICMPv4Fields{Type: ICMPv4DestUnreach, Code: ICMPv4CodeHostUnreach}, quote), "ICMP host 192.0.2.53 unreachable, length 36"},
		{"net unreachable", build(ICMPv4Fields{Type: ICMPv4DestUnreach, Code: ICMPv4CodeNetUnreach}, quote), "ICMP net 192.0.2.53 unreachable, length 36"},
		{"protocol unreachable", build(ICMPv4Fields{Type: ICMPv4DestUnreach, Code: ICMPv4CodeProtoUnreach}, quote), "ICMP 192.0.2.53 protocol 17 unreachable, length 36"},
		{"admin prohibited", build(ICMPv4Fields{Type: ICMPv4DestUnreach, Code: ICMPv4CodeAdminProhibited}, quote), "ICMP host 192.0.2.53 unreachable - admin prohibited filter, length 36"},
		{"unreachable, no quote", build(ICMPv4Fields{Type: ICMPv4DestUnreach, Code: ICMPv4CodePortUnreach}, nil), "ICMP ? port unreachable, length 8"},
		{"ttl exceeded", build(ICMPv4Fields{Type: ICMPv4TimeExceeded}, quote), "ICMP time exceeded in-transit, length 36"},
		{"reassembly", build(ICMPv4Fields{Type: ICMPv4TimeExceeded, Code: ICMPv4CodeReassemblyTimeout}, quote), "ICMP ip reassembly time exceeded, length 36"},
		{"redirect", build(ICMPv4Fields{Type: ICMPv4Redirect, Code: 1, Gateway: netip.MustParseAddr("192.0.2.9")}, quote), "ICMP redirect 192.0.2.53 to host 192.0.2.9, length 36"},
		{"param problem", build(ICMPv4Fields{Type: ICMPv4ParamProblem, Pointer: 20}, quote), "ICMP parameter problem - octet 20, length 36"},
		{"unknown", build(ICMPv4Fields{Type: 77}, nil), "ICMP type-#77, length 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	if !ICMPv4DestUnreach.IsError() || ICMPv4EchoRequest.IsError() {
		t.Error("IsError")
	}
}
