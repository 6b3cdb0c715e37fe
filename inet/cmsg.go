package inet

import (
	"encoding/binary"
	"net/netip"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
)

// Ancillary data layout on x86-64: a 16-byte struct cmsghdr (u64 length,
// i32 level, i32 type), data aligned to 8 bytes.
const (
	cmsgHdrLen = 16
	cmsgAlign  = 8
)

func cmsgSpace(n int) int { return cmsgHdrLen + (n+cmsgAlign-1)&^(cmsgAlign-1) }

// PutCmsg appends one control message to m.Control as Linux's put_cmsg
// does: what does not fit is cut and MSG_CTRUNC set.
func PutCmsg(m *socket.Msg, level, typ int, data []byte) {
	free := cap(m.Control) - m.ControlLen
	if free < cmsgHdrLen {
		m.Flags |= abi.MSG_CTRUNC
		return
	}
	full := cmsgHdrLen + len(data)
	n := full
	if n > free {
		m.Flags |= abi.MSG_CTRUNC
		n = free
	}
	b := m.Control[:cap(m.Control)][m.ControlLen:]
	var h [cmsgHdrLen]byte
	binary.LittleEndian.PutUint64(h[0:], uint64(n))
	binary.LittleEndian.PutUint32(h[8:], uint32(int32(level)))
	binary.LittleEndian.PutUint32(h[12:], uint32(int32(typ)))
	copy(b, h[:])
	copy(b[cmsgHdrLen:n], data)
	space := min(cmsgSpace(len(data)), free)
	if n < full {
		space = n
	}
	m.ControlLen += space
}

// PutCmsgInt appends an int control message.
func PutCmsgInt(m *socket.Msg, level, typ, v int) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(int32(v)))
	PutCmsg(m, level, typ, b[:])
}

// SendControl are the IP-level ancillary data of a send (ipcm_cookie
// and ipcm6_cookie): -1 or invalid means not given.
type SendControl struct {
	IfIndex  int
	Src      netip.Addr
	TTL      int
	TOS      int
	HopLimit int
	TClass   int
	DontFrag int
}

type cmsgIter struct {
	b   []byte
	off int
}

// next returns the next control message: level, type, data, or an
// error for a malformed header (CMSG_OK).
func (it *cmsgIter) next() (level, typ int, data []byte, ok bool, e errno.Errno) {
	if it.off+cmsgHdrLen > len(it.b) {
		return 0, 0, nil, false, 0
	}
	h := it.b[it.off:]
	n := int(binary.LittleEndian.Uint64(h))
	if n < cmsgHdrLen || it.off+n > len(it.b) {
		return 0, 0, nil, false, errno.EINVAL
	}
	level = int(int32(binary.LittleEndian.Uint32(h[8:])))
	typ = int(int32(binary.LittleEndian.Uint32(h[12:])))
	data = h[cmsgHdrLen:n]
	it.off += (n + cmsgAlign - 1) &^ (cmsgAlign - 1)
	return level, typ, data, true, 0
}

// ParseSendControl reads the ancillary data of a send as ip_cmsg_send
// (v6 false) or ip6_datagram_send_ctl do: SOL_SOCKET messages are
// checked (SO_MARK, SO_PRIORITY, timestamping and txtime accepted),
// messages of the other IP level ignored, unknown types EINVAL.
func (sk *Sock) ParseSendControl(control []byte, v6 bool) (SendControl, errno.Errno) {
	c := SendControl{IfIndex: 0, TTL: -1, TOS: -1, HopLimit: -2, TClass: -2, DontFrag: -1}
	it := cmsgIter{b: control}
	for {
		level, typ, data, ok, e := it.next()
		if e != 0 {
			return c, e
		}
		if !ok {
			return c, 0
		}
		if level == abi.SOL_SOCKET {
			switch typ {
			case abi.SO_MARK, abi.SO_PRIORITY:
				if len(data) != 4 {
					return c, errno.EINVAL
				}
				if typ == abi.SO_MARK && !sk.S.Creds.Has(socket.CapNetAdmin) && !sk.S.Creds.Has(socket.CapNetRaw) {
					return c, errno.EPERM
				}
			case abi.SO_TIMESTAMPING_OLD, abi.SO_TIMESTAMPING_NEW, abi.SCM_TXTIME,
				abi.SCM_RIGHTS, abi.SCM_CREDENTIALS: // AF_UNIX's, skipped
			default:
				return c, errno.EINVAL
			}
			continue
		}
		if !v6 {
			if level != abi.SOL_IP {
				continue
			}
			switch typ {
			case abi.IP_PKTINFO:
				if len(data) != 12 {
					return c, errno.EINVAL
				}
				c.IfIndex = int(int32(binary.LittleEndian.Uint32(data)))
				c.Src = netip.AddrFrom4([4]byte(data[4:8]))
			case abi.IP_TTL:
				if len(data) != 4 {
					return c, errno.EINVAL
				}
				v := int(int32(binary.LittleEndian.Uint32(data)))
				if v < 1 || v > 255 {
					return c, errno.EINVAL
				}
				c.TTL = v
			case abi.IP_TOS:
				var v int
				switch len(data) {
				case 4:
					v = int(int32(binary.LittleEndian.Uint32(data)))
				case 1:
					v = int(data[0])
				default:
					return c, errno.EINVAL
				}
				if v < 0 || v > 255 {
					return c, errno.EINVAL
				}
				c.TOS = v
			case abi.IP_RETOPTS:
				if len(data) > 40 {
					return c, errno.EINVAL
				}
			default:
				return c, errno.EINVAL
			}
			continue
		}
		if level != abi.SOL_IPV6 {
			continue
		}
		switch typ {
		case abi.IPV6_PKTINFO, abi.IPV6_2292PKTINFO:
			if len(data) < 20 {
				return c, errno.EINVAL
			}
			idx := int(int32(binary.LittleEndian.Uint32(data[16:])))
			if idx != 0 {
				if d := sk.Addrs().Dev; d != 0 && d != idx {
					return c, errno.EINVAL
				}
				if sk.NS().Interface(idx) == nil {
					return c, errno.ENODEV
				}
				c.IfIndex = idx
			}
			src := netip.AddrFrom16([16]byte(data[:16]))
			if !src.IsUnspecified() {
				if !sk.canNonlocal(true) && !IsLocal6(sk.NS(), src, devIfScoped(src, idx)) {
					return c, errno.EINVAL
				}
				c.Src = src
			}
		case abi.IPV6_HOPLIMIT, abi.IPV6_2292HOPLIMIT:
			if len(data) != 4 {
				return c, errno.EINVAL
			}
			v := int(int32(binary.LittleEndian.Uint32(data)))
			if v < -1 || v > 255 {
				return c, errno.EINVAL
			}
			c.HopLimit = v
		case abi.IPV6_TCLASS:
			if len(data) != 4 {
				return c, errno.EINVAL
			}
			v := int(int32(binary.LittleEndian.Uint32(data)))
			if v < -1 || v > 255 {
				return c, errno.EINVAL
			}
			c.TClass = v
		case abi.IPV6_DONTFRAG:
			if len(data) != 4 {
				return c, errno.EINVAL
			}
			c.DontFrag = b2i(binary.LittleEndian.Uint32(data) != 0)
		default:
			return c, errno.EINVAL
		}
	}
}

