//go:build linux

package link

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/gosock/gosock/internal/nettest"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// metaFrame is a received frame with the metadata the device gave it.
type metaFrame struct {
	data              []byte
	partial, verified bool
	gso               pktbuf.GSOType
}

// TestTUNOffloadUDPBothWays: with offloads on, a UDP datagram the kernel
// sends arrives marked as checksummed by the kernel (NEEDS_CSUM), and a
// UDP super-datagram gosock writes (GSO UDP_L4, partial checksum) is cut
// by the kernel into the datagrams a kernel socket reads.
func TestTUNOffloadUDPBothWays(t *testing.T) {
	nettest.RequireTUN(t)
	ns := nettest.New(t)
	dev := openIn(t, ns, "gsvnet0", TUNOptions{})
	if vnet, off := dev.Offload(); !vnet || !off {
		t.Fatalf("offload: vnet header %v, kernel offload %v", vnet, off)
	}
	if c := dev.Capabilities(); c.GSOMaxSize != 65535 || !c.ChecksumOffload {
		t.Errorf("capabilities %+v", c)
	}
	frames := make(chan metaFrame, 64)
	dev.Attach(ReceiverFunc(func(_ Device, p *pktbuf.Buffer) {
		select {
		case frames <- metaFrame{bytes.Clone(p.Bytes()), p.ChecksumPartial, p.ChecksumVerified, p.GSOType}:
		default:
		}
		p.Release()
	}))
	ns.IP(t, "link", "set", "dev", "gsvnet0", "up")
	ns.AddAddr(t, "gsvnet0", "10.200.0.1/24")

	var conn *net.UDPConn
	if err := ns.Do(func() (err error) {
		conn, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(10, 200, 0, 1), Port: 4000})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	// Kernel to gosock.
	msg := bytes.Repeat([]byte("k"), 1200)
	if _, err := conn.WriteToUDP(msg, &net.UDPAddr{IP: net.IPv4(10, 200, 0, 2), Port: 5000}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(tunWait)
	for found := false; !found; {
		select {
		case f := <-frames:
			ip, err := wire.ParseIPv4(f.data)
			if err != nil || ip.Protocol() != wire.ProtoUDP {
				continue
			}
			found = true
			if !f.verified || !bytes.Equal(wire.UDP(ip.Payload()).Payload(), msg) {
				t.Errorf("kernel's datagram: verified %v partial %v, %d bytes", f.verified, f.partial, len(ip.Payload()))
			}
		case <-deadline:
			t.Fatal("no UDP datagram from the kernel")
		}
	}

	// gosock to kernel: one super-datagram of four 1000-byte datagrams.
	payload := make([]byte, 4000)
	for i := range payload {
		payload[i] = byte(i / 1000)
	}
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, wire.UDPHeaderLen+len(payload))
	b := pkt.Bytes()
	binary.BigEndian.PutUint16(b[0:], 5000)
	binary.BigEndian.PutUint16(b[2:], 4000)
	binary.BigEndian.PutUint16(b[4:], uint16(len(b)))
	copy(b[8:], payload)
	h := wire.IPv4(pkt.Push(wire.IPv4MinHeaderLen))
	(&wire.IPv4Fields{TotalLen: uint16(pkt.Len()), TTL: 64, Protocol: wire.ProtoUDP,
		Src: tunPeerV4, Dst: tunKernelV4}).Encode(h)
	h.UpdateChecksum()
	pkt.GSOType, pkt.GSOSize = pktbuf.GSOUDPL4, 1000
	if err := dev.Transmit(pkt); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(tunWait))
	buf := make([]byte, 65536)
	for i := range 4 {
		n, _, err := conn.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		if n != 1000 || !bytes.Equal(buf[:n], payload[i*1000:(i+1)*1000]) {
			t.Errorf("datagram %d: %d bytes, first %d", i, n, buf[0])
		}
	}
}
