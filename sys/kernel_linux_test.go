//go:build linux

package sys

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/internal/nettest"
)

// The differential tests run the same sequence of system calls against
// the host kernel (through golang.org/x/sys/unix, sockets inside a
// network namespace the test creates) and against gosock (through
// Process.Syscall on a SliceMemory), and compare every result: return
// value, errno, and the bytes the calls wrote. They need root, and skip
// without it unless CI=true.

// world is where a sequence runs: memory to lay structures out in and a
// system call entry point.
type world interface {
	alloc(n int) uintptr
	bytes(addr uintptr, n int) []byte
	sys(nr int, args ...uintptr) (int, errno.Errno)
	// unmapped is an address with nothing mapped (in both worlds).
	unmapped() uintptr
}

// kernelWorld is the host kernel, with Go memory for structures.
type kernelWorld struct {
	buf  []byte
	next int
	fds  []int
}

func newKernelWorld() *kernelWorld { return &kernelWorld{buf: make([]byte, 1<<20)} }

func (k *kernelWorld) alloc(n int) uintptr {
	a := uintptr(unsafe.Pointer(&k.buf[k.next]))
	k.next += (n + 15) &^ 15
	return a
}

func (k *kernelWorld) bytes(addr uintptr, n int) []byte {
	off := addr - uintptr(unsafe.Pointer(&k.buf[0]))
	return k.buf[off : off+uintptr(n)]
}

func (k *kernelWorld) sys(nr int, args ...uintptr) (int, errno.Errno) {
	var a [6]uintptr
	copy(a[:], args)
	r, _, e := unix.Syscall6(uintptr(nr), a[0], a[1], a[2], a[3], a[4], a[5])
	runtime.KeepAlive(k.buf)
	if e != 0 {
		return -1, errno.Errno(e)
	}
	switch nr {
	case NR_socket, NR_epoll_create1, NR_epoll_create, NR_accept4:
		k.fds = append(k.fds, int(r))
	case NR_pipe2, NR_pipe:
		b := k.bytes(a[0], 8)
		k.fds = append(k.fds, int(binary.LittleEndian.Uint32(b)), int(binary.LittleEndian.Uint32(b[4:])))
	}
	return int(r), 0
}

func (k *kernelWorld) unmapped() uintptr { return 0x1000 }

func (k *kernelWorld) closeAll() {
	for _, fd := range k.fds {
		unix.Close(fd)
	}
}

// gosockWorld is a gosock process.
type gosockWorld struct {
	p *Process
	u *umem
}

func (g *gosockWorld) alloc(n int) uintptr              { return g.u.alloc(n) }
func (g *gosockWorld) bytes(addr uintptr, n int) []byte { return g.u.bytes(addr, n) }
func (g *gosockWorld) unmapped() uintptr                { return unmapped }
func (g *gosockWorld) sys(nr int, args ...uintptr) (int, errno.Errno) {
	var a [6]uintptr
	copy(a[:], args)
	r, err := g.p.Syscall(g.u.m, nr, a[0], a[1], a[2], a[3], a[4], a[5])
	if err != nil {
		e, _ := errno.Of(err)
		return -1, e
	}
	return r, 0
}

// recorder runs steps in a world and logs their outcomes.
type recorder struct {
	w   world
	log []string
}

func (r *recorder) logf(format string, args ...any) {
	r.log = append(r.log, fmt.Sprintf(format, args...))
}

// call runs a system call and logs its result under name.
func (r *recorder) call(name string, nr int, args ...uintptr) int {
	v, e := r.w.sys(nr, args...)
	switch {
	case e != 0:
		r.logf("%s: %s", name, e.Name())
	case nr == NR_socket || nr == NR_epoll_create || nr == NR_epoll_create1 || nr == NR_accept4:
		r.logf("%s: a descriptor", name) // numbers differ between the worlds
	default:
		r.logf("%s: %d", name, v)
	}
	return v
}

func (r *recorder) u32(a uintptr) uint32 { return binary.LittleEndian.Uint32(r.w.bytes(a, 4)) }
func (r *recorder) putU32(a uintptr, v uint32) {
	binary.LittleEndian.PutUint32(r.w.bytes(a, 4), v)
}
func (r *recorder) putU64(a uintptr, v uint64) {
	binary.LittleEndian.PutUint64(r.w.bytes(a, 8), v)
}
func (r *recorder) int32p(v int32) uintptr {
	a := r.w.alloc(4)
	r.putU32(a, uint32(v))
	return a
}

// pipe makes a pipe and returns its ends.
func (r *recorder) pipe(flags int) (uintptr, uintptr) {
	a := r.w.alloc(8)
	r.call("pipe2", NR_pipe2, a, uintptr(flags))
	return uintptr(r.u32(a)), uintptr(r.u32(a + 4))
}

// compareWorlds runs seq in the kernel and in gosock and reports the
// first step where they differ.
func compareWorlds(t *testing.T, kns *nettest.NS, seq func(r *recorder)) {
	t.Helper()
	compareWorldsIn(t, kns, false, seq)
}

