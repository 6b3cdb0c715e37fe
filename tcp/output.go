package tcp

import (
	"time"

	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/seqnum"
	"github.com/gosock/gosock/wire"
)

// tsVal is our current timestamp: milliseconds (TCP_TS_HZ 1000) plus the
// connection's offset.
func (c *conn) tsVal() uint32 {
	return uint32(c.now().UnixMilli()) + c.tsOffset
}

// window returns the receive window to advertise, unscaled, and records
// it (tcp_select_window): the free receive-buffer space, never shrinking
// the right edge already offered.
func (c *conn) window() uint32 {
	free := c.selectWindow()
	c.rcvWnd = free
	c.rcvWup = c.rcvNxt
	return free
}

// selectWindow computes the window window() would advertise, without
// recording it (__tcp_select_window).
func (c *conn) selectWindow() uint32 {
	space := winFromSpace(c.sk.S.RcvBuf(), defaultScalingRatio) - c.rcvQ.Len()
	if space < 0 {
		space = 0
	}
	free := uint32(space)
	if c.windowClmp != 0 {
		free = min(free, c.windowClmp)
	}
	// The window opens only as far as rcv_ssthresh, which grows with the
	// data received (tcp_grow_window).
	if c.rcvSsthresh != 0 {
		free = min(free, c.rcvSsthresh)
	}
	// Offer whole units of the window scale.
	free = free >> c.rcvWscale << c.rcvWscale
	// Never shrink the edge already offered (RFC 7323 2.4): keep it,
	// rounded up to the scale's unit, as tcp_select_window's
	// ALIGN(cur_win, 1 << rcv_wscale). Rounding it down would refuse
	// data the peer was allowed to send.
	if c.rcvWnd != 0 {
		if cur := int32(c.rcvWup + c.rcvWnd - c.rcvNxt); cur > int32(free) {
			unit := uint32(1) << c.rcvWscale
			free = (uint32(cur) + unit - 1) &^ (unit - 1)
		}
	}
	return free
}

// sendSegment builds and sends one segment with the connection's
// options (tcp_transmit_skb). The error is the device's (a full queue:
// local congestion), which retransmissions heed.
func (c *conn) sendSegment(flags wire.TCPFlags, seq uint32, payload []byte) error {
	return c.sendSegmentGSO(flags, seq, payload, 0)
}

// sendSegmentGSO is sendSegment for a payload that may be a TSO
// super-segment to be cut into gso-byte segments (tso.go); gso 0 means
// one segment.
func (c *conn) sendSegmentGSO(flags wire.TCPFlags, seq uint32, payload []byte, gso int) error {
	f := wire.TCPFields{
		SrcPort: c.local.Port(), DstPort: c.remote.Port(),
		Seq: seq, Flags: flags,
	}
	c.urgentFields(&f)
	var opts wire.TCPOptions
	tos := uint8(0)
	if flags&wire.TCPFlagSYN != 0 {
		if c.retrans == 0 {
			c.synSent = c.now()
		}
		f.Flags = c.ecnSynFlags(f.Flags)
		c.synOptions(&opts, flags&wire.TCPFlagACK != 0)
		c.synAckFastOpen(&opts)
		if flags&wire.TCPFlagACK == 0 {
			c.synFastOpenOption(&opts)
		}
		// The window in a SYN is the initial one, never scaled.
		f.Window = uint16(min(c.rcvWnd, 0xffff))
	} else {
		if c.tsOK {
			opts.HasTimestamps = true
			opts.TSVal = c.tsVal()
			opts.TSEcr = c.tsRecent
		}
		if c.sackOK && (len(c.ooo) > 0 || c.lr.dsackPending) {
			c.sackBlocks(&opts)
			c.fitSACK(&opts, segLen(len(payload), gso))
		}
		f.Window = uint16(min(c.window()>>c.rcvWscale, 0xffff))
		tos = c.ecnSend(&f, len(payload))
	}
	if flags&wire.TCPFlagACK != 0 {
		f.Ack = c.rcvNxt
		c.ackSent()
	}
	f.Opts = &opts
	if len(payload) > 0 {
		c.dataSentEvent() // interactive mode (delack.go)
		c.noteDataSent()  // lsndtime (wqueue.go)
	}
	c.segsOut += uint32(gsoSegs(len(payload), gso))
	var confirm time.Time
	if c.dstConfirm {
		confirm = c.now()
	}
	err := c.p.transmitGSO(c.local.Addr(), c.remote.Addr(), &f, payload, tos, gso, c.dontFragment(), confirm, c)
	c.dstConfirm = false
	if err == nil {
		if len(payload) > 0 || flags&(wire.TCPFlagSYN|wire.TCPFlagFIN) != 0 {
			c.ccs.noteSend(c)
		}
	}
	return err
}

