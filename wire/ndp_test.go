package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

func TestNDPNeighborSolicitDeconstruct(t *testing.T) {
	ip, _ := ParseIPv6(nsPacket)
	ns, err := ParseNDPNeighborSolicit(ip.Payload())
	if err != nil {
		t.Fatal(err)
	}
	if ns.Target() != testDst6 {
		t.Errorf("Target() = %v", ns.Target())
	}
	if !ICMPv6(ns).ValidChecksum(ip.Src(), ip.Dst()) {
		t.Error("checksum")
	}
	it := ns.OptionIter()
	if !it.Next() || it.Type() != NDPOptSourceLinkAddr {
		t.Fatalf("first option: %v", it.Err())
	}
	if mac, ok := it.LinkAddr(); !ok || mac != testMACA {
		t.Errorf("LinkAddr() = %v, %v", mac, ok)
	}
	if _, ok := it.MTU(); ok {
		t.Error("MTU() on a link-layer option")
	}
	if _, ok := it.PrefixInfo(); ok {
		t.Error("PrefixInfo() on a link-layer option")
	}
	if it.Next() || it.Err() != nil {
		t.Errorf("more options, err %v", it.Err())
	}
}

func TestNDPNeighborSolicitConstruct(t *testing.T) {
	var opt [NDPLinkAddrOptionLen]byte
	PutNDPLinkAddrOption(opt[:], NDPOptSourceLinkAddr, testMACA)
	f := NDPNeighborSolicitFields{Target: testDst6, Options: opt[:]}
	b := a5(f.Len())
	f.Encode(NDPNeighborSolicit(b))
	ICMPv6(b).SetChecksum(ICMPv6(b).ComputeChecksum(llSrc6, snmDst6))
	if !bytes.Equal(b, nsPacket[40:]) {
		t.Errorf("encoded % x\nwant    % x", b, nsPacket[40:])
	}
}

func TestNDPNeighborAdvert(t *testing.T) {
	var opt [8]byte
	PutNDPLinkAddrOption(opt[:], NDPOptTargetLinkAddr, testMACB)
	f := NDPNeighborAdvertFields{Flags: NDPFlagSolicited | NDPFlagOverride, Target: testDst6, Options: opt[:]}
	b := a5(f.Len())
	f.Encode(NDPNeighborAdvert(b))
	want := []byte{136, 0, 0, 0, 0x60, 0, 0, 0,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		2, 1, 2, 0, 0, 0, 0, 2}
	if !bytes.Equal(b, want) {
		t.Errorf("encoded % x\nwant    % x", b, want)
	}
	na, err := ParseNDPNeighborAdvert(b)
	if err != nil {
		t.Fatal(err)
	}
	if na.Router() || !na.Solicited() || !na.Override() {
		t.Errorf("flags %#x", na.Flags())
	}
	if got := na.Fields(); !reflect.DeepEqual(got, f) {
		t.Errorf("Fields() = %+v, want %+v", got, f)
	}
	if got, want := na.String(), "ICMP6, neighbor advertisement, tgt is 2001:db8::2, Flags [solicited, override], length 32"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	it := na.OptionIter()
	if !it.Next() {
		t.Fatal("no option")
	}
	if mac, ok := it.LinkAddr(); !ok || mac != testMACB {
		t.Errorf("LinkAddr() = %v, %v", mac, ok)
	}
}

