package packetdrill

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// DeviceName is the name of the runner's interface, as upstream
// packetdrill's TUN device; shell commands in scripts name it.
const DeviceName = "tun0"

// Captured is one packet the stack transmitted on the runner's device.
type Captured struct {
	// Data is a private copy of the IP packet (the device carries bare IP).
	Data []byte
	// At is the namespace clock's time of the transmission.
	At time.Time
	// GSOSize is the segment size of a super-segment (0 for a plain
	// packet): the device took it whole, as a TUN with TSO on does.
	GSOSize int
}

// Device is the runner's network interface: a raw-IP device, as the TUN
// device upstream packetdrill injects into and captures from. Transmit
// captures each outbound packet with its time; Inject hands an inbound
// packet to the namespace on the caller's goroutine, where it is
// processed to completion before Inject returns.
type Device struct {
	name string
	mtu  int
	clk  clock.Clock

	rx      atomic.Pointer[rxBox]
	gsoOff  atomic.Bool // ethtool -K gso off tso off
	dropAll atomic.Bool // qdisc pfifo limit 0: local congestion
	closed  atomic.Bool

	mu  sync.Mutex
	out []Captured

	stats link.Stats
}

type rxBox struct{ r link.Receiver }

var _ link.Device = (*Device)(nil)

// NewDevice returns a device called name with the given MTU, stamping
// captured packets with clk's time.
func NewDevice(name string, mtu int, clk clock.Clock) *Device {
	return &Device{name: name, mtu: mtu, clk: clk}
}

// Name implements link.Device.
func (d *Device) Name() string { return d.name }

// Type implements link.Device: frames are bare IP packets.
func (d *Device) Type() link.Type { return link.TypeRawIP }

// MTU implements link.Device.
func (d *Device) MTU() int { return d.mtu }

// HardwareAddr implements link.Device: a raw-IP device has none.
func (d *Device) HardwareAddr() wire.MAC { return wire.MAC{} }

// Flags implements link.Device: a point-to-point device without ARP, as
// a TUN device.
func (d *Device) Flags() link.Flags {
	f := link.FlagPointToPoint | link.FlagNoARP | link.FlagMulticast
	if !d.closed.Load() {
		f |= link.FlagRunning | link.FlagLowerUp
	}
	return f
}

// Capabilities implements link.Device: segmentation offload up to 64 KiB
// unless turned off with SetGSO (ethtool -K tun0 gso off tso off), and no
// checksum offload, so every checksum the stack computes is verified.
func (d *Device) Capabilities() link.Capabilities {
	if d.gsoOff.Load() {
		return link.Capabilities{}
	}
	return link.Capabilities{GSOMaxSize: 65536}
}

// Attach implements link.Device.
func (d *Device) Attach(r link.Receiver) {
	if r == nil {
		d.rx.Store(nil)
		return
	}
	d.rx.Store(&rxBox{r})
}

// Stats implements link.Device.
func (d *Device) Stats() *link.Stats { return &d.stats }

// Close implements link.Device.
func (d *Device) Close() error {
	d.closed.Store(true)
	d.mu.Lock()
	d.out = nil
	d.mu.Unlock()
	return nil
}

// SetGSO turns segmentation offload on or off.
func (d *Device) SetGSO(on bool) { d.gsoOff.Store(!on) }

// SetDropAll makes Transmit drop every packet with ENOBUFS, as a qdisc
// with no room does (local congestion), or stops doing so.
func (d *Device) SetDropAll(on bool) { d.dropAll.Store(on) }

