package tcp_test

import (
	"errors"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/sys"
	"github.com/gosock/gosock/tcp"
	"github.com/gosock/gosock/wire"
)

// floodPair is pair with the client's interface at hand, to put forged
// frames on the wire.
func floodPair(t *testing.T) (*sys.Process, *sys.Process, *netns.Namespace, *netns.Interface) {
	t.Helper()
	a := gosock.NewNamespace(netns.Options{Name: "client", Seed: 1})
	b := gosock.NewNamespace(netns.Options{Name: "server", Seed: 2})
	t.Cleanup(func() { a.Close(); b.Close() })
	imp := link.Impairments{Latency: time.Millisecond}
	ia, _, err := gosock.Connect(a, b,
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}},
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}},
		link.PipeConfig{AtoB: imp, BtoA: imp})
	if err != nil {
		t.Fatal(err)
	}
	// The flood comes from off-link addresses, so the server's SYN-ACKs go
	// to the client's MAC, which drops them (forwarding is off). A forged
	// source on the link itself would fail ARP, and the local ICMP host
	// unreachable would end each request, as on Linux (tcp_req_err).
	if err := b.AddRoute(netns.Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("10.0.0.1")}); err != nil {
		t.Fatal(err)
	}
	return sys.NewProcess(a, sys.Options{PID: 1}), sys.NewProcess(b, sys.Options{PID: 2}), b, ia
}

// forgeSYN puts on the wire a SYN from src:sport to dst:dport, from an
// address nobody owns, so the SYN-ACK goes nowhere: a SYN flood's packet.
func forgeSYN(t *testing.T, ifc *netns.Interface, src, dst netip.Addr, sport, dport uint16, seq uint32) {
	t.Helper()
	dev := ifc.Device()
	pe := dev.(*link.PipeEnd)
	opts := wire.TCPOptions{HasMSS: true, MSS: 1460}
	f := wire.TCPFields{SrcPort: sport, DstPort: dport, Seq: seq, Flags: wire.TCPFlagSYN, Window: 64240, Opts: &opts}
	tl := f.Len()
	ipf := wire.IPv4Fields{TotalLen: uint16(wire.IPv4MinHeaderLen + tl), TTL: 64, Protocol: wire.ProtoTCP, Src: src, Dst: dst, Flags: wire.IPv4FlagDontFragment}
	n := wire.EthernetHeaderLen + wire.IPv4MinHeaderLen + tl
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, n)
	b := pkt.Bytes()
	eth := wire.EthernetFields{Dst: pe.Peer().HardwareAddr(), Src: pe.HardwareAddr(), Type: wire.EtherTypeIPv4}
	eth.Encode(wire.Ethernet(b))
	ipf.Encode(wire.IPv4(b[wire.EthernetHeaderLen:]))
	seg := wire.TCP(b[wire.EthernetHeaderLen+wire.IPv4MinHeaderLen:])
	f.Encode(seg)
	seg.SetChecksum(seg.ComputeChecksum(src, dst))
	if err := dev.Transmit(pkt); err != nil {
		t.Fatal(err)
	}
}

