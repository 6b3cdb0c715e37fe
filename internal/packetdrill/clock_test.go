package packetdrill

import (
	"strings"
	"testing"
	"time"
)

func TestTolerance(t *testing.T) {
	ms := time.Millisecond
	cases := []struct{ base, gap, want time.Duration }{
		{4 * ms, 0, 4 * ms},
		{4 * ms, 10 * ms, 4 * ms},
		{4 * ms, 3 * time.Second, 375 * ms},
		{20 * ms, 100 * ms, 20 * ms},
	}
	for _, c := range cases {
		if got := tolerance(c.base, c.gap); got != c.want {
			t.Errorf("tolerance(%v, %v) = %v, want %v", c.base, c.gap, got, c.want)
		}
	}
}

func TestCheckTiming(t *testing.T) {
	ms := time.Millisecond
	w := window{Start: 100 * ms, End: 100 * ms, Tol: 4 * ms}
	cases := []struct {
		at   time.Duration
		want string
	}{
		{100 * ms, ""}, {96 * ms, ""}, {104 * ms, ""},
		{95 * ms, "early"}, {105 * ms, "late"}, {0, "early"}, {time.Second, "late"},
	}
	for _, c := range cases {
		m := checkTiming("outbound packet", w, c.at)
		switch {
		case c.want == "" && m != nil:
			t.Errorf("at %v: %v", c.at, m)
		case c.want != "" && (m == nil || !strings.Contains(m.Summary(), c.want)):
			t.Errorf("at %v: %v, want %s", c.at, m, c.want)
		}
	}
	win := window{Start: 100 * ms, End: 200 * ms, Tol: 4 * ms}
	if m := checkTiming("x", win, 150*ms); m != nil {
		t.Errorf("inside window: %v", m)
	}
	if m := checkTiming("x", win, 205*ms); m == nil {
		t.Error("after window matched")
	}
	if m := checkTiming("x", window{Any: true}, time.Hour); m != nil {
		t.Errorf("any time: %v", m)
	}
	m := checkTiming("outbound packet", w, 300*ms)
	if got := m.Error(); !strings.Contains(got, "outbound packet late: expected at 0.1 s (±0.004 s), actual at 0.3 s") {
		t.Errorf("message %q", got)
	}
}
