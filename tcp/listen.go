package tcp

import (
	"net/netip"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/inet"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/waitq"
	"github.com/gosock/gosock/wire"
)

// Listen is inet_listen/inet_csk_listen_start: the socket must be closed
// or listening already (EINVAL otherwise); it claims a port if it has
// none; the backlog (clamped to somaxconn by the socket layer) bounds the
// accept queue. Called without sk.Mu.
func (c *conn) Listen(backlog int) errno.Errno {
	// The socket lock (port table work) and the connection lock are not
	// nested: the packet path takes the socket lock under the connection
	// lock when it makes a child (inet.NewChild), so Listen must not hold
	// them the other way round.
	c.mu.Lock()
	switch c.state {
	case Listen:
		c.backlog = backlog
		c.mu.Unlock()
		return 0
	case Close:
	default:
		c.mu.Unlock()
		return errno.EINVAL
	}
	c.mu.Unlock()
	if e := c.listenPort(); e != 0 {
		return e
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != Close {
		return errno.EINVAL
	}
	c.backlog = backlog
	c.fastOpenListen(backlog)
	c.setState(Listen)
	c.p.addListener(c)
	return 0
}

// listenPort claims or re-checks the port a listener needs
// (inet_csk_get_port at listen), under the socket lock.
func (c *conn) listenPort() errno.Errno {
	c.sk.Mu.Lock()
	defer c.sk.Mu.Unlock()
	if c.sk.S.Shutdown() != 0 {
		return errno.EINVAL
	}
	if c.sk.Num == 0 {
		if e := c.GetPort(0); e != 0 {
			return errno.EADDRINUSE
		}
	} else if c.p.ports.Conflict(c.sk, c.sk.Num) {
		// Another socket on the port became a listener in the meantime.
		return errno.EADDRINUSE
	}
	return 0
}

// Accept takes the next established connection off the accept queue.
func (c *conn) Accept(flags int) (*inet.Sock, errno.Errno) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != Listen {
		return nil, errno.EINVAL
	}
	if len(c.acceptQ) == 0 {
		c.startDeferred() // a held SYN's handshake starts now (intercept.go)
		return nil, errno.EAGAIN
	}
	child := c.acceptQ[0]
	// The array must not keep the accepted child alive, and once the
	// queue is empty it is reused from its start: sliced past its head
	// it would shrink to nothing and the next connection queued would
	// allocate a new one.
	c.acceptQ[0] = nil
	if len(c.acceptQ) == 1 {
		c.acceptQ = c.acceptQ[:0]
	} else {
		c.acceptQ = c.acceptQ[1:]
	}
	child.mu.Lock()
	child.parent = nil
	sk := child.sk
	child.mu.Unlock()
	return sk, 0
}

// listenInput handles a segment for a listening socket
// (tcp_v4_do_rcv and tcp_rcv_state_process in LISTEN): a SYN is a
// connection request; an ACK may carry a SYN cookie, else it gets a
// reset; a RST is ignored.
func (c *conn) listenInput(s *segment, local, remote netip.AddrPort) {
	switch {
	case s.has(wire.TCPFlagRST):
		return
	case s.has(wire.TCPFlagACK):
		if !s.has(wire.TCPFlagSYN) && c.cookieAck(s, local, remote) {
			return
		}
		c.p.sendResetFor(s, local, remote)
		return
	case !s.has(wire.TCPFlagSYN):
		c.p.ns.MIB.Drop(netns.DropTCPFlags)
		return
	}
	c.connRequest(s, local, remote, 0)
}

