// Package reasm reassembles fragmented IP datagrams, for IPv4 (RFC 791,
// RFC 815) and IPv6 (RFC 8200 section 4.5), with Linux's inet_frag rules:
//
//   - A fragment that overlaps another is fatal to its whole datagram
//     (RFC 5722; Linux applies the same rule to IPv4), except an exact
//     or contained duplicate, which is dropped and the datagram kept.
//   - Memory is bounded per namespace: a fragment that would take the
//     table past its high threshold is dropped (ipfrag_high_thresh).
//   - A datagram not completed within the time limit (ipfrag_time) is
//     discarded, and the caller is told so it can send ICMP "fragment
//     reassembly time exceeded" when the first fragment had arrived.
//   - A datagram may not grow past its protocol's maximum (65,535 bytes
//     of IPv4 total length, 65,535 bytes of IPv6 payload).
//
// Fragments are held by reference, not copied; the finished datagram is
// built with one copy into a fresh buffer.
package reasm

import (
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/pktbuf"
)

// Key identifies one datagram being reassembled.
type Key struct {
	Src, Dst netip.Addr
	ID       uint32
	// Proto is the IPv4 protocol; IPv6 keys leave it zero, as the next
	// header is not part of the IPv6 identification.
	Proto uint8
	// IfIndex separates link-local IPv6 traffic of different links.
	IfIndex int32
}

// Status is the result of adding a fragment.
type Status uint8

// Results of Add.
const (
	// Queued: the fragment was kept; the datagram is not complete.
	Queued Status = iota
	// Complete: the datagram is whole and returned.
	Complete
	// Duplicate: the fragment repeated data already held and was dropped.
	Duplicate
	// Overlap: the fragment overlapped another; the datagram was dropped.
	Overlap
	// TooBig: the datagram would exceed the protocol's maximum.
	TooBig
	// NoMemory: the table is at its memory limit.
	NoMemory
	// Invalid: inconsistent lengths (data past a known end, a second
	// last fragment, an empty middle fragment).
	Invalid
)

// Config are a table's limits and hooks.
type Config struct {
	Clock clock.Clock
	// HighThresh returns the memory limit in bytes (ipfrag_high_thresh).
	HighThresh func() int64
	// Timeout returns the reassembly time limit (ipfrag_time).
	Timeout func() time.Duration
	// MaxPayload is the largest reassembled payload (after the header of
	// the first fragment): 65,535 minus the IPv4 header, or 65,535 for
	// IPv6.
	MaxPayload func(hdrLen int) int
	// Expired is called, from a timer, for a datagram that timed out;
	// first is its first fragment (offset 0) if that one had arrived, or
	// nil. The callee takes the reference to first.
	Expired func(key Key, first *pktbuf.Buffer)
}

type frag struct {
	off, end int // payload byte range in the datagram
	pkt      *pktbuf.Buffer
	payload  []byte
}

type queue struct {
	key   Key
	frags []frag // sorted by off, non-overlapping
	total int    // payload length once the last fragment is known, else -1
	hdr   []byte // network header (and extension headers) of the first fragment
	first *pktbuf.Buffer
	mem   int64
	timer clock.Timer
	dead  bool
}

// Table holds the datagrams being reassembled in one namespace for one
// IP version.
type Table struct {
	cfg Config

	mu     sync.Mutex
	queues map[Key]*queue
	mem    int64
}

// New returns an empty table.
func New(cfg Config) *Table {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	return &Table{cfg: cfg, queues: make(map[Key]*queue)}
}

// Memory returns the bytes held by incomplete datagrams.
func (t *Table) Memory() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.mem
}

// Pending returns the number of incomplete datagrams.
func (t *Table) Pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.queues)
}

// cost is what a fragment is charged: its buffer, like Linux's truesize.
func cost(pkt *pktbuf.Buffer) int64 { return int64(pkt.Len() + pkt.Headroom() + 256) }

