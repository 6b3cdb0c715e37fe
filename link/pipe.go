package link

import (
	"hash/fnv"
	"sync"
	"sync/atomic"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// DefaultPipeMTU is the MTU of a pipe whose PipeConfig.MTU is zero.
const DefaultPipeMTU = 1500

// PipeConfig configures NewPipe. The zero value makes an Ethernet pipe
// "veth0" <-> "veth1" with an MTU of 1500 on the standard clock and a
// perfect wire.
type PipeConfig struct {
	// Names are the two ends' interface names; empty ones default to
	// "veth0" and "veth1".
	Names [2]string
	// Type is TypeEthernet (the default) or TypeRawIP.
	Type Type
	// MACs are the ends' addresses on an Ethernet pipe. A zero one is
	// replaced by a locally administered unicast address derived from the
	// end's name and position, so it is the same on every run.
	MACs [2]wire.MAC
	// MTU is the largest network-layer packet; zero means DefaultPipeMTU.
	// Frames may be MTU plus the link header long.
	MTU int
	// Clock times the impairments; nil means clock.Real{}.
	Clock clock.Clock
	// Capabilities are the offloads both ends report. A frame with GSO
	// metadata may be GSOMaxSize plus the link header long; it crosses the
	// pipe whole, as through a veth.
	Capabilities Capabilities
	// AtoB and BtoA impair the frames the first end sends to the second
	// and the second to the first.
	AtoB, BtoA Impairments
}

// PipeEnd is one end of a pipe made by NewPipe: a Device whose frames
// appear at the other end, like one half of a Linux veth pair.
//
// Each direction of the pipe has one goroutine that delivers frames, in
// order of arrival time, to the receiving end's Receiver; see Impairments
// for what happens on the way. With no Latency and no Bandwidth a frame
// is delivered as soon as that goroutine runs.
//
// Time comes from PipeConfig.Clock. With clock.Real inside a
// testing/synctest bubble (the pipe must be made inside the bubble), the
// goroutines wait on timers and so run on the bubble's fake time: a frame
// sent over a 100 ms pipe arrives exactly 100 ms of fake time later; Close
// the pipe before the bubble's function returns, or its goroutines keep
// the bubble from ending. With
// a clock.Manual, frames arrive when the test advances the clock past
// their arrival time: the goroutine's timer fires inside Advance and the
// goroutine then delivers, concurrently with the test, which must wait for
// the delivery (a Receiver that signals a channel, say) before looking.
//
// Closing either end closes the pair, as deleting one half of a veth pair
// deletes both; see Close.
type PipeEnd struct {
	p     *pipe
	name  string
	mac   wire.MAC
	peer  *PipeEnd
	tx    *direction // frames this end sends
	recv  atomic.Pointer[receiverBox]
	stats Stats
}

// pipe is what the two ends share.
type pipe struct {
	typ     Type
	mtu     int
	hdrLen  int
	caps    Capabilities
	flags   Flags // imposed flags, without carrier
	dirs    [2]*direction
	carrier atomic.Bool
	closed  atomic.Bool
	once    sync.Once
}

// NewPipe returns the two connected ends of a new pipe, each a Device.
// Their goroutines run until Close. It panics if cfg.Type is neither
// TypeEthernet, TypeRawIP nor zero.
func NewPipe(cfg PipeConfig) (*PipeEnd, *PipeEnd) {
	p := &pipe{typ: cfg.Type, mtu: cfg.MTU, caps: cfg.Capabilities}
	if p.typ == 0 {
		p.typ = TypeEthernet
	}
	if p.mtu <= 0 {
		p.mtu = DefaultPipeMTU
	}
	switch p.typ {
	case TypeEthernet:
		p.hdrLen = wire.EthernetHeaderLen
		p.flags = FlagBroadcast | FlagMulticast
	case TypeRawIP:
		p.flags = FlagPointToPoint | FlagNoARP | FlagMulticast
	default:
		panic("link: NewPipe with unknown Type " + p.typ.String())
	}
	clk := cfg.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	var ends [2]*PipeEnd
	for i := range ends {
		name := cfg.Names[i]
		if name == "" {
			name = "veth" + string(rune('0'+i))
		}
		ends[i] = &PipeEnd{p: p, name: name}
		if p.typ == TypeEthernet {
			ends[i].mac = cfg.MACs[i]
			if ends[i].mac == (wire.MAC{}) {
				ends[i].mac = pipeMAC(name, i)
			}
		}
	}
	if cfg.MACs[1] == (wire.MAC{}) && ends[0].mac == ends[1].mac {
		ends[1].mac[5] ^= 1
	}
	a, b := ends[0], ends[1]
	a.peer, b.peer = b, a
	base := clk.Now()
	p.dirs[0] = newDirection(a, b, clk, base, dirSalt[0], cfg.AtoB)
	p.dirs[1] = newDirection(b, a, clk, base, dirSalt[1], cfg.BtoA)
	a.tx, b.tx = p.dirs[0], p.dirs[1]
	p.carrier.Store(true)
	for _, d := range p.dirs {
		if d.serial {
			close(d.exited) // the clock delivers: no goroutine
			continue
		}
		go d.run()
	}
	return a, b
}

// pipeMAC derives a locally administered unicast address from an end's
// name and position.
func pipeMAC(name string, i int) wire.MAC {
	h := fnv.New64a()
	h.Write([]byte(name))
	h.Write([]byte{byte(i)})
	s := h.Sum64()
	return wire.MAC{0x02, byte(s >> 32), byte(s >> 24), byte(s >> 16), byte(s >> 8), byte(s)}
}

// Name returns the end's interface name.
func (e *PipeEnd) Name() string { return e.name }

// Type returns the pipe's link type.
func (e *PipeEnd) Type() Type { return e.p.typ }

// MTU returns the pipe's MTU.
func (e *PipeEnd) MTU() int { return e.p.mtu }

// HardwareAddr returns the end's MAC address, zero on a TypeRawIP pipe.
func (e *PipeEnd) HardwareAddr() wire.MAC { return e.mac }

// Flags reports BROADCAST and MULTICAST on an Ethernet pipe, POINTOPOINT,
// NOARP and MULTICAST on a raw IP one, and RUNNING and LOWER_UP while the
// carrier is up and the pipe open.
func (e *PipeEnd) Flags() Flags {
	f := e.p.flags
	if e.p.carrier.Load() && !e.p.closed.Load() {
		f |= FlagRunning | FlagLowerUp
	}
	return f
}

// Capabilities returns PipeConfig.Capabilities.
func (e *PipeEnd) Capabilities() Capabilities { return e.p.caps }

// Attach sets the receiver of the frames arriving at this end; nil
// detaches it, and frames arriving then are counted in RxDropped.
func (e *PipeEnd) Attach(r Receiver) { storeReceiver(&e.recv, r) }

// Stats returns the end's counters. TxPackets counts frames put on the
// wire, lost ones included; TxDropped frames refused with ENOBUFS or
// ENETDOWN; TxErrors frames refused as malformed (EMSGSIZE, EINVAL).
// RxPackets counts frames handed to the Receiver, RxDropped those that
// arrived with none attached.
func (e *PipeEnd) Stats() *Stats { return &e.stats }

// Peer returns the other end of the pipe.
func (e *PipeEnd) Peer() *PipeEnd { return e.peer }

// Transmit sends a frame, which starts with the pipe's link header, to
// the other end, taking the caller's reference. It never blocks and never
// calls a Receiver. It fails with ENETDOWN once the pipe is closed or
// while the carrier is down, with ENOBUFS when the direction's queue is
// full, with EMSGSIZE for a frame longer than the MTU plus the link
// header, and with EINVAL for one shorter than the link header. A frame
// lost on the wire is a success.
//
// The frame is handed over without a copy (except to corrupt a shared
// buffer): if the caller keeps a reference, the receiver sees a shared
// buffer and must not write it, as with Linux's skb_share_check.
func (e *PipeEnd) Transmit(pkt *pktbuf.Buffer) error {
	p := e.p
	if p.closed.Load() {
		e.stats.TxDropped.Add(1)
		pkt.Release()
		return errno.ENETDOWN
	}
	n := pkt.Len()
	limit := p.mtu
	if pkt.GSOType != pktbuf.GSONone && p.caps.GSOMaxSize > limit {
		limit = p.caps.GSOMaxSize
	}
	// An Ethernet pipe takes 4 more bytes for one 802.1Q tag, as veth's
	// MTU check allows (VLAN_HLEN).
	vlan := 0
	if p.typ == TypeEthernet {
		vlan = 4
	}
	if n > limit+p.hdrLen+vlan {
		e.stats.TxErrors.Add(1)
		pkt.Release()
		return errno.EMSGSIZE
	}
	if n == 0 || n < p.hdrLen {
		e.stats.TxErrors.Add(1)
		pkt.Release()
		return errno.EINVAL
	}
	return e.tx.send(pkt)
}

// SetImpairments replaces the impairments of the frames this end sends
// and restarts their random stream from imp.Seed. Frames already on the
// wire keep their fate and arrival times; later frames never arrive before
// earlier unreordered ones.
func (e *PipeEnd) SetImpairments(imp Impairments) { e.tx.setImpairments(imp) }

// Impairments returns the impairments of the frames this end sends.
func (e *PipeEnd) Impairments() Impairments { return e.tx.impairments() }

// ImpairStats returns what the wire did to the frames this end sent.
func (e *PipeEnd) ImpairStats() ImpairStats { return e.tx.st.snapshot() }

// SetCarrier plugs (true) or unplugs (false) the pipe's cable, for both
// ends. While it is unplugged Transmit fails with ENETDOWN, Flags lack
// RUNNING and LOWER_UP, and the frames that were on the wire are dropped
// (counted in ImpairStats.CarrierDrops). A frame the delivery goroutine has
// already taken off the wire is still delivered.
func (e *PipeEnd) SetCarrier(up bool) {
	p := e.p
	if p.closed.Load() {
		return
	}
	p.carrier.Store(up)
	for _, d := range p.dirs {
		d.setCarrier(up)
	}
}

// Carrier reports whether the pipe's cable is plugged in.
func (e *PipeEnd) Carrier() bool { return e.p.carrier.Load() }

// Close closes both ends of the pipe: it stops the two delivery
// goroutines, waits for them to return (so no Receive call is in progress
// or will start when it returns), and releases every frame still on the
// wire. Later Transmits on either end fail with ENETDOWN. Closing again,
// or closing the other end, does nothing and returns nil.
//
// Close must not be called from a Receiver of this pipe, whose goroutine
// it waits for (as Linux does not unregister a device from softirq); such
// a Receiver can call it from a new goroutine.
func (e *PipeEnd) Close() error {
	p := e.p
	p.once.Do(func() {
		p.closed.Store(true)
		for _, d := range p.dirs {
			d.close()
			close(d.done)
		}
		for _, d := range p.dirs {
			<-d.exited
			d.flushing.Wait() // a sender's Flush may be delivering (flush.go)
		}
	})
	return nil
}

var _ Device = (*PipeEnd)(nil)

// NotifyWritable registers w to be woken once the queue of the frames
// this end sends, having refused a frame with ENOBUFS, drains to half its
// QueueLimit (TxNotifier). A closed pipe drops the registration.
func (e *PipeEnd) NotifyWritable(w TxWaiter) { e.tx.notify(w) }

var _ TxNotifier = (*PipeEnd)(nil)
