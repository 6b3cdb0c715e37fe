package sys

// The socket-call conformance table.
//
// confCases is one table of cases. A case is a short sequence of system
// calls written once, in a neutral form that two executors run:
//
//   - TestConformance runs it against gosock, through Process.Syscall on
//     a SliceMemory (the ABI face: argument decoding, lengths and EFAULT
//     are exercised as a C program would exercise them);
//   - TestConformanceKernel (conformance_linux_test.go) runs it against
//     the host kernel, with raw system calls on real memory, inside a
//     network namespace made for the run.
//
// Both compare every step with the table, so every expected value in it
// is checked against Linux, and gosock must agree case for case.
//
// # Steps
//
// A step is do(call, want, args...) with optional .as(name) and
// .diff("…"):
//
//	do("socket", "fd", inet, dgram, 0).as("s"),
//	do("bind", "EINVAL", fdn("s"), sin("127.0.0.1", 0), 15),
//	do("getsockname", "0 buf=0200… len=16", fdn("s"), out(16), vlen(16)),
//
// call names the system call (confCalls maps names to x86-64 numbers).
// The arguments are the call's, in order; each is one of:
//
//	int, int64, uint64, …  the register's value (-1 is all ones)
//	fdn("s")               the descriptor an earlier step saved as "s"
//	[]byte                 a buffer holding these bytes (its address)
//	out(n)                 n bytes of 0xee whose contents after the call
//	                       are recorded ("buf=<hex>")
//	vlen(v)                an int holding v, recorded after the call
//	                       ("len=<v>"): a value-result length
//	fault, kern, null      an unmapped user address, a kernel address
//	                       (access_ok fails), NULL
//	partial{b, n}          b's first n bytes, followed by unmapped memory
//	nameOf("l")            a buffer holding the local address of the
//	                       socket saved as "l" (getsockname), for
//	                       connecting to an ephemeral port
//	pair                   an int[2] that receives two descriptors
//	                       (socketpair, pipe2), saved as name+"0", name+"1"
//	msg{…}                 a struct msghdr (see its fields); rec records
//	                       msg_namelen, msg_controllen and msg_flags
//	iovec{base, len}       in msg.iov: an iovec of any base and length
//	mmsg{…}, mmsgEnd{…}    an array of struct mmsghdr (msg_len recorded);
//	                       mmsgEnd puts unmapped memory right after it
//	ts{sec, nsec}          a struct __kernel_timespec
//	rights{fds…}           a control buffer with one SCM_RIGHTS message
//
// want is the step's transcript on Linux: the errno's name on failure,
// else "fd" for a call returning a new descriptor or the return value,
// followed by the recorded outputs in argument order, separated by
// spaces (outputs are recorded on failure too: a failing call must not
// write what Linux does not write). as(name) saves the descriptor(s) a
// successful step returns.
//
// diff("GOSOCK: reason") marks a known difference: the gosock test
// expects GOSOCK (gosock's current transcript), the kernel test still
// checks want, and the reason says why gosock differs.
//
// A case marked unpriv runs as an unprivileged user: gosock with a
// process of uid 1000 without capabilities, the kernel on a thread whose
// effective uid is 1000 (which empties its effective capabilities).
//
// Cases must not depend on timing: gosock's loopback delivers on its own
// goroutine, so a step that needs data or a connection to have arrived
// blocks for it (a blocking receive or accept), and only steps that
// expect nothing use MSG_DONTWAIT or a non-blocking socket. Fixed ports
// (5000-5999, below the ephemeral range) are used once in the table, so
// sockets left in TIME_WAIT by one case never meet another. Traffic
// stays on the loopback interface.

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
)

// confCase is one scenario of the table.
type confCase struct {
	name   string
	unpriv bool
	steps  []step
}

// step is one system call of a case.
type step struct {
	call      string
	args      []any
	save      string
	want      string
	knownDiff string
}

// do makes a step.
func do(call, want string, args ...any) step {
	return step{call: call, args: args, want: want}
}

// as saves the descriptors the step returns under name.
func (s step) as(name string) step { s.save = name; return s }

// diff marks a known difference: "GOSOCK-TRANSCRIPT: reason".
func (s step) diff(d string) step { s.knownDiff = d; return s }

// gosockWant is what gosock is expected to give for the step.
func (s step) gosockWant() string {
	if s.knownDiff == "" {
		return s.want
	}
	v, _, _ := strings.Cut(s.knownDiff, ": ")
	return v
}

// Argument kinds (see the file comment).
type (
	fdn     string
	out     int
	vlen    int32
	special int
	partial struct {
		b []byte
		n int
	}
	nameOf  string
	pairOut struct{}
	ts      struct{ sec, nsec int64 }
	rights  []any
	// iovec is an iovec with an arbitrary base (any argument kind) and
	// length.
	iovec struct {
		base any
		len  uint64
	}
	mmsg    []msg
	mmsgEnd []msg
)

// msg is a struct msghdr.
type msg struct {
	name    any    // nil (NULL), []byte, out, fault, …
	namelen int32  // msg_namelen, as given
	iov     []any  // []byte (data), out (receive buffer) or iovec
	iovp    any    // when set, the msg_iov pointer instead of the array
	iovlen  uint64 // when nonzero, msg_iovlen instead of len(iov)
	control any    // nil, []byte, out, rights, fault, …
	ctllen  uint64 // when nonzero, msg_controllen instead of the buffer's
	flags   uint32 // msg_flags
	rec     bool   // record msg_namelen, msg_controllen and msg_flags
}

const (
	fault special = iota + 1
	kern
	null
)

var pair = pairOut{}

// confCalls are the calls a step may make.
var confCalls = map[string]int{
	"socket": NR_socket, "socketpair": NR_socketpair, "bind": NR_bind, "listen": NR_listen,
	"accept": NR_accept, "accept4": NR_accept4, "connect": NR_connect,
	"getsockname": NR_getsockname, "getpeername": NR_getpeername,
	"sendto": NR_sendto, "recvfrom": NR_recvfrom, "sendmsg": NR_sendmsg, "recvmsg": NR_recvmsg,
	"sendmmsg": NR_sendmmsg, "recvmmsg": NR_recvmmsg, "shutdown": NR_shutdown,
	"setsockopt": NR_setsockopt, "getsockopt": NR_getsockopt,
	"close": NR_close, "pipe2": NR_pipe2, "fcntl": NR_fcntl, "ioctl": NR_ioctl,
}

// confExec is a place to run a case: memory and a system call entry.
type confExec interface {
	// arena returns the case's memory, zeroed: len(b) bytes at base,
	// with nothing mapped at base+len(b).
	arena() (base uintptr, b []byte)
	call(nr int, a [6]uintptr) (int, errno.Errno)
}

const (
	confArenaSize = 256 << 10
	// confTail is the arena's last page, where partial and mmsgEnd
	// put their bytes (right before the unmapped end).
	confTail    = 4096
	confKernPtr = 0xffff800000000000
	// confNoFD stands for a name no step saved (EBADF everywhere).
	confNoFD = 0x3ffffff0
)

// confRun is one run of a case.
type confRun struct {
	ex     confExec
	base   uintptr
	mem    []byte
	next   int
	fds    map[string]int
	open   []int
	post   []func() string
	pairAt uintptr
}

// runConfCase runs c's steps and returns their transcripts; it closes
// every descriptor the case left open.
func runConfCase(ex confExec, c confCase) []string {
	base, mem := ex.arena()
	r := &confRun{ex: ex, base: base, mem: mem, fds: map[string]int{}}
	got := make([]string, len(c.steps))
	for i, st := range c.steps {
		got[i] = r.step(st)
	}
	for i := len(r.open) - 1; i >= 0; i-- {
		ex.call(NR_close, [6]uintptr{uintptr(r.open[i])})
	}
	return got
}

func (r *confRun) step(st step) string {
	nr, ok := confCalls[st.call]
	if !ok {
		panic("conformance: unknown call " + st.call)
	}
	clear(r.mem[:r.next])
	clear(r.mem[len(r.mem)-confTail:])
	r.next, r.post, r.pairAt = 0, nil, 0
	var a [6]uintptr
	for i, x := range st.args {
		a[i] = r.arg(x)
	}
	v, e := r.ex.call(nr, a)
	var b strings.Builder
	switch {
	case e != 0:
		b.WriteString(e.Name())
	case st.call == "socket" || st.call == "accept" || st.call == "accept4":
		b.WriteString("fd") // numbers differ between gosock and a test binary
	default:
		b.WriteString(strconv.Itoa(v))
	}
	for _, f := range r.post {
		b.WriteString(" ")
		b.WriteString(f())
	}
	if e == 0 {
		switch st.call {
		case "socket", "accept", "accept4":
			r.keep(st.save, v)
		case "socketpair", "pipe2":
			for i := range 2 {
				fd := int(int32(binary.LittleEndian.Uint32(r.bytes(r.pairAt+uintptr(4*i), 4))))
				name := ""
				if st.save != "" {
					name = st.save + strconv.Itoa(i)
				}
				r.keep(name, fd)
			}
		case "close":
			fd := int(int32(a[0]))
			for i, o := range r.open {
				if o == fd {
					r.open = append(r.open[:i], r.open[i+1:]...)
					break
				}
			}
		}
	}
	return b.String()
}

func (r *confRun) keep(name string, fd int) {
	r.open = append(r.open, fd)
	if name != "" {
		r.fds[name] = fd
	}
}

func (r *confRun) alloc(n int) uintptr {
	off := r.next
	r.next += (n + 15) &^ 15
	if r.next > len(r.mem)-confTail {
		panic("conformance: arena exhausted")
	}
	return r.base + uintptr(off)
}

// tail returns the address of the arena's last n bytes.
func (r *confRun) tail(n int) uintptr {
	if n > confTail {
		panic("conformance: tail too long")
	}
	return r.base + uintptr(len(r.mem)-n)
}

func (r *confRun) bytes(a uintptr, n int) []byte {
	off := int(a - r.base)
	return r.mem[off : off+n]
}

func (r *confRun) put(b []byte) uintptr {
	a := r.alloc(len(b))
	copy(r.bytes(a, len(b)), b)
	return a
}

func (r *confRun) u32(a uintptr) uint32 { return binary.LittleEndian.Uint32(r.bytes(a, 4)) }
func (r *confRun) setU32(a uintptr, v uint32) {
	binary.LittleEndian.PutUint32(r.bytes(a, 4), v)
}
func (r *confRun) setU64(a uintptr, v uint64) {
	binary.LittleEndian.PutUint64(r.bytes(a, 8), v)
}

func (r *confRun) fd(name string) uintptr {
	fd, ok := r.fds[name]
	if !ok {
		return confNoFD
	}
	return uintptr(fd)
}

// record adds an output to the step's transcript.
func (r *confRun) record(f func() string) { r.post = append(r.post, f) }

// arg lays out one argument and returns its register value.
func (r *confRun) arg(x any) uintptr {
	switch v := x.(type) {
	case nil:
		return 0
	case int:
		return uintptr(v)
	case fdn:
		return r.fd(string(v))
	case special:
		switch v {
		case fault:
			return r.base + uintptr(len(r.mem))
		case kern:
			return confKernPtr
		}
		return 0
	case []byte:
		return r.put(v)
	case out:
		a := r.alloc(int(v))
		b := r.bytes(a, int(v))
		for i := range b {
			b[i] = 0xee
		}
		r.record(func() string { return "buf=" + hex.EncodeToString(b) })
		return a
	case vlen:
		a := r.alloc(4)
		r.setU32(a, uint32(v))
		r.record(func() string { return "len=" + strconv.Itoa(int(int32(r.u32(a)))) })
		return a
	case partial:
		a := r.tail(v.n)
		copy(r.bytes(a, v.n), v.b)
		return a
	case nameOf:
		buf, lp := r.alloc(128), r.alloc(4)
		r.setU32(lp, 128)
		r.ex.call(NR_getsockname, [6]uintptr{r.fd(string(v)), buf, lp})
		return buf
	case pairOut:
		a := r.alloc(8)
		r.setU64(a, ^uint64(0))
		r.pairAt = a
		return a
	case ts:
		a := r.alloc(16)
		r.setU64(a, uint64(v.sec))
		r.setU64(a+8, uint64(v.nsec))
		return a
	case rights:
		return r.put(r.rightsBytes(v))
	case msg:
		a := r.alloc(sizeofMsghdr)
		r.msghdr(a, v)
		return a
	case mmsg:
		return r.mmsghdrs(r.alloc(len(v)*sizeofMmsghdr), v)
	case mmsgEnd:
		return r.mmsghdrs(r.tail(len(v)*sizeofMmsghdr), v)
	}
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return uintptr(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return uintptr(rv.Uint())
	}
	panic(fmt.Sprintf("conformance: argument of type %T", x))
}

// rightsBytes is a control buffer with one SCM_RIGHTS message carrying
// fds, padded to CMSG_SPACE.
func (r *confRun) rightsBytes(fds rights) []byte {
	n := 16 + 4*len(fds)
	b := make([]byte, (n+7)&^7)
	binary.LittleEndian.PutUint64(b, uint64(n))
	binary.LittleEndian.PutUint32(b[8:], abi.SOL_SOCKET)
	binary.LittleEndian.PutUint32(b[12:], abi.SCM_RIGHTS)
	for i, f := range fds {
		binary.LittleEndian.PutUint32(b[16+4*i:], uint32(r.arg(f)))
	}
	return b
}

// bufLen is the length a buffer argument implies.
func (r *confRun) bufLen(x any) uint64 {
	switch v := x.(type) {
	case []byte:
		return uint64(len(v))
	case out:
		return uint64(v)
	case rights:
		return uint64(len(r.rightsBytes(v)))
	}
	return 0
}

// msghdr writes m at a.
func (r *confRun) msghdr(a uintptr, m msg) {
	name := r.arg(m.name)
	var iov uintptr
	if len(m.iov) > 0 {
		iov = r.alloc(len(m.iov) * sizeofIovec)
		for i, e := range m.iov {
			var base uintptr
			var n uint64
			if v, ok := e.(iovec); ok {
				base, n = r.arg(v.base), v.len
			} else {
				base, n = r.arg(e), r.bufLen(e)
			}
			r.setU64(iov+uintptr(i*sizeofIovec), uint64(base))
			r.setU64(iov+uintptr(i*sizeofIovec)+8, n)
		}
	}
	iovlen := uint64(len(m.iov))
	if m.iovp != nil {
		iov = r.arg(m.iovp)
	}
	if m.iovlen != 0 {
		iovlen = m.iovlen
	}
	ctl := r.arg(m.control)
	ctllen := r.bufLen(m.control)
	if m.ctllen != 0 {
		ctllen = m.ctllen
	}
	r.setU64(a, uint64(name))
	r.setU32(a+8, uint32(m.namelen))
	r.setU64(a+16, uint64(iov))
	r.setU64(a+24, iovlen)
	r.setU64(a+32, uint64(ctl))
	r.setU64(a+40, ctllen)
	r.setU32(a+48, m.flags)
	if m.rec {
		r.record(func() string {
			return fmt.Sprintf("namelen=%d controllen=%d flags=%#x",
				int32(r.u32(a+8)), binary.LittleEndian.Uint64(r.bytes(a+40, 8)), r.u32(a+48))
		})
	}
}

// mmsghdrs writes an array of struct mmsghdr at a and records msg_len.
func (r *confRun) mmsghdrs(a uintptr, ms []msg) uintptr {
	for i, m := range ms {
		r.msghdr(a+uintptr(i*sizeofMmsghdr), m)
	}
	r.record(func() string {
		lens := make([]string, len(ms))
		for i := range ms {
			lens[i] = strconv.Itoa(int(r.u32(a + uintptr(i*sizeofMmsghdr) + sizeofMsghdr)))
		}
		return "msglen=" + strings.Join(lens, ",")
	})
	return a
}

