package packet_test

import (
	"encoding/binary"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/packet"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/sys"
	"github.com/gosock/gosock/wire"
)

// world is a network namespace holding lo and a veth pair veth0 <-> veth1
// (both ends in the namespace), seen through the socket calls of a
// process: gosock's, or the Linux kernel's in a namespace the test makes.
// Every parity case runs against both, so the expectations written in
// the cases are checked against Linux whenever the tests run as root.
type world interface {
	socket(typ, proto int) (int, error)
	close(fd int)
	bind(fd int, sa []byte) error
	connect(fd int, sa []byte) error
	listen(fd int) error
	shutdown(fd, how int) error
	// send is sendmsg with an optional destination and control data.
	send(fd int, p, to, oob []byte, flags int) (int, error)
	// recv is recvmsg into a buffer of size bytes and a control buffer of
	// oobSize bytes.
	recv(fd, size, oobSize, flags int) (rx, error)
	setsockopt(fd, level, opt int, val []byte) error
	// getsockopt passes buf in (its length is optlen) and returns what
	// came back.
	getsockopt(fd, level, opt int, buf []byte) ([]byte, error)
	getsockname(fd int) ([]byte, error)
	getpeername(fd int) error
	// poll returns the ready events among pollMask.
	poll(fd int) int
	ioctl(fd int, cmd uint) (int, error)
	index(name string) int
	mac(name string) wire.MAC
	mtu(name string) int
	setUp(name string, up bool)
}

// rx is what one recvmsg returned.
type rx struct {
	N     int
	Data  []byte
	Flags int
	Name  []byte // msg_namelen bytes
	Oob   []byte
}

func (r rx) from() llAddr { return parseLL(r.Name) }

// pollMask are the events the parity cases look at.
const pollMask = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x40 | 0x100 | 0x200 | 0x2000

// guardTimeout bounds every blocking receive (SO_RCVTIMEO), so a frame
// that never comes fails the test instead of hanging it.
const guardTimeout = 5 * time.Second

// gsWorld is the gosock side.
type gsWorld struct {
	t      testing.TB
	ns     *netns.Namespace
	p      *sys.Process
	ifaces map[string]*netns.Interface
}

func newGosockWorld(t testing.TB) *gsWorld {
	ns := packetNS("parity")
	v0, v1 := addPipe(t, ns, link.PipeConfig{Names: [2]string{"veth0", "veth1"}})
	return &gsWorld{t: t, ns: ns, p: sys.NewProcess(ns, sys.Options{}),
		ifaces: map[string]*netns.Interface{"lo": ns.Loopback(), "veth0": v0, "veth1": v1}}
}

func (w *gsWorld) shutdownWorld() {
	w.p.Exit()
	w.ns.Close()
}

func (w *gsWorld) socket(typ, proto int) (int, error) {
	fd, err := w.p.Socket(abi.AF_PACKET, typ, proto)
	if err == nil {
		must(w.t, w.p.SetsockoptTimeval(fd, abi.SOL_SOCKET, abi.SO_RCVTIMEO_OLD, guardTimeout))
	}
	return fd, err
}
func (w *gsWorld) close(fd int)                    { _ = w.p.Close(fd) }
func (w *gsWorld) bind(fd int, sa []byte) error    { return w.p.BindRaw(fd, sa) }
func (w *gsWorld) connect(fd int, sa []byte) error { return w.p.ConnectRaw(fd, sa) }
func (w *gsWorld) listen(fd int) error             { return w.p.Listen(fd, 1) }
func (w *gsWorld) shutdown(fd, how int) error      { return w.p.Shutdown(fd, how) }
func (w *gsWorld) setUp(name string, up bool)      { must(w.t, w.ifaces[name].SetUp(up)) }
func (w *gsWorld) index(name string) int           { return w.ifaces[name].Index() }
func (w *gsWorld) mac(name string) wire.MAC        { return w.ifaces[name].Device().HardwareAddr() }
func (w *gsWorld) mtu(name string) int             { return w.ifaces[name].MTU() }
func (w *gsWorld) getpeername(fd int) error {
	_, err := w.p.GetnameRaw(fd, true, make([]byte, 128))
	return err
}
func (w *gsWorld) setsockopt(fd, l, o int, v []byte) error { return w.p.Setsockopt(fd, l, o, v) }

func (w *gsWorld) send(fd int, p, to, oob []byte, flags int) (int, error) {
	return w.p.SendmsgRaw(fd, &socket.Msg{Name: to, Iov: [][]byte{p}, Control: oob}, flags)
}

func (w *gsWorld) recv(fd, size, oobSize, flags int) (rx, error) {
	buf := make([]byte, size)
	m := &socket.Msg{Name: make([]byte, 128), Iov: [][]byte{buf}, Control: make([]byte, 0, oobSize)}
	n, err := w.p.RecvmsgRaw(fd, m, flags)
	if err != nil {
		return rx{}, err
	}
	return rx{N: n, Data: buf[:min(n, size)], Flags: m.Flags, Name: m.Name[:min(m.NameLen, 128)], Oob: m.Control[:m.ControlLen]}, nil
}

func (w *gsWorld) getsockopt(fd, level, opt int, buf []byte) ([]byte, error) {
	b := append([]byte(nil), buf...)
	n, err := w.p.Getsockopt(fd, level, opt, b)
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}

func (w *gsWorld) getsockname(fd int) ([]byte, error) {
	b := make([]byte, 128)
	n, err := w.p.GetnameRaw(fd, false, b)
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}

func (w *gsWorld) poll(fd int) int {
	s, err := w.p.SocketOf(fd)
	must(w.t, err)
	return int(s.Poll()) & pollMask
}

func (w *gsWorld) ioctl(fd int, cmd uint) (int, error) {
	s, err := w.p.SocketOf(fd)
	must(w.t, err)
	var b [4]byte
	if e := s.Ops().(socket.Ioctler).Ioctl(cmd, b[:]); e != 0 {
		return 0, e
	}
	return int(int32(binary.LittleEndian.Uint32(b[:]))), nil
}

// TestLinuxParity runs every parity case against gosock and, as root (or
// under CI=true, where it must), against Linux in a namespace of its own.
func TestLinuxParity(t *testing.T) {
	for _, c := range parityCases {
		t.Run(c.name, func(t *testing.T) {
			t.Run("gosock", func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					defer leakCheck(t)()
					w := newGosockWorld(t)
					defer w.shutdownWorld()
					c.fn(t, w)
				})
			})
			t.Run("linux", func(t *testing.T) {
				c.fn(t, newKernelWorld(t))
			})
		})
	}
}

var parityCases = []struct {
	name string
	fn   func(t *testing.T, w world)
}{
	{"Create", caseCreate},
	{"Getsockname", caseGetsockname},
	{"BindErrors", caseBindErrors},
	{"UnsupportedOps", caseUnsupportedOps},
	{"SendErrors", caseSendErrors},
	{"SendCmsgs", caseSendCmsgs},
	{"RecvFlags", caseRecvFlags},
	{"Sockopts", caseSockopts},
	{"Memberships", caseMemberships},
	{"LoopbackTwice", caseLoopbackTwice},
	{"PacketTypes", casePacketTypes},
	{"Dgram", caseDgram},
	{"TruncPeek", caseTruncPeek},
	{"Auxdata", caseAuxdata},
	{"RcvbufDrops", caseRcvbufDrops},
	{"DownUp", caseDownUp},
	{"IgnoreOutgoing", caseIgnoreOutgoing},
	{"VLAN", caseVLAN},
	{"Ioctl", caseIoctl},
	{"SockPacket", caseSockPacket},
}

