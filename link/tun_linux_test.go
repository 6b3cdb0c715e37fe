//go:build linux

package link

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/internal/israce"
	"github.com/gosock/gosock/internal/nettest"
	"github.com/gosock/gosock/pcap"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// tunWait bounds every wait for the kernel; it is a failure guard, not a
// guess at timing: the tests proceed as soon as the awaited frame comes.
const tunWait = 5 * time.Second

var (
	tunKernelV4 = netip.MustParseAddr("10.200.0.1")
	tunPeerV4   = netip.MustParseAddr("10.200.0.2") // gosock's end
	tunKernelV6 = netip.MustParseAddr("fd00:200::1")
	tunPeerV6   = netip.MustParseAddr("fd00:200::2")
)

// tunRecorder is a Receiver that copies every frame onto a channel, after
// giving a hook (answering ARP, say) the chance to reply.
type tunRecorder struct {
	frames chan []byte
	hook   func(dev Device, frame []byte)
	// diag, if set, describes the state of things when a wait fails.
	diag func() string
}

func newTunRecorder(hook func(Device, []byte)) *tunRecorder {
	return &tunRecorder{frames: make(chan []byte, 1024), hook: hook}
}

func (r *tunRecorder) Receive(dev Device, pkt *pktbuf.Buffer) {
	frame := bytes.Clone(pkt.Bytes())
	pkt.Release()
	if r.hook != nil {
		r.hook(dev, frame)
	}
	select {
	case r.frames <- frame:
	default: // a test that stopped listening; never block the device
	}
}

// await returns the first frame match accepts, failing the test after
// tunWait with a list of the frames that did not match.
func (r *tunRecorder) await(t *testing.T, what string, match func([]byte) bool) []byte {
	t.Helper()
	timer := time.NewTimer(tunWait)
	defer timer.Stop()
	var others []string
	for {
		select {
		case f := <-r.frames:
			if match(f) {
				return f
			}
			others = append(others, fmt.Sprintf("% x", f[:min(len(f), 64)]))
		case <-timer.C:
			diag := ""
			if r.diag != nil {
				diag = r.diag()
			}
			t.Fatalf("no %s from the kernel within %v; other frames seen:\n%s\n%s", what, tunWait, strings.Join(others, "\n"), diag)
			return nil
		}
	}
}

// openIn opens a TUN or TAP device inside ns and closes it when the test
// ends.
func openIn(t *testing.T, ns *nettest.NS, name string, opts TUNOptions) *TUNDevice {
	t.Helper()
	var dev *TUNDevice
	err := ns.Do(func() (err error) {
		dev, err = OpenTUN(name, opts)
		return err
	})
	if err != nil {
		t.Fatalf("OpenTUN(%q) in %s: %v", name, ns.Name, err)
	}
	t.Cleanup(func() { dev.Close() })
	return dev
}

// attachRecorder attaches a tunRecorder whose failure report shows the
// device's counters and the kernel's view of the interface.
func attachRecorder(ns *nettest.NS, dev Device, hook func(Device, []byte)) *tunRecorder {
	rec := newTunRecorder(hook)
	rec.diag = func() string {
		link, _ := ns.RunIP("-s", "-s", "link", "show", "dev", dev.Name())
		addr, _ := ns.RunIP("addr", "show", "dev", dev.Name())
		snmp, _ := ns.Command("cat", "/proc/net/snmp", "/proc/net/snmp6").Output()
		return fmt.Sprintf("gosock stats: %+v\n%s%s\n%s", dev.Stats().Snapshot(), link, addr, snmp)
	}
	dev.Attach(rec)
	return rec
}

// ipLink is the part of `ip -j link show` the tests look at.
type ipLink struct {
	Index   int    `json:"ifindex"`
	Name    string `json:"ifname"`
	MTU     int    `json:"mtu"`
	Address string `json:"address"`
	Type    string `json:"link_type"`
	Flags   []string
}

func showLink(t *testing.T, ns *nettest.NS, name string) ipLink {
	t.Helper()
	var links []ipLink
	if err := json.Unmarshal([]byte(ns.IP(t, "-j", "link", "show", "dev", name)), &links); err != nil || len(links) != 1 {
		t.Fatalf("ip -j link show %s: %v (%d links)", name, err, len(links))
	}
	return links[0]
}

