package tcp

import (
	"net/netip"
	"sync"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/inet"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/waitq"
	"github.com/gosock/gosock/wire"
)

// proto is TCP's inet.Proto: it makes the protocol half of each socket
// (tcp_v4_init_sock).
type proto struct{ p *Protocol }

func (pr proto) Init(sk *inet.Sock) (inet.ProtoSock, errno.Errno) {
	c := pr.p.newConn(sk)
	return c, 0
}

// newConn makes a closed connection for sk with the namespace's
// defaults (tcp_init_sock): buffers from tcp_rmem[1]/tcp_wmem[1], the
// congestion control of net.ipv4.tcp_congestion_control.
func (p *Protocol) newConn(sk *inet.Sock) *conn {
	c := &conn{p: p, sk: sk, mu: new(sync.Mutex), state: Close}
	ns := p.ns
	if sk != nil {
		r, w := ns.Sysctl.Vec(netns.TCPRmem), ns.Sysctl.Vec(netns.TCPWmem)
		sk.S.SetBufs(int(r[1]), int(w[1]))
	}
	c.cc = newCongestionControl(ns.Sysctl.CongestionControl())
	if c.cc == nil {
		c.cc = &cubic{}
	}
	c.ccs = ccState{cwnd: 10, ssthresh: infiniteSsthresh, cwndClamp: 0xffffffff}
	return c
}

// GetPort claims a local port in TCP's port table.
func (c *conn) GetPort(port uint16) errno.Errno { return c.p.ports.Get(c.sk, port) }

// Connect is tcp_v4_connect / tcp_v6_connect with inet_stream_connect's
// state checks. Called with sk.Mu held.
func (c *conn) Connect(addr []byte) errno.Errno {
	c.lockTx()
	defer c.unlockTx()
	if abi.Family(addr) == abi.AF_UNSPEC {
		return c.disconnectLocked()
	}
	switch c.state {
	case SynSent, SynRecv:
		if c.tfo.deferred.Load() {
			// TCP_FASTOPEN_CONNECT holds the SYN for the first write:
			// connect already succeeded (__inet_stream_connect's
			// defer_connect case).
			return errno.EISCONN
		}
		return errno.EALREADY
	case Close:
	default:
		return errno.EISCONN
	}
	dst, dev, e := c.parseAddr(addr)
	if e != 0 {
		return e
	}
	a := *c.sk.Addrs()
	src := inet.Wire(a.Src)
	if !src.IsValid() || src.IsUnspecified() || src.Is4() != dst.Addr().Is4() {
		src = netip.Addr{}
	}
	ns := c.p.ns
	rt, err := ns.Lookup(dst.Addr(), netns.LookupFlags{OIF: dev, Src: src})
	if err != nil {
		if en, ok := errno.Of(err); ok {
			return en
		}
		return errno.ENETUNREACH
	}
	if !src.IsValid() {
		src = rt.Src
	}
	bound := c.sk.Num != 0
	if !bound {
		// Autobind with the chosen source (inet_hash_connect).
		a.RcvAddr, a.Src = c.sk.ForFamily(src), c.sk.ForFamily(src)
		c.sk.SetAddrs(a)
		if e := c.GetPort(0); e != 0 {
			return errno.EADDRNOTAVAIL
		}
		a = *c.sk.Addrs()
	}
	a.Src = c.sk.ForFamily(src)
	if !inet.Wire(a.RcvAddr).IsValid() || inet.Wire(a.RcvAddr).IsUnspecified() {
		a.RcvAddr = a.Src
	}
	a.Dst, a.DstPort = c.sk.ForFamily(dst.Addr()), dst.Port()
	c.sk.SetAddrs(a)
	c.local = netip.AddrPortFrom(src, a.Port)
	c.remote = dst
	var twISN, twTSRecent uint32
	if !c.p.hash(c) {
		// The 4-tuple may belong to a connection in TIME-WAIT that this
		// one can replace (timewait.go).
		var ok bool
		if twISN, twTSRecent, ok = c.p.reuseTimeWait(c, bound); !ok || !c.p.hash(c) {
			return errno.EADDRNOTAVAIL
		}
	}
	c.initSyn(rt.MTU)
	c.iss = c.p.secrets.isn(c.local, c.remote, c.now())
	if twISN != 0 {
		c.iss, c.tsRecent = twISN, twTSRecent
	}
	c.sndUna, c.sndNxt, c.sndMax = c.iss, c.iss+1, c.iss+1
	c.setState(SynSent)
	if c.fastOpenDefer() {
		return 0 // TCP_FASTOPEN_CONNECT: the SYN waits for data (fastopen.go)
	}
	c.p.ns.MIB.Inc(netns.TCPActiveOpens)
	c.ecnRequest()
	c.sendSegment(wire.TCPFlagSYN, c.iss, c.fastOpenSynData())
	c.armRTO()
	return errno.EINPROGRESS
}

