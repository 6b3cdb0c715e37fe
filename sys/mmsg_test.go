package sys

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/socket"
)

func recvMsgs(n int) []Mmsghdr {
	msgs := make([]Mmsghdr, n)
	for i := range msgs {
		msgs[i].Msg = socket.Msg{Iov: [][]byte{make([]byte, 64)}}
	}
	return msgs
}

func TestSendmmsg(t *testing.T) {
	p, _ := newNetProcess(t)
	a, b := udpPair(t, p)
	msgs := []Mmsghdr{
		{Msg: socket.Msg{Iov: [][]byte{[]byte("one")}}},
		{Msg: socket.Msg{Iov: [][]byte{[]byte("tw"), []byte("o")}}},
		{Msg: socket.Msg{Iov: [][]byte{[]byte("three")}}},
	}
	n, err := p.Sendmmsg(a, msgs, abi.MSG_DONTWAIT)
	if n != 3 || err != nil {
		t.Fatalf("Sendmmsg: %d, %v", n, err)
	}
	for i, want := range []int{3, 3, 5} {
		if msgs[i].Len != want {
			t.Errorf("msgs[%d].Len = %d, want %d", i, msgs[i].Len, want)
		}
	}
	flags := fakeSockOf(t, p, a).sendFlags
	for i, want := range []int{abi.MSG_DONTWAIT | abi.MSG_BATCH, abi.MSG_DONTWAIT | abi.MSG_BATCH, abi.MSG_DONTWAIT} {
		if flags[i] != want {
			t.Errorf("send %d flags %#x, want %#x (MSG_BATCH on all but the last)", i, flags[i], want)
		}
	}
	many := make([]Mmsghdr, 1100)
	for i := range many {
		many[i].Msg.Iov = [][]byte{{byte(i)}}
	}
	if n, err := p.Sendmmsg(a, many, 0); n != UIO_MAXIOV || err != nil {
		t.Errorf("Sendmmsg of 1100: %d, %v; want %d", n, err, UIO_MAXIOV)
	}
	if n, err := p.Sendmmsg(a, nil, 0); n != 0 || err != nil {
		t.Errorf("Sendmmsg of none: %d, %v", n, err)
	}
	_, err = p.Sendmmsg(a, msgs, msgCmsgCompat)
	wantErr(t, "Sendmmsg with MSG_CMSG_COMPAT", err, errno.EINVAL)
	_, err = p.Sendmmsg(99, msgs, 0)
	wantErr(t, "Sendmmsg on a bad fd", err, errno.EBADF)
	// An error after some messages: their count; at the first, the error.
	bad := []Mmsghdr{msgs[0], {Msg: socket.Msg{Name: []byte{1}, Iov: [][]byte{{1}}}}}
	if n, err := p.Sendmmsg(a, bad, 0); n != 1 || err != nil {
		t.Errorf("Sendmmsg failing at the second: %d, %v; want 1, nil", n, err)
	}
	_, err = p.Sendmmsg(a, bad[1:], 0)
	wantErr(t, "Sendmmsg failing at the first", err, errno.EINVAL)
	_ = b
}

