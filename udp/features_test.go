package udp_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/waitq"
	"github.com/gosock/gosock/wire"
	"golang.org/x/sys/unix"
)

func recvAll(t *testing.T, h *host, fd int) []string {
	t.Helper()
	var out []string
	buf := make([]byte, 200)
	for {
		n, _, err := h.p.Recvfrom(fd, buf, abi.MSG_DONTWAIT)
		if err != nil {
			wantErr(t, "drain", err, errno.EAGAIN)
			return out
		}
		out = append(out, string(buf[:n]))
	}
}

func TestBroadcastToEverySocket(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		a, b := e.pair(t)
		var fds []int
		for i := range 3 {
			fd := b.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
			must(t, b.p.SetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_REUSEADDR, 1))
			addr := "0.0.0.0"
			if i == 2 {
				addr = "10.0.0.255" // bound to the broadcast address itself
			}
			must(t, b.p.Bind(fd, sa4(addr, 4000)))
			fds = append(fds, fd)
		}
		other := b.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
		must(t, b.p.SetsockoptInt(other, abi.SOL_SOCKET, abi.SO_REUSEADDR, 1))
		must(t, b.p.Bind(other, sa4("10.0.0.2", 4000)))
		cl := a.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
		wantErr(t, "broadcast without SO_BROADCAST", a.p.Sendto(cl, []byte("x"), 0, sa4("10.0.0.255", 4000)), errno.EACCES)
		must(t, a.p.SetsockoptInt(cl, abi.SOL_SOCKET, abi.SO_BROADCAST, 1))
		must(t, a.p.Sendto(cl, []byte("subnet"), 0, sa4("10.0.0.255", 4000)))
		// The limited broadcast needs an interface (no default route).
		wantErr(t, "limited broadcast without a route", a.p.Sendto(cl, []byte("limited"), 0, sa4("255.255.255.255", 4000)), errno.ENETUNREACH)
		must(t, a.p.Setsockopt(cl, abi.SOL_SOCKET, abi.SO_BINDTODEVICE, []byte("eth0")))
		must(t, a.p.Sendto(cl, []byte("limited"), 0, sa4("255.255.255.255", 4000)))
		time.Sleep(10 * time.Millisecond)
		for i, fd := range fds[:2] {
			if got := recvAll(t, b, fd); fmt.Sprint(got) != "[subnet limited]" {
				t.Errorf("socket %d got %q", i, got)
			}
		}
		if got := recvAll(t, b, fds[2]); fmt.Sprint(got) != "[subnet]" {
			t.Errorf("socket bound to 10.0.0.255 got %q", got)
		}
		if got := recvAll(t, b, other); len(got) != 0 {
			t.Errorf("socket bound to 10.0.0.2 got %q", got)
		}
		// No socket on a broadcast port: counted, no ICMP.
		must(t, a.p.Sendto(cl, []byte("x"), 0, sa4("10.0.0.255", 4001)))
		time.Sleep(10 * time.Millisecond)
		if got := b.ns.MIB.Get(netns.UDPIgnoredMulti); got != 1 {
			t.Errorf("UdpIgnoredMulti = %d, want 1", got)
		}
		if got := b.ns.MIB.Get(netns.UDPNoPorts); got != 0 {
			t.Errorf("UdpNoPorts = %d, want 0", got)
		}
	})
}

// tap records the frames a namespace sends.
type tap struct {
	mu  sync.Mutex
	out [][]byte
}

func (c *tap) Tap(ifc *netns.Interface, pkt *pktbuf.Buffer, outgoing bool) {
	if !outgoing || ifc.IsLoopback() {
		return
	}
	c.mu.Lock()
	c.out = append(c.out, append([]byte(nil), pkt.Bytes()...))
	c.mu.Unlock()
}

func (c *tap) igmp() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	var r [][]byte
	for _, f := range c.out {
		if len(f) > 14+24 && binary.BigEndian.Uint16(f[12:]) == 0x0800 && f[14+9] == wire.ProtoIGMP {
			r = append(r, f[14:])
		}
	}
	return r
}