// expect fails the test unless err is the errno named want ("OK": none).
func expect(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := errName(err); got != want {
		t.Errorf("%s: %s, want %s", what, got, want)
	}
}

func open(t *testing.T, w world, typ, proto int) int {
	t.Helper()
	fd, err := w.socket(typ, proto)
	if err != nil {
		t.Fatalf("socket(AF_PACKET, %d, %#x): %v", typ, proto, err)
	}
	return fd
}

func bindTo(t *testing.T, w world, fd int, proto uint16, ifname string) {
	t.Helper()
	idx := 0
	if ifname != "" {
		idx = w.index(ifname)
	}
	if err := w.bind(fd, sll(proto, idx, 0, nil)); err != nil {
		t.Fatalf("bind %s %#x: %v", ifname, proto, err)
	}
}

func intOpt(v int) []byte {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, uint32(int32(v)))
	return b
}

// waitFrame reads frames from fd until one whose byte at tagOff is tag
// (within the guard timeout), returning the frames skipped before it.
func waitFrame(t *testing.T, w world, fd int, tagOff int, tag byte) (rx, []rx) {
	t.Helper()
	var skipped []rx
	for {
		r, err := w.recv(fd, 70000, 256, 0)
		if err != nil {
			t.Fatalf("waiting for frame %#x: %v (skipped %d)", tag, err, len(skipped))
		}
		if len(r.Data) > tagOff && r.Data[tagOff] == tag {
			return r, skipped
		}
		skipped = append(skipped, r)
	}
}

func caseCreate(t *testing.T, w world) {
	for _, typ := range []int{abi.SOCK_STREAM, abi.SOCK_SEQPACKET, abi.SOCK_RDM} {
		_, err := w.socket(typ, 0)
		expect(t, "socket type "+itoa(typ), err, "ESOCKTNOSUPPORT")
	}
	for _, proto := range []int{htons(packet.ETH_P_ALL), 0x10003, 0} {
		fd := open(t, w, abi.SOCK_RAW, proto)
		b, err := w.getsockopt(fd, abi.SOL_SOCKET, abi.SO_PROTOCOL, make([]byte, 4))
		if err != nil || binary.LittleEndian.Uint32(b) != 0 {
			t.Errorf("SO_PROTOCOL of protocol %#x: %x %v, want 0", proto, b, err)
		}
		b, _ = w.getsockopt(fd, abi.SOL_SOCKET, abi.SO_DOMAIN, make([]byte, 4))
		if binary.LittleEndian.Uint32(b) != abi.AF_PACKET {
			t.Errorf("SO_DOMAIN %x", b)
		}
		w.close(fd)
	}
}

func caseGetsockname(t *testing.T, w world) {
	check := func(what string, fd int, want llAddr) {
		t.Helper()
		b, err := w.getsockname(fd)
		if err != nil {
			t.Fatalf("%s: getsockname: %v", what, err)
		}
		if got := parseLL(b); got != want {
			t.Errorf("%s: getsockname %+v, want %+v", what, got, want)
		}
	}
	all := open(t, w, abi.SOCK_RAW, htons(packet.ETH_P_ALL))
	check("unbound", all, llAddr{Len: 12, Family: abi.AF_PACKET, Protocol: packet.ETH_P_ALL})
	odd := open(t, w, abi.SOCK_DGRAM, 0x10003) // cast to 16 bits, taken as network order
	check("protocol 0x10003", odd, llAddr{Len: 12, Family: abi.AF_PACKET, Protocol: 0x0300})
	bindTo(t, w, all, 0, "lo") // protocol 0 keeps the socket's
	check("lo", all, llAddr{Len: 18, Family: abi.AF_PACKET, Protocol: packet.ETH_P_ALL, Ifindex: w.index("lo"),
		Hatype: packet.ARPHRD_LOOPBACK, Halen: 6})
	bindTo(t, w, all, packet.ETH_P_IP, "veth0")
	want := llAddr{Len: 18, Family: abi.AF_PACKET, Protocol: packet.ETH_P_IP, Ifindex: w.index("veth0"),
		Hatype: packet.ARPHRD_ETHER, Halen: 6}
	mac := w.mac("veth0")
	copy(want.Addr[:], mac[:])
	check("veth0", all, want)
	bindTo(t, w, all, packet.ETH_P_ARP, "")
	check("unbound again", all, llAddr{Len: 12, Family: abi.AF_PACKET, Protocol: packet.ETH_P_ARP})
}

func caseBindErrors(t *testing.T, w world) {
	fd := open(t, w, abi.SOCK_RAW, 0)
	expect(t, "short", w.bind(fd, sll(3, w.index("veth0"), 0, nil)[:19]), "EINVAL")
	wrong := sll(3, w.index("veth0"), 0, nil)
	wrong[0] = abi.AF_INET
	expect(t, "AF_INET family", w.bind(fd, wrong), "EINVAL")
	expect(t, "ifindex 999", w.bind(fd, sll(3, 999, 0, nil)), "ENODEV")
	expect(t, "ifindex -5", w.bind(fd, sll(3, -5, 0, nil)), "ENODEV")
	expect(t, "long", w.bind(fd, append(sll(3, w.index("veth0"), 0, nil), make([]byte, 40)...)), "OK")
}

func caseUnsupportedOps(t *testing.T, w world) {
	fd := open(t, w, abi.SOCK_RAW, htons(packet.ETH_P_ALL))
	expect(t, "getpeername", w.getpeername(fd), "EOPNOTSUPP")
	expect(t, "connect", w.connect(fd, sll(3, w.index("veth0"), 0, nil)), "EOPNOTSUPP")
	expect(t, "listen", w.listen(fd), "EOPNOTSUPP")
	expect(t, "shutdown", w.shutdown(fd, abi.SHUT_RDWR), "EOPNOTSUPP")
}

