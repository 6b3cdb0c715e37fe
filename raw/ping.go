package raw

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/inet"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/waitq"
	"github.com/gosock/gosock/wire"
)

// pingTable is the ping sockets of a namespace by identifier (Linux's
// ping_table), with the next identifier to try.
type pingTable struct {
	s    *State
	mu   sync.Mutex
	byID map[uint16][]*pingSock
	next uint16
}

func newPingTable(s *State) *pingTable {
	return &pingTable{s: s, byID: map[uint16][]*pingSock{}, next: uint16(s.ns.Rand())}
}

type pingProto struct{ s *State }

// Init is ping_init_sock: the creator's group must be in
// net.ipv4.ping_group_range.
func (p pingProto) Init(sk *inet.Sock) (inet.ProtoSock, errno.Errno) {
	r := sk.NS().Sysctl.Vec(netns.PingGroupRange)
	gid := int64(sk.S.Creds.GID)
	if gid < r[0] || gid > r[1] {
		return nil, errno.EACCES
	}
	if sk.V6 {
		a := *sk.Addrs()
		a.V6Only = true
		sk.SetAddrs(a)
	}
	return &pingSock{s: p.s, sk: sk}, 0
}

// pingSock is a ping socket's protocol half.
type pingSock struct {
	s  *State
	sk *inet.Sock
	q  queue
}

// GetPort is ping_get_port: identifier 0 takes the next free one in
// sequence; a given one is refused only against sockets without
// SO_REUSEADDR (ping sockets have it on by default).
func (ps *pingSock) GetPort(id uint16) errno.Errno {
	t := ps.s.ping
	t.mu.Lock()
	defer t.mu.Unlock()
	if id == 0 {
		found := false
		for range 1 << 16 {
			c := t.next
			t.next++
			if c == 0 {
				continue
			}
			if len(t.byID[c]) == 0 {
				id, found = c, true
				break
			}
		}
		if !found {
			return errno.EADDRINUSE
		}
	} else {
		for _, o := range t.byID[id] {
			if o != ps && (!o.sk.Reuse() || !ps.sk.Reuse()) {
				return errno.EADDRINUSE
			}
		}
	}
	t.byID[id] = append(slices.Clip(t.byID[id]), ps)
	ps.sk.Num = id
	a := *ps.sk.Addrs()
	a.Port = id
	ps.sk.SetAddrs(a)
	return 0
}

func (ps *pingSock) unhash() {
	t := ps.s.ping
	t.mu.Lock()
	id := ps.sk.Num
	if l := t.byID[id]; len(l) > 0 {
		if i := slices.Index(l, ps); i >= 0 {
			next := slices.Delete(slices.Clone(l), i, i+1)
			if len(next) == 0 {
				delete(t.byID, id)
			} else {
				t.byID[id] = next
			}
		}
	}
	t.mu.Unlock()
	ps.sk.Num = 0
	a := *ps.sk.Addrs()
	a.Port = 0
	ps.sk.SetAddrs(a)
}

