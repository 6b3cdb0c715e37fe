package tcp

import (
	"fmt"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/seqnum"
	"github.com/gosock/gosock/wire"
)

// The retransmission queue: one record per segment sent and not yet
// cumulatively acknowledged, in sequence order, as Linux's skbs in
// tcp_rtx_queue with their tcp_skb_cb. The bytes themselves stay in
// c.sndBuf (which holds everything from sndUna on); a record says where a
// segment began and ended, when it last went out, what the SACK
// scoreboard knows of it and which of PSH and FIN it carried, so that a
// retransmission looks like the original.

// rtxFlags is a record's scoreboard state (tcp_skb_cb's sacked byte and
// the TCP flags it went out with).
type rtxFlags uint8

const (
	rtxSacked      rtxFlags = 1 << iota // TCPCB_SACKED_ACKED
	rtxRetransOut                       // TCPCB_SACKED_RETRANS: a retransmission is in flight
	rtxLost                             // TCPCB_LOST
	rtxEverRetrans                      // TCPCB_EVER_RETRANS
	rtxPSH                              // the segment carried PSH
	rtxFIN                              // the segment carried FIN (end includes it)
)

// rtxSeg is one segment in flight.
type rtxSeg struct {
	start, end uint32    // sequence range; end counts the FIN
	xmit       time.Time // last (re)transmission: RACK's clock
	flags      rtxFlags
}

func (r *rtxSeg) has(f rtxFlags) bool { return r.flags&f != 0 }

// dataLen is the payload length (the FIN takes sequence space, no data).
func (r *rtxSeg) dataLen() int {
	n := int(r.end - r.start)
	if r.has(rtxFIN) {
		n--
	}
	return n
}

// lossState is the sender's loss-recovery state: the retransmission
// queue, the scoreboard counts (packets_out is len(q)), RACK, PRR, undo
// and F-RTO. It lives in conn.
type lossState struct {
	// q is the queue, a window of qBase: records acknowledged leave from
	// its front by reslicing, and qPush moves the rest down only when the
	// tail reaches the array's end (rtxq.go).
	q, qBase []rtxSeg

	sackedOut  int // sacked_out
	lostOut    int // lost_out
	retransOut int // retrans_out

	// highSack is the end of the highest sacked segment (Linux's
	// tcp_highest_sack_seq), meaningful while sackedOut > 0.
	highSack uint32
	// ackTSEcr is the timestamp echo of the ACK being processed.
	ackTSEcr uint32

	reordering int    // tp->reordering, in segments
	reordSeen  uint32 // reord_seen: reordering events
	delivered  uint32 // segments delivered (acked or sacked)
	lost       uint32 // segments ever marked lost (tp->lost)
	dsackDups  uint32 // D-SACKed segments

	highSeq       uint32 // high_seq: sndNxt when recovery or loss began
	priorSsthresh uint32 // for undo
	prrDelivered  int
	prrOut        int

	// mstamp is the clock read once at the start of an ACK's processing
	// (tcp_mstamp_refresh), for every segment that ACK delivers.
	mstamp time.Time

	// The flags share undoMarker's word (apart, each took a word of
	// padding: the connection must stay in its size class, TestConnSize).
	undoMarker uint32 // sndUna when the episode began; 0: undo disabled
	undoActive bool   // undoMarker is set (0 can be a valid sequence)
	frto       bool   // F-RTO (RFC 5682) in progress after an RTO
	// tlpRetrans says the outstanding loss probe was a retransmission.
	tlpRetrans bool
	// headRetransmitted says the head went out again (and armed the RTO)
	// during the current event.
	headRetransmitted bool

	undoRetrans  int // retransmissions not yet D-SACKed; -1: none sent
	retransStamp time.Time

	minRTT time.Duration // tcp_min_rtt (the lowest sample seen)

	rack     rackState
	reoTimer clock.Timer

	// A D-SACK block waiting to be reported in the next ACK (tcp_dsack_set).
	dsackPending bool
	dsack        wire.SACKBlock
}

// useScoreboard says the connection counts its flight with the
// scoreboard (SACK negotiated, or loss recovery after an RTO); plain
// NewReno outside the Loss state keeps the byte-counting window of
// recovery.go.
func (c *conn) useScoreboard() bool { return c.sackOK || c.caState == caLoss }

// packetsInFlight is tcp_packets_in_flight: packets_out - left_out +
// retrans_out.
func (c *conn) packetsInFlight() int {
	l := &c.lr
	return len(l.q) - l.sackedOut - l.lostOut + l.retransOut
}

