package tcp

import (
	"time"

	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/seqnum"
	"github.com/gosock/gosock/wire"
)

// Loss recovery as Linux's tcp_ack and tcp_fastretrans_alert run it:
// each ACK updates the scoreboard (sack.go, rtxqueue.go), RACK marks
// overdue segments lost (rack.go), and the congestion-avoidance state
// machine moves Open → Disorder (SACKs or duplicates seen) → Recovery
// (a loss detected: PRR shrinks cwnd, prr.go) or Loss (an RTO fired,
// frto.go), back to Open once everything outstanding at the start is
// acknowledged, undoing the reduction if it proves spurious (undo.go).
//
// A peer without SACK gets NewReno (RFC 6582) outside the Loss state:
// the third duplicate ACK (net.ipv4.tcp_reordering) retransmits the head
// and enters recovery, further duplicates inflate the window, a partial
// ACK retransmits the next hole.

// rexmitKind is what tcp_xmit_recovery should send.
type rexmitKind uint8

const (
	rexmitNone rexmitKind = iota // REXMIT_NONE
	rexmitLost                   // REXMIT_LOST: retransmit segments marked lost
	rexmitNew                    // REXMIT_NEW: F-RTO sends new data
)

// ackFlagsFor returns the flags an ACK sets before the queue is touched:
// data carried, and a window update by tcp_may_update_window's rule.
func (c *conn) ackFlagsFor(s *segment) ackFlags {
	var flag ackFlags
	if len(s.payload) > 0 || s.has(wire.TCPFlagFIN) {
		flag |= flagData
	}
	nwin := s.wnd << c.sndWscale
	if seqnum.Value(s.ack).GreaterThan(seqnum.Value(c.sndUna)) ||
		seqnum.Value(s.seq).GreaterThan(seqnum.Value(c.sndWl1)) ||
		s.seq == c.sndWl1 && (nwin > c.sndWnd || nwin == 0) {
		flag |= flagWinUpdate
	}
	return flag
}

// ackIsDubious is tcp_ack_is_dubious.
func (c *conn) ackIsDubious(flag ackFlags) bool {
	return flag&flagNotDup == 0 || flag&flagCAAlert != 0 || c.caState != caOpen
}

// lossAck runs the recovery state machine, congestion control and the
// retransmissions for an ACK on a connection that uses the scoreboard
// (the rest of tcp_ack after the queue was cleaned).
func (c *conn) lossAck(priorSndUna uint32, priorDelivered, priorLost uint32, flag ackFlags) ackFlags {
	l := &c.lr
	rexmit := rexmitNone
	c.processTLPAck(c.sndUna, flag) // the ACK number: sndUna has moved to it
	if c.ackIsDubious(flag) {
		numDupack := 0
		if flag&(flagSndUnaAdvanced|flagNotDup|flagDSACKingAck) == 0 {
			numDupack = 1
		}
		rexmit = c.fastretransAlert(priorSndUna, numDupack, &flag)
	}
	if flag&flagDSACKingAck != 0 || l.rack.dsackSeen {
		c.updateRackReoWnd(priorDelivered)
	}
	delivered := int(l.delivered - priorDelivered)
	c.congControl(delivered, int(l.lost-priorLost), flag)
	c.xmitRecovery(rexmit)
	return flag
}

// congControl is tcp_cong_control for the built-in algorithms: PRR
// during a reduction, otherwise growth when the ACK allows it.
func (c *conn) congControl(delivered, newlyLost int, flag ackFlags) {
	if c.inCwndReduction() {
		c.cwndReduction(delivered, newlyLost, flag)
		return
	}
	if !c.mayRaiseCwnd(flag) || delivered <= 0 {
		return
	}
	c.ccs.now = c.now()
	c.ccs.sndUna, c.ccs.sndNxt = c.sndUna, c.sndNxt
	c.ccs.cwndLimited = c.cwndLimited()
	before := c.ccs.cwnd
	c.cc.congAvoid(&c.ccs, uint32(delivered))
	if c.ccs.cwnd > before {
		c.sndbufExpand()
	}
}