// parseAddr reads a connect address for this socket's family (with
// v4-mapped addresses for AF_INET6 sockets); it returns the wire
// address and the scope's interface.
func (c *conn) parseAddr(addr []byte) (netip.AddrPort, int, errno.Errno) {
	fam := abi.Family(addr)
	if !c.sk.V6 {
		if len(addr) < abi.SizeofSockaddrInet4 {
			return netip.AddrPort{}, 0, errno.EINVAL
		}
		if fam != abi.AF_INET {
			return netip.AddrPort{}, 0, errno.EAFNOSUPPORT
		}
		ap := inet.Sockaddr4(addr)
		if ap.Addr().IsMulticast() || ap.Addr() == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			return netip.AddrPort{}, 0, errno.ENETUNREACH
		}
		return ap, c.sk.Addrs().Dev, 0
	}
	if len(addr) < 24 {
		return netip.AddrPort{}, 0, errno.EINVAL
	}
	if fam != abi.AF_INET6 {
		return netip.AddrPort{}, 0, errno.EAFNOSUPPORT
	}
	ap, scope := inet.Sockaddr6(addr)
	d := ap.Addr()
	if d.IsUnspecified() {
		d = netip.IPv6Loopback()
	}
	if d.IsMulticast() {
		return netip.AddrPort{}, 0, errno.ENETUNREACH
	}
	if d.Is4In6() {
		if c.sk.Addrs().V6Only {
			return netip.AddrPort{}, 0, errno.ENETUNREACH
		}
		d = d.Unmap()
	}
	dev := c.sk.Addrs().Dev
	if inet.NeedsScope(d) {
		if scope != 0 {
			dev = int(scope)
		}
		if dev == 0 {
			return netip.AddrPort{}, 0, errno.EINVAL
		}
	}
	return netip.AddrPortFrom(d, ap.Port()), dev, 0
}

// initSyn sets up the options we offer in a SYN or SYN-ACK from the
// sysctls and the route's MTU (tcp_connect_init), lowered to the path MTU
// learned for the peer (dst_mtu).
func (c *conn) initSyn(mtu int) {
	mtu = c.lowerToPMTU(mtu)
	ns := c.p.ns
	c.tsOK = ns.Sysctl.Int(netns.TCPTimestamps) != 0
	c.sackOK = ns.Sysctl.Int(netns.TCPSack) != 0
	c.wsOK = ns.Sysctl.Int(netns.TCPWindowScaling) != 0
	c.advMSS = mssFromMTU(mtu, c.local.Addr().Is6())
	if c.opts.userMSS > 0 {
		c.advMSS = min(c.advMSS, c.opts.userMSS)
	}
	c.mss = c.advMSS
	c.pmtu = mtu
	if c.tsOK {
		c.tsOffset = c.p.secrets.tsOffset(c.local.Addr(), c.remote.Addr())
	}
	rmemMax := max(int(ns.Sysctl.Vec(netns.TCPRmem)[2]), int(ns.Sysctl.Int(netns.RmemMax)))
	space := winFromSpace(c.sk.S.RcvBuf(), defaultScalingRatio)
	iw := selectInitialWindow(space, uint32(c.advMSS), 0, c.wsOK, rmemMax,
		ns.Sysctl.Int(netns.TCPWorkaroundSignedWindows) != 0, 0)
	c.rcvWnd = iw.rcvWnd
	c.rcvSsthresh = iw.rcvWnd
	c.windowClmp = iw.windowClamp
	c.rcvWscale = iw.rcvWScale
}

