package ipv6_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/ipv6"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// stubDevice is an Ethernet device that drops what it is given: the
// fuzz target feeds frames to its interface directly.
type stubDevice struct {
	mac   wire.MAC
	stats link.Stats
}

func (d *stubDevice) Name() string           { return "fz0" }
func (d *stubDevice) Type() link.Type        { return link.TypeEthernet }
func (d *stubDevice) MTU() int               { return 1500 }
func (d *stubDevice) HardwareAddr() wire.MAC { return d.mac }
func (d *stubDevice) Flags() link.Flags {
	return link.FlagBroadcast | link.FlagMulticast | link.FlagRunning | link.FlagLowerUp
}
func (d *stubDevice) Capabilities() link.Capabilities { return link.Capabilities{} }
func (d *stubDevice) Attach(link.Receiver)            {}
func (d *stubDevice) Transmit(pkt *pktbuf.Buffer) error {
	pkt.Release()
	return nil
}
func (d *stubDevice) Stats() *link.Stats { return &d.stats }
func (d *stubDevice) Close() error       { return nil }

// fuzzEnv is one namespace on a manual clock (no timer ever fires, so
// nothing runs behind the fuzzer's back) with a stub interface.
type fuzzEnv struct {
	ns  *netns.Namespace
	ip  *ipv6.Protocol
	dev *stubDevice
	ifc *netns.Interface
}

var (
	fuzzOnce sync.Once
	theEnv   *fuzzEnv
)

var fuzzPeer = netip.MustParseAddr("2001:db8::2")

func env(t testing.TB) *fuzzEnv {
	fuzzOnce.Do(func() {
		ns := gosock.NewNamespace(netns.Options{Name: "fuzz", Clock: clock.NewManual(time.Unix(1e9, 0)), Seed: 1})
		dev := &stubDevice{mac: wire.MAC{0x02, 0, 0, 0, 0, 1}}
		ifc, err := ns.AddInterface(dev)
		if err != nil {
			panic(err)
		}
		ifc.SetUp(true)
		ifc.AddAddressFlags(netip.PrefixFrom(nodeAddr, 64), netns.AddrNoDAD)
		ifc.Neighbours(6).Add(fuzzPeer, wire.MAC{0x02, 0, 0, 0, 0, 2})
		// Let forwarded packets have somewhere to go.
		ns.Sysctl.Set("net.ipv6.conf.all.forwarding", "1")
		theEnv = &fuzzEnv{ns: ns, ip: ipv6.Of(ns), dev: dev, ifc: ifc}
	})
	return theEnv
}

// fuzzFrame builds the frame a fuzz input describes. mode selects the
// destination (bits 0-1: our address, all-nodes, our solicited-node
// group, another host), the source (bits 2-3: the peer, a link-local
// address, the unspecified address, a multicast address), whether an
// ICMPv6 upper layer gets a valid checksum (bit 4), a payload length that
// lies (bit 5) and link-layer multicast (bit 6).
func fuzzFrame(e *fuzzEnv, next, hop, mode uint8, rest []byte) []byte {
	dst := [...]netip.Addr{nodeAddr, ipv6.AllNodes, ipv6.SolicitedNode(nodeAddr), netip.MustParseAddr("2001:db8:9::9")}[mode&3]
	src := [...]netip.Addr{fuzzPeer, netip.MustParseAddr("fe80::2"), netip.IPv6Unspecified(), ipv6.AllNodes}[mode>>2&3]
	if len(rest) > 9000 {
		rest = rest[:9000]
	}
	ip := ip6(src, dst, next, hop, rest)
	if mode&0x10 != 0 {
		it := wire.IPv6(ip).ExtIter()
		for it.Next() {
		}
		if proto, off := it.Upper(); it.Err() == nil && proto == wire.ProtoICMPv6 && len(rest)-off >= 4 {
			m := wire.ICMPv6(rest[off:])
			m.SetChecksum(0)
			m.SetChecksum(m.ComputeChecksum(src, dst))
			copy(ip[wire.IPv6HeaderLen:], rest)
		}
	}
	if mode&0x20 != 0 {
		wire.IPv6(ip).SetPayloadLen(uint16(len(rest) + 8))
	}
	mac := e.dev.mac
	if mode&0x40 != 0 || dst.IsMulticast() {
		mac = netns.MulticastMAC(dst)
	}
	f := make([]byte, wire.EthernetHeaderLen+len(ip))
	ef := wire.EthernetFields{Dst: mac, Src: wire.MAC{0x02, 0, 0, 0, 0, 2}, Type: wire.EtherTypeIPv6}
	ef.Encode(wire.Ethernet(f))
	copy(f[wire.EthernetHeaderLen:], ip)
	return f
}

