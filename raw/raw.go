package raw

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"sync"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/inet"
	"github.com/gosock/gosock/ipv4"
	"github.com/gosock/gosock/ipv6"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/waitq"
	"github.com/gosock/gosock/wire"
)

// Option names of SOL_RAW and SOL_ICMPV6.
const (
	ICMP_FILTER   = 1 // SOL_RAW
	ICMPV6_FILTER = 1 // SOL_ICMPV6
)

const truesizeOverhead = 576

type stateKey struct{}

// State is the raw and ping sockets of one namespace.
type State struct {
	ns *netns.Namespace

	mu   sync.RWMutex
	raw  [2]map[uint16][]*rawSock // by version index, then protocol
	ping *pingTable
}

// Register installs raw and ping sockets in ns (and the inet families if
// needed); a second call returns the state already installed.
func Register(ns *netns.Namespace) *State {
	if s := Of(ns); s != nil {
		return s
	}
	s := &State{ns: ns}
	s.raw[0] = map[uint16][]*rawSock{}
	s.raw[1] = map[uint16][]*rawSock{}
	s.ping = newPingTable(s)
	ns.SetProtocolState(stateKey{}, s)
	_ = inet.AddProtocol(ns, inet.Protosw{Type: abi.SOCK_RAW, Protocol: abi.IPPROTO_IP, Proto: rawProto{s},
		Ops: inet.RawOps, Flags: inet.ProtoswReuse})
	_ = inet.AddProtocol(ns, inet.Protosw{Type: abi.SOCK_DGRAM, Protocol: abi.IPPROTO_ICMP, Proto: pingProto{s},
		Ops: inet.RawOps, Flags: inet.ProtoswReuse, V4: true})
	_ = inet.AddProtocol(ns, inet.Protosw{Type: abi.SOCK_DGRAM, Protocol: abi.IPPROTO_ICMPV6, Proto: pingProto{s},
		Ops: inet.RawOps, Flags: inet.ProtoswReuse, V6: true})
	ns.SetRawTap(tap{s})
	if p := ipv4.Of(ns); p != nil {
		p.AddEchoHook(s.ping.rcv4)
	}
	if p := ipv6.Of(ns); p != nil {
		p.AddEchoHook(s.ping.rcv6)
	}
	return s
}

// Of returns the raw state of ns, or nil.
func Of(ns *netns.Namespace) *State {
	s, _ := ns.ProtocolState(stateKey{}).(*State)
	return s
}

func vi(v6 bool) int {
	if v6 {
		return 1
	}
	return 0
}

type rawProto struct{ s *State }

// Init is raw_sk_init / rawv6_init_sk plus the hash at creation (the
// socket's port is its protocol).
func (p rawProto) Init(sk *inet.Sock) (inet.ProtoSock, errno.Errno) {
	r := &rawSock{s: p.s, sk: sk, num: uint16(sk.Protocol()), checksum: -1}
	if sk.V6 && sk.Protocol() == abi.IPPROTO_ICMPV6 {
		r.checksum = 2
	}
	a := *sk.Addrs()
	a.Port = r.num
	sk.SetAddrs(a)
	p.s.mu.Lock()
	m := p.s.raw[vi(sk.V6)]
	m[r.num] = append(slices.Clip(m[r.num]), r)
	p.s.mu.Unlock()
	return r, 0
}

// queue is a datagram receive queue bounded by SO_RCVBUF
// (sock_queue_rcv_skb), shared by raw and ping sockets.
type queue struct {
	mu   sync.Mutex
	q    []qdgram
	rmem int
}

type qdgram struct {
	pkt      *pktbuf.Buffer
	from     netip.Addr
	ri       inet.RecvInfo
	truesize int
}

// push queues pkt unless the buffer is full (then it reports false and
// the caller releases pkt).
func (q *queue) push(sk *inet.Sock, pkt *pktbuf.Buffer, info *netns.PacketInfo) bool {
	ts := pkt.Len() + truesizeOverhead
	q.mu.Lock()
	if q.rmem >= sk.S.RcvBuf() {
		q.mu.Unlock()
		sk.AddDrop()
		sk.NS().MIB.Drop(netns.DropSocketRcvbuff)
		return false
	}
	q.q = append(q.q, qdgram{pkt: pkt, from: info.Src, ri: inet.InfoFrom(info), truesize: ts})
	q.rmem += ts
	q.mu.Unlock()
	sk.S.Wait.Notify(waitq.EventIn | waitq.EventRdNorm)
	return true
}