// echoRequestV4 builds an IPv4 ICMP echo request with the wire package
// into a buffer with room for an Ethernet header in front.
func echoRequestV4(src, dst netip.Addr, ident, seq uint16, payload []byte) *pktbuf.Buffer {
	n := wire.IPv4MinHeaderLen + wire.ICMPv4HeaderLen + len(payload)
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, n)
	b := pkt.Bytes()
	ip := wire.IPv4(b)
	(&wire.IPv4Fields{
		TotalLen: uint16(n), ID: 0x1c46, Flags: wire.IPv4FlagDontFragment, TTL: 64,
		Protocol: wire.ProtoICMP, Src: src, Dst: dst,
	}).Encode(ip)
	icmp := wire.ICMPv4(b[wire.IPv4MinHeaderLen:])
	(&wire.ICMPv4Fields{Type: wire.ICMPv4EchoRequest, Ident: ident, Seq: seq}).Encode(icmp)
	copy(icmp.Payload(), payload)
	icmp.SetChecksum(icmp.ComputeChecksum())
	return pkt
}

// echoReplyV4 reports whether p is the kernel's IPv4 echo reply to
// echoRequestV4(from, to, ...) and checks it in detail if it is.
func checkEchoReplyV4(t *testing.T, p []byte, from, to netip.Addr, ident, seq uint16, payload []byte) {
	t.Helper()
	ip, err := wire.ParseIPv4(p)
	if err != nil {
		t.Fatalf("reply: %v", err)
	}
	if !ip.ValidChecksum() {
		t.Errorf("reply IPv4 header checksum %#04x is wrong", ip.Checksum())
	}
	icmp, err := wire.ParseICMPv4(ip.Payload())
	if err != nil {
		t.Fatalf("reply ICMP: %v", err)
	}
	if icmp.Type() != wire.ICMPv4EchoReply || icmp.Code() != 0 {
		t.Errorf("reply type %d code %d, want 0 0", icmp.Type(), icmp.Code())
	}
	if icmp.Ident() != ident || icmp.Seq() != seq {
		t.Errorf("reply ident %#x seq %d, want %#x %d", icmp.Ident(), icmp.Seq(), ident, seq)
	}
	if !bytes.Equal(icmp.Payload(), payload) {
		t.Errorf("reply payload differs: %d bytes, want %d", len(icmp.Payload()), len(payload))
	}
	if !icmp.ValidChecksum() {
		t.Errorf("reply ICMP checksum %#04x is wrong", icmp.Checksum())
	}
	t.Logf("kernel replied: %v", ip)
}

func isEchoReplyV4(p []byte, from, to netip.Addr) bool {
	ip, err := wire.ParseIPv4(p)
	if err != nil || ip.Protocol() != wire.ProtoICMP || ip.Src() != from || ip.Dst() != to {
		return false
	}
	icmp, err := wire.ParseICMPv4(ip.Payload())
	return err == nil && icmp.Type() == wire.ICMPv4EchoReply
}

func TestTUNIPv4EchoFromKernel(t *testing.T) {
	base := pktbuf.Outstanding()
	nettest.RequireTUN(t)
	ns := nettest.New(t)
	dev := openIn(t, ns, "gstun4", TUNOptions{})
	if dev.Name() != "gstun4" || dev.Type() != TypeRawIP || dev.MTU() != 1500 || dev.HardwareAddr() != (wire.MAC{}) {
		t.Errorf("device: name %q type %v mtu %d hw %v", dev.Name(), dev.Type(), dev.MTU(), dev.HardwareAddr())
	}
	if want := FlagPointToPoint | FlagNoARP | FlagMulticast | FlagRunning | FlagLowerUp; dev.Flags() != want {
		t.Errorf("flags %v, want %v", dev.Flags(), want)
	}
	l := showLink(t, ns, "gstun4")
	if l.Index != dev.Index() || l.MTU != 1500 || l.Type != "none" {
		t.Errorf("kernel sees %+v; device index %d", l, dev.Index())
	}

	rec := attachRecorder(ns, dev, nil)
	ns.IP(t, "link", "set", "dev", "gstun4", "up")
	ns.AddAddr(t, "gstun4", "10.200.0.1/24")

	payload := []byte("gosock over TUN: abcdefghijklmnopqrstuvwxyz")
	if err := dev.Transmit(echoRequestV4(tunPeerV4, tunKernelV4, 0x4d2, 1, payload)); err != nil {
		t.Fatal(err)
	}
	reply := rec.await(t, "IPv4 echo reply", func(p []byte) bool { return isEchoReplyV4(p, tunKernelV4, tunPeerV4) })
	checkEchoReplyV4(t, reply, tunKernelV4, tunPeerV4, 0x4d2, 1, payload)

	s := dev.Stats().Snapshot()
	if s.TxPackets != 1 || s.TxBytes != uint64(28+len(payload)) || s.RxPackets == 0 || s.TxErrors != 0 || s.RxErrors != 0 {
		t.Errorf("stats %+v", s)
	}
	if err := dev.Close(); err != nil {
		t.Fatal(err)
	}
	if n := pktbuf.Outstanding(); n != base {
		t.Errorf("%d buffers outstanding after Close", n-base)
	}
}

