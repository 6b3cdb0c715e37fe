package packetdrill

import (
	"fmt"
	"time"
)

// DefaultTolerance is upstream packetdrill's default timing tolerance
// (--tolerance_usecs=4000).
const DefaultTolerance = 4 * time.Millisecond

// lateGrace is how long after an outbound packet's window the runner
// keeps waiting, as upstream does, so that a late packet is reported as
// late rather than missing.
const lateGrace = 2 * time.Second

// anyTimeLimit bounds the wait for an outbound packet written at time
// "*": the runner keeps firing the stack's timers until the packet
// appears, no timer is left, or this much virtual time has passed.
const anyTimeLimit = 2 * time.Hour

// tolerance is the slack allowed around an expected time: the script's
// tolerance, widened to 12.5% of gap (the time since the previous
// event) for long gaps, as upstream does (an RTO 3 s later gets 375 ms).
func tolerance(base, gap time.Duration) time.Duration {
	return max(base, gap/8)
}

// window is an expected time on the script's timeline (durations since
// the script started): [Start, End] widened by Tol on each side, or any
// time at all.
type window struct {
	Start, End time.Duration
	Tol        time.Duration
	Any        bool
}

// lo and hi are the bounds with the tolerance applied.
func (w window) lo() time.Duration { return w.Start - w.Tol }
func (w window) hi() time.Duration { return w.End + w.Tol }

// String prints the expected time, e.g. "0.1" or "0.1~0.2", with the
// tolerance.
func (w window) String() string {
	if w.Any {
		return "any time"
	}
	s := fmtSeconds(w.Start)
	if w.End != w.Start {
		s += "~" + fmtSeconds(w.End)
	}
	return fmt.Sprintf("%s s (±%s s)", s, fmtSeconds(w.Tol))
}

// checkTiming reports whether actual lies inside w; what names the event
// ("outbound packet", "return of read()").
func checkTiming(what string, w window, actual time.Duration) *Mismatch {
	if w.Any || actual >= w.lo() && actual <= w.hi() {
		return nil
	}
	dir := "late"
	if actual < w.lo() {
		dir = "early"
	}
	return &Mismatch{
		What:  "timing",
		Diffs: []Diff{{Field: what + " " + dir, Expected: "at " + w.String(), Actual: "at " + fmtSeconds(actual) + " s"}},
	}
}
