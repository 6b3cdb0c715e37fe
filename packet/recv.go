package packet

import (
	"encoding/binary"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/socket"
)

// rxEntry is one queued frame: a reference to the buffer that holds it,
// the part this socket reads, and what packet_rcv put in skb->cb.
type rxEntry struct {
	buf       *pktbuf.Buffer
	data      []byte
	truesize  int
	proto     uint16
	ifindex   int32
	hatype    uint16
	pkttype   uint8
	halen     uint8
	addr      [8]byte
	netOff    uint16 // tp_net
	status    uint32 // tp_status
	vlanTCI   uint16
	vlanTPID  uint16
	dropcount uint32 // sk_drops when queued, for SO_RXQ_OVFL
	mark      uint32
	stamp     time.Time
	devName   string // SOCK_PACKET's spkt_device
}

// ring is the receive queue: a FIFO that reuses its array once warm.
type ring struct {
	buf  []rxEntry
	head int
	n    int
}

func (r *ring) push(e rxEntry) {
	if r.n == len(r.buf) {
		nb := make([]rxEntry, max(8, 2*len(r.buf)))
		for i := range r.n {
			nb[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = nb, 0
	}
	r.buf[(r.head+r.n)%len(r.buf)] = e
	r.n++
}

func (r *ring) front() *rxEntry { return &r.buf[r.head] }

func (r *ring) pop() rxEntry {
	e := r.buf[r.head]
	r.buf[r.head] = rxEntry{}
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return e
}

// rcv queues a frame for the socket, as packet_rcv (packet_rcv_spkt for
// SOCK_PACKET): it is dropped and counted when the memory already queued
// reaches SO_RCVBUF. all says the socket receives ETH_P_ALL, which sees
// a VLAN tag in the auxiliary data; a socket of one protocol gets
// VLAN-tagged frames with the tag cleared, as PACKET_OTHERHOST unless the
// VLAN id is 0 (__netif_receive_skb_core finding no VLAN device).
func (s *sock) rcv(f *frame, all bool) {
	rcvbuf := s.sk.RcvBuf()
	spkt := s.typ == abi.SOCK_PACKET
	e := rxEntry{
		data:     f.data,
		truesize: truesize(len(f.data)),
		proto:    f.proto,
		ifindex:  int32(f.ifc.Index()),
		hatype:   f.hatype,
		pkttype:  f.pkttype,
		halen:    f.halen,
		addr:     f.addr,
		netOff:   uint16(f.hdrLen),
		status:   TP_STATUS_USER | f.status,
		mark:     f.mark,
		stamp:    f.stamp,
	}
	if s.typ == abi.SOCK_DGRAM {
		// The link header is not the socket's to see.
		e.data = f.data[f.hdrLen:]
		e.netOff = 0
	}
	if f.vlan {
		if all {
			e.status |= TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID
			e.vlanTCI, e.vlanTPID = f.vlanTCI, f.vlanTPID
		} else if f.vlanTCI&0xfff != 0 {
			e.pkttype = abi.PACKET_OTHERHOST
		}
	}
	if spkt {
		e.devName = f.ifc.Name()
	}
	if s.sk.Flag(abi.SO_RXQ_OVFL) {
		e.dropcount = s.skDrops.Load()
	}
	s.qmu.Lock()
	if s.closed {
		s.qmu.Unlock()
		return
	}
	if s.rmem >= rcvbuf {
		s.qmu.Unlock()
		if !spkt {
			s.drops.Add(1)
		}
		s.skDrops.Add(1)
		return
	}
	e.buf = f.buf.Ref()
	if !spkt {
		s.packets++
	}
	s.rmem += e.truesize
	s.q.push(e)
	s.qmu.Unlock()
	s.sk.Wait.Notify(evReadable)
}

// Recvmsg is packet_recvmsg: flags other than MSG_PEEK, MSG_DONTWAIT,
// MSG_TRUNC, MSG_CMSG_COMPAT and MSG_ERRQUEUE are EINVAL; a pending error
// comes first (skb_recv_datagram); the frame is cut to the buffers
// (MSG_TRUNC in msg_flags) and MSG_TRUNC returns its full length.
func (s *sock) Recvmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	if flags&^(abi.MSG_PEEK|abi.MSG_DONTWAIT|abi.MSG_TRUNC|msgCmsgCompat|abi.MSG_ERRQUEUE) != 0 {
		return 0, errno.EINVAL
	}
	if flags&abi.MSG_ERRQUEUE != 0 {
		// The error queue holds only transmit timestamps, which gosock
		// does not make: sock_recv_errqueue finds it empty.
		return 0, errno.EAGAIN
	}
	if e := s.sk.TakeError(); e != 0 {
		return 0, e
	}
	peek := flags&abi.MSG_PEEK != 0
	s.qmu.Lock()
	if s.q.n == 0 {
		s.qmu.Unlock()
		return 0, errno.EAGAIN
	}
	var e rxEntry
	if peek {
		e = *s.q.front()
		e.buf.Ref() // the entry stays queued; a concurrent reader may take it
	} else {
		e = s.q.pop()
		s.rmem -= e.truesize
	}
	s.qmu.Unlock()
	auxdata := s.auxdata.Load()
	defer e.buf.Release()

	copied := 0
	for _, b := range m.Iov {
		copied += copy(b, e.data[copied:])
		if copied == len(e.data) {
			break
		}
	}
	if copied < len(e.data) {
		m.Flags |= abi.MSG_TRUNC
	}
	if m.Name != nil {
		s.putName(m, &e)
	}
	s.putCmsgs(m, &e, auxdata)
	if flags&abi.MSG_TRUNC != 0 {
		return len(e.data), 0
	}
	return copied, 0
}

// putName writes the sender's address: a sockaddr_ll whose length is
// offsetof(sll_addr) + sll_halen but at least its 20 bytes, or for
// SOCK_PACKET a sockaddr_pkt.
func (s *sock) putName(m *socket.Msg, e *rxEntry) {
	var b [abi.SizeofSockaddrLL]byte
	n := abi.SizeofSockaddrLL
	if s.typ == abi.SOCK_PACKET {
		binary.LittleEndian.PutUint16(b[:], e.hatype)
		putCString(b[2:16], e.devName)
		binary.BigEndian.PutUint16(b[16:], e.proto)
		n = SizeofSockaddrPkt
	} else {
		binary.LittleEndian.PutUint16(b[:], abi.AF_PACKET)
		binary.BigEndian.PutUint16(b[2:], e.proto)
		binary.LittleEndian.PutUint32(b[4:], uint32(e.ifindex))
		binary.LittleEndian.PutUint16(b[8:], e.hatype)
		b[10] = e.pkttype
		b[11] = e.halen
		copy(b[llAddrOff:llAddrOff+int(e.halen)], e.addr[:])
		n = max(n, llAddrOff+int(e.halen))
	}
	copy(m.Name[:cap(m.Name)], b[:n])
	m.NameLen = n
}

// putCmsgs adds the control messages of sock_recv_cmsgs (timestamp,
// drop count, mark) and then PACKET_AUXDATA.
func (s *sock) putCmsgs(m *socket.Msg, e *rxEntry, auxdata bool) {
	sk := s.sk
	switch {
	case sk.Flag(abi.SO_TIMESTAMPNS_OLD):
		var b [16]byte
		binary.LittleEndian.PutUint64(b[:], uint64(e.stamp.Unix()))
		binary.LittleEndian.PutUint64(b[8:], uint64(e.stamp.Nanosecond()))
		putCmsg(m, abi.SOL_SOCKET, abi.SO_TIMESTAMPNS_OLD, b[:])
	case sk.Flag(abi.SO_TIMESTAMP_OLD):
		var b [16]byte
		binary.LittleEndian.PutUint64(b[:], uint64(e.stamp.Unix()))
		binary.LittleEndian.PutUint64(b[8:], uint64(e.stamp.Nanosecond()/1000))
		putCmsg(m, abi.SOL_SOCKET, abi.SO_TIMESTAMP_OLD, b[:])
	}
	if e.dropcount != 0 && sk.Flag(abi.SO_RXQ_OVFL) {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], e.dropcount)
		putCmsg(m, abi.SOL_SOCKET, abi.SO_RXQ_OVFL, b[:])
	}
	if sk.Flag(abi.SO_RCVMARK) {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], e.mark)
		putCmsg(m, abi.SOL_SOCKET, abi.SO_MARK, b[:])
	}
	if auxdata && s.typ != abi.SOCK_PACKET {
		var b [SizeofTpacketAuxdata]byte
		binary.LittleEndian.PutUint32(b[0:], e.status)
		binary.LittleEndian.PutUint32(b[4:], uint32(len(e.data))) // tp_len: no filter trims
		binary.LittleEndian.PutUint32(b[8:], uint32(len(e.data))) // tp_snaplen
		binary.LittleEndian.PutUint16(b[12:], 0)                  // tp_mac
		binary.LittleEndian.PutUint16(b[14:], e.netOff)
		binary.LittleEndian.PutUint16(b[16:], e.vlanTCI)
		binary.LittleEndian.PutUint16(b[18:], e.vlanTPID)
		putCmsg(m, abi.SOL_PACKET, abi.PACKET_AUXDATA, b[:])
	}
}