// describe formats a step for failure messages.
func (s step) describe() string {
	args := make([]string, len(s.args))
	for i, a := range s.args {
		switch v := a.(type) {
		case fdn:
			args[i] = string(v)
		case special:
			args[i] = [...]string{"?", "fault", "kern", "NULL"}[v]
		case []byte:
			args[i] = fmt.Sprintf("bytes[%d]", len(v))
		case out:
			args[i] = fmt.Sprintf("out[%d]", int(v))
		case vlen:
			args[i] = fmt.Sprintf("&%d", int32(v))
		case partial:
			args[i] = fmt.Sprintf("partial[%d of %d]", v.n, len(v.b))
		case nameOf:
			args[i] = "name of " + string(v)
		case pairOut:
			args[i] = "int[2]"
		case msg:
			args[i] = "msghdr"
		case mmsg, mmsgEnd:
			args[i] = "mmsghdr[]"
		case rights:
			args[i] = fmt.Sprintf("SCM_RIGHTS[%d]", len(v))
		default:
			args[i] = fmt.Sprint(v)
		}
	}
	return s.call + "(" + strings.Join(args, ", ") + ")"
}

// checkConf compares a run's transcripts with the table: who is
// "gosock" or "linux".
func checkConf(t *testing.T, who string, c confCase, got []string) {
	t.Helper()
	for i, st := range c.steps {
		want := st.want
		if who == "gosock" {
			want = st.gosockWant()
		}
		if got[i] == want {
			continue
		}
		if who == "gosock" {
			t.Errorf("case %q step %d %s:\n  gosock: %s\n  linux:  %s", c.name, i, st.describe(), got[i], st.want)
			if st.knownDiff != "" {
				t.Errorf("  (known difference %q no longer holds)", st.knownDiff)
			}
		} else {
			t.Errorf("case %q step %d %s:\n  linux (this kernel): %s\n  table:               %s", c.name, i, st.describe(), got[i], st.want)
		}
	}
}

// gosockExec runs cases against a gosock process.
type gosockExec struct {
	p *Process
	m *SliceMemory
}

func (g *gosockExec) arena() (uintptr, []byte) { return g.m.Base(), g.m.Bytes() }

func (g *gosockExec) call(nr int, a [6]uintptr) (int, errno.Errno) {
	r, err := g.p.Syscall(g.m, nr, a[0], a[1], a[2], a[3], a[4], a[5])
	if err != nil {
		e, ok := errno.Of(err)
		if !ok {
			panic(fmt.Sprintf("conformance: gosock returned a non-errno error: %v", err))
		}
		return -1, e
	}
	return r, 0
}

// TestConformance runs the table against gosock.
func TestConformance(t *testing.T) {
	checkConfTable(t)
	ns := gosock.NewNamespace(netns.Options{Name: "conformance", Seed: 1})
	t.Cleanup(func() { ns.Close() })
	steps, diffs := 0, 0
	perCall := map[string]int{}
	for _, c := range confCases {
		steps += len(c.steps)
		for _, st := range c.steps {
			perCall[st.call]++
			if st.knownDiff != "" {
				diffs++
			}
		}
		t.Run(c.name, func(t *testing.T) {
			o := Options{}
			if c.unpriv {
				o = Options{UID: 1000, Caps: 0}
			}
			p := NewProcess(ns, o)
			defer p.Exit()
			// A step that blocks for good (a mistake in a case, or a
			// gosock bug) ends with EINTR instead of hanging the test.
			dog := time.AfterFunc(10*time.Second, p.Interrupt)
			defer dog.Stop()
			ex := &gosockExec{p: p, m: NewSliceMemory(0x10000, confArenaSize)}
			checkConf(t, "gosock", c, runConfCase(ex, c))
		})
	}
	t.Logf("%d cases, %d steps, %d known differences", len(confCases), steps, diffs)
	calls := make([]string, 0, len(perCall))
	for c, n := range perCall {
		calls = append(calls, fmt.Sprintf("%s %d", c, n))
	}
	slices.Sort(calls)
	t.Logf("steps per call: %s", strings.Join(calls, ", "))
}

// checkConfTable checks the table itself: names unique, calls known,
// known differences well formed.
func checkConfTable(t *testing.T) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range confCases {
		if seen[c.name] {
			t.Errorf("case %q appears twice", c.name)
		}
		seen[c.name] = true
		for i, st := range c.steps {
			if _, ok := confCalls[st.call]; !ok {
				t.Errorf("case %q step %d: unknown call %q", c.name, i, st.call)
			}
			if len(st.args) > 6 {
				t.Errorf("case %q step %d: %d arguments", c.name, i, len(st.args))
			}
			if d := st.knownDiff; d != "" {
				if v, why, ok := strings.Cut(d, ": "); !ok || v == "" || why == "" || v == st.want {
					t.Errorf("case %q step %d: known difference %q is not \"GOSOCK: reason\"", c.name, i, d)
				}
			}
		}
	}
}

// Table helpers.

const (
	inet      = abi.AF_INET
	inet6     = abi.AF_INET6
	local     = abi.AF_UNIX
	pkt       = abi.AF_PACKET
	stream    = abi.SOCK_STREAM
	dgram     = abi.SOCK_DGRAM
	sockRaw   = abi.SOCK_RAW
	seqpacket = abi.SOCK_SEQPACKET
	nonblock  = abi.SOCK_NONBLOCK
	cloexec   = abi.SOCK_CLOEXEC
	solSocket = abi.SOL_SOCKET
	nosig     = abi.MSG_NOSIGNAL
	dontwait  = abi.MSG_DONTWAIT
)

// sin is a sockaddr_in.
func sin(ip string, port int) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b, abi.AF_INET)
	binary.BigEndian.PutUint16(b[2:], uint16(port))
	a := netip.MustParseAddr(ip).As4()
	copy(b[4:], a[:])
	return b
}

// sin6 is a sockaddr_in6 with a scope id.
func sin6(ip string, port int, scope uint32) []byte {
	b := make([]byte, 28)
	binary.LittleEndian.PutUint16(b, abi.AF_INET6)
	binary.BigEndian.PutUint16(b[2:], uint16(port))
	a := netip.MustParseAddr(ip).As16()
	copy(b[8:], a[:])
	binary.LittleEndian.PutUint32(b[24:], scope)
	return b
}

// sun is a sockaddr_un of length 2+len(path) (abstract when path starts
// with a NUL).
func sun(path string) []byte {
	b := make([]byte, 2+len(path))
	binary.LittleEndian.PutUint16(b, abi.AF_UNIX)
	copy(b[2:], path)
	return b
}

// sll is a sockaddr_ll (protocol in host order, stored big-endian).
func sll(ifindex int32, proto uint16) []byte {
	b := make([]byte, 20)
	binary.LittleEndian.PutUint16(b, abi.AF_PACKET)
	binary.BigEndian.PutUint16(b[2:], proto)
	binary.LittleEndian.PutUint32(b[4:], uint32(ifindex))
	return b
}

// spkt is a struct sockaddr (16 bytes) naming a device, as SOCK_PACKET
// takes it.
func spkt(dev string) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b, abi.AF_PACKET)
	copy(b[2:], dev)
	return b
}

// fam returns a copy of the address with another family.
func fam(b []byte, f int) []byte {
	c := append([]byte(nil), b...)
	binary.LittleEndian.PutUint16(c, uint16(f))
	return c
}

// pad returns b extended with zeros to n bytes.
func pad(b []byte, n int) []byte { return append(append([]byte(nil), b...), make([]byte, n-len(b))...) }

// trunc returns b's first n bytes.
func trunc(b []byte, n int) []byte { return append([]byte(nil), b[:n]...) }

func le32(v int32) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }

// tv is a struct timeval.
func tv(sec, usec int64) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(sec))
	return binary.LittleEndian.AppendUint64(b, uint64(usec))
}

// linger is a struct linger.
func linger(on, secs int32) []byte { return append(le32(on), le32(secs)...) }

// cmsg is one control message, padded to CMSG_SPACE; length overrides
// cmsg_len when nonzero.
func cmsg(level, typ int32, data []byte, length uint64) []byte {
	n := 16 + len(data)
	b := make([]byte, (n+7)&^7)
	if length == 0 {
		length = uint64(n)
	}
	binary.LittleEndian.PutUint64(b, length)
	binary.LittleEndian.PutUint32(b[8:], uint32(level))
	binary.LittleEndian.PutUint32(b[12:], uint32(typ))
	copy(b[16:], data)
	return b
}

func txt(s string) []byte { return []byte(s) }

// ee is n bytes of 0xee, the fill of out buffers.
func ee(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 0xee
	}
	return b
}

// hx is the hex of the concatenated parts, as outputs are recorded.
func hx(parts ...[]byte) string {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return hex.EncodeToString(b)
}

// repeat returns n copies of x.
func repeat(x any, n int) []any {
	s := make([]any, n)
	for i := range s {
		s[i] = x
	}
	return s
}