// mayRaiseCwnd is tcp_may_raise_cwnd: with reordering above the sysctl,
// any forward progress grows the window; otherwise only in-order
// delivery does (RFC 5681).
func (c *conn) mayRaiseCwnd(flag ackFlags) bool {
	if c.reord() > int(c.sysInt(netns.TCPReordering)) {
		return flag&flagForwardProgress != 0
	}
	return flag&flagDataAcked != 0
}

// xmitRecovery is tcp_xmit_recovery.
func (c *conn) xmitRecovery(rexmit rexmitKind) {
	if rexmit == rexmitNone {
		return
	}
	if rexmit == rexmitNew {
		c.output()
		if seqnum.Value(c.sndNxt).GreaterThan(seqnum.Value(c.lr.highSeq)) {
			return
		}
		c.lr.frto = false
	}
	c.xmitRetransmitQueue()
}

// fastretransAlert is tcp_fastretrans_alert: the state machine.
func (c *conn) fastretransAlert(priorSndUna uint32, numDupack int, flag *ackFlags) rexmitKind {
	l := &c.lr
	doLost := numDupack > 0 || *flag&flagDataSacked != 0 && c.forceFastRetransmit()
	if len(l.q) == 0 && l.sackedOut > 0 {
		l.sackedOut = 0
	}
	// B. Reneging SACKs (tcp_check_sack_reneging): give the receiver a
	// moment, then the RTO forgets the SACKs and retransmits.
	if *flag&flagSACKReneging != 0 && *flag&flagSndUnaAdvanced != 0 {
		c.armRTOFor(max(c.rtt.srtt()/2, 10*time.Millisecond))
		*flag &^= flagSetXmitTimer
		return rexmitNone
	}
	// D. Exit conditions: high_seq acknowledged.
	if c.caState == caOpen {
		l.retransStamp = zeroTime
	} else if seqnum.Value(c.sndUna).GreaterThanEq(seqnum.Value(l.highSeq)) {
		switch c.caState {
		case caCWR:
			if c.sndUna != l.highSeq {
				c.endCwndReduction()
				c.setCAState(caOpen)
			}
		case caRecovery:
			if c.tryUndoRecovery() {
				return rexmitNone
			}
			c.endCwndReduction()
		}
	}
	// E. Process the state.
	switch c.caState {
	case caRecovery:
		if *flag&flagSndUnaAdvanced != 0 && c.tryUndoPartial(priorSndUna, &doLost) {
			return rexmitNone
		}
		if c.tryUndoDSACK() {
			c.tryKeepOpen()
		}
		c.identifyPacketLoss(flag)
		if c.caState != caRecovery {
			if !c.timeToRecover() {
				return rexmitNone
			}
			c.enterRecovery(false)
		}
		return rexmitLost
	case caLoss:
		rexmit := c.processLoss(*flag, numDupack)
		c.identifyPacketLoss(flag)
		if !(c.caState == caOpen || *flag&flagLostRetrans != 0) {
			return rexmit
		}
		// Undone, or retransmissions lost: look at the state afresh.
	}
	if c.caState <= caDisorder {
		c.tryUndoDSACK()
	}
	c.identifyPacketLoss(flag)
	if !c.timeToRecover() {
		c.tryToOpen()
		return rexmitNone
	}
	c.enterRecovery(false)
	_ = doLost // RACK decides losses; the dupthresh scoreboard is not used
	return rexmitLost
}

// forceFastRetransmit is tcp_force_fast_retransmit: SACKs reach more
// than reordering segments beyond sndUna.
func (c *conn) forceFastRetransmit() bool {
	mss := uint32(max(c.mss, 1))
	return seqnum.Value(c.fack()).GreaterThan(seqnum.Value(c.sndUna + uint32(c.reord())*mss))
}

// timeToRecover is tcp_time_to_recover: a loss is proven.
func (c *conn) timeToRecover() bool {
	if c.lr.lostOut > 0 {
		return true
	}
	// Without RACK, the classic duplicate threshold.
	return !c.rackEnabled() && c.lr.sackedOut+1 > c.reord()
}

// identifyPacketLoss is tcp_identify_packet_loss.
func (c *conn) identifyPacketLoss(flag *ackFlags) {
	l := &c.lr
	if len(l.q) == 0 {
		return
	}
	if !c.sackOK {
		c.newRenoMarkLost(*flag&flagSndUnaAdvanced != 0)
		return
	}
	if !c.rackEnabled() {
		c.dupthreshMarkLost()
		return
	}
	prior := l.retransOut
	if c.rackMarkLost() {
		*flag &^= flagSetXmitTimer
	}
	if prior > l.retransOut {
		*flag |= flagLostRetrans
	}
}