// compareWorldsIn is compareWorlds with gosock's real protocols (UDP,
// AF_UNIX) instead of the stand-in datagram family when real is set.
func compareWorldsIn(t *testing.T, kns *nettest.NS, real bool, seq func(r *recorder)) {
	t.Helper()
	kw := newKernelWorld()
	defer kw.closeAll()
	kr := &recorder{w: kw}
	if kns != nil {
		if err := kns.Do(func() error { seq(kr); return nil }); err != nil {
			t.Fatal(err)
		}
	} else {
		seq(kr)
	}
	p, _ := newNetProcess(t)
	if real {
		p, _ = newRealNetProcess(t)
	}
	defer p.Exit()
	gr := &recorder{w: &gosockWorld{p: p, u: newUmem(t)}}
	seq(gr)
	if os.Getenv("GOSOCK_DIFF_LOG") != "" {
		t.Logf("%s", strings.Join(kr.log, "\n"))
	}
	for i := range max(len(kr.log), len(gr.log)) {
		var k, g string
		if i < len(kr.log) {
			k = kr.log[i]
		}
		if i < len(gr.log) {
			g = gr.log[i]
		}
		if k != g {
			from := max(0, i-5)
			t.Fatalf("step %d differs:\n  linux:  %s\n  gosock: %s\nbefore it:\n  %s", i, k, g,
				strings.Join(kr.log[from:i], "\n  "))
		}
	}
}

// TestKernelPipeOps compares random sequences of non-blocking reads and
// writes of assorted sizes, with the poll state and FIONREAD after each,
// in normal and packet (O_DIRECT) mode.
func TestKernelPipeOps(t *testing.T) {
	nettest.RequireRoot(t)
	sizes := []int{0, 1, 7, 100, 4095, 4096, 4097, 5000, 8192, 65535, 65536, 70000}
	for _, mode := range []int{0, oDIRECT} {
		for seed := range uint64(6) {
			t.Run(fmt.Sprintf("mode%#x/seed%d", mode, seed), func(t *testing.T) {
				compareWorlds(t, nil, func(r *recorder) {
					rng := rand.New(rand.NewPCG(seed, uint64(mode)))
					rd, wr := r.pipe(abi.O_NONBLOCK | mode)
					buf := r.w.alloc(80000)
					pfds := r.w.alloc(16)
					arg := r.w.alloc(4)
					for i := range 120 {
						n := sizes[rng.IntN(len(sizes))]
						if rng.IntN(2) == 0 {
							r.call(fmt.Sprintf("%d write %d", i, n), NR_write, wr, buf, uintptr(n))
						} else {
							r.call(fmt.Sprintf("%d read %d", i, n), NR_read, rd, buf, uintptr(n))
						}
						r.putU32(pfds, uint32(rd))
						r.putU32(pfds+4, 0xffff)
						r.putU32(pfds+8, uint32(wr))
						r.putU32(pfds+12, 0xffff)
						r.w.sys(NR_poll, pfds, 2, 0)
						r.call("FIONREAD", NR_ioctl, rd, FIONREAD, arg)
						r.logf("revents %#x %#x, queued %d", r.u32(pfds+4)>>16, r.u32(pfds+12)>>16, r.u32(arg))
					}
					r.call("close write end", NR_close, wr)
					r.call("read at EOF", NR_read, rd, buf, 80000)
					r.putU32(pfds, uint32(rd))
					r.putU32(pfds+4, 0xffff)
					r.w.sys(NR_poll, pfds, 1, 0)
					r.logf("revents without writer %#x", r.u32(pfds+4)>>16)
					r.call("close read end", NR_close, rd)
				})
			})
		}
	}
}

// TestKernelEpoll compares epoll over a pipe: random writes, reads,
// waits with room for 1 to 3 events, and re-arming, with each end in a
// random mode (level, edge, one-shot). Events carry the end's role, so
// the order of reports is compared too.
func TestKernelEpoll(t *testing.T) {
	nettest.RequireRoot(t)
	modes := []uint32{0, abi.EPOLLET, abi.EPOLLONESHOT, abi.EPOLLET | abi.EPOLLONESHOT}
	sizes := []int{1, 100, 4096, 5000, 65536}
	for seed := range uint64(16) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			compareWorlds(t, nil, func(r *recorder) {
				rng := rand.New(rand.NewPCG(seed, 7))
				rd, wr := r.pipe(abi.O_NONBLOCK)
				rd2, wr2 := r.pipe(abi.O_NONBLOCK)
				ep := uintptr(r.call("epoll_create1", NR_epoll_create1, 0))
				buf := r.w.alloc(70000)
				ev := r.w.alloc(12)
				evs := r.w.alloc(4 * 12)
				type item struct {
					fd     uintptr
					events uint32
				}
				items := []item{
					{rd, abi.EPOLLIN | modes[rng.IntN(4)]},
					{wr, abi.EPOLLOUT | modes[rng.IntN(4)]},
					{rd2, abi.EPOLLIN | abi.EPOLLRDHUP | modes[rng.IntN(4)]},
				}
				ctl := func(op int, i int) {
					r.putU32(ev, items[i].events)
					r.putU64(ev+4, uint64(i))
					r.call(fmt.Sprintf("ctl %d item %d %#x", op, i, items[i].events), NR_epoll_ctl, ep, uintptr(op), items[i].fd, ev)
				}
				for i := range items {
					ctl(abi.EPOLL_CTL_ADD, i)
				}
				for step := range 80 {
					switch rng.IntN(6) {
					case 0, 1:
						r.call(fmt.Sprintf("%d write", step), NR_write, wr, buf, uintptr(sizes[rng.IntN(len(sizes))]))
					case 2:
						r.call(fmt.Sprintf("%d read", step), NR_read, rd, buf, uintptr(sizes[rng.IntN(len(sizes))]))
					case 3:
						ctl(abi.EPOLL_CTL_MOD, rng.IntN(len(items)))
					case 4:
						r.call(fmt.Sprintf("%d write pipe 2", step), NR_write, wr2, buf, 1)
					}
					n := r.call(fmt.Sprintf("%d wait", step), NR_epoll_wait, ep, evs, uintptr(1+rng.IntN(3)), 0)
					for i := range max(n, 0) {
						b := r.w.bytes(evs+uintptr(i*12), 12)
						r.logf("  item %d events %#x", binary.LittleEndian.Uint64(b[4:]), binary.LittleEndian.Uint32(b))
					}
				}
				r.call("close write end of pipe 2", NR_close, wr2)
				for range 2 {
					n := r.call("wait", NR_epoll_wait, ep, evs, 4, 0)
					for i := range max(n, 0) {
						b := r.w.bytes(evs+uintptr(i*12), 12)
						r.logf("  item %d events %#x", binary.LittleEndian.Uint64(b[4:]), binary.LittleEndian.Uint32(b))
					}
				}
				for _, fd := range []uintptr{ep, rd, wr, rd2} {
					r.w.sys(NR_close, fd)
				}
			})
		})
	}
}

