package gonet

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
)

// errNoNamespace is the error of a Dialer or ListenConfig without one.
var errNoNamespace = errors.New("gonet: no namespace")

// defaultKeepAlive is net's keep-alive period when KeepAlive is zero.
const defaultKeepAlive = 15 * time.Second

// Dialer connects to addresses in a namespace, as net.Dialer does on the
// host. The zero value but for Namespace is ready to use.
type Dialer struct {
	// Namespace is where the connection's socket lives. Required.
	Namespace *netns.Namespace
	// LocalAddr is the local address to bind before connecting: a
	// *net.TCPAddr, *net.UDPAddr or *net.UnixAddr matching the network.
	// Nil lets the stack choose.
	LocalAddr net.Addr
	// Timeout bounds a dial, name resolution included, on the
	// namespace's clock. Zero means none (the TCP handshake still gives
	// up after net.ipv4.tcp_syn_retries).
	Timeout time.Duration
	// Deadline is an absolute time, on the namespace's clock, after
	// which a dial fails. Zero means none.
	Deadline time.Time
	// KeepAlive is the keep-alive period of TCP connections: zero means
	// 15 s, as net's; negative turns keep-alives off.
	KeepAlive time.Duration
	// Control, if set, is called with the socket after it is made and
	// before it is bound and connected, as net.Dialer.Control. address
	// is the remote address being dialed.
	Control func(network, address string, c RawConn) error
	// Resolver resolves host names; nil means the namespace's host table
	// (see Resolver).
	Resolver *Resolver
}

// Dial connects to address on the named network in ns: "tcp", "tcp4",
// "tcp6", "udp", "udp4", "udp6" ("host:port"), "unix", "unixgram",
// "unixpacket" (a path, or "@name" for an abstract name).
func Dial(ns *netns.Namespace, network, address string) (net.Conn, error) {
	d := Dialer{Namespace: ns}
	return d.DialContext(context.Background(), network, address)
}

// Dial connects as DialContext with a background context.
func (d *Dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// DialContext connects to address on the named network (see Dial). A
// name resolving to several addresses is tried address by address until
// one connects. ctx bounds the dial, not the connection. Errors are
// *net.OpError with Op "dial", as net's.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if ctx == nil {
		panic("gonet: nil context")
	}
	p, err := parseNetwork(network)
	if err != nil {
		return nil, opError("dial", network, nil, nil, err)
	}
	if d.Namespace == nil {
		return nil, opError("dial", network, nil, nil, errNoNamespace)
	}
	ctx, cancel := d.dialContext(ctx)
	defer cancel()
	if !p.inet() {
		return d.dialUnix(ctx, network, p, address)
	}
	var hint netip.AddrPort
	hasHint := d.LocalAddr != nil
	if hasHint {
		var ok bool
		if hint, ok = addrPortOf(d.LocalAddr); !ok || !localMatches(p, d.LocalAddr) {
			return nil, opError("dial", network, nil, nil, &net.AddrError{Err: "mismatched local address type", Addr: d.LocalAddr.String()})
		}
	}
	if ra, ok := literalAddrPort(p, address, hint, hasHint); ok {
		// An IP literal the network and local address accept: the one
		// address resolveInet would return, without its slices.
		if ctx.Err() != nil {
			return nil, opError("dial", network, d.LocalAddr, remoteAddr(p, ra), mapCtxErr(ctx))
		}
		return d.dialInet(ctx, network, p, hint, hasHint, ra)
	}
	addrs, err := d.resolver().resolveInet(ctx, "dial", network, p, address, hint, hasHint)
	if err != nil {
		if ctx.Err() != nil {
			err = mapCtxErr(ctx)
		}
		return nil, opError("dial", network, nil, nil, err)
	}
	var first error
	for _, ra := range addrs {
		if ctx.Err() != nil {
			if first == nil {
				first = opError("dial", network, d.LocalAddr, remoteAddr(p, ra), mapCtxErr(ctx))
			}
			break
		}
		c, err := d.dialInet(ctx, network, p, hint, hasHint, ra)
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// literalAddrPort parses address as "ip:port" with a numeric port and
// reports whether it is an address resolveInet would pass unchanged for
// dialing (not v4-mapped, of the network's family and the local
// address's); anything else goes the general way.
func literalAddrPort(p proto, address string, hint netip.AddrPort, hasHint bool) (netip.AddrPort, bool) {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return netip.AddrPort{}, false
	}
	a := ap.Addr()
	if a.Is4In6() || p.v4 && !a.Is4() || p.v6 && a.Is4() || hasHint && !hint.Addr().IsUnspecified() && hint.Addr().Is4() != a.Is4() {
		return netip.AddrPort{}, false
	}
	return ap, true
}

