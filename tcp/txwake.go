package tcp

import (
	"errors"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
)

// A segment the local device refuses because its queue is full
// (ENOBUFS) registers the connection with the device, when the device
// can say when it has room again (link.TxNotifier), so the data goes out
// as soon as the queue drains instead of after the resource probe's
// 500 ms: Linux's flows rarely see a full queue (TCP small queues), and
// when a qdisc drains it is rescheduled (netif_wake_queue) and the flows
// TSQ held back are pushed from tcp_wfree. The probe timer stays armed
// as the fallback for devices that cannot notify.

// waitTxRoom registers the connection to be woken when the device that
// refused a segment with err has room, unless it is registered already or
// err is not local congestion. The caller holds the connection's lock;
// the device never calls back from within the registration.
func (c *conn) waitTxRoom(err error) {
	if !errors.Is(err, errno.ENOBUFS) {
		return
	}
	w := c.wqInit()
	if w.txWait {
		return
	}
	rt, lerr := c.p.ns.Lookup(c.remote.Addr(), netns.LookupFlags{Src: c.local.Addr()})
	if lerr != nil || rt.Iface == nil {
		return
	}
	n, ok := rt.Iface.Device().(link.TxNotifier)
	if !ok {
		return
	}
	w.txWait = true
	n.NotifyWritable(c)
}

// TxWritable is called by a device whose full queue refused this
// connection's data once the queue has room (link.TxWaiter): it sends what
// the windows allow (tcp_write_xmit from tcp_tsq_handler). A refusal now
// registers again through output's own path, without recursing.
func (c *conn) TxWritable() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wq == nil || !c.wq.txWait {
		return
	}
	c.wq.txWait = false
	idle := c.inFlight() == 0
	c.output()
	if idle && c.inFlight() > 0 {
		// What the probe timer held back went: the retransmission
		// timer takes over, as after a probe that is sent.
		c.probes = 0
	}
}

var _ link.TxWaiter = (*conn)(nil)
