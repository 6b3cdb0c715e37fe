package ipv6

import (
	"net/netip"
	"sync"
	"time"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// icmpHandler receives ICMPv6 (Linux's icmpv6_rcv).
type icmpHandler struct{ p *Protocol }

// maxQuote bounds an ICMPv6 error so it fits the minimum MTU (RFC 4443
// 2.4(c)), as Linux's icmp6_send.
const maxQuote = MinMTU - wire.IPv6HeaderLen - wire.ICMPv6HeaderLen

// Input handles one ICMPv6 message.
func (c icmpHandler) Input(pkt *pktbuf.Buffer, info *netns.PacketInfo) {
	c.p.icmpInput(pkt, info, false)
}

// ControlInput is never called for ICMPv6 itself: errors are not sent
// about ICMPv6 errors.
func (icmpHandler) ControlInput(*netns.ControlError) {}

// icmpInput handles one ICMPv6 message whose data starts at its header;
// fragmented says the datagram came in fragments (NDP refuses those).
func (p *Protocol) icmpInput(pkt *pktbuf.Buffer, info *netns.PacketInfo, fragmented bool) {
	mib := p.ns.MIB
	defer func() {
		if pkt != nil {
			pkt.Release()
		}
	}()
	mib.Inc(netns.ICMP6InMsgs)
	b := pkt.Bytes()
	if !pkt.ChecksumVerified && !wire.ICMPv6(b).ValidChecksum(info.Src, info.Dst) {
		mib.Inc(netns.ICMP6InCsumErrors)
		mib.Inc(netns.ICMP6InErrors)
		mib.Drop(netns.DropICMPCsum)
		return
	}
	m, err := wire.ParseICMPv6(b)
	if err != nil {
		mib.Inc(netns.ICMP6InErrors)
		mib.Drop(netns.DropPktTooSmall)
		return
	}
	typ := m.Type()
	mib.ICMP6Msg(false, uint8(typ))
	switch typ {
	case wire.ICMPv6EchoRequest:
		if p.ns.Sysctl.Int(netns.ICMP6EchoIgnoreAll) != 0 ||
			info.Dst.IsMulticast() && p.ns.Sysctl.Int(netns.ICMP6EchoIgnoreMulticast) != 0 {
			mib.Drop(netns.DropNotSpecified)
			return
		}
		p.echoReply(pkt, info)
		pkt = nil
	case wire.ICMPv6EchoReply:
		if p.DeliverEcho(pkt, info) {
			pkt = nil
		}
	case wire.ICMPv6DestUnreach, wire.ICMPv6PacketTooBig, wire.ICMPv6TimeExceeded, wire.ICMPv6ParamProblem:
		p.errorInput(m, info)
	case wire.ICMPv6RouterSolicit, wire.ICMPv6RouterAdvert, wire.ICMPv6NeighborSolicit,
		wire.ICMPv6NeighborAdvert, wire.ICMPv6Redirect:
		if fragmented && confInt(info.Iface, netns.Conf6SuppressFragNdisc) != 0 {
			mib.Drop(netns.DropIPv6NdiscFrag)
			return
		}
		if info.TTL != 255 {
			// RFC 4861: a hop limit of 255 proves the sender is on-link.
			mib.Drop(netns.DropIPv6NdiscHopLimit)
			return
		}
		if h := p.ndp.Load(); h != nil {
			h.h.HandleNDP(pkt, info)
			pkt = nil
		}
	case wire.ICMPv6MLDQuery:
		p.mldQuery(m, info)
	case wire.ICMPv6MLDReport, wire.ICMPv6MLDDone, wire.ICMPv6MLDv2Report:
		// Reports of other listeners matter to routers only.
	default:
		if typ.IsError() {
			// An error of unknown type still goes to its transport
			// (RFC 4443 2.4(d)).
			p.errorInput(m, info)
		}
	}
}

// echoReply turns an echo request into its reply in place and sends it
// back (icmpv6_echo_reply): from the address the request was sent to if
// it was unicast, else from the address the route chooses; the code and
// traffic class of the request are kept.
func (p *Protocol) echoReply(pkt *pktbuf.Buffer, info *netns.PacketInfo) {
	var src netip.Addr
	if !info.Dst.IsMulticast() {
		src = info.Dst
	}
	fl := netns.LookupFlags{Src: src}
	if !src.IsValid() || info.Src.IsLinkLocalUnicast() {
		fl.OIF = info.Iface.Index()
	}
	rt, err := p.ns.Lookup(info.Src, fl)
	if err != nil {
		p.ns.MIB.Drop(netns.DropIPOutNoRoutes)
		pkt.Release()
		return
	}
	if pkt.Shared() {
		c := pkt.Clone()
		pkt.Release()
		pkt = c
	}
	m := wire.ICMPv6(pkt.Bytes())
	m.SetType(wire.ICMPv6EchoReply)
	m.SetChecksum(0)
	m.SetChecksum(m.ComputeChecksum(rt.Src, info.Src))
	pkt.ChecksumVerified = false
	_ = p.Output(&rt, &Header{Src: rt.Src, Dst: info.Src, NextHeader: wire.ProtoICMPv6, TrafficClass: info.TOS}, pkt)
}

// icmpErrors maps destination-unreachable codes to the errno and fatal
// flag Linux reports (icmpv6_err_convert's tab_unreach).
var icmpErrors = [...]struct {
	errno errno.Errno
	fatal bool
}{
	{errno.ENETUNREACH, false},  // no route
	{errno.EACCES, true},        // administratively prohibited
	{errno.EHOSTUNREACH, false}, // beyond scope (formerly not a neighbour)
	{errno.EHOSTUNREACH, false}, // address unreachable
	{errno.ECONNREFUSED, true},  // port unreachable
	{errno.EACCES, true},        // source address failed policy
	{errno.EACCES, true},        // reject route
}

// ErrorErrno converts an ICMPv6 error to the errno and fatal flag a
// socket reports, as Linux's icmpv6_err_convert.
func ErrorErrno(typ wire.ICMPv6Type, code uint8) (errno.Errno, bool) {
	switch typ {
	case wire.ICMPv6DestUnreach:
		if int(code) < len(icmpErrors) {
			return icmpErrors[code].errno, icmpErrors[code].fatal
		}
		return errno.EPROTO, true
	case wire.ICMPv6PacketTooBig:
		return errno.EMSGSIZE, false
	case wire.ICMPv6ParamProblem:
		return errno.EPROTO, true
	case wire.ICMPv6TimeExceeded:
		return errno.EHOSTUNREACH, false
	}
	return errno.EPROTO, false
}

// errorInput hands an ICMPv6 error to the transport protocol that sent
// the quoted packet, found by walking the quoted extension headers
// (icmpv6_notify), after learning a path MTU from packet-too-big.
func (p *Protocol) errorInput(m wire.ICMPv6, info *netns.PacketInfo) {
	mib := p.ns.MIB
	q := m.Payload()
	if len(q) < wire.IPv6HeaderLen || q[0]>>4 != 6 {
		mib.Inc(netns.ICMP6InErrors)
		mib.Drop(netns.DropPktTooSmall)
		return
	}
	qh := wire.IPv6(q)
	it := qh.ExtIter()
	for it.Next() {
	}
	if it.Err() != nil {
		mib.Inc(netns.ICMP6InErrors)
		mib.Drop(netns.DropIPv6BadExtHdr)
		return
	}
	proto, off := it.Upper()
	start := wire.IPv6HeaderLen + off
	if start+8 > len(q) {
		mib.Inc(netns.ICMP6InErrors)
		mib.Drop(netns.DropPktTooSmall)
		return
	}
	en, fatal := ErrorErrno(m.Type(), m.Code())
	e := netns.ControlError{
		Version: 6, Type: uint8(m.Type()), Code: m.Code(),
		Errno: int(en), Fatal: fatal,
		From: info.Src, Src: qh.Src(), Dst: qh.Dst(),
		Quoted: q[start:], Iface: info.Iface,
	}
	switch m.Type() {
	case wire.ICMPv6PacketTooBig:
		mtu := m.MTU()
		e.Info = mtu
		// TCP learns it once the quoted sequence number checks out
		// (tcp_v6_mtu_reduced): a stale message must not shrink the path.
		if proto != wire.ProtoTCP {
			p.learnPMTU(qh.Dst(), int(min(mtu, uint32(maxPayload+1))))
		}
	case wire.ICMPv6ParamProblem:
		e.Info = m.Pointer()
	}
	if t := p.ns.Transport(6, proto); t != nil {
		t.ControlInput(&e)
	}
}

// SendError sends an ICMPv6 error about orig, whose network header must
// be marked (Linux's icmp6_send). info is the message's 32-bit field: the
// MTU for packet too big, the pointer for parameter problem. It follows
// RFC 4443 2.4(e) as Linux does: no error about an ICMPv6 error or a
// redirect, none about a packet sent to a multicast address (or received
// as link-layer multicast or broadcast) except packet too big and
// parameter problem code 2 for an option whose type asks for it, none
// about a packet from the unspecified or a multicast address; the quote
// is cut so the error fits in 1280 bytes; Linux's rate limits apply. It
// does not take the reference to orig.
func (p *Protocol) SendError(orig *pktbuf.Buffer, typ wire.ICMPv6Type, code uint8, info uint32) {
	q := orig.NetworkHeader()
	if len(q) < wire.IPv6HeaderLen || q[0]>>4 != 6 {
		return
	}
	oh := wire.IPv6(q)
	src, dst := oh.Src(), oh.Dst()
	var in *netns.Interface
	if orig.IfIndex != 0 {
		in = p.ns.Interface(int(orig.IfIndex))
	}
	// Answer from the offending packet's destination if it was ours.
	var from netip.Addr
	if p.isLocal(dst) {
		from = dst
	}
	if dst.IsMulticast() || orig.Multicast || orig.Broadcast {
		if typ != wire.ICMPv6PacketTooBig &&
			!(typ == wire.ICMPv6ParamProblem && code == wire.ICMPv6CodeUnknownOption &&
				int(info) < len(q) && wire.IPv6OptionAction(q[info]) == wire.IPv6OptActionICMP) {
			return
		}
		from = netip.Addr{}
	}
	if !src.IsValid() || src.IsUnspecified() || src.IsMulticast() {
		return
	}
	if ineligible(oh) {
		return
	}
	fromLoopback := in != nil && in.IsLoopback()
	limited := rateLimited(typ)
	if limited && !fromLoopback && !p.limiter.globalAllow(p.ns) {
		p.ns.MIB.Inc(netns.ICMPOutRateLimitGlobal)
		return
	}
	fl := netns.LookupFlags{Src: from}
	if src.IsLinkLocalUnicast() && in != nil {
		fl.OIF = in.Index()
	}
	if !from.IsValid() && in != nil {
		// A more meaningful source from the arrival interface.
		if s := p.ns.SelectSource(in, src, netns.ScopeUniverse); s.IsValid() {
			fl.Src = s
		}
	}
	rt, err := p.ns.Lookup(src, fl)
	if err != nil {
		p.ns.MIB.Inc(netns.IP6OutNoRoutes)
		return
	}
	if limited {
		if !p.limiter.peerAllow(p.ns, rt, src) {
			p.ns.MIB.Inc(netns.ICMP6OutRateLimitHost)
			return
		}
		p.limiter.globalConsume(p.ns)
	}
	n := min(len(q), maxQuote)
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, wire.ICMPv6HeaderLen+n)
	b := pkt.Bytes()
	f := wire.ICMPv6Fields{Type: typ, Code: code}
	m := wire.ICMPv6(b)
	f.Encode(m)
	m.SetPointer(info) // the 32-bit field of every error type
	copy(b[wire.ICMPv6HeaderLen:], q[:n])
	m.SetChecksum(m.ComputeChecksum(rt.Src, src))
	pkt.SetTransportHeader()
	_ = p.Output(&rt, &Header{Src: rt.Src, Dst: src, NextHeader: wire.ProtoICMPv6}, pkt)
}

// isLocal reports whether a is one of the namespace's unicast addresses.
func (p *Protocol) isLocal(a netip.Addr) bool {
	if a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, ifc := range p.ns.Interfaces() {
		if _, ok := findAddr(ifc, a); ok {
			return true
		}
	}
	return false
}

// ineligible reports whether a packet must not be answered with an
// ICMPv6 error because it is one, or a redirect (is_ineligible): the
// byte where its upper layer starts, past the extension headers, is the
// type of an ICMPv6 error or redirect, or is missing from an unfragmented
// packet. (Like Linux, a later fragment's first data byte is taken for
// the type.)
func ineligible(h wire.IPv6) bool {
	it := wire.NewIPv6ExtIter(h[wire.IPv6HeaderLen:], h.NextHeader())
	fragment := false
	for it.Next() {
		if it.Type() == wire.ProtoIPv6Frag {
			fh := wire.IPv6Fragment(it.Header())
			fragment = fh.FragmentOffset() != 0 || fh.MoreFragments()
		}
	}
	if it.Err() != nil {
		return false
	}
	proto, off := it.Upper()
	if proto != wire.ProtoICMPv6 {
		return false
	}
	rest := h[wire.IPv6HeaderLen+off:]
	if len(rest) == 0 {
		// RFC 8200 4.5: a first fragment without the ICMPv6 header is
		// answered (parameter problem code 3).
		return !fragment
	}
	t := wire.ICMPv6Type(rest[0])
	return t.IsError() || t == wire.ICMPv6Redirect
}

