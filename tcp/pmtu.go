package tcp

import (
	"slices"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/ipv4"
	"github.com/gosock/gosock/ipv6"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/wire"
)

// Path MTU discovery for TCP (RFC 1191, RFC 8201), as Linux's
// tcp_v4_mtu_reduced and tcp_v6_mtu_reduced: once an ICMP
// fragmentation-needed or packet-too-big quotes data in flight, the MTU it
// reports goes into the network layer's path-MTU cache; when the path's
// MTU is then below the one the connection sized its segments for, the send MSS shrinks to fit
// (tcp_sync_mss) and every segment in flight that no longer fits is taken
// as lost and sent again at once, cut to the new MSS, without touching
// the congestion window (tcp_simple_retransmit): the data in the network
// did not grow, only the unit it is counted in shrank.

// isPMTUError says an ICMP error reports a path MTU: IPv4
// fragmentation-needed, ICMPv6 packet-too-big.
func isPMTUError(ce *netns.ControlError) bool {
	if ce.Version == 4 {
		return ce.Type == 3 && ce.Code == 4 // ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED
	}
	return ce.Type == 2 // ICMPV6_PKT_TOOBIG
}

// dontFragment is ip_dont_fragment for the connection's IPv4 segments:
// DF unless IP_MTU_DISCOVER turned path-MTU discovery off (IP_PMTUDISC_DONT)
// or to the interface MTU (IP_PMTUDISC_INTERFACE, _OMIT); _PROBE sends
// without DF too, as Linux's TCP does.
func (c *conn) dontFragment() bool {
	if c.sk == nil {
		return true
	}
	m := c.sk.PMTUDiscMode(false)
	return m == abi.IP_PMTUDISC_DO || m == abi.IP_PMTUDISC_WANT
}

// pathMTU is dst_mtu of the connection's route: the device MTU, lowered
// by what path MTU discovery learned for the peer; 0 without a route.
func (c *conn) pathMTU() int {
	rt, err := c.p.ns.Lookup(c.remote.Addr(), netns.LookupFlags{Src: c.local.Addr()})
	if err != nil {
		return 0
	}
	return c.lowerToPMTU(rt.MTU)
}

// lowerToPMTU lowers a route's MTU to the path MTU learned for the peer.
func (c *conn) lowerToPMTU(mtu int) int {
	var pm int
	dst := c.remote.Addr()
	if dst.Is4() {
		if p := ipv4.Of(c.p.ns); p != nil {
			pm = p.PathMTU(dst)
		}
	} else if p := ipv6.Of(c.p.ns); p != nil {
		pm = p.PathMTU(dst)
	}
	if pm != 0 && pm < mtu {
		return pm
	}
	return mtu
}

// learnPMTU records the MTU a validated message reported in the network
// layer's path-MTU cache (inet_csk_update_pmtu): TCP, unlike UDP, does
// not let the ICMP layer learn it before the sequence check.
func (c *conn) learnPMTU(mtu int) {
	dst := c.remote.Addr()
	if dst.Is4() {
		if p := ipv4.Of(c.p.ns); p != nil {
			p.LearnPMTU(dst, mtu)
		}
	} else if p := ipv6.Of(c.p.ns); p != nil {
		p.LearnPMTU(dst, mtu)
	}
}

// mtuReduced applies a path-MTU error that passed the sequence check
// (tcp_v4_mtu_reduced, tcp_v6_mtu_reduced); c.mu held.
func (c *conn) mtuReduced(ce *netns.ControlError) {
	switch c.state {
	case Listen, Close, TimeWait:
		return
	}
	info := int(ce.Info)
	mode := abi.IP_PMTUDISC_WANT
	if c.sk != nil {
		mode = c.sk.PMTUDiscMode(ce.Version == 6)
	}
	if ce.Version == 6 && (mode == abi.IPV6_PMTUDISC_INTERFACE || mode == abi.IPV6_PMTUDISC_OMIT) {
		return // ip6_sk_accept_pmtu
	}
	if ce.Version == 6 {
		// tcp_v6_err ignores an MTU below the IPv6 minimum, and
		// tcp_v6_mtu_reduced one that would not lower the MSS.
		if info < ipv6.MinMTU || c.mtuToMSS(info) >= c.mss {
			return
		}
	}
	c.learnPMTU(info)
	mtu := c.pathMTU()
	if mtu == 0 {
		return
	}
	// The network layer clamps what it learns (to 552 bytes for IPv4):
	// a smaller hop will drop our packets anyway. Keep the error in case
	// the connection cannot recover (sk_err_soft).
	if ce.Version == 4 && info < mtu && c.sk != nil && c.dontFragment() {
		c.sk.S.SetSoftError(errno.EMSGSIZE)
	}
	if ce.Version == 4 && (mode == abi.IP_PMTUDISC_DONT || mode == abi.IP_PMTUDISC_INTERFACE || mode == abi.IP_PMTUDISC_OMIT) {
		return // segments go without DF, or the socket ignores path MTUs
	}
	if c.pmtu <= mtu {
		return // not below what the segments are sized for: the RTO copes
	}
	c.syncMSS(mtu)
	c.simpleRetransmit()
}

