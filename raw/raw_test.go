package raw_test

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/raw"
	"github.com/gosock/gosock/wire"
)

func echoRequest(v6 bool, id, seq uint16, payload string) []byte {
	b := make([]byte, 8+len(payload))
	b[0] = 8
	if v6 {
		b[0] = 128
	}
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], seq)
	copy(b[8:], payload)
	return b
}

func TestPingSockets(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		a, _ := e.pair(t)
		// Default range "1 0": nobody may ping.
		_, err := a.p.Socket(abi.AF_INET, abi.SOCK_DGRAM, abi.IPPROTO_ICMP)
		wantErr(t, "ping socket, default group range", err, errno.EACCES)
		must(t, a.ns.Sysctl.Set("net.ipv4.ping_group_range", "0 0"))
		for _, c := range []struct {
			domain, proto int
			dst           abi.Sockaddr
			from          netip.Addr
		}{
			{abi.AF_INET, abi.IPPROTO_ICMP, sa4("10.0.0.2", 0), netip.MustParseAddr("10.0.0.2")},
			{abi.AF_INET6, abi.IPPROTO_ICMPV6, sa6("2001:db8::2", 0), netip.MustParseAddr("2001:db8::2")},
		} {
			v6 := c.domain == abi.AF_INET6
			fd := a.socket(t, c.domain, abi.SOCK_DGRAM, c.proto)
			for seq := range uint16(3) {
				must(t, a.p.Sendto(fd, echoRequest(v6, 0xbeef, seq, "hello"), 0, c.dst))
				buf := make([]byte, 100)
				n, from, err := a.p.Recvfrom(fd, buf, 0)
				must(t, err)
				id := uint16(a.port(t, fd))
				m := buf[:n]
				wantType := byte(0)
				if v6 {
					wantType = 129
				}
				if n != 13 || m[0] != wantType || binary.BigEndian.Uint16(m[4:]) != id || binary.BigEndian.Uint16(m[6:]) != seq || string(m[8:]) != "hello" {
					t.Errorf("v6=%v seq %d: reply %x (ident should be %d)", v6, seq, m, id)
				}
				var got netip.Addr
				switch sa := from.(type) {
				case *abi.SockaddrInet4:
					got = netip.AddrFrom4(sa.Addr)
				case *abi.SockaddrInet6:
					got = netip.AddrFrom16(sa.Addr)
				}
				if got != c.from {
					t.Errorf("reply from %v, want %s", from, c.from)
				}
			}
			a.p.Close(fd)
		}
		if got := a.ns.MIB.ICMPMsgCount(true, uint8(wire.ICMPv4EchoRequest)); got != 3 {
			t.Errorf("IcmpOutEchos = %d, want 3", got)
		}
	})
}

func TestRawReceivesICMPCopy(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		a, _ := e.pair(t)
		must(t, a.ns.Sysctl.Set("net.ipv4.ping_group_range", "0 0"))
		r := a.socket(t, abi.AF_INET, abi.SOCK_RAW, abi.IPPROTO_ICMP)
		filtered := a.socket(t, abi.AF_INET, abi.SOCK_RAW, abi.IPPROTO_ICMP)
		must(t, a.p.Setsockopt(filtered, abi.SOL_RAW, raw.ICMP_FILTER, []byte{1, 0, 0, 0})) // drop echo replies
		r6 := a.socket(t, abi.AF_INET6, abi.SOCK_RAW, abi.IPPROTO_ICMPV6)
		var f6 [32]byte
		for i := range f6 {
			f6[i] = 0xff
		}
		f6[129/8] &^= 1 << (129 % 8) // pass echo replies only
		must(t, a.p.Setsockopt(r6, abi.SOL_ICMPV6, raw.ICMPV6_FILTER, f6[:]))

		ping := a.socket(t, abi.AF_INET, abi.SOCK_DGRAM, abi.IPPROTO_ICMP)
		must(t, a.p.Sendto(ping, echoRequest(false, 0, 7, "copy"), 0, sa4("10.0.0.2", 0)))
		ping6 := a.socket(t, abi.AF_INET6, abi.SOCK_DGRAM, abi.IPPROTO_ICMPV6)
		must(t, a.p.Sendto(ping6, echoRequest(true, 0, 8, "copy6"), 0, sa6("2001:db8::2", 0)))
		time.Sleep(20 * time.Millisecond)
		buf := make([]byte, 200)
		n, from, err := a.p.Recvfrom(r, buf, abi.MSG_DONTWAIT)
		must(t, err)
		ip := wire.IPv4(buf[:n])
		if n != 20+8+4 || ip.Version() != 4 || ip.Protocol() != wire.ProtoICMP || ip.Src() != netip.MustParseAddr("10.0.0.2") ||
			buf[20] != 0 || string(buf[28:n]) != "copy" {
			t.Errorf("raw copy %x", buf[:n])
		}
		if sa := from.(*abi.SockaddrInet4); sa.Port != 0 || netip.AddrFrom4(sa.Addr) != netip.MustParseAddr("10.0.0.2") {
			t.Errorf("raw from %v", from)
		}
		if _, _, err := a.p.Recvfrom(filtered, buf, abi.MSG_DONTWAIT); err != errno.EAGAIN {
			t.Errorf("filtered raw socket: %v, want EAGAIN", err)
		}
		// The ping socket still got its reply.
		if _, _, err := a.p.Recvfrom(ping, buf, abi.MSG_DONTWAIT); err != nil {
			t.Errorf("ping reply: %v", err)
		}
		// IPv6 raw sockets get the ICMPv6 message without the IPv6 header;
		// the filter kept the neighbour discovery traffic out.
		n, _, err = a.p.Recvfrom(r6, buf, abi.MSG_DONTWAIT)
		must(t, err)
		if buf[0] != 129 || !bytes.Equal(buf[8:n], []byte("copy6")) {
			t.Errorf("raw6 copy %x", buf[:n])
		}
		if _, _, err := a.p.Recvfrom(r6, buf, abi.MSG_DONTWAIT); err != errno.EAGAIN {
			t.Errorf("raw6 second read: %v, want EAGAIN", err)
		}
	})
}

