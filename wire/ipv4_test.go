package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

var (
	testSrc4 = netip.MustParseAddr("192.0.2.1")
	testDst4 = netip.MustParseAddr("192.168.0.1")
)

// synIPv4Fields describes the IPv4 header of synPacket.
var synIPv4Fields = IPv4Fields{
	TotalLen: 60, ID: 0x1c46, Flags: IPv4FlagDontFragment, TTL: 64,
	Protocol: ProtoTCP, Src: testSrc4, Dst: testDst4, Options: []byte{},
}

func TestIPv4Deconstruct(t *testing.T) {
	ip, err := ParseIPv4(synPacket)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Version", ip.Version(), uint8(4)},
		{"HeaderLen", ip.HeaderLen(), 20},
		{"TOS", ip.TOS(), uint8(0)},
		{"TotalLen", ip.TotalLen(), uint16(60)},
		{"ID", ip.ID(), uint16(0x1c46)},
		{"Flags", ip.Flags(), IPv4FlagDontFragment},
		{"DontFragment", ip.DontFragment(), true},
		{"MoreFragments", ip.MoreFragments(), false},
		{"FragmentOffset", ip.FragmentOffset(), uint16(0)},
		{"IsFragment", ip.IsFragment(), false},
		{"TTL", ip.TTL(), uint8(64)},
		{"Protocol", ip.Protocol(), ProtoTCP},
		{"Checksum", ip.Checksum(), uint16(0x9bcb)},
		{"Src", ip.Src(), testSrc4},
		{"Dst", ip.Dst(), testDst4},
		{"len(Options)", len(ip.Options()), 0},
		{"Payload", ip.Payload(), synPacket[20:]},
		{"ValidChecksum", ip.ValidChecksum(), true},
		{"ComputeChecksum", ip.ComputeChecksum(), uint16(0x9bcb)},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if got := ip.Fields(); !reflect.DeepEqual(got, synIPv4Fields) {
		t.Errorf("Fields() = %+v, want %+v", got, synIPv4Fields)
	}
}

func TestIPv4Construct(t *testing.T) {
	f := synIPv4Fields
	b := a5(f.Len() + 1)
	f.Encode(IPv4(b))
	if !bytes.Equal(b[:20], synPacket[:20]) || b[20] != 0xa5 {
		t.Errorf("encoded\n% x\nwant\n% x", b, synPacket[:20])
	}
}

func TestIPv4ConstructOptions(t *testing.T) {
	// Router alert (4 bytes) and a record route with room for one address
	// (7 bytes): 11 bytes, padded with one EOL.
	f := IPv4Fields{TotalLen: 32, TTL: 1, Protocol: ProtoIGMP, Src: testSrc4, Dst: testDst4,
		Options: []byte{148, 4, 0, 0, 7, 7, 4, 0, 0, 0, 0}}
	if f.Len() != 32 {
		t.Fatalf("Len() = %d, want 32", f.Len())
	}
	b := a5(32)
	f.Encode(IPv4(b))
	ip, err := ParseIPv4(b)
	if err != nil {
		t.Fatal(err)
	}
	if ip.HeaderLen() != 32 || !ip.ValidChecksum() || b[31] != IPv4OptEOL {
		t.Errorf("header % x", b)
	}
	type opt struct {
		typ  uint8
		data string
	}
	var got []opt
	it := ip.OptionIter()
	for it.Next() {
		got = append(got, opt{it.Type(), string(it.Data())})
	}
	want := []opt{{IPv4OptRA, "\x00\x00"}, {IPv4OptRR, "\x04\x00\x00\x00\x00"}, {IPv4OptEOL, ""}}
	if it.Err() != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("options %v (err %v), want %v", got, it.Err(), want)
	}
}

func TestIPv4Bad(t *testing.T) {
	mod := func(f func(b []byte)) []byte {
		b := bytes.Clone(synPacket)
		f(b)
		return b
	}
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"short", synPacket[:19], ErrTruncated},
		{"version 6", mod(func(b []byte) { b[0] = 0x65 }), ErrBadVersion},
		{"version 0", mod(func(b []byte) { b[0] = 0x05 }), ErrBadVersion},
		{"ihl 4", mod(func(b []byte) { b[0] = 0x44 }), ErrBadLength},
		{"ihl 0", mod(func(b []byte) { b[0] = 0x40 }), ErrBadLength},
		{"total beyond buffer", synPacket[:59], ErrTruncated},
		{"total below ihl", mod(func(b []byte) { b[3] = 19 }), ErrBadLength},
		{"ihl beyond total", mod(func(b []byte) { b[0], b[3] = 0x4f, 40 }), ErrBadLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseIPv4(tt.b); !errors.Is(err, tt.want) {
				t.Errorf("err %v, want %v", err, tt.want)
			}
		})
	}
}