func caseSendErrors(t *testing.T, w world) {
	v0, v1 := w.index("veth0"), w.index("veth1")
	peer := w.mac("veth1")
	mtu := w.mtu("veth0")
	raw := open(t, w, abi.SOCK_RAW, 0)
	frame := ethFrame(peer, w.mac("veth0"), etherTest, 60, 1)
	send := func(what string, fd int, p, to []byte, want string) {
		t.Helper()
		n, err := w.send(fd, p, to, nil, 0)
		expect(t, what, err, want)
		if err == nil && n != len(p) {
			t.Errorf("%s: sent %d of %d", what, n, len(p))
		}
	}
	send("unbound, no address", raw, frame, nil, "ENXIO")
	send("sll_ifindex 0", raw, frame, sll(etherTest, 0, 6, nil), "ENXIO")
	send("sll_ifindex 999", raw, frame, sll(etherTest, 999, 6, nil), "ENXIO")
	send("sll_halen 9", raw, frame, sll(etherTest, v0, 9, nil), "EINVAL")
	send("19-byte address", raw, frame, sll(etherTest, v0, 6, nil)[:19], "EINVAL")
	inet := sll(etherTest, v0, 6, nil)
	inet[0] = abi.AF_INET // packet_snd does not look at the family
	send("AF_INET family", raw, frame, inet, "OK")
	to := sll(etherTest, v0, 6, peer[:])
	send("0 bytes", raw, nil, to, "EINVAL")
	send("10 bytes", raw, frame[:10], to, "EINVAL")
	send("header only", raw, frame[:14], to, "OK")
	big := ethFrame(peer, w.mac("veth0"), etherTest, mtu+19, 2)
	send("MTU+14", raw, big[:mtu+14], to, "OK")
	send("MTU+15", raw, big[:mtu+15], to, "EMSGSIZE")
	vlan := append([]byte(nil), big...)
	binary.BigEndian.PutUint16(vlan[12:], packet.ETH_P_8021Q)
	send("802.1Q MTU+18", raw, vlan[:mtu+18], to, "OK")
	send("802.1Q MTU+19", raw, vlan[:mtu+19], to, "EMSGSIZE")
	lo := sll(etherTest, w.index("lo"), 6, nil)
	lovlan := make([]byte, w.mtu("lo")+15)
	binary.BigEndian.PutUint16(lovlan[12:], packet.ETH_P_8021Q)
	send("802.1Q on lo MTU+15", raw, lovlan, lo, "EMSGSIZE")

	dg := open(t, w, abi.SOCK_DGRAM, htons(etherTest))
	send("DGRAM unbound", dg, frame, nil, "ENXIO")
	bindTo(t, w, dg, etherTest, "veth0")
	send("DGRAM bound, no address", dg, frame, nil, "EINVAL")
	send("DGRAM MTU", dg, big[:mtu], sll(etherTest, v0, 6, peer[:]), "OK")
	send("DGRAM MTU+1", dg, big[:mtu+1], sll(etherTest, v0, 6, peer[:]), "EMSGSIZE")
	send("DGRAM 802.1Q MTU+4", dg, big[:mtu+4], sll(packet.ETH_P_8021Q, v0, 6, peer[:]), "OK")
	send("DGRAM 802.1Q MTU+5", dg, big[:mtu+5], sll(packet.ETH_P_8021Q, v0, 6, peer[:]), "EMSGSIZE")
	dlo := open(t, w, abi.SOCK_DGRAM, htons(etherTest))
	bindTo(t, w, dlo, etherTest, "lo")
	send("DGRAM bound to lo, no address", dlo, []byte{1, 2, 3}, nil, "OK")

	w.setUp("veth1", false)
	send("down", raw, frame, sll(etherTest, v1, 6, nil), "ENETDOWN")
	w.setUp("veth1", true)
}

// cmsgBytes builds one control message.
func cmsgBytes(level, typ int, data []byte, lenField int) []byte {
	b := make([]byte, (16+len(data)+7)&^7)
	if lenField < 0 {
		lenField = 16 + len(data)
	}
	binary.LittleEndian.PutUint64(b, uint64(lenField))
	binary.LittleEndian.PutUint32(b[8:], uint32(level))
	binary.LittleEndian.PutUint32(b[12:], uint32(typ))
	copy(b[16:], data)
	return b
}

func caseSendCmsgs(t *testing.T, w world) {
	raw := open(t, w, abi.SOCK_RAW, 0)
	bindTo(t, w, raw, 0, "veth0")
	frame := ethFrame(w.mac("veth1"), w.mac("veth0"), etherTest, 60, 3)
	for _, c := range []struct {
		what string
		oob  []byte
		want string
	}{
		{"SO_MARK", cmsgBytes(abi.SOL_SOCKET, abi.SO_MARK, intOpt(7), -1), "OK"},
		{"SO_MARK short", cmsgBytes(abi.SOL_SOCKET, abi.SO_MARK, []byte{1, 2}, -1), "EINVAL"},
		{"SO_PRIORITY 7", cmsgBytes(abi.SOL_SOCKET, abi.SO_PRIORITY, intOpt(7), -1), "OK"},
		{"SOL_SOCKET type 99", cmsgBytes(abi.SOL_SOCKET, 99, intOpt(1), -1), "EINVAL"},
		{"SCM_RIGHTS", cmsgBytes(abi.SOL_SOCKET, 1, intOpt(0), -1), "OK"},
		{"SOL_IP ignored", cmsgBytes(abi.SOL_IP, 99, intOpt(1), -1), "OK"},
		{"cmsg_len 8", cmsgBytes(abi.SOL_IP, 99, intOpt(1), 8), "EINVAL"},
		{"cmsg_len past the end", cmsgBytes(abi.SOL_IP, 99, intOpt(1), 64), "EINVAL"},
		{"shorter than a header", make([]byte, 12), "OK"},
		{"SO_TIMESTAMPING bad flags", cmsgBytes(abi.SOL_SOCKET, abi.SO_TIMESTAMPING_OLD, intOpt(0x4), -1), "EINVAL"},
		{"SO_TIMESTAMPING software", cmsgBytes(abi.SOL_SOCKET, abi.SO_TIMESTAMPING_OLD, intOpt(0x2), -1), "OK"},
	} {
		_, err := w.send(raw, frame, nil, c.oob, 0)
		expect(t, c.what, err, c.want)
	}
	// A frame's mark shows on its outgoing copy (SO_RCVMARK).
	obs := open(t, w, abi.SOCK_RAW, htons(packet.ETH_P_ALL))
	bindTo(t, w, obs, packet.ETH_P_ALL, "veth0")
	must(t, w.setsockopt(obs, abi.SOL_SOCKET, abi.SO_RCVMARK, intOpt(1)))
	frame[14] = 0x33
	if _, err := w.send(raw, frame, nil, cmsgBytes(abi.SOL_SOCKET, abi.SO_MARK, intOpt(0x77), -1), 0); err != nil {
		t.Fatal(err)
	}
	r, _ := waitFrame(t, w, obs, 14, 0x33)
	marks := 0
	for _, c := range parseCmsgs(r.Oob) {
		if c.Level == abi.SOL_SOCKET && c.Type == abi.SO_MARK {
			marks++
			if binary.LittleEndian.Uint32(c.Data) != 0x77 {
				t.Errorf("mark %x, want 0x77", c.Data)
			}
		}
	}
	if marks != 1 || r.from().Pkttype != abi.PACKET_OUTGOING {
		t.Errorf("outgoing copy %+v with %d SO_MARK cmsgs", r.from(), marks)
	}
}

func caseRecvFlags(t *testing.T, w world) {
	fd := open(t, w, abi.SOCK_RAW, htons(packet.ETH_P_ALL))
	bindTo(t, w, fd, packet.ETH_P_ALL, "veth1")
	for _, c := range []struct {
		what  string
		flags int
		want  string
	}{
		{"MSG_WAITALL", abi.MSG_WAITALL | abi.MSG_DONTWAIT, "EINVAL"},
		{"MSG_OOB", abi.MSG_OOB | abi.MSG_DONTWAIT, "EINVAL"},
		{"MSG_CMSG_CLOEXEC", abi.MSG_CMSG_CLOEXEC | abi.MSG_DONTWAIT, "EINVAL"},
		{"MSG_ERRQUEUE", abi.MSG_ERRQUEUE | abi.MSG_DONTWAIT, "EAGAIN"},
		{"empty", abi.MSG_DONTWAIT, "EAGAIN"},
		{"empty MSG_PEEK|MSG_TRUNC", abi.MSG_DONTWAIT | abi.MSG_PEEK | abi.MSG_TRUNC, "EAGAIN"},
	} {
		_, err := w.recv(fd, 100, 0, c.flags)
		expect(t, c.what, err, c.want)
	}
}

