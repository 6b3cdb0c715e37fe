package socket

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/waitq"
)

// Socket states, as Linux's socket_state.
const (
	SSFree          = 0
	SSUnconnected   = 1
	SSConnecting    = 2
	SSConnected     = 3
	SSDisconnecting = 4
)

// Msg is a message for Sendmsg and Recvmsg (struct msghdr, with the
// buffers already in this address space).
type Msg struct {
	// Name is the peer address in Linux's sockaddr layout: the
	// destination for a send; for a receive a buffer (cap is what the
	// caller offers) that the protocol fills, setting NameLen to the full
	// length of the address (which may exceed what fitted).
	Name    []byte
	NameLen int
	// Iov are the data buffers.
	Iov [][]byte
	// Control is the ancillary data: cmsgs to send, or a buffer (by cap)
	// to receive them into, ControlLen being what was written.
	Control    []byte
	ControlLen int
	// Flags are the msg_flags a receive reports (MSG_TRUNC, MSG_CTRUNC,
	// MSG_EOR, MSG_OOB, MSG_ERRQUEUE).
	Flags int

	// Rights are the open files of an SCM_RIGHTS message (AF_UNIX). On a
	// send the sys layer fills them from the sender's descriptors and the
	// protocol takes them, setting Rights to nil, when it queues them;
	// the sys layer releases what is left. On a receive the protocol
	// hands them over here for the sys layer to install as descriptors.
	Rights []PassedFile
	// Creds are AF_UNIX credentials (PID, UID, GID). On a send: the
	// calling process's, or those it asserted in SCM_CREDENTIALS, which
	// sets CredsAsserted. On a receive: those the message carried (nil
	// if none), for SCM_CREDENTIALS under SO_PASSCRED.
	Creds         *Creds
	CredsAsserted bool
	// ControlErr is an error the sys layer found in Control (a bad
	// descriptor, a malformed cmsg), for the protocol to return where
	// Linux's scm_send does.
	ControlErr errno.Errno
}

// PassedFile is a reference to an open file in flight in an SCM_RIGHTS
// message.
type PassedFile interface {
	// Dup takes another reference to the same open file (MSG_PEEK hands
	// out copies).
	Dup() PassedFile
	// Release drops the reference (a message purged unread, a file that
	// did not fit the receiver's control buffer).
	Release()
}

// Len returns the total length of the data buffers.
func (m *Msg) Len() int {
	n := 0
	for _, b := range m.Iov {
		n += len(b)
	}
	return n
}

// ProtoOps are a protocol's socket operations, Linux's struct proto_ops.
// None of them blocks: a call that would wait returns EAGAIN (or
// EINPROGRESS from Connect) and the protocol notifies Sock.Wait when
// things change. Each call is made by the generic layer, which serialises
// nothing: protocols lock what they need.
type ProtoOps interface {
	// Bind gives the socket a local address (a marshalled sockaddr).
	Bind(addr []byte) errno.Errno
	// Connect starts connecting to addr. A stream protocol returns
	// EINPROGRESS when a handshake has started, EALREADY while one is in
	// progress, EISCONN once connected; datagram protocols complete at
	// once. A family-specific AF_UNSPEC address disconnects.
	Connect(addr []byte) errno.Errno
	// Sendmsg sends data; a stream protocol may accept part of it and
	// report how much. flags are MSG_* bits.
	Sendmsg(m *Msg, flags int) (int, errno.Errno)
	// Recvmsg receives data into m.
	Recvmsg(m *Msg, flags int) (int, errno.Errno)
	// Shutdown shuts down one or both directions (SHUT_RD, SHUT_WR,
	// SHUT_RDWR).
	Shutdown(how int) errno.Errno
	// Getname writes the local (peer=false) or remote address into buf,
	// returning its full length.
	Getname(buf []byte, peer bool) (int, errno.Errno)
	// SetSockopt and GetSockopt handle options at levels other than
	// SOL_SOCKET, and the SOL_SOCKET options a protocol reacts to (the
	// generic layer calls SetSockopt after storing the value; ENOPROTOOPT
	// from the protocol is then ignored).
	SetSockopt(level, name int, val []byte) errno.Errno
	GetSockopt(level, name int, buf []byte) (int, errno.Errno)
	// Poll reports current readiness (EventIn, EventOut, EventErr, …).
	Poll() waitq.Events
	// Release closes the socket's protocol side (close(2) of the last
	// reference). It must not block; lingering is the generic layer's.
	Release()
}

