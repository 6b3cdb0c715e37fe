package ipv6_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/wire"
)

// paramProblem checks that the node answered with a parameter problem of
// the given code and pointer, quoting the offending packet.
func paramProblem(t *testing.T, p *rawPeer, code uint8, ptr uint32) {
	t.Helper()
	m, ok := p.expectICMP(wire.ICMPv6ParamProblem)
	if !ok {
		t.Fatalf("no parameter problem (code %d, pointer %d)", code, ptr)
	}
	if m.Code() != code || m.Pointer() != ptr {
		t.Errorf("parameter problem code %d pointer %d, want code %d pointer %d", m.Code(), m.Pointer(), code, ptr)
	}
	if q := wire.IPv6(m.Payload()); len(q) < wire.IPv6HeaderLen || q.Src() != peerAddr {
		t.Errorf("parameter problem does not quote the offending packet")
	}
	time.Sleep(time.Second) // refill the ICMPv6 rate limit
}

// echoed checks that the node answered an echo request.
func echoed(t *testing.T, p *rawPeer, what string) {
	t.Helper()
	if _, ok := p.expectICMP(wire.ICMPv6EchoReply); !ok {
		t.Errorf("%s: no echo reply", what)
	}
}

// silent checks that the node sent the peer no ICMPv6 message at all.
func silent(t *testing.T, p *rawPeer, what string) {
	t.Helper()
	if h, ok := p.expect(func(h wire.IPv6) bool {
		return h.Dst() == peerAddr && h.NextHeader() == wire.ProtoICMPv6 && wire.ICMPv6(h.Payload()).Type() != wire.ICMPv6NeighborSolicit
	}); ok {
		t.Errorf("%s: unexpected answer %v", what, h)
	}
}

// routingHeader builds a routing header of one address.
func routingHeader(next, typ, segLeft uint8) []byte {
	b := make([]byte, 24)
	b[0], b[1], b[2], b[3] = next, 2, typ, segLeft
	a := addr("2001:db8::99").As16()
	copy(b[8:], a[:])
	return b
}

func TestRoutingHeader(t *testing.T) {
	bubble(t, func(t *testing.T) {
		n := newNode(t, "n", 1)
		p := newRawPeer(t, n, 1500)
		req := echoRequest(peerAddr, nodeAddr, 1, 16)
		hdrErr := counter(n, netns.IP6InHdrErrors)

		// RH0 with segments left: refused (RFC 5095), pointing at the type.
		p.send(ip6(peerAddr, nodeAddr, wire.ProtoIPv6Route, 64, cat(routingHeader(wire.ProtoICMPv6, 0, 1), req)))
		paramProblem(t, p, wire.ICMPv6CodeErroneousHeader, 42)
		// An unknown type with segments left: the same.
		p.send(ip6(peerAddr, nodeAddr, wire.ProtoIPv6Route, 64, cat(routingHeader(wire.ProtoICMPv6, 253, 2), req)))
		paramProblem(t, p, wire.ICMPv6CodeErroneousHeader, 42)
		if got := counter(n, netns.IP6InHdrErrors) - hdrErr; got != 2 {
			t.Errorf("Ip6InHdrErrors moved by %d, want 2", got)
		}
		// With no segments left, RH0 and unknown types are ignored.
		p.send(ip6(peerAddr, nodeAddr, wire.ProtoIPv6Route, 64, cat(routingHeader(wire.ProtoICMPv6, 0, 0), req)))
		echoed(t, p, "RH0 with segments left 0")
		p.send(ip6(peerAddr, nodeAddr, wire.ProtoIPv6Route, 64, cat(routingHeader(wire.ProtoICMPv6, 253, 0), req)))
		echoed(t, p, "unknown routing type with segments left 0")
		// Segment routing is off (seg6_enabled=0): silently dropped.
		p.send(ip6(peerAddr, nodeAddr, wire.ProtoIPv6Route, 64, cat(routingHeader(wire.ProtoICMPv6, 4, 1), req)))
		silent(t, p, "SRH")
		// A routing header to a multicast destination: InAddrErrors.
		addrErr := counter(n, netns.IP6InAddrErrors)
		mreq := echoRequest(peerAddr, addr("ff02::1"), 1, 16)
		p.send(ip6(peerAddr, addr("ff02::1"), wire.ProtoIPv6Route, 64, cat(routingHeader(wire.ProtoICMPv6, 0, 1), mreq)))
		silent(t, p, "routing header to multicast")
		if got := counter(n, netns.IP6InAddrErrors) - addrErr; got != 1 {
			t.Errorf("Ip6InAddrErrors moved by %d, want 1", got)
		}
	})
}

