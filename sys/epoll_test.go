package sys

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/waitq"
)

// regularFile is a file without a poll operation, as a regular file on
// most filesystems: epoll refuses it.
type regularFile struct{}

func (regularFile) Read(context.Context, []byte, bool) (int, error)  { return 0, nil }
func (regularFile) Write(context.Context, []byte, bool) (int, error) { return 0, nil }
func (regularFile) Poll() waitq.Events                               { return waitq.EventIn | waitq.EventOut }
func (regularFile) Queue() *waitq.Queue                              { return nil }
func (regularFile) Release() error                                   { return nil }
func (regularFile) noPoll()                                          {}

func mustEpoll(t testing.TB, p *Process) int {
	t.Helper()
	ep, err := p.EpollCreate1(0)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func mustCtl(t testing.TB, p *Process, ep, op, fd int, events uint32) {
	t.Helper()
	if err := p.EpollCtl(ep, op, fd, &EpollEvent{Events: events, Fd: int32(fd)}); err != nil {
		t.Fatalf("EpollCtl(%d, %d, %d, %#x): %v", ep, op, fd, events, err)
	}
}

// waitAll returns what a non-blocking epoll_wait reports, as fd→events.
func waitAll(t testing.TB, p *Process, ep int) map[int32]uint32 {
	t.Helper()
	evs := make([]EpollEvent, 16)
	n, err := p.EpollWait(ep, evs, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[int32]uint32)
	for _, ev := range evs[:n] {
		got[ev.Fd] = ev.Events
	}
	return got
}

func TestEpollCreate(t *testing.T) {
	p := newProcess()
	_, err := p.EpollCreate1(1)
	wantErr(t, "EpollCreate1(1)", err, errno.EINVAL)
	_, err = p.EpollCreate(0)
	wantErr(t, "EpollCreate(0)", err, errno.EINVAL)
	ep, err := p.EpollCreate1(abi.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	if fl, _ := p.Fcntl(ep, abi.F_GETFL, 0); fl != abi.O_RDWR {
		t.Errorf("F_GETFL %#x, want O_RDWR", fl)
	}
	if fd, _ := p.Fcntl(ep, abi.F_GETFD, 0); fd != abi.FD_CLOEXEC {
		t.Errorf("F_GETFD %#x, want FD_CLOEXEC", fd)
	}
	_, err = p.Read(ep, make([]byte, 1))
	wantErr(t, "read of an epoll instance", err, errno.EINVAL)
	_, err = p.Write(ep, make([]byte, 1))
	wantErr(t, "write of an epoll instance", err, errno.EINVAL)
}

// TestEpollCtlErrors checks epoll_ctl's errno and their order, as
// measured on Linux 6.18.
func TestEpollCtlErrors(t *testing.T) {
	p := newProcess()
	ep := mustEpoll(t, p)
	ep2 := mustEpoll(t, p)
	r, w := mustPipe(t, p, 0)
	reg, _ := p.install(regularFile{}, 0, false)
	in := uint32(abi.EPOLLIN)
	const bad = 999
	excl := uint32(abi.EPOLLEXCLUSIVE)
	type ctl struct {
		name       string
		epfd, op   int
		fd         int
		ev         *EpollEvent
		want       errno.Errno
		setupAdded bool
	}
	ev := func(e uint32) *EpollEvent { return &EpollEvent{Events: e} }
	for _, c := range []ctl{
		{"ADD without event", ep, abi.EPOLL_CTL_ADD, r, nil, errno.EFAULT, false},
		{"MOD without event", ep, abi.EPOLL_CTL_MOD, r, nil, errno.EFAULT, false},
		{"op 99 without event", ep, 99, r, nil, errno.EFAULT, false},
		{"DEL without event, bad epfd", bad, abi.EPOLL_CTL_DEL, r, nil, errno.EBADF, false},
		{"bad epfd", bad, abi.EPOLL_CTL_ADD, r, ev(in), errno.EBADF, false},
		{"bad fd", ep, abi.EPOLL_CTL_ADD, bad, ev(in), errno.EBADF, false},
		{"bad fd, exclusive with junk", ep, abi.EPOLL_CTL_ADD, bad, ev(0xffffffff), errno.EBADF, false},
		{"regular file", ep, abi.EPOLL_CTL_ADD, reg, ev(in), errno.EPERM, false},
		{"regular file, epfd not epoll", r, abi.EPOLL_CTL_ADD, reg, ev(in), errno.EPERM, false},
		{"epfd == fd", ep, abi.EPOLL_CTL_ADD, ep, ev(in), errno.EINVAL, false},
		{"epfd not epoll", r, abi.EPOLL_CTL_ADD, w, ev(in), errno.EINVAL, false},
		{"exclusive|oneshot", ep, abi.EPOLL_CTL_ADD, r, ev(in | excl | abi.EPOLLONESHOT), errno.EINVAL, false},
		{"exclusive|rdhup", ep, abi.EPOLL_CTL_ADD, r, ev(in | excl | abi.EPOLLRDHUP), errno.EINVAL, false},
		{"exclusive|pri", ep, abi.EPOLL_CTL_ADD, r, ev(in | excl | abi.EPOLLPRI), errno.EINVAL, false},
		{"exclusive on an epoll target", ep, abi.EPOLL_CTL_ADD, ep2, ev(in | excl), errno.EINVAL, false},
		{"MOD with exclusive, not watched", ep, abi.EPOLL_CTL_MOD, r, ev(in | excl), errno.EINVAL, false},
		{"DEL not watched", ep, abi.EPOLL_CTL_DEL, r, nil, errno.ENOENT, false},
		{"MOD not watched", ep, abi.EPOLL_CTL_MOD, r, ev(in), errno.ENOENT, false},
		{"op 99", ep, 99, r, ev(in), errno.EINVAL, false},
		{"ADD twice", ep, abi.EPOLL_CTL_ADD, r, ev(in), errno.EEXIST, true},
		{"op 99 on a watched fd", ep, 99, r, ev(in), errno.EINVAL, true},
	} {
		if c.setupAdded {
			p.EpollCtl(ep, abi.EPOLL_CTL_ADD, r, &EpollEvent{Events: in})
		}
		wantErr(t, c.name, p.EpollCtl(c.epfd, c.op, c.fd, c.ev), c.want)
		p.EpollCtl(ep, abi.EPOLL_CTL_DEL, r, nil)
	}
	// MOD of an exclusive item is refused, whatever the new events.
	mustCtl(t, p, ep, abi.EPOLL_CTL_ADD, w, abi.EPOLLOUT|excl)
	wantErr(t, "MOD of an exclusive item", p.EpollCtl(ep, abi.EPOLL_CTL_MOD, w, ev(abi.EPOLLOUT)), errno.EINVAL)
	mustCtl(t, p, ep, abi.EPOLL_CTL_DEL, w, 0)

	_, err := p.EpollWait(ep, nil, 0)
	wantErr(t, "EpollWait without room", err, errno.EINVAL)
	_, err = p.EpollWait(bad, make([]EpollEvent, 1), 0)
	wantErr(t, "EpollWait on a bad fd", err, errno.EBADF)
	_, err = p.EpollWait(r, make([]EpollEvent, 1), 0)
	wantErr(t, "EpollWait on a pipe", err, errno.EINVAL)
}

func TestEpollLevelTriggered(t *testing.T) {
	p := newProcess()
	ep := mustEpoll(t, p)
	r, w := mustPipe(t, p, abi.O_NONBLOCK)
	mustCtl(t, p, ep, abi.EPOLL_CTL_ADD, r, abi.EPOLLIN)
	mustCtl(t, p, ep, abi.EPOLL_CTL_ADD, w, abi.EPOLLOUT)
	if got := waitAll(t, p, ep); len(got) != 1 || got[int32(w)] != abi.EPOLLOUT {
		t.Fatalf("empty pipe: %v, want the write end writable", got)
	}
	p.Write(w, []byte("xy"))
	for i := range 3 {
		got := waitAll(t, p, ep)
		if got[int32(r)] != abi.EPOLLIN || got[int32(w)] != abi.EPOLLOUT {
			t.Fatalf("report %d: %v, want both ends again (level-triggered)", i, got)
		}
	}
	p.Read(r, make([]byte, 1))
	if got := waitAll(t, p, ep); got[int32(r)] != abi.EPOLLIN {
		t.Fatalf("after a partial read: %v", got)
	}
	p.Read(r, make([]byte, 1))
	if got := waitAll(t, p, ep); got[int32(r)] != 0 {
		t.Fatalf("after draining: %v, want no read event", got)
	}
}

func TestEpollEdgeTriggered(t *testing.T) {
	p := newProcess()
	ep := mustEpoll(t, p)
	r, w := mustPipe(t, p, abi.O_NONBLOCK)
	mustCtl(t, p, ep, abi.EPOLL_CTL_ADD, r, abi.EPOLLIN|abi.EPOLLET)
	mustCtl(t, p, ep, abi.EPOLL_CTL_ADD, w, abi.EPOLLOUT|abi.EPOLLET)
	if got := waitAll(t, p, ep); len(got) != 1 || got[int32(w)] != abi.EPOLLOUT {
		t.Fatalf("first wait: %v, want the write end once", got)
	}
	if got := waitAll(t, p, ep); len(got) != 0 {
		t.Fatalf("second wait: %v, want nothing (edge already reported)", got)
	}
	p.Write(w, []byte("a"))
	if got := waitAll(t, p, ep); got[int32(r)] != abi.EPOLLIN {
		t.Fatalf("after a write: %v", got)
	}
	if got := waitAll(t, p, ep); len(got) != 0 {
		t.Fatalf("no new write: %v", got)
	}
	// Every write wakes readers, so every write is an edge (Linux since
	// 5.14 for pipes: the poll_usage wakeup).
	p.Write(w, []byte("b"))
	if got := waitAll(t, p, ep); got[int32(r)] != abi.EPOLLIN {
		t.Fatalf("after a second write to a non-empty pipe: %v", got)
	}
	p.Read(r, make([]byte, 1))
	if got := waitAll(t, p, ep); len(got) != 0 {
		t.Fatalf("a read of a non-full pipe makes no edge: %v", got)
	}
	// Fill the pipe: the write end stops being writable; freeing a page
	// wakes writers, which is an edge for the write end.
	p.Read(r, make([]byte, 100))
	p.Write(w, make([]byte, 1<<20))
	waitAll(t, p, ep)
	p.Read(r, make([]byte, 10))
	if got := waitAll(t, p, ep); got[int32(w)] != 0 {
		t.Fatalf("10 bytes read of a full pipe: %v, want no OUT (no page freed)", got)
	}
	p.Read(r, make([]byte, 4096))
	if got := waitAll(t, p, ep); got[int32(w)] != abi.EPOLLOUT {
		t.Fatalf("a page freed: %v, want OUT", got)
	}
}

func TestEpollOneShot(t *testing.T) {
	p := newProcess()
	ep := mustEpoll(t, p)
	r, w := mustPipe(t, p, abi.O_NONBLOCK)
	mustCtl(t, p, ep, abi.EPOLL_CTL_ADD, r, abi.EPOLLIN|abi.EPOLLONESHOT)
	p.Write(w, []byte("a"))
	if got := waitAll(t, p, ep); got[int32(r)] != abi.EPOLLIN {
		t.Fatalf("first report: %v", got)
	}
	p.Write(w, []byte("b"))
	if got := waitAll(t, p, ep); len(got) != 0 {
		t.Fatalf("disarmed item reported: %v", got)
	}
	p.Close(w)
	if got := waitAll(t, p, ep); len(got) != 0 {
		t.Fatalf("disarmed item reported a hang-up: %v", got)
	}
	mustCtl(t, p, ep, abi.EPOLL_CTL_MOD, r, abi.EPOLLIN|abi.EPOLLONESHOT)
	if got := waitAll(t, p, ep); got[int32(r)] != abi.EPOLLIN|abi.EPOLLHUP {
		t.Fatalf("rearmed by MOD: %v, want IN|HUP", got)
	}
}

// TestEpollErrHupAlways: EPOLLERR and EPOLLHUP are reported even when
// not asked for.
func TestEpollErrHupAlways(t *testing.T) {
	p := newProcess()
	ep := mustEpoll(t, p)
	r, w := mustPipe(t, p, 0)
	r2, w2 := mustPipe(t, p, 0)
	mustCtl(t, p, ep, abi.EPOLL_CTL_ADD, r, 0)
	mustCtl(t, p, ep, abi.EPOLL_CTL_ADD, w2, 0)
	if got := waitAll(t, p, ep); len(got) != 0 {
		t.Fatalf("nothing asked, nothing wrong: %v", got)
	}
	p.Close(w)
	p.Close(r2)
	got := waitAll(t, p, ep)
	if got[int32(r)] != abi.EPOLLHUP || got[int32(w2)] != abi.EPOLLERR {
		t.Fatalf("%v, want HUP on the read end and ERR on the write end", got)
	}
}

// TestEpollRoundRobin: with room for one event, level-triggered items
// take turns (reported items go to the back of the ready list).
func TestEpollRoundRobin(t *testing.T) {
	p := newProcess()
	ep := mustEpoll(t, p)
	var order []int32
	var fds []int
	for range 3 {
		r, w := mustPipe(t, p, 0)
		p.Write(w, []byte("x"))
		mustCtl(t, p, ep, abi.EPOLL_CTL_ADD, r, abi.EPOLLIN)
		fds = append(fds, r)
	}
	ev := make([]EpollEvent, 1)
	for range 6 {
		if n, err := p.EpollWait(ep, ev, 0); n != 1 || err != nil {
			t.Fatal(n, err)
		}
		order = append(order, ev[0].Fd)
	}
	want := []int32{int32(fds[0]), int32(fds[1]), int32(fds[2]), int32(fds[0]), int32(fds[1]), int32(fds[2])}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
}

// TestEpollData: the user data comes back unchanged, and MOD replaces
// it.
func TestEpollData(t *testing.T) {
	p := newProcess()
	ep := mustEpoll(t, p)
	r, w := mustPipe(t, p, 0)
	p.Write(w, []byte("x"))
	p.EpollCtl(ep, abi.EPOLL_CTL_ADD, r, &EpollEvent{Events: abi.EPOLLIN, Fd: -7, Pad: 0x1234})
	ev := make([]EpollEvent, 1)
	p.EpollWait(ep, ev, 0)
	if ev[0] != (EpollEvent{Events: abi.EPOLLIN, Fd: -7, Pad: 0x1234}) {
		t.Fatalf("event %+v", ev[0])
	}
	p.EpollCtl(ep, abi.EPOLL_CTL_MOD, r, &EpollEvent{Events: abi.EPOLLIN, Fd: 1})
	p.EpollWait(ep, ev, 0)
	if ev[0] != (EpollEvent{Events: abi.EPOLLIN, Fd: 1}) {
		t.Fatalf("event after MOD %+v", ev[0])
	}
}

// TestEpollCloseRemoves: an item lives as long as its open file, not its
// descriptor (Linux removes it at the last close).
func TestEpollCloseRemoves(t *testing.T) {
	p := newProcess()
	ep := mustEpoll(t, p)
	r, w := mustPipe(t, p, 0)
	p.Write(w, []byte("x"))
	mustCtl(t, p, ep, abi.EPOLL_CTL_ADD, r, abi.EPOLLIN)
	dup, _ := p.Dup(r)
	p.Close(r)
	if got := waitAll(t, p, ep); got[int32(r)] != abi.EPOLLIN {
		t.Fatalf("after closing one of two descriptors: %v, want still reported", got)
	}
	wantErr(t, "DEL through the other descriptor", p.EpollCtl(ep, abi.EPOLL_CTL_DEL, dup, nil), errno.ENOENT)
	p.Close(dup)
	if got := waitAll(t, p, ep); len(got) != 0 {
		t.Fatalf("after the last close: %v", got)
	}
	// The descriptor number can be watched again.
	r2, w2 := mustPipe(t, p, 0)
	p.Write(w2, []byte("y"))
	mustCtl(t, p, ep, abi.EPOLL_CTL_ADD, r2, abi.EPOLLIN)
	if got := waitAll(t, p, ep); got[int32(r2)] != abi.EPOLLIN {
		t.Fatalf("new file on a reused descriptor: %v", got)
	}
	// Closing the epoll instance unregisters its callbacks.
	p.Close(ep)
	if n := p.fileOf(t, r2).Queue().Len(); n != 0 {
		t.Fatalf("%d waiters left on the pipe after closing the epoll instance", n)
	}
	ref, _ := p.lookup(r2)
	if len(ref.watches) != 0 {
		t.Fatalf("the pipe still records %d epoll items", len(ref.watches))
	}
}

func (p *Process) fileOf(t testing.TB, fd int) File {
	t.Helper()
	ref, err := p.lookup(fd)
	if err != nil {
		t.Fatal(err)
	}
	return ref.file
}

func TestEpollNested(t *testing.T) {
	p := newProcess()
	outer := mustEpoll(t, p)
	inner := mustEpoll(t, p)
	r, w := mustPipe(t, p, 0)
	mustCtl(t, p, inner, abi.EPOLL_CTL_ADD, r, abi.EPOLLIN)
	mustCtl(t, p, outer, abi.EPOLL_CTL_ADD, inner, abi.EPOLLIN|abi.EPOLLET)
	if got := waitAll(t, p, outer); len(got) != 0 {
		t.Fatalf("nothing ready: %v", got)
	}
	if ev := pollOne(p, inner, POLLIN|POLLOUT); ev != 0 {
		t.Fatalf("poll of an idle epoll instance: %#x", ev)
	}
	p.Write(w, []byte("x"))
	if got := waitAll(t, p, outer); got[int32(inner)] != abi.EPOLLIN {
		t.Fatalf("outer after a write: %v", got)
	}
	if ev := pollOne(p, inner, POLLIN|POLLOUT); ev != POLLIN {
		t.Fatalf("poll of a ready epoll instance: %#x, want POLLIN", ev)
	}
	if got := waitAll(t, p, outer); len(got) != 0 {
		t.Fatalf("edge-triggered outer reported twice: %v", got)
	}
	p.Read(r, make([]byte, 1))
	if ev := pollOne(p, inner, POLLIN); ev != 0 {
		t.Fatalf("inner after draining polls %#x", ev)
	}
}

func TestEpollLoops(t *testing.T) {
	p := newProcess()
	var eps []int
	for range 8 {
		eps = append(eps, mustEpoll(t, p))
	}
	// eps[0] ⊃ eps[1] ⊃ … : the fifth level is refused (Linux 6.18:
	// nest 0-3 succeed, nest 4 is ELOOP, 5 and 6 succeed again).
	for i := 0; i+1 < len(eps); i++ {
		err := p.EpollCtl(eps[i], abi.EPOLL_CTL_ADD, eps[i+1], &EpollEvent{Events: abi.EPOLLIN})
		want := errno.Errno(0)
		if i == 4 {
			want = errno.ELOOP
		}
		wantErr(t, "nesting", err, want)
	}
	wantErr(t, "loop", p.EpollCtl(eps[3], abi.EPOLL_CTL_ADD, eps[0], &EpollEvent{Events: abi.EPOLLIN}), errno.ELOOP)
	a, b := mustEpoll(t, p), mustEpoll(t, p)
	mustCtl(t, p, a, abi.EPOLL_CTL_ADD, b, abi.EPOLLIN)
	wantErr(t, "two-instance loop", p.EpollCtl(b, abi.EPOLL_CTL_ADD, a, &EpollEvent{Events: abi.EPOLLIN}), errno.ELOOP)
	wantErr(t, "loop is checked before EEXIST", p.EpollCtl(b, abi.EPOLL_CTL_ADD, a, &EpollEvent{Events: abi.EPOLLIN}), errno.ELOOP)
	wantErr(t, "EEXIST for a nested instance", p.EpollCtl(a, abi.EPOLL_CTL_ADD, b, &EpollEvent{Events: abi.EPOLLIN}), errno.EEXIST)
	// Removing the link allows the other direction.
	mustCtl(t, p, a, abi.EPOLL_CTL_DEL, b, 0)
	mustCtl(t, p, b, abi.EPOLL_CTL_ADD, a, abi.EPOLLIN)
	p.Close(b)
	mustCtl(t, p, eps[5], abi.EPOLL_CTL_ADD, a, abi.EPOLLIN)
}

func TestEpollWaitTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newProcess()
		ep := mustEpoll(t, p)
		r, w := mustPipe(t, p, 0)
		mustCtl(t, p, ep, abi.EPOLL_CTL_ADD, r, abi.EPOLLIN)
		start := time.Now()
		n, err := p.EpollWait(ep, make([]EpollEvent, 4), 250)
		if n != 0 || err != nil || time.Since(start) != 250*time.Millisecond {
			t.Fatalf("timed wait: %d, %v after %v", n, err, time.Since(start))
		}
		go func() {
			time.Sleep(time.Second)
			p.Write(w, []byte("x"))
		}()
		start = time.Now()
		evs := make([]EpollEvent, 4)
		n, err = p.EpollWait(ep, evs, -1)
		if n != 1 || err != nil || evs[0].Fd != int32(r) || time.Since(start) != time.Second {
			t.Fatalf("wait woken by a write: %d, %v, %+v after %v", n, err, evs[0], time.Since(start))
		}
	})
}

