package unix_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/sys"
	"github.com/gosock/gosock/unix"
	"github.com/gosock/gosock/waitq"
)

// world is a namespace with AF_UNIX and processes in it.
type world struct {
	t  testing.TB
	ns *netns.Namespace
}

func newWorld(t testing.TB) *world {
	ns := netns.New(netns.Options{Name: t.Name(), NoLoopback: true})
	unix.Register(ns)
	t.Cleanup(func() { ns.Close() })
	return &world{t: t, ns: ns}
}

// proc makes a process; o.PID, o.UID, o.GID name it.
func (w *world) proc(o sys.Options) *sys.Process {
	p := sys.NewProcess(w.ns, o)
	w.t.Cleanup(p.Exit)
	return p
}

// must returns v, or ends the test (through catch, deferred first in
// every test function) with err and the caller's line.
func must[T any](v T, err error) T {
	if err != nil {
		_, file, line, _ := runtime.Caller(1)
		panic(mustFailed{fmt.Sprintf("%s:%d: %v", filepath.Base(file), line, err)})
	}
	return v
}

type mustFailed struct{ msg string }

func catch(t testing.TB) {
	if r := recover(); r != nil {
		if m, ok := r.(mustFailed); ok {
			t.Fatal(m.msg)
		}
		panic(r)
	}
}

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t testing.TB, what string, err error, want errno.Errno) {
	t.Helper()
	e, _ := errno.Of(err)
	if err == nil && want == 0 {
		return
	}
	if e != want {
		t.Errorf("%s: %v, want %v", what, errName(err), want.Name())
	}
}

func sockOf(t testing.TB, p *sys.Process, fd int) *socket.Socket {
	t.Helper()
	s, err := p.SocketOf(fd)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStreamTransferChecksum(t *testing.T) {
	defer catch(t)
	w := newWorld(t)
	p := w.proc(sys.Options{PID: 1})
	fds := must(p.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM, 0))
	const total = 4<<20 + 12345
	src := make([]byte, total)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range src {
		src[i] = byte(rng.Uint32())
	}
	want := sha256.Sum256(src)

	var wg sync.WaitGroup
	var werr error
	wg.Go(func() {
		// Writes of uneven sizes, blocking when the send buffer is full.
		for off := 0; off < total; {
			n := min(total-off, 1+rng.IntN(300000))
			k, err := p.Write(fds[0], src[off:off+n])
			if err != nil {
				werr = err
				return
			}
			off += k
		}
		werr = p.Close(fds[0])
	})
	h := sha256.New()
	buf := make([]byte, 50000)
	got := 0
	for {
		n, err := p.Read(fds[1], buf[:1+got%len(buf)])
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		h.Write(buf[:n])
		got += n
	}
	wg.Wait()
	if werr != nil {
		t.Fatal(werr)
	}
	if got != total {
		t.Fatalf("read %d bytes, want %d", got, total)
	}
	if !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatal("checksum differs")
	}
	if v := must(p.IoctlGetInt(fds[1], abi.SIOCINQ)); v != 0 {
		t.Errorf("SIOCINQ after EOF = %d", v)
	}
}

// TestStreamWaitAll reads with MSG_WAITALL while the writer sends in
// pieces; the read returns only when the buffer is full.
func TestStreamWaitAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer catch(t)
		w := newWorld(t)
		p := w.proc(sys.Options{PID: 1})
		fds := must(p.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM, 0))
		var got []byte
		var rerr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			b := make([]byte, 10)
			n, _, _, _, err := p.Recvmsg(fds[1], b, nil, abi.MSG_WAITALL)
			got, rerr = b[:n], err
		}()
		for _, s := range []string{"abc", "defg", "hij"} {
			synctest.Wait()
			select {
			case <-done:
				t.Fatalf("MSG_WAITALL read returned early with %q", got)
			default:
			}
			must(p.Write(fds[0], []byte(s)))
		}
		<-done
		if rerr != nil || string(got) != "abcdefghij" {
			t.Fatalf("read %q, %v", got, rerr)
		}
	})
}

