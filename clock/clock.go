// Package clock is the time source of a namespace.
//
// Protocol code never calls time.Now or time.AfterFunc directly: it asks
// the namespace's Clock. The default, Real, is the standard library's time,
// so a whole virtual network runs on fake time inside a testing/synctest
// bubble with no change. Ordered runs on the same time but takes every
// timer in turn, settling the bubble between them, so a simulation repeats
// exactly from its seeds. Manual is a clock that moves only when told to;
// the packetdrill runner drives scripts with it outside of tests.
package clock

import "time"

// Clock tells the time and runs timers.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f in its own goroutine (Real) or in the caller of
	// Advance (Manual) once d has elapsed.
	AfterFunc(d time.Duration, f func()) Timer
	// NewTimer returns a timer whose channel receives the time once d has
	// elapsed. The channel has a buffer of one.
	NewTimer(d time.Duration) Timer
}

// Timer is a stoppable, resettable timer, as time.Timer.
type Timer interface {
	// Stop prevents the timer from firing; it reports whether it was
	// pending.
	Stop() bool
	// Reset changes the timer to fire after d; it reports whether it was
	// pending.
	Reset(d time.Duration) bool
	// C is the channel of a timer made by NewTimer; nil for AfterFunc.
	C() <-chan time.Time
}

// Real is the standard library's clock. Its zero value is ready to use.
type Real struct{}

type realTimer struct{ t *time.Timer }

func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }
func (r realTimer) C() <-chan time.Time        { return r.t.C }

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (Real) AfterFunc(d time.Duration, f func()) Timer { return realTimer{time.AfterFunc(d, f)} }

// NewTimer wraps time.NewTimer.
func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }
