package ipv4

import (
	"net/netip"
	"sync"
	"time"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// icmpHandler receives ICMP (Linux's icmp_rcv).
type icmpHandler struct{ p *Protocol }

// maxQuote bounds an ICMP error to 576 bytes of IP datagram (RFC 1812
// section 4.3.2.3), as Linux's icmp_send.
const maxQuote = 576 - wire.IPv4MinHeaderLen - wire.ICMPv4HeaderLen

// Input handles one ICMP message.
func (c icmpHandler) Input(pkt *pktbuf.Buffer, info *netns.PacketInfo) {
	p := c.p
	mib := p.ns.MIB
	defer func() {
		if pkt != nil {
			pkt.Release()
		}
	}()
	mib.Inc(netns.ICMPInMsgs)
	m, err := wire.ParseICMPv4(pkt.Bytes())
	if err != nil {
		mib.Inc(netns.ICMPInErrors)
		mib.Drop(netns.DropPktTooSmall)
		return
	}
	if !pkt.ChecksumVerified && !m.ValidChecksum() {
		mib.Inc(netns.ICMPInCsumErrors)
		mib.Inc(netns.ICMPInErrors)
		mib.Drop(netns.DropICMPCsum)
		return
	}
	mib.ICMPMsg(false, uint8(m.Type()))
	switch m.Type() {
	case wire.ICMPv4EchoRequest:
		if p.ns.Sysctl.Int(netns.ICMPEchoIgnoreAll) != 0 ||
			(info.Broadcast || info.Multicast) && p.ns.Sysctl.Int(netns.ICMPEchoIgnoreBroadcasts) != 0 {
			return
		}
		p.reply(pkt, info, wire.ICMPv4EchoReply, nil)
		pkt = nil
	case wire.ICMPv4Timestamp:
		if len(m) < wire.ICMPv4HeaderLen+12 || info.Broadcast || info.Multicast {
			mib.Inc(netns.ICMPInErrors)
			return
		}
		// Originate stays; receive and transmit are milliseconds since
		// midnight UT (RFC 792), as icmp_timestamp writes them.
		now := p.ns.Clock().Now().UTC()
		ms := uint32(now.Sub(now.Truncate(24*time.Hour)) / time.Millisecond)
		p.reply(pkt, info, wire.ICMPv4TimestampReply, func(b []byte) {
			pkt.Trim(wire.ICMPv4HeaderLen + 12)
			putU32(b[wire.ICMPv4HeaderLen+4:], ms)
			putU32(b[wire.ICMPv4HeaderLen+8:], ms)
		})
		pkt = nil
	case wire.ICMPv4EchoReply, wire.ICMPv4TimestampReply:
		if p.DeliverEcho(pkt, info) {
			pkt = nil
		}
	case wire.ICMPv4DestUnreach, wire.ICMPv4TimeExceeded, wire.ICMPv4ParamProblem:
		p.errorInput(m, info)
	case wire.ICMPv4SourceQuench, wire.ICMPv4Redirect:
		// Source quench is deprecated (RFC 6633) and ignored by Linux;
		// redirects are not acted on here (see the package doc).
	}
}

// ControlInput is never called for ICMP itself: errors are not sent
// about ICMP errors.
func (icmpHandler) ControlInput(*netns.ControlError) {}

// reply turns a request into its reply in place and sends it back
// (icmp_reply). edit, if set, adjusts the body before the checksum.
func (p *Protocol) reply(pkt *pktbuf.Buffer, info *netns.PacketInfo, typ wire.ICMPv4Type, edit func([]byte)) {
	if pkt.Shared() {
		c := pkt.Clone()
		pkt.Release()
		pkt = c
	}
	src := info.Dst
	if info.Broadcast || info.Multicast {
		src = netip.Addr{}
	}
	rt, err := p.ns.Lookup(info.Src, netns.LookupFlags{Src: src})
	if err != nil {
		pkt.Release()
		return
	}
	b := pkt.Bytes()
	if edit != nil {
		edit(b)
		b = pkt.Bytes()
	}
	m := wire.ICMPv4(b)
	m.SetType(typ)
	m.SetCode(0)
	m.SetChecksum(0)
	m.SetChecksum(m.ComputeChecksum())
	pkt.ChecksumVerified = false
	p.ns.MIB.Inc(netns.ICMPOutMsgs)
	p.ns.MIB.ICMPMsg(true, uint8(typ))
	_ = p.Output(&rt, &Header{Src: rt.Src, Dst: info.Src, Protocol: wire.ProtoICMP, TOS: info.TOS}, pkt)
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

// icmpErrors maps destination-unreachable codes to the errno and fatal
// flag Linux reports (icmp_err_convert).
var icmpErrors = [16]struct {
	errno errno.Errno
	fatal bool
}{
	{errno.ENETUNREACH, false},  // net unreachable
	{errno.EHOSTUNREACH, false}, // host unreachable
	{errno.ENOPROTOOPT, true},   // protocol unreachable
	{errno.ECONNREFUSED, true},  // port unreachable
	{errno.EMSGSIZE, false},     // fragmentation needed
	{errno.EOPNOTSUPP, false},   // source route failed
	{errno.ENETUNREACH, true},   // net unknown
	{errno.EHOSTDOWN, true},     // host unknown
	{errno.ENONET, true},        // host isolated
	{errno.ENETUNREACH, true},   // net administratively prohibited
	{errno.EHOSTUNREACH, true},  // host administratively prohibited
	{errno.ENETUNREACH, false},  // net unreachable for TOS
	{errno.EHOSTUNREACH, false}, // host unreachable for TOS
	{errno.EHOSTUNREACH, true},  // communication administratively prohibited
	{errno.EHOSTUNREACH, true},  // host precedence violation
	{errno.EHOSTUNREACH, true},  // precedence cutoff
}

// errorInput hands an ICMP error to the protocol that sent the quoted
// packet (icmp_unreach), after learning a path MTU from
// fragmentation-needed (for TCP, TCP learns it: LearnPMTU).
func (p *Protocol) errorInput(m wire.ICMPv4, info *netns.PacketInfo) {
	mib := p.ns.MIB
	q := m.Payload()
	if len(q) < wire.IPv4MinHeaderLen {
		mib.Inc(netns.ICMPInErrors)
		return
	}
	qh := wire.IPv4(q)
	hl := qh.HeaderLen()
	if qh.Version() != 4 || hl < wire.IPv4MinHeaderLen || len(q) < hl+8 {
		mib.Inc(netns.ICMPInErrors)
		return
	}
	e := netns.ControlError{
		Version: 4, Type: uint8(m.Type()), Code: m.Code(),
		From: info.Src, Src: qh.Src(), Dst: qh.Dst(),
		Quoted: q[hl:], Iface: info.Iface,
	}
	switch m.Type() {
	case wire.ICMPv4DestUnreach:
		if int(m.Code()) >= len(icmpErrors) {
			return
		}
		e.Errno, e.Fatal = int(icmpErrors[m.Code()].errno), icmpErrors[m.Code()].fatal
		if m.Code() == wire.ICMPv4CodeFragNeeded {
			mtu := int(m.MTU())
			if p.ns.Sysctl.Int(netns.IPNoPMTUDisc) != 0 || mtu == 0 {
				// Linux ignores the message (or guesses a plateau);
				// without an MTU there is nothing to learn.
				return
			}
			e.Info = uint32(mtu)
			// TCP learns the MTU itself, once the quoted sequence
			// number proves the message is about data in flight
			// (tcp_v4_mtu_reduced), so that a stale or forged message
			// cannot shrink the path.
			if qh.Protocol() != wire.ProtoTCP {
				p.learnPMTU(qh.Dst(), mtu)
			}
		}
	case wire.ICMPv4TimeExceeded:
		e.Errno = int(errno.EHOSTUNREACH)
	case wire.ICMPv4ParamProblem:
		e.Errno, e.Fatal = int(errno.EPROTO), true
		e.Info = uint32(m.Pointer())
	}
	if t := p.ns.Transport(4, qh.Protocol()); t != nil {
		t.ControlInput(&e)
	}
}

// SendError sends an ICMP error about orig, whose network header must be
// marked (Linux's icmp_send / __icmp_send). rest is the message's
// rest-of-header word: the next-hop MTU for fragmentation-needed, the
// pointer (in the top byte) for parameter problems. It follows RFC 1122
// section 3.2.2 and Linux: no error about an ICMP error, a non-initial
// fragment, or a packet to or from a broadcast or multicast address; the
// quote is limited to 576 bytes of datagram; rate limits apply. It does
// not take the reference to orig.
func (p *Protocol) SendError(orig *pktbuf.Buffer, typ wire.ICMPv4Type, code uint8, rest uint32) {
	q := orig.NetworkHeader()
	if len(q) < wire.IPv4MinHeaderLen {
		return
	}
	oh := wire.IPv4(q)
	hl := oh.HeaderLen()
	if oh.Version() != 4 || hl < wire.IPv4MinHeaderLen || hl > len(q) {
		return
	}
	if orig.Broadcast || orig.Multicast || oh.FragmentOffset() != 0 {
		return
	}
	src, dst := oh.Src(), oh.Dst()
	if !src.IsValid() || src.IsUnspecified() || src.IsMulticast() || src == limitedBroadcast ||
		dst.IsMulticast() || dst == limitedBroadcast {
		return
	}
	if oh.Protocol() == wire.ProtoICMP && len(q) > hl {
		if t := wire.ICMPv4Type(q[hl]); t.IsError() || t > wire.ICMPv4AddrMaskReply {
			return
		}
	}
	var in *netns.Interface
	if orig.IfIndex != 0 {
		in = p.ns.Interface(int(orig.IfIndex))
	}
	// Source: the offending packet's destination if it was ours, else the
	// route's choice towards the sender.
	var from netip.Addr
	if rt, err := p.ns.Lookup(dst, netns.LookupFlags{}); err == nil && rt.Local {
		from = dst
	}
	rt, err := p.ns.Lookup(src, netns.LookupFlags{Src: from})
	if err != nil {
		return
	}
	if !p.limiter.allow(p.ns, rt, src, uint8(typ), in) {
		p.ns.MIB.Inc(netns.ICMPOutRateLimitHost)
		return
	}
	n := min(len(q), maxQuote)
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, wire.ICMPv4HeaderLen+n)
	b := pkt.Bytes()
	f := wire.ICMPv4Fields{Type: typ, Code: code}
	f.Encode(wire.ICMPv4(b))
	wire.ICMPv4(b).SetRest(rest)
	copy(b[wire.ICMPv4HeaderLen:], q[:n])
	m := wire.ICMPv4(b)
	m.SetChecksum(m.ComputeChecksum())
	pkt.SetTransportHeader()
	p.ns.MIB.Inc(netns.ICMPOutMsgs)
	p.ns.MIB.ICMPMsg(true, uint8(typ))
	tos := oh.TOS()&0x1e | 0xc0 // IPTOS_PREC_INTERNETCONTROL
	_ = p.Output(&rt, &Header{Src: rt.Src, Dst: src, Protocol: wire.ProtoICMP, TOS: tos}, pkt)
}

// icmpLimiter is Linux's ICMP rate limiting: a namespace-wide token
// bucket (icmp_msgs_per_sec, icmp_msgs_burst) and a per-destination one
// (icmp_ratelimit with a burst of six), both only for the types in
// icmp_ratemask, and never for loopback.
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

func (l *icmpLimiter) init() { l.peers = make(map[netip.Addr]*peerBucket) }

func (l *icmpLimiter) allow(ns *netns.Namespace, rt netns.RouteResult, dst netip.Addr, typ uint8, in *netns.Interface) bool {
	if typ > 31 || ns.Sysctl.Int(netns.ICMPRatemask)&(1<<typ) == 0 {
		return true
	}
	if rt.Iface != nil && rt.Iface.IsLoopback() {
		return true
	}
	now := ns.Clock().Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	// Global bucket, refilled continuously.
	perSec := float64(ns.Sysctl.Int(netns.ICMPMsgsPerSec))
	burst := float64(ns.Sysctl.Int(netns.ICMPMsgsBurst))
	if perSec > 0 {
		if l.globalLast.IsZero() {
			l.global = burst
		} else {
			l.global = min(burst, l.global+perSec*now.Sub(l.globalLast).Seconds())
		}
		l.globalLast = now
		if l.global < 1 {
			return false
		}
	}
	// Per-peer bucket: one message per icmp_ratelimit, bursts of six.
	timeout := time.Duration(ns.Sysctl.Int(netns.ICMPRatelimit)) * time.Millisecond
	if timeout > 0 {
		b := l.peers[dst]
		if b == nil {
			if len(l.peers) >= 4096 {
				clear(l.peers)
			}
			b = &peerBucket{tokens: 6 * timeout, last: now}
			l.peers[dst] = b
		}
		b.tokens = min(6*timeout, b.tokens+now.Sub(b.last))
		b.last = now
		if b.tokens < timeout {
			return false
		}
		b.tokens -= timeout
	}
	if perSec > 0 {
		l.global--
	}
	return true
}
