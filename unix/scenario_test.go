package unix_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/sys"
)

// A scenario is a sequence of calls whose every result is logged in a
// form that does not depend on the implementation (no descriptor
// numbers, abstract names with the run's token replaced). Run on gosock
// and on the host kernel, the logs must be equal; run on gosock alone,
// they must equal the golden log recorded from the kernel.
type scenario struct {
	name string
	run  func(s *scen)
}

type scen struct {
	a   api
	tok string
	out []string
}

func (s *scen) logf(format string, args ...any) {
	s.out = append(s.out, fmt.Sprintf(format, args...))
}

// check logs a call's error.
func (s *scen) check(step string, err error) { s.logf("%s: %s", step, errName(err)) }

// name is an abstract address unique to the run.
func (s *scen) name(n string) []byte { return abstractAddr(s.tok + "-" + n) }

// addr formats a raw address without the run's token.
func (s *scen) addr(b []byte) string {
	if len(b) < 2 {
		return fmt.Sprintf("short/%d", len(b))
	}
	if f := binary.LittleEndian.Uint16(b); f != abi.AF_UNIX {
		return fmt.Sprintf("family%d/%d", f, len(b))
	}
	p := b[2:]
	switch {
	case len(p) == 0:
		return "unnamed/2"
	case p[0] == 0 && len(b) == abi.SizeofSockaddrUnix && strings.HasPrefix(string(p[1:]), s.tok):
		return fmt.Sprintf("@T...(full)/%d", len(b))
	case p[0] == 0:
		n, l := string(p[1:]), len(b)
		switch {
		case strings.HasPrefix(n, s.tok):
			// As if the token were "T", so lengths do not depend on it.
			n, l = "T"+n[len(s.tok):], l-len(s.tok)+1
		case len(n) == 5 && strings.Trim(n, "0123456789abcdef") == "":
			n = "<auto>"
		}
		return fmt.Sprintf("@%q/%d", n, l)
	}
	return fmt.Sprintf("%q/%d", p, len(b))
}

func (s *scen) sock(typ int) int {
	fd, err := s.a.Socket(abi.AF_UNIX, typ|abi.SOCK_NONBLOCK, 0)
	if err != nil {
		s.logf("socket(%d): %s", typ, errName(err))
	}
	return fd
}

func (s *scen) pair(typ int) (int, int) {
	fds, err := s.a.Socketpair(abi.AF_UNIX, typ|abi.SOCK_NONBLOCK, 0)
	if err != nil {
		s.logf("socketpair(%d): %s", typ, errName(err))
	}
	return fds[0], fds[1]
}

func (s *scen) bound(typ int, name string) int {
	fd := s.sock(typ)
	if err := s.a.Bind(fd, s.name(name)); err != nil {
		s.logf("bind %s: %s", name, errName(err))
	}
	return fd
}

func (s *scen) listener(typ int, name string, backlog int) int {
	fd := s.bound(typ, name)
	if err := s.a.Listen(fd, backlog); err != nil {
		s.logf("listen %s: %s", name, errName(err))
	}
	return fd
}

func (s *scen) send(step string, fd int, data []byte, flags int) {
	n, err := s.a.Sendmsg(fd, data, nil, nil, flags|abi.MSG_NOSIGNAL)
	s.logf("%s: n=%d %s", step, n, errName(err))
}

func (s *scen) sendto(step string, fd int, data []byte, to []byte) {
	n, err := s.a.Sendmsg(fd, data, nil, to, abi.MSG_NOSIGNAL)
	s.logf("%s: n=%d %s", step, n, errName(err))
}

func (s *scen) sendctl(step string, fd int, data, oob []byte, flags int) {
	n, err := s.a.Sendmsg(fd, data, oob, nil, flags|abi.MSG_NOSIGNAL)
	s.logf("%s: n=%d %s", step, n, errName(err))
}

// recv logs a receive into a buffer of size bytes (and oob bytes of
// control room, -1 for none): data, flags, sender, control messages.
func (s *scen) recv(step string, fd, size, oob, flags int) {
	buf := make([]byte, size)
	var ctl []byte
	if oob >= 0 {
		ctl = make([]byte, oob)
	}
	n, oobn, rf, from, err := s.a.Recvmsg(fd, buf, ctl, flags)
	if err != nil {
		s.logf("%s: %s", step, errName(err))
		return
	}
	data := buf[:min(max(n, 0), size)]
	shown := fmt.Sprintf("%q", data)
	if len(data) > 16 {
		shown = fmt.Sprintf("%q...(%d bytes, sum %d)", data[:16], len(data), bytesSum(data))
	}
	line := fmt.Sprintf("%s: n=%d %s flags=%#x", step, n, shown, rf)
	if len(from) > 0 {
		line += " from=" + s.addr(from)
	}
	if oobn > 0 || oob >= 0 {
		line += fmt.Sprintf(" oobn=%d", oobn) + s.ctl(ctl[:oobn])
	}
	s.out = append(s.out, line)
}

