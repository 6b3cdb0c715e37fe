package sys

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
)

// The fuzzed address space: one page at fuzzBase.
const (
	fuzzBase = 0x10000
	fuzzSize = 4096
)

// fuzzProcess makes a process with descriptors to aim at: 0 and 1 a
// connected pair of datagram sockets (1 has a datagram queued), 2 and 3
// a pipe holding data, 4 an epoll instance watching 2.
func fuzzProcess(t testing.TB) (*Process, func()) {
	ns := netns.New(netns.Options{Name: "fuzz", NoLoopback: true})
	ns.RegisterFamily(abi.AF_INET, newFakeFamily(abi.AF_INET))
	p := NewProcess(ns, Options{NoFile: 64})
	a, b := udpPair(t, p)
	p.Send(a, []byte("queued"), 0)
	r, w := mustPipe(t, p, 0)
	p.Write(w, []byte("in the pipe"))
	ep := mustEpoll(t, p)
	mustCtl(t, p, ep, abi.EPOLL_CTL_ADD, r, abi.EPOLLIN)
	_ = b
	return p, func() {
		p.Exit()
		ns.Close()
	}
}

// runBounded runs call, interrupting the process until it returns, so a
// call that would block ends with EINTR instead of hanging the fuzzer.
func runBounded(p *Process, call func() (int, error)) (int, error) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.Interrupt()
			}
		}
	}()
	defer close(done)
	return call()
}

func checkResult(t *testing.T, what string, r int, err error) {
	if err == nil {
		if r < 0 {
			t.Fatalf("%s: %d without an error", what, r)
		}
		return
	}
	if _, ok := err.(errno.Errno); !ok {
		t.Fatalf("%s: error %v (%T) is not an errno", what, err, err)
	}
	if r != -1 {
		t.Fatalf("%s: %d with error %v", what, r, err)
	}
}

func fuzzMemory(image []byte) *SliceMemory {
	m := NewSliceMemory(fuzzBase, fuzzSize)
	copy(m.Bytes(), image)
	return m
}

// FuzzSocketcall feeds socketcall random call numbers, argument
// addresses and memory: it must only ever return errno values.
func FuzzSocketcall(f *testing.F) {
	for _, s := range socketcallSeeds() {
		f.Add(s.call, s.args, s.mem)
	}
	f.Fuzz(func(t *testing.T, call int, args uint64, image []byte) {
		p, done := fuzzProcess(t)
		defer done()
		mem := fuzzMemory(image)
		r, err := runBounded(p, func() (int, error) { return p.Socketcall(mem, call, uintptr(args)) })
		checkResult(t, fmt.Sprintf("socketcall(%d, %#x)", call, args), r, err)
	})
}

// FuzzSyscall does the same for the system call entry point: the
// arguments are six little-endian words.
func FuzzSyscall(f *testing.F) {
	for _, s := range syscallSeeds() {
		f.Add(s.call, s.argBytes, s.mem)
	}
	f.Fuzz(func(t *testing.T, nr int, argBytes []byte, image []byte) {
		p, done := fuzzProcess(t)
		defer done()
		mem := fuzzMemory(image)
		var a [6]uintptr
		var b [48]byte
		copy(b[:], argBytes)
		for i := range a {
			a[i] = uintptr(binary.LittleEndian.Uint64(b[i*8:]))
		}
		r, err := runBounded(p, func() (int, error) { return p.Syscall(mem, nr, a[0], a[1], a[2], a[3], a[4], a[5]) })
		checkResult(t, fmt.Sprintf("syscall %d %x", nr, a), r, err)
	})
}

type fuzzSeed struct {
	call     int
	args     uint64
	argBytes []byte
	mem      []byte
}