// Listener is the optional capability of stream protocols: listen(2)
// and accept(2). Without it those calls give EOPNOTSUPP.
type Listener interface {
	Listen(backlog int) errno.Errno
	// Accept takes a connection from the accept queue, returning its ops
	// and Sock, or EAGAIN.
	Accept(flags int) (ProtoOps, *Sock, errno.Errno)
}

// Connector is implemented by protocols whose Connect may return
// EINPROGRESS: after the socket becomes writable (or reports an error or
// hang-up), ConnectResult reports how the attempt ended (nil errno: the
// socket is connected), or EINPROGRESS if it still runs.
type Connector interface {
	ConnectResult() errno.Errno
}

// Ioctler is implemented by protocols with ioctls of their own
// (SIOCINQ, SIOCOUTQ, SIOCATMARK …); arg is the argument's memory.
type Ioctler interface {
	Ioctl(cmd uint, arg []byte) errno.Errno
}

// Pairer is implemented by families with socketpair(2) (AF_UNIX).
type Pairer interface {
	Pair(other ProtoOps) errno.Errno
}

// Family is a protocol family registered in a namespace (net_families):
// it creates the ProtoOps of new sockets.
type Family interface {
	// Create makes the protocol side of a new socket of type typ and the
	// given protocol (0: the family's default for the type), as
	// inet_create: it sets s.Protocol and returns EPROTONOSUPPORT,
	// ESOCKTNOSUPPORT, EPROTOTYPE or EPERM as Linux does. kern reports
	// an in-kernel socket (no capability checks).
	Create(s *Sock, typ, protocol int, kern bool) (ProtoOps, errno.Errno)
}

// Hooks are security hooks called before each operation, as Linux's LSM
// socket hooks; returning a non-zero errno (EACCES, EPERM) refuses it.
// Every method may be left out by embedding NoHooks.
type Hooks interface {
	SocketCreate(c Creds, family, typ, protocol int) errno.Errno
	SocketBind(s *Sock, addr []byte) errno.Errno
	SocketConnect(s *Sock, addr []byte) errno.Errno
	SocketListen(s *Sock, backlog int) errno.Errno
	SocketAccept(s *Sock) errno.Errno
	SocketSendmsg(s *Sock, m *Msg) errno.Errno
	SocketRecvmsg(s *Sock, m *Msg) errno.Errno
	SocketShutdown(s *Sock, how int) errno.Errno
}

// NoHooks allows everything; embed it to implement only some hooks.
type NoHooks struct{}

func (NoHooks) SocketCreate(Creds, int, int, int) errno.Errno { return 0 }
func (NoHooks) SocketBind(*Sock, []byte) errno.Errno          { return 0 }
func (NoHooks) SocketConnect(*Sock, []byte) errno.Errno       { return 0 }
func (NoHooks) SocketListen(*Sock, int) errno.Errno           { return 0 }
func (NoHooks) SocketAccept(*Sock) errno.Errno                { return 0 }
func (NoHooks) SocketSendmsg(*Sock, *Msg) errno.Errno         { return 0 }
func (NoHooks) SocketRecvmsg(*Sock, *Msg) errno.Errno         { return 0 }
func (NoHooks) SocketShutdown(*Sock, int) errno.Errno         { return 0 }

// EAgainNow is what a ProtoOps call returns for a failure that waiting
// cannot cure, which Linux nevertheless reports as EAGAIN without
// sleeping, even on a blocking socket (a failed autobind: no ephemeral
// port free). The generic layer turns it into EAGAIN at once.
const EAgainNow errno.Errno = errno.EAGAIN | 0x8000

// Socket is an open socket (struct socket).
type Socket struct {
	sock  *Sock
	ops   ProtoOps
	hooks Hooks

	state    atomic.Int32
	nonblock atomic.Bool
	released atomic.Bool

	// spare is a wait entry kept between blocking calls (waitUntil), so
	// a call that blocks (every read of a ping-pong) allocates no entry
	// and channel. One spare serves the usual single waiter; concurrent
	// waiters beyond it allocate their own. It is per socket, not a
	// global pool, because a channel belongs to the synctest bubble that
	// made it and a socket lives in one.
	spare atomic.Pointer[waitq.Entry]
}

// Options carry the context of a socket's creation.
type Options struct {
	Creds Creds
	// Hooks are the security hooks; nil allows everything.
	Hooks Hooks
	// Kern marks an in-kernel socket (no permission checks).
	Kern bool
}

const (
	nproto  = 46 // NPROTO: AF_MAX
	sockMax = 11 // SOCK_MAX
)

