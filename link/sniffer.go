package link

import (
	"fmt"
	"sync/atomic"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/pcap"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// PcapLinkType returns the pcap link type of frames of type t:
// LinkTypeEthernet for TypeEthernet, LinkTypeRaw for TypeRawIP. It
// returns 0 for an unknown type.
func PcapLinkType(t Type) pcap.LinkType {
	switch t {
	case TypeEthernet:
		return pcap.LinkTypeEthernet
	case TypeRawIP:
		return pcap.LinkTypeRaw
	}
	return 0
}

// Sniffer wraps a Device and writes every frame it transmits and
// receives to a pcap file, as tcpdump on the interface would see them.
// It implements Device by delegating to the wrapped one; the namespace
// holds the Sniffer in place of the device.
//
// Transmitted frames are written before they are handed to the device
// (as Linux's dev_queue_xmit_nit sees them), so a frame the device then
// refuses still appears; received frames are written before the
// Receiver gets them. Each record's timestamp comes from the namespace's
// clock.
//
// Capture never affects traffic: a failed pcap write is counted
// (WriteErrors) and the frame goes on. The pcap.Writer's own lock orders
// records from the transmit and receive paths.
type Sniffer struct {
	dev     Device
	w       *pcap.Writer
	clk     clock.Clock
	snaplen int
	errs    atomic.Uint64
}

// SnifferOption configures a Sniffer.
type SnifferOption func(*Sniffer)

// SnifferSnaplen cuts captured frames to n bytes (tcpdump -s), on top of
// the pcap.Writer's own snapshot length; n <= 0 captures whole frames.
func SnifferSnaplen(n int) SnifferOption {
	return func(s *Sniffer) { s.snaplen = n }
}

// NewSniffer wraps dev, writing its frames to w with timestamps from clk
// (clock.Real if nil). w's link type must be dev's: PcapLinkType(dev.Type()).
// The caller owns w: the Sniffer never closes or flushes it, so flush it
// (w.Flush) after Close, or whenever the file is to be read.
func NewSniffer(dev Device, w *pcap.Writer, clk clock.Clock, opts ...SnifferOption) (*Sniffer, error) {
	if lt := PcapLinkType(dev.Type()); w.LinkType() != lt {
		return nil, fmt.Errorf("link: sniffer on %s (%v frames) needs a pcap writer of link type %v, not %v",
			dev.Name(), dev.Type(), lt, w.LinkType())
	}
	if clk == nil {
		clk = clock.Real{}
	}
	s := &Sniffer{dev: dev, w: w, clk: clk}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Unwrap returns the wrapped device.
func (s *Sniffer) Unwrap() Device { return s.dev }

// WriteErrors returns how many frames could not be written to the pcap
// file.
func (s *Sniffer) WriteErrors() uint64 { return s.errs.Load() }

func (s *Sniffer) capture(frame []byte) {
	data := frame
	if s.snaplen > 0 && len(data) > s.snaplen {
		data = data[:s.snaplen]
	}
	if err := s.w.WritePacket(s.clk.Now(), data, len(frame)); err != nil {
		s.errs.Add(1)
	}
}

// Name returns the wrapped device's name.
func (s *Sniffer) Name() string { return s.dev.Name() }

// Type returns the wrapped device's type.
func (s *Sniffer) Type() Type { return s.dev.Type() }

// MTU returns the wrapped device's MTU.
func (s *Sniffer) MTU() int { return s.dev.MTU() }

// HardwareAddr returns the wrapped device's address.
func (s *Sniffer) HardwareAddr() wire.MAC { return s.dev.HardwareAddr() }

// Flags returns the wrapped device's flags.
func (s *Sniffer) Flags() Flags { return s.dev.Flags() }

// Capabilities returns the wrapped device's offloads. A super-segment or
// a partial checksum is captured as it is handed to the device, as
// tcpdump shows it on a Linux interface with offloads on.
func (s *Sniffer) Capabilities() Capabilities { return s.dev.Capabilities() }

// Stats returns the wrapped device's counters.
func (s *Sniffer) Stats() *Stats { return s.dev.Stats() }

// Close closes the wrapped device. It leaves the pcap writer open.
func (s *Sniffer) Close() error { return s.dev.Close() }

// Attach sets the receiver of incoming frames: the wrapped device hands
// them to the Sniffer, which captures each and passes it on with itself
// as the device.
func (s *Sniffer) Attach(r Receiver) {
	if r == nil {
		s.dev.Attach(nil)
		return
	}
	s.dev.Attach(&snifferReceiver{s: s, up: r})
}

// Transmit captures the frame and transmits it on the wrapped device.
func (s *Sniffer) Transmit(pkt *pktbuf.Buffer) error {
	s.capture(pkt.Bytes())
	return s.dev.Transmit(pkt)
}

type snifferReceiver struct {
	s  *Sniffer
	up Receiver
}

func (r *snifferReceiver) Receive(_ Device, pkt *pktbuf.Buffer) {
	r.s.capture(pkt.Bytes())
	r.up.Receive(r.s, pkt)
}