// connRequest answers a SYN (tcp_conn_request): with a SYN cookie when
// the SYN queue is full (or always, tcp_syncookies=2), else with a child
// in SYN-RECEIVED; isn, when not zero, is the initial sequence number a
// SYN that reopened a TIME-WAIT connection must use (and such a SYN never
// gets a cookie).
func (c *conn) connRequest(s *segment, local, remote netip.AddrPort, isn uint32) {
	mib := c.p.ns.MIB
	syncookies := c.sysInt(netns.TCPSyncookies)
	wantCookie := false
	if (syncookies == 2 || c.reqQueueFull()) && isn == 0 {
		// tcp_syn_flood_action.
		if syncookies == 0 {
			mib.Inc(netns.TCPExtTCPReqQFullDrop)
			c.listenDrop()
			return
		}
		wantCookie = true
		mib.Inc(netns.TCPExtTCPReqQFullDoCookies)
	}
	if c.acceptQueueFull() {
		mib.Inc(netns.TCPExtListenOverflows)
		c.listenDrop()
		return
	}
	if !wantCookie && syncookies == 0 {
		// Without cookies the last quarter of tcp_max_syn_backlog is kept
		// for peers proven alive; gosock keeps no TCP metrics, so no peer
		// is proven.
		maxSyn := int(c.sysInt(netns.TCPMaxSynBacklog))
		if maxSyn-c.synRecvs < maxSyn>>2 {
			c.listenDrop()
			return
		}
	}
	if wantCookie {
		c.sendCookieSynAck(s, local, remote)
		return
	}
	child := c.newChild(s, local, remote)
	if child == nil {
		c.listenDrop()
		return
	}
	if isn != 0 {
		child.iss = isn
		child.sndUna, child.sndNxt, child.sndMax = isn, isn+1, isn+1
	}
	tfo := c.fastOpenRequest(child, s) // Fast Open: SYN data, cookie (fastopen.go)
	c.synRecvs++
	mib.Inc(netns.TCPPassiveOpens)
	// The child is not in the table yet, so nothing else can reach it:
	// answer first, then make it visible (no child lock under ours).
	child.sendSegment(wire.TCPFlagSYN|wire.TCPFlagACK, child.iss, nil)
	child.armRTO()
	if !c.p.hash(child) {
		child.stopTimers()
		c.synRecvs--
		return
	}
	c.p.ports.Inherit(child.sk, c.sk)
	if tfo {
		c.fastOpenAccept(child)
	}
}

// listenDrop counts a connection request dropped (tcp_listendrop).
func (c *conn) listenDrop() {
	c.p.ns.MIB.Inc(netns.TCPExtListenDrops)
	c.sk.AddDrop()
}

// reqQueueFull is inet_csk_reqsk_queue_is_full: more requests in
// SYN-RECEIVED than the listen backlog (Linux 6.18 compares with >).
func (c *conn) reqQueueFull() bool { return c.synRecvs > c.backlog }

// acceptQueueFull is sk_acceptq_is_full: more established connections
// waiting than the backlog, so a backlog of 0 still queues one.
func (c *conn) acceptQueueFull() bool { return len(c.acceptQ) > c.backlog }

// newChild makes the connection a SYN asks for, in SYN-RECEIVED, not yet
// in the connection table (tcp_create_openreq_child, simplified: gosock
// keeps no separate request socket, the child stands for it). Called with
// c.mu held, which it lets go while it copies the listener's IP options
// (inet.NewChild takes the listener's socket lock, and user calls such as
// shutdown and connect hold that lock while they take c.mu); nil if the
// listener stopped listening meanwhile.
func (c *conn) newChild(s *segment, local, remote netip.AddrPort) *conn {
	so := &socket.Sock{NS: c.p.ns, Family: c.sk.S.Family, Type: c.sk.S.Type, Protocol: c.sk.S.Protocol, Creds: c.sk.S.Creds}
	so.InitDefaults()
	copyOptions(so, c.sk.S)
	c.mu.Unlock()
	sk := inet.NewChild(c.sk, so)
	c.mu.Lock()
	if c.state != Listen {
		return nil
	}
	child := c.p.newConn(sk)
	sk.Proto = child
	so.SetBufs(c.sk.S.RcvBuf(), c.sk.S.SndBuf())
	child.parent = c
	child.opts = c.opts // SOL_TCP settings are inherited (tcp_create_openreq_child)
	child.nodelay = c.nodelay
	a := *c.sk.Addrs()
	a.RcvAddr, a.Src = sk.ForFamily(local.Addr()), sk.ForFamily(local.Addr())
	a.Dst, a.DstPort = sk.ForFamily(remote.Addr()), remote.Port()
	a.Port = local.Port() // the SYN's port: a steered one's is not the listener's
	sk.SetAddrs(a)
	if !child.initRequest(s, local, remote) {
		return nil
	}
	child.setState(SynRecv)
	return child
}