func TestEpollWaitInterrupt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newProcess()
		ep := mustEpoll(t, p)
		errc := make(chan error)
		go func() {
			_, err := p.EpollWait(ep, make([]EpollEvent, 1), -1)
			errc <- err
		}()
		synctest.Wait()
		p.Interrupt()
		wantErr(t, "interrupted epoll_wait", <-errc, errno.EINTR)
	})
}

// TestEpollExclusive: of several epoll instances waiting on one file
// with EPOLLEXCLUSIVE, a wakeup reaches one; without it, all.
func TestEpollExclusive(t *testing.T) {
	for _, exclusive := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			p := newProcess()
			r, w := mustPipe(t, p, abi.O_NONBLOCK)
			events := uint32(abi.EPOLLIN | abi.EPOLLET)
			if exclusive {
				events |= abi.EPOLLEXCLUSIVE
			}
			var woken atomic.Int32
			done := make(chan struct{})
			const waiters = 4
			for range waiters {
				ep := mustEpoll(t, p)
				mustCtl(t, p, ep, abi.EPOLL_CTL_ADD, r, events)
				go func() {
					defer func() { done <- struct{}{} }()
					n, err := p.EpollWait(ep, make([]EpollEvent, 1), 10_000)
					if err != nil {
						t.Error(err)
					}
					if n > 0 {
						woken.Add(1)
					}
				}()
			}
			synctest.Wait()
			p.Write(w, []byte("x"))
			synctest.Wait()
			want := int32(waiters)
			if exclusive {
				want = 1
			}
			if got := woken.Load(); got != want {
				t.Errorf("exclusive=%v: %d instances woken, want %d", exclusive, got, want)
			}
			for range waiters {
				<-done
			}
		})
	}
}

