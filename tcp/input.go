package tcp

import (
	"net/netip"
	"time"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/seqnum"
	"github.com/gosock/gosock/waitq"
	"github.com/gosock/gosock/wire"
)

// segment is an arriving segment, parsed once.
type segment struct {
	seq, ack uint32
	flags    wire.TCPFlags
	wnd      uint32 // unscaled window field
	opts     wire.TCPOptions
	payload  []byte
	urg      uint16 // urgent pointer field (urgent.go)
	ecn      uint8  // the IP header's ECN codepoint (ecn.go)
}

func (s *segment) has(f wire.TCPFlags) bool { return s.flags&f != 0 }

// seqLen is the sequence space the segment occupies.
func (s *segment) seqLen() uint32 {
	n := uint32(len(s.payload))
	if s.has(wire.TCPFlagSYN) {
		n++
	}
	if s.has(wire.TCPFlagFIN) {
		n++
	}
	return n
}

func parseSegment(t wire.TCP) segment {
	s := segment{seq: t.Seq(), ack: t.Ack(), flags: t.Flags(), wnd: uint32(t.Window()), payload: t.Payload(), urg: t.Urgent()}
	_ = wire.ParseTCPOptions(t.Options(), &s.opts) // malformed options are skipped, as Linux does
	return s
}

