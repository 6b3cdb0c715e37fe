package tcp

import (
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pktbuf"
)

// Delivery on the sending goroutine. A segment a user's send call
// transmits through a device that can wait for its sender (link.Flusher:
// a pipe, like Linux's veth) is marked for the sender's flush, and the
// send call delivers it itself once it has let go of the connection's
// lock, instead of waking the device's delivery goroutine: Linux runs the
// receive softirq on the sending CPU the same way (netif_rx, then
// do_softirq at local_bh_enable). A request/response exchange then costs
// one goroutine hand-off per message, to the reader, instead of two.
//
// Only user calls do this (lockTx), so the receiving side's processing
// never runs nested inside another delivery (which could recurse without
// bound: what a delivery makes the receiver send goes the usual way), and
// it runs without the sender's lock held, so the receiving connection's
// lock is taken in no new order.

// deferDelivery marks pkt for the flush of the send call in progress, if
// there is one and dev can wait for it. Called with c.mu held.
func (c *conn) deferDelivery(pkt *pktbuf.Buffer, dev link.Device) {
	if !c.flushTx {
		return
	}
	f, ok := dev.(link.Flusher)
	if !ok || c.flushDev != nil && c.flushDev != f {
		return
	}
	c.flushDev = f
	pkt.SenderFlushes = true
}

// lockTx takes c.mu for a user call (send, receive, connect, shutdown,
// close) whose segments it delivers itself when it ends (unlockTx).
func (c *conn) lockTx() {
	c.mu.Lock()
	c.flushTx = true
}

// unlockTx ends a call begun with lockTx: it releases c.mu and then
// flushes the device its segments wait in. A disconnect's reset of the
// connection keeps the two fields, so nothing it sent is left waiting.
func (c *conn) unlockTx() {
	f := c.flushDev
	c.flushTx, c.flushDev = false, nil
	c.mu.Unlock()
	if f != nil {
		f.Flush()
	}
}
