package gosock_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/sys"
	"github.com/gosock/gosock/wire"
)

// Resource limits: descriptors, ports, buffers and TCP's memory.

// TestLimitEMFILE: with RLIMIT_NOFILE used up, socket() and accept()
// fail with EMFILE; the connection accept could not take stays queued
// and is accepted once a descriptor is free.
func TestLimitEMFILE(t *testing.T) {
	before := pktbuf.Outstanding()
	r := newRawPeer(t, 5)
	t.Cleanup(r.close)
	p := sys.NewProcess(r.ns, sys.Options{PID: 2, NoFile: 3})
	defer p.Exit()
	lfd, err := p.Socket(abi.AF_INET, abi.SOCK_STREAM|abi.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Bind(lfd, &abi.SockaddrInet4{Port: 80}); err != nil {
		t.Fatal(err)
	}
	if err := p.Listen(lfd, 4); err != nil {
		t.Fatal(err)
	}
	var fds []int
	for {
		fd, err := p.Socket(abi.AF_INET, abi.SOCK_DGRAM, 0)
		if err != nil {
			if !errors.Is(err, errno.EMFILE) {
				t.Fatalf("socket with the table full: %v, want EMFILE", err)
			}
			break
		}
		fds = append(fds, fd)
	}
	if len(fds) != 2 {
		t.Fatalf("%d sockets besides the listener under RLIMIT_NOFILE 3", len(fds))
	}
	// A connection arrives; accept has no descriptor for it.
	r.sport = 40000
	r.inject(seg{seq: 100, flags: wire.TCPFlagSYN, opts: r.synOpts()})
	sa := r.expect(wire.TCPFlagSYN | wire.TCPFlagACK)
	r.inject(seg{seq: 101, ack: sa.Seq() + 1, flags: wire.TCPFlagACK})
	if _, _, err := p.Accept(lfd); !errors.Is(err, errno.EMFILE) {
		t.Fatalf("accept with the table full: %v, want EMFILE", err)
	}
	if err := p.Close(fds[0]); err != nil {
		t.Fatal(err)
	}
	fd, _, err := p.Accept(lfd)
	if err != nil {
		t.Fatalf("accept after a close: %v", err)
	}
	if pa, _ := p.Getpeername(fd); pa.(*abi.SockaddrInet4).Port != 40000 {
		t.Errorf("accepted %v, want the queued connection from port 40000", pa)
	}
	p.Exit()
	finish(t, r, before)
}

// TestLimitPortExhaustion: with ip_local_port_range 40000-40009, ten
// connections to one destination take every port and the eleventh
// connect fails with EADDRNOTAVAIL; bind to port 0 then finds no port
// either (EADDRINUSE); a closed connection's port is free again once its
// connection is gone.
func TestLimitPortExhaustion(t *testing.T) {
	before := pktbuf.Outstanding()
	r := newRawPeer(t, 6)
	t.Cleanup(r.close)
	if err := r.ns.Sysctl.Set("net.ipv4.ip_local_port_range", "40000 40009"); err != nil {
		t.Fatal(err)
	}
	dst := &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}
	used := map[int]bool{}
	var fds []int
	for i := range 11 {
		fd, err := r.proc.Socket(abi.AF_INET, abi.SOCK_STREAM|abi.SOCK_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		err = r.proc.Connect(fd, dst)
		if i == 10 {
			if !errors.Is(err, errno.EADDRNOTAVAIL) {
				t.Fatalf("connect with every port taken: %v, want EADDRNOTAVAIL", err)
			}
			r.proc.Close(fd)
			break
		}
		if !errors.Is(err, errno.EINPROGRESS) {
			t.Fatalf("connect %d: %v", i, err)
		}
		sa, _ := r.proc.Getsockname(fd)
		port := sa.(*abi.SockaddrInet4).Port
		if port < 40000 || port > 40009 || used[port] {
			t.Fatalf("connect %d got port %d", i, port)
		}
		used[port] = true
		fds = append(fds, fd)
	}
	bfd, _ := r.proc.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	if err := r.proc.Bind(bfd, &abi.SockaddrInet4{}); !errors.Is(err, errno.EADDRINUSE) {
		t.Errorf("bind to port 0 with every port taken: %v, want EADDRINUSE", err)
	}
	r.proc.Close(bfd)
	// Close one connecting socket: its port comes back.
	r.proc.Close(fds[0])
	r.drain()
	fd, _ := r.proc.Socket(abi.AF_INET, abi.SOCK_STREAM|abi.SOCK_NONBLOCK, 0)
	if err := r.proc.Connect(fd, dst); !errors.Is(err, errno.EINPROGRESS) {
		t.Errorf("connect after a close: %v", err)
	}
	finish(t, r, before)
}

// TestLimitBuffers: a receiver whose application never reads holds at
// most its SO_RCVBUF, however hard the peer pushes (in or beyond the
// window); a writer whose peer acknowledges nothing gets EAGAIN once its
// send buffer is full. As in Linux, SO_SNDBUF is checked only when a
// write starts a new skb (sk_stream_memory_free in tcp_sendmsg_locked),
// so the writer gets in what the initial window sent plus one skb of the
// size goal (at most 64 KiB): Linux 6.18 over a veth whose peer's ACKs
// are dropped takes 44,940 bytes with SO_SNDBUF 4096 (8192 reported).
func TestLimitBuffers(t *testing.T) {
	before := pktbuf.Outstanding()
	r, fd, _ := established(t)
	if err := r.proc.SetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_RCVBUF, 4096); err != nil {
		t.Fatal(err)
	}
	if err := r.proc.SetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_SNDBUF, 4096); err != nil {
		t.Fatal(err)
	}
	rcvbuf, _ := r.proc.GetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_RCVBUF)
	sndbuf, _ := r.proc.GetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_SNDBUF)
	// The peer pushes 200 KB in 1000-byte segments, from what we last
	// acknowledged, ignoring our window.
	chunk := make([]byte, 1000)
	for range 200 {
		r.inject(seg{seq: r.ourAck, ack: r.ourNxt, flags: wire.TCPFlagACK, payload: chunk, opts: r.ts()})
		r.all()
	}
	inq, _ := r.proc.IoctlGetInt(fd, abi.SIOCINQ)
	held := r.tcp.MemoryAllocated()
	t.Logf("SO_RCVBUF %d: %d bytes queued after 200 KB pushed; TCPRcvQDrop %d", rcvbuf, inq,
		r.ns.MIB.Get(netns.TCPExtTCPRcvQDrop))
	if inq > rcvbuf || held > int64(rcvbuf) {
		t.Fatalf("receiver holds %d bytes (SIOCINQ %d), SO_RCVBUF %d", held, inq, rcvbuf)
	}
	if inq == 0 {
		t.Fatal("nothing was received")
	}
	// Writes: the peer's window is open, but it acknowledges nothing.
	total := 0
	for {
		n, err := r.proc.Write(fd, make([]byte, 1500))
		total += n
		if errors.Is(err, errno.EAGAIN) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if total > 1<<20 {
			t.Fatal("writes never blocked")
		}
	}
	r.drain()
	t.Logf("SO_SNDBUF %d: %d bytes written before EAGAIN", sndbuf, total)
	if limit := sndbuf + limitOneSkb; total > limit {
		t.Fatalf("%d bytes queued, SO_SNDBUF %d: more than the buffer, the initial window and one skb (%d)", total, sndbuf, limit)
	}
	r.checkInvariants()
	finish(t, r, before)
}