// seedImage lays out plausible structures in the fuzzed page: the
// argument array at +0, a sockaddr_in for the peer socket at +64, a
// length (128) at +128, a 256-byte buffer at +256, a msghdr with one
// iovec at +512, an mmsghdr pair at +1024, a timespec at +1200, an int
// option value at +1300, a pollfd pair at +1400, an epoll_event at +1500.
func seedImage(args ...uint64) []byte {
	m := make([]byte, 1600)
	le := binary.LittleEndian
	for i, a := range args {
		le.PutUint64(m[i*8:], a)
	}
	le.PutUint16(m[64:], abi.AF_INET)
	binary.BigEndian.PutUint16(m[66:], 40001)
	copy(m[68:], []byte{127, 0, 0, 1})
	le.PutUint32(m[128:], 128)
	copy(m[256:], "payload")
	msg := func(at, iov int) {
		le.PutUint64(m[at:], fuzzBase+64)
		le.PutUint32(m[at+8:], 16)
		le.PutUint64(m[at+16:], uint64(fuzzBase+iov))
		le.PutUint64(m[at+24:], 1)
		le.PutUint64(m[iov:], fuzzBase+256)
		le.PutUint64(m[iov+8:], 7)
	}
	msg(512, 576)
	msg(1024, 1152)
	msg(1024+64, 1168)
	le.PutUint64(m[1200:], 1)
	le.PutUint32(m[1300:], 4096)
	le.PutUint32(m[1400:], 2)
	le.PutUint16(m[1404:], POLLIN)
	le.PutUint32(m[1408:], 3)
	le.PutUint16(m[1412:], POLLOUT)
	le.PutUint32(m[1500:], abi.EPOLLIN|abi.EPOLLET)
	return m
}

func socketcallSeeds() []fuzzSeed {
	const (
		sa     = fuzzBase + 64
		lenp   = fuzzBase + 128
		buf    = fuzzBase + 256
		msghdr = fuzzBase + 512
		mmsg   = fuzzBase + 1024
		ts     = fuzzBase + 1200
		optval = fuzzBase + 1300
	)
	calls := []struct {
		call int
		args []uint64
	}{
		{SYS_SOCKET, []uint64{abi.AF_INET, abi.SOCK_DGRAM | abi.SOCK_NONBLOCK, 0}},
		{SYS_BIND, []uint64{5, sa, 16}},
		{SYS_CONNECT, []uint64{0, sa, 16}},
		{SYS_LISTEN, []uint64{0, 5}},
		{SYS_ACCEPT, []uint64{0, buf, lenp}},
		{SYS_GETSOCKNAME, []uint64{0, buf, lenp}},
		{SYS_GETPEERNAME, []uint64{0, buf, lenp}},
		{SYS_SOCKETPAIR, []uint64{abi.AF_UNIX, abi.SOCK_STREAM, 0, buf}},
		{SYS_SEND, []uint64{0, buf, 7, 0}},
		{SYS_RECV, []uint64{1, buf, 256, abi.MSG_DONTWAIT}},
		{SYS_SENDTO, []uint64{0, buf, 7, 0, sa, 16}},
		{SYS_RECVFROM, []uint64{1, buf, 256, abi.MSG_DONTWAIT, buf + 128, lenp}},
		{SYS_SHUTDOWN, []uint64{0, abi.SHUT_RDWR}},
		{SYS_SETSOCKOPT, []uint64{0, abi.SOL_SOCKET, abi.SO_RCVBUF, optval, 4}},
		{SYS_GETSOCKOPT, []uint64{0, abi.SOL_SOCKET, abi.SO_RCVBUF, optval, lenp}},
		{SYS_SENDMSG, []uint64{0, msghdr, 0}},
		{SYS_RECVMSG, []uint64{1, msghdr, abi.MSG_DONTWAIT}},
		{SYS_ACCEPT4, []uint64{0, 0, 0, abi.SOCK_NONBLOCK}},
		{SYS_RECVMMSG, []uint64{1, mmsg, 2, abi.MSG_DONTWAIT, ts}},
		{SYS_SENDMMSG, []uint64{0, mmsg, 2, 0}},
		{0, nil},
		{21, nil},
	}
	var seeds []fuzzSeed
	for _, c := range calls {
		seeds = append(seeds, fuzzSeed{call: c.call, args: fuzzBase, mem: seedImage(c.args...)})
	}
	seeds = append(seeds, fuzzSeed{call: SYS_SOCKET, args: 8, mem: nil})
	return seeds
}

