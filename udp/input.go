package udp

import (
	"encoding/binary"
	"net/netip"

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

// handler is UDP's netns.TransportProtocol for both IP versions.
type handler struct{ p *Proto }

// Input is __udp4_lib_rcv / __udp6_lib_rcv.
func (h handler) Input(pkt *pktbuf.Buffer, info *netns.PacketInfo) {
	p := h.p
	v4 := info.Src.Is4()
	mib := mibFor(v4)
	ns := p.ns
	u, err := wire.ParseUDP(pkt.Bytes())
	if err != nil {
		ns.MIB.Inc(mib.inErrors)
		ns.MIB.Drop(netns.DropPktTooSmall)
		pkt.Release()
		return
	}
	pkt.Trim(len(u))
	if !pkt.ChecksumVerified && !u.ValidChecksum(info.Src, info.Dst) {
		ns.MIB.Inc(mib.csum)
		ns.MIB.Inc(mib.inErrors)
		ns.MIB.Drop(netns.DropUDPCsum)
		pkt.Release()
		return
	}
	sport, dport := u.SrcPort(), u.DstPort()
	pkt.Pull(wire.UDPHeaderLen)
	if info.Broadcast || info.Multicast {
		p.deliverMulti(pkt, info, sport, dport)
		return
	}
	ifindex := 0
	if info.Iface != nil {
		ifindex = info.Iface.Index()
	}
	s, steered := p.steerLookup(info.Src, sport, info.Dst, dport, ifindex)
	if s == nil && steered {
		pkt.Release() // intercepted, no transparent socket: TPROXY drops
		return
	}
	if s == nil {
		ns.MIB.Inc(mib.noPorts)
		ns.MIB.Drop(netns.DropNoSocket)
		if v4 {
			if ip := ipv4.Of(ns); ip != nil {
				ip.SendError(pkt, wire.ICMPv4DestUnreach, wire.ICMPv4CodePortUnreach, 0)
			}
		} else if ip := ipv6.Of(ns); ip != nil {
			ip.SendError(pkt, wire.ICMPv6DestUnreach, wire.ICMPv6CodePortUnreach, 0)
		}
		pkt.Release()
		return
	}
	s.enqueue(pkt, info, sport, dport)
}

func wire2(a netip.Addr) netip.Addr { return inet.Wire(a) }

func set(a netip.Addr) bool { return a.IsValid() && !a.IsUnspecified() }

// score is compute_score: -1 when the socket cannot take the packet,
// else higher for more specific matches.
func score(sk *inet.Sock, src netip.Addr, sport uint16, dst netip.Addr, ifindex int) int {
	a := sk.Addrs()
	v4 := src.Is4()
	s := 1
	switch {
	case v4 && !sk.V6:
		s = 2
	case v4 && a.V6Only, !v4 && !sk.V6:
		return -1
	}
	if r := wire2(a.RcvAddr); set(r) {
		if r != dst {
			return -1
		}
		s += 4
	} else if r.IsValid() && r.Is4() != v4 && a.RcvAddr.Is4In6() {
		// Bound to ::ffff:0.0.0.0: IPv4 only.
		if !v4 {
			return -1
		}
	}
	if d := wire2(a.Dst); set(d) {
		if d != src {
			return -1
		}
		s += 4
	}
	if a.DstPort != 0 {
		if a.DstPort != sport {
			return -1
		}
		s += 4
	}
	if a.Dev != 0 {
		if a.Dev != ifindex {
			return -1
		}
		s += 4
	}
	return s
}

// lookup finds the socket for a unicast datagram (__udp4_lib_lookup):
// the best score, newest binding first on ties, with SO_REUSEPORT groups
// resolved by a hash of the 4-tuple.
func (p *Proto) lookup(src netip.Addr, sport uint16, dst netip.Addr, dport uint16, ifindex int) *sock {
	socks := p.table.Socks(dport)
	var best *inet.Sock
	bestScore := -1
	for i := len(socks) - 1; i >= 0; i-- {
		sk := socks[i]
		if sc := score(sk, src, sport, dst, ifindex); sc > bestScore {
			best, bestScore = sk, sc
		}
	}
	if best == nil {
		return nil
	}
	if best.ReusePort() && best.Addrs().DstPort == 0 {
		var group []*inet.Sock
		ba := best.Addrs()
		for _, sk := range socks {
			a := sk.Addrs()
			if sk.ReusePort() && sk.Uid() == best.Uid() && a.RcvAddr == ba.RcvAddr && a.Dev == ba.Dev &&
				a.DstPort == 0 && sk.V6 == best.V6 && score(sk, src, sport, dst, ifindex) == bestScore {
				group = append(group, sk)
			}
		}
		if len(group) > 1 {
			best = group[p.hash(src, sport, dst, dport)%uint64(len(group))]
		}
	}
	s, _ := best.Proto.(*sock)
	return s
}

// hash is the flow hash that picks a member of a reuseport group
// (udp_ehashfn), keyed from the namespace's seed.
func (p *Proto) hash(src netip.Addr, sport uint16, dst netip.Addr, dport uint16) uint64 {
	var b [44]byte
	s, d := src.As16(), dst.As16()
	copy(b[0:], s[:])
	copy(b[16:], d[:])
	binary.BigEndian.PutUint16(b[32:], sport)
	binary.BigEndian.PutUint16(b[34:], dport)
	binary.BigEndian.PutUint64(b[36:], p.key)
	return fnv64(b[:])
}

func fnv64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// deliverMulti is __udp4_lib_mcast_deliver: a copy for every matching
// socket; none is counted IgnoredMulti. It takes pkt.
func (p *Proto) deliverMulti(pkt *pktbuf.Buffer, info *netns.PacketInfo, sport, dport uint16) {
	ifindex := 0
	if info.Iface != nil {
		ifindex = info.Iface.Index()
	}
	var targets []*sock
	for _, sk := range p.table.Socks(dport) {
		if score(sk, info.Src, sport, info.Dst, ifindex) < 0 {
			continue
		}
		if info.Multicast && !sk.MulticastAll() && !sk.Member(info.Dst, ifindex) {
			continue
		}
		if s, ok := sk.Proto.(*sock); ok {
			targets = append(targets, s)
		}
	}
	if len(targets) == 0 {
		p.ns.MIB.Inc(mibFor(info.Src.Is4()).ignoredMulti)
		pkt.Release()
		return
	}
	for i, s := range targets {
		b := pkt
		if i < len(targets)-1 {
			b = pkt.Ref()
		}
		s.enqueue(b, info, sport, dport)
	}
}

// enqueue is __udp_enqueue_schedule_skb: the receive buffer admits a
// datagram while the memory already queued is at most SO_RCVBUF. It
// takes pkt.
func (s *sock) enqueue(pkt *pktbuf.Buffer, info *netns.PacketInfo, sport, dport uint16) {
	sk := s.sk
	v4 := info.Src.Is4()
	hl := 40
	if v4 {
		hl = 20
	}
	truesize := pkt.Len() + wire.UDPHeaderLen + hl + truesizeOverhead
	rcvbuf := sk.S.RcvBuf()
	s.qmu.Lock()
	if s.rmem > rcvbuf {
		s.qmu.Unlock()
		mib := mibFor(v4)
		s.p.ns.MIB.Inc(mib.rcvbuf)
		s.p.ns.MIB.Inc(mib.inErrors)
		s.p.ns.MIB.Drop(netns.DropSocketRcvbuff)
		sk.AddDrop()
		pkt.Release()
		return
	}
	ri := inet.InfoFrom(info)
	ri.DstPort = dport
	s.q = append(s.q, dgram{pkt: pkt, from: netip.AddrPortFrom(info.Src, sport), ri: ri, truesize: truesize})
	s.rmem += truesize
	s.qmu.Unlock()
	sk.S.Wait.Notify(waitq.EventIn | waitq.EventRdNorm)
}

// Recvmsg is udp_recvmsg / udpv6_recvmsg.
func (s *sock) Recvmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	sk := s.sk
	if flags&abi.MSG_ERRQUEUE != 0 {
		return sk.RecvError(m, flags)
	}
	if flags&abi.MSG_OOB != 0 {
		return 0, errno.EOPNOTSUPP
	}
	s.qmu.Lock()
	if e := sk.S.TakeError(); e != 0 {
		s.qmu.Unlock()
		return 0, e
	}
	if len(s.q) == 0 {
		s.qmu.Unlock()
		if sk.S.Shutdown()&socket.RcvShutdown != 0 && flags&abi.MSG_DONTWAIT == 0 {
			return 0, 0
		}
		return 0, errno.EAGAIN
	}
	d := s.q[0]
	peek := flags&abi.MSG_PEEK != 0
	if !peek {
		s.q[0] = dgram{}
		s.q = s.q[1:]
		s.rmem -= d.truesize
	}
	s.qmu.Unlock()
	data := d.pkt.Bytes()
	n := inet.CopyOut(m.Iov, data)
	if n < len(data) {
		m.Flags |= abi.MSG_TRUNC
	}
	v4 := d.from.Addr().Is4()
	if !peek {
		s.p.ns.MIB.Inc(mibFor(v4).in)
	}
	if cap(m.Name) > 0 {
		var b [abi.SizeofSockaddrInet6]byte
		l := inet.PutSockaddr(b[:], sk.V6, sk.ForFamily(d.from.Addr()), d.from.Port(), d.ri.IfIndex)
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

// ControlInput is __udp4_lib_err / __udp6_lib_err: the ICMP error goes to
// the socket that sent the quoted datagram.
func (h handler) ControlInput(ce *netns.ControlError) {
	if len(ce.Quoted) < wire.UDPHeaderLen {
		return
	}
	sport := binary.BigEndian.Uint16(ce.Quoted[0:])
	dport := binary.BigEndian.Uint16(ce.Quoted[2:])
	ifindex := 0
	if ce.Iface != nil {
		ifindex = ce.Iface.Index()
	}
	s := h.p.lookupErr(ce.Dst, dport, ce.Src, sport, ifindex)
	if s == nil {
		h.p.ns.MIB.Inc(mibFor(ce.Version == 4).inErrors)
		return
	}
	e, hard, ok := s.sk.ICMPErrorFor(ce, netip.AddrPortFrom(ce.Dst, dport), ce.Quoted[wire.UDPHeaderLen:])
	if !ok {
		return
	}
	s.sk.ReportError(e, hard)
}

// lookupErr finds the sender of a quoted datagram: the socket a reply
// from its destination would reach, ignoring the device.
func (p *Proto) lookupErr(remote netip.Addr, rport uint16, local netip.Addr, lport uint16, ifindex int) *sock {
	if s := p.lookup(remote, rport, local, lport, ifindex); s != nil {
		return s
	}
	return p.lookup(remote, rport, local, lport, 0)
}
