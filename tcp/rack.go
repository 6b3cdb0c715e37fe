package tcp

import (
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/seqnum"
)

// RACK-TLP loss detection (RFC 8985), Linux's default
// (net.ipv4.tcp_recovery bit 0): a segment is lost once a segment sent
// after it has been delivered and more than RACK.rtt plus a reordering
// window has passed since it went out. The window is a quarter of the
// minimum RTT (times reo_wnd_steps, which D-SACKs raise), capped at the
// smoothed RTT, and zero while no reordering has been seen and either
// recovery is under way or the duplicate threshold is reached. Segments
// not yet due arm the reordering timer.

// rackState is tcp_sock's rack.
type rackState struct {
	mstamp        time.Time     // transmit time of the most recent (re)sent segment delivered
	endSeq        uint32        // its end, to order segments sent at the same instant
	lastDelivered uint32        // (beside endSeq: no padding after each)
	rtt           time.Duration // RTT measured from it
	advanced      bool          // mstamp moved since the last detection
	dsackSeen     bool
	reoArmed      bool // the reordering timer is pending

	reoWndSteps   int // reordering window, in min_rtt/4 steps
	reoWndPersist int // recoveries to keep an enlarged window
}

// rackRecoveryThresh is TCP_RACK_RECOVERY_THRESH.
const rackRecoveryThresh = 16

// Bits of net.ipv4.tcp_recovery.
const (
	rackLossDetection = 1 // TCP_RACK_LOSS_DETECTION
	rackStaticReoWnd  = 2 // TCP_RACK_STATIC_REO_WND
	rackNoDupthresh   = 4 // TCP_RACK_NO_DUPTHRESH
)

// rackEnabled is tcp_is_rack.
func (c *conn) rackEnabled() bool {
	return c.sysInt(netns.TCPRecovery)&rackLossDetection != 0
}

// sentAfter is tcp_rack_sent_after: t1/seq1 went out after t2/seq2.
func sentAfter(t1, t2 time.Time, seq1, seq2 uint32) bool {
	return t1.After(t2) || t1.Equal(t2) && seqnum.Value(seq1).GreaterThan(seqnum.Value(seq2))
}

// rackAdvance records a delivered segment (tcp_rack_advance).
func (c *conn) rackAdvance(r *rtxSeg) {
	l := &c.lr
	rtt := l.mstamp.Sub(r.xmit)
	if rtt < l.minRTT && r.has(rtxEverRetrans|rtxRetransOut) {
		// Delivered sooner than any RTT after a retransmission: the
		// original may have been the one delivered; no evidence.
		return
	}
	l.rack.advanced = true
	l.rack.rtt = rtt
	if sentAfter(r.xmit, l.rack.mstamp, r.end, l.rack.endSeq) {
		l.rack.mstamp = r.xmit
		l.rack.endSeq = r.end
	}
}

// rackSpuriousRetrans is tcp_skb_spurious_retrans: the timestamp echo
// shows the ACK answers a transmission older than the retransmission.
func (c *conn) rackSpuriousRetrans(r *rtxSeg) bool {
	if !r.has(rtxEverRetrans) || !c.tsOK || c.lr.ackTSEcr == 0 {
		return false
	}
	return int32(c.lr.ackTSEcr-c.tsAt(r.xmit)) < 0
}

// tsAt is the timestamp value we send at t.
func (c *conn) tsAt(t time.Time) uint32 { return uint32(t.UnixMilli()) + c.tsOffset }

// reoWnd is tcp_rack_reo_wnd.
func (c *conn) reoWnd() time.Duration {
	l := &c.lr
	if l.reordSeen == 0 {
		if c.caState >= caRecovery {
			return 0
		}
		if l.sackedOut >= c.reord() && c.sysInt(netns.TCPRecovery)&rackNoDupthresh == 0 {
			return 0
		}
	}
	if l.minRTT == 0 {
		return c.rtt.srtt()
	}
	return min(l.minRTT/4*time.Duration(max(l.rack.reoWndSteps, 1)), c.rtt.srtt())
}

// rackDetectLoss marks lost the segments RACK finds overdue and returns
// how long the earliest of the others still has (0: none waiting)
// (tcp_rack_detect_loss).
func (c *conn) rackDetectLoss() time.Duration {
	l := &c.lr
	var wait time.Duration
	reo := c.reoWnd()
	now := c.now()
	for i := range l.q {
		r := &l.q[i]
		if r.has(rtxSacked) || r.has(rtxLost) && !r.has(rtxRetransOut) {
			continue
		}
		if !sentAfter(l.rack.mstamp, r.xmit, l.rack.endSeq, r.end) {
			continue
		}
		remaining := l.rack.rtt + reo - now.Sub(r.xmit)
		if remaining <= 0 {
			c.markLost(i)
		} else {
			wait = max(wait, remaining)
		}
	}
	return wait
}

