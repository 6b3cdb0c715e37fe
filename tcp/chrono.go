package tcp

import (
	"time"

	"github.com/gosock/gosock/abi"
)

// The sender's chronographs (Linux's tcp_chrono_*), behind TCP_INFO's
// tcpi_busy_time, tcpi_rwnd_limited and tcpi_sndbuf_limited: time is
// charged to one state at a time, the highest asked for: busy while
// data is queued or in flight, limited by the peer's receive window
// while that stops a transmission, limited by the send buffer while the
// application has filled it and everything it wrote is out.

// chronoType is tcp_chrono: the states, in priority order.
type chronoType uint8

const (
	chronoUnspec chronoType = iota
	chronoBusy
	chronoRwndLimited
	chronoSndbufLimited
)

// chronoState is the chronographs of a connection that sends (in its
// write queue state).
type chronoState struct {
	typ   chronoType
	start time.Time
	stat  [3]time.Duration // per state from chronoBusy on
}

// chronoSet is tcp_chrono_set: charge the time so far to the current
// state and switch to t.
func (c *conn) chronoSet(t chronoType) {
	ch := &c.wqInit().chrono
	now := c.now()
	if ch.typ > chronoUnspec {
		ch.stat[ch.typ-1] += now.Sub(ch.start)
	}
	ch.start = now
	ch.typ = t
}

// chronoStart is tcp_chrono_start: a state of higher priority takes
// over.
func (c *conn) chronoStart(t chronoType) {
	if c.wq == nil || t > c.wq.chrono.typ {
		c.chronoSet(t)
	}
}

// chronoStop is tcp_chrono_stop: with nothing queued or in flight the
// clock stops; otherwise ending the current limit goes back to busy.
func (c *conn) chronoStop(t chronoType) {
	if c.wq == nil {
		return
	}
	if len(c.lr.q) == 0 && c.unsentBytes() == 0 {
		c.chronoSet(chronoUnspec)
	} else if t == c.wq.chrono.typ {
		c.chronoSet(chronoBusy)
	}
}

// unsentBytes is what the write queue holds that never went out.
func (c *conn) unsentBytes() int {
	return max(c.sndBuf.Len()-int(c.sndMax-c.sndUna), 0)
}

// chronoAfterXmit is the end of tcp_write_xmit: limited by the peer's
// window when the congestion window would let the next segment go but
// the receive window cannot take it.
func (c *conn) chronoAfterXmit(mss int) {
	if c.wq == nil {
		return
	}
	if c.rwndLimited(mss) {
		c.chronoStart(chronoRwndLimited)
	} else {
		c.chronoStop(chronoRwndLimited)
	}
}

// rwndLimited is the tcp_snd_wnd_test failure that stops tcp_write_xmit
// after tcp_cwnd_test passed.
func (c *conn) rwndLimited(mss int) bool {
	unsent := c.sndBuf.Len() - int(c.sndNxt-c.sndUna)
	if unsent <= 0 {
		return false
	}
	if c.useScoreboard() {
		if int(c.ccs.cwnd)-c.packetsInFlight() <= 0 {
			return false
		}
	} else if int(c.ccs.cwnd)*mss-int(c.inFlight()) <= 0 {
		return false
	}
	rwnd := int(int32(c.sndUna + c.sndWnd - c.sndNxt))
	return rwnd < min(unsent, mss)
}

// chronoSndbufCheck is tcp_cwnd_validate's test for a sender starved by
// its own buffer: not limited by cwnd, nothing left unsent, and a writer
// that found no room.
func (c *conn) chronoSndbufCheck() {
	if c.wq == nil || !c.wq.noSpace || c.cwndLimited() || c.unsentBytes() > 0 {
		return
	}
	if c.state == Established || c.state == CloseWait {
		c.chronoStart(chronoSndbufLimited)
	}
}

// chronoInfo fills TCP_INFO's chronograph fields (tcp_get_info_chrono_stats):
// busy time is the sum of all three.
func (c *conn) chronoInfo(t *abi.TCPInfo) {
	if c.wq == nil {
		return
	}
	ch := &c.wq.chrono
	var stats [3]time.Duration
	var total time.Duration
	for i := range stats {
		stats[i] = ch.stat[i]
		if chronoType(i+1) == ch.typ {
			stats[i] += c.now().Sub(ch.start)
		}
		total += stats[i]
	}
	t.BusyTime = uint64(total / time.Microsecond)
	t.RwndLimited = uint64(stats[chronoRwndLimited-1] / time.Microsecond)
	t.SndbufLimited = uint64(stats[chronoSndbufLimited-1] / time.Microsecond)
}