// TestKernelFileErrors compares the errno of the file calls: epoll,
// pipes, poll, ioctl, lseek, fcntl.
func TestKernelFileErrors(t *testing.T) {
	nettest.RequireRoot(t)
	compareWorlds(t, nil, func(r *recorder) {
		bad := uintptr(99999)
		um := r.w.unmapped()
		for _, fl := range []int{0, abi.O_NONBLOCK, abi.O_CLOEXEC, oDIRECT, 1, 0x10000, oNotificationPipe, abi.O_NONBLOCK | oDIRECT} {
			a := r.w.alloc(8)
			if r.call(fmt.Sprintf("pipe2(%#x)", fl), NR_pipe2, a, uintptr(fl)) == 0 {
				rd, wr := uintptr(r.u32(a)), uintptr(r.u32(a+4))
				r.call("F_GETFL read end", NR_fcntl, rd, abi.F_GETFL)
				r.call("F_GETFL write end", NR_fcntl, wr, abi.F_GETFL)
				r.call("F_GETFD", NR_fcntl, rd, abi.F_GETFD)
				r.w.sys(NR_close, rd)
				r.w.sys(NR_close, wr)
			}
		}
		r.call("pipe2 into unmapped memory", NR_pipe2, um, 0)
		rd, wr := r.pipe(0)
		for _, fl := range []int{0, 1, abi.EPOLL_CLOEXEC, abi.EPOLL_CLOEXEC | 1} {
			if fd := r.call(fmt.Sprintf("epoll_create1(%#x)", fl), NR_epoll_create1, uintptr(fl)); fd >= 0 {
				r.call("F_GETFL", NR_fcntl, uintptr(fd), abi.F_GETFL)
				r.call("F_GETFD", NR_fcntl, uintptr(fd), abi.F_GETFD)
				r.w.sys(NR_close, uintptr(fd))
			}
		}
		r.call("epoll_create(0)", NR_epoll_create, 0)
		r.call("epoll_create(-1)", NR_epoll_create, ^uintptr(0))
		ep := uintptr(r.call("epoll_create1", NR_epoll_create1, 0))
		ep2 := uintptr(r.call("epoll_create1", NR_epoll_create1, 0))
		ev := r.w.alloc(12)
		ctl := func(name string, epfd, op, fd uintptr, events uint32, evp uintptr) {
			if evp == ev {
				r.putU32(ev, events)
			}
			r.call(name, NR_epoll_ctl, epfd, op, fd, evp)
		}
		in, excl := uint32(abi.EPOLLIN), uint32(abi.EPOLLEXCLUSIVE)
		ctl("ADD unmapped event", ep, abi.EPOLL_CTL_ADD, rd, 0, um)
		ctl("op 99 unmapped event", ep, 99, rd, 0, um)
		ctl("DEL bad epfd unmapped event", bad, abi.EPOLL_CTL_DEL, rd, 0, um)
		ctl("ADD bad epfd unmapped event", bad, abi.EPOLL_CTL_ADD, rd, 0, um)
		ctl("ADD bad epfd", bad, abi.EPOLL_CTL_ADD, rd, in, ev)
		ctl("ADD bad fd", ep, abi.EPOLL_CTL_ADD, bad, in, ev)
		ctl("ADD epfd itself", ep, abi.EPOLL_CTL_ADD, ep, in, ev)
		ctl("ADD epfd a pipe", rd, abi.EPOLL_CTL_ADD, wr, in, ev)
		ctl("excl|oneshot", ep, abi.EPOLL_CTL_ADD, rd, in|excl|abi.EPOLLONESHOT, ev)
		ctl("excl|rdhup", ep, abi.EPOLL_CTL_ADD, rd, in|excl|abi.EPOLLRDHUP, ev)
		ctl("excl|et", ep, abi.EPOLL_CTL_ADD, wr, abi.EPOLLOUT|excl|abi.EPOLLET, ev)
		ctl("MOD exclusive item", ep, abi.EPOLL_CTL_MOD, wr, abi.EPOLLOUT, ev)
		ctl("MOD with excl", ep, abi.EPOLL_CTL_MOD, wr, abi.EPOLLOUT|excl, ev)
		ctl("DEL exclusive item", ep, abi.EPOLL_CTL_DEL, wr, 0, ev)
		ctl("excl on epoll", ep, abi.EPOLL_CTL_ADD, ep2, in|excl, ev)
		ctl("DEL unwatched", ep, abi.EPOLL_CTL_DEL, rd, 0, ev)
		ctl("MOD unwatched", ep, abi.EPOLL_CTL_MOD, rd, in, ev)
		ctl("op 99", ep, 99, rd, in, ev)
		ctl("ADD", ep, abi.EPOLL_CTL_ADD, rd, in, ev)
		ctl("ADD again", ep, abi.EPOLL_CTL_ADD, rd, in, ev)
		ctl("op 0 watched", ep, 0, rd, in, ev)
		ctl("nest", ep, abi.EPOLL_CTL_ADD, ep2, in, ev)
		ctl("loop", ep2, abi.EPOLL_CTL_ADD, ep, in, ev)
		evs := r.w.alloc(48)
		r.call("wait maxevents 0", NR_epoll_wait, ep, evs, 0, 0)
		r.call("wait maxevents -1", NR_epoll_wait, ep, evs, ^uintptr(0), 0)
		r.call("wait bad fd", NR_epoll_wait, bad, evs, 1, 0)
		r.call("wait on a pipe", NR_epoll_wait, rd, evs, 1, 0)
		r.call("wait nothing ready, unmapped", NR_epoll_wait, ep, um, 1, 0)
		r.call("write", NR_write, wr, evs, 1)
		r.call("wait ready, unmapped", NR_epoll_wait, ep, um, 1, 0)
		r.call("wait ready", NR_epoll_wait, ep, evs, 4, 0)

		buf := r.w.alloc(64)
		r.call("read write end", NR_read, wr, buf, 1)
		r.call("read write end, 0 bytes", NR_read, wr, buf, 0)
		r.call("write read end", NR_write, rd, buf, 1)
		r.call("read epoll", NR_read, ep, buf, 1)
		r.call("write epoll", NR_write, ep, buf, 1)
		r.call("read bad fd", NR_read, bad, buf, 1)
		r.call("read kernel address", NR_read, rd, kernelPtr, 1)
		r.call("lseek pipe", NR_lseek, rd, 0, 0)
		r.call("lseek pipe whence 99", NR_lseek, rd, 0, 99)
		r.call("lseek epoll", NR_lseek, ep, 100, 0)
		r.call("lseek epoll whence 5", NR_lseek, ep, 0, 5)
		r.call("lseek bad fd", NR_lseek, bad, 0, 99)
		arg := r.w.alloc(40)
		for _, c := range []struct {
			name string
			fd   uintptr
			req  uintptr
			arg  uintptr
		}{
			{"pipe FIONREAD", rd, FIONREAD, arg},
			{"pipe FIONREAD unmapped", rd, FIONREAD, um},
			{"pipe 0x1234", rd, 0x1234, arg},
			{"pipe 0x1234 unmapped", rd, 0x1234, um},
			{"pipe SIOCGIFINDEX", rd, abi.SIOCGIFINDEX, arg},
			{"pipe FIOQSIZE", rd, FIOQSIZE, arg},
			{"pipe SIOCOUTQ", wr, abi.SIOCOUTQ, arg},
			{"pipe FIONBIO unmapped", rd, FIONBIO, um},
			{"pipe FIOCLEX", rd, FIOCLEX, um},
			{"epoll FIONREAD", ep, FIONREAD, arg},
			{"epoll 0x1234", ep, 0x1234, arg},
			{"epoll SIOCGIFINDEX", ep, abi.SIOCGIFINDEX, arg},
			{"epoll EPIOCGPARAMS", ep, EPIOCGPARAMS, arg},
			{"pipe EPIOCGPARAMS", rd, EPIOCGPARAMS, arg},
			{"bad fd", bad, 0x1234, arg},
		} {
			r.putU32(arg, 1)
			r.call("ioctl "+c.name, NR_ioctl, c.fd, c.req, c.arg)
			r.logf("  arg %#x", r.u32(arg))
		}
		for _, c := range []struct {
			name string
			fd   uintptr
			req  uintptr
			val  uint32
		}{
			{"FIONBIO 1 pipe", rd, FIONBIO, 1},
			{"FIOASYNC 1 pipe", wr, FIOASYNC, 1},
			{"FIONBIO 1 epoll", ep, FIONBIO, 1},
			{"FIOASYNC 0 epoll", ep, FIOASYNC, 0},
			{"FIOASYNC 1 epoll", ep, FIOASYNC, 1},
		} {
			r.putU32(arg, c.val)
			r.call("ioctl "+c.name, NR_ioctl, c.fd, c.req, arg)
			r.call("  F_GETFL", NR_fcntl, c.fd, abi.F_GETFL)
		}
		pfds := r.w.alloc(32)
		r.putU32(pfds, uint32(bad))
		r.putU32(pfds+4, POLLIN)
		r.putU32(pfds+8, ^uint32(0))
		r.putU32(pfds+12, POLLIN)
		r.putU32(pfds+16, uint32(wr))
		r.putU32(pfds+20, 0)
		r.putU32(pfds+24, uint32(ep))
		r.putU32(pfds+28, 0xffff)
		r.call("poll", NR_poll, pfds, 4, 0)
		for i := range 4 {
			r.logf("  revents[%d] %#x", i, r.u32(pfds+uintptr(i*8+4))>>16)
		}
		r.call("poll unmapped", NR_poll, um, 1, 0)
		r.call("poll nothing", NR_poll, 0, 0, 0)
		for _, fd := range []uintptr{ep, ep2, rd, wr} {
			r.call("close", NR_close, fd)
		}
	})
}

// udpPairIn makes two connected UDP sockets on 127.0.0.1.
func (r *recorder) udpPair() (uintptr, uintptr) {
	a := uintptr(r.call("socket", NR_socket, abi.AF_INET, abi.SOCK_DGRAM, 0))
	b := uintptr(r.call("socket", NR_socket, abi.AF_INET, abi.SOCK_DGRAM, 0))
	sa := r.sockaddrLo(0)
	r.call("bind", NR_bind, a, sa, 16)
	r.call("bind", NR_bind, b, sa, 16)
	na, nb := r.w.alloc(16), r.w.alloc(16)
	r.w.sys(NR_getsockname, a, na, r.int32p(16))
	r.w.sys(NR_getsockname, b, nb, r.int32p(16))
	r.call("connect", NR_connect, a, nb, 16)
	r.call("connect", NR_connect, b, na, 16)
	return a, b
}

// waitReadable polls fd for input for up to a second: gosock's
// loopback delivers on the device's goroutine, not the sender's.
func (r *recorder) waitReadable(fd uintptr) {
	pfd := r.w.alloc(8)
	r.putU32(pfd, uint32(fd))
	r.putU32(pfd+4, POLLIN)
	r.call("poll for input", NR_poll, pfd, 1, 1000)
}

func (r *recorder) sockaddrLo(port uint16) uintptr {
	a := r.w.alloc(16)
	b := r.w.bytes(a, 16)
	binary.LittleEndian.PutUint16(b, abi.AF_INET)
	binary.BigEndian.PutUint16(b[2:], port)
	copy(b[4:], []byte{127, 0, 0, 1})
	return a
}