func TestUnknownNextHeader(t *testing.T) {
	bubble(t, func(t *testing.T) {
		n := newNode(t, "n", 1)
		p := newRawPeer(t, n, 1500)
		unknown := counter(n, netns.IP6InUnknownProtos)
		p.send(ip6(peerAddr, nodeAddr, 253, 64, make([]byte, 16)))
		// Code 1, pointing at the fixed header's next-header field.
		paramProblem(t, p, wire.ICMPv6CodeUnknownNextHeader, 6)
		// A hop-by-hop header anywhere but first is unknown too (Linux
		// points at the next-header field of the header before it).
		req := echoRequest(peerAddr, nodeAddr, 1, 8)
		pad := []byte{wire.IPv6OptPadN, 4, 0, 0, 0, 0}
		p.send(ip6(peerAddr, nodeAddr, wire.ProtoIPv6DstOpts, 64, cat(ext(wire.ProtoIPv6Hop, pad), ext(wire.ProtoICMPv6, pad), req)))
		paramProblem(t, p, wire.ICMPv6CodeUnknownNextHeader, 40)
		if got := counter(n, netns.IP6InUnknownProtos) - unknown; got != 2 {
			t.Errorf("Ip6InUnknownProtos moved by %d, want 2", got)
		}
		// "No next header" is consumed silently.
		del := counter(n, netns.IP6InDelivers)
		p.send(ip6(peerAddr, nodeAddr, wire.ProtoIPv6NoNext, 64, nil))
		silent(t, p, "no next header")
		if got := counter(n, netns.IP6InDelivers) - del; got != 1 {
			t.Errorf("Ip6InDelivers moved by %d for no-next-header, want 1", got)
		}
	})
}

func TestHopByHopOptions(t *testing.T) {
	bubble(t, func(t *testing.T) {
		n := newNode(t, "n", 1)
		p := newRawPeer(t, n, 1500)
		opt := func(typ uint8) []byte { return []byte{typ, 4, 0, 0, 0, 0} }
		send := func(d netip.Addr, typ uint8) {
			p.send(ip6(peerAddr, d, wire.ProtoIPv6Hop, 64, cat(ext(wire.ProtoICMPv6, opt(typ)), echoRequest(peerAddr, d, 1, 8))))
		}
		node, all := nodeAddr, addr("ff02::1")
		hdrErr := counter(n, netns.IP6InHdrErrors)

		send(node, 0x1e) // 00: skip
		echoed(t, p, "option type 0x1e (skip)")
		send(node, 0x5e) // 01: discard silently
		silent(t, p, "option type 0x5e (discard)")
		send(node, 0x9e) // 10: discard, parameter problem
		paramProblem(t, p, wire.ICMPv6CodeUnknownOption, 42)
		send(node, 0xde) // 11: discard, parameter problem unless multicast
		paramProblem(t, p, wire.ICMPv6CodeUnknownOption, 42)
		send(all, 0xde)
		silent(t, p, "option type 0xde to a multicast destination")
		send(all, 0x9e) // 10 answers even multicast (RFC 4443 2.4(e.3))
		paramProblem(t, p, wire.ICMPv6CodeUnknownOption, 42)
		if got := counter(n, netns.IP6InHdrErrors) - hdrErr; got != 5 {
			t.Errorf("Ip6InHdrErrors moved by %d, want 5", got)
		}

		// Malformed padding: PadN with data, and more than 7 pad bytes.
		for _, body := range [][]byte{{wire.IPv6OptPadN, 4, 0, 1, 0, 0}, {wire.IPv6OptPadN, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}} {
			p.send(ip6(peerAddr, nodeAddr, wire.ProtoIPv6Hop, 64, cat(ext(wire.ProtoICMPv6, body), echoRequest(peerAddr, nodeAddr, 1, 8))))
			silent(t, p, "bad padding")
		}
		// The router alert option is known (and its length checked).
		p.send(ip6(peerAddr, nodeAddr, wire.ProtoIPv6Hop, 64, cat(ext(wire.ProtoICMPv6, []byte{wire.IPv6OptRouterAlert, 2, 0, 0, wire.IPv6OptPadN, 0}), echoRequest(peerAddr, nodeAddr, 1, 8))))
		echoed(t, p, "router alert")
		// Destination options follow the same rules.
		p.send(ip6(peerAddr, nodeAddr, wire.ProtoIPv6DstOpts, 64, cat(ext(wire.ProtoICMPv6, opt(0x9e)), echoRequest(peerAddr, nodeAddr, 1, 8))))
		paramProblem(t, p, wire.ICMPv6CodeUnknownOption, 42)
	})
}
