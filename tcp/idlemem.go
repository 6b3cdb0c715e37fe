package tcp

import "github.com/gosock/gosock/clock"

// releaseRTO stops the retransmission timer and lets it go, when the
// handshake completes: an established connection with nothing in flight
// needs no timer (Linux's timers are embedded in the socket and cost
// nothing while idle; here a stopped timer still holds its memory), and
// armRTO makes one again for the first data or FIN. Only a timer
// stopped while pending is dropped: one that already fired may have its
// callback waiting for the lock, and that callback finds the timer it
// ran from.
func (c *conn) releaseRTO() {
	if c.rtoTimer != nil && clock.Halt(c.rtoTimer) {
		c.rtoTimer = nil
	}
}

// stopRTO stops the retransmission timer if there is one.
func (c *conn) stopRTO() {
	if c.rtoTimer != nil {
		c.rtoTimer.Stop()
	}
}