// Bind is ping_bind with ping_check_bind_addr: no multicast or broadcast
// address, then the identifier from the port.
func (ps *pingSock) Bind(addr []byte) errno.Errno {
	sk := ps.sk
	ns := sk.NS()
	sk.Mu.Lock()
	defer sk.Mu.Unlock()
	a := *sk.Addrs()
	var local netip.Addr
	var port uint16
	if !sk.V6 {
		if len(addr) < abi.SizeofSockaddrInet4 {
			return errno.EINVAL
		}
		ap := inet.Sockaddr4(addr)
		local, port = ap.Addr(), ap.Port()
		if f := abi.Family(addr); f != abi.AF_INET && !(f == abi.AF_UNSPEC && local.IsUnspecified()) {
			return errno.EAFNOSUPPORT
		}
		if !local.IsUnspecified() {
			typ := inet.AddrType4(ns, local, a.Dev)
			if typ == inet.RTNMulticast || typ == inet.RTNBroadcast || typ != inet.RTNLocal && !sk.CanNonlocal(false) {
				return errno.EADDRNOTAVAIL
			}
		}
	} else {
		if len(addr) < abi.SizeofSockaddrInet6 {
			return errno.EINVAL
		}
		if abi.Family(addr) != abi.AF_INET6 {
			return errno.EAFNOSUPPORT
		}
		ap, scope := inet.Sockaddr6(addr)
		local, port = ap.Addr(), ap.Port()
		scoped := inet.NeedsScope(local)
		if !local.IsUnspecified() && (local.IsMulticast() || local.Is4In6()) || scoped && scope == 0 {
			return errno.EINVAL
		}
		dev := a.Dev
		if scoped {
			if ns.Interface(int(scope)) == nil {
				return errno.ENODEV
			}
			dev = int(scope)
		}
		if !local.IsUnspecified() && !sk.CanNonlocal(true) && !inet.IsLocal6(ns, local, devIf(scoped, dev)) {
			return errno.EADDRNOTAVAIL
		}
		if scoped {
			a.Dev = dev
		}
	}
	if sk.Num != 0 {
		return errno.EINVAL
	}
	old := *sk.Addrs()
	a.RcvAddr, a.Src = local, local
	sk.SetAddrs(a)
	if ps.GetPort(port) != 0 {
		sk.SetAddrs(old)
		return errno.EADDRINUSE
	}
	if a.Dev != old.Dev {
		sk.S.SetBoundDevice(a.Dev)
	}
	sk.SetBindLocks(!local.IsUnspecified(), port != 0)
	a = *sk.Addrs()
	a.Dst, a.DstPort = netip.Addr{}, 0
	sk.SetAddrs(a)
	return 0
}

func devIf(scoped bool, dev int) int {
	if scoped {
		return dev
	}
	return 0
}

// Connect is ip4_datagram_connect / ip6_datagram_connect_v6_only.
func (ps *pingSock) Connect(addr []byte) errno.Errno {
	if ps.sk.V6 {
		if len(addr) < 24 {
			return errno.EINVAL
		}
		if abi.Family(addr) != abi.AF_INET6 {
			return errno.EAFNOSUPPORT
		}
	}
	return ps.sk.DatagramConnect(addr)
}

// Disconnect is __udp_disconnect.
func (ps *pingSock) Disconnect() errno.Errno {
	ps.sk.DatagramDisconnect(ps.unhash)
	return 0
}

func (ps *pingSock) Shutdown(int) {}

func (ps *pingSock) Poll() waitq.Events { return poll(ps.sk, &ps.q) }

// Close is ping_close.
func (ps *pingSock) Close() {
	ps.sk.Mu.Lock()
	ps.unhash()
	ps.sk.Mu.Unlock()
	ps.q.purge()
}

// Recvmsg is ping_recvmsg: the ICMP message, from the replier (port 0).
func (ps *pingSock) Recvmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	return ps.q.recv(ps.sk, m, flags)
}

