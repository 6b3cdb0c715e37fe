package clock

import "time"

// Ordered is a clock for simulations that must repeat exactly: the same
// seeds give the same packets, in the same order, at the same instants.
//
// It reads the standard library's time, so inside a testing/synctest
// bubble it is fake time, and it runs every timer of the namespaces and
// wires that share it on one goroutine, one at a time, in deadline order
// (ties in the order the timers were set). Between two timers it calls
// settle, which must return only once every other goroutine that the last
// timer woke has blocked again; inside a bubble that is synctest.Wait.
// Without settle, two deliveries due at the same instant would run
// concurrently with the goroutines the first one woke (an application
// reading a socket, a protocol timer), and the Go scheduler, not the
// simulation, would pick the order; with it, each event runs to
// quiescence before the next begins, so a run is a function of its seeds.
//
// link.Pipe recognises an Ordered clock and schedules each frame's
// arrival as one of its timers instead of running a delivery goroutine.
//
// Callbacks of AfterFunc run on the clock's goroutine, so they must not
// wait for another timer of the same clock. Because the clock's goroutine
// calls settle, no other goroutine may call synctest.Wait while it runs.
// Close stops it; a bubble cannot end while it runs.
type Ordered struct {
	q      timerQueue
	settle func()
	kick   chan struct{} // buffer of one: a timer became the first one due
	stop   chan struct{}
	exited chan struct{}
}

// NewOrdered starts an Ordered clock. settle is synctest.Wait inside a
// bubble; nil means none, which orders timers but not what they wake.
func NewOrdered(settle func()) *Ordered {
	o := &Ordered{
		settle: settle,
		kick:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	o.q.now = time.Now
	o.q.earliest = func() {
		select {
		case o.kick <- struct{}{}:
		default:
		}
	}
	go o.run()
	return o
}

// Now returns time.Now().
func (o *Ordered) Now() time.Time { return time.Now() }

// AfterFunc arranges for f to be called on the clock's goroutine once d
// has elapsed.
func (o *Ordered) AfterFunc(d time.Duration, f func()) Timer { return o.q.newTimer(d, f) }

// NewTimer returns a timer whose channel receives the time once d has
// elapsed.
func (o *Ordered) NewTimer(d time.Duration) Timer { return o.q.newTimer(d, nil) }

// Close stops the clock's goroutine and waits for it. Pending timers never
// fire. Closing twice panics, as closing a channel twice does.
func (o *Ordered) Close() {
	close(o.stop)
	<-o.exited
}

func (o *Ordered) run() {
	defer close(o.exited)
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	for {
		if o.settle != nil {
			o.settle()
		}
		select {
		case <-o.stop:
			return
		default:
		}
		now := time.Now()
		o.q.mu.Lock()
		t, due := o.q.popDue(now)
		next, pending := o.q.next()
		o.q.mu.Unlock()
		if due {
			t.fire(now)
			continue
		}
		if pending {
			wait.Reset(next.Sub(now))
		}
		select {
		case <-wait.C:
		case <-o.kick:
			wait.Stop()
		case <-o.stop:
			return
		}
	}
}

// Serial reports whether c runs its timers one at a time in a fixed order
// (Ordered does), so that a component may schedule its own events as
// timers of c rather than run a goroutine of its own.
func Serial(c Clock) bool {
	_, ok := c.(*Ordered)
	return ok
}
