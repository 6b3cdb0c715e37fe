package udp

import (
	"net/netip"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/inet"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/wire"
)

// destination parses msg_name as udp_sendmsg and udpv6_sendmsg do, or
// takes the connected peer: a wire address and port, and the scope id.
func (s *sock) destination(name []byte) (netip.Addr, uint16, uint32, errno.Errno) {
	sk := s.sk
	if name != nil {
		fam := abi.Family(name)
		if sk.V6 && fam != abi.AF_INET {
			if len(name) < 2 {
				return netip.Addr{}, 0, 0, errno.EINVAL
			}
			switch fam {
			case abi.AF_INET6:
				if len(name) < 24 {
					return netip.Addr{}, 0, 0, errno.EINVAL
				}
				ap, scope := inet.Sockaddr6(name)
				d := ap.Addr()
				if d.Is4In6() {
					if sk.Addrs().V6Only {
						return netip.Addr{}, 0, 0, errno.ENETUNREACH
					}
					d = d.Unmap()
				} else if d.IsUnspecified() && sk.Addrs().Src.Is4In6() {
					d = netip.AddrFrom4([4]byte{127, 0, 0, 1})
				}
				if ap.Port() == 0 {
					return netip.Addr{}, 0, 0, errno.EINVAL
				}
				return d, ap.Port(), scope, 0
			case abi.AF_UNSPEC:
				return s.connected()
			default:
				return netip.Addr{}, 0, 0, errno.EINVAL
			}
		}
		if sk.V6 && sk.Addrs().V6Only {
			return netip.Addr{}, 0, 0, errno.ENETUNREACH
		}
		if len(name) < abi.SizeofSockaddrInet4 {
			return netip.Addr{}, 0, 0, errno.EINVAL
		}
		if fam != abi.AF_INET && fam != abi.AF_UNSPEC {
			return netip.Addr{}, 0, 0, errno.EAFNOSUPPORT
		}
		ap := inet.Sockaddr4(name)
		if ap.Port() == 0 {
			return netip.Addr{}, 0, 0, errno.EINVAL
		}
		return ap.Addr(), ap.Port(), 0, 0
	}
	return s.connected()
}

func (s *sock) connected() (netip.Addr, uint16, uint32, errno.Errno) {
	if s.sk.State() != inet.StateEstablished {
		return netip.Addr{}, 0, 0, errno.EDESTADDRREQ
	}
	a := s.sk.Addrs()
	return inet.Wire(a.Dst), a.DstPort, 0, 0
}

// Sendmsg is udp_sendmsg / udpv6_sendmsg.
func (s *sock) Sendmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	sk := s.sk
	total := m.Len()
	if total > 0xffff {
		return 0, errno.EMSGSIZE
	}
	if flags&abi.MSG_OOB != 0 {
		return 0, errno.EOPNOTSUPP
	}
	sk.Mu.Lock()
	defer sk.Mu.Unlock()
	corkreq := s.corked || flags&abi.MSG_MORE != 0
	if s.pending != nil {
		// Appending to corked data: the destination is already chosen.
		limit := MaxPayload4
		if s.pending.flow.V6 {
			limit = MaxPayload6
		}
		if len(s.pending.data)+total > limit {
			s.localError(&s.pending.flow, s.pending.dport, errno.EMSGSIZE, 0xffff, nil)
			return 0, errno.EMSGSIZE
		}
		s.pending.data = gather(s.pending.data, m.Iov)
		if !corkreq {
			if e := s.pushPending(); e != 0 {
				return 0, e
			}
		}
		return total, 0
	}
	dst, dport, scope, e := s.destination(m.Name)
	if e != 0 {
		return 0, e
	}
	ctl, e := sk.ParseSendControl(m.Control, dst.Is6())
	if e != 0 {
		return 0, e
	}
	limit := MaxPayload4
	if dst.Is6() {
		limit = MaxPayload6
	}
	f, e := sk.RouteOutput(dst, scope, &ctl)
	if e != 0 {
		return 0, e
	}
	if total > limit {
		s.localError(&f, dport, errno.EMSGSIZE, 0xffff, nil)
		return 0, errno.EMSGSIZE
	}
	if f.DF && s.segment == 0 && f.HeaderLen()+wire.UDPHeaderLen+total > f.MTU {
		s.localError(&f, dport, errno.EMSGSIZE, uint32(f.MTU), nil)
		return 0, errno.EMSGSIZE
	}
	if e := sk.S.TakeError(); e != 0 {
		return 0, e
	}
	if sk.S.Shutdown()&socket.SendShutdown != 0 {
		return 0, errno.EPIPE
	}
	if corkreq {
		s.pending = &pending{flow: f, dport: dport, data: gather(nil, m.Iov)}
		return total, 0
	}
	payload := gather(nil, m.Iov)
	if e := s.send(&f, dport, payload); e != 0 {
		return 0, e
	}
	return total, 0
}