// synOptions fills the options of a SYN or SYN-ACK in the order Linux
// writes them: MSS, SACK-permitted with timestamps, window scale.
func (c *conn) synOptions(o *wire.TCPOptions, synAck bool) {
	o.HasMSS = true
	o.MSS = uint16(c.advMSS)
	if !synAck || c.tsOK {
		if c.tsOK {
			o.HasTimestamps = true
			o.TSVal = c.tsVal()
			o.TSEcr = c.tsRecent
		}
	}
	if !synAck || c.sackOK {
		o.SACKPermitted = c.sackOK
	}
	if c.wsOK {
		o.HasWScale = true
		o.WScale = c.rcvWscale
	}
}

// sackBlocks reports the out-of-order data held, most recent first as
// Linux does (up to 4 blocks, 3 with timestamps).
func (c *conn) sackBlocks(o *wire.TCPOptions) {
	max := 4
	if o.HasTimestamps {
		max = 3
	}
	n := 0
	// A D-SACK block goes first (RFC 2883), once.
	if b, ok := c.dsackBlock(); ok {
		o.SACKBlocks[n] = b
		n++
	}
	for i := len(c.ooo) - 1; i >= 0 && n < max; i-- {
		s := c.ooo[i]
		o.SACKBlocks[n] = wire.SACKBlock{Start: s.seq, End: s.seq + uint32(len(s.data))}
		n++
	}
	o.NumSACK = n
}

// sendAck sends a bare ACK now (tcp_send_ack).
func (c *conn) sendAck() {
	c.sendSegment(wire.TCPFlagACK, c.sndNxt, nil)
}

// ackSent clears the delayed-ACK state after any segment carrying an ACK.
func (c *conn) ackSent() {
	c.ackPending = 0
	if c.delackTimer != nil {
		c.delackTimer.Stop()
	}
	c.dack.delackAt = 0
	if c.quickAcks > 0 {
		c.quickAcks--
	}
}