func (q *queue) purge() {
	q.mu.Lock()
	l := q.q
	q.q, q.rmem = nil, 0
	q.mu.Unlock()
	for _, d := range l {
		d.pkt.Release()
	}
}

func (q *queue) nonEmpty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.q) > 0
}

func (q *queue) headLen() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.q) == 0 {
		return 0
	}
	return q.q[0].pkt.Len()
}

// recv is the common datagram receive of raw_recvmsg and ping_recvmsg.
func (q *queue) recv(sk *inet.Sock, m *socket.Msg, flags int) (int, errno.Errno) {
	if flags&abi.MSG_OOB != 0 {
		return 0, errno.EOPNOTSUPP
	}
	if flags&abi.MSG_ERRQUEUE != 0 {
		return sk.RecvError(m, flags)
	}
	q.mu.Lock()
	if e := sk.S.TakeError(); e != 0 {
		q.mu.Unlock()
		return 0, e
	}
	if len(q.q) == 0 {
		q.mu.Unlock()
		if sk.S.Shutdown()&socket.RcvShutdown != 0 && flags&abi.MSG_DONTWAIT == 0 {
			return 0, 0
		}
		return 0, errno.EAGAIN
	}
	d := q.q[0]
	peek := flags&abi.MSG_PEEK != 0
	if !peek {
		q.q[0] = qdgram{}
		q.q = q.q[1:]
		q.rmem -= d.truesize
	}
	q.mu.Unlock()
	data := d.pkt.Bytes()
	n := inet.CopyOut(m.Iov, data)
	if n < len(data) {
		m.Flags |= abi.MSG_TRUNC
	}
	if cap(m.Name) > 0 {
		var b [abi.SizeofSockaddrInet6]byte
		l := inet.PutSockaddr(b[:], sk.V6, sk.ForFamily(d.from), 0, d.ri.IfIndex)
		copy(m.Name[:cap(m.Name)], b[:l])
		m.NameLen = l
	}
	if sk.S.Flag(abi.SO_RXQ_OVFL) {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], sk.Drops())
		inet.PutCmsg(m, abi.SOL_SOCKET, abi.SO_RXQ_OVFL, b[:])
	}
	sk.PutRecvControl(m, &d.ri)
	if !peek {
		d.pkt.Release()
	}
	if flags&abi.MSG_TRUNC != 0 {
		return len(data), 0
	}
	return n, 0
}

// poll is datagram_poll for raw and ping sockets.
func poll(sk *inet.Sock, q *queue) waitq.Events {
	var ev waitq.Events
	if sk.S.PendingError() != 0 || sk.ErrQueueLen() > 0 {
		ev |= waitq.EventErr
	}
	sh := sk.S.Shutdown()
	if sh&socket.RcvShutdown != 0 {
		ev |= waitq.EventRdHUp | waitq.EventIn | waitq.EventRdNorm
	}
	if sh == socket.RcvShutdown|socket.SendShutdown {
		ev |= waitq.EventHUp
	}
	if q.nonEmpty() {
		ev |= waitq.EventIn | waitq.EventRdNorm
	}
	return ev | waitq.EventOut | waitq.EventWrNorm | waitq.EventWrBand
}

// rawSock is a raw socket's protocol half (struct raw_sock, raw6_sock).
type rawSock struct {
	s   *State
	sk  *inet.Sock
	num uint16
	q   queue

	mu       sync.Mutex // guards the filters
	filter   uint32     // ICMP_FILTER
	filter6  [8]uint32  // ICMPV6_FILTER
	checksum int        // IPV6_CHECKSUM offset, -1 off
}

// GetPort is never needed: raw sockets are bound by protocol.
func (r *rawSock) GetPort(uint16) errno.Errno { return 0 }

// Bind is raw_bind / rawv6_bind.
func (r *rawSock) Bind(addr []byte) errno.Errno { return r.sk.RawBind(addr) }

// Connect is ip4_datagram_connect (raw_prot.connect) or
// ip6_datagram_connect_v6_only.
func (r *rawSock) Connect(addr []byte) errno.Errno {
	if r.sk.V6 {
		if len(addr) < 24 {
			return errno.EINVAL
		}
		if abi.Family(addr) != abi.AF_INET6 {
			return errno.EAFNOSUPPORT
		}
	}
	return r.sk.DatagramConnect(addr)
}

// Disconnect is __udp_disconnect (raw_prot.disconnect), keeping the
// protocol as port.
func (r *rawSock) Disconnect() errno.Errno {
	r.sk.DatagramDisconnect(nil)
	return 0
}