// cat joins groups of cases into the table.
func cat(groups ...[]confCase) []confCase {
	var all []confCase
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

// The table.

var confCases = cat(
	socketCases,
	socketpairCases,
	descriptorCases(),
	bindCases,
	listenCases,
	acceptCases,
	connectCases,
	nameCases,
	sendCases,
	recvCases,
	sendmsgCases,
	recvmsgCases,
	mmsgCases,
	shutdownCases,
	setsockoptCases,
	getsockoptCases,
	packetCases,
)

// descriptorCases are, for each socket call, the descriptor checks
// every one makes before looking at its other arguments (whose pointers
// are bad here, to show the order): EBADF for -1, INT_MAX, a number past
// the table and a closed descriptor, ENOTSOCK for both ends of a pipe.
// connect reads its address before ENOTSOCK, and sendto and recvfrom
// check their buffer's range before the descriptor, so those get valid
// ones here; their orders have cases of their own below.
func descriptorCases() []confCase {
	calls := []struct {
		call string
		rest []any
	}{
		{"bind", []any{fault, 16}},
		{"listen", []any{5}},
		{"accept", []any{fault, fault}},
		{"accept4", []any{fault, fault, 0}},
		{"connect", []any{sin("127.0.0.1", 1), 16}},
		{"getsockname", []any{fault, fault}},
		{"getpeername", []any{fault, fault}},
		{"sendto", []any{txt("x"), 1, nosig, fault, 16}},
		{"recvfrom", []any{make([]byte, 4), 4, dontwait, fault, fault}},
		{"sendmsg", []any{fault, 0}},
		{"recvmsg", []any{fault, 0}},
		{"sendmmsg", []any{fault, 1, 0}},
		{"recvmmsg", []any{fault, 1, 0, null}},
		{"shutdown", []any{99}},
		{"setsockopt", []any{solSocket, abi.SO_REUSEADDR, fault, -1}},
		{"getsockopt", []any{solSocket, abi.SO_TYPE, fault, fault}},
	}
	var cs []confCase
	for _, c := range calls {
		with := func(fd any) []any { return append([]any{fd}, c.rest...) }
		cs = append(cs, confCase{name: c.call + "/descriptor", steps: []step{
			do("pipe2", "0", pair, 0).as("p"),
			do("socket", "fd", inet, dgram, 0).as("c"),
			do("close", "0", fdn("c")),
			do(c.call, "EBADF", with(-1)...),
			do(c.call, "EBADF", with(0x7fffffff)...),
			do(c.call, "EBADF", with(1<<20)...),
			do(c.call, "EBADF", with(fdn("c"))...),
			do(c.call, "ENOTSOCK", with(fdn("p0"))...),
			do(c.call, "ENOTSOCK", with(fdn("p1"))...),
		}})
	}
	return cs
}

var socketCases = []confCase{
	{name: "socket/family and type", steps: []step{
		do("socket", "EAFNOSUPPORT", -1, stream, 0),
		do("socket", "EAFNOSUPPORT", abi.AF_MAX, stream, 0),
		do("socket", "EAFNOSUPPORT", 1000, stream, 0),
		do("socket", "EINVAL", inet, stream|0x10000, 0),
		do("socket", "EINVAL", -1, stream|0x10000, 0), // the flags before the family
		do("socket", "EINVAL", inet, -1, 0),
		do("socket", "EINVAL", inet, 11, 0), // SOCK_MAX
		do("socket", "EINVAL", inet, 15, 0),
		do("socket", "EAFNOSUPPORT", -1, 11, 0), // the family before the type
		do("socket", "EINVAL", inet6, 12, 0),
	}},
	{name: "socket/inet types and protocols", steps: []step{
		do("socket", "ESOCKTNOSUPPORT", inet, seqpacket, 0),
		do("socket", "ESOCKTNOSUPPORT", inet, 0, 0),
		do("socket", "ESOCKTNOSUPPORT", inet, abi.SOCK_RDM, 0),
		do("socket", "EPROTONOSUPPORT", inet, stream, abi.IPPROTO_UDP),
		do("socket", "EINVAL", inet, stream, 263), // IPPROTO_MAX
		do("socket", "EINVAL", inet, stream, -1),
		do("socket", "EPROTONOSUPPORT", inet, dgram, abi.IPPROTO_TCP),
		do("socket", "fd", inet, stream, abi.IPPROTO_TCP),
		do("socket", "fd", inet, dgram, abi.IPPROTO_UDP),
		do("socket", "ESOCKTNOSUPPORT", inet6, seqpacket, 0),
		do("socket", "EINVAL", inet6, dgram, 263),
		do("socket", "fd", inet6, stream, abi.IPPROTO_TCP),
		do("socket", "fd", inet6, dgram, 0),
		do("socket", "fd", inet, sockRaw, abi.IPPROTO_ICMP),
		do("socket", "fd", inet, sockRaw, 255),
		do("socket", "fd", inet6, sockRaw, abi.IPPROTO_ICMPV6),
		// Ping sockets: the namespace's ping_group_range is "1 0".
		do("socket", "EACCES", inet, dgram, abi.IPPROTO_ICMP),
		do("socket", "EACCES", inet6, dgram, abi.IPPROTO_ICMPV6),
	}},
	{name: "socket/flags", steps: []step{
		do("socket", "fd", inet, stream|nonblock|cloexec, 0).as("s"),
		do("fcntl", "2050", fdn("s"), abi.F_GETFL), // O_RDWR|O_NONBLOCK
		do("fcntl", "1", fdn("s"), abi.F_GETFD),
		do("socket", "fd", local, dgram|cloexec, 0).as("u"),
		do("fcntl", "2", fdn("u"), abi.F_GETFL),
		do("fcntl", "1", fdn("u"), abi.F_GETFD),
		do("socket", "fd", inet6, dgram|nonblock, 0).as("v"),
		do("recvfrom", "EAGAIN", fdn("v"), make([]byte, 4), 4, 0, null, null),
		do("close", "0", fdn("v")),
		do("close", "EBADF", fdn("v")),
		do("close", "EBADF", -1),
	}},
	{name: "socket/type, domain and protocol options", steps: []step{
		do("socket", "fd", inet, stream, 0).as("s"),
		do("getsockopt", "0 buf=01000000 len=4", fdn("s"), solSocket, abi.SO_TYPE, out(4), vlen(4)),
		do("getsockopt", "0 buf=02000000 len=4", fdn("s"), solSocket, abi.SO_DOMAIN, out(4), vlen(4)),
		do("getsockopt", "0 buf=06000000 len=4", fdn("s"), solSocket, abi.SO_PROTOCOL, out(4), vlen(4)),
		do("socket", "fd", inet6, dgram, 0).as("t"),
		do("getsockopt", "0 buf=0a000000 len=4", fdn("t"), solSocket, abi.SO_DOMAIN, out(4), vlen(4)),
		do("getsockopt", "0 buf=11000000 len=4", fdn("t"), solSocket, abi.SO_PROTOCOL, out(4), vlen(4)),
		do("socket", "fd", local, sockRaw, 0).as("u"),
		do("getsockopt", "0 buf=02000000 len=4", fdn("u"), solSocket, abi.SO_TYPE, out(4), vlen(4)), // SOCK_RAW is SOCK_DGRAM
		do("socket", "fd", local, stream, local).as("w"),
		do("getsockopt", "0 buf=00000000 len=4", fdn("w"), solSocket, abi.SO_PROTOCOL, out(4), vlen(4)),
		do("socket", "fd", inet, sockRaw, abi.IPPROTO_ICMP).as("r"),
		do("getsockopt", "0 buf=03000000 len=4", fdn("r"), solSocket, abi.SO_TYPE, out(4), vlen(4)),
		do("getsockopt", "0 buf=01000000 len=4", fdn("r"), solSocket, abi.SO_PROTOCOL, out(4), vlen(4)),
	}},
	{name: "socket/unix types", steps: []step{
		do("socket", "fd", local, stream, 0),
		do("socket", "fd", local, stream, local),
		do("socket", "EPROTONOSUPPORT", local, stream, 2),
		do("socket", "EPROTONOSUPPORT", local, dgram, -1),
		do("socket", "ESOCKTNOSUPPORT", local, abi.SOCK_RDM, 0),
		do("socket", "EPROTONOSUPPORT", local, abi.SOCK_RDM, 5), // the protocol before the type
		do("socket", "ESOCKTNOSUPPORT", local, 0, 0),
		do("socket", "ESOCKTNOSUPPORT", local, abi.SOCK_PACKET, 0),
		do("socket", "fd", local, seqpacket, 0),
		do("socket", "fd", local, sockRaw, 0),
	}},
	{name: "socket/packet", steps: []step{
		do("socket", "fd", pkt, sockRaw, 0),
		do("socket", "fd", pkt, dgram, 0),
		do("socket", "ESOCKTNOSUPPORT", pkt, stream, 0),
		do("socket", "ESOCKTNOSUPPORT", pkt, seqpacket, 0),
		do("socket", "fd", pkt, abi.SOCK_PACKET, 0),
		do("socket", "fd", inet, abi.SOCK_PACKET, 0).as("sp"), // Linux 2.0's spelling of AF_PACKET
		do("getsockopt", "0 buf=11000000 len=4", fdn("sp"), solSocket, abi.SO_DOMAIN, out(4), vlen(4)),
		do("getsockopt", "0 buf=0a000000 len=4", fdn("sp"), solSocket, abi.SO_TYPE, out(4), vlen(4)),
	}},
	{name: "socket/unprivileged", unpriv: true, steps: []step{
		do("socket", "EPERM", inet, sockRaw, abi.IPPROTO_ICMP),
		do("socket", "EPERM", inet, sockRaw, 255),
		do("socket", "EPERM", inet6, sockRaw, abi.IPPROTO_ICMPV6),
		do("socket", "EPERM", pkt, sockRaw, 0),
		do("socket", "EPERM", pkt, stream, 0), // the capability before the type
		do("socket", "EPERM", inet, abi.SOCK_PACKET, 0),
		do("socket", "EACCES", inet, dgram, abi.IPPROTO_ICMP),
		do("socket", "EACCES", inet6, dgram, abi.IPPROTO_ICMPV6),
		do("socket", "EPROTONOSUPPORT", inet, sockRaw, 0), // the protocol lookup before the capability
		do("socket", "fd", inet, stream, 0),
		do("socket", "fd", local, dgram, 0),
		do("socketpair", "EPERM", inet, sockRaw, abi.IPPROTO_ICMP, pair),
	}},
}

var socketpairCases = []confCase{
	{name: "socketpair", steps: []step{
		do("socketpair", "0", local, stream, 0, pair).as("u"),
		do("sendto", "2", fdn("u0"), txt("ab"), 2, 0, null, 0),
		do("recvfrom", "2 buf=6162eeee buf=eeeeeeee len=0", fdn("u1"), out(4), 4, 0, out(4), vlen(4)),
		do("socketpair", "EINVAL", local, stream|0x10000, 0, pair),
		do("socketpair", "EINVAL", -1, stream|0x10000, 0, fault), // the flags first
		do("socketpair", "EFAULT", local, stream, 0, fault),
		do("socketpair", "EFAULT", -1, stream, 0, fault), // the result array before the family
		do("socketpair", "EFAULT", local, stream, 0, partial{make([]byte, 8), 4}),
		do("socketpair", "EFAULT", local, stream, 0, kern),
		do("socketpair", "EFAULT", local, stream, 0, null),
		do("socketpair", "EAFNOSUPPORT", -1, stream, 0, pair),
		do("socketpair", "EOPNOTSUPP", inet, stream, 0, pair),
		do("socketpair", "EOPNOTSUPP", inet, dgram, 0, pair),
		do("socketpair", "EOPNOTSUPP", inet6, stream, 0, pair),
		do("socketpair", "ESOCKTNOSUPPORT", inet, seqpacket, 0, pair),
		do("socketpair", "EOPNOTSUPP", pkt, sockRaw, 0, pair),
		do("socketpair", "ESOCKTNOSUPPORT", local, abi.SOCK_RDM, 0, pair),
		do("socketpair", "EPROTONOSUPPORT", local, stream, 2, pair),
		do("socketpair", "0", local, dgram, 0, pair),
		do("socketpair", "0", local, seqpacket, 0, pair),
		do("socketpair", "0", local, sockRaw, 0, pair).as("r"),
		do("getsockopt", "0 buf=02000000 len=4", fdn("r0"), solSocket, abi.SO_TYPE, out(4), vlen(4)),
		do("socketpair", "0", local, stream|nonblock|cloexec, 0, pair).as("n"),
		do("fcntl", "2050", fdn("n1"), abi.F_GETFL),
		do("fcntl", "1", fdn("n0"), abi.F_GETFD),
	}},
}

var bindCases = []confCase{
	{name: "bind/inet address length", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("s"),
		do("bind", "EINVAL", fdn("s"), sin("127.0.0.1", 0), -1),
		do("bind", "EINVAL", fdn("s"), pad(sin("127.0.0.1", 0), 129), 129), // longer than sockaddr_storage
		do("bind", "EINVAL", fdn("s"), sin("127.0.0.1", 0), 15),
		do("bind", "EINVAL", fdn("s"), sin("127.0.0.1", 0), 0),
		do("bind", "EFAULT", fdn("s"), fault, 16),
		do("bind", "EINVAL", fdn("s"), fault, 0), // nothing read
		do("bind", "EINVAL", fdn("s"), fault, 129),
		do("bind", "EFAULT", fdn("s"), null, 16),
		do("bind", "EFAULT", fdn("s"), kern, 16),
		do("bind", "EFAULT", fdn("s"), partial{sin("127.0.0.1", 0), 8}, 16),
		do("bind", "0", fdn("s"), pad(sin("127.0.0.1", 5001), 128), 128),
		do("getsockname", "0 buf="+hx(sin("127.0.0.1", 5001))+" len=16", fdn("s"), out(16), vlen(16)),
	}},
	{name: "bind/inet family and address", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("s"),
		do("bind", "EAFNOSUPPORT", fdn("s"), fam(sin("0.0.0.0", 0), inet6), 16),
		do("bind", "EAFNOSUPPORT", fdn("s"), fam(sin("127.0.0.1", 0), 0), 16), // AF_UNSPEC only with INADDR_ANY
		do("bind", "EADDRNOTAVAIL", fdn("s"), sin("10.1.2.3", 0), 16),
		do("bind", "0", fdn("s"), fam(sin("0.0.0.0", 5002), 0), 16),
		do("getsockname", "0 buf="+hx(sin("0.0.0.0", 5002))+" len=16", fdn("s"), out(16), vlen(16)),
		do("socket", "fd", inet, stream, 0).as("t"),
		do("bind", "0", fdn("t"), sin("127.0.0.2", 5002), 16), // all of 127/8 is local
		do("getsockname", "0 buf="+hx(sin("127.0.0.2", 5002))+" len=16", fdn("t"), out(16), vlen(16)),
		do("socket", "fd", inet, stream, 0).as("m"),
		do("bind", "0", fdn("m"), sin("224.1.2.3", 0), 16),
		do("socket", "fd", inet, dgram, 0).as("b"),
		do("bind", "0", fdn("b"), sin("255.255.255.255", 0), 16),
	}},
	{name: "bind/inet checks in order", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("s"),
		do("bind", "0", fdn("s"), sin("127.0.0.1", 5003), 16),
		do("bind", "EADDRNOTAVAIL", fdn("s"), sin("10.1.2.3", 0), 16), // the address before the double bind
		do("bind", "EAFNOSUPPORT", fdn("s"), fam(sin("127.0.0.1", 0), inet6), 16),
		do("bind", "EINVAL", fdn("s"), sin("127.0.0.1", 0), 8),
		do("bind", "EINVAL", fdn("s"), sin("127.0.0.1", 5004), 16),
		do("socket", "fd", inet, dgram, 0).as("t"),
		do("bind", "EADDRINUSE", fdn("t"), sin("127.0.0.1", 5003), 16),
		do("bind", "EADDRINUSE", fdn("t"), sin("0.0.0.0", 5003), 16),
		do("bind", "0", fdn("t"), sin("127.0.0.2", 5003), 16),
		do("socket", "fd", inet, stream, 0).as("u"),
		do("bind", "0", fdn("u"), sin("127.0.0.1", 5003), 16), // TCP ports are another space
		do("listen", "0", fdn("u"), 1),
		do("bind", "EINVAL", fdn("u"), sin("127.0.0.1", 0), 16),
		do("socket", "fd", inet, stream, 0).as("w"),
		do("listen", "0", fdn("w"), 1), // binds a port
		do("bind", "EINVAL", fdn("w"), sin("127.0.0.1", 0), 16),
	}},
	{name: "bind/inet6", steps: []step{
		do("socket", "fd", inet6, dgram, 0).as("s"),
		do("bind", "EINVAL", fdn("s"), trunc(sin6("::1", 0, 0), 23), 23),
		do("bind", "EINVAL", fdn("s"), sin("127.0.0.1", 0), 16),
		do("bind", "EAFNOSUPPORT", fdn("s"), fam(sin6("::1", 0, 0), inet), 28),
		do("bind", "EAFNOSUPPORT", fdn("s"), fam(sin6("::", 0, 0), 0), 28),
		do("bind", "EADDRNOTAVAIL", fdn("s"), sin6("2001:db8::1", 0, 0), 28),
		do("bind", "0", fdn("s"), trunc(sin6("::1", 5005, 0), 24), 24), // RFC 2133's length
		do("getsockname", "0 buf="+hx(sin6("::1", 5005, 0))+" len=28", fdn("s"), out(28), vlen(28)),
		do("bind", "EINVAL", fdn("s"), sin6("2001:db8::1", 0, 0), 28), // v6: the double bind before the address
		do("socket", "fd", inet6, stream, 0).as("t"),
		do("bind", "EINVAL", fdn("t"), sin6("ff0e::1", 0, 0), 28), // multicast on a stream socket
		do("socket", "fd", inet6, dgram, 0).as("u"),
		do("bind", "0", fdn("u"), sin6("ff0e::1", 5005, 0), 28),
		do("socket", "fd", inet6, dgram, 0).as("m"),
		do("bind", "0", fdn("m"), sin6("::ffff:127.0.0.1", 5006, 0), 28),
		do("getsockname", "0 buf="+hx(sin6("::ffff:127.0.0.1", 5006, 0))+" len=28", fdn("m"), out(28), vlen(28)),
		do("socket", "fd", inet6, dgram, 0).as("o"),
		do("setsockopt", "0", fdn("o"), abi.SOL_IPV6, abi.IPV6_V6ONLY, le32(1), 4),
		do("bind", "EINVAL", fdn("o"), sin6("::ffff:127.0.0.1", 0, 0), 28),
		do("socket", "fd", inet6, dgram, 0).as("x"),
		do("bind", "EADDRNOTAVAIL", fdn("x"), sin6("::ffff:10.1.2.3", 0, 0), 28),
	}},
	{name: "bind/inet6 link-local scope", steps: []step{
		do("socket", "fd", inet6, dgram, 0).as("s"),
		do("bind", "EINVAL", fdn("s"), sin6("fe80::1", 0, 0), 28), // needs an interface
		do("bind", "EADDRNOTAVAIL", fdn("s"), sin6("fe80::1", 0, 1), 28),
		do("bind", "0", fdn("s"), sin6("::1", 0, 0), 28),
		do("socket", "fd", inet6, dgram, 0).as("t"),
		do("bind", "ENODEV", fdn("t"), sin6("fe80::1", 0, 99), 28),
		// The failed bind left the socket bound to interface 99.
		do("bind", "ENODEV", fdn("t"), sin6("::1", 0, 0), 28).
			diff("0: gosock's bind6 checks sin6_scope_id without keeping it; Linux stores it in sk_bound_dev_if before looking the interface up, and a failed bind leaves it there"),
	}},
	{name: "bind/unprivileged ports", unpriv: true, steps: []step{
		do("socket", "fd", inet, dgram, 0).as("s"),
		do("bind", "EACCES", fdn("s"), sin("127.0.0.1", 80), 16),
		do("bind", "EACCES", fdn("s"), sin("127.0.0.1", 1023), 16),
		do("bind", "EADDRNOTAVAIL", fdn("s"), sin("10.1.2.3", 80), 16), // v4: the address before the port
		do("bind", "0", fdn("s"), sin("127.0.0.1", 1024), 16),
		do("bind", "EACCES", fdn("s"), sin("127.0.0.1", 80), 16), // the port before the double bind
		do("socket", "fd", inet6, dgram, 0).as("t"),
		do("bind", "EACCES", fdn("t"), sin6("2001:db8::1", 80, 0), 28), // v6: the port before the address
		do("bind", "0", fdn("t"), sin6("::1", 1025, 0), 28),
		do("bind", "EACCES", fdn("t"), sin6("::1", 80, 0), 28),
		do("socket", "fd", inet, stream, 0).as("u"),
		do("bind", "0", fdn("u"), sin("127.0.0.1", 0), 16),
	}},
	{name: "bind/unix", steps: []step{
		do("socket", "fd", local, stream, 0).as("s"),
		do("bind", "0", fdn("s"), sun("\x00conf-bind"), 12),
		do("getsockname", "0 buf="+hx(sun("\x00conf-bind"), ee(4))+" len=12", fdn("s"), out(16), vlen(16)),
		do("bind", "EINVAL", fdn("s"), sun("\x00conf-other"), 13), // bound already
		do("bind", "0", fdn("s"), sun(""), 2),                     // autobind: bound already, nothing to do
		do("socket", "fd", local, stream, 0).as("t"),
		do("bind", "EADDRINUSE", fdn("t"), sun("\x00conf-bind"), 12),
		do("bind", "EINVAL", fdn("t"), sun("\x00conf-bind"), 1),
		do("bind", "EINVAL", fdn("t"), sun("\x00conf-bind"), 0),
		do("bind", "EINVAL", fdn("t"), pad(sun("\x00x"), 111), 111),
		do("bind", "EINVAL", fdn("t"), fam(sun("\x00conf-x"), inet), 9),
		do("bind", "EINVAL", fdn("t"), fam(sun(""), inet), 2),
		do("bind", "EFAULT", fdn("t"), fault, 12),
		do("bind", "0", fdn("t"), sun(""), 2), // autobind
		do("getsockname", "0 buf=0100 len=8", fdn("t"), out(2), vlen(2)),
		do("socket", "fd", local, dgram, 0).as("u"),
		do("bind", "0", fdn("u"), sun("\x00conf-bind"), 12), // abstract names are per type
		do("socket", "fd", local, seqpacket, 0).as("q"),
		do("bind", "0", fdn("q"), pad(sun("\x00conf-long"), 110), 110),
		do("getsockname", "0 buf=0100 len=110", fdn("q"), out(2), vlen(2)),
	}},
}

