package waitq

import (
	"sync"
	"testing"
)

func fired(e *Entry) bool {
	select {
	case <-e.C():
		return true
	default:
		return false
	}
}

func TestNotifyMatchesMask(t *testing.T) {
	var q Queue
	in, out := NewEntry(EventIn), NewEntry(EventOut|EventErr)
	q.Add(in)
	q.Add(out)
	q.Notify(EventIn)
	if !fired(in) || fired(out) {
		t.Fatal("EventIn woke the wrong entries")
	}
	q.Notify(EventErr | EventHUp)
	if fired(in) || !fired(out) {
		t.Fatal("EventErr woke the wrong entries")
	}
	q.Remove(in)
	q.Notify(EventIn)
	if fired(in) {
		t.Fatal("removed entry woken")
	}
	if q.Len() != 1 {
		t.Fatalf("Len %d", q.Len())
	}
	q.Remove(in) // not on the queue: no-op
}

func TestExclusiveWakesOne(t *testing.T) {
	var q Queue
	a, b := NewExclusiveEntry(EventIn), NewExclusiveEntry(EventIn)
	plain := NewEntry(EventIn)
	q.Add(a)
	q.Add(b)
	q.Add(plain) // non-exclusive goes first
	q.Notify(EventIn)
	if !fired(plain) || !fired(a) || fired(b) {
		t.Fatal("exclusive wakeup woke the wrong set")
	}
	q.Remove(a)
	q.Notify(EventIn)
	if !fired(b) {
		t.Fatal("second exclusive waiter not woken after the first left")
	}
}

func TestCallbacksAndCoalescing(t *testing.T) {
	var q Queue
	var got []Events
	cb := NewCallback(EventIn|EventOut, func(ev Events) { got = append(got, ev) })
	q.Add(cb)
	q.Notify(EventIn | EventErr)
	q.Notify(EventHUp)
	if len(got) != 1 || got[0] != EventIn {
		t.Fatalf("callback saw %v", got)
	}
	e := NewEntry(EventIn)
	q.Add(e)
	q.Notify(EventIn)
	q.Notify(EventIn)
	if !fired(e) || fired(e) {
		t.Fatal("wakeups should coalesce into one")
	}
	n := len(got)
	cb.SetMask(EventOut)
	q.Notify(EventIn)
	if len(got) != n {
		t.Fatalf("callback calls %d after mask change", len(got))
	}
}

func TestConcurrentAddRemoveNotify(t *testing.T) {
	var q Queue
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				e := NewEntry(EventIn)
				q.Add(e)
				q.Notify(EventIn)
				<-e.C()
				q.Remove(e)
			}
		}()
	}
	wg.Wait()
	if q.Len() != 0 {
		t.Fatalf("Len %d", q.Len())
	}
}

// TestResetReuse reuses one entry for a second wait: a wakeup left over
// from the first must not wake the second, the new mask and exclusivity
// apply, and an entry still queued cannot be reset.
func TestResetReuse(t *testing.T) {
	var q Queue
	e := NewEntry(EventIn)
	q.Add(e)
	q.Notify(EventIn) // left pending: the waiter returned without reading it
	q.Remove(e)
	e.Reset(EventOut, true)
	if fired(e) {
		t.Fatal("a wakeup from the entry's previous wait survived Reset")
	}
	other := NewExclusiveEntry(EventOut)
	q.Add(e)
	q.Add(other)
	q.Notify(EventIn)
	if fired(e) {
		t.Fatal("the old mask still matched after Reset")
	}
	q.Notify(EventOut)
	if !fired(e) || fired(other) {
		t.Fatal("the reset entry is not the first exclusive waiter")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Reset of a queued entry did not panic")
			}
		}()
		e.Reset(EventIn, false)
	}()
}

// TestNotifyCallbacksAllocs notifies a queue with callback entries, as a
// socket watched by epoll is notified on every segment: it allocates
// nothing.
func TestNotifyCallbacksAllocs(t *testing.T) {
	var q Queue
	n := 0
	for range 3 {
		q.Add(NewCallback(EventIn, func(Events) { n++ }))
	}
	if allocs := testing.AllocsPerRun(100, func() { q.Notify(EventIn) }); allocs > 0 {
		t.Errorf("Notify with callbacks: %.1f allocations, want 0", allocs)
	}
	if n != 3*101 {
		t.Errorf("callbacks ran %d times, want %d", n, 3*101)
	}
}