// ConnectResult reports the outcome of a connect in progress.
func (c *conn) ConnectResult() errno.Errno {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state {
	case SynSent, SynRecv:
		return errno.EINPROGRESS
	case Close:
		if e := c.pendingErr(); e != 0 {
			return e
		}
		return errno.ECONNABORTED
	}
	return 0
}

// Disconnect is connect(AF_UNSPEC) (tcp_disconnect): abort the connection
// with a reset and return to CLOSE.
func (c *conn) Disconnect() errno.Errno {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.disconnectLocked()
}

func (c *conn) disconnectLocked() errno.Errno {
	switch c.state {
	case Close:
		return 0
	case Listen:
		// A listener holds no connection state to forget: no struct reset
		// below, which would race with an accept blocked on this socket
		// reading c.mu before it locks (shutdown of a listener wakes such
		// an accept).
		c.closeListener()
		c.done()
		c.acceptQ, c.synRecvs, c.synOld, c.backlog = nil, 0, 0, 0
		c.sk.S.SetShutdown(0)
		return 0
	case SynSent:
		c.sk.S.SetError(errno.ECONNRESET)
	default:
		c.sendSegment(wire.TCPFlagRST|wire.TCPFlagACK, c.sndNxt, nil)
		c.p.ns.MIB.Inc(netns.TCPOutRsts)
		c.sk.S.SetError(errno.ECONNRESET)
	}
	c.done()
	c.rcvQ.Reset()
	c.memSync() // the reset below forgets the charge
	*c = conn{p: c.p, sk: c.sk, mu: c.mu, flushTx: c.flushTx, flushDev: c.flushDev, state: Close, cc: c.cc, ccs: ccState{cwnd: 10, ssthresh: infiniteSsthresh, cwndClamp: 0xffffffff}}
	c.sk.S.SetShutdown(0)
	return 0
}

// Sendmsg queues data (tcp_sendmsg): ENOTCONN before the connection,
// EPIPE after our shutdown, EAGAIN when the send buffer is full.
func (c *conn) Sendmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	if n, e, ok := c.fastOpenSendmsg(m, flags); ok {
		return n, e // MSG_FASTOPEN connects (fastopen.go)
	}
	c.lockTx()
	defer c.unlockTx()
	return c.sendmsgLocked(m, flags)
}

// sendmsgLocked is Sendmsg with c.mu held.
func (c *conn) sendmsgLocked(m *socket.Msg, flags int) (int, errno.Errno) {
	defer c.memSync()
	defer c.endEvent(c.beginEvent())
	if e := c.pendingErr(); e != 0 {
		return 0, e
	}
	if c.sk.S.Shutdown()&socket.SendShutdown != 0 || c.finQueued {
		return 0, errno.EPIPE
	}
	switch c.state {
	case Established, CloseWait:
	case SynRecv:
		if !c.tfo.child { // a Fast Open child sends at once (fastopen.go)
			return 0, errno.EAGAIN
		}
	case SynSent:
		return 0, errno.EAGAIN // a blocking send waits for the handshake
	case Close, Listen:
		return 0, errno.EPIPE
	default:
		return 0, errno.EPIPE
	}
	total := m.Len()
	if total == 0 {
		return 0, 0
	}
	// The data goes into skbs as tcp_sendmsg_locked fills them, within
	// the send buffer's truesize charge (wqueue.go).
	n := c.queueWrite(m.Iov, total)
	if n == 0 {
		return 0, errno.EAGAIN
	}
	if flags&abi.MSG_OOB != 0 {
		c.markUrgent() // tcp_push's tcp_mark_urg
	}
	if flags&abi.MSG_EOR != 0 && n == total {
		c.eorEnds = append(c.eorEnds, c.sndUna+uint32(c.sndBuf.Len()))
	}
	// tcp_push: the write's last skb carries PSH unless more is coming
	// (MSG_MORE), or a partial write waits for room.
	if flags&abi.MSG_MORE == 0 || n < total || c.forcedPush() {
		c.markPush()
	}
	if (flags&abi.MSG_MORE == 0 || n < total) && !c.autocork() {
		c.output()
	}
	return n, 0
}