// rtxAdd records data that went out for the first time: one record per
// MSS-sized segment, so that a TSO super-segment is tracked as the
// segments the device cut it into (Linux fragments its skb the same way
// when SACKs or retransmissions split it); PSH and FIN belong to the
// last one.
func (c *conn) rtxAdd(start uint32, n int, flags wire.TCPFlags) {
	c.rtxAddSplit(start, n, max(c.mss, 1), flags)
}

// rtxAddSplit is rtxAdd cutting at mss bytes. The records share one
// transmit time, read once: the clock is not cheap enough to read per
// segment of a super-segment (tcp_mstamp is likewise read once per
// transmit and per ACK).
func (c *conn) rtxAddSplit(start uint32, n, mss int, flags wire.TCPFlags) {
	now := c.now()
	for {
		k := min(n, mss)
		r := rtxSeg{start: start, end: start + uint32(k), xmit: now}
		if k == n {
			if flags&wire.TCPFlagPSH != 0 {
				r.flags |= rtxPSH
			}
			if flags&wire.TCPFlagFIN != 0 {
				r.flags |= rtxFIN
				r.end++
			}
		}
		if r.end == r.start {
			return
		}
		c.lr.qPush(r)
		if c.inCwndReduction() {
			c.lr.prrOut++
		}
		if k == n {
			return
		}
		start += uint32(k)
		n -= k
	}
}

// rtxReset empties the queue (the connection is gone or restarts).
func (c *conn) rtxReset() {
	l := &c.lr
	l.q = l.q[:0]
	l.sackedOut, l.lostOut, l.retransOut = 0, 0, 0
	c.sndBuf.Reset()
	if l.reoTimer != nil {
		l.reoTimer.Stop()
	}
}

// ackFlags are what an ACK did, as tcp_ack's FLAG_* bits.
type ackFlags uint32

const (
	flagData             ackFlags = 1 << iota // carried data
	flagWinUpdate                             // updated the window
	flagDataAcked                             // acked new data
	flagRetransDataAcked                      // some of it had been retransmitted
	flagSynAcked
	flagDataSacked     // newly sacked data
	flagDSACKingAck    // carried a D-SACK
	flagSndUnaAdvanced // sndUna moved
	flagOrigSackAcked  // never-retransmitted data was (s)acked
	flagLostRetrans    // a retransmission was found lost
	flagSetXmitTimer   // re-arm TLP/RTO
	flagDSACKTLP       // the D-SACK covers the loss probe
	flagSACKReneging   // the ACK stopped short of a sacked segment
)

const (
	flagAcked           = flagDataAcked | flagSynAcked
	flagNotDup          = flagData | flagWinUpdate | flagAcked
	flagCAAlert         = flagDataSacked | flagDSACKingAck
	flagForwardProgress = flagAcked | flagDataSacked
)

// rtxClean drops the records the cumulative ACK covers (sndUna has
// already moved), as tcp_clean_rtx_queue: counts delivery, feeds RACK,
// and notices holes filled by original transmissions below the highest
// SACK: reordering.
func (c *conn) rtxClean(priorFack uint32) ackFlags {
	l := &c.lr
	var flag ackFlags
	una := seqnum.Value(c.sndUna)
	reord := c.sndNxt
	k := 0
	for k < len(l.q) {
		r := &l.q[k]
		if seqnum.Value(r.end).GreaterThan(una) {
			if seqnum.Value(r.start).LessThan(una) {
				r.start = c.sndUna // tcp_trim_head: the rest stays queued
			}
			break
		}
		if r.has(rtxRetransOut) {
			l.retransOut--
		}
		if r.has(rtxLost) {
			l.lostOut--
		}
		if r.has(rtxSacked) {
			l.sackedOut--
		} else {
			l.delivered++
			if !c.rackSpuriousRetrans(r) {
				c.rackAdvance(r)
			}
			if r.has(rtxEverRetrans) {
				flag |= flagRetransDataAcked
			} else {
				if seqnum.Value(r.end).LessThanEq(seqnum.Value(l.highSeq)) {
					flag |= flagOrigSackAcked
				}
				if seqnum.Value(r.start).LessThan(seqnum.Value(reord)) {
					reord = r.start
				}
			}
		}
		flag |= flagDataAcked
		k++
	}
	if k > 0 {
		clear(l.q[:k])
		l.q = l.q[k:]
	}
	if l.sackedOut <= 0 || len(l.q) == 0 {
		l.sackedOut = 0
	}
	if len(l.q) == 0 {
		c.chronoStop(chronoBusy) // chrono.go
	}
	// The peer acknowledged up to a segment it had sacked, not beyond:
	// it may have dropped what it sacked (reneging).
	if flag&flagDataAcked != 0 && len(l.q) > 0 && l.q[0].has(rtxSacked) {
		flag |= flagSACKReneging
	}
	if c.sackOK && flag&flagDataAcked != 0 && seqnum.Value(reord).LessThan(seqnum.Value(priorFack)) {
		c.checkSackReordering(reord, false)
	}
	return flag
}