// output sends what the windows allow of the queued data and the FIN
// (tcp_write_xmit), applying Nagle's algorithm unless TCP_NODELAY.
func (c *conn) output() {
	switch c.state {
	case Established, CloseWait, FinWait1, Closing, LastAck:
	case SynRecv:
		if !c.tfo.child { // a Fast Open child sends before the handshake ends
			return
		}
	default:
		return
	}
	if c.wq != nil && c.sndMax == c.sndUna && c.sndBuf.Len() > 0 {
		c.idleRestart() // slow start after idle (wqueue.go)
	}
	mss := c.sendMSS()
	goal := mss // a TSO super-segment's most payload (tso.go)
	if c.sndBuf.Len()-int(c.sndNxt-c.sndUna) > mss && !c.urgMode() {
		goal = c.tsoGoal(mss)
	}
	sent := 0
	defer func() {
		c.chronoAfterXmit(mss) // chrono.go
		if sent > 0 {
			c.cwndValidate(mss)
			c.scheduleLossProbe(mss)
			// Sending lowers the unsent bytes TCP_NOTSENT_LOWAT
			// counts: tcp_data_snd_check runs tcp_check_space after
			// the push.
			c.wakeWriters()
		}
	}()
	for burst := 0; ; {
		off := int(c.sndNxt - c.sndUna)
		avail := c.sndBuf.Len() - off
		if avail < 0 {
			avail = 0
		}
		// How much the congestion and receive windows allow. Duplicate
		// ACKs before recovery each mean a segment has left the network
		// (Linux counts them as sacked_out), which is what lets limited
		// transmit (RFC 3042) send new data on the first two.
		cwndBytes := int(c.ccs.cwnd) * mss
		inFlight := int(c.inFlight())
		if c.caState == caOpen && c.dupAcks > 0 {
			inFlight = max(inFlight-min(c.dupAcks, 2)*mss, 0)
		}
		rwnd := int(c.sndUna + c.sndWnd - c.sndNxt)
		cwndRoom := cwndBytes - inFlight
		if c.useScoreboard() {
			// Packets, as tcp_cwnd_test: the flight is what the
			// scoreboard says is still in the network.
			cwndRoom = (int(c.ccs.cwnd) - c.packetsInFlight()) * mss
		}
		room := min(cwndRoom, rwnd)
		if avail == 0 {
			if c.finQueued && !c.finSent {
				c.sendFin()
				c.finAlone = true
				sent++
			}
			return
		}
		n := min(avail, mss)
		if goal > mss && int32(c.sndNxt-c.sndMax) >= 0 {
			n = min(avail, goal, c.tsoCwndQuota(mss))
		}
		if room < n {
			if room <= 0 || room < mss && room < avail {
				if c.inFlight() == 0 {
					// Nothing in flight to bring a window update: the
					// persist timer probes (tcp_check_probe_timer).
					c.armRTO()
				}
				return
			}
			n = room
			if n > mss {
				n -= n % mss // the per-MSS path stops at the last full one
			}
		}
		// A record written with MSG_EOR ends a segment (no coalescing
		// across it, as tcp_skb_can_collapse_to).
		seq := c.sndNxt
		record := false
		if b, ok := c.nextEOR(seq); ok && int(b-seq) <= n {
			n = int(b - seq)
			record = true
		}
		// New data takes its PSH from the skbs of the write queue it
		// covers (wqueue.go). A TSO packet may take in the following
		// skbs (tcp_grow_skb), so their ends do not cut it.
		newData := int32(seq-c.sndMax) >= 0
		// Nagle (RFC 896): hold a small segment while data is unacked;
		// TCP_CORK holds it regardless.
		if !record {
			n = c.tsoSplit(n, mss)
		}
		pcount := gsoSegs(n, mss)
		last := n == avail
		if n < mss && !record && !(last && c.finQueued) && !c.urgMode() && (c.opts.cork || c.inFlight() > 0 && !c.nodelay && c.minshallCheck()) {
			return
		}
		payload := c.sndBuf.View(off, n)
		flags := wire.TCPFlagACK
		// PSH marks the end of what the user wrote and of a record, and
		// the last segment of a burst the windows end, when it completes a
		// TSO-sized chunk: the pattern Linux's segments show (tcp_push on
		// the last skb, TSO packets cut at tcp_tso_autosize). A chunk cut
		// short by the windows carries none.
		roomAfter := room - n
		if c.useScoreboard() {
			roomAfter = min(cwndRoom-pcount*mss, rwnd-n)
		}
		burstEnd := burst+pcount > 1 && !c.moreFits(avail-n, roomAfter, mss)
		if newData {
			// Linux 6.18 sends every TSO packet of several segments with
			// PSH, and the end of an skb marked by tcp_push or
			// forced_push (wqueue.go). Without a GSO device the last
			// segment of a burst stands for the TSO packet Linux would
			// have built.
			if record || pcount > 1 || c.skbPushIn(seq, n) || goal == mss && burstEnd {
				flags |= wire.TCPFlagPSH
			}
		} else if last || record || burstEnd {
			flags |= wire.TCPFlagPSH
		}
		fin := last && c.finQueued && !c.finSent
		if fin {
			flags |= wire.TCPFlagFIN
		}
		if int32(seq-c.sndMax) < 0 {
			c.p.ns.MIB.Inc(netns.TCPRetransSegs)
		}
		c.startRTT(seq)
		var xerr error
		if pcount > 1 {
			xerr = c.sendSegmentGSO(flags, seq, payload, mss)
		} else {
			xerr = c.sendSegment(flags, seq, payload)
		}
		if xerr != nil && newData {
			c.xmitRefused(seq, xerr) // probe0.go
			return
		}
		if pcount > 1 {
			c.rtxAddTSO(seq, n, mss, flags)
		} else {
			c.rtxAdd(seq, n, flags)
		}
		if newData {
			c.minshallUpdate(seq, n, mss) // nagle.go
		}
		sent++
		burst += pcount
		c.sndNxt += uint32(n)
		if fin {
			c.finSent = true
			c.sndNxt++
		}
		if int32(c.sndNxt-c.sndMax) > 0 {
			c.sndMax = c.sndNxt
		}
		if newData && goal > mss {
			c.noteChunkSent(seq + uint32(n)) // tso_fragment's skb
		}
		c.armRTOIfIdle()
		if fin {
			return
		}
	}
}

