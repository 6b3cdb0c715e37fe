package gonet

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
)

// Conn is a connection or datagram endpoint over a gosock socket: what
// Dial returns for every network, Listener.Accept for stream networks
// and ListenPacket for datagram ones. It implements net.Conn, and
// net.PacketConn for datagram sockets (its ReadFrom and WriteTo work on
// every kind), with the extra methods of net.TCPConn and net.UnixConn
// that make sense here (CloseRead, CloseWrite, SetNoDelay, SetKeepAlive,
// SetLinger, buffer sizes) and SyscallConn for the socket itself.
//
// All methods may be called concurrently. A blocking call ends when its
// deadline passes (a *net.OpError wrapping os.ErrDeadlineExceeded) or
// when Close is called (one wrapping net.ErrClosed).
type Conn struct {
	fd fd
	ns *netns.Namespace
	// p stands for the network name as well (proto.network): with the
	// flags below it fits in two words, which keeps a Conn in the
	// 256-byte allocation size class (TestConnAllocSize).
	p          proto
	hasL, hasR bool
	closed     atomic.Bool
	// laddr and raddr (nil for an unconnected datagram socket) are made
	// on first use for inet sockets (addrs): most connections are never
	// asked for their names, and the net.Addr forms cost an allocation
	// each. lap and rap hold the names until then.
	laddr, raddr net.Addr
	addrs        sync.Once
	lap, rap     netip.AddrPort

	// rd and wr are held in the Conn, not behind pointers: two fewer
	// allocations per connection end.
	rd, wr deadline
}

var (
	_ net.Conn       = (*Conn)(nil)
	_ net.PacketConn = (*Conn)(nil)
)

// newConn wraps a connected or bound socket, reading its names.
func newConn(ns *netns.Namespace, s *socket.Socket, network string, p proto) *Conn {
	return newConnPeer(ns, s, network, p, netip.AddrPort{}, false)
}

// newConnPeer is newConn with, if known is set, the inet peer's address
// already known (a dial connected to it), so it is not read back.
func newConnPeer(ns *netns.Namespace, s *socket.Socket, network string, p proto, rap netip.AddrPort, known bool) *Conn {
	c := &Conn{fd: fd{s: s}, ns: ns, p: p}
	connected := s.State() == socket.SSConnected
	if p.inet() {
		c.lap, c.hasL = sockAddrPort(ns, s, false)
		if connected {
			if c.rap, c.hasR = rap, known; !known {
				c.rap, c.hasR = sockAddrPort(ns, s, true)
			}
		}
		return c
	}
	c.laddr = sockName(ns, s, network, p, false)
	if connected {
		c.raddr = sockName(ns, s, network, p, true)
	}
	return c
}

// sockAddrPort reads the local or peer address of an inet socket as a
// value, false if there is none.
func sockAddrPort(ns *netns.Namespace, s *socket.Socket, peer bool) (netip.AddrPort, bool) {
	buf := getSABuf()
	defer putSABuf(buf)
	n, err := s.Getname(buf[:], peer)
	if err != nil {
		return netip.AddrPort{}, false
	}
	return inetAddrPort(ns, buf[:min(n, len(buf))])
}

// names makes the net.Addr forms of the inet names once.
func (c *Conn) names() {
	c.addrs.Do(func() {
		if c.hasL {
			c.laddr = inetNetAddrOf(c.p, c.lap)
		}
		if c.hasR {
			c.raddr = inetNetAddrOf(c.p, c.rap)
		}
	})
}

// sockName reads the local or peer address of s as a net.Addr, nil if
// there is none.
func sockName(ns *netns.Namespace, s *socket.Socket, network string, p proto, peer bool) net.Addr {
	buf := getSABuf()
	defer putSABuf(buf)
	n, err := s.Getname(buf[:], peer)
	if err != nil {
		return nil
	}
	return netAddr(ns, network, p, buf[:min(n, len(buf))])
}

// LocalAddr returns the local address.
func (c *Conn) LocalAddr() net.Addr {
	c.names()
	return c.laddr
}