func TestMulticastGroups(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		a, b := e.pair(t)
		c := &tap{}
		b.ns.SetPacketTap(c)
		group := "239.1.2.3"
		mreq := func(g, ifaddr string) []byte {
			x, y := netip.MustParseAddr(g).As4(), netip.MustParseAddr(ifaddr).As4()
			return append(x[:], y[:]...)
		}
		var fds []int
		for i := range 2 {
			fd := b.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
			must(t, b.p.SetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_REUSEADDR, 1))
			must(t, b.p.Bind(fd, sa4("0.0.0.0", 5000)))
			if i == 0 {
				must(t, b.p.Setsockopt(fd, abi.SOL_IP, abi.IP_ADD_MEMBERSHIP, mreq(group, "10.0.0.2")))
			}
			fds = append(fds, fd)
		}
		// A socket with IP_MULTICAST_ALL off that did not join sees nothing.
		strict := b.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
		must(t, b.p.SetsockoptInt(strict, abi.SOL_SOCKET, abi.SO_REUSEADDR, 1))
		must(t, b.p.SetsockoptInt(strict, abi.SOL_IP, abi.IP_MULTICAST_ALL, 0))
		must(t, b.p.Bind(strict, sa4("0.0.0.0", 5000)))
		time.Sleep(10 * time.Millisecond)
		reports := c.igmp()
		if len(reports) != 1 {
			t.Fatalf("%d IGMP frames after the join, want 1", len(reports))
		}
		ip := wire.IPv4(reports[0])
		if ip.Dst() != netip.MustParseAddr("224.0.0.22") || ip.TTL() != 1 || ip.HeaderLen() != 24 || ip.TOS() != 0xc0 {
			t.Errorf("report header %v", ip)
		}
		rep := ip.Payload()
		if rep[0] != 0x22 || rep[8] != 4 || netip.AddrFrom4([4]byte(rep[12:16])) != netip.MustParseAddr(group) {
			t.Errorf("report %x, want an IGMPv3 CHANGE_TO_EXCLUDE for %s", rep, group)
		}
		time.Sleep(2 * time.Second)
		if n := len(c.igmp()); n != 2 {
			t.Errorf("%d IGMP frames after the retransmission, want 2", n)
		}

		cl := a.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
		must(t, a.p.SetsockoptInt(cl, abi.SOL_IP, abi.IP_MULTICAST_TTL, 3))
		wantErr(t, "multicast without a route", a.p.Sendto(cl, []byte("m0"), 0, sa4(group, 5000)), errno.ENETUNREACH)
		ifa := netip.MustParseAddr("10.0.0.1").As4()
		must(t, a.p.Setsockopt(cl, abi.SOL_IP, abi.IP_MULTICAST_IF, ifa[:]))
		must(t, a.p.Sendto(cl, []byte("m1"), 0, sa4(group, 5000)))
		time.Sleep(10 * time.Millisecond)
		for i, fd := range fds {
			if got := recvAll(t, b, fd); fmt.Sprint(got) != "[m1]" {
				t.Errorf("member socket %d got %q", i, got)
			}
		}
		if got := recvAll(t, b, strict); len(got) != 0 {
			t.Errorf("IP_MULTICAST_ALL=0 socket got %q", got)
		}
		// Closing the only member leaves the group: a leave report, and
		// no more delivery.
		must(t, b.p.Close(fds[0]))
		time.Sleep(10 * time.Millisecond)
		rs := c.igmp()
		if last := wire.IPv4(rs[len(rs)-1]).Payload(); last[8] != 3 {
			t.Errorf("last report record type %d, want CHANGE_TO_INCLUDE (3)", last[8])
		}
		must(t, a.p.Sendto(cl, []byte("m2"), 0, sa4(group, 5000)))
		time.Sleep(10 * time.Millisecond)
		if got := recvAll(t, b, fds[1]); len(got) != 0 {
			t.Errorf("after leaving, got %q", got)
		}
		time.Sleep(2 * time.Second)
		b.ns.SetPacketTap(nil)
	})
}

