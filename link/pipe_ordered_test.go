package link_test

import (
	"runtime"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pktbuf"
)

// TestPipeOrderedClock runs the same impaired traffic through a pipe on
// the standard clock (a delivery goroutine per direction) and on a
// clock.Ordered (each arrival a timer of the clock): every frame must
// arrive at the same instant in the same order, with no delivery
// goroutine in the second case, and the pipe must close cleanly.
func TestPipeOrderedClock(t *testing.T) {
	imp := link.Impairments{Latency: 20 * time.Millisecond, Jitter: 3 * time.Millisecond, Loss: 0.05,
		Duplicate: 0.05, Reorder: 0.1, Corrupt: 0.02, Bandwidth: 50e6, Seed: 7}
	run := func(ordered bool) (ab, ba []arrival, goroutines int) {
		synctest.Test(t, func(t *testing.T) {
			var clk clock.Clock = clock.Real{}
			if ordered {
				o := clock.NewOrdered(synctest.Wait)
				defer o.Close()
				clk = o
			}
			before := runtime.NumGoroutine()
			back := imp
			back.Seed++
			a, b := link.NewPipe(link.PipeConfig{AtoB: imp, BtoA: back, Clock: clk})
			goroutines = runtime.NumGoroutine() - before
			sa, sb := newSink(clk), newSink(clk)
			a.Attach(sa)
			b.Attach(sb)
			for i := range uint32(500) {
				mustTransmit(t, a, ethFrame(i, 60+int(i%1400)))
				if i%3 == 0 {
					mustTransmit(t, b, ethFrame(1000+i, 100))
				}
				time.Sleep(time.Duration(i%5) * 100 * time.Microsecond)
			}
			time.Sleep(time.Second)
			ab, ba = sb.arrivals(), sa.arrivals()
			a.Close()
		})
		return ab, ba, goroutines
	}
	base := pktbuf.Outstanding()
	ab1, ba1, g1 := run(false)
	ab2, ba2, g2 := run(true)
	checkOutstanding(t, base)
	if g1 != 2 || g2 != 0 {
		t.Errorf("delivery goroutines: %d on the standard clock (want 2), %d on Ordered (want 0)", g1, g2)
	}
	same := func(x, y []arrival) bool {
		return slices.EqualFunc(x, y, func(p, q arrival) bool { return p.id == q.id && p.at == q.at && p.sum == q.sum })
	}
	if len(ab1) < 450 || !same(ab1, ab2) {
		t.Errorf("a->b: %d arrivals on the standard clock, %d on Ordered, equal %v", len(ab1), len(ab2), same(ab1, ab2))
	}
	if len(ba1) < 150 || !same(ba1, ba2) {
		t.Errorf("b->a: %d arrivals on the standard clock, %d on Ordered, equal %v", len(ba1), len(ba2), same(ba1, ba2))
	}
}
