package clock

import "time"

// Manual is a clock that advances only through Advance and AdvanceTo. Its
// timers fire in deadline order (ties in creation order) inside the call
// that moves the clock past their deadline, so a run is repeatable.
type Manual struct {
	q   timerQueue
	now time.Time // guarded by q.mu
}

// NewManual returns a Manual clock reading start.
func NewManual(start time.Time) *Manual {
	m := &Manual{now: start}
	m.q.now = func() time.Time { return m.now }
	return m
}

// Now returns the clock's current reading.
func (m *Manual) Now() time.Time {
	m.q.mu.Lock()
	defer m.q.mu.Unlock()
	return m.now
}

// AfterFunc arranges for f to be called by Advance once d has elapsed.
func (m *Manual) AfterFunc(d time.Duration, f func()) Timer { return m.q.newTimer(d, f) }

// NewTimer returns a timer whose channel receives the clock's reading
// once d has elapsed.
func (m *Manual) NewTimer(d time.Duration) Timer { return m.q.newTimer(d, nil) }

// Next returns the deadline of the earliest pending timer.
func (m *Manual) Next() (time.Time, bool) {
	m.q.mu.Lock()
	defer m.q.mu.Unlock()
	return m.q.next()
}

// Advance moves the clock forward by d, firing every timer that falls due
// on the way, each with the clock reading its own deadline.
func (m *Manual) Advance(d time.Duration) {
	m.q.mu.Lock()
	target := m.now.Add(d)
	m.q.mu.Unlock()
	m.AdvanceTo(target)
}

// AdvanceTo moves the clock forward to t (never backwards), firing due
// timers in order. Callbacks run without the clock's lock held, so they
// may arm new timers; one armed due before t fires in the same call.
func (m *Manual) AdvanceTo(t time.Time) {
	for {
		m.q.mu.Lock()
		mt, ok := m.q.popDue(t)
		if !ok {
			if t.After(m.now) {
				m.now = t
			}
			m.q.mu.Unlock()
			return
		}
		if mt.when.After(m.now) {
			m.now = mt.when
		}
		now := m.now
		m.q.mu.Unlock()
		mt.fire(now)
	}
}
