package packet

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
)

// SetSockopt is packet_setsockopt. Levels other than SOL_PACKET are
// ENOPROTOOPT; SOCK_PACKET sockets have no setsockopt at all
// (EOPNOTSUPP), which the generic layer's SOL_SOCKET handling never sees.
func (s *sock) SetSockopt(level, name int, val []byte) errno.Errno {
	if s.typ == abi.SOCK_PACKET {
		if level == abi.SOL_SOCKET {
			return errno.ENOPROTOOPT
		}
		return errno.EOPNOTSUPP
	}
	if level != abi.SOL_PACKET {
		return errno.ENOPROTOOPT
	}
	// Options read as an int: exact says optlen must be 4, else at least 4.
	intVal := func(exact bool) (int, errno.Errno) {
		if (exact && len(val) != 4) || len(val) < 4 {
			return 0, errno.EINVAL
		}
		return int(int32(binary.LittleEndian.Uint32(val))), 0
	}
	switch name {
	case abi.PACKET_ADD_MEMBERSHIP, abi.PACKET_DROP_MEMBERSHIP:
		if len(val) < SizeofPacketMreq {
			return errno.EINVAL
		}
		n := min(len(val), sizeofPacketMreqMax)
		mr := mcEntry{
			ifindex: int(int32(binary.LittleEndian.Uint32(val))),
			typ:     binary.LittleEndian.Uint16(val[4:]),
			alen:    binary.LittleEndian.Uint16(val[6:]),
		}
		copy(mr.addr[:], val[8:n])
		if n < int(mr.alen)+8 {
			return errno.EINVAL
		}
		clear(mr.addr[mr.alen:])
		if name == abi.PACKET_ADD_MEMBERSHIP {
			return s.mcAdd(&mr)
		}
		return s.mcDrop(&mr)
	case abi.PACKET_RX_RING, abi.PACKET_TX_RING:
		s.mu.Lock()
		v := s.opts.version
		s.mu.Unlock()
		need := 16 // struct tpacket_req
		if v == TPACKET_V3 {
			need = 28 // struct tpacket_req3
		}
		if len(val) < need {
			return errno.EINVAL
		}
		blocks := binary.LittleEndian.Uint32(val[4:])
		frames := binary.LittleEndian.Uint32(val[12:])
		switch {
		case blocks == 0 && frames != 0:
			return errno.EINVAL
		case blocks == 0:
			return 0 // releasing a ring there is none of
		}
		return errno.EOPNOTSUPP // gosock has no mmap
	case abi.PACKET_COPY_THRESH:
		v, e := intVal(true)
		if e != 0 {
			return e
		}
		s.setOpt(func(o *options) { o.copyThresh = v })
	case abi.PACKET_VERSION:
		v, e := intVal(true)
		if e != 0 {
			return e
		}
		if v != TPACKET_V1 && v != TPACKET_V2 && v != TPACKET_V3 {
			return errno.EINVAL
		}
		s.setOpt(func(o *options) { o.version = v })
	case abi.PACKET_RESERVE:
		if len(val) != 4 {
			return errno.EINVAL
		}
		v := binary.LittleEndian.Uint32(val)
		if v > math.MaxInt32 {
			return errno.EINVAL
		}
		s.setOpt(func(o *options) { o.reserve = v })
	case abi.PACKET_LOSS:
		v, e := intVal(true)
		if e != 0 {
			return e
		}
		s.setOpt(func(o *options) { o.loss = v != 0 })
	case abi.PACKET_AUXDATA:
		v, e := intVal(false)
		if e != 0 {
			return e
		}
		s.auxdata.Store(v != 0)
	case abi.PACKET_ORIGDEV:
		v, e := intVal(false)
		if e != 0 {
			return e
		}
		s.setOpt(func(o *options) { o.origdev = v != 0 })
	case abi.PACKET_VNET_HDR, abi.PACKET_VNET_HDR_SZ:
		if s.typ != abi.SOCK_RAW {
			return errno.EINVAL
		}
		v, e := intVal(false)
		if e != 0 {
			return e
		}
		if name == abi.PACKET_VNET_HDR_SZ && v != 0 && v != 10 && v != 12 {
			return errno.EINVAL
		}
		if v != 0 {
			return errno.EOPNOTSUPP // no virtio-net header support
		}
	case abi.PACKET_TIMESTAMP:
		v, e := intVal(true)
		if e != 0 {
			return e
		}
		s.setOpt(func(o *options) { o.tstamp = v })
	case abi.PACKET_FANOUT:
		if len(val) != 4 && len(val) != 8 {
			return errno.EINVAL
		}
		return errno.EOPNOTSUPP // no fanout groups
	case abi.PACKET_FANOUT_DATA:
		return errno.EINVAL // not in a fanout group
	case abi.PACKET_IGNORE_OUTGOING:
		v, e := intVal(true)
		if e != 0 {
			return e
		}
		if v < 0 || v > 1 {
			return errno.EINVAL
		}
		s.ignoreOutgoing.Store(v == 1)
	case abi.PACKET_TX_HAS_OFF:
		v, e := intVal(true)
		if e != 0 {
			return e
		}
		s.setOpt(func(o *options) { o.txHasOff = v != 0 })
	case abi.PACKET_QDISC_BYPASS:
		v, e := intVal(true)
		if e != 0 {
			return e
		}
		s.setOpt(func(o *options) { o.qdiscBypass = v != 0 })
	default:
		return errno.ENOPROTOOPT
	}
	return 0
}