// TestEpollExclusiveIdle: an exclusive instance with nobody waiting does
// not consume the wakeup; it still gets the event on its ready list.
func TestEpollExclusiveIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newProcess()
		r, w := mustPipe(t, p, abi.O_NONBLOCK)
		idle, busy := mustEpoll(t, p), mustEpoll(t, p)
		mustCtl(t, p, idle, abi.EPOLL_CTL_ADD, r, abi.EPOLLIN|abi.EPOLLEXCLUSIVE)
		mustCtl(t, p, busy, abi.EPOLL_CTL_ADD, r, abi.EPOLLIN|abi.EPOLLEXCLUSIVE)
		got := make(chan int)
		go func() {
			n, _ := p.EpollWait(busy, make([]EpollEvent, 1), -1)
			got <- n
		}()
		synctest.Wait()
		p.Write(w, []byte("x"))
		if n := <-got; n != 1 {
			t.Fatalf("waiting instance got %d events", n)
		}
		if ev := waitAll(t, p, idle); ev[int32(r)] != abi.EPOLLIN {
			t.Fatalf("idle instance: %v", ev)
		}
	})
}

func TestEpollSockets(t *testing.T) {
	p, _ := newNetProcess(t)
	a, b := udpPair(t, p)
	ep := mustEpoll(t, p)
	mustCtl(t, p, ep, abi.EPOLL_CTL_ADD, b, abi.EPOLLIN|abi.EPOLLET)
	if got := waitAll(t, p, ep); len(got) != 0 {
		t.Fatalf("idle socket: %v", got)
	}
	p.Send(a, []byte("one"), 0)
	if got := waitAll(t, p, ep); got[int32(b)] != abi.EPOLLIN {
		t.Fatalf("after a datagram: %v", got)
	}
	if got := waitAll(t, p, ep); len(got) != 0 {
		t.Fatalf("edge reported twice: %v", got)
	}
	p.Send(a, []byte("two"), 0)
	if got := waitAll(t, p, ep); got[int32(b)] != abi.EPOLLIN {
		t.Fatalf("second datagram: %v", got)
	}
}

