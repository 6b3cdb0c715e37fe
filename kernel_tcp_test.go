//go:build linux

package gosock_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/internal/nettest"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/sys"
)

// lossyDevice drops a seeded share of the frames a device receives, and
// of those it sends unless rxOnly is set: loss on gosock's side of the
// TUN, for the direction the kernel-side loss does not cover.
type lossyDevice struct {
	link.Device
	loss   float64
	rxOnly bool
	mu     sync.Mutex
	rng    *rand.Rand
}

func (d *lossyDevice) drop() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rng.Float64() < d.loss
}

func (d *lossyDevice) Transmit(pkt *pktbuf.Buffer) error {
	if !d.rxOnly && d.drop() {
		pkt.Release()
		return nil
	}
	return d.Device.Transmit(pkt)
}

func (d *lossyDevice) Attach(r link.Receiver) {
	if r == nil {
		d.Device.Attach(nil) // detached at close
		return
	}
	d.Device.Attach(lossyReceiver{r, d})
}

type lossyReceiver struct {
	r link.Receiver
	d *lossyDevice
}

func (l lossyReceiver) Receive(_ link.Device, pkt *pktbuf.Buffer) {
	if l.d.drop() {
		pkt.Release()
		return
	}
	l.r.Receive(l.d, pkt)
}

// TestKernelTCPInterop: bulk transfers of seeded random data, checked
// end to end with SHA-256, between gosock and the Linux kernel through a
// TUN device in a test namespace, with the kernel as server and as
// client, clean and with 1% and 10% loss. The kernel drops what gosock
// sends it (nftables on the TUN's ingress) and, when it has sch_netem,
// what it sends gosock (netem on its egress); without netem gosock drops
// the same share of what it receives.
func TestKernelTCPInterop(t *testing.T) {
	nettest.RequireTUN(t)
	for _, tc := range []struct {
		name  string
		loss  float64
		size  int
		conns int
	}{
		{"loss0", 0, 1 << 20, 4},
		{"loss1", 0.01, 256 << 10, 4},
		{"loss10", 0.10, 64 << 10, 4},
	} {
		t.Run(tc.name, func(t *testing.T) { kernelInterop(t, tc.loss, tc.size, tc.conns) })
	}
}

