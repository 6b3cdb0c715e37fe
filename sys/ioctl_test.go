package sys

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/wire"
)

func TestIoctlFileFlags(t *testing.T) {
	p := newProcess()
	r, w := mustPipe(t, p, 0)
	ep := mustEpoll(t, p)
	if err := p.IoctlSetInt(r, FIONBIO, 1); err != nil {
		t.Fatal(err)
	}
	if fl, _ := p.Fcntl(r, abi.F_GETFL, 0); fl != abi.O_NONBLOCK {
		t.Errorf("FIONBIO 1: F_GETFL %#x", fl)
	}
	_, err := p.Read(r, make([]byte, 1))
	wantErr(t, "read after FIONBIO", err, errno.EAGAIN)
	p.IoctlSetInt(r, FIONBIO, 0)
	if fl, _ := p.Fcntl(r, abi.F_GETFL, 0); fl != 0 {
		t.Errorf("FIONBIO 0: F_GETFL %#x", fl)
	}
	wantErr(t, "FIONBIO without an argument", p.Ioctl(r, FIONBIO, nil), errno.EFAULT)
	wantErr(t, "FIONBIO on epoll", p.IoctlSetInt(ep, FIONBIO, 1), 0)
	if fl, _ := p.Fcntl(ep, abi.F_GETFL, 0); fl != abi.O_RDWR|abi.O_NONBLOCK {
		t.Errorf("epoll after FIONBIO: F_GETFL %#x", fl)
	}

	wantErr(t, "FIOASYNC on a pipe", p.IoctlSetInt(w, FIOASYNC, 1), 0)
	if fl, _ := p.Fcntl(w, abi.F_GETFL, 0); fl != 1|abi.O_ASYNC {
		t.Errorf("FIOASYNC: F_GETFL %#x", fl)
	}
	wantErr(t, "FIOASYNC off on epoll (no change)", p.IoctlSetInt(ep, FIOASYNC, 0), 0)
	wantErr(t, "FIOASYNC on epoll", p.IoctlSetInt(ep, FIOASYNC, 1), errno.ENOTTY)

	wantErr(t, "FIOCLEX", p.Ioctl(r, FIOCLEX, nil), 0)
	if fd, _ := p.Fcntl(r, abi.F_GETFD, 0); fd != abi.FD_CLOEXEC {
		t.Errorf("FIOCLEX: F_GETFD %d", fd)
	}
	p.Ioctl(r, FIONCLEX, nil)
	if fd, _ := p.Fcntl(r, abi.F_GETFD, 0); fd != 0 {
		t.Errorf("FIONCLEX: F_GETFD %d", fd)
	}
	wantErr(t, "bad descriptor", p.Ioctl(99, FIOCLEX, nil), errno.EBADF)
}