func TestTUNIPv6EchoFromKernel(t *testing.T) {
	nettest.RequireTUN(t)
	ns := nettest.New(t)
	dev := openIn(t, ns, "gstun6", TUNOptions{})
	rec := attachRecorder(ns, dev, nil)
	ns.IP(t, "link", "set", "dev", "gstun6", "up")
	ns.AddAddr(t, "gstun6", "fd00:200::1/64", "nodad")

	payload := []byte("gosock over TUN, IPv6")
	n := wire.IPv6HeaderLen + wire.ICMPv6HeaderLen + len(payload)
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, n)
	b := pkt.Bytes()
	(&wire.IPv6Fields{
		PayloadLen: uint16(n - wire.IPv6HeaderLen), NextHeader: wire.ProtoICMPv6, HopLimit: 64,
		Src: tunPeerV6, Dst: tunKernelV6,
	}).Encode(wire.IPv6(b))
	icmp := wire.ICMPv6(b[wire.IPv6HeaderLen:])
	(&wire.ICMPv6Fields{Type: wire.ICMPv6EchoRequest, Ident: 0x77, Seq: 3}).Encode(icmp)
	copy(icmp.Payload(), payload)
	icmp.SetChecksum(icmp.ComputeChecksum(tunPeerV6, tunKernelV6))
	if err := dev.Transmit(pkt); err != nil {
		t.Fatal(err)
	}

	reply := rec.await(t, "ICMPv6 echo reply", func(p []byte) bool {
		ip, err := wire.ParseIPv6(p)
		if err != nil || ip.NextHeader() != wire.ProtoICMPv6 || ip.Src() != tunKernelV6 || ip.Dst() != tunPeerV6 {
			return false
		}
		m, err := wire.ParseICMPv6(ip.Payload())
		return err == nil && m.Type() == wire.ICMPv6EchoReply
	})
	ip, _ := wire.ParseIPv6(reply)
	m, _ := wire.ParseICMPv6(ip.Payload())
	if m.Code() != 0 || m.Ident() != 0x77 || m.Seq() != 3 || !bytes.Equal(m.Payload(), payload) {
		t.Errorf("reply code %d ident %#x seq %d payload %q", m.Code(), m.Ident(), m.Seq(), m.Payload())
	}
	if !m.ValidChecksum(ip.Src(), ip.Dst()) {
		t.Errorf("reply ICMPv6 checksum %#04x is wrong", m.Checksum())
	}
	t.Logf("kernel replied: %v", ip)
}

