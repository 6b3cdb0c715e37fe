package ndp_test

import (
	"bytes"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/ipv6"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// bubble runs f in a synctest bubble, where namespaces made inside run
// on fake time, and checks that every packet buffer taken was given back
// once the bubble is done (namespaces are closed by t.Cleanup inside).
func bubble(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	base := pktbuf.Outstanding()
	synctest.Test(t, f)
	if got := pktbuf.Outstanding(); got != base {
		t.Errorf("pktbuf.Outstanding() = %d after the test, want %d: %d buffers leaked", got, base, got-base)
	}
}

// echoReply is one ICMPv6 echo reply a node received.
type echoReply struct {
	from     netip.Addr
	id, seq  uint16
	data     []byte
	hopLimit uint8
}

// node is a namespace with every protocol, collecting echo replies.
type node struct {
	t       *testing.T
	ns      *netns.Namespace
	ip      *ipv6.Protocol
	replies chan echoReply
}

func newNode(t *testing.T, name string, seed uint64) *node {
	t.Helper()
	ns := gosock.NewNamespace(netns.Options{Name: name, Seed: seed})
	n := &node{t: t, ns: ns, ip: ipv6.Of(ns), replies: make(chan echoReply, 256)}
	n.ip.AddEchoHook(func(pkt *pktbuf.Buffer, info *netns.PacketInfo) bool {
		m := wire.ICMPv6(pkt.Bytes())
		r := echoReply{from: info.Src, id: m.Ident(), seq: m.Seq(), data: bytes.Clone(m.Payload()), hopLimit: info.TTL}
		select {
		case n.replies <- r:
		default:
		}
		pkt.Release()
		return true
	})
	t.Cleanup(func() {
		n.ns.Close()
		n.ip.FlushReassembly()
	})
	return n
}

// connect joins two nodes with a pipe and configures the addresses.
func connect(t *testing.T, a, b *node, aName, bName string, aAddrs, bAddrs []string, cfg link.PipeConfig) (*netns.Interface, *netns.Interface) {
	t.Helper()
	ia, ib, err := gosock.Connect(a.ns, b.ns, gosock.Link{Name: aName, Addrs: prefixes(aAddrs)}, gosock.Link{Name: bName, Addrs: prefixes(bAddrs)}, cfg)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return ia, ib
}

func prefixes(ss []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func pattern(i int) byte { return byte(i*7 + 3) }

// sendEcho sends an echo request of size data bytes to dst, through
// interface oif when set (link-local destinations), with hop limit hop
// (0: default).
func (n *node) sendEcho(dst netip.Addr, oif int, seq uint16, size int, hop uint8) error {
	rt, err := n.ns.Lookup(dst, netns.LookupFlags{OIF: oif})
	if err != nil {
		return err
	}
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, wire.ICMPv6HeaderLen+size)
	b := pkt.Bytes()
	for i := range size {
		b[wire.ICMPv6HeaderLen+i] = pattern(i)
	}
	f := wire.ICMPv6Fields{Type: wire.ICMPv6EchoRequest, Ident: 0x4242, Seq: seq}
	m := wire.ICMPv6(b)
	f.Encode(m)
	m.SetChecksum(m.ComputeChecksum(rt.Src, dst))
	return n.ip.Output(&rt, &ipv6.Header{Src: rt.Src, Dst: dst, NextHeader: wire.ProtoICMPv6, HopLimit: hop}, pkt)
}

// settle lets duplicate address detection and the timers it starts run
// to completion on fake time.
func settle(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// icmpIn and icmpOut read per-type ICMPv6 counters (Icmp6InEchos, ...).
func icmpIn(n *node, t wire.ICMPv6Type) uint64  { return n.ns.MIB.ICMP6MsgCount(false, uint8(t)) }
func icmpOut(n *node, t wire.ICMPv6Type) uint64 { return n.ns.MIB.ICMP6MsgCount(true, uint8(t)) }

// rawPeer is the far end of a pipe driven by the test: it sees every
// frame the namespace sends and injects hand-made ones.
type rawPeer struct {
	t      *testing.T
	end    *link.PipeEnd
	mac    wire.MAC
	ifc    *netns.Interface // the namespace's side
	frames chan []byte
}

// peerAddr is the raw peer's address; the node's side is 2001:db8::1.
var (
	nodeAddr = netip.MustParseAddr("2001:db8::1")
	peerAddr = netip.MustParseAddr("2001:db8::2")
)

// newRawPeer attaches a pipe to n with 2001:db8::1/64 (no DAD) on n's
// side and a permanent neighbour entry for the peer's 2001:db8::2.
func newRawPeer(t *testing.T, n *node, mtu int) *rawPeer {
	t.Helper()
	ea, eb := link.NewPipe(link.PipeConfig{Names: [2]string{"eth0", "peer0"}, MTU: mtu})
	ifc, err := n.ns.AddInterface(ea)
	if err != nil {
		t.Fatal(err)
	}
	p := &rawPeer{t: t, end: eb, mac: eb.HardwareAddr(), ifc: ifc, frames: make(chan []byte, 4096)}
	eb.Attach(link.ReceiverFunc(func(_ link.Device, pkt *pktbuf.Buffer) {
		select {
		case p.frames <- bytes.Clone(pkt.Bytes()):
		default:
		}
		pkt.Release()
	}))
	if err := ifc.SetUp(true); err != nil {
		t.Fatal(err)
	}
	if err := ifc.AddAddressFlags(netip.PrefixFrom(nodeAddr, 64), netns.AddrNoDAD); err != nil {
		t.Fatal(err)
	}
	ifc.Neighbours(6).Add(peerAddr, p.mac)
	return p
}

// send injects an IPv6 packet in an Ethernet frame addressed to the
// namespace (or to the group's MAC for a multicast destination).
func (p *rawPeer) send(ip []byte) {
	dst := p.ifc.Device().HardwareAddr()
	if d := wire.IPv6(ip).Dst(); d.IsMulticast() {
		dst = netns.MulticastMAC(d)
	}
	f := make([]byte, wire.EthernetHeaderLen+len(ip))
	ef := wire.EthernetFields{Dst: dst, Src: p.mac, Type: wire.EtherTypeIPv6}
	ef.Encode(wire.Ethernet(f))
	copy(f[wire.EthernetHeaderLen:], ip)
	if err := p.end.Transmit(pktbuf.FromBytes(pktbuf.DefaultHeadroom, f)); err != nil {
		p.t.Fatalf("inject: %v", err)
	}
}

// expect returns the first IPv6 packet the namespace sends within two
// (fake) seconds that match accepts, skipping others.
func (p *rawPeer) expect(match func(wire.IPv6) bool) (wire.IPv6, bool) {
	timeout := time.After(2 * time.Second)
	for {
		select {
		case f := <-p.frames:
			eth := wire.Ethernet(f)
			if eth.Type() != wire.EtherTypeIPv6 {
				continue
			}
			h, err := wire.ParseIPv6(eth.Payload())
			if err == nil && match(h) {
				return h, true
			}
		case <-timeout:
			return nil, false
		}
	}
}

// drain discards what the namespace sent so far.
func (p *rawPeer) drain() {
	synctest.Wait()
	for {
		select {
		case <-p.frames:
		default:
			return
		}
	}
}

// ip6 builds an IPv6 packet.
func ip6(src, dst netip.Addr, next, hop uint8, payload []byte) []byte {
	b := make([]byte, wire.IPv6HeaderLen+len(payload))
	f := wire.IPv6Fields{PayloadLen: uint16(len(payload)), NextHeader: next, HopLimit: hop, Src: src, Dst: dst}
	f.Encode(wire.IPv6(b))
	copy(b[wire.IPv6HeaderLen:], payload)
	return b
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

// synctestWait waits until every goroutine of the bubble is blocked: the
// packets in flight have been processed.
func synctestWait() { synctest.Wait() }
