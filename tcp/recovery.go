package tcp

import (
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/seqnum"
	"github.com/gosock/gosock/wire"
)

// Fast retransmit and NewReno fast recovery (RFC 5681 3.2, RFC 6582): the
// third duplicate ACK (net.ipv4.tcp_reordering) retransmits the first
// unacknowledged segment and enters recovery; further duplicates inflate
// the window; a partial ACK retransmits the next hole; an ACK covering
// everything sent before recovery ends it. Linux's RACK-TLP, SACK-driven
// retransmission and PRR are refinements of the same loop, still to come.

// dupAck counts a duplicate ACK and reports whether it was one
// (tcp_ack's FLAG_NOT_DUP test: no data, no window change, same ack,
// data outstanding).
func (c *conn) dupAck(s *segment, oldWnd uint32) bool {
	if s.ack != c.sndUna || len(s.payload) > 0 || s.has(wire.TCPFlagSYN|wire.TCPFlagFIN) ||
		c.sndUna == c.sndMax || s.wnd<<c.sndWscale != oldWnd {
		return false
	}
	c.dupAcks++
	switch {
	case c.caState == caRecovery:
		// Each duplicate means a segment left the network: inflate.
		c.ccs.cwnd++
		c.output()
	case c.dupAcks >= int(c.sysInt(netns.TCPReordering)):
		c.enterRecovery()
	default:
		c.output() // limited transmit
	}
	return true
}

// enterRecovery starts fast recovery (tcp_enter_recovery).
func (c *conn) enterRecovery() {
	mib := c.p.ns.MIB
	if c.sackOK {
		mib.Inc(netns.TCPExtTCPSackRecovery)
	} else {
		mib.Inc(netns.TCPExtTCPRenoRecovery)
	}
	c.ccs.now = c.now()
	c.ccs.priorCwnd = c.ccs.cwnd
	c.ccs.ssthresh = c.cc.ssthresh(&c.ccs)
	c.ccs.cwnd = c.ccs.ssthresh + uint32(c.dupAcks)
	c.caState = caRecovery
	c.cc.setState(&c.ccs, caRecovery)
	c.recover = c.sndMax
	mib.Inc(netns.TCPExtTCPFastRetrans)
	c.retransmit(c.sndUna)
}

// recoveryAck handles a new ACK during recovery: a partial ACK
// retransmits the next unacknowledged segment, a full one ends recovery
// with cwnd = ssthresh. It reports whether recovery continues.
func (c *conn) recoveryAck() bool {
	if c.caState != caRecovery {
		return false
	}
	if seqnum.Value(c.sndUna).LessThan(seqnum.Value(c.recover)) {
		c.retransmit(c.sndUna)
		return true
	}
	c.ccs.cwnd = min(c.ccs.ssthresh, c.ccs.cwnd)
	c.caState = caOpen
	c.cc.setState(&c.ccs, caOpen)
	c.dupAcks = 0
	return false
}

// retransmit sends again the segment starting at seq (which must be
// between sndUna and sndNxt), without moving sndNxt
// (tcp_retransmit_skb).
func (c *conn) retransmit(seq uint32) {
	off := int(seq - c.sndUna)
	mss := max(c.mss, 1)
	if off < 0 || off > len(c.sndBuf) {
		return
	}
	n := min(mss, len(c.sndBuf)-off)
	flags := wire.TCPFlagACK
	fin := false
	if off+n == len(c.sndBuf) {
		flags |= wire.TCPFlagPSH
		if c.finSent {
			flags |= wire.TCPFlagFIN
			fin = true
		}
	}
	if n == 0 && !fin {
		return
	}
	c.p.ns.MIB.Inc(netns.TCPRetransSegs)
	c.totalRetrans++
	c.rttTiming = false // Karn
	c.sendSegment(flags, seq, c.sndBuf[off:off+n])
	c.armRTO()
}
