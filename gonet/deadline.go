package gonet

import (
	"context"
	"net"
	"os"
	"sync"
	"time"

	"github.com/gosock/gosock/clock"
)

// deadline is one direction's deadline (reads, writes, or a listener's
// accepts), timed by the namespace's clock, as net/pipe.go's
// pipeDeadline. Its cancel channel is closed when the deadline passes or
// the owner closes; a blocked socket call is handed a context whose Done
// is that channel, so either ends the call at once. No goroutine waits
// for a deadline: the clock's timer closes the channel.
type deadline struct {
	clk clock.Clock

	mu     sync.Mutex
	timer  clock.Timer
	gen    uint64 // bumped by each set, so a stale timer does nothing
	cancel chan struct{}
	closed bool
}

func newDeadline(clk clock.Clock) *deadline {
	return &deadline{clk: clk, cancel: make(chan struct{})}
}

func isClosedChan(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// set arms the deadline at t: the zero time clears it, a time not after
// now expires it at once (interrupting blocked calls), a later one arms
// the clock's timer.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	d.gen++
	expired := isClosedChan(d.cancel)
	if t.IsZero() {
		if expired {
			d.cancel = make(chan struct{})
		}
		return
	}
	if dur := t.Sub(d.clk.Now()); dur > 0 {
		if expired {
			d.cancel = make(chan struct{})
		}
		ch, gen := d.cancel, d.gen
		d.timer = d.clk.AfterFunc(dur, func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			if d.gen == gen && !isClosedChan(ch) {
				close(ch)
			}
		})
		return
	}
	if !expired {
		close(d.cancel)
	}
}

// close ends every call waiting under the deadline for good.
func (d *deadline) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.closed = true
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	d.gen++
	if !isClosedChan(d.cancel) {
		close(d.cancel)
	}
}

// wait returns the context for the next blocking call, or the error to
// return instead: net.ErrClosed after close, os.ErrDeadlineExceeded while
// the deadline has passed.
func (d *deadline) wait() (context.Context, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, net.ErrClosed
	}
	if isClosedChan(d.cancel) {
		return nil, os.ErrDeadlineExceeded
	}
	return opContext{d.cancel}, nil
}

// opContext is the context of one blocking socket call: done when the
// deadline it was taken from passes or its owner closes. It is a single
// pointer, so passing it as a context.Context does not allocate.
type opContext struct{ done chan struct{} }

func (opContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c opContext) Done() <-chan struct{}     { return c.done }
func (opContext) Value(any) any               { return nil }

// Err reports context.DeadlineExceeded once done. Callers never show it:
// they ask the deadline why the call ended (wait).
func (c opContext) Err() error {
	if isClosedChan(c.done) {
		return context.DeadlineExceeded
	}
	return nil
}
