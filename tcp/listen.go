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
	c.sk.Mu.Lock()
	defer c.sk.Mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state {
	case Listen:
		c.backlog = backlog
		return 0
	case Close:
	default:
		return errno.EINVAL
	}
	if c.sk.S.Shutdown() != 0 {
		return errno.EINVAL
	}
	if c.sk.Num == 0 {
		if e := c.GetPort(0); e != 0 {
			return errno.EADDRINUSE
		}
	} else if c.p.ports.Conflict(c.sk, c.sk.Num) {
		// Another socket on the port became a listener in the meantime
		// (inet_csk_get_port again at listen).
		return errno.EADDRINUSE
	}
	c.backlog = backlog
	c.fastOpenListen(backlog)
	c.setState(Listen)
	c.p.addListener(c)
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
	c.acceptQ = c.acceptQ[1:]
	child.mu.Lock()
	child.parent = nil
	sk := child.sk
	child.mu.Unlock()
	return sk, 0
}

// listenInput handles a segment for a listening socket
// (tcp_v4_conn_request): a SYN makes a child in SYN-RECEIVED and answers
// SYN-ACK; an ACK gets a reset; a RST is ignored.
func (c *conn) listenInput(s *segment, local, remote netip.AddrPort) {
	mib := c.p.ns.MIB
	switch {
	case s.has(wire.TCPFlagRST):
		return
	case s.has(wire.TCPFlagACK):
		c.p.sendResetFor(s, local, remote)
		return
	case !s.has(wire.TCPFlagSYN):
		mib.Drop(netns.DropTCPFlags)
		return
	}
	// Queue limits: a full accept queue drops the SYN (tcp_abort_on_overflow
	// is 0), counted as ListenOverflows and ListenDrops.
	if len(c.acceptQ) >= max(c.backlog, 1) {
		mib.Inc(netns.TCPExtListenOverflows)
		mib.Inc(netns.TCPExtListenDrops)
		return
	}
	if c.synRecvs >= int(c.sysInt(netns.TCPMaxSynBacklog)) {
		mib.Inc(netns.TCPExtListenDrops)
		return
	}
	child := c.newChild(s, local, remote)
	if child == nil {
		mib.Inc(netns.TCPExtListenDrops)
		return
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
	if tfo {
		c.fastOpenAccept(child)
	}
}

// newChild makes the connection a SYN asks for, in SYN-RECEIVED, not yet
// in the connection table (tcp_create_openreq_child, simplified: gosock
// keeps no separate request socket).
func (c *conn) newChild(s *segment, local, remote netip.AddrPort) *conn {
	so := &socket.Sock{NS: c.p.ns, Family: c.sk.S.Family, Type: c.sk.S.Type, Protocol: c.sk.S.Protocol, Creds: c.sk.S.Creds}
	so.InitDefaults()
	copyOptions(so, c.sk.S)
	sk := inet.NewChild(c.sk, so)
	child := c.p.newConn(sk)
	sk.Proto = child
	so.SetBufs(c.sk.S.RcvBuf(), c.sk.S.SndBuf())
	child.parent = c
	child.opts = c.opts // SOL_TCP settings are inherited (tcp_create_openreq_child)
	child.nodelay = c.nodelay
	child.local, child.remote = local, remote
	a := *c.sk.Addrs()
	a.RcvAddr, a.Src = sk.ForFamily(child.local.Addr()), sk.ForFamily(child.local.Addr())
	a.Dst, a.DstPort = sk.ForFamily(child.remote.Addr()), child.remote.Port()
	a.Port = child.local.Port() // the SYN's port: a steered one's is not the listener's
	sk.SetAddrs(a)
	sk.Num = a.Port
	rt, err := c.p.ns.Lookup(child.remote.Addr(), netns.LookupFlags{Src: child.local.Addr()})
	if err != nil {
		return nil
	}
	child.initSyn(rt.MTU)
	child.irs = s.seq
	child.rcvNxt = s.seq + 1
	child.negotiate(&s.opts, true)
	child.ecnSynRcvd(s)
	if child.tsOK {
		child.tsRecent = s.opts.TSVal
	}
	child.sndWnd = s.wnd // a SYN's window is never scaled
	child.iss = c.p.secrets.isn(child.local, child.remote, child.now())
	child.sndUna, child.sndNxt, child.sndMax = child.iss, child.iss+1, child.iss+1
	child.setState(SynRecv)
	return child
}

// copyOptions gives a child the listener's inherited SOL_SOCKET options.
func copyOptions(dst, src *socket.Sock) {
	for _, o := range []int{2, 9, 6, 10, 5} { // SO_REUSEADDR, SO_KEEPALIVE, SO_BROADCAST, SO_OOBINLINE, SO_DONTROUTE
		dst.SetFlag(o, src.Flag(o))
	}
}

// childEstablished moves a child that completed its handshake to the
// accept queue and wakes an acceptor.
func (c *conn) childEstablished(child *conn) {
	// Called with child.mu held; take the parent's lock after it.
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != Listen {
		return
	}
	c.synRecvs--
	c.acceptQ = append(c.acceptQ, child)
	c.notify(waitq.EventIn | waitq.EventRdNorm)
}

// removeSynRecv forgets a child that died before being accepted.
func (c *conn) removeSynRecv(child *conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.synRecvs--
	if c.deferredPending() > 0 {
		c.notify(waitq.EventIn) // accept may start the next held SYN
	}
}

// closeListener resets the connections no one accepted
// (inet_csk_listen_stop).
func (c *conn) closeListener() {
	c.p.removeListener(c)
	q := c.acceptQ
	c.acceptQ = nil
	for _, child := range q {
		child.mu.Lock()
		child.orphan = true
		child.sendSegment(wire.TCPFlagRST|wire.TCPFlagACK, child.sndNxt, nil)
		child.done()
		child.mu.Unlock()
	}
}
