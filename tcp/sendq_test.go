package tcp

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestSendQueueMatchesSlice drives a byteQueue and a plain byte slice with
// the same seeded appends, consumes and views, across ring wraps, the
// mirror's edge, rotations and growth, and checks every view and length
// against the slice.
func TestSendQueueMatchesSlice(t *testing.T) {
	for _, limit := range []int{0, 100 << 10, 300 << 10} {
		rng := rand.New(rand.NewPCG(1, uint64(limit)))
		var q byteQueue
		var ref []byte
		next := byte(0)
		for step := range 20000 {
			switch op := rng.IntN(10); {
			case op < 4: // append
				b := make([]byte, rng.IntN(70<<10))
				for i := range b {
					b[i] = next
					next++
				}
				if len(ref)+len(b) > 400<<10 {
					continue
				}
				q.Append(b, limit)
				ref = append(ref, b...)
			case op < 7: // consume
				n := 0
				if len(ref) > 0 {
					n = rng.IntN(len(ref) + 1)
				}
				q.Consume(n)
				ref = ref[n:]
			default: // view
				if len(ref) == 0 {
					if v := q.View(0, 0); len(v) != 0 {
						t.Fatalf("step %d: empty view has %d bytes", step, len(v))
					}
					continue
				}
				off := rng.IntN(len(ref))
				n := rng.IntN(min(len(ref)-off, 2*mirrorMax) + 1)
				if got := q.View(off, n); !bytes.Equal(got, ref[off:off+n]) {
					t.Fatalf("step %d (limit %d): view(%d, %d) differs from the slice", step, limit, off, n)
				}
				dst := make([]byte, rng.IntN(len(ref)+1))
				k := q.CopyOut(dst, off, n)
				if want := min(n, len(dst)); k != want || !bytes.Equal(dst[:k], ref[off:off+k]) {
					t.Fatalf("step %d (limit %d): CopyOut(%d bytes, %d, %d) = %d, want %d bytes equal to the slice", step, limit, len(dst), off, n, k, want)
				}
			}
			if q.Len() != len(ref) {
				t.Fatalf("step %d: Len %d, want %d", step, q.Len(), len(ref))
			}
		}
	}
}

// TestSendQueueAppendNoAlloc checks that a ring that has grown to the
// send buffer's size takes appends and gives views without allocating.
func TestSendQueueAppendNoAlloc(t *testing.T) {
	var q byteQueue
	chunk := make([]byte, 64<<10)
	const limit = 1 << 20
	for q.Len()+len(chunk) <= limit {
		q.Append(chunk, limit)
	}
	allocs := testing.AllocsPerRun(100, func() {
		q.Consume(len(chunk))
		q.Append(chunk, limit)
		_ = q.View(q.Len()-len(chunk)-100, len(chunk))
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per append, want 0", allocs)
	}
}

// TestSendQueueReset checks that Reset empties the queue and drops its
// memory.
func TestSendQueueReset(t *testing.T) {
	var q byteQueue
	q.Append([]byte("hello"), 0)
	q.Reset()
	if q.Len() != 0 || q.buf != nil {
		t.Fatalf("after Reset: Len %d, buf %d bytes", q.Len(), len(q.buf))
	}
	q.Append([]byte("again"), 0)
	if got := string(q.View(0, 5)); got != "again" {
		t.Fatalf("view after Reset = %q", got)
	}
}
