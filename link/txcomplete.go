package link

// TxCompleter is implemented by a Device that may keep frames in a queue
// after Transmit returns and orphans each (pktbuf.Buffer.Orphan) only
// when it has finished with it, as a real NIC frees an skb at transmit
// completion. A sender that tracks its packets below it (TCP's
// autocorking) sets itself as the owner of the buffers it transmits only
// when TxCompletesLate says so; on the other devices (loopback, TUN/TAP,
// the packetdrill device) a frame completes as soon as it is handed over,
// as Linux's loopback_xmit, veth and tun_net_xmit orphan the skb at once,
// so there is nothing to track and the sender saves the bookkeeping.
type TxCompleter interface {
	// TxCompletesLate reports whether a frame handed to Transmit now
	// may stay queued in the device for a while.
	TxCompletesLate() bool
}

// TxCompletesLate reports whether the frames this end sends have a
// bandwidth to be serialised at, and so a queue to wait in: a pipe
// without one is a veth with a propagation delay, whose frames complete
// at once. A frame that queues is orphaned when the pipe delivers it
// (deliver), which is at the end of its serialisation plus the latency:
// a pipe is modelled as a device whose transmission ends at the far end
// (Linux's netem would orphan a delayed frame at enqueue, and a NIC
// completes at the end of serialisation, without the latency). One
// dropped or refused on the way completes when it is released.
func (e *PipeEnd) TxCompletesLate() bool {
	d := e.tx
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.eff.Bandwidth > 0
}

var _ TxCompleter = (*PipeEnd)(nil)