func caseSockopts(t *testing.T, w world) {
	fd := open(t, w, abi.SOCK_RAW, htons(packet.ETH_P_ALL))
	dg := open(t, w, abi.SOCK_DGRAM, htons(packet.ETH_P_ALL))
	set := func(what string, fd, level, opt int, val []byte, want string) {
		t.Helper()
		expect(t, "setsockopt "+what, w.setsockopt(fd, level, opt, val), want)
	}
	get := func(what string, fd, level, opt int, in []byte, want []byte, wantErr string) {
		t.Helper()
		b, err := w.getsockopt(fd, level, opt, in)
		expect(t, "getsockopt "+what, err, wantErr)
		if err == nil && string(b) != string(want) {
			t.Errorf("getsockopt %s = %x, want %x", what, b, want)
		}
	}
	set("SOL_IP", fd, abi.SOL_IP, 2, intOpt(1), "ENOPROTOOPT")
	set("unknown", fd, abi.SOL_PACKET, 99, intOpt(1), "ENOPROTOOPT")
	set("AUXDATA short", fd, abi.SOL_PACKET, abi.PACKET_AUXDATA, []byte{1, 0}, "EINVAL")
	set("AUXDATA long", fd, abi.SOL_PACKET, abi.PACKET_AUXDATA, append(intOpt(5), 0, 0, 0, 0), "OK")
	get("AUXDATA", fd, abi.SOL_PACKET, abi.PACKET_AUXDATA, make([]byte, 4), intOpt(1), "OK")
	get("AUXDATA 2 bytes", fd, abi.SOL_PACKET, abi.PACKET_AUXDATA, make([]byte, 2), []byte{1, 0}, "OK")
	get("AUXDATA 8 bytes", fd, abi.SOL_PACKET, abi.PACKET_AUXDATA, make([]byte, 8), intOpt(1), "OK")
	set("VERSION 5", fd, abi.SOL_PACKET, abi.PACKET_VERSION, intOpt(5), "EINVAL")
	set("VERSION 8 bytes", fd, abi.SOL_PACKET, abi.PACKET_VERSION, make([]byte, 8), "EINVAL")
	get("VERSION", fd, abi.SOL_PACKET, abi.PACKET_VERSION, make([]byte, 4), intOpt(packet.TPACKET_V1), "OK")
	get("HDRLEN V1", fd, abi.SOL_PACKET, abi.PACKET_HDRLEN, intOpt(packet.TPACKET_V1), intOpt(32), "OK")
	get("HDRLEN V2", fd, abi.SOL_PACKET, abi.PACKET_HDRLEN, intOpt(packet.TPACKET_V2), intOpt(32), "OK")
	get("HDRLEN V3", fd, abi.SOL_PACKET, abi.PACKET_HDRLEN, intOpt(packet.TPACKET_V3), intOpt(48), "OK")
	get("HDRLEN V9", fd, abi.SOL_PACKET, abi.PACKET_HDRLEN, intOpt(9), nil, "EINVAL")
	get("HDRLEN short", fd, abi.SOL_PACKET, abi.PACKET_HDRLEN, []byte{1, 0}, nil, "EINVAL")
	get("STATISTICS", fd, abi.SOL_PACKET, abi.PACKET_STATISTICS, make([]byte, 16), make([]byte, 8), "OK")
	get("STATISTICS 4 bytes", fd, abi.SOL_PACKET, abi.PACKET_STATISTICS, make([]byte, 4), make([]byte, 4), "OK")
	set("VERSION 3", fd, abi.SOL_PACKET, abi.PACKET_VERSION, intOpt(packet.TPACKET_V3), "OK")
	get("STATISTICS V3", fd, abi.SOL_PACKET, abi.PACKET_STATISTICS, make([]byte, 16), make([]byte, 12), "OK")
	set("IGNORE_OUTGOING 2", fd, abi.SOL_PACKET, abi.PACKET_IGNORE_OUTGOING, intOpt(2), "EINVAL")
	set("IGNORE_OUTGOING 1", fd, abi.SOL_PACKET, abi.PACKET_IGNORE_OUTGOING, intOpt(1), "OK")
	get("IGNORE_OUTGOING", fd, abi.SOL_PACKET, abi.PACKET_IGNORE_OUTGOING, make([]byte, 4), intOpt(1), "OK")
	set("FANOUT_DATA", fd, abi.SOL_PACKET, abi.PACKET_FANOUT_DATA, intOpt(1), "EINVAL")
	get("ROLLOVER_STATS", fd, abi.SOL_PACKET, abi.PACKET_ROLLOVER_STATS, make([]byte, 24), nil, "EINVAL")
	get("FANOUT", fd, abi.SOL_PACKET, abi.PACKET_FANOUT, make([]byte, 4), intOpt(0), "OK")
	set("VNET_HDR on DGRAM", dg, abi.SOL_PACKET, abi.PACKET_VNET_HDR, intOpt(0), "EINVAL")
	set("VNET_HDR 0", fd, abi.SOL_PACKET, abi.PACKET_VNET_HDR, intOpt(0), "OK")
	set("RESERVE", fd, abi.SOL_PACKET, abi.PACKET_RESERVE, intOpt(64), "OK")
	get("RESERVE", fd, abi.SOL_PACKET, abi.PACKET_RESERVE, make([]byte, 4), intOpt(64), "OK")
	set("RESERVE > INT_MAX", fd, abi.SOL_PACKET, abi.PACKET_RESERVE, intOpt(-1), "EINVAL")
	set("LOSS", fd, abi.SOL_PACKET, abi.PACKET_LOSS, intOpt(3), "OK")
	get("LOSS", fd, abi.SOL_PACKET, abi.PACKET_LOSS, make([]byte, 4), intOpt(1), "OK")
	set("TIMESTAMP", fd, abi.SOL_PACKET, abi.PACKET_TIMESTAMP, intOpt(3), "OK")
	get("TIMESTAMP", fd, abi.SOL_PACKET, abi.PACKET_TIMESTAMP, make([]byte, 4), intOpt(3), "OK")
	set("ORIGDEV", fd, abi.SOL_PACKET, abi.PACKET_ORIGDEV, intOpt(1), "OK")
	get("ORIGDEV", fd, abi.SOL_PACKET, abi.PACKET_ORIGDEV, make([]byte, 4), intOpt(1), "OK")
	set("QDISC_BYPASS", fd, abi.SOL_PACKET, abi.PACKET_QDISC_BYPASS, intOpt(1), "OK")
	get("QDISC_BYPASS", fd, abi.SOL_PACKET, abi.PACKET_QDISC_BYPASS, make([]byte, 4), intOpt(1), "OK")
	set("COPY_THRESH short", fd, abi.SOL_PACKET, abi.PACKET_COPY_THRESH, []byte{1}, "EINVAL")
	set("RX_RING short", fd, abi.SOL_PACKET, abi.PACKET_RX_RING, make([]byte, 8), "EINVAL")
	get("unknown", fd, abi.SOL_PACKET, 99, make([]byte, 4), nil, "ENOPROTOOPT")
	get("SOL_IP", fd, abi.SOL_IP, 2, make([]byte, 4), nil, "ENOPROTOOPT")
}

