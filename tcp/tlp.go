package tcp

import (
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/seqnum"
	"github.com/gosock/gosock/wire"
)

// Tail loss probe (RFC 8985 section 7, Linux's tcp_schedule_loss_probe
// and tcp_send_loss_probe): when the tail of a flight may be lost, a
// probe after about two RTTs (instead of a full RTO) sends new data, or
// retransmits the last segment, to draw an ACK or SACK that starts fast
// recovery.

// jiffy is one tick of the reference kernel's timer (HZ=250); Linux's
// TCP_TIMEOUT_MIN is two of them.
const jiffy = 4 * time.Millisecond

// scheduleLossProbe arms the probe timer after data went out, if TLP is
// enabled (net.ipv4.tcp_early_retrans 3 or 4), SACK is in use, nothing
// is being recovered and no probe is outstanding.
func (c *conn) scheduleLossProbe(mss int) bool {
	er := c.sysInt(netns.TCPEarlyRetrans)
	if er != 3 && er != 4 || !c.sackOK || c.caState != caOpen || c.inFlight() == 0 || c.tlpHighSeq != 0 {
		return false
	}
	var d time.Duration
	if srtt := c.rtt.srtt(); srtt > 0 {
		d = 2 * srtt
		if c.packetsOut(mss) == 1 {
			d += RTOMin // room for the peer's delayed ACK
		} else {
			d += 2 * jiffy
		}
	} else {
		d = RTOInit
	}
	// Never later than the RTO would fire. The probe timer stands in
	// for the retransmission timer until it fires, as Linux's single
	// ICSK_TIME_LOSS_PROBE timer does.
	if rto := c.currentRTO(); rto < d {
		d = rto
	}
	if c.rtoTimer != nil {
		c.rtoTimer.Stop()
	}
	if c.tlpTimer == nil {
		c.tlpTimer = clock.LazyAfterFunc(c.p.ns.Clock(), d, c.onLossProbe)
		return true
	}
	clock.ResetFrom(c.tlpTimer, c.now(), d)
	return true
}

// setXmitTimer arms the loss probe, or else the retransmission timer,
// after an ACK leaves data outstanding (tcp_set_xmit_timer).
func (c *conn) setXmitTimer() {
	c.stopReo() // one transmit timer, as Linux's: this replaces the RACK timer
	if !c.scheduleLossProbe(max(c.mss, 1)) {
		c.armRTO()
	}
}

// onLossProbe sends the probe (tcp_send_loss_probe): one new segment if
// the windows allow, else the last segment sent again.
func (c *conn) onLossProbe() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state {
	case Established, CloseWait, FinWait1, Closing, LastAck:
	default:
		return
	}
	if c.inFlight() == 0 {
		return
	}
	if c.tlpHighSeq != 0 || c.caState != caOpen {
		c.armRTO() // no probe now: the retransmission timer takes over
		return
	}
	mss := max(c.mss, 1)
	c.p.ns.MIB.Inc(netns.TCPExtTCPLossProbes)
	off := int(c.sndNxt - c.sndUna)
	if c.sndBuf.Len() > off && int32(c.sndUna+c.sndWnd-c.sndNxt) > 0 {
		// New data: one segment, past the congestion window.
		n := min(c.sndBuf.Len()-off, mss, int(c.sndUna+c.sndWnd-c.sndNxt))
		flags := wire.TCPFlagACK
		if off+n == c.sndBuf.Len() {
			flags |= wire.TCPFlagPSH
		}
		seq := c.sndNxt
		c.sendSegment(flags, seq, c.sndBuf.View(off, n))
		c.rtxAdd(seq, n, flags)
		c.lr.tlpRetrans = false
		c.sndNxt += uint32(n)
		if int32(c.sndNxt-c.sndMax) > 0 {
			c.sndMax = c.sndNxt
		}
	} else if len(c.lr.q) > 0 {
		// Retransmit the last segment as it went out: the FIN alone, or
		// the tail of the data (with the FIN if it rode on it).
		if !c.resendSeg(len(c.lr.q) - 1) {
			c.armRTO()
			return
		}
		c.lr.tlpRetrans = true
	}
	c.tlpHighSeq = c.sndNxt
	c.armRTO()
}

// lossProbeAcked ends an outstanding probe once the ACK covers it, for
// a connection without the scoreboard (processTLPAck does it with).
func (c *conn) lossProbeAcked() {
	if c.useScoreboard() {
		return
	}
	if c.tlpHighSeq != 0 && seqnum.Value(c.sndUna).GreaterThanEq(seqnum.Value(c.tlpHighSeq)) {
		c.tlpHighSeq = 0
	}
}

// processTLPAck ends a probe episode (tcp_process_tlp_ack, RFC 8985
// 7.4): once the ACK reaches the probe, a probe of new data needs
// nothing more; a retransmission that turns out to be a duplicate
// (D-SACKed, or answered by a pure duplicate ACK) means nothing was
// lost; an ACK beyond it means the probe repaired a loss, and the
// window is reduced as for CWR (TCPLossProbeRecovery).
func (c *conn) processTLPAck(ack uint32, flag ackFlags) {
	if c.tlpHighSeq == 0 || seqnum.Value(ack).LessThan(seqnum.Value(c.tlpHighSeq)) {
		return
	}
	switch {
	case !c.lr.tlpRetrans:
		c.tlpHighSeq = 0
	case flag&flagDSACKTLP != 0:
		c.tlpHighSeq = 0
	case seqnum.Value(ack).GreaterThan(seqnum.Value(c.tlpHighSeq)):
		c.initCwndReduction() // clears tlpHighSeq
		c.setCAState(caCWR)
		c.endCwndReduction()
		c.tryKeepOpen()
		c.p.ns.MIB.Inc(netns.TCPExtTCPLossProbeRecovery)
	case flag&(flagSndUnaAdvanced|flagNotDup|flagDataSacked) == 0:
		c.tlpHighSeq = 0
	}
}