// Create makes a socket, as __sock_create: family out of range is
// EAFNOSUPPORT, type out of range EINVAL, an unregistered family
// EAFNOSUPPORT; then the security hook and the family's Create. typ must
// already be stripped of SOCK_NONBLOCK and SOCK_CLOEXEC.
func Create(ns *netns.Namespace, family, typ, protocol int, o Options) (*Socket, errno.Errno) {
	if family < 0 || family >= nproto {
		return nil, errno.EAFNOSUPPORT
	}
	if typ < 0 || typ >= sockMax {
		return nil, errno.EINVAL
	}
	if family == abi.AF_INET && typ == abi.SOCK_PACKET {
		family = abi.AF_PACKET // Linux's compatibility rewrite
	}
	hooks := o.Hooks
	if hooks == nil {
		hooks = NoHooks{}
	}
	if e := hooks.SocketCreate(o.Creds, family, typ, protocol); e != 0 {
		return nil, e
	}
	f, _ := ns.Family(family).(Family)
	if f == nil {
		return nil, errno.EAFNOSUPPORT
	}
	sk := &Sock{NS: ns, Family: family, Type: typ, Protocol: protocol, Creds: o.Creds}
	sk.InitDefaults()
	ops, e := f.Create(sk, typ, protocol, o.Kern)
	if e != 0 {
		return nil, e
	}
	return newSocket(sk, ops, hooks), 0
}

func newSocket(sk *Sock, ops ProtoOps, hooks Hooks) *Socket {
	s := &Socket{sock: sk, ops: ops, hooks: hooks}
	s.state.Store(SSUnconnected)
	return s
}

// Sock returns the protocol-facing half.
func (s *Socket) Sock() *Sock { return s.sock }

// Ops returns the protocol operations.
func (s *Socket) Ops() ProtoOps { return s.ops }

// State returns the socket state (SSUnconnected …).
func (s *Socket) State() int { return int(s.state.Load()) }

// SetNonblock sets O_NONBLOCK on the open file.
func (s *Socket) SetNonblock(on bool) { s.nonblock.Store(on) }

// Nonblock reports O_NONBLOCK.
func (s *Socket) Nonblock() bool { return s.nonblock.Load() }

// Poll reports readiness.
func (s *Socket) Poll() waitq.Events { return s.ops.Poll() }

// Bind is bind(2).
func (s *Socket) Bind(addr []byte) error {
	if e := s.hooks.SocketBind(s.sock, addr); e != 0 {
		return e
	}
	return nilIfZero(s.ops.Bind(addr))
}

// Listen is listen(2): the backlog is clamped to net.core.somaxconn.
func (s *Socket) Listen(backlog int) error {
	l, ok := s.ops.(Listener)
	if !ok {
		return errno.EOPNOTSUPP
	}
	// An unsigned comparison, as __sys_listen: a negative backlog is
	// clamped to somaxconn too.
	if max := int(s.sock.NS.Sysctl.Int(netns.Somaxconn)); uint(backlog) > uint(max) {
		backlog = max
	}
	if e := s.hooks.SocketListen(s.sock, backlog); e != 0 {
		return e
	}
	return nilIfZero(l.Listen(backlog))
}

// Accept is accept4(2) without the flags the file layer handles
// (SOCK_NONBLOCK, SOCK_CLOEXEC): it waits for a connection unless the
// socket is non-blocking, honouring SO_RCVTIMEO and ctx.
func (s *Socket) Accept(ctx context.Context) (*Socket, error) {
	l, ok := s.ops.(Listener)
	if !ok {
		return nil, errno.EOPNOTSUPP
	}
	if e := s.hooks.SocketAccept(s.sock); e != 0 {
		return nil, e
	}
	var (
		ops ProtoOps
		sk  *Sock
	)
	rcvTimeo, _ := s.sock.Timeouts()
	err := s.wait(ctx, waitq.EventIn, rcvTimeo, true, s.Nonblock(), func() errno.Errno {
		var e errno.Errno
		ops, sk, e = l.Accept(0)
		return e
	})
	if err != nil {
		return nil, err
	}
	ns := newSocket(sk, ops, s.hooks)
	ns.state.Store(SSConnected)
	return ns, nil
}