func TestNDPRouterAdvert(t *testing.T) {
	opts := make([]byte, 8+8+32)
	PutNDPLinkAddrOption(opts, NDPOptSourceLinkAddr, testMACA)
	PutNDPMTUOption(opts[8:], 1500)
	pi := NDPPrefixInfoFields{PrefixLength: 64, Flags: NDPPrefixFlagOnLink | NDPPrefixFlagAutonomous,
		ValidLifetime: 86400, PreferredLifetime: 14400, Prefix: netip.MustParseAddr("2001:db8:1::")}
	pi.Encode(NDPPrefixInfo(opts[16:]))
	f := NDPRouterAdvertFields{CurHopLimit: 64, Flags: NDPRAFlagOther, RouterLifetime: 1800, ReachableTime: 30000, RetransTimer: 1000, Options: opts}
	b := a5(f.Len())
	f.Encode(NDPRouterAdvert(b))
	wantHead := []byte{134, 0, 0, 0, 64, 0x40, 0x07, 0x08, 0, 0, 0x75, 0x30, 0, 0, 0x03, 0xe8}
	if !bytes.Equal(b[:16], wantHead) {
		t.Errorf("header % x\nwant   % x", b[:16], wantHead)
	}
	wantPI := []byte{3, 4, 64, 0xc0, 0, 1, 0x51, 0x80, 0, 0, 0x38, 0x40, 0, 0, 0, 0,
		0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if !bytes.Equal(b[32:], wantPI) {
		t.Errorf("prefix info % x\nwant        % x", b[32:], wantPI)
	}
	ra, err := ParseNDPRouterAdvert(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := ra.Fields(); !reflect.DeepEqual(got, f) {
		t.Errorf("Fields() = %+v, want %+v", got, f)
	}
	var types []uint8
	it := ra.OptionIter()
	for it.Next() {
		types = append(types, it.Type())
		switch it.Type() {
		case NDPOptMTU:
			if mtu, ok := it.MTU(); !ok || mtu != 1500 {
				t.Errorf("MTU() = %d, %v", mtu, ok)
			}
		case NDPOptPrefixInfo:
			p, ok := it.PrefixInfo()
			if !ok {
				t.Fatal("PrefixInfo() not ok")
			}
			if got := p.Fields(); got != pi {
				t.Errorf("prefix %+v, want %+v", got, pi)
			}
			if !p.OnLink() || !p.Autonomous() || p.Prefix() != netip.MustParsePrefix("2001:db8:1::/64") {
				t.Errorf("prefix %v", p)
			}
			if got, want := p.String(), "prefix info: 2001:db8:1::/64, flags 0xc0, valid time 86400s, pref. time 14400s"; got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
		}
	}
	if it.Err() != nil || !reflect.DeepEqual(types, []uint8{NDPOptSourceLinkAddr, NDPOptMTU, NDPOptPrefixInfo}) {
		t.Errorf("options %v, err %v", types, it.Err())
	}
	if got, want := ra.String(), "ICMP6, router advertisement, hop limit 64, flags 0x40, router lifetime 1800s, reachable time 30000ms, retrans timer 1000ms, length 64"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestNDPRouterSolicitAndRedirect(t *testing.T) {
	rs := NDPRouterSolicitFields{}
	b := a5(rs.Len())
	rs.Encode(NDPRouterSolicit(b))
	if !bytes.Equal(b, []byte{133, 0, 0, 0, 0, 0, 0, 0}) {
		t.Errorf("rs % x", b)
	}
	if v, err := ParseNDPRouterSolicit(b); err != nil || len(v.Options()) != 0 || v.String() != "ICMP6, router solicitation, length 8" {
		t.Errorf("rs %v %v", v, err)
	}
	rd := NDPRedirectFields{Target: llSrc6, Dest: testDst6}
	b = a5(rd.Len())
	rd.Encode(NDPRedirect(b))
	v, err := ParseNDPRedirect(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Fields(); !reflect.DeepEqual(got, NDPRedirectFields{Target: llSrc6, Dest: testDst6, Options: []byte{}}) {
		t.Errorf("Fields() = %+v", got)
	}
	if got, want := v.String(), "ICMP6, redirect, 2001:db8::2 to fe80::1, length 40"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestNDPParseErrors(t *testing.T) {
	ns := nsPacket[40:]
	tests := []struct {
		name  string
		parse func([]byte) error
		b     []byte
		want  error
	}{
		{"ns short", func(b []byte) error { _, err := ParseNDPNeighborSolicit(b); return err }, ns[:23], ErrTruncated},
		{"ns wrong type", func(b []byte) error { _, err := ParseNDPNeighborAdvert(b); return err }, ns, ErrBadHeader},
		{"rs wrong type", func(b []byte) error { _, err := ParseNDPRouterSolicit(b); return err }, ns, ErrBadHeader},
		{"ra short", func(b []byte) error { _, err := ParseNDPRouterAdvert(b); return err }, ns[:15], ErrTruncated},
		{"redirect short", func(b []byte) error { _, err := ParseNDPRedirect(b); return err }, ns, ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.parse(tt.b); !errors.Is(err, tt.want) {
				t.Errorf("err %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNDPOptionIter(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		n    int
		err  error
	}{
		{"empty", nil, 0, nil},
		{"two", []byte{1, 1, 0, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0, 0, 5, 0xdc}, 2, nil},
		{"length zero", []byte{1, 0, 0, 0, 0, 0, 0, 0}, 0, ErrBadOption},
		{"length past end", []byte{1, 1, 0, 0, 0, 0, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0}, 1, ErrBadOption},
		{"one byte left", []byte{1, 1, 0, 0, 0, 0, 0, 0, 3}, 1, ErrBadOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			it := NewNDPOptionIter(tt.b)
			for it.Next() {
				if len(it.Option()) != int(it.Option()[1])*8 || len(it.Data()) != len(it.Option())-2 {
					t.Errorf("option % x", it.Option())
				}
				n++
			}
			if n != tt.n || !errors.Is(it.Err(), tt.err) {
				t.Errorf("%d options err %v, want %d err %v", n, it.Err(), tt.n, tt.err)
			}
			if tt.err != nil && it.Offset() != 8*tt.n {
				t.Errorf("error offset %d", it.Offset())
			}
		})
	}
	// Typed accessors insist on their type's length.
	b := []byte{1, 2, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 5, 2, 0, 0, 0, 0, 5, 0xdc, 0, 0, 0, 0, 0, 0, 0, 0}
	it := NewNDPOptionIter(b)
	for it.Next() {
		if _, ok := it.LinkAddr(); ok {
			t.Error("16-byte link-layer option accepted")
		}
		if _, ok := it.MTU(); ok {
			t.Error("16-byte MTU option accepted")
		}
	}
	var pi NDPPrefixInfo = make([]byte, 32)
	pi[ndpPIPrefixLen] = 129
	if pi.Prefix().IsValid() {
		t.Error("prefix length 129 gives a valid prefix")
	}
}
