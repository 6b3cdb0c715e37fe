package tcp

import (
	"net/netip"
	"sync"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/inet"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/waitq"
)

// conn is one TCP socket: Linux's tcp_sock with the parts of
// inet_connection_sock it needs. mu is the socket lock; the packet path
// and user calls both take it, briefly: neither ever waits with it held.
type conn struct {
	p  *Protocol
	sk *inet.Sock

	mu    *sync.Mutex // a pointer, so disconnectLocked's reset keeps the held lock
	state State
	// The byte-sized fields sit together here, out of their topics'
	// groups below, so that alignment wastes no padding after each: the
	// struct stays within a smaller allocation size class.
	hashed    bool    // in the connection table
	orphan    bool    // closed by the user, finishing on its own
	caState   caState // loss recovery's state
	reqAcked  bool    // see the listening sockets' fields
	reqOld    bool    // see the listening sockets' fields
	finQueued bool    // see sndBuf
	finSent   bool
	nodelay   bool
	finRcvd   bool
	sndWscale uint8
	rcvWscale uint8
	// Options agreed in the handshake.
	tsOK   bool
	sackOK bool
	wsOK   bool

	// dstConfirm is Linux's sk_dst_pending_confirm: an ACK showed
	// forward progress, so the next segment out confirms the next hop's
	// neighbour entry (ackInput sets it, sendSegmentGSO clears it).
	dstConfirm bool
	// flushTx: a send call is in progress, whose segments wait for its
	// flush of flushDev (flush.go).
	flushTx  bool
	flushDev link.Flusher

	// local and remote are the wire addresses of the connection (IPv4 or
	// IPv6, never v4-mapped), set at connect or when a SYN arrives.
	local, remote netip.AddrPort

	// Listening sockets.
	backlog  int
	acceptQ  []*conn
	synRecvs int
	parent   *conn       // a child not yet accepted
	deferQ   *deferQueue // SYNs held for accept (intercept.go)
	// synqOverflow is when the listener last answered with a SYN cookie
	// (tcp_synq_overflow), the clock's UnixNano (0: never); cookies are
	// checked for 2 minutes after it. Not a time.Time: the 16 bytes it
	// saves keep a connection in its allocation size class.
	synqOverflow int64
	// reqAcked (at the top) says a child waiting for data
	// (TCP_DEFER_ACCEPT) saw the handshake's bare ACK
	// (inet_rsk(req)->acked).
	// reqOld (at the top) says a child's SYN-ACK timer has fired
	// (num_timeout > 0); synOld counts a listener's such requests, so
	// synRecvs - synOld are the young ones (reqsk_queue_len_young).
	synOld int

	// Send sequence space (RFC 9293 3.3.1).
	iss       uint32
	sndUna    uint32
	sndNxt    uint32
	sndMax    uint32 // highest sequence sent (snd_nxt before a retransmission rewinds it)
	sndWnd    uint32 // the peer's window, scaled
	sndWl1    uint32
	sndWl2    uint32
	maxWindow uint32
	// sndBuf holds the data from sndUna on: sent but unacknowledged, then
	// not yet sent. finQueued (at the top) says a FIN follows it; the
	// FIN's sequence number is sndUna + sndBuf.Len() (+1 while the SYN
	// is unacked).
	sndBuf  byteQueue
	eorEnds []uint32 // sequence numbers where MSG_EOR records end
	wq      *wqState // the skbs the data sits in (wqueue.go); nil before a write
	mss     int      // effective send MSS
	advMSS  int      // the MSS we announced

	// Receive sequence space.
	irs    uint32
	rcvNxt uint32
	rcvWup uint32 // rcvNxt when the window was last advertised
	rcvWnd uint32 // the window last advertised, unscaled
	// rcvSsthresh caps the offered window; it grows as data arrives
	// (tcp_grow_window).
	rcvSsthresh uint32
	windowClmp  uint32
	rcvQ        byteQueue
	ooo         []oooSeg

	// Timestamps (tsOK and the other options agreed are at the top).
	tsRecent uint32
	tsOffset uint32

	rtt     rttEstimator
	backoff int
	retrans int // consecutive retransmissions of the head (RTO firings)
	// retransStart is when the current run of timeouts began.
	retransStart time.Time
	// synSent is when the SYN or SYN-ACK went out, for the handshake's
	// RTT sample (tcp_synack_rtt_meas, FLAG_SYN_ACKED).
	synSent    time.Time
	rttTiming  bool
	rttSeq     uint32
	rttStart   time.Time
	quickAcks  int
	dack       dackState // interactive mode and ato (delack.go)
	ackPending int       // segments received since the last ACK sent

	cc  congestionControl
	ccs ccState
	// Window validation (tcp_cwnd_validate): whether the last window was
	// used up (isCwndLimited, at the top), and the most segments out in
	// it.
	maxPacketsOut uint32
	cwndUsageSeq  uint32

	rtoTimer    clock.Timer
	delackTimer clock.Timer
	waitTimer   clock.Timer // TIME-WAIT and orphaned FIN-WAIT-2
	twStamp     time.Time   // when TIME-WAIT began (tw_entry_stamp)

	opts tcpOpts // SOL_TCP options

	// Loss recovery (caState is at the top).
	// recover (sndMax when recovery began, RFC 6582) sits with the
	// statistics below, beside totalRetrans: here it left 4 bytes of
	// padding before lr.
	dupAcks int
	// lr is the retransmission queue, SACK scoreboard, RACK and PRR
	// (rtxqueue.go).
	lr lossState

	// Tail loss probe.
	tlpTimer   clock.Timer
	tlpHighSeq uint32 // sndNxt when a probe went out; 0: none outstanding
	finAlone   bool   // the FIN went out in a segment of its own

	// isCwndLimited (see maxPacketsOut) shares finAlone's word: with the
	// bools at the top it made them 17 bytes, 7 of padding before local.
	isCwndLimited bool

	// Keepalive.
	keepTimer clock.Timer
	probes    int
	lastRecv  time.Time

	// Receive-buffer auto-tuning (autotune.go).
	rcvSpaceStart  time.Time
	rcvSpaceCopied int32 // read since rcvSpaceStart
	rcvSpace       int32 // read in the last measured round trip (rcvq_space.space)

	// Statistics for TCP_INFO.
	totalRetrans  uint32
	recover       uint32 // sndMax when recovery began (RFC 6582)
	bytesAcked    uint64
	bytesReceived uint64
	segsOut       uint32
	segsIn        uint32
	pmtu          int

	urg urgState // urgent data (urgent.go)
	ecn ecnState // ECN (ecn.go)
	tfo tfoState // TCP Fast Open (fastopen.go)

	memCharged int // bytes charged to the namespace (mem.go)
	// txt counts the packets handed to a device that completes late and
	// not yet completed (autocork.go), made at the first such packet.
	txt *txTrack

	// stamp is the clock read once for the event being processed, zero
	// outside events (stamp.go).
	stamp time.Time
}