// TestTAPIPv4EchoWithARP pings the kernel through a TAP device: the
// kernel must first resolve gosock's address with ARP, which the test
// answers with a reply built with wire.ARP.
func TestTAPIPv4EchoWithARP(t *testing.T) {
	nettest.RequireTUN(t)
	ns := nettest.New(t)
	dev := openIn(t, ns, "gstap4", TUNOptions{TAP: true})
	ours, kernel := dev.HardwareAddr(), dev.KernelHardwareAddr()
	if dev.Type() != TypeEthernet || ours == (wire.MAC{}) || ours.IsMulticast() || ours[0]&2 == 0 || ours == kernel {
		t.Errorf("TAP: type %v, our MAC %v, kernel MAC %v", dev.Type(), ours, kernel)
	}
	if want := FlagBroadcast | FlagMulticast | FlagRunning | FlagLowerUp; dev.Flags() != want {
		t.Errorf("flags %v, want %v", dev.Flags(), want)
	}
	if l := showLink(t, ns, "gstap4"); l.Address != kernel.String() || l.Type != "ether" || l.Index != dev.Index() {
		t.Errorf("kernel sees %+v; KernelHardwareAddr %v", l, kernel)
	}

	var mu sync.Mutex
	var arpRequests int
	rec := attachRecorder(ns, dev, func(d Device, frame []byte) {
		eth, err := wire.ParseEthernet(frame)
		if err != nil || eth.Type() != wire.EtherTypeARP {
			return
		}
		req, err := wire.ParseARP(eth.Payload())
		if err != nil || req.Op() != wire.ARPRequest || req.TargetIP() != tunPeerV4 {
			return
		}
		mu.Lock()
		arpRequests++
		mu.Unlock()
		reply := pktbuf.New(pktbuf.DefaultHeadroom, wire.EthernetHeaderLen+wire.ARPLen)
		b := reply.Bytes()
		(&wire.EthernetFields{Dst: req.SenderHW(), Src: ours, Type: wire.EtherTypeARP}).Encode(wire.Ethernet(b))
		(&wire.ARPFields{
			Op: wire.ARPReply, SenderHW: ours, SenderIP: tunPeerV4, TargetHW: req.SenderHW(), TargetIP: req.SenderIP(),
		}).Encode(wire.ARP(b[wire.EthernetHeaderLen:]))
		if err := d.Transmit(reply); err != nil {
			t.Errorf("ARP reply: %v", err)
		}
	})
	ns.IP(t, "link", "set", "dev", "gstap4", "up")
	ns.AddAddr(t, "gstap4", "10.200.0.1/24")

	payload := bytes.Repeat([]byte("TAP!"), 16)
	pkt := echoRequestV4(tunPeerV4, tunKernelV4, 0xbeef, 9, payload)
	(&wire.EthernetFields{Dst: kernel, Src: ours, Type: wire.EtherTypeIPv4}).Encode(wire.Ethernet(pkt.Push(wire.EthernetHeaderLen)))
	if err := dev.Transmit(pkt); err != nil {
		t.Fatal(err)
	}
	frame := rec.await(t, "IPv4 echo reply in an Ethernet frame", func(f []byte) bool {
		eth, err := wire.ParseEthernet(f)
		return err == nil && eth.Type() == wire.EtherTypeIPv4 && isEchoReplyV4(eth.Payload(), tunKernelV4, tunPeerV4)
	})
	eth, _ := wire.ParseEthernet(frame)
	if eth.Dst() != ours || eth.Src() != kernel {
		t.Errorf("reply frame %v > %v, want %v > %v", eth.Src(), eth.Dst(), kernel, ours)
	}
	checkEchoReplyV4(t, eth.Payload(), tunKernelV4, tunPeerV4, 0xbeef, 9, payload)

	mu.Lock()
	n := arpRequests
	mu.Unlock()
	if n == 0 {
		t.Error("the kernel replied without asking for gosock's MAC")
	}
	if neigh := ns.IP(t, "neigh", "show", "10.200.0.2", "dev", "gstap4"); !strings.Contains(neigh, "lladdr "+ours.String()) {
		t.Errorf("kernel neighbour entry %q does not hold gosock's MAC %v", neigh, ours)
	}
}