// Transmit implements link.Device: it captures a copy of the packet,
// finishing a partial transport checksum as a device with checksum
// offload would.
func (d *Device) Transmit(pkt *pktbuf.Buffer) error {
	defer pkt.Release()
	switch {
	case d.closed.Load():
		d.stats.TxDropped.Add(1)
		return errno.ENETDOWN
	case d.dropAll.Load():
		d.stats.TxDropped.Add(1)
		return errno.ENOBUFS
	}
	limit := d.mtu
	if pkt.GSOType != pktbuf.GSONone {
		limit = max(limit, 65536)
	}
	if pkt.Len() > limit {
		d.stats.TxErrors.Add(1)
		return errno.EMSGSIZE
	}
	data := append([]byte(nil), pkt.Bytes()...)
	if pkt.ChecksumPartial {
		finishChecksum(data, len(data)-len(pkt.TransportHeader()))
	}
	c := Captured{Data: data, At: d.clk.Now()}
	if pkt.GSOType != pktbuf.GSONone {
		c.GSOSize = int(pkt.GSOSize)
	}
	d.mu.Lock()
	if !d.closed.Load() {
		d.out = append(d.out, c)
	}
	d.mu.Unlock()
	d.stats.TxPackets.Add(1)
	d.stats.TxBytes.Add(uint64(len(data)))
	return nil
}

// finishChecksum completes a CHECKSUM_PARTIAL TCP or UDP checksum whose
// field holds the pseudo-header sum; off is the transport header's offset.
func finishChecksum(p []byte, off int) {
	if off <= 0 || off >= len(p) {
		return
	}
	var proto uint8
	switch p[0] >> 4 {
	case 4:
		proto = p[9]
	case 6:
		proto = p[6]
	}
	field := -1
	switch proto {
	case wire.ProtoTCP:
		field = off + 16
	case wire.ProtoUDP:
		field = off + 6
	}
	if field < 0 || field+2 > len(p) {
		return
	}
	sum := wire.FoldChecksum(wire.Checksum(p[off:], 0))
	p[field], p[field+1] = byte(^sum>>8), byte(^sum)
}

// Inject delivers an inbound IP packet to the namespace. The packet is
// processed to completion (including any packets the stack sends in
// reply) before Inject returns. It fails with ENETDOWN when nothing is
// attached.
func (d *Device) Inject(packet []byte) error {
	box := d.rx.Load()
	if box == nil || d.closed.Load() {
		d.stats.RxDropped.Add(1)
		return errno.ENETDOWN
	}
	pkt := pktbuf.FromBytes(pktbuf.DefaultHeadroom, packet)
	switch packet[0] >> 4 {
	case 4:
		pkt.Protocol = uint16(wire.EtherTypeIPv4)
	case 6:
		pkt.Protocol = uint16(wire.EtherTypeIPv6)
	}
	d.stats.RxPackets.Add(1)
	d.stats.RxBytes.Add(uint64(len(packet)))
	box.r.Receive(d, pkt)
	return nil
}

// Next removes and returns the oldest captured packet.
func (d *Device) Next() (Captured, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.out) == 0 {
		return Captured{}, false
	}
	c := d.out[0]
	d.out[0] = Captured{}
	d.out = d.out[1:]
	return c, true
}

// Unread puts a packet back at the head of the capture queue.
func (d *Device) Unread(c Captured) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.out = append([]Captured{c}, d.out...)
}

// Pending returns the number of captured packets not yet taken.
func (d *Device) Pending() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.out)
}

// isBackgroundPacket reports whether a captured packet is host chatter
// that scripts never describe: IPv6 neighbour discovery and multicast
// listener reports, IGMP. Upstream's kernel sends those on its TUN device
// too, and upstream packetdrill only looks at the script's flows.
func isBackgroundPacket(p []byte) bool {
	if len(p) == 0 {
		return false
	}
	switch p[0] >> 4 {
	case 4:
		h, err := wire.ParseIPv4(p)
		return err == nil && h.Protocol() == wire.ProtoIGMP
	case 6:
		h, err := wire.ParseIPv6(p)
		if err != nil {
			return false
		}
		it := h.ExtIter()
		for it.Next() {
		}
		proto, off := it.Upper()
		if proto != wire.ProtoICMPv6 || off >= len(h.Payload()) {
			return false
		}
		t := wire.ICMPv6Type(h.Payload()[off])
		return t >= wire.ICMPv6MLDQuery && t <= wire.ICMPv6Redirect || t == wire.ICMPv6MLDv2Report
	}
	return false
}
