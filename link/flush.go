package link

// Flusher is implemented by a Device that can leave a frame marked
// pktbuf.Buffer.SenderFlushes in its queue without waking the goroutine
// that delivers its frames, for the sender to deliver it with Flush after
// it has released its own locks: Linux's loopback and veth hand a frame
// to the receiving side on the sending CPU (netif_rx, then the softirq at
// local_bh_enable), and a request/response exchange then pays one
// goroutine hand-off per message instead of two.
type Flusher interface {
	// Flush delivers, on the caller's goroutine, the frames queued for
	// the caller's flush, unless another delivery is running (which then
	// delivers them). It must be called without locks that a Receiver of
	// the device's frames may take.
	Flush()
}

// Flush delivers the frames this end sent that wait for the sender's
// flush (Flusher). A frame is left for the flush only on a wire without
// impairments whose queue was empty, so a stream of frames, which keeps
// the queue busy, stays with the delivery goroutine.
func (e *PipeEnd) Flush() { e.tx.flush() }

var _ Flusher = (*PipeEnd)(nil)

// flush delivers the queued frames while no other delivery runs; the
// delivery token (deliverer) keeps the frames of one direction in order.
func (d *direction) flush() {
	d.mu.Lock()
	if !d.owed {
		d.mu.Unlock()
		return
	}
	d.owed = false
	if d.deliverer != noDeliverer || d.closed {
		d.mu.Unlock() // the deliverer drains the queue before it lets go
		return
	}
	d.deliverer = flushDelivers
	d.flushing.Add(1)
	defer d.flushing.Done()
	for {
		if d.closed { // Close released the queue and waits for this flush
			d.deliverer = noDeliverer
			d.mu.Unlock()
			return
		}
		now := d.now()
		e, _, ok := d.popDue(now)
		if !ok {
			d.deliverer = noDeliverer
			if next, _ := d.earliest(); next != nil {
				// Frames not yet due (the wire was impaired since the
				// frame was sent) are the goroutine's, which sleeps
				// until the earliest.
				d.armed = awake
				d.nudge()
			}
			ws := d.writable(now)
			d.mu.Unlock()
			d.wakeWaiters(ws)
			return
		}
		ws := d.writable(now)
		d.mu.Unlock()
		d.st.flushed.Add(1)
		d.deliver(e.pkt)
		d.wakeWaiters(ws)
		d.mu.Lock()
	}
}
