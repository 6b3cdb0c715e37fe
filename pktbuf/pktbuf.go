// Package pktbuf is gosock's packet buffer, the counterpart of Linux's
// sk_buff.
//
// A Buffer owns one backing array and a window into it:
//
//	+-----------+==================+-----------+
//	| headroom  |       data       | tailroom  |
//	+-----------+==================+-----------+
//	0          head               tail        cap
//
// Going down the stack, each layer Pushes its header into the headroom,
// so a TCP segment gains its IP and Ethernet headers without a copy.
// Going up, each layer Pulls its header off the front of the data. The
// offsets of the link, network and transport headers are remembered so a
// later layer (an ICMP error quoting the IP header, a sniffer) can find
// them after they have been pulled.
//
// Ownership: a *Buffer has a reference count that starts at one. Whoever
// holds a reference owns it and must hand it on (Transmit and Deliver
// calls take the caller's reference) or give it back with Release. Ref
// adds a reference for a second reader, such as a retransmission queue
// keeping a segment the device is still sending; while more than one
// reference exists the data is shared and must not be written. Buffers
// come from size-classed pools and return to them when the last reference
// is released, so a warmed-up data path allocates nothing per packet.
package pktbuf

import (
	"sync"
	"sync/atomic"
)

// DefaultHeadroom is enough for an Ethernet header, an IPv6 header with a
// fragment header, and room to spare; a TCP layer asks for it when it
// allocates a segment.
const DefaultHeadroom = 128

// GSOType names the kind of super-segment a buffer carries.
type GSOType uint8

// GSO types, as Linux's SKB_GSO_* kinds.
const (
	GSONone  GSOType = iota // an ordinary packet
	GSOTCPv4                // TCP over IPv4, to be cut at GSOSize bytes of payload
	GSOTCPv6                // TCP over IPv6
	GSOUDPL4                // UDP segmentation (UDP_SEGMENT)
)

// Buffer is one packet. The zero value is not usable; get buffers from
// New, FromBytes or a Pool.
type Buffer struct {
	data []byte // the whole backing array; len(data) == cap(data)
	head int    // first byte of the packet
	tail int    // one past its last byte
	refs atomic.Int32
	pool *sizeClass

	linkOff, netOff, transOff int32 // header offsets into data, -1 if unset

	// owner is told once when the buffer leaves the device's custody
	// (Orphan), as Linux's skb destructor (tcp_wfree) runs at skb_orphan
	// or kfree_skb.
	owner Owner

	// Protocol is the EtherType of the network header (0x0800, 0x86DD,
	// 0x0806) once the link layer knows it.
	Protocol uint16
	// IfIndex is the interface index the packet arrived on or leaves by.
	IfIndex int32
	// Mark is SO_MARK's value, carried for routing and filtering.
	Mark uint32
	// GSOType and GSOSize describe a super-segment: a TCP or UDP payload
	// to be cut into GSOSize-byte segments by the device or by software
	// before it reaches a wire that cannot take it whole.
	GSOType GSOType
	GSOSize uint16
	// ChecksumPartial means the transport checksum holds only the
	// pseudo-header sum and the device (or software fallback) must finish
	// it, as Linux's CHECKSUM_PARTIAL.
	ChecksumPartial bool
	// ChecksumVerified means a device already checked the transport
	// checksum on receive, as Linux's CHECKSUM_UNNECESSARY.
	ChecksumVerified bool
	// Broadcast and Multicast note how the link layer addressed the frame
	// (Linux's PACKET_BROADCAST / PACKET_MULTICAST), and OtherHost that it
	// was for another station.
	Broadcast, Multicast, OtherHost bool
	// SenderFlushes says the sender will call the device's Flush
	// (link.Flusher) once it leaves its critical section, so a device
	// may leave the frame queued without waking its delivery goroutine
	// and let the sender deliver it (as Linux's softirq runs on the
	// sending CPU when it enables bottom halves again). Code that keeps
	// the buffer to transmit it later, from another context, clears it;
	// Clone does not copy it.
	SenderFlushes bool
}

// Owner is the sender of a buffer that wants to know when the buffer
// has completed transmission below it: Linux's skb->sk with the
// destructor that gives back its sk_wmem_alloc charge (TCP's tcp_wfree,
// which TCP small queues and autocorking watch). It is an interface value
// holding the sender itself, so setting it allocates nothing per packet.
type Owner interface {
	// TxComplete is called exactly once per buffer the owner was set on,
	// from whichever goroutine orphans or releases it, possibly with the
	// transmitting caller's locks held (a device that refuses the frame
	// inside Transmit releases it there): it must not block on a lock the
	// sender may hold.
	TxComplete()
}