// RecvInfo is what a received datagram carries for the IP-level
// ancillary data of a receive.
type RecvInfo struct {
	Src, Dst netip.Addr // wire addresses
	IfIndex  int
	TTL, TOS uint8
	// SpecDst is the local address a reply would come from
	// (ipi_spec_dst).
	SpecDst netip.Addr
	// DstPort is the datagram's destination port, which IP_ORIGDSTADDR
	// reports with Dst (a transparent socket's original destination).
	DstPort uint16
}

// InfoFrom fills a RecvInfo from the network layer's PacketInfo.
func InfoFrom(info *netns.PacketInfo) RecvInfo {
	r := RecvInfo{Src: info.Src, Dst: info.Dst, TTL: info.TTL, TOS: info.TOS, SpecDst: info.Dst}
	if info.Iface != nil {
		r.IfIndex = info.Iface.Index()
		if info.Broadcast || info.Multicast {
			r.SpecDst = info.Iface.Namespace().SelectSource(info.Iface, info.Src, netns.ScopeUniverse)
		}
	}
	return r
}

// PutRecvControl appends the IP-level control messages the socket asked
// for (ip_cmsg_recv_offset, ip6_datagram_recv_ctl) in Linux's order.
func (sk *Sock) PutRecvControl(m *socket.Msg, ri *RecvInfo) {
	sk.Mu.Lock()
	f, f6 := sk.opts.flags, sk.opts.flags6
	pkt, ttl, tos := f[abi.IP_PKTINFO], f[abi.IP_RECVTTL], f[abi.IP_RECVTOS]
	pkt6, hop6, tc6 := f6[abi.IPV6_RECVPKTINFO], f6[abi.IPV6_RECVHOPLIMIT], f6[abi.IPV6_RECVTCLASS]
	orig := f[abi.IP_RECVORIGDSTADDR]
	orig6 := f6[abi.IPV6_RECVORIGDSTADDR]
	sk.Mu.Unlock()
	if ri.Src.Is4() {
		if pkt {
			var b [12]byte
			binary.LittleEndian.PutUint32(b[:], uint32(ri.IfIndex))
			sd, d := ri.SpecDst.Unmap().As4(), ri.Dst.As4()
			copy(b[4:], sd[:])
			copy(b[8:], d[:])
			PutCmsg(m, abi.SOL_IP, abi.IP_PKTINFO, b[:])
		}
		if ttl {
			PutCmsgInt(m, abi.SOL_IP, abi.IP_TTL, int(ri.TTL))
		}
		if tos {
			PutCmsg(m, abi.SOL_IP, abi.IP_TOS, []byte{ri.TOS})
		}
		if orig {
			var b [16]byte
			PutSockaddr(b[:], false, ri.Dst, ri.DstPort, 0)
			PutCmsg(m, abi.SOL_IP, abi.IP_ORIGDSTADDR, b[:])
		}
		if sk.V6 && pkt6 {
			var b [20]byte
			d := netip.AddrFrom16(ri.Dst.As16()).As16()
			copy(b[:], d[:])
			binary.LittleEndian.PutUint32(b[16:], uint32(ri.IfIndex))
			PutCmsg(m, abi.SOL_IPV6, abi.IPV6_PKTINFO, b[:])
		}
		return
	}
	if pkt6 {
		var b [20]byte
		d := ri.Dst.As16()
		copy(b[:], d[:])
		binary.LittleEndian.PutUint32(b[16:], uint32(ri.IfIndex))
		PutCmsg(m, abi.SOL_IPV6, abi.IPV6_PKTINFO, b[:])
	}
	if hop6 {
		PutCmsgInt(m, abi.SOL_IPV6, abi.IPV6_HOPLIMIT, int(ri.TTL))
	}
	if tc6 {
		PutCmsgInt(m, abi.SOL_IPV6, abi.IPV6_TCLASS, int(ri.TOS))
	}
	if orig6 {
		var b [abi.SizeofSockaddrInet6]byte
		PutSockaddr(b[:], true, ri.Dst, ri.DstPort, 0)
		PutCmsg(m, abi.SOL_IPV6, abi.IPV6_ORIGDSTADDR, b[:])
	}
}