// Connect is connect(2). A blocking stream connect waits for the
// handshake (SO_SNDTIMEO expiring gives EINPROGRESS; ctx ending gives
// EINTR, or ctx's own error for the Go face's deadlines, while the
// handshake goes on).
func (s *Socket) Connect(ctx context.Context, addr []byte) error {
	if e := s.hooks.SocketConnect(s.sock, addr); e != 0 {
		return e
	}
	e := s.ops.Connect(addr)
	if e == errno.EAGAIN && !s.Nonblock() {
		// A full listen backlog (AF_UNIX): a blocking connect waits for
		// room, until SO_SNDTIMEO, as unix_wait_for_peer.
		_, sndTimeo := s.sock.Timeouts()
		err := s.wait(ctx, waitq.EventOut|waitq.EventErr|waitq.EventHUp, sndTimeo, false, false, func() errno.Errno {
			e = s.ops.Connect(addr)
			if e == errno.EINPROGRESS {
				return 0
			}
			return e
		})
		if err != nil {
			return err
		}
	}
	if e == 0 {
		s.state.Store(SSConnected)
		return nil
	}
	if e != errno.EINPROGRESS {
		return nilIfZero(e)
	}
	s.state.Store(SSConnecting)
	c, ok := s.ops.(Connector)
	if s.Nonblock() || !ok {
		return errno.EINPROGRESS
	}
	_, sndTimeo := s.sock.Timeouts()
	err := s.wait(ctx, waitq.EventOut|waitq.EventErr|waitq.EventHUp, sndTimeo, false, false, func() errno.Errno {
		if e := c.ConnectResult(); e != errno.EINPROGRESS {
			return e
		}
		return errno.EAGAIN // still connecting: wait on
	})
	if errors.Is(err, errno.EAGAIN) {
		return errno.EINPROGRESS // sock_sndtimeo ran out
	}
	if err == nil {
		s.state.Store(SSConnected)
	}
	return err
}

// Sendmsg is sendmsg(2). A blocking stream send waits until all the data
// is queued; a timeout or interruption after part of it returns that
// part's length.
func (s *Socket) Sendmsg(ctx context.Context, m *Msg, flags int) (int, error) {
	if e := s.hooks.SocketSendmsg(s.sock, m); e != 0 {
		return 0, e
	}
	nonblock := s.Nonblock() || flags&abi.MSG_DONTWAIT != 0
	if nonblock {
		flags |= abi.MSG_DONTWAIT // as __sys_sendto for O_NONBLOCK files
	}
	_, sndTimeo := s.sock.Timeouts()
	stream := s.sock.Type == abi.SOCK_STREAM
	total := m.Len()
	sent := 0
	var deadline <-chan time.Time
	if sndTimeo > 0 && !nonblock {
		t := s.sock.NS.Clock().NewTimer(sndTimeo)
		defer t.Stop()
		deadline = t.C()
	}
	for {
		var n int
		err := s.waitUntil(ctx, waitq.EventOut|waitq.EventErr|waitq.EventHUp, deadline, false, nonblock, func() errno.Errno {
			var e errno.Errno
			n, e = s.ops.Sendmsg(m, flags)
			return e
		})
		if err != nil {
			if sent > 0 {
				return sent, nil
			}
			return 0, err
		}
		sent += n
		if !stream || nonblock || sent >= total || n == 0 {
			return sent, nil
		}
		advance(m, n)
	}
}

// advance drops the first n bytes of m's buffers, after a partial send.
func advance(m *Msg, n int) {
	for n > 0 && len(m.Iov) > 0 {
		if n < len(m.Iov[0]) {
			m.Iov[0] = m.Iov[0][n:]
			return
		}
		n -= len(m.Iov[0])
		m.Iov = m.Iov[1:]
	}
}

// Recvmsg is recvmsg(2). A blocking receive waits for data; a stream
// receive keeps going until it has SO_RCVLOWAT bytes (the buffers full
// with MSG_WAITALL: sock_rcvlowat), the peer shuts down, an error
// arrives or the wait ends. A peek returns what is there.
func (s *Socket) Recvmsg(ctx context.Context, m *Msg, flags int) (int, error) {
	if e := s.hooks.SocketRecvmsg(s.sock, m); e != 0 {
		return 0, e
	}
	// The error queue never blocks (sock_recv_errqueue).
	nonblock := s.Nonblock() || flags&(abi.MSG_DONTWAIT|abi.MSG_ERRQUEUE) != 0
	rcvTimeo, _ := s.sock.Timeouts()
	var deadline <-chan time.Time
	if rcvTimeo > 0 && !nonblock {
		t := s.sock.NS.Clock().NewTimer(rcvTimeo)
		defer t.Stop()
		deadline = t.C()
	}
	total := m.Len()
	target := 1
	if s.sock.Type == abi.SOCK_STREAM && flags&(abi.MSG_PEEK|abi.MSG_TRUNC) == 0 {
		target = min(s.sock.RcvLowat(), total)
		if flags&abi.MSG_WAITALL != 0 {
			target = total
		}
	}
	got := 0
	for {
		var n int
		err := s.waitUntil(ctx, waitq.EventIn|waitq.EventErr|waitq.EventHUp|waitq.EventRdHUp, deadline, false, nonblock, func() errno.Errno {
			var e errno.Errno
			n, e = s.ops.Recvmsg(m, flags)
			return e
		})
		if err != nil {
			if got > 0 {
				return got, nil
			}
			return 0, err
		}
		got += n
		if nonblock || n == 0 || got >= target {
			return got, nil
		}
		advance(m, n)
	}
}

