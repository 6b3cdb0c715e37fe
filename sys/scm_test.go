package sys

import (
	"bytes"
	"testing"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/unix"
	"github.com/gosock/gosock/waitq"
)

func TestCmsgLayout(t *testing.T) {
	for _, c := range []struct{ n, len, space int }{{0, 16, 16}, {4, 20, 24}, {8, 24, 24}, {12, 28, 32}, {1012, 1028, 1032}} {
		if CmsgLen(c.n) != c.len || CmsgSpace(c.n) != c.space {
			t.Errorf("CmsgLen/Space(%d) = %d/%d, want %d/%d", c.n, CmsgLen(c.n), CmsgSpace(c.n), c.len, c.space)
		}
	}
	// struct cmsghdr on x86-64: u64 len, i32 level, i32 type; data
	// padded to 8 bytes.
	want := []byte{
		20, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,
		7, 0, 0, 0, 0, 0, 0, 0,
	}
	if got := UnixRights(7); !bytes.Equal(got, want) {
		t.Errorf("UnixRights(7) = % x", got)
	}
	want = []byte{
		28, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0,
		0x39, 0x30, 0, 0, 0xe8, 0x03, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
	}
	if got := UnixCredentials(&Ucred{Pid: 12345, Uid: 1000, Gid: 0xffffffff}); !bytes.Equal(got, want) {
		t.Errorf("UnixCredentials = % x", got)
	}
	b := append(UnixRights(3, -1, 5), UnixCredentials(&Ucred{Pid: 1, Uid: 2, Gid: 3})...)
	b = append(b, 1, 2, 3) // trailing bytes shorter than a header are ignored
	msgs, err := ParseSocketControlMessage(b)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("parse: %d messages, %v", len(msgs), err)
	}
	if fds, err := ParseUnixRights(&msgs[0]); err != nil || len(fds) != 3 || fds[0] != 3 || fds[1] != -1 || fds[2] != 5 {
		t.Errorf("rights %v %v", fds, err)
	}
	if uc, err := ParseUnixCredentials(&msgs[1]); err != nil || *uc != (Ucred{1, 2, 3}) {
		t.Errorf("creds %+v %v", uc, err)
	}
	if _, err := ParseUnixRights(&msgs[1]); err != errno.EINVAL {
		t.Errorf("rights of a credentials message: %v", err)
	}
	if _, err := ParseUnixCredentials(&msgs[0]); err != errno.EINVAL {
		t.Errorf("credentials of a rights message: %v", err)
	}
	bad := UnixRights(1)
	bad[0] = 15
	if _, err := ParseSocketControlMessage(bad); err != errno.EINVAL {
		t.Errorf("short cmsg_len: %v", err)
	}
	bad[0] = 25
	if _, err := ParseSocketControlMessage(bad); err != errno.EINVAL {
		t.Errorf("cmsg_len past the end: %v", err)
	}
}

// TestPutCmsg follows put_cmsg for a 12-byte payload (struct ucred)
// into buffers of every size around its header and padding.
func TestPutCmsg(t *testing.T) {
	data := []byte("abcdefghijkl")
	for _, c := range []struct {
		room, adv, cmlen int
		trunc            bool
	}{
		{0, 0, 0, true}, {15, 0, 0, true}, {16, 16, 16, true}, {20, 20, 20, true},
		{27, 27, 27, true}, {28, 28, 28, false}, {31, 31, 28, false}, {32, 32, 28, false}, {64, 32, 28, false},
	} {
		b := make([]byte, c.room)
		flags := 0
		adv := putCmsg(b, abi.SCM_CREDENTIALS, data, &flags)
		trunc := flags&abi.MSG_CTRUNC != 0
		cmlen := 0
		if c.room >= SizeofCmsghdr {
			cmlen = int(b[0])
			if got := b[SizeofCmsghdr:cmlen]; !bytes.Equal(got, data[:cmlen-SizeofCmsghdr]) {
				t.Errorf("room %d: data %q", c.room, got)
			}
		}
		if adv != c.adv || cmlen != c.cmlen || trunc != c.trunc {
			t.Errorf("room %d: advanced %d, cmsg_len %d, MSG_CTRUNC %v; want %d, %d, %v", c.room, adv, cmlen, trunc, c.adv, c.cmlen, c.trunc)
		}
	}
}