// xmitRetransmitQueue retransmits segments marked lost while the
// congestion window has room (tcp_xmit_retransmit_queue).
func (c *conn) xmitRetransmitQueue() {
	l := &c.lr
	if len(l.q) == 0 {
		return
	}
	run := 0 // records before i in the retransmission being built
	for i := 0; i < len(l.q); i++ {
		if int(c.ccs.cwnd)-c.packetsInFlight() <= 0 {
			return
		}
		if l.retransOut >= l.lostOut {
			return
		}
		r := &l.q[i]
		if !r.has(rtxLost) || r.has(rtxSacked|rtxRetransOut) {
			run = 0
			continue
		}
		// Records that go back to back from one original TSO packet
		// are one retransmitted skb in Linux, sent with PSH when it has
		// several segments (wqueue.go).
		cont := c.rtxRunContinues(i, run)
		extra := wire.TCPFlags(0)
		if run > 0 && !cont {
			extra = wire.TCPFlagPSH
		}
		if !c.retransmitSegFlags(i, extra) {
			return
		}
		if cont {
			run++
		} else {
			run = 0
		}
		mib := c.p.ns.MIB
		if c.caState == caLoss {
			mib.Inc(netns.TCPExtTCPSlowStartRetrans)
		} else {
			mib.Inc(netns.TCPExtTCPFastRetrans)
		}
		if c.inCwndReduction() {
			l.prrOut++
		}
		if i == 0 && !c.reoPending() {
			c.armRTO()
			l.headRetransmitted = true
		}
	}
}

// retransmitSeg sends record i again (tcp_retransmit_skb) and marks it
// retransmitted; false if the device refused it (TCPRetransFail).
func (c *conn) retransmitSeg(i int) bool { return c.retransmitSegFlags(i, 0) }

// retransmitSegFlags is retransmitSeg adding flags to the record's own.
func (c *conn) retransmitSegFlags(i int, extra wire.TCPFlags) bool {
	l := &c.lr
	if !c.resendSegFlags(i, extra) {
		c.p.ns.MIB.Inc(netns.TCPExtTCPRetransFail)
		return false
	}
	r := &l.q[i]
	if !r.has(rtxRetransOut) {
		r.flags |= rtxRetransOut
		l.retransOut++
	}
	if l.retransStamp.IsZero() {
		l.retransStamp = r.xmit
	}
	if l.undoRetrans < 0 {
		l.undoRetrans = 0
	}
	l.undoRetrans++
	return true
}

// resendSeg puts record i on the wire again with the flags it first
// carried (__tcp_retransmit_skb), stamping its transmit time.
func (c *conn) resendSeg(i int) bool { return c.resendSegFlags(i, 0) }

// resendSegFlags is resendSeg adding flags to the record's own.
func (c *conn) resendSegFlags(i int, extra wire.TCPFlags) bool {
	r := &c.lr.q[i]
	off := int(r.start - c.sndUna)
	if c.synPending() {
		off-- // the SYN, unacknowledged, holds sndUna and no byte of sndBuf
	}
	n := r.dataLen()
	if off < 0 || off+n > c.sndBuf.Len() {
		return false
	}
	flags := wire.TCPFlagACK | extra
	if r.has(rtxPSH) {
		flags |= wire.TCPFlagPSH
	}
	if r.has(rtxFIN) {
		flags |= wire.TCPFlagFIN
	}
	if err := c.sendSegment(flags, r.start, c.sndBuf.View(off, n)); err != nil {
		return false
	}
	r = &c.lr.q[i]
	r.xmit = c.now()
	r.flags |= rtxEverRetrans
	c.p.ns.MIB.Inc(netns.TCPRetransSegs)
	c.totalRetrans++
	c.rttTiming = false // Karn
	return true
}

// markLost marks record i lost (tcp_mark_skb_lost); a retransmission
// that is lost again stops counting as in flight.
func (c *conn) markLost(i int) {
	l := &c.lr
	r := &l.q[i]
	if r.has(rtxSacked) {
		return
	}
	if r.has(rtxLost) {
		if r.has(rtxRetransOut) {
			r.flags &^= rtxRetransOut
			l.retransOut--
			c.p.ns.MIB.Inc(netns.TCPExtTCPLostRetransmit)
		}
		return
	}
	r.flags |= rtxLost
	l.lostOut++
	l.lost++
}