// input processes a segment for this connection (tcp_rcv_state_process
// and tcp_rcv_established, in RFC 9293 3.10.7 order). Called with c.mu
// held.
func (c *conn) input(s *segment, local, remote netip.AddrPort) {
	if c.state != Listen { // a listener lets its lock go to make a child
		defer c.endEvent(c.beginEvent())
	}
	c.segsIn++
	c.lastRecv = c.now()
	c.probes = 0
	switch c.state {
	case Close:
		c.p.sendResetFor(s, local, remote)
		return
	case Listen:
		c.listenInput(s, local, remote)
		return
	case SynSent:
		c.synSentInput(s)
		return
	case TimeWait:
		if c.timeWaitSyn(s, local, remote) {
			return // a new connection took over (timewait.go)
		}
	}
	mib := c.p.ns.MIB

	// PAWS (RFC 7323 5): an old timestamp marks an old duplicate.
	if c.tsOK && s.opts.HasTimestamps && !s.has(wire.TCPFlagRST) &&
		int32(s.opts.TSVal-c.tsRecent) < 0 {
		if c.state == TimeWait { // counted as a TIME-WAIT record counts it (twsock.go)
			mib.Inc(netns.TCPExtPAWSTimewait)
			mib.Drop(netns.DropTCPRFC7323TWPAWS)
		} else {
			mib.Inc(netns.TCPExtPAWSEstab)
			mib.Drop(netns.DropTCPRFC7323PAWS)
		}
		c.sendAck()
		return
	}
	// A retransmitted SYN in SYN-RECEIVED (our SYN-ACK was lost) gets the
	// SYN-ACK again, before the sequence check would answer its
	// out-of-window sequence with a bare ACK (tcp_check_req).
	if c.state == SynRecv && s.flags == wire.TCPFlagSYN && s.seq == c.irs {
		c.sendSegment(wire.TCPFlagSYN|wire.TCPFlagACK, c.iss, nil)
		return
	}
	// The peer's SYN again, now with the ACK of ours, in a simultaneous
	// open (tcp_validate_incoming lets it pass): it completes the
	// handshake, and its SYN, already taken, is reported as a duplicate.
	dupSyn := c.simultaneousSynAck(s)
	// 1. Sequence number acceptability (RFC 9293 3.10.7.4, table).
	if !dupSyn && !c.acceptable(s) {
		if !s.has(wire.TCPFlagRST) {
			c.dupDataDSACK(s)
			c.sendAck()
		}
		mib.Drop(netns.DropTCPInvalidSequence)
		return
	}
	// 2. RST: exactly at rcvNxt resets; elsewhere in the window earns a
	// challenge ACK (RFC 5961 3.2).
	if s.has(wire.TCPFlagRST) {
		if s.seq != c.rcvNxt {
			c.challengeAck()
			return
		}
		c.reset()
		return
	}
	// 4. A SYN in a synchronized state: challenge ACK (RFC 5961 4.2).
	if s.has(wire.TCPFlagSYN) && !dupSyn {
		if c.state == SynRecv && s.seq == c.irs {
			c.sendSegment(wire.TCPFlagSYN|wire.TCPFlagACK, c.iss, nil) // retransmitted SYN
			return
		}
		c.challengeAck()
		return
	}
	// 5. ACK.
	if !s.has(wire.TCPFlagACK) {
		mib.Drop(netns.DropTCPFlags)
		return
	}
	if c.tsOK && s.opts.HasTimestamps && seqnum.Value(s.seq).LessThanEq(seqnum.Value(c.rcvWup)) {
		c.tsRecent = s.opts.TSVal
	}
	if c.state == SynRecv && c.tfo.child && !c.fastOpenEstablish(s) {
		return
	}
	if c.state == SynRecv {
		if !seqnum.Value(s.ack).InRange(seqnum.Value(c.sndUna+1), seqnum.Value(c.sndNxt+1)) {
			c.p.sendResetFor(s, c.local, c.remote)
			return
		}
		if c.parent != nil && !c.admitChild(s) {
			return // listener gone, accept queue full or TCP_DEFER_ACCEPT (reqsk.go)
		}
		if c.parent == nil && c.sndUna == c.iss {
			// A simultaneous open: the data our SYN carried (Fast
			// Open) leaves the send queue as it is acknowledged.
			c.sndBuf.Consume(min(int(s.ack-c.iss-1), c.sndBuf.Len()))
		}
		c.sndUna = s.ack
		c.sndWnd = s.wnd << c.sndWscale
		c.sndWl1, c.sndWl2 = s.seq, s.ack
		c.releaseRTO() // (a SYN cookie's child never had one)
		c.handshakeRTT(s)
		c.backoff, c.retrans = 0, 0
		c.setState(Established)
		c.established()
		if c.state == Close {
			return // the listener closed meanwhile and the child was reset
		}
	}
	if !c.ackInput(s) {
		return
	}
	if dupSyn {
		c.dsackSet(s.seq, s.seq+1) // tcp_data_queue: a retransmit
		c.enterQuickAck(maxQuickAcks)
		c.sendAck()
	}
	// 6. Urgent data (tcp_urg).
	if s.has(wire.TCPFlagURG) || c.urg.data == urgNotYet {
		c.urgInput(s)
	}
	// 7. Data.
	if c.dataAfterClose(s) {
		return
	}
	if len(s.payload) > 0 || s.has(wire.TCPFlagFIN) {
		switch c.state {
		case Established, FinWait1, FinWait2:
			c.dataInput(s)
		default:
			// Data after our side has received a FIN is ignored.
		}
	}
	c.output()
}

// acceptable is the segment acceptability test of RFC 9293 3.10.7.4.
func (c *conn) acceptable(s *segment) bool {
	// RCV.WND is what is left of the window last offered, from rcv_nxt
	// to its right edge (tcp_receive_window), not the whole of it: data
	// past the edge is out of the window.
	wnd := uint32(max(int32(c.rcvWup+c.rcvWnd-c.rcvNxt), 0))
	seq, n := seqnum.Value(s.seq), s.seqLen()
	nxt := seqnum.Value(c.rcvNxt)
	switch {
	case n == 0 && wnd == 0:
		return seq == nxt
	case n == 0:
		return seq.InWindow(nxt, seqnum.Size(wnd))
	case wnd == 0:
		return false
	}
	end := seq.Add(seqnum.Size(n - 1))
	return seq.InWindow(nxt, seqnum.Size(wnd)) || end.InWindow(nxt, seqnum.Size(wnd)) ||
		// A segment starting before the window but overlapping it.
		seq.LessThan(nxt) && end.GreaterThanEq(nxt)
}

// challengeAck sends a challenge ACK (RFC 5961), limited per second by
// tcp_challenge_ack_limit.
func (c *conn) challengeAck() {
	c.p.ns.MIB.Inc(netns.TCPExtTCPChallengeACK)
	c.sendAck()
}