func TestMulticastV6(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		a, b := e.pair(t)
		group := netip.MustParseAddr("ff0e::1:2")
		ifc := b.ns.InterfaceByName("eth0")
		var fds []int
		for range 2 {
			fd := b.socket(t, abi.AF_INET6, abi.SOCK_DGRAM, 0)
			must(t, b.p.SetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_REUSEPORT, 1))
			must(t, b.p.Bind(fd, sa6("::", 5000)))
			g := group.As16()
			m := append(g[:], 0, 0, 0, 0)
			binary.LittleEndian.PutUint32(m[16:], uint32(ifc.Index()))
			must(t, b.p.Setsockopt(fd, abi.SOL_IPV6, abi.IPV6_JOIN_GROUP, m))
			fds = append(fds, fd)
		}
		if !ifc.InGroup(group) {
			t.Fatalf("interface did not join %s", group)
		}
		cl := a.socket(t, abi.AF_INET6, abi.SOCK_DGRAM, 0)
		must(t, a.p.SetsockoptInt(cl, abi.SOL_IPV6, abi.IPV6_MULTICAST_IF, a.ns.InterfaceByName("eth0").Index()))
		must(t, a.p.Sendto(cl, []byte("v6m"), 0, &abi.SockaddrInet6{Port: 5000, Addr: group.As16()}))
		time.Sleep(10 * time.Millisecond)
		for i, fd := range fds {
			if got := recvAll(t, b, fd); fmt.Sprint(got) != "[v6m]" {
				t.Errorf("socket %d got %q", i, got)
			}
		}
	})
}

func TestReusePortDistribution(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		a, b := e.pair(t)
		const n = 4
		var srv []int
		for range n {
			fd := b.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
			must(t, b.p.SetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_REUSEPORT, 1))
			must(t, b.p.Bind(fd, sa4("0.0.0.0", 6000)))
			srv = append(srv, fd)
		}
		// A different owner may not join the group.
		other := b.ns
		p2 := newProcUID(other, 1000)
		fd2, err := p2.Socket(abi.AF_INET, abi.SOCK_DGRAM, 0)
		must(t, err)
		must(t, p2.SetsockoptInt(fd2, abi.SOL_SOCKET, abi.SO_REUSEPORT, 1))
		wantErr(t, "reuseport from another uid", p2.Bind(fd2, sa4("0.0.0.0", 6000)), errno.EADDRINUSE)
		p2.Exit()

		// 40 flows (distinct source ports), each sent twice: every flow
		// lands on one socket both times, and the load spreads.
		flows := 40
		var cls []int
		for range flows {
			cl := a.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
			must(t, a.p.Connect(cl, sa4("10.0.0.2", 6000)))
			cls = append(cls, cl)
		}
		for round := range 2 {
			for i, cl := range cls {
				_, err := a.p.Send(cl, []byte(fmt.Sprint(i)), 0)
				must(t, err)
			}
			time.Sleep(10 * time.Millisecond)
			owner := map[string]int{}
			counts := make([]int, n)
			for s, fd := range srv {
				for _, m := range recvAll(t, b, fd) {
					owner[m] = s
					counts[s]++
				}
			}
			if len(owner) != flows {
				t.Fatalf("round %d: %d flows arrived, want %d", round, len(owner), flows)
			}
			for s, c := range counts {
				if c == 0 {
					t.Errorf("round %d: socket %d got no flow (counts %v)", round, s, counts)
				}
			}
			if round == 0 {
				e.flowOwner = owner
			} else if fmt.Sprint(owner) != fmt.Sprint(e.flowOwner) {
				t.Errorf("flows moved between rounds: %v then %v", e.flowOwner, owner)
			}
		}
	})
}