// synPending says our SYN is sent but not yet acknowledged: it holds
// sequence number sndUna, which no byte of sndBuf stands for. A
// simultaneous open closed before the handshake completes reaches
// FIN-WAIT-1 that way.
func (c *conn) synPending() bool {
	if c.sndUna != c.iss {
		return false
	}
	switch c.state {
	case SynSent, SynRecv, FinWait1, Closing, LastAck:
		return true
	}
	return false
}

// anyRetransDone is tcp_any_retrans_done.
func (c *conn) anyRetransDone() bool {
	l := &c.lr
	return l.retransOut > 0 || len(l.q) > 0 && l.q[0].has(rtxEverRetrans)
}

// zeroTime is the unset time (retrans_stamp 0).
var zeroTime time.Time

// lossInit sets up loss recovery for a connection reaching ESTABLISHED.
func (c *conn) lossInit() {
	l := &c.lr
	l.reordering = int(c.sysInt(netns.TCPReordering))
	l.rack.reoWndSteps = 1
	l.highSeq = c.sndNxt
}

// noteRTT keeps the minimum RTT (tcp_update_rtt_min; Linux windows it
// over tcp_min_rtt_wlen, 300 s by default).
func (l *lossState) noteRTT(m time.Duration) {
	if m <= 0 {
		m = time.Microsecond
	}
	if l.minRTT == 0 || m < l.minRTT {
		l.minRTT = m
	}
}

// lossInfo fills the TCP_INFO fields of the scoreboard (tcp_get_info).
func (c *conn) lossInfo(t *abi.TCPInfo) {
	l := &c.lr
	if len(l.q) > 0 {
		t.Unacked = uint32(len(l.q))
	}
	t.Sacked = uint32(l.sackedOut)
	t.Lost = uint32(l.lostOut)
	t.Retrans = uint32(l.retransOut)
	t.Reordering = uint32(c.reord())
	t.ReordSeen = l.reordSeen
	// tcpi_delivered counts the SYN (or SYN-ACK) once acknowledged, as
	// Linux's tp->delivered, then every data segment (s)acked.
	t.Delivered = l.delivered
	switch c.state {
	case Listen, SynSent, SynRecv, Close:
	default:
		if !c.synPending() {
			t.Delivered++
		}
	}
	t.DsackDups = l.dsackDups
	if l.minRTT > 0 {
		t.MinRTT = uint32(l.minRTT / time.Microsecond)
	}
}

// rtxCheck verifies the retransmission queue and the scoreboard counts
// (for CheckInvariants): records in order and contiguous from sndUna,
// within what was sent, and the counts equal to the marks.
func (c *conn) rtxCheck() error {
	l := &c.lr
	sacked, lost, retrans := 0, 0, 0
	for i := range l.q {
		r := &l.q[i]
		if !seqnum.Value(r.start).LessThan(seqnum.Value(r.end)) {
			return fmt.Errorf("retransmission record %d empty or reversed: %d-%d", i, r.start, r.end)
		}
		if i == 0 && seqnum.Value(r.start).LessThan(seqnum.Value(c.sndUna)) {
			return fmt.Errorf("retransmission queue starts at %d, before snd_una %d", r.start, c.sndUna)
		}
		if i > 0 && r.start != l.q[i-1].end {
			return fmt.Errorf("retransmission records %d and %d not contiguous", i-1, i)
		}
		if seqnum.Value(r.end).GreaterThan(seqnum.Value(c.sndMax)) {
			return fmt.Errorf("retransmission record %d ends at %d, beyond snd_max %d", i, r.end, c.sndMax)
		}
		if r.has(rtxSacked) {
			sacked++
		}
		if r.has(rtxLost) {
			lost++
		}
		if r.has(rtxRetransOut) {
			retrans++
		}
	}
	if sacked != l.sackedOut || lost != l.lostOut || retrans != l.retransOut {
		return fmt.Errorf("scoreboard counts sacked %d lost %d retrans %d, marks %d %d %d",
			l.sackedOut, l.lostOut, l.retransOut, sacked, lost, retrans)
	}
	return nil
}

// reord is tp->reordering: net.ipv4.tcp_reordering until reordering is
// seen (also for a connection that reached ESTABLISHED without
// lossInit).
func (c *conn) reord() int {
	if c.lr.reordering == 0 {
		return int(c.sysInt(netns.TCPReordering))
	}
	return c.lr.reordering
}