// reset handles an acceptable RST (tcp_reset): ECONNREFUSED in SYN-SENT,
// EPIPE after our FIN, ECONNRESET otherwise.
func (c *conn) reset() {
	e := errno.ECONNRESET
	switch c.state {
	case SynSent:
		e = errno.ECONNREFUSED
	case CloseWait:
		e = errno.EPIPE
	case TimeWait:
		c.done()
		return
	case SynRecv:
		if c.tfo.child {
			break // a Fast Open child: reset, as any connection (ECONNRESET)
		}
		if c.parent != nil {
			c.p.ns.MIB.Inc(netns.TCPAttemptFails)
			c.parent.removeSynRecv(c)
			c.done()
			return
		}
		e = errno.ECONNREFUSED
	}
	c.abort(e)
}

// ackInput processes the acknowledgment field (tcp_ack). It reports
// whether processing should go on.
func (c *conn) ackInput(s *segment) bool {
	ack := seqnum.Value(s.ack)
	if ack.GreaterThan(seqnum.Value(c.sndMax)) {
		// ACK of data never sent: ACK back and drop (RFC 9293, RFC 5961 5).
		c.p.ns.MIB.Drop(netns.DropTCPAckUnsentData)
		c.sendAck()
		return false
	}
	if ack.LessThan(seqnum.Value(c.sndUna)) {
		// An ACK older than anything the peer could still hold (RFC 5961
		// 5.2, tcp_ack's TOO_OLD_ACK): blind injection; challenge and drop.
		if ack.LessThan(seqnum.Value(c.sndUna - c.maxWindow)) {
			c.p.ns.MIB.Drop(netns.DropTCPTooOldAck)
			c.challengeAck()
			return false
		}
		// An old duplicate ACK: ignore the ack field, keep the data.
		return true
	}
	c.lr.mstamp = c.now()
	oldWnd := c.sndWnd
	// What the ACK does to the scoreboard is judged against the state
	// before it (tcp_ack's prior_* values).
	priorSndUna, priorFack := c.sndUna, c.fack()
	priorDelivered, priorLost := c.lr.delivered, c.lr.lost
	flag := c.ackFlagsFor(s)
	c.ecnAck(s) // ECE: the CWR state (ecn.go)
	c.lr.ackTSEcr = 0
	if c.tsOK && s.opts.HasTimestamps {
		c.lr.ackTSEcr = s.opts.TSEcr
	}
	// Window update (RFC 9293 3.10.7.4 step 5, SND.WL1/WL2 rule).
	if seqnum.Value(c.sndWl1).LessThan(seqnum.Value(s.seq)) ||
		c.sndWl1 == s.seq && seqnum.Value(c.sndWl2).LessThanEq(ack) {
		c.sndWnd = s.wnd << c.sndWscale
		c.sndWl1, c.sndWl2 = s.seq, s.ack
		c.maxWindow = max(c.maxWindow, c.sndWnd)
	}
	var sacked sackRTT // transmit times of what the SACKs newly cover (rttsample.go)
	if c.sackOK && s.opts.NumSACK > 0 {
		flag |= c.sackTag(s, priorSndUna, &sacked)
	}
	acked := s.ack - c.sndUna
	if acked != 0 || flag&flagDataSacked != 0 || flag&flagNotDup == 0 {
		// Forward progress, or a duplicate ACK, proves the path works:
		// the next segment out confirms the neighbour (tcp_ack's
		// sk_dst_confirm).
		c.dstConfirm = true
	}
	if acked == 0 {
		c.sackRTTSample(s, &sacked)
		if c.useScoreboard() {
			c.lossAck(priorSndUna, priorDelivered, priorLost, flag)
		} else {
			c.dupAck(s, oldWnd)
		}
		return true
	}
	c.bytesAcked += uint64(acked)
	if c.sk != nil {
		c.sk.S.SetSoftError(0) // something got through (tcp_ack)
	}
	// Data acknowledged: trim the send buffer (the FIN takes no space).
	c.rttSample(s, &sacked)
	dataAcked := acked
	if c.finSent && s.ack == c.sndNxt && c.finQueued {
		dataAcked-- // the FIN's sequence number
	}
	n := min(int(dataAcked), c.sndBuf.Len())
	c.sndBuf.Consume(n)
	c.sndUna = s.ack
	if int32(c.sndNxt-c.sndUna) < 0 {
		c.sndNxt = c.sndUna
	}
	for len(c.eorEnds) > 0 && int32(c.eorEnds[0]-c.sndUna) <= 0 {
		c.eorEnds = c.eorEnds[1:]
	}
	flag |= flagSndUnaAdvanced | flagSetXmitTimer | c.rtxClean(priorFack)
	c.lossProbeAcked()
	if c.tlpTimer != nil && c.sndUna == c.sndNxt {
		c.tlpTimer.Stop()
	}
	c.backoff, c.retrans = 0, 0
	// Congestion control sees the acked segments, outside recovery.
	mss := uint32(max(c.mss, 1))
	segs := (acked + mss - 1) / mss
	c.ccs.now = c.now()
	c.ccs.sndUna, c.ccs.sndNxt = c.sndUna, c.sndNxt
	c.ccs.cwndLimited = c.cwndLimited()
	if c.useScoreboard() {
		flag = c.lossAck(priorSndUna, priorDelivered, priorLost, flag)
	} else if !c.recoveryAck() {
		// Segments the duplicate ACKs already reported delivered are not
		// counted twice (Linux's Reno sacked_out and delivered).
		if c.caState == caOpen {
			segs -= min(uint32(c.dupAcks), segs-1)
		}
		c.dupAcks = 0
		before := c.ccs.cwnd
		if !c.cwrAckReno(segs) {
			c.cc.congAvoid(&c.ccs, segs)
		}
		if c.ccs.cwnd > before {
			c.sndbufExpand() // tcp_new_space after the window grew
		}
	}
	if c.sndUna == c.sndNxt {
		c.stopRTO()
		c.stopReo()
	} else if flag&flagSetXmitTimer != 0 {
		c.setXmitTimer()
	}
	if n > 0 {
		c.wakeWriters() // tcp_check_space
	}
	finAcked := c.finSent && c.sndUna == c.sndNxt
	switch c.state {
	case FinWait1:
		if finAcked {
			c.setState(FinWait2)
			if c.orphan {
				if c.fw2Swap(s) {
					return false // a record holds FIN-WAIT-2 (twsock.go)
				}
				c.armWait(time.Duration(c.sysInt(netns.TCPFinTimeout)) * time.Second)
			}
			c.notify(waitq.EventOut)
		}
	case Closing:
		if finAcked {
			c.enterTimeWait()
			return false
		}
	case LastAck:
		if finAcked {
			c.done()
			return false
		}
	}
	return true
}