// TestEpollRealUDP waits with epoll and poll for datagrams of gosock's
// UDP, delivered by the loopback device's goroutine.
func TestEpollRealUDP(t *testing.T) {
	p, _ := newRealNetProcess(t)
	a, err := p.Socket(abi.AF_INET, abi.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Socket(abi.AF_INET, abi.SOCK_DGRAM|abi.SOCK_NONBLOCK, 0)
	if err := p.Bind(b, &abi.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	to, _ := p.Getsockname(b)
	ep := mustEpoll(t, p)
	mustCtl(t, p, ep, abi.EPOLL_CTL_ADD, b, abi.EPOLLIN|abi.EPOLLET)
	for i := range 3 {
		if err := p.Sendto(a, []byte("ping"), 0, to); err != nil {
			t.Fatal(err)
		}
		evs := make([]EpollEvent, 2)
		n, err := p.EpollWait(ep, evs, 5000)
		if n != 1 || err != nil || evs[0].Events != abi.EPOLLIN {
			t.Fatalf("datagram %d: %d, %v, %+v", i, n, err, evs[0])
		}
		fds := []PollFd{{Fd: int32(b), Events: POLLIN}}
		if n, _ := p.Poll(fds, 5000); n != 1 {
			t.Fatalf("poll: %d", n)
		}
		if _, _, err := p.Recvfrom(b, make([]byte, 8), 0); err != nil {
			t.Fatal(err)
		}
	}
}