// TestTUNMTU sets the MTU at open and later, checks the kernel agrees,
// and has the kernel echo a packet of the full new MTU, which the receive
// goroutine must take whole.
func TestTUNMTU(t *testing.T) {
	nettest.RequireTUN(t)
	ns := nettest.New(t)
	dev := openIn(t, ns, "gsmtu0", TUNOptions{MTU: 1400})
	if dev.MTU() != 1400 || showLink(t, ns, "gsmtu0").MTU != 1400 {
		t.Fatalf("MTU %d, kernel %d; want 1400", dev.MTU(), showLink(t, ns, "gsmtu0").MTU)
	}
	if err := dev.SetMTU(9000); err != nil {
		t.Fatal(err)
	}
	if dev.MTU() != 9000 || showLink(t, ns, "gsmtu0").MTU != 9000 {
		t.Fatalf("MTU %d, kernel %d; want 9000", dev.MTU(), showLink(t, ns, "gsmtu0").MTU)
	}
	err := dev.SetMTU(10)
	if !errors.Is(err, errno.EINVAL) || !strings.Contains(err.Error(), "invalid argument") {
		t.Errorf("SetMTU(10) = %v, want EINVAL", err)
	}
	if dev.MTU() != 9000 {
		t.Errorf("failed SetMTU changed MTU to %d", dev.MTU())
	}

	rec := attachRecorder(ns, dev, nil)
	ns.IP(t, "link", "set", "dev", "gsmtu0", "up")
	ns.AddAddr(t, "gsmtu0", "10.200.0.1/24")

	big := echoRequestV4(tunPeerV4, tunKernelV4, 1, 1, make([]byte, 9000+1-28))
	if err := dev.Transmit(big); err != errno.EMSGSIZE {
		t.Errorf("Transmit of MTU+1 bytes = %v, want EMSGSIZE", err)
	}
	payload := bytes.Repeat([]byte{0x5a}, 9000-28)
	if err := dev.Transmit(echoRequestV4(tunPeerV4, tunKernelV4, 2, 2, payload)); err != nil {
		t.Fatalf("Transmit of MTU bytes: %v", err)
	}
	reply := rec.await(t, "9000-byte echo reply", func(p []byte) bool { return isEchoReplyV4(p, tunKernelV4, tunPeerV4) })
	if len(reply) != 9000 {
		t.Errorf("reply of %d bytes, want 9000", len(reply))
	}
	checkEchoReplyV4(t, reply, tunKernelV4, tunPeerV4, 2, 2, payload)
	if s := dev.Stats().Snapshot(); s.TxDropped != 1 || s.TxPackets != 1 || s.RxErrors != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestTUNFrameOverCachedMTU raises the MTU behind gosock's back and has
// the kernel send a frame larger than the device's read buffer: it must
// arrive whole (through the spill area), not cut or counted as an error.
func TestTUNFrameOverCachedMTU(t *testing.T) {
	nettest.RequireTUN(t)
	ns := nettest.New(t)
	if _, err := exec.LookPath("ping"); err != nil {
		nettest.SkipOrFail(t, "needs ping (iputils-ping; .ci/install-deps installs it)")
	}
	dev := openIn(t, ns, "gsspill0", TUNOptions{})
	rec := attachRecorder(ns, dev, nil)
	ns.IP(t, "link", "set", "dev", "gsspill0", "up", "mtu", "9000")
	ns.AddAddr(t, "gsspill0", "10.200.0.1/24")
	if dev.MTU() != 1500 {
		t.Fatalf("MTU %d, want the 1500 read at open", dev.MTU())
	}
	// The kernel pings gosock's address with 8000 bytes of data; nobody
	// answers, and the test ends ping once the request has arrived.
	ping := ns.Command("ping", "-n", "-c", "1", "-W", "10", "-s", "8000", "10.200.0.2")
	if err := ping.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ping.Process.Kill()
		ping.Wait()
	}()
	req := rec.await(t, "8028-byte echo request", func(p []byte) bool {
		ip, err := wire.ParseIPv4(p)
		if err != nil || ip.Protocol() != wire.ProtoICMP || ip.Src() != tunKernelV4 {
			return false
		}
		icmp, err := wire.ParseICMPv4(ip.Payload())
		return err == nil && icmp.Type() == wire.ICMPv4EchoRequest
	})
	ip, _ := wire.ParseIPv4(req)
	icmp, _ := wire.ParseICMPv4(ip.Payload())
	if len(req) != 8028 || int(ip.TotalLen()) != 8028 || !ip.ValidChecksum() || !icmp.ValidChecksum() {
		t.Errorf("request of %d bytes (total length %d), checksums %v %v; want 8028 and valid",
			len(req), ip.TotalLen(), ip.ValidChecksum(), icmp.ValidChecksum())
	}
	if s := dev.Stats().Snapshot(); s.RxErrors != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestTUNClose(t *testing.T) {
	base := pktbuf.Outstanding()
	nettest.RequireTUN(t)
	ns := nettest.New(t)
	dev := openIn(t, ns, "gsclose0", TUNOptions{})
	dev.Attach(newTunRecorder(nil))
	ns.IP(t, "link", "set", "dev", "gsclose0", "up")
	if err := dev.Close(); err != nil {
		t.Fatal(err)
	}
	if err := dev.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if dev.Flags()&(FlagRunning|FlagLowerUp) != 0 {
		t.Errorf("flags after Close: %v", dev.Flags())
	}
	if err := dev.Transmit(echoRequestV4(tunPeerV4, tunKernelV4, 1, 1, nil)); err != errno.ENETDOWN {
		t.Errorf("Transmit after Close = %v, want ENETDOWN", err)
	}
	if err := dev.SetMTU(1400); err != errno.ENETDOWN {
		t.Errorf("SetMTU after Close = %v, want ENETDOWN", err)
	}
	// Closing the last descriptor of a non-persistent device removes the
	// interface before close(2) returns.
	if out, err := ns.RunIP("link", "show", "dev", "gsclose0"); err == nil {
		t.Errorf("interface still there after Close:\n%s", out)
	}
	if n := pktbuf.Outstanding(); n != base {
		t.Errorf("%d buffers outstanding after Close", n-base)
	}
}

// withoutCaps runs fn on the current goroutine's thread with caps removed
// from its effective capability set (capabilities are per thread), and
// puts them back. If they cannot be put back the thread stays locked, and
// the runtime ends it with the goroutine.
func withoutCaps(t *testing.T, fn func(), caps ...int) {
	t.Helper()
	runtime.LockOSThread()
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var saved [2]unix.CapUserData
	if err := unix.Capget(&hdr, &saved[0]); err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("capget: %v", err)
	}
	reduced := saved
	for _, c := range caps {
		reduced[c/32].Effective &^= 1 << (c % 32)
	}
	if err := unix.Capset(&hdr, &reduced[0]); err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("capset: %v", err)
	}
	defer func() {
		if err := unix.Capset(&hdr, &saved[0]); err != nil {
			t.Errorf("restoring capabilities: %v", err)
			return
		}
		runtime.UnlockOSThread()
	}()
	fn()
}

