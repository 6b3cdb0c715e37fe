package packet_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/internal/pinger"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/packet"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/sys"
	"github.com/gosock/gosock/waitq"
	"github.com/gosock/gosock/wire"
)

var (
	addrA = netip.MustParseAddr("10.9.0.1")
	addrB = netip.MustParseAddr("10.9.0.2")
)

// twoHosts makes namespaces A and B with the full gosock stack and
// AF_PACKET, joined by a pipe: A's veth0 (10.9.0.1/24) to B's veth1
// (10.9.0.2/24). It must run inside a synctest bubble; the returned
// function closes both.
func twoHosts(t *testing.T) (a, b *netns.Namespace, ia, ib *netns.Interface, done func()) {
	t.Helper()
	a = gosock.NewNamespace(netns.Options{Name: "a", Seed: 1})
	b = gosock.NewNamespace(netns.Options{Name: "b", Seed: 2})
	packet.Register(a)
	packet.Register(b)
	ia, ib, err := gosock.Connect(a, b,
		gosock.Link{Name: "veth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.9.0.1/24")}},
		gosock.Link{Name: "veth1", Addrs: []netip.Prefix{netip.MustParsePrefix("10.9.0.2/24")}},
		link.PipeConfig{})
	must(t, err)
	return a, b, ia, ib, func() {
		a.Close()
		b.Close()
	}
}

// ipv4Of parses the IPv4 packet of a frame read with its link header.
func ipv4Of(g got) (wire.IPv4, bool) {
	if len(g.Data) < 14 || binary.BigEndian.Uint16(g.Data[12:]) != packet.ETH_P_IP {
		return nil, false
	}
	ip, err := wire.ParseIPv4(g.Data[14:])
	return ip, err == nil
}

// TestSeesPing: a packet socket in B sees the ARP exchange and the ICMP
// echo of a ping from A, each with its direction and sender.
func TestSeesPing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer leakCheck(t)()
		a, b, ia, ib, done := twoHosts(t)
		defer done()
		pb := sys.NewProcess(b, sys.Options{})
		defer pb.Exit()
		fd := mustFD(t)(pb.Socket(abi.AF_PACKET, abi.SOCK_RAW, htons(packet.ETH_P_ALL)))
		must(t, pb.BindRaw(fd, sll(0, ib.Index(), 0, nil)))
		synctest.Wait()
		drain(t, pb, fd) // whatever bringing the links up sent

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r, err := pinger.New(a, 0x4242).Ping(ctx, addrB, 1, 56)
		if err != nil || !r.PayloadOK {
			t.Fatalf("ping: %+v %v", r, err)
		}
		synctest.Wait()

		macA, macB := ia.Device().HardwareAddr(), ib.Device().HardwareAddr()
		type seen struct {
			what    string
			pkttype uint8
			from    wire.MAC
		}
		var saw []seen
		for _, g := range drain(t, pb, fd) {
			if g.From.Ifindex != ib.Index() || g.From.Hatype != packet.ARPHRD_ETHER || g.From.Halen != 6 || g.From.Len != 20 {
				t.Errorf("frame from %+v", g.From)
			}
			switch g.From.Protocol {
			case packet.ETH_P_ARP:
				a, err := wire.ParseARP(g.Data[14:])
				if err != nil || a.TargetIP() != addrA && a.TargetIP() != addrB {
					continue
				}
				what := "arp request"
				if a.Op() == wire.ARPReply {
					what = "arp reply"
				}
				saw = append(saw, seen{what, g.From.Pkttype, g.From.mac()})
			case packet.ETH_P_IP:
				ip, ok := ipv4Of(g)
				if !ok || ip.Protocol() != wire.ProtoICMP {
					continue
				}
				m, err := wire.ParseICMPv4(ip.Payload())
				if err != nil || m.Ident() != 0x4242 {
					continue
				}
				saw = append(saw, seen{"icmp " + m.Type().String(), g.From.Pkttype, g.From.mac()})
			}
		}
		want := []seen{
			{"arp request", abi.PACKET_BROADCAST, macA},
			{"arp reply", abi.PACKET_OUTGOING, macB},
			{"icmp " + wire.ICMPv4EchoRequest.String(), abi.PACKET_HOST, macA},
			{"icmp " + wire.ICMPv4EchoReply.String(), abi.PACKET_OUTGOING, macB},
		}
		if len(saw) != len(want) {
			t.Fatalf("saw %+v, want %+v", saw, want)
		}
		for i := range want {
			if saw[i] != want[i] {
				t.Errorf("frame %d: %+v, want %+v", i, saw[i], want[i])
			}
		}
		pb.Close(fd)
	})
}