func kernelInterop(t *testing.T, loss float64, size, conns int) {
	kns := nettest.New(t)
	var tun *link.TUNDevice
	if err := kns.Do(func() error {
		var err error
		tun, err = link.OpenTUN("gstun0", link.TUNOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	kns.IP(t, "link", "set", "gstun0", "up")
	kns.AddAddr(t, "gstun0", "10.202.0.1/24")
	netem := false
	if loss > 0 {
		kernelIngressLoss(t, kns, "gstun0", loss)
		netem = kernelEgressNetem(t, kns, "gstun0", loss)
	}
	ns := gosock.NewNamespace(netns.Options{Name: "gosock", Seed: 1})
	defer ns.Close()
	var dev link.Device = tun
	if loss > 0 && !netem {
		// The kernel's egress has no netem: gosock drops that share of
		// what it receives instead, as the wire would.
		dev = &lossyDevice{Device: tun, loss: loss, rxOnly: true, rng: rand.New(rand.NewPCG(7, uint64(loss*1000)))}
	}
	ifc, err := ns.AddInterface(dev)
	if err != nil {
		t.Fatal(err)
	}
	if err := ifc.SetUp(true); err != nil {
		t.Fatal(err)
	}
	if err := ifc.AddAddress(netip.MustParsePrefix("10.202.0.2/24")); err != nil {
		t.Fatal(err)
	}
	p := sys.NewProcess(ns, sys.Options{})

	t.Run("kernel-server", func(t *testing.T) {
		var ln net.Listener
		if err := kns.Do(func() error {
			var err error
			ln, err = net.Listen("tcp4", "10.202.0.1:9000")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		// The dialers have their own group: once they are done, every
		// connection that could be made has been accepted, and closing
		// the listener ends an accept loop a failed dial left waiting.
		var wg, dialers sync.WaitGroup
		var done atomic.Bool
		wg.Go(func() {
			for range conns {
				c, err := ln.Accept()
				if err != nil {
					if !done.Load() {
						t.Error("kernel accept:", err)
					}
					return
				}
				wg.Go(func() { kernelHashServer(t, c) })
			}
		})
		for i := range conns {
			dialers.Go(func() {
				fd, err := p.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
				if err != nil {
					t.Error(err)
					return
				}
				defer p.Close(fd)
				if err := p.Connect(fd, &abi.SockaddrInet4{Port: 9000, Addr: [4]byte{10, 202, 0, 1}}); err != nil {
					t.Errorf("gosock connect: %v", err)
					return
				}
				gosockSendAndCheck(t, p, fd, i, size)
			})
		}
		dialers.Wait()
		done.Store(true)
		ln.Close()
		wg.Wait()
	})

	t.Run("kernel-client", func(t *testing.T) {
		ls, err := p.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close(ls)
		if err := p.Bind(ls, &abi.SockaddrInet4{Port: 9001}); err != nil {
			t.Fatal(err)
		}
		if err := p.Listen(ls, 64); err != nil {
			t.Fatal(err)
		}
		var wg, dialers sync.WaitGroup
		var done atomic.Bool
		wg.Go(func() {
			for range conns {
				fd, _, err := p.Accept(ls)
				if err != nil {
					if !done.Load() {
						t.Error("gosock accept:", err)
					}
					return
				}
				wg.Go(func() { gosockHashServer(t, p, fd) })
			}
		})
		for i := range conns {
			dialers.Go(func() {
				var c net.Conn
				if err := kns.Do(func() error {
					var err error
					c, err = net.DialTimeout("tcp4", "10.202.0.2:9001", 30*time.Second)
					return err
				}); err != nil {
					t.Errorf("kernel dial: %v", err)
					return
				}
				defer c.Close()
				kernelSendAndCheck(t, c, 1000+i, size)
			})
		}
		dialers.Wait()
		done.Store(true)
		// As on Linux, shutdown wakes an accept blocked on the listener
		// (close from another thread would not).
		p.Shutdown(ls, abi.SHUT_RDWR)
		wg.Wait()
	})
	t.Logf("gosock: OutSegs %d RetransSegs %d Timeouts %d InErrs %d",
		ns.MIB.Get(netns.TCPOutSegs), ns.MIB.Get(netns.TCPRetransSegs),
		ns.MIB.Get(netns.TCPExtTCPTimeouts), ns.MIB.Get(netns.TCPInErrs))
}

// kernelIngressLoss makes the kernel drop a share of the packets it
// receives on dev, in the kernel itself: an nftables rule on the device's
// netdev ingress hook, ahead of IP, so the kernel's TCP sees them as lost
// on the wire. The rule counts packets (numgen inc) rather than drawing
// random numbers, so which arrivals are lost depends only on their order:
// loss 1/N drops every Nth.
// Loss on the kernel's egress is left to netem: a drop there by nftables
// is an error the kernel's TCP sees at transmit time, not wire loss.
func kernelIngressLoss(t *testing.T, kns *nettest.NS, dev string, loss float64) {
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		nettest.SkipOrFail(t, "nft (package nftables) is needed for kernel-side loss: %v", err)
	}
	every := int(1/loss + 0.5) // one arrival in every, spread out: "< k" would drop bursts of k
	rules := fmt.Sprintf(`table netdev gosockloss {
	chain in {
		type filter hook ingress device %q priority 0;
		numgen inc mod %d == 0 counter drop
	}
}
`, dev, every)
	cmd := kns.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft: %v: %s", err, out)
	}
	t.Cleanup(func() {
		out, _ := kns.Command("nft", "list", "table", "netdev", "gosockloss").CombinedOutput()
		t.Logf("kernel ingress loss %g%%: %s", loss*100, strings.Join(strings.Fields(nftCounter(string(out))), " "))
	})
}

// nftCounter returns the counter clause of an nft listing ("packets N
// bytes M"), or the whole listing when there is none.
func nftCounter(listing string) string {
	if i := strings.Index(listing, "packets"); i >= 0 {
		rest := listing[i:]
		if j := strings.Index(rest, " drop"); j >= 0 {
			return rest[:j]
		}
	}
	return listing
}

// kernelEgressNetem puts netem loss on the kernel's egress of dev and
// reports whether the kernel has sch_netem (this machine's kernel, built
// without modules, does not).
func kernelEgressNetem(t *testing.T, kns *nettest.NS, dev string, loss float64) bool {
	out, err := kns.Command("tc", "qdisc", "add", "dev", dev, "root", "netem",
		"loss", fmt.Sprintf("%g%%", loss*100)).CombinedOutput()
	if err != nil {
		t.Logf("no netem on the kernel's egress (%v: %s); gosock drops that direction on receive", err, strings.TrimSpace(string(out)))
		return false
	}
	return true
}

// interopData is connection i's seeded random data, its size between
// size/2 and size.
func interopData(i, size int) []byte {
	rng := rand.New(rand.NewPCG(uint64(i), 99))
	b := make([]byte, size/2+rng.IntN(size/2+1))
	for j := range b {
		b[j] = byte(rng.Uint32())
	}
	return b
}

// kernelHashServer reads a kernel connection to its end and answers with
// the SHA-256 of what it read.
func kernelHashServer(t *testing.T, c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	h := sha256.New()
	if _, err := io.Copy(h, c); err != nil {
		t.Error("kernel read:", err)
		return
	}
	if _, err := c.Write(h.Sum(nil)); err != nil {
		t.Error("kernel write:", err)
	}
}

// gosockHashServer is kernelHashServer on a gosock descriptor.
func gosockHashServer(t *testing.T, p *sys.Process, fd int) {
	defer p.Close(fd)
	h := sha256.New()
	buf := make([]byte, 32<<10)
	for {
		n, err := p.Read(fd, buf)
		if err != nil {
			t.Error("gosock read:", err)
			return
		}
		if n == 0 {
			break
		}
		h.Write(buf[:n])
	}
	if _, err := p.Write(fd, h.Sum(nil)); err != nil {
		t.Error("gosock write:", err)
	}
}

// gosockSendAndCheck sends connection i's data from gosock, half-closes
// and compares the hash the kernel returns.
func gosockSendAndCheck(t *testing.T, p *sys.Process, fd, i, size int) {
	data := interopData(i, size)
	want := sha256.Sum256(data)
	for off := 0; off < len(data); {
		n, err := p.Write(fd, data[off:])
		if err != nil {
			t.Errorf("conn %d: gosock write: %v", i, err)
			return
		}
		off += n
	}
	if err := p.Shutdown(fd, abi.SHUT_WR); err != nil {
		t.Errorf("conn %d: shutdown: %v", i, err)
		return
	}
	var got []byte
	buf := make([]byte, 64)
	for {
		n, err := p.Read(fd, buf)
		if err != nil {
			t.Errorf("conn %d: gosock read: %v", i, err)
			return
		}
		if n == 0 {
			break
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Equal(got, want[:]) {
		t.Errorf("conn %d: the kernel's sha256 %x, want %x", i, got, want)
	}
}

// kernelSendAndCheck sends connection i's data from the kernel,
// half-closes and compares the hash gosock returns.
func kernelSendAndCheck(t *testing.T, c net.Conn, i, size int) {
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	data := interopData(i, size)
	want := sha256.Sum256(data)
	if _, err := c.Write(data); err != nil {
		t.Errorf("conn %d: kernel write: %v", i, err)
		return
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Errorf("conn %d: kernel shutdown: %v", i, err)
		return
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Errorf("conn %d: kernel read: %v", i, err)
		return
	}
	if !bytes.Equal(got, want[:]) {
		t.Errorf("conn %d: gosock's sha256 %x, want %x", i, got, want)
	}
}