// outstanding counts buffers handed out and not yet returned, so tests
// can prove a path releases everything it takes.
var outstanding atomic.Int64

// Outstanding returns how many buffers are live across the process.
func Outstanding() int64 { return outstanding.Load() }

// sizeClass is one pool of equally sized backing arrays.
type sizeClass struct {
	size int
	pool sync.Pool
}

// The classes cover a small control packet, an Ethernet frame, a jumbo
// frame and a 64 KiB super-segment with headroom.
var classes = func() []*sizeClass {
	sizes := []int{512, 2048, 9216 + DefaultHeadroom, 65536 + 2*DefaultHeadroom + 2048}
	cs := make([]*sizeClass, len(sizes))
	for i, s := range sizes {
		c := &sizeClass{size: s}
		c.pool.New = func() any { return &Buffer{data: make([]byte, c.size), pool: c} }
		cs[i] = c
	}
	return cs
}()

// New returns a buffer with headroom bytes before its data and length
// bytes of data, whose contents are undefined (not zeroed: the caller is
// about to write them). It comes from a pool when one fits.
func New(headroom, length int) *Buffer {
	if headroom < 0 || length < 0 {
		panic("pktbuf: negative size")
	}
	need := headroom + length
	var b *Buffer
	for _, c := range classes {
		if need <= c.size {
			b = c.pool.Get().(*Buffer)
			break
		}
	}
	if b == nil {
		b = &Buffer{data: make([]byte, need)}
	}
	b.reset(headroom, length)
	return b
}

// FromBytes returns a buffer holding a copy of p, with headroom in front.
func FromBytes(headroom int, p []byte) *Buffer {
	b := New(headroom, len(p))
	copy(b.Bytes(), p)
	return b
}

func (b *Buffer) reset(headroom, length int) {
	b.head = headroom
	b.tail = headroom + length
	b.refs.Store(1)
	b.linkOff, b.netOff, b.transOff = -1, -1, -1
	b.Protocol = 0
	b.IfIndex = 0
	b.Mark = 0
	b.GSOType = GSONone
	b.GSOSize = 0
	b.ChecksumPartial = false
	b.ChecksumVerified = false
	b.Broadcast, b.Multicast, b.OtherHost = false, false, false
	b.SenderFlushes = false
	outstanding.Add(1)
}

// Bytes returns the packet's data. The slice aliases the buffer: it is
// valid until the buffer is released or its bounds change.
func (b *Buffer) Bytes() []byte { return b.data[b.head:b.tail:b.tail] }

// Len returns the length of the data.
func (b *Buffer) Len() int { return b.tail - b.head }

// Headroom returns the room left in front of the data.
func (b *Buffer) Headroom() int { return b.head }

// Tailroom returns the room left behind the data.
func (b *Buffer) Tailroom() int { return len(b.data) - b.tail }

// Push extends the data n bytes to the front and returns those bytes, for
// a header to be written into. If the headroom is too small the buffer is
// moved to a larger backing array (a slow path, as skb_cow_head).
func (b *Buffer) Push(n int) []byte {
	if n < 0 {
		panic("pktbuf: negative Push")
	}
	if n > b.head {
		b.grow(n-b.head+DefaultHeadroom, 0)
	}
	b.head -= n
	return b.data[b.head : b.head+n : b.head+n]
}

// Pull removes n bytes from the front of the data and returns them. It
// returns nil and leaves the buffer alone if the data is shorter than n.
func (b *Buffer) Pull(n int) []byte {
	if n < 0 || n > b.Len() {
		return nil
	}
	h := b.data[b.head : b.head+n : b.head+n]
	b.head += n
	return h
}

// Put extends the data n bytes at the end and returns those bytes. If the
// tailroom is too small the buffer moves to a larger backing array.
func (b *Buffer) Put(n int) []byte {
	if n < 0 {
		panic("pktbuf: negative Put")
	}
	if n > b.Tailroom() {
		b.grow(0, n-b.Tailroom())
	}
	t := b.data[b.tail : b.tail+n : b.tail+n]
	b.tail += n
	return t
}

// Trim cuts the data to its first n bytes; it does nothing if the data is
// already no longer than n. Link layers use it to drop Ethernet padding.
func (b *Buffer) Trim(n int) {
	if n >= 0 && n < b.Len() {
		b.tail = b.head + n
	}
}

