package clock

import (
	"container/heap"
	"sync"
	"time"
)

// timerQueue is a heap of timers kept in (deadline, creation) order: the
// core that Manual and Ordered share. Whoever drains it decides when the
// timers fire; the queue only orders them.
type timerQueue struct {
	mu     sync.Mutex
	timers timerHeap
	seq    uint64
	// now reads the queue's clock; called with mu held.
	now func() time.Time
	// earliest, if set, is called without mu held when a Reset makes a
	// timer the first one due, so a sleeping drainer can wake up earlier.
	earliest func()
}

// queuedTimer is a timer of a timerQueue: a callback (AfterFunc) or a
// channel with a buffer of one (NewTimer).
type queuedTimer struct {
	q     *timerQueue
	f     func()
	c     chan time.Time
	when  time.Time
	seq   uint64
	index int // in the heap; -1 when not pending
}

func (q *timerQueue) newTimer(d time.Duration, f func()) *queuedTimer {
	t := &queuedTimer{q: q, f: f, index: -1}
	if f == nil {
		t.c = make(chan time.Time, 1)
	}
	t.Reset(d)
	return t
}

// popDue removes and returns the first timer if it is due by at.
func (q *timerQueue) popDue(at time.Time) (*queuedTimer, bool) {
	if len(q.timers) == 0 || q.timers[0].when.After(at) {
		return nil, false
	}
	return heap.Pop(&q.timers).(*queuedTimer), true
}

// next returns the first deadline; mu held.
func (q *timerQueue) next() (time.Time, bool) {
	if len(q.timers) == 0 {
		return time.Time{}, false
	}
	return q.timers[0].when, true
}

// fire runs the callback, or sends now on the channel if its buffer is
// free (a firing nobody took is not queued twice, as with time.Timer).
func (t *queuedTimer) fire(now time.Time) {
	if t.f != nil {
		t.f()
		return
	}
	select {
	case t.c <- now:
	default:
	}
}

func (t *queuedTimer) C() <-chan time.Time { return t.c }

func (t *queuedTimer) Stop() bool {
	t.q.mu.Lock()
	defer t.q.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&t.q.timers, t.index)
	return true
}

func (t *queuedTimer) Reset(d time.Duration) bool {
	q := t.q
	q.mu.Lock()
	pending := t.index >= 0
	if pending {
		heap.Remove(&q.timers, t.index)
	}
	t.when = q.now().Add(max(d, 0))
	q.seq++
	t.seq = q.seq
	heap.Push(&q.timers, t)
	first := q.timers[0] == t
	q.mu.Unlock()
	if first && q.earliest != nil {
		q.earliest()
	}
	return pending
}

type timerHeap []*queuedTimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].when.Equal(h[j].when) {
		return h[i].seq < h[j].seq
	}
	return h[i].when.Before(h[j].when)
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*queuedTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}
