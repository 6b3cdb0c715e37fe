package tcp

import "time"

// The connection's clock. Linux reads the clock once per event: when a
// segment arrives or a send call starts, tcp_mstamp_refresh sets
// tp->tcp_mstamp, and every timestamp of that event (the TSval of the
// segments it sends, their transmit times, the RTT samples of the segments
// an ACK delivers, the receive time) is that one reading. gosock does the
// same: reading the clock costs 80 to 120 ns on a virtual machine, and the
// per-segment path of a bulk transfer read it eight times.

// now returns the event's clock reading inside an event, otherwise a fresh
// one.
func (c *conn) now() time.Time {
	if !c.stamp.IsZero() {
		return c.stamp
	}
	return c.p.ns.Clock().Now()
}

// beginEvent reads the clock for an event that starts now, with c.mu
// held, and reports whether it did: false inside an event already, whose
// reading stays. Pair it with endEvent, as
//
//	defer c.endEvent(c.beginEvent())
//
// The event must not let c.mu go: another goroutine would take the
// reading for its own.
func (c *conn) beginEvent() bool {
	if !c.stamp.IsZero() {
		return false
	}
	c.stamp = c.p.ns.Clock().Now()
	return true
}

// endEvent ends the event beginEvent began, if it began one: later calls
// read the clock afresh.
func (c *conn) endEvent(began bool) {
	if began {
		c.stamp = time.Time{}
	}
}