// rateLimited reports whether an ICMPv6 type is in Linux's default
// net.ipv6.icmp.ratemask, 0-1,3-127: every error but packet too big.
func rateLimited(t wire.ICMPv6Type) bool {
	return t < 128 && t != wire.ICMPv6PacketTooBig
}

// icmpLimiter is Linux's ICMPv6 rate limiting: the namespace-wide token
// bucket (net.ipv4.icmp_msgs_per_sec and icmp_msgs_burst, which Linux
// applies to both families) and a per-destination one
// (net.ipv6.icmp.ratelimit, a burst of six, and more bandwidth for routes
// to wider prefixes), never for loopback.
type icmpLimiter struct {
	mu         sync.Mutex
	global     float64
	globalLast time.Time
	peers      map[netip.Addr]*peerBucket
}

type peerBucket struct {
	tokens time.Duration
	last   time.Time
}

// xrlimBurst is Linux's XRLIM_BURST_FACTOR.
const xrlimBurst = 6

func (l *icmpLimiter) init() { l.peers = make(map[netip.Addr]*peerBucket) }

// globalAllow is icmp_global_allow: is there credit left?
func (l *icmpLimiter) globalAllow(ns *netns.Namespace) bool {
	perSec := float64(ns.Sysctl.Int(netns.ICMPMsgsPerSec))
	if perSec <= 0 {
		return true
	}
	burst := float64(ns.Sysctl.Int(netns.ICMPMsgsBurst))
	now := ns.Clock().Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.globalLast.IsZero() {
		l.global = burst
	} else {
		l.global = min(burst, l.global+perSec*now.Sub(l.globalLast).Seconds())
	}
	l.globalLast = now
	return l.global >= 1
}

