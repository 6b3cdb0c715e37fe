package ndp_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
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

type fuzzEnv struct {
	ns  *netns.Namespace
	ip  *ipv6.Protocol
	dev *stubDevice
	ifc *netns.Interface
}

var (
	fuzzOnce sync.Once
	theEnv   *fuzzEnv
	// tentativeAddr stays tentative (the manual clock never moves), so
	// DAD conflicts can be fuzzed.
	tentativeAddr = netip.MustParseAddr("2001:db8::5")
	fuzzPeerMAC   = wire.MAC{0x02, 0, 0, 0, 0, 2}
)

// env is one namespace on a manual clock, so no timer runs behind the
// fuzzer's back.
func env() *fuzzEnv {
	fuzzOnce.Do(func() {
		ns := gosock.NewNamespace(netns.Options{Name: "fuzz", Clock: clock.NewManual(time.Unix(1e9, 0)), Seed: 1})
		dev := &stubDevice{mac: wire.MAC{0x02, 0, 0, 0, 0, 1}}
		ifc, err := ns.AddInterface(dev)
		if err != nil {
			panic(err)
		}
		ifc.SetUp(true)
		ifc.AddAddressFlags(netip.PrefixFrom(nodeAddr, 64), netns.AddrNoDAD)
		ifc.AddAddress(netip.PrefixFrom(tentativeAddr, 64))
		theEnv = &fuzzEnv{ns: ns, ip: ipv6.Of(ns), dev: dev, ifc: ifc}
	})
	return theEnv
}

var ndpTypes = [...]wire.ICMPv6Type{wire.ICMPv6RouterSolicit, wire.ICMPv6RouterAdvert, wire.ICMPv6NeighborSolicit,
	wire.ICMPv6NeighborAdvert, wire.ICMPv6Redirect}

// ndpFrame builds an NDP message of type ndpTypes[sel%5] with a valid
// checksum. body follows the 4-byte ICMPv6 header. mode picks the
// source (bits 0-1: the peer, a link-local address, the unspecified
// address, our own address), the destination (bits 2-4: our address,
// all-nodes, all-routers, our solicited-node group, the tentative
// address's group, the tentative address) and a hop limit other than
// 255 (bit 5).
func ndpFrame(e *fuzzEnv, sel, code, mode uint8, body []byte) []byte {
	src := [...]netip.Addr{peerAddr, netip.MustParseAddr("fe80::2"), netip.IPv6Unspecified(), nodeAddr}[mode&3]
	dst := [...]netip.Addr{nodeAddr, ipv6.AllNodes, ipv6.AllRouters, ipv6.SolicitedNode(nodeAddr),
		ipv6.SolicitedNode(tentativeAddr), tentativeAddr, nodeAddr, ipv6.AllNodes}[mode>>2&7]
	if len(body) > 1400 {
		body = body[:1400]
	}
	msg := make([]byte, 4+len(body))
	msg[0], msg[1] = uint8(ndpTypes[int(sel)%len(ndpTypes)]), code
	copy(msg[4:], body)
	m := wire.ICMPv6(msg)
	if len(msg) >= 4 {
		m.SetChecksum(m.ComputeChecksum(src, dst))
	}
	hop := uint8(255)
	if mode&0x20 != 0 {
		hop = 64
	}
	ip := ip6(src, dst, wire.ProtoICMPv6, hop, msg)
	mac := e.dev.mac
	if dst.IsMulticast() {
		mac = netns.MulticastMAC(dst)
	}
	f := make([]byte, wire.EthernetHeaderLen+len(ip))
	ef := wire.EthernetFields{Dst: mac, Src: fuzzPeerMAC, Type: wire.EtherTypeIPv6}
	ef.Encode(wire.Ethernet(f))
	copy(f[wire.EthernetHeaderLen:], ip)
	return f
}

type ndpSeed struct {
	name            string
	sel, code, mode uint8
	body            []byte
}

// seedBody strips the 4-byte ICMPv6 header off a whole message.
func seedBody(msg []byte) []byte { return msg[4:] }

