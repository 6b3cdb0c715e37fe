package ipv6_test

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/ipv6"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// captureTransport records the errors handed to a transport protocol.
type captureTransport struct{ errs chan netns.ControlError }

func (c *captureTransport) Input(pkt *pktbuf.Buffer, _ *netns.PacketInfo) { pkt.Release() }
func (c *captureTransport) ControlInput(e *netns.ControlError) {
	e2 := *e
	e2.Quoted = append([]byte(nil), e.Quoted...)
	c.errs <- e2
}

// icmpError builds an ICMPv6 error from the peer quoting q.
func icmpError(typ wire.ICMPv6Type, code uint8, info uint32, q []byte) []byte {
	b := make([]byte, wire.ICMPv6HeaderLen+len(q))
	m := wire.ICMPv6(b)
	f := wire.ICMPv6Fields{Type: typ, Code: code}
	f.Encode(m)
	m.SetPointer(info)
	copy(b[wire.ICMPv6HeaderLen:], q)
	m.SetChecksum(m.ComputeChecksum(peerAddr, nodeAddr))
	return ip6(peerAddr, nodeAddr, wire.ProtoICMPv6, 64, b)
}

func udpHeader(sport, dport uint16) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint16(b, sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint16(b[4:], 8)
	return b
}

func TestErrorsToTransport(t *testing.T) {
	bubble(t, func(t *testing.T) {
		n := newNode(t, "n", 1)
		p := newRawPeer(t, n, 1500)
		ct := &captureTransport{errs: make(chan netns.ControlError, 16)}
		n.ns.RegisterTransport(6, wire.ProtoUDP, ct)
		quoted := ip6(nodeAddr, peerAddr, wire.ProtoUDP, 64, udpHeader(40000, 53))
		withDstOpts := ip6(nodeAddr, peerAddr, wire.ProtoIPv6DstOpts, 64, cat(ext(wire.ProtoUDP, []byte{wire.IPv6OptPadN, 4, 0, 0, 0, 0}), udpHeader(40000, 53)))
		get := func(what string) netns.ControlError {
			t.Helper()
			select {
			case e := <-ct.errs:
				return e
			case <-time.After(time.Second):
				t.Fatalf("%s: no error reached the transport", what)
			}
			return netns.ControlError{}
		}
		for _, c := range []struct {
			typ   wire.ICMPv6Type
			code  uint8
			errno errno.Errno
			fatal bool
		}{
			{wire.ICMPv6DestUnreach, wire.ICMPv6CodeNoRoute, errno.ENETUNREACH, false},
			{wire.ICMPv6DestUnreach, wire.ICMPv6CodeAdminProhibited, errno.EACCES, true},
			{wire.ICMPv6DestUnreach, wire.ICMPv6CodeBeyondScope, errno.EHOSTUNREACH, false},
			{wire.ICMPv6DestUnreach, wire.ICMPv6CodeAddrUnreach, errno.EHOSTUNREACH, false},
			{wire.ICMPv6DestUnreach, wire.ICMPv6CodePortUnreach, errno.ECONNREFUSED, true},
			{wire.ICMPv6DestUnreach, wire.ICMPv6CodeSrcPolicyFailed, errno.EACCES, true},
			{wire.ICMPv6DestUnreach, wire.ICMPv6CodeRejectRoute, errno.EACCES, true},
			{wire.ICMPv6DestUnreach, 9, errno.EPROTO, true},
			{wire.ICMPv6TimeExceeded, 0, errno.EHOSTUNREACH, false},
			{wire.ICMPv6ParamProblem, 0, errno.EPROTO, true},
			{99, 0, errno.EPROTO, false}, // an unknown error type still goes up
		} {
			p.send(icmpError(c.typ, c.code, 7, quoted))
			e := get(c.typ.String())
			if e.Errno != int(c.errno) || e.Fatal != c.fatal || e.Type != uint8(c.typ) || e.Code != c.code {
				t.Errorf("type %d code %d: errno %d fatal %v, want %d %v", c.typ, c.code, e.Errno, e.Fatal, c.errno, c.fatal)
			}
			if e.Version != 6 || e.Src != nodeAddr || e.Dst != peerAddr || e.From != peerAddr || len(e.Quoted) != 8 || binary.BigEndian.Uint16(e.Quoted) != 40000 {
				t.Errorf("type %d: error %+v does not describe the quoted datagram", c.typ, e)
			}
		}
		// The owner is found past the quoted packet's extension headers.
		p.send(icmpError(wire.ICMPv6DestUnreach, wire.ICMPv6CodePortUnreach, 0, withDstOpts))
		if e := get("quote with destination options"); binary.BigEndian.Uint16(e.Quoted[2:]) != 53 {
			t.Errorf("quoted transport header wrong: %x", e.Quoted)
		}
		// A quote too short to name the ports is an input error.
		inErr := counter(n, netns.ICMP6InErrors)
		p.send(icmpError(wire.ICMPv6DestUnreach, wire.ICMPv6CodePortUnreach, 0, quoted[:44]))
		synctestWait()
		if len(ct.errs) != 0 || counter(n, netns.ICMP6InErrors)-inErr != 1 {
			t.Errorf("a truncated quote reached the transport or was not counted")
		}
		// A bad checksum is counted and dropped.
		bad := icmpError(wire.ICMPv6DestUnreach, 0, 0, quoted)
		bad[wire.IPv6HeaderLen+2] ^= 0xff
		cs := counter(n, netns.ICMP6InCsumErrors)
		p.send(bad)
		synctestWait()
		if counter(n, netns.ICMP6InCsumErrors)-cs != 1 || len(ct.errs) != 0 {
			t.Errorf("bad checksum not counted or delivered")
		}
	})
}