// TestSynFlood: a flood of 10 times the backlog in forged SYNs fills the
// SYN queue and is then answered with cookies; connections from a real
// client still complete and carry data, and the server holds no more
// connections than the queue allows.
func TestSynFlood(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const backlog = 16
		cp, sp, sns, ifc := floodPair(t)
		ls, err := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		must(t, err)
		must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
		must(t, sp.Listen(ls, backlog))
		src := netip.MustParseAddr("192.0.2.77") // nobody's
		dst := netip.MustParseAddr("10.0.0.2")
		start := time.Now()
		for i := range 10 * backlog {
			forgeSYN(t, ifc, src, dst, uint16(20000+i), 80, uint32(i)*7919)
		}
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		mib := sns.MIB
		// Linux's queue is full once it holds more requests than the
		// backlog: backlog+1 requests, then cookies.
		wantReq := backlog + 1
		if got := mib.Get(netns.TCPExtSyncookiesSent); got != uint64(10*backlog-wantReq) {
			t.Errorf("SyncookiesSent %d, want %d", got, 10*backlog-wantReq)
		}
		if got := mib.Get(netns.TCPExtTCPReqQFullDoCookies); got != uint64(10*backlog-wantReq) {
			t.Errorf("TCPReqQFullDoCookies %d, want %d", got, 10*backlog-wantReq)
		}
		conns, _ := tcp.Of(sns).Tables()
		if conns != wantReq {
			t.Errorf("%d connections held during the flood, want %d", conns, wantReq)
		}
		// Real clients get through, on cookies.
		for i := range 4 {
			fd, err := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
			must(t, err)
			must(t, cp.Connect(fd, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}))
			msg := []byte{'h', 'i', byte('0' + i)}
			if _, err := cp.Write(fd, msg); err != nil {
				t.Fatal(err)
			}
			afd, _, err := sp.Accept(ls)
			must(t, err)
			buf := make([]byte, 8)
			n, err := sp.Read(afd, buf)
			if err != nil || string(buf[:n]) != string(msg) {
				t.Errorf("client %d: read %q, %v", i, buf[:n], err)
			}
			must(t, sp.Close(afd))
			must(t, cp.Close(fd))
		}
		if got := mib.Get(netns.TCPExtSyncookiesRecv); got != 4 {
			t.Errorf("SyncookiesRecv %d, want 4", got)
		}
		// The forged requests fill the queue with old requests, so they
		// lose retries down to two (reqsk_timer_handler's young/old
		// pruning): SYN-ACKs at 1 s and 3 s, and at 7 s they are dropped
		// while more than half the queue (8 of 16) is taken; the last 8
		// then get tcp_synack_retries' full 63 s.
		time.Sleep(time.Until(start.Add(6900 * time.Millisecond)))
		synctest.Wait()
		if n := countState(sns, tcp.SynRecv); n != wantReq {
			t.Errorf("%d requests at 6.9 s, want %d", n, wantReq)
		}
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		if n := countState(sns, tcp.SynRecv); n != backlog/2 {
			t.Errorf("%d requests left at 7.1 s, want %d", n, backlog/2)
		}
		time.Sleep(3 * time.Minute)
		synctest.Wait()
		if conns, _ := tcp.Of(sns).Tables(); conns != 0 {
			t.Errorf("%d connections left after the flood", conns)
		}
		must(t, sp.Close(ls))
	})
}

// TestSynQueueNoCookies: with tcp_syncookies=0 a full SYN queue drops
// SYNs (TCPReqQFullDrop, ListenDrops), with no cookies sent.
func TestSynQueueNoCookies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const backlog = 4
		_, sp, sns, ifc := floodPair(t)
		if err := sns.Sysctl.Set("net.ipv4.tcp_syncookies", "0"); err != nil {
			t.Fatal(err)
		}
		ls, _ := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
		must(t, sp.Listen(ls, backlog))
		for i := range 20 {
			forgeSYN(t, ifc, netip.MustParseAddr("192.0.2.77"), netip.MustParseAddr("10.0.0.2"), uint16(30000+i), 80, 1)
		}
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		mib := sns.MIB
		if got := mib.Get(netns.TCPExtTCPReqQFullDrop); got != 20-backlog-1 {
			t.Errorf("TCPReqQFullDrop %d, want %d", got, 20-backlog-1)
		}
		if got := mib.Get(netns.TCPExtListenDrops); got != 20-backlog-1 {
			t.Errorf("ListenDrops %d, want %d", got, 20-backlog-1)
		}
		if got := mib.Get(netns.TCPExtSyncookiesSent); got != 0 {
			t.Errorf("SyncookiesSent %d, want 0", got)
		}
		must(t, sp.Close(ls))
	})
}