// handshakeRTT takes the RTT of the handshake: from the timestamp echo,
// or from the SYN (SYN-ACK) if it was not retransmitted (Karn).
func (c *conn) handshakeRTT(s *segment) {
	var m time.Duration
	switch {
	case c.tsOK && s.opts.HasTimestamps && s.opts.TSEcr != 0:
		m = time.Duration(c.tsVal()-s.opts.TSEcr) * time.Millisecond
	case c.retrans == 0 && !c.synSent.IsZero():
		m = c.now().Sub(c.synSent)
	default:
		return
	}
	if m <= 0 {
		m = time.Microsecond
	}
	c.rtt.sample(m, c.sndUna, c.sndNxt)
	c.lr.noteRTT(m)
	c.ccs.srtt = c.rtt.srtt()
}

// rttSample measures the RTT from the segments the ACK covers
// (rttsample.go), else from the timestamp echo or the timed segment
// (tcp_ack_update_rtt).
func (c *conn) rttSample(s *segment, sacked *sackRTT) {
	var m time.Duration
	seqRTT, caRTT, fromSegs := c.ackedRTT(s.ack)
	if sackRTT, sackCA, ok := sacked.sample(c.now()); ok {
		// tcp_clean_rtx_queue: the newest sacked segment gives
		// congestion control its sample; the oldest stands in for the
		// cumulative one when that gave none.
		if !fromSegs {
			seqRTT, fromSegs = sackRTT, true
		}
		caRTT = sackCA
	}
	switch {
	case fromSegs:
		m = seqRTT
		c.rttTiming = false
	case c.tsOK && s.opts.HasTimestamps && s.opts.TSEcr != 0:
		m = time.Duration(c.tsVal()-s.opts.TSEcr) * time.Millisecond
	case c.rttTiming && seqnum.Value(s.ack).GreaterThan(seqnum.Value(c.rttSeq)):
		m = c.now().Sub(c.rttStart)
		c.rttTiming = false
	default:
		return
	}
	if m < 0 {
		return
	}
	if m == 0 {
		m = time.Microsecond
	}
	if !fromSegs {
		caRTT = m
	}
	c.rtt.sample(m, c.sndUna, c.sndNxt)
	c.lr.noteRTT(caRTT)
	c.ccs.srtt = c.rtt.srtt()
	// Congestion control sees the ACK's snd_una, as pkts_acked runs
	// after tcp_ack moved it (HyStart's round ends by it).
	c.ccs.now = c.now()
	c.ccs.sndUna, c.ccs.sndNxt = s.ack, c.sndNxt
	c.cc.pktsAcked(&c.ccs, ackSample{rtt: caRTT})
}