// echoRequest builds an Ethernet + IPv4 + ICMP echo request frame.
func echoRequest(dst, src wire.MAC, from, to netip.Addr, ident, seq uint16, payload []byte) []byte {
	icmpLen := wire.ICMPv4HeaderLen + len(payload)
	b := make([]byte, wire.EthernetHeaderLen+wire.IPv4MinHeaderLen+icmpLen)
	eth := wire.EthernetFields{Dst: dst, Src: src, Type: wire.EtherTypeIPv4}
	eth.Encode(wire.Ethernet(b))
	ipf := wire.IPv4Fields{TotalLen: uint16(wire.IPv4MinHeaderLen + icmpLen), ID: 77, TTL: 64,
		Protocol: wire.ProtoICMP, Src: from, Dst: to}
	ipf.Encode(wire.IPv4(b[14:]))
	m := wire.ICMPv4(b[14+wire.IPv4MinHeaderLen:])
	f := wire.ICMPv4Fields{Type: wire.ICMPv4EchoRequest, Ident: ident, Seq: seq}
	f.Encode(m)
	copy(m.Payload(), payload)
	m.SetChecksum(m.ComputeChecksum())
	return b
}

// TestRawEchoAnswered: a hand-built echo request sent from B through a
// SOCK_RAW socket is answered by A's stack; the reply reaches a socket of
// B's, and the request is seen outgoing by another socket but not by the
// one that sent it.
func TestRawEchoAnswered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer leakCheck(t)()
		_, b, ia, ib, done := twoHosts(t)
		defer done()
		pb := sys.NewProcess(b, sys.Options{})
		defer pb.Exit()
		snd := mustFD(t)(pb.Socket(abi.AF_PACKET, abi.SOCK_RAW, htons(packet.ETH_P_ALL)))
		must(t, pb.BindRaw(snd, sll(0, ib.Index(), 0, nil)))
		obs := mustFD(t)(pb.Socket(abi.AF_PACKET, abi.SOCK_RAW, htons(packet.ETH_P_ALL)))
		must(t, pb.BindRaw(obs, sll(0, ib.Index(), 0, nil)))
		ipSock := mustFD(t)(pb.Socket(abi.AF_PACKET, abi.SOCK_DGRAM, htons(packet.ETH_P_IP)))
		synctest.Wait()
		drain(t, pb, snd)
		drain(t, pb, obs)
		drain(t, pb, ipSock)

		payload := []byte("gosock packet socket")
		frame := echoRequest(ia.Device().HardwareAddr(), ib.Device().HardwareAddr(), addrB, addrA, 0x5151, 9, payload)
		n, err := pb.SendmsgRaw(snd, &socket.Msg{Iov: [][]byte{frame}}, 0)
		if err != nil || n != len(frame) {
			t.Fatalf("send: %d %v", n, err)
		}
		// The reply, read by a blocking receive on the SOCK_DGRAM socket
		// of ETH_P_IP: a bare IPv4 packet.
		var reply got
		for {
			g, err := recv(pb, ipSock, 2000, 0)
			must(t, err)
			ip, err := wire.ParseIPv4(g.Data)
			if err != nil || ip.Protocol() != wire.ProtoICMP {
				continue
			}
			if m, err := wire.ParseICMPv4(ip.Payload()); err == nil && m.Type() == wire.ICMPv4EchoReply && m.Ident() == 0x5151 {
				if ip.Src() != addrA || ip.Dst() != addrB || m.Seq() != 9 || string(m.Payload()) != string(payload) {
					t.Errorf("reply %v", ip)
				}
				reply = g
				break
			}
		}
		if reply.From.Pkttype != abi.PACKET_HOST || reply.From.mac() != ia.Device().HardwareAddr() || reply.From.Protocol != packet.ETH_P_IP {
			t.Errorf("reply from %+v", reply.From)
		}
		synctest.Wait()
		isOurRequest := func(g got) bool {
			ip, ok := ipv4Of(g)
			if !ok || ip.Protocol() != wire.ProtoICMP {
				return false
			}
			m, err := wire.ParseICMPv4(ip.Payload())
			return err == nil && m.Type() == wire.ICMPv4EchoRequest && m.Ident() == 0x5151
		}
		for _, g := range drain(t, pb, snd) {
			if isOurRequest(g) {
				t.Errorf("the sending socket saw its own request (%v)", g)
			}
		}
		var outgoing int
		for _, g := range drain(t, pb, obs) {
			if isOurRequest(g) {
				outgoing++
				if g.From.Pkttype != abi.PACKET_OUTGOING || string(g.Data) != string(frame) {
					t.Errorf("observer saw the request as %v", g)
				}
			}
		}
		if outgoing != 1 {
			t.Errorf("observer saw the request %d times, want once", outgoing)
		}
	})
}

