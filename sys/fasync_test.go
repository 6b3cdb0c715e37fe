package sys_test

import (
	"sync/atomic"
	"testing"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/sys"
)

func TestSIGIO(t *testing.T) {
	ns := gosock.NewNamespace(netns.Options{Seed: 1})
	defer ns.Close()
	var sigio atomic.Int32
	p := sys.NewProcess(ns, sys.Options{PID: 42, OnSignal: func(sig int) {
		if sig == sys.SIGIO {
			sigio.Add(1)
		}
	}})
	fds, err := p.Pipe2(0)
	if err != nil {
		t.Fatal(err)
	}
	// O_ASYNC without an owner: no signal, as send_sigio with pid 0.
	if _, err := p.Fcntl(fds[0], abi.F_SETFL, abi.O_ASYNC); err != nil {
		t.Fatal(err)
	}
	p.Write(fds[1], []byte("x"))
	if n := sigio.Load(); n != 0 {
		t.Fatalf("%d SIGIO without an owner", n)
	}
	if _, err := p.Fcntl(fds[0], abi.F_SETOWN, 42); err != nil {
		t.Fatal(err)
	}
	p.Write(fds[1], []byte("y"))
	if n := sigio.Load(); n == 0 {
		t.Fatal("no SIGIO for data on an O_ASYNC pipe with an owner")
	}
	// Clearing O_ASYNC stops the signals.
	before := sigio.Load()
	p.Fcntl(fds[0], abi.F_SETFL, 0)
	p.Write(fds[1], []byte("z"))
	if sigio.Load() != before {
		t.Error("SIGIO after O_ASYNC was cleared")
	}
	// A UDP socket: a datagram arriving raises SIGIO.
	s, _ := p.Socket(abi.AF_INET, abi.SOCK_DGRAM, 0)
	if err := p.Bind(s, &abi.SockaddrInet4{Port: 5000, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	p.Fcntl(s, abi.F_SETOWN, 42)
	p.Fcntl(s, abi.F_SETFL, abi.O_ASYNC)
	before = sigio.Load()
	c, _ := p.Socket(abi.AF_INET, abi.SOCK_DGRAM, 0)
	if err := p.Sendto(c, []byte("ping"), 0, &abi.SockaddrInet4{Port: 5000, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if n, _, err := p.Recvfrom(s, buf, 0); err != nil || n != 4 {
		t.Fatalf("recv %d %v", n, err)
	}
	if sigio.Load() == before {
		t.Error("no SIGIO for a datagram on an O_ASYNC socket")
	}
	p.Exit()
}

func TestSIGURGOnOutOfBandData(t *testing.T) {
	ns := gosock.NewNamespace(netns.Options{Seed: 1})
	defer ns.Close()
	var sigurg atomic.Int32
	p := sys.NewProcess(ns, sys.Options{PID: 7, OnSignal: func(sig int) {
		if sig == sys.SIGURG {
			sigurg.Add(1)
		}
	}})
	defer p.Exit()
	fds, err := p.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Send(fds[0], []byte("!"), abi.MSG_OOB); err != nil {
		t.Fatal(err)
	}
	if sigurg.Load() != 0 {
		t.Fatal("SIGURG without an owner")
	}
	if _, err := p.Fcntl(fds[1], abi.F_SETOWN, 7); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Send(fds[0], []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	if sigurg.Load() != 0 {
		t.Fatal("SIGURG for ordinary data")
	}
	if _, err := p.Send(fds[0], []byte("!"), abi.MSG_OOB); err != nil {
		t.Fatal(err)
	}
	if sigurg.Load() != 1 {
		t.Errorf("%d SIGURG for out-of-band data, want 1", sigurg.Load())
	}
}
