package tcp

import (
	"time"

	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/seqnum"
)

// The retransmission timeout's loss state, with F-RTO (RFC 5682, Linux's
// net.ipv4.tcp_frto, SACK-enhanced): the timeout marks the flight lost
// and retransmits the head; if the first ACK after it advances sndUna,
// new data goes out instead of more retransmissions, and if the next ACK
// then (s)acks never-retransmitted data the timeout was spurious and is
// undone.

// enterLoss is tcp_enter_loss: called when the RTO fires.
func (c *conn) enterLoss() {
	l := &c.lr
	newRecovery := c.caState < caRecovery
	c.timeoutMarkLost()
	if c.caState <= caDisorder || !seqnum.Value(l.highSeq).GreaterThan(seqnum.Value(c.sndUna)) ||
		c.caState == caLoss && c.retrans == 0 {
		l.priorSsthresh = c.currentSsthresh()
		c.ccs.priorCwnd = c.ccs.cwnd
		c.ccs.now = c.now()
		c.ccs.ssthresh = c.cc.ssthresh(&c.ccs)
		c.cc.cwndEvent(&c.ccs, evLoss)
		c.initUndo()
	}
	c.ccs.cwnd = uint32(c.packetsInFlight() + 1)
	c.ccs.cwndCnt = 0
	// A timeout after many duplicates in Disorder says the reordering
	// estimate is too high.
	if r := int(c.sysInt(netns.TCPReordering)); c.caState <= caDisorder && l.sackedOut >= r {
		l.reordering = min(c.reord(), r)
	}
	c.setCAState(caLoss)
	l.highSeq = c.sndNxt
	c.ecnQueueCWR() // tcp_enter_loss: CWR on the next new data
	c.recover = c.sndMax
	c.tlpHighSeq = 0
	c.dupAcks = 0
	l.frto = c.sysInt(netns.TCPFrto) != 0 && (newRecovery || c.retrans > 0)
}

// currentSsthresh is tcp_current_ssthresh: the larger of ssthresh and
// three quarters of cwnd (outside CWR and Recovery).
func (c *conn) currentSsthresh() uint32 {
	if c.inCwndReduction() {
		return c.ccs.ssthresh
	}
	return max(c.ccs.ssthresh, c.ccs.cwnd>>1+c.ccs.cwnd>>2)
}

// timeoutMarkLost marks the flight lost after an RTO
// (tcp_timeout_mark_lost): everything but segments sent too recently to
// be overdue; if the head was sacked the peer reneged, and every SACK is
// forgotten.
func (c *conn) timeoutMarkLost() {
	l := &c.lr
	if len(l.q) == 0 {
		return
	}
	reneg := l.q[0].has(rtxSacked)
	if reneg {
		c.p.ns.MIB.Inc(netns.TCPExtTCPSACKReneging)
		l.sackedOut = 0
	}
	now := c.now()
	for i := range l.q {
		r := &l.q[i]
		if reneg {
			r.flags &^= rtxSacked
		} else if i > 0 && l.rack.rtt-now.Sub(r.xmit) > 0 {
			continue // not overdue yet
		}
		c.markLost(i)
	}
}

// processLoss handles an ACK in the Loss state (tcp_process_loss).
func (c *conn) processLoss(flag ackFlags, numDupack int) rexmitKind {
	l := &c.lr
	recovered := seqnum.Value(c.sndUna).GreaterThanEq(seqnum.Value(l.highSeq))
	if flag&flagSndUnaAdvanced != 0 && c.tryUndoLoss(false) {
		return rexmitNone
	}
	if l.frto {
		// Step 3.b: never-retransmitted data (s)acked: spurious.
		if flag&flagOrigSackAcked != 0 && c.tryUndoLoss(true) {
			return rexmitNone
		}
		if seqnum.Value(c.sndNxt).GreaterThan(seqnum.Value(l.highSeq)) {
			if flag&flagDataSacked != 0 || numDupack > 0 {
				l.frto = false // step 3.a: the loss was real
			}
		} else if flag&flagSndUnaAdvanced != 0 && !recovered {
			l.highSeq = c.sndNxt
			// Step 2.b: send new data if there is any and the peer's
			// window allows it; otherwise conventional recovery.
			if c.sndBuf.Len() > int(c.sndNxt-c.sndUna) && seqnum.Value(c.sndUna+c.sndWnd).GreaterThan(seqnum.Value(c.sndNxt)) {
				return rexmitNew
			}
			l.frto = false
		}
	}
	if recovered {
		c.tryUndoRecovery() // step 2.a and the first part of 3.a
		return rexmitNone
	}
	return rexmitLost
}

// resourceProbeInterval is TCP_RESOURCE_PROBE_INTERVAL: the retry after
// a retransmission the local queue refused.
const resourceProbeInterval = 500 * time.Millisecond

// rtoLoss is the retransmission timer's loss work (the rest of
// tcp_retransmit_timer): count the failed recovery, enter Loss, and
// retransmit the head; the window then grows from one segment as the
// retransmissions are acknowledged.
func (c *conn) rtoLoss() {
	mib := c.p.ns.MIB
	l := &c.lr
	if c.retrans == 0 {
		switch {
		case c.caState == caRecovery || c.caState == caDisorder || l.sackedOut > 0:
			if c.sackOK {
				mib.Inc(netns.TCPExtTCPSackFailures)
			} else {
				mib.Inc(netns.TCPExtTCPRenoFailures)
			}
		case c.caState == caLoss:
			mib.Inc(netns.TCPExtTCPLossFailures)
		}
	}
	c.stopReo()
	c.enterLoss()
	// The timeout counts toward tcp_retries2 whether or not the
	// retransmission gets out (tcp_update_rto_stats comes first): one
	// that can never leave must not keep the connection forever.
	c.retrans++
	if !c.retransmitSeg(0) {
		c.rtoTimer.Reset(resourceProbeInterval)
		return
	}
	c.backoff++
	c.armRTO()
}
