package packet

import (
	"encoding/binary"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/wire"
)

// Sendmsg is packet_snd (packet_sendmsg_spkt for SOCK_PACKET).
//
// With a destination, the sockaddr_ll must be 20 bytes and hold its
// sll_halen address bytes (EINVAL); the interface is sll_ifindex and the
// protocol sll_protocol, whatever the socket is bound to. Without one,
// the bound interface and protocol are used. No interface is ENXIO, one
// that is down ENETDOWN. A SOCK_RAW frame must hold the link header
// (EINVAL) and fit the MTU plus that header (EMSGSIZE, with 4 bytes more
// for an 802.1Q frame on Ethernet); a SOCK_DGRAM payload gets an Ethernet
// header to sll_addr, which an Ethernet device other than lo cannot do
// without a destination (EINVAL).
func (s *sock) Sendmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	if s.typ == abi.SOCK_PACKET {
		return s.sendSpkt(m)
	}
	var (
		ifc   *netns.Interface
		proto uint16
		addr  []byte
	)
	if m.Name != nil {
		name := m.Name
		if len(name) < abi.SizeofSockaddrLL || len(name) < llAddrOff+int(name[11]) {
			return 0, errno.EINVAL
		}
		proto = binary.BigEndian.Uint16(name[2:])
		if idx := int(int32(binary.LittleEndian.Uint32(name[4:]))); idx > 0 {
			ifc = s.t.ns.Interface(idx)
		}
		if s.typ == abi.SOCK_DGRAM {
			if ifc != nil && len(name) < llAddrOff+addrLen(ifc) {
				return 0, errno.EINVAL
			}
			addr = name[llAddrOff:]
		}
	} else {
		s.mu.Lock()
		s.checkGoneLocked()
		ifc, proto = s.dev, s.num
		s.mu.Unlock()
	}
	if ifc == nil {
		return 0, errno.ENXIO
	}
	if !ifc.IsUp() {
		return 0, errno.ENETDOWN
	}
	mark := s.sk.Mark()
	if len(m.Control) > 0 {
		if e := s.cmsgSend(m.Control, &mark); e != 0 {
			return 0, e
		}
	}
	reserve := 0
	if s.typ == abi.SOCK_RAW {
		reserve = hardHeaderLen(ifc)
	}
	if s.sk.Flag(abi.SO_NOFCS) {
		return 0, errno.EPROTONOSUPPORT // no gosock device sends without FCS
	}
	n := m.Len()
	if n > ifc.MTU()+reserve+vlanHLen {
		return 0, errno.EMSGSIZE
	}
	ether := ifc.Device().Type() == link.TypeEthernet
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, n)
	gather(pkt.Bytes(), m.Iov)
	if s.typ == abi.SOCK_DGRAM {
		pkt.SetNetworkHeader()
		if ether {
			// dev_hard_header: eth_header.
			var dst wire.MAC
			switch {
			case addr != nil:
				copy(dst[:], addr)
			case ifc.Flags()&(link.FlagLoopback|link.FlagNoARP) == 0:
				pkt.Release()
				return 0, errno.EINVAL
			}
			typ := proto
			if typ == ETH_P_802_3 || typ == ETH_P_802_2 {
				typ = uint16(n) // an 802.3 length field
			}
			h := wire.Ethernet(pkt.Push(wire.EthernetHeaderLen))
			f := wire.EthernetFields{Dst: dst, Src: ifc.Device().HardwareAddr(), Type: wire.EtherType(typ)}
			f.Encode(h)
		}
		pkt.SetLinkHeader()
	} else {
		// dev_validate_header: min_header_len is the whole header.
		if n < reserve {
			pkt.Release()
			return 0, errno.EINVAL
		}
		pkt.SetLinkHeader()
		if reserve > 0 {
			pkt.Pull(reserve)
			pkt.SetNetworkHeader()
			pkt.Push(reserve)
		} else {
			pkt.SetNetworkHeader()
		}
	}
	if n > ifc.MTU()+reserve && !(ifc.Device().Type() == link.TypeEthernet && !ifc.IsLoopback() &&
		binary.BigEndian.Uint16(pkt.Bytes()[12:]) == ETH_P_8021Q) {
		pkt.Release()
		return 0, errno.EMSGSIZE
	}
	if s.typ == abi.SOCK_RAW && (proto == 0 || proto == ETH_P_ALL) {
		// packet_parse_headers: the header says what it carries.
		proto = 0
		if ether {
			proto = binary.BigEndian.Uint16(pkt.Bytes()[12:])
		}
	}
	pkt.Protocol = proto
	pkt.Mark = mark
	if e := s.transmit(ifc, pkt); e == errno.ENOBUFS {
		return 0, e
	}
	return n, 0
}

// transmit hands pkt to the interface, marked as this socket's for the
// tap, and returns the device's error.
func (s *sock) transmit(ifc *netns.Interface, pkt *pktbuf.Buffer) errno.Errno {
	pkt.Ref()
	s.startSending(pkt)
	err := ifc.TransmitFrame(pkt)
	s.doneSending(pkt)
	pkt.Release()
	e, _ := errno.Of(err)
	return e
}