// TestChildHoldsPort: an accepted connection keeps the listener's port
// (inet_inherit_port): after the listener closes, binding the port again
// without SO_REUSEADDR fails with EADDRINUSE while the child lives, as
// in Linux; with SO_REUSEADDR on both it succeeds.
func TestChildHoldsPort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp, sp, _, _ := pair(t, link.Impairments{Latency: time.Millisecond})
		for _, reuse := range []bool{false, true} {
			port := 8080
			if reuse {
				port = 8081
			}
			ls, _ := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
			if reuse {
				must(t, sp.SetsockoptInt(ls, abi.SOL_SOCKET, abi.SO_REUSEADDR, 1))
			}
			must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: port}))
			must(t, sp.Listen(ls, 4))
			fd, _ := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
			must(t, cp.Connect(fd, &abi.SockaddrInet4{Port: port, Addr: [4]byte{10, 0, 0, 2}}))
			child, _, err := sp.Accept(ls)
			must(t, err)
			must(t, sp.Close(ls))
			again, _ := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
			if reuse {
				must(t, sp.SetsockoptInt(again, abi.SOL_SOCKET, abi.SO_REUSEADDR, 1))
			}
			err = sp.Bind(again, &abi.SockaddrInet4{Port: port})
			if reuse && err != nil {
				t.Errorf("rebind with SO_REUSEADDR while a child lives: %v, want success", err)
			}
			if !reuse && !errors.Is(err, errno.EADDRINUSE) {
				t.Errorf("rebind while a child lives: %v, want EADDRINUSE", err)
			}
			sp.Close(again)
			// The child's getsockname still shows the port.
			sa, err := sp.Getsockname(child)
			must(t, err)
			if got := sa.(*abi.SockaddrInet4).Port; got != port {
				t.Errorf("child's port %d, want %d", got, port)
			}
			// The peer closes first, so the child does not linger in
			// TIME-WAIT: once it is gone, the port is free.
			must(t, cp.Close(fd))
			time.Sleep(10 * time.Millisecond)
			must(t, sp.Close(child))
			time.Sleep(time.Second)
			again, _ = sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
			if err := sp.Bind(again, &abi.SockaddrInet4{Port: port}); err != nil {
				t.Errorf("bind after the child ended: %v", err)
			}
			sp.Close(again)
		}
	})
}

// TestTimeWaitNewSyn: a SYN with a higher sequence number reopens a
// 4-tuple the server holds in TIME-WAIT (tcp_timewait_state_process's
// TCP_TW_SYN); the new connection's ISN lies beyond the old one's
// (snd_nxt + 65535 + 2).
func TestTimeWaitNewSyn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp, sp, cns, sns := pair(t, link.Impairments{Latency: time.Millisecond})
		ls, _ := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		must(t, sp.SetsockoptInt(ls, abi.SOL_SOCKET, abi.SO_REUSEADDR, 1))
		must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
		must(t, sp.Listen(ls, 4))
		connect := func() int {
			fd, _ := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
			must(t, cp.SetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_REUSEADDR, 1))
			must(t, cp.Bind(fd, &abi.SockaddrInet4{Port: 5555, Addr: [4]byte{10, 0, 0, 1}}))
			must(t, cp.Connect(fd, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}))
			return fd
		}
		fd := connect()
		child, _, err := sp.Accept(ls)
		must(t, err)
		// The server closes first: the server side goes to TIME-WAIT.
		must(t, sp.Close(child))
		time.Sleep(10 * time.Millisecond)
		must(t, cp.Close(fd))
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		if n := countState(sns, tcp.TimeWait); n != 1 {
			t.Fatalf("%d server connections in TIME-WAIT, want 1", n)
		}
		// The client's side is gone (it closed second), so it may connect
		// from the same port at once; its ISN is new and larger, and the
		// SYN is taken at once: no retransmission, no reset.
		rtx, rst := cns.MIB.Get(netns.TCPRetransSegs), sns.MIB.Get(netns.TCPOutRsts)
		start := time.Now()
		fd = connect()
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Errorf("connect over the server's TIME-WAIT took %v", d)
		}
		if cns.MIB.Get(netns.TCPRetransSegs) != rtx || sns.MIB.Get(netns.TCPOutRsts) != rst {
			t.Error("the SYN hitting TIME-WAIT was retransmitted or drew a reset")
		}
		child, _, err = sp.Accept(ls)
		must(t, err)
		if _, err := cp.Write(fd, []byte("again")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 8)
		n, err := sp.Read(child, buf)
		if err != nil || string(buf[:n]) != "again" {
			t.Errorf("read on the reopened connection: %q, %v", buf[:n], err)
		}
		if n := countState(sns, tcp.TimeWait); n != 0 {
			t.Errorf("%d server connections in TIME-WAIT after the new SYN, want 0", n)
		}
		sp.Close(child)
		cp.Close(fd)
		sp.Close(ls)
	})
}

