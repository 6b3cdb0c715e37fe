package netns

import (
	"net/netip"
	"sync"

	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// NetworkProtocol handles frames of one EtherType (IPv4, IPv6, ARP), as a
// Linux packet_type handler.
type NetworkProtocol interface {
	// Input takes a packet whose data starts at the network header, with
	// the link header already pulled and marked. It runs on the receiving
	// device's goroutine, owns pkt, and must not block.
	Input(ifc *Interface, pkt *pktbuf.Buffer)
}

// PacketInfo is what the network layer tells a transport protocol about
// a packet it delivers: the addresses and header fields sockets may ask
// for (IP_PKTINFO, IP_TTL, IP_TOS cmsgs) and how it was addressed.
type PacketInfo struct {
	Src, Dst netip.Addr
	// Iface is the interface the packet arrived on.
	Iface *Interface
	// TTL is the IPv4 TTL or the IPv6 hop limit.
	TTL uint8
	// TOS is the IPv4 TOS byte or the IPv6 traffic class.
	TOS uint8
	// Broadcast and Multicast say the destination was such an address.
	Broadcast, Multicast bool
}

var packetInfoPool = sync.Pool{New: func() any { return new(PacketInfo) }}

// GetPacketInfo returns a PacketInfo from a pool, for a network layer's
// receive path: handed to transports through interfaces, a PacketInfo on
// the stack would escape to the heap with every packet. Callers must not
// keep it past the delivery and return it with PutPacketInfo.
func GetPacketInfo() *PacketInfo { return packetInfoPool.Get().(*PacketInfo) }

// PutPacketInfo returns info to the pool, cleared so that it holds no
// interface alive.
func PutPacketInfo(info *PacketInfo) {
	*info = PacketInfo{}
	packetInfoPool.Put(info)
}

// ControlError is an ICMP or ICMPv6 error, or a local error (path MTU),
// handed to the transport protocol that owns the packet it quotes, as
// Linux's err_handler.
type ControlError struct {
	// Version is 4 or 6.
	Version int
	// Type and Code are the ICMP type and code.
	Type, Code uint8
	// Errno is the error Linux would report for this message
	// (icmp_err_convert / icmpv6_err_convert).
	Errno int
	// Fatal is Linux's "fatal" flag for the converted error: whether a
	// connecting TCP socket gives up on it.
	Fatal bool
	// Info is the next-hop MTU for fragmentation-needed and packet-too-big,
	// the pointer for parameter problems.
	Info uint32
	// From is the address that sent the ICMP message.
	From netip.Addr
	// Src and Dst are the addresses of the quoted packet: Src is ours.
	Src, Dst netip.Addr
	// Quoted is the quoted transport header and whatever follows (at
	// least 8 bytes: ports and, for TCP, the sequence number).
	Quoted []byte
	// Iface is the interface the error arrived on.
	Iface *Interface
}

// TransportProtocol is an upper-layer protocol over IP (TCP, UDP, ICMP,
// raw), as Linux's net_protocol.
type TransportProtocol interface {
	// Input takes a packet whose data starts at the transport header. It
	// runs on the receiving goroutine and owns pkt.
	Input(pkt *pktbuf.Buffer, info *PacketInfo)
	// ControlInput is told of an ICMP error quoting one of its packets.
	ControlInput(e *ControlError)
}

// RawTap sees every IP packet delivered locally before its transport
// protocol does, as Linux's raw_v4_input / raw6_local_deliver: raw sockets
// receive copies through it. It must not keep pkt (it may Ref it).
// It reports whether a raw socket claimed a protocol with no registered
// handler, so the network layer does not answer protocol-unreachable.
type RawTap interface {
	Deliver(version int, proto uint8, pkt *pktbuf.Buffer, info *PacketInfo) (claimed bool)
}

// RegisterNetwork installs the handler for an EtherType, replacing any
// earlier one.
func (ns *Namespace) RegisterNetwork(t wire.EtherType, p NetworkProtocol) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.network == nil {
		ns.network = make(map[wire.EtherType]NetworkProtocol)
	}
	ns.network[t] = p
}

// Network returns the handler registered for t, or nil.
func (ns *Namespace) Network(t wire.EtherType) NetworkProtocol {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return ns.network[t]
}

// RegisterTransport installs the handler for protocol proto over IP
// version 4 or 6.
func (ns *Namespace) RegisterTransport(version int, proto uint8, p TransportProtocol) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.transport[versionIndex(version)][proto] = p
}

// Transport returns the handler for proto over IP version 4 or 6, or nil.
// The table is read without locks: registration happens at set-up.
func (ns *Namespace) Transport(version int, proto uint8) TransportProtocol {
	ns.mu.RLock()
	p := ns.transport[versionIndex(version)][proto]
	ns.mu.RUnlock()
	return p
}

// SetRawTap installs the raw-socket tap (nil removes it).
func (ns *Namespace) SetRawTap(t RawTap) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.rawTap = t
}

// RawTap returns the raw-socket tap, or nil.
func (ns *Namespace) RawTap() RawTap {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return ns.rawTap
}

// RegisterFamily installs a socket family (the socket layer's own type,
// kept opaque here so netns does not import it) under its AF_* number,
// as sock_register fills net_families.
func (ns *Namespace) RegisterFamily(family int, f any) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.families == nil {
		ns.families = make(map[int]any)
	}
	ns.families[family] = f
}

// Family returns what was registered under family, or nil.
func (ns *Namespace) Family(family int) any {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return ns.families[family]
}

// SetProtocolState keeps a layer's per-namespace state (its port tables,
// reassembly queues, socket hashes) under a key of the layer's choosing,
// so protocols can find their state from a *Namespace without netns
// knowing their types. Keys should be unexported types of the layer.
func (ns *Namespace) SetProtocolState(key, state any) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.state == nil {
		ns.state = make(map[any]any)
	}
	ns.state[key] = state
}

// ProtocolState returns what SetProtocolState stored under key, or nil.
func (ns *Namespace) ProtocolState(key any) any {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return ns.state[key]
}

func versionIndex(v int) int {
	if v == 6 {
		return 1
	}
	return 0
}