func caseMemberships(t *testing.T, w world) {
	fd := open(t, w, abi.SOCK_RAW, 0)
	mreq := func(ifindex int, typ, alen uint16, addr []byte) []byte {
		b := make([]byte, packet.SizeofPacketMreq)
		binary.LittleEndian.PutUint32(b, uint32(int32(ifindex)))
		binary.LittleEndian.PutUint16(b[4:], typ)
		binary.LittleEndian.PutUint16(b[6:], alen)
		copy(b[8:], addr)
		return b
	}
	v0 := w.index("veth0")
	add := func(what string, b []byte, want string) {
		t.Helper()
		expect(t, "add "+what, w.setsockopt(fd, abi.SOL_PACKET, abi.PACKET_ADD_MEMBERSHIP, b), want)
	}
	add("15 bytes", mreq(v0, abi.PACKET_MR_PROMISC, 0, nil)[:15], "EINVAL")
	add("ifindex 999", mreq(999, abi.PACKET_MR_PROMISC, 0, nil), "ENODEV")
	add("alen 7", mreq(v0, abi.PACKET_MR_MULTICAST, 7, nil), "EINVAL")
	add("alen 9 in 16 bytes", mreq(v0, abi.PACKET_MR_MULTICAST, 9, nil), "EINVAL")
	add("multicast alen 0", mreq(v0, abi.PACKET_MR_MULTICAST, 0, nil), "EINVAL")
	add("multicast", mreq(v0, abi.PACKET_MR_MULTICAST, 6, []byte{1, 0, 0x5e, 0, 0, 9}), "OK")
	add("unicast", mreq(v0, abi.PACKET_MR_UNICAST, 6, []byte{2, 0, 0, 0, 0, 9}), "OK")
	add("type 77", mreq(v0, 77, 0, nil), "OK")
	add("promisc", mreq(v0, abi.PACKET_MR_PROMISC, 0, nil), "OK")
	add("promisc again", mreq(v0, abi.PACKET_MR_PROMISC, 0, nil), "OK")
	add("allmulti", mreq(v0, abi.PACKET_MR_ALLMULTI, 0, nil), "OK")
	add("40-byte request", append(mreq(v0, abi.PACKET_MR_ALLMULTI, 0, nil), make([]byte, 40)...), "OK")
	drop := func(what string, b []byte) {
		t.Helper()
		expect(t, "drop "+what, w.setsockopt(fd, abi.SOL_PACKET, abi.PACKET_DROP_MEMBERSHIP, b), "OK")
	}
	drop("promisc", mreq(v0, abi.PACKET_MR_PROMISC, 0, nil))
	drop("promisc", mreq(v0, abi.PACKET_MR_PROMISC, 0, nil))
	drop("promisc not held", mreq(v0, abi.PACKET_MR_PROMISC, 0, nil))
	expect(t, "drop 8 bytes", w.setsockopt(fd, abi.SOL_PACKET, abi.PACKET_DROP_MEMBERSHIP, make([]byte, 8)), "EINVAL")
	w.close(fd) // the rest go with the socket
}

func caseLoopbackTwice(t *testing.T, w world) {
	lo := w.index("lo")
	obs := open(t, w, abi.SOCK_RAW, htons(packet.ETH_P_ALL))
	bindTo(t, w, obs, packet.ETH_P_ALL, "lo")
	snd := open(t, w, abi.SOCK_RAW, htons(packet.ETH_P_ALL))
	bindTo(t, w, snd, packet.ETH_P_ALL, "lo")
	typ := open(t, w, abi.SOCK_DGRAM, htons(etherTest))
	bindTo(t, w, typ, etherTest, "lo")
	frame := ethFrame(wire.MAC{}, wire.MAC{}, etherTest, 30, 0xaa)
	// Each frame is sent once its predecessor has been looped back (the
	// DGRAM socket, served after the ETH_P_ALL ones, has it), so the
	// copies queue in the order Linux's synchronous softirq gives them.
	for _, tag := range []byte{0xaa, 0xbb} {
		frame[14] = tag
		if _, err := w.send(snd, frame, nil, nil, 0); err != nil {
			t.Fatal(err)
		}
		r, skipped := waitFrame(t, w, typ, 0, tag)
		if f := r.from(); len(skipped) != 0 || r.N != 16 || f.Pkttype != abi.PACKET_HOST || f.Ifindex != lo ||
			f.Hatype != packet.ARPHRD_LOOPBACK || f.Halen != 6 || f.Protocol != etherTest || f.Len != 20 {
			t.Errorf("DGRAM socket: %d bytes from %+v after %d others", r.N, f, len(skipped))
		}
	}
	want := func(who string, fd int, types ...uint8) {
		t.Helper()
		rs := drainWorld(t, w, fd)
		if len(rs) != len(types) {
			t.Fatalf("%s saw %d frames, want %d", who, len(rs), len(types))
		}
		for i, r := range rs {
			f := r.from()
			if f.Pkttype != types[i] || f.Ifindex != lo || f.Hatype != packet.ARPHRD_LOOPBACK || f.Halen != 6 ||
				f.Protocol != etherTest || f.Len != 20 || r.N != 30 || f.mac() != (wire.MAC{}) {
				t.Errorf("%s frame %d: %+v (%d bytes)", who, i, f, r.N)
			}
		}
	}
	want("observer", obs, abi.PACKET_OUTGOING, abi.PACKET_HOST, abi.PACKET_OUTGOING, abi.PACKET_HOST)
	want("sender", snd, abi.PACKET_HOST, abi.PACKET_HOST)
}

// drainWorld reads what is queued on fd without waiting.
func drainWorld(t *testing.T, w world, fd int) []rx {
	t.Helper()
	var out []rx
	for {
		r, err := w.recv(fd, 70000, 256, abi.MSG_DONTWAIT)
		if err != nil {
			expect(t, "draining", err, "EAGAIN")
			return out
		}
		out = append(out, r)
	}
}

