package netns

import (
	"github.com/gosock/gosock/pktbuf"
)

// PacketTap sees every frame an interface receives or sends, link header
// first, as Linux's ptype_all handlers (AF_PACKET sockets, taps for
// capture). It runs on the receiving or sending goroutine, must not block
// and must not keep pkt (it may Ref or Clone it).
type PacketTap interface {
	Tap(ifc *Interface, pkt *pktbuf.Buffer, outgoing bool)
}

type tapBox struct{ t PacketTap }

// SetPacketTap installs the namespace's packet tap (nil removes it).
func (ns *Namespace) SetPacketTap(t PacketTap) {
	if t == nil {
		ns.packetTap.Store(nil)
		return
	}
	ns.packetTap.Store(&tapBox{t})
}

// PacketTap returns the installed packet tap, or nil, so a new tap can
// chain to the one before it.
func (ns *Namespace) PacketTap() PacketTap {
	if b := ns.packetTap.Load(); b != nil {
		return b.t
	}
	return nil
}

func (ns *Namespace) tap(ifc *Interface, pkt *pktbuf.Buffer, outgoing bool) {
	if b := ns.packetTap.Load(); b != nil {
		b.t.Tap(ifc, pkt, outgoing)
	}
}
