package intercept

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/inet"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/wire"
)

// UDPListener splits intercepted UDP traffic into flows, one per client
// address and original destination, as a Linux TPROXY UDP proxy does:
// transparent sockets (one AF_INET, one IPV6_V6ONLY AF_INET6, on the same
// port) receive every steered datagram with IP_RECVORIGDSTADDR or
// IPV6_RECVORIGDSTADDR, and each flow answers from its own transparent
// socket bound to the original destination, so replies carry it as their
// source.
type UDPListener struct {
	ns      *netns.Namespace
	socks   [2]*socket.Socket // AF_INET, AF_INET6
	rules   []*netns.Intercept
	idle    time.Duration
	flowQ   int
	ctx     context.Context
	cancel  context.CancelFunc
	acceptQ chan *Flow
	done    chan struct{}
	readers sync.WaitGroup
	errMu   sync.Mutex
	readErr error // why a reader stopped early

	mu    sync.Mutex
	flows map[flowKey]*Flow

	accepted, active, closedFlows, idleExpired atomic.Uint64
	in, out, dropped, overflows                atomic.Uint64
}

type flowKey struct{ client, orig netip.AddrPort }

// maxDatagram is the largest UDP payload (IPv6's; IPv4's is smaller).
const maxDatagram = 65535 - 8

var bufPool = sync.Pool{New: func() any { b := make([]byte, maxDatagram); return &b }}