// receive feeds one frame and checks that every buffer it took was
// given back once the queues that may legitimately hold it are flushed.
func receive(t *testing.T, e *fuzzEnv, frame []byte) {
	base := pktbuf.Outstanding()
	e.ifc.Receive(e.dev, pktbuf.FromBytes(pktbuf.DefaultHeadroom, frame))
	e.ip.FlushReassembly()
	e.ifc.Neighbours(6).Flush()
	if got := pktbuf.Outstanding(); got != base {
		t.Fatalf("%d buffers leaked by frame %x", got-base, frame)
	}
}

type fuzzSeed struct {
	name            string
	next, hop, mode uint8
	rest            []byte
}

func fuzzSeeds() []fuzzSeed {
	req := func(dst netip.Addr) []byte { return echoRequest(fuzzPeer, dst, 1, 16) }
	opt := func(typ uint8) []byte { return []byte{typ, 4, 0, 0, 0, 0} }
	icmp := func(typ wire.ICMPv6Type, code uint8, body []byte) []byte {
		b := make([]byte, 8+len(body))
		b[0], b[1] = uint8(typ), code
		copy(b[8:], body)
		return b
	}
	quote := ip6(nodeAddr, fuzzPeer, wire.ProtoUDP, 64, udpHeader(1, 2))
	naf := wire.NDPNeighborAdvertFields{Flags: wire.NDPFlagSolicited | wire.NDPFlagOverride, Target: fuzzPeer, Options: []byte{2, 1, 2, 0, 0, 0, 0, 2}}
	na := make([]byte, naf.Len())
	naf.Encode(wire.NDPNeighborAdvert(na))
	raf := wire.NDPRouterAdvertFields{CurHopLimit: 64, RouterLifetime: 30, Options: cat([]byte{1, 1, 2, 0, 0, 0, 0, 2},
		[]byte{3, 4, 64, 0xc0, 0, 0, 0, 100, 0, 0, 0, 50, 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		[]byte{5, 1, 0, 0, 0, 0, 5, 0x78})}
	ra := make([]byte, raf.Len())
	raf.Encode(wire.NDPRouterAdvert(ra))
	return []fuzzSeed{
		{"echo", wire.ProtoICMPv6, 64, 0x10, req(nodeAddr)},
		{"echo-allnodes", wire.ProtoICMPv6, 1, 0x11, req(ipv6.AllNodes)},
		{"hbh-skip", wire.ProtoIPv6Hop, 64, 0x10, cat(ext(wire.ProtoICMPv6, opt(0x1e)), req(nodeAddr))},
		{"hbh-discard", wire.ProtoIPv6Hop, 64, 0x10, cat(ext(wire.ProtoICMPv6, opt(0x5e)), req(nodeAddr))},
		{"hbh-icmp", wire.ProtoIPv6Hop, 64, 0x10, cat(ext(wire.ProtoICMPv6, opt(0x9e)), req(nodeAddr))},
		{"hbh-icmp-unicast", wire.ProtoIPv6Hop, 64, 0x11, cat(ext(wire.ProtoICMPv6, opt(0xde)), req(ipv6.AllNodes))},
		{"hbh-router-alert", wire.ProtoIPv6Hop, 1, 0x11, cat(ext(wire.ProtoICMPv6, []byte{5, 2, 0, 0, 1, 0}), req(ipv6.AllNodes))},
		{"hbh-jumbo", wire.ProtoIPv6Hop, 64, 0, cat(ext(wire.ProtoUDP, []byte{0xc2, 4, 0, 1, 0, 0}), make([]byte, 8))},
		{"hbh-padn-bad", wire.ProtoIPv6Hop, 64, 0x10, cat(ext(wire.ProtoICMPv6, []byte{1, 4, 0, 1, 0, 0}), req(nodeAddr))},
		{"dstopts", wire.ProtoIPv6DstOpts, 64, 0x10, cat(ext(wire.ProtoICMPv6, opt(0x9e)), req(nodeAddr))},
		{"dstopts-then-hbh", wire.ProtoIPv6DstOpts, 64, 0x10, cat(ext(wire.ProtoIPv6Hop, opt(1)), ext(wire.ProtoICMPv6, opt(1)), req(nodeAddr))},
		{"rh0-segleft1", wire.ProtoIPv6Route, 64, 0x10, cat(routingHeader(wire.ProtoICMPv6, 0, 1), req(nodeAddr))},
		{"rh0-segleft0", wire.ProtoIPv6Route, 64, 0x10, cat(routingHeader(wire.ProtoICMPv6, 0, 0), req(nodeAddr))},
		{"rh2", wire.ProtoIPv6Route, 64, 0x10, cat(routingHeader(wire.ProtoICMPv6, 2, 1), req(nodeAddr))},
		{"rh4-srh", wire.ProtoIPv6Route, 64, 0x10, cat(routingHeader(wire.ProtoICMPv6, 4, 1), req(nodeAddr))},
		{"frag-atomic", wire.ProtoIPv6Frag, 64, 0x10, cat(fragHdr(wire.ProtoICMPv6, 0, false, 1), req(nodeAddr))},
		{"frag-first", wire.ProtoIPv6Frag, 64, 0, cat(fragHdr(wire.ProtoICMPv6, 0, true, 2), req(nodeAddr)[:16])},
		{"frag-last", wire.ProtoIPv6Frag, 64, 0, cat(fragHdr(wire.ProtoICMPv6, 16, false, 2), req(nodeAddr)[16:])},
		{"frag-short-chain", wire.ProtoIPv6Frag, 64, 0, cat(fragHdr(wire.ProtoIPv6DstOpts, 0, true, 3), ext(wire.ProtoTCP, opt(1)))},
		{"frag-nested", wire.ProtoIPv6Frag, 64, 0x10, cat(fragHdr(wire.ProtoIPv6Frag, 0, false, 4), fragHdr(wire.ProtoICMPv6, 0, false, 5), req(nodeAddr))},
		{"frag-too-far", wire.ProtoIPv6Frag, 64, 0, cat(fragHdr(wire.ProtoUDP, 65528, false, 6), make([]byte, 16))},
		{"no-next-header", wire.ProtoIPv6NoNext, 64, 0, nil},
		{"unknown-next-header", 253, 64, 0, make([]byte, 16)},
		{"esp", wire.ProtoESP, 64, 0, make([]byte, 16)},
		{"forward", wire.ProtoICMPv6, 64, 0x13, req(netip.MustParseAddr("2001:db8:9::9"))},
		{"forward-hop1", wire.ProtoICMPv6, 1, 0x13, req(netip.MustParseAddr("2001:db8:9::9"))},
		{"martian-src", wire.ProtoICMPv6, 64, 0x1c, req(nodeAddr)},
		{"truncated", wire.ProtoICMPv6, 64, 0x30, req(nodeAddr)},
		{"ptb", wire.ProtoICMPv6, 64, 0x10, icmp(wire.ICMPv6PacketTooBig, 0, append([]byte(nil), quote...))},
		{"dest-unreach", wire.ProtoICMPv6, 64, 0x10, icmp(wire.ICMPv6DestUnreach, 4, append([]byte(nil), quote...))},
		{"param-problem", wire.ProtoICMPv6, 64, 0x10, icmp(wire.ICMPv6ParamProblem, 1, append([]byte(nil), quote...))},
		{"mld-query", wire.ProtoICMPv6, 1, 0x15, icmp(wire.ICMPv6MLDQuery, 0, make([]byte, 20))},
		{"ns", wire.ProtoICMPv6, 255, 0x12, icmp(wire.ICMPv6NeighborSolicit, 0, cat(nodeAddr.AsSlice(), []byte{1, 1, 2, 0, 0, 0, 0, 2}))},
		{"na", wire.ProtoICMPv6, 255, 0x10, na},
		{"rs", wire.ProtoICMPv6, 255, 0x11, icmp(wire.ICMPv6RouterSolicit, 0, nil)},
		{"ra", wire.ProtoICMPv6, 255, 0x15, ra},
		{"redirect", wire.ProtoICMPv6, 255, 0x14, icmp(wire.ICMPv6Redirect, 0, make([]byte, 36))},
	}
}

func FuzzInput(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s.next, s.hop, s.mode, s.rest)
	}
	f.Fuzz(func(t *testing.T, next, hop, mode uint8, rest []byte) {
		e := env(t)
		done := make(chan struct{})
		go func() {
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				panic("stuck:\n" + string(buf[:n]))
			}
		}()
		receive(t, e, fuzzFrame(e, next, hop, mode, rest))
		close(done)
	})
}

// TestWriteFuzzCorpus writes the seeds to testdata/fuzz when
// GOSOCK_WRITE_CORPUS is set (they are checked in).
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("GOSOCK_WRITE_CORPUS") == "" {
		t.Skip("set GOSOCK_WRITE_CORPUS=1 to rewrite testdata/fuzz/FuzzInput")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzInput")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range fuzzSeeds() {
		body := fmt.Sprintf("go test fuzz v1\nbyte(%q)\nbyte(%q)\nbyte(%q)\n[]byte(%q)\n", s.next, s.hop, s.mode, s.rest)
		if err := os.WriteFile(filepath.Join(dir, s.name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
