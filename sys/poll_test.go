package sys

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/errno"
)

func TestPollRevents(t *testing.T) {
	p := newProcess()
	r, w := mustPipe(t, p, 0)
	fds := []PollFd{
		{Fd: 999, Events: POLLIN},
		{Fd: -1, Events: POLLIN, Revents: 77},
		{Fd: int32(w), Events: 0},
		{Fd: int32(r), Events: -1},
		{Fd: int32(w), Events: POLLOUT | POLLWRNORM | POLLIN},
	}
	n, err := p.Poll(fds, 0)
	if n != 2 || err != nil {
		t.Fatalf("Poll: %d, %v; want 2 (POLLNVAL counts)", n, err)
	}
	want := []int16{POLLNVAL, 0, 0, 0, POLLOUT | POLLWRNORM}
	for i := range fds {
		if fds[i].Revents != want[i] {
			t.Errorf("fds[%d].Revents = %#x, want %#x", i, fds[i].Revents, want[i])
		}
	}
	// POLLHUP and POLLERR need not be asked for.
	p.Close(w)
	if ev := pollOne(p, r, 0); ev != POLLHUP {
		t.Errorf("read end without writer, no events asked: %#x", ev)
	}
}

func TestPollLimit(t *testing.T) {
	p := newProcess(Options{NoFile: 8})
	_, err := p.Poll(make([]PollFd, 9), 0)
	wantErr(t, "more entries than RLIMIT_NOFILE", err, errno.EINVAL)
	fds := make([]PollFd, 8)
	for i := range fds {
		fds[i].Fd = -1
	}
	if n, err := p.Poll(fds, 0); n != 0 || err != nil {
		t.Fatalf("RLIMIT_NOFILE entries: %d, %v", n, err)
	}
	d := -time.Second
	_, err = p.Ppoll(nil, &d)
	wantErr(t, "negative ppoll timeout", err, errno.EINVAL)
}

func TestPollTimeouts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newProcess()
		r, w := mustPipe(t, p, 0)
		start := time.Now()
		n, err := p.Poll([]PollFd{{Fd: int32(r), Events: POLLIN}}, 1500)
		if n != 0 || err != nil || time.Since(start) != 1500*time.Millisecond {
			t.Fatalf("timed poll: %d, %v after %v", n, err, time.Since(start))
		}
		// No descriptors: a sleep.
		start = time.Now()
		if n, err := p.Poll(nil, 20); n != 0 || err != nil || time.Since(start) != 20*time.Millisecond {
			t.Fatalf("empty poll: %d, %v after %v", n, err, time.Since(start))
		}
		go func() {
			time.Sleep(300 * time.Millisecond)
			p.Write(w, []byte("x"))
		}()
		start = time.Now()
		fds := []PollFd{{Fd: int32(r), Events: POLLIN}}
		if n, err := p.Poll(fds, -1); n != 1 || err != nil || fds[0].Revents != POLLIN || time.Since(start) != 300*time.Millisecond {
			t.Fatalf("poll woken by a write: %d, %v, %#x after %v", n, err, fds[0].Revents, time.Since(start))
		}
		// Ppoll writes back what was left.
		p.Read(r, make([]byte, 1))
		go func() {
			time.Sleep(400 * time.Millisecond)
			p.Write(w, []byte("x"))
		}()
		d := time.Second
		if n, err := p.Ppoll([]PollFd{{Fd: int32(r), Events: POLLIN}}, &d); n != 1 || err != nil || d != 600*time.Millisecond {
			t.Fatalf("ppoll: %d, %v, left %v; want 600ms left", n, err, d)
		}
	})
}

func TestPollInterrupt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newProcess()
		r, w := mustPipe(t, p, 0)
		errc := make(chan error)
		fds := []PollFd{{Fd: int32(r), Events: POLLIN}}
		go func() {
			_, err := p.Poll(fds, -1)
			errc <- err
		}()
		synctest.Wait()
		p.Interrupt()
		wantErr(t, "interrupted poll", <-errc, errno.EINTR)
		// Events beat a signal: a ready descriptor is reported.
		p.Write(w, []byte("x"))
		go func() {
			n, err := p.Poll([]PollFd{{Fd: int32(r), Events: POLLIN}}, -1)
			if n != 1 {
				t.Errorf("poll with data: %d, %v", n, err)
			}
			errc <- err
		}()
		<-errc
	})
}

func TestSelect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newProcess()
		r, w := mustPipe(t, p, 0)
		var rs, ws FdSet
		rs.Set(r)
		ws.Set(w)
		n, err := p.Select(w+1, &rs, &ws, nil, nil)
		if n != 1 || err != nil || rs.IsSet(r) || !ws.IsSet(w) {
			t.Fatalf("Select: %d, %v, r %v w %v", n, err, rs.IsSet(r), ws.IsSet(w))
		}
		var bad FdSet
		bad.Set(50)
		_, err = p.Select(64, &bad, nil, nil, nil)
		wantErr(t, "closed descriptor in a set", err, errno.EBADF)
		_, err = p.Select(-1, nil, nil, nil, nil)
		wantErr(t, "nfd < 0", err, errno.EINVAL)
		neg := -time.Millisecond
		_, err = p.Select(0, nil, nil, nil, &neg)
		wantErr(t, "negative timeout", err, errno.EINVAL)
		d := 2 * time.Second
		rs.Zero()
		rs.Set(r)
		start := time.Now()
		n, err = p.Select(r+1, &rs, nil, nil, &d)
		if n != 0 || err != nil || d != 0 || rs.IsSet(r) || time.Since(start) != 2*time.Second {
			t.Fatalf("timed select: %d, %v, left %v, after %v", n, err, d, time.Since(start))
		}
		p.Close(w)
		rs.Set(r)
		if n, _ := p.Select(r+1, &rs, nil, nil, nil); n != 1 || !rs.IsSet(r) {
			t.Fatalf("hang-up counts as readable: %d", n)
		}
	})
}
