package tcp

import (
	"net/netip"
	"time"

	"github.com/gosock/gosock/ipv4"
	"github.com/gosock/gosock/ipv6"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// TSO: when the route's device takes super-segments (its GSOMaxSize is
// larger than its MTU), output hands it one buffer carrying several
// MSS-sized segments' worth of data, with GSO metadata, and the device
// (or link.SegmentGSO below it) cuts it. What goes on the wire is the
// same train of segments the per-MSS path sends: the sender just pays
// the per-packet cost of the stack once per super-segment. Linux's
// counterparts are tcp_xmit_size_goal (how large a super-segment may
// be), tcp_tso_autosize (how many segments one should carry at the
// current pacing rate) and tcp_mss_split_point (where the windows cut
// it).
//
// The retransmission queue keeps one record per MSS-sized segment, as if
// each had been sent alone, so the scoreboard, RACK, PRR and the packet
// counts that congestion control works in are exactly those of the
// per-MSS path; retransmissions go out one segment at a time.
//
// Deliberate differences from Linux: no TSO deferral
// (tcp_tso_should_defer): a super-segment is sent as soon as the windows
// allow what the per-MSS path would send, so segment timing does not
// change with offload.

// maxTCPHeader is Linux's MAX_TCP_HEADER on x86-64 (the headroom
// tcp_xmit_size_goal subtracts from sk_gso_max_size).
const maxTCPHeader = 320

// gsoMaxSize returns the GSO limit of the device the connection's route
// leaves by (sk_setup_caps: sk_gso_max_size), or 0 when it cannot take a
// super-segment larger than a packet the MTU allows.
func (c *conn) gsoMaxSize() (gsoMax int, csumOffload bool) {
	rt, err := c.p.ns.Lookup(c.remote.Addr(), netns.LookupFlags{Src: c.local.Addr()})
	if err != nil || rt.Iface == nil {
		return 0, false
	}
	caps := rt.Iface.Device().Capabilities()
	if caps.GSOMaxSize <= rt.MTU || rt.Local {
		return 0, caps.ChecksumOffload
	}
	return caps.GSOMaxSize, caps.ChecksumOffload
}

// tsoGoal returns the most payload one super-segment may carry: the size
// goal (tcp_xmit_size_goal: the device's GSO limit less header room,
// bounded to half the largest window the peer offered) cut to the
// segments tcp_tso_autosize allows per burst, in whole MSS units. It is
// mss when the device offers no GSO.
func (c *conn) tsoGoal(mss int) int {
	gsoMax, _ := c.gsoMaxSize()
	if gsoMax == 0 || mss <= 0 {
		return mss
	}
	goal := gsoMax - 1 - maxTCPHeader
	// tcp_bound_to_half_wnd.
	cutoff := int(c.maxWindow)
	if cutoff > defaultMSS {
		cutoff >>= 1
	}
	if cutoff > 0 && goal > cutoff {
		goal = max(cutoff, 68-wire.TCPMinHeaderLen)
	}
	segs := max(goal/mss, 1)
	segs = min(segs, c.tsoAutosize(mss, gsoMax))
	return segs * mss
}

// tsoAutosize is tcp_tso_autosize with tcp_tso_segs: about a
// millisecond's worth of the pacing rate, plus up to the whole GSO limit
// when the minimum RTT is small (tcp_tso_rtt_log), at least
// tcp_min_tso_segs segments.
func (c *conn) tsoAutosize(mss, gsoMax int) int {
	bytes := int64(gsoMax) // a rate not yet measured does not limit
	if rate := c.pacingRate(mss); rate > 0 {
		bytes = rate >> 10 // sk_pacing_shift
		minRTTUs := int64(c.lr.minRTT / time.Microsecond)
		if r := minRTTUs >> c.sysInt(netns.TCPTSORTTLog); r < 32 {
			bytes += int64(gsoMax) >> r
		}
	}
	bytes = min(bytes, int64(gsoMax))
	return max(int(bytes)/mss, int(c.sysInt(netns.TCPMinTSOSegs)), 1)
}

// pacingRate is tcp_update_pacing_rate's rate in bytes per second:
// cwnd segments per smoothed RTT, doubled in the first half of slow start
// (tcp_pacing_ss_ratio) and 1.2 times after (tcp_pacing_ca_ratio); 0
// before an RTT is known.
func (c *conn) pacingRate(mss int) int64 {
	srttUs := int64(c.rtt.srttUs >> 3)
	if srttUs == 0 {
		return 0
	}
	ratio := c.sysInt(netns.TCPPacingCaRatio)
	if c.ccs.cwnd < c.ccs.ssthresh/2 {
		ratio = c.sysInt(netns.TCPPacingSsRatio)
	}
	cwnd := max(int64(c.ccs.cwnd), int64(len(c.lr.q)))
	return int64(mss) * cwnd * ratio * 10000 / srttUs
}

// tsoCwndQuota is the cap tcp_cwnd_test puts on one super-segment: half
// the congestion window (at least one segment), so that at least two
// super-segments are in flight for better ACK clocking.
func (c *conn) tsoCwndQuota(mss int) int {
	return max(int(c.ccs.cwnd>>1), 1) * mss
}

// tsoSplit trims n, the bytes output would send as one super-segment
// of MSS-sized pieces, so that it ends where the per-MSS path would put
// PSH or stop: a short last piece goes in the super-segment only when
// neither Nagle nor TCP_CORK would hold it once the full pieces before it
// are in flight (the FIN rides on it, or TCP_NODELAY). Otherwise it is
// left for output's next round, which sends or holds it as a segment of
// its own, and the piece before it ends the super-segment with PSH, as
// the per-MSS path marks it (tcp_mss_split_point's partial check).
func (c *conn) tsoSplit(n, mss int) int {
	tail := n % mss
	if n <= mss || tail == 0 {
		return n
	}
	if !c.finQueued && (c.opts.cork || !c.nodelay && c.inFlight() > 0 && c.minshallCheck()) {
		return n - tail
	}
	return n
}

// gsoSegs is the number of segments a payload of n bytes makes when cut
// at gso bytes (tcp_skb_pcount); one for gso 0 or an empty payload.
func gsoSegs(n, gso int) int {
	if gso <= 0 || n <= gso {
		return 1
	}
	return (n + gso - 1) / gso
}

// segLen is the payload of the largest segment a super-segment of n
// bytes cut at gso makes.
func segLen(n, gso int) int {
	if gso > 0 {
		return min(n, gso)
	}
	return n
}

// rtxAddTSO records a super-segment of n bytes at start as the MSS-sized
// segments it is cut into, PSH and FIN on the last only, as the
// segmenter puts them on the wire.
func (c *conn) rtxAddTSO(start uint32, n, mss int, flags wire.TCPFlags) {
	c.rtxAddSplit(start, n, max(mss, 1), flags)
}

// transmitGSO is transmit for a segment whose payload may be a
// super-segment: when gso is non-zero and the payload is longer, the
// buffer carries GSO metadata telling the device to cut it into gso-byte
// segments. On a device with checksum offload the transport checksum is
// left partial (the pseudo-header sum), for the device to finish, as
// Linux's CHECKSUM_PARTIAL.
// df sets DF on IPv4 (ip_dont_fragment: path-MTU discovery on); confirm,
// when not zero, confirms the next hop's neighbour entry at that time
// (conn.dstConfirm). owner, when
// not nil, is the connection sending, which counts its packets queued in
// a device that completes late (autocork.go).
func (p *Protocol) transmitGSO(src, dst netip.Addr, f *wire.TCPFields, payload []byte, tos uint8, gso int, df bool, confirm time.Time, owner *conn) error {
	rt, err := p.ns.Lookup(dst, netns.LookupFlags{Src: src})
	if err != nil {
		return err
	}
	hl := f.Len()
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, hl+len(payload))
	b := pkt.Bytes()
	f.Checksum = 0
	f.Encode(wire.TCP(b))
	copy(b[hl:], payload)
	seg := wire.TCP(b)
	segs := 1
	if gso > 0 && len(payload) > gso {
		pkt.GSOType, pkt.GSOSize = pktbuf.GSOTCPv4, uint16(gso)
		if dst.Is6() {
			pkt.GSOType = pktbuf.GSOTCPv6
		}
		segs = (len(payload) + gso - 1) / gso
	}
	if rt.Iface != nil && !rt.Local && rt.Iface.Device().Capabilities().ChecksumOffload {
		seg.SetChecksum(^wire.FoldChecksum(wire.PseudoHeaderChecksum(wire.ProtoTCP, src, dst, len(b))))
		pkt.ChecksumPartial = true
	} else {
		seg.SetChecksum(seg.ComputeChecksum(src, dst))
	}
	pkt.SetTransportHeader()
	if owner != nil && rt.Iface != nil && !rt.Local {
		if o := owner.txOwner(rt.Iface.Device()); o != nil {
			pkt.SetOwner(o)
		}
		owner.deferDelivery(pkt, rt.Iface.Device()) // flush.go
	}
	p.ns.MIB.Add(netns.TCPOutSegs, uint64(segs))
	if dst.Is4() {
		return ipv4.Of(p.ns).Output(&rt, &ipv4.Header{Src: src, Dst: dst, Protocol: wire.ProtoTCP, TOS: tos, DontFragment: df, ConfirmedAt: confirm}, pkt)
	}
	return ipv6.Of(p.ns).Output(&rt, &ipv6.Header{Src: src, Dst: dst, NextHeader: wire.ProtoTCP, TrafficClass: tos, ConfirmedAt: confirm}, pkt)
}
