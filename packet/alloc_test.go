package packet

import (
	"testing"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/internal/israce"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/wire"
)

// TestDataPathAllocs: once warm, delivering a frame to two sockets (one
// SOCK_RAW, one SOCK_DGRAM) and reading it back allocates nothing.
func TestDataPathAllocs(t *testing.T) {
	if israce.Enabled {
		t.Skip("skipping: the race detector makes sync.Pool drop buffers")
	}
	ns := netns.New(netns.Options{Name: "allocs", NoLoopback: true})
	defer ns.Close()
	Register(ns)
	a, b := link.NewPipe(link.PipeConfig{})
	_, err := ns.AddInterface(a)
	if err != nil {
		t.Fatal(err)
	}
	ifc, err := ns.AddInterface(b)
	if err != nil {
		t.Fatal(err)
	}
	ifc.SetUp(true)
	var ops []socket.ProtoOps
	for _, typ := range []int{abi.SOCK_RAW, abi.SOCK_DGRAM} {
		s, e := socket.Create(ns, abi.AF_PACKET, typ, int(ntohs(ETH_P_IP)), socket.Options{Creds: socket.Creds{Caps: socket.AllCaps}})
		if e != 0 {
			t.Fatal(e)
		}
		defer s.Close()
		ops = append(ops, s.Ops())
	}
	frame := make([]byte, 98)
	mac := ifc.Device().HardwareAddr()
	copy(frame, mac[:])
	frame[12], frame[13] = 0x08, 0x00
	tbl := tableOf(ns)
	buf := make([]byte, 2048)
	m := &socket.Msg{Name: make([]byte, 128), Iov: [][]byte{buf}, Control: make([]byte, 0, 64)}
	run := func() {
		pkt := pktbuf.FromBytes(pktbuf.DefaultHeadroom, frame)
		tbl.Tap(ifc, pkt, false)
		pkt.Release()
		for _, o := range ops {
			m.NameLen, m.ControlLen, m.Flags = 0, 0, 0
			if n, e := o.Recvmsg(m, abi.MSG_DONTWAIT); e != 0 || n < len(frame)-wire.EthernetHeaderLen {
				t.Fatalf("recv %d %v", n, e)
			}
		}
	}
	run()
	if n := testing.AllocsPerRun(1000, run); n != 0 {
		t.Errorf("%v allocations per frame, want 0", n)
	}
}