func newUnixProcess(t *testing.T, o Options) *Process {
	t.Helper()
	ns := netns.New(netns.Options{Name: "scm", NoLoopback: true})
	unix.Register(ns)
	ns.RegisterFamily(abi.AF_INET, stubFamily{})
	p := NewProcess(ns, o)
	t.Cleanup(func() {
		p.Exit()
		ns.Close()
	})
	return p
}

func refsOf(t *testing.T, p *Process, fd int) int {
	t.Helper()
	ref, err := p.lookup(fd)
	if err != nil {
		t.Fatal(err)
	}
	ref.mu.Lock()
	defer ref.mu.Unlock()
	return ref.refs
}

// TestScmSend checks the parsing of a sendmsg's control data: files are
// referenced while in flight and released on every error.
func TestScmSend(t *testing.T) {
	p := newUnixProcess(t, Options{PID: 50, UID: 1000, GID: 1000})
	fd, err := p.Socket(abi.AF_UNIX, abi.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := p.SocketOf(fd)
	other, _ := p.Socket(abi.AF_UNIX, abi.SOCK_DGRAM, 0)
	creds := func(pid int32, uid, gid uint32) []byte {
		return UnixCredentials(&Ucred{Pid: pid, Uid: uid, Gid: gid})
	}
	for _, c := range []struct {
		name   string
		ctl    []byte
		want   errno.Errno
		rights int
		creds  *socket.Creds
	}{
		{"none", nil, 0, 0, nil},
		{"two fds", UnixRights(fd, other), 0, 2, nil},
		{"two messages", append(UnixRights(fd), UnixRights(other, other)...), 0, 3, nil},
		{"bad fd after good", UnixRights(fd, 99), errno.EBADF, 0, nil},
		{"good then malformed", append(UnixRights(fd), 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0), errno.EINVAL, 0, nil},
		{"other level skipped", append(append([]byte(nil), UnixRights(99)...), UnixRights(fd)...), 0, 1, nil},
		{"own creds", creds(50, 1000, 1000), 0, 0, &socket.Creds{PID: 50, UID: 1000, GID: 1000}},
		{"other uid", creds(50, 0, 1000), errno.EPERM, 0, nil},
		{"other pid", creds(1, 1000, 1000), errno.EPERM, 0, nil},
		{"uid -1", creds(50, 0xffffffff, 1000), errno.EINVAL, 0, nil},
		{"creds then bad fd", append(creds(50, 1000, 1000), UnixRights(-5)...), errno.EBADF, 0, nil},
	} {
		m := &socket.Msg{Control: c.ctl}
		if c.name == "other level skipped" {
			m.Control[8] = 0 // the first message moves to level 0
		}
		p.scmSend(s, m)
		if m.ControlErr != c.want || len(m.Rights) != c.rights {
			t.Errorf("%s: ControlErr %v, %d rights; want %v, %d", c.name, m.ControlErr, len(m.Rights), c.want, c.rights)
		}
		wantCreds := socket.Creds{PID: 50, UID: 1000, GID: 1000}
		if c.creds != nil {
			wantCreds = *c.creds
		}
		if m.Creds == nil || *m.Creds != wantCreds || m.CredsAsserted != (c.creds != nil) {
			t.Errorf("%s: creds %+v asserted %v", c.name, m.Creds, m.CredsAsserted)
		}
		p.scmSent(m)
		if r1, r2 := refsOf(t, p, fd), refsOf(t, p, other); r1 != 1 || r2 != 1 {
			t.Errorf("%s: references %d, %d after the send", c.name, r1, r2)
		}
	}
	// Other families' control data is theirs.
	in, err := p.Socket(abi.AF_INET, abi.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	is, _ := p.SocketOf(in)
	m := &socket.Msg{Control: UnixRights(99)}
	p.scmSend(is, m)
	if m.ControlErr != 0 || m.Rights != nil || m.Creds != nil {
		t.Errorf("AF_INET: %+v", m)
	}
}

// TestDetachFDs follows scm_detach_fds: descriptors for what fits, the
// rest closed, MSG_CTRUNC, and EMFILE cutting the list short.
func TestDetachFDs(t *testing.T) {
	p := newUnixProcess(t, Options{PID: 1, NoFile: 8})
	fd, _ := p.Socket(abi.AF_UNIX, abi.SOCK_DGRAM, 0)
	ref, _ := p.lookup(fd)
	files := func(n int) []socket.PassedFile {
		out := make([]socket.PassedFile, n)
		for i := range out {
			ref.mu.Lock()
			ref.refs++
			ref.mu.Unlock()
			out[i] = &passedFile{p: p, ref: ref}
		}
		return out
	}
	for _, c := range []struct {
		room, n, installed, adv int
		trunc                   bool
	}{
		{64, 3, 3, 32, false}, {24, 3, 2, 24, true}, {20, 3, 1, 20, true}, {19, 3, 0, 0, true},
		{16, 1, 0, 0, true}, {0, 1, 0, 0, true}, {64, 9, 7, 48, true}, // 7 descriptors free
	} {
		before := len(p.Files())
		flags := 0
		b := make([]byte, c.room)
		adv := p.detachFDs(b, files(c.n), abi.MSG_CMSG_CLOEXEC, &flags)
		installed := len(p.Files()) - before
		if adv != c.adv || installed != c.installed || (flags&abi.MSG_CTRUNC != 0) != c.trunc {
			t.Errorf("room %d, %d files: advanced %d, installed %d, flags %#x", c.room, c.n, adv, installed, flags)
		}
		if r := refsOf(t, p, fd); r != 1+installed {
			t.Errorf("room %d, %d files: %d references, want %d", c.room, c.n, r, 1+installed)
		}
		for _, nfd := range p.Files() {
			if nfd == fd {
				continue
			}
			if v, _ := p.Fcntl(nfd, abi.F_GETFD, 0); v != abi.FD_CLOEXEC {
				t.Errorf("descriptor %d: F_GETFD %#x", nfd, v)
			}
			p.Close(nfd)
		}
	}
}

func TestSocketpairTyped(t *testing.T) {
	p := newUnixProcess(t, Options{PID: 1, NoFile: 3})
	if _, err := p.Socketpair(abi.AF_UNIX, abi.SOCK_STREAM|0x400, 0); err != errno.EINVAL {
		t.Errorf("bad flags: %v", err)
	}
	if _, err := p.Socketpair(abi.AF_INET, abi.SOCK_DGRAM, 0); err != errno.EOPNOTSUPP {
		t.Errorf("family without socketpair: %v", err)
	}
	if n := len(p.Files()); n != 0 {
		t.Errorf("%d descriptors left after failures", n)
	}
	fds, err := p.Socketpair(abi.AF_UNIX, abi.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write(fds[0], []byte("x")); err != nil {
		t.Fatal(err)
	}
	if n, err := p.Read(fds[1], make([]byte, 4)); n != 1 || err != nil {
		t.Errorf("read %d, %v", n, err)
	}
	if _, err := p.Socketpair(abi.AF_UNIX, abi.SOCK_DGRAM, 0); err != errno.EMFILE {
		t.Errorf("one descriptor free: %v", err)
	}
}

// stubFamily is a family without socketpair, standing for AF_INET.
type stubFamily struct{}

func (stubFamily) Create(s *socket.Sock, typ, proto int, kern bool) (socket.ProtoOps, errno.Errno) {
	return stubOps{}, 0
}

type stubOps struct{}

func (stubOps) Bind([]byte) errno.Errno                         { return 0 }
func (stubOps) Connect([]byte) errno.Errno                      { return 0 }
func (stubOps) Sendmsg(m *socket.Msg, _ int) (int, errno.Errno) { return m.Len(), 0 }
func (stubOps) Recvmsg(*socket.Msg, int) (int, errno.Errno)     { return 0, errno.EAGAIN }
func (stubOps) Shutdown(int) errno.Errno                        { return 0 }
func (stubOps) Getname([]byte, bool) (int, errno.Errno)         { return 0, 0 }
func (stubOps) SetSockopt(int, int, []byte) errno.Errno         { return errno.ENOPROTOOPT }
func (stubOps) GetSockopt(int, int, []byte) (int, errno.Errno)  { return 0, errno.ENOPROTOOPT }
func (stubOps) Poll() waitq.Events                              { return 0 }
func (stubOps) Release()                                        {}