// ListenUDP starts intercepting UDP datagrams that match any of rules
// (everything when rules is empty) in ns.
func ListenUDP(ns *netns.Namespace, rules []Rule, opts *Options) (*UDPListener, error) {
	var socks [2]*socket.Socket
	var err error
	// The IPv6 socket takes the IPv4 one's ephemeral port, so one rule
	// target serves both; a port taken for IPv6 means another try.
	for range 16 {
		if socks, err = bindPair(ns); err == nil {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	var sa [abi.SizeofSockaddrInet4]byte
	n, err := socks[0].Getname(sa[:], false)
	if err == nil {
		port := inet.Sockaddr4(sa[:n]).Port()
		var ics []*netns.Intercept
		if ics, err = addRules(ns, wire.ProtoUDP, rules, port, opts); err == nil {
			u := &UDPListener{ns: ns, socks: socks, rules: ics, idle: time.Minute, flowQ: 64,
				acceptQ: make(chan *Flow, opts.pending()), done: make(chan struct{}), flows: make(map[flowKey]*Flow)}
			if opts != nil && opts.IdleTimeout > 0 {
				u.idle = opts.IdleTimeout
			}
			if opts != nil && opts.FlowQueue > 0 {
				u.flowQ = opts.FlowQueue
			}
			u.ctx, u.cancel = context.WithCancel(context.Background())
			u.readers.Add(2)
			go u.read(socks[0], false)
			go u.read(socks[1], true)
			go func() {
				u.readers.Wait()
				close(u.done)
			}()
			return u, nil
		}
	}
	socks[0].Close()
	socks[1].Close()
	return nil, err
}

// bindPair makes the two receiving sockets, the IPv6 one on the IPv4
// one's port.
func bindPair(ns *netns.Namespace) (socks [2]*socket.Socket, err error) {
	defer func() {
		if err != nil {
			for _, s := range socks {
				if s != nil {
					s.Close()
				}
			}
		}
	}()
	for i, v6 := range []bool{false, true} {
		if socks[i], err = udpSocket(ns, v6); err != nil {
			return socks, err
		}
	}
	if err = socks[0].SetSockopt(abi.SOL_IP, abi.IP_RECVORIGDSTADDR, intBytes(1)); err != nil {
		return socks, err
	}
	if err = socks[1].SetSockopt(abi.SOL_IPV6, abi.IPV6_RECVORIGDSTADDR, intBytes(1)); err != nil {
		return socks, err
	}
	var sa [abi.SizeofSockaddrInet6]byte
	n := inet.PutSockaddr(sa[:], false, netip.IPv4Unspecified(), 0, 0)
	if err = socks[0].Bind(sa[:n]); err != nil {
		return socks, err
	}
	if n, err = socks[0].Getname(sa[:], false); err != nil {
		return socks, err
	}
	port := inet.Sockaddr4(sa[:n]).Port()
	n = inet.PutSockaddr(sa[:], true, netip.IPv6Unspecified(), port, 0)
	err = socks[1].Bind(sa[:n])
	return socks, err
}

// udpSocket makes a transparent datagram socket with SO_REUSEADDR, so
// several flows' sockets may share an original destination; an AF_INET6
// one is IPV6_V6ONLY.
func udpSocket(ns *netns.Namespace, v6 bool) (*socket.Socket, error) {
	family, opts := abi.AF_INET, [][2]int{{abi.SOL_IP, abi.IP_TRANSPARENT}, {abi.SOL_SOCKET, abi.SO_REUSEADDR}}
	if v6 {
		family = abi.AF_INET6
		opts = [][2]int{{abi.SOL_IPV6, abi.IPV6_TRANSPARENT}, {abi.SOL_SOCKET, abi.SO_REUSEADDR}, {abi.SOL_IPV6, abi.IPV6_V6ONLY}}
	}
	s, e := socket.Create(ns, family, abi.SOCK_DGRAM, 0, socket.Options{Creds: socket.Creds{Caps: socket.AllCaps}})
	if e != 0 {
		return nil, os.NewSyscallError("socket", e)
	}
	for _, o := range opts {
		if err := s.SetSockopt(o[0], o[1], intBytes(1)); err != nil {
			s.Close()
			return nil, os.NewSyscallError("setsockopt", err)
		}
	}
	return s, nil
}

// read receives every steered datagram of one family and hands it to its
// flow, making the flow on a client's first datagram. The listener has
// one such goroutine per family; flows have none.
func (u *UDPListener) read(s *socket.Socket, v6 bool) {
	defer u.readers.Done()
	var name [abi.SizeofSockaddrInet6]byte
	var ctrl [80]byte
	buf := make([]byte, maxDatagram)
	iov := [][]byte{buf}
	for {
		m := socket.Msg{Name: name[:0], Iov: iov, Control: ctrl[:0]}
		n, err := s.Recvmsg(u.ctx, &m, 0)
		if err != nil {
			if u.ctx.Err() != nil {
				return
			}
			if errors.Is(err, io.EOF) {
				u.errMu.Lock()
				u.readErr = err
				u.errMu.Unlock()
				return
			}
			continue // a pending ICMP error reported on the socket
		}
		var client netip.AddrPort
		switch {
		case v6 && m.NameLen >= 24:
			client, _ = inet.Sockaddr6(name[:m.NameLen])
		case !v6 && m.NameLen >= abi.SizeofSockaddrInet4:
			client = inet.Sockaddr4(name[:abi.SizeofSockaddrInet4])
		default:
			continue
		}
		orig, ok := origDst(ctrl[:m.ControlLen])
		if !ok {
			continue
		}
		u.deliver(flowKey{client, orig}, buf[:n])
	}
}

// origDst finds IP_ORIGDSTADDR or IPV6_ORIGDSTADDR among the control
// messages.
func origDst(b []byte) (netip.AddrPort, bool) {
	for len(b) >= 16 {
		l := int(binary.LittleEndian.Uint64(b))
		level := int(int32(binary.LittleEndian.Uint32(b[8:])))
		typ := int(int32(binary.LittleEndian.Uint32(b[12:])))
		if l < 16 || l > len(b) {
			break
		}
		if level == abi.SOL_IP && typ == abi.IP_ORIGDSTADDR && l-16 >= abi.SizeofSockaddrInet4 {
			return inet.Sockaddr4(b[16:l]), true
		}
		if level == abi.SOL_IPV6 && typ == abi.IPV6_ORIGDSTADDR && l-16 >= 24 {
			ap, _ := inet.Sockaddr6(b[16:l])
			return ap, true
		}
		l = (l + 7) &^ 7
		if l > len(b) {
			break
		}
		b = b[l:]
	}
	return netip.AddrPort{}, false
}

// deliver queues a datagram on its flow, making the flow if needed.
func (u *UDPListener) deliver(k flowKey, data []byte) {
	u.mu.Lock()
	f := u.flows[k]
	if f == nil {
		if len(u.acceptQ) == cap(u.acceptQ) {
			u.mu.Unlock()
			u.overflows.Add(1) // the application is not accepting: new flows wait their turn
			return
		}
		var err error
		if f, err = u.newFlow(k); err != nil {
			u.mu.Unlock()
			u.dropped.Add(1)
			return
		}
		u.flows[k] = f
		u.active.Add(1)
		u.acceptQ <- f // room checked above, under mu
	}
	u.mu.Unlock()
	bp := bufPool.Get().(*[]byte)
	d := datagram{buf: bp, n: copy(*bp, data)}
	select {
	case f.in <- d:
		f.touch()
	default:
		bufPool.Put(bp)
		u.dropped.Add(1)
	}
}

// newFlow makes a flow's reply socket: transparent, bound to the
// original destination. Called with u.mu held.
func (u *UDPListener) newFlow(k flowKey) (*Flow, error) {
	v6 := k.orig.Addr().Is6()
	s, err := udpSocket(u.ns, v6)
	if err != nil {
		return nil, err
	}
	var sa [abi.SizeofSockaddrInet6]byte
	n := inet.PutSockaddr(sa[:], v6, k.orig.Addr(), k.orig.Port(), 0)
	if err := s.Bind(sa[:n]); err != nil {
		s.Close()
		return nil, err
	}
	f := &Flow{u: u, s: s, key: k, in: make(chan datagram, u.flowQ), done: make(chan struct{}), clk: u.ns.Clock()}
	f.peerLen = inet.PutSockaddr(f.peer[:], v6, k.client.Addr(), k.client.Port(), 0)
	f.last.Store(f.clk.Now().UnixNano())
	f.idle = f.clk.AfterFunc(u.idle, f.checkIdle)
	return f, nil
}

// Accept waits for the next new flow. Flows that idled out before being
// accepted are skipped.
func (u *UDPListener) Accept() (*Flow, error) {
	for {
		select {
		case <-u.done:
			return nil, u.closedErr()
		default:
		}
		select {
		case f := <-u.acceptQ:
			if f.closed() {
				continue
			}
			u.accepted.Add(1)
			return f, nil
		case <-u.done:
			return nil, u.closedErr()
		}
	}
}

func (u *UDPListener) closedErr() error {
	u.errMu.Lock()
	defer u.errMu.Unlock()
	if u.readErr != nil {
		return u.readErr
	}
	return net.ErrClosed
}

// Close removes the steering rules, stops receiving and closes every
// flow: without the rules no more datagrams would reach them.
func (u *UDPListener) Close() error {
	removeRules(u.ns, u.rules)
	u.cancel()
	<-u.done
	err := errors.Join(u.socks[0].Close(), u.socks[1].Close())
	u.mu.Lock()
	flows := make([]*Flow, 0, len(u.flows))
	for _, f := range u.flows {
		flows = append(flows, f)
	}
	u.mu.Unlock()
	for _, f := range flows {
		f.Close()
	}
	return err
}

// Counters returns the listener's counts.
func (u *UDPListener) Counters() Counters {
	var c Counters
	sumRules(u.rules, &c)
	c.Overflows += u.overflows.Load()
	c.Accepted = u.accepted.Load()
	c.Active = u.active.Load()
	c.FlowsClosed = u.closedFlows.Load()
	c.IdleExpired = u.idleExpired.Load()
	c.DatagramsIn = u.in.Load()
	c.DatagramsOut = u.out.Load()
	c.DatagramsDropped = u.dropped.Load()
	return c
}

// datagram is one queued payload in a pooled buffer.
type datagram struct {
	buf *[]byte
	n   int
}

// Flow is one intercepted UDP flow: a net.Conn whose Read returns the
// client's datagrams, one per call, and whose Write answers the client
// from the original destination. LocalAddr is the original destination,
// RemoteAddr the client. A flow closes on Close or after the listener's
// idle timeout without traffic; Read then returns io.EOF.
type Flow struct {
	u       *UDPListener
	s       *socket.Socket
	key     flowKey
	peer    [abi.SizeofSockaddrInet6]byte
	peerLen int
	in      chan datagram
	done    chan struct{}
	clk     clock.Clock
	idle    clock.Timer
	last    atomic.Int64 // UnixNano of the last datagram either way

	once    sync.Once
	expired atomic.Bool
	rdl     atomic.Int64 // read deadline, UnixNano; 0 for none
}

func (f *Flow) touch() { f.last.Store(f.clk.Now().UnixNano()) }

// checkIdle runs when the idle timer fires: it closes the flow if
// nothing moved for the whole timeout, else waits for the rest.
func (f *Flow) checkIdle() {
	quiet := time.Duration(f.clk.Now().UnixNano() - f.last.Load())
	if quiet < f.u.idle {
		f.idle.Reset(f.u.idle - quiet)
		return
	}
	if f.expired.CompareAndSwap(false, true) {
		f.u.idleExpired.Add(1)
	}
	f.Close()
}

// Read returns the next datagram from the client (cut to len(b), as a
// datagram socket does).
func (f *Flow) Read(b []byte) (int, error) {
	select {
	case <-f.done:
		return 0, io.EOF
	default:
	}
	var timeout <-chan time.Time
	if dl := f.rdl.Load(); dl != 0 {
		d := time.Duration(dl - f.clk.Now().UnixNano())
		if d <= 0 {
			return 0, f.opErr("read", os.ErrDeadlineExceeded)
		}
		t := f.clk.NewTimer(d)
		defer t.Stop()
		timeout = t.C()
	}
	select {
	case d := <-f.in:
		n := copy(b, (*d.buf)[:d.n])
		bufPool.Put(d.buf)
		f.u.in.Add(1)
		return n, nil
	case <-f.done:
		return 0, io.EOF
	case <-timeout:
		return 0, f.opErr("read", os.ErrDeadlineExceeded)
	}
}

// Write sends b to the client as one datagram from the original
// destination.
func (f *Flow) Write(b []byte) (int, error) {
	select {
	case <-f.done:
		return 0, f.opErr("write", net.ErrClosed)
	default:
	}
	m := socket.Msg{Name: f.peer[:f.peerLen], Iov: [][]byte{b}}
	n, err := f.s.Sendmsg(context.Background(), &m, abi.MSG_DONTWAIT)
	if err != nil {
		return n, f.opErr("write", os.NewSyscallError("sendmsg", err))
	}
	f.touch()
	f.u.out.Add(1)
	return n, nil
}

func (f *Flow) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: "udp", Source: f.LocalAddr(), Addr: f.RemoteAddr(), Err: err}
}