// RemoteAddr returns the peer's address: nil for an unconnected datagram
// socket.
func (c *Conn) RemoteAddr() net.Addr {
	c.names()
	return c.raddr
}

func (c *Conn) opErr(op string, err error) error {
	return opError(op, c.p.network(), c.LocalAddr(), c.RemoteAddr(), err)
}

// Read reads data: a stream's next bytes (io.EOF at its end) or one
// datagram, truncated to len(b).
func (c *Conn) Read(b []byte) (int, error) {
	if !c.fd.acquire() {
		return 0, c.opErr("read", net.ErrClosed)
	}
	defer c.fd.release()
	if len(b) == 0 {
		// As net: a zero-byte read returns at once, not reporting EOF.
		return 0, nil
	}
	n, _, err := c.recv(b, nil)
	if err != nil {
		return n, c.opErr("read", err)
	}
	if n == 0 && c.p.zeroReadIsEOF() {
		return 0, io.EOF
	}
	return n, nil
}

// ReadFrom reads one datagram and reports its sender (nil for an
// unnamed AF_UNIX sender).
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	if !c.fd.acquire() {
		return 0, nil, opError("read", c.p.network(), c.LocalAddr(), nil, net.ErrClosed)
	}
	defer c.fd.release()
	var name [abi.SizeofSockaddrStorage]byte
	n, nameLen, err := c.recv(b, name[:0])
	if err != nil {
		return n, nil, opError("read", c.p.network(), c.LocalAddr(), nil, err)
	}
	var from net.Addr
	if nameLen > 0 {
		from = netAddr(c.ns, c.p.network(), c.p, name[:min(nameLen, len(name))])
	}
	if ua, ok := from.(*net.UnixAddr); ok && ua.Name == "" {
		from = nil
	}
	if n == 0 && c.p.zeroReadIsEOF() && len(b) > 0 {
		return 0, from, io.EOF
	}
	return n, from, nil
}

// recv runs the blocking receive, retrying when a deadline moved under
// it, and returns the socket layer's errno, os.ErrDeadlineExceeded or
// net.ErrClosed.
func (c *Conn) recv(b, name []byte) (int, int, error) {
	o := getMsg(b, name)
	defer putMsg(o)
	m := &o.m
	for {
		ctx, err := c.rd.wait()
		if err != nil {
			return 0, 0, err
		}
		n, err := c.fd.s.Recvmsg(ctx, m, 0)
		if c.closed.Load() && (err != nil || n == 0) {
			return 0, 0, net.ErrClosed
		}
		if err == nil {
			return n, m.NameLen, nil
		}
		if isErrno(err) {
			return 0, 0, syscallErr("recvmsg", err)
		}
		// The context ended: the deadline passed or was moved, or the
		// connection closed; wait tells which.
	}
}

// Write writes b: all of it to a stream unless an error or deadline
// stops it, or one datagram.
func (c *Conn) Write(b []byte) (int, error) {
	if !c.fd.acquire() {
		return 0, c.opErr("write", net.ErrClosed)
	}
	defer c.fd.release()
	n, err := c.send(b, nil)
	if err != nil {
		return n, c.opErr("write", err)
	}
	return n, nil
}

// WriteTo sends one datagram to addr: a *net.UDPAddr for UDP, a
// *net.UnixAddr for AF_UNIX. A connected socket refuses it
// (net.ErrWriteToConnected), as net does.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if !c.fd.acquire() {
		return 0, opError("write", c.p.network(), c.LocalAddr(), addr, net.ErrClosed)
	}
	defer c.fd.release()
	if c.RemoteAddr() != nil {
		return 0, opError("write", c.p.network(), c.LocalAddr(), addr, net.ErrWriteToConnected)
	}
	if nilAddr(addr) == nil {
		return 0, opError("write", c.p.network(), c.LocalAddr(), nil, errMissingAddress)
	}
	var sa []byte
	if c.p.inet() {
		ap, ok := addrPortOf(addr)
		if _, isUDP := addr.(*net.UDPAddr); !ok || !isUDP {
			return 0, opError("write", c.p.network(), c.LocalAddr(), addr, errno.EINVAL)
		}
		buf := getSABuf()
		defer putSABuf(buf)
		sa = inetSockaddrInto(buf[:], c.ns, c.fd.s.Sock().Family, ap)
	} else {
		ua, ok := addr.(*net.UnixAddr)
		if !ok {
			return 0, opError("write", c.p.network(), c.LocalAddr(), addr, errno.EINVAL)
		}
		var err error
		if sa, err = unixSockaddr(ua.Name); err != nil {
			return 0, opError("write", c.p.network(), c.LocalAddr(), addr, syscallErr("sendmsg", err))
		}
	}
	n, err := c.send(b, sa)
	if err != nil {
		return n, opError("write", c.p.network(), c.LocalAddr(), addr, err)
	}
	return n, nil
}