func (r *rawSock) Shutdown(int) {}

func (r *rawSock) Poll() waitq.Events { return poll(r.sk, &r.q) }

// Close unhashes the socket and frees its queue.
func (r *rawSock) Close() {
	s := r.s
	s.mu.Lock()
	m := s.raw[vi(r.sk.V6)]
	if l := m[r.num]; len(l) > 0 {
		if i := slices.Index(l, r); i >= 0 {
			next := slices.Delete(slices.Clone(l), i, i+1)
			if len(next) == 0 {
				delete(m, r.num)
			} else {
				m[r.num] = next
			}
		}
	}
	s.mu.Unlock()
	r.q.purge()
}

// Ioctl is raw_ioctl: SIOCINQ is the length of the next datagram.
func (r *rawSock) Ioctl(cmd uint, arg []byte) errno.Errno {
	v := 0
	switch cmd {
	case abi.SIOCINQ:
		v = r.q.headLen()
	case abi.SIOCOUTQ:
	default:
		return errno.ENOTTY
	}
	if len(arg) < 4 {
		return errno.EFAULT
	}
	binary.LittleEndian.PutUint32(arg, uint32(int32(v)))
	return 0
}

// SetOption handles SOL_RAW (ICMP_FILTER), SOL_ICMPV6 (ICMPV6_FILTER)
// and IPV6_CHECKSUM.
func (r *rawSock) SetOption(level, name int, val []byte) (errno.Errno, bool) {
	switch {
	case level == abi.SOL_RAW && !r.sk.V6:
		if name != ICMP_FILTER {
			return errno.ENOPROTOOPT, true
		}
		if r.num != abi.IPPROTO_ICMP {
			return errno.EOPNOTSUPP, true
		}
		// raw_seticmpfilter copies at most the filter's size; a
		// shorter value overwrites its first bytes.
		var b [4]byte
		r.mu.Lock()
		binary.LittleEndian.PutUint32(b[:], r.filter)
		copy(b[:], val)
		r.filter = binary.LittleEndian.Uint32(b[:])
		r.mu.Unlock()
		return 0, true
	case level == abi.SOL_ICMPV6 && r.sk.V6:
		if name != ICMPV6_FILTER {
			return errno.ENOPROTOOPT, true
		}
		if r.num != abi.IPPROTO_ICMPV6 {
			return errno.EOPNOTSUPP, true
		}
		var b [32]byte
		r.mu.Lock()
		for i, w := range r.filter6 {
			binary.LittleEndian.PutUint32(b[i*4:], w)
		}
		copy(b[:], val)
		for i := range r.filter6 {
			r.filter6[i] = binary.LittleEndian.Uint32(b[i*4:])
		}
		r.mu.Unlock()
		return 0, true
	case level == abi.SOL_RAW && r.sk.V6, level == abi.SOL_IPV6 && name == abi.IPV6_CHECKSUM && r.sk.V6:
		if name != abi.IPV6_CHECKSUM {
			return errno.ENOPROTOOPT, true
		}
		if len(val) < 4 {
			return errno.EINVAL, true
		}
		v := int(int32(binary.LittleEndian.Uint32(val)))
		if r.num == abi.IPPROTO_ICMPV6 && level == abi.SOL_RAW {
			return errno.EINVAL, true
		}
		if v > 0 && v&1 != 0 {
			return errno.EINVAL, true
		}
		r.mu.Lock()
		r.checksum = max(v, -1)
		r.mu.Unlock()
		return 0, true
	case level == abi.SOL_IP && name == abi.IP_HDRINCL && r.num == abi.IPPROTO_RAW && !r.sk.V6:
		return 0, false
	}
	return 0, false
}

// GetOption mirrors SetOption.
func (r *rawSock) GetOption(level, name int, buf []byte) (int, errno.Errno, bool) {
	switch {
	case level == abi.SOL_RAW && !r.sk.V6:
		if name != ICMP_FILTER {
			return 0, errno.ENOPROTOOPT, true
		}
		if r.num != abi.IPPROTO_ICMP {
			return 0, errno.EOPNOTSUPP, true
		}
		var b [4]byte
		r.mu.Lock()
		binary.LittleEndian.PutUint32(b[:], r.filter)
		r.mu.Unlock()
		return copy(buf, b[:]), 0, true
	case level == abi.SOL_ICMPV6 && r.sk.V6:
		if name != ICMPV6_FILTER {
			return 0, errno.ENOPROTOOPT, true
		}
		if r.num != abi.IPPROTO_ICMPV6 {
			return 0, errno.EOPNOTSUPP, true
		}
		var b [32]byte
		r.mu.Lock()
		for i, w := range r.filter6 {
			binary.LittleEndian.PutUint32(b[i*4:], w)
		}
		r.mu.Unlock()
		return copy(buf, b[:]), 0, true
	case (level == abi.SOL_RAW || level == abi.SOL_IPV6) && name == abi.IPV6_CHECKSUM && r.sk.V6:
		r.mu.Lock()
		v := r.checksum
		r.mu.Unlock()
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(int32(v)))
		return copy(buf, b[:]), 0, true
	}
	return 0, 0, false
}