// TestCreatePermissions: AF_PACKET needs CAP_NET_RAW, checked before the
// type, as packet_create does.
func TestCreatePermissions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer leakCheck(t)()
		ns := packetNS("perm")
		defer ns.Close()
		user := sys.NewProcess(ns, sys.Options{UID: 1000})
		for _, typ := range []int{abi.SOCK_RAW, abi.SOCK_DGRAM, abi.SOCK_PACKET, abi.SOCK_STREAM} {
			_, err := user.Socket(abi.AF_PACKET, typ, htons(packet.ETH_P_ALL))
			expect(t, "uid 1000 type "+itoa(typ), err, "EPERM")
		}
		_, err := user.Socket(abi.AF_INET, abi.SOCK_PACKET, htons(packet.ETH_P_ALL))
		expect(t, "uid 1000 AF_INET SOCK_PACKET", err, "EPERM")
		capable := sys.NewProcess(ns, sys.Options{UID: 1000, Caps: 1 << socket.CapNetRaw})
		fd, err := capable.Socket(abi.AF_PACKET, abi.SOCK_RAW, htons(packet.ETH_P_ALL))
		expect(t, "uid 1000 with CAP_NET_RAW", err, "OK")
		capable.Close(fd)
		root := sys.NewProcess(ns, sys.Options{})
		_, err = root.Socket(abi.AF_PACKET, 11, 0)
		expect(t, "type 11", err, "EINVAL")
		// AF_INET with SOCK_PACKET is Linux's old spelling of AF_PACKET.
		fd, err = root.Socket(abi.AF_INET, abi.SOCK_PACKET, htons(packet.ETH_P_ALL))
		expect(t, "AF_INET SOCK_PACKET", err, "OK")
		if d, _ := root.GetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_DOMAIN); d != abi.AF_PACKET {
			t.Errorf("SO_DOMAIN %d", d)
		}
		if typ, _ := root.GetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_TYPE); typ != abi.SOCK_PACKET {
			t.Errorf("SO_TYPE %d", typ)
		}
		root.Exit()
	})
}

