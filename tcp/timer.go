package tcp

import (
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/wire"
)

// delackMin is Linux's TCP_DELACK_MIN (HZ/25).
const delackMin = 40 * time.Millisecond

// armRTO (re)starts the retransmission timer with the current RTO.
func (c *conn) armRTO() {
	d := c.currentRTO()
	if c.state == SynSent || c.state == SynRecv {
		d = c.synRTO()
	}
	if c.rtoTimer == nil {
		c.rtoTimer = clock.LazyAfterFunc(c.p.ns.Clock(), d, c.onRTO)
		return
	}
	clock.ResetFrom(c.rtoTimer, c.now(), d)
}

// armRTOIfIdle starts the timer unless it already runs for earlier data.
func (c *conn) armRTOIfIdle() {
	if c.rtoTimer == nil || !c.rtoTimer.Stop() {
		c.armRTO()
		return
	}
	clock.ResetFrom(c.rtoTimer, c.now(), c.currentRTO())
}

// synRTO is the handshake's timeout: 1 s, not backed off for the first
// tcp_syn_linear_timeouts retransmissions (Linux 6.7+), then doubling.
func (c *conn) synRTO() time.Duration {
	linear := int(c.sysInt(netns.TCPSynLinearTimeouts))
	d := RTOInit
	for i := linear; i < c.retrans; i++ {
		d *= 2
	}
	return min(d, RTOMax)
}

// onRTO is the retransmission timer (tcp_retransmit_timer).
func (c *conn) onRTO() {
	c.mu.Lock()
	defer c.mu.Unlock()
	mib := c.p.ns.MIB
	switch c.state {
	case SynSent, SynRecv:
		if c.tfo.child {
			c.fastOpenSynAckTimer() // fastopen.go
			return
		}
		if c.state == SynRecv && c.parent != nil {
			c.synAckTimeout() // a passive open's request (reqsk.go)
			return
		}
		limit := int(c.sysInt(netns.TCPSynRetries))
		if c.opts.synCnt > 0 {
			limit = c.opts.synCnt
		}
		expired := false
		if c.state == SynRecv {
			limit = int(c.sysInt(netns.TCPSynackRetries))
			expired = c.retrans >= limit
		} else {
			expired = c.synExpired(limit) // syntimeout.go
		}
		if expired {
			if c.parent != nil {
				c.parent.removeSynRecv(c)
				c.done()
				return
			}
			mib.Inc(netns.TCPAttemptFails)
			c.abort(c.timeoutErr())
			return
		}
		c.retrans++
		mib.Inc(netns.TCPRetransSegs)
		flags := wire.TCPFlagSYN
		if c.state == SynRecv {
			flags |= wire.TCPFlagACK
		}
		c.sendSegment(flags, c.iss, nil)
		c.armRTO()
		return
	case Established, CloseWait, FinWait1, Closing, LastAck:
	default:
		return
	}
	if c.sndUna == c.sndNxt {
		if c.sndBuf.Len() > 0 || c.finQueued && !c.finSent {
			c.zeroWindowProbe()
		}
		return
	}
	if c.retrans == 0 {
		c.retransStart = c.now()
	}
	// Give up once the time since the first retransmission reaches what
	// tcp_retries2 timeouts (tcp_orphan_retries for an orphan) take at
	// the minimum RTO, or TCP_USER_TIMEOUT (tcp_write_timeout).
	if c.retransTimedOut(c.retriesLimit()) {
		mib.Inc(netns.TCPExtTCPAbortOnTimeout)
		c.abort(c.timeoutErr())
		return
	}
	mib.Inc(netns.TCPExtTCPTimeouts)
	if len(c.lr.q) > 0 {
		c.rtoLoss()
		return
	}
	c.tlpHighSeq = 0
	// Nothing recorded in flight (cannot happen once data went out
	// through output): shrink the window to one segment (RFC 5681 3.1)
	// and go back to sndUna.
	c.ccs.now = c.now()
	c.ccs.ssthresh = c.cc.ssthresh(&c.ccs)
	c.ccs.cwnd = 1
	c.ccs.cwndCnt = 0
	c.cc.setState(&c.ccs, caLoss)
	c.caState = caLoss
	c.recover = c.sndMax
	c.dupAcks = 0
	c.totalRetrans++
	c.retrans++
	c.backoff++
	c.rttTiming = false
	c.sndNxt = c.sndUna
	c.finSent = false // a FIN in flight goes again after the data
	c.output()
	c.armRTO()
}

