package tcp

import (
	"time"

	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/wire"
)

// gosock has no separate request socket: a child in SYN-RECEIVED with a
// parent stands for Linux's request_sock, counted in the listener's
// synRecvs (the SYN queue's qlen). This file holds what Linux does with
// requests: the check when the handshake's ACK arrives (tcp_check_req)
// and the SYN-ACK timer (reqsk_timer_handler).

// admitChild decides whether the ACK that completes a child's handshake
// may make it an established connection (tcp_check_req, then
// tcp_v4_syn_recv_sock's accept-queue check). It answers false, and the
// ACK is dropped, when:
//   - the listener has closed: the request died with it, and the ACK,
//     finding no socket, is answered with a reset;
//   - TCP_DEFER_ACCEPT is on and the ACK is bare: the child waits for
//     data, remembering it was acknowledged;
//   - the accept queue is full (tcp_abort_on_overflow is 0): the child
//     stays and the SYN-ACK timer will ask again.
//
// Called with c.mu held; takes the listener's lock after it.
func (c *conn) admitChild(s *segment) bool {
	l := c.parent
	mib := c.p.ns.MIB
	l.mu.Lock()
	listening := l.state == Listen
	deferRetrans := l.opts.deferAccept
	full := listening && l.acceptQueueFull()
	if !listening {
		l.synRecvs--
		if c.reqOld {
			l.synOld--
		}
	}
	l.mu.Unlock()
	if !listening {
		c.parent = nil
		c.orphan = true
		c.p.sendResetFor(s, c.local, c.remote)
		c.done()
		return false
	}
	if deferRetrans > 0 && c.retrans < deferRetrans && s.seq+s.seqLen() == c.irs+1 {
		c.reqAcked = true
		mib.Inc(netns.TCPExtTCPDeferAcceptDrop)
		return false
	}
	if full {
		c.reqAcked = true
		mib.Inc(netns.TCPExtListenOverflows)
		mib.Inc(netns.TCPExtListenDrops)
		l.sk.AddDrop()
		return false
	}
	return true
}

// listenerGone resets a child whose listener closed between admitChild
// and its entry in the accept queue.
func (c *conn) listenerGone() {
	c.parent = nil
	c.orphan = true
	c.sendSegment(wire.TCPFlagRST|wire.TCPFlagACK, c.sndNxt, nil)
	c.p.ns.MIB.Inc(netns.TCPOutRsts)
	c.done()
}

// synAckTimeout is the SYN-ACK timer of a child in SYN-RECEIVED
// (reqsk_timer_handler with syn_ack_recalc): give up after
// TCP_SYNCNT/tcp_synack_retries timeouts, fewer for old requests when
// the queue is more than half full of them; with TCP_DEFER_ACCEPT an
// acknowledged child also waits out the deferral, staying quiet until
// its last period, whose SYN-ACK gives the peer a last chance to send
// data or ACK again. Called with c.mu held.
func (c *conn) synAckTimeout() {
	l := c.parent
	l.mu.Lock()
	if l.state != Listen {
		l.mu.Unlock()
		// The listener closed: the request is dropped without a word.
		c.parent = nil
		c.orphan = true
		c.done()
		return
	}
	deferRetrans := l.opts.deferAccept
	maxRetries := l.opts.synCnt
	qlen, young, backlog := l.synRecvs, l.synRecvs-l.synOld, l.backlog
	if !c.reqOld {
		c.reqOld = true // this timeout makes it old, whatever follows
		l.synOld++
	}
	if maxRetries == 0 {
		maxRetries = int(c.sysInt(netns.TCPSynackRetries))
	}
	// Half the queue is kept for young requests: while old ones fill more
	// than half, each doubling of their share costs them a retry, down to
	// two.
	if qlen<<1 > max(8, backlog) {
		young <<= 1
		for maxRetries > 2 && qlen >= young {
			maxRetries--
			young <<= 1
		}
	}
	expire := c.retrans >= maxRetries
	resend := true
	if deferRetrans > 0 {
		expire = expire && (!c.reqAcked || c.retrans >= deferRetrans)
		resend = !c.reqAcked || c.retrans >= deferRetrans-1
	}
	if expire {
		// The request leaves under the same hold of the listener's lock
		// as the queue length it was judged by: two timers firing at
		// once must not both drop on one reading.
		l.dropSynRecvLocked(c)
		l.mu.Unlock()
		c.done()
		return
	}
	l.mu.Unlock()
	if resend {
		c.p.ns.MIB.Inc(netns.TCPRetransSegs)
		c.p.ns.MIB.Inc(netns.TCPExtTCPSynRetrans)
		c.totalRetrans++
		c.sendSegment(wire.TCPFlagSYN|wire.TCPFlagACK, c.iss, nil)
	}
	c.retrans++
	c.rtoTimer.Reset(reqskTimeout(c.retrans))
}

// reqskTimeout is the SYN-ACK timer's period after n timeouts
// (reqsk_timeout): TCP_TIMEOUT_INIT doubled each time, at most
// TCP_RTO_MAX. Unlike a SYN's, it is never linear.
func reqskTimeout(n int) time.Duration {
	if n >= 8 {
		return RTOMax
	}
	return min(RTOInit<<n, RTOMax)
}
