package packet

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/waitq"
)

// sock is one packet socket (struct packet_sock) and its operations
// (packet_ops, or packet_ops_spkt for SOCK_PACKET).
type sock struct {
	sk  *socket.Sock
	t   *table
	typ int

	// mu is po->bind_lock and the socket lock for the options.
	mu      sync.Mutex
	num     uint16           // bound protocol, host order (po->num)
	dev     *netns.Interface // bound device (prot_hook.dev)
	ifindex int              // po->ifindex: 0 unbound, -1 device gone
	running bool             // the hook is registered
	opts    options
	mclist  []*mcEntry

	ignoreOutgoing atomic.Bool
	auxdata        atomic.Bool

	// qmu guards the receive queue (sk_receive_queue) and its counters.
	qmu     sync.Mutex
	q       ring
	rmem    int    // sk_rmem_alloc
	packets uint32 // stats.tp_packets
	closed  bool

	drops   atomic.Uint32 // po->tp_drops
	skDrops atomic.Uint32 // sk->sk_drops

	// sending are the frames this socket is transmitting right now, each
	// held by a reference so its pointer cannot be reused meanwhile; the
	// tap skips them (skb_loop_sk).
	smu      sync.Mutex
	sending  []*pktbuf.Buffer
	nsending atomic.Int32
}

// options are the SOL_PACKET values without effect on the data path.
type options struct {
	origdev, loss, txHasOff, qdiscBypass bool
	version, copyThresh, tstamp          int
	reserve                              uint32
}

// mcEntry is one PACKET_ADD_MEMBERSHIP (struct packet_mclist).
type mcEntry struct {
	ifindex int
	typ     uint16
	alen    uint16
	addr    [maxAddrLen]byte
	count   int
}

var (
	_ socket.ProtoOps = (*sock)(nil)
	_ socket.Ioctler  = (*sock)(nil)
)

// registerLocked starts reception (register_prot_hook); s.mu is held.
func (s *sock) registerLocked() {
	if s.running {
		return
	}
	s.running = true
	s.t.addHook(&hook{s: s, proto: s.num, ifindex: s.ifindex})
}

// unregisterLocked stops reception (__unregister_prot_hook).
func (s *sock) unregisterLocked() {
	s.running = false
	s.t.removeHook(s)
}

// checkGoneLocked notices that the bound device was removed and does
// what packet_notifier's NETDEV_UNREGISTER does: ifindex becomes -1 and
// the socket forgets the device and its memberships on it.
func (s *sock) checkGoneLocked() {
	if s.dev == nil || s.t.ns.Interface(s.dev.Index()) == s.dev {
		return
	}
	if s.running {
		s.unregisterLocked()
	}
	idx := s.dev.Index()
	s.dev = nil
	s.ifindex = -1
	var gone []*mcEntry
	kept := s.mclist[:0]
	for _, m := range s.mclist {
		if m.ifindex == idx {
			gone = append(gone, m)
		} else {
			kept = append(kept, m)
		}
	}
	clear(s.mclist[len(kept):])
	s.mclist = kept
	s.t.dropMemberships(gone)
}

// Bind is packet_bind: a sockaddr_ll shorter than its 20 bytes, or of
// another family, is EINVAL; a zero sll_protocol keeps the socket's.
func (s *sock) Bind(addr []byte) errno.Errno {
	if s.typ == abi.SOCK_PACKET {
		return s.bindSpkt(addr)
	}
	if len(addr) < abi.SizeofSockaddrLL || abi.Family(addr) != abi.AF_PACKET {
		return errno.EINVAL
	}
	proto := binary.BigEndian.Uint16(addr[2:])
	ifindex := int(int32(binary.LittleEndian.Uint32(addr[4:])))
	return s.doBind("", ifindex, proto, proto == 0)
}

// bindSpkt is packet_bind_spkt: the address is a struct sockaddr naming
// the device in sa_data.
func (s *sock) bindSpkt(addr []byte) errno.Errno {
	if len(addr) != sizeofSockaddr {
		return errno.EINVAL
	}
	name := cString(addr[2:16])
	if name == "" {
		return errno.ENODEV // dev_get_by_name("") finds nothing
	}
	return s.doBind(name, 0, 0, true)
}

// doBind is packet_do_bind: it finds the device (by name, or by index
// when non-zero: ENODEV), moves the hook if the protocol or the device
// changes, and starts it unless the protocol is 0 or the device is down,
// which is reported through SO_ERROR (ENETDOWN) while bind succeeds.
func (s *sock) doBind(name string, ifindex int, proto uint16, keepProto bool) errno.Errno {
	var dev *netns.Interface
	switch {
	case name != "":
		if dev = s.t.ns.InterfaceByName(name); dev == nil {
			return errno.ENODEV
		}
	case ifindex != 0:
		if dev = s.t.ns.Interface(ifindex); dev == nil {
			return errno.ENODEV
		}
	}
	s.mu.Lock()
	s.checkGoneLocked()
	if keepProto {
		proto = s.num
	}
	rehook := s.num != proto || s.dev != dev
	if rehook {
		if s.running {
			s.unregisterLocked()
		}
		s.num, s.dev = proto, dev
		s.ifindex = 0
		if dev != nil {
			s.ifindex = dev.Index()
		}
	}
	if proto == 0 || !rehook {
		s.mu.Unlock()
		return 0
	}
	down := dev != nil && !dev.IsUp()
	if !down {
		s.registerLocked()
	}
	s.mu.Unlock()
	if down {
		s.sk.SetError(errno.ENETDOWN)
	}
	return 0
}

