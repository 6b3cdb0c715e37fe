// Package link is gosock's device layer: the Device interface through
// which a namespace sends and receives frames, and the devices that
// implement it.
//
//   - Loopback: the namespace's lo, handing each frame back to itself.
//   - Pipe: a pair of connected in-memory endpoints, a virtual wire with
//     seeded impairments (latency, bandwidth, queue limit, loss,
//     reordering, duplication, corruption).
//   - TUN and TAP: Linux /dev/net/tun devices, so the host's kernel and
//     tools talk to gosock.
//   - Sniffer: wraps any Device and writes every frame to a pcap file.
//
// A device delivers received frames to its Receiver from a goroutine of
// its own, one frame at a time, and the namespace processes each to
// completion there, as Linux's softirq does. Transmit never calls the
// Receiver of the sending namespace on the caller's goroutine, so a
// protocol may transmit while holding its locks.
package link

import (
	"sync/atomic"

	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// Type says what a frame on the device starts with.
type Type uint8

const (
	// TypeEthernet frames start with a 14-byte Ethernet II header
	// (ARPHRD_ETHER; Linux's loopback also carries one, with zero
	// addresses).
	TypeEthernet Type = iota + 1
	// TypeRawIP frames are bare IPv4 or IPv6 packets, told apart by the
	// version nibble (ARPHRD_NONE, as a TUN device without packet info).
	TypeRawIP
)

// String names the type as `ip link` does.
func (t Type) String() string {
	switch t {
	case TypeEthernet:
		return "ether"
	case TypeRawIP:
		return "none"
	}
	return "unknown"
}

// Flags are interface flags with Linux's IFF_* values.
type Flags uint32

// Interface flags. A device reports the ones it imposes (Broadcast,
// Loopback, PointToPoint, NoARP, Multicast) and its carrier (Running,
// LowerUp); Up is the namespace's administrative setting.
const (
	FlagUp           Flags = 0x1
	FlagBroadcast    Flags = 0x2
	FlagLoopback     Flags = 0x8
	FlagPointToPoint Flags = 0x10
	FlagRunning      Flags = 0x40
	FlagNoARP        Flags = 0x80
	FlagMulticast    Flags = 0x1000
	FlagLowerUp      Flags = 0x10000
)

// String lists the flags as `ip link` prints them.
func (f Flags) String() string {
	names := []struct {
		f Flags
		s string
	}{
		{FlagLoopback, "LOOPBACK"}, {FlagBroadcast, "BROADCAST"}, {FlagPointToPoint, "POINTOPOINT"},
		{FlagMulticast, "MULTICAST"}, {FlagNoARP, "NOARP"}, {FlagUp, "UP"}, {FlagLowerUp, "LOWER_UP"},
	}
	s := ""
	for _, n := range names {
		if f&n.f != 0 {
			if s != "" {
				s += ","
			}
			s += n.s
		}
	}
	return s
}

// Capabilities are the offloads a device takes on.
type Capabilities struct {
	// GSOMaxSize is the largest super-segment (pktbuf GSO metadata set)
	// Transmit accepts whole; 0 means the sender must cut segments to the
	// MTU itself.
	GSOMaxSize int
	// ChecksumOffload means Transmit accepts buffers whose transport
	// checksum is only partial (pktbuf.Buffer.ChecksumPartial).
	ChecksumOffload bool
}

// Receiver takes frames from a device.
type Receiver interface {
	// Receive is called from the device's receive goroutine with a frame
	// that starts at its link header (the device's Type). It takes the
	// reference to pkt. Calls for one device never overlap.
	Receive(dev Device, pkt *pktbuf.Buffer)
}

// ReceiverFunc adapts a function to Receiver.
type ReceiverFunc func(dev Device, pkt *pktbuf.Buffer)

// Receive calls f(dev, pkt).
func (f ReceiverFunc) Receive(dev Device, pkt *pktbuf.Buffer) { f(dev, pkt) }

// Device is a network interface as a namespace sees it.
type Device interface {
	// Name is the interface name, such as "lo" or "veth0".
	Name() string
	// Type says what frames start with.
	Type() Type
	// MTU is the largest network-layer packet the device carries, not
	// counting the link header.
	MTU() int
	// HardwareAddr is the device's MAC address; zero for TypeRawIP.
	HardwareAddr() wire.MAC
	// Flags reports the flags the device imposes and its carrier state.
	Flags() Flags
	// Capabilities reports the offloads the device accepts.
	Capabilities() Capabilities
	// Attach sets the receiver of incoming frames; nil detaches, after
	// which incoming frames are dropped and counted.
	Attach(r Receiver)
	// Transmit sends one frame, which starts with the link header. It
	// always takes the caller's reference to pkt, even when it fails. It
	// does not block: a full queue drops the frame (ENOBUFS), a closed or
	// carrier-less device reports ENETDOWN, a frame over the MTU EMSGSIZE.
	Transmit(pkt *pktbuf.Buffer) error
	// Stats returns the device's counters.
	Stats() *Stats
	// Close stops the device and its goroutines and releases the frames it
	// holds; later Transmits fail with ENETDOWN.
	Close() error
}

// Stats are a device's counters, as /proc/net/dev shows them. Fields are
// updated atomically and may be read while the device runs.
type Stats struct {
	RxPackets, RxBytes, RxDropped, RxErrors atomic.Uint64
	TxPackets, TxBytes, TxDropped, TxErrors atomic.Uint64
}

// StatsSnapshot is a copy of Stats at one moment.
type StatsSnapshot struct {
	RxPackets, RxBytes, RxDropped, RxErrors uint64
	TxPackets, TxBytes, TxDropped, TxErrors uint64
}

// Snapshot copies the counters.
func (s *Stats) Snapshot() StatsSnapshot {
	return StatsSnapshot{
		RxPackets: s.RxPackets.Load(), RxBytes: s.RxBytes.Load(), RxDropped: s.RxDropped.Load(), RxErrors: s.RxErrors.Load(),
		TxPackets: s.TxPackets.Load(), TxBytes: s.TxBytes.Load(), TxDropped: s.TxDropped.Load(), TxErrors: s.TxErrors.Load(),
	}
}
