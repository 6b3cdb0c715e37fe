//go:build linux

package gosock_test

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/internal/nettest"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/sys"
	"github.com/gosock/gosock/wire"
)

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// TestKernelUDPAndPacketOverTAP exchanges a UDP datagram between a gosock
// UDP socket and the host kernel's own UDP socket across a TAP device in
// a test namespace, and captures the traffic with AF_PACKET sockets on
// both sides: gosock's sees the kernel's frames, the kernel's sees
// gosock's.
func TestKernelUDPAndPacketOverTAP(t *testing.T) {
	nettest.RequireTUN(t)
	kns := nettest.New(t)
	var tap *link.TUNDevice
	var kudp, kpkt int
	if err := kns.Do(func() error {
		var err error
		if tap, err = link.OpenTAP("gstap1", link.TUNOptions{}); err != nil {
			return err
		}
		if kudp, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0); err != nil {
			return err
		}
		kpkt, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, int(htons(unix.ETH_P_ALL)))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(kudp)
	defer unix.Close(kpkt)
	kns.IP(t, "link", "set", "gstap1", "up")
	kns.AddAddr(t, "gstap1", "10.202.0.1/24")
	if err := unix.Bind(kudp, &unix.SockaddrInet4{Port: 9000, Addr: [4]byte{10, 202, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	idx := tap.Index()
	if err := unix.Bind(kpkt, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: idx}); err != nil {
		t.Fatal(err)
	}
	tv := unix.Timeval{Sec: 5}
	for _, fd := range []int{kudp, kpkt} {
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			t.Fatal(err)
		}
	}

	ns := gosock.NewNamespace(netns.Options{Name: "gosock", Seed: 3})
	defer ns.Close()
	ifc, err := ns.AddInterface(tap)
	if err != nil {
		t.Fatal(err)
	}
	ifc.SetUp(true)
	if err := ifc.AddAddress(netip.MustParsePrefix("10.202.0.2/24")); err != nil {
		t.Fatal(err)
	}
	p := sys.NewProcess(ns, sys.Options{})
	defer p.Exit()
	gpkt, err := p.Socket(abi.AF_PACKET, abi.SOCK_RAW, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Bind(gpkt, &abi.SockaddrLinklayer{Protocol: unix.ETH_P_ALL, Ifindex: ifc.Index()}); err != nil {
		t.Fatal(err)
	}
	gudp, err := p.Socket(abi.AF_INET, abi.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range []int{gudp, gpkt} {
		if err := p.SetsockoptTimeval(fd, abi.SOL_SOCKET, abi.SO_RCVTIMEO, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Bind(gudp, &abi.SockaddrInet4{Port: 7000}); err != nil {
		t.Fatal(err)
	}

	// gosock → kernel.
	if err := p.Sendto(gudp, []byte("hello kernel"), 0, &abi.SockaddrInet4{Port: 9000, Addr: [4]byte{10, 202, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	n, from, err := unix.Recvfrom(kudp, buf, 0)
	if err != nil || string(buf[:n]) != "hello kernel" {
		t.Fatalf("kernel received %q from %v: %v", buf[:n], from, err)
	}
	if sa, ok := from.(*unix.SockaddrInet4); !ok || sa.Port != 7000 || sa.Addr != [4]byte{10, 202, 0, 2} {
		t.Errorf("kernel saw the datagram from %+v", from)
	}
	// kernel → gosock.
	if err := unix.Sendto(kudp, []byte("hello gosock"), 0, from); err != nil {
		t.Fatal(err)
	}
	n, gfrom, err := p.Recvfrom(gudp, buf, 0)
	if err != nil || string(buf[:n]) != "hello gosock" {
		t.Fatalf("gosock received %q: %v", buf[:n], err)
	}
	if sa, ok := gfrom.(*abi.SockaddrInet4); !ok || sa.Port != 9000 || sa.Addr != [4]byte{10, 202, 0, 1} {
		t.Errorf("gosock saw the datagram from %+v", gfrom)
	}

	// gosock's packet socket saw the kernel's UDP frame, incoming from
	// the kernel's MAC.
	if !sawUDP(t, func(b []byte) (int, error) { n, _, err := p.Recvfrom(gpkt, b, 0); return n, err }, 9000, 7000) {
		t.Error("gosock's AF_PACKET socket did not capture the kernel's datagram")
	}
	// The kernel's packet socket saw gosock's frame.
	if !sawUDP(t, func(b []byte) (int, error) { n, _, err := unix.Recvfrom(kpkt, b, 0); return n, err }, 7000, 9000) {
		t.Error("the kernel's AF_PACKET socket did not capture gosock's datagram")
	}
}

// sawUDP reads Ethernet frames until one carries UDP from sport to dport.
func sawUDP(t *testing.T, recv func([]byte) (int, error), sport, dport uint16) bool {
	t.Helper()
	buf := make([]byte, 2048)
	for range 50 {
		n, err := recv(buf)
		if err != nil {
			t.Logf("capture: %v", err)
			return false
		}
		eth, err := wire.ParseEthernet(buf[:n])
		if err != nil || eth.Type() != wire.EtherTypeIPv4 {
			continue
		}
		ip, err := wire.ParseIPv4(eth.Payload())
		if err != nil || ip.Protocol() != wire.ProtoUDP {
			continue
		}
		p := ip.Payload()
		if len(p) >= 8 && binary.BigEndian.Uint16(p) == sport && binary.BigEndian.Uint16(p[2:]) == dport {
			return true
		}
	}
	return false
}