// Control message layout (struct cmsghdr on x86-64).
const (
	cmsgHdrLen = 16
	cmsgAlign  = 8
)

func cmsgSpace(n int) int { return (cmsgHdrLen + n + cmsgAlign - 1) &^ (cmsgAlign - 1) }

// putCmsg appends one control message to m's control buffer, as
// put_cmsg: without room for a header it sets MSG_CTRUNC and writes
// nothing; without room for all of it, it writes what fits (cmsg_len
// saying so) and sets MSG_CTRUNC.
func putCmsg(m *socket.Msg, level, typ int, data []byte) {
	buf := m.Control[:cap(m.Control)]
	avail := len(buf) - m.ControlLen
	if avail < cmsgHdrLen {
		m.Flags |= abi.MSG_CTRUNC
		return
	}
	cmlen := cmsgHdrLen + len(data)
	if avail < cmlen {
		m.Flags |= abi.MSG_CTRUNC
		cmlen = avail
	}
	h := buf[m.ControlLen:]
	binary.LittleEndian.PutUint64(h, uint64(cmlen))
	binary.LittleEndian.PutUint32(h[8:], uint32(int32(level)))
	binary.LittleEndian.PutUint32(h[12:], uint32(int32(typ)))
	copy(h[cmsgHdrLen:cmlen], data)
	m.ControlLen += min(cmsgSpace(len(data)), avail)
}
