package tcp

// Proportional Rate Reduction (RFC 6937), Linux's tcp_cwnd_reduction:
// during fast recovery (and CWR) the window shrinks towards ssthresh in
// step with what the peer delivers, rather than halving at once: while
// more than ssthresh is in flight, send ssthresh/prior_cwnd of what was
// delivered; below it, send what was delivered (one more on an ACK that
// advances sndUna without new losses), up to ssthresh. The first
// retransmission always goes.

// inCwndReduction is tcp_in_cwnd_reduction: CWR or Recovery.
func (c *conn) inCwndReduction() bool {
	return c.caState == caCWR || c.caState == caRecovery
}

// initCwndReduction starts a reduction (tcp_init_cwnd_reduction).
func (c *conn) initCwndReduction() {
	l := &c.lr
	l.highSeq = c.sndNxt
	c.tlpHighSeq = 0
	c.ccs.cwndCnt = 0
	c.ccs.priorCwnd = c.ccs.cwnd
	l.prrDelivered = 0
	l.prrOut = 0
	c.ccs.now = c.now()
	c.ccs.ssthresh = c.cc.ssthresh(&c.ccs)
	c.ecnQueueCWR() // tcp_ecn_queue_cwr
}

// cwndReduction sets cwnd for an ACK during the reduction
// (tcp_cwnd_reduction): newlyAckedSacked segments were delivered,
// newlyLost were found lost.
func (c *conn) cwndReduction(newlyAckedSacked, newlyLost int, flag ackFlags) {
	l := &c.lr
	if newlyAckedSacked <= 0 || c.ccs.priorCwnd == 0 {
		return
	}
	inflight := c.packetsInFlight()
	delta := int(c.ccs.ssthresh) - inflight
	l.prrDelivered += newlyAckedSacked
	var sndcnt int
	if delta < 0 {
		dividend := uint64(c.ccs.ssthresh)*uint64(l.prrDelivered) + uint64(c.ccs.priorCwnd) - 1
		sndcnt = int(dividend/uint64(c.ccs.priorCwnd)) - l.prrOut
	} else {
		sndcnt = max(l.prrDelivered-l.prrOut, newlyAckedSacked)
		if flag&flagSndUnaAdvanced != 0 && newlyLost == 0 {
			sndcnt++
		}
		sndcnt = min(delta, sndcnt)
	}
	if l.prrOut == 0 {
		sndcnt = max(sndcnt, 1) // the fast retransmit always goes
	}
	c.ccs.cwnd = uint32(max(inflight+sndcnt, 0))
}

// endCwndReduction sets cwnd to ssthresh when CWR or an undoable
// recovery ends (tcp_end_cwnd_reduction).
func (c *conn) endCwndReduction() {
	if c.ccs.ssthresh < infiniteSsthresh && (c.caState == caCWR || c.lr.undoActive) {
		c.ccs.cwnd = c.ccs.ssthresh
	}
	c.ccs.now = c.now()
	c.cc.cwndEvent(&c.ccs, evCompleteCWR)
}

// setCAState changes the congestion-avoidance state, telling congestion
// control (tcp_set_ca_state).
func (c *conn) setCAState(s caState) {
	c.ccs.now = c.now()
	c.cc.setState(&c.ccs, s)
	c.caState = s
}