// TestBlockingWriterWaits fills a stream's send buffer: the blocking
// writer sleeps until the reader drains, and a blocked reader wakes
// when data arrives.
func TestBlockingWriterWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer catch(t)
		w := newWorld(t)
		p := w.proc(sys.Options{PID: 1})
		fds := must(p.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM, 0))
		const total = 1 << 20
		written := make(chan int, 1)
		go func() {
			n, err := p.Write(fds[0], make([]byte, total))
			if err != nil {
				t.Error(err)
			}
			written <- n
		}()
		synctest.Wait()
		select {
		case n := <-written:
			t.Fatalf("write of 1 MiB returned %d without a reader", n)
		default:
		}
		// What is queued is what the non-blocking write gets through:
		// six chunks of 36544 bytes.
		if v := must(p.IoctlGetInt(fds[1], abi.SIOCINQ)); v != 219264 {
			t.Errorf("queued %d, want 219264", v)
		}
		got := 0
		buf := make([]byte, 65536)
		for got < total {
			got += must(p.Read(fds[1], buf))
		}
		if n := <-written; n != total {
			t.Errorf("wrote %d", n)
		}

		// A reader blocked on an empty socket wakes for data.
		read := make(chan string, 1)
		go func() {
			n, err := p.Read(fds[1], buf)
			if err != nil {
				t.Error(err)
			}
			read <- string(buf[:n])
		}()
		synctest.Wait()
		select {
		case s := <-read:
			t.Fatalf("read %q from an empty socket", s)
		default:
		}
		must(p.Write(fds[0], []byte("wake")))
		if s := <-read; s != "wake" {
			t.Errorf("read %q", s)
		}
		// And one blocked reader wakes for the peer's shutdown.
		go func() {
			n, err := p.Read(fds[1], buf)
			if err != nil {
				t.Error(err)
			}
			read <- string(buf[:n])
		}()
		synctest.Wait()
		ok(t, p.Shutdown(fds[0], abi.SHUT_WR))
		if s := <-read; s != "" {
			t.Errorf("read %q at EOF", s)
		}
	})
}

func TestDgramAndSeqpacketBoundaries(t *testing.T) {
	defer catch(t)
	w := newWorld(t)
	p := w.proc(sys.Options{PID: 1})
	for _, typ := range []int{abi.SOCK_DGRAM, abi.SOCK_SEQPACKET} {
		fds := must(p.Socketpair(abi.AF_UNIX, typ|abi.SOCK_NONBLOCK, 0))
		msgs := []string{"one", "", "three33", "x"}
		for _, m := range msgs {
			must(p.Write(fds[0], []byte(m)))
		}
		for _, m := range msgs {
			b := make([]byte, 5)
			n, _, fl, _, err := p.Recvmsg(fds[1], b, nil, 0)
			ok(t, err)
			want := m[:min(len(m), 5)]
			if string(b[:n]) != want {
				t.Errorf("type %d: read %q, want %q", typ, b[:n], want)
			}
			if trunc := fl&abi.MSG_TRUNC != 0; trunc != (len(m) > 5) {
				t.Errorf("type %d: %q: flags %#x", typ, m, fl)
			}
		}
		_, err := p.Read(fds[1], make([]byte, 5))
		wantErr(t, "empty", err, errno.EAGAIN)
	}
}

func TestDgramQueueFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer catch(t)
		w := newWorld(t)
		p := w.proc(sys.Options{PID: 1})
		r := must(p.Socket(abi.AF_UNIX, abi.SOCK_DGRAM, 0))
		ok(t, p.Bind(r, &abi.SockaddrUnix{Name: "@r"}))
		s := must(p.Socket(abi.AF_UNIX, abi.SOCK_DGRAM, 0))
		ok(t, p.Connect(s, &abi.SockaddrUnix{Name: "@r"}))
		// max_dgram_qlen is 10: the queue takes 11 before it is full.
		for i := 0; i < 11; i++ {
			must(p.Sendmsg(s, []byte{byte(i)}, nil, nil, abi.MSG_DONTWAIT))
		}
		_, err := p.Sendmsg(s, []byte("x"), nil, nil, abi.MSG_DONTWAIT)
		wantErr(t, "send to full receiver", err, errno.EAGAIN)
		if ev := sockOf(t, p, s).Poll(); ev&waitq.EventOut != 0 {
			t.Errorf("connected to a full receiver, poll %#x says writable", ev)
		}
		// A blocking send waits for the receiver to read.
		sent := make(chan error, 1)
		go func() {
			_, err := p.Sendmsg(s, []byte("late"), nil, nil, 0)
			sent <- err
		}()
		synctest.Wait()
		select {
		case err := <-sent:
			t.Fatalf("blocking send to a full receiver returned %v", err)
		default:
		}
		// An epoll-style watcher is told too.
		var woken waitq.Events
		e := waitq.NewCallback(waitq.EventOut, func(ev waitq.Events) { woken |= ev })
		sockOf(t, p, s).Sock().Wait.Add(e)
		defer sockOf(t, p, s).Sock().Wait.Remove(e)
		must(p.Read(r, make([]byte, 8)))
		if err := <-sent; err != nil {
			t.Fatal(err)
		}
		if woken&waitq.EventOut == 0 {
			t.Error("no EventOut when the receiver drained")
		}
	})
}

