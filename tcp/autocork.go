package tcp

import (
	"sync"
	"sync/atomic"

	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
)

// Autocorking (net.ipv4.tcp_autocorking, Linux's tcp_should_autocork in
// tcp_push): a write that ends in a partial skb is not pushed while an
// earlier packet of the connection is still queued in the device and
// data is in flight; later small writes join it, and the push happens
// when that packet completes (tcp_wfree -> tcp_tsq_handler ->
// tcp_write_xmit). It holds data only on a device that completes late
// (link.TxCompleter: a pipe's queue); loopback, TUN and the packetdrill
// device complete at once, as Linux's do, so nothing is ever held there
// and their packets carry no owner.

// txTrack is the connection's count of packets below TCP (the packets of
// sk_wmem_alloc) and the owner set on them. It lives apart from conn so
// that a device completing a packet after disconnect reset the conn
// (disconnectLocked) touches only this, never the conn's fields.
type txTrack struct {
	// q is the count, with txqThrottled set while autocorking holds
	// data until the count reaches zero (TSQ_THROTTLED).
	q  atomic.Uint32
	c  *conn
	mu *sync.Mutex // c.mu, read here without touching c
}

const (
	txqThrottled = 1 << 31
	txqCount     = txqThrottled - 1
)

// txOwner returns the owner to set on a packet going out through dev,
// counted as queued: the connection's tracker when dev completes late,
// else nil.
func (c *conn) txOwner(dev link.Device) pktbuf.Owner {
	if tc, ok := dev.(link.TxCompleter); !ok || !tc.TxCompletesLate() {
		return nil
	}
	if c.txt == nil {
		c.txt = &txTrack{c: c, mu: c.mu}
	}
	c.txt.q.Add(1)
	return c.txt
}

// TxComplete is tcp_wfree: one of the connection's packets left the
// device. When it was the last one and autocorking held data, the data
// goes out now (tcp_tsq_handler). The device may call it from within
// Transmit, with the connection's lock held by the transmitting caller,
// so it only tries the lock; when someone holds it the holder decides,
// where Linux defers to tcp_release_cb: a Sendmsg in tcp_push's check
// sees the count at zero and pushes, output in progress sends the data
// itself, and any other holder leaves it to the next ACK, which output
// sends (data is in flight whenever autocorking holds, so an ACK or a
// retransmission timeout comes).
func (t *txTrack) TxComplete() {
	for {
		v := t.q.Load()
		if v&txqCount == 0 {
			return // cannot happen: each packet completes once (pktbuf)
		}
		nv := v - 1
		push := nv&txqCount == 0 && nv&txqThrottled != 0
		if push {
			nv &^= txqThrottled
		}
		if !t.q.CompareAndSwap(v, nv) {
			continue
		}
		if push && t.mu.TryLock() {
			t.c.output()
			t.mu.Unlock()
		}
		return
	}
}

// autocork is tcp_push's autocorking test for the write queue's tail
// skb, once the write has marked PSH: it reports whether the push is to
// wait for the device to complete the connection's earlier packets,
// counting TCPAutoCorking when it starts to hold. It applies whatever
// TCP_NODELAY says, as Linux's: it is what joins a NODELAY writer's
// small writes. The caller holds c.mu.
func (c *conn) autocork() bool {
	t := c.txt
	if t == nil || t.q.Load()&txqCount == 0 || c.sndMax == c.sndUna {
		return false // nothing below TCP, or the retransmission queue is empty
	}
	if c.sysInt(netns.TCPAutocorking) == 0 {
		return false
	}
	skb, n := c.tailSkb() // nil after MSG_EOR (tcp_skb_can_collapse_to)
	if skb == nil || n == 0 || n >= c.sizeGoal(max(c.mss, 1)) {
		return false
	}
	if t.q.Or(txqThrottled)&txqThrottled == 0 {
		c.p.ns.MIB.Inc(netns.TCPExtTCPAutoCorking)
	}
	// The last packet may have completed before the flag was set: then
	// nothing will push, and this write does.
	return t.q.Load()&txqCount != 0
}

var _ pktbuf.Owner = (*txTrack)(nil)