// ctl describes control messages: credentials (the caller's PID as
// "self"), descriptors (how many, valid, close-on-exec) and headers.
func (s *scen) ctl(b []byte) string {
	var sb strings.Builder
	for off := 0; off+sys.SizeofCmsghdr <= len(b); {
		l := int(binary.LittleEndian.Uint64(b[off:]))
		level := int32(binary.LittleEndian.Uint32(b[off+8:]))
		typ := int32(binary.LittleEndian.Uint32(b[off+12:]))
		fmt.Fprintf(&sb, " [len=%d level=%d type=%d", l, level, typ)
		end := min(off+l, len(b))
		data := b[min(off+sys.SizeofCmsghdr, end):end]
		switch {
		case level == abi.SOL_SOCKET && typ == abi.SCM_CREDENTIALS && len(data) >= 12:
			pid := int(int32(binary.LittleEndian.Uint32(data)))
			ps := fmt.Sprint(pid)
			if pid == s.a.Pid() {
				ps = "self"
			}
			fmt.Fprintf(&sb, " pid=%s uid=%d gid=%d", ps, binary.LittleEndian.Uint32(data[4:]), binary.LittleEndian.Uint32(data[8:]))
		case level == abi.SOL_SOCKET && typ == abi.SCM_RIGHTS:
			var fds []int
			for i := 0; i+4 <= len(data); i += 4 {
				fds = append(fds, int(int32(binary.LittleEndian.Uint32(data[i:]))))
			}
			if ad, ok := s.a.(interface{ Adopt([]int) }); ok {
				ad.Adopt(fds)
			}
			valid, cloexec := 0, 0
			for _, fd := range fds {
				if fl, err := s.a.FcntlGetfd(fd); err == nil {
					valid++
					if fl&abi.FD_CLOEXEC != 0 {
						cloexec++
					}
				}
			}
			fmt.Fprintf(&sb, " fds=%d valid=%d cloexec=%d", len(fds), valid, cloexec)
		}
		sb.WriteString("]")
		if l < sys.SizeofCmsghdr {
			break
		}
		off += (l + 7) &^ 7
	}
	return sb.String()
}

func (s *scen) poll(step string, fd int) { s.logf("%s: poll=%#x", step, s.a.Poll(fd)) }

func (s *scen) ioctl(step string, fd int, req uint) {
	v, err := s.a.IoctlInt(fd, req)
	if err != nil {
		s.logf("%s: %s", step, errName(err))
		return
	}
	s.logf("%s: %d", step, v)
}

func (s *scen) queues(step string, snd, rcv int) {
	o, err1 := s.a.IoctlInt(snd, abi.SIOCOUTQ)
	i, err2 := s.a.IoctlInt(rcv, abi.SIOCINQ)
	s.logf("%s: outq=%d(%s) inq=%d(%s)", step, o, errName(err1), i, errName(err2))
}

func (s *scen) getname(step string, fd int, peer bool) {
	b, err := s.a.Getname(fd, peer)
	if err != nil {
		s.logf("%s: %s", step, errName(err))
		return
	}
	s.logf("%s: %s", step, s.addr(b))
}

func (s *scen) sockopt(step string, fd, opt int) {
	v, err := s.a.GetsockoptInt(fd, abi.SOL_SOCKET, opt)
	s.logf("%s: %d %s", step, v, errName(err))
}

func (s *scen) peercred(step string, fd int) {
	b, err := s.a.GetsockoptBytes(fd, abi.SOL_SOCKET, abi.SO_PEERCRED, 12)
	if err != nil || len(b) < 12 {
		s.logf("%s: %s len=%d", step, errName(err), len(b))
		return
	}
	pid := int(int32(binary.LittleEndian.Uint32(b)))
	ps := fmt.Sprint(pid)
	if pid == s.a.Pid() {
		ps = "self"
	}
	s.logf("%s: pid=%s uid=%d gid=%d", step, ps, int32(binary.LittleEndian.Uint32(b[4:])), int32(binary.LittleEndian.Uint32(b[8:])))
}

func (s *scen) accept(step string, fd int) int {
	nfd, from, err := s.a.Accept4(fd, abi.SOCK_NONBLOCK)
	if err != nil {
		s.logf("%s: %s", step, errName(err))
		return -1
	}
	s.logf("%s: ok peer=%s", step, s.addr(from))
	return nfd
}

// cmsg builds one control message with a raw header.
func cmsg(length, level, typ int, data []byte) []byte {
	b := make([]byte, max(sys.CmsgSpace(len(data)), sys.SizeofCmsghdr))
	binary.LittleEndian.PutUint64(b, uint64(length))
	binary.LittleEndian.PutUint32(b[8:], uint32(int32(level)))
	binary.LittleEndian.PutUint32(b[12:], uint32(int32(typ)))
	copy(b[sys.SizeofCmsghdr:], data)
	return b
}

func runScenario(a api, tok string, sc scenario) []string {
	s := &scen{a: a, tok: tok}
	sc.run(s)
	return s.out
}

// diffLogs reports the first lines where two logs differ.
func diffLogs(t *testing.T, wantName string, want, got []string) {
	t.Helper()
	if strings.Join(want, "\n") == strings.Join(got, "\n") {
		return
	}
	var b bytes.Buffer
	shown := 0
	for i := 0; i < max(len(want), len(got)) && shown < 12; i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			fmt.Fprintf(&b, "line %d:\n  %s: %s\n  gosock: %s\n", i+1, wantName, w, g)
			shown++
		}
	}
	t.Errorf("gosock differs from %s:\n%s", wantName, b.String())
}

func bytesSum(b []byte) int {
	n := 0
	for _, c := range b {
		n += int(c)
	}
	return n
}
