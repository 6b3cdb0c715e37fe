package gonet

import (
	"context"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/unix"
)

// listenBacklog is the backlog Listen asks for; the socket layer clamps
// it to net.core.somaxconn, as net's listenerBacklog is.
const listenBacklog = 1<<16 - 1

// ListenConfig makes listeners and datagram endpoints in a namespace, as
// net.ListenConfig does on the host.
type ListenConfig struct {
	// Namespace is where the sockets live. Required.
	Namespace *netns.Namespace
	// Control, if set, is called with the socket after it is made and
	// before it is bound, as net.ListenConfig.Control.
	Control func(network, address string, c RawConn) error
	// KeepAlive is the keep-alive period of accepted TCP connections:
	// zero means 15 s, negative turns keep-alives off.
	KeepAlive time.Duration
	// Resolver resolves a host name in the address; nil means the
	// namespace's host table.
	Resolver *Resolver
}

// Listen listens on address in ns for "tcp", "tcp4", "tcp6", "unix" or
// "unixpacket" connections. An empty host (":80") listens on every
// address: with "tcp", on a dual-stack IPv6 socket, as net does.
func Listen(ns *netns.Namespace, network, address string) (net.Listener, error) {
	lc := ListenConfig{Namespace: ns}
	return lc.Listen(context.Background(), network, address)
}

// ListenPacket opens a datagram endpoint on address in ns for "udp",
// "udp4", "udp6" or "unixgram".
func ListenPacket(ns *netns.Namespace, network, address string) (net.PacketConn, error) {
	lc := ListenConfig{Namespace: ns}
	return lc.ListenPacket(context.Background(), network, address)
}

func (lc *ListenConfig) resolver() *Resolver {
	d := Dialer{Namespace: lc.Namespace, Resolver: lc.Resolver}
	return d.resolver()
}

// Listen listens on address (see the function Listen). Errors are
// *net.OpError with Op "listen".
func (lc *ListenConfig) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	p, err := parseNetwork(network)
	if err != nil || p.typ == abi.SOCK_DGRAM {
		return nil, opError("listen", network, nil, nil, net.UnknownNetworkError(network))
	}
	s, laddr, err := lc.bind(ctx, network, p, address)
	if err != nil {
		return nil, err
	}
	if err := s.Listen(listenBacklog); err != nil {
		s.Close()
		return nil, opError("listen", network, nil, laddr, syscallErr("listen", err))
	}
	l := &Listener{fd: fd{s: s}, ns: lc.Namespace, network: network, p: p, keepAlive: lc.KeepAlive, dl: newDeadline()}
	l.laddr = sockName(l.ns, s, network, p, false)
	if ua, ok := l.laddr.(*net.UnixAddr); ok && ua.Name != "" && ua.Name[0] != '@' {
		l.path = ua.Name
		l.unlink.Store(true)
	}
	return l, nil
}

// ListenPacket opens a datagram endpoint on address (see the function
// ListenPacket). An AF_UNIX name stays bound after Close, as a socket
// file stays on disk: unix.Unlink removes it.
func (lc *ListenConfig) ListenPacket(ctx context.Context, network, address string) (net.PacketConn, error) {
	p, err := parseNetwork(network)
	if err != nil || p.typ != abi.SOCK_DGRAM {
		return nil, opError("listen", network, nil, nil, net.UnknownNetworkError(network))
	}
	s, _, err := lc.bind(ctx, network, p, address)
	if err != nil {
		return nil, err
	}
	return newConn(lc.Namespace, s, network, p), nil
}

