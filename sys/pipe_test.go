package sys

import (
	"bytes"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/socket"
)

func mustPipe(t testing.TB, p *Process, flags int) (int, int) {
	t.Helper()
	fds, err := p.Pipe2(flags)
	if err != nil {
		t.Fatalf("Pipe2(%#x): %v", flags, err)
	}
	return fds[0], fds[1]
}

func TestPipe2Flags(t *testing.T) {
	for _, c := range []struct {
		flags          int
		want           errno.Errno
		rflags, wflags int
	}{
		{0, 0, 0, 1},
		{abi.O_NONBLOCK, 0, abi.O_NONBLOCK, 1 | abi.O_NONBLOCK},
		{abi.O_CLOEXEC, 0, 0, 1},
		{oDIRECT, 0, 0, 1 | oDIRECT},
		{abi.O_NONBLOCK | oDIRECT | abi.O_CLOEXEC, 0, abi.O_NONBLOCK, 1 | abi.O_NONBLOCK | oDIRECT},
		{1, errno.EINVAL, 0, 0},
		{abi.O_NONBLOCK | 0x10000, errno.EINVAL, 0, 0},
		{oNotificationPipe, errno.ENOPKG, 0, 0},
	} {
		p := newProcess()
		fds, err := p.Pipe2(c.flags)
		wantErr(t, "Pipe2", err, c.want)
		if c.want != 0 {
			if len(p.Files()) != 0 {
				t.Errorf("Pipe2(%#x) failed but left descriptors %v", c.flags, p.Files())
			}
			continue
		}
		if fds != [2]int{0, 1} {
			t.Errorf("Pipe2(%#x) = %v, want [0 1]", c.flags, fds)
		}
		if fl, _ := p.Fcntl(fds[0], abi.F_GETFL, 0); fl != c.rflags {
			t.Errorf("Pipe2(%#x): read end F_GETFL %#x, want %#x", c.flags, fl, c.rflags)
		}
		if fl, _ := p.Fcntl(fds[1], abi.F_GETFL, 0); fl != c.wflags {
			t.Errorf("Pipe2(%#x): write end F_GETFL %#x, want %#x", c.flags, fl, c.wflags)
		}
		cl := 0
		if c.flags&abi.O_CLOEXEC != 0 {
			cl = abi.FD_CLOEXEC
		}
		for _, fd := range fds {
			if fd, _ := p.Fcntl(fd, abi.F_GETFD, 0); fd != cl {
				t.Errorf("Pipe2(%#x): F_GETFD %d, want %d", c.flags, fd, cl)
			}
		}
	}
}

func TestPipe2EMFILE(t *testing.T) {
	p := newProcess(Options{NoFile: 3})
	mustPipe(t, p, 0)
	if _, err := p.Pipe2(0); err != errno.EMFILE {
		t.Fatalf("Pipe2 with one free descriptor: %v, want EMFILE", err)
	}
	if got := p.Files(); len(got) != 2 {
		t.Fatalf("descriptors after EMFILE: %v", got)
	}
}

// TestPipeNotASocket checks that a pipe makes ENOTSOCK and ESPIPE real.
func TestPipeNotASocket(t *testing.T) {
	p := newProcess()
	r, w := mustPipe(t, p, 0)
	sa := &abi.SockaddrInet4{Port: 1}
	wantErr(t, "Bind", p.Bind(r, sa), errno.ENOTSOCK)
	wantErr(t, "Connect", p.Connect(r, sa), errno.ENOTSOCK)
	wantErr(t, "Listen", p.Listen(r, 1), errno.ENOTSOCK)
	_, _, err := p.Accept4(w, 0)
	wantErr(t, "Accept4", err, errno.ENOTSOCK)
	_, err = p.Getsockname(r)
	wantErr(t, "Getsockname", err, errno.ENOTSOCK)
	_, err = p.Getpeername(r)
	wantErr(t, "Getpeername", err, errno.ENOTSOCK)
	wantErr(t, "Shutdown", p.Shutdown(r, abi.SHUT_RD), errno.ENOTSOCK)
	wantErr(t, "Setsockopt", p.SetsockoptInt(r, abi.SOL_SOCKET, abi.SO_RCVBUF, 1), errno.ENOTSOCK)
	_, err = p.GetsockoptInt(r, abi.SOL_SOCKET, abi.SO_TYPE)
	wantErr(t, "Getsockopt", err, errno.ENOTSOCK)
	_, err = p.SendmsgRaw(w, &socket.Msg{Iov: [][]byte{{1}}}, 0)
	wantErr(t, "Sendmsg", err, errno.ENOTSOCK)
	_, err = p.RecvmsgRaw(r, &socket.Msg{Iov: [][]byte{make([]byte, 1)}}, 0)
	wantErr(t, "Recvmsg", err, errno.ENOTSOCK)
	_, err = p.Sendmmsg(w, []Mmsghdr{{}}, 0)
	wantErr(t, "Sendmmsg", err, errno.ENOTSOCK)
	_, err = p.Recvmmsg(r, []Mmsghdr{{}}, 0, nil)
	wantErr(t, "Recvmmsg", err, errno.ENOTSOCK)
	_, err = p.Seek(r, 0, 0)
	wantErr(t, "Seek", err, errno.ESPIPE)
}

func TestPipeWrongEnd(t *testing.T) {
	p := newProcess()
	r, w := mustPipe(t, p, abi.O_NONBLOCK)
	_, err := p.Read(w, make([]byte, 1))
	wantErr(t, "read of the write end", err, errno.EBADF)
	_, err = p.Write(r, []byte{1})
	wantErr(t, "write of the read end", err, errno.EBADF)
	n, err := p.Read(r, nil)
	if n != 0 || err != nil {
		t.Errorf("empty read of an empty pipe: %d, %v; want 0, nil", n, err)
	}
	_, err = p.Read(r, make([]byte, 1))
	wantErr(t, "non-blocking read of an empty pipe", err, errno.EAGAIN)
}

// TestPipeCapacity checks the page-slot model against figures measured
// on Linux 6.18 (TestKernelPipeOps compares sequences directly).
func TestPipeCapacity(t *testing.T) {
	p := newProcess()
	write := func(w, n int) (int, error) { return p.Write(w, make([]byte, n)) }

	_, w := mustPipe(t, p, abi.O_NONBLOCK)
	total := 0
	for {
		if _, err := write(w, 1); err != nil {
			wantErr(t, "write to a full pipe", err, errno.EAGAIN)
			break
		}
		total++
	}
	if total != 65536 {
		t.Errorf("1-byte writes until full: %d, want 65536", total)
	}

	_, w = mustPipe(t, p, abi.O_NONBLOCK)
	total = 0
	for {
		n, err := write(w, 4095)
		if err != nil {
			break
		}
		total += n
	}
	if total != 16*4095 {
		t.Errorf("4095-byte writes until full: %d, want %d", total, 16*4095)
	}
	if n, err := write(w, 1); n != 1 || err != nil {
		t.Errorf("1 more byte merges into the last page: %d, %v", n, err)
	}

	r, w := mustPipe(t, p, abi.O_NONBLOCK)
	if n, err := write(w, 100000); n != 65536 || err != nil {
		t.Errorf("100000-byte non-blocking write: %d, %v; want 65536", n, err)
	}
	p.Read(r, make([]byte, 10))
	if _, err := write(w, 10); err != errno.EAGAIN {
		t.Errorf("write after reading 10 bytes of a full pipe: %v, want EAGAIN (no slot freed)", err)
	}
	p.Read(r, make([]byte, 4086))
	if n, err := write(w, 5000); n != 4096 || err != nil {
		t.Errorf("5000-byte write with one free slot: %d, %v; want 4096", n, err)
	}
	if n, err := write(w, 0); n != 0 || err != nil {
		t.Errorf("empty write to a full pipe: %d, %v", n, err)
	}
	if n, err := p.IoctlGetInt(r, FIONREAD); n != 65536 || err != nil {
		t.Errorf("FIONREAD: %d, %v; want 65536", n, err)
	}
	if n, err := p.IoctlGetInt(w, FIONREAD); n != 65536 || err != nil {
		t.Errorf("FIONREAD on the write end: %d, %v; want 65536", n, err)
	}
}

