package bench

import "time"

// latencyHist is a fixed histogram of round-trip times: 1 µs buckets up
// to histMax, then one overflow bucket. It records without allocating, so
// it does not disturb the allocation counts of the rr benchmark.
type latencyHist struct {
	buckets  [histMax / time.Microsecond]uint32
	overflow uint32
	n        uint64
	sum      time.Duration
	maxSeen  time.Duration
}

const histMax = 20 * time.Millisecond

func (h *latencyHist) add(d time.Duration) {
	h.n++
	h.sum += d
	h.maxSeen = max(h.maxSeen, d)
	if d >= histMax {
		h.overflow++
		return
	}
	h.buckets[d/time.Microsecond]++
}

func (h *latencyHist) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// quantile returns the upper edge of the bucket holding the q-quantile,
// or the largest sample when it lies in the overflow bucket.
func (h *latencyHist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.buckets {
		seen += uint64(c)
		if seen >= rank {
			return time.Duration(i+1) * time.Microsecond
		}
	}
	return h.maxSeen
}