func TestOpenTUNErrors(t *testing.T) {
	t.Run("no clone device", func(t *testing.T) {
		_, err := OpenTUN("gs0", TUNOptions{Path: "/nonexistent/net/tun"})
		if err == nil || err.Error() != "open /nonexistent/net/tun: no such file or directory" ||
			!errors.Is(err, os.ErrNotExist) || !errors.Is(err, errno.ENOENT) || !errors.Is(err, syscall.ENOENT) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("name too long", func(t *testing.T) {
		_, err := OpenTUN("a-name-of-16-chr", TUNOptions{})
		if !errors.Is(err, errno.EINVAL) {
			t.Errorf("err = %v, want EINVAL", err)
		}
	})
	t.Run("permission denied", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "tun")
		if err := os.WriteFile(path, nil, 0); err != nil {
			t.Fatal(err)
		}
		var err error
		open := func() { _, err = OpenTUN("gs0", TUNOptions{Path: path}) }
		if os.Geteuid() == 0 {
			withoutCaps(t, open, unix.CAP_DAC_OVERRIDE, unix.CAP_DAC_READ_SEARCH)
		} else {
			open()
		}
		if err == nil || err.Error() != "open "+path+": permission denied" ||
			!errors.Is(err, os.ErrPermission) || !errors.Is(err, errno.EACCES) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("no CAP_NET_ADMIN", func(t *testing.T) {
		if _, err := os.Stat(DefaultTUNPath); err != nil {
			nettest.SkipOrFail(t, "needs %s: %v", DefaultTUNPath, err)
		}
		var err error
		open := func() {
			var dev *TUNDevice
			dev, err = OpenTUN("gsnocap0", TUNOptions{})
			if dev != nil {
				dev.Close()
			}
		}
		if os.Geteuid() != 0 {
			// The clone device may be closed to other users (EACCES), or
			// open with TUNSETIFF refused (EPERM).
			open()
			if msg := fmt.Sprint(err); !errors.Is(err, os.ErrPermission) ||
				(msg != "ioctl TUNSETIFF gsnocap0: operation not permitted" && msg != "open /dev/net/tun: permission denied") {
				t.Errorf("err = %v", err)
			}
			return
		}
		// Inside a test namespace, though nothing is created.
		nettest.RequireTUN(t)
		ns := nettest.New(t)
		if derr := ns.Do(func() error { withoutCaps(t, open, unix.CAP_NET_ADMIN); return nil }); derr != nil {
			t.Fatal(derr)
		}
		if err == nil || err.Error() != "ioctl TUNSETIFF gsnocap0: operation not permitted" ||
			!errors.Is(err, errno.EPERM) || !errors.Is(err, os.ErrPermission) {
			t.Errorf("err = %v", err)
		}
	})
}

// TestTUNSniffer captures a kernel ping exchange through a Sniffer over a
// TUN and checks that both frames are in the pcap file.
func TestTUNSniffer(t *testing.T) {
	nettest.RequireTUN(t)
	ns := nettest.New(t)
	dev := openIn(t, ns, "gssniff0", TUNOptions{})
	var file syncBuffer
	w, err := pcap.NewWriter(&file, PcapLinkType(dev.Type()), 0)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSniffer(dev, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := newTunRecorder(nil)
	s.Attach(rec)
	ns.IP(t, "link", "set", "dev", "gssniff0", "up")
	ns.AddAddr(t, "gssniff0", "10.200.0.1/24")
	if err := s.Transmit(echoRequestV4(tunPeerV4, tunKernelV4, 5, 5, []byte("sniffed"))); err != nil {
		t.Fatal(err)
	}
	rec.await(t, "IPv4 echo reply", func(p []byte) bool { return isEchoReplyV4(p, tunKernelV4, tunPeerV4) })
	s.Close()

	_, pkts := readPcap(t, file.Bytes())
	var sawRequest, sawReply bool
	for _, p := range pkts {
		ip, err := wire.ParseIPv4(p.Data)
		if err != nil || ip.Protocol() != wire.ProtoICMP {
			continue
		}
		icmp, _ := wire.ParseICMPv4(ip.Payload())
		switch {
		case icmp.Type() == wire.ICMPv4EchoRequest && ip.Src() == tunPeerV4:
			sawRequest = true
		case icmp.Type() == wire.ICMPv4EchoReply && ip.Src() == tunKernelV4:
			sawReply = true
		}
	}
	if !sawRequest || !sawReply {
		t.Errorf("pcap has %d frames; echo request %v, reply %v", len(pkts), sawRequest, sawReply)
	}
}

func TestTUNTransmitAllocs(t *testing.T) {
	if israce.Enabled {
		t.Skip("the race detector empties sync.Pools")
	}
	nettest.RequireTUN(t)
	ns := nettest.New(t)
	dev := openIn(t, ns, "gsalloc0", TUNOptions{})
	ns.IP(t, "link", "set", "dev", "gsalloc0", "up")
	// No address: the kernel takes each packet and drops it.
	payload := make([]byte, 1000)
	send := func() {
		if err := dev.Transmit(echoRequestV4(tunPeerV4, tunKernelV4, 1, 1, payload)); err != nil {
			t.Fatal(err)
		}
	}
	send()
	if n := testing.AllocsPerRun(200, send); n != 0 {
		t.Errorf("Transmit allocates %v times per frame", n)
	}
}

// TestTUNDeletedUnderneath deletes the kernel's interface while gosock
// holds it: the receive goroutine must end, the carrier drop, and Close
// still work.
func TestTUNDeletedUnderneath(t *testing.T) {
	base := pktbuf.Outstanding()
	nettest.RequireTUN(t)
	ns := nettest.New(t)
	dev := openIn(t, ns, "gsdel0", TUNOptions{})
	ns.IP(t, "link", "set", "dev", "gsdel0", "up")
	ns.IP(t, "link", "del", "dev", "gsdel0")
	select {
	case <-dev.sys.done:
	case <-time.After(tunWait):
		t.Fatalf("receive goroutine still running %v after the interface was deleted", tunWait)
	}
	if dev.Flags()&FlagRunning != 0 || dev.Stats().RxErrors.Load() != 1 {
		t.Errorf("flags %v, stats %+v", dev.Flags(), dev.Stats().Snapshot())
	}
	if err := dev.Transmit(echoRequestV4(tunPeerV4, tunKernelV4, 1, 1, nil)); err != errno.ENETDOWN {
		t.Errorf("Transmit to a deleted interface = %v, want ENETDOWN", err)
	}
	if err := dev.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if n := pktbuf.Outstanding(); n != base {
		t.Errorf("%d buffers outstanding after Close", n-base)
	}
}
