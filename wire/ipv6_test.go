package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

var (
	testSrc6 = netip.MustParseAddr("2001:db8::1")
	testDst6 = netip.MustParseAddr("2001:db8::2")
	llSrc6   = netip.MustParseAddr("fe80::1")
	snmDst6  = netip.MustParseAddr("ff02::1:ff00:2")
)

// nsIPv6Fields describes the IPv6 header of nsPacket.
var nsIPv6Fields = IPv6Fields{PayloadLen: 32, NextHeader: ProtoICMPv6, HopLimit: 255, Src: llSrc6, Dst: snmDst6}

func TestIPv6Deconstruct(t *testing.T) {
	ip, err := ParseIPv6(nsPacket)
	if err != nil {
		t.Fatal(err)
	}
	if ip.Version() != 6 {
		t.Errorf("Version() = %d", ip.Version())
	}
	if got := ip.Fields(); got != nsIPv6Fields {
		t.Errorf("Fields() = %+v, want %+v", got, nsIPv6Fields)
	}
	if !bytes.Equal(ip.Payload(), nsPacket[40:]) {
		t.Error("payload")
	}
	ip, err = ParseIPv6(ext6Packet)
	if err != nil {
		t.Fatal(err)
	}
	if got := ip.Fields(); got != ext6IPv6Fields {
		t.Errorf("ext6 Fields() = %+v, want %+v", got, ext6IPv6Fields)
	}
}

func TestIPv6Construct(t *testing.T) {
	f := nsIPv6Fields
	b := a5(f.Len() + 1)
	f.Encode(IPv6(b))
	if !bytes.Equal(b[:40], nsPacket[:40]) || b[40] != 0xa5 {
		t.Errorf("encoded\n% x\nwant\n% x", b, nsPacket[:40])
	}
	f = ext6IPv6Fields
	b = a5(40)
	f.Encode(IPv6(b))
	if !bytes.Equal(b, ext6Packet[:40]) {
		t.Errorf("encoded\n% x\nwant\n% x", b, ext6Packet[:40])
	}
}

// ext6IPv6Fields describes the fixed header of ext6Packet.
var ext6IPv6Fields = IPv6Fields{TrafficClass: 0xab, FlowLabel: 0x12345, PayloadLen: 26, NextHeader: ProtoIPv6Hop, HopLimit: 64, Src: testSrc6, Dst: testDst6}

func TestIPv6Bad(t *testing.T) {
	v4 := bytes.Clone(nsPacket)
	v4[0] = 0x40
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"short", nsPacket[:39], ErrTruncated},
		{"version 4", v4, ErrBadVersion},
		{"payload cut", nsPacket[:71], ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseIPv6(tt.b); !errors.Is(err, tt.want) {
				t.Errorf("err %v, want %v", err, tt.want)
			}
		})
	}
	ip, err := ParseIPv6(append(bytes.Clone(nsPacket), 0, 0))
	if err != nil || len(ip) != len(nsPacket) {
		t.Errorf("padding not trimmed: %v, len %d", err, len(ip))
	}
}

func TestIPv6Setters(t *testing.T) {
	ip := IPv6(bytes.Clone(ext6Packet))
	ip.SetTrafficClass(0x12)
	if ip.TrafficClass() != 0x12 || ip.FlowLabel() != 0x12345 || ip.Version() != 6 {
		t.Error("SetTrafficClass")
	}
	ip.SetFlowLabel(0xfffff)
	if ip.TrafficClass() != 0x12 || ip.FlowLabel() != 0xfffff {
		t.Error("SetFlowLabel")
	}
	ip.SetHopLimit(1)
	ip.SetNextHeader(ProtoTCP)
	ip.SetPayloadLen(0)
	ip.SetSrc(netip.MustParseAddr("::1"))
	ip.SetDst(netip.MustParseAddr("192.0.2.1")) // stored mapped
	want := IPv6Fields{TrafficClass: 0x12, FlowLabel: 0xfffff, HopLimit: 1, NextHeader: ProtoTCP,
		Src: netip.MustParseAddr("::1"), Dst: netip.MustParseAddr("::ffff:192.0.2.1")}
	if got := ip.Fields(); got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestIPv6ExtIter(t *testing.T) {
	ip, err := ParseIPv6(ext6Packet)
	if err != nil {
		t.Fatal(err)
	}
	type hdr struct {
		typ      uint8
		off, len int
	}
	var got []hdr
	it := ip.ExtIter()
	for it.Next() {
		got = append(got, hdr{it.Type(), it.Offset(), len(it.Header())})
	}
	want := []hdr{{ProtoIPv6Hop, 0, 8}, {ProtoIPv6Frag, 8, 8}}
	if it.Err() != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v err %v, want %v", got, it.Err(), want)
	}
	if proto, off := it.Upper(); proto != ProtoUDP || off != 16 {
		t.Errorf("Upper() = %d, %d; want UDP, 16", proto, off)
	}
	u, err := ParseUDP(ip.Payload()[16:])
	if err != nil || u.SrcPort() != 5353 || !u.ValidChecksum(ip.Src(), ip.Dst()) {
		t.Errorf("upper layer: %v %v", u, err)
	}

	// The hop-by-hop options: router alert 0, then PadN.
	type opt struct {
		typ  uint8
		off  int
		data string
	}
	var opts []opt
	oi := NewIPv6OptionIter(ip.Payload()[:8])
	for oi.Next() {
		opts = append(opts, opt{oi.Type(), oi.Offset(), string(oi.Data())})
	}
	wantOpts := []opt{{IPv6OptRouterAlert, 2, "\x00\x00"}, {IPv6OptPadN, 6, ""}}
	if oi.Err() != nil || !reflect.DeepEqual(opts, wantOpts) {
		t.Errorf("options %v err %v, want %v", opts, oi.Err(), wantOpts)
	}

	fr, err := ParseIPv6Fragment(ip.Payload()[8:])
	if err != nil {
		t.Fatal(err)
	}
	wantFrag := IPv6FragmentFields{NextHeader: ProtoUDP, FragmentOffset: 0, MoreFragments: true, Ident: 0xdeadbeef}
	if got := fr.Fields(); got != wantFrag {
		t.Errorf("fragment %+v, want %+v", got, wantFrag)
	}
	b := a5(8)
	wantFrag.Encode(IPv6Fragment(b))
	if !bytes.Equal(b, ip.Payload()[8:16]) {
		t.Errorf("fragment encoded % x, want % x", b, ip.Payload()[8:16])
	}
}