var listenCases = []confCase{
	{name: "listen", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("listen", "EOPNOTSUPP", fdn("u"), 5),
		do("socket", "fd", inet6, dgram, 0).as("u6"),
		do("listen", "EOPNOTSUPP", fdn("u6"), 5),
		do("socket", "fd", local, dgram, 0).as("d"),
		do("listen", "EOPNOTSUPP", fdn("d"), 5),
		do("socket", "fd", local, stream, 0).as("s"),
		do("listen", "EINVAL", fdn("s"), 5), // not bound
		do("bind", "0", fdn("s"), sun("\x00conf-listen"), 14),
		do("listen", "0", fdn("s"), 5),
		do("listen", "0", fdn("s"), -1),
		do("getsockopt", "0 buf=01000000 len=4", fdn("s"), solSocket, abi.SO_ACCEPTCONN, out(4), vlen(4)),
		do("socketpair", "0", local, stream, 0, pair).as("p"),
		do("listen", "EINVAL", fdn("p0"), 5),
		do("socket", "fd", local, seqpacket, 0).as("q"),
		do("bind", "0", fdn("q"), sun("\x00conf-listen-sq"), 17),
		do("listen", "0", fdn("q"), 5),
		do("socket", "fd", inet, stream, 0).as("t"),
		do("getsockopt", "0 buf=00000000 len=4", fdn("t"), solSocket, abi.SO_ACCEPTCONN, out(4), vlen(4)),
		do("listen", "0", fdn("t"), 0),
		do("listen", "0", fdn("t"), 1<<20),
		do("getsockopt", "0 buf=01000000 len=4", fdn("t"), solSocket, abi.SO_ACCEPTCONN, out(4), vlen(4)),
		do("getsockname", "0 buf=0200 len=16", fdn("t"), out(2), vlen(2)),
		do("socket", "fd", inet6, stream, 0).as("t6"),
		do("listen", "0", fdn("t6"), -1),
	}},
}

// tcpPair connects c to a listener l bound to 127.0.0.1:port and
// accepts it as a.
func tcpPair(port int) []step {
	return []step{
		do("socket", "fd", inet, stream, 0).as("l"),
		do("bind", "0", fdn("l"), sin("127.0.0.1", port), 16),
		do("listen", "0", fdn("l"), 8),
		do("socket", "fd", inet, stream, 0).as("c"),
		do("connect", "0", fdn("c"), sin("127.0.0.1", port), 16),
		do("accept", "fd", fdn("l"), null, null).as("a"),
	}
}

func steps(groups ...[]step) []step {
	var all []step
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

var acceptCases = []confCase{
	{name: "accept/order and state", steps: []step{
		do("pipe2", "0", pair, 0).as("p"),
		do("accept4", "EBADF", -1, fault, fault, 0x1234),
		do("accept4", "EINVAL", fdn("p0"), null, null, 0x1234), // the flags before ENOTSOCK
		do("accept4", "ENOTSOCK", fdn("p0"), fault, fault, 0),
		do("socket", "fd", inet, stream|nonblock, 0).as("s"),
		do("accept4", "EINVAL", fdn("s"), null, null, -1),
		do("accept4", "EINVAL", fdn("s"), null, null, abi.O_RDWR),
		do("accept4", "EINVAL", fdn("s"), fault, fault, 0), // not listening
		do("accept", "EINVAL", fdn("s"), null, null),
		do("listen", "0", fdn("s"), 1),
		do("accept4", "EAGAIN", fdn("s"), fault, fault, nonblock|cloexec),
		do("accept", "EAGAIN", fdn("s"), null, null),
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("accept", "EOPNOTSUPP", fdn("u"), null, null),
		do("socket", "fd", local, dgram, 0).as("d"),
		do("accept", "EOPNOTSUPP", fdn("d"), null, null),
		do("socket", "fd", local, stream, 0).as("us"),
		do("accept", "EINVAL", fdn("us"), null, null),
		do("socket", "fd", pkt, sockRaw, 0).as("k"),
		do("accept", "EOPNOTSUPP", fdn("k"), null, null),
	}},
	{name: "accept/addresses", steps: []step{
		do("socket", "fd", inet, stream, 0).as("l"),
		do("bind", "0", fdn("l"), sin("127.0.0.1", 5010), 16),
		do("listen", "0", fdn("l"), 8),
		do("socket", "fd", inet, stream, 0).as("c1"),
		do("connect", "0", fdn("c1"), sin("127.0.0.1", 5010), 16),
		do("accept", "fd buf=0200eeee len=16", fdn("l"), out(4), vlen(2)),
		do("socket", "fd", inet, stream, 0).as("c2"),
		do("connect", "0", fdn("c2"), nameOf("l"), 16),
		do("accept4", "fd len=16", fdn("l"), null, vlen(16), cloexec).as("a2"),
		do("fcntl", "1", fdn("a2"), abi.F_GETFD),
		do("fcntl", "2", fdn("a2"), abi.F_GETFL),
		do("socket", "fd", inet, stream, 0).as("c3"),
		do("connect", "0", fdn("c3"), sin("127.0.0.1", 5010), 16),
		do("accept4", "fd buf=eeeeeeee len=16", fdn("l"), out(4), vlen(0), nonblock).as("a3"),
		do("fcntl", "2050", fdn("a3"), abi.F_GETFL),
		do("getpeername", "0 buf=0200 len=16", fdn("a3"), out(2), vlen(2)),
		do("getsockname", "0 buf="+hx(sin("127.0.0.1", 5010))+" len=16", fdn("a3"), out(16), vlen(16)),
	}},
	{name: "accept/faults lose the connection", steps: []step{
		do("socket", "fd", inet, stream, 0).as("l"),
		do("bind", "0", fdn("l"), sin("127.0.0.1", 5011), 16),
		do("listen", "0", fdn("l"), 8),
		do("socket", "fd", inet, stream, 0).as("c1"),
		do("connect", "0", fdn("c1"), sin("127.0.0.1", 5011), 16),
		do("accept", "EFAULT len=16", fdn("l"), fault, vlen(16)),
		do("socket", "fd", inet, stream, 0).as("c2"),
		do("connect", "0", fdn("c2"), sin("127.0.0.1", 5011), 16),
		do("accept", "EFAULT buf="+hx(ee(16)), fdn("l"), out(16), fault),
		do("socket", "fd", inet, stream, 0).as("c3"),
		do("connect", "0", fdn("c3"), sin("127.0.0.1", 5011), 16),
		do("accept", "EINVAL buf=eeeeeeee len=-1", fdn("l"), out(4), vlen(-1)),
		do("fcntl", "0", fdn("l"), abi.F_SETFL, abi.O_NONBLOCK),
		do("accept", "EAGAIN", fdn("l"), null, null), // all three were taken
	}},
	{name: "accept/unix and inet6 peers", steps: []step{
		do("socket", "fd", local, stream, 0).as("l"),
		do("bind", "0", fdn("l"), sun("\x00conf-accept"), 14),
		do("listen", "0", fdn("l"), 4),
		do("socket", "fd", local, stream, 0).as("c"),
		do("connect", "0", fdn("c"), sun("\x00conf-accept"), 14),
		do("accept", "fd buf=0100eeee len=2", fdn("l"), out(4), vlen(4)), // an unbound peer
		do("socket", "fd", local, stream, 0).as("c2"),
		do("bind", "0", fdn("c2"), sun("\x00conf-peer"), 12),
		do("connect", "0", fdn("c2"), sun("\x00conf-accept"), 14),
		do("accept", "fd buf="+hx(sun("\x00conf-peer"), ee(4))+" len=12", fdn("l"), out(16), vlen(16)),
		do("socket", "fd", inet6, stream, 0).as("l6"),
		do("bind", "0", fdn("l6"), sin6("::1", 5012, 0), 28),
		do("listen", "0", fdn("l6"), 4),
		do("socket", "fd", inet6, stream, 0).as("c6"),
		do("connect", "0", fdn("c6"), sin6("::1", 5012, 0), 28),
		do("accept", "fd buf=0a00eeee len=28", fdn("l6"), out(4), vlen(2)),
	}},
}

var connectCases = []confCase{
	{name: "connect/order", steps: []step{
		do("pipe2", "0", pair, 0).as("p"),
		do("connect", "EBADF", -1, fault, 16),
		do("connect", "EBADF", 1<<20, sin("127.0.0.1", 1), 129),
		do("connect", "EFAULT", fdn("p0"), fault, 16), // the address before ENOTSOCK
		do("connect", "EINVAL", fdn("p0"), sin("127.0.0.1", 1), -1),
		do("connect", "EINVAL", fdn("p0"), pad(sin("127.0.0.1", 1), 129), 129),
		do("connect", "ENOTSOCK", fdn("p0"), sin("127.0.0.1", 1), 16),
		do("connect", "ENOTSOCK", fdn("p0"), fault, 0),
		do("socket", "fd", inet, stream, 0).as("s"),
		do("connect", "EFAULT", fdn("s"), partial{sin("127.0.0.1", 1), 8}, 16),
		do("connect", "EFAULT", fdn("s"), kern, 16),
		do("connect", "EFAULT", fdn("s"), null, 16),
		do("connect", "EINVAL", fdn("s"), sin("127.0.0.1", 1), 0),
		do("connect", "EINVAL", fdn("s"), sin("127.0.0.1", 1), 1),
	}},
	{name: "connect/tcp", steps: steps([]step{
		do("socket", "fd", inet, stream, 0).as("s"),
		do("connect", "EINVAL", fdn("s"), sin("127.0.0.1", 1), 15),
		do("connect", "EAFNOSUPPORT", fdn("s"), fam(sin("127.0.0.1", 1), inet6), 16),
		do("connect", "ECONNREFUSED", fdn("s"), sin("127.0.0.1", 1), 16),
		do("connect", "ECONNREFUSED", fdn("s"), sin("127.0.0.1", 1), 16), // a failed socket may try again
		do("connect", "0", fdn("s"), fam(sin("0.0.0.0", 0), 0), 16),      // AF_UNSPEC: nothing to undo
		do("getpeername", "ENOTCONN len=0", fdn("s"), null, vlen(0)),
	}, tcpPair(5013), []step{
		do("connect", "EISCONN", fdn("l"), sin("127.0.0.1", 5013), 16), // a listener is not closed
		do("connect", "EISCONN", fdn("c"), sin("127.0.0.1", 5013), 16),
		do("connect", "EISCONN", fdn("c"), sin("127.0.0.1", 1), 16),
		do("listen", "EINVAL", fdn("c"), 1),
		do("bind", "EINVAL", fdn("c"), sin("127.0.0.1", 0), 16),
		do("getpeername", "0 buf="+hx(sin("127.0.0.1", 5013))+" len=16", fdn("c"), out(16), vlen(16)),
		do("connect", "0", fdn("c"), fam(sin("0.0.0.0", 0), 0), 16), // AF_UNSPEC disconnects
		do("getpeername", "ENOTCONN len=0", fdn("c"), null, vlen(0)),
		do("getsockopt", "0 buf=68000000 len=4", fdn("c"), solSocket, abi.SO_ERROR, out(4), vlen(4)),
		do("sendto", "EPIPE", fdn("c"), txt("x"), 1, nosig, null, 0),
	})},
	{name: "connect/tcp nonblocking", steps: []step{
		do("socket", "fd", inet, stream, 0).as("l"),
		do("bind", "0", fdn("l"), sin("127.0.0.1", 5014), 16),
		do("listen", "0", fdn("l"), 1),
		do("socket", "fd", inet, stream|nonblock, 0).as("c"),
		do("connect", "EINPROGRESS", fdn("c"), sin("127.0.0.1", 5014), 16),
	}},
	{name: "connect/udp", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("connect", "EINVAL", fdn("u"), sin("127.0.0.1", 5015), 8),
		do("connect", "EINVAL", fdn("u"), sin("127.0.0.1", 5015), 1),
		do("connect", "EAFNOSUPPORT", fdn("u"), fam(sin("127.0.0.1", 5015), inet6), 16),
		do("getpeername", "ENOTCONN buf="+hx(ee(16))+" len=16", fdn("u"), out(16), vlen(16)),
		do("connect", "0", fdn("u"), sin("127.0.0.1", 5015), 16),
		do("getpeername", "0 buf="+hx(sin("127.0.0.1", 5015))+" len=16", fdn("u"), out(16), vlen(16)),
		do("connect", "0", fdn("u"), sin("127.0.0.1", 5016), 16), // connects again
		do("getpeername", "0 buf="+hx(trunc(sin("127.0.0.1", 5016), 3), ee(5))+" len=16", fdn("u"), out(8), vlen(3)),
		do("connect", "0", fdn("u"), fam(sin("0.0.0.0", 0), 0), 2), // AF_UNSPEC disconnects
		do("getpeername", "ENOTCONN len=0", fdn("u"), null, vlen(0)),
		do("connect", "EINVAL", fdn("u"), fam(sin("0.0.0.0", 0), 0), 1),
		do("connect", "0", fdn("u"), sin("127.0.0.1", 0), 16),
		do("getpeername", "ENOTCONN len=0", fdn("u"), null, vlen(0)), // port 0: no peer
	}},
	{name: "connect/udp6", steps: []step{
		do("socket", "fd", inet6, dgram, 0).as("u"),
		do("connect", "EINVAL", fdn("u"), trunc(sin6("::1", 5017, 0), 23), 23),
		do("connect", "EAFNOSUPPORT", fdn("u"), fam(sin6("::1", 5017, 0), local), 28),
		do("connect", "0", fdn("u"), sin("127.0.0.1", 5017), 16), // an IPv4 address, mapped
		do("getpeername", "0 buf="+hx(sin6("::ffff:127.0.0.1", 5017, 0))+" len=28", fdn("u"), out(28), vlen(28)),
		do("socket", "fd", inet6, dgram, 0).as("o"),
		do("setsockopt", "0", fdn("o"), abi.SOL_IPV6, abi.IPV6_V6ONLY, le32(1), 4),
		do("connect", "EAFNOSUPPORT", fdn("o"), sin("127.0.0.1", 5017), 16),
		do("connect", "0", fdn("o"), sin6("::1", 5017, 0), 28),
		do("getpeername", "0 buf="+hx(sin6("::1", 5017, 0))+" len=28", fdn("o"), out(28), vlen(28)),
	}},
	{name: "connect/tcp6", steps: []step{
		do("socket", "fd", inet6, stream, 0).as("s"),
		do("connect", "EINVAL", fdn("s"), trunc(sin6("::1", 1, 0), 23), 23),
		do("connect", "EINVAL", fdn("s"), sin("127.0.0.1", 1), 16),
		do("connect", "EAFNOSUPPORT", fdn("s"), fam(sin6("::1", 1, 0), inet), 28),
		do("connect", "ECONNREFUSED", fdn("s"), sin6("::1", 1, 0), 28),
		do("socket", "fd", inet6, stream, 0).as("l"),
		do("bind", "0", fdn("l"), sin6("::1", 5018, 0), 28),
		do("listen", "0", fdn("l"), 1),
		do("connect", "0", fdn("s"), sin6("::1", 5018, 0), 28),
		do("getpeername", "0 buf="+hx(sin6("::1", 5018, 0))+" len=28", fdn("s"), out(28), vlen(28)),
	}},
	{name: "connect/unix stream", steps: []step{
		do("socket", "fd", local, stream, 0).as("s"),
		do("connect", "ECONNREFUSED", fdn("s"), sun("\x00conf-nobody"), 14),
		do("connect", "EINVAL", fdn("s"), sun(""), 2),
		do("connect", "EINVAL", fdn("s"), pad(sun("\x00a"), 111), 111),
		do("connect", "EINVAL", fdn("s"), fam(sun("\x00conf-nobody"), inet), 14),
		do("socket", "fd", local, stream, 0).as("b"),
		do("bind", "0", fdn("b"), sun("\x00conf-unlistened"), 18),
		do("connect", "ECONNREFUSED", fdn("s"), sun("\x00conf-unlistened"), 18),
		do("socket", "fd", local, dgram, 0).as("d"),
		do("bind", "0", fdn("d"), sun("\x00conf-dgram"), 13),
		do("connect", "ECONNREFUSED", fdn("s"), sun("\x00conf-dgram"), 13), // another type
		do("socket", "fd", local, stream, 0).as("l"),
		do("bind", "0", fdn("l"), sun("\x00conf-lis"), 11),
		do("listen", "0", fdn("l"), 4),
		do("connect", "EINVAL", fdn("l"), sun("\x00conf-lis"), 11), // a listener cannot connect
		do("connect", "0", fdn("s"), sun("\x00conf-lis"), 11),
		do("connect", "EISCONN", fdn("s"), sun("\x00conf-lis"), 11),
		do("connect", "ECONNREFUSED", fdn("s"), sun("\x00conf-nobody"), 14), // the peer is looked up first
		do("getpeername", "0 buf="+hx(sun("\x00conf-lis"), ee(5))+" len=11", fdn("s"), out(16), vlen(16)),
		do("getsockname", "0 buf=0100eeee len=2", fdn("s"), out(4), vlen(4)),
	}},
	{name: "connect/unix dgram", steps: []step{
		do("socket", "fd", local, dgram, 0).as("d"),
		do("bind", "0", fdn("d"), sun("\x00conf-ud"), 10),
		do("socket", "fd", local, dgram, 0).as("c"),
		do("connect", "EINVAL", fdn("c"), sun(""), 1),
		do("connect", "ECONNREFUSED", fdn("c"), sun("\x00conf-ud-none"), 15),
		do("connect", "0", fdn("c"), sun("\x00conf-ud"), 10),
		do("getpeername", "0 buf="+hx(sun("\x00conf-ud"), ee(6))+" len=10", fdn("c"), out(16), vlen(16)),
		do("connect", "0", fdn("c"), fam(sun(""), 0), 2), // AF_UNSPEC disconnects
		do("getpeername", "ENOTCONN len=0", fdn("c"), null, vlen(0)),
		do("sendto", "ENOTCONN", fdn("c"), txt("x"), 1, 0, null, 0),
	}},
}