// rackMarkLost runs detection after RACK advanced and arms the
// reordering timer for segments not yet due (tcp_rack_mark_lost); it
// reports whether the timer was armed.
func (c *conn) rackMarkLost() bool {
	l := &c.lr
	if !l.rack.advanced {
		return false
	}
	l.rack.advanced = false
	wait := c.rackDetectLoss()
	if wait <= 0 {
		return false
	}
	// In jiffies, rounded up, plus TCP_TIMEOUT_MIN, as Linux arms it.
	d := (wait+jiffy-1)/jiffy*jiffy + 2*jiffy
	c.armReo(min(d, c.currentRTO()))
	return true
}

// armReo starts the reordering timer; it stands in for the RTO and the
// loss probe, as Linux's single transmit timer.
func (c *conn) armReo(d time.Duration) {
	l := &c.lr
	if c.tlpTimer != nil {
		c.tlpTimer.Stop()
	}
	if c.rtoTimer != nil {
		c.rtoTimer.Stop()
	}
	l.rack.reoArmed = true
	if l.reoTimer == nil {
		l.reoTimer = clock.LazyAfterFunc(c.p.ns.Clock(), d, c.onReoTimeout)
		return
	}
	clock.ResetFrom(l.reoTimer, c.now(), d)
}

// stopReo cancels the reordering timer.
func (c *conn) stopReo() {
	l := &c.lr
	if l.rack.reoArmed && l.reoTimer != nil {
		l.reoTimer.Stop()
	}
	l.rack.reoArmed = false
}

func (c *conn) reoPending() bool { return c.lr.rack.reoArmed }

// onReoTimeout is tcp_rack_reo_timeout: the waited-for segments are
// lost; start recovery and retransmit them.
func (c *conn) onReoTimeout() {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := &c.lr
	if !l.rack.reoArmed {
		return
	}
	l.rack.reoArmed = false
	switch c.state {
	case Established, CloseWait, FinWait1, Closing, LastAck:
	default:
		return
	}
	if len(l.q) == 0 {
		return
	}
	prior := c.packetsInFlight()
	l.headRetransmitted = false
	c.rackDetectLoss()
	if prior != c.packetsInFlight() {
		if c.caState != caRecovery {
			c.enterRecovery(false)
			c.cwndReduction(1, 0, 0)
		}
		c.xmitRetransmitQueue()
	}
	if !l.headRetransmitted {
		c.rearmRTO()
	}
	c.memSync()
}

// rearmRTO restarts the retransmission timer for what is left of the
// RTO since the head went out (tcp_rearm_rto after a RACK or probe
// timer).
func (c *conn) rearmRTO() {
	l := &c.lr
	if len(l.q) == 0 {
		if c.rtoTimer != nil {
			c.rtoTimer.Stop()
		}
		return
	}
	d := max(c.currentRTO()-c.now().Sub(l.q[0].xmit), time.Microsecond)
	if c.rtoTimer == nil {
		c.rtoTimer = clock.LazyAfterFunc(c.p.ns.Clock(), d, c.onRTO)
		return
	}
	clock.ResetFrom(c.rtoTimer, c.now(), d)
}

// armRTOFor starts the retransmission timer for d, in place of the
// probe and RACK timers.
func (c *conn) armRTOFor(d time.Duration) {
	c.stopReo()
	if c.tlpTimer != nil {
		c.tlpTimer.Stop()
	}
	if c.rtoTimer == nil {
		c.rtoTimer = clock.LazyAfterFunc(c.p.ns.Clock(), d, c.onRTO)
		return
	}
	clock.ResetFrom(c.rtoTimer, c.now(), d)
}

// updateRackReoWnd adapts the reordering window after D-SACKs
// (tcp_rack_update_reo_wnd): one more step per round trip in which a
// D-SACK arrived, kept for 16 recoveries, then back to one step.
func (c *conn) updateRackReoWnd(priorDelivered uint32) {
	l := &c.lr
	if c.sysInt(netns.TCPRecovery)&rackStaticReoWnd != 0 || priorDelivered == 0 {
		return
	}
	if int32(priorDelivered-l.rack.lastDelivered) < 0 {
		l.rack.dsackSeen = false
	}
	if l.rack.dsackSeen {
		l.rack.reoWndSteps = min(0xff, max(l.rack.reoWndSteps, 1)+1)
		l.rack.dsackSeen = false
		l.rack.lastDelivered = l.delivered
		l.rack.reoWndPersist = rackRecoveryThresh
	} else if l.rack.reoWndPersist == 0 {
		l.rack.reoWndSteps = 1
	}
}