// TestProtocolFiltering: which socket sees which frame, by protocol,
// device and direction, and how bind changes that.
func TestProtocolFiltering(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer leakCheck(t)()
		ns := packetNS("filter")
		defer ns.Close()
		v0, v1 := addPipe(t, ns, link.PipeConfig{})
		p := sys.NewProcess(ns, sys.Options{})
		defer p.Exit()
		open := func(typ int, proto uint16, bindProto uint16, ifc *netns.Interface) int {
			fd := mustFD(t)(p.Socket(abi.AF_PACKET, typ, htons(proto)))
			if ifc != nil {
				must(t, p.BindRaw(fd, sll(bindProto, ifc.Index(), 0, nil)))
			}
			return fd
		}
		allAny := open(abi.SOCK_RAW, packet.ETH_P_ALL, 0, nil)
		allV1 := open(abi.SOCK_RAW, packet.ETH_P_ALL, 0, v1)
		allV0 := open(abi.SOCK_DGRAM, packet.ETH_P_ALL, 0, v0)
		ipAny := open(abi.SOCK_RAW, packet.ETH_P_IP, 0, nil)
		ipV0 := open(abi.SOCK_RAW, packet.ETH_P_IP, 0, v0)
		arpAny := open(abi.SOCK_DGRAM, packet.ETH_P_ARP, 0, nil)
		none := open(abi.SOCK_RAW, 0, 0, nil)
		noneBound := open(abi.SOCK_RAW, 0, 0, v1) // bound with protocol 0: still deaf
		snd := open(abi.SOCK_RAW, 0, 0, nil)

		sendAll := func(tag byte) {
			for i, typ := range []uint16{packet.ETH_P_IP, packet.ETH_P_ARP, etherTest} {
				f := ethFrame(v1.Device().HardwareAddr(), v0.Device().HardwareAddr(), typ, 60, tag+byte(i))
				if _, err := p.SendmsgRaw(snd, &socket.Msg{Name: sll(0, v0.Index(), 6, nil), Iov: [][]byte{f}}, 0); err != nil {
					t.Fatal(err)
				}
				synctest.Wait() // delivered before the next, as a veth's softirq would
			}
		}
		type view struct {
			ifindex int
			pkttype uint8
			proto   uint16
		}
		look := func(fd int) (vs []view) {
			for _, g := range drain(t, p, fd) {
				vs = append(vs, view{g.From.Ifindex, g.From.Pkttype, g.From.Protocol})
			}
			return vs
		}
		out := func(proto uint16) view { return view{v0.Index(), abi.PACKET_OUTGOING, proto} }
		in := func(proto uint16) view { return view{v1.Index(), abi.PACKET_HOST, proto} }
		check := func(what string, fd int, want ...view) {
			t.Helper()
			got := look(fd)
			if len(got) != len(want) {
				t.Errorf("%s: saw %v, want %v", what, got, want)
				return
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("%s: frame %d %v, want %v", what, i, got[i], want[i])
				}
			}
		}
		sendAll(0x10)
		check("ETH_P_ALL, any device", allAny,
			out(packet.ETH_P_IP), in(packet.ETH_P_IP), out(packet.ETH_P_ARP), in(packet.ETH_P_ARP), out(etherTest), in(etherTest))
		check("ETH_P_ALL on veth1", allV1, in(packet.ETH_P_IP), in(packet.ETH_P_ARP), in(etherTest))
		check("ETH_P_ALL on veth0", allV0, out(packet.ETH_P_IP), out(packet.ETH_P_ARP), out(etherTest))
		check("ETH_P_IP, any device", ipAny, in(packet.ETH_P_IP))
		check("ETH_P_IP on veth0", ipV0)
		check("ETH_P_ARP", arpAny, in(packet.ETH_P_ARP))
		check("protocol 0", none)
		check("protocol 0, bound", noneBound)
		check("the sender", snd)

		// Binding gives a deaf socket a protocol; rebinding moves one.
		must(t, p.BindRaw(none, sll(packet.ETH_P_ARP, 0, 0, nil)))
		must(t, p.BindRaw(ipAny, sll(etherTest, v1.Index(), 0, nil)))
		must(t, p.BindRaw(allV1, sll(packet.ETH_P_IP, 0, 0, nil)))
		sendAll(0x20)
		check("protocol 0 bound to ETH_P_ARP", none, in(packet.ETH_P_ARP))
		check("ETH_P_IP rebound to the test type on veth1", ipAny, in(etherTest))
		check("ETH_P_ALL rebound to ETH_P_IP, any device", allV1, in(packet.ETH_P_IP))
		for fd, want := range map[int]llAddr{
			none:  {Len: 12, Family: abi.AF_PACKET, Protocol: packet.ETH_P_ARP},
			ipAny: {Len: 18, Family: abi.AF_PACKET, Protocol: etherTest, Ifindex: v1.Index(), Hatype: packet.ARPHRD_ETHER, Halen: 6},
		} {
			b := make([]byte, 128)
			n, err := p.GetnameRaw(fd, false, b)
			must(t, err)
			got := parseLL(b[:n])
			got.Addr = [8]byte{}
			if got != want {
				t.Errorf("getsockname %+v, want %+v", got, want)
			}
		}
	})
}

