package tcp

import (
	"sync/atomic"
	"time"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/seqnum"
	"github.com/gosock/gosock/socket"
)

// Memory accounting and the tcp_mem pressure model, as Linux's
// tcp_memory_allocated with sk_mem_schedule / __sk_mem_raise_allocated:
//
//   - every connection charges the bytes it holds (its receive queue, its
//     out-of-order queue and its send queue) to its namespace's total;
//   - above tcp_mem[1] (pages) TCP is under memory pressure: buffers stop
//     growing (no send- or receive-buffer expansion, no window growth)
//     and offered windows are clamped (tcp_adjust_rcv_ssthresh), until
//     the total falls to tcp_mem[0] again;
//   - above tcp_mem[2] new data is refused, except that a socket may
//     always hold tcp_rmem[0] received and tcp_wmem[0] unsent bytes (the
//     guaranteed minimum of __sk_mem_raise_allocated);
//   - each socket's received bytes stay within its SO_RCVBUF: data beyond
//     it is dropped (tcp_try_rmem_schedule, with nothing to prune).
//
// gosock counts payload bytes where Linux counts skb truesize, and keeps
// the total per namespace: tcp_mem is a host-wide sysctl in Linux, and a
// gosock namespace is a host of its own.

// pageSize is the unit of tcp_mem.
const pageSize = 4096

// memAccount is a namespace's TCP memory: Linux's tcp_memory_allocated
// and tcp_memory_pressure.
type memAccount struct {
	allocated atomic.Int64 // bytes charged by all connections
	// pressureSince is when pressure began, in Unix nanoseconds; 0: none.
	pressureSince atomic.Int64
}

// MemoryAllocated returns the bytes TCP connections hold in the
// namespace: the sum Linux reports (in pages) as the "mem" of the TCP
// line of /proc/net/sockstat. It is zero once every socket is closed and
// every connection has finished.
func (p *Protocol) MemoryAllocated() int64 { return p.mem.allocated.Load() }

// MemoryPressure reports whether TCP is under memory pressure
// (tcp_under_memory_pressure).
func (p *Protocol) MemoryPressure() bool { return p.mem.pressureSince.Load() != 0 }

// memLimits returns tcp_mem in bytes.
func (p *Protocol) memLimits() (low, pressure, high int64) {
	v := p.ns.Sysctl.Vec(netns.TCPMem)
	return v[0] * pageSize, v[1] * pageSize, v[2] * pageSize
}

// memFootprint is what the connection holds now.
func (c *conn) memFootprint() int {
	return c.rcvMem() + c.sndBuf.Len()
}

// rcvMem is what the receive side holds: in-order and out-of-order data.
func (c *conn) rcvMem() int {
	n := c.rcvQ.Len()
	for i := range c.ooo {
		n += len(c.ooo[i].data)
	}
	return n
}

// memSync charges the namespace with the change in the connection's
// footprint since the last call and moves the pressure state: called with
// c.mu held after each segment, user call and timer that may have queued
// or freed data.
func (c *conn) memSync() {
	now := c.memFootprint()
	d := int64(now - c.memCharged)
	if d == 0 {
		return
	}
	c.memCharged = now
	total := c.p.mem.allocated.Add(d)
	c.p.memState(total)
}

// memState enters pressure above tcp_mem[1] and leaves it at or below
// tcp_mem[0] (sk_enter_memory_pressure, sk_leave_memory_pressure).
func (p *Protocol) memState(total int64) {
	low, pressure, _ := p.memLimits()
	m := &p.mem
	switch {
	case total > pressure:
		if m.pressureSince.Load() == 0 &&
			m.pressureSince.CompareAndSwap(0, p.ns.Clock().Now().UnixNano()) {
			p.ns.MIB.Inc(netns.TCPExtTCPMemoryPressures)
		}
	case total <= low:
		if since := m.pressureSince.Load(); since != 0 && m.pressureSince.CompareAndSwap(since, 0) {
			ms := (p.ns.Clock().Now().UnixNano() - since) / int64(time.Millisecond)
			p.ns.MIB.Add(netns.TCPExtTCPMemoryPressuresChrono, uint64(max(ms, 0)))
		}
	}
}

