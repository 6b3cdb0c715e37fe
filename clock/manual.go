package clock

import (
	"container/heap"
	"sync"
	"time"
)

// Manual is a clock that advances only through Advance and AdvanceTo. Its
// timers fire in deadline order (ties in creation order) inside the call
// that moves the clock past their deadline, so a run is repeatable.
type Manual struct {
	mu     sync.Mutex
	now    time.Time
	timers timerHeap
	seq    uint64
}

// NewManual returns a Manual clock reading start.
func NewManual(start time.Time) *Manual { return &Manual{now: start} }

// Now returns the clock's current reading.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// AfterFunc arranges for f to be called by Advance once d has elapsed.
func (m *Manual) AfterFunc(d time.Duration, f func()) Timer {
	t := &manualTimer{m: m, f: f, index: -1}
	t.Reset(d)
	return t
}

// NewTimer returns a timer whose channel receives the clock's reading
// once d has elapsed.
func (m *Manual) NewTimer(d time.Duration) Timer {
	t := &manualTimer{m: m, c: make(chan time.Time, 1), index: -1}
	t.Reset(d)
	return t
}

// Next returns the deadline of the earliest pending timer.
func (m *Manual) Next() (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.timers) == 0 {
		return time.Time{}, false
	}
	return m.timers[0].when, true
}

// Advance moves the clock forward by d, firing every timer that falls due
// on the way, each with the clock reading its own deadline.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	target := m.now.Add(d)
	m.mu.Unlock()
	m.AdvanceTo(target)
}

// AdvanceTo moves the clock forward to t (never backwards), firing due
// timers in order. Callbacks run without the clock's lock held, so they
// may arm new timers; one armed due before t fires in the same call.
func (m *Manual) AdvanceTo(t time.Time) {
	for {
		m.mu.Lock()
		if len(m.timers) == 0 || m.timers[0].when.After(t) {
			if t.After(m.now) {
				m.now = t
			}
			m.mu.Unlock()
			return
		}
		mt := heap.Pop(&m.timers).(*manualTimer)
		if mt.when.After(m.now) {
			m.now = mt.when
		}
		now := m.now
		m.mu.Unlock()
		if mt.f != nil {
			mt.f()
		} else {
			select {
			case mt.c <- now:
			default:
			}
		}
	}
}

type manualTimer struct {
	m     *Manual
	f     func()
	c     chan time.Time
	when  time.Time
	seq   uint64
	index int
}

func (t *manualTimer) C() <-chan time.Time { return t.c }

func (t *manualTimer) Stop() bool {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&t.m.timers, t.index)
	return true
}

func (t *manualTimer) Reset(d time.Duration) bool {
	m := t.m
	m.mu.Lock()
	defer m.mu.Unlock()
	pending := t.index >= 0
	if pending {
		heap.Remove(&m.timers, t.index)
	}
	if d < 0 {
		d = 0
	}
	t.when = m.now.Add(d)
	m.seq++
	t.seq = m.seq
	heap.Push(&m.timers, t)
	return pending
}

type timerHeap []*manualTimer

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
	t := x.(*manualTimer)
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