// limitOneSkb is what a writer can get in beyond SO_SNDBUF in Linux: the
// initial window's ten segments already sent, plus one skb of up to the
// 64 KiB GSO size that takes writes until it is full.
const limitOneSkb = 10*1460 + 64<<10

// TestLimitTCPMemPressure: the tcp_mem model. With tcp_mem at 4 8 16
// pages (16, 32 and 64 KiB), connections whose applications do not read
// push TCP past tcp_mem[1] into memory pressure (TCPMemoryPressures) and
// then against tcp_mem[2], where data beyond a socket's guaranteed
// tcp_rmem[0] is dropped (TCPRcvQDrop), writes stall and send buffers
// shrink; under pressure buffers do not grow. Once the applications read, memory falls to zero
// and the pressure ends (TCPMemoryPressuresChrono counts its duration).
func TestLimitTCPMemPressure(t *testing.T) {
	before := pktbuf.Outstanding()
	r := newRawPeer(t, 7)
	t.Cleanup(r.close)
	if err := r.ns.Sysctl.Set("net.ipv4.tcp_mem", "4 8 16"); err != nil {
		t.Fatal(err)
	}
	const pressure, high, rmem0, conns = 8 * 4096, 16 * 4096, 4096, 8
	lfd := r.listen(16)
	type peerConn struct {
		fd                      int
		sport                   uint16
		peerNxt, ourNxt, ourAck uint32
	}
	var cs []*peerConn
	use := func(c *peerConn) { r.sport, r.peerNxt, r.ourNxt, r.ourAck = c.sport, c.peerNxt, c.ourNxt, c.ourAck }
	keep := func(c *peerConn) { c.peerNxt, c.ourNxt, c.ourAck = r.peerNxt, r.ourNxt, r.ourAck }
	for i := range conns {
		fd := r.handshake(lfd, uint16(41000+i), uint32(i)<<24)
		r.all()
		c := &peerConn{fd: fd, sport: uint16(41000 + i)}
		keep(c)
		cs = append(cs, c)
	}
	sndbuf0, _ := r.proc.GetsockoptInt(cs[0].fd, abi.SOL_SOCKET, abi.SO_SNDBUF)
	// Each peer sends 16 KB, in order, acknowledging what we sent.
	chunk := make([]byte, 1000)
	peak := int64(0)
	for range 16 {
		for _, c := range cs {
			use(c)
			r.inject(seg{seq: r.ourAck, ack: r.ourNxt, flags: wire.TCPFlagACK, payload: chunk, opts: r.ts()})
			r.all()
			keep(c)
			peak = max(peak, r.tcp.MemoryAllocated())
		}
	}
	mib := r.ns.MIB
	t.Logf("%d connections × 16 KB unread: peak %d bytes, pressure %v, TCPMemoryPressures %d, TCPRcvQDrop %d",
		conns, peak, r.tcp.MemoryPressure(), mib.Get(netns.TCPExtTCPMemoryPressures), mib.Get(netns.TCPExtTCPRcvQDrop))
	if !r.tcp.MemoryPressure() || mib.Get(netns.TCPExtTCPMemoryPressures) != 1 {
		t.Fatalf("not under pressure at %d bytes (tcp_mem[1] %d)", r.tcp.MemoryAllocated(), pressure)
	}
	if peak > high+conns*rmem0 {
		t.Fatalf("peak %d bytes, beyond tcp_mem[2] %d plus the guaranteed %d per socket", peak, high, rmem0)
	}
	if mib.Get(netns.TCPExtTCPRcvQDrop) == 0 {
		t.Fatal("nothing dropped at tcp_mem[2]")
	}
	// Writes stall at the hard limit. Linux still charges a write to a
	// socket that has less than its (shrunk) send buffer queued
	// (__sk_mem_raise_allocated's suppress_allocation), so one write
	// gets in at most the initial window and one skb, and the next
	// waits.
	use(cs[0])
	n, err := r.proc.Write(cs[0].fd, make([]byte, 100000))
	if err != nil || n > limitOneSkb {
		t.Fatalf("write at the hard limit: %d, %v; want at most %d", n, err, limitOneSkb)
	}
	if _, err := r.proc.Write(cs[0].fd, make([]byte, 100000)); !errors.Is(err, errno.EAGAIN) {
		t.Fatalf("second write at the hard limit: %v, want EAGAIN", err)
	}
	// At the hard limit the send buffer shrank to half of what was
	// queued, no less than SOCK_MIN_SNDBUF (sk_stream_moderate_sndbuf),
	// and it did not grow with the ACKs under pressure.
	if sb, _ := r.proc.GetsockoptInt(cs[0].fd, abi.SOL_SOCKET, abi.SO_SNDBUF); sb != 4608 {
		t.Errorf("SO_SNDBUF %d at the hard limit (it was %d), want SOCK_MIN_SNDBUF 4608", sb, sndbuf0)
	}
	for range 3 { // acknowledge it (Nagle holds the tail until the first ACK)
		r.all()
		r.inject(seg{seq: r.ourAck, ack: r.ourNxt, flags: wire.TCPFlagACK, opts: r.ts()})
	}
	r.all()
	keep(cs[0])
	r.advance(10 * time.Second)
	r.drain()
	// The applications read everything: memory returns to zero.
	for _, c := range cs {
		for {
			n, err := r.proc.Read(c.fd, make([]byte, 65536))
			if n == 0 || err != nil {
				break
			}
		}
	}
	r.drain()
	if m := r.tcp.MemoryAllocated(); m != 0 || r.tcp.MemoryPressure() {
		t.Fatalf("after reading: %d bytes, pressure %v", m, r.tcp.MemoryPressure())
	}
	if ms := mib.Get(netns.TCPExtTCPMemoryPressuresChrono); ms < 10000 {
		t.Errorf("TCPMemoryPressuresChrono %d ms, want at least the 10 s spent under pressure", ms)
	}
	finish(t, r, before)
}
