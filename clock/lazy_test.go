package clock

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestLazyTimer drives a lazy timer through the moves TCP makes (pushed
// later, pulled earlier, stopped, re-armed after firing) on a bubble's fake
// time and checks that it fires exactly at the last deadline set, once,
// and never after Stop.
func TestLazyTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var fired []time.Duration
		var calls atomic.Int32
		lt := LazyAfterFunc(Real{}, 100*time.Millisecond, func() {
			calls.Add(1)
			fired = append(fired, time.Since(start))
		})
		step := func(d time.Duration) {
			time.Sleep(d)
			synctest.Wait()
		}
		step(50 * time.Millisecond)
		if !lt.Reset(200 * time.Millisecond) { // later: due at 250 ms
			t.Fatal("Reset of a pending timer reported it not pending")
		}
		step(100 * time.Millisecond) // 150 ms: the runtime timer fired at 100 and re-armed
		if calls.Load() != 0 {
			t.Fatalf("fired at %v before its deadline", fired)
		}
		lt.Reset(20 * time.Millisecond) // earlier: due at 170 ms
		step(30 * time.Millisecond)
		if len(fired) != 1 || fired[0] != 170*time.Millisecond {
			t.Fatalf("fired at %v, want once at 170ms", fired)
		}
		if lt.Stop() {
			t.Fatal("Stop of a fired timer reported it pending")
		}
		lt.Reset(time.Second) // due at 1.18 s
		step(500 * time.Millisecond)
		if !lt.Stop() {
			t.Fatal("Stop of a pending timer reported it not pending")
		}
		step(time.Second)
		if len(fired) != 1 {
			t.Fatalf("fired at %v after Stop", fired)
		}
		if ResetFrom(lt, time.Now().Add(-5*time.Millisecond), 10*time.Millisecond) {
			t.Fatal("ResetFrom after Stop reported the timer pending")
		}
		step(10 * time.Millisecond)
		if len(fired) != 2 || fired[1] != 1690*time.Millisecond {
			t.Fatalf("fired at %v, want the second at 1.69s (5 ms from a reading 5 ms old)", fired)
		}
	})
}

// TestLazyAfterFuncOtherClocks: on a Manual clock LazyAfterFunc is the
// clock's own AfterFunc, so a simulation's event order is unchanged.
func TestLazyAfterFuncOtherClocks(t *testing.T) {
	m := NewManual(time.Unix(0, 0))
	n := 0
	lt := LazyAfterFunc(m, time.Second, func() { n++ })
	if _, ok := lt.(*lazyTimer); ok {
		t.Fatal("a Manual clock got a lazy timer")
	}
	m.Advance(time.Second)
	if n != 1 {
		t.Fatalf("fired %d times, want 1", n)
	}
}

// BenchmarkLazyTimerReset is the cost of pushing a pending deadline later,
// as every segment sent does to the retransmission timer; compare
// BenchmarkRuntimeTimerReset.
func BenchmarkLazyTimerReset(b *testing.B) {
	lt := LazyAfterFunc(Real{}, time.Hour, func() {})
	defer lt.Stop()
	now := time.Now()
	for i := 0; b.Loop(); i++ {
		ResetFrom(lt, now, time.Hour+time.Duration(i))
	}
}

// BenchmarkRuntimeTimerReset is the same with a time.Timer.
func BenchmarkRuntimeTimerReset(b *testing.B) {
	t := time.AfterFunc(time.Hour, func() {})
	defer t.Stop()
	for i := 0; b.Loop(); i++ {
		t.Reset(time.Hour + time.Duration(i))
	}
}

// TestLazyHalt: Halt cancels the deadline and takes the runtime timer out
// of the heap, where Stop leaves it armed to fire for nothing.
func TestLazyHalt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 0
		lt := LazyAfterFunc(Real{}, time.Second, func() { n++ })
		lt.Stop()
		if !lt.(*lazyTimer).t.Stop() {
			t.Fatal("after Stop the runtime timer was not armed; Stop is meant to leave it")
		}
		lt.Reset(time.Second)
		if !Halt(lt) {
			t.Fatal("Halt of a pending timer reported it not pending")
		}
		if lt.(*lazyTimer).t.Stop() {
			t.Fatal("Halt left the runtime timer armed")
		}
		time.Sleep(2 * time.Second)
		if n != 0 {
			t.Fatalf("fired %d times after Halt", n)
		}
		if Halt(lt) {
			t.Fatal("Halt of a halted timer reported it pending")
		}
		m := NewManual(time.Unix(0, 0))
		mt := LazyAfterFunc(m, time.Second, func() { n++ })
		if !Halt(mt) {
			t.Fatal("Halt of a pending Manual timer reported it not pending")
		}
		m.Advance(2 * time.Second)
		if n != 0 {
			t.Fatal("a halted Manual timer fired")
		}
	})
}
