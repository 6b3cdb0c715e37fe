package netns

import (
	"net/netip"
	"testing"
	"testing/synctest"

	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// TestTransmitFrameSoftwareGSO: a TCP super-segment with a partial
// checksum sent on a device without GSO or checksum offload leaves as
// MTU-sized segments with complete checksums; on a device with both it
// leaves whole.
func TestTransmitFrameSoftwareGSO(t *testing.T) {
	for _, caps := range []link.Capabilities{{}, {GSOMaxSize: 65536, ChecksumOffload: true}} {
		synctest.Test(t, func(t *testing.T) {
			ns := New(Options{Seed: 1})
			defer ns.Close()
			a, b := link.NewPipe(link.PipeConfig{Type: link.TypeRawIP, MTU: 1500, Capabilities: caps})
			type frame struct {
				n     int
				gso   bool
				valid bool
			}
			got := make(chan frame, 100)
			b.Attach(link.ReceiverFunc(func(_ link.Device, p *pktbuf.Buffer) {
				ip := wire.IPv4(p.Bytes())
				valid := wire.TCP(ip.Payload()).ValidChecksum(ip.Src(), ip.Dst())
				got <- frame{p.Len(), p.GSOType != pktbuf.GSONone, valid}
				p.Release()
			}))
			ifc, _ := ns.AddInterface(a)
			ifc.SetUp(true)

			src, dst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
			const payload = 10 * 1460
			f := wire.TCPFields{SrcPort: 1, DstPort: 2, Seq: 1, Flags: wire.TCPFlagACK | wire.TCPFlagPSH}
			pkt := pktbuf.New(pktbuf.DefaultHeadroom, wire.TCPMinHeaderLen+payload)
			seg := wire.TCP(pkt.Bytes())
			f.Encode(seg)
			seg.SetChecksum(^wire.FoldChecksum(wire.PseudoHeaderChecksum(wire.ProtoTCP, src, dst, len(seg))))
			h := wire.IPv4(pkt.Push(wire.IPv4MinHeaderLen))
			(&wire.IPv4Fields{TotalLen: uint16(pkt.Len()), TTL: 64, Protocol: wire.ProtoTCP, Src: src, Dst: dst}).Encode(h)
			h.UpdateChecksum()
			pkt.SetNetworkHeader()
			pkt.GSOType, pkt.GSOSize, pkt.ChecksumPartial = pktbuf.GSOTCPv4, 1460, true
			if err := ifc.TransmitFrame(pkt); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			want := 10
			if caps.GSOMaxSize > 0 {
				want = 1
			}
			if len(got) != want {
				t.Fatalf("caps %+v: %d frames, want %d", caps, len(got), want)
			}
			for range want {
				fr := <-got
				if caps.GSOMaxSize == 0 && (fr.n != 1500 || fr.gso || !fr.valid) {
					t.Errorf("segment: %+v", fr)
				}
				if caps.GSOMaxSize > 0 && (!fr.gso || fr.n != 20+20+payload) {
					t.Errorf("super-segment: %+v", fr)
				}
			}
		})
	}
}