// dataInput queues in-order data, keeps out-of-order data, and handles
// a FIN once everything before it has arrived (tcp_data_queue).
func (c *conn) dataInput(s *segment) {
	seq := s.seq
	data := s.payload
	// Trim what we already have.
	if d := int32(c.rcvNxt - seq); d > 0 {
		if len(data) > 0 {
			c.dsackSet(seq, c.rcvNxt) // partly a duplicate
		}
		if int(d) >= len(data) {
			data = nil
		} else {
			data = data[d:]
		}
		seq = c.rcvNxt
	}
	// And what lies beyond the window.
	if max := int(c.rcvWup + c.rcvWnd - seq); len(data) > max && max >= 0 {
		data = data[:max]
	}
	fin := s.has(wire.TCPFlagFIN) && len(data) == len(s.payload)-int(int32(seq-s.seq))
	c.ecnData(s, len(data) > 0)
	if seq != c.rcvNxt {
		// Out of order: keep it and tell the sender at once (a duplicate
		// ACK, with SACK blocks when negotiated).
		if len(data) > 0 && !c.rcvSchedule(len(data), true) {
			c.sendAck()
			return
		}
		if len(data) > 0 || fin {
			c.addOOO(oooSeg{seq: seq, data: append([]byte(nil), data...), fin: fin})
			c.p.ns.MIB.Inc(netns.TCPExtTCPOFOQueue)
		}
		c.sendAck()
		return
	}
	if len(data) > 0 && !c.rcvSchedule(len(data), false) {
		c.sendAck() // tcp_data_queue drops it and ACKs (out of memory)
		return
	}
	if len(data) > 0 {
		c.rcvQ.Append(data, c.sk.S.RcvBuf())
		c.rcvNxt += uint32(len(data))
		c.bytesReceived += uint64(len(data))
		c.growWindow(len(data))
		c.dataRecvEvent()
	}
	if fin {
		c.finInput()
	}
	c.drainOOO()
	// tcp_data_ready: readers are woken once SO_RCVLOWAT bytes are there.
	if c.finRcvd || len(data) > 0 && c.readReady(c.rcvQ.Len()) {
		c.notify(waitq.EventIn | waitq.EventRdNorm)
	}
	// ACK now when asked to once, for a FIN, out-of-order fill, quick-ack
	// mode (not while interactive: delack.go) or every second full
	// segment; otherwise delay it (tcp_event_data_recv, __tcp_ack_snd_check).
	c.ackPending++
	if c.state == TimeWait || c.state == Close {
		// tcp_fin acknowledged the FIN on the way in: one ACK, not two;
		// none from a connection a TIME-WAIT record replaced.
		return
	}
	if c.ackNowOnce() || fin || c.inQuickAck() || c.ackPending >= 2 || len(c.ooo) > 0 {
		c.sendAck()
		return
	}
	c.armDelack()
}

