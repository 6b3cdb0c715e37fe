package tcp

import (
	"math/rand/v2"
	"testing"
)

// TestRtxQueuePushMatchesSlice drives the retransmission queue's storage
// with seeded pushes and front removals (as rtxClean takes acknowledged
// records off), checks the records against a plain slice, that the array
// stays within a few times the most the queue held, and that a warm queue
// appends without allocating.
func TestRtxQueuePushMatchesSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var l lossState
	var ref []rtxSeg
	next, most := uint32(0), 0
	for step := range 50000 {
		if rng.IntN(5) < 3 {
			r := rtxSeg{start: next, end: next + 1}
			next++
			l.qPush(r)
			ref = append(ref, r)
		} else if len(l.q) > 0 {
			k := rng.IntN(len(l.q) + 1)
			clear(l.q[:k])
			l.q = l.q[k:]
			ref = ref[k:]
		}
		most = max(most, len(l.q))
		if len(l.q) != len(ref) {
			t.Fatalf("step %d: %d records, want %d", step, len(l.q), len(ref))
		}
		for i := range ref {
			if l.q[i] != ref[i] {
				t.Fatalf("step %d: record %d is %+v, want %+v", step, i, l.q[i], ref[i])
			}
		}
	}
	if cap(l.qBase) > 4*most+32 {
		t.Errorf("array of %d records for a queue that held at most %d", cap(l.qBase), most)
	}
	for len(l.q) < 1000 {
		l.qPush(rtxSeg{})
	}
	allocs := testing.AllocsPerRun(1000, func() {
		l.q = l.q[1:]
		l.qPush(rtxSeg{})
	})
	if allocs != 0 {
		t.Errorf("%.2f allocations per push on a warm queue, want 0", allocs)
	}
}
