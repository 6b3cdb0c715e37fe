package link_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pktbuf"
)

// txWaiter records its wakeups; on each it transmits a frame, as a
// woken sender does, and can register again.
type txWaiter struct {
	clk      clock.Clock
	base     time.Time
	dev      *link.PipeEnd
	inNotify atomic.Bool // set around NotifyWritable: a wakeup then is re-entrant
	again    atomic.Bool // register again from the wakeup

	mu        sync.Mutex
	woken     []time.Duration
	reentrant bool
	txErrs    []error
}

func (w *txWaiter) TxWritable() {
	w.mu.Lock()
	w.woken = append(w.woken, w.clk.Now().Sub(w.base))
	w.reentrant = w.reentrant || w.inNotify.Load()
	w.mu.Unlock()
	err := w.dev.Transmit(ethFrame(500, 1250))
	w.mu.Lock()
	w.txErrs = append(w.txErrs, err)
	w.mu.Unlock()
	if w.again.Swap(false) {
		w.dev.NotifyWritable(w)
	}
}

func (w *txWaiter) register() {
	w.inNotify.Store(true)
	w.dev.NotifyWritable(w)
	w.inNotify.Store(false)
}

func (w *txWaiter) snapshot() ([]time.Duration, []error, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.woken...), append([]error(nil), w.txErrs...), w.reentrant
}

// TestPipeNotifyWritable: a sender refused by a full queue (ten frames
// behind a 10 Mbit/s wire, 1 ms a frame) is woken once, from the
// delivery side, when the queue has drained to half (at 5 ms), and the
// frame it sends then is accepted; a waiter registering on a queue with
// room is woken soon but never from inside NotifyWritable; one that
// registers again from its wakeup, with room, is woken again; and a
// registration on a closed pipe is dropped. On the standard clock (a
// delivery goroutine) and on clock.Ordered (no goroutine) alike.
func TestPipeNotifyWritable(t *testing.T) {
	for _, ordered := range []bool{false, true} {
		name := "goroutine"
		if ordered {
			name = "ordered"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				base := pktbuf.Outstanding()
				var clk clock.Clock = clock.Real{}
				if ordered {
					o := clock.NewOrdered(synctest.Wait)
					defer o.Close()
					clk = o
				}
				a, b := link.NewPipe(link.PipeConfig{Clock: clk, AtoB: link.Impairments{Bandwidth: 10_000_000, QueueLimit: 10}})
				b.Attach(newSink(clk))
				refused := 0
				for i := range uint32(20) {
					if err := a.Transmit(ethFrame(i, 1250)); errors.Is(err, errno.ENOBUFS) {
						refused++
					} else if err != nil {
						t.Fatal(err)
					}
				}
				if refused != 9 {
					t.Fatalf("refused %d frames, want 9", refused)
				}
				w := &txWaiter{clk: clk, base: clk.Now(), dev: a}
				w.register()
				time.Sleep(100 * time.Millisecond)
				synctest.Wait()
				woken, errs, reentrant := w.snapshot()
				if len(woken) != 1 || woken[0] != 5*time.Millisecond || errs[0] != nil || reentrant {
					t.Fatalf("full queue: woken at %v, transmit %v, re-entrant %v; want once at 5ms, accepted", woken, errs, reentrant)
				}

				// Room already: woken from the delivery side, and again
				// after registering from the wakeup.
				w.again.Store(true)
				w.register()
				time.Sleep(100 * time.Millisecond)
				synctest.Wait()
				woken, errs, reentrant = w.snapshot()
				if len(woken) != 3 || reentrant || errs[1] != nil || errs[2] != nil {
					t.Fatalf("queue with room: woken at %v, transmits %v, re-entrant %v; want 3 wakeups", woken, errs, reentrant)
				}

				a.Close()
				w.register()
				time.Sleep(100 * time.Millisecond)
				synctest.Wait()
				if woken, _, _ = w.snapshot(); len(woken) != 3 {
					t.Fatalf("woken after close: %v", woken)
				}
				checkOutstanding(t, base)
			})
		})
	}
}