// growWindow raises rcv_ssthresh as data fills the buffer (a simplified
// tcp_grow_window: by twice the segment, up to the buffer's window).
func (c *conn) growWindow(n int) {
	limit := uint32(winFromSpace(c.sk.S.RcvBuf(), defaultScalingRatio))
	if c.underPressure() {
		c.adjustRcvSsthresh() // tcp_grow_window does not grow under pressure
		return
	}
	if c.rcvSsthresh < limit {
		c.rcvSsthresh = min(c.rcvSsthresh+uint32(2*n), limit)
	}
}

func (c *conn) addOOO(seg oooSeg) {
	i := 0
	for i < len(c.ooo) && seqnum.Value(c.ooo[i].seq).LessThan(seqnum.Value(seg.seq)) {
		i++
	}
	if i < len(c.ooo) && c.ooo[i].seq == seg.seq && len(c.ooo[i].data) >= len(seg.data) {
		c.dsackSet(seg.seq, seg.seq+uint32(len(seg.data))) // a duplicate
		return
	}
	c.ooo = append(c.ooo, oooSeg{})
	copy(c.ooo[i+1:], c.ooo[i:])
	c.ooo[i] = seg
}

// drainOOO moves out-of-order data that now fits onto the receive queue.
func (c *conn) drainOOO() {
	for len(c.ooo) > 0 {
		s := c.ooo[0]
		if seqnum.Value(s.seq).GreaterThan(seqnum.Value(c.rcvNxt)) {
			return
		}
		c.ooo = c.ooo[1:]
		end := s.seq + uint32(len(s.data))
		if seqnum.Value(end).GreaterThan(seqnum.Value(c.rcvNxt)) {
			c.rcvQ.Append(s.data[c.rcvNxt-s.seq:], c.sk.S.RcvBuf())
			c.rcvNxt = end
		}
		if s.fin && end == c.rcvNxt {
			c.finInput()
		}
	}
}

// finInput handles an in-order FIN (tcp_fin).
func (c *conn) finInput() {
	if c.finRcvd {
		return
	}
	c.finRcvd = true
	c.rcvNxt++
	if c.sk != nil {
		c.sk.S.SetShutdown(1)
	}
	switch c.state {
	case SynRecv, Established:
		c.setState(CloseWait)
	case FinWait1:
		if c.finSent && c.sndUna == c.sndNxt {
			c.enterTimeWait()
		} else {
			c.setState(Closing)
		}
	case FinWait2:
		c.enterTimeWait()
	}
	c.notify(waitq.EventIn | waitq.EventRdNorm | waitq.EventRdHUp)
}

// enterTimeWait moves to TIME-WAIT for 2MSL (Linux: 60 s) (tcp_time_wait).
func (c *conn) enterTimeWait() {
	c.sendAck()
	c.setState(TimeWait)
	c.twStamp = c.now()
	c.stopRTO()
	if c.twSwap(TimeWait, timeWaitLen, true) {
		return // a record holds TIME-WAIT now, or the limit closed it (twsock.go)
	}
	c.shedTimers()
	c.armWait(60 * time.Second)
	c.notify(waitq.EventIn | waitq.EventHUp)
}

// synAckEchoValid reports whether an ACK in SYN-SENT echoes a timestamp
// between our first SYN's and now (tcp_rcv_synsent_state_process's
// rcv_tsecr check against retrans_stamp); one without a timestamp or
// with a zero echo passes.
func (c *conn) synAckEchoValid(s *segment) bool {
	if !s.opts.HasTimestamps || s.opts.TSEcr == 0 || c.synSent.IsZero() {
		return true
	}
	first := uint32(c.synSent.UnixMilli()) + c.tsOffset
	return s.opts.TSEcr-first <= c.tsVal()-first
}