func TestRecvmmsg(t *testing.T) {
	p, _ := newNetProcess(t)
	a, b := udpPair(t, p)
	for _, s := range []string{"a", "bb", "ccc"} {
		p.Send(a, []byte(s), 0)
	}
	msgs := recvMsgs(8)
	n, err := p.Recvmmsg(b, msgs, abi.MSG_WAITFORONE, nil)
	if n != 3 || err != nil {
		t.Fatalf("Recvmmsg: %d, %v", n, err)
	}
	for i, want := range []int{1, 2, 3} {
		if msgs[i].Len != want {
			t.Errorf("msgs[%d].Len = %d", i, msgs[i].Len)
		}
	}
	_, err = p.Recvmmsg(b, msgs, abi.MSG_DONTWAIT, nil)
	wantErr(t, "Recvmmsg of an empty queue", err, errno.EAGAIN)
	neg := -time.Second
	_, err = p.Recvmmsg(99, msgs, 0, &neg)
	wantErr(t, "negative timeout before the descriptor", err, errno.EINVAL)
	_, err = p.Recvmmsg(b, msgs, msgCmsgCompat, nil)
	wantErr(t, "MSG_CMSG_COMPAT", err, errno.EINVAL)

	// A pending error is returned (and cleared) first.
	s, _ := p.SocketOf(b)
	s.Sock().SetError(errno.ECONNREFUSED)
	p.Send(a, []byte("x"), 0)
	_, err = p.Recvmmsg(b, msgs, abi.MSG_DONTWAIT, nil)
	wantErr(t, "pending error", err, errno.ECONNREFUSED)
	if n, err := p.Recvmmsg(b, msgs, abi.MSG_DONTWAIT, nil); n != 1 || err != nil {
		t.Fatalf("after the pending error: %d, %v", n, err)
	}
	// An error after some messages is left pending for the next call;
	// EAGAIN is not.
	fs := fakeSockOf(t, p, b)
	fs.recvErr = errno.EHOSTUNREACH
	p.Send(a, []byte("x"), 0)
	if n, err := p.Recvmmsg(b, msgs, abi.MSG_DONTWAIT, nil); n != 1 || err != nil {
		t.Fatalf("error after one: %d, %v; want 1, nil", n, err)
	}
	if e := s.Sock().PendingError(); e != errno.EHOSTUNREACH {
		t.Fatalf("pending error %v, want EHOSTUNREACH", e)
	}
	s.Sock().TakeError()
	fs.recvErr = 0
	// MSG_PEEK, short buffers: MSG_TRUNC in the message's flags.
	p.Send(a, []byte("long datagram"), 0)
	short := []Mmsghdr{{Msg: socket.Msg{Iov: [][]byte{make([]byte, 4)}}}}
	if n, _ := p.Recvmmsg(b, short, abi.MSG_DONTWAIT, nil); n != 1 || short[0].Len != 4 || short[0].Msg.Flags&abi.MSG_TRUNC == 0 {
		t.Fatalf("truncated: %d, %+v", n, short[0])
	}
}

func TestRecvmmsgBlocking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, _ := newNetProcess(t)
		a, b := udpPair(t, p)
		type res struct {
			n   int
			err error
		}
		resc := make(chan res)
		go func() {
			n, err := p.Recvmmsg(b, recvMsgs(4), 0, nil)
			resc <- res{n, err}
		}()
		synctest.Wait()
		p.Interrupt()
		if r := <-resc; r.n != 0 || r.err != errno.EINTR {
			t.Fatalf("interrupted before any message: %d, %v", r.n, r.err)
		}
		// Without MSG_WAITFORONE the call waits for each message; an
		// interruption after one returns that one.
		go func() {
			n, err := p.Recvmmsg(b, recvMsgs(4), 0, nil)
			resc <- res{n, err}
		}()
		synctest.Wait()
		p.Send(a, []byte("x"), 0)
		synctest.Wait()
		p.Interrupt()
		if r := <-resc; r.n != 1 || r.err != nil {
			t.Fatalf("interrupted after one: %d, %v", r.n, r.err)
		}
		// Linux keeps the interruption as the socket's error, as
		// ERESTARTSYS, which the next call returns as errno 512.
		_, err := p.Recvmmsg(b, recvMsgs(4), abi.MSG_DONTWAIT, nil)
		wantErr(t, "the call after an interrupted one", err, erestartsys)
		// A timeout does not bound the wait for the first message.
		go func() {
			time.Sleep(10 * time.Second)
			p.Send(a, []byte("late"), 0)
		}()
		d := time.Second
		start := time.Now()
		var n int
		n, err = p.Recvmmsg(b, recvMsgs(4), 0, &d)
		if n != 1 || err != nil || d != 0 || time.Since(start) != 10*time.Second {
			t.Fatalf("recvmmsg with a 1 s timeout: %d, %v, left %v, after %v", n, err, d, time.Since(start))
		}
	})
}
