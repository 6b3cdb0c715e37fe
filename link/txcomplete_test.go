package link_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pktbuf"
)

// completions counts the frames a pipe completed, with the fake time of
// the last.
type completions struct {
	n    atomic.Int32
	base time.Time
	last atomic.Int64
}

func (c *completions) TxComplete() {
	c.n.Add(1)
	c.last.Store(int64(time.Since(c.base)))
}

// TestPipeTxCompletion checks a pipe completes each frame once: when it
// is delivered, after its serialisation at the bandwidth (not when
// Transmit returns), and when it is refused (queue full), dropped with no
// receiver, or released by Close.
func TestPipeTxCompletion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := pktbuf.Outstanding()
		a, b := link.NewPipe(link.PipeConfig{AtoB: link.Impairments{Bandwidth: 10_000_000, QueueLimit: 4}})
		if !a.TxCompletesLate() || b.TxCompletesLate() {
			t.Fatalf("TxCompletesLate %v with a bandwidth, %v without; want true, false", a.TxCompletesLate(), b.TxCompletesLate())
		}
		// A latency makes the pipe a netem: frames complete at once.
		c2, d2 := link.NewPipe(link.PipeConfig{AtoB: link.Impairments{Bandwidth: 10_000_000, Latency: time.Millisecond}})
		if c2.TxCompletesLate() {
			t.Error("a pipe with a latency completes late")
		}
		d2.Close()
		s := newSink(nil)
		b.Attach(s)
		c := &completions{base: time.Now()}
		refused := 0
		for i := range uint32(8) {
			pkt := ethFrame(i, 1250) // 1 ms each at 10 Mbit/s
			pkt.SetOwner(c)
			if err := a.Transmit(pkt); errors.Is(err, errno.ENOBUFS) {
				refused++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		// One on the wire and four waiting; the other three were refused
		// and completed at once.
		if refused != 3 || c.n.Load() != 3 {
			t.Fatalf("refused %d, completed %d before any time passed; want 3 and 3", refused, c.n.Load())
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if n := c.n.Load(); n != 8 || len(s.arrivals()) != 5 {
			t.Fatalf("%d completed, %d arrived; want 8 and 5", n, len(s.arrivals()))
		}
		if last := time.Duration(c.last.Load()); last != 5*time.Millisecond {
			t.Errorf("last frame completed at %v, want 5ms (its end of serialisation)", last)
		}

		// Dropped for want of a receiver, and released by Close.
		b.Attach(nil)
		for i := range uint32(2) {
			pkt := ethFrame(i, 1250)
			pkt.SetOwner(c)
			mustTransmit(t, a, pkt)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if n := c.n.Load(); n != 9 {
			t.Fatalf("%d completed after a frame with no receiver, want 9", n)
		}
		a.Close()
		if n := c.n.Load(); n != 10 {
			t.Fatalf("%d completed after Close, want 10", n)
		}
		checkOutstanding(t, base)
	})
}
