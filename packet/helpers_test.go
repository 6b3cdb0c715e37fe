package packet_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/packet"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/sys"
	"github.com/gosock/gosock/wire"
)

// etherTest is the EtherType of the tests' own frames (IEEE 802 local
// experimental), which no stack answers.
const etherTest = 0x88B5

func htons(v uint16) int { return int(v>>8 | v<<8) }

// sll marshals a sockaddr_ll.
func sll(proto uint16, ifindex int, halen uint8, addr []byte) []byte {
	b := make([]byte, abi.SizeofSockaddrLL)
	binary.LittleEndian.PutUint16(b, abi.AF_PACKET)
	binary.BigEndian.PutUint16(b[2:], proto)
	binary.LittleEndian.PutUint32(b[4:], uint32(int32(ifindex)))
	b[11] = halen
	copy(b[12:], addr)
	return b
}

// llAddr is a decoded sockaddr_ll with the length it came with.
type llAddr struct {
	Len      int
	Family   uint16
	Protocol uint16
	Ifindex  int
	Hatype   uint16
	Pkttype  uint8
	Halen    uint8
	Addr     [8]byte
}

func parseLL(b []byte) llAddr {
	var full [20]byte
	copy(full[:], b)
	a := llAddr{
		Len:      len(b),
		Family:   binary.LittleEndian.Uint16(full[:]),
		Protocol: binary.BigEndian.Uint16(full[2:]),
		Ifindex:  int(int32(binary.LittleEndian.Uint32(full[4:]))),
		Hatype:   binary.LittleEndian.Uint16(full[8:]),
		Pkttype:  full[10],
		Halen:    full[11],
	}
	copy(a.Addr[:], full[12:])
	return a
}

func (a llAddr) mac() wire.MAC { return wire.MAC(a.Addr[:6]) }

// ethFrame builds an Ethernet frame of the given total length (at least
// the header) whose first payload byte is tag.
func ethFrame(dst, src wire.MAC, typ uint16, n int, tag byte) []byte {
	b := make([]byte, max(n, wire.EthernetHeaderLen+1))
	copy(b, dst[:])
	copy(b[6:], src[:])
	binary.BigEndian.PutUint16(b[12:], typ)
	b[14] = tag
	for i := 15; i < len(b); i++ {
		b[i] = byte(i)
	}
	return b[:max(n, wire.EthernetHeaderLen)]
}

// errName names the errno in err ("OK" for nil), so results of gosock and
// of the kernel compare as strings.
func errName(err error) string {
	if err == nil {
		return "OK"
	}
	if e, ok := errno.Of(err); ok {
		return e.Name()
	}
	return err.Error()
}

// auxdata is a decoded struct tpacket_auxdata.
type auxdata struct {
	Status, Len, Snaplen uint32
	Mac, Net             uint16
	VlanTCI, VlanTPID    uint16
}

// cmsg is one decoded control message.
type cmsg struct {
	Level, Type int
	Data        []byte
}

func parseCmsgs(b []byte) []cmsg {
	var out []cmsg
	for len(b) >= 16 {
		l := int(binary.LittleEndian.Uint64(b))
		if l < 16 || l > len(b) {
			break
		}
		out = append(out, cmsg{
			Level: int(int32(binary.LittleEndian.Uint32(b[8:]))),
			Type:  int(int32(binary.LittleEndian.Uint32(b[12:]))),
			Data:  b[16:l],
		})
		b = b[min(len(b), (l+7)&^7):]
	}
	return out
}

func findAux(cs []cmsg) (auxdata, bool) {
	for _, c := range cs {
		if c.Level == abi.SOL_PACKET && c.Type == abi.PACKET_AUXDATA && len(c.Data) >= packet.SizeofTpacketAuxdata {
			d := c.Data
			return auxdata{
				Status: binary.LittleEndian.Uint32(d), Len: binary.LittleEndian.Uint32(d[4:]),
				Snaplen: binary.LittleEndian.Uint32(d[8:]), Mac: binary.LittleEndian.Uint16(d[12:]),
				Net: binary.LittleEndian.Uint16(d[14:]), VlanTCI: binary.LittleEndian.Uint16(d[16:]),
				VlanTPID: binary.LittleEndian.Uint16(d[18:]),
			}, true
		}
	}
	return auxdata{}, false
}

// leakCheck records pktbuf.Outstanding and, at cleanup, fails the test if
// it did not come back: every buffer a socket queued must be released.
// Tests in this package do not run in parallel, so the process-wide
// counter is theirs.
func leakCheck(t testing.TB) func() {
	base := pktbuf.Outstanding()
	return func() {
		t.Helper()
		if n := pktbuf.Outstanding(); n != base {
			t.Errorf("pktbuf.Outstanding = %d, want %d: %d buffers leaked", n, base, n-base)
		}
	}
}

// got is one frame read from a gosock packet socket.
type got struct {
	N     int
	Data  []byte
	Flags int
	From  llAddr
	Cmsgs []cmsg
}

func (g got) String() string {
	return fmt.Sprintf("%d bytes pkttype %d proto %#04x from %v ifindex %d", g.N, g.From.Pkttype, g.From.Protocol, g.From.mac(), g.From.Ifindex)
}

// recv reads one frame from fd of p with flags.
func recv(p *sys.Process, fd int, size int, flags int) (got, error) {
	buf := make([]byte, size)
	m := &socket.Msg{Name: make([]byte, 128), Iov: [][]byte{buf}, Control: make([]byte, 0, 256)}
	n, err := p.RecvmsgRaw(fd, m, flags)
	if err != nil {
		return got{}, err
	}
	g := got{N: n, Data: buf[:min(n, size)], Flags: m.Flags, Cmsgs: parseCmsgs(m.Control[:m.ControlLen])}
	if m.NameLen > 0 {
		g.From = parseLL(m.Name[:min(m.NameLen, len(m.Name))])
	}
	return g, nil
}

// drain reads every frame queued on fd without waiting.
func drain(t testing.TB, p *sys.Process, fd int) []got {
	t.Helper()
	var out []got
	for {
		g, err := recv(p, fd, 70000, abi.MSG_DONTWAIT)
		if errors.Is(err, errno.EAGAIN) {
			return out
		}
		if err != nil {
			t.Fatalf("recv: %v", err)
		}
		out = append(out, g)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustFD(t testing.TB) func(int, error) int {
	return func(fd int, err error) int {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return fd
	}
}

// packetNS makes a namespace with only AF_PACKET registered: no IP stack
// sends anything of its own, so every frame is the test's.
func packetNS(name string) *netns.Namespace {
	ns := netns.New(netns.Options{Name: name, Seed: 7})
	packet.Register(ns)
	return ns
}

// addPipe adds both ends of a new Ethernet pipe to ns (as a veth pair in
// one namespace) and brings them up.
func addPipe(t testing.TB, ns *netns.Namespace, cfg link.PipeConfig) (*netns.Interface, *netns.Interface) {
	t.Helper()
	a, b := link.NewPipe(cfg)
	ia, err := ns.AddInterface(a)
	must(t, err)
	ib, err := ns.AddInterface(b)
	must(t, err)
	must(t, ia.SetUp(true))
	must(t, ib.SetUp(true))
	return ia, ib
}
