package link_test

import (
	"encoding/binary"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// flushRecorder records the ids of the frames it receives.
type flushRecorder struct {
	mu   sync.Mutex
	ids  []uint32
	want int           // close all when this many have arrived
	all  chan struct{} // nil unless want is set
}

func (r *flushRecorder) Receive(_ link.Device, pkt *pktbuf.Buffer) {
	r.mu.Lock()
	r.ids = append(r.ids, binary.BigEndian.Uint32(pkt.Bytes()[wire.EthernetHeaderLen:]))
	if r.all != nil && len(r.ids) == r.want {
		close(r.all)
	}
	r.mu.Unlock()
	pkt.Release()
}

func (r *flushRecorder) got() []uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uint32(nil), r.ids...)
}

func flushFrame(id uint32) *pktbuf.Buffer {
	pkt := ethFrame(id, 100)
	pkt.SenderFlushes = true
	return pkt
}

// TestPipeFlush: a frame marked SenderFlushes on an idle, unimpaired pipe
// waits for its sender's Flush, which delivers it on the sender's
// goroutine; frames sent while one waits, unmarked frames and frames on
// an impaired wire go with the delivery goroutine as before, in order.
func TestPipeFlush(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := link.NewPipe(link.PipeConfig{})
		defer a.Close()
		rec := &flushRecorder{}
		b.Attach(rec)
		synctest.Wait() // the delivery goroutine has gone idle

		// Marked, idle: no delivery until Flush, then at once.
		if err := a.Transmit(flushFrame(1)); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := rec.got(); len(got) != 0 {
			t.Fatalf("delivered %v before the sender's flush", got)
		}
		a.Flush()
		if got := rec.got(); len(got) != 1 || got[0] != 1 {
			t.Fatalf("after Flush delivered %v, want [1] before Flush returns", got)
		}
		if st := a.ImpairStats(); st.Flushed != 1 || st.Delivered != 1 {
			t.Fatalf("stats %+v, want 1 delivered, by the flush", st)
		}
		a.Flush() // nothing owed: nothing happens

		// A second frame while one waits: the goroutine takes both, in
		// order, and the late flush finds nothing.
		a.Transmit(flushFrame(2))
		a.Transmit(flushFrame(3))
		synctest.Wait()
		a.Flush()
		if got := rec.got(); len(got) != 3 || got[1] != 2 || got[2] != 3 {
			t.Fatalf("delivered %v, want [1 2 3]", got)
		}

		// Unmarked: the goroutine delivers without a flush.
		a.Transmit(ethFrame(4, 100))
		synctest.Wait()
		if got := rec.got(); len(got) != 4 {
			t.Fatalf("an unmarked frame waited: delivered %v", got)
		}

		// Impaired (latency): the mark is ignored; the frame arrives
		// after the latency without a flush, and a flush before that
		// delivers nothing early.
		a.SetImpairments(link.Impairments{Latency: time.Millisecond})
		a.Transmit(flushFrame(5))
		a.Flush()
		if got := rec.got(); len(got) != 4 {
			t.Fatalf("an impaired frame was delivered early: %v", got)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if got := rec.got(); len(got) != 5 || got[4] != 5 {
			t.Fatalf("delivered %v, want 5 after the latency", got)
		}
	})
}

// TestPipeFlushClose: closing the pipe with a frame waiting for its
// sender's flush releases the frame, and a flush after Close delivers
// nothing.
func TestPipeFlushClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		before := pktbuf.Outstanding()
		a, b := link.NewPipe(link.PipeConfig{})
		rec := &flushRecorder{}
		b.Attach(rec)
		synctest.Wait() // the delivery goroutine has gone idle
		a.Transmit(flushFrame(1))
		a.Close()
		a.Flush()
		if got := rec.got(); len(got) != 0 {
			t.Fatalf("delivered %v after Close", got)
		}
		if n := pktbuf.Outstanding() - before; n != 0 {
			t.Fatalf("%d buffers left after Close", n)
		}
	})
}

// TestPipeFlushConcurrent: two senders flushing while the goroutine
// delivers deliver every frame exactly once, each sender's frames in
// order.
func TestPipeFlushConcurrent(t *testing.T) {
	a, b := link.NewPipe(link.PipeConfig{})
	defer a.Close()
	const perSender = 2000
	rec := &flushRecorder{want: 2 * perSender, all: make(chan struct{})}
	b.Attach(rec)
	var wg sync.WaitGroup
	for s := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perSender {
				pkt := flushFrame(uint32(s<<16 | i))
				if i%3 == 0 {
					pkt.SenderFlushes = false
				}
				for a.Transmit(pkt) != nil { // ENOBUFS: the queue is full
					pkt = flushFrame(uint32(s<<16 | i))
					time.Sleep(time.Microsecond)
				}
				a.Flush()
			}
		}()
	}
	wg.Wait()
	<-rec.all // a lost frame hangs here, and the test's timeout reports it
	got := rec.got()
	next := [2]uint32{}
	for _, id := range got {
		s, i := id>>16, id&0xffff
		if i != next[s] {
			t.Fatalf("sender %d: frame %d arrived when %d was next", s, i, next[s])
		}
		next[s]++
	}
}