// packetsOut is the number of segments in flight.
func (c *conn) packetsOut(mss int) uint32 {
	return (c.inFlight() + uint32(mss) - 1) / uint32(mss)
}

// cwndValidate records how fully the window is used (tcp_cwnd_validate):
// congestion control grows cwnd only while the sender is cwnd-limited.
func (c *conn) cwndValidate(mss int) {
	out := c.packetsOut(mss)
	limited := out >= c.ccs.cwnd
	if seqnum.Value(c.sndUna).GreaterThanEq(seqnum.Value(c.cwndUsageSeq)) || limited ||
		!c.isCwndLimited && out > c.maxPacketsOut {
		c.isCwndLimited = limited
		c.maxPacketsOut = out
		c.cwndUsageSeq = c.sndNxt
	}
	c.chronoSndbufCheck() // chrono.go
}

// cwndLimited is tcp_is_cwnd_limited: the window was used up, or in slow
// start, cwnd is below twice the most segments out.
func (c *conn) cwndLimited() bool {
	if c.isCwndLimited {
		return true
	}
	return c.ccs.inSlowStart() && c.ccs.cwnd < 2*c.maxPacketsOut
}

// moreFits reports whether output would send another segment after this
// one, given what is left to send and the room left in the windows.
func (c *conn) moreFits(left, room, mss int) bool {
	if left <= 0 {
		return false
	}
	n := min(left, mss)
	if room < n && (room <= 0 || room < mss && room < left) {
		return false
	}
	if n < mss && !c.finQueued && (c.opts.cork || !c.nodelay && c.minshallCheck()) {
		return false // Nagle holds it: data will be in flight
	}
	return true
}

// nextEOR returns the first record boundary after seq.
func (c *conn) nextEOR(seq uint32) (uint32, bool) {
	for _, b := range c.eorEnds {
		if int32(b-seq) > 0 {
			return b, true
		}
	}
	return 0, false
}

// sendFin sends a FIN once all data is out (tcp_send_fin).
func (c *conn) sendFin() {
	c.startRTT(c.sndNxt)
	c.sendSegment(wire.TCPFlagFIN|wire.TCPFlagACK, c.sndNxt, nil)
	c.rtxAdd(c.sndNxt, 0, wire.TCPFlagFIN)
	c.finSent = true
	c.sndNxt++
	if int32(c.sndNxt-c.sndMax) > 0 {
		c.sndMax = c.sndNxt
	}
	c.armRTOIfIdle()
}

// startRTT times a segment for an RTT sample when timestamps are off
// (Karn's algorithm: never a retransmitted one).
func (c *conn) startRTT(seq uint32) {
	if c.tsOK || c.rttTiming || int32(seq-c.sndMax) < 0 {
		return
	}
	c.rttTiming = true
	c.rttSeq = seq
	c.rttStart = c.now()
}

// noteSend tells congestion control about a transmission.
func (s *ccState) noteSend(c *conn) {
	if cu, ok := c.cc.(*cubic); ok {
		if c.inFlight() == 0 {
			s.now = c.now()
			cu.cwndEvent(s, evTxStart)
		}
		cu.noteSend(c.now())
	}
}

// currentRTO is the retransmission timeout with backoff.
func (c *conn) currentRTO() time.Duration {
	rto := c.rtt.rto()
	for i := 0; i < c.backoff && rto < RTOMax; i++ {
		rto *= 2
	}
	return min(rto, RTOMax)
}