// TestBlockingRecvWakes: a blocking receive sleeps until a frame comes;
// poll reports readiness.
func TestBlockingRecvWakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer leakCheck(t)()
		ns := packetNS("block")
		defer ns.Close()
		v0, v1 := addPipe(t, ns, link.PipeConfig{})
		p := sys.NewProcess(ns, sys.Options{})
		defer p.Exit()
		rfd := mustFD(t)(p.Socket(abi.AF_PACKET, abi.SOCK_DGRAM, htons(etherTest)))
		must(t, p.BindRaw(rfd, sll(0, v1.Index(), 0, nil)))
		s, err := p.SocketOf(rfd)
		must(t, err)
		writable := waitq.EventOut | waitq.EventWrNorm | waitq.EventWrBand
		if ev := s.Poll(); ev != writable {
			t.Errorf("poll when empty %v", ev)
		}
		res := make(chan got, 1)
		go func() {
			g, err := recv(p, rfd, 100, 0)
			if err != nil {
				t.Error(err)
			}
			res <- g
		}()
		synctest.Wait()
		select {
		case g := <-res:
			t.Fatalf("receive returned early: %v", g)
		default:
		}
		sfd := mustFD(t)(p.Socket(abi.AF_PACKET, abi.SOCK_DGRAM, 0))
		peer := v1.Device().HardwareAddr()
		if _, err := p.SendmsgRaw(sfd, &socket.Msg{Name: sll(etherTest, v0.Index(), 6, peer[:]),
			Iov: [][]byte{[]byte("wake")}}, 0); err != nil {
			t.Fatal(err)
		}
		if g := <-res; string(g.Data) != "wake" {
			t.Errorf("woke with %q", g.Data)
		}
		// A second frame leaves the socket readable.
		if _, err := p.SendmsgRaw(sfd, &socket.Msg{Name: sll(etherTest, v0.Index(), 6, peer[:]),
			Iov: [][]byte{[]byte("more")}}, 0); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if ev := s.Poll(); ev != writable|waitq.EventIn|waitq.EventRdNorm {
			t.Errorf("poll with a frame queued %v", ev)
		}
		// SO_RCVTIMEO ends a wait that nothing ends.
		drain(t, p, rfd)
		must(t, p.SetsockoptTimeval(rfd, abi.SOL_SOCKET, abi.SO_RCVTIMEO_OLD, time.Second))
		start := time.Now()
		_, err = recv(p, rfd, 100, 0)
		if !errors.Is(err, errno.EAGAIN) || time.Since(start) != time.Second {
			t.Errorf("timed receive: %v after %v", err, time.Since(start))
		}
	})
}