func TestTruncPeekAndIoctl(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		h := e.newHost(t, "h", 3)
		srv := h.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
		must(t, h.p.Bind(srv, sa4("127.0.0.1", 7000)))
		cl := h.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
		if ev := pollOf(t, h, srv); ev&waitq.EventIn != 0 || ev&waitq.EventOut == 0 {
			t.Errorf("poll empty = %#x", ev)
		}
		must(t, h.p.Sendto(cl, []byte("abcdefgh"), 0, sa4("127.0.0.1", 7000)))
		must(t, h.p.Sendto(cl, []byte("xyz"), 0, sa4("127.0.0.1", 7000)))
		time.Sleep(time.Millisecond)
		if ev := pollOf(t, h, srv); ev&waitq.EventIn == 0 {
			t.Errorf("poll with data = %#x", ev)
		}
		if got := inq(t, h, srv); got != 8 {
			t.Errorf("SIOCINQ = %d, want 8", got)
		}
		buf := make([]byte, 3)
		n, _, flags, from, err := h.p.Recvmsg(srv, buf, nil, abi.MSG_PEEK)
		must(t, err)
		if n != 3 || flags&abi.MSG_TRUNC == 0 || string(buf) != "abc" || from.(*abi.SockaddrInet4).Port != h.port(t, cl) {
			t.Errorf("peek: n %d flags %#x %q from %v", n, flags, buf, from)
		}
		n, _, flags, _, err = h.p.Recvmsg(srv, buf, nil, abi.MSG_TRUNC)
		must(t, err)
		if n != 8 || flags&abi.MSG_TRUNC == 0 {
			t.Errorf("MSG_TRUNC: n %d flags %#x, want the real length 8", n, flags)
		}
		n, _, flags, _, err = h.p.Recvmsg(srv, make([]byte, 10), nil, 0)
		must(t, err)
		if n != 3 || flags&abi.MSG_TRUNC != 0 {
			t.Errorf("second: n %d flags %#x", n, flags)
		}
		if got := inq(t, h, srv); got != 0 {
			t.Errorf("SIOCINQ empty = %d", got)
		}
		_, _, err = h.p.Recvfrom(srv, buf, abi.MSG_DONTWAIT)
		wantErr(t, "empty", err, errno.EAGAIN)
	})
}

func pollOf(t *testing.T, h *host, fd int) waitq.Events {
	s, err := h.p.SocketOf(fd)
	must(t, err)
	return s.Poll()
}

func inq(t *testing.T, h *host, fd int) int {
	s, err := h.p.SocketOf(fd)
	must(t, err)
	var b [4]byte
	if e := s.Ops().(socket.Ioctler).Ioctl(abi.SIOCINQ, b[:]); e != 0 {
		t.Fatal(e)
	}
	return int(binary.LittleEndian.Uint32(b[:]))
}

func TestReceiveBufferOverflow(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		h := e.newHost(t, "h", 3)
		srv := h.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
		must(t, h.p.SetsockoptInt(srv, abi.SOL_SOCKET, abi.SO_RCVBUF, 1)) // the minimum, 2304
		must(t, h.p.SetsockoptInt(srv, abi.SOL_SOCKET, abi.SO_RXQ_OVFL, 1))
		must(t, h.p.Bind(srv, sa4("127.0.0.1", 7000)))
		cl := h.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
		for range 10 {
			must(t, h.p.Sendto(cl, make([]byte, 100), 0, sa4("127.0.0.1", 7000)))
		}
		time.Sleep(time.Millisecond)
		// Each datagram costs 100+8+20+576 = 704: the queue admits while
		// at most 2304 is queued, so 4 get in.
		got := 0
		var oob [64]byte
		var lastDrops uint32
		for {
			_, oobn, _, _, err := h.p.Recvmsg(srv, make([]byte, 200), oob[:], abi.MSG_DONTWAIT)
			if err != nil {
				break
			}
			got++
			cm, perr := unix.ParseSocketControlMessage(oob[:oobn])
			if perr != nil || len(cm) != 1 || cm[0].Header.Type != abi.SO_RXQ_OVFL {
				t.Fatalf("control %v %v", cm, perr)
			}
			lastDrops = binary.LittleEndian.Uint32(cm[0].Data)
		}
		if got != 4 {
			t.Errorf("%d datagrams queued, want 4", got)
		}
		if lastDrops != 6 {
			t.Errorf("SO_RXQ_OVFL = %d, want 6", lastDrops)
		}
		if v := h.ns.MIB.Get(netns.UDPRcvbufErrors); v != 6 {
			t.Errorf("UdpRcvbufErrors = %d, want 6", v)
		}
		if v := h.ns.MIB.Get(netns.UDPInErrors); v != 6 {
			t.Errorf("UdpInErrors = %d, want 6", v)
		}
	})
}