// Close releases the flow: its socket, its timer and its queue. A later
// datagram from the same client starts a new flow.
func (f *Flow) Close() error {
	first := false
	f.once.Do(func() {
		first = true
		f.idle.Stop()
		u := f.u
		u.mu.Lock()
		if u.flows[f.key] == f {
			delete(u.flows, f.key)
		}
		u.mu.Unlock()
		close(f.done)
		f.s.Close()
		u.active.Add(^uint64(0))
		u.closedFlows.Add(1)
	})
	if !first {
		return net.ErrClosed
	}
	return nil
}

func (f *Flow) closed() bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// Expired reports whether the idle timeout closed the flow.
func (f *Flow) Expired() bool { return f.expired.Load() }

// LocalAddr is the original destination.
func (f *Flow) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(f.key.orig) }

// RemoteAddr is the client.
func (f *Flow) RemoteAddr() net.Addr { return net.UDPAddrFromAddrPort(f.key.client) }

// SetDeadline sets the read deadline (writes never block).
func (f *Flow) SetDeadline(t time.Time) error { return f.SetReadDeadline(t) }

// SetReadDeadline bounds future Reads, on the namespace's clock; the zero
// time means none. A Read already waiting keeps its old deadline.
func (f *Flow) SetReadDeadline(t time.Time) error {
	if t.IsZero() {
		f.rdl.Store(0)
	} else {
		f.rdl.Store(t.UnixNano())
	}
	return nil
}

// SetWriteDeadline does nothing: a flow's writes never block.
func (f *Flow) SetWriteDeadline(time.Time) error { return nil }