// sendSpkt is packet_sendmsg_spkt: the destination, required (ENOTCONN),
// is a struct sockaddr naming the device, or a sockaddr_pkt adding the
// protocol.
func (s *sock) sendSpkt(m *socket.Msg) (int, errno.Errno) {
	if m.Name == nil {
		return 0, errno.ENOTCONN
	}
	if len(m.Name) < sizeofSockaddr {
		return 0, errno.EINVAL
	}
	var proto uint16
	if len(m.Name) == SizeofSockaddrPkt {
		proto = binary.BigEndian.Uint16(m.Name[16:])
	}
	ifc := s.t.ns.InterfaceByName(cString(m.Name[2:15])) // spkt_device[13] = 0
	if ifc == nil {
		return 0, errno.ENODEV
	}
	if !ifc.IsUp() {
		return 0, errno.ENETDOWN
	}
	if s.sk.Flag(abi.SO_NOFCS) {
		return 0, errno.EPROTONOSUPPORT
	}
	hh := hardHeaderLen(ifc)
	n := m.Len()
	if n > ifc.MTU()+hh+vlanHLen {
		return 0, errno.EMSGSIZE
	}
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, n)
	gather(pkt.Bytes(), m.Iov)
	if n < hh {
		pkt.Release()
		return 0, errno.EINVAL
	}
	if n > ifc.MTU()+hh && !(ifc.Device().Type() == link.TypeEthernet && !ifc.IsLoopback() &&
		binary.BigEndian.Uint16(pkt.Bytes()[12:]) == ETH_P_8021Q) {
		pkt.Release()
		return 0, errno.EMSGSIZE
	}
	mark := s.sk.Mark()
	if len(m.Control) > 0 {
		if e := s.cmsgSend(m.Control, &mark); e != 0 {
			pkt.Release()
			return 0, e
		}
	}
	pkt.SetLinkHeader()
	pkt.Protocol = proto
	pkt.Mark = mark
	s.transmit(ifc, pkt) // dev_queue_xmit's result is not looked at
	return n, 0
}

// gather copies the iovecs into b.
func gather(b []byte, iov [][]byte) {
	off := 0
	for _, v := range iov {
		off += copy(b[off:], v)
	}
}

// SOF_TIMESTAMPING_TX_RECORD_MASK: the flags an SO_TIMESTAMPING cmsg may
// carry.
const tsTxRecordMask = 0x1 | 0x2 | 0x100 | 0x200 | 0x40000

// cmsgSend is sock_cmsg_send: every control message must be well formed
// (EINVAL); SOL_SOCKET ones are checked as __sock_cmsg_send does and
// SO_MARK sets the frame's mark; other levels are ignored.
func (s *sock) cmsgSend(ctl []byte, mark *uint32) errno.Errno {
	for off := 0; off+cmsgHdrLen <= len(ctl); {
		clen := binary.LittleEndian.Uint64(ctl[off:])
		if clen < cmsgHdrLen || clen > uint64(len(ctl)-off) {
			return errno.EINVAL
		}
		level := int32(binary.LittleEndian.Uint32(ctl[off+8:]))
		typ := int32(binary.LittleEndian.Uint32(ctl[off+12:]))
		data := ctl[off+cmsgHdrLen : off+int(clen)]
		if level == abi.SOL_SOCKET {
			if e := s.sockCmsg(int(typ), data, mark); e != 0 {
				return e
			}
		}
		off += int((clen + cmsgAlign - 1) &^ (cmsgAlign - 1))
	}
	return 0
}

func (s *sock) sockCmsg(typ int, data []byte, mark *uint32) errno.Errno {
	creds := s.sk.Creds
	privileged := creds.Has(socket.CapNetRaw) || creds.Has(socket.CapNetAdmin)
	switch typ {
	case abi.SO_MARK:
		if !privileged {
			return errno.EPERM
		}
		if len(data) != 4 {
			return errno.EINVAL
		}
		*mark = binary.LittleEndian.Uint32(data)
	case abi.SO_TIMESTAMPING_OLD, abi.SO_TIMESTAMPING_NEW:
		if len(data) != 4 || binary.LittleEndian.Uint32(data)&^tsTxRecordMask != 0 {
			return errno.EINVAL
		}
	case abi.SO_PRIORITY:
		if len(data) != 4 {
			return errno.EINVAL
		}
		if p := binary.LittleEndian.Uint32(data); p > 6 && !privileged {
			return errno.EPERM
		}
	case scmRights, scmCredentials:
		// Semantically SOL_UNIX: ignored here.
	default:
		// Includes SCM_TXTIME, which needs SO_TXTIME recorded on the
		// socket; the generic layer does not record it.
		return errno.EINVAL
	}
	return 0
}

const (
	scmRights      = 1
	scmCredentials = 2
)