// rcvSchedule reports whether n more received bytes may be queued
// (tcp_try_rmem_schedule): within SO_RCVBUF, and within tcp_mem[2]
// unless the socket holds less than tcp_rmem[0]. A refusal is counted
// against ofo (out-of-order data) or the receive queue.
func (c *conn) rcvSchedule(n int, ofo bool) bool {
	if n == 0 || c.sk == nil {
		return true
	}
	held := c.rcvMem()
	ok := held+n <= c.sk.S.RcvBuf()
	if ok {
		_, _, high := c.p.memLimits()
		if c.p.mem.allocated.Load()+int64(n) > high &&
			int64(held+n) > c.p.ns.Sysctl.Vec(netns.TCPRmem)[0] {
			ok = false
		}
	}
	if !ok {
		mib := c.p.ns.MIB
		if ofo {
			mib.Inc(netns.TCPExtTCPOFODrop)
			mib.Drop(netns.DropTCPOFODrop)
		} else {
			mib.Inc(netns.TCPExtTCPRcvQDrop)
			mib.Drop(netns.DropProtoMem)
		}
	}
	return ok
}

// sndRoom limits a write's room in the send queue by tcp_mem[2]: above
// it a socket may still queue up to tcp_wmem[0] (sk_stream_memory_free
// with the guaranteed minimum), so a writer waits for memory as Linux's
// sk_stream_wait_memory.
func (c *conn) sndRoom(room int) int {
	_, _, high := c.p.memLimits()
	over := c.p.mem.allocated.Load() + int64(room) - high
	if over <= 0 {
		return room
	}
	c.moderateSndbuf()
	floor := int(c.p.ns.Sysctl.Vec(netns.TCPWmem)[0]) - c.sndBuf.Len()
	return max(room-int(over), min(room, floor), 0)
}

// sockMinSndbuf is SOCK_MIN_SNDBUF as Linux computes it on x86-64
// (2 × (2048 + the skb overhead)).
const sockMinSndbuf = 4608

// moderateSndbuf shrinks the send buffer to half of what is queued when
// TCP memory runs out, unless the user fixed it with SO_SNDBUF
// (sk_stream_moderate_sndbuf): a writer then waits for its own data to
// drain rather than queue more.
func (c *conn) moderateSndbuf() {
	s := c.sk.S
	if s.BufLocks()&socket.SockSndbufLock != 0 {
		return
	}
	if n := max(min(s.SndBuf(), c.sndBuf.Len()/2), sockMinSndbuf); n < s.SndBuf() {
		s.SetBufs(s.RcvBuf(), n)
	}
}

// underPressure is tcp_under_memory_pressure: buffers must not grow.
func (c *conn) underPressure() bool { return c.p.MemoryPressure() }

// adjustRcvSsthresh clamps the window's growth target under pressure
// (tcp_adjust_rcv_ssthresh: at most four advertised MSS).
func (c *conn) adjustRcvSsthresh() {
	if c.underPressure() {
		c.rcvSsthresh = min(c.rcvSsthresh, uint32(4*max(c.advMSS, 536)))
	}
}

// dataAfterClose resets a connection in FIN-WAIT-1/2 whose user closed it
// (or shut down reading) when new data arrives: nobody will read it, so
// Linux answers with a reset rather than hold it (tcp_rcv_state_process,
// TCPAbortOnData). It reports whether the segment was consumed.
func (c *conn) dataAfterClose(s *segment) bool {
	if c.state != FinWait1 && c.state != FinWait2 || len(s.payload) == 0 {
		return false
	}
	if !c.orphan && (c.sk == nil || c.sk.S.Shutdown()&socket.RcvShutdown == 0) {
		return false
	}
	if !seqnum.Value(s.seq + uint32(len(s.payload))).GreaterThan(seqnum.Value(c.rcvNxt)) {
		return false // nothing new: an old retransmission
	}
	c.p.ns.MIB.Inc(netns.TCPExtTCPAbortOnData)
	c.p.ns.MIB.Drop(netns.DropTCPAbortOnData)
	c.p.sendResetFor(s, c.local, c.remote)
	c.abort(errno.ECONNRESET)
	return true
}

// readReady is tcp_epollin_ready for avail unread bytes: readable once
// there are SO_RCVLOWAT of them, or sooner when the receive buffer is
// nearly full (tcp_rmem_pressure: above 7/8 of SO_RCVBUF) or the window
// left to offer is down to a segment (the peer could send no more to
// reach the mark). The segment is our advertised MSS where Linux uses
// its estimate of the peer's (icsk_ack.rcv_mss).
func (c *conn) readReady(avail int) bool {
	if avail <= 0 {
		return false
	}
	if c.sk == nil || avail >= c.sk.S.RcvLowat() {
		return true
	}
	rcvbuf := c.sk.S.RcvBuf()
	if c.rcvMem() > rcvbuf-rcvbuf>>3 {
		return true
	}
	left := int32(c.rcvWup + c.rcvWnd - c.rcvNxt)
	return left <= int32(c.advMSS)
}