var nameCases = []confCase{
	{name: "getsockname/value-result", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("s"),
		do("bind", "0", fdn("s"), sin("127.0.0.1", 5020), 16),
		do("getsockname", "0 buf="+hx(sin("127.0.0.1", 5020), ee(4))+" len=16", fdn("s"), out(20), vlen(16)),
		do("getsockname", "0 buf="+hx(sin("127.0.0.1", 5020), ee(4))+" len=16", fdn("s"), out(20), vlen(20)),
		do("getsockname", "0 buf="+hx(trunc(sin("127.0.0.1", 5020), 4), ee(4))+" len=16", fdn("s"), out(8), vlen(4)),
		do("getsockname", "0 buf=eeeeeeee len=16", fdn("s"), out(4), vlen(0)),
		do("getsockname", "EINVAL buf=eeeeeeee len=-1", fdn("s"), out(4), vlen(-1)),
		do("getsockname", "EINVAL buf=eeeeeeee len=-2147483648", fdn("s"), out(4), vlen(-1<<31)),
		do("getsockname", "EFAULT len=16", fdn("s"), fault, vlen(16)),
		do("getsockname", "0 len=16", fdn("s"), null, vlen(0)),
		do("getsockname", "EFAULT len=16", fdn("s"), null, vlen(1)),
		do("getsockname", "EFAULT buf=eeeeeeee", fdn("s"), out(4), fault),
		do("getsockname", "EFAULT buf=eeeeeeee", fdn("s"), out(4), null),
		do("getsockname", "EFAULT buf=eeeeeeee", fdn("s"), out(4), partial{le32(4), 2}),
		do("getsockname", "EFAULT len=16", fdn("s"), kern, vlen(4)),
	}},
	{name: "getsockname/families", steps: []step{
		do("socket", "fd", inet, stream, 0).as("t"),
		do("getsockname", "0 buf="+hx(sin("0.0.0.0", 0))+" len=16", fdn("t"), out(16), vlen(16)),
		do("socket", "fd", inet6, dgram, 0).as("u"),
		do("getsockname", "0 buf="+hx(sin6("::", 0, 0))+" len=28", fdn("u"), out(28), vlen(28)),
		do("socket", "fd", inet6, dgram, 0).as("v"),
		do("bind", "0", fdn("v"), sin6("::1", 5021, 0), 28),
		do("getsockname", "0 buf="+hx(sin6("::1", 5021, 0), ee(4))+" len=28", fdn("v"), out(32), vlen(32)),
		do("socket", "fd", local, stream, 0).as("x"),
		do("getsockname", "0 buf=0100eeee len=2", fdn("x"), out(4), vlen(4)),
		do("bind", "0", fdn("x"), sun("\x00conf-name"), 12),
		do("getsockname", "0 buf="+hx(sun("\x00conf-name"), ee(4))+" len=12", fdn("x"), out(16), vlen(16)),
		do("getsockname", "0 buf=010000ee len=12", fdn("x"), out(4), vlen(3)),
		do("socketpair", "0", local, dgram, 0, pair).as("p"),
		do("getsockname", "0 buf=0100eeee len=2", fdn("p0"), out(4), vlen(4)),
		do("getpeername", "0 buf=0100eeee len=2", fdn("p0"), out(4), vlen(4)),
		do("socket", "fd", local, dgram, 0).as("y"),
		do("getpeername", "ENOTCONN buf=eeeeeeee len=4", fdn("y"), out(4), vlen(4)),
	}},
	{name: "getpeername/not connected", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("getpeername", "ENOTCONN", fdn("u"), fault, fault), // the state before the pointers
		do("socket", "fd", inet, stream, 0).as("t"),
		do("getpeername", "ENOTCONN", fdn("t"), fault, fault),
		do("listen", "0", fdn("t"), 1),
		do("getpeername", "ENOTCONN", fdn("t"), fault, fault),
		do("socket", "fd", inet6, stream, 0).as("t6"),
		do("getpeername", "ENOTCONN", fdn("t6"), fault, fault),
		do("socket", "fd", local, stream, 0).as("x"),
		do("getpeername", "ENOTCONN", fdn("x"), fault, fault),
	}},
}

var sendCases = []confCase{
	{name: "sendto/order", steps: []step{
		do("pipe2", "0", pair, 0).as("p"),
		do("sendto", "EFAULT", -1, kern, 1, 0, null, 0), // the buffer's range first
		do("sendto", "EFAULT", -1, kern, 0, 0, null, 0),
		do("sendto", "EBADF", -1, fault, 1, 0, null, 0),
		do("sendto", "EBADF", -1, txt("x"), uint64(1)<<62, 0, null, 0), // cut to MAX_RW_COUNT
		do("sendto", "EFAULT", fdn("p1"), kern, 1, 0, null, 0),
		do("sendto", "ENOTSOCK", fdn("p1"), txt("x"), 1, 0, fault, 16), // the descriptor before the address
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("sendto", "EINVAL", fdn("u"), txt("x"), 1, 0, sin("127.0.0.1", 5030), -1),
		do("sendto", "EINVAL", fdn("u"), txt("x"), 1, 0, pad(sin("127.0.0.1", 5030), 129), 129),
		do("sendto", "EFAULT", fdn("u"), txt("x"), 1, 0, fault, 16),
		do("sendto", "EFAULT", fdn("u"), txt("x"), 1, 0, partial{sin("127.0.0.1", 5030), 8}, 16),
	}},
	{name: "sendto/udp", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("r"),
		do("bind", "0", fdn("r"), sin("127.0.0.1", 5031), 16),
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("sendto", "EDESTADDRREQ", fdn("u"), txt("hello"), 5, 0, null, 0),
		do("sendto", "EINVAL", fdn("u"), txt("hello"), 5, 0, sin("127.0.0.1", 5031), 0), // an empty address is an address
		do("sendto", "EINVAL", fdn("u"), txt("hello"), 5, 0, sin("127.0.0.1", 5031), 8),
		do("sendto", "EAFNOSUPPORT", fdn("u"), txt("hello"), 5, 0, fam(sin("127.0.0.1", 5031), inet6), 16),
		do("sendto", "EINVAL", fdn("u"), txt("hello"), 5, 0, sin("127.0.0.1", 0), 16), // port 0
		do("sendto", "EOPNOTSUPP", fdn("u"), txt("hello"), 5, abi.MSG_OOB, sin("127.0.0.1", 5031), 16),
		do("sendto", "EMSGSIZE", fdn("u"), make([]byte, 65536), 65536, 0, sin("127.0.0.1", 5031), 16),
		do("sendto", "EMSGSIZE", fdn("u"), make([]byte, 65508), 65508, 0, sin("127.0.0.1", 5031), 16),
		do("sendto", "EFAULT", fdn("u"), fault, 5, 0, sin("127.0.0.1", 5031), 16),
		do("sendto", "5", fdn("u"), txt("hello"), 5, 0, fam(sin("127.0.0.1", 5031), 0), 16), // AF_UNSPEC is AF_INET
		do("sendto", "5", fdn("u"), txt("hello"), 5, 0, sin("127.0.0.1", 5031), 16),
		do("sendto", "0", fdn("u"), null, 0, 0, sin("127.0.0.1", 5031), 16),
		do("sendto", "65507", fdn("u"), make([]byte, 65507), 65507, 0, sin("127.0.0.1", 5031), 16),
	}},
	{name: "sendto/tcp not connected", steps: []step{
		do("socket", "fd", inet, stream, 0).as("s"),
		do("sendto", "EPIPE", fdn("s"), txt("x"), 1, nosig, null, 0),
		do("sendto", "EPIPE", fdn("s"), txt("x"), 1, nosig, sin("127.0.0.1", 1), 16), // the address is ignored
		do("sendto", "EPIPE", fdn("s"), txt("x"), 1, nosig|abi.MSG_OOB, null, 0),
		do("sendto", "EPIPE", fdn("s"), null, 0, nosig, null, 0),
		do("sendto", "EINVAL", fdn("s"), txt("x"), 1, nosig, sin("127.0.0.1", 1), -1),
		do("listen", "0", fdn("s"), 1),
		do("sendto", "EPIPE", fdn("s"), txt("x"), 1, nosig, null, 0),
		do("socket", "fd", inet6, stream, 0).as("s6"),
		do("sendto", "EPIPE", fdn("s6"), txt("x"), 1, nosig, null, 0),
	}},
	{name: "send/tcp connected", steps: steps(tcpPair(5032), []step{
		do("sendto", "5", fdn("c"), txt("hello"), 5, 0, null, 0),
		do("recvfrom", "5 buf=68656c6c6feeeeee", fdn("a"), out(8), 8, 0, null, null),
		do("shutdown", "0", fdn("c"), abi.SHUT_WR),
		do("sendto", "EPIPE", fdn("c"), txt("x"), 1, nosig, null, 0),
		do("recvfrom", "0 buf=eeeeeeee", fdn("a"), out(4), 4, 0, null, null), // end of file
		do("sendto", "2", fdn("a"), txt("yz"), 2, 0, null, 0),                // the other direction still works
		do("recvfrom", "2 buf=797aeeee buf="+hx(ee(16))+" len=0", fdn("c"), out(4), 4, 0, out(16), vlen(16)),
		do("recvfrom", "EAGAIN buf=eeeeeeee", fdn("c"), out(4), 4, dontwait, null, null),
		do("recvfrom", "EINVAL buf=eeeeeeee", fdn("c"), out(4), 4, abi.MSG_OOB, null, null),
	})},
	{name: "send/tcp out-of-band", steps: steps(tcpPair(5033), []step{
		do("sendto", "3", fdn("c"), txt("abc"), 3, abi.MSG_OOB, null, 0),
		do("recvfrom", "2 buf=6162eeee", fdn("a"), out(4), 4, 0, null, null), // a read stops at the mark
		do("ioctl", "0 buf=01000000", fdn("a"), abi.SIOCATMARK, out(4)),
		do("ioctl", "0 buf=00000000", fdn("a"), abi.SIOCINQ, out(4)), // what lies before the mark (tcp_inq)
		do("recvfrom", "1 buf=63eeeeee", fdn("a"), out(4), 4, abi.MSG_OOB|abi.MSG_PEEK, null, null),
		do("recvfrom", "1 buf=63eeeeee", fdn("a"), out(4), 4, abi.MSG_OOB, null, null),
		do("recvfrom", "EINVAL buf=eeeeeeee", fdn("a"), out(4), 4, abi.MSG_OOB, null, null),
		do("ioctl", "0 buf=00000000", fdn("a"), abi.SIOCINQ, out(4)),
		do("ioctl", "0 buf=01000000", fdn("a"), abi.SIOCATMARK, out(4)),
		do("sendto", "2", fdn("c"), txt("de"), 2, 0, null, 0),
		do("recvfrom", "2 buf=6465eeee", fdn("a"), out(4), 4, 0, null, null), // past the out-of-band byte
		do("ioctl", "0 buf=00000000", fdn("a"), abi.SIOCATMARK, out(4)),
		do("recvfrom", "EINVAL buf=eeeeeeee", fdn("a"), out(4), 4, abi.MSG_OOB, null, null),
		// SO_OOBINLINE: the byte stays in the stream; reads still stop at the mark.
		do("setsockopt", "0", fdn("a"), abi.SOL_SOCKET, abi.SO_OOBINLINE, []byte{1, 0, 0, 0}, 4),
		do("sendto", "3", fdn("c"), txt("xyz"), 3, abi.MSG_OOB, null, 0),
		do("recvfrom", "2 buf=7879eeee", fdn("a"), out(4), 4, 0, null, null),
		do("ioctl", "0 buf=01000000", fdn("a"), abi.SIOCINQ, out(4)),
		do("recvfrom", "EINVAL buf=eeeeeeee", fdn("a"), out(4), 4, abi.MSG_OOB, null, null),
		do("ioctl", "0 buf=01000000", fdn("a"), abi.SIOCATMARK, out(4)),
		do("recvfrom", "1 buf=7aeeeeee", fdn("a"), out(4), 4, 0, null, null),
		do("ioctl", "0 buf=00000000", fdn("a"), abi.SIOCATMARK, out(4)),
	})},
	{name: "sendto/unix", steps: []step{
		do("socket", "fd", local, dgram, 0).as("d"),
		do("sendto", "ENOTCONN", fdn("d"), txt("x"), 1, 0, null, 0),
		do("sendto", "ECONNREFUSED", fdn("d"), txt("x"), 1, 0, sun("\x00conf-send-none"), 17),
		do("sendto", "EINVAL", fdn("d"), txt("x"), 1, 0, sun(""), 2),
		do("sendto", "EINVAL", fdn("d"), txt("x"), 1, 0, fam(sun("\x00a"), inet), 4),
		do("sendto", "EOPNOTSUPP", fdn("d"), txt("x"), 1, abi.MSG_OOB, sun("\x00conf-send-none"), 17),
		do("socket", "fd", local, dgram, 0).as("r"),
		do("bind", "0", fdn("r"), sun("\x00conf-send"), 12),
		do("sendto", "2", fdn("d"), txt("hi"), 2, 0, sun("\x00conf-send"), 12),
		do("recvfrom", "2 buf=6869eeee buf=eeeeeeee len=0", fdn("r"), out(4), 4, 0, out(4), vlen(4)),
		do("socket", "fd", local, stream, 0).as("s"),
		do("sendto", "ENOTCONN", fdn("s"), txt("x"), 1, nosig, null, 0),
		do("sendto", "EOPNOTSUPP", fdn("s"), txt("x"), 1, nosig, sun("\x00conf-send"), 12),
		do("socketpair", "0", local, stream, 0, pair).as("p"),
		do("sendto", "EISCONN", fdn("p0"), txt("x"), 1, nosig, sun("\x00conf-send"), 12),
		do("close", "0", fdn("p1")),
		do("sendto", "EPIPE", fdn("p0"), txt("x"), 1, nosig, null, 0),
		do("socketpair", "0", local, dgram, 0, pair).as("q"),
		do("close", "0", fdn("q1")),
		do("sendto", "ECONNREFUSED", fdn("q0"), txt("x"), 1, nosig, null, 0),
		do("sendto", "ENOTCONN", fdn("q0"), txt("x"), 1, nosig, null, 0),
	}},
}