func (r *recorder) msghdr(name uintptr, namelen int32, iov uintptr, iovlen uint64, control uintptr, controllen uint64) uintptr {
	a := r.w.alloc(sizeofMsghdr)
	r.putU64(a, uint64(name))
	r.putU32(a+8, uint32(namelen))
	r.putU64(a+16, uint64(iov))
	r.putU64(a+24, iovlen)
	r.putU64(a+32, uint64(control))
	r.putU64(a+40, controllen)
	return a
}

func (r *recorder) iovec(base uintptr, n uint64) uintptr {
	a := r.w.alloc(16)
	r.putU64(a, uint64(base))
	r.putU64(a+8, n)
	return a
}

// TestKernelSocketABI compares the generic socket layer's decoding of
// the ABI structures on datagram sockets: address lengths, value-result
// lengths, msghdr checks, option lengths, the message batches, the
// interface ioctls. gosock runs its stand-in datagram protocol here, so
// only checks that do not depend on UDP itself are made.
func TestKernelSocketABI(t *testing.T) {
	for _, real := range []bool{false, true} {
		t.Run(map[bool]string{false: "standin", true: "udp"}[real], func(t *testing.T) {
			testKernelSocketABI(t, real)
		})
	}
}

func testKernelSocketABI(t *testing.T, real bool) {
	kns := nettest.New(t)
	compareWorldsIn(t, kns, real, func(r *recorder) {
		bad := uintptr(99999)
		um := r.w.unmapped()
		neg := ^uintptr(0)
		rd, wr := r.pipe(0)
		s := uintptr(r.call("socket", NR_socket, abi.AF_INET, abi.SOCK_DGRAM, 0))
		sa := r.sockaddrLo(0)
		r.call("bind pipe len -1", NR_bind, rd, 0, neg)
		r.call("connect pipe len -1", NR_connect, rd, 0, neg)
		r.call("connect pipe unmapped", NR_connect, rd, um, 16)
		r.call("connect pipe", NR_connect, rd, sa, 16)
		r.call("connect bad fd len 129", NR_connect, bad, 0, 129)
		r.call("bind len -1", NR_bind, s, sa, neg)
		r.call("bind len 129", NR_bind, s, sa, 129)
		r.call("bind unmapped", NR_bind, s, um, 16)
		r.call("listen", NR_listen, s, 5)
		r.call("accept4 bad fd bad flags", NR_accept4, bad, 0, 0, 0x1234)
		r.call("accept4 pipe bad flags", NR_accept4, rd, 0, 0, 0x1234)
		r.call("accept4 pipe", NR_accept4, rd, 0, 0, 0)
		r.call("accept4 udp", NR_accept4, s, um, um, 0)
		r.call("socket bad flags", NR_socket, abi.AF_INET, abi.SOCK_DGRAM|0x10000, 0)
		r.call("socketpair bad flags", NR_socketpair, abi.AF_UNIX, abi.SOCK_STREAM|0x10000, 0, um)
		r.call("socketpair unmapped", NR_socketpair, 99, abi.SOCK_STREAM, 0, um)

		name := r.w.alloc(128)
		for _, l := range []int32{-1, 0, 2, 64} {
			lp := r.int32p(l)
			r.call(fmt.Sprintf("getsockname len %d", l), NR_getsockname, s, name, lp)
			r.logf("  len %d family %d", int32(r.u32(lp)), r.w.bytes(name, 1)[0])
		}
		lp := r.int32p(4)
		r.call("getsockname unmapped", NR_getsockname, s, um, lp)
		r.logf("  len %d", r.u32(lp))
		r.call("getsockname unmapped len", NR_getsockname, s, name, um)
		r.call("getpeername unconnected", NR_getpeername, s, name, um)

		val := r.int32p(10000)
		r.call("setsockopt SO_RCVBUF", NR_setsockopt, s, abi.SOL_SOCKET, abi.SO_RCVBUF, val, 4)
		r.call("setsockopt len -1", NR_setsockopt, s, abi.SOL_SOCKET, abi.SO_RCVBUF, val, neg)
		r.call("setsockopt unmapped", NR_setsockopt, s, abi.SOL_SOCKET, abi.SO_RCVBUF, um, 4)
		r.call("setsockopt pipe", NR_setsockopt, rd, abi.SOL_SOCKET, abi.SO_RCVBUF, um, neg)
		out := r.w.alloc(16)
		for _, l := range []int32{-1, 0, 1, 4, 16} {
			lp := r.int32p(l)
			binary.LittleEndian.PutUint64(r.w.bytes(out, 8), 0)
			r.call(fmt.Sprintf("getsockopt SO_RCVBUF len %d", l), NR_getsockopt, s, abi.SOL_SOCKET, abi.SO_RCVBUF, out, lp)
			r.logf("  len %d value %d", int32(r.u32(lp)), r.u32(out))
			lp = r.int32p(l)
			r.call(fmt.Sprintf("getsockopt SO_TYPE len %d unmapped", l), NR_getsockopt, s, abi.SOL_SOCKET, abi.SO_TYPE, um, lp)
			r.logf("  len %d", int32(r.u32(lp)))
		}
		r.call("getsockopt unmapped len", NR_getsockopt, s, abi.SOL_SOCKET, abi.SO_TYPE, out, um)

		a, b := r.udpPair()
		data := r.w.alloc(64)
		copy(r.w.bytes(data, 12), "hello, world")
		iov := r.iovec(data, 12)
		r.call("sendmsg", NR_sendmsg, a, r.msghdr(0, 0, iov, 1, 0, 0), 0)
		for _, c := range []struct {
			name string
			hdr  uintptr
			fl   uintptr
		}{
			{"namelen -1", r.msghdr(sa, -1, iov, 1, 0, 0), 0},
			{"name NULL namelen -1", r.msghdr(0, -1, iov, 1, 0, 0), 0},
			{"unmapped name", r.msghdr(um, 16, iov, 1, 0, 0), 0},
			{"iovlen 1025", r.msghdr(0, 0, iov, 1025, 0, 0), 0},
			{"iovlen 2^63", r.msghdr(0, 0, iov, 1<<63, 0, 0), 0},
			{"unmapped iovecs", r.msghdr(0, 0, um, 2, 0, 0), 0},
			{"negative iov_len", r.msghdr(0, 0, r.iovec(data, 1<<63), 1, 0, 0), 0},
			{"kernel iov_base", r.msghdr(0, 0, r.iovec(kernelPtr, 1), 1, 0, 0), 0},
			{"controllen 2^31", r.msghdr(0, 0, iov, 1, um, 1<<31), 0},
			{"controllen 131072", r.msghdr(0, 0, iov, 1, um, 131072), 0},
			{"controllen 131073", r.msghdr(0, 0, iov, 1, um, 131073), 0},
			{"unmapped control", r.msghdr(0, 0, iov, 1, um, 16), 0},
			{"MSG_CMSG_COMPAT", r.msghdr(0, 0, iov, 1, 0, 0), msgCmsgCompat},
		} {
			r.call("sendmsg "+c.name, NR_sendmsg, a, c.hdr, c.fl)
		}
		r.call("sendmsg unmapped header", NR_sendmsg, a, um, 0)
		r.call("sendmsg bad fd unmapped", NR_sendmsg, bad, um, 0)
		r.call("sendto kernel buffer bad fd", NR_sendto, bad, kernelPtr, 1, 0, 0, 0)
		r.call("sendto bad fd", NR_sendto, bad, um, 1, 0, 0, 0)
		r.call("sendto addrlen -1", NR_sendto, a, data, 1, 0, sa, neg)
		r.call("send", NR_sendto, a, data, 5, 0, 0, 0)
		r.waitReadable(b)

		buf := r.w.alloc(64)
		from := r.w.alloc(128)
		flp := r.int32p(3)
		r.call("recvfrom peek trunc short addr", NR_recvfrom, b, buf, 4, abi.MSG_PEEK|abi.MSG_TRUNC, from, flp)
		r.logf("  addrlen %d family %d data %q", r.u32(flp), r.w.bytes(from, 1)[0], r.w.bytes(buf, 4))
		r.call("recvfrom unmapped addrlen", NR_recvfrom, b, buf, 64, 0, from, um)
		riov := r.iovec(buf, 8)
		ctl := r.w.alloc(64)
		hdr := r.msghdr(from, 8, riov, 1, ctl, 64)
		r.call("recvmsg short", NR_recvmsg, b, hdr, abi.MSG_CMSG_CLOEXEC)
		r.logf("  namelen %d flags %#x controllen %d data %q", r.u32(hdr+8), r.u32(hdr+48), r.u32(hdr+40), r.w.bytes(buf, 5))
		r.call("recvmsg namelen -1", NR_recvmsg, b, r.msghdr(from, -1, riov, 1, 0, 0), abi.MSG_DONTWAIT)
		// The third datagram (the send with a NULL name and namelen -1
		// went through): a blocking receive, as gosock's loopback may
		// still be delivering it.
		r.call("recvmsg third", NR_recvmsg, b, r.msghdr(0, -1, riov, 1, 0, 0), 0)
		r.call("recvmsg empty", NR_recvmsg, b, r.msghdr(0, -1, riov, 1, 0, 0), abi.MSG_DONTWAIT)
		r.call("recvmsg COMPAT", NR_recvmsg, b, um, msgCmsgCompat)

		// Batches.
		vec := r.w.alloc(3 * sizeofMmsghdr)
		for i := range 3 {
			h := r.msghdr(0, 0, r.iovec(data, uint64(3+i)), 1, 0, 0)
			copy(r.w.bytes(vec+uintptr(i*sizeofMmsghdr), sizeofMsghdr), r.w.bytes(h, sizeofMsghdr))
		}
		r.call("sendmmsg", NR_sendmmsg, a, vec, 3, 0)
		for i := range 3 {
			r.logf("  msg_len %d", r.u32(vec+uintptr(i*sizeofMmsghdr)+sizeofMsghdr))
		}
		r.call("sendmmsg vlen 0", NR_sendmmsg, a, um, 0, 0)
		r.call("sendmmsg unmapped", NR_sendmmsg, a, um, 2, 0)
		r.call("sendmmsg COMPAT", NR_sendmmsg, a, vec, 1, msgCmsgCompat)
		rvec := r.w.alloc(4 * sizeofMmsghdr)
		for i := range 4 {
			h := r.msghdr(0, 0, r.iovec(r.w.alloc(8), 8), 1, 0, 0)
			copy(r.w.bytes(rvec+uintptr(i*sizeofMmsghdr), sizeofMsghdr), r.w.bytes(h, sizeofMsghdr))
		}
		ts := r.w.alloc(16)
		r.putU64(ts, 0)
		r.putU64(ts+8, 1e9)
		r.call("recvmmsg bad fd invalid timeout", NR_recvmmsg, bad, rvec, 4, 0, ts)
		r.call("recvmmsg bad fd unmapped timeout", NR_recvmmsg, bad, rvec, 4, 0, um)
		r.call("recvmmsg COMPAT", NR_recvmmsg, b, rvec, 4, msgCmsgCompat, um)
		r.putU64(ts, 5)
		r.putU64(ts+8, 0)
		// Three blocking receives: the count does not depend on when
		// the datagrams arrive.
		r.call("recvmmsg", NR_recvmmsg, b, rvec, 3, 0, ts)
		for i := range 3 {
			r.logf("  msg_len %d", r.u32(rvec+uintptr(i*sizeofMmsghdr)+sizeofMsghdr))
		}
		r.call("recvmmsg vlen 0", NR_recvmmsg, b, rvec, 0, 0, 0)
		r.call("recvmmsg empty", NR_recvmmsg, b, rvec, 4, abi.MSG_DONTWAIT, 0)
		r.call("shutdown how 5", NR_shutdown, a, 5)

		// Interface ioctls (not SIOCGIFBRDADDR: gosock's lo address has
		// a broadcast address, Linux's has none).
		ifr := r.w.alloc(40)
		setIfr := func(name string, v uint32) {
			clear(r.w.bytes(ifr, 40))
			copy(r.w.bytes(ifr, 16), name)
			r.putU32(ifr+16, v)
		}
		for _, c := range []struct {
			req  uintptr
			name string
			v    uint32
		}{
			{abi.SIOCGIFINDEX, "lo", 0}, {abi.SIOCGIFINDEX, "lo:1", 0}, {abi.SIOCGIFINDEX, "nope", 0},
			{abi.SIOCGIFNAME, "", 1}, {abi.SIOCGIFNAME, "", 99},
			{abi.SIOCGIFFLAGS, "lo", 0}, {abi.SIOCGIFMTU, "lo", 0}, {abi.SIOCGIFMETRIC, "lo", 7},
			{abi.SIOCGIFTXQLEN, "lo", 0}, {abi.SIOCGIFMAP, "lo", 0}, {abi.SIOCGIFSLAVE, "lo", 0},
			{abi.SIOCGIFHWADDR, "lo", 0}, {abi.SIOCGIFADDR, "lo", 0}, {abi.SIOCGIFNETMASK, "lo", 0},
			{abi.SIOCGIFDSTADDR, "lo", 0}, {abi.SIOCGIFADDR, "lo:1", 0}, {abi.SIOCGIFADDR, "nope", 0},
			{abi.SIOCGIFPFLAGS, "lo", 0}, {abi.SIOCGIFCOUNT, "lo", 0}, {abi.SIOCGIFENCAP, "lo", 0},
			{abi.SIOCDEVPRIVATE, "", 0}, {abi.SIOCDEVPRIVATE + 3, "lo", 0}, {abi.SIOCWANDEV, "lo", 0},
			{0x89c0, "lo", 0}, {0x1234, "lo", 0}, {abi.SIOCATMARK, "lo", 0}, {abi.SIOCOUTQNSD, "lo", 0},
		} {
			setIfr(c.name, c.v)
			r.call(fmt.Sprintf("ioctl %#x %q", c.req, c.name), NR_ioctl, s, c.req, ifr)
			r.logf("  ifreq % x", r.w.bytes(ifr, 40))
		}
		for _, req := range []uintptr{abi.SIOCGIFADDR, abi.SIOCGIFNAME, 0x89c0, abi.SIOCATMARK, FIONREAD, 0x1234} {
			r.call(fmt.Sprintf("ioctl %#x unmapped", req), NR_ioctl, s, req, um)
		}
		r.call("send", NR_sendto, a, data, 7, 0, 0, 0)
		r.waitReadable(b)
		arg := r.w.alloc(4)
		r.call("FIONREAD", NR_ioctl, b, FIONREAD, arg)
		r.logf("  %d", r.u32(arg))
		r.putU32(arg, 0) // gosock has no process table: no ESRCH for other pids
		r.call("SIOCSPGRP", NR_ioctl, b, abi.SIOCSPGRP, arg)
		r.call("F_GETOWN", NR_fcntl, b, abi.F_GETOWN)
		r.call("FIOGETOWN", NR_ioctl, b, FIOGETOWN, arg)
		r.logf("  %d", r.u32(arg))
		r.call("read 0", NR_read, b, buf, 0)
		r.call("FIONREAD after an empty read", NR_ioctl, b, FIONREAD, arg)
		r.logf("  %d", r.u32(arg))
		for _, fd := range []uintptr{rd, wr, s, a, b} {
			r.call("close", NR_close, fd)
		}
	})
}