func TestPacketTooBig(t *testing.T) {
	bubble(t, func(t *testing.T) {
		n := newNode(t, "n", 1)
		p := newRawPeer(t, n, 1500)
		ct := &captureTransport{errs: make(chan netns.ControlError, 16)}
		n.ns.RegisterTransport(6, wire.ProtoUDP, ct)
		if m := n.ip.PathMTU(peerAddr); m != 0 {
			t.Fatalf("PathMTU before any message = %d", m)
		}
		quoted := ip6(nodeAddr, peerAddr, wire.ProtoUDP, 64, udpHeader(40000, 53))
		p.send(icmpError(wire.ICMPv6PacketTooBig, 0, 1300, quoted))
		synctestWait()
		e := <-ct.errs
		if e.Errno != int(errno.EMSGSIZE) || e.Fatal || e.Info != 1300 {
			t.Errorf("packet too big: errno %d fatal %v info %d", e.Errno, e.Fatal, e.Info)
		}
		if m := n.ip.PathMTU(peerAddr); m != 1300 {
			t.Fatalf("PathMTU = %d after packet too big 1300", m)
		}
		// Larger values never raise it; smaller ones stop at 1280.
		p.send(icmpError(wire.ICMPv6PacketTooBig, 0, 1400, quoted))
		synctestWait()
		if m := n.ip.PathMTU(peerAddr); m != 1300 {
			t.Errorf("PathMTU = %d after packet too big 1400, want 1300", m)
		}
		p.send(icmpError(wire.ICMPv6PacketTooBig, 0, 600, quoted))
		synctestWait()
		if m := n.ip.PathMTU(peerAddr); m != ipv6.MinMTU {
			t.Errorf("PathMTU = %d after packet too big 600, want 1280", m)
		}
		for len(ct.errs) > 0 {
			<-ct.errs
		}

		// Later sends are fragmented to it, unless told not to.
		p.drain()
		if err := n.sendEcho(peerAddr, 0, 1, 1400, 0); err != nil {
			t.Fatal(err)
		}
		var sizes []int
		for range 2 {
			h, ok := p.expect(func(h wire.IPv6) bool { return h.NextHeader() == wire.ProtoIPv6Frag })
			if !ok {
				t.Fatalf("echo not fragmented: got %v", sizes)
			}
			sizes = append(sizes, len(h))
		}
		if sizes[0] != ipv6.MinMTU || sizes[1] > ipv6.MinMTU {
			t.Errorf("fragment sizes %v, want 1280 and the rest", sizes)
		}
		rt, _ := n.ns.Lookup(peerAddr, netns.LookupFlags{})
		pkt := pktbuf.New(pktbuf.DefaultHeadroom, 1400)
		if err := n.ip.Output(&rt, &ipv6.Header{Src: rt.Src, Dst: peerAddr, NextHeader: wire.ProtoUDP, DontFragment: true}, pkt); err != errno.EMSGSIZE {
			t.Errorf("Output with DontFragment over the path MTU: %v, want EMSGSIZE", err)
		}
		// The path MTU expires after net.ipv6.route.mtu_expires.
		time.Sleep(601 * time.Second)
		if m := n.ip.PathMTU(peerAddr); m != 0 {
			t.Errorf("PathMTU = %d after mtu_expires", m)
		}
	})
}