var recvCases = []confCase{
	{name: "recvfrom/order", steps: []step{
		do("pipe2", "0", pair, 0).as("p"),
		do("recvfrom", "EFAULT", -1, kern, 1, 0, null, null),
		do("recvfrom", "EBADF", -1, fault, 1, 0, null, null),
		do("recvfrom", "EFAULT", fdn("p0"), kern, 1, 0, null, null),
		do("recvfrom", "ENOTSOCK", fdn("p0"), make([]byte, 4), 4, dontwait, fault, fault),
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("recvfrom", "EAGAIN buf=eeeeeeee", fdn("u"), out(4), 4, dontwait, fault, fault), // the receive before the address
		do("recvfrom", "EAGAIN buf=eeeeeeee", fdn("u"), out(4), 4, dontwait|abi.MSG_ERRQUEUE, null, null),
	}},
	{name: "recvfrom/udp", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("bind", "0", fdn("u"), sin("127.0.0.1", 5040), 16),
		do("socket", "fd", inet, dgram, 0).as("v"),
		do("bind", "0", fdn("v"), sin("127.0.0.1", 5041), 16),
		do("sendto", "5", fdn("v"), txt("hello"), 5, 0, sin("127.0.0.1", 5040), 16),
		do("recvfrom", "5 buf=68656c6c6feeeeee buf="+hx(sin("127.0.0.1", 5041), ee(4))+" len=16",
			fdn("u"), out(8), 8, abi.MSG_PEEK, out(20), vlen(20)),
		do("recvfrom", "5 buf=6865eeee buf="+hx(trunc(sin("127.0.0.1", 5041), 3), ee(1))+" len=16",
			fdn("u"), out(4), 2, abi.MSG_PEEK|abi.MSG_TRUNC, out(4), vlen(3)),
		do("recvfrom", "EINVAL buf=68656c6c buf="+hx(ee(16))+" len=-1", fdn("u"), out(4), 4, 0, out(16), vlen(-1)),
		do("recvfrom", "EAGAIN buf=eeeeeeee", fdn("u"), out(4), 4, dontwait, null, null), // it was taken
		do("sendto", "3", fdn("v"), txt("abc"), 3, 0, sin("127.0.0.1", 5040), 16),
		do("recvfrom", "EFAULT", fdn("u"), fault, 4, 0, null, null),
		do("recvfrom", "EAGAIN buf=eeeeeeee", fdn("u"), out(4), 4, dontwait, null, null),
		do("sendto", "3", fdn("v"), txt("abc"), 3, 0, sin("127.0.0.1", 5040), 16),
		do("recvfrom", "EFAULT buf=616263ee buf="+hx(ee(16)), fdn("u"), out(4), 4, 0, out(16), fault),
		do("recvfrom", "EAGAIN buf=eeeeeeee", fdn("u"), out(4), 4, dontwait, null, null),
		do("sendto", "6", fdn("v"), txt("abcdef"), 6, 0, sin("127.0.0.1", 5040), 16),
		do("recvfrom", "6 buf=eeeeeeee", fdn("u"), out(4), 0, abi.MSG_TRUNC, null, null),
		do("sendto", "0", fdn("v"), null, 0, 0, sin("127.0.0.1", 5040), 16),
		do("recvfrom", "0 buf=eeeeeeee", fdn("u"), out(4), 4, 0, null, null), // an empty datagram
	}},
	{name: "recvfrom/not connected", steps: []step{
		do("socket", "fd", inet, stream, 0).as("t"),
		do("recvfrom", "ENOTCONN buf=eeeeeeee", fdn("t"), out(4), 4, 0, null, null),
		do("recvfrom", "EINVAL buf=eeeeeeee", fdn("t"), out(4), 4, abi.MSG_OOB, null, null),
		do("recvfrom", "ENOTCONN buf=eeeeeeee", fdn("t"), out(4), 4, abi.MSG_PEEK, null, null),
		do("recvmsg", "ENOTCONN buf=eeeeeeee", fdn("t"), msg{iov: []any{out(4)}}, 0),
		do("listen", "0", fdn("t"), 1),
		do("recvfrom", "ENOTCONN buf=eeeeeeee", fdn("t"), out(4), 4, 0, null, null),
		do("recvfrom", "ENOTCONN buf=eeeeeeee", fdn("t"), out(4), 4, abi.MSG_OOB, null, null),
		do("socket", "fd", inet6, stream, 0).as("t6"),
		do("recvfrom", "ENOTCONN buf=eeeeeeee", fdn("t6"), out(4), 4, 0, null, null),
		do("socket", "fd", local, stream, 0).as("x"),
		do("recvfrom", "EINVAL buf=eeeeeeee", fdn("x"), out(4), 4, 0, null, null),
		do("socket", "fd", local, seqpacket, 0).as("q"),
		do("recvfrom", "ENOTCONN buf=eeeeeeee", fdn("q"), out(4), 4, 0, null, null),
		do("socket", "fd", local, dgram, 0).as("d"),
		do("recvfrom", "EAGAIN buf=eeeeeeee", fdn("d"), out(4), 4, dontwait, null, null),
	}},
}

// hello is a one-iovec message carrying "hello".
var hello = []any{txt("hello")}

var sendmsgCases = []confCase{
	{name: "sendmsg/order", steps: []step{
		do("pipe2", "0", pair, 0).as("p"),
		do("sendmsg", "EINVAL", -1, fault, msgCmsgCompat), // the flags first
		do("sendmsg", "EBADF", -1, fault, 0),
		do("sendmsg", "ENOTSOCK", fdn("p1"), fault, 0),
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("sendmsg", "EFAULT", fdn("u"), fault, 0),
		do("sendmsg", "EFAULT", fdn("u"), partial{make([]byte, sizeofMsghdr), 40}, 0),
		do("sendmsg", "EFAULT", fdn("u"), kern, 0),
		do("sendmsg", "EFAULT", fdn("u"), null, 0),
	}},
	{name: "sendmsg/msghdr", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("r"),
		do("bind", "0", fdn("r"), sin("127.0.0.1", 5050), 16),
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("connect", "0", fdn("u"), sin("127.0.0.1", 5050), 16),
		do("sendmsg", "5", fdn("u"), msg{iov: hello}, 0),
		do("sendmsg", "EINVAL", fdn("u"), msg{name: sin("127.0.0.1", 5050), namelen: -1, iov: hello}, 0),
		do("sendmsg", "5", fdn("u"), msg{namelen: -1, iov: hello}, 0), // no name: its length is ignored
		do("sendmsg", "EFAULT", fdn("u"), msg{name: fault, namelen: 16, iov: hello}, 0),
		do("sendmsg", "5", fdn("u"), msg{name: fault, namelen: 0, iov: hello}, 0),
		do("sendmsg", "5", fdn("u"), msg{name: pad(sin("127.0.0.1", 5050), 128), namelen: 1000, iov: hello}, 0), // cut to 128
		do("sendmsg", "EINVAL", fdn("u"), msg{name: sin("127.0.0.1", 5050), namelen: 8, iov: hello}, 0),
		do("sendmsg", "EMSGSIZE", fdn("u"), msg{iov: hello, iovlen: 1025}, 0),
		do("sendmsg", "EFAULT", fdn("u"), msg{name: fault, namelen: 16, iov: hello, iovlen: 1025}, 0), // the name before the iovecs
		do("sendmsg", "EFAULT", fdn("u"), msg{iovp: null, iovlen: 1}, 0),
		do("sendmsg", "EFAULT", fdn("u"), msg{iovp: fault, iovlen: 1}, 0),
		do("sendmsg", "0", fdn("u"), msg{iovp: null, iovlen: 0}, 0),
		do("sendmsg", "EINVAL", fdn("u"), msg{iov: []any{iovec{txt("hello"), 1 << 63}}}, 0),
		do("sendmsg", "EFAULT", fdn("u"), msg{iov: []any{iovec{kern, 1}}}, 0),
		do("sendmsg", "EFAULT", fdn("u"), msg{iov: []any{iovec{fault, 5}}}, 0),
		do("sendmsg", "0", fdn("u"), msg{iov: []any{iovec{null, 0}}}, 0),
		do("sendmsg", "5", fdn("u"), msg{iov: []any{txt("he"), txt("llo")}}, 0),
		do("sendmsg", "0", fdn("u"), msg{iov: repeat(iovec{null, 0}, 1024)}, 0),
		do("sendmsg", "ENOBUFS", fdn("u"), msg{iov: hello, control: fault, ctllen: 1 << 31}, 0),
		do("sendmsg", "ENOBUFS", fdn("u"), msg{iov: hello, control: fault, ctllen: 1 << 32}, 0),
		do("sendmsg", "EFAULT", fdn("u"), msg{iov: hello, control: fault, ctllen: 16}, 0),
		do("sendmsg", "EFAULT", fdn("u"), msg{iov: hello, control: null, ctllen: 16}, 0),
		do("sendmsg", "5", fdn("u"), msg{iov: hello, control: make([]byte, 8)}, 0), // shorter than a cmsghdr
		do("sendmsg", "EINVAL", fdn("u"), msg{iov: hello, control: make([]byte, 16)}, 0),
		do("sendmsg", "EINVAL", fdn("u"), msg{iov: hello, control: cmsg(solSocket, 999, le32(0), 0)}, 0),
		do("sendmsg", "EINVAL", fdn("u"), msg{iov: hello, control: cmsg(abi.SOL_IP, abi.IP_TTL, le32(0), 0)}, 0),
		do("sendmsg", "5", fdn("u"), msg{iov: hello, control: cmsg(abi.SOL_IP, abi.IP_TTL, le32(64), 0)}, 0),
		do("sendmsg", "5", fdn("u"), msg{iov: hello, control: cmsg(999, 1, le32(0), 0)}, 0), // other levels are skipped
		do("sendmsg", "EINVAL", fdn("u"), msg{iov: hello, control: cmsg(abi.SOL_IP, abi.IP_TTL, le32(64), 100)}, 0),
		do("sendmsg", "5", fdn("u"), msg{iov: hello, flags: 0xffffffff}, 0), // msg_flags is not read
		do("sendmsg", "EOPNOTSUPP", fdn("u"), msg{iov: hello}, abi.MSG_OOB),
		do("sendmsg", "5", fdn("u"), msg{iov: hello}, 0x08000000), // MSG_SPLICE_PAGES is dropped
	}},
	{name: "sendmsg/not connected", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("sendmsg", "EDESTADDRREQ", fdn("u"), msg{iov: hello}, 0),
		do("sendmsg", "EDESTADDRREQ", fdn("u"), msg{name: sin("127.0.0.1", 5051), namelen: 0, iov: hello}, 0), // no name
		do("socket", "fd", inet, stream, 0).as("t"),
		do("sendmsg", "EPIPE", fdn("t"), msg{iov: hello}, nosig),
		do("socket", "fd", local, stream, 0).as("s"),
		do("sendmsg", "ENOTCONN", fdn("s"), msg{iov: hello}, nosig),
	}},
	{name: "sendmsg/SCM_RIGHTS", steps: []step{
		do("socketpair", "0", local, dgram, 0, pair).as("p"),
		do("pipe2", "0", pair, 0).as("f"),
		do("sendmsg", "1", fdn("p0"), msg{iov: []any{txt("x")}, control: rights{fdn("f0")}}, 0),
		do("sendmsg", "EBADF", fdn("p0"), msg{iov: []any{txt("x")}, control: rights{-1}}, 0),
		do("sendmsg", "EBADF", fdn("p0"), msg{iov: []any{txt("x")}, control: rights{1 << 20}}, 0),
		do("sendmsg", "1", fdn("p0"), msg{iov: []any{txt("x")}, control: rights(repeat(fdn("f0"), 253))}, 0),
		do("sendmsg", "EINVAL", fdn("p0"), msg{iov: []any{txt("x")}, control: rights(repeat(fdn("f0"), 254))}, 0), // SCM_MAX_FD
		do("sendmsg", "1", fdn("p0"), msg{iov: []any{txt("x")}, control: rights{}}, 0),
		do("socket", "fd", inet, dgram, 0).as("r"),
		do("bind", "0", fdn("r"), sin("127.0.0.1", 5053), 16),
		do("socket", "fd", inet, dgram, 0).as("u"),
		// SCM_RIGHTS belongs to AF_UNIX: other families skip it.
		do("sendmsg", "5", fdn("u"), msg{name: sin("127.0.0.1", 5053), namelen: 16, iov: hello, control: rights{fdn("f0")}}, 0),
		do("sendmsg", "5", fdn("u"), msg{name: sin("127.0.0.1", 5053), namelen: 16, iov: hello, control: rights{-1}}, 0), // not even looked at
	}},
}

var recvmsgCases = []confCase{
	{name: "recvmsg/order", steps: []step{
		do("pipe2", "0", pair, 0).as("p"),
		do("recvmsg", "EINVAL", -1, fault, msgCmsgCompat),
		do("recvmsg", "EBADF", -1, fault, 0),
		do("recvmsg", "ENOTSOCK", fdn("p0"), fault, 0),
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("bind", "0", fdn("u"), sin("127.0.0.1", 5060), 16),
		do("recvmsg", "EFAULT", fdn("u"), fault, dontwait),
		do("recvmsg", "EFAULT", fdn("u"), partial{make([]byte, sizeofMsghdr), 40}, dontwait),
		do("recvmsg", "EINVAL buf="+hx(ee(16))+" buf=eeeeeeee", fdn("u"), msg{name: out(16), namelen: -1, iov: []any{out(4)}}, dontwait),
		do("recvmsg", "EAGAIN buf=eeeeeeee namelen=-1 controllen=0 flags=0x0", fdn("u"), msg{namelen: -1, iov: []any{out(4)}, rec: true}, dontwait),
		do("recvmsg", "EMSGSIZE buf=eeeeeeee", fdn("u"), msg{iov: []any{out(4)}, iovlen: 1025}, dontwait),
		do("recvmsg", "EFAULT", fdn("u"), msg{iovp: null, iovlen: 1}, dontwait),
		do("recvmsg", "EINVAL", fdn("u"), msg{iov: []any{iovec{make([]byte, 4), 1 << 63}}}, dontwait),
		do("recvmsg", "EFAULT", fdn("u"), msg{iov: []any{iovec{kern, 4}}}, dontwait),
		do("recvmsg", "EAGAIN", fdn("u"), msg{iov: []any{iovec{fault, 4}}}, dontwait), // only matters when data comes
		do("recvmsg", "EAGAIN buf=eeeeeeee", fdn("u"), msg{iov: []any{out(4)}}, dontwait|abi.MSG_ERRQUEUE),
		do("recvmsg", "EAGAIN buf=eeeeeeee", fdn("u"), msg{iov: []any{out(4)}}, dontwait),
	}},
	{name: "recvmsg/value-results", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("bind", "0", fdn("u"), sin("127.0.0.1", 5061), 16),
		do("setsockopt", "0", fdn("u"), abi.SOL_IP, abi.IP_RECVTTL, le32(1), 4),
		do("socket", "fd", inet, dgram, 0).as("v"),
		do("bind", "0", fdn("v"), sin("127.0.0.1", 5062), 16),
		do("sendto", "5", fdn("v"), txt("hello"), 5, 0, sin("127.0.0.1", 5061), 16),
		do("recvmsg", "5 buf="+hx(sin("127.0.0.1", 5062), ee(4))+" buf=6865 buf=6c6c6fee buf="+
			hx(cmsg(abi.SOL_IP, abi.IP_TTL, le32(64), 0)[:20], ee(12))+" namelen=16 controllen=24 flags=0x0",
			fdn("u"), msg{name: out(20), namelen: 20, iov: []any{out(2), out(4)}, control: out(32), rec: true}, 0).
			diff("5 buf=" + hx(sin("127.0.0.1", 5062), ee(4)) + " buf=6865 buf=6c6c6fee buf=" +
				hx(cmsg(abi.SOL_IP, abi.IP_TTL, le32(64), 0), ee(8)) + " namelen=16 controllen=24 flags=0x0" +
				": gosock copies a received control message's CMSG_SPACE padding out as zeros; put_cmsg writes only cmsg_len bytes"),
		do("sendto", "11", fdn("v"), txt("hello world"), 11, 0, sin("127.0.0.1", 5061), 16),
		// A short name, data and control: MSG_TRUNC, MSG_CTRUNC (a header
		// without data), and MSG_CMSG_CLOEXEC as passed.
		do("recvmsg", "4 buf="+hx(trunc(sin("127.0.0.1", 5062), 4), ee(4))+" buf=68656c6c buf="+
			hx(cmsg(abi.SOL_IP, abi.IP_TTL, nil, 0)[:16])+" namelen=16 controllen=16 flags=0x40000028",
			fdn("u"), msg{name: out(8), namelen: 4, iov: []any{out(4)}, control: out(16), rec: true}, abi.MSG_CMSG_CLOEXEC),
		do("sendto", "11", fdn("v"), txt("hello world"), 11, 0, sin("127.0.0.1", 5061), 16),
		do("recvmsg", "11 buf=68656c6c namelen=0 controllen=0 flags=0x28",
			fdn("u"), msg{iov: []any{out(4)}, rec: true}, abi.MSG_TRUNC),
		do("recvmsg", "EAGAIN buf=eeeeeeee", fdn("u"), msg{iov: []any{out(4)}}, dontwait),
	}},
}