// TestInterfaceRemoved: a socket bound to a device that goes away reports
// ifindex -1, cannot send, and keeps working once bound elsewhere.
func TestInterfaceRemoved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer leakCheck(t)()
		ns := packetNS("gone")
		defer ns.Close()
		v0, v1 := addPipe(t, ns, link.PipeConfig{})
		p := sys.NewProcess(ns, sys.Options{})
		defer p.Exit()
		fd := mustFD(t)(p.Socket(abi.AF_PACKET, abi.SOCK_RAW, htons(etherTest)))
		must(t, p.BindRaw(fd, sll(0, v1.Index(), 0, nil)))
		mreq := make([]byte, 16)
		binary.LittleEndian.PutUint32(mreq, uint32(v1.Index()))
		binary.LittleEndian.PutUint16(mreq[4:], abi.PACKET_MR_PROMISC)
		must(t, p.Setsockopt(fd, abi.SOL_PACKET, abi.PACKET_ADD_MEMBERSHIP, mreq))
		if pr, _ := packet.Promiscuity(ns, v1.Index()); pr != 1 {
			t.Errorf("promiscuity %d", pr)
		}
		must(t, ns.RemoveInterface(v1)) // the pipe goes with it, and so v0's carrier
		if pr, _ := packet.Promiscuity(ns, v1.Index()); pr != 0 {
			t.Errorf("promiscuity of a removed device %d", pr)
		}
		if e, _ := p.GetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_ERROR); e != int(errno.ENETDOWN) {
			t.Errorf("SO_ERROR %d, want ENETDOWN", e)
		}
		b := make([]byte, 128)
		n, err := p.GetnameRaw(fd, false, b)
		must(t, err)
		if got := parseLL(b[:n]); got != (llAddr{Len: 12, Family: abi.AF_PACKET, Protocol: etherTest, Ifindex: -1}) {
			t.Errorf("getsockname after removal %+v", got)
		}
		_, err = p.SendmsgRaw(fd, &socket.Msg{Iov: [][]byte{make([]byte, 60)}}, 0)
		expect(t, "send after removal", err, "ENXIO")
		// Binding to no device with the same protocol changes nothing, as
		// in Linux: the socket stays deaf until it names a device.
		must(t, p.BindRaw(fd, sll(0, 0, 0, nil)))
		n, _ = p.GetnameRaw(fd, false, b)
		if got := parseLL(b[:n]); got.Ifindex != -1 {
			t.Errorf("after bind(0): %+v", got)
		}
		must(t, p.BindRaw(fd, sll(0, ns.Loopback().Index(), 0, nil)))
		lo := mustFD(t)(p.Socket(abi.AF_PACKET, abi.SOCK_RAW, 0))
		f := ethFrame(wire.MAC{}, wire.MAC{}, etherTest, 60, 0xee)
		if _, err := p.SendmsgRaw(lo, &socket.Msg{Name: sll(0, ns.Loopback().Index(), 0, nil), Iov: [][]byte{f}}, 0); err != nil {
			t.Fatal(err)
		}
		if g, err := recv(p, fd, 100, 0); err != nil || g.Data[14] != 0xee {
			t.Errorf("after rebinding to lo: %v %v", g, err)
		}
		_ = v0
	})
}

// TestRawIPDevice: on a device without a link header (ARPHRD_NONE, a
// TUN), SOCK_RAW and SOCK_DGRAM both see bare IP packets.
func TestRawIPDevice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer leakCheck(t)()
		ns := packetNS("tun")
		defer ns.Close()
		t0, t1 := addPipe(t, ns, link.PipeConfig{Type: link.TypeRawIP, Names: [2]string{"tun0", "tun1"}})
		p := sys.NewProcess(ns, sys.Options{})
		defer p.Exit()
		raw := mustFD(t)(p.Socket(abi.AF_PACKET, abi.SOCK_RAW, htons(packet.ETH_P_ALL)))
		must(t, p.BindRaw(raw, sll(0, t1.Index(), 0, nil)))
		dg := mustFD(t)(p.Socket(abi.AF_PACKET, abi.SOCK_DGRAM, htons(packet.ETH_P_IPV6)))
		must(t, p.BindRaw(dg, sll(0, t1.Index(), 0, nil)))
		b := make([]byte, 128)
		n, err := p.GetnameRaw(raw, false, b)
		must(t, err)
		if got := parseLL(b[:n]); got != (llAddr{Len: 12, Family: abi.AF_PACKET, Protocol: packet.ETH_P_ALL, Ifindex: t1.Index(), Hatype: packet.ARPHRD_NONE}) {
			t.Errorf("getsockname %+v", got)
		}
		snd := mustFD(t)(p.Socket(abi.AF_PACKET, abi.SOCK_DGRAM, 0))
		v4 := make([]byte, 28)
		v4[0] = 0x45
		v6 := make([]byte, 48)
		v6[0] = 0x60
		junk := []byte{0x10, 1, 2, 3}
		for _, pkt := range [][]byte{v4, v6, junk} {
			// A SOCK_DGRAM send needs no address bytes on such a device.
			if _, err := p.SendmsgRaw(snd, &socket.Msg{Name: sll(0, t0.Index(), 0, nil), Iov: [][]byte{pkt}}, 0); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		gs := drain(t, p, raw)
		if len(gs) != 2 || string(gs[0].Data) != string(v4) || string(gs[1].Data) != string(v6) {
			t.Fatalf("SOCK_RAW read %v", gs)
		}
		for i, proto := range []uint16{packet.ETH_P_IP, packet.ETH_P_IPV6} {
			if f := gs[i].From; f != (llAddr{Len: 20, Family: abi.AF_PACKET, Protocol: proto, Ifindex: t1.Index(), Hatype: packet.ARPHRD_NONE}) {
				t.Errorf("frame %d from %+v", i, f)
			}
		}
		if gs := drain(t, p, dg); len(gs) != 1 || string(gs[0].Data) != string(v6) {
			t.Errorf("SOCK_DGRAM ETH_P_IPV6 read %v", gs)
		}
	})
}