// Connect is sock_no_connect.
func (s *sock) Connect([]byte) errno.Errno { return errno.EOPNOTSUPP }

// Shutdown is sock_no_shutdown.
func (s *sock) Shutdown(int) errno.Errno { return errno.EOPNOTSUPP }

// Getname is packet_getname: the bound protocol and interface, with the
// device's hardware type and address, and a length of
// offsetof(sll_addr) + halen (12 for an unbound socket). SOCK_PACKET
// sockets report a struct sockaddr with the device name instead.
func (s *sock) Getname(buf []byte, peer bool) (int, errno.Errno) {
	if peer {
		return 0, errno.EOPNOTSUPP
	}
	s.mu.Lock()
	s.checkGoneLocked()
	ifindex, num := s.ifindex, s.num
	s.mu.Unlock()
	var dev *netns.Interface
	if ifindex > 0 {
		dev = s.t.ns.Interface(ifindex)
	}
	if s.typ == abi.SOCK_PACKET {
		var b [sizeofSockaddr]byte
		binary.LittleEndian.PutUint16(b[:], abi.AF_PACKET)
		if dev != nil {
			putCString(b[2:], dev.Name())
		}
		return copy(buf, b[:]), 0
	}
	var b [abi.SizeofSockaddrLL]byte
	binary.LittleEndian.PutUint16(b[:], abi.AF_PACKET)
	binary.BigEndian.PutUint16(b[2:], num)
	binary.LittleEndian.PutUint32(b[4:], uint32(int32(ifindex)))
	halen := 0
	if dev != nil {
		binary.LittleEndian.PutUint16(b[8:], hatype(dev))
		halen = addrLen(dev)
		b[11] = byte(halen)
		mac := dev.Device().HardwareAddr()
		copy(b[llAddrOff:llAddrOff+halen], mac[:])
	}
	n := llAddrOff + halen
	copy(buf, b[:n])
	return n, 0
}

// Poll is datagram_poll: readable with a frame queued, an error pending
// is EPOLLERR (with EPOLLPRI under SO_SELECT_ERR_QUEUE), and always
// writable, since sends are not charged to the socket.
func (s *sock) Poll() waitq.Events {
	ev := evWritable
	if s.sk.PendingError() != 0 {
		ev |= waitq.EventErr
		if s.sk.Flag(abi.SO_SELECT_ERR_QUEUE) {
			ev |= waitq.EventPri
		}
	}
	s.qmu.Lock()
	if s.q.n > 0 {
		ev |= evReadable
	}
	s.qmu.Unlock()
	return ev
}

// Ioctl handles SIOCINQ (the length of the next frame) and SIOCOUTQ (0:
// sends are not charged); other commands are ENOTTY (ENOIOCTLCMD).
func (s *sock) Ioctl(cmd uint, arg []byte) errno.Errno {
	var v int
	switch cmd {
	case abi.SIOCINQ:
		s.qmu.Lock()
		if s.q.n > 0 {
			v = len(s.q.front().data)
		}
		s.qmu.Unlock()
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

// Release is packet_release: the hook goes, memberships are dropped, the
// queue is purged.
func (s *sock) Release() {
	s.mu.Lock()
	if s.running {
		s.unregisterLocked()
	}
	s.dev = nil
	ml := s.mclist
	s.mclist = nil
	s.mu.Unlock()
	s.t.removeSock(s)
	s.t.dropMemberships(ml)
	s.qmu.Lock()
	s.closed = true
	var held []*pktbuf.Buffer
	for s.q.n > 0 {
		held = append(held, s.q.pop().buf)
	}
	s.rmem = 0
	s.qmu.Unlock()
	for _, b := range held {
		b.Release()
	}
}

// isSending reports whether pkt is a frame this socket is transmitting.
func (s *sock) isSending(pkt *pktbuf.Buffer) bool {
	if s.nsending.Load() == 0 {
		return false
	}
	s.smu.Lock()
	defer s.smu.Unlock()
	for _, b := range s.sending {
		if b == pkt {
			return true
		}
	}
	return false
}

func (s *sock) startSending(pkt *pktbuf.Buffer) {
	s.smu.Lock()
	s.sending = append(s.sending, pkt)
	s.nsending.Add(1)
	s.smu.Unlock()
}

func (s *sock) doneSending(pkt *pktbuf.Buffer) {
	s.smu.Lock()
	for i, b := range s.sending {
		if b == pkt {
			last := len(s.sending) - 1
			s.sending[i] = s.sending[last]
			s.sending[last] = nil
			s.sending = s.sending[:last]
			break
		}
	}
	s.nsending.Add(-1)
	s.smu.Unlock()
}

// cString returns the NUL-terminated string at the start of b.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// putCString writes s into b NUL-terminated, truncated as strscpy does.
func putCString(b []byte, s string) {
	n := copy(b[:len(b)-1], s)
	b[n] = 0
}