// Recvmsg reads queued data (tcp_recvmsg): 0 at end of stream, EAGAIN
// when nothing is there yet, ENOTCONN before a connection.
func (c *conn) Recvmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	c.lockTx()
	defer c.unlockTx()
	defer c.memSync()
	if flags&abi.MSG_ERRQUEUE != 0 {
		c.mu.Unlock()
		n, e := c.sk.RecvError(m, flags)
		c.mu.Lock()
		return n, e
	}
	if flags&abi.MSG_OOB != 0 {
		return c.recvUrgent(m, flags)
	}
	// What this read may take: it stops at the urgent mark (urgent.go).
	skip, avail := c.readable(flags&abi.MSG_PEEK != 0)
	if avail == 0 {
		if e := c.pendingErr(); e != 0 {
			return 0, e
		}
		if c.finRcvd || c.sk.S.Shutdown()&socket.RcvShutdown != 0 {
			return 0, 0
		}
		switch c.state {
		case Listen:
			return 0, errno.ENOTCONN
		case Close:
			if c.remote.IsValid() {
				return 0, 0
			}
			return 0, errno.ENOTCONN
		}
		return 0, errno.EAGAIN
	}
	n := 0
	for _, b := range m.Iov {
		n += c.rcvQ.CopyOut(b, skip+n, avail-n)
		if n == avail {
			break
		}
	}
	if flags&abi.MSG_PEEK == 0 {
		c.rcvSpaceAdjust(n)
		// The window the peer was last told of, from rcvNxt on
		// (tcp_receive_window).
		before := uint32(max(int32(c.rcvWup+c.rcvWnd-c.rcvNxt), 0))
		c.rcvQ.Consume(n)
		c.urgConsumed()
		// Tell the peer when reading opened the window a lot
		// (tcp_cleanup_rbuf: when the window offered is at most half the
		// clamp and the new one is at least twice as large).
		if c.state == Established || c.state == FinWait1 || c.state == FinWait2 {
			clamp := c.windowClmp
			if clamp == 0 {
				clamp = 0xffff << c.rcvWscale
			}
			if 2*before <= clamp {
				if after := c.selectWindow(); after > 0 && after >= 2*before {
					c.sendAck()
				}
			}
		}
	}
	if flags&abi.MSG_TRUNC != 0 {
		m.Flags |= abi.MSG_TRUNC
	}
	if c.opts.inq {
		// TCP_CM_INQ: what is left to read, the FIN counting one
		// (tcp_inq_hint: rcv_nxt - copied_seq).
		inq := c.rcvQ.Len()
		if c.finRcvd {
			inq++
		}
		inet.PutCmsgInt(m, abi.SOL_TCP, abi.TCP_CM_INQ, inq)
	}
	return n, 0
}

