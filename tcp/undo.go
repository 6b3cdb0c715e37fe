package tcp

import (
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/seqnum"
)

// Undo (Linux's tcp_try_undo_*): a recovery or timeout that proves
// spurious gives back the window it took. The proof is that no
// retransmission was needed: every one of them was D-SACKed
// (undo_retrans reaches 0), or the timestamp echo shows the ACK answers
// an original transmission sent before the first retransmission
// (tcp_packet_delayed).

// initUndo marks the start of an episode that may be undone
// (tcp_init_undo).
func (c *conn) initUndo() {
	l := &c.lr
	l.undoMarker = c.sndUna
	l.undoActive = true
	l.undoRetrans = l.retransOut
	if l.undoRetrans == 0 {
		l.undoRetrans = -1
	}
}

// packetDelayed is tcp_packet_delayed.
func (c *conn) packetDelayed() bool {
	l := &c.lr
	if !l.retransStamp.IsZero() {
		return c.tsOK && l.ackTSEcr != 0 && int32(l.ackTSEcr-c.tsAt(l.retransStamp)) < 0
	}
	if !c.sackOK && seqnum.Value(c.sndUna).GreaterThanEq(seqnum.Value(l.highSeq)) {
		return false
	}
	return true
}

// mayUndo is tcp_may_undo.
func (c *conn) mayUndo() bool {
	l := &c.lr
	return l.undoActive && (l.undoRetrans == 0 || c.packetDelayed())
}

// undoCwndReduction restores the window from before the episode
// (tcp_undo_cwnd_reduction); unmarkLoss also forgets the lost marks.
func (c *conn) undoCwndReduction(unmarkLoss bool) {
	l := &c.lr
	if unmarkLoss {
		for i := range l.q {
			l.q[i].flags &^= rtxLost
		}
		l.lostOut = 0
	}
	if l.priorSsthresh != 0 {
		c.ccs.cwnd = c.cc.undoCwnd(&c.ccs)
		if l.priorSsthresh > c.ccs.ssthresh {
			c.ccs.ssthresh = l.priorSsthresh
		}
	}
	l.undoActive = false
	l.rack.advanced = true // re-examine losses
}

// tryUndoRecovery is tcp_try_undo_recovery, when recovery or loss has
// reached high_seq; it reports whether the state is held (NewReno
// waits for an ACK above high_seq).
func (c *conn) tryUndoRecovery() bool {
	l := &c.lr
	if c.mayUndo() {
		c.undoCwndReduction(false)
		if c.caState == caLoss {
			c.p.ns.MIB.Inc(netns.TCPExtTCPLossUndo)
		} else {
			c.p.ns.MIB.Inc(netns.TCPExtTCPFullUndo)
		}
	} else if l.rack.reoWndPersist > 0 {
		l.rack.reoWndPersist--
	}
	if c.sndUna == l.highSeq && !c.sackOK {
		if !c.anyRetransDone() {
			l.retransStamp = zeroTime
		}
		return true
	}
	c.setCAState(caOpen)
	return false
}

// tryUndoDSACK undoes when D-SACKs covered every retransmission
// (tcp_try_undo_dsack).
func (c *conn) tryUndoDSACK() bool {
	l := &c.lr
	if l.undoActive && l.undoRetrans == 0 {
		l.rack.reoWndPersist = min(rackRecoveryThresh, l.rack.reoWndPersist+1)
		c.undoCwndReduction(false)
		c.p.ns.MIB.Inc(netns.TCPExtTCPDSACKUndo)
		return true
	}
	return false
}

// tryUndoLoss undoes a timeout found spurious (tcp_try_undo_loss);
// frtoUndo says F-RTO proved it.
func (c *conn) tryUndoLoss(frtoUndo bool) bool {
	if !frtoUndo && !c.mayUndo() {
		return false
	}
	c.undoCwndReduction(true)
	mib := c.p.ns.MIB
	mib.Inc(netns.TCPExtTCPLossUndo)
	if frtoUndo {
		mib.Inc(netns.TCPExtTCPSpuriousRTOs)
	}
	c.retrans = 0
	if !c.sackOK && c.sndUna == c.lr.highSeq {
		return true // NewReno holds the state until above high_seq
	}
	c.setCAState(caOpen)
	return true
}

// tryUndoPartial handles a partial ACK in recovery
// (tcp_try_undo_partial): undo if the hole was filled by a delayed
// original, else force the next retransmission.
func (c *conn) tryUndoPartial(priorSndUna uint32, doLost *bool) bool {
	l := &c.lr
	if l.undoActive && c.packetDelayed() {
		c.checkSackReordering(priorSndUna, true)
		if l.retransOut > 0 {
			return true
		}
		if !c.anyRetransDone() {
			l.retransStamp = zeroTime
		}
		c.undoCwndReduction(true)
		c.p.ns.MIB.Inc(netns.TCPExtTCPPartialUndo)
		c.tryKeepOpen()
		return false
	}
	*doLost = c.forceFastRetransmit()
	return false
}