// initRequest sets up what a SYN asks for (tcp_openreq_init and
// tcp_openreq_init_rwin): addresses, the options we offer and those
// agreed, the initial window and sequence numbers. It serves children
// and the stateless SYN-ACK of a SYN cookie; false when there is no
// route back.
func (c *conn) initRequest(s *segment, local, remote netip.AddrPort) bool {
	c.local, c.remote = local, remote
	rt, err := c.p.ns.Lookup(remote.Addr(), netns.LookupFlags{Src: local.Addr()})
	if err != nil {
		return false
	}
	c.initSyn(rt.MTU)
	c.irs = s.seq
	c.rcvNxt = s.seq + 1
	c.rcvWup = c.rcvNxt // the window is offered from here (tcp_create_openreq_child)
	c.negotiate(&s.opts, true)
	c.ecnSynRcvd(s)
	if c.tsOK {
		c.tsRecent = s.opts.TSVal
	}
	c.sndWnd = s.wnd // a SYN's window is never scaled
	c.iss = c.p.secrets.isn(local, remote, c.now())
	c.sndUna, c.sndNxt, c.sndMax = c.iss, c.iss+1, c.iss+1
	return true
}

// copyOptions gives a child the listener's inherited SOL_SOCKET options.
func copyOptions(dst, src *socket.Sock) {
	for _, o := range []int{2, 9, 6, 10, 5} { // SO_REUSEADDR, SO_KEEPALIVE, SO_BROADCAST, SO_OOBINLINE, SO_DONTROUTE
		dst.SetFlag(o, src.Flag(o))
	}
}

// childEstablished moves a child that completed its handshake to the
// accept queue and wakes an acceptor. Called with child.mu held; it takes
// the listener's lock after it (child, then listener, never the other way
// round for a child in SYN-RECEIVED). False if the listener closed since
// admitChild looked: the caller then resets the child.
func (c *conn) childEstablished(child *conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != Listen {
		return false
	}
	c.synRecvs--
	if child.reqOld {
		c.synOld--
	}
	c.acceptQ = append(c.acceptQ, child)
	c.notify(waitq.EventIn | waitq.EventRdNorm)
	return true
}

// removeSynRecv forgets a child that died before its handshake completed.
// The child, which nobody will accept, is an orphan: its end frees its
// port. Called with child.mu held.
func (c *conn) removeSynRecv(child *conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropSynRecvLocked(child)
}

// dropSynRecvLocked is removeSynRecv with the listener's lock held.
func (c *conn) dropSynRecvLocked(child *conn) {
	child.orphan = true
	c.synRecvs--
	if child.reqOld {
		c.synOld--
	}
	if c.deferredPending() > 0 {
		c.notify(waitq.EventIn) // accept may start the next held SYN
	}
}

// closeListener resets the connections no one accepted
// (inet_csk_listen_stop). Children still in SYN-RECEIVED notice the
// closed listener themselves (admitChild, synAckTimeout): their lock
// comes before ours.
func (c *conn) closeListener() {
	c.p.removeListener(c)
	q := c.acceptQ
	c.acceptQ = nil
	for _, child := range q {
		child.mu.Lock()
		child.orphan = true
		child.parent = nil
		if child.state != Close {
			child.sendSegment(wire.TCPFlagRST|wire.TCPFlagACK, child.sndNxt, nil)
			c.p.ns.MIB.Inc(netns.TCPOutRsts)
		}
		child.done()
		child.mu.Unlock()
	}
}