// Shutdown sends a FIN for SHUT_WR (tcp_shutdown).
func (c *conn) Shutdown(how int) {
	c.lockTx()
	defer c.unlockTx()
	if how == abi.SHUT_RD {
		return
	}
	switch c.state {
	case Established:
		c.setState(FinWait1)
	case CloseWait:
		c.setState(LastAck)
	case SynSent:
		c.done()
		return
	default:
		return
	}
	c.finQueued = true
	c.output()
}

// Poll reports readiness (tcp_poll).
func (c *conn) Poll() waitq.Events {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ev waitq.Events
	if c.state == Listen {
		if len(c.acceptQ) > 0 || c.deferredPending() > 0 {
			ev |= waitq.EventIn | waitq.EventRdNorm
		}
		return ev
	}
	shut := c.sk.S.Shutdown()
	if c.sk.S.PendingError() != 0 {
		ev |= waitq.EventErr
	}
	if shut == 3 || c.state == Close && c.remote.IsValid() {
		ev |= waitq.EventHUp
	}
	if c.finRcvd || shut&socket.RcvShutdown != 0 {
		ev |= waitq.EventIn | waitq.EventRdNorm | waitq.EventRdHUp
	}
	if c.state == SynSent || c.state == SynRecv && !c.tfo.child {
		return ev | c.fastOpenPoll()
	}
	urgEv, hidden := c.urgPoll()
	ev |= urgEv
	if avail := c.rcvQ.Len() - hidden; avail > 0 && c.readReady(avail) {
		ev |= waitq.EventIn | waitq.EventRdNorm
	}
	if shut&socket.SendShutdown == 0 && (c.state == Established || c.state == CloseWait) {
		if c.sndWritable() { // tcp_poll: __sk_stream_is_writeable
			ev |= waitq.EventOut | waitq.EventWrNorm
		} else {
			c.wqInit().noSpace = true
		}
	} else if c.state != Close {
		ev |= waitq.EventOut | waitq.EventWrNorm // writes fail at once: writable
	}
	if c.state == Close && c.remote.IsValid() {
		ev |= waitq.EventOut | waitq.EventWrNorm
	}
	return ev
}

// Close is close(2) of the socket (tcp_close): a listener drops its
// queues; unread data means an abortive close with RST (RFC 2525 2.17);
// otherwise a FIN goes out and the connection finishes on its own.
func (c *conn) Close() {
	c.lockTx()
	defer c.unlockTx()
	defer c.memSync()
	c.orphan = true
	switch c.state {
	case Close:
		c.rcvQ.Reset()
		c.p.unhash(c)
		c.p.ports.Remove(c.sk)
		return
	case Listen:
		c.closeListener()
		c.done()
		return
	case SynSent:
		c.done()
		return
	}
	l := c.sk.S.Linger()
	if c.rcvQ.Len() > 0 || l.On && l.Seconds == 0 {
		c.sendSegment(wire.TCPFlagRST|wire.TCPFlagACK, c.sndNxt, nil)
		c.p.ns.MIB.Inc(netns.TCPOutRsts)
		if c.rcvQ.Len() > 0 {
			c.p.ns.MIB.Inc(netns.TCPExtTCPAbortOnClose)
		}
		c.done()
		return
	}
	switch c.state {
	case Established, SynRecv:
		c.setState(FinWait1)
		c.finQueued = true
		c.output()
	case CloseWait:
		c.setState(LastAck)
		c.finQueued = true
		c.output()
	case FinWait2:
		// The user let go: a record holds FIN-WAIT-2, or TIME-WAIT
		// below, for the time left (tcp_close's tcp_time_wait; twsock.go).
		if tmo := c.finTimeout(); tmo > timeWaitLen || !c.twSwap(FinWait2, tmo, true) {
			c.armWait(tmo)
		}
	case TimeWait:
		c.twSwap(TimeWait, max(c.twStamp.Add(timeWaitLen).Sub(c.now()), 0), false)
	}
}

func (c *conn) finTimeout() time.Duration {
	return time.Duration(c.sysInt(netns.TCPFinTimeout)) * time.Second
}