// countTap counts the frames it sees.
type countTap struct{ in, out atomic.Int32 }

func (c *countTap) Tap(_ *netns.Interface, pkt *pktbuf.Buffer, outgoing bool) {
	if outgoing {
		c.out.Add(1)
	} else {
		c.in.Add(1)
	}
}

// TestChainedTap: a tap chained behind the packet sockets sees every
// frame, whether or not a socket does.
func TestChainedTap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer leakCheck(t)()
		ns := packetNS("chain")
		defer ns.Close()
		var c countTap
		packet.SetNextTap(ns, &c)
		p := sys.NewProcess(ns, sys.Options{})
		defer p.Exit()
		fd := mustFD(t)(p.Socket(abi.AF_PACKET, abi.SOCK_RAW, 0))
		send := func() {
			f := ethFrame(wire.MAC{}, wire.MAC{}, etherTest, 60, 1)
			if _, err := p.SendmsgRaw(fd, &socket.Msg{Name: sll(0, ns.Loopback().Index(), 0, nil), Iov: [][]byte{f}}, 0); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		send()
		obs := mustFD(t)(p.Socket(abi.AF_PACKET, abi.SOCK_RAW, htons(packet.ETH_P_ALL)))
		send()
		if c.in.Load() != 2 || c.out.Load() != 2 || len(drain(t, p, obs)) != 2 {
			t.Errorf("chained tap saw %d in, %d out", c.in.Load(), c.out.Load())
		}
		packet.SetNextTap(ns, nil)
		send()
		if c.in.Load() != 2 {
			t.Errorf("removed tap still called")
		}
	})
}

// TestTimestamps: SO_TIMESTAMPNS and SO_TIMESTAMP give the namespace
// clock's time of arrival.
func TestTimestamps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer leakCheck(t)()
		ns := packetNS("ts")
		defer ns.Close()
		p := sys.NewProcess(ns, sys.Options{})
		defer p.Exit()
		fd := mustFD(t)(p.Socket(abi.AF_PACKET, abi.SOCK_DGRAM, htons(etherTest)))
		must(t, p.SetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_TIMESTAMPNS_OLD, 1))
		time.Sleep(1500 * time.Millisecond) // fake time: a distinctive clock reading
		sent := time.Now()
		f := ethFrame(wire.MAC{}, wire.MAC{}, etherTest, 60, 1)
		if _, err := p.SendmsgRaw(fd, &socket.Msg{Name: sll(etherTest, ns.Loopback().Index(), 0, nil), Iov: [][]byte{f[14:]}}, 0); err != nil {
			t.Fatal(err)
		}
		g, err := recv(p, fd, 100, 0)
		must(t, err)
		if len(g.Cmsgs) != 1 || g.Cmsgs[0].Type != abi.SO_TIMESTAMPNS_OLD {
			t.Fatalf("cmsgs %+v", g.Cmsgs)
		}
		d := g.Cmsgs[0].Data
		at := time.Unix(int64(binary.LittleEndian.Uint64(d)), int64(binary.LittleEndian.Uint64(d[8:])))
		if !at.Equal(sent) {
			t.Errorf("stamped %v, sent %v", at, sent)
		}
	})
}

