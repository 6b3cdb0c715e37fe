package link

import (
	"sync"
	"sync/atomic"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// Loopback defaults, as Linux's lo.
const (
	// LoopbackMTU is lo's MTU (64 KiB since Linux 3.6).
	LoopbackMTU = 65536
	// LoopbackBacklog is how many frames lo queues for its receive
	// goroutine, as Linux's netdev_max_backlog.
	LoopbackBacklog = 1000
)

// Loopback is the namespace's lo: every frame it transmits comes back to
// its own Receiver. Frames carry a 14-byte Ethernet header with zero
// addresses, as Linux's loopback does, and nothing can damage them, so a
// frame sent with a partial checksum arrives with ChecksumVerified set.
//
// Transmit only queues the frame; a goroutine of the device hands the
// queued frames to the Receiver one at a time, in order, so a protocol
// may transmit on lo while holding its locks.
type Loopback struct {
	mtu     int
	backlog int

	mu     sync.Mutex
	q      fifo
	idle   bool // the goroutine waits on wake
	closed bool

	wake   chan struct{} // buffer of one
	done   chan struct{}
	exited chan struct{}
	once   sync.Once
	dead   atomic.Bool
	recv   atomic.Pointer[receiverBox]
	stats  Stats
}

// A LoopbackOption changes a default of NewLoopback.
type LoopbackOption func(*Loopback)

// WithLoopbackMTU sets the loopback's MTU instead of LoopbackMTU.
func WithLoopbackMTU(mtu int) LoopbackOption {
	return func(l *Loopback) {
		if mtu > 0 {
			l.mtu = mtu
		}
	}
}

// WithLoopbackBacklog sets how many frames may wait for the receive
// goroutine instead of LoopbackBacklog.
func WithLoopbackBacklog(n int) LoopbackOption {
	return func(l *Loopback) {
		if n > 0 {
			l.backlog = n
		}
	}
}

// NewLoopback returns a loopback device named "lo" and starts its receive
// goroutine, which runs until Close. It keeps no timers, so it needs no
// clock. To use it inside a testing/synctest bubble, make it inside the
// bubble and Close it before the bubble's function returns.
func NewLoopback(opts ...LoopbackOption) *Loopback {
	l := &Loopback{
		mtu:     LoopbackMTU,
		backlog: LoopbackBacklog,
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		exited:  make(chan struct{}),
	}
	for _, o := range opts {
		o(l)
	}
	go l.run()
	return l
}

// Name returns "lo".
func (l *Loopback) Name() string { return "lo" }

// Type returns TypeEthernet.
func (l *Loopback) Type() Type { return TypeEthernet }

// MTU returns the loopback's MTU, LoopbackMTU unless set otherwise.
func (l *Loopback) MTU() int { return l.mtu }

// HardwareAddr returns the zero address.
func (l *Loopback) HardwareAddr() wire.MAC { return wire.MAC{} }

// Flags reports LOOPBACK, and RUNNING and LOWER_UP until Close.
func (l *Loopback) Flags() Flags {
	if l.dead.Load() {
		return FlagLoopback
	}
	return FlagLoopback | FlagRunning | FlagLowerUp
}

// Capabilities reports GSO up to 64 KiB and checksum offload: a loopback
// never needs to cut or checksum a packet.
func (l *Loopback) Capabilities() Capabilities {
	return Capabilities{GSOMaxSize: 65536, ChecksumOffload: true}
}

// Attach sets the receiver of looped-back frames; nil detaches it, and
// frames delivered then are counted in RxDropped.
func (l *Loopback) Attach(r Receiver) { storeReceiver(&l.recv, r) }

// Stats returns the counters: Tx when a frame is queued, Rx when it is
// handed to the Receiver.
func (l *Loopback) Stats() *Stats { return &l.stats }

// Transmit queues a frame, which starts with an Ethernet header, for the
// receive goroutine, taking the caller's reference. It fails with
// ENETDOWN after Close, with EMSGSIZE for a frame longer than the MTU (or,
// with GSO metadata, 64 KiB) plus the header, with EINVAL for one shorter
// than the header, and with ENOBUFS (counted in TxDropped) when the
// backlog is full. Linux's loopback_xmit instead reports success and
// counts the backlog drop on the receive side; gosock tells the sender, as
// a full qdisc would.
func (l *Loopback) Transmit(pkt *pktbuf.Buffer) error {
	n := pkt.Len()
	limit := l.mtu
	if pkt.GSOType != pktbuf.GSONone {
		limit = max(limit, 65536)
	}
	var err error
	switch {
	case l.dead.Load():
		err = errno.ENETDOWN
	case n > limit+wire.EthernetHeaderLen:
		err = errno.EMSGSIZE
	case n < wire.EthernetHeaderLen:
		err = errno.EINVAL
	}
	if err != nil {
		if err == errno.ENETDOWN {
			l.stats.TxDropped.Add(1)
		} else {
			l.stats.TxErrors.Add(1)
		}
		pkt.Release()
		return err
	}
	if pkt.ChecksumPartial {
		pkt.ChecksumVerified = true
	}
	l.mu.Lock()
	if l.closed || l.q.n >= l.backlog {
		closed := l.closed
		l.mu.Unlock()
		l.stats.TxDropped.Add(1)
		pkt.Release()
		if closed {
			return errno.ENETDOWN
		}
		return errno.ENOBUFS
	}
	l.q.push(entry{pkt: pkt})
	wake := l.idle
	l.idle = false
	l.mu.Unlock()
	l.stats.TxPackets.Add(1)
	l.stats.TxBytes.Add(uint64(n))
	if wake {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// run is the receive goroutine.
func (l *Loopback) run() {
	defer close(l.exited)
	for {
		l.mu.Lock()
		for l.q.n == 0 && !l.closed {
			l.idle = true
			l.mu.Unlock()
			select {
			case <-l.wake:
			case <-l.done:
				return
			}
			l.mu.Lock()
		}
		if l.closed {
			l.mu.Unlock()
			return
		}
		pkt := l.q.pop().pkt
		l.mu.Unlock()

		b := l.recv.Load()
		if b == nil {
			l.stats.RxDropped.Add(1)
			pkt.Release()
			continue
		}
		l.stats.RxPackets.Add(1)
		l.stats.RxBytes.Add(uint64(pkt.Len()))
		b.r.Receive(l, pkt)
	}
}

// Close stops the receive goroutine, waits for it to return (so no
// Receive call is in progress or will start when Close returns), and
// releases the queued frames. Later Transmits fail with ENETDOWN; closing
// again does nothing. Close must not be called from the loopback's own
// Receiver, whose goroutine it waits for; call it from a new goroutine
// there.
func (l *Loopback) Close() error {
	l.once.Do(func() {
		l.dead.Store(true)
		l.mu.Lock()
		l.closed = true
		l.q.release()
		l.mu.Unlock()
		close(l.done)
		<-l.exited
	})
	return nil
}

var _ Device = (*Loopback)(nil)