// TestPipeAtomic checks PIPE_BUF atomicity: concurrent blocking writers
// of 4096-byte records never interleave within one.
func TestPipeAtomic(t *testing.T) {
	p := newProcess()
	r, w := mustPipe(t, p, 0)
	const writers, records = 4, 64
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := bytes.Repeat([]byte{byte('a' + i)}, PIPE_BUF)
			for range records {
				if n, err := p.Write(w, rec); n != PIPE_BUF || err != nil {
					t.Errorf("write: %d, %v", n, err)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); p.Close(w) }()
	var got []byte
	buf := make([]byte, 3000) // not a multiple of the record size
	for {
		n, err := p.Read(r, buf)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		got = append(got, buf[:n]...)
	}
	if len(got) != writers*records*PIPE_BUF {
		t.Fatalf("read %d bytes, want %d", len(got), writers*records*PIPE_BUF)
	}
	for off := 0; off < len(got); off += PIPE_BUF {
		rec := got[off : off+PIPE_BUF]
		if bytes.Count(rec, rec[:1]) != PIPE_BUF {
			t.Fatalf("record at %d is interleaved", off)
		}
	}
}

func TestPipeEOFAndEPIPE(t *testing.T) {
	var sigs atomic.Int32
	p := newProcess(Options{OnSignal: func(sig int) {
		if sig == SIGPIPE {
			sigs.Add(1)
		}
	}})
	r, w := mustPipe(t, p, 0)
	p.Write(w, []byte("last words"))
	p.Close(w)
	buf := make([]byte, 64)
	if n, err := p.Read(r, buf); string(buf[:n]) != "last words" || err != nil {
		t.Fatalf("read after the writer closed: %q, %v", buf[:n], err)
	}
	if n, err := p.Read(r, buf); n != 0 || err != nil {
		t.Fatalf("read at EOF: %d, %v; want 0, nil", n, err)
	}
	if ev := pollOne(p, r, POLLIN); ev != POLLHUP {
		t.Errorf("read end without writer polls %#x, want POLLHUP", ev)
	}

	r, w = mustPipe(t, p, 0)
	p.Close(r)
	if ev := pollOne(p, w, POLLOUT); ev != POLLOUT|POLLERR {
		t.Errorf("write end without reader polls %#x, want POLLOUT|POLLERR", ev)
	}
	if n, err := p.Write(w, nil); n != 0 || err != nil || sigs.Load() != 0 {
		t.Errorf("empty write without reader: %d, %v, %d signals; want 0, nil, none", n, err, sigs.Load())
	}
	_, err := p.Write(w, []byte("x"))
	wantErr(t, "write without reader", err, errno.EPIPE)
	if sigs.Load() != 1 {
		t.Errorf("SIGPIPE sent %d times, want 1", sigs.Load())
	}
}

func pollOne(p *Process, fd int, events int16) int16 {
	fds := []PollFd{{Fd: int32(fd), Events: events}}
	p.Poll(fds, 0)
	return fds[0].Revents
}

func TestPipePollBits(t *testing.T) {
	p := newProcess()
	r, w := mustPipe(t, p, abi.O_NONBLOCK)
	const all = -1
	if ev := pollOne(p, r, all); ev != 0 {
		t.Errorf("empty read end: %#x", ev)
	}
	if ev := pollOne(p, w, all); ev != POLLOUT|POLLWRNORM {
		t.Errorf("empty write end: %#x", ev)
	}
	p.Write(w, []byte("x"))
	if ev := pollOne(p, r, all); ev != POLLIN|POLLRDNORM {
		t.Errorf("readable read end: %#x", ev)
	}
	p.Write(w, make([]byte, 1<<20))
	if ev := pollOne(p, w, all); ev != 0 {
		t.Errorf("full write end: %#x", ev)
	}
	p.Close(r)
	if ev := pollOne(p, w, all); ev != POLLERR {
		t.Errorf("full write end without reader: %#x", ev)
	}
}