// dupthreshMarkLost marks the holes below the SACKed segments lost once
// more than reordering segments are sacked above them, for
// tcp_recovery=0 (tcp_update_scoreboard, simplified).
func (c *conn) dupthreshMarkLost() {
	l := &c.lr
	sacked := 0
	for i := len(l.q) - 1; i >= 0; i-- {
		r := &l.q[i]
		if r.has(rtxSacked) {
			sacked++
			continue
		}
		if sacked >= c.reord() {
			c.markLost(i)
		}
	}
}

// newRenoMarkLost is tcp_newreno_mark_lost: the head is lost after
// reordering duplicates, or on a partial ACK in recovery.
func (c *conn) newRenoMarkLost(sndUnaAdvanced bool) {
	l := &c.lr
	if c.caState < caRecovery && l.sackedOut >= c.reord() || c.caState == caRecovery && sndUnaAdvanced {
		if !l.q[0].has(rtxLost) {
			c.markLost(0)
		}
	}
}

// enterRecovery is tcp_enter_recovery.
func (c *conn) enterRecovery(ece bool) {
	l := &c.lr
	mib := c.p.ns.MIB
	if c.sackOK {
		mib.Inc(netns.TCPExtTCPSackRecovery)
	} else {
		mib.Inc(netns.TCPExtTCPRenoRecovery)
	}
	l.priorSsthresh = 0
	c.initUndo()
	if !c.inCwndReduction() {
		if !ece {
			l.priorSsthresh = c.currentSsthresh()
		}
		c.initCwndReduction()
	}
	c.setCAState(caRecovery)
	c.recover = c.sndMax
}

// tryToOpen is tcp_try_to_open.
func (c *conn) tryToOpen() {
	if !c.anyRetransDone() {
		c.lr.retransStamp = zeroTime
	}
	if c.caState != caCWR {
		c.tryKeepOpen()
	}
}

// tryKeepOpen is tcp_try_keep_open: Disorder while anything is sacked,
// lost or retransmitted, else Open.
func (c *conn) tryKeepOpen() {
	l := &c.lr
	s := caOpen
	if l.sackedOut+l.lostOut > 0 || c.anyRetransDone() {
		s = caDisorder
	}
	if c.caState != s {
		c.setCAState(s)
		l.highSeq = c.sndNxt
	}
}

// dupAck counts a duplicate ACK of a NewReno connection and reports
// whether it was one (tcp_ack's FLAG_NOT_DUP test: no data, no window
// change, same ack, data outstanding).
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
	case c.dupAcks >= c.reord():
		c.renoEnterRecovery()
	default:
		c.output() // limited transmit
	}
	return true
}

// renoEnterRecovery starts NewReno fast recovery.
func (c *conn) renoEnterRecovery() {
	c.enterRecovery(false)
	c.ccs.cwnd = c.ccs.ssthresh + uint32(c.dupAcks)
	c.p.ns.MIB.Inc(netns.TCPExtTCPFastRetrans)
	c.renoRetransmitHead()
}

// renoRetransmitHead marks the first unacknowledged segment lost and
// sends it again.
func (c *conn) renoRetransmitHead() {
	if len(c.lr.q) == 0 {
		return
	}
	c.markLost(0)
	if c.retransmitSeg(0) {
		c.armRTO()
	}
}

// recoveryAck handles a new ACK during NewReno recovery: a partial ACK
// retransmits the next unacknowledged segment, a full one ends recovery
// with cwnd = ssthresh. It reports whether recovery continues.
func (c *conn) recoveryAck() bool {
	if c.caState != caRecovery {
		return false
	}
	if seqnum.Value(c.sndUna).LessThan(seqnum.Value(c.recover)) {
		c.renoRetransmitHead()
		return true
	}
	c.ccs.cwnd = min(c.ccs.ssthresh, c.ccs.cwnd)
	c.setCAState(caOpen)
	c.lr.undoActive = false
	c.dupAcks = 0
	return false
}