// TestKernelEpollUnix compares epoll and poll over AF_UNIX socket pairs
// (gosock's unix package): writes, reads, shutdowns and a close, with
// EPOLLRDHUP and each end in a random mode.
//
// SOCK_DGRAM is left out: in Linux a datagram send that fails after
// allocating its buffer (EPIPE, ENOTCONN) frees it through sock_wfree,
// whose write-space wakeup re-reports an edge-triggered item; gosock's
// unix package does not wake there (its concern, not epoll's).
func TestKernelEpollUnix(t *testing.T) {
	nettest.RequireRoot(t)
	modes := []uint32{0, abi.EPOLLET, abi.EPOLLONESHOT}
	for _, typ := range []int{abi.SOCK_STREAM, abi.SOCK_SEQPACKET} {
		for seed := range uint64(8) {
			t.Run(fmt.Sprintf("type%d/seed%d", typ, seed), func(t *testing.T) {
				compareWorldsIn(t, nil, true, func(r *recorder) {
					rng := rand.New(rand.NewPCG(seed, uint64(typ)))
					sv := r.w.alloc(8)
					r.call("socketpair", NR_socketpair, abi.AF_UNIX, uintptr(typ|abi.SOCK_NONBLOCK), 0, sv)
					fds := []uintptr{uintptr(r.u32(sv)), uintptr(r.u32(sv + 4))}
					ep := uintptr(r.call("epoll_create1", NR_epoll_create1, 0))
					ev := r.w.alloc(12)
					evs := r.w.alloc(48)
					buf := r.w.alloc(4096)
					pfds := r.w.alloc(16)
					events := []uint32{
						abi.EPOLLIN | abi.EPOLLOUT | abi.EPOLLRDHUP | modes[rng.IntN(3)],
						abi.EPOLLIN | abi.EPOLLRDHUP | modes[rng.IntN(3)],
					}
					for i, fd := range fds {
						r.putU32(ev, events[i])
						r.putU64(ev+4, uint64(i))
						r.call("ADD", NR_epoll_ctl, ep, abi.EPOLL_CTL_ADD, fd, ev)
					}
					closed := false
					for step := range 40 {
						i := rng.IntN(2)
						switch op := rng.IntN(10); {
						case op < 4:
							r.call(fmt.Sprintf("%d write %d", step, i), NR_write, fds[i], buf, uintptr(1+rng.IntN(300)))
						case op < 7:
							r.call(fmt.Sprintf("%d read %d", step, i), NR_read, fds[i], buf, uintptr(1+rng.IntN(300)))
						case op == 7:
							r.call(fmt.Sprintf("%d shutdown %d", step, i), NR_shutdown, fds[i], uintptr(rng.IntN(3)))
						case op == 8:
							r.putU32(ev, events[i])
							r.putU64(ev+4, uint64(i))
							r.call(fmt.Sprintf("%d MOD %d", step, i), NR_epoll_ctl, ep, abi.EPOLL_CTL_MOD, fds[i], ev)
						case op == 9 && step > 30 && !closed:
							r.call(fmt.Sprintf("%d close 1", step), NR_close, fds[1])
							closed = true
						}
						n := r.call(fmt.Sprintf("%d wait", step), NR_epoll_wait, ep, evs, 4, 0)
						for k := range max(n, 0) {
							b := r.w.bytes(evs+uintptr(k*12), 12)
							r.logf("  end %d events %#x", binary.LittleEndian.Uint64(b[4:]), binary.LittleEndian.Uint32(b))
						}
						r.putU32(pfds, uint32(fds[0]))
						r.putU32(pfds+4, 0xffff)
						r.w.sys(NR_poll, pfds, 1, 0)
						r.logf("  poll end 0 %#x", r.u32(pfds+4)>>16)
					}
					r.w.sys(NR_close, ep)
					r.w.sys(NR_close, fds[0])
					if !closed {
						r.w.sys(NR_close, fds[1])
					}
				})
			})
		}
	}
}