func gather(dst []byte, iov [][]byte) []byte {
	for _, b := range iov {
		dst = append(dst, b...)
	}
	return dst
}

// pushPending sends the corked datagram (udp_push_pending_frames).
// Called with sk.Mu held.
func (s *sock) pushPending() errno.Errno {
	pd := s.pending
	if pd == nil {
		return 0
	}
	s.pending = nil
	return s.send(&pd.flow, pd.dport, pd.data)
}

// localError is ip_local_error / ipv6_local_error for the flow.
func (s *sock) localError(f *inet.Flow, dport uint16, en errno.Errno, info uint32, payload []byte) {
	s.sk.LocalError(en, netip.AddrPortFrom(f.Dst, dport), info, payload)
}

// send builds and sends one datagram (udp_send_skb), or several with
// UDP_SEGMENT.
func (s *sock) send(f *inet.Flow, dport uint16, payload []byte) errno.Errno {
	if seg := s.segment; seg > 0 && len(payload) > seg {
		for len(payload) > 0 {
			n := min(seg, len(payload))
			if e := s.sendOne(f, dport, payload[:n]); e != 0 {
				return e
			}
			payload = payload[n:]
		}
		return 0
	}
	return s.sendOne(f, dport, payload)
}

func (s *sock) sendOne(f *inet.Flow, dport uint16, payload []byte) errno.Errno {
	sk := s.sk
	ns := sk.NS()
	mib := mibFor(!f.V6)
	sport := sk.Addrs().Port
	n := wire.UDPHeaderLen + len(payload)
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, n)
	b := pkt.Bytes()
	copy(b[wire.UDPHeaderLen:], payload)
	u := wire.UDP(b)
	hf := wire.UDPFields{SrcPort: sport, DstPort: dport, Length: uint16(n)}
	hf.Encode(u)
	noCheck := sk.S.Flag(abi.SO_NO_CHECK) && !f.V6 || s.noCheck6Tx && f.V6
	if !noCheck {
		u.SetChecksum(u.ComputeChecksum(f.Src, f.Dst))
	}
	pkt.SetTransportHeader()
	var loop *pktbuf.Buffer
	if s.loopsBack(f) {
		loop = pktbuf.FromBytes(pktbuf.DefaultHeadroom, payload)
	}
	if e := sk.Output(f, wire.ProtoUDP, pkt); e != 0 {
		if e == errno.ENOBUFS {
			ns.MIB.Inc(mib.sndbuf)
		}
		if e == errno.EMSGSIZE {
			s.localError(f, dport, e, uint32(f.Route.MTU), nil)
		}
		if loop != nil {
			loop.Release()
		}
		return e
	}
	ns.MIB.Inc(mib.out)
	if loop != nil {
		info := &netns.PacketInfo{Src: f.Src, Dst: f.Dst, Iface: f.Route.Iface, TTL: f.TTL, TOS: f.TOS,
			Broadcast: f.Broadcast, Multicast: f.Multicast}
		s.p.deliverMulti(loop, info, sport, dport)
	}
	return 0
}

// loopsBack reports whether a copy of the datagram is delivered to local
// sockets: broadcasts always, multicast with IP_MULTICAST_LOOP when the
// outgoing interface is a member (ip_mc_output, ip6_finish_output2).
func (s *sock) loopsBack(f *inet.Flow) bool {
	ifc := f.Route.Iface
	if ifc == nil || ifc.IsLoopback() {
		return false
	}
	if f.Broadcast {
		return true
	}
	return f.Multicast && s.sk.MulticastLoop(f.V6) && ifc.InGroup(f.Dst)
}