func TestIPv6ExtIterCases(t *testing.T) {
	tests := []struct {
		name  string
		next  uint8
		b     []byte
		types []uint8
		upper uint8
		off   int
		err   error
	}{
		{"no extension", ProtoTCP, make([]byte, 20), nil, ProtoTCP, 0, nil},
		{"no next header", ProtoIPv6NoNext, []byte{1, 2, 3}, nil, ProtoIPv6NoNext, 0, nil},
		{"esp ends the walk", ProtoESP, make([]byte, 16), nil, ProtoESP, 0, nil},
		{"dstopts 16 bytes", ProtoIPv6DstOpts, append([]byte{ProtoUDP, 1}, make([]byte, 14)...), []uint8{ProtoIPv6DstOpts}, ProtoUDP, 16, nil},
		{"routing then dstopts", ProtoIPv6Route, []byte{60, 0, 4, 0, 0, 0, 0, 0, 59, 0, 1, 4, 0, 0, 0, 0}, []uint8{ProtoIPv6Route, ProtoIPv6DstOpts}, ProtoIPv6NoNext, 16, nil},
		{"ah uses 4-byte units", ProtoAH, append([]byte{ProtoTCP, 4}, make([]byte, 22)...), []uint8{ProtoAH}, ProtoTCP, 24, nil},
		{"non-first fragment stops", ProtoIPv6Frag, []byte{ProtoIPv6DstOpts, 0, 0x05, 0xa8, 0, 0, 0, 1, 0xff, 0xff}, []uint8{ProtoIPv6Frag}, ProtoIPv6DstOpts, 8, nil},
		{"header cut", ProtoIPv6Hop, []byte{ProtoTCP, 1, 0, 0, 0, 0, 0, 0}, nil, 0, 0, ErrTruncated},
		{"no length byte", ProtoIPv6DstOpts, []byte{ProtoTCP}, nil, 0, 0, ErrTruncated},
		{"fragment cut", ProtoIPv6Frag, []byte{ProtoTCP, 0, 0, 0, 0, 0, 0}, nil, 0, 0, ErrTruncated},
		{"second header cut", ProtoIPv6Hop, []byte{ProtoIPv6Hop, 0, 1, 4, 0, 0, 0, 0, 6}, []uint8{ProtoIPv6Hop}, 0, 0, ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var types []uint8
			it := NewIPv6ExtIter(tt.b, tt.next)
			for it.Next() {
				types = append(types, it.Type())
			}
			if !reflect.DeepEqual(types, tt.types) || !errors.Is(it.Err(), tt.err) {
				t.Fatalf("types %v err %v, want %v err %v", types, it.Err(), tt.types, tt.err)
			}
			if tt.err == nil {
				if p, off := it.Upper(); p != tt.upper || off != tt.off {
					t.Errorf("Upper() = %d, %d; want %d, %d", p, off, tt.upper, tt.off)
				}
			}
		})
	}
}