// noPeername is the reason of SO_PEERNAME's known differences.
const noPeername = ": SO_PEERNAME is not implemented by gosock's socket layer"

// one is a receive message of one 4-byte buffer.
var one = msg{iov: []any{out(4)}}

var mmsgCases = []confCase{
	{name: "sendmmsg", steps: []step{
		do("pipe2", "0", pair, 0).as("p"),
		do("sendmmsg", "EINVAL", -1, fault, 1, msgCmsgCompat),
		do("sendmmsg", "EBADF", -1, fault, 1, 0),
		do("sendmmsg", "EBADF", -1, fault, 0, 0),
		do("sendmmsg", "ENOTSOCK", fdn("p1"), fault, 1, 0),
		do("socket", "fd", inet, dgram, 0).as("r"),
		do("bind", "0", fdn("r"), sin("127.0.0.1", 5070), 16),
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("connect", "0", fdn("u"), sin("127.0.0.1", 5070), 16),
		do("sendmmsg", "EFAULT", fdn("u"), fault, 1, 0),
		do("sendmmsg", "0", fdn("u"), fault, 0, 0),
		do("sendmmsg", "3 msglen=3,4,5", fdn("u"),
			mmsg{{iov: []any{txt("abc")}}, {iov: []any{txt("defg")}}, {iov: []any{txt("hijkl")}}}, 3, 0),
		do("sendmmsg", "1 msglen=3,0", fdn("u"), mmsg{{iov: []any{txt("abc")}}, {iov: []any{iovec{fault, 3}}}}, 2, 0),
		do("sendmmsg", "EFAULT msglen=0,0", fdn("u"), mmsg{{iov: []any{iovec{fault, 3}}}, {iov: []any{txt("abc")}}}, 2, 0),
		do("sendmmsg", "2 msglen=1,1", fdn("u"), mmsgEnd{{iov: []any{txt("a")}}, {iov: []any{txt("b")}}}, 3, 0), // the third is unmapped
		do("sendmmsg", "EOPNOTSUPP msglen=0", fdn("u"), mmsg{{iov: []any{txt("a")}}}, 1, abi.MSG_OOB),
	}},
	{name: "recvmmsg", steps: []step{
		do("pipe2", "0", pair, 0).as("p"),
		do("recvmmsg", "EINVAL", -1, fault, 1, msgCmsgCompat, fault),
		do("recvmmsg", "EFAULT", -1, fault, 1, 0, fault), // the timeout is read first
		do("recvmmsg", "EINVAL", -1, fault, 1, 0, ts{0, 1e9}),
		do("recvmmsg", "EINVAL", -1, fault, 1, 0, ts{-1, 0}),
		do("recvmmsg", "EBADF", -1, fault, 1, 0, null),
		do("recvmmsg", "EBADF", -1, fault, 0, 0, null),
		do("recvmmsg", "ENOTSOCK", fdn("p0"), fault, 1, 0, null),
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("bind", "0", fdn("u"), sin("127.0.0.1", 5071), 16),
		do("socket", "fd", inet, dgram, 0).as("v"),
		do("bind", "0", fdn("v"), sin("127.0.0.1", 5072), 16),
		do("recvmmsg", "EFAULT", fdn("u"), fault, 1, dontwait, null),
		do("recvmmsg", "0", fdn("u"), fault, 0, 0, null),
		do("recvmmsg", "EAGAIN buf=eeeeeeee msglen=0", fdn("u"), mmsg{one}, 1, dontwait, null),
		do("recvmmsg", "EAGAIN buf=eeeeeeee msglen=0", fdn("u"), mmsg{one}, 1, dontwait, ts{1, 0}),
		do("sendto", "1", fdn("v"), txt("a"), 1, 0, sin("127.0.0.1", 5071), 16),
		do("sendto", "2", fdn("v"), txt("bb"), 2, 0, sin("127.0.0.1", 5071), 16),
		do("sendto", "3", fdn("v"), txt("ccc"), 3, 0, sin("127.0.0.1", 5071), 16),
		do("recvmmsg", "3 buf=61eeeeee buf=6262eeee buf=636363ee buf=eeeeeeee msglen=1,2,3,0",
			fdn("u"), mmsg{one, one, one, one}, 3, 0, ts{5, 0}),
		do("recvmmsg", "EAGAIN buf=eeeeeeee buf=eeeeeeee msglen=0,0", fdn("u"), mmsg{one, one}, 2, dontwait, null),
		do("sendto", "1", fdn("v"), txt("d"), 1, 0, sin("127.0.0.1", 5071), 16),
		do("sendto", "1", fdn("v"), txt("e"), 1, 0, sin("127.0.0.1", 5071), 16),
		// The second receive faults: one message is returned and the
		// error kept for later (SO_ERROR).
		do("recvmmsg", "1 buf="+hx(sin("127.0.0.1", 5072))+" buf=64eeeeee msglen=1,0", fdn("u"),
			mmsg{{name: out(16), namelen: 16, iov: []any{out(4)}}, {iov: []any{iovec{fault, 4}}}}, 2, 0, null),
		do("getsockopt", "0 buf=0e000000 len=4", fdn("u"), solSocket, abi.SO_ERROR, out(4), vlen(4)),
		do("getsockopt", "0 buf=00000000 len=4", fdn("u"), solSocket, abi.SO_ERROR, out(4), vlen(4)),
		do("recvmmsg", "EAGAIN buf=eeeeeeee msglen=0", fdn("u"), mmsg{one}, 1, dontwait, null),
	}},
}

var shutdownCases = []confCase{
	{name: "shutdown", steps: []step{
		do("socket", "fd", inet, stream, 0).as("s"),
		do("shutdown", "EINVAL", fdn("s"), -1),
		do("shutdown", "EINVAL", fdn("s"), 3),
		do("shutdown", "EINVAL", fdn("s"), 0x7fffffff),
		do("shutdown", "ENOTCONN", fdn("s"), abi.SHUT_RD),
		do("shutdown", "ENOTCONN", fdn("s"), abi.SHUT_RDWR),
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("shutdown", "ENOTCONN", fdn("u"), abi.SHUT_WR),
		do("connect", "0", fdn("u"), sin("127.0.0.1", 5080), 16),
		do("shutdown", "0", fdn("u"), abi.SHUT_WR),
		do("sendto", "EPIPE", fdn("u"), txt("x"), 1, nosig, null, 0),
		do("socket", "fd", local, stream, 0).as("x"),
		do("shutdown", "0", fdn("x"), abi.SHUT_RDWR), // AF_UNIX shuts down unconnected sockets
		do("shutdown", "EINVAL", fdn("x"), 3),
		do("shutdown", "EINVAL", fdn("x"), -1),
		do("socket", "fd", inet, stream|nonblock, 0).as("l"),
		do("listen", "0", fdn("l"), 1),
		do("shutdown", "0", fdn("l"), abi.SHUT_WR),
		do("getsockopt", "0 buf=01000000 len=4", fdn("l"), solSocket, abi.SO_ACCEPTCONN, out(4), vlen(4)),
		do("shutdown", "0", fdn("l"), abi.SHUT_RD), // closes the listener
		do("getsockopt", "0 buf=00000000 len=4", fdn("l"), solSocket, abi.SO_ACCEPTCONN, out(4), vlen(4)),
		do("accept4", "EINVAL", fdn("l"), null, null, nonblock),
		do("socket", "fd", pkt, sockRaw, 0).as("k"),
		do("shutdown", "EOPNOTSUPP", fdn("k"), abi.SHUT_RDWR),
		do("shutdown", "EOPNOTSUPP", fdn("k"), 5).
			diff("EINVAL: gosock's generic Socket.Shutdown checks how for every family; Linux leaves it to inet_shutdown and unix_shutdown, and AF_PACKET's sock_no_shutdown refuses any how"),
	}},
}

var setsockoptCases = []confCase{
	{name: "setsockopt/SOL_SOCKET", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("s"),
		do("setsockopt", "EINVAL", fdn("s"), solSocket, abi.SO_REUSEADDR, le32(1), -1),
		do("setsockopt", "EINVAL", fdn("s"), solSocket, abi.SO_REUSEADDR, fault, -1), // the length before the value
		do("setsockopt", "EINVAL", fdn("s"), solSocket, abi.SO_REUSEADDR, le32(1), 0),
		do("setsockopt", "EINVAL", fdn("s"), solSocket, abi.SO_REUSEADDR, le32(1), 3),
		do("setsockopt", "EFAULT", fdn("s"), solSocket, abi.SO_REUSEADDR, fault, 4),
		do("setsockopt", "EFAULT", fdn("s"), solSocket, abi.SO_REUSEADDR, null, 4),
		do("setsockopt", "EFAULT", fdn("s"), solSocket, abi.SO_REUSEADDR, partial{le32(1), 2}, 4),
		do("setsockopt", "0", fdn("s"), solSocket, abi.SO_REUSEADDR, le32(1), 4),
		do("getsockopt", "0 buf=01000000 len=4", fdn("s"), solSocket, abi.SO_REUSEADDR, out(4), vlen(4)),
		do("setsockopt", "0", fdn("s"), solSocket, abi.SO_REUSEADDR, pad(le32(0), 8), 8), // longer is fine
		do("getsockopt", "0 buf=00000000 len=4", fdn("s"), solSocket, abi.SO_REUSEADDR, out(4), vlen(4)),
		do("setsockopt", "ENOPROTOOPT", fdn("s"), solSocket, 9999, le32(1), 4),
		do("setsockopt", "EINVAL", fdn("s"), solSocket, 9999, le32(1), 2), // the length before the name
		do("setsockopt", "ENOPROTOOPT", fdn("s"), solSocket, abi.SO_TYPE, le32(1), 4),
		do("setsockopt", "ENOPROTOOPT", fdn("s"), solSocket, abi.SO_ERROR, le32(1), 4),
		do("setsockopt", "ENOPROTOOPT", fdn("s"), solSocket, abi.SO_PROTOCOL, le32(1), 4),
		do("setsockopt", "EINVAL", fdn("s"), solSocket, abi.SO_LINGER, le32(1), 4),
		do("setsockopt", "0", fdn("s"), solSocket, abi.SO_LINGER, linger(1, 5), 8),
		do("getsockopt", "0 buf=0100000005000000 len=8", fdn("s"), solSocket, abi.SO_LINGER, out(8), vlen(8)),
		do("setsockopt", "EINVAL", fdn("s"), solSocket, abi.SO_RCVTIMEO, tv(1, 0), 8),
		do("setsockopt", "EDOM", fdn("s"), solSocket, abi.SO_RCVTIMEO, tv(1, 1000000), 16),
		do("setsockopt", "EDOM", fdn("s"), solSocket, abi.SO_RCVTIMEO, tv(1, -1), 16),
		do("setsockopt", "0", fdn("s"), solSocket, abi.SO_RCVTIMEO, tv(-1, 0), 16), // no timeout
		do("setsockopt", "0", fdn("s"), solSocket, abi.SO_RCVTIMEO, tv(2, 500000), 16),
		do("getsockopt", "0 buf="+hx(tv(2, 500000))+" len=16", fdn("s"), solSocket, abi.SO_RCVTIMEO, out(16), vlen(16)),
		do("setsockopt", "EFAULT", fdn("s"), solSocket, abi.SO_SNDTIMEO, fault, 16),
	}},
	{name: "setsockopt/SO_BINDTODEVICE", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("s"),
		do("setsockopt", "ENODEV", fdn("s"), solSocket, abi.SO_BINDTODEVICE, txt("nope\x00"), 5),
		do("setsockopt", "EINVAL", fdn("s"), solSocket, abi.SO_BINDTODEVICE, txt("lo\x00"), -1),
		do("setsockopt", "EFAULT", fdn("s"), solSocket, abi.SO_BINDTODEVICE, fault, 3),
		do("setsockopt", "0", fdn("s"), solSocket, abi.SO_BINDTODEVICE, fault, 0), // length 0 unbinds, reading nothing
		do("setsockopt", "0", fdn("s"), solSocket, abi.SO_BINDTODEVICE, txt("lo"), 2),
		do("getsockopt", "0 buf=6c6f00"+hx(ee(13))+" len=3", fdn("s"), solSocket, abi.SO_BINDTODEVICE, out(16), vlen(16)),
		do("getsockopt", "EINVAL buf="+hx(ee(8))+" len=8", fdn("s"), solSocket, abi.SO_BINDTODEVICE, out(8), vlen(8)),
		do("setsockopt", "ENODEV", fdn("s"), solSocket, abi.SO_BINDTODEVICE, txt("lo-and-a-long-name"), 18), // cut to 15
		do("setsockopt", "0", fdn("s"), solSocket, abi.SO_BINDTODEVICE, txt("\x00"), 1),
		do("getsockopt", "0 buf="+hx(ee(16))+" len=0", fdn("s"), solSocket, abi.SO_BINDTODEVICE, out(16), vlen(16)),
	}},
	{name: "setsockopt/levels", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("setsockopt", "ENOPROTOOPT", fdn("u"), 999, 1, le32(1), 4),
		do("setsockopt", "ENOPROTOOPT", fdn("u"), abi.SOL_TCP, abi.TCP_NODELAY, le32(1), 4),
		do("setsockopt", "ENOPROTOOPT", fdn("u"), abi.SOL_IPV6, abi.IPV6_V6ONLY, le32(1), 4),
		do("setsockopt", "ENOPROTOOPT", fdn("u"), abi.SOL_UDP, 999, le32(1), 4),
		do("setsockopt", "ENOPROTOOPT", fdn("u"), abi.SOL_IP, 9999, le32(1), 4),
		do("setsockopt", "EINVAL", fdn("u"), abi.SOL_IP, abi.IP_TTL, le32(0), 4),
		do("setsockopt", "EINVAL", fdn("u"), abi.SOL_IP, abi.IP_TTL, le32(256), 4),
		do("setsockopt", "EINVAL", fdn("u"), abi.SOL_IP, abi.IP_TTL, le32(1), 0),
		do("setsockopt", "EFAULT", fdn("u"), abi.SOL_IP, abi.IP_TTL, fault, 4),
		do("setsockopt", "0", fdn("u"), abi.SOL_IP, abi.IP_TTL, []byte{7}, 1), // one byte will do
		do("getsockopt", "0 buf=07000000 len=4", fdn("u"), abi.SOL_IP, abi.IP_TTL, out(4), vlen(4)),
		do("setsockopt", "0", fdn("u"), abi.SOL_IP, abi.IP_TTL, le32(-1), 4), // the default again
		do("getsockopt", "0 buf=40000000 len=4", fdn("u"), abi.SOL_IP, abi.IP_TTL, out(4), vlen(4)),
		do("socket", "fd", inet6, dgram, 0).as("v"),
		do("setsockopt", "0", fdn("v"), abi.SOL_IP, abi.IP_TTL, le32(9), 4), // IPv6 sockets take IPv4 options
		do("setsockopt", "EINVAL", fdn("v"), abi.SOL_IPV6, abi.IPV6_V6ONLY, le32(1), 3),
		do("setsockopt", "0", fdn("v"), abi.SOL_IPV6, abi.IPV6_V6ONLY, le32(1), 4),
		do("setsockopt", "ENOPROTOOPT", fdn("v"), 999, 1, le32(1), 4),
		do("socket", "fd", inet, stream, 0).as("t"),
		do("setsockopt", "EINVAL", fdn("t"), abi.SOL_TCP, abi.TCP_NODELAY, le32(1), 3),
		do("setsockopt", "0", fdn("t"), abi.SOL_TCP, abi.TCP_NODELAY, le32(1), 4),
		do("setsockopt", "ENOPROTOOPT", fdn("t"), abi.SOL_TCP, 9999, le32(1), 4),
		do("setsockopt", "EINVAL", fdn("t"), abi.SOL_TCP, abi.TCP_MAXSEG, le32(1), 4),
		do("setsockopt", "ENOPROTOOPT", fdn("t"), 999, 1, le32(1), 4),
		do("setsockopt", "ENOPROTOOPT", fdn("t"), abi.SOL_UDP, 1, le32(1), 4),
		do("socket", "fd", local, stream, 0).as("x"),
		do("setsockopt", "EOPNOTSUPP", fdn("x"), abi.SOL_IP, abi.IP_TTL, le32(1), 4),
		do("setsockopt", "0", fdn("x"), solSocket, abi.SO_PASSCRED, le32(1), 4),
		do("setsockopt", "EINVAL", fdn("x"), 999, 1, fault, -1),
		do("socket", "fd", pkt, sockRaw, 0).as("k"),
		do("setsockopt", "ENOPROTOOPT", fdn("k"), abi.SOL_IP, abi.IP_TTL, le32(1), 4),
		do("setsockopt", "ENOPROTOOPT", fdn("k"), abi.SOL_PACKET, 9999, le32(1), 4),
		do("setsockopt", "EINVAL", fdn("k"), abi.SOL_PACKET, abi.PACKET_VERSION, le32(99), 4),
	}},
	{name: "setsockopt/unprivileged", unpriv: true, steps: []step{
		do("socket", "fd", inet, dgram, 0).as("s"),
		do("setsockopt", "0", fdn("s"), solSocket, abi.SO_PRIORITY, le32(6), 4),
		do("setsockopt", "EPERM", fdn("s"), solSocket, abi.SO_PRIORITY, le32(7), 4),
		do("setsockopt", "EPERM", fdn("s"), solSocket, abi.SO_RCVBUFFORCE, le32(4096), 4),
		do("setsockopt", "EINVAL", fdn("s"), solSocket, abi.SO_RCVBUFFORCE, le32(4096), 2), // the length first
		do("setsockopt", "EPERM", fdn("s"), solSocket, abi.SO_SNDBUFFORCE, le32(4096), 4),
		do("setsockopt", "EPERM", fdn("s"), solSocket, abi.SO_MARK, le32(1), 4),
		do("setsockopt", "EACCES", fdn("s"), solSocket, abi.SO_DEBUG, le32(1), 4),
		do("setsockopt", "0", fdn("s"), solSocket, abi.SO_DEBUG, le32(0), 4),
		do("setsockopt", "EPERM", fdn("s"), abi.SOL_IP, abi.IP_TRANSPARENT, le32(1), 4),
		do("setsockopt", "0", fdn("s"), abi.SOL_IP, abi.IP_TRANSPARENT, le32(0), 4),
		do("setsockopt", "0", fdn("s"), solSocket, abi.SO_BINDTODEVICE, txt("lo"), 2), // binding once is allowed
		do("setsockopt", "EPERM", fdn("s"), solSocket, abi.SO_BINDTODEVICE, txt("lo"), 2),
		do("setsockopt", "EPERM", fdn("s"), solSocket, abi.SO_BINDTODEVICE, null, 0),
		do("socket", "fd", inet6, dgram, 0).as("v"),
		do("setsockopt", "EPERM", fdn("v"), abi.SOL_IPV6, abi.IPV6_TRANSPARENT, le32(1), 4),
	}},
	{name: "setsockopt/privileged", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("s"),
		do("setsockopt", "0", fdn("s"), solSocket, abi.SO_PRIORITY, le32(7), 4),
		do("setsockopt", "0", fdn("s"), solSocket, abi.SO_MARK, le32(1), 4),
		do("setsockopt", "0", fdn("s"), solSocket, abi.SO_DEBUG, le32(1), 4),
		do("setsockopt", "0", fdn("s"), solSocket, abi.SO_RCVBUFFORCE, le32(4096), 4),
		do("getsockopt", "0 buf=00200000 len=4", fdn("s"), solSocket, abi.SO_RCVBUF, out(4), vlen(4)),
		do("setsockopt", "0", fdn("s"), abi.SOL_IP, abi.IP_TRANSPARENT, le32(1), 4),
		do("setsockopt", "0", fdn("s"), solSocket, abi.SO_BINDTODEVICE, txt("lo"), 2),
		do("setsockopt", "0", fdn("s"), solSocket, abi.SO_BINDTODEVICE, txt("lo"), 2),
	}},
}