// globalConsume takes a message's credit (icmp_global_consume).
func (l *icmpLimiter) globalConsume(ns *netns.Namespace) {
	if ns.Sysctl.Int(netns.ICMPMsgsPerSec) <= 0 {
		return
	}
	l.mu.Lock()
	l.global--
	l.mu.Unlock()
}

// peerAllow is icmpv6_xrlim_allow: loopback is never limited; otherwise
// one message per net.ipv6.icmp.ratelimit to each destination, halved for
// every 32 bits the route's prefix is shorter than 128, in bursts of six.
func (l *icmpLimiter) peerAllow(ns *netns.Namespace, rt netns.RouteResult, dst netip.Addr) bool {
	if rt.Iface != nil && rt.Iface.IsLoopback() {
		return true
	}
	tmo := ns.Sysctl.Duration(netns.ICMP6Ratelimit)
	plen := 128
	if rt.Route != nil {
		plen = rt.Route.Dst.Bits()
	}
	if plen < 128 {
		tmo >>= (128 - plen) >> 5
	}
	if tmo <= 0 {
		return true
	}
	now := ns.Clock().Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.peers[dst]
	if b == nil {
		if len(l.peers) >= 4096 {
			clear(l.peers)
		}
		b = &peerBucket{tokens: xrlimBurst * tmo, last: now}
		l.peers[dst] = b
	}
	b.tokens = min(xrlimBurst*tmo, b.tokens+now.Sub(b.last))
	b.last = now
	if b.tokens < tmo {
		return false
	}
	b.tokens -= tmo
	return true
}