// filtered reports whether ICMP_FILTER / ICMPV6_FILTER drops a message.
func (r *rawSock) filtered(v6 bool, b []byte) bool {
	if len(b) == 0 {
		return false
	}
	t := b[0]
	r.mu.Lock()
	defer r.mu.Unlock()
	if !v6 {
		return r.num == abi.IPPROTO_ICMP && t < 32 && r.filter&(1<<t) != 0
	}
	return r.num == abi.IPPROTO_ICMPV6 && r.filter6[t>>5]&(1<<(t&31)) != 0
}

// Recvmsg is raw_recvmsg / rawv6_recvmsg.
func (r *rawSock) Recvmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	return r.q.recv(r.sk, m, flags)
}

// tap is the namespace's RawTap: raw_v4_input / raw6_local_deliver.
type tap struct{ s *State }

// Deliver offers a locally delivered packet to the raw sockets of its
// protocol: each matching socket gets a copy (with the IPv4 header for
// IPv4), unless its ICMP filter drops the type.
func (t tap) Deliver(version int, proto uint8, pkt *pktbuf.Buffer, info *netns.PacketInfo) bool {
	v6 := version == 6
	t.s.mu.RLock()
	socks := t.s.raw[vi(v6)][uint16(proto)]
	t.s.mu.RUnlock()
	if len(socks) == 0 {
		return false
	}
	ifindex := 0
	if info.Iface != nil {
		ifindex = info.Iface.Index()
	}
	delivered := false
	for _, r := range socks {
		a := r.sk.Addrs()
		if d := inet.Wire(a.Dst); d.IsValid() && !d.IsUnspecified() && d != info.Src {
			continue
		}
		if l := inet.Wire(a.RcvAddr); l.IsValid() && !l.IsUnspecified() && l != info.Dst {
			continue
		}
		if a.Dev != 0 && a.Dev != ifindex {
			continue
		}
		delivered = true
		if r.filtered(v6, pkt.Bytes()) {
			continue
		}
		if info.Multicast && !v6 && !r.sk.MulticastAll() && !r.sk.Member(info.Dst, ifindex) {
			continue
		}
		var data []byte
		if v6 {
			data = pkt.Bytes()
		} else {
			data = pkt.NetworkHeader()
		}
		c := pktbuf.FromBytes(pktbuf.DefaultHeadroom, data)
		if !r.q.push(r.sk, c, info) {
			c.Release()
		}
	}
	return delivered
}