var getsockoptCases = []confCase{
	{name: "getsockopt/lengths", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("s"),
		do("getsockopt", "0 buf=02000000 len=4", fdn("s"), solSocket, abi.SO_TYPE, out(4), vlen(4)),
		do("getsockopt", "0 buf=02000000eeeeeeee len=4", fdn("s"), solSocket, abi.SO_TYPE, out(8), vlen(8)),
		do("getsockopt", "0 buf=0200eeee len=2", fdn("s"), solSocket, abi.SO_TYPE, out(4), vlen(2)),
		do("getsockopt", "0 buf=02eeeeee len=1", fdn("s"), solSocket, abi.SO_TYPE, out(4), vlen(1)),
		do("getsockopt", "0 buf=eeeeeeee len=0", fdn("s"), solSocket, abi.SO_TYPE, out(4), vlen(0)),
		do("getsockopt", "EINVAL buf=eeeeeeee len=-1", fdn("s"), solSocket, abi.SO_TYPE, out(4), vlen(-1)),
		do("getsockopt", "EFAULT buf=eeeeeeee", fdn("s"), solSocket, abi.SO_TYPE, out(4), fault),
		do("getsockopt", "EFAULT buf=eeeeeeee", fdn("s"), solSocket, abi.SO_TYPE, out(4), null),
		do("getsockopt", "EFAULT buf=eeeeeeee", fdn("s"), solSocket, abi.SO_TYPE, out(4), partial{le32(4), 2}),
		do("getsockopt", "EFAULT len=4", fdn("s"), solSocket, abi.SO_TYPE, fault, vlen(4)),
		do("getsockopt", "0 len=0", fdn("s"), solSocket, abi.SO_TYPE, fault, vlen(0)),
		do("getsockopt", "EFAULT len=4", fdn("s"), solSocket, abi.SO_TYPE, null, vlen(4)),
		do("getsockopt", "ENOPROTOOPT buf=eeeeeeee len=4", fdn("s"), solSocket, 9999, out(4), vlen(4)),
		do("getsockopt", "EFAULT", fdn("s"), solSocket, 9999, fault, fault), // the length is read first
		do("getsockopt", "0 buf=0000000000000000eeeeeeee len=8", fdn("s"), solSocket, abi.SO_LINGER, out(12), vlen(12)),
		do("getsockopt", "0 buf=00000000eeeeeeee len=4", fdn("s"), solSocket, abi.SO_LINGER, out(8), vlen(4)),
		do("getsockopt", "0 buf="+hx(make([]byte, 16))+" len=16", fdn("s"), solSocket, abi.SO_RCVTIMEO, out(16), vlen(16)),
		do("getsockopt", "0 buf="+hx(make([]byte, 8), ee(8))+" len=8", fdn("s"), solSocket, abi.SO_RCVTIMEO, out(16), vlen(8)),
		do("getsockopt", "0 buf=00000000 len=4", fdn("s"), solSocket, abi.SO_ERROR, out(4), vlen(4)),
		do("getsockopt", "0 buf=00000000 len=4", fdn("s"), solSocket, abi.SO_ACCEPTCONN, out(4), vlen(4)),
		do("getsockopt", "ENOTCONN buf="+hx(ee(16))+" len=16", fdn("s"), solSocket, abi.SO_PEERNAME, out(16), vlen(16)).
			diff("ENOPROTOOPT buf=" + hx(ee(16)) + " len=16" + noPeername),
		do("connect", "0", fdn("s"), sin("127.0.0.1", 5090), 16),
		do("getsockopt", "0 buf="+hx(trunc(sin("127.0.0.1", 5090), 8), ee(8))+" len=8", fdn("s"), solSocket, abi.SO_PEERNAME, out(16), vlen(8)).
			diff("ENOPROTOOPT buf=" + hx(ee(16)) + " len=8" + noPeername),
		do("getsockopt", "0 buf="+hx(sin("127.0.0.1", 5090))+" len=16", fdn("s"), solSocket, abi.SO_PEERNAME, out(16), vlen(16)).
			diff("ENOPROTOOPT buf=" + hx(ee(16)) + " len=16" + noPeername),
		do("getsockopt", "EINVAL buf="+hx(ee(20))+" len=20", fdn("s"), solSocket, abi.SO_PEERNAME, out(20), vlen(20)). // longer than the address
																diff("ENOPROTOOPT buf=" + hx(ee(20)) + " len=20" + noPeername),
	}},
	{name: "getsockopt/levels", steps: []step{
		do("socket", "fd", inet, dgram, 0).as("u"),
		do("getsockopt", "0 buf=40000000 len=4", fdn("u"), abi.SOL_IP, abi.IP_TTL, out(4), vlen(4)),
		do("getsockopt", "0 buf=40eeeeee len=1", fdn("u"), abi.SOL_IP, abi.IP_TTL, out(4), vlen(2)), // one byte when it fits
		do("getsockopt", "0 buf=40eeeeee len=1", fdn("u"), abi.SOL_IP, abi.IP_TTL, out(4), vlen(1)),
		do("getsockopt", "0 buf=eeeeeeee len=0", fdn("u"), abi.SOL_IP, abi.IP_TTL, out(4), vlen(0)),
		do("getsockopt", "EINVAL buf=eeeeeeee len=-1", fdn("u"), abi.SOL_IP, abi.IP_TTL, out(4), vlen(-1)),
		do("getsockopt", "ENOPROTOOPT buf=eeeeeeee len=4", fdn("u"), abi.SOL_IP, 9999, out(4), vlen(4)),
		do("getsockopt", "EOPNOTSUPP buf=eeeeeeee len=4", fdn("u"), 999, 1, out(4), vlen(4)),
		do("getsockopt", "EOPNOTSUPP buf=eeeeeeee len=4", fdn("u"), abi.SOL_TCP, abi.TCP_NODELAY, out(4), vlen(4)),
		do("getsockopt", "EOPNOTSUPP buf=eeeeeeee len=4", fdn("u"), abi.SOL_IPV6, abi.IPV6_V6ONLY, out(4), vlen(4)),
		do("getsockopt", "ENOPROTOOPT buf=eeeeeeee len=4", fdn("u"), abi.SOL_UDP, 999, out(4), vlen(4)),
		do("socket", "fd", inet6, dgram, 0).as("v"),
		do("getsockopt", "0 buf=00000000 len=4", fdn("v"), abi.SOL_IPV6, abi.IPV6_V6ONLY, out(4), vlen(-1)), // unsigned
		do("getsockopt", "0 buf=0000eeee len=2", fdn("v"), abi.SOL_IPV6, abi.IPV6_V6ONLY, out(4), vlen(2)),
		do("getsockopt", "0 buf=40000000 len=4", fdn("v"), abi.SOL_IP, abi.IP_TTL, out(4), vlen(4)),
		do("getsockopt", "ENOPROTOOPT buf=eeeeeeee len=4", fdn("v"), 999, 1, out(4), vlen(4)),
		do("socket", "fd", inet, stream, 0).as("t"),
		do("getsockopt", "EINVAL buf=eeeeeeee len=-1", fdn("t"), abi.SOL_TCP, abi.TCP_NODELAY, out(4), vlen(-1)),
		do("getsockopt", "0 buf=0000eeee len=2", fdn("t"), abi.SOL_TCP, abi.TCP_NODELAY, out(4), vlen(2)),
		do("getsockopt", "ENOPROTOOPT buf=eeeeeeee len=4", fdn("t"), abi.SOL_TCP, 9999, out(4), vlen(4)),
		do("getsockopt", "0 buf=18020000 len=4", fdn("t"), abi.SOL_TCP, abi.TCP_MAXSEG, out(4), vlen(4)),
		// tcpi_state TCP_CLOSE; tcpi_delivery_rate_app_limited set.
		do("getsockopt", "0 buf=0700000000000001 len=8", fdn("t"), abi.SOL_TCP, abi.TCP_INFO, out(8), vlen(8)).
			diff("0 buf=0700000000000000 len=8: gosock does not keep tp->rate_app_limited (tcp_rate.c), which tcp_init_sock sets, so tcpi_delivery_rate_app_limited reads 0"),
		do("getsockopt", "EOPNOTSUPP buf=eeeeeeee len=4", fdn("t"), 999, 1, out(4), vlen(4)),
		do("socket", "fd", local, stream, 0).as("x"),
		do("getsockopt", "EOPNOTSUPP buf=eeeeeeee len=4", fdn("x"), abi.SOL_IP, abi.IP_TTL, out(4), vlen(4)),
		do("getsockopt", "0 buf=00000000ffffffffffffffffeeeeeeee len=12", fdn("x"), solSocket, abi.SO_PEERCRED, out(16), vlen(16)),
		do("socket", "fd", pkt, sockRaw, 0).as("k"),
		do("getsockopt", "ENOPROTOOPT buf=eeeeeeee len=4", fdn("k"), abi.SOL_IP, abi.IP_TTL, out(4), vlen(4)),
		do("getsockopt", "0 buf=00000000 len=4", fdn("k"), abi.SOL_PACKET, abi.PACKET_VERSION, out(4), vlen(4)),
		do("getsockopt", "EINVAL buf=eeeeeeee len=-1", fdn("k"), abi.SOL_PACKET, abi.PACKET_VERSION, out(4), vlen(-1)),
		do("getsockopt", "0 buf=0000000000000000eeeeeeee len=8", fdn("k"), abi.SOL_PACKET, abi.PACKET_STATISTICS, out(12), vlen(12)),
	}},
}

var packetCases = []confCase{
	{name: "packet/addresses and unsupported calls", steps: []step{
		do("socket", "fd", pkt, sockRaw, 0).as("k"),
		do("getsockname", "0 buf=110000000000000000000000"+hx(ee(8))+" len=12", fdn("k"), out(20), vlen(20)),
		do("bind", "EINVAL", fdn("k"), sll(1, 0), 19),
		do("bind", "EINVAL", fdn("k"), fam(sll(1, 0), inet), 20),
		do("bind", "ENODEV", fdn("k"), sll(99, 0), 20),
		do("bind", "0", fdn("k"), sll(1, 0), 20),
		// ARPHRD_LOOPBACK (772), a 6-byte hardware address of zeros.
		do("getsockname", "0 buf=110000000100000004030006000000000000eeee len=18", fdn("k"), out(20), vlen(20)),
		do("getpeername", "EOPNOTSUPP buf="+hx(ee(20))+" len=20", fdn("k"), out(20), vlen(20)),
		do("connect", "EOPNOTSUPP", fdn("k"), sll(1, 0), 20),
		do("listen", "EOPNOTSUPP", fdn("k"), 1),
		do("sendto", "ENXIO", fdn("k"), txt("x"), 1, 0, sll(99, 0), 20),
		do("socket", "fd", pkt, sockRaw, 0).as("u"),
		do("sendto", "ENXIO", fdn("u"), txt("x"), 1, 0, null, 0), // not bound: no device
		do("socket", "fd", inet, abi.SOCK_PACKET, 0).as("sp"),
		do("getsockname", "0 buf="+hx(spkt(""), ee(4))+" len=16", fdn("sp"), out(20), vlen(20)),
		do("bind", "EINVAL", fdn("sp"), spkt("lo"), 15),
		do("bind", "0", fdn("sp"), spkt("lo"), 16),
		do("getsockname", "0 buf="+hx(spkt("lo"), ee(4))+" len=16", fdn("sp"), out(20), vlen(20)),
		do("getpeername", "EOPNOTSUPP buf="+hx(ee(20))+" len=20", fdn("sp"), out(20), vlen(20)),
	}},
}
