package tcp

import (
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/gosock/gosock/ipv4"
	"github.com/gosock/gosock/ipv6"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// segTap records every TCP segment sent on lo.
type segTap struct {
	mu   sync.Mutex
	segs []wire.TCPFields
}

func (s *segTap) Tap(ifc *netns.Interface, pkt *pktbuf.Buffer, outgoing bool) {
	if !outgoing {
		return
	}
	eth, err := wire.ParseEthernet(pkt.Bytes())
	if err != nil {
		return
	}
	var payload []byte
	switch eth.Type() {
	case wire.EtherTypeIPv4:
		ip, err := wire.ParseIPv4(eth.Payload())
		if err != nil || ip.Protocol() != wire.ProtoTCP {
			return
		}
		payload = ip.Payload()
	case wire.EtherTypeIPv6:
		ip, err := wire.ParseIPv6(eth.Payload())
		if err != nil || ip.NextHeader() != wire.ProtoTCP {
			return
		}
		payload = ip.Payload()
	default:
		return
	}
	seg, err := wire.ParseTCP(payload)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.segs = append(s.segs, seg.Fields())
	s.mu.Unlock()
}

func TestResetForNoSocket(t *testing.T) {
	cases := []struct {
		name    string
		in      wire.TCPFields
		payload int
		want    wire.TCPFields // zero Flags: no answer
	}{
		{"SYN", wire.TCPFields{SrcPort: 40000, DstPort: 80, Seq: 1000, Flags: wire.TCPFlagSYN, Window: 65535},
			0, wire.TCPFields{SrcPort: 80, DstPort: 40000, Seq: 0, Ack: 1001, Flags: wire.TCPFlagRST | wire.TCPFlagACK}},
		{"ACK", wire.TCPFields{SrcPort: 40000, DstPort: 80, Seq: 1000, Ack: 5000, Flags: wire.TCPFlagACK},
			0, wire.TCPFields{SrcPort: 80, DstPort: 40000, Seq: 5000, Flags: wire.TCPFlagRST}},
		{"data and FIN without ACK", wire.TCPFields{SrcPort: 40000, DstPort: 80, Seq: 7, Flags: wire.TCPFlagFIN | wire.TCPFlagPSH},
			10, wire.TCPFields{SrcPort: 80, DstPort: 40000, Ack: 18, Flags: wire.TCPFlagRST | wire.TCPFlagACK}},
		{"RST", wire.TCPFields{SrcPort: 40000, DstPort: 80, Seq: 7, Flags: wire.TCPFlagRST}, 0, wire.TCPFields{}},
	}
	for _, v6 := range []bool{false, true} {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					ns := netns.New(netns.Options{Seed: 1})
					defer ns.Close()
					ipv4.Register(ns)
					ipv6.Register(ns)
					p := Register(ns)
					tap := &segTap{}
					ns.SetPacketTap(tap)
					addr := netip.MustParseAddr("127.0.0.1")
					if v6 {
						addr = netip.IPv6Loopback()
					}
					in := c.in
					if err := p.transmit(addr, addr, &in, make([]byte, c.payload), 0); err != nil {
						t.Fatal(err)
					}
					synctest.Wait()
					tap.mu.Lock()
					defer tap.mu.Unlock()
					want := 1
					if c.want.Flags != 0 {
						want = 2
					}
					if len(tap.segs) != want {
						t.Fatalf("%d segments on the wire, want %d: %+v", len(tap.segs), want, tap.segs)
					}
					if want == 1 {
						return
					}
					got := tap.segs[1]
					if got.SrcPort != c.want.SrcPort || got.DstPort != c.want.DstPort || got.Seq != c.want.Seq ||
						got.Ack != c.want.Ack || got.Flags != c.want.Flags || got.Window != 0 {
						t.Errorf("reset %+v, want %+v", got, c.want)
					}
					// Over lo the reset comes back to the same namespace and
					// finds no socket either: two no-socket drops.
					if ns.MIB.Get(netns.TCPOutRsts) != 1 || ns.MIB.DropCount(netns.DropNoSocket) != 2 {
						t.Errorf("OutRsts %d, no-socket drops %d", ns.MIB.Get(netns.TCPOutRsts), ns.MIB.DropCount(netns.DropNoSocket))
					}
				})
			})
		}
	}
}
