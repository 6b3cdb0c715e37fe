package udp

import (
	"encoding/binary"
	"net/netip"
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

// Size limits of a datagram's payload: 65535 minus the IP and UDP
// headers (IPv6's fixed header is not counted in its payload length).
const (
	MaxPayload4 = 0xffff - 20 - 8
	MaxPayload6 = 0xffff - 8
)

// truesizeOverhead is SKB_TRUESIZE's fixed part (struct sk_buff and
// skb_shared_info, aligned) on x86-64.
const truesizeOverhead = 576

type stateKey struct{}

// Proto is UDP in one namespace.
type Proto struct {
	ns    *netns.Namespace
	table *inet.PortTable
	key   uint64
}

// Register installs UDP in ns (the inet families too, if needed) and
// returns it; a second call returns the instance already installed.
func Register(ns *netns.Namespace) *Proto {
	if p := Of(ns); p != nil {
		return p
	}
	p := &Proto{ns: ns, key: ns.Rand()}
	p.table = inet.NewPortTable(ns, inet.DatagramReuse)
	ns.SetProtocolState(stateKey{}, p)
	_ = inet.AddProtocol(ns, inet.Protosw{Type: abi.SOCK_DGRAM, Protocol: abi.IPPROTO_UDP, Proto: p,
		Ops: inet.DgramOps, Flags: inet.ProtoswPermanent})
	ns.RegisterTransport(4, wire.ProtoUDP, handler{p})
	ns.RegisterTransport(6, wire.ProtoUDP, handler{p})
	return p
}

// Of returns the UDP instance of ns, or nil.
func Of(ns *netns.Namespace) *Proto {
	p, _ := ns.ProtocolState(stateKey{}).(*Proto)
	return p
}

// Table returns the port table (for tests and tools such as ss).
func (p *Proto) Table() *inet.PortTable { return p.table }

// counters are the Udp or Udp6 MIB counters.
type counters struct {
	in, noPorts, inErrors, out, rcvbuf, sndbuf, csum, ignoredMulti netns.Counter
}

var (
	mib4 = counters{netns.UDPInDatagrams, netns.UDPNoPorts, netns.UDPInErrors, netns.UDPOutDatagrams,
		netns.UDPRcvbufErrors, netns.UDPSndbufErrors, netns.UDPInCsumErrors, netns.UDPIgnoredMulti}
	mib6 = counters{netns.UDP6InDatagrams, netns.UDP6NoPorts, netns.UDP6InErrors, netns.UDP6OutDatagrams,
		netns.UDP6RcvbufErrors, netns.UDP6SndbufErrors, netns.UDP6InCsumErrors, netns.UDP6IgnoredMulti}
)

func mibFor(v4 bool) *counters {
	if v4 {
		return &mib4
	}
	return &mib6
}

// Init makes the UDP half of a new socket (udp_init_sock).
func (p *Proto) Init(sk *inet.Sock) (inet.ProtoSock, errno.Errno) {
	return &sock{p: p, sk: sk}, 0
}

// dgram is one queued datagram: pkt's data is the payload.
type dgram struct {
	pkt      *pktbuf.Buffer
	from     netip.AddrPort // wire address
	ri       inet.RecvInfo
	truesize int
}

// sock is a UDP socket's protocol half (struct udp_sock).
type sock struct {
	p  *Proto
	sk *inet.Sock

	qmu  sync.Mutex
	q    []dgram
	rmem int

	// Guarded by sk.Mu.
	corked     bool
	pending    *pending
	noCheck6Tx bool
	noCheck6Rx bool
	segment    int
	gro        bool
	encap      int
}

// pending is corked data waiting to be sent as one datagram.
type pending struct {
	flow  inet.Flow
	dport uint16
	data  []byte
}

// GetPort is udp_v4_get_port / udp_v6_get_port.
func (s *sock) GetPort(port uint16) errno.Errno { return s.p.table.Get(s.sk, port) }

// Connect is udp_connect (ip4_datagram_connect, ip6_datagram_connect).
func (s *sock) Connect(addr []byte) errno.Errno { return s.sk.DatagramConnect(addr) }

// Disconnect is udp_disconnect.
func (s *sock) Disconnect() errno.Errno {
	s.sk.DatagramDisconnect(func() { s.p.table.Remove(s.sk) })
	return 0
}

// Shutdown has nothing of UDP's own to do.
func (s *sock) Shutdown(how int) {}

// Close is udp_lib_close: unhash and free the queue.
func (s *sock) Close() {
	s.sk.Mu.Lock()
	s.p.table.Remove(s.sk)
	s.pending = nil
	s.sk.Mu.Unlock()
	s.qmu.Lock()
	q := s.q
	s.q, s.rmem = nil, 0
	s.qmu.Unlock()
	for _, d := range q {
		d.pkt.Release()
	}
}

// Poll is udp_poll (datagram_poll).
func (s *sock) Poll() waitq.Events {
	var ev waitq.Events
	so := s.sk.S
	if so.PendingError() != 0 || s.sk.ErrQueueLen() > 0 {
		ev |= waitq.EventErr
	}
	sh := so.Shutdown()
	if sh&socket.RcvShutdown != 0 {
		ev |= waitq.EventRdHUp | waitq.EventIn | waitq.EventRdNorm
	}
	if sh == socket.RcvShutdown|socket.SendShutdown {
		ev |= waitq.EventHUp
	}
	s.qmu.Lock()
	if len(s.q) > 0 {
		ev |= waitq.EventIn | waitq.EventRdNorm
	}
	s.qmu.Unlock()
	ev |= waitq.EventOut | waitq.EventWrNorm | waitq.EventWrBand
	return ev
}

// Ioctl is udp_ioctl: SIOCINQ (FIONREAD) is the payload length of the
// next datagram, SIOCOUTQ the bytes not yet sent (always 0).
func (s *sock) Ioctl(cmd uint, arg []byte) errno.Errno {
	v := 0
	switch cmd {
	case abi.SIOCINQ:
		s.qmu.Lock()
		if len(s.q) > 0 {
			v = s.q[0].pkt.Len()
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

// SetOption handles SOL_UDP (udp_lib_setsockopt).
func (s *sock) SetOption(level, name int, val []byte) (errno.Errno, bool) {
	if level != abi.SOL_UDP {
		return 0, false
	}
	if len(val) < 4 {
		return errno.EINVAL, true
	}
	v := int(int32(binary.LittleEndian.Uint32(val)))
	sk := s.sk
	sk.Mu.Lock()
	defer sk.Mu.Unlock()
	switch name {
	case abi.UDP_CORK:
		if v != 0 {
			s.corked = true
		} else {
			s.corked = false
			s.pushPending()
		}
	case abi.UDP_ENCAP:
		s.encap = v
	case abi.UDP_NO_CHECK6_TX:
		s.noCheck6Tx = v != 0
	case abi.UDP_NO_CHECK6_RX:
		s.noCheck6Rx = v != 0
	case abi.UDP_SEGMENT:
		if v < 0 || v > 0xffff {
			return errno.EINVAL, true
		}
		s.segment = v
	case abi.UDP_GRO:
		s.gro = v != 0
	default:
		return errno.ENOPROTOOPT, true
	}
	return 0, true
}

// GetOption handles SOL_UDP (udp_lib_getsockopt).
func (s *sock) GetOption(level, name int, buf []byte) (int, errno.Errno, bool) {
	if level != abi.SOL_UDP {
		return 0, 0, false
	}
	sk := s.sk
	sk.Mu.Lock()
	v := 0
	switch name {
	case abi.UDP_CORK:
		v = b2i(s.corked)
	case abi.UDP_ENCAP:
		v = s.encap
	case abi.UDP_NO_CHECK6_TX:
		v = b2i(s.noCheck6Tx)
	case abi.UDP_NO_CHECK6_RX:
		v = b2i(s.noCheck6Rx)
	case abi.UDP_SEGMENT:
		v = s.segment
	case abi.UDP_GRO:
		v = b2i(s.gro)
	case 10, 11: // UDPLITE_SEND_CSCOV, UDPLITE_RECV_CSCOV
	default:
		sk.Mu.Unlock()
		return 0, errno.ENOPROTOOPT, true
	}
	sk.Mu.Unlock()
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(int32(v)))
	return copy(buf, b[:]), 0, true
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
