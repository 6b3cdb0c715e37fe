package tcp

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestQueueAppend checks the reused byte queue against a plain one over
// random appends and front consumption: the bytes and their order must
// be the same whatever the compaction did.
func TestQueueAppend(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	var base, q, ref []byte
	next := byte(0)
	most := 0
	for i := range 20000 {
		if rng.IntN(3) > 0 {
			b := make([]byte, rng.IntN(3000))
			for k := range b {
				b[k] = next
				next++
			}
			q = queueAppend(&base, q, b)
			ref = append(ref, b...)
		} else if n := rng.IntN(len(q) + 1); n > 0 {
			q = q[n:]
			ref = ref[n:]
			if len(q) == 0 && rng.IntN(2) == 0 {
				q = nil // as the ACK path does when the queue empties
			}
		}
		most = max(most, len(q))
		if !bytes.Equal(q, ref) {
			t.Fatalf("step %d: queue differs from the reference (%d vs %d bytes)", i, len(q), len(ref))
		}
	}
	// Compaction keeps the array near the most the queue held (append
	// may double it once more), not growing with all that passed.
	if cap(base) > 2*most+4096 {
		t.Errorf("backing array grew to %d bytes for a queue that held at most %d", cap(base), most)
	}
}