func syscallSeeds() []fuzzSeed {
	const (
		sa     = fuzzBase + 64
		lenp   = fuzzBase + 128
		buf    = fuzzBase + 256
		msghdr = fuzzBase + 512
		mmsg   = fuzzBase + 1024
		ts     = fuzzBase + 1200
		optval = fuzzBase + 1300
		pfds   = fuzzBase + 1400
		ev     = fuzzBase + 1500
	)
	calls := []struct {
		nr   int
		args []uint64
	}{
		{NR_read, []uint64{2, buf, 64}},
		{NR_write, []uint64{3, buf, 7}},
		{NR_close, []uint64{3}},
		{NR_poll, []uint64{pfds, 2, 0}},
		{NR_lseek, []uint64{4, 0, 0}},
		{NR_ioctl, []uint64{2, FIONREAD, buf}},
		{NR_ioctl, []uint64{0, abi.SIOCGIFINDEX, buf}},
		{NR_pipe, []uint64{buf}},
		{NR_pipe2, []uint64{buf, abi.O_NONBLOCK}},
		{NR_fcntl, []uint64{2, abi.F_GETFL, 0}},
		{NR_epoll_create1, []uint64{abi.EPOLL_CLOEXEC}},
		{NR_epoll_ctl, []uint64{4, abi.EPOLL_CTL_ADD, 0, ev}},
		{NR_epoll_wait, []uint64{4, buf, 4, 0}},
		{NR_socket, []uint64{abi.AF_INET, abi.SOCK_DGRAM, 0}},
		{NR_sendto, []uint64{0, buf, 7, 0, sa, 16}},
		{NR_recvfrom, []uint64{1, buf, 256, abi.MSG_DONTWAIT, buf + 128, lenp}},
		{NR_sendmsg, []uint64{0, msghdr, 0}},
		{NR_recvmsg, []uint64{1, msghdr, abi.MSG_DONTWAIT}},
		{NR_getsockopt, []uint64{0, abi.SOL_SOCKET, abi.SO_TYPE, optval, lenp}},
		{NR_recvmmsg, []uint64{1, mmsg, 2, abi.MSG_DONTWAIT, ts}},
		{NR_sendmmsg, []uint64{0, mmsg, 2, 0}},
		{NR_accept4, []uint64{0, buf, lenp, 0}},
		{12345, nil},
	}
	var seeds []fuzzSeed
	for _, c := range calls {
		var b [48]byte
		for i, a := range c.args {
			binary.LittleEndian.PutUint64(b[i*8:], a)
		}
		seeds = append(seeds, fuzzSeed{call: c.nr, argBytes: b[:], mem: seedImage()})
	}
	return seeds
}

// TestWriteFuzzSeeds regenerates testdata/fuzz from the seed builders
// when GOSOCK_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("GOSOCK_WRITE_SEEDS") != "1" {
		t.Skip("set GOSOCK_WRITE_SEEDS=1 to rewrite testdata/fuzz")
	}
	write := func(target string, i int, lines ...string) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		body := "go test fuzz v1\n"
		for _, l := range lines {
			body += l + "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range socketcallSeeds() {
		write("FuzzSocketcall", i, fmt.Sprintf("int(%d)", s.call), fmt.Sprintf("uint64(%d)", s.args), "[]byte("+strconv.Quote(string(s.mem))+")")
	}
	for i, s := range syscallSeeds() {
		write("FuzzSyscall", i, fmt.Sprintf("int(%d)", s.call), "[]byte("+strconv.Quote(string(s.argBytes))+")", "[]byte("+strconv.Quote(string(s.mem))+")")
	}
}