// mtuToMSS is tcp_mtu_to_mss: the payload a packet of mtu bytes carries
// with the options every segment of the connection has (timestamps),
// within the peer's MSS.
func (c *conn) mtuToMSS(mtu int) int {
	mss := mssFromMTU(mtu, c.remote.Addr().Is6())
	if c.state != SynSent {
		if c.tsOK {
			mss -= 12 // TCPOLEN_TSTAMP_ALIGNED
		}
		mss = min(mss, c.mss)
	}
	return max(mss, minSndMSS)
}

// syncMSS is tcp_sync_mss for a smaller path MTU: the send MSS follows
// it; in SYN-SENT so does the MSS the (next) SYN announces, which Linux
// takes from the route's advmss metric (tcp_advertise_mss).
func (c *conn) syncMSS(mtu int) {
	if c.state == SynSent {
		c.advMSS = min(c.advMSS, mssFromMTU(mtu, c.remote.Addr().Is6()))
	}
	c.mss = c.mtuToMSS(mtu)
	c.pmtu = mtu
}

// simpleRetransmit is tcp_simple_retransmit: everything in flight larger
// than the new MSS was dropped on the way; mark it lost, cut it to the
// MSS, and send it again now. The congestion window stays: the Loss state
// (with ssthresh no lower than before and undo off) only makes the
// retransmissions go before new data. A Fast Open SYN that carried data
// is lost as a whole: the SYN goes again at once, without data, and the
// data follows the SYN-ACK (tcp_rcv_fastopen_synack).
func (c *conn) simpleRetransmit() {
	if c.state == SynSent {
		if c.tfo.synDataLen > 0 {
			c.fastOpenSynLost()
		}
		return
	}
	l := &c.lr
	mss := max(c.mss, 1)
	for i := 0; i < len(l.q); i++ {
		if l.q[i].dataLen() <= mss || l.q[i].has(rtxSacked) {
			continue
		}
		// Linux marks the skb lost and re-cuts it whole at the new MSS
		// as it retransmits it; the records of one write, up to its PSH
		// (or FIN), stand for that skb.
		j := i
		for j < len(l.q) && !l.q[j].has(rtxSacked) {
			j++
			if l.q[j-1].has(rtxPSH | rtxFIN) {
				break
			}
		}
		i += c.rtxRecut(i, j, mss) - 1
	}
	if l.lostOut == 0 {
		return
	}
	c.nonCongestionLoss()
	c.xmitRetransmitQueue()
}

// nonCongestionLoss enters the Loss state for losses that say nothing
// about congestion (a path-MTU drop, Fast Open SYN data the SYN-ACK did
// not cover): ssthresh no lower than before, cwnd and undo untouched, so
// that the segments marked lost go before new data (the common part of
// tcp_simple_retransmit and tcp_non_congestion_loss_retransmit).
func (c *conn) nonCongestionLoss() {
	if c.caState == caLoss {
		return
	}
	l := &c.lr
	l.highSeq = c.sndNxt
	c.ccs.ssthresh = c.currentSsthresh()
	l.priorSsthresh = 0
	l.undoActive = false
	l.frto = false
	c.recover = c.sndMax
	c.dupAcks = 0
	c.setCAState(caLoss)
}

// rtxRecut marks records i to j-1 (contiguous, none sacked) lost and
// cuts their data afresh into records of at most mss bytes, as
// tcp_fragment cuts a retransmission larger than the current MSS; PSH
// and FIN stay with the last piece, and each piece keeps the first
// record's transmit time. A retransmission in flight among them counts
// as lost again. It returns how many records replace them.
func (c *conn) rtxRecut(i, j, mss int) int {
	l := &c.lr
	first, last := l.q[i], l.q[j-1]
	var ever rtxFlags
	for k := i; k < j; k++ {
		r := &l.q[k]
		if r.has(rtxLost) {
			l.lostOut--
		} else {
			l.lost++
		}
		if r.has(rtxRetransOut) {
			l.retransOut--
			c.p.ns.MIB.Inc(netns.TCPExtTCPLostRetransmit)
		}
		ever |= r.flags & rtxEverRetrans
	}
	n := int(last.end-first.start) - (int(last.end-last.start) - last.dataLen())
	pieces := max((n+mss-1)/mss, 1)
	segs := make([]rtxSeg, pieces) // rare: a path MTU drop
	for k := range segs {
		p := &segs[k]
		p.start = first.start + uint32(k*mss)
		p.end = p.start + uint32(min(mss, n-k*mss))
		p.xmit = first.xmit
		p.flags = rtxLost | ever
	}
	segs[pieces-1].end = last.end
	segs[pieces-1].flags |= last.flags & (rtxPSH | rtxFIN)
	l.q = slices.Replace(l.q, i, j, segs...)
	l.lostOut += pieces
	return pieces
}

// fastOpenSynLost sends the SYN again at once after a path-MTU error
// quoting a Fast Open SYN with data (tcp_simple_retransmit's syn_data
// case): a plain SYN, with the smaller MSS and no Fast Open option; the
// SYN-ACK will acknowledge none of the data, which then goes again as
// ordinary segments.
func (c *conn) fastOpenSynLost() {
	c.tfo.synRexmit = true
	c.p.ns.MIB.Inc(netns.TCPRetransSegs)
	c.totalRetrans++
	c.sendSegment(wire.TCPFlagSYN, c.iss, nil)
	c.armRTO()
}