// Sendmsg is raw_sendmsg / rawv6_sendmsg.
func (r *rawSock) Sendmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	sk := r.sk
	total := m.Len()
	if flags&abi.MSG_OOB != 0 {
		return 0, errno.EOPNOTSUPP
	}
	sk.Mu.Lock()
	defer sk.Mu.Unlock()
	var dst netip.Addr
	var scope uint32
	proto := r.num
	if sk.V6 {
		if len(m.Name) > 0 {
			if len(m.Name) < 24 {
				return 0, errno.EINVAL
			}
			if f := abi.Family(m.Name); f != 0 && f != abi.AF_INET6 {
				return 0, errno.EAFNOSUPPORT
			}
			ap, sc := inet.Sockaddr6(m.Name)
			if p := ap.Port(); p != 0 {
				if p != r.num && r.num != abi.IPPROTO_RAW || p > 255 {
					return 0, errno.EINVAL
				}
				proto = p
			}
			dst, scope = ap.Addr(), sc
			if dst.Is4In6() {
				return 0, errno.ENETUNREACH
			}
		} else {
			if sk.State() != inet.StateEstablished {
				return 0, errno.EDESTADDRREQ
			}
			dst = sk.Addrs().Dst
		}
	} else {
		if total > 0xffff {
			return 0, errno.EMSGSIZE
		}
		if len(m.Name) > 0 {
			if len(m.Name) < abi.SizeofSockaddrInet4 {
				return 0, errno.EINVAL
			}
			if f := abi.Family(m.Name); f != abi.AF_INET && f != abi.AF_UNSPEC {
				return 0, errno.EAFNOSUPPORT
			}
			dst = inet.Sockaddr4(m.Name).Addr()
		} else {
			if sk.State() != inet.StateEstablished {
				return 0, errno.EDESTADDRREQ
			}
			dst = inet.Wire(sk.Addrs().Dst)
		}
	}
	ctl, e := sk.ParseSendControl(m.Control, sk.V6)
	if e != 0 {
		return 0, e
	}
	f, e := sk.RouteOutput(dst, scope, &ctl)
	if e != 0 {
		return 0, e
	}
	if e := sk.S.TakeError(); e != 0 {
		return 0, e
	}
	if sk.S.Shutdown()&socket.SendShutdown != 0 {
		return 0, errno.EPIPE
	}
	data := make([]byte, 0, total)
	for _, b := range m.Iov {
		data = append(data, b...)
	}
	if !sk.V6 && sk.HdrInclLocked() {
		return r.sendHdrIncl(&f, data)
	}
	if f.DF && len(data)+f.HeaderLen() > f.MTU {
		sk.LocalError(errno.EMSGSIZE, netip.AddrPortFrom(f.Dst, 0), uint32(f.MTU), nil)
		return 0, errno.EMSGSIZE
	}
	pkt := pktbuf.FromBytes(pktbuf.DefaultHeadroom, data)
	if sk.V6 {
		r.mu.Lock()
		off := r.checksum
		r.mu.Unlock()
		if off >= 0 {
			b := pkt.Bytes()
			if off+2 > len(b) {
				pkt.Release()
				return 0, errno.EINVAL
			}
			b[off], b[off+1] = 0, 0
			c := wire.FoldChecksum(wire.Checksum(b, wire.PseudoHeaderChecksum(uint8(proto), f.Src, f.Dst, len(b))))
			if c == 0 {
				c = 0xffff
			}
			binary.BigEndian.PutUint16(b[off:], c)
		}
	} else if proto == abi.IPPROTO_ICMP && len(data) >= 8 {
		sk.NS().MIB.Inc(netns.ICMPOutMsgs)
		sk.NS().MIB.ICMPMsg(true, data[0])
	}
	pkt.SetTransportHeader()
	if e := sk.Output(&f, uint8(proto), pkt); e != 0 {
		return 0, e
	}
	return total, 0
}

// sendHdrIncl is raw_send_hdrinc: the user's IPv4 header, completed.
func (r *rawSock) sendHdrIncl(f *inet.Flow, data []byte) (int, errno.Errno) {
	sk := r.sk
	ns := sk.NS()
	if f.Route.Iface == nil {
		return 0, errno.ENETUNREACH
	}
	if mtu := f.Route.Iface.MTU(); len(data) > mtu {
		sk.LocalError(errno.EMSGSIZE, netip.AddrPortFrom(f.Dst, 0), uint32(mtu), nil)
		return 0, errno.EMSGSIZE
	}
	if len(data) < wire.IPv4MinHeaderLen {
		return 0, errno.EINVAL
	}
	pkt := pktbuf.FromBytes(pktbuf.DefaultHeadroom, data)
	h := wire.IPv4(pkt.Bytes())
	hl := h.HeaderLen()
	if hl > len(data) {
		pkt.Release()
		return 0, errno.EINVAL
	}
	if hl >= wire.IPv4MinHeaderLen {
		if h.Src().IsUnspecified() {
			h.SetSrc(f.Src)
		}
		h.SetTotalLen(uint16(len(data)))
		if h.ID() == 0 {
			h.SetID(uint16(ns.Rand()))
		}
		h.UpdateChecksum()
		if h.Protocol() == wire.ProtoICMP && len(data) >= hl+8 {
			ns.MIB.Inc(netns.ICMPOutMsgs)
			ns.MIB.ICMPMsg(true, data[hl])
		}
	}
	pkt.SetNetworkHeader()
	pkt.Protocol = uint16(wire.EtherTypeIPv4)
	ns.MIB.Inc(netns.IPOutRequests)
	ifc := f.Route.Iface
	if ifc.IsLoopback() {
		pkt.ChecksumVerified = true
	}
	if err := ifc.OutputIP(f.Route.NextHop, pkt); err != nil {
		return 0, errno.ENOBUFS
	}
	return len(data), 0
}
