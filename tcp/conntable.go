package tcp

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"net/netip"
)

// connTable is the established-connection table (Linux's ehash): the
// connections by 4-tuple, for the demultiplexing of every segment. It is
// an open-addressing hash table, probed linearly, of connection pointers
// with their hashes (a probe dereferences only a likely match, and
// growing rehashes nothing): the key is the connection's own local and
// remote addresses, so a slot costs 16 bytes. A Go map keyed by the 4-tuple held a 64-byte key and a
// value per slot, about 160 bytes per connection with its growth slack,
// as much as a twentieth of an idle connection's memory.
//
// The table is guarded by Protocol.mu; the zero value is empty.
type connTable struct {
	seed  uint64   // random per table, so remote peers cannot aim at a chain
	slots []ctSlot // a power of two long, or nil
	n     int
}

// ctSlot is a slot of connTable: c nil when free.
type ctSlot struct {
	h uint64
	c *conn
}

// connKey is a connection's 4-tuple, wire addresses.
type connKey struct{ local, remote netip.AddrPort }

// hash mixes the 4-tuple with the table's seed: each 64-bit word of the
// addresses, and the ports, folded in by a 128-bit multiply (as
// wyhash's mixing step). The zones of scoped IPv6 addresses are left
// out; get compares whole addresses.
func (t *connTable) hash(local, remote netip.AddrPort) uint64 {
	la, ra := local.Addr().As16(), remote.Addr().As16()
	h := t.seed ^ uint64(local.Port())<<16 ^ uint64(remote.Port())
	for _, w := range [4]uint64{
		binary.LittleEndian.Uint64(la[:8]), binary.LittleEndian.Uint64(la[8:]),
		binary.LittleEndian.Uint64(ra[:8]), binary.LittleEndian.Uint64(ra[8:]),
	} {
		hi, lo := bits.Mul64(h^w, 0x9e3779b97f4a7c15)
		h = hi ^ lo
	}
	hi, lo := bits.Mul64(h, 0xbf58476d1ce4e5b9)
	return hi ^ lo
}

// get returns the connection with the 4-tuple, or nil.
func (t *connTable) get(local, remote netip.AddrPort) *conn {
	if t.n == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	h := t.hash(local, remote)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.c == nil {
			return nil
		}
		if sl.h == h && sl.c.local == local && sl.c.remote == remote {
			return sl.c
		}
	}
}

// insert adds c under its 4-tuple, unless the tuple is taken: false.
func (t *connTable) insert(c *conn) bool {
	if t.get(c.local, c.remote) != nil {
		return false
	}
	if (t.n+1)*4 > len(t.slots)*3 { // load at most 3/4
		t.resize(max(2*len(t.slots), 64))
	}
	t.place(ctSlot{t.hash(c.local, c.remote), c})
	t.n++
	return true
}

// place puts sl in the first free slot of its probe sequence.
func (t *connTable) place(sl ctSlot) {
	mask := uint64(len(t.slots) - 1)
	i := sl.h & mask
	for t.slots[i].c != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = sl
}

// remove takes c out if it is the connection under its 4-tuple.
func (t *connTable) remove(c *conn) {
	if t.n == 0 {
		return
	}
	mask := uint64(len(t.slots) - 1)
	i := t.hash(c.local, c.remote) & mask
	for t.slots[i].c != c {
		if t.slots[i].c == nil {
			return
		}
		i = (i + 1) & mask
	}
	// Backward-shift deletion: pull later members of the cluster into
	// the hole when their home slot does not lie between the hole and
	// them, so every probe sequence stays unbroken without tombstones.
	for j := i; ; {
		t.slots[i] = ctSlot{}
		for {
			j = (j + 1) & mask
			o := t.slots[j]
			if o.c == nil {
				t.n--
				if len(t.slots) > 64 && t.n*8 < len(t.slots) {
					t.resize(len(t.slots) / 2) // give memory back as connections go
				}
				return
			}
			home := o.h & mask
			// o may move to i unless home is cyclically in (i, j].
			if i <= j {
				if i < home && home <= j {
					continue
				}
			} else if i < home || home <= j {
				continue
			}
			t.slots[i] = o
			i = j
			break
		}
	}
}

// resize rehashes into size slots.
func (t *connTable) resize(size int) {
	old := t.slots
	if t.slots == nil {
		var s maphash.Hash
		t.seed = s.Sum64() // a random seed (maphash's are)
	}
	t.slots = make([]ctSlot, size)
	for _, sl := range old {
		if sl.c != nil {
			t.place(sl)
		}
	}
}

// len returns the number of connections.
func (t *connTable) len() int { return t.n }

// all yields every connection.
func (t *connTable) all(yield func(*conn) bool) {
	for _, sl := range t.slots {
		if sl.c != nil && !yield(sl.c) {
			return
		}
	}
}