// retransTimedOut is retransmits_timed_out for a synchronized
// connection, asked as its retransmission timer fires: true once the
// time since the first retransmission (retransStart, Linux's
// retrans_stamp) reaches tcp_model_timeout(boundary, TCP_RTO_MIN), what
// boundary doubling timeouts from the minimum RTO take (924.6 s for the
// default tcp_retries2 of 15), or TCP_USER_TIMEOUT when set. Time, not
// the number of timeouts, is what ends the connection: retransmissions
// the device refuses (local congestion) retry every
// TCP_RESOURCE_PROBE_INTERVAL without backing off, and counting them
// would end a connection after 7.5 s of a full queue; a path whose RTO
// is well above the minimum gives up after fewer timeouts.
func (c *conn) retransTimedOut(boundary int) bool {
	if c.retrans == 0 {
		return false // the first timeout: nothing retransmitted yet
	}
	timeout := modelTimeout(boundary, RTOMin)
	if ut := c.opts.userTimeout; ut > 0 {
		timeout = time.Duration(ut) * time.Millisecond
	}
	return c.now().Sub(c.retransStart) >= timeout
}

// retriesLimit is the boundary of tcp_write_timeout and the count of
// unanswered probes the persist timer takes (tcp_probe_timer):
// tcp_retries2, or for an orphan (closed by the user, finishing on its
// own) tcp_orphan_retries, whose default 0 means 8 while the RTO is
// below RTOMax (about 100 s at the minimum RTO) and none once it is at
// RTOMax with an ICMP error on record (tcp_orphan_retries in Linux's
// tcp_timer.c).
func (c *conn) retriesLimit() int {
	if !c.orphan {
		return int(c.sysInt(netns.TCPRetries2))
	}
	n := int(c.sysInt(netns.TCPOrphanRetries))
	alive := c.currentRTO() < RTOMax
	if !alive && c.timeoutErr() != errno.ETIMEDOUT {
		n = 0
	}
	if n == 0 && alive {
		n = 8
	}
	return n
}

// zeroWindowProbe is the persist timer's work (tcp_probe_timer and
// tcp_write_wakeup): data waits behind a zero window, so probe with an
// ACK one byte below sndUna, which the peer must answer with its window;
// back off exponentially, and give up after tcp_retries2 unanswered
// probes (an orphan after tcp_orphan_retries; or TCP_USER_TIMEOUT).
func (c *conn) zeroWindowProbe() {
	if c.probeRefused() { // probe0.go
		return
	}
	if room := int(c.sndUna + c.sndWnd - c.sndNxt); room > 0 && c.sndBuf.Len() > 0 {
		// Some window: send what fits, even below an MSS
		// (tcp_write_wakeup).
		off := int(c.sndNxt - c.sndUna)
		n := min(room, c.sndBuf.Len()-off, max(c.mss, 1))
		if n > 0 {
			flags := wire.TCPFlagACK
			if off+n == c.sndBuf.Len() {
				flags |= wire.TCPFlagPSH
			}
			c.sendSegment(flags, c.sndNxt, c.sndBuf.View(off, n))
			c.rtxAdd(c.sndNxt, n, flags)
			c.sndNxt += uint32(n)
			if int32(c.sndNxt-c.sndMax) > 0 {
				c.sndMax = c.sndNxt
			}
			c.armRTO()
			return
		}
	}
	if c.probes == 0 {
		c.retransStart = c.now()
	}
	if ut := c.opts.userTimeout; ut > 0 && c.now().Sub(c.retransStart) >= time.Duration(ut)*time.Millisecond ||
		ut == 0 && c.probes >= c.retriesLimit() {
		c.abort(c.timeoutErr())
		return
	}
	c.probes++
	c.backoff++
	c.sendSegment(wire.TCPFlagACK, c.sndUna-1, nil)
	c.armRTO()
}

// armDelack starts the delayed-ACK timer (tcp_send_delayed_ack).
func (c *conn) armDelack() {
	d, now := c.delackTimeout(), c.now() // delack.go
	if at := c.dack.delackAt; at != 0 {
		// A timer already runs: it keeps its earlier deadline, and one
		// about to expire is as good as an ACK now.
		left := time.Duration(at - now.UnixNano())
		if left <= d/4 {
			c.sendAck()
			return
		}
		d = min(d, left)
	}
	c.dack.delackAt = now.Add(d).UnixNano()
	if c.delackTimer == nil {
		c.delackTimer = clock.LazyAfterFunc(c.p.ns.Clock(), d, c.onDelack)
		return
	}
	clock.ResetFrom(c.delackTimer, now, d)
}

func (c *conn) onDelack() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dack.delackAt = 0
	if c.ackPending == 0 {
		return
	}
	switch c.state {
	case Established, FinWait1, FinWait2, CloseWait:
		c.p.ns.MIB.Inc(netns.TCPExtDelayedACKs)
		c.delackFired()
		c.sendAck()
	}
}

// armWait starts the TIME-WAIT or FIN-WAIT-2 timer.
func (c *conn) armWait(d time.Duration) {
	if c.waitTimer == nil {
		c.waitTimer = c.p.ns.Clock().AfterFunc(d, c.onWait)
		return
	}
	c.waitTimer.Reset(d)
}

func (c *conn) onWait() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state {
	case TimeWait, FinWait2:
		c.done()
	}
}
