package sys_test

import (
	"errors"
	"testing"
	"testing/synctest"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/sys"
)

// The descriptor table keeps a reference per call in progress, as Linux's
// fdget/fdput: close(2) from another thread removes the descriptor at
// once, but the socket lives until the calls using it return. In Linux a
// call blocked in accept or read on such a socket goes on blocking (close
// does not wake it) and completes normally; shutdown is what wakes it.

func lifetimeProcess(t *testing.T) *sys.Process {
	ns := gosock.NewNamespace(netns.Options{Name: "fdlife", Seed: 1})
	t.Cleanup(func() { ns.Close() })
	return sys.NewProcess(ns, sys.Options{})
}

var loopback = [4]byte{127, 0, 0, 1}

func mustOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func listener(t *testing.T, p *sys.Process, port int) int {
	t.Helper()
	ls, err := p.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	mustOK(t, "socket", err)
	mustOK(t, "bind", p.Bind(ls, &abi.SockaddrInet4{Port: port, Addr: loopback}))
	mustOK(t, "listen", p.Listen(ls, 8))
	return ls
}

type acceptResult struct {
	fd  int
	err error
}

// TestCloseDuringBlockedAccept: the accept goes on waiting after another
// goroutine closes the listener's descriptor, returns the next connection,
// and only then is the listener released (the port refuses connections).
func TestCloseDuringBlockedAccept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := lifetimeProcess(t)
		ls := listener(t, p, 7000)
		res := make(chan acceptResult, 1)
		go func() {
			fd, _, err := p.Accept(ls)
			res <- acceptResult{fd, err}
		}()
		synctest.Wait()
		mustOK(t, "close", p.Close(ls))
		synctest.Wait()
		select {
		case r := <-res:
			t.Fatalf("accept returned %d, %v after close; Linux keeps it blocked", r.fd, r.err)
		default:
		}
		// The descriptor is gone, and its number is free again.
		if _, err := p.Getsockname(ls); !errors.Is(err, errno.EBADF) {
			t.Errorf("getsockname after close: %v, want EBADF", err)
		}
		other, err := p.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		mustOK(t, "socket", err)
		if other != ls {
			t.Errorf("new socket got fd %d, want the freed %d", other, ls)
		}
		// The listener itself still listens: a connection completes the
		// accept.
		mustOK(t, "connect", p.Connect(other, &abi.SockaddrInet4{Port: 7000, Addr: loopback}))
		r := <-res
		mustOK(t, "accept", r.err)
		sa, err := p.Getpeername(r.fd)
		mustOK(t, "getpeername", err)
		me, _ := p.Getsockname(other)
		if sa.(*abi.SockaddrInet4).Port != me.(*abi.SockaddrInet4).Port {
			t.Errorf("accepted peer %+v, want %+v", sa, me)
		}
		// The accept was the last user: the listener is gone now.
		c2, _ := p.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		if err := p.Connect(c2, &abi.SockaddrInet4{Port: 7000, Addr: loopback}); !errors.Is(err, errno.ECONNREFUSED) {
			t.Errorf("connect after the last reference: %v, want ECONNREFUSED", err)
		}
	})
}

// TestShutdownWakesBlockedAccept: shutdown of a listener wakes a blocked
// accept with EINVAL, as Linux's inet_shutdown of a listener does.
func TestShutdownWakesBlockedAccept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := lifetimeProcess(t)
		ls := listener(t, p, 7001)
		res := make(chan acceptResult, 1)
		go func() {
			fd, _, err := p.Accept(ls)
			res <- acceptResult{fd, err}
		}()
		synctest.Wait()
		mustOK(t, "shutdown", p.Shutdown(ls, abi.SHUT_RDWR))
		r := <-res
		if !errors.Is(r.err, errno.EINVAL) {
			t.Errorf("accept after shutdown: %d, %v; want EINVAL", r.fd, r.err)
		}
		mustOK(t, "close", p.Close(ls))
	})
}

// TestCloseDuringBlockedRead: a read blocked on a connection whose
// descriptor another goroutine closes keeps waiting and returns the data
// that arrives; the connection closes (the peer sees end of stream) only
// after the read returned.
func TestCloseDuringBlockedRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := lifetimeProcess(t)
		ls := listener(t, p, 7002)
		c, _ := p.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		mustOK(t, "connect", p.Connect(c, &abi.SockaddrInet4{Port: 7002, Addr: loopback}))
		a, _, err := p.Accept(ls)
		mustOK(t, "accept", err)
		type readResult struct {
			n   int
			err error
		}
		buf := make([]byte, 16)
		res := make(chan readResult, 1)
		go func() {
			n, err := p.Read(a, buf)
			res <- readResult{n, err}
		}()
		synctest.Wait()
		mustOK(t, "close", p.Close(a))
		synctest.Wait()
		select {
		case r := <-res:
			t.Fatalf("read returned %d, %v after close; Linux keeps it blocked", r.n, r.err)
		default:
		}
		// Not closed yet: the peer has no end of stream.
		if _, err := p.Fcntl(c, abi.F_SETFL, abi.O_NONBLOCK); err != nil {
			t.Fatal(err)
		}
		if n, err := p.Read(c, make([]byte, 4)); !errors.Is(err, errno.EAGAIN) {
			t.Errorf("peer read before the last reference: %d, %v; want EAGAIN", n, err)
		}
		if _, err := p.Write(c, []byte("hello")); err != nil {
			t.Fatal(err)
		}
		r := <-res
		if r.err != nil || string(buf[:r.n]) != "hello" {
			t.Errorf("blocked read: %q, %v; want hello", buf[:r.n], r.err)
		}
		synctest.Wait()
		// The read dropped the last reference: the connection closed.
		if n, err := p.Read(c, make([]byte, 4)); n != 0 || err != nil {
			t.Errorf("peer read after the last reference: %d, %v; want end of stream", n, err)
		}
		p.Close(c)
		p.Close(ls)
	})
}

// TestShutdownWakesBlockedRead: shutdown(SHUT_RD) ends a blocked read with
// end of stream.
func TestShutdownWakesBlockedRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := lifetimeProcess(t)
		ls := listener(t, p, 7003)
		c, _ := p.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		mustOK(t, "connect", p.Connect(c, &abi.SockaddrInet4{Port: 7003, Addr: loopback}))
		a, _, err := p.Accept(ls)
		mustOK(t, "accept", err)
		done := make(chan error, 1)
		go func() {
			n, err := p.Read(a, make([]byte, 4))
			if err == nil && n != 0 {
				err = errors.New("data")
			}
			done <- err
		}()
		synctest.Wait()
		mustOK(t, "shutdown", p.Shutdown(a, abi.SHUT_RD))
		if err := <-done; err != nil {
			t.Errorf("read after SHUT_RD: %v, want end of stream", err)
		}
		p.Close(a)
		p.Close(c)
		p.Close(ls)
	})
}
