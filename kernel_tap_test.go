//go:build linux

package gosock_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/internal/nettest"
	"github.com/gosock/gosock/internal/pinger"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
)

// TestKernelOverTAP attaches a gosock namespace to a TAP device inside a
// network namespace the test creates, and checks that the Linux kernel
// and gosock resolve each other (ARP, NDP) and answer each other's pings
// over IPv4 and IPv6, including pings larger than the MTU, which both
// sides must fragment and reassemble.
func TestKernelOverTAP(t *testing.T) {
	nettest.RequireTUN(t)
	kns := nettest.New(t)
	var tap *link.TUNDevice
	if err := kns.Do(func() error {
		var err error
		tap, err = link.OpenTAP("gstap0", link.TUNOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	kns.IP(t, "link", "set", "gstap0", "up")
	kns.AddAddr(t, "gstap0", "10.201.0.1/24")
	kns.AddAddr(t, "gstap0", "fd00:201::1/64", "nodad")

	ns := gosock.NewNamespace(netns.Options{Name: "gosock", Seed: 1})
	defer ns.Close()
	ifc, err := ns.AddInterface(tap)
	if err != nil {
		t.Fatal(err)
	}
	if err := ifc.SetUp(true); err != nil {
		t.Fatal(err)
	}
	if err := ifc.AddAddress(netip.MustParsePrefix("10.201.0.2/24")); err != nil {
		t.Fatal(err)
	}
	// gosock runs duplicate address detection against the kernel first.
	if err := ifc.AddAddress(netip.MustParsePrefix("fd00:201::2/64")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !usable(ifc, "fd00:201::2") {
		if time.Now().After(deadline) {
			t.Fatalf("DAD did not finish: %+v", ifc.Addresses())
		}
		time.Sleep(50 * time.Millisecond) // polling a state change of real time, bounded
	}

	// gosock pings the kernel: ARP/NDP resolution and echo, small and
	// fragmented.
	p := pinger.New(ns, 0x77)
	for i, c := range []struct {
		dst  string
		size int
	}{{"10.201.0.1", 56}, {"10.201.0.1", 4000}, {"fd00:201::1", 56}, {"fd00:201::1", 4000}} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		r, err := p.Ping(ctx, netip.MustParseAddr(c.dst), uint16(i+1), c.size)
		cancel()
		if err != nil {
			t.Errorf("gosock ping %s size %d: %v", c.dst, c.size, err)
			continue
		}
		if !r.PayloadOK || r.Size != c.size {
			t.Errorf("gosock ping %s size %d: reply %+v", c.dst, c.size, r)
		}
	}
	for _, v := range []int{4, 6} {
		found := false
		for _, e := range ifc.Neighbours(v).Entries() {
			if e.MAC == tap.KernelHardwareAddr() {
				found = true
			}
		}
		if !found {
			t.Errorf("IPv%d neighbour table lacks the kernel's MAC %v: %+v", v, tap.KernelHardwareAddr(), ifc.Neighbours(v).Entries())
		}
	}

	// The kernel pings gosock, small and larger than the MTU.
	for _, args := range [][]string{
		{"-c", "2", "-i", "0.2", "-W", "3", "10.201.0.2"},
		{"-c", "2", "-i", "0.2", "-W", "3", "-s", "3000", "10.201.0.2"},
		{"-6", "-c", "2", "-i", "0.2", "-W", "3", "fd00:201::2"},
		{"-6", "-c", "2", "-i", "0.2", "-W", "3", "-s", "3000", "fd00:201::2"},
	} {
		out, err := kns.Command("ping", args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), " 0% packet loss") {
			t.Errorf("kernel ping %v: %v\n%s", args, err, out)
		}
	}
	if n := ns.MIB.Get(netns.IPReasmOKs); n == 0 {
		t.Error("gosock reassembled no IPv4 datagram from the kernel's large pings")
	}
	if n := ns.MIB.Get(netns.IP6ReasmOKs); n == 0 {
		t.Error("gosock reassembled no IPv6 datagram from the kernel's large pings")
	}
}

func usable(ifc *netns.Interface, addr string) bool {
	for _, a := range ifc.Addresses() {
		if a.Addr().String() == addr {
			return a.Usable()
		}
	}
	return false
}