func TestMaxDgramQlenSetting(t *testing.T) {
	defer catch(t)
	w := newWorld(t)
	p := w.proc(sys.Options{PID: 1})
	if unix.MaxDgramQlen(w.ns) != 10 {
		t.Fatalf("default max_dgram_qlen %d", unix.MaxDgramQlen(w.ns))
	}
	old := must(p.Socket(abi.AF_UNIX, abi.SOCK_DGRAM, 0))
	ok(t, p.Bind(old, &abi.SockaddrUnix{Name: "@old"}))
	ok(t, unix.SetMaxDgramQlen(w.ns, 2))
	r := must(p.Socket(abi.AF_UNIX, abi.SOCK_DGRAM, 0))
	ok(t, p.Bind(r, &abi.SockaddrUnix{Name: "@new"}))
	s := must(p.Socket(abi.AF_UNIX, abi.SOCK_DGRAM|abi.SOCK_NONBLOCK, 0))
	count := func(name string) int {
		n := 0
		for ; n < 20; n++ {
			if p.Sendto(s, []byte("x"), 0, &abi.SockaddrUnix{Name: name}) != nil {
				break
			}
		}
		return n
	}
	if n := count("@new"); n != 3 {
		t.Errorf("qlen 2: %d messages queued, want 3", n)
	}
	if n := count("@old"); n != 11 {
		t.Errorf("socket made before the change: %d queued, want 11", n)
	}
	if err := unix.SetMaxDgramQlen(netns.New(netns.Options{}), 1); err == nil {
		t.Error("SetMaxDgramQlen on a namespace without AF_UNIX succeeded")
	}
}

// TestBacklogFull fills a listener's backlog: a non-blocking connect
// gets EAGAIN, and the connecting socket is woken (EventOut) when an
// accept or a larger backlog makes room, after which connecting again
// succeeds. The generic layer turns that wakeup into Linux's blocking
// wait once its Connect retries on EAGAIN; connectWaiting does it here.
func TestBacklogFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer catch(t)
		w := newWorld(t)
		p := w.proc(sys.Options{PID: 1})
		l := must(p.Socket(abi.AF_UNIX, abi.SOCK_STREAM, 0))
		ok(t, p.Bind(l, &abi.SockaddrUnix{Name: "@l"}))
		ok(t, p.Listen(l, 1))
		addr := &abi.SockaddrUnix{Name: "@l"}
		for i := 0; i < 2; i++ {
			c := must(p.Socket(abi.AF_UNIX, abi.SOCK_STREAM|abi.SOCK_NONBLOCK, 0))
			ok(t, p.Connect(c, addr))
		}
		c := must(p.Socket(abi.AF_UNIX, abi.SOCK_STREAM|abi.SOCK_NONBLOCK, 0))
		wantErr(t, "connect to full backlog", p.Connect(c, addr), errno.EAGAIN)

		done := make(chan error, 1)
		go func() { done <- connectWaiting(p, c, addr) }()
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("waiting connect returned %v with the backlog full", err)
		default:
		}
		must2(t)(p.Accept(l))
		if err := <-done; err != nil {
			t.Fatalf("connect after accept: %v", err)
		}
		// A larger backlog wakes waiters too.
		c2 := must(p.Socket(abi.AF_UNIX, abi.SOCK_STREAM|abi.SOCK_NONBLOCK, 0))
		go func() { done <- connectWaiting(p, c2, addr) }()
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("waiting connect returned %v with the backlog full", err)
		default:
		}
		ok(t, p.Listen(l, 5))
		if err := <-done; err != nil {
			t.Fatalf("connect after listen(5): %v", err)
		}
		// So does the listener going away.
		c3 := must(p.Socket(abi.AF_UNIX, abi.SOCK_STREAM|abi.SOCK_NONBLOCK, 0))
		ok(t, p.Listen(l, 1))
		go func() { done <- connectWaiting(p, c3, addr) }()
		synctest.Wait()
		ok(t, p.Close(l))
		wantErr(t, "connect after the listener closed", <-done, errno.ECONNREFUSED)
	})
}

// connectWaiting is a blocking connect(2) over a non-blocking socket, as
// Linux's unix_stream_connect waits: retry on EAGAIN after EventOut.
func connectWaiting(p *sys.Process, fd int, sa abi.Sockaddr) error {
	s, err := p.SocketOf(fd)
	if err != nil {
		return err
	}
	e := waitq.NewEntry(waitq.EventOut | waitq.EventErr | waitq.EventHUp)
	s.Sock().Wait.Add(e)
	defer s.Sock().Wait.Remove(e)
	for {
		err := p.Connect(fd, sa)
		if !errors.Is(err, errno.EAGAIN) {
			return err
		}
		<-e.C()
	}
}

func TestAcceptBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer catch(t)
		w := newWorld(t)
		srv := w.proc(sys.Options{PID: 10})
		cli := w.proc(sys.Options{PID: 20})
		l := must(srv.Socket(abi.AF_UNIX, abi.SOCK_SEQPACKET, 0))
		ok(t, srv.Bind(l, &abi.SockaddrUnix{Name: "@srv"}))
		ok(t, srv.Listen(l, 5))
		type res struct {
			fd  int
			err error
		}
		acc := make(chan res, 1)
		go func() {
			fd, _, err := srv.Accept(l)
			acc <- res{fd, err}
		}()
		synctest.Wait()
		select {
		case r := <-acc:
			t.Fatalf("accept returned %+v with nothing pending", r)
		default:
		}
		c := must(cli.Socket(abi.AF_UNIX, abi.SOCK_SEQPACKET, 0))
		ok(t, cli.Connect(c, &abi.SockaddrUnix{Name: "@srv"}))
		r := <-acc
		ok(t, r.err)
		must(cli.Write(c, []byte("record")))
		b := make([]byte, 3)
		n, _, fl, _, err := srv.Recvmsg(r.fd, b, nil, 0)
		ok(t, err)
		if string(b[:n]) != "rec" || fl&abi.MSG_TRUNC == 0 {
			t.Errorf("read %q flags %#x", b[:n], fl)
		}
		// A blocked accept ends with EINVAL when the listener is shut.
		go func() {
			fd, _, err := srv.Accept(l)
			acc <- res{fd, err}
		}()
		synctest.Wait()
		ok(t, srv.Shutdown(l, abi.SHUT_RD))
		wantErr(t, "accept on a shut listener", (<-acc).err, errno.EINVAL)
	})
}

// TestPassSocket passes one end of a socketpair from one process to
// another over a connected socket; the receiver uses it, and the
// sender's close of its own descriptor does not end the connection.
func TestPassSocket(t *testing.T) {
	defer catch(t)
	w := newWorld(t)
	a := w.proc(sys.Options{PID: 100})
	b := w.proc(sys.Options{PID: 200})
	l := must(b.Socket(abi.AF_UNIX, abi.SOCK_STREAM, 0))
	ok(t, b.Bind(l, &abi.SockaddrUnix{Name: "@b"}))
	ok(t, b.Listen(l, 1))
	ca := must(a.Socket(abi.AF_UNIX, abi.SOCK_STREAM, 0))
	ok(t, a.Connect(ca, &abi.SockaddrUnix{Name: "@b"}))
	cb, _ := must2(t)(b.Accept(l))

	xy := must(a.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM, 0))
	must(a.Sendmsg(ca, []byte("take this"), sys.UnixRights(xy[0]), nil, 0))
	ok(t, a.Close(xy[0]))

	buf := make([]byte, 64)
	oob := make([]byte, sys.CmsgSpace(4))
	n, oobn, fl, _, err := b.Recvmsg(cb, buf, oob, abi.MSG_CMSG_CLOEXEC)
	ok(t, err)
	if string(buf[:n]) != "take this" || fl != abi.MSG_CMSG_CLOEXEC {
		t.Fatalf("read %q flags %#x", buf[:n], fl)
	}
	msgs := must(sys.ParseSocketControlMessage(oob[:oobn]))
	if len(msgs) != 1 {
		t.Fatalf("%d control messages", len(msgs))
	}
	got := must(sys.ParseUnixRights(&msgs[0]))
	if len(got) != 1 {
		t.Fatalf("%d descriptors", len(got))
	}
	x := got[0]
	if fdfl := must(b.Fcntl(x, abi.F_GETFD, 0)); fdfl != abi.FD_CLOEXEC {
		t.Errorf("F_GETFD %#x, want FD_CLOEXEC", fdfl)
	}
	must(b.Write(x, []byte("via x")))
	n = must(a.Read(xy[1], buf))
	if string(buf[:n]) != "via x" {
		t.Errorf("read %q through the passed socket", buf[:n])
	}
	// The passed socket's SO_PEERCRED is still its creator's view.
	if v := must(b.GetsockoptInt(x, abi.SOL_SOCKET, abi.SO_TYPE)); v != abi.SOCK_STREAM {
		t.Errorf("SO_TYPE %d", v)
	}
	ok(t, b.Close(x))
	if n := must(a.Read(xy[1], buf)); n != 0 {
		t.Errorf("read %d after the last descriptor closed, want EOF", n)
	}
}

func must2(t testing.TB) func(int, abi.Sockaddr, error) (int, abi.Sockaddr) {
	return func(fd int, sa abi.Sockaddr, err error) (int, abi.Sockaddr) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return fd, sa
	}
}