// grow moves the data to a larger array with at least front bytes more
// headroom and back bytes more tailroom. Header offsets move with it.
func (b *Buffer) grow(front, back int) {
	if b.refs.Load() > 1 {
		panic("pktbuf: growing a shared buffer")
	}
	nb := make([]byte, len(b.data)+front+back)
	copy(nb[front:], b.data)
	if b.pool != nil {
		old := &Buffer{data: b.data, pool: b.pool}
		b.pool.pool.Put(old)
		b.pool = nil
	}
	b.data = nb
	b.head += front
	b.tail += front
	for _, off := range []*int32{&b.linkOff, &b.netOff, &b.transOff} {
		if *off >= 0 {
			*off += int32(front)
		}
	}
}

// SetOwner makes o the buffer's owner, to be told when the buffer is
// orphaned or released for the last time. The caller owns the only
// reference and the buffer has no owner yet.
func (b *Buffer) SetOwner(o Owner) { b.owner = o }

// HasOwner reports whether an owner waits for the buffer's completion.
func (b *Buffer) HasOwner() bool { return b.owner != nil }

// Orphan tells the owner, if any, that the buffer has left the sender's
// account (skb_orphan): a device calls it when the frame leaves its
// transmit queue, or before handing the buffer to a receiver. Releasing
// the last reference orphans the buffer too, so a frame dropped or
// refused anywhere completes exactly once. Only the holder of the
// buffer's only reference, or a device between Transmit and its delivery,
// may call it.
func (b *Buffer) Orphan() {
	if o := b.owner; o != nil {
		b.owner = nil
		o.TxComplete()
	}
}

// Ref adds a reference and returns b, for a second holder.
func (b *Buffer) Ref() *Buffer {
	if b.refs.Add(1) <= 1 {
		panic("pktbuf: Ref of a released buffer")
	}
	return b
}

// Shared reports whether more than one reference exists, in which case
// the data must not be written.
func (b *Buffer) Shared() bool { return b.refs.Load() > 1 }

// Release gives back one reference; the last one returns the buffer to
// its pool. Using b after releasing one's reference is a bug.
func (b *Buffer) Release() {
	switch n := b.refs.Add(-1); {
	case n > 0:
		return
	case n < 0:
		panic("pktbuf: Release of a released buffer")
	}
	b.Orphan()
	outstanding.Add(-1)
	if b.pool != nil {
		b.pool.pool.Put(b)
	}
}

// Clone returns a private copy of the packet, its headroom and its
// metadata, for a writer that must not disturb other holders.
func (b *Buffer) Clone() *Buffer {
	c := New(b.head, b.Len())
	copy(c.Bytes(), b.Bytes())
	c.copyMeta(b)
	return c
}

func (c *Buffer) copyMeta(b *Buffer) {
	c.linkOff, c.netOff, c.transOff = b.linkOff, b.netOff, b.transOff
	c.Protocol = b.Protocol
	c.IfIndex = b.IfIndex
	c.Mark = b.Mark
	c.GSOType, c.GSOSize = b.GSOType, b.GSOSize
	c.ChecksumPartial, c.ChecksumVerified = b.ChecksumPartial, b.ChecksumVerified
	c.Broadcast, c.Multicast, c.OtherHost = b.Broadcast, b.Multicast, b.OtherHost
}

// SetLinkHeader marks the current front of the data as the link header.
func (b *Buffer) SetLinkHeader() { b.linkOff = int32(b.head) }

// SetNetworkHeader marks the current front of the data as the network
// header.
func (b *Buffer) SetNetworkHeader() { b.netOff = int32(b.head) }

// SetTransportHeader marks the current front of the data as the transport
// header.
func (b *Buffer) SetTransportHeader() { b.transOff = int32(b.head) }

// LinkHeader returns the bytes from the link header to the end of the
// data, or nil if none was marked.
func (b *Buffer) LinkHeader() []byte { return b.from(b.linkOff) }

// NetworkHeader returns the bytes from the network header to the end of
// the data, or nil if none was marked.
func (b *Buffer) NetworkHeader() []byte { return b.from(b.netOff) }

// TransportHeader returns the bytes from the transport header to the end
// of the data, or nil if none was marked.
func (b *Buffer) TransportHeader() []byte { return b.from(b.transOff) }

func (b *Buffer) from(off int32) []byte {
	if off < 0 || int(off) > b.tail {
		return nil
	}
	return b.data[off:b.tail:b.tail]
}