func localMatches(p proto, a net.Addr) bool {
	switch a.(type) {
	case *net.TCPAddr:
		return p.inet() && p.stream()
	case *net.UDPAddr:
		return p.inet() && !p.stream()
	case *net.UnixAddr:
		return !p.inet()
	}
	return false
}

func remoteAddr(p proto, ap netip.AddrPort) net.Addr {
	if p.stream() {
		return net.TCPAddrFromAddrPort(ap)
	}
	return net.UDPAddrFromAddrPort(ap)
}

func (d *Dialer) resolver() *Resolver {
	if d.Resolver == nil {
		return &Resolver{Namespace: d.Namespace}
	}
	if d.Resolver.Namespace == nil {
		r := *d.Resolver
		r.Namespace = d.Namespace
		return &r
	}
	return d.Resolver
}

// dialContext bounds ctx by Timeout and Deadline on the namespace's
// clock; the cause of its end tells a timeout from a cancellation.
func (d *Dialer) dialContext(ctx context.Context) (context.Context, context.CancelFunc) {
	clk := d.Namespace.Clock()
	now := clk.Now()
	var dl time.Time
	if d.Timeout != 0 {
		dl = now.Add(d.Timeout)
	}
	if !d.Deadline.IsZero() && (dl.IsZero() || d.Deadline.Before(dl)) {
		dl = d.Deadline
	}
	if dl.IsZero() {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	dur := dl.Sub(now)
	if dur <= 0 {
		cancel(context.DeadlineExceeded)
		return ctx, func() {}
	}
	t := clk.AfterFunc(dur, func() { cancel(context.DeadlineExceeded) })
	return ctx, func() {
		t.Stop()
		cancel(context.Canceled)
	}
}

// dialInet makes, binds and connects one inet socket to ra.
func (d *Dialer) dialInet(ctx context.Context, network string, p proto, la netip.AddrPort, hasLA bool, ra netip.AddrPort) (net.Conn, error) {
	ns := d.Namespace
	// The net.Addr form of ra is made only for an error or Control: the
	// connection keeps ra as a value and makes its own on first use
	// (Conn.names), so an idle connection holds none.
	fail := func(err error) (net.Conn, error) {
		return nil, opError("dial", network, d.LocalAddr, remoteAddr(p, ra), err)
	}
	var laddr netip.Addr
	if hasLA {
		laddr = la.Addr()
	}
	family, v6only := inetFamily(p, laddr, ra.Addr(), false)
	s, err := newSocket(ns, family, p, v6only)
	if err != nil {
		return fail(err)
	}
	sa := getSABuf()
	defer putSABuf(sa)
	if err := d.setup(s, ctrlNetwork(network, family), func() string { return remoteAddr(p, ra).String() }, hasLA, func() []byte { return inetSockaddrInto(sa[:], ns, family, la) }); err != nil {
		s.Close()
		return fail(err)
	}
	if err := s.Connect(ctx, inetSockaddrInto(sa[:], ns, family, ra)); err != nil {
		s.Close()
		if isErrno(err) {
			return fail(syscallErr("connect", err))
		}
		return fail(mapCtxErr(ctx))
	}
	// A v4 peer of an AF_INET6 socket has a v4-mapped name: read it back
	// as net would.
	known := !(family == abi.AF_INET6 && ra.Addr().Is4())
	c := newConnPeer(ns, s, network, p, ra, known)
	if p.stream() {
		setTCPDefaults(s, d.KeepAlive)
	}
	return c, nil
}

// ctrlNetwork is the network name Control is given, as net's: "tcp4" or
// "tcp6" (and "udp4", "udp6") by the socket's family.
func ctrlNetwork(network string, family int) string {
	switch network[len(network)-1] {
	case '4', '6':
		return network
	}
	switch family {
	case abi.AF_INET:
		return network + "4"
	case abi.AF_INET6:
		return network + "6"
	}
	return network
}

// setup runs Control and binds the local address, if any. address gives
// the remote address's text, made only for Control.
func (d *Dialer) setup(s *socket.Socket, network string, address func() string, bind bool, local func() []byte) error {
	if d.Control != nil {
		if err := d.Control(network, address(), rawConn{s: s}); err != nil {
			return err
		}
	}
	if bind {
		if err := s.Bind(local()); err != nil {
			return syscallErr("bind", err)
		}
	}
	return nil
}

func (d *Dialer) dialUnix(ctx context.Context, network string, p proto, address string) (net.Conn, error) {
	if address == "" {
		return nil, opError("dial", network, nil, nil, errMissingAddress)
	}
	var lname string
	hasLA := d.LocalAddr != nil
	if hasLA {
		ua, ok := d.LocalAddr.(*net.UnixAddr)
		if !ok {
			return nil, opError("dial", network, nil, nil, &net.AddrError{Err: "mismatched local address type", Addr: d.LocalAddr.String()})
		}
		lname = ua.Name
	}
	raddr := &net.UnixAddr{Name: address, Net: network}
	fail := func(err error) (net.Conn, error) {
		return nil, opError("dial", network, d.LocalAddr, raddr, err)
	}
	sa, err := unixSockaddr(address)
	if err != nil {
		return fail(syscallErr("connect", err))
	}
	s, err := newSocket(d.Namespace, abi.AF_UNIX, p, false)
	if err != nil {
		return fail(err)
	}
	local := func() []byte { b, _ := unixSockaddr(lname); return b }
	if err := d.setup(s, network, func() string { return address }, hasLA, local); err != nil {
		s.Close()
		return fail(err)
	}
	if err := s.Connect(ctx, sa); err != nil {
		s.Close()
		if isErrno(err) {
			return fail(syscallErr("connect", err))
		}
		return fail(mapCtxErr(ctx))
	}
	return newConn(d.Namespace, s, network, p), nil
}

// newSocket makes a socket of the network's type, with net's default
// options: IPV6_V6ONLY as the family choice says, SO_BROADCAST on inet
// datagram sockets. Sockets carry root's credentials, as the processes
// of a namespace one owns.
func newSocket(ns *netns.Namespace, family int, p proto, v6only bool) (*socket.Socket, error) {
	s, e := socket.Create(ns, family, int(p.typ), 0, socket.Options{Creds: socket.Creds{Caps: socket.AllCaps}})
	if e != 0 {
		return nil, syscallErr("socket", e)
	}
	if family == abi.AF_INET6 {
		if err := setsockoptInt(s, abi.SOL_IPV6, abi.IPV6_V6ONLY, boolInt(v6only)); err != nil {
			s.Close()
			return nil, syscallErr("setsockopt", err)
		}
	}
	if p.inet() && p.typ == abi.SOCK_DGRAM {
		if err := setsockoptInt(s, abi.SOL_SOCKET, abi.SO_BROADCAST, 1); err != nil {
			s.Close()
			return nil, syscallErr("setsockopt", err)
		}
	}
	return s, nil
}

// setTCPDefaults sets what net sets on every TCP connection: TCP_NODELAY,
// and keep-alives unless keepAlive is negative. Failures are ignored, as
// net ignores them (a TCP without the option reports ENOPROTOOPT).
func setTCPDefaults(s *socket.Socket, keepAlive time.Duration) {
	_ = setsockoptInt(s, abi.SOL_TCP, abi.TCP_NODELAY, 1)
	if keepAlive < 0 {
		return
	}
	if keepAlive == 0 {
		keepAlive = defaultKeepAlive
	}
	secs := int(max(1, (keepAlive+time.Second-1)/time.Second))
	_ = setsockoptInt(s, abi.SOL_SOCKET, abi.SO_KEEPALIVE, 1)
	_ = setsockoptInt(s, abi.SOL_TCP, abi.TCP_KEEPIDLE, secs)
	_ = setsockoptInt(s, abi.SOL_TCP, abi.TCP_KEEPINTVL, secs)
}
