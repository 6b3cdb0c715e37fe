package gvstack

import (
	"sync"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pktbuf"
)

// Link is a gVisor link endpoint over a gosock device that carries bare
// IP packets (link.TypeRawIP). Packets gVisor writes are copied once
// into pooled gosock buffers and transmitted; frames the device receives
// are copied once into gVisor packet buffers and delivered from the
// device's receive goroutine, as gVisor's own link endpoints do from
// theirs.
//
// When the device offers GSO (Capabilities().GSOMaxSize > 0), Link
// reports host GSO to gVisor, so gVisor's TCP hands it super-segments
// with a partial checksum; they cross the device whole, marked as GSO,
// as through a veth, and one arriving from the device is delivered whole
// with its checksum marked as already verified.
type Link struct {
	dev link.Device

	mu         sync.RWMutex
	dispatcher stack.NetworkDispatcher
	onClose    func()
	mtu        uint32
}

var (
	_ stack.LinkEndpoint = (*Link)(nil)
	_ stack.GSOEndpoint  = (*Link)(nil)
)

// NewLink returns a Link over dev, which must be of link.TypeRawIP.
func NewLink(dev link.Device) *Link {
	if dev.Type() != link.TypeRawIP {
		panic("gvstack: NewLink needs a TypeRawIP device")
	}
	return &Link{dev: dev, mtu: uint32(dev.MTU())}
}

// MTU returns the device's MTU.
func (l *Link) MTU() uint32 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.mtu
}

// SetMTU changes the MTU gVisor uses, not the device's.
func (l *Link) SetMTU(mtu uint32) {
	l.mu.Lock()
	l.mtu = mtu
	l.mu.Unlock()
}

// MaxHeaderLength is zero: frames are bare IP packets.
func (*Link) MaxHeaderLength() uint16 { return 0 }

// LinkAddress is empty: the link has no hardware addresses.
func (*Link) LinkAddress() tcpip.LinkAddress { return "" }

// SetLinkAddress is ignored.
func (*Link) SetLinkAddress(tcpip.LinkAddress) {}

// Capabilities reports checksum offload in both directions when the
// device offers it, so partial checksums pass between the stacks as
// between two namespaces joined by a veth.
func (l *Link) Capabilities() stack.LinkEndpointCapabilities {
	if l.dev.Capabilities().ChecksumOffload {
		return stack.CapabilityTXChecksumOffload | stack.CapabilityRXChecksumOffload
	}
	return stack.CapabilityNone
}

// GSOMaxSize returns the device's GSO limit.
func (l *Link) GSOMaxSize() uint32 { return uint32(l.dev.Capabilities().GSOMaxSize) }

// SupportedGSO reports host GSO when the device takes super-segments.
func (l *Link) SupportedGSO() stack.SupportedGSO {
	if l.dev.Capabilities().GSOMaxSize > 0 {
		return stack.HostGSOSupported
	}
	return stack.GSONotSupported
}

// Attach starts delivering the device's frames to d; nil stops it.
func (l *Link) Attach(d stack.NetworkDispatcher) {
	l.mu.Lock()
	l.dispatcher = d
	l.mu.Unlock()
	if d == nil {
		l.dev.Attach(nil)
		return
	}
	l.dev.Attach(link.ReceiverFunc(l.receive))
}

// IsAttached reports whether a dispatcher is attached.
func (l *Link) IsAttached() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.dispatcher != nil
}

// Wait returns at once: the device's goroutine belongs to the device.
func (*Link) Wait() {}

// ARPHardwareType is none, as a TUN device's.
func (*Link) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareNone }

// AddHeader does nothing: there is no link header.
func (*Link) AddHeader(*stack.PacketBuffer) {}

// ParseHeader accepts every packet: there is no link header.
func (*Link) ParseHeader(*stack.PacketBuffer) bool { return true }

// Close detaches from the device and runs the close action; the device
// itself is its owner's to close.
func (l *Link) Close() {
	l.dev.Attach(nil)
	l.mu.Lock()
	l.dispatcher = nil
	f := l.onClose
	l.onClose = nil
	l.mu.Unlock()
	if f != nil {
		f()
	}
}

// SetOnCloseAction sets what Close runs.
func (l *Link) SetOnCloseAction(f func()) {
	l.mu.Lock()
	l.onClose = f
	l.mu.Unlock()
}

// WritePackets copies each packet into a gosock buffer and transmits it.
// A packet the device refuses (queue full) counts as written and lost,
// as a full qdisc drops.
func (l *Link) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	n := 0
	for _, pkt := range pkts.AsSlice() {
		size := pkt.Size()
		b := pktbuf.New(pktbuf.DefaultHeadroom, size)
		dst := b.Bytes()
		off := 0
		for _, s := range pkt.AsSlices() {
			off += copy(dst[off:], s)
		}
		b.SetNetworkHeader()
		switch pkt.NetworkProtocolNumber {
		case header.IPv4ProtocolNumber:
			b.Protocol = uint16(header.IPv4ProtocolNumber)
		case header.IPv6ProtocolNumber:
			b.Protocol = uint16(header.IPv6ProtocolNumber)
		}
		if g := pkt.GSOOptions; g.Type == stack.GSOTCPv4 || g.Type == stack.GSOTCPv6 {
			b.GSOType = pktbuf.GSOTCPv4
			if g.Type == stack.GSOTCPv6 {
				b.GSOType = pktbuf.GSOTCPv6
			}
			b.GSOSize = g.MSS
			b.ChecksumPartial = g.NeedsCsum
		}
		_ = l.dev.Transmit(b) // takes b; a refused frame is a drop
		n++
	}
	return n, nil
}

// receive delivers one frame from the device to gVisor.
func (l *Link) receive(_ link.Device, b *pktbuf.Buffer) {
	defer b.Release()
	l.mu.RLock()
	d := l.dispatcher
	l.mu.RUnlock()
	data := b.Bytes()
	if d == nil || len(data) == 0 {
		return
	}
	var proto tcpip.NetworkProtocolNumber
	switch header.IPVersion(data) {
	case header.IPv4Version:
		proto = header.IPv4ProtocolNumber
	case header.IPv6Version:
		proto = header.IPv6ProtocolNumber
	default:
		return
	}
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(data)})
	// A super-segment or a partial checksum comes from a sender that
	// trusted the wire to finish it, as Linux's veth marks such packets
	// CHECKSUM_UNNECESSARY for the receiving namespace.
	pkt.RXChecksumValidated = b.ChecksumPartial || b.ChecksumVerified || b.GSOType != pktbuf.GSONone
	d.DeliverNetworkPacket(proto, pkt)
	pkt.DecRef()
}