func TestEchoRequests(t *testing.T) {
	bubble(t, func(t *testing.T) {
		n := newNode(t, "n", 1)
		p := newRawPeer(t, n, 1500)
		// Echo to all-nodes is answered from a unicast address.
		all := addr("ff02::1")
		p.send(ip6(peerAddr, all, wire.ProtoICMPv6, 1, echoRequest(peerAddr, all, 1, 8)))
		h, ok := p.expect(func(h wire.IPv6) bool {
			return h.NextHeader() == wire.ProtoICMPv6 && wire.ICMPv6(h.Payload()).Type() == wire.ICMPv6EchoReply
		})
		if !ok || h.Src().IsMulticast() || h.Dst() != peerAddr {
			t.Fatalf("echo to ff02::1: reply %v", h)
		}
		if !wire.ICMPv6(h.Payload()).ValidChecksum(h.Src(), h.Dst()) {
			t.Errorf("echo reply checksum invalid")
		}
		// echo_ignore_multicast and echo_ignore_all.
		n.ns.Sysctl.Set("net.ipv6.icmp.echo_ignore_multicast", "1")
		p.send(ip6(peerAddr, all, wire.ProtoICMPv6, 1, echoRequest(peerAddr, all, 2, 8)))
		silent(t, p, "echo_ignore_multicast")
		n.ns.Sysctl.Set("net.ipv6.icmp.echo_ignore_all", "1")
		p.send(ip6(peerAddr, nodeAddr, wire.ProtoICMPv6, 64, echoRequest(peerAddr, nodeAddr, 3, 8)))
		silent(t, p, "echo_ignore_all")
		n.ns.Sysctl.Set("net.ipv6.icmp.echo_ignore_all", "0")
		n.ns.Sysctl.Set("net.ipv6.icmp.echo_ignore_multicast", "0")
		// The traffic class of the request is reflected.
		req := ip6(peerAddr, nodeAddr, wire.ProtoICMPv6, 64, echoRequest(peerAddr, nodeAddr, 4, 8))
		wire.IPv6(req).SetTrafficClass(0x28)
		p.send(req)
		h, ok = p.expect(func(h wire.IPv6) bool {
			return h.NextHeader() == wire.ProtoICMPv6 && wire.ICMPv6(h.Payload()).Type() == wire.ICMPv6EchoReply
		})
		if !ok || h.TrafficClass() != 0x28 || h.Src() != nodeAddr {
			t.Errorf("echo reply %v: traffic class %#x", h, h.TrafficClass())
		}
		// Multicast groups the interface has not joined are not received.
		other := addr("ff02::1234")
		p.send(ip6(peerAddr, other, wire.ProtoICMPv6, 1, echoRequest(peerAddr, other, 5, 8)))
		silent(t, p, "echo to a group not joined")
		n.ip.JoinGroup(p.ifc, other)
		p.send(ip6(peerAddr, other, wire.ProtoICMPv6, 1, echoRequest(peerAddr, other, 6, 8)))
		echoed(t, p, "echo to a joined group")
		// Martians: a multicast source, a loopback source from the wire.
		hdr := counter(n, netns.IP6InHdrErrors)
		for _, src := range []netip.Addr{addr("ff02::1"), addr("::1")} {
			p.send(ip6(src, nodeAddr, wire.ProtoICMPv6, 64, echoRequest(src, nodeAddr, 7, 8)))
		}
		silent(t, p, "martian sources")
		if got := counter(n, netns.IP6InHdrErrors) - hdr; got != 2 {
			t.Errorf("Ip6InHdrErrors moved by %d for martians, want 2", got)
		}
		// A payload length beyond the frame: truncated.
		tr := counter(n, netns.IP6InTruncatedPkts)
		short := ip6(peerAddr, nodeAddr, wire.ProtoICMPv6, 64, echoRequest(peerAddr, nodeAddr, 8, 8))
		wire.IPv6(short).SetPayloadLen(100)
		p.send(short)
		synctestWait()
		if counter(n, netns.IP6InTruncatedPkts)-tr != 1 {
			t.Errorf("Ip6InTruncatedPkts did not move")
		}
		// Link-layer padding after the payload is ignored.
		padded := append(ip6(peerAddr, nodeAddr, wire.ProtoICMPv6, 64, echoRequest(peerAddr, nodeAddr, 9, 8)), 0, 0, 0, 0)
		p.send(padded)
		echoed(t, p, "padded frame")
	})
}