func casePacketTypes(t *testing.T, w world) {
	v0, v1 := w.index("veth0"), w.index("veth1")
	rxs := open(t, w, abi.SOCK_RAW, htons(etherTest))
	bindTo(t, w, rxs, 0, "veth1")
	snd := open(t, w, abi.SOCK_RAW, htons(packet.ETH_P_ALL))
	bindTo(t, w, snd, packet.ETH_P_ALL, "veth0")
	obs := open(t, w, abi.SOCK_RAW, htons(packet.ETH_P_ALL))
	bindTo(t, w, obs, packet.ETH_P_ALL, "veth0")
	src := w.mac("veth0")
	dsts := []wire.MAC{w.mac("veth1"), wire.BroadcastMAC, {0x01, 0, 0x5e, 0, 0, 1}, {0x02, 0, 0, 0, 0, 9}}
	types := []uint8{abi.PACKET_HOST, abi.PACKET_BROADCAST, abi.PACKET_MULTICAST, abi.PACKET_OTHERHOST}
	for i, d := range dsts {
		if _, err := w.send(snd, ethFrame(d, src, etherTest, 60, byte(0x10+i)), sll(etherTest, v0, 6, d[:]), nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	for i := range dsts {
		r, skipped := waitFrame(t, w, rxs, 14, byte(0x10+i))
		f := r.from()
		var wantAddr [8]byte
		copy(wantAddr[:], src[:])
		if len(skipped) != 0 || f != (llAddr{Len: 20, Family: abi.AF_PACKET, Protocol: etherTest, Ifindex: v1,
			Hatype: packet.ARPHRD_ETHER, Pkttype: types[i], Halen: 6, Addr: wantAddr}) || r.N != 60 {
			t.Errorf("frame %d: %+v, %d bytes, after %d others", i, f, r.N, len(skipped))
		}
		r, skipped = waitFrame(t, w, obs, 14, byte(0x10+i))
		if len(skipped) != 0 || r.from().Pkttype != abi.PACKET_OUTGOING || r.from().Ifindex != v0 || r.from().mac() != src {
			t.Errorf("observer's frame %d: %+v after %d others", i, r.from(), len(skipped))
		}
	}
	// The sender saw none of its own frames: the first it reads is one
	// another socket sent.
	other := open(t, w, abi.SOCK_RAW, 0)
	if _, err := w.send(other, ethFrame(dsts[0], src, etherTest, 60, 0x20), sll(etherTest, v0, 6, nil), nil, 0); err != nil {
		t.Fatal(err)
	}
	if _, skipped := waitFrame(t, w, snd, 14, 0x20); len(skipped) != 0 {
		t.Errorf("the sender saw %d of its own frames", len(skipped))
	}
}

func caseDgram(t *testing.T, w world) {
	v0, v1 := w.index("veth0"), w.index("veth1")
	peer, src := w.mac("veth1"), w.mac("veth0")
	snd := open(t, w, abi.SOCK_DGRAM, htons(etherTest))
	bindTo(t, w, snd, etherTest, "veth0")
	rcv := open(t, w, abi.SOCK_DGRAM, htons(etherTest))
	bindTo(t, w, rcv, etherTest, "veth1")
	all := open(t, w, abi.SOCK_RAW, htons(packet.ETH_P_ALL))
	bindTo(t, w, all, packet.ETH_P_ALL, "veth1")
	payload := []byte{0x41, 'h', 'e', 'l', 'l', 'o'}
	if n, err := w.send(snd, payload, sll(etherTest, v0, 6, peer[:]), nil, 0); err != nil || n != len(payload) {
		t.Fatalf("send: %d %v", n, err)
	}
	r, _ := waitFrame(t, w, rcv, 0, 0x41)
	f := r.from()
	if string(r.Data) != string(payload) || f.Protocol != etherTest || f.Ifindex != v1 || f.Pkttype != abi.PACKET_HOST ||
		f.Hatype != packet.ARPHRD_ETHER || f.mac() != src || f.Len != 20 {
		t.Errorf("DGRAM got %x from %+v", r.Data, f)
	}
	r, _ = waitFrame(t, w, all, 14, 0x41)
	eth := wire.Ethernet(r.Data)
	if r.N != 14+len(payload) || eth.Dst() != peer || eth.Src() != src || eth.Type() != etherTest {
		t.Errorf("the frame on the wire: %x", r.Data)
	}
	// 802.3 frames: the type field holds the length, and the receiver
	// tells raw IPX (0xFFFF) from LLC.
	for _, c := range []struct {
		payload []byte
		tagOff  int
		proto   uint16
	}{
		{[]byte{0xff, 0xff, 0x42}, 16, packet.ETH_P_802_3}, // raw IPX
		{[]byte{0x43, 0xaa}, 14, packet.ETH_P_802_2},
	} {
		if _, err := w.send(snd, c.payload, sll(packet.ETH_P_802_3, v0, 6, peer[:]), nil, 0); err != nil {
			t.Fatal(err)
		}
		r, _ = waitFrame(t, w, all, c.tagOff, c.payload[c.tagOff-14])
		if binary.BigEndian.Uint16(r.Data[12:]) != uint16(len(c.payload)) || r.from().Protocol != c.proto {
			t.Errorf("802.3 frame %x: protocol %#x, want %#x", r.Data, r.from().Protocol, c.proto)
		}
	}
}

func caseTruncPeek(t *testing.T, w world) {
	v0 := w.index("veth0")
	rcv := open(t, w, abi.SOCK_RAW, htons(etherTest))
	bindTo(t, w, rcv, 0, "veth1")
	snd := open(t, w, abi.SOCK_RAW, 0)
	frame := ethFrame(w.mac("veth1"), w.mac("veth0"), etherTest, 60, 0x51)
	if _, err := w.send(snd, frame, sll(etherTest, v0, 6, nil), nil, 0); err != nil {
		t.Fatal(err)
	}
	r, err := w.recv(rcv, 10, 0, abi.MSG_PEEK)
	if err != nil || r.N != 10 || r.Flags != abi.MSG_TRUNC || string(r.Data) != string(frame[:10]) {
		t.Errorf("MSG_PEEK into 10 bytes: %d flags %#x %v", r.N, r.Flags, err)
	}
	r, err = w.recv(rcv, 10, 0, abi.MSG_PEEK|abi.MSG_TRUNC)
	if err != nil || r.N != 60 || r.Flags != abi.MSG_TRUNC {
		t.Errorf("MSG_PEEK|MSG_TRUNC: %d flags %#x %v", r.N, r.Flags, err)
	}
	r, err = w.recv(rcv, 100, 0, 0)
	if err != nil || r.N != 60 || r.Flags != 0 || string(r.Data) != string(frame) {
		t.Errorf("read: %d flags %#x %v", r.N, r.Flags, err)
	}
	_, err = w.recv(rcv, 100, 0, abi.MSG_DONTWAIT)
	expect(t, "after the read", err, "EAGAIN")
}

func caseAuxdata(t *testing.T, w world) {
	v0 := w.index("veth0")
	raw := open(t, w, abi.SOCK_RAW, htons(etherTest))
	bindTo(t, w, raw, 0, "veth1")
	dg := open(t, w, abi.SOCK_DGRAM, htons(etherTest))
	bindTo(t, w, dg, 0, "veth1")
	for _, fd := range []int{raw, dg} {
		must(t, w.setsockopt(fd, abi.SOL_PACKET, abi.PACKET_AUXDATA, intOpt(1)))
	}
	snd := open(t, w, abi.SOCK_RAW, 0)
	frame := ethFrame(w.mac("veth1"), w.mac("veth0"), etherTest, 60, 0x61)
	if _, err := w.send(snd, frame, sll(etherTest, v0, 6, nil), nil, 0); err != nil {
		t.Fatal(err)
	}
	r, _ := waitFrame(t, w, raw, 14, 0x61)
	cs := parseCmsgs(r.Oob)
	a, ok := findAux(cs)
	if !ok || len(cs) != 1 || len(r.Oob) != 40 || a != (auxdata{Status: packet.TP_STATUS_USER, Len: 60, Snaplen: 60, Net: 14}) {
		t.Errorf("RAW auxdata %+v (%d bytes of control)", a, len(r.Oob))
	}
	r, _ = waitFrame(t, w, dg, 0, 0x61)
	a, ok = findAux(parseCmsgs(r.Oob))
	if !ok || a != (auxdata{Status: packet.TP_STATUS_USER, Len: 46, Snaplen: 46, Net: 0}) {
		t.Errorf("DGRAM auxdata %+v", a)
	}
	// A control buffer too small for it is truncated (MSG_CTRUNC).
	frame[14] = 0x62
	if _, err := w.send(snd, frame, sll(etherTest, v0, 6, nil), nil, 0); err != nil {
		t.Fatal(err)
	}
	r, err := w.recv(raw, 100, 24, 0)
	if err != nil || r.Flags != abi.MSG_CTRUNC || len(r.Oob) != 24 || binary.LittleEndian.Uint64(r.Oob) != 24 {
		t.Errorf("small control buffer: flags %#x, %x, %v", r.Flags, r.Oob, err)
	}
}

func caseRcvbufDrops(t *testing.T, w world) {
	v0 := w.index("veth0")
	// The sentinel is older than rcv, so it is served after it (hooks run
	// newest first): once it has a frame, rcv has had its chance.
	sentinel := open(t, w, abi.SOCK_RAW, htons(etherTest))
	bindTo(t, w, sentinel, 0, "veth1")
	rcv := open(t, w, abi.SOCK_RAW, htons(etherTest))
	bindTo(t, w, rcv, 0, "veth1")
	must(t, w.setsockopt(rcv, abi.SOL_SOCKET, abi.SO_RCVBUF, intOpt(0)))
	must(t, w.setsockopt(rcv, abi.SOL_SOCKET, abi.SO_RXQ_OVFL, intOpt(1)))
	snd := open(t, w, abi.SOCK_RAW, 0)
	stats := func() (uint32, uint32) {
		b, err := w.getsockopt(rcv, abi.SOL_PACKET, abi.PACKET_STATISTICS, make([]byte, 8))
		must(t, err)
		return binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
	}
	// 60-byte frames are charged 768 bytes: three fit in 2304.
	for i := range 10 {
		if _, err := w.send(snd, ethFrame(w.mac("veth1"), w.mac("veth0"), etherTest, 60, byte(i)), sll(etherTest, v0, 6, nil), nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	// The sentinel's frame, dropped by rcv, ends the series.
	if _, err := w.send(snd, ethFrame(w.mac("veth1"), w.mac("veth0"), etherTest, 60, 0x7f), sll(etherTest, v0, 6, nil), nil, 0); err != nil {
		t.Fatal(err)
	}
	waitFrame(t, w, sentinel, 14, 0x7f)
	var tags []byte
	for {
		r, err := w.recv(rcv, 100, 64, abi.MSG_DONTWAIT)
		if err != nil {
			break
		}
		tags = append(tags, r.Data[14])
		for _, c := range parseCmsgs(r.Oob) {
			if c.Type == abi.SO_RXQ_OVFL {
				t.Errorf("frame %d carries a drop count %x", r.Data[14], c.Data)
			}
		}
	}
	if string(tags) != "\x00\x01\x02" {
		t.Errorf("queued frames %x, want 000102", tags)
	}
	if p, d := stats(); p != 11 || d != 8 {
		t.Errorf("PACKET_STATISTICS %d packets %d drops, want 11 and 8", p, d)
	}
	if p, d := stats(); p != 0 || d != 0 {
		t.Errorf("PACKET_STATISTICS again %d %d, want 0 0", p, d)
	}
	// Frames queued after drops say how many there were (SO_RXQ_OVFL).
	if _, err := w.send(snd, ethFrame(w.mac("veth1"), w.mac("veth0"), etherTest, 60, 0x70), sll(etherTest, v0, 6, nil), nil, 0); err != nil {
		t.Fatal(err)
	}
	r, _ := waitFrame(t, w, rcv, 14, 0x70)
	cs := parseCmsgs(r.Oob)
	if len(cs) != 1 || cs[0].Type != abi.SO_RXQ_OVFL || binary.LittleEndian.Uint32(cs[0].Data) != 8 {
		t.Errorf("SO_RXQ_OVFL cmsgs %+v", cs)
	}
	// A full-size frame is charged 2304 bytes: one at a time.
	mtu := w.mtu("veth0")
	for i := range 3 {
		if _, err := w.send(snd, ethFrame(w.mac("veth1"), w.mac("veth0"), etherTest, mtu+14, byte(0x80+i)), sll(etherTest, v0, 6, nil), nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.send(snd, ethFrame(w.mac("veth1"), w.mac("veth0"), etherTest, 60, 0x7e), sll(etherTest, v0, 6, nil), nil, 0); err != nil {
		t.Fatal(err)
	}
	waitFrame(t, w, sentinel, 14, 0x7e)
	n := 0
	for {
		if _, err := w.recv(rcv, 2000, 0, abi.MSG_DONTWAIT); err != nil {
			break
		}
		n++
	}
	if p, d := stats(); n != 1 || p != 5 || d != 3 {
		t.Errorf("full-size frames: %d queued, statistics %d %d; want 1, 5 3", n, p, d)
	}
}

func caseDownUp(t *testing.T, w world) {
	v0, v1 := w.index("veth0"), w.index("veth1")
	soErr := func(fd int) string {
		b, err := w.getsockopt(fd, abi.SOL_SOCKET, abi.SO_ERROR, make([]byte, 4))
		must(t, err)
		if e := errno.Errno(binary.LittleEndian.Uint32(b)); e != 0 {
			return e.Name()
		}
		return "OK"
	}
	running := open(t, w, abi.SOCK_RAW, htons(etherTest))
	bindTo(t, w, running, 0, "veth1")
	w.setUp("veth1", false)
	if ev := w.poll(running); ev != 0x4|0x8|0x100|0x200 {
		t.Errorf("poll after down %#x, want POLLOUT|POLLERR|POLLWRNORM|POLLWRBAND", ev)
	}
	_, err := w.recv(running, 100, 0, abi.MSG_DONTWAIT)
	expect(t, "recv after down", err, "ENETDOWN")
	_, err = w.recv(running, 100, 0, abi.MSG_DONTWAIT)
	expect(t, "recv again", err, "EAGAIN")

	late := open(t, w, abi.SOCK_RAW, htons(etherTest))
	expect(t, "bind to a down device", w.bind(late, sll(0, v1, 0, nil)), "OK")
	if e := soErr(late); e != "ENETDOWN" {
		t.Errorf("SO_ERROR after binding to a down device: %s", e)
	}
	_, err = w.send(late, ethFrame(w.mac("veth0"), w.mac("veth1"), etherTest, 60, 0), nil, nil, 0)
	expect(t, "send on the down device", err, "ENETDOWN")

	w.setUp("veth1", true)
	snd := open(t, w, abi.SOCK_RAW, 0)
	if _, err := w.send(snd, ethFrame(w.mac("veth1"), w.mac("veth0"), etherTest, 60, 0x91), sll(etherTest, v0, 6, nil), nil, 0); err != nil {
		t.Fatal(err)
	}
	for _, fd := range []int{running, late} {
		if r, skipped := waitFrame(t, w, fd, 14, 0x91); len(skipped) != 0 || r.from().Ifindex != v1 {
			t.Errorf("after up: %+v after %d others", r.from(), len(skipped))
		}
	}
	if ev := w.poll(running); ev != 0x4|0x100|0x200 {
		t.Errorf("poll when drained %#x", ev)
	}
}

func caseIgnoreOutgoing(t *testing.T, w world) {
	v0, v1 := w.index("veth0"), w.index("veth1")
	obs := open(t, w, abi.SOCK_RAW, htons(packet.ETH_P_ALL))
	bindTo(t, w, obs, packet.ETH_P_ALL, "veth0")
	must(t, w.setsockopt(obs, abi.SOL_PACKET, abi.PACKET_IGNORE_OUTGOING, intOpt(1)))
	snd := open(t, w, abi.SOCK_RAW, 0)
	if _, err := w.send(snd, ethFrame(w.mac("veth1"), w.mac("veth0"), etherTest, 60, 0xa1), sll(etherTest, v0, 6, nil), nil, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := w.send(snd, ethFrame(w.mac("veth0"), w.mac("veth1"), etherTest, 60, 0xa2), sll(etherTest, v1, 6, nil), nil, 0); err != nil {
		t.Fatal(err)
	}
	r, skipped := waitFrame(t, w, obs, 14, 0xa2)
	if len(skipped) != 0 || r.from().Pkttype != abi.PACKET_HOST {
		t.Errorf("with PACKET_IGNORE_OUTGOING: %+v after %d others", r.from(), len(skipped))
	}
}

func caseVLAN(t *testing.T, w world) {
	v0 := w.index("veth0")
	all := open(t, w, abi.SOCK_RAW, htons(packet.ETH_P_ALL))
	bindTo(t, w, all, packet.ETH_P_ALL, "veth1")
	one := open(t, w, abi.SOCK_RAW, htons(etherTest))
	bindTo(t, w, one, 0, "veth1")
	for _, fd := range []int{all, one} {
		must(t, w.setsockopt(fd, abi.SOL_PACKET, abi.PACKET_AUXDATA, intOpt(1)))
	}
	snd := open(t, w, abi.SOCK_RAW, 0)
	// dst, src, 802.1Q tag (PCP 3, VID 5), etherTest, payload.
	inner := ethFrame(w.mac("veth1"), w.mac("veth0"), etherTest, 60, 0xb1)
	tagged := append(append(append([]byte(nil), inner[:12]...), 0x81, 0x00, 0x60, 0x05), inner[12:]...)
	if _, err := w.send(snd, tagged, sll(etherTest, v0, 6, nil), nil, 0); err != nil {
		t.Fatal(err)
	}
	r, _ := waitFrame(t, w, all, 14, 0xb1)
	a, _ := findAux(parseCmsgs(r.Oob))
	if string(r.Data) != string(inner) || r.from().Protocol != etherTest || r.from().Pkttype != abi.PACKET_HOST ||
		a != (auxdata{Status: packet.TP_STATUS_USER | packet.TP_STATUS_VLAN_VALID | packet.TP_STATUS_VLAN_TPID_VALID,
			Len: 60, Snaplen: 60, Net: 14, VlanTCI: 0x6005, VlanTPID: packet.ETH_P_8021Q}) {
		t.Errorf("ETH_P_ALL: %x from %+v aux %+v", r.Data, r.from(), a)
	}
	r, _ = waitFrame(t, w, one, 14, 0xb1)
	a, _ = findAux(parseCmsgs(r.Oob))
	if string(r.Data) != string(inner) || r.from().Pkttype != abi.PACKET_OTHERHOST ||
		a != (auxdata{Status: packet.TP_STATUS_USER, Len: 60, Snaplen: 60, Net: 14}) {
		t.Errorf("one protocol: %x from %+v aux %+v", r.Data, r.from(), a)
	}
}

func caseIoctl(t *testing.T, w world) {
	v0 := w.index("veth0")
	raw := open(t, w, abi.SOCK_RAW, htons(etherTest))
	bindTo(t, w, raw, 0, "veth1")
	dg := open(t, w, abi.SOCK_DGRAM, htons(etherTest))
	bindTo(t, w, dg, 0, "veth1")
	if n, err := w.ioctl(raw, abi.SIOCINQ); err != nil || n != 0 {
		t.Errorf("SIOCINQ empty: %d %v", n, err)
	}
	snd := open(t, w, abi.SOCK_RAW, 0)
	if _, err := w.send(snd, ethFrame(w.mac("veth1"), w.mac("veth0"), etherTest, 70, 0xc1), sll(etherTest, v0, 6, nil), nil, 0); err != nil {
		t.Fatal(err)
	}
	waitPeek := func(fd int) {
		if _, err := w.recv(fd, 1, 0, abi.MSG_PEEK); err != nil {
			t.Fatal(err)
		}
	}
	waitPeek(raw)
	waitPeek(dg)
	if n, err := w.ioctl(raw, abi.SIOCINQ); err != nil || n != 70 {
		t.Errorf("SIOCINQ RAW: %d %v, want 70", n, err)
	}
	if n, err := w.ioctl(dg, abi.SIOCINQ); err != nil || n != 56 {
		t.Errorf("SIOCINQ DGRAM: %d %v, want 56", n, err)
	}
	if n, err := w.ioctl(raw, abi.SIOCOUTQ); err != nil || n != 0 {
		t.Errorf("SIOCOUTQ: %d %v", n, err)
	}
}

func caseSockPacket(t *testing.T, w world) {
	sa := func(name string) []byte {
		b := make([]byte, 16)
		binary.LittleEndian.PutUint16(b, abi.AF_PACKET)
		copy(b[2:], name)
		return b
	}
	fd := open(t, w, abi.SOCK_PACKET, htons(etherTest))
	expect(t, "bind 20 bytes", w.bind(fd, append(sa("veth1"), 0, 0, 0, 0)), "EINVAL")
	expect(t, "bind unknown", w.bind(fd, sa("nosuch0")), "ENODEV")
	expect(t, "bind empty name", w.bind(fd, sa("")), "ENODEV")
	expect(t, "bind veth1", w.bind(fd, sa("veth1")), "OK")
	b, err := w.getsockname(fd)
	if err != nil || string(b) != string(sa("veth1")) {
		t.Errorf("getsockname %x %v", b, err)
	}
	expect(t, "getpeername", w.getpeername(fd), "EOPNOTSUPP")
	expect(t, "setsockopt SOL_PACKET", w.setsockopt(fd, abi.SOL_PACKET, abi.PACKET_AUXDATA, intOpt(1)), "EOPNOTSUPP")
	_, err = w.getsockopt(fd, abi.SOL_PACKET, abi.PACKET_AUXDATA, make([]byte, 4))
	expect(t, "getsockopt SOL_PACKET", err, "EOPNOTSUPP")
	expect(t, "SO_RCVBUF", w.setsockopt(fd, abi.SOL_SOCKET, abi.SO_RCVBUF, intOpt(65536)), "OK")

	snd := open(t, w, abi.SOCK_PACKET, 0)
	frame := ethFrame(w.mac("veth1"), w.mac("veth0"), etherTest, 60, 0xd1)
	_, err = w.send(snd, frame, nil, nil, 0)
	expect(t, "send without address", err, "ENOTCONN")
	_, err = w.send(snd, frame, sa("veth0")[:15], nil, 0)
	expect(t, "send to 15 bytes", err, "EINVAL")
	_, err = w.send(snd, frame, sa("nosuch0"), nil, 0)
	expect(t, "send to unknown", err, "ENODEV")
	_, err = w.send(snd, frame[:10], sa("veth0"), nil, 0)
	expect(t, "send 10 bytes", err, "EINVAL")
	_, err = w.send(snd, make([]byte, w.mtu("veth0")+15), sa("veth0"), nil, 0)
	expect(t, "send MTU+15", err, "EMSGSIZE")
	if _, err := w.send(snd, frame, sa("veth0"), nil, 0); err != nil {
		t.Fatal(err)
	}
	r, skipped := waitFrame(t, w, fd, 14, 0xd1)
	var wantName [18]byte
	binary.LittleEndian.PutUint16(wantName[:], packet.ARPHRD_ETHER)
	copy(wantName[2:], "veth1")
	binary.BigEndian.PutUint16(wantName[16:], etherTest)
	if len(skipped) != 0 || r.N != 60 || string(r.Name) != string(wantName[:]) {
		t.Errorf("SOCK_PACKET read %d bytes from %x after %d others", r.N, r.Name, len(skipped))
	}
}

func itoa(v int) string {
	if v < 0 {
		return "-" + itoa(-v)
	}
	if v < 10 {
		return string(rune('0' + v))
	}
	return itoa(v/10) + string(rune('0'+v%10))
}