func TestEphemeralExhaustion(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		h := e.newHost(t, "h", 3)
		must(t, h.ns.Sysctl.Set("net.ipv4.ip_local_port_range", "40000 40003"))
		seen := map[int]bool{}
		for range 4 {
			fd := h.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
			must(t, h.p.Bind(fd, sa4("127.0.0.1", 0)))
			p := h.port(t, fd)
			if p < 40000 || p > 40003 || seen[p] {
				t.Fatalf("port %d (seen %v)", p, seen)
			}
			seen[p] = true
		}
		fd := h.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
		wantErr(t, "bind(0) exhausted", h.p.Bind(fd, sa4("127.0.0.1", 0)), errno.EADDRINUSE)
		wantErr(t, "connect exhausted", h.p.Connect(fd, sa4("127.0.0.1", 9)), errno.EAGAIN)
		// Linux returns EAGAIN at once even on a blocking socket.
		wantErr(t, "sendto exhausted", h.p.Sendto(fd, []byte("x"), 0, sa4("127.0.0.1", 9)), errno.EAGAIN)
		// Another address still has every port.
		must(t, h.p.Bind(fd, sa4("127.0.0.2", 0)))
		v6 := h.socket(t, abi.AF_INET6, abi.SOCK_DGRAM, 0)
		must(t, h.p.Bind(v6, sa6("::1", 0)))
		v6any := h.socket(t, abi.AF_INET6, abi.SOCK_DGRAM, 0)
		wantErr(t, "v6 any exhausted", h.p.Bind(v6any, sa6("::", 0)), errno.EADDRINUSE)
	})
}

func TestCork(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		h := e.newHost(t, "h", 3)
		srv := h.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
		must(t, h.p.Bind(srv, sa4("127.0.0.1", 7000)))
		cl := h.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
		must(t, h.p.SetsockoptInt(cl, abi.SOL_UDP, abi.UDP_CORK, 1))
		must(t, h.p.Sendto(cl, []byte("ab"), 0, sa4("127.0.0.1", 7000)))
		must(t, h.p.Sendto(cl, []byte("cd"), 0, sa4("127.0.0.2", 1))) // appended: the address is ignored
		time.Sleep(time.Millisecond)
		if got := recvAll(t, h, srv); len(got) != 0 {
			t.Fatalf("corked data sent early: %q", got)
		}
		must(t, h.p.SetsockoptInt(cl, abi.SOL_UDP, abi.UDP_CORK, 0))
		must(t, h.p.Sendto(cl, []byte("ef"), abi.MSG_MORE, sa4("127.0.0.1", 7000)))
		must(t, h.p.Sendto(cl, []byte("gh"), 0, nil))
		time.Sleep(time.Millisecond)
		if got := recvAll(t, h, srv); fmt.Sprint(got) != "[abcd efgh]" {
			t.Errorf("got %q, want [abcd efgh]", got)
		}
	})
}

func TestRecvErrQueue(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		a, _ := e.pair(t)
		fd := a.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
		must(t, a.p.SetsockoptInt(fd, abi.SOL_IP, abi.IP_RECVERR, 1))
		must(t, a.p.Sendto(fd, []byte("payload"), 0, sa4("10.0.0.2", 9)))
		time.Sleep(10 * time.Millisecond)
		if ev := pollOf(t, a, fd); ev&waitq.EventErr == 0 {
			t.Errorf("poll = %#x, want EPOLLERR", ev)
		}
		buf := make([]byte, 100)
		oob := make([]byte, 128)
		n, oobn, flags, from, err := a.p.Recvmsg(fd, buf, oob, abi.MSG_ERRQUEUE)
		must(t, err)
		if string(buf[:n]) != "payload" || flags&abi.MSG_ERRQUEUE == 0 {
			t.Errorf("errqueue data %q flags %#x", buf[:n], flags)
		}
		if sa, ok := from.(*abi.SockaddrInet4); !ok || sa.Port != 9 || netip.AddrFrom4(sa.Addr) != netip.MustParseAddr("10.0.0.2") {
			t.Errorf("errqueue name %v", from)
		}
		cm, err := unix.ParseSocketControlMessage(oob[:oobn])
		must(t, err)
		if len(cm) != 1 || cm[0].Header.Level != abi.SOL_IP || cm[0].Header.Type != abi.IP_RECVERR {
			t.Fatalf("control %+v", cm)
		}
		d := cm[0].Data
		if errno.Errno(binary.LittleEndian.Uint32(d)) != errno.ECONNREFUSED || d[4] != abi.SO_EE_ORIGIN_ICMP || d[5] != 3 || d[6] != 3 {
			t.Errorf("sock_extended_err %x", d[:16])
		}
		if off := netip.AddrFrom4([4]byte(d[20:24])); off != netip.MustParseAddr("10.0.0.2") {
			t.Errorf("offender %s", off)
		}
		// IP_RECVERR records the error even on an unconnected socket, once.
		_, _, err = a.p.Recvfrom(fd, buf, abi.MSG_DONTWAIT)
		wantErr(t, "pending error after the queue was read", err, errno.EAGAIN)
		_, _, _, _, err = a.p.Recvmsg(fd, buf, oob, abi.MSG_ERRQUEUE)
		wantErr(t, "empty error queue", err, errno.EAGAIN)
		// Without IP_RECVERR an unconnected socket hears nothing.
		quiet := a.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
		must(t, a.p.Sendto(quiet, []byte("x"), 0, sa4("10.0.0.2", 9)))
		time.Sleep(10 * time.Millisecond)
		_, _, err = a.p.Recvfrom(quiet, buf, abi.MSG_DONTWAIT)
		wantErr(t, "unconnected without IP_RECVERR", err, errno.EAGAIN)
	})
}