// TestRightsLifetimes checks that a file in flight is closed when the
// message is dropped: cut by MSG_CTRUNC, purged with the receiving
// socket, or never accepted by a full descriptor table.
func TestRightsLifetimes(t *testing.T) {
	defer catch(t)
	w := newWorld(t)
	p := w.proc(sys.Options{PID: 1, NoFile: 16})
	// hup reports whether the peer of a passed end has been closed.
	pair := func() (keep, pass int) {
		fds := must(p.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM|abi.SOCK_NONBLOCK, 0))
		return fds[0], fds[1]
	}
	hup := func(fd int) bool { return sockOf(t, p, fd).Poll()&waitq.EventHUp != 0 }
	ch := must(p.Socketpair(abi.AF_UNIX, abi.SOCK_DGRAM|abi.SOCK_NONBLOCK, 0))

	// MSG_CTRUNC: room for one descriptor of two.
	k1, p1 := pair()
	k2, p2 := pair()
	must(p.Sendmsg(ch[0], []byte("x"), sys.UnixRights(p1, p2), nil, 0))
	ok(t, p.Close(p1))
	ok(t, p.Close(p2))
	oob := make([]byte, sys.CmsgLen(4))
	_, oobn, fl, _, err := p.Recvmsg(ch[1], make([]byte, 4), oob, 0)
	ok(t, err)
	if fl&abi.MSG_CTRUNC == 0 || oobn != sys.CmsgLen(4) {
		t.Errorf("flags %#x oobn %d", fl, oobn)
	}
	if hup(k1) {
		t.Error("the descriptor that fit was closed")
	}
	if !hup(k2) {
		t.Error("the descriptor cut by MSG_CTRUNC is still open")
	}
	msgs := must(sys.ParseSocketControlMessage(oob[:oobn]))
	fd := must(sys.ParseUnixRights(&msgs[0]))[0]
	ok(t, p.Close(fd))
	if !hup(k1) {
		t.Error("closing the received descriptor did not close the file")
	}

	// Purged with the receiver, unread.
	k3, p3 := pair()
	dg := must(p.Socketpair(abi.AF_UNIX, abi.SOCK_DGRAM, 0))
	must(p.Sendmsg(dg[0], []byte("x"), sys.UnixRights(p3), nil, 0))
	ok(t, p.Close(p3))
	if hup(k3) {
		t.Fatal("file closed while in flight")
	}
	ok(t, p.Close(dg[1]))
	if !hup(k3) {
		t.Error("file still open after its message was purged")
	}

	// Received with read(2), which has no control buffer.
	k4, p4 := pair()
	must(p.Sendmsg(ch[0], []byte("x"), sys.UnixRights(p4), nil, 0))
	ok(t, p.Close(p4))
	must(p.Read(ch[1], make([]byte, 4)))
	if !hup(k4) {
		t.Error("file still open after read(2) dropped it")
	}

	// Peeked copies are separate references.
	k5, p5 := pair()
	must(p.Sendmsg(ch[0], []byte("x"), sys.UnixRights(p5), nil, 0))
	ok(t, p.Close(p5))
	oob = make([]byte, 64)
	_, oobn, _, _, err = p.Recvmsg(ch[1], make([]byte, 4), oob, abi.MSG_PEEK)
	ok(t, err)
	peeked := must(sys.ParseUnixRights(&must(sys.ParseSocketControlMessage(oob[:oobn]))[0]))[0]
	_, oobn, _, _, err = p.Recvmsg(ch[1], make([]byte, 4), oob, 0)
	ok(t, err)
	read := must(sys.ParseUnixRights(&must(sys.ParseSocketControlMessage(oob[:oobn]))[0]))[0]
	ok(t, p.Close(peeked))
	if hup(k5) {
		t.Error("closing the peeked copy closed the file")
	}
	ok(t, p.Close(read))
	if !hup(k5) {
		t.Error("file open after both copies closed")
	}

	// A full descriptor table: the files that get no descriptor are
	// closed and the message is cut.
	k6, p6 := pair()
	k7, p7 := pair()
	must(p.Sendmsg(ch[0], []byte("x"), sys.UnixRights(p6, p7), nil, 0))
	ok(t, p.Close(p6))
	ok(t, p.Close(p7))
	var filler []int
	for {
		fd, err := p.Socket(abi.AF_UNIX, abi.SOCK_DGRAM, 0)
		if err != nil {
			wantErr(t, "filling the table", err, errno.EMFILE)
			break
		}
		filler = append(filler, fd)
	}
	ok(t, p.Close(filler[len(filler)-1]))
	_, oobn, fl, _, err = p.Recvmsg(ch[1], make([]byte, 4), oob, 0)
	ok(t, err)
	if fl&abi.MSG_CTRUNC == 0 || oobn != sys.CmsgSpace(4) {
		t.Errorf("EMFILE: flags %#x oobn %d", fl, oobn)
	}
	if hup(k6) || !hup(k7) {
		t.Errorf("EMFILE: first closed %v, second closed %v", hup(k6), hup(k7))
	}
}