// TestMembershipCounts: PACKET_ADD_MEMBERSHIP counts per socket and per
// device, as packet_mc_add and dev_set_promiscuity do; closing the socket
// gives everything back.
func TestMembershipCounts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer leakCheck(t)()
		ns := packetNS("mc")
		defer ns.Close()
		v0, _ := addPipe(t, ns, link.PipeConfig{})
		p := sys.NewProcess(ns, sys.Options{})
		defer p.Exit()
		mreq := func(typ uint16) []byte {
			b := make([]byte, 16)
			binary.LittleEndian.PutUint32(b, uint32(v0.Index()))
			binary.LittleEndian.PutUint16(b[4:], typ)
			return b
		}
		a := mustFD(t)(p.Socket(abi.AF_PACKET, abi.SOCK_RAW, 0))
		b := mustFD(t)(p.Socket(abi.AF_PACKET, abi.SOCK_RAW, 0))
		counts := func(wantP, wantA int) {
			t.Helper()
			if pr, am := packet.Promiscuity(ns, v0.Index()); pr != wantP || am != wantA {
				t.Errorf("promisc %d allmulti %d, want %d %d", pr, am, wantP, wantA)
			}
		}
		set := func(fd, opt int, typ uint16) {
			t.Helper()
			must(t, p.Setsockopt(fd, abi.SOL_PACKET, opt, mreq(typ)))
		}
		set(a, abi.PACKET_ADD_MEMBERSHIP, abi.PACKET_MR_PROMISC)
		set(a, abi.PACKET_ADD_MEMBERSHIP, abi.PACKET_MR_PROMISC) // the same membership, held twice
		set(b, abi.PACKET_ADD_MEMBERSHIP, abi.PACKET_MR_PROMISC)
		set(b, abi.PACKET_ADD_MEMBERSHIP, abi.PACKET_MR_ALLMULTI)
		counts(2, 1)
		set(a, abi.PACKET_DROP_MEMBERSHIP, abi.PACKET_MR_PROMISC)
		counts(2, 1)
		set(a, abi.PACKET_DROP_MEMBERSHIP, abi.PACKET_MR_PROMISC)
		counts(1, 1)
		must(t, p.Close(b))
		counts(0, 0)
	})
}

// TestLoopbackPing: on lo, an ETH_P_ALL socket sees each frame of a ping
// to 127.0.0.1 twice, outgoing and then incoming (PACKET_HOST), with the
// zero addresses of Linux's loopback; an ETH_P_IP socket sees each once.
func TestLoopbackPing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer leakCheck(t)()
		ns := gosock.NewNamespace(netns.Options{Name: "lo", Seed: 3})
		defer ns.Close()
		packet.Register(ns)
		p := sys.NewProcess(ns, sys.Options{})
		defer p.Exit()
		lo := ns.Loopback().Index()
		all := mustFD(t)(p.Socket(abi.AF_PACKET, abi.SOCK_RAW, htons(packet.ETH_P_ALL)))
		must(t, p.BindRaw(all, sll(0, lo, 0, nil)))
		ip := mustFD(t)(p.Socket(abi.AF_PACKET, abi.SOCK_DGRAM, htons(packet.ETH_P_IP)))
		synctest.Wait()
		drain(t, p, all)
		drain(t, p, ip)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := pinger.New(ns, 0x1010).Ping(ctx, netip.MustParseAddr("127.0.0.1"), 1, 8); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		type view struct {
			pkttype uint8
			icmp    wire.ICMPv4Type
		}
		var saw []view
		for _, g := range drain(t, p, all) {
			ip, ok := ipv4Of(g)
			if !ok || g.From.Hatype != packet.ARPHRD_LOOPBACK || g.From.mac() != (wire.MAC{}) || g.From.Ifindex != lo {
				t.Errorf("unexpected frame %v", g)
				continue
			}
			m, err := wire.ParseICMPv4(ip.Payload())
			must(t, err)
			saw = append(saw, view{g.From.Pkttype, m.Type()})
		}
		want := []view{
			{abi.PACKET_OUTGOING, wire.ICMPv4EchoRequest}, {abi.PACKET_HOST, wire.ICMPv4EchoRequest},
			{abi.PACKET_OUTGOING, wire.ICMPv4EchoReply}, {abi.PACKET_HOST, wire.ICMPv4EchoReply},
		}
		if len(saw) != len(want) {
			t.Fatalf("saw %v, want %v", saw, want)
		}
		for i := range want {
			if saw[i] != want[i] {
				t.Errorf("frame %d: %v, want %v", i, saw[i], want[i])
			}
		}
		if gs := drain(t, p, ip); len(gs) != 2 || gs[0].From.Pkttype != abi.PACKET_HOST || gs[1].From.Pkttype != abi.PACKET_HOST {
			t.Errorf("ETH_P_IP socket saw %v", gs)
		}
	})
}