func TestChecksumAndPktinfo(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		a, b := e.pair(t)
		srv := b.socket(t, abi.AF_INET, abi.SOCK_DGRAM, 0)
		must(t, b.p.Bind(srv, sa4("0.0.0.0", 8000)))
		must(t, b.p.SetsockoptInt(srv, abi.SOL_IP, abi.IP_PKTINFO, 1))
		must(t, b.p.SetsockoptInt(srv, abi.SOL_IP, abi.IP_RECVTTL, 1))
		must(t, b.p.SetsockoptInt(srv, abi.SOL_IP, abi.IP_RECVTOS, 1))
		// A raw socket sends UDP datagrams with chosen checksums.
		r := a.socket(t, abi.AF_INET, abi.SOCK_RAW, abi.IPPROTO_UDP)
		dgram := func(sum uint16) []byte {
			d := make([]byte, 12)
			u := wire.UDP(d)
			f := wire.UDPFields{SrcPort: 1234, DstPort: 8000, Length: 12}
			f.Encode(u)
			copy(d[8:], "data")
			switch sum {
			case 1:
				u.SetChecksum(u.ComputeChecksum(netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")))
			case 2:
				u.SetChecksum(0x1234)
			}
			return d
		}
		for _, s := range []uint16{1, 0, 2} {
			must(t, a.p.Sendto(r, dgram(s), 0, sa4("10.0.0.2", 0)))
		}
		time.Sleep(10 * time.Millisecond)
		if got := b.ns.MIB.Get(netns.UDPInCsumErrors); got != 1 {
			t.Errorf("UdpInCsumErrors = %d, want 1", got)
		}
		oob := make([]byte, 256)
		for i := range 2 {
			n, oobn, _, _, err := b.p.Recvmsg(srv, make([]byte, 10), oob, abi.MSG_DONTWAIT)
			must(t, err)
			if n != 4 {
				t.Errorf("datagram %d: %d bytes", i, n)
			}
			cm, err := unix.ParseSocketControlMessage(oob[:oobn])
			must(t, err)
			if len(cm) != 3 || cm[0].Header.Type != abi.IP_PKTINFO || cm[1].Header.Type != abi.IP_TTL || cm[2].Header.Type != abi.IP_TOS {
				t.Fatalf("control messages %+v", cm)
			}
			pi := cm[0].Data
			if idx := binary.LittleEndian.Uint32(pi); int(idx) != b.ns.InterfaceByName("eth0").Index() ||
				netip.AddrFrom4([4]byte(pi[8:12])) != netip.MustParseAddr("10.0.0.2") {
				t.Errorf("in_pktinfo %x", pi)
			}
			if ttl := binary.LittleEndian.Uint32(cm[1].Data); ttl != 64 {
				t.Errorf("IP_TTL cmsg %d", ttl)
			}
		}
		_, _, err := b.p.Recvfrom(srv, make([]byte, 10), abi.MSG_DONTWAIT)
		wantErr(t, "bad checksum dropped", err, errno.EAGAIN)
	})
}

// newProcUID makes a process with another uid and no capabilities.
func newProcUID(ns *netns.Namespace, uid int) *sysProcess {
	return newSysProcess(ns, uid)
}
