package tcp

import (
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/seqnum"
	"github.com/gosock/gosock/wire"
)

// The SACK scoreboard (RFC 2018) and D-SACK (RFC 2883), as Linux's
// tcp_sacktag_write_queue: each valid block the peer reports marks the
// whole segments it covers as sacked, which takes them out of the flight,
// feeds RACK their transmit times and reveals reordering when a hole
// below the highest SACK fills with an original transmission. A first
// block below the cumulative ACK, or inside the second block, reports a
// duplicate (D-SACK): a retransmission that was not needed.

// fack is tcp_highest_sack_seq: the end of the highest sacked segment,
// or sndUna when nothing is sacked.
func (c *conn) fack() uint32 {
	if c.lr.sackedOut == 0 {
		return c.sndUna
	}
	return c.lr.highSack
}

// sackTag processes the SACK blocks of an ACK; priorSndUna is sndUna
// before this ACK.
func (c *conn) sackTag(s *segment, priorSndUna uint32, times *sackRTT) ackFlags {
	o := &s.opts
	if o.NumSACK == 0 {
		return 0
	}
	var flag ackFlags
	dup := c.checkDSACK(s, priorSndUna, &flag)
	l := &c.lr
	reord := c.sndNxt
	mib := c.p.ns.MIB
	for i := 0; i < o.NumSACK; i++ {
		b := o.SACKBlocks[i]
		isDup := dup && i == 0
		if !c.sackBlockValid(b, isDup) {
			if isDup {
				if !l.undoActive {
					mib.Inc(netns.TCPExtTCPDSACKIgnoredNoUndo)
				} else {
					mib.Inc(netns.TCPExtTCPDSACKIgnoredOld)
				}
			} else {
				mib.Inc(netns.TCPExtTCPSACKDiscard)
			}
			continue
		}
		start, end := seqnum.Value(b.Start), seqnum.Value(b.End)
		for k := range l.q {
			r := &l.q[k]
			rs, re := seqnum.Value(r.start), seqnum.Value(r.end)
			if re.LessThanEq(start) {
				continue
			}
			if rs.GreaterThanEq(end) {
				break
			}
			// Only whole segments are tagged: a block covering part of
			// one (not on a segment boundary) tags nothing of it.
			if rs.LessThan(start) || re.GreaterThan(end) {
				continue
			}
			flag |= c.sackTagOne(k, isDup, &reord, times)
		}
	}
	c.checkSackReordering(reord, false)
	if flag&flagDataSacked != 0 {
		c.rtxCheckSackedOut()
	}
	return flag
}

// sackTagOne tags record k as sacked (tcp_sacktag_one).
func (c *conn) sackTagOne(k int, dup bool, reord *uint32, times *sackRTT) ackFlags {
	l := &c.lr
	r := &l.q[k]
	var flag ackFlags
	if dup && r.has(rtxEverRetrans) {
		if l.undoActive && l.undoRetrans > 0 && seqnum.Value(r.end).GreaterThan(seqnum.Value(l.undoMarker)) {
			l.undoRetrans--
		}
		if r.has(rtxSacked) && seqnum.Value(r.start).LessThan(seqnum.Value(*reord)) {
			*reord = r.start
		}
	}
	if !r.has(rtxSacked) {
		c.rackAdvance(r)
		if r.has(rtxRetransOut) {
			// A retransmission in flight stays counted unless the segment
			// was marked lost.
			if r.has(rtxLost) {
				r.flags &^= rtxLost | rtxRetransOut
				l.lostOut--
				l.retransOut--
			}
		} else {
			if !r.has(rtxEverRetrans) {
				// An original transmission filling a hole below the
				// highest SACK: reordering.
				if l.sackedOut > 0 && seqnum.Value(r.start).LessThan(seqnum.Value(l.highSack)) &&
					seqnum.Value(r.start).LessThan(seqnum.Value(*reord)) {
					*reord = r.start
				}
				if seqnum.Value(r.end).LessThanEq(seqnum.Value(l.highSeq)) {
					flag |= flagOrigSackAcked
				}
				times.note(r.xmit) // first_sackt, last_sackt
			}
			if r.has(rtxLost) {
				r.flags &^= rtxLost
				l.lostOut--
			}
		}
		r.flags |= rtxSacked
		flag |= flagDataSacked
		l.sackedOut++
		l.delivered++
		if l.sackedOut == 1 || seqnum.Value(r.end).GreaterThan(seqnum.Value(l.highSack)) {
			l.highSack = r.end
		}
	}
	if dup && r.has(rtxRetransOut) {
		r.flags &^= rtxRetransOut
		l.retransOut--
	}
	return flag
}

// rtxCheckSackedOut keeps highSack right after tagging.
func (c *conn) rtxCheckSackedOut() {
	l := &c.lr
	for i := len(l.q) - 1; i >= 0; i-- {
		if l.q[i].has(rtxSacked) {
			l.highSack = l.q[i].end
			return
		}
	}
}