func TestPipePacketMode(t *testing.T) {
	p := newProcess()
	r, w := mustPipe(t, p, abi.O_NONBLOCK|oDIRECT)
	p.Write(w, []byte("abc"))
	p.Write(w, []byte("defg"))
	p.Write(w, []byte("hi"))
	buf := make([]byte, 100)
	if n, _ := p.Read(r, buf); string(buf[:n]) != "abc" {
		t.Errorf("first packet: %q", buf[:n])
	}
	if n, _ := p.Read(r, buf[:2]); string(buf[:n]) != "de" {
		t.Errorf("short read of a packet: %q", buf[:n])
	}
	if n, _ := p.Read(r, buf); string(buf[:n]) != "hi" {
		t.Errorf("packet after a cut one: %q (the rest of a packet is dropped)", buf[:n])
	}
	big := bytes.Repeat([]byte{7}, 5000)
	p.Write(w, big)
	if n, _ := p.Read(r, buf[:100]); n != 100 {
		t.Errorf("big write, first packet: %d", n)
	}
	if n, _ := p.Read(r, make([]byte, 5000)); n != 5000-4096 {
		t.Errorf("big write splits into page-sized packets: second is %d bytes, want %d", n, 5000-4096)
	}
}

func TestPipeBlocking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newProcess()
		r, w := mustPipe(t, p, 0)
		done := make(chan string)
		go func() {
			buf := make([]byte, 10)
			n, err := p.Read(r, buf)
			if err != nil {
				done <- err.Error()
				return
			}
			done <- string(buf[:n])
		}()
		time.Sleep(time.Second)
		synctest.Wait()
		select {
		case got := <-done:
			t.Fatalf("read of an empty pipe returned %q", got)
		default:
		}
		p.Write(w, []byte("wake"))
		if got := <-done; got != "wake" {
			t.Fatalf("blocked read got %q", got)
		}

		// A blocking write of more than fits waits for the reader.
		wrote := make(chan int)
		go func() {
			n, _ := p.Write(w, make([]byte, 100000))
			wrote <- n
		}()
		synctest.Wait()
		got := 0
		buf := make([]byte, 4096)
		for got < 100000 {
			n, err := p.Read(r, buf)
			if err != nil {
				t.Fatal(err)
			}
			got += n
		}
		if n := <-wrote; n != 100000 {
			t.Fatalf("blocking write: %d", n)
		}
	})
}

func TestPipeInterrupt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newProcess()
		r, w := mustPipe(t, p, 0)
		errc := make(chan error)
		go func() {
			_, err := p.Read(r, make([]byte, 1))
			errc <- err
		}()
		synctest.Wait()
		p.Interrupt()
		wantErr(t, "interrupted read", <-errc, errno.EINTR)

		// A write interrupted after writing part reports that part.
		type res struct {
			n   int
			err error
		}
		resc := make(chan res)
		go func() {
			n, err := p.Write(w, make([]byte, 100000))
			resc <- res{n, err}
		}()
		synctest.Wait()
		p.Interrupt()
		if got := <-resc; got.n != 65536 || got.err != nil {
			t.Fatalf("interrupted write: %d, %v; want 65536, nil", got.n, got.err)
		}
		// And one interrupted before writing anything gets EINTR.
		go func() {
			n, err := p.Write(w, []byte("x"))
			resc <- res{n, err}
		}()
		synctest.Wait()
		p.Interrupt()
		if got := <-resc; got.n != 0 || got.err != errno.EINTR {
			t.Fatalf("interrupted write to a full pipe: %d, %v; want 0, EINTR", got.n, got.err)
		}
	})
}

// TestPipeCloseWakesAllReaders: the last writer's close wakes every
// blocked reader (pipe_release's wake_up_interruptible_all).
func TestPipeCloseWakesAllReaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newProcess()
		r, w := mustPipe(t, p, 0)
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if n, err := p.Read(r, make([]byte, 1)); n != 0 || err != nil {
					t.Errorf("read at EOF: %d, %v", n, err)
				}
			}()
		}
		synctest.Wait()
		p.Close(w)
		wg.Wait()
	})
}