// Sendmsg is ping_v4_sendmsg / ping_v6_sendmsg with
// ping_common_sendmsg: an echo request of at least a full ICMP header,
// whose identifier the stack replaces with the socket's.
func (ps *pingSock) Sendmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	sk := ps.sk
	total := m.Len()
	if total > 0xffff {
		return 0, errno.EMSGSIZE
	}
	if total < 8 {
		return 0, errno.EINVAL
	}
	if flags&abi.MSG_OOB != 0 {
		return 0, errno.EOPNOTSUPP
	}
	sk.Mu.Lock()
	defer sk.Mu.Unlock()
	var dst netip.Addr
	var scope uint32
	if len(m.Name) > 0 {
		if !sk.V6 {
			if len(m.Name) < abi.SizeofSockaddrInet4 {
				return 0, errno.EINVAL
			}
			if abi.Family(m.Name) != abi.AF_INET {
				return 0, errno.EAFNOSUPPORT
			}
			dst = inet.Sockaddr4(m.Name).Addr()
		} else {
			if len(m.Name) < abi.SizeofSockaddrInet6 {
				return 0, errno.EINVAL
			}
			if abi.Family(m.Name) != abi.AF_INET6 {
				return 0, errno.EAFNOSUPPORT
			}
			ap, sc := inet.Sockaddr6(m.Name)
			dst, scope = ap.Addr(), sc
		}
	} else {
		if sk.State() != inet.StateEstablished {
			return 0, errno.EDESTADDRREQ
		}
		dst = inet.Wire(sk.Addrs().Dst)
	}
	data := make([]byte, 0, total)
	for _, b := range m.Iov {
		data = append(data, b...)
	}
	if !sk.V6 && (data[0] != uint8(wire.ICMPv4EchoRequest) || data[1] != 0) ||
		sk.V6 && (data[0] != uint8(wire.ICMPv6EchoRequest) || data[1] != 0) {
		return 0, errno.EINVAL
	}
	if sk.V6 && dst.Is4In6() {
		return 0, errno.EINVAL
	}
	ctl, e := sk.ParseSendControl(m.Control, sk.V6)
	if e != 0 {
		return 0, e
	}
	f, e := sk.RouteOutput(dst, scope, &ctl)
	if e != 0 {
		return 0, e
	}
	if f.DF && len(data)+f.HeaderLen() > f.MTU {
		sk.LocalError(errno.EMSGSIZE, netip.AddrPortFrom(f.Dst, 0), uint32(f.MTU), nil)
		return 0, errno.EMSGSIZE
	}
	if e := sk.S.TakeError(); e != 0 {
		return 0, e
	}
	pkt := pktbuf.FromBytes(pktbuf.DefaultHeadroom, data)
	b := pkt.Bytes()
	id := sk.Addrs().Port
	b[4], b[5] = byte(id>>8), byte(id)
	b[2], b[3] = 0, 0
	proto := wire.ProtoICMP
	if sk.V6 {
		proto = wire.ProtoICMPv6
		c := wire.ICMPv6(b).ComputeChecksum(f.Src, f.Dst)
		wire.ICMPv6(b).SetChecksum(c)
	} else {
		wire.ICMPv4(b).SetChecksum(wire.ICMPv4(b).ComputeChecksum())
		sk.NS().MIB.Inc(netns.ICMPOutMsgs)
		sk.NS().MIB.ICMPMsg(true, b[0])
	}
	pkt.SetTransportHeader()
	if e := sk.Output(&f, proto, pkt); e != 0 {
		return 0, e
	}
	return total, 0
}

// rcv4 is ping_rcv for IPv4: an echo reply goes to the ping socket whose
// identifier it carries, bound to its destination (or to none).
func (t *pingTable) rcv4(pkt *pktbuf.Buffer, info *netns.PacketInfo) bool {
	b := pkt.Bytes()
	if len(b) >= 8 && b[0] == uint8(wire.ICMPv4EchoReply) {
		if t.deliver(false, uint16(b[4])<<8|uint16(b[5]), pkt, info) {
			return true
		}
	}
	return false
}

// rcv6 is ping_rcv for IPv6.
func (t *pingTable) rcv6(pkt *pktbuf.Buffer, info *netns.PacketInfo) bool {
	b := pkt.Bytes()
	if len(b) >= 8 && b[0] == uint8(wire.ICMPv6EchoReply) {
		if t.deliver(true, uint16(b[4])<<8|uint16(b[5]), pkt, info) {
			return true
		}
	}
	return false
}

// deliver queues the reply to the first matching socket (ping_lookup)
// and reports whether it took pkt.
func (t *pingTable) deliver(v6 bool, id uint16, pkt *pktbuf.Buffer, info *netns.PacketInfo) bool {
	ifindex := 0
	if info.Iface != nil {
		ifindex = info.Iface.Index()
	}
	t.mu.Lock()
	var target *pingSock
	for _, ps := range t.byID[id] {
		if ps.sk.V6 != v6 {
			continue
		}
		a := ps.sk.Addrs()
		if l := inet.Wire(a.RcvAddr); l.IsValid() && !l.IsUnspecified() && l != info.Dst {
			continue
		}
		if a.Dev != 0 && a.Dev != ifindex {
			continue
		}
		target = ps
		break
	}
	t.mu.Unlock()
	if target == nil {
		return false
	}
	if !target.q.push(target.sk, pkt, info) {
		pkt.Release()
	}
	return true
}