// TestKernelStreamRecvFault compares receives into memory that is not
// mapped: on a stream socket Linux copies before it consumes, so the
// bytes a faulting read could not deliver are still there for the next
// one (and a partly mapped iovec gets the part that is mapped); a
// SOCK_SEQPACKET record goes with the fault. It also checks that a read
// into NULL waits and fails as a read would: EAGAIN when empty, 0 at end
// of stream.
func TestKernelStreamRecvFault(t *testing.T) {
	nettest.RequireRoot(t)
	for _, typ := range []int{abi.SOCK_STREAM, abi.SOCK_SEQPACKET} {
		t.Run(fmt.Sprintf("type%d", typ), func(t *testing.T) {
			compareWorldsIn(t, nil, true, func(r *recorder) {
				um := r.w.unmapped()
				sv := r.w.alloc(8)
				r.call("socketpair", NR_socketpair, abi.AF_UNIX, uintptr(typ|abi.SOCK_NONBLOCK), 0, sv)
				a, b := uintptr(r.u32(sv)), uintptr(r.u32(sv+4))
				buf := r.w.alloc(64)
				show := func(what string, n int) {
					if n > 0 {
						r.logf("  %s: %q", what, r.w.bytes(buf, n))
					}
				}
				r.call("read NULL, empty", NR_read, b, 0, 10)
				copy(r.w.bytes(buf, 10), "0123456789")
				r.call("write", NR_write, a, buf, 10)
				r.call("read NULL", NR_read, b, 0, 10)
				r.call("recvfrom unmapped", NR_recvfrom, b, um, 10, 0, 0, 0)
				r.call("recvmsg NULL", NR_recvmsg, b, r.msghdr(0, 0, r.iovec(0, 10), 1, 0, 0), 0)
				n := r.call("read", NR_read, b, buf, 3)
				show("read", n)
				// Four bytes mapped, then a range that is not.
				iov := r.w.alloc(32)
				r.putU64(iov, uint64(buf))
				r.putU64(iov+8, 4)
				r.putU64(iov+16, uint64(um))
				r.putU64(iov+24, 10)
				n = r.call("recvmsg part mapped", NR_recvmsg, b, r.msghdr(0, 0, iov, 2, 0, 0), 0)
				show("recvmsg", n)
				n = r.call("read rest", NR_read, b, buf, 64)
				show("read", n)
				r.call("read NULL, empty again", NR_read, b, 0, 10)
				r.call("shutdown", NR_shutdown, a, abi.SHUT_WR)
				r.call("read NULL at end of stream", NR_read, b, 0, 10)
				r.w.sys(NR_close, a)
				r.w.sys(NR_close, b)
			})
		})
	}
}
