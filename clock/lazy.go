package clock

import (
	"sync"
	"time"
)

// LazyAfterFunc is AfterFunc for a timer that is re-armed far more often
// than it fires, as TCP's retransmission, delayed-ACK and loss-probe
// timers are: each segment sent or acknowledged pushes the deadline back
// or cancels it, and it almost never expires.
//
// On the standard clock every time.Timer Reset or Stop takes the
// runtime's timer lock and re-sorts its heap, which in a request/response
// exchange cost a sixth of the CPU. A lazy timer keeps the deadline in
// its own field instead and touches the runtime timer only when the
// deadline moves earlier than the runtime timer's: moving it later, or
// stopping it, only writes the field, and when the runtime timer fires
// before the deadline it re-arms itself for the rest. Linux's timer
// wheel has the same shape (mod_timer of a pending timer to a later
// expiry is cheap; the expiry callback checks whether it is really due).
//
// The cost is a spurious wake-up of the runtime timer at the earliest
// deadline the timer ever had since it last fired. Stop and Reset report
// whether the timer was pending exactly as a time.Timer's do, and f is
// never called for a deadline that Stop or Reset cancelled before it
// passed.
//
// Manual and Ordered clocks keep their own timer queues, cheap to re-arm
// and ordered exactly by deadline; for them LazyAfterFunc is AfterFunc,
// so that a simulation's order of events is unchanged.
func LazyAfterFunc(c Clock, d time.Duration, f func()) Timer {
	if _, ok := c.(Real); !ok {
		return c.AfterFunc(d, f)
	}
	t := &lazyTimer{f: f}
	now := time.Now()
	t.at = now.Add(d)
	t.armed = t.at
	t.t = time.AfterFunc(d, t.fire)
	return t
}

// lazyTimer is a timer of LazyAfterFunc on the standard clock.
type lazyTimer struct {
	t *time.Timer
	f func()

	mu sync.Mutex
	// at is the deadline; zero when stopped or fired.
	at time.Time
	// armed is when the runtime timer fires; zero when it is not armed.
	// While at is set, armed is set and not after it.
	armed time.Time
}

// Stop cancels the deadline; the runtime timer stays armed and finds
// nothing due when it fires.
func (t *lazyTimer) Stop() bool {
	t.mu.Lock()
	pending := !t.at.IsZero()
	t.at = time.Time{}
	t.mu.Unlock()
	return pending
}

// ResetFrom is t.Reset(d) for a caller that has just read the clock:
// now is that reading, and a lazy timer's deadline is d after it, which
// saves the timer reading the clock again. Other timers are Reset.
func ResetFrom(t Timer, now time.Time, d time.Duration) bool {
	if lt, ok := t.(*lazyTimer); ok {
		return lt.resetAt(now.Add(d), d)
	}
	return t.Reset(d)
}

// Reset moves the deadline to d from now, re-arming the runtime timer
// only if that is earlier than it fires.
func (t *lazyTimer) Reset(d time.Duration) bool { return t.resetAt(time.Now().Add(d), d) }

// resetAt sets the deadline at, d from about now.
func (t *lazyTimer) resetAt(at time.Time, d time.Duration) bool {
	t.mu.Lock()
	pending := !t.at.IsZero()
	t.at = at
	if t.armed.IsZero() || at.Before(t.armed) {
		t.armed = at
		t.t.Reset(d)
	}
	t.mu.Unlock()
	return pending
}

// C is nil: the timer calls a function.
func (t *lazyTimer) C() <-chan time.Time { return nil }

// fire runs when the runtime timer expires: it calls f if the deadline
// has passed, re-arms for the rest if it lies ahead, and does nothing if
// the timer was stopped.
func (t *lazyTimer) fire() {
	t.mu.Lock()
	t.armed = time.Time{}
	if t.at.IsZero() {
		t.mu.Unlock()
		return
	}
	if left := time.Until(t.at); left > 0 {
		t.armed = t.at
		t.t.Reset(left)
		t.mu.Unlock()
		return
	}
	t.at = time.Time{}
	t.mu.Unlock()
	t.f()
}

// Halt stops t and, for a lazy timer, its runtime timer too, as Stop
// leaves it armed: for a timer about to be dropped (its connection closes
// or goes idle), whose runtime timer would otherwise stay in the runtime's
// heap and fire once for nothing. It reports whether t was pending.
func Halt(t Timer) bool {
	lt, ok := t.(*lazyTimer)
	if !ok {
		return t.Stop()
	}
	lt.mu.Lock()
	pending := !lt.at.IsZero()
	lt.at, lt.armed = time.Time{}, time.Time{}
	lt.t.Stop()
	lt.mu.Unlock()
	return pending
}
