package sys

import (
	"context"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/waitq"
)

// poll(2) event bits (x86-64 values, the low 16 bits of the EPOLL*
// ones).
const (
	POLLIN     = 0x1
	POLLPRI    = 0x2
	POLLOUT    = 0x4
	POLLERR    = 0x8
	POLLHUP    = 0x10
	POLLNVAL   = 0x20
	POLLRDNORM = 0x40
	POLLRDBAND = 0x80
	POLLWRNORM = 0x100
	POLLWRBAND = 0x200
	POLLMSG    = 0x400
	POLLRDHUP  = 0x2000
)

// PollFd is struct pollfd.
type PollFd struct {
	Fd      int32
	Events  int16
	Revents int16
}

const sizeofPollFd = 8

// clock returns the clock timeouts run on: the namespace's.
func (p *Process) clock() clock.Clock {
	if p.ns != nil {
		return p.ns.Clock()
	}
	return clock.Real{}
}

// pollWaiter is a poll_wqueues: callback entries on the queues of the
// polled files that all signal one channel.
//
// A process keeps one between calls (Process.spareWaiter), with its
// channel and its callback entries, so that an event loop polling on
// every turn allocates nothing once warm.
type pollWaiter struct {
	wake chan struct{}
	regs []pollReg
	free []*waitq.Entry // callback entries off every queue, for reuse
}

type pollReg struct {
	q *waitq.Queue
	e *waitq.Entry
}

// getPollWaiter takes the process's spare waiter, or makes one.
func (p *Process) getPollWaiter() *pollWaiter {
	if w := p.spareWaiter.Swap(nil); w != nil {
		return w
	}
	return &pollWaiter{wake: make(chan struct{}, 1)}
}

// putPollWaiter releases w's registrations and keeps it as the spare.
func (p *Process) putPollWaiter(w *pollWaiter) {
	w.release()
	p.spareWaiter.Store(w)
}

// maxSpareEntries bounds the entries a waiter keeps: a process that once
// polled thousands of descriptors does not hold an entry for each.
const maxSpareEntries = 64

func (w *pollWaiter) signal(waitq.Events) {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *pollWaiter) register(q *waitq.Queue, mask waitq.Events) {
	if q == nil {
		return
	}
	var e *waitq.Entry
	if n := len(w.free); n > 0 {
		e = w.free[n-1]
		w.free[n-1] = nil
		w.free = w.free[:n-1]
		e.SetMask(mask)
	} else {
		e = waitq.NewCallback(mask, w.signal)
	}
	q.Add(e)
	w.regs = append(w.regs, pollReg{q, e})
}

// release takes w's entries off their queues and empties its channel. A
// callback Notify gathered before the removal may still signal after it
// (Notify runs callbacks once it lets the queue go); the next call using
// w then wakes once for nothing and polls again, which poll and select
// tolerate.
func (w *pollWaiter) release() {
	for i, r := range w.regs {
		r.q.Remove(r.e)
		if len(w.free) < maxSpareEntries {
			w.free = append(w.free, r.e)
		}
		w.regs[i] = pollReg{}
	}
	w.regs = w.regs[:0]
	select {
	case <-w.wake:
	default:
	}
}

// Poll is poll(2) with a timeout in milliseconds (negative: forever, 0:
// just look). Negative descriptors are skipped (revents 0), closed ones
// report POLLNVAL; POLLERR and POLLHUP are reported unasked. More
// entries than RLIMIT_NOFILE is EINVAL. A signal (Process.Interrupt)
// ends a wait with EINTR unless some descriptor is ready.
func (p *Process) Poll(fds []PollFd, timeout int) (int, error) {
	if len(fds) > p.nofile {
		return 0, errno.EINVAL
	}
	return p.poll(fds, msecTimeout(timeout))
}

// Ppoll is ppoll(2) without a signal mask: a nil timeout waits forever,
// a negative one is EINVAL. A positive timeout is updated to the time
// that was left, as Linux writes it back.
func (p *Process) Ppoll(fds []PollFd, timeout *time.Duration) (int, error) {
	d := time.Duration(-1)
	if timeout != nil {
		if *timeout < 0 {
			return 0, errno.EINVAL
		}
		d = *timeout
	}
	if len(fds) > p.nofile {
		return 0, errno.EINVAL
	}
	start := p.clock().Now()
	n, err := p.poll(fds, d)
	if timeout != nil && d > 0 {
		*timeout = max(d-p.clock().Now().Sub(start), 0)
	}
	return n, err
}

// poll is do_poll; timeout < 0 waits forever.
func (p *Process) poll(fds []PollFd, timeout time.Duration) (int, error) {
	ctx, done := p.context(context.Background())
	defer done()
	w := p.getPollWaiter()
	defer p.putPollWaiter(w)
	timedOut := timeout == 0
	var expired <-chan time.Time
	if timeout > 0 {
		t := p.clock().NewTimer(timeout)
		defer t.Stop()
		expired = t.C()
	}
	first := true
	for {
		count := 0
		for i := range fds {
			fds[i].Revents = 0
			if fds[i].Fd < 0 {
				continue
			}
			ref, err := p.lookup(int(fds[i].Fd))
			if err != nil {
				fds[i].Revents = POLLNVAL
				count++
				continue
			}
			filter := waitq.Events(uint16(fds[i].Events)) | waitq.EventErr | waitq.EventHUp
			if first && count == 0 {
				// Once something is ready the call will not sleep:
				// Linux stops registering there.
				w.register(ref.file.Queue(), filter)
			}
			if mask := ref.file.Poll() & filter; mask != 0 {
				fds[i].Revents = int16(uint16(mask))
				count++
			}
		}
		first = false
		if count == 0 && ctx.Err() != nil {
			return 0, socket.Interrupted(ctx)
		}
		if count > 0 || timedOut {
			return count, nil
		}
		select {
		case <-w.wake:
		case <-expired:
			timedOut = true
		case <-ctx.Done():
		}
	}
}

