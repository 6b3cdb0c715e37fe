package reasm

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/pktbuf"
)

var key = Key{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), ID: 7, Proto: 17}

func newTable(clk clock.Clock, high int64, expired func(Key, *pktbuf.Buffer)) *Table {
	return New(Config{
		Clock:      clk,
		HighThresh: func() int64 { return high },
		Timeout:    func() time.Duration { return 30 * time.Second },
		MaxPayload: func(h int) int { return 65535 - h },
		Expired:    expired,
	})
}

// frag builds a fragment buffer "HDR!" + data and offers it.
func add(t *Table, off int, more bool, data []byte) (*pktbuf.Buffer, Status) {
	p := pktbuf.FromBytes(pktbuf.DefaultHeadroom, append([]byte("HDR!"), data...))
	b := p.Bytes()
	return t.Add(key, off, more, b[:4], b[4:], p)
}

func TestReassembleAnyOrder(t *testing.T) {
	before := pktbuf.Outstanding()
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 5000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for trial := range 50 {
		tb := newTable(clock.NewManual(time.Unix(0, 0)), 4<<20, nil)
		type piece struct {
			off  int
			more bool
		}
		var pieces []piece
		for off := 0; off < len(data); off += 1480 {
			pieces = append(pieces, piece{off, off+1480 < len(data)})
		}
		rng.Shuffle(len(pieces), func(i, j int) { pieces[i], pieces[j] = pieces[j], pieces[i] })
		var out *pktbuf.Buffer
		for i, pc := range pieces {
			end := min(pc.off+1480, len(data))
			o, st := add(tb, pc.off, pc.more, data[pc.off:end])
			if i < len(pieces)-1 {
				if st != Queued {
					t.Fatalf("trial %d: piece %d status %d", trial, i, st)
				}
				continue
			}
			if st != Complete {
				t.Fatalf("trial %d: last piece status %d", trial, st)
			}
			out = o
		}
		if got := out.Bytes(); !bytes.Equal(got[:4], []byte("HDR!")) || !bytes.Equal(got[4:], data) {
			t.Fatalf("trial %d: reassembled datagram differs", trial)
		}
		out.Release()
		if tb.Memory() != 0 || tb.Pending() != 0 {
			t.Fatalf("memory %d, pending %d after completion", tb.Memory(), tb.Pending())
		}
	}
	if pktbuf.Outstanding() != before {
		t.Errorf("leaked %d buffers", pktbuf.Outstanding()-before)
	}
}

func TestOverlapDuplicateAndLimits(t *testing.T) {
	chunk := bytes.Repeat([]byte{1}, 800)
	cases := []struct {
		name  string
		steps func(tb *Table) Status
		want  Status
	}{
		{"exact duplicate kept", func(tb *Table) Status {
			add(tb, 0, true, chunk)
			_, st := add(tb, 0, true, chunk)
			return st
		}, Duplicate},
		{"contained duplicate", func(tb *Table) Status {
			add(tb, 0, true, chunk)
			_, st := add(tb, 8, true, chunk[:400])
			return st
		}, Duplicate},
		{"partial overlap kills", func(tb *Table) Status {
			add(tb, 0, true, chunk)
			_, st := add(tb, 400, true, chunk)
			if tb.Pending() != 0 {
				return Queued
			}
			return st
		}, Overlap},
		{"overlap from the right", func(tb *Table) Status {
			add(tb, 800, true, chunk)
			_, st := add(tb, 400, true, chunk[:408])
			return st
		}, Overlap},
		{"too big", func(tb *Table) Status {
			_, st := add(tb, 65000, false, chunk)
			return st
		}, TooBig},
		{"data past the end", func(tb *Table) Status {
			add(tb, 800, false, chunk)
			_, st := add(tb, 1600, true, chunk)
			return st
		}, Invalid},
		{"second different last fragment", func(tb *Table) Status {
			add(tb, 800, false, chunk)
			_, st := add(tb, 1600, false, chunk)
			return st
		}, Invalid},
		{"empty middle fragment", func(tb *Table) Status {
			_, st := add(tb, 800, true, nil)
			return st
		}, Invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := pktbuf.Outstanding()
			tb := newTable(clock.NewManual(time.Unix(0, 0)), 4<<20, nil)
			if got := c.steps(tb); got != c.want {
				t.Errorf("status %d, want %d", got, c.want)
			}
			tb.Flush()
			if tb.Memory() != 0 || pktbuf.Outstanding() != before {
				t.Errorf("memory %d, leaked %d", tb.Memory(), pktbuf.Outstanding()-before)
			}
		})
	}
}

func TestMemoryBoundedUnderFlood(t *testing.T) {
	before := pktbuf.Outstanding()
	const high = 256 << 10
	tb := newTable(clock.NewManual(time.Unix(0, 0)), high, nil)
	chunk := bytes.Repeat([]byte{2}, 1400)
	dropped := 0
	for i := range 10000 {
		k := key
		k.ID = uint32(i)
		p := pktbuf.FromBytes(pktbuf.DefaultHeadroom, append([]byte("HDR!"), chunk...))
		b := p.Bytes()
		if _, st := tb.Add(k, 1400, true, b[:4], b[4:], p); st == NoMemory {
			dropped++
		}
		if tb.Memory() > high {
			t.Fatalf("memory %d above limit %d", tb.Memory(), high)
		}
	}
	if dropped == 0 {
		t.Error("flood never hit the limit")
	}
	tb.Flush()
	if pktbuf.Outstanding() != before {
		t.Errorf("leaked %d", pktbuf.Outstanding()-before)
	}
}

func TestTimeoutReportsFirstFragment(t *testing.T) {
	before := pktbuf.Outstanding()
	clk := clock.NewManual(time.Unix(0, 0))
	var gotKey Key
	var gotFirst []byte
	calls := 0
	tb := newTable(clk, 4<<20, func(k Key, first *pktbuf.Buffer) {
		calls++
		gotKey = k
		if first != nil {
			gotFirst = append([]byte(nil), first.Bytes()...)
			first.Release()
		}
	})
	add(tb, 0, true, []byte("first-fragment-data"))
	clk.Advance(29 * time.Second)
	if calls != 0 {
		t.Fatal("expired early")
	}
	clk.Advance(time.Second)
	if calls != 1 || gotKey != key || string(gotFirst) != "HDR!first-fragment-data" {
		t.Fatalf("calls %d key %v first %q", calls, gotKey, gotFirst)
	}
	// Without the first fragment there is nothing to quote.
	gotFirst = nil
	add(tb, 800, false, []byte("tail"))
	clk.Advance(31 * time.Second)
	if calls != 2 || gotFirst != nil {
		t.Fatalf("calls %d first %q", calls, gotFirst)
	}
	if tb.Memory() != 0 || pktbuf.Outstanding() != before {
		t.Errorf("memory %d leaked %d", tb.Memory(), pktbuf.Outstanding()-before)
	}
}