func TestRawSend(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		a, b := e.pair(t)
		seen := &tap{}
		b.ns.SetPacketTap(seen)
		// IP_HDRINCL: the stack fills in the source, length, ID and checksum.
		hi := a.socket(t, abi.AF_INET, abi.SOCK_RAW, abi.IPPROTO_RAW)
		pkt := make([]byte, 20+8)
		f := wire.IPv4Fields{TTL: 9, Protocol: wire.ProtoICMP, Src: netip.IPv4Unspecified(), Dst: netip.MustParseAddr("10.0.0.2")}
		f.Encode(wire.IPv4(pkt))
		pkt[20] = 8 // echo request
		c := wire.ICMPv4(pkt[20:])
		c.SetIdent(0x4242)
		c.SetChecksum(c.ComputeChecksum())
		binary.BigEndian.PutUint16(pkt[2:], 0) // total length left for the stack
		must(t, a.p.Sendto(hi, pkt, 0, sa4("10.0.0.2", 0)))
		// Plain raw ICMPv6: the stack computes the checksum.
		r6 := a.socket(t, abi.AF_INET6, abi.SOCK_RAW, abi.IPPROTO_ICMPV6)
		must(t, a.p.Sendto(r6, echoRequest(true, 0x4343, 1, "x"), 0, sa6("2001:db8::2", 0)))
		time.Sleep(20 * time.Millisecond)
		if got := b.ns.MIB.ICMPMsgCount(false, uint8(wire.ICMPv4EchoRequest)); got != 1 {
			t.Errorf("b IcmpInEchos = %d, want 1", got)
		}
		if got := b.ns.MIB.ICMP6MsgCount(false, uint8(wire.ICMPv6EchoRequest)); got != 1 {
			t.Errorf("b Icmp6InEchos = %d, want 1 (checksum filled in)", got)
		}
		if got := b.ns.MIB.Get(netns.ICMP6InCsumErrors); got != 0 {
			t.Errorf("b Icmp6InCsumErrors = %d", got)
		}
		b.ns.SetPacketTap(nil)
		var found bool
		for _, f := range seen.in() {
			if len(f) > 34 && binary.BigEndian.Uint16(f[12:]) == 0x0800 && f[14+9] == 1 && f[34] == 8 {
				ip := wire.IPv4(f[14:])
				found = ip.Src() == netip.MustParseAddr("10.0.0.1") && ip.TotalLen() == 28 && ip.ID() != 0 && ip.ValidChecksum() && ip.TTL() == 9
				if !found {
					t.Errorf("hdrincl packet arrived as %v", ip)
				}
			}
		}
		if !found {
			t.Errorf("hdrincl echo request not seen at b")
		}
		// IPPROTO_RAW sockets receive nothing; raw sends are limited by the MTU.
		wantErr(t, "hdrincl over the MTU", a.p.Sendto(hi, make([]byte, 1600), 0, sa4("10.0.0.2", 0)), errno.EMSGSIZE)
	})
}

type tap struct {
	mu     sync.Mutex
	frames [][]byte
}

func (c *tap) Tap(ifc *netns.Interface, pkt *pktbuf.Buffer, outgoing bool) {
	if !outgoing {
		c.mu.Lock()
		c.frames = append(c.frames, append([]byte(nil), pkt.Bytes()...))
		c.mu.Unlock()
	}
}

func (c *tap) in() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames
}