func TestICMPRateLimit(t *testing.T) {
	bubble(t, func(t *testing.T) {
		n := newNode(t, "n", 1)
		p := newRawPeer(t, n, 1500)
		settle(3 * time.Second)
		p.drain()
		count := func(typ wire.ICMPv6Type) int {
			c := 0
			for {
				if _, ok := p.expectICMP(typ); !ok {
					return c
				}
				c++
			}
		}
		// Errors to one destination: a burst of six, then one per
		// net.ipv6.icmp.ratelimit (100 ms, a quarter of it for a /64).
		limited := counter(n, netns.ICMP6OutRateLimitHost)
		for range 20 {
			p.send(ip6(peerAddr, nodeAddr, 253, 64, make([]byte, 8)))
		}
		if got := count(wire.ICMPv6ParamProblem); got != 6 {
			t.Errorf("%d parameter problems for 20 bad packets at once, want a burst of 6", got)
		}
		if got := counter(n, netns.ICMP6OutRateLimitHost) - limited; got != 14 {
			t.Errorf("Icmp6OutRateLimitHost moved by %d, want 14", got)
		}
		for range 4 {
			time.Sleep(25 * time.Millisecond)
			p.send(ip6(peerAddr, nodeAddr, 253, 64, make([]byte, 8)))
		}
		if got := count(wire.ICMPv6ParamProblem); got != 4 {
			t.Errorf("%d parameter problems at one per 25ms, want 4", got)
		}
		// Informational messages are not limited.
		for i := range 20 {
			p.send(ip6(peerAddr, nodeAddr, wire.ProtoICMPv6, 64, echoRequest(peerAddr, nodeAddr, uint16(i), 8)))
		}
		if got := count(wire.ICMPv6EchoReply); got != 20 {
			t.Errorf("%d echo replies to 20 requests", got)
		}
		// Nor is anything through loopback.
		in := icmpIn(n, wire.ICMPv6ParamProblem)
		for range 20 {
			rt, err := n.ns.Lookup(nodeAddr, netns.LookupFlags{})
			if err != nil {
				t.Fatal(err)
			}
			n.ip.Output(&rt, &ipv6.Header{Src: nodeAddr, Dst: nodeAddr, NextHeader: 253}, pktbuf.New(pktbuf.DefaultHeadroom, 8))
		}
		synctestWait()
		if got := icmpIn(n, wire.ICMPv6ParamProblem) - in; got != 20 {
			t.Errorf("%d parameter problems over loopback for 20 bad packets, want 20", got)
		}
	})
}