// Shutdown is shutdown(2).
func (s *Socket) Shutdown(how int) error {
	if how < abi.SHUT_RD || how > abi.SHUT_RDWR {
		return errno.EINVAL
	}
	if e := s.hooks.SocketShutdown(s.sock, how); e != 0 {
		return e
	}
	return nilIfZero(s.ops.Shutdown(how))
}

// Getname writes the local or peer address into buf and returns its full
// length (getsockname(2), getpeername(2)).
func (s *Socket) Getname(buf []byte, peer bool) (int, error) {
	n, e := s.ops.Getname(buf, peer)
	return n, nilIfZero(e)
}

// AcceptNamer is implemented by protocol ops whose accepted sockets name
// their peer even when the connection already ended before accept(2)
// returned it (inet_getname called with peer == 2).
type AcceptNamer interface {
	AcceptName(buf []byte) (int, errno.Errno)
}

// AcceptName writes the peer address accept(2) reports for this newly
// accepted socket: as getpeername, but a connection reset while it
// waited in the accept queue still has its peer.
func (s *Socket) AcceptName(buf []byte) (int, error) {
	if a, ok := s.ops.(AcceptNamer); ok {
		n, e := a.AcceptName(buf)
		return n, nilIfZero(e)
	}
	return s.Getname(buf, true)
}

// Close releases the socket (the last close(2) of its file). It is
// idempotent.
func (s *Socket) Close() error {
	if s.released.Swap(true) {
		return nil
	}
	s.ops.Release()
	s.state.Store(SSFree)
	return nil
}

// wait runs op until it stops returning EAGAIN: at once when nonblock,
// else after each wakeup on the socket's queue for events, until timeout
// (then EAGAIN, as an expired SO_RCVTIMEO) or ctx ends.
func (s *Socket) wait(ctx context.Context, events waitq.Events, timeout time.Duration, exclusive, nonblock bool, op func() errno.Errno) error {
	var deadline <-chan time.Time
	if timeout > 0 && !nonblock {
		t := s.sock.NS.Clock().NewTimer(timeout)
		defer t.Stop()
		deadline = t.C()
	}
	return s.waitUntil(ctx, events, deadline, exclusive, nonblock, op)
}

func (s *Socket) waitUntil(ctx context.Context, events waitq.Events, deadline <-chan time.Time, exclusive, nonblock bool, op func() errno.Errno) error {
	e := op()
	if e == EAgainNow {
		return errno.EAGAIN
	}
	if e != errno.EAGAIN || nonblock {
		return nilIfZero(e)
	}
	entry := s.spare.Swap(nil)
	if entry != nil {
		entry.Reset(events, exclusive)
	} else if exclusive {
		entry = waitq.NewExclusiveEntry(events)
	} else {
		entry = waitq.NewEntry(events)
	}
	s.sock.Wait.Add(entry)
	defer func() {
		s.sock.Wait.Remove(entry)
		s.spare.CompareAndSwap(nil, entry)
	}()
	for {
		// Retry after registering, so a wakeup between the first try and
		// the registration is not lost.
		if e = op(); e == EAgainNow {
			return errno.EAGAIN
		} else if e != errno.EAGAIN {
			return nilIfZero(e)
		}
		select {
		case <-entry.C():
		case <-deadline:
			return errno.EAGAIN
		case <-ctx.Done():
			return Interrupted(ctx)
		}
	}
}

// Interrupted converts the end of a caller's context into the error a
// blocked call returns: the errno given as the context's cause (EINTR for
// a signal), else the context's error (deadline exceeded, canceled).
func Interrupted(ctx context.Context) error {
	if e, ok := errno.Of(context.Cause(ctx)); ok {
		return e
	}
	return ctx.Err()
}

func nilIfZero(e errno.Errno) error {
	switch e {
	case 0:
		return nil
	case EAgainNow:
		return errno.EAGAIN
	}
	return e
}