func (s *sock) setOpt(f func(*options)) {
	s.mu.Lock()
	f(&s.opts)
	s.mu.Unlock()
}

// GetSockopt is packet_getsockopt: it copies min(optlen, the value's
// size) bytes. PACKET_STATISTICS reports and resets the counters, the
// packets including the drops.
func (s *sock) GetSockopt(level, name int, buf []byte) (int, errno.Errno) {
	if s.typ == abi.SOCK_PACKET {
		if level == abi.SOL_SOCKET {
			return 0, errno.ENOPROTOOPT
		}
		return 0, errno.EOPNOTSUPP
	}
	if level != abi.SOL_PACKET {
		return 0, errno.ENOPROTOOPT
	}
	s.mu.Lock()
	o := s.opts
	s.mu.Unlock()
	var b [SizeofTpacketStatsV3]byte
	lv := 4
	val := 0
	switch name {
	case abi.PACKET_STATISTICS:
		s.qmu.Lock()
		packets := s.packets
		s.packets = 0
		s.qmu.Unlock()
		drops := s.drops.Swap(0)
		binary.LittleEndian.PutUint32(b[0:], packets+drops)
		binary.LittleEndian.PutUint32(b[4:], drops)
		lv = SizeofTpacketStats
		if o.version == TPACKET_V3 {
			lv = SizeofTpacketStatsV3 // tp_freeze_q_cnt is 0 without a ring
		}
		n := min(len(buf), lv)
		return copy(buf, b[:n]), 0
	case abi.PACKET_AUXDATA:
		val = b2i(s.auxdata.Load())
	case abi.PACKET_ORIGDEV:
		val = b2i(o.origdev)
	case abi.PACKET_VNET_HDR, abi.PACKET_VNET_HDR_SZ:
		val = 0
	case abi.PACKET_VERSION:
		val = o.version
	case abi.PACKET_HDRLEN:
		if len(buf) < 4 {
			return 0, errno.EINVAL
		}
		switch binary.LittleEndian.Uint32(buf) {
		case TPACKET_V1:
			val = 32 // sizeof(struct tpacket_hdr)
		case TPACKET_V2:
			val = 32 // sizeof(struct tpacket2_hdr)
		case TPACKET_V3:
			val = 48 // sizeof(struct tpacket3_hdr)
		default:
			return 0, errno.EINVAL
		}
	case abi.PACKET_RESERVE:
		val = int(o.reserve)
	case abi.PACKET_LOSS:
		val = b2i(o.loss)
	case abi.PACKET_TIMESTAMP:
		val = o.tstamp
	case abi.PACKET_FANOUT:
		val = 0
	case abi.PACKET_IGNORE_OUTGOING:
		val = b2i(s.ignoreOutgoing.Load())
	case abi.PACKET_ROLLOVER_STATS:
		return 0, errno.EINVAL
	case abi.PACKET_TX_HAS_OFF:
		val = b2i(o.txHasOff)
	case abi.PACKET_QDISC_BYPASS:
		val = b2i(o.qdiscBypass)
	default:
		return 0, errno.ENOPROTOOPT
	}
	binary.LittleEndian.PutUint32(b[:], uint32(int32(val)))
	n := min(len(buf), lv)
	return copy(buf, b[:n]), 0
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// mcAdd is packet_mc_add: the device must exist (ENODEV) and have an
// address at least mr_alen long (EINVAL); a membership already held is
// counted again.
func (s *sock) mcAdd(mr *mcEntry) errno.Errno {
	ifc := s.t.ns.Interface(mr.ifindex)
	if ifc == nil {
		return errno.ENODEV
	}
	if int(mr.alen) > addrLen(ifc) {
		return errno.EINVAL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.mclist {
		if m.same(mr) {
			m.count++
			return 0
		}
	}
	m := *mr
	m.count = 1
	if e := s.t.devMc(ifc.Index(), addrLen(ifc), &m, 1); e != 0 {
		return e
	}
	s.mclist = append(s.mclist, &m)
	return 0
}

// mcDrop is packet_mc_drop: it always succeeds.
func (s *sock) mcDrop(mr *mcEntry) errno.Errno {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, m := range s.mclist {
		if !m.same(mr) {
			continue
		}
		if m.count--; m.count == 0 {
			s.mclist = slices.Delete(s.mclist, i, i+1)
			s.t.devMc(m.ifindex, 0, m, -1)
		}
		break
	}
	return 0
}

func (m *mcEntry) same(o *mcEntry) bool {
	return m.ifindex == o.ifindex && m.typ == o.typ && m.alen == o.alen && m.addr == o.addr
}