func TestIPv4TrimsPadding(t *testing.T) {
	ip, err := ParseIPv4(append(bytes.Clone(udpPacket), 0, 0, 0, 0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(ip) != 32 || len(ip.Payload()) != 12 {
		t.Errorf("len %d, payload %d", len(ip), len(ip.Payload()))
	}
}

func TestIPv4Setters(t *testing.T) {
	b := bytes.Clone(synPacket[:20])
	ip := IPv4(b)
	ip.SetFlags(IPv4FlagMoreFragments)
	ip.SetFragmentOffset(1480)
	if ip.Flags() != IPv4FlagMoreFragments || ip.FragmentOffset() != 1480 || !ip.IsFragment() {
		t.Errorf("flags %d offset %d", ip.Flags(), ip.FragmentOffset())
	}
	ip.SetFlags(IPv4FlagDontFragment)
	if ip.FragmentOffset() != 1480 || !ip.DontFragment() || ip.MoreFragments() {
		t.Error("SetFlags disturbed the offset")
	}
	ip.SetFragmentOffset(65528)
	if ip.FragmentOffset() != 65528 || ip.Flags() != IPv4FlagDontFragment {
		t.Error("SetFragmentOffset disturbed the flags")
	}
	if ip.ValidChecksum() {
		t.Error("checksum still valid after changes")
	}
	ip.UpdateChecksum()
	if !ip.ValidChecksum() {
		t.Error("UpdateChecksum did not fix the checksum")
	}
	ip.SetTOS(0xb8)
	ip.SetTTL(1)
	ip.SetID(7)
	ip.SetProtocol(ProtoUDP)
	ip.SetTotalLen(20)
	ip.SetDst(netip.MustParseAddr("198.51.100.7"))
	f := ip.Fields()
	if f.TOS != 0xb8 || f.TTL != 1 || f.ID != 7 || f.Protocol != ProtoUDP || f.TotalLen != 20 || f.Dst != netip.MustParseAddr("198.51.100.7") {
		t.Errorf("fields %+v", f)
	}
}

// TestIPv4RoundTrip builds headers from fields, parses them back and
// compares.
func TestIPv4RoundTrip(t *testing.T) {
	tests := []IPv4Fields{
		synIPv4Fields,
		{TOS: 0x02, TotalLen: 1500, ID: 0xffff, Flags: IPv4FlagMoreFragments, FragmentOffset: 8 * 1000, TTL: 255, Protocol: ProtoUDP,
			Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("224.0.0.1"), Options: []byte{}},
		{TotalLen: 60, TTL: 1, Protocol: ProtoIGMP, Src: testSrc4, Dst: testDst4,
			Options: []byte{IPv4OptRA, 4, 0, 0, IPv4OptNOP, IPv4OptTS, 8, 5, 0, 0, 0, 0, 0}},
	}
	for _, f := range tests {
		b := make([]byte, max(f.Len(), int(f.TotalLen)))
		f.Encode(IPv4(b))
		ip, err := ParseIPv4(b)
		if err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		got := ip.Fields()
		want := f
		want.Options = append(bytes.Clone(f.Options), make([]byte, f.Len()-20-len(f.Options))...)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
		if !ip.ValidChecksum() {
			t.Error("invalid checksum")
		}
	}
}

func TestIPv4OptionIter(t *testing.T) {
	type opt struct {
		typ uint8
		n   int // whole option length
	}
	tests := []struct {
		name   string
		b      []byte
		want   []opt
		err    error
		errOff int
	}{
		{"empty", nil, nil, nil, 0},
		{"nops then eol then junk", []byte{1, 1, 0, 0xff}, []opt{{1, 1}, {1, 1}, {0, 1}}, nil, 0},
		{"rr", []byte{7, 7, 4, 0, 0, 0, 0, 0}, []opt{{7, 7}, {0, 1}}, nil, 0},
		{"rr full", []byte{7, 7, 8, 1, 2, 3, 4, 1}, []opt{{7, 7}, {1, 1}}, nil, 0},
		{"lsrr", []byte{131, 11, 4, 1, 2, 3, 4, 5, 6, 7, 8, 0}, []opt{{131, 11}, {0, 1}}, nil, 0},
		{"ts only", []byte{68, 8, 5, 0, 0, 0, 0, 0}, []opt{{68, 8}}, nil, 0},
		{"ts addr", []byte{68, 12, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0}, []opt{{68, 12}}, nil, 0},
		{"ts full", []byte{68, 4, 5, 0x10}, []opt{{68, 4}}, nil, 0},
		{"ra", []byte{148, 4, 0, 0}, []opt{{148, 4}}, nil, 0},
		{"unknown", []byte{1, 30, 3, 9}, []opt{{1, 1}, {30, 3}}, nil, 0},
		{"type without length", []byte{1, 7}, []opt{{1, 1}}, ErrBadOption, 1},
		{"length 0", []byte{30, 0, 0, 0}, nil, ErrBadOption, 0},
		{"length 1", []byte{30, 1, 0, 0}, nil, ErrBadOption, 0},
		{"length past end", []byte{1, 30, 4, 0}, []opt{{1, 1}}, ErrBadOption, 1},
		{"rr too short", []byte{7, 2, 0, 0}, nil, ErrBadOption, 0},
		{"rr pointer 3", []byte{7, 7, 3, 0, 0, 0, 0, 0}, nil, ErrBadOption, 0},
		{"rr pointer mid address", []byte{7, 6, 4, 0, 0, 0, 0, 0}, nil, ErrBadOption, 0},
		{"ssrr pointer 2", []byte{137, 7, 2, 0, 0, 0, 0, 0}, nil, ErrBadOption, 0},
		{"ts too short", []byte{68, 3, 5, 0}, nil, ErrBadOption, 0},
		{"ts pointer 4", []byte{68, 8, 4, 0, 0, 0, 0, 0}, nil, ErrBadOption, 0},
		{"ts bad flag", []byte{68, 8, 5, 2, 0, 0, 0, 0}, nil, ErrBadOption, 0},
		{"ts addr no room", []byte{68, 8, 5, 1, 0, 0, 0, 0}, nil, ErrBadOption, 0},
		{"ra too short", []byte{1, 148, 3, 0}, []opt{{1, 1}}, ErrBadOption, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []opt
			it := NewIPv4OptionIter(tt.b)
			for it.Next() {
				if int(it.Type()) != int(it.Option()[0]) || (len(it.Option()) >= 2 && len(it.Data()) != len(it.Option())-2) {
					t.Errorf("inconsistent option %v / %v", it.Option(), it.Data())
				}
				got = append(got, opt{it.Type(), len(it.Option())})
			}
			if !reflect.DeepEqual(got, tt.want) || !errors.Is(it.Err(), tt.err) {
				t.Errorf("got %v err %v, want %v err %v", got, it.Err(), tt.want, tt.err)
			}
			if tt.err != nil && it.Offset() != tt.errOff {
				t.Errorf("error offset %d, want %d", it.Offset(), tt.errOff)
			}
			if it.Next() {
				t.Error("Next true after the end")
			}
		})
	}
}

func TestIPv4String(t *testing.T) {
	frag := bytes.Clone(udpPacket)
	IPv4(frag).SetFlags(IPv4FlagMoreFragments)
	IPv4(frag).SetFragmentOffset(1480)
	other := bytes.Clone(udpPacket)
	IPv4(other).SetProtocol(253)
	badTCP := bytes.Clone(synPacket)
	badTCP[32] = 0x10 // data offset 1
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"tcp", synPacket, "IP 192.0.2.1.8080 > 192.168.0.1.80: Flags [S], seq 0, win 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0"},
		{"udp", udpPacket, "IP 192.0.2.1.33000 > 192.0.2.53.53: UDP, length 4"},
		{"icmp", icmpPacket, "IP 192.0.2.1 > 192.168.0.1: ICMP echo request, id 4660, seq 1, length 16"},
		{"icmp error", fragNeededPacket, "IP 192.168.0.1 > 192.0.2.1: ICMP 192.0.2.53 unreachable - need to frag (mtu 1400), length 36"},
		{"fragment", frag, "IP 192.0.2.1 > 192.0.2.53: udp, frag (id 1, offset 1480, length 12, +)"},
		{"unknown proto", other, "IP 192.0.2.1 > 192.0.2.53: ip-proto-253, length 12"},
		{"bad tcp", badTCP, "IP 192.0.2.1 > 192.168.0.1: tcp, length 40"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ip, err := ParseIPv4(tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if got := ip.String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestIPv4EncodePanicsOnLongOptions(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	f := IPv4Fields{Options: make([]byte, 41)}
	f.Encode(IPv4(make([]byte, 64)))
}
