package clock

import (
	"testing"
	"testing/synctest"
	"time"
)

func TestManualFiresInOrder(t *testing.T) {
	start := time.Unix(1000, 0)
	m := NewManual(start)
	var got []int
	var at []time.Duration
	rec := func(i int) func() {
		return func() { got = append(got, i); at = append(at, m.Now().Sub(start)) }
	}
	m.AfterFunc(30*time.Millisecond, rec(3))
	m.AfterFunc(10*time.Millisecond, rec(1))
	m.AfterFunc(10*time.Millisecond, rec(2)) // same deadline: creation order
	stopped := m.AfterFunc(20*time.Millisecond, rec(99))
	if !stopped.Stop() {
		t.Fatal("Stop of a pending timer reported false")
	}
	// A callback that arms a timer due inside the same Advance sees it fire.
	m.AfterFunc(15*time.Millisecond, func() { m.AfterFunc(5*time.Millisecond, rec(4)) })
	m.Advance(25 * time.Millisecond)
	want := []int{1, 2, 4}
	if len(got) != len(want) {
		t.Fatalf("fired %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("fired %v, want %v", got, want)
		}
	}
	if at[2] != 20*time.Millisecond {
		t.Errorf("nested timer saw now=%v, want 20ms", at[2])
	}
	if m.Now().Sub(start) != 25*time.Millisecond {
		t.Errorf("now = %v after Advance(25ms)", m.Now().Sub(start))
	}
	if next, ok := m.Next(); !ok || next.Sub(start) != 30*time.Millisecond {
		t.Errorf("Next = %v, %v", next, ok)
	}
	m.Advance(time.Second)
	if len(got) != 4 || got[3] != 3 {
		t.Errorf("fired %v", got)
	}
}

func TestManualTimerChannelAndReset(t *testing.T) {
	m := NewManual(time.Unix(0, 0))
	tm := m.NewTimer(time.Second)
	if tm.Reset(2*time.Second) != true {
		t.Error("Reset of a pending timer reported false")
	}
	m.Advance(time.Second)
	select {
	case <-tm.C():
		t.Fatal("fired before its reset deadline")
	default:
	}
	m.Advance(time.Second)
	select {
	case v := <-tm.C():
		if v != time.Unix(2, 0) {
			t.Errorf("timer delivered %v", v)
		}
	default:
		t.Fatal("did not fire")
	}
	if tm.Stop() {
		t.Error("Stop of a fired timer reported true")
	}
}

func TestRealInsideSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c Clock = Real{}
		start := c.Now()
		done := make(chan time.Duration, 1)
		c.AfterFunc(90*time.Second, func() { done <- c.Now().Sub(start) })
		if d := <-done; d != 90*time.Second {
			t.Errorf("fake time advanced %v, want 90s", d)
		}
		tm := c.NewTimer(time.Minute)
		<-tm.C()
		if d := c.Now().Sub(start); d != 150*time.Second {
			t.Errorf("now %v", d)
		}
	})
}