// TestTimeWaitReuseConnect: with timestamps, a connect from an explicitly
// bound port may take over its own 4-tuple still in TIME-WAIT
// (tcp_twsk_unique with no twp): counted as TWRecycled. Without
// timestamps it cannot (EADDRNOTAVAIL).
func TestTimeWaitReuseConnect(t *testing.T) {
	for _, ts := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			cp, sp, cns, _ := pair(t, link.Impairments{Latency: time.Millisecond})
			if !ts {
				must(t, cns.Sysctl.Set("net.ipv4.tcp_timestamps", "0"))
			}
			ls, _ := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
			must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: 80}))
			must(t, sp.Listen(ls, 4))
			connect := func() (int, error) {
				fd, _ := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
				must(t, cp.SetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_REUSEADDR, 1))
				must(t, cp.Bind(fd, &abi.SockaddrInet4{Port: 6666, Addr: [4]byte{10, 0, 0, 1}}))
				return fd, cp.Connect(fd, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}})
			}
			fd, err := connect()
			must(t, err)
			child, _, err := sp.Accept(ls)
			must(t, err)
			// The client closes first: its side goes to TIME-WAIT.
			must(t, cp.Close(fd))
			time.Sleep(10 * time.Millisecond)
			must(t, sp.Close(child))
			time.Sleep(10 * time.Millisecond)
			if n := countState(cns, tcp.TimeWait); n != 1 {
				t.Fatalf("%d client connections in TIME-WAIT, want 1", n)
			}
			time.Sleep(2 * time.Second)
			fd, err = connect()
			if !ts {
				if !errors.Is(err, errno.EADDRNOTAVAIL) {
					t.Errorf("connect over TIME-WAIT without timestamps: %v, want EADDRNOTAVAIL", err)
				}
				sp.Close(ls)
				return
			}
			must(t, err)
			if got := cns.MIB.Get(netns.TCPExtTWRecycled); got != 1 {
				t.Errorf("TWRecycled %d, want 1", got)
			}
			child, _, err = sp.Accept(ls)
			must(t, err)
			cp.Close(fd)
			sp.Close(child)
			sp.Close(ls)
		})
	}
}

// countState counts the namespace's TCP connections in state st.
func countState(ns *netns.Namespace, st tcp.State) int {
	n := 0
	for _, s := range tcp.Of(ns).Sockets() {
		if s.State == st {
			n++
		}
	}
	return n
}

