package clock

import (
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestOrderedSettlesBetweenTimers checks the property Ordered exists for:
// a goroutine woken by one timer runs to its next block before the next
// timer fires, even when both are due at the same instant.
func TestOrderedSettlesBetweenTimers(t *testing.T) {
	for range 20 { // the scheduler would interleave differently run to run
		synctest.Test(t, func(t *testing.T) {
			o := NewOrdered(synctest.Wait)
			defer o.Close()
			var mu sync.Mutex
			var log []string
			add := func(s string) { mu.Lock(); log = append(log, s); mu.Unlock() }
			work := make(chan int)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for range 3 {
					i := <-work
					time.Sleep(0) // a yield; still before the next timer
					add("worker" + string(rune('0'+i)))
				}
			}()
			for i := 1; i <= 3; i++ {
				o.AfterFunc(10*time.Millisecond, func() { add("timer" + string(rune('0'+i))); work <- i })
			}
			o.AfterFunc(5*time.Millisecond, func() { add("early") })
			stopped := o.AfterFunc(7*time.Millisecond, func() { add("stopped") })
			if !stopped.Stop() {
				t.Error("Stop of a pending timer reported false")
			}
			<-done
			want := []string{"early", "timer1", "worker1", "timer2", "worker2", "timer3", "worker3"}
			if !slices.Equal(log, want) {
				t.Fatalf("order %v, want %v", log, want)
			}
		})
	}
}

func TestOrderedTimerChannelAndReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o := NewOrdered(synctest.Wait)
		defer o.Close()
		start := o.Now()
		tm := o.NewTimer(time.Second)
		if !tm.Reset(2 * time.Second) {
			t.Error("Reset of a pending timer reported false")
		}
		v := <-tm.C()
		if got := v.Sub(start); got != 2*time.Second {
			t.Errorf("fired at +%v, want +2s", got)
		}
		if tm.Stop() {
			t.Error("Stop of a fired timer reported true")
		}
		// A callback may arm another timer; an earlier one wakes the clock.
		fired := make(chan time.Duration, 2)
		o.AfterFunc(time.Hour, func() { fired <- o.Now().Sub(start) })
		o.AfterFunc(time.Millisecond, func() {
			o.AfterFunc(time.Millisecond, func() { fired <- o.Now().Sub(start) })
		})
		if got := <-fired; got != 2*time.Second+2*time.Millisecond {
			t.Errorf("nested timer fired at +%v", got)
		}
		if !Serial(o) || Serial(Real{}) || Serial(NewManual(start)) {
			t.Error("Serial reports wrongly")
		}
	})
}