// WriteToUDPAddrPort sends one datagram to addr, as
// net.UDPConn.WriteToUDPAddrPort.
func (c *Conn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	return c.WriteTo(b, net.UDPAddrFromAddrPort(addr))
}

// send runs the blocking send until all of b is queued (streams) or the
// datagram is sent.
func (c *Conn) send(b, to []byte) (int, error) {
	if len(b) == 0 && c.p.stream() {
		return 0, nil
	}
	sent := 0
	o := getMsg(nil, nil)
	defer putMsg(o)
	for {
		ctx, err := c.wr.wait()
		if err != nil {
			return sent, err
		}
		o.iov[0] = b[sent:]
		o.m = socket.Msg{Iov: o.iov[:], Name: to}
		n, err := c.fd.s.Sendmsg(ctx, &o.m, 0)
		sent += n
		if err == nil {
			if sent == len(b) || !c.p.stream() {
				return sent, nil
			}
			if n == 0 {
				return sent, io.ErrUnexpectedEOF // as net's poll.FD.Write
			}
			continue // a deadline or close cut the send short: wait tells
		}
		if c.closed.Load() {
			return sent, net.ErrClosed
		}
		if isErrno(err) {
			return sent, syscallErr("sendmsg", err)
		}
	}
}

// Close closes the connection. Blocked calls end with net.ErrClosed; a
// second Close returns an error wrapping net.ErrClosed.
func (c *Conn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return c.opErr("close", net.ErrClosed)
	}
	c.rd.close()
	c.wr.close()
	c.fd.close()
	return nil
}

// CloseRead shuts down the reading side (shutdown(SHUT_RD)).
func (c *Conn) CloseRead() error { return c.shutdown(abi.SHUT_RD) }

// CloseWrite shuts down the writing side (shutdown(SHUT_WR)): a stream's
// peer reads io.EOF once the data sent before it.
func (c *Conn) CloseWrite() error { return c.shutdown(abi.SHUT_WR) }

func (c *Conn) shutdown(how int) error {
	if !c.fd.acquire() {
		return c.opErr("close", net.ErrClosed)
	}
	defer c.fd.release()
	if err := c.fd.s.Shutdown(how); err != nil {
		return c.opErr("close", syscallErr("shutdown", err))
	}
	return nil
}

// SetDeadline sets both the read and the write deadline.
func (c *Conn) SetDeadline(t time.Time) error {
	if c.closed.Load() {
		return opError("set", c.p.network(), nil, c.LocalAddr(), net.ErrClosed)
	}
	c.rd.set(c.ns.Clock(), t)
	c.wr.set(c.ns.Clock(), t)
	return nil
}

// SetReadDeadline sets the deadline of reads: a time in the past ends a
// blocked Read at once; the zero time means no deadline. Time is the
// namespace's clock's.
func (c *Conn) SetReadDeadline(t time.Time) error {
	if c.closed.Load() {
		return opError("set", c.p.network(), nil, c.LocalAddr(), net.ErrClosed)
	}
	c.rd.set(c.ns.Clock(), t)
	return nil
}

// SetWriteDeadline sets the deadline of writes.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	if c.closed.Load() {
		return opError("set", c.p.network(), nil, c.LocalAddr(), net.ErrClosed)
	}
	c.wr.set(c.ns.Clock(), t)
	return nil
}