// Add offers one fragment. hdr is the part of the packet before the
// fragmentable payload (IPv4 header; IPv6 header and unfragmentable
// extension headers) and payload the fragment's data at byte offset off;
// more is the more-fragments flag. Both must alias pkt, whose reference
// Add takes. When Add returns Complete, the returned buffer holds the
// first fragment's hdr followed by the whole payload; the caller fixes up
// the header's length fields.
func (t *Table) Add(key Key, off int, more bool, hdr, payload []byte, pkt *pktbuf.Buffer) (*pktbuf.Buffer, Status) {
	end := off + len(payload)
	if end > t.cfg.MaxPayload(len(hdr)) {
		pkt.Release()
		t.mu.Lock()
		if q := t.queues[key]; q != nil {
			t.killLocked(q)
		}
		t.mu.Unlock()
		return nil, TooBig
	}
	t.mu.Lock()
	q := t.queues[key]
	c := cost(pkt)
	if t.mem+c > t.cfg.HighThresh() {
		t.mu.Unlock()
		pkt.Release()
		return nil, NoMemory
	}
	if q == nil {
		q = &queue{key: key, total: -1}
		t.queues[key] = q
		q.timer = t.cfg.Clock.AfterFunc(t.cfg.Timeout(), func() { t.expire(q) })
	}
	st := t.insertLocked(q, off, end, more, hdr, payload, pkt, c)
	if st != Queued {
		t.mu.Unlock()
		return nil, st
	}
	if q.total < 0 || len(q.frags) == 0 || q.frags[0].off != 0 {
		t.mu.Unlock()
		return nil, Queued
	}
	covered := 0
	for _, f := range q.frags {
		if f.off != covered {
			t.mu.Unlock()
			return nil, Queued
		}
		covered = f.end
	}
	if covered != q.total {
		t.mu.Unlock()
		return nil, Queued
	}
	out := t.assembleLocked(q)
	t.mu.Unlock()
	return out, Complete
}

func (t *Table) insertLocked(q *queue, off, end int, more bool, hdr, payload []byte, pkt *pktbuf.Buffer, c int64) Status {
	invalid := func() Status {
		pkt.Release()
		return Invalid
	}
	if !more {
		// The last fragment fixes the length; a different one later, or
		// data beyond it, is inconsistent (Linux drops the datagram).
		if q.total >= 0 && q.total != end || len(q.frags) > 0 && q.frags[len(q.frags)-1].end > end {
			t.killLocked(q)
			return invalid()
		}
		q.total = end
	} else {
		if end == off {
			return invalid()
		}
		if q.total >= 0 && end > q.total {
			t.killLocked(q)
			return invalid()
		}
	}
	i, _ := slices.BinarySearchFunc(q.frags, off, func(f frag, o int) int { return f.off - o })
	// Duplicate: entirely inside one fragment already held.
	for _, j := range []int{i - 1, i} {
		if j >= 0 && j < len(q.frags) && q.frags[j].off <= off && end <= q.frags[j].end {
			pkt.Release()
			return Duplicate
		}
	}
	if i > 0 && q.frags[i-1].end > off || i < len(q.frags) && q.frags[i].off < end {
		pkt.Release()
		t.killLocked(q)
		return Overlap
	}
	q.frags = slices.Insert(q.frags, i, frag{off: off, end: end, pkt: pkt, payload: payload})
	q.mem += c
	t.mem += c
	if off == 0 {
		q.hdr = hdr
		q.first = pkt
	}
	return Queued
}

func (t *Table) assembleLocked(q *queue) *pktbuf.Buffer {
	out := pktbuf.New(pktbuf.DefaultHeadroom, len(q.hdr)+q.total)
	b := out.Bytes()
	n := copy(b, q.hdr)
	for _, f := range q.frags {
		copy(b[n+f.off:], f.payload)
	}
	first := q.first
	out.IfIndex = first.IfIndex
	out.Protocol = first.Protocol
	out.Broadcast, out.Multicast = first.Broadcast, first.Multicast
	t.removeLocked(q)
	for _, f := range q.frags {
		f.pkt.Release()
	}
	q.frags = nil
	return out
}

func (t *Table) removeLocked(q *queue) {
	if q.dead {
		return
	}
	q.dead = true
	q.timer.Stop()
	delete(t.queues, q.key)
	t.mem -= q.mem
}

func (t *Table) killLocked(q *queue) {
	t.removeLocked(q)
	for _, f := range q.frags {
		f.pkt.Release()
	}
	q.frags = nil
}

func (t *Table) expire(q *queue) {
	t.mu.Lock()
	if q.dead {
		t.mu.Unlock()
		return
	}
	var first *pktbuf.Buffer
	if q.first != nil && len(q.frags) > 0 && q.frags[0].off == 0 {
		first = q.first.Ref()
	}
	t.killLocked(q)
	t.mu.Unlock()
	if t.cfg.Expired != nil {
		t.cfg.Expired(q.key, first)
	} else if first != nil {
		first.Release()
	}
}

// Flush drops every incomplete datagram (namespace teardown).
func (t *Table) Flush() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, q := range t.queues {
		t.killLocked(q)
	}
}
