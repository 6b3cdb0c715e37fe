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

// TxCompletesLate reports whether the frames this end sends wait in a
// queue whose end is their transmit completion: when the direction has a
// bandwidth and no latency or jitter, a frame is delivered (and the pipe
// orphans it, in deliver) at the end of its serialisation, when a NIC
// would complete it. A pipe without a bandwidth is a veth, whose frames
// complete at once; one with a latency or jitter is a netem, which
// orphans the skb at enqueue so that the sender's accounting never waits
// out the transit delay. A frame that waits and is dropped or refused on
// the way completes when it is released.
func (e *PipeEnd) TxCompletesLate() bool {
	d := e.tx
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.eff.Bandwidth > 0 && d.eff.Latency == 0 && d.eff.Jitter == 0
}

var _ TxCompleter = (*PipeEnd)(nil)