func TestPeerCred(t *testing.T) {
	defer catch(t)
	w := newWorld(t)
	srv := w.proc(sys.Options{PID: 10, UID: 1000, GID: 1001})
	cli := w.proc(sys.Options{PID: 20, UID: 2000, GID: 2001})
	peercred := func(p *sys.Process, fd int) [3]int32 {
		t.Helper()
		b := make([]byte, 12)
		n := must(p.Getsockopt(fd, abi.SOL_SOCKET, abi.SO_PEERCRED, b))
		if n != 12 {
			t.Fatalf("SO_PEERCRED length %d", n)
		}
		return [3]int32{int32(binary.LittleEndian.Uint32(b)), int32(binary.LittleEndian.Uint32(b[4:])), int32(binary.LittleEndian.Uint32(b[8:]))}
	}
	l := must(srv.Socket(abi.AF_UNIX, abi.SOCK_STREAM, 0))
	if got := peercred(srv, l); got != [3]int32{0, -1, -1} {
		t.Errorf("unconnected: %v", got)
	}
	ok(t, srv.Bind(l, &abi.SockaddrUnix{Name: "@srv"}))
	ok(t, srv.Listen(l, 5))
	if got := peercred(srv, l); got != [3]int32{10, 1000, 1001} {
		t.Errorf("listener: %v", got)
	}
	c := must(cli.Socket(abi.AF_UNIX, abi.SOCK_STREAM, 0))
	ok(t, cli.Connect(c, &abi.SockaddrUnix{Name: "@srv"}))
	if got := peercred(cli, c); got != [3]int32{10, 1000, 1001} {
		t.Errorf("client: %v", got)
	}
	a, _ := must2(t)(srv.Accept(l))
	if got := peercred(srv, a); got != [3]int32{20, 2000, 2001} {
		t.Errorf("accepted: %v", got)
	}
	fds := must(cli.Socketpair(abi.AF_UNIX, abi.SOCK_DGRAM, 0))
	if got := peercred(cli, fds[1]); got != [3]int32{20, 2000, 2001} {
		t.Errorf("socketpair: %v", got)
	}
}

func TestPassCred(t *testing.T) {
	defer catch(t)
	w := newWorld(t)
	root := w.proc(sys.Options{PID: 10})
	user := w.proc(sys.Options{PID: 20, UID: 1000, GID: 100})
	r := must(root.Socket(abi.AF_UNIX, abi.SOCK_DGRAM, 0))
	ok(t, root.Bind(r, &abi.SockaddrUnix{Name: "@r"}))
	ok(t, root.SetsockoptInt(r, abi.SOL_SOCKET, abi.SO_PASSCRED, 1))
	s := must(user.Socket(abi.AF_UNIX, abi.SOCK_DGRAM, 0))
	to := &abi.SockaddrUnix{Name: "@r"}
	creds := func(c sys.Ucred) []byte { return sys.UnixCredentials(&c) }
	wantErr(t, "another uid", sendWith(user, s, creds(sys.Ucred{Pid: 20, Uid: 0, Gid: 100}), to), errno.EPERM)
	wantErr(t, "another pid", sendWith(user, s, creds(sys.Ucred{Pid: 10, Uid: 1000, Gid: 100}), to), errno.EPERM)
	wantErr(t, "another gid", sendWith(user, s, creds(sys.Ucred{Pid: 20, Uid: 1000, Gid: 0}), to), errno.EPERM)
	ok(t, sendWith(user, s, creds(sys.Ucred{Pid: 20, Uid: 1000, Gid: 100}), to))
	ok(t, sendWith(user, s, nil, to))
	for i := 0; i < 2; i++ {
		oob := make([]byte, 64)
		_, oobn, _, from, err := root.Recvmsg(r, make([]byte, 8), oob, 0)
		ok(t, err)
		msgs := must(sys.ParseSocketControlMessage(oob[:oobn]))
		uc := must(sys.ParseUnixCredentials(&msgs[0]))
		if *uc != (sys.Ucred{Pid: 20, Uid: 1000, Gid: 100}) {
			t.Errorf("message %d: credentials %+v", i, *uc)
		}
		if from != nil {
			t.Errorf("message %d: from %v, sender unbound", i, from)
		}
	}
}