// oooSeg is data received beyond rcvNxt, kept until the hole fills.
type oooSeg struct {
	seq  uint32
	data []byte
	fin  bool
}

// setState changes the state, keeping the inet socket's view and the
// counters in step (tcp_set_state).
func (c *conn) setState(s State) {
	old := c.state
	c.state = s
	mib := c.p.ns.MIB
	if s == Established && old != Established {
		mib.Inc(netns.TCPCurrEstab)
	}
	if old == Established && s != Established {
		mib.Dec(netns.TCPCurrEstab)
		if s == Close {
			mib.Inc(netns.TCPEstabResets)
		}
	}
	if c.sk != nil {
		switch s {
		case TimeWait, Close:
			// inet sees a closed socket once the connection is gone.
			if s == Close {
				c.sk.SetState(inet.StateClose)
			} else {
				c.sk.SetState(inet.StateTimeWait)
			}
		default:
			c.sk.SetState(int(s))
		}
	}
}

// notify wakes waiters on the socket's queue.
func (c *conn) notify(ev waitq.Events) {
	if c.sk != nil {
		c.sk.S.Wait.Notify(ev)
	}
}

// sysctl helpers.
func (c *conn) sysInt(k netns.Key) int64 { return c.p.ns.Sysctl.Int(k) }

// inFlight returns the bytes sent and not acknowledged.
func (c *conn) inFlight() uint32 { return c.sndNxt - c.sndUna }

// abort ends the connection with an error reported to the user (tcp_done
// after tcp_reset or a timeout).
func (c *conn) abort(e errno.Errno) {
	if c.sk != nil && e != 0 {
		c.sk.S.SetError(e)
	}
	c.done()
}

// done moves to CLOSE, stops timers, unhashes and wakes everyone
// (tcp_done).
func (c *conn) done() {
	c.fastOpenDone()
	c.setState(Close)
	c.stopTimers()
	c.p.unhash(c)
	if c.orphan && c.sk != nil {
		c.p.ports.Remove(c.sk) // the last reference: the port is free again
	}
	c.sndBuf.Reset()
	c.wqReset()
	c.rtxReset()
	c.ooo = nil
	if c.orphan {
		c.rcvQ.Reset() // nobody will read it
	}
	c.memSync()
	if c.sk != nil {
		c.sk.S.SetShutdown(3)
	}
	c.notify(waitq.EventIn | waitq.EventOut | waitq.EventErr | waitq.EventHUp | waitq.EventRdHUp)
}

// stopTimers stops every timer of a connection that is done; Halt takes
// the lazy ones out of the runtime's heap too (clock.LazyAfterFunc), so
// that a closed connection leaves no timer behind to fire for nothing.
func (c *conn) stopTimers() {
	c.stopReo()
	for _, t := range []clock.Timer{c.rtoTimer, c.delackTimer, c.waitTimer, c.keepTimer, c.tlpTimer, c.lr.reoTimer} {
		if t != nil {
			clock.Halt(t)
		}
	}
}

func (c *conn) pendingErr() errno.Errno {
	if c.sk == nil {
		return 0
	}
	return c.sk.S.TakeError()
}
