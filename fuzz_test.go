package gosock_test

import (
	"net/netip"
	"sync"
	"testing"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

var (
	fuzzOnce sync.Once
	fuzzNS   *netns.Namespace
	fuzzIfc  *netns.Interface
	fuzzDev  link.Device
)

// fuzzTarget is a namespace with every protocol registered and one
// Ethernet interface whose far end discards what it receives.
func fuzzTarget(t testing.TB) (*netns.Interface, link.Device) {
	fuzzOnce.Do(func() {
		fuzzNS = gosock.NewNamespace(netns.Options{Name: "fuzz", Seed: 1})
		a, b := link.NewPipe(link.PipeConfig{MACs: [2]wire.MAC{{2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}}})
		b.Attach(link.ReceiverFunc(func(_ link.Device, p *pktbuf.Buffer) { p.Release() }))
		ifc, err := fuzzNS.AddInterface(a)
		if err != nil {
			panic(err)
		}
		ifc.SetUp(true)
		for _, p := range []string{"10.0.0.1/24", "fd00::1/64", "fe80::1/64"} {
			if err := ifc.AddAddressFlags(netip.MustParsePrefix(p), netns.AddrNoDAD); err != nil {
				panic(err)
			}
		}
		fuzzNS.Sysctl.Set("net.ipv4.ip_forward", "1")
		fuzzIfc, fuzzDev = ifc, a
	})
	return fuzzIfc, fuzzDev
}

// frame builds an Ethernet frame to the target carrying payload.
func frame(t wire.EtherType, dst wire.MAC, payload []byte) []byte {
	b := make([]byte, wire.EthernetHeaderLen+len(payload))
	f := wire.EthernetFields{Dst: dst, Src: wire.MAC{2, 0, 0, 0, 0, 2}, Type: t}
	f.Encode(wire.Ethernet(b))
	copy(b[wire.EthernetHeaderLen:], payload)
	return b
}

func ipv4Packet(proto uint8, flags uint8, off uint16, opts, payload []byte) []byte {
	f := wire.IPv4Fields{TTL: 64, Protocol: proto, Flags: flags, FragmentOffset: off, ID: 9,
		Src: netip.MustParseAddr("10.0.0.2"), Dst: netip.MustParseAddr("10.0.0.1"), Options: opts}
	f.TotalLen = uint16(f.Len() + len(payload))
	b := make([]byte, f.Len()+len(payload))
	f.Encode(wire.IPv4(b))
	wire.IPv4(b).UpdateChecksum()
	copy(b[f.Len():], payload)
	return b
}

func ipv6Packet(next uint8, hop uint8, payload []byte) []byte {
	b := make([]byte, 40+len(payload))
	f := wire.IPv6Fields{PayloadLen: uint16(len(payload)), NextHeader: next, HopLimit: hop,
		Src: netip.MustParseAddr("fd00::2"), Dst: netip.MustParseAddr("fd00::1")}
	f.Encode(wire.IPv6(b))
	copy(b[40:], payload)
	return b
}

// FuzzFrameInput feeds whole Ethernet frames into a namespace's receive
// path: every parser on the input side (Ethernet, ARP, IPv4 and its
// options, fragments, ICMP, IPv6 and its extension headers, ICMPv6, NDP)
// must survive any bytes, and every buffer must come back.
func FuzzFrameInput(f *testing.F) {
	us := wire.MAC{2, 0, 0, 0, 0, 1}
	echo := []byte{8, 0, 0xf7, 0xfe, 0, 1, 0, 0}
	arp := make([]byte, wire.ARPLen)
	(&wire.ARPFields{Op: wire.ARPRequest, SenderHW: wire.MAC{2, 0, 0, 0, 0, 2},
		SenderIP: netip.MustParseAddr("10.0.0.2"), TargetIP: netip.MustParseAddr("10.0.0.1")}).Encode(wire.ARP(arp))
	seeds := [][]byte{
		frame(wire.EtherTypeARP, wire.BroadcastMAC, arp),
		frame(wire.EtherTypeIPv4, us, ipv4Packet(wire.ProtoICMP, 0, 0, nil, echo)),
		frame(wire.EtherTypeIPv4, us, ipv4Packet(wire.ProtoICMP, wire.IPv4FlagMoreFragments, 0, nil, echo)),
		frame(wire.EtherTypeIPv4, us, ipv4Packet(wire.ProtoICMP, 0, 8, nil, echo)),
		frame(wire.EtherTypeIPv4, us, ipv4Packet(wire.ProtoICMP, 0, 0, []byte{7, 7, 4, 0, 0, 0, 0, 0}, echo)),
		frame(wire.EtherTypeIPv4, us, ipv4Packet(wire.ProtoUDP, 0, 0, nil, []byte{0, 1, 0, 2, 0, 8, 0, 0})),
		frame(wire.EtherTypeIPv4, us, ipv4Packet(wire.ProtoICMP, 0, 0, nil, append([]byte{3, 3, 0, 0, 0, 0, 0, 0}, ipv4Packet(17, 0, 0, nil, make([]byte, 8))...))),
		frame(wire.EtherTypeIPv6, us, ipv6Packet(wire.ProtoICMPv6, 64, []byte{128, 0, 0, 0, 0, 1, 0, 1})),
		frame(wire.EtherTypeIPv6, us, ipv6Packet(wire.ProtoIPv6Hop, 64, []byte{58, 0, 1, 4, 0, 0, 0, 0, 128, 0, 0, 0, 0, 1, 0, 1})),
		frame(wire.EtherTypeIPv6, us, ipv6Packet(wire.ProtoIPv6Frag, 64, []byte{58, 0, 0, 1, 0, 0, 0, 7, 128, 0, 0, 0, 0, 1, 0, 1})),
		frame(wire.EtherTypeIPv6, us, ipv6Packet(wire.ProtoIPv6Route, 64, []byte{58, 0, 0, 1, 0, 0, 0, 0})),
		frame(wire.EtherTypeIPv6, wire.MAC{0x33, 0x33, 0xff, 0, 0, 1}, ipv6Packet(wire.ProtoICMPv6, 255,
			append([]byte{135, 0, 0, 0, 0, 0, 0, 0}, netip.MustParseAddr("fd00::1").AsSlice()...))),
		{},
		{1, 2, 3},
	}
	for _, s := range seeds {
		f.Add(s)
	}
	ifc, dev := fuzzTarget(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		pkt := pktbuf.FromBytes(pktbuf.DefaultHeadroom, data)
		ifc.Receive(dev, pkt)
	})
}