func TestIPv6OptionIterBad(t *testing.T) {
	tests := []struct {
		name string
		hdr  []byte
		n    int
		err  error
	}{
		{"pad1 only", []byte{6, 0, 0, 0, 0, 0, 0, 0}, 6, nil},
		{"jumbo", []byte{59, 0, 0xc2, 4, 0, 1, 0, 0}, 1, nil},
		{"length past end", []byte{59, 0, 1, 5, 0, 0, 0, 0}, 0, ErrBadOption},
		{"type without length", []byte{59, 0, 1, 2, 0, 0, 0x3e}, 1, ErrBadOption},
		{"short header", []byte{59}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			it := NewIPv6OptionIter(tt.hdr)
			for it.Next() {
				n++
			}
			if n != tt.n || !errors.Is(it.Err(), tt.err) {
				t.Errorf("%d options err %v, want %d err %v", n, it.Err(), tt.n, tt.err)
			}
		})
	}
	if IPv6OptionAction(IPv6OptJumbo) != IPv6OptActionICMPUnicast || IPv6OptionAction(IPv6OptRouterAlert) != IPv6OptActionSkip ||
		IPv6OptionAction(0x7f) != IPv6OptActionDiscard || IPv6OptionAction(0x80) != IPv6OptActionICMP {
		t.Error("IPv6OptionAction")
	}
}

func TestIPv6Routing(t *testing.T) {
	f := IPv6RoutingFields{NextHeader: ProtoTCP, RoutingType: IPv6RoutingTypeSRH, SegmentsLeft: 1, Data: []byte{0, 0, 0, 0, 1, 2, 3}}
	if f.Len() != 16 {
		t.Fatalf("Len() = %d", f.Len())
	}
	b := a5(f.Len())
	f.Encode(IPv6Routing(b))
	want := []byte{ProtoTCP, 1, 4, 1, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0}
	if !bytes.Equal(b, want) {
		t.Errorf("encoded % x, want % x", b, want)
	}
	r, err := ParseIPv6Routing(append(b, 9, 9))
	if err != nil || len(r) != 16 {
		t.Fatalf("%v, len %d", err, len(r))
	}
	if r.NextHeader() != ProtoTCP || r.RoutingType() != IPv6RoutingTypeSRH || r.SegmentsLeft() != 1 || len(r.Data()) != 12 {
		t.Errorf("fields %+v", r.Fields())
	}
	if got := r.String(); got != "srcrt (len=1, type=4, segleft=1)" {
		t.Errorf("String() = %q", got)
	}
	if _, err := ParseIPv6Routing(b[:7]); !errors.Is(err, ErrTruncated) {
		t.Errorf("short: %v", err)
	}
	if _, err := ParseIPv6Routing(b[:15]); !errors.Is(err, ErrTruncated) {
		t.Errorf("cut: %v", err)
	}
	if _, err := ParseIPv6Fragment(b[:7]); !errors.Is(err, ErrTruncated) {
		t.Errorf("fragment short: %v", err)
	}
}

func TestIPv6String(t *testing.T) {
	build := func(next uint8, payload []byte) []byte {
		f := IPv6Fields{PayloadLen: uint16(len(payload)), NextHeader: next, HopLimit: 64, Src: testSrc6, Dst: testDst6}
		b := make([]byte, 40+len(payload))
		f.Encode(IPv6(b))
		copy(b[40:], payload)
		return b
	}
	udp := []byte{0, 5, 0, 6, 0, 8, 0, 0}
	tcp := bytes.Clone(synTCP)
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"ns", nsPacket, "IP6 fe80::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has 2001:db8::2, length 32"},
		{"echo reply", echo6Packet, "IP6 2001:db8::2 > 2001:db8::1: ICMP6, echo reply, id 7, seq 9, length 12"},
		{"tcp", build(ProtoTCP, tcp), "IP6 2001:db8::1.8080 > 2001:db8::2.80: Flags [S], seq 0, win 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0"},
		{"hbh and first fragment", ext6Packet, "IP6 2001:db8::1 > 2001:db8::2: HBH frag (0|10) 5353 > 5353: UDP, length 2"},
		{"hbh", build(ProtoIPv6Hop, append([]byte{ProtoUDP, 0, 5, 2, 0, 0, 1, 0}, udp...)), "IP6 2001:db8::1 > 2001:db8::2: HBH 5 > 6: UDP, length 0"},
		{"non-first fragment", build(ProtoIPv6Frag, append([]byte{ProtoUDP, 0, 0x05, 0xa8, 0, 0, 0x12, 0x34}, make([]byte, 16)...)), "IP6 2001:db8::1 > 2001:db8::2: frag (1448|16)"},
		{"dstopts, no next", build(ProtoIPv6DstOpts, []byte{ProtoIPv6NoNext, 0, 1, 4, 0, 0, 0, 0}), "IP6 2001:db8::1 > 2001:db8::2: DSTOPT no next header, length 0"},
		{"short ah", build(ProtoAH, []byte{ProtoIPv6NoNext, 0, 0, 0, 0, 0, 0, 1}), "IP6 2001:db8::1 > 2001:db8::2: AH(spi=0x00000001): no next header, length 0"},
		{"ah", build(ProtoAH, []byte{ProtoIPv6NoNext, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9}), "IP6 2001:db8::1 > 2001:db8::2: AH(spi=0x00000001,seq=0x9): no next header, length 0"},
		{"bad extension", build(ProtoIPv6Hop, []byte{ProtoUDP, 3}), "IP6 2001:db8::1 > 2001:db8::2: [bad extension header], length 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ip, err := ParseIPv6(tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if got := ip.String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