// TestTimeWaitBind: a connection in TIME-WAIT keeps its port as Linux's
// timewait sock keeps the bind bucket, with the SO_REUSEADDR of the
// socket it came from (tw_reuse): a new bind succeeds only if both have
// it. Results checked against Linux 6.18 in a namespace: with a
// SO_REUSEADDR listener, EADDRINUSE without the option and success (and
// listen) with it; with a plain listener, EADDRINUSE either way.
func TestTimeWaitBind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp, sp, _, sns := pair(t, link.Impairments{Latency: time.Millisecond})
		for i, listenerReuse := range []bool{true, false} {
			port := 7100 + i
			ls, _ := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
			if listenerReuse {
				must(t, sp.SetsockoptInt(ls, abi.SOL_SOCKET, abi.SO_REUSEADDR, 1))
			}
			must(t, sp.Bind(ls, &abi.SockaddrInet4{Port: port}))
			must(t, sp.Listen(ls, 8))
			c, _ := cp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
			must(t, cp.Connect(c, &abi.SockaddrInet4{Port: port, Addr: [4]byte{10, 0, 0, 2}}))
			a, _, err := sp.Accept(ls)
			must(t, err)
			must(t, sp.Close(a)) // the server closes first: TIME-WAIT on its side
			time.Sleep(50 * time.Millisecond)
			must(t, cp.Close(c))
			time.Sleep(50 * time.Millisecond)
			must(t, sp.Close(ls))
			if n := countState(sns, tcp.TimeWait); n != 1 {
				t.Fatalf("%d server connections in TIME-WAIT, want 1", n)
			}
			for _, reuse := range []bool{false, true} {
				s, _ := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
				if reuse {
					must(t, sp.SetsockoptInt(s, abi.SOL_SOCKET, abi.SO_REUSEADDR, 1))
				}
				err := sp.Bind(s, &abi.SockaddrInet4{Port: port})
				want := listenerReuse && reuse
				switch {
				case want && err != nil:
					t.Errorf("listener reuse %v, bind reuse %v: %v, want success", listenerReuse, reuse, err)
				case want:
					if err := sp.Listen(s, 8); err != nil {
						t.Errorf("listen over TIME-WAIT: %v", err)
					}
				case !errors.Is(err, errno.EADDRINUSE):
					t.Errorf("listener reuse %v, bind reuse %v: %v, want EADDRINUSE", listenerReuse, reuse, err)
				}
				sp.Close(s)
			}
			time.Sleep(61 * time.Second) // TIME-WAIT ends and frees the port
			s, _ := sp.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
			if err := sp.Bind(s, &abi.SockaddrInet4{Port: port}); err != nil {
				t.Errorf("bind after TIME-WAIT: %v", err)
			}
			sp.Close(s)
		}
	})
}

// TestSynCookieIPv6: with tcp_syncookies=2 an IPv6 connection is made
// from a cookie, which remembers the peer's MSS of 1400 as IPv6's table
// entry 1220 (msstab6): the accepted connection's MSS is 1220 less the
// timestamp option's 12 bytes, where a normal handshake would give 1388.
func TestSynCookieIPv6(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := gosock.NewNamespace(netns.Options{Name: "client", Seed: 1})
		b := gosock.NewNamespace(netns.Options{Name: "server", Seed: 2})
		defer func() { a.Close(); b.Close() }()
		imp := link.Impairments{Latency: time.Millisecond}
		if _, _, err := gosock.Connect(a, b,
			gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("fd00::1/64")}},
			gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("fd00::2/64")}},
			link.PipeConfig{AtoB: imp, BtoA: imp}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second) // duplicate address detection
		must(t, b.Sysctl.Set("net.ipv4.tcp_syncookies", "2"))
		cp, sp := sys.NewProcess(a, sys.Options{PID: 1}), sys.NewProcess(b, sys.Options{PID: 2})
		ls, err := sp.Socket(abi.AF_INET6, abi.SOCK_STREAM, 0)
		must(t, err)
		must(t, sp.Bind(ls, &abi.SockaddrInet6{Port: 80}))
		must(t, sp.Listen(ls, 4))
		fd, err := cp.Socket(abi.AF_INET6, abi.SOCK_STREAM, 0)
		must(t, err)
		must(t, cp.SetsockoptInt(fd, abi.SOL_TCP, abi.TCP_MAXSEG, 1400))
		dst := netip.MustParseAddr("fd00::2").As16()
		must(t, cp.Connect(fd, &abi.SockaddrInet6{Port: 80, Addr: dst}))
		child, _, err := sp.Accept(ls)
		must(t, err)
		if got := b.MIB.Get(netns.TCPExtSyncookiesRecv); got != 1 {
			t.Errorf("SyncookiesRecv %d, want 1", got)
		}
		mss, err := sp.GetsockoptInt(child, abi.SOL_TCP, abi.TCP_MAXSEG)
		must(t, err)
		if mss != 1220-12 {
			t.Errorf("cookie connection's MSS %d, want %d", mss, 1220-12)
		}
		if _, err := cp.Write(fd, []byte("v6")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4)
		if n, err := sp.Read(child, buf); err != nil || string(buf[:n]) != "v6" {
			t.Errorf("read %q, %v", buf[:n], err)
		}
		sp.Close(child)
		cp.Close(fd)
		sp.Close(ls)
	})
}
