package tcp

import (
	"time"

	"github.com/gosock/gosock/netns"
)

// The delayed-ACK engine's interactive ("ping-pong") mode, as Linux's
// icsk_ack: when we send data within the ACK timeout (ato) of the last
// data received, the exchange looks like request and response, and the
// ACK of the next data received waits for the reply to carry it instead
// of going at once even in quick-ack mode (tcp_event_data_sent,
// inet_csk_in_pingpong_mode). A delayed-ACK timer that fires anyway
// ends the mode (tcp_delack_timer_handler), as does anything that asks
// for quick ACKs (tcp_enter_quickack_mode). ato itself follows the gaps
// between data segments (tcp_event_data_recv).

// Linux's TCP_ATO_MIN (HZ/25).
const atoMin = 40 * time.Millisecond

// dackState is the part of icsk_ack beyond the quick-ACK count.
type dackState struct {
	pingpong uint8         // icsk_ack.pingpong: replies sent within ato
	ackNow   bool          // ICSK_ACK_NOW: ACK the next data at once, once (beside pingpong: no padding)
	ato      time.Duration // icsk_ack.ato; 0 until the first data arrives
	lrcvTime time.Time     // icsk_ack.lrcvtime: the last data received
	delackAt int64         // the delayed-ACK timer's deadline (Unix ns); 0: none
}

// delackMax is TCP_DELACK_MAX (HZ/5): the longest an ACK is delayed.
const delackMax = 200 * time.Millisecond

// delackTimeout is the delay tcp_send_delayed_ack gives the ACK: ato,
// bounded when above the minimum by the RTT (at least 40 ms) and by
// half a second, or TCP_DELACK_MAX in interactive mode.
func (c *conn) delackTimeout() time.Duration {
	ato := max(c.dack.ato, delackMin)
	if ato > delackMin {
		most := 500 * time.Millisecond
		if c.pingpongMode() {
			most = delackMax
		}
		if srtt := c.rtt.srtt(); srtt > 0 {
			most = min(most, max(srtt, delackMin))
		}
		ato = min(ato, most)
	}
	return min(ato, delackMax)
}

// dackInit starts the engine as a connection is created established
// (tcp_finish_connect, tcp_create_openreq_child): lrcvtime is now.
func (c *conn) dackInit() {
	c.dack.lrcvTime = c.now()
}

// pingpongMode is inet_csk_in_pingpong_mode.
func (c *conn) pingpongMode() bool {
	return int64(c.dack.pingpong) >= c.sysInt(netns.TCPPingpongThresh)
}

// inQuickAck is tcp_in_quickack_mode: quick ACKs left, and not
// interactive.
func (c *conn) inQuickAck() bool {
	return c.quickAcks > 0 && !c.pingpongMode()
}

// enterQuickAck is tcp_enter_quickack_mode: at least n quick ACKs, out of
// interactive mode, and the smallest ato.
func (c *conn) enterQuickAck(n int) {
	c.quickAcks = max(c.quickAcks, n)
	c.dack.pingpong = 0
	c.dack.ato = atoMin
}

// ackNowOnce consumes a one-time demand for an immediate ACK
// (ICSK_ACK_NOW).
func (c *conn) ackNowOnce() bool {
	now := c.dack.ackNow
	c.dack.ackNow = false
	return now
}

// dataRecvEvent is tcp_event_data_recv for in-order data: the first data
// sets ato and quick-ACK mode; later gaps pull ato toward them; a gap
// longer than the RTO (the sender stalled) asks for quick ACKs again.
func (c *conn) dataRecvEvent() {
	d := &c.dack
	now := c.now()
	if d.ato == 0 {
		c.quickAcks = max(c.quickAcks, maxQuickAcks)
		d.ato = atoMin
	} else {
		rto := c.rtt.rto()
		switch m := now.Sub(d.lrcvTime); {
		case m <= atoMin/2:
			d.ato = d.ato/2 + atoMin/2
		case m < d.ato:
			d.ato = min(d.ato/2+m, rto)
		case m > rto:
			c.quickAcks = max(c.quickAcks, maxQuickAcks)
		}
	}
	d.lrcvTime = now
}

// dataSentEvent is tcp_event_data_sent's part for ACKs: data sent within
// ato of the last data received counts toward interactive mode.
func (c *conn) dataSentEvent() {
	d := &c.dack
	if d.ato > 0 && c.now().Sub(d.lrcvTime) < d.ato && d.pingpong < 255 {
		d.pingpong++
	}
}

// delackFired adjusts the engine when the delayed-ACK timer had to send
// the ACK (tcp_delack_timer_handler): interactive mode guessed wrong and
// ends; otherwise ato was too short and doubles, up to the RTO.
func (c *conn) delackFired() {
	d := &c.dack
	if c.pingpongMode() {
		d.pingpong = 0
		d.ato = atoMin
		return
	}
	d.ato = min(2*d.ato, c.rtt.rto())
}

// setQuickAckOpt is TCP_QUICKACK (__tcp_sock_set_quickack): 1 leaves
// interactive mode (the ACK owed goes now), 0 enters it.
func (c *conn) setQuickAckOpt(on bool) {
	if !on {
		c.dack.pingpong = uint8(min(c.sysInt(netns.TCPPingpongThresh), 255))
		return
	}
	c.dack.pingpong = 0
	if c.ackPending > 0 {
		c.sendAck()
	}
}