func TestIoctlPipeAndEpoll(t *testing.T) {
	p := newProcess()
	r, w := mustPipe(t, p, 0)
	ep := mustEpoll(t, p)
	p.Write(w, []byte("hello"))
	for _, c := range []struct {
		name string
		fd   int
		req  uint
		want errno.Errno
	}{
		{"pipe FIONREAD", r, FIONREAD, 0},
		{"pipe unknown", r, 0x1234, errno.ENOTTY},
		{"pipe SIOCGIFINDEX", r, abi.SIOCGIFINDEX, errno.ENOTTY},
		{"pipe FIOQSIZE", r, FIOQSIZE, errno.ENOTTY},
		{"pipe SIOCOUTQ", w, abi.SIOCOUTQ, errno.ENOTTY},
		{"pipe EPIOCGPARAMS", r, EPIOCGPARAMS, errno.ENOTTY},
		{"epoll FIONREAD", ep, FIONREAD, errno.EINVAL},
		{"epoll unknown", ep, 0x1234, errno.EINVAL},
		{"epoll SIOCGIFINDEX", ep, abi.SIOCGIFINDEX, errno.EINVAL},
		{"epoll SIOCOUTQ", ep, abi.SIOCOUTQ, errno.EINVAL},
		{"epoll FIOQSIZE", ep, FIOQSIZE, errno.ENOTTY},
	} {
		wantErr(t, c.name, p.Ioctl(c.fd, c.req, make([]byte, 40)), c.want)
	}
	if n, _ := p.IoctlGetInt(r, FIONREAD); n != 5 {
		t.Errorf("FIONREAD %d, want 5", n)
	}
	wantErr(t, "FIONREAD without room", p.Ioctl(r, FIONREAD, nil), errno.EFAULT)

	params := make([]byte, 8)
	wantErr(t, "EPIOCGPARAMS", p.Ioctl(ep, EPIOCGPARAMS, params), 0)
	if string(params) != string(make([]byte, 8)) {
		t.Errorf("default params % x", params)
	}
	set := []byte{10, 0, 0, 0, 65, 0, 1, 0}
	wantErr(t, "EPIOCSPARAMS", p.Ioctl(ep, EPIOCSPARAMS, set), 0)
	p.Ioctl(ep, EPIOCGPARAMS, params)
	if string(params) != string(set) {
		t.Errorf("params after set % x", params)
	}
	wantErr(t, "EPIOCSPARAMS prefer 2", p.Ioctl(ep, EPIOCSPARAMS, []byte{10, 0, 0, 0, 65, 0, 2, 0}), errno.EINVAL)
	wantErr(t, "EPIOCSPARAMS pad", p.Ioctl(ep, EPIOCSPARAMS, []byte{10, 0, 0, 0, 65, 0, 1, 1}), errno.EINVAL)
	wantErr(t, "EPIOCSPARAMS usecs > INT_MAX", p.Ioctl(ep, EPIOCSPARAMS, []byte{0, 0, 0, 0x80, 0, 0, 0, 0}), errno.EINVAL)
	unpriv := newProcess(Options{UID: 1000})
	uep := mustEpoll(t, unpriv)
	wantErr(t, "EPIOCSPARAMS big budget unprivileged", unpriv.Ioctl(uep, EPIOCSPARAMS, []byte{0, 0, 0, 0, 65, 0, 0, 0}), errno.EPERM)
	wantErr(t, "EPIOCSPARAMS budget 64 unprivileged", unpriv.Ioctl(uep, EPIOCSPARAMS, []byte{0, 0, 0, 0, 64, 0, 0, 0}), 0)
}

func TestIoctlSocket(t *testing.T) {
	p, _ := newNetProcess(t)
	a, b := udpPair(t, p)
	p.Send(a, []byte("datagram"), 0)
	p.Send(a, []byte("x"), 0)
	if n, err := p.IoctlGetInt(b, FIONREAD); n != 8 || err != nil {
		t.Errorf("FIONREAD: %d, %v; want the first datagram's 8", n, err)
	}
	if n, err := p.IoctlGetInt(b, abi.SIOCOUTQ); n != 0 || err != nil {
		t.Errorf("SIOCOUTQ: %d, %v", n, err)
	}
	for _, c := range []struct {
		name string
		req  uint
		arg  []byte
		want errno.Errno
	}{
		{"unknown", 0x1234, make([]byte, 4), errno.ENOTTY},
		{"unknown without argument", 0x1234, nil, errno.ENOTTY},
		{"SIOCOUTQNSD (not UDP's)", abi.SIOCOUTQNSD, make([]byte, 4), errno.ENOTTY},
		{"SIOCATMARK (not UDP's)", abi.SIOCATMARK, make([]byte, 4), errno.ENOTTY},
		{"SIOCATMARK without argument", abi.SIOCATMARK, nil, errno.EFAULT},
		{"unknown 0x89 command", 0x89c0, make([]byte, 40), errno.ENOTTY},
		{"unknown 0x89 command without argument", 0x89c0, nil, errno.EFAULT},
		{"SIOCGSTAMP without gettstamp", abi.SIOCGSTAMP_OLD, make([]byte, 16), errno.ENOTTY},
		{"FIOQSIZE", FIOQSIZE, make([]byte, 8), errno.ENOTTY},
		{"SIOCGIFCOUNT", abi.SIOCGIFCOUNT, NewIfreq("lo")[:], errno.ENOTTY},
		{"SIOCGIFENCAP", abi.SIOCGIFENCAP, NewIfreq("lo")[:], errno.ENOTTY},
		{"SIOCDEVPRIVATE without a device", abi.SIOCDEVPRIVATE, NewIfreq("")[:], errno.ENODEV},
		{"SIOCDEVPRIVATE on lo", abi.SIOCDEVPRIVATE + 15, NewIfreq("lo")[:], errno.EOPNOTSUPP},
	} {
		wantErr(t, c.name, p.Ioctl(b, c.req, c.arg), c.want)
	}
	if err := p.IoctlSetInt(b, abi.SIOCSPGRP, 4242); err != nil {
		t.Fatal(err)
	}
	if own, _ := p.IoctlGetInt(b, FIOGETOWN); own != 4242 {
		t.Errorf("FIOGETOWN %d", own)
	}
	if own, _ := p.Fcntl(b, abi.F_GETOWN, 0); own != 4242 {
		t.Errorf("F_GETOWN after SIOCSPGRP: %d", own)
	}
	p.IoctlSetInt(b, FIONBIO, 1)
	if s, _ := p.SocketOf(b); !s.Nonblock() {
		t.Error("FIONBIO did not make the socket non-blocking")
	}
}