// checkDSACK recognises a D-SACK in the first block (tcp_check_dsack)
// and counts it.
func (c *conn) checkDSACK(s *segment, priorSndUna uint32, flag *ackFlags) bool {
	o := &s.opts
	b0 := o.SACKBlocks[0]
	mib := c.p.ns.MIB
	switch {
	case seqnum.Value(b0.Start).LessThan(seqnum.Value(s.ack)):
		mib.Inc(netns.TCPExtTCPDSACKRecv)
	case o.NumSACK > 1:
		b1 := o.SACKBlocks[1]
		if seqnum.Value(b0.End).GreaterThan(seqnum.Value(b1.End)) || seqnum.Value(b0.Start).LessThan(seqnum.Value(b1.Start)) {
			return false
		}
		mib.Inc(netns.TCPExtTCPDSACKOfoRecv)
	default:
		return false
	}
	segs := c.dsackSeen(b0.Start, b0.End, flag)
	if segs == 0 {
		mib.Inc(netns.TCPExtTCPDSACKIgnoredDubious)
		return false
	}
	mib.Add(netns.TCPExtTCPDSACKRecvSegs, uint64(segs))
	l := &c.lr
	// A D-SACK for data already forgotten: count it against the
	// retransmissions of this episode.
	if l.undoActive && l.undoRetrans > 0 && seqnum.Value(b0.End).LessThanEq(seqnum.Value(priorSndUna)) &&
		seqnum.Value(b0.End).GreaterThan(seqnum.Value(l.undoMarker)) {
		l.undoRetrans = max(0, l.undoRetrans-segs)
	}
	return true
}

// dsackSeen accounts a D-SACK block (tcp_dsack_seen) and returns the
// segments it reports, 0 if it is dubious.
func (c *conn) dsackSeen(start, end uint32, flag *ackFlags) int {
	if !seqnum.Value(start).LessThan(seqnum.Value(end)) {
		return 0
	}
	n := end - start
	if n > c.maxWindow {
		return 0
	}
	segs := 1
	mss := uint32(max(c.mss, 1))
	if n > mss {
		segs = int((n + mss - 1) / mss)
	} else if c.tlpHighSeq != 0 && c.tlpHighSeq == end {
		*flag |= flagDSACKTLP
	}
	l := &c.lr
	l.dsackDups += uint32(segs)
	if l.dsackDups > c.totalRetrans {
		return 0 // we never retransmitted that much
	}
	if l.reordSeen > 0 && *flag&flagDSACKTLP == 0 {
		l.rack.dsackSeen = true
	}
	*flag |= flagDSACKingAck
	l.delivered += uint32(segs)
	return segs
}

// sackBlockValid is tcp_is_sackblock_valid.
func (c *conn) sackBlockValid(b wire.SACKBlock, dup bool) bool {
	start, end := seqnum.Value(b.Start), seqnum.Value(b.End)
	nxt, una := seqnum.Value(c.sndNxt), seqnum.Value(c.sndUna)
	if end.GreaterThan(nxt) || !start.LessThan(end) || !start.LessThan(nxt) {
		return false
	}
	if start.GreaterThan(una) {
		return true
	}
	l := &c.lr
	if !dup || !l.undoActive {
		return false
	}
	if end.GreaterThan(una) {
		return false
	}
	undo := seqnum.Value(l.undoMarker)
	if start.GreaterThanEq(undo) {
		return true
	}
	if !end.GreaterThan(undo) {
		return false
	}
	return start.GreaterThanEq(seqnum.Value(b.End - c.maxWindow))
}

// checkSackReordering records reordering seen below the highest SACK
// (tcp_check_sack_reordering): lowSeq is the lowest original
// transmission delivered out of order.
func (c *conn) checkSackReordering(lowSeq uint32, ts bool) {
	fack := c.fack()
	if !seqnum.Value(lowSeq).LessThan(seqnum.Value(fack)) {
		return
	}
	l := &c.lr
	mss := uint32(max(c.mss, 1))
	if metric := fack - lowSeq; metric > uint32(c.reord())*mss {
		l.reordering = min(int((metric+mss-1)/mss), int(c.sysInt(netns.TCPMaxReordering)))
	}
	l.reordSeen++
	if ts {
		c.p.ns.MIB.Inc(netns.TCPExtTCPTSReorder)
	} else {
		c.p.ns.MIB.Inc(netns.TCPExtTCPSACKReorder)
	}
}

// dsackSet queues a D-SACK block for the next ACK (tcp_dsack_set): the
// peer sent again data we already had.
func (c *conn) dsackSet(start, end uint32) {
	if !c.sackOK || c.sysInt(netns.TCPDsack) == 0 {
		return
	}
	if seqnum.Value(start).LessThan(seqnum.Value(c.rcvNxt)) {
		c.p.ns.MIB.Inc(netns.TCPExtTCPDSACKOldSent)
	} else {
		c.p.ns.MIB.Inc(netns.TCPExtTCPDSACKOfoSent)
	}
	c.lr.dsackPending = true
	c.lr.dsack = wire.SACKBlock{Start: start, End: end}
}

// dsackBlock returns the pending D-SACK block, if any, and clears it:
// it goes out once, first among the SACK blocks.
func (c *conn) dsackBlock() (wire.SACKBlock, bool) {
	if !c.lr.dsackPending {
		return wire.SACKBlock{}, false
	}
	c.lr.dsackPending = false
	return c.lr.dsack, true
}

// dupDataDSACK answers a segment wholly below rcvNxt, a needless
// retransmission (tcp_send_dupack): quick ACKs, and a D-SACK of it.
func (c *conn) dupDataDSACK(s *segment) {
	if len(s.payload) == 0 || !seqnum.Value(s.seq).LessThan(seqnum.Value(c.rcvNxt)) {
		return
	}
	c.p.ns.MIB.Inc(netns.TCPExtDelayedACKLost)
	c.enterQuickAck(maxQuickAcks)
	end := s.seq + uint32(len(s.payload))
	if seqnum.Value(end).GreaterThan(seqnum.Value(c.rcvNxt)) {
		end = c.rcvNxt
	}
	c.dsackSet(s.seq, end)
}

// maxQuickAcks is TCP_MAX_QUICKACKS.
const maxQuickAcks = 16