func TestPathNames(t *testing.T) {
	defer catch(t)
	w := newWorld(t)
	p := w.proc(sys.Options{PID: 1})
	l := must(p.Socket(abi.AF_UNIX, abi.SOCK_STREAM, 0))
	ok(t, p.Bind(l, &abi.SockaddrUnix{Name: "/run/app.sock"}))
	var buf [128]byte
	n := must(p.GetnameRaw(l, false, buf[:]))
	if want := pathAddr("/run/app.sock"); !bytes.Equal(buf[:n], want) {
		t.Errorf("getsockname % x, want % x", buf[:n], want)
	}
	// Without the NUL, or with bytes after one, it is the same name.
	l2 := must(p.Socket(abi.AF_UNIX, abi.SOCK_STREAM, 0))
	wantErr(t, "bind the same path", p.BindRaw(l2, pathAddr("/run/app.sock")[:15]), errno.EADDRINUSE)
	wantErr(t, "bind it with trailing bytes", p.BindRaw(l2, append(pathAddr("/run/app.sock"), "junk"...)), errno.EADDRINUSE)
	wantErr(t, "bind a new path when bound", p.Bind(l, &abi.SockaddrUnix{Name: "/run/other"}), errno.EINVAL)
	wantErr(t, "bind a taken path when bound", p.Bind(l, &abi.SockaddrUnix{Name: "/run/app.sock"}), errno.EADDRINUSE)
	if got := unix.Paths(w.ns); len(got) != 1 || got[0] != "/run/app.sock" {
		t.Errorf("paths %q", got)
	}

	c := must(p.Socket(abi.AF_UNIX, abi.SOCK_STREAM|abi.SOCK_NONBLOCK, 0))
	wantErr(t, "connect to a bound, not listening path", p.Connect(c, &abi.SockaddrUnix{Name: "/run/app.sock"}), errno.ECONNREFUSED)
	wantErr(t, "connect to a missing path", p.Connect(c, &abi.SockaddrUnix{Name: "/run/missing"}), errno.ENOENT)
	d := must(p.Socket(abi.AF_UNIX, abi.SOCK_DGRAM, 0))
	wantErr(t, "dgram connect to a stream path", p.Connect(d, &abi.SockaddrUnix{Name: "/run/app.sock"}), errno.EPROTOTYPE)
	wantErr(t, "dgram sendto a stream path", p.Sendto(d, []byte("x"), 0, &abi.SockaddrUnix{Name: "/run/app.sock"}), errno.EPROTOTYPE)
	ok(t, p.Listen(l, 5))
	ok(t, p.Connect(c, &abi.SockaddrUnix{Name: "/run/app.sock"}))
	a, from := must2(t)(p.Accept(l))
	if su, _ := from.(*abi.SockaddrUnix); su == nil || su.Name != "" {
		t.Errorf("accept: peer %#v", from)
	}
	if sa := must(p.Getpeername(c)); sa.(*abi.SockaddrUnix).Name != "/run/app.sock" {
		t.Errorf("getpeername %#v", sa)
	}
	if sa := must(p.Getsockname(a)); sa.(*abi.SockaddrUnix).Name != "/run/app.sock" {
		t.Errorf("accepted getsockname %#v", sa)
	}

	// The file outlives its socket until it is unlinked.
	ok(t, p.Close(l))
	c2 := must(p.Socket(abi.AF_UNIX, abi.SOCK_STREAM, 0))
	wantErr(t, "connect after close", p.Connect(c2, &abi.SockaddrUnix{Name: "/run/app.sock"}), errno.ECONNREFUSED)
	wantErr(t, "bind after close", p.Bind(l2, &abi.SockaddrUnix{Name: "/run/app.sock"}), errno.EADDRINUSE)
	ok(t, unix.Unlink(w.ns, "/run/app.sock"))
	wantErr(t, "unlink again", unix.Unlink(w.ns, "/run/app.sock"), errno.ENOENT)
	wantErr(t, "connect after unlink", p.Connect(c2, &abi.SockaddrUnix{Name: "/run/app.sock"}), errno.ENOENT)
	ok(t, p.Bind(l2, &abi.SockaddrUnix{Name: "/run/app.sock"}))
	ok(t, p.Listen(l2, 5))
	ok(t, p.Connect(c2, &abi.SockaddrUnix{Name: "/run/app.sock"}))
	// Unlinking the path of a listening socket: it keeps its name, but
	// cannot be reached.
	ok(t, unix.Unlink(w.ns, "/run/app.sock"))
	if sa := must(p.Getsockname(l2)); sa.(*abi.SockaddrUnix).Name != "/run/app.sock" {
		t.Errorf("getsockname after unlink %#v", sa)
	}
	c3 := must(p.Socket(abi.AF_UNIX, abi.SOCK_STREAM, 0))
	wantErr(t, "connect after unlinking a listener", p.Connect(c3, &abi.SockaddrUnix{Name: "/run/app.sock"}), errno.ENOENT)

	// Names belong to their namespace.
	other := newWorld(t)
	q := other.proc(sys.Options{PID: 2})
	s := must(p.Socket(abi.AF_UNIX, abi.SOCK_DGRAM, 0))
	ok(t, p.Bind(s, &abi.SockaddrUnix{Name: "@shared"}))
	ok(t, p.Bind(must(p.Socket(abi.AF_UNIX, abi.SOCK_DGRAM, 0)), &abi.SockaddrUnix{Name: "/shared"}))
	qs := must(q.Socket(abi.AF_UNIX, abi.SOCK_DGRAM, 0))
	wantErr(t, "sendto another namespace's name", q.Sendto(qs, []byte("x"), 0, &abi.SockaddrUnix{Name: "@shared"}), errno.ECONNREFUSED)
	ok(t, q.Bind(qs, &abi.SockaddrUnix{Name: "@shared"}))
	ok(t, q.Bind(must(q.Socket(abi.AF_UNIX, abi.SOCK_DGRAM, 0)), &abi.SockaddrUnix{Name: "/shared"}))
	paths := unix.Paths(other.ns)
	sort.Strings(paths)
	if len(paths) != 1 || paths[0] != "/shared" {
		t.Errorf("other namespace's paths %q", paths)
	}
}