func ndpSeeds() []ndpSeed {
	sll := sllOpt(wire.NDPOptSourceLinkAddr, fuzzPeerMAC)
	tll := sllOpt(wire.NDPOptTargetLinkAddr, fuzzPeerMAC)
	ra := func(lifetime uint16, opts ...[]byte) []byte {
		f := wire.NDPRouterAdvertFields{CurHopLimit: 64, RouterLifetime: lifetime, ReachableTime: 30000, RetransTimer: 1000, Options: cat(opts...)}
		b := make([]byte, f.Len())
		f.Encode(wire.NDPRouterAdvert(b))
		return b
	}
	rs := func(opts ...[]byte) []byte {
		f := wire.NDPRouterSolicitFields{Options: cat(opts...)}
		b := make([]byte, f.Len())
		f.Encode(wire.NDPRouterSolicit(b))
		return b
	}
	redirect := func(opts ...[]byte) []byte {
		f := wire.NDPRedirectFields{Target: netip.MustParseAddr("fe80::9"), Dest: netip.MustParseAddr("2001:db8:7::1"), Options: cat(opts...)}
		b := make([]byte, f.Len())
		f.Encode(wire.NDPRedirect(b))
		return b
	}
	routeInfo := []byte{24, 2, 64, 0, 0, 0, 0, 100, 0x20, 0x01, 0x0d, 0xb8, 0, 7, 0, 0}
	return []ndpSeed{
		{"ns-multicast", 2, 0, 0 | 3<<2, seedBody(nsMsg(nodeAddr, sll))},
		{"ns-unicast", 2, 0, 0, seedBody(nsMsg(nodeAddr, sll))},
		{"ns-no-sllao", 2, 0, 3 << 2, seedBody(nsMsg(nodeAddr))},
		{"ns-dad", 2, 0, 2 | 3<<2, seedBody(nsMsg(nodeAddr, nonceOpt(7)))},
		{"ns-dad-conflict", 2, 0, 2 | 4<<2, seedBody(nsMsg(tentativeAddr, nonceOpt(7)))},
		{"ns-dad-sllao", 2, 0, 2 | 3<<2, seedBody(nsMsg(nodeAddr, sll))},
		{"ns-tentative", 2, 0, 4 << 2, seedBody(nsMsg(tentativeAddr, sll))},
		{"ns-multicast-target", 2, 0, 0, seedBody(nsMsg(ipv6.AllNodes, sll))},
		{"ns-hop-limit", 2, 0, 0x20, seedBody(nsMsg(nodeAddr, sll))},
		{"ns-bad-code", 2, 1, 0, seedBody(nsMsg(nodeAddr, sll))},
		{"ns-zero-option", 2, 0, 0, seedBody(nsMsg(nodeAddr, []byte{1, 0, 0, 0, 0, 0, 0, 0}))},
		{"ns-long-sllao", 2, 0, 0, seedBody(nsMsg(nodeAddr, []byte{1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}))},
		{"na-solicited", 3, 0, 0, seedBody(naMsg(peerAddr, wire.NDPFlagSolicited|wire.NDPFlagOverride, tll))},
		{"na-unsolicited", 3, 0, 1 << 2, seedBody(naMsg(peerAddr, wire.NDPFlagOverride|wire.NDPFlagRouter, tll))},
		{"na-no-tllao", 3, 0, 0, seedBody(naMsg(peerAddr, wire.NDPFlagSolicited))},
		{"na-tentative", 3, 0, 1 << 2, seedBody(naMsg(tentativeAddr, wire.NDPFlagOverride, tll))},
		{"na-solicited-multicast", 3, 0, 1 << 2, seedBody(naMsg(peerAddr, wire.NDPFlagSolicited, tll))},
		{"rs", 0, 0, 1 | 2<<2, seedBody(rs(sll))},
		{"rs-unspecified", 0, 0, 2 | 2<<2, seedBody(rs())},
		{"ra", 1, 0, 1 | 1<<2, seedBody(ra(1800, sll, mtuOpt(1400), prefixOpt("2001:db8:5::/64", 0xc0, 100, 50)))},
		{"ra-zero-lifetime", 1, 0, 1 | 1<<2, seedBody(ra(0, sll))},
		{"ra-infinite-prefix", 1, 0, 1 | 1<<2, seedBody(ra(60, prefixOpt("2001:db8:6::/64", 0xc0, 0xffffffff, 0xffffffff)))},
		{"ra-bad-prefix", 1, 0, 1 | 1<<2, seedBody(ra(60, prefixOpt("2001:db8:6::/48", 0xc0, 10, 20)))},
		{"ra-route-info", 1, 0, 1 | 1<<2, seedBody(ra(60, routeInfo))},
		{"ra-global-source", 1, 0, 1 << 2, seedBody(ra(60, sll))},
		{"redirect", 4, 0, 1, seedBody(redirect(tll))},
	}
}

func FuzzNDP(f *testing.F) {
	for _, s := range ndpSeeds() {
		f.Add(s.sel, s.code, s.mode, s.body)
	}
	f.Fuzz(func(t *testing.T, sel, code, mode uint8, body []byte) {
		e := env()
		base := pktbuf.Outstanding()
		e.ifc.Receive(e.dev, pktbuf.FromBytes(pktbuf.DefaultHeadroom, ndpFrame(e, sel, code, mode, body)))
		e.ip.FlushReassembly()
		e.ifc.Neighbours(6).Flush()
		if got := pktbuf.Outstanding(); got != base {
			t.Fatalf("%d buffers leaked", got-base)
		}
	})
}

// TestWriteFuzzCorpus writes the seeds to testdata/fuzz when
// GOSOCK_WRITE_CORPUS is set (they are checked in).
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("GOSOCK_WRITE_CORPUS") == "" {
		t.Skip("set GOSOCK_WRITE_CORPUS=1 to rewrite testdata/fuzz/FuzzNDP")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzNDP")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range ndpSeeds() {
		body := fmt.Sprintf("go test fuzz v1\nbyte(%q)\nbyte(%q)\nbyte(%q)\n[]byte(%q)\n", s.sel, s.code, s.mode, s.body)
		if err := os.WriteFile(filepath.Join(dir, s.name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
