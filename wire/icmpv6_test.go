package wire

import (
	"bytes"
	"errors"
	"testing"
)

func TestICMPv6Deconstruct(t *testing.T) {
	ip, _ := ParseIPv6(echo6Packet)
	c, err := ParseICMPv6(ip.Payload())
	if err != nil {
		t.Fatal(err)
	}
	want := ICMPv6Fields{Type: ICMPv6EchoReply, Ident: 7, Seq: 9, Checksum: c.Checksum()}
	if got := c.Fields(); got != want || string(c.Payload()) != "ping" {
		t.Errorf("Fields() = %+v, want %+v; payload %q", got, want, c.Payload())
	}
	if !c.ValidChecksum(ip.Src(), ip.Dst()) || c.ComputeChecksum(ip.Src(), ip.Dst()) != c.Checksum() {
		t.Error("checksum")
	}
	if c.ValidChecksum(ip.Dst(), ip.Src()) == false {
		t.Error("the pseudo-header sum does not depend on address order")
	}
	if c.ValidChecksum(testSrc6, llSrc6) {
		t.Error("checksum valid with the wrong pseudo-header")
	}
}

func TestICMPv6Construct(t *testing.T) {
	f := ICMPv6Fields{Type: ICMPv6EchoReply, Ident: 7, Seq: 9}
	b := a5(f.Len() + 4)
	f.Encode(ICMPv6(b))
	copy(b[8:], "ping")
	ICMPv6(b).SetChecksum(ICMPv6(b).ComputeChecksum(testDst6, testSrc6))
	if !bytes.Equal(b, echo6Packet[40:]) {
		t.Errorf("encoded % x\nwant    % x", b, echo6Packet[40:])
	}
}

func TestICMPv6Truncated(t *testing.T) {
	for n := range ICMPv6HeaderLen {
		if _, err := ParseICMPv6(echo6Packet[40 : 40+n]); !errors.Is(err, ErrTruncated) {
			t.Errorf("len %d: %v", n, err)
		}
	}
}

func TestICMPv6RoundTrip(t *testing.T) {
	tests := []ICMPv6Fields{
		{Type: ICMPv6EchoRequest, Ident: 0xffff, Seq: 1},
		{Type: ICMPv6PacketTooBig, MTU: 1280},
		{Type: ICMPv6ParamProblem, Code: ICMPv6CodeUnknownNextHeader, Pointer: 40},
		{Type: ICMPv6DestUnreach, Code: ICMPv6CodePortUnreach, Checksum: 0xabcd},
		{Type: ICMPv6TimeExceeded},
		{Type: ICMPv6MLDv2Report},
	}
	for _, f := range tests {
		b := a5(f.Len())
		f.Encode(ICMPv6(b))
		c, err := ParseICMPv6(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Fields(); got != f {
			t.Errorf("got %+v, want %+v", got, f)
		}
	}
}

// TestICMPv6String compares with tcpdump 4.99.3 -nn output.
func TestICMPv6String(t *testing.T) {
	quote := ext6Packet[:40:40]
	quoteUDP := append(bytes.Clone(echo6Packet[:40]), 0, 5, 0, 53, 0, 8, 0, 0)
	IPv6(quoteUDP).SetNextHeader(ProtoUDP)
	build := func(f ICMPv6Fields, p []byte) ICMPv6 {
		b := make([]byte, f.Len()+len(p))
		f.Encode(ICMPv6(b))
		copy(b[8:], p)
		return ICMPv6(b)
	}
	tests := []struct {
		name string
		c    ICMPv6
		want string
	}{
		{"echo reply", ICMPv6(echo6Packet[40:]), "ICMP6, echo reply, id 7, seq 9, length 12"},
		{"packet too big", build(ICMPv6Fields{Type: ICMPv6PacketTooBig, MTU: 1280}, quote), "ICMP6, packet too big, mtu 1280, length 48"},
		{"port unreachable", build(ICMPv6Fields{Type: ICMPv6DestUnreach, Code: ICMPv6CodePortUnreach}, quoteUDP), "ICMP6, destination unreachable, unreachable port, 2001:db8::1 udp port 53, length 56"},
		{"address unreachable", build(ICMPv6Fields{Type: ICMPv6DestUnreach, Code: ICMPv6CodeAddrUnreach}, quote), "ICMP6, destination unreachable, unreachable address 2001:db8::2, length 48"},
		{"param problem", build(ICMPv6Fields{Type: ICMPv6ParamProblem, Code: ICMPv6CodeUnknownNextHeader, Pointer: 6}, quote), "ICMP6, parameter problem, next header - octet 6, length 48"},
		{"time exceeded", build(ICMPv6Fields{Type: ICMPv6TimeExceeded}, quote), "ICMP6, time exceeded in-transit for 2001:db8::2, length 48"},
		{"reassembly", build(ICMPv6Fields{Type: ICMPv6TimeExceeded, Code: ICMPv6CodeReassemblyTimeout}, nil), "ICMP6, ip6 reassembly time exceeded, length 8"},
		{"ns", ICMPv6(nsPacket[40:]), "ICMP6, neighbor solicitation, who has 2001:db8::2, length 32"},
		{"mldv2", build(ICMPv6Fields{Type: ICMPv6MLDv2Report}, nil), "ICMP6, multicast listener report v2, length 8"},
		{"unknown", build(ICMPv6Fields{Type: 200}, nil), "ICMP6, unknown icmp6 type (200), length 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	if !ICMPv6PacketTooBig.IsError() || ICMPv6EchoRequest.IsError() {
		t.Error("IsError")
	}
}
