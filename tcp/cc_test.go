package tcp

import (
	"testing"
	"time"
)

func newCC(cwnd, ssthresh uint32) *ccState {
	return &ccState{cwnd: cwnd, ssthresh: ssthresh, cwndClamp: 10000, cwndLimited: true, mss: 1460,
		now: time.Unix(1000, 0), srtt: 100 * time.Millisecond}
}

func TestRenoSlowStartAndAvoidance(t *testing.T) {
	var r reno
	s := newCC(10, infiniteSsthresh)
	r.congAvoid(s, 10)
	if s.cwnd != 20 {
		t.Fatalf("slow start: cwnd %d, want 20", s.cwnd)
	}
	// Crossing ssthresh: the remainder goes to linear increase.
	s = newCC(18, 20)
	r.congAvoid(s, 4)
	if s.cwnd != 20 || s.cwndCnt != 2 {
		t.Fatalf("crossing: cwnd %d cnt %d", s.cwnd, s.cwndCnt)
	}
	// Congestion avoidance: one segment per cwnd acked.
	for range 20 {
		r.congAvoid(s, 1)
	}
	if s.cwnd != 21 {
		t.Fatalf("avoidance: cwnd %d, want 21", s.cwnd)
	}
	if got := r.ssthresh(newCC(21, 20)); got != 10 {
		t.Errorf("ssthresh %d, want 10", got)
	}
	if got := r.ssthresh(newCC(3, 20)); got != 2 {
		t.Errorf("ssthresh floor %d, want 2", got)
	}
	s.cwndLimited = false
	r.congAvoid(s, 100)
	if s.cwnd != 21 {
		t.Error("grew while not cwnd-limited")
	}
}

func TestCubicReductionAndRegrowth(t *testing.T) {
	var c cubic
	s := newCC(100, infiniteSsthresh)
	c.init(s)
	s.ssthresh = c.ssthresh(s)
	if s.ssthresh != 70 || c.lastMaxCwnd != 100 { // 100 * 717 / 1024
		t.Fatalf("ssthresh %d lastMax %d", s.ssthresh, c.lastMaxCwnd)
	}
	// A second loss below the last maximum: fast convergence lowers Wmax.
	s2 := newCC(80, 70)
	c2 := c
	c2.ssthresh(s2)
	if c2.lastMaxCwnd != 80*(1024+717)/2048 {
		t.Errorf("fast convergence lastMax %d", c2.lastMaxCwnd)
	}
	// Regrowth from 70: concave up to the old maximum, a plateau there
	// until K = cbrt(Wmax*(1-beta)/C) = cbrt(100*0.3/0.4) ≈ 4.2 s, then
	// convex probing beyond it. Linux's integer target reaches Wmax once
	// C*(K-t)^3 < 1, at t ≈ 2.86 s.
	s.cwnd = s.ssthresh
	start := s.now
	var at100 time.Duration
	cwndAt := map[time.Duration]uint32{}
	for i := 0; i < 8000; i++ {
		s.now = s.now.Add(time.Millisecond)
		c.congAvoid(s, 1)
		el := s.now.Sub(start)
		if at100 == 0 && s.cwnd >= 100 {
			at100 = el
		}
		if el%time.Second == 0 {
			cwndAt[el] = s.cwnd
		}
	}
	if at100 < 2800*time.Millisecond || at100 > 2950*time.Millisecond {
		t.Errorf("reached the old maximum after %v, want about 2.86 s", at100)
	}
	if cwndAt[time.Second] < 80 || cwndAt[4*time.Second] != 100 || cwndAt[7*time.Second] <= 105 {
		t.Errorf("cwnd at 1 s %d, 4 s %d, 7 s %d: not the cubic shape", cwndAt[time.Second], cwndAt[4*time.Second], cwndAt[7*time.Second])
	}
	if cubeRoot(27) != 3 || cubeRoot(26) != 2 || cubeRoot(1<<30) != 1024 {
		t.Error("cubeRoot")
	}
}