func TestSocketpairErrors(t *testing.T) {
	defer catch(t)
	w := newWorld(t)
	p := w.proc(sys.Options{PID: 1, NoFile: 4})
	_, err := p.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM|0x10000, 0)
	wantErr(t, "bad flags", err, errno.EINVAL)
	_, err = p.Socketpair(abi.AF_UNIX, abi.SOCK_RDM, 0)
	wantErr(t, "SOCK_RDM", err, errno.ESOCKTNOSUPPORT)
	_, err = p.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM, 7)
	wantErr(t, "protocol 7", err, errno.EPROTONOSUPPORT)
	_, err = p.Socketpair(abi.AF_INET, abi.SOCK_STREAM, 0)
	wantErr(t, "AF_INET not registered", err, errno.EAFNOSUPPORT)
	fds := must(p.Socketpair(abi.AF_UNIX, abi.SOCK_SEQPACKET|abi.SOCK_CLOEXEC|abi.SOCK_NONBLOCK, 0))
	for _, fd := range fds {
		if v := must(p.Fcntl(fd, abi.F_GETFD, 0)); v != abi.FD_CLOEXEC {
			t.Errorf("F_GETFD %#x", v)
		}
		if v := must(p.Fcntl(fd, abi.F_GETFL, 0)); v&abi.O_NONBLOCK == 0 {
			t.Errorf("F_GETFL %#x", v)
		}
	}
	must(p.Socket(abi.AF_UNIX, abi.SOCK_DGRAM, 0))
	_, err = p.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM, 0)
	wantErr(t, "one descriptor free", err, errno.EMFILE)
	_, err = p.Socketpair(abi.AF_INET, abi.SOCK_STREAM, 0)
	wantErr(t, "EMFILE before the family", err, errno.EMFILE)
}

func TestAutobindNames(t *testing.T) {
	defer catch(t)
	w := newWorld(t)
	p := w.proc(sys.Options{PID: 1})
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		fd := must(p.Socket(abi.AF_UNIX, abi.SOCK_DGRAM, 0))
		ok(t, p.BindRaw(fd, familyOnly(abi.AF_UNIX)))
		var b [128]byte
		n := must(p.GetnameRaw(fd, false, b[:]))
		name := b[2:n]
		if n != 8 || name[0] != 0 || string(bytes.Trim(name[1:], "0123456789abcdef")) != "" {
			t.Fatalf("autobind name % x", b[:n])
		}
		if seen[string(name)] {
			t.Fatalf("autobind name %q twice", name)
		}
		seen[string(name)] = true
	}
}

// TestShutdownWakesPoller checks the wakeups behind the readiness
// bits: a peer's shutdown and close reach a callback on the socket's
// queue (as epoll's) with EventRdHUp and EventHUp.
func TestShutdownWakesPoller(t *testing.T) {
	defer catch(t)
	w := newWorld(t)
	p := w.proc(sys.Options{PID: 1})
	fds := must(p.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM, 0))
	s := sockOf(t, p, fds[1])
	var calls []waitq.Events
	e := waitq.NewCallback(waitq.EventAll, func(ev waitq.Events) { calls = append(calls, s.Poll()) })
	s.Sock().Wait.Add(e)
	defer s.Sock().Wait.Remove(e)
	ok(t, p.Shutdown(fds[0], abi.SHUT_WR))
	if len(calls) == 0 || calls[len(calls)-1]&waitq.EventRdHUp == 0 {
		t.Errorf("after the peer's SHUT_WR: %v", calls)
	}
	ok(t, p.Close(fds[0]))
	if last := calls[len(calls)-1]; last&(waitq.EventHUp|waitq.EventRdHUp|waitq.EventIn) != waitq.EventHUp|waitq.EventRdHUp|waitq.EventIn {
		t.Errorf("after the peer's close: %#x", last)
	}
	if _, err := p.Read(fds[1], make([]byte, 1)); err != nil && !errors.Is(err, io.EOF) {
		t.Errorf("read: %v", err)
	}
}

func sendWith(p *sys.Process, fd int, oob []byte, to abi.Sockaddr) error {
	_, err := p.Sendmsg(fd, []byte("m"), oob, to, 0)
	return err
}