// FdSet is fd_set: a bit per descriptor, 1024 of them.
type FdSet struct {
	Bits [16]int64
}

// Set adds fd to the set.
func (s *FdSet) Set(fd int) { s.Bits[fd/64] |= 1 << (uint(fd) % 64) }

// Clear removes fd from the set.
func (s *FdSet) Clear(fd int) { s.Bits[fd/64] &^= 1 << (uint(fd) % 64) }

// IsSet reports whether fd is in the set.
func (s *FdSet) IsSet(fd int) bool { return s.Bits[fd/64]&(1<<(uint(fd)%64)) != 0 }

// Zero empties the set.
func (s *FdSet) Zero() { s.Bits = [16]int64{} }

// Readiness that counts for each set of select(2).
const (
	pollInSet  = waitq.EventRdNorm | waitq.EventRdBand | waitq.EventIn | waitq.EventHUp | waitq.EventErr
	pollOutSet = waitq.EventWrBand | waitq.EventWrNorm | waitq.EventOut | waitq.EventErr
	pollExSet  = waitq.EventPri
)

// maxFDs is the size of the descriptor table as Linux grows it
// (fdt->max_fds): 64, then powers of two. select(2) ignores bits beyond.
func (p *Process) maxFDs() int {
	p.mu.Lock()
	n := len(p.fds)
	p.mu.Unlock()
	m := 64
	for m < n {
		m *= 2
	}
	return m
}

// Select is select(2) on sets of up to 1024 descriptors (nil sets are
// empty): nfd < 0 or a negative timeout is EINVAL, a closed descriptor
// in a set EBADF. On return the sets hold the ready descriptors below
// nfd; a non-nil timeout is updated to the time that was left.
func (p *Process) Select(nfd int, r, w, e *FdSet, timeout *time.Duration) (int, error) {
	d := time.Duration(-1)
	if timeout != nil {
		if *timeout < 0 {
			return 0, errno.EINVAL
		}
		d = *timeout
	}
	if nfd < 0 {
		return 0, errno.EINVAL
	}
	nfd = min(nfd, p.maxFDs(), 1024)
	var in, out, ex FdSet
	if r != nil {
		in = *r
	}
	if w != nil {
		out = *w
	}
	if e != nil {
		ex = *e
	}
	for fd := 0; fd < nfd; fd++ {
		if in.IsSet(fd) || out.IsSet(fd) || ex.IsSet(fd) {
			if _, err := p.lookup(fd); err != nil {
				return 0, errno.EBADF
			}
		}
	}
	start := p.clock().Now()
	n, resIn, resOut, resEx, err := p.doSelect(nfd, &in, &out, &ex, d)
	if timeout != nil && d > 0 {
		*timeout = max(d-p.clock().Now().Sub(start), 0)
	}
	if err != nil {
		return 0, err
	}
	words := (nfd + 63) / 64
	for i, s := range []*FdSet{r, w, e} {
		if s == nil {
			continue
		}
		res := [...]*FdSet{&resIn, &resOut, &resEx}[i]
		copy(s.Bits[:words], res.Bits[:words])
	}
	return n, nil
}

func (p *Process) doSelect(nfd int, in, out, ex *FdSet, timeout time.Duration) (n int, resIn, resOut, resEx FdSet, err error) {
	ctx, done := p.context(context.Background())
	defer done()
	w := p.getPollWaiter()
	defer p.putPollWaiter(w)
	timedOut := timeout == 0
	var expired <-chan time.Time
	if timeout > 0 {
		t := p.clock().NewTimer(timeout)
		defer t.Stop()
		expired = t.C()
	}
	first := true
	for {
		n = 0
		resIn, resOut, resEx = FdSet{}, FdSet{}, FdSet{}
		for fd := 0; fd < nfd; fd++ {
			wantIn, wantOut, wantEx := in.IsSet(fd), out.IsSet(fd), ex.IsSet(fd)
			if !wantIn && !wantOut && !wantEx {
				continue
			}
			ref, lerr := p.lookup(fd)
			if lerr != nil {
				continue // closed since the check: POLLNVAL, in no set
			}
			key := pollExSet
			if wantIn {
				key |= pollInSet
			}
			if wantOut {
				key |= pollOutSet
			}
			if first && n == 0 {
				w.register(ref.file.Queue(), key)
			}
			mask := ref.file.Poll()
			if wantIn && mask&pollInSet != 0 {
				resIn.Set(fd)
				n++
			}
			if wantOut && mask&pollOutSet != 0 {
				resOut.Set(fd)
				n++
			}
			if wantEx && mask&pollExSet != 0 {
				resEx.Set(fd)
				n++
			}
		}
		first = false
		if n > 0 {
			return n, resIn, resOut, resEx, nil
		}
		if ctx.Err() != nil {
			return 0, resIn, resOut, resEx, socket.Interrupted(ctx)
		}
		if timedOut {
			return 0, resIn, resOut, resEx, nil
		}
		select {
		case <-w.wake:
		case <-expired:
			timedOut = true
		case <-ctx.Done():
		}
	}
}
