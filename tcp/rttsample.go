package tcp

import (
	"time"

	"github.com/gosock/gosock/seqnum"
)

// RTT samples from the segments an ACK covers, as Linux takes them from
// each skb's transmit time (tcp_clean_rtx_queue's first_ackt and
// last_ackt), rather than from one timed segment per flight: every ACK
// that newly acknowledges data never retransmitted gives a sample, which
// is what CUBIC's HyStart delay detection and RACK's minimum RTT count
// on. The oldest segment's time feeds the smoothed RTT (seq_rtt_us), the
// newest's the minimum RTT and congestion control (ca_rtt_us). When the
// ACK covers a retransmitted segment there is no sample (Karn), and the
// timestamp echo, if any, stands in (tcp_ack_update_rtt).

// ackedRTT returns the samples a cumulative ACK up to ack gives, before
// the retransmission queue is cleaned; ok is false when it covers a
// retransmitted segment or no whole segment.
func (c *conn) ackedRTT(ack uint32) (seqRTT, caRTT time.Duration, ok bool) {
	l := &c.lr
	var first, last time.Time
	for i := range l.q {
		r := &l.q[i]
		if seqnum.Value(r.end).GreaterThan(seqnum.Value(ack)) {
			break
		}
		if r.has(rtxEverRetrans | rtxRetransOut) {
			return 0, 0, false
		}
		if r.has(rtxSacked) {
			continue
		}
		if first.IsZero() {
			first = r.xmit
		}
		last = r.xmit
	}
	if first.IsZero() {
		return 0, 0, false
	}
	now := c.now()
	return now.Sub(first), now.Sub(last), true
}

// sackRTT is what an ACK's SACK blocks give for RTT samples
// (tcp_sacktag_state's first_sackt and last_sackt): the transmit times
// of the oldest and newest never-retransmitted segments they newly
// cover.
type sackRTT struct {
	first, last time.Time
}

// note records a newly sacked, never retransmitted segment sent at t.
func (s *sackRTT) note(t time.Time) {
	if s.first.IsZero() {
		s.first = t
	}
	s.last = t
}

// sample returns the RTTs at now from the oldest and the newest.
func (s *sackRTT) sample(now time.Time) (oldest, newest time.Duration, ok bool) {
	if s.first.IsZero() {
		return 0, 0, false
	}
	return now.Sub(s.first), now.Sub(s.last), true
}

// sackRTTSample takes the RTT sample of an ACK that moves nothing
// cumulatively but sacks new data (tcp_ack_update_rtt with sack_rtt_us):
// the smoothed RTT from the oldest sacked segment, the minimum RTT and
// congestion control from the newest.
func (c *conn) sackRTTSample(s *segment, sacked *sackRTT) {
	m, ca, ok := sacked.sample(c.now())
	if !ok {
		return
	}
	m, ca = max(m, time.Microsecond), max(ca, time.Microsecond)
	c.rtt.sample(m, c.sndUna, c.sndNxt)
	c.lr.noteRTT(ca)
	c.ccs.srtt = c.rtt.srtt()
	c.ccs.now = c.now()
	c.ccs.sndUna, c.ccs.sndNxt = s.ack, c.sndNxt
	c.cc.pktsAcked(&c.ccs, ackSample{rtt: ca})
}