// SetNoDelay sets TCP_NODELAY (net's default for TCP is on).
func (c *Conn) SetNoDelay(noDelay bool) error {
	return c.setsockopt(abi.SOL_TCP, abi.TCP_NODELAY, boolInt(noDelay))
}

// SetKeepAlive sets SO_KEEPALIVE.
func (c *Conn) SetKeepAlive(keepalive bool) error {
	return c.setsockopt(abi.SOL_SOCKET, abi.SO_KEEPALIVE, boolInt(keepalive))
}

// SetKeepAlivePeriod sets the idle time before the first probe and the
// interval between probes (TCP_KEEPIDLE, TCP_KEEPINTVL), in whole
// seconds, at least one.
func (c *Conn) SetKeepAlivePeriod(d time.Duration) error {
	secs := int(max(1, (d+time.Second-1)/time.Second))
	if err := c.setsockopt(abi.SOL_TCP, abi.TCP_KEEPIDLE, secs); err != nil {
		return err
	}
	return c.setsockopt(abi.SOL_TCP, abi.TCP_KEEPINTVL, secs)
}

// SetLinger sets SO_LINGER as net.TCPConn.SetLinger: negative leaves
// lingering off, zero makes Close abortive (a reset), positive lingers
// that many seconds.
func (c *Conn) SetLinger(sec int) error {
	if !c.fd.acquire() {
		return c.opErr("set", net.ErrClosed)
	}
	defer c.fd.release()
	var b [8]byte
	if sec >= 0 {
		binary.LittleEndian.PutUint32(b[0:], 1)
		binary.LittleEndian.PutUint32(b[4:], uint32(sec))
	}
	if err := c.fd.s.SetSockopt(abi.SOL_SOCKET, abi.SO_LINGER, b[:]); err != nil {
		return c.opErr("set", syscallErr("setsockopt", err))
	}
	return nil
}

// SetReadBuffer sets SO_RCVBUF.
func (c *Conn) SetReadBuffer(bytes int) error {
	return c.setsockopt(abi.SOL_SOCKET, abi.SO_RCVBUF, bytes)
}

// SetWriteBuffer sets SO_SNDBUF.
func (c *Conn) SetWriteBuffer(bytes int) error {
	return c.setsockopt(abi.SOL_SOCKET, abi.SO_SNDBUF, bytes)
}

func (c *Conn) setsockopt(level, name, v int) error {
	if !c.fd.acquire() {
		return c.opErr("set", net.ErrClosed)
	}
	defer c.fd.release()
	if err := setsockoptInt(c.fd.s, level, name, v); err != nil {
		return c.opErr("set", syscallErr("setsockopt", err))
	}
	return nil
}

// SyscallConn gives access to the socket under the connection, as
// net.TCPConn.SyscallConn gives the file descriptor.
func (c *Conn) SyscallConn() (RawConn, error) {
	if c.closed.Load() {
		return nil, c.opErr("raw-control", net.ErrClosed)
	}
	return rawConn{fd: &c.fd}, nil
}

// RawConn is gosock's counterpart of syscall.RawConn: it lends out the
// socket under a Conn or Listener, for options and calls the net-style
// API does not cover.
type RawConn interface {
	// Control calls f with the socket. It reports net.ErrClosed if the
	// Conn or Listener was closed. f must not close the socket.
	Control(f func(s *socket.Socket)) error
}

type rawConn struct {
	s  *socket.Socket // while dialing or listening
	fd *fd            // once a Conn or Listener holds it
}

func (r rawConn) Control(f func(s *socket.Socket)) error {
	if r.fd == nil {
		f(r.s)
		return nil
	}
	if !r.fd.acquire() {
		return net.ErrClosed
	}
	defer r.fd.release()
	f(r.fd.s)
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func setsockoptInt(s *socket.Socket, level, name, v int) error {
	b := getSABuf() // lent: the value escapes through the socket's interfaces
	defer putSABuf(b)
	binary.LittleEndian.PutUint32(b[:], uint32(int32(v)))
	return s.SetSockopt(level, name, b[:4])
}