// synSentInput is tcp_rcv_synsent_state_process.
func (c *conn) synSentInput(s *segment) {
	if s.has(wire.TCPFlagACK) {
		ack := seqnum.Value(s.ack)
		if ack.LessThanEq(seqnum.Value(c.iss)) || ack.GreaterThan(seqnum.Value(c.sndNxt)) {
			if !s.has(wire.TCPFlagRST) {
				c.p.sendResetFor(s, c.local, c.remote)
			}
			return
		}
		if !c.synAckEchoValid(s) {
			// The echoed timestamp is not one of our SYNs' (PAWS for an
			// active open): reset, as tcp_rcv_synsent_state_process.
			c.p.ns.MIB.Inc(netns.TCPExtPAWSActive)
			if !s.has(wire.TCPFlagRST) {
				c.p.sendResetFor(s, c.local, c.remote)
			}
			return
		}
		if s.has(wire.TCPFlagRST) {
			c.reset()
			return
		}
	} else if s.has(wire.TCPFlagRST) {
		return
	}
	if !s.has(wire.TCPFlagSYN) {
		return
	}
	c.irs = s.seq
	c.rcvNxt = s.seq + 1
	c.rcvWup = c.rcvNxt // the window is offered from here
	c.negotiate(&s.opts, false)
	c.ecnSynAckRcvd(s)
	if s.has(wire.TCPFlagACK) {
		c.fastOpenSynAck(s) // the cookie, and the SYN data acknowledged (fastopen.go)
	}
	if c.tsOK {
		c.tsRecent = s.opts.TSVal
	}
	if !s.has(wire.TCPFlagACK) {
		// Simultaneous open (RFC 9293 3.5): SYN-ACK from SYN-RECEIVED.
		c.setState(SynRecv)
		c.sendSegment(wire.TCPFlagSYN|wire.TCPFlagACK, c.iss, nil)
		return
	}
	c.sndUna = s.ack
	c.sndWnd = s.wnd // a SYN's window is never scaled (RFC 7323 2.2)
	c.sndWl1, c.sndWl2 = s.seq, s.ack
	c.maxWindow = c.sndWnd
	c.handshakeRTT(s)
	c.releaseRTO()
	c.backoff, c.retrans = 0, 0
	c.setState(Established)
	c.established()
	c.fastOpenSynAckData(s)
	if c.fastOpenAfterSynAck() {
		// Data goes out now and carries the ACK (fastopen.go).
		c.armDelack()
	} else {
		c.sendAck()
	}
	c.notify(waitq.EventOut | waitq.EventWrNorm)
	c.output()
}

// established finishes setting up a connection that just reached
// ESTABLISHED: quick-ack mode and the congestion window.
func (c *conn) established() {
	c.quickAcks = 16
	c.lastRecv = c.now()
	c.dackInit()
	c.keepaliveChanged()
	c.rcvWup = c.rcvNxt
	c.ccs.cwnd = 10 // RFC 6928, Linux's TCP_INIT_CWND
	c.lossInit()
	c.ccs.now = c.now()
	c.ccs.sndNxt = c.sndNxt
	c.cc.init(&c.ccs)
	c.sndbufExpand()
	c.rcvSpaceInit()
	if c.parent != nil && !c.parent.childEstablished(c) {
		c.listenerGone()
	}
}

// negotiate applies the peer's SYN options (tcp_parse_options in a
// handshake, tcp_sync_mss): timestamps, SACK and window scale only if both
// offered them; the send MSS from the peer's MSS option and our path.
func (c *conn) negotiate(o *wire.TCPOptions, weAreListener bool) {
	c.tsOK = c.tsOK && o.HasTimestamps
	c.sackOK = c.sackOK && o.SACKPermitted
	if c.wsOK && o.HasWScale {
		c.sndWscale = min(o.WScale, maxWScale)
	} else {
		c.wsOK = false
		c.sndWscale = 0
		c.rcvWscale = 0
	}
	peer := defaultMSS
	if o.HasMSS && o.MSS > 0 {
		peer = int(o.MSS)
	}
	c.mss = min(peer, c.advMSS)
	if c.tsOK {
		c.mss -= 12 // TCPOLEN_TSTAMP_ALIGNED
	}
	c.mss = max(c.mss, minSndMSS)
}
