package tcp

import (
	"fmt"

	"github.com/gosock/gosock/seqnum"
)

// CheckInvariants walks every connection in the namespace's tables and
// reports the first broken invariant of its sequence space, queues or
// memory accounting, or nil. Fuzzers and soak tests call it between
// segments: an error means the state machine let hostile input corrupt
// it, which Linux answers with WARN_ON. It takes each connection's lock,
// so the caller must hold none.
func (p *Protocol) CheckInvariants() error {
	p.mu.RLock()
	cs := make([]*conn, 0, p.conns.len()+len(p.listeners))
	for c := range p.conns.all {
		cs = append(cs, c)
	}
	for _, ls := range p.listeners {
		cs = append(cs, ls...)
	}
	p.mu.RUnlock()
	var sum int64
	for _, c := range cs {
		c.mu.Lock()
		err := c.checkInvariants()
		sum += int64(c.memCharged)
		c.mu.Unlock()
		if err != nil {
			return fmt.Errorf("%v→%v %v: %w", c.local, c.remote, c.state, err)
		}
	}
	if total := p.mem.allocated.Load(); total < 0 || total < sum {
		return fmt.Errorf("memory allocated %d, but the connections in the tables hold %d", total, sum)
	}
	return nil
}

// checkInvariants checks one connection; c.mu is held.
func (c *conn) checkInvariants() error {
	if c.memCharged != c.memFootprint() {
		return fmt.Errorf("charged %d bytes, holds %d", c.memCharged, c.memFootprint())
	}
	switch c.state {
	case Listen, Close, SynSent:
		return nil
	}
	una, nxt, mx := seqnum.Value(c.sndUna), seqnum.Value(c.sndNxt), seqnum.Value(c.sndMax)
	if una.GreaterThan(nxt) || nxt.GreaterThan(mx) {
		return fmt.Errorf("send space out of order: una %d nxt %d max %d", c.sndUna, c.sndNxt, c.sndMax)
	}
	// What was sent lies within what was queued: the data, plus the SYN
	// and FIN that occupy sequence space.
	queued := uint32(c.sndBuf.Len()) + 2
	if c.sndMax-c.sndUna > queued {
		return fmt.Errorf("%d bytes in flight, only %d queued", c.sndMax-c.sndUna, queued-2)
	}
	// (Queues may exceed SO_RCVBUF or SO_SNDBUF legitimately: the user
	// may shrink either with data queued, as in Linux.)
	if err := c.rtxCheck(); err != nil {
		return err
	}
	// Out-of-order data is sorted, beyond rcvNxt, within the window once
	// offered.
	edge := seqnum.Value(c.rcvWup + c.rcvWnd)
	for i, s := range c.ooo {
		seq := seqnum.Value(s.seq)
		if !seq.GreaterThan(seqnum.Value(c.rcvNxt)) {
			return fmt.Errorf("out-of-order segment %d at %d, not after rcv_nxt %d", i, s.seq, c.rcvNxt)
		}
		if i > 0 && seq.LessThan(seqnum.Value(c.ooo[i-1].seq)) {
			return fmt.Errorf("out-of-order queue unsorted at %d", i)
		}
		if end := seq.Add(seqnum.Size(len(s.data))); end.GreaterThan(edge) {
			return fmt.Errorf("out-of-order data to %d beyond the window edge %d", uint32(end), uint32(edge))
		}
	}
	return nil
}

// Tables returns how many connections and listeners the namespace's
// tables hold: zero and zero once every socket is closed and every
// connection has run out its timers, which leak checks rely on.
func (p *Protocol) Tables() (conns, listeners int) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, ls := range p.listeners {
		listeners += len(ls)
	}
	return p.conns.len() + p.tws.n, listeners // TIME-WAIT records count as connections
}