// bind makes the socket, runs Control and binds address; errors are
// already *net.OpError.
func (lc *ListenConfig) bind(ctx context.Context, network string, p proto, address string) (*socket.Socket, net.Addr, error) {
	ns := lc.Namespace
	if ns == nil {
		return nil, nil, opError("listen", network, nil, nil, errNoNamespace)
	}
	var (
		family int
		v6only bool
		sa     []byte
		laddr  net.Addr
	)
	if p.inet() {
		addrs, err := lc.resolver().resolveInet(ctx, "listen", network, p, address, netip.AddrPort{}, false)
		if err != nil {
			return nil, nil, opError("listen", network, nil, nil, err)
		}
		ap := addrs[0]
		family, v6only = inetFamily(p, ap.Addr(), netip.Addr{}, true)
		if !ap.Addr().IsValid() {
			ap = netip.AddrPortFrom(netip.IPv4Unspecified(), ap.Port())
			laddr = remoteAddr(p, netip.AddrPortFrom(netip.Addr{}, ap.Port()))
		} else {
			laddr = remoteAddr(p, ap)
		}
		sa = inetSockaddr(ns, family, ap)
	} else {
		family = abi.AF_UNIX
		laddr = &net.UnixAddr{Name: address, Net: network}
		var err error
		if sa, err = unixSockaddr(address); err != nil {
			return nil, nil, opError("listen", network, nil, laddr, syscallErr("bind", err))
		}
	}
	s, err := newSocket(ns, family, p, v6only)
	if err != nil {
		return nil, nil, opError("listen", network, nil, laddr, err)
	}
	if p.inet() && p.stream() {
		// As net's listeners: a port whose old connections linger in
		// TIME-WAIT can be listened on again.
		if err := setsockoptInt(s, abi.SOL_SOCKET, abi.SO_REUSEADDR, 1); err != nil {
			s.Close()
			return nil, nil, opError("listen", network, nil, laddr, syscallErr("setsockopt", err))
		}
	}
	if lc.Control != nil {
		if err := lc.Control(ctrlNetwork(network, family), laddr.String(), rawConn{s: s}); err != nil {
			s.Close()
			return nil, nil, opError("listen", network, nil, laddr, err)
		}
	}
	if err := s.Bind(sa); err != nil {
		s.Close()
		return nil, nil, opError("listen", network, nil, laddr, syscallErr("bind", err))
	}
	return s, laddr, nil
}

// Listener accepts connections on a gosock stream socket; it implements
// net.Listener. Close from another goroutine ends a blocked Accept with
// net.ErrClosed.
type Listener struct {
	fd        fd
	ns        *netns.Namespace
	network   string
	p         proto
	laddr     net.Addr
	keepAlive time.Duration

	closed atomic.Bool
	dl     *deadline

	path   string      // an AF_UNIX filesystem name
	unlink atomic.Bool // remove path on Close
}

var _ net.Listener = (*Listener)(nil)

// Addr returns the listening address.
func (l *Listener) Addr() net.Addr { return l.laddr }

// Accept waits for the next connection and returns it, a *Conn.
func (l *Listener) Accept() (net.Conn, error) {
	if !l.fd.acquire() {
		return nil, opError("accept", l.network, nil, l.laddr, net.ErrClosed)
	}
	defer l.fd.release()
	for {
		ctx, err := l.dl.wait()
		if err != nil {
			return nil, opError("accept", l.network, nil, l.laddr, err)
		}
		s, err := l.fd.s.Accept(ctx)
		if l.closed.Load() {
			if err == nil {
				s.Close()
			}
			return nil, opError("accept", l.network, nil, l.laddr, net.ErrClosed)
		}
		if err == nil {
			c := newConn(l.ns, s, l.network, l.p)
			if l.p.inet() {
				setTCPDefaults(s, l.keepAlive)
			}
			return c, nil
		}
		if e, ok := errno.Of(err); ok {
			if e == errno.ECONNABORTED {
				continue // a connection reset before it was accepted, as net retries
			}
			return nil, opError("accept", l.network, nil, l.laddr, syscallErr("accept4", err))
		}
		// The context ended: the deadline passed or moved, or Close.
	}
}

// Close stops listening; queued connections not yet accepted are reset.
// An AF_UNIX path name is unlinked (see SetUnlinkOnClose).
func (l *Listener) Close() error {
	if !l.closed.CompareAndSwap(false, true) {
		return opError("close", l.network, nil, l.laddr, net.ErrClosed)
	}
	l.dl.close()
	l.fd.close()
	if l.path != "" && l.unlink.Load() {
		_ = unix.Unlink(l.ns, l.path)
	}
	return nil
}

// SetDeadline sets the deadline of Accept; the zero time means none.
func (l *Listener) SetDeadline(t time.Time) error {
	if l.closed.Load() {
		return opError("set", l.network, nil, l.laddr, net.ErrClosed)
	}
	l.dl.set(l.ns.Clock(), t)
	return nil
}

// SetUnlinkOnClose sets whether Close removes an AF_UNIX listener's path
// name (true by default for a Listener that bound one), as
// net.UnixListener.SetUnlinkOnClose.
func (l *Listener) SetUnlinkOnClose(unlink bool) { l.unlink.Store(unlink) }

// SyscallConn gives access to the listening socket.
func (l *Listener) SyscallConn() (RawConn, error) {
	if l.closed.Load() {
		return nil, opError("raw-control", l.network, nil, l.laddr, net.ErrClosed)
	}
	return rawConn{fd: &l.fd}, nil
}
