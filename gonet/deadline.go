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
//
// The channel is made on first need (a blocking call, a deadline set):
// an idle connection with no call waiting and no deadline holds none,
// which is most of the memory a deadline would cost it. Until then
// cancel is nil; an expired or closed deadline with no channel of its
// own shares closedChan.
//
// The clock is not kept here but passed to set by the owner, which has
// its namespace at hand: two deadlines per connection end each holding
// the same interface value took the Conn from the 288-byte allocation
// size class to 320 (TestConnAllocSize).
type deadline struct {
	mu     sync.Mutex
	timer  clock.Timer
	gen    uint64 // bumped by each set, so a stale timer does nothing
	cancel chan struct{}
	closed bool
}

func newDeadline() *deadline {
	return &deadline{}
}

// closedChan is the cancel channel of every deadline that expired or
// closed before it needed one of its own.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

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
// a timer of clk, the owner's namespace clock.
func (d *deadline) set(clk clock.Clock, t time.Time) {
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
			d.cancel = nil // made again when a call waits
		}
		return
	}
	if dur := t.Sub(clk.Now()); dur > 0 {
		if expired || d.cancel == nil {
			d.cancel = make(chan struct{})
		}
		ch, gen := d.cancel, d.gen
		d.timer = clk.AfterFunc(dur, func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			if d.gen == gen && !isClosedChan(ch) {
				close(ch)
			}
		})
		return
	}
	if !expired {
		d.expire()
	}
}

// expire closes the cancel channel, or shares closedChan when there is
// none yet. Called with mu held.
func (d *deadline) expire() {
	if d.cancel == nil {
		d.cancel = closedChan
		return
	}
	close(d.cancel)
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
		d.expire()
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
	if d.cancel == nil {
		d.cancel = make(chan struct{})
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