func ifreqOf(name string, v uint32) *Ifreq {
	r := NewIfreq(name)
	r.SetUint32(v)
	return r
}

func TestIoctlInterfaces(t *testing.T) {
	p, ns := newNetProcess(t)
	mac := wire.MAC{0x02, 0, 0, 0, 0, 0x42}
	end, peer := link.NewPipe(link.PipeConfig{Names: [2]string{"veth0", "veth1"}, MACs: [2]wire.MAC{mac, {}}})
	defer peer.Close()
	ifc, err := ns.AddInterface(end)
	if err != nil {
		t.Fatal(err)
	}
	ifc.AddAddress(netip.MustParsePrefix("10.0.0.1/24"))
	ifc.AddAddress(netip.MustParsePrefix("10.0.0.2/24"))
	ifc.SetUp(true)
	s, err := p.Socket(abi.AF_INET, abi.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	do := func(req uint, r *Ifreq) error { return p.IoctlIfreq(s, req, r) }

	r := NewIfreq("lo")
	if err := do(abi.SIOCGIFINDEX, r); err != nil || r.Uint32() != 1 {
		t.Errorf("SIOCGIFINDEX lo: %d, %v", r.Uint32(), err)
	}
	r = NewIfreq("lo:1")
	if err := do(abi.SIOCGIFINDEX, r); err != nil || r.Uint32() != 1 || r.Name() != "lo:1" {
		t.Errorf("SIOCGIFINDEX lo:1: %d, %q, %v", r.Uint32(), r.Name(), err)
	}
	wantErr(t, "SIOCGIFINDEX nope", do(abi.SIOCGIFINDEX, NewIfreq("nope")), errno.ENODEV)
	r = ifreqOf("", uint32(ifc.Index()))
	if err := do(abi.SIOCGIFNAME, r); err != nil || r.Name() != "veth0" {
		t.Errorf("SIOCGIFNAME %d: %q, %v", ifc.Index(), r.Name(), err)
	}
	wantErr(t, "SIOCGIFNAME 99", do(abi.SIOCGIFNAME, ifreqOf("", 99)), errno.ENODEV)
	r = NewIfreq("lo")
	if err := do(abi.SIOCGIFFLAGS, r); err != nil || r.Uint16() != 0x49 {
		t.Errorf("SIOCGIFFLAGS lo: %#x, %v; want UP|LOOPBACK|RUNNING", r.Uint16(), err)
	}
	r = NewIfreq("veth0")
	if err := do(abi.SIOCGIFFLAGS, r); err != nil || r.Uint16() != 0x1043 {
		t.Errorf("SIOCGIFFLAGS veth0: %#x, %v; want UP|BROADCAST|RUNNING|MULTICAST", r.Uint16(), err)
	}
	r = NewIfreq("lo")
	if err := do(abi.SIOCGIFMTU, r); err != nil || r.Uint32() != 65536 {
		t.Errorf("SIOCGIFMTU lo: %d, %v", r.Uint32(), err)
	}
	r = NewIfreq("lo")
	if err := do(abi.SIOCGIFTXQLEN, r); err != nil || r.Uint32() != 1000 {
		t.Errorf("SIOCGIFTXQLEN lo: %d, %v", r.Uint32(), err)
	}
	r = ifreqOf("lo", 7)
	if err := do(abi.SIOCGIFMETRIC, r); err != nil || r.Uint32() != 0 {
		t.Errorf("SIOCGIFMETRIC lo: %d, %v", r.Uint32(), err)
	}
	wantErr(t, "SIOCGIFMAP", do(abi.SIOCGIFMAP, NewIfreq("lo")), 0)
	wantErr(t, "SIOCGIFSLAVE", do(abi.SIOCGIFSLAVE, NewIfreq("lo")), errno.EINVAL)
	r = NewIfreq("lo")
	wantErr(t, "SIOCGIFHWADDR lo", do(abi.SIOCGIFHWADDR, r), 0)
	if typ, hw := r.HardwareAddr(); typ != arphrdLoopback || hw != [6]byte{} {
		t.Errorf("SIOCGIFHWADDR lo: %d % x, want ARPHRD_LOOPBACK and zeros", typ, hw)
	}
	r = NewIfreq("veth0")
	do(abi.SIOCGIFHWADDR, r)
	if typ, hw := r.HardwareAddr(); typ != arphrdEther || hw != [6]byte(mac) {
		t.Errorf("SIOCGIFHWADDR veth0: %d % x", typ, hw)
	}

	addr := func(req uint, name string, hint netip.Addr) (netip.Addr, error) {
		r := NewIfreq(name)
		if hint.IsValid() {
			binary.LittleEndian.PutUint16(r[16:], abi.AF_INET)
			copy(r[20:24], hint.AsSlice())
		}
		err := do(req, r)
		if err == nil && binary.LittleEndian.Uint16(r[16:]) != abi.AF_INET {
			t.Errorf("ioctl %#x: family %d", req, binary.LittleEndian.Uint16(r[16:]))
		}
		return r.Inet4Addr(), err
	}
	for _, c := range []struct {
		req  uint
		name string
		hint string
		want string
		err  errno.Errno
	}{
		{abi.SIOCGIFADDR, "lo", "", "127.0.0.1", 0},
		{abi.SIOCGIFNETMASK, "lo", "", "255.0.0.0", 0},
		{abi.SIOCGIFDSTADDR, "lo", "", "127.0.0.1", 0},
		{abi.SIOCGIFADDR, "veth0", "", "10.0.0.1", 0},
		{abi.SIOCGIFADDR, "veth0", "10.0.0.2", "10.0.0.2", 0},
		{abi.SIOCGIFADDR, "veth0", "10.9.9.9", "10.0.0.1", 0},
		{abi.SIOCGIFBRDADDR, "veth0", "", "10.0.0.255", 0},
		{abi.SIOCGIFNETMASK, "veth0", "10.0.0.2", "255.255.255.0", 0},
		{abi.SIOCGIFADDR, "lo:1", "", "", errno.EADDRNOTAVAIL},
		{abi.SIOCGIFADDR, "nope", "", "", errno.ENODEV},
		{abi.SIOCGIFPFLAGS, "lo", "", "", errno.EINVAL},
	} {
		var hint netip.Addr
		if c.hint != "" {
			hint = netip.MustParseAddr(c.hint)
		}
		got, err := addr(c.req, c.name, hint)
		wantErr(t, "address ioctl on "+c.name, err, c.err)
		if c.err == 0 && got.String() != c.want {
			t.Errorf("ioctl %#x %s (hint %s): %s, want %s", c.req, c.name, c.hint, got, c.want)
		}
	}
	wantErr(t, "SIOCGIFADDR without argument", p.Ioctl(s, abi.SIOCGIFADDR, nil), errno.EFAULT)
}
