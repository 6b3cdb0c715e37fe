package tcp_test

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/sys"
)

// TestPathMTUBulk sends a bulk transfer from a client through a router
// whose link to the server has a smaller MTU (1280) than the client's
// and the server's (1500): the router answers the first full-sized
// segments with fragmentation-needed (IPv4, DF set) or packet-too-big
// (IPv6), the client's connection lowers its MSS to the path's and
// resends at once, and the data arrives whole without a retransmission
// timeout. IP_MTU/IPV6_MTU and TCP_MAXSEG show the path MTU and the new
// MSS (1280 less the IP and TCP headers and the timestamp option).
func TestPathMTUBulk(t *testing.T) {
	for _, tc := range []struct {
		name    string
		v6      bool
		wantMSS int
	}{
		{"v4", false, 1280 - 20 - 20 - 12},
		{"v6", true, 1280 - 40 - 20 - 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { pmtuBulk(t, tc.v6, tc.wantMSS) })
		})
	}
}

func pmtuBulk(t *testing.T, v6 bool, wantMSS int) {
	client := gosock.NewNamespace(netns.Options{Name: "client", Seed: 1})
	router := gosock.NewNamespace(netns.Options{Name: "router", Seed: 2})
	server := gosock.NewNamespace(netns.Options{Name: "server", Seed: 3})
	defer client.Close()
	defer router.Close()
	defer server.Close()
	imp := link.Impairments{Latency: 2 * time.Millisecond}
	pfx := netip.MustParsePrefix
	if _, _, err := gosock.Connect(client, router,
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{pfx("10.0.1.2/24"), pfx("fd01::2/64")}},
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{pfx("10.0.1.1/24"), pfx("fd01::1/64")}},
		link.PipeConfig{AtoB: imp, BtoA: imp}); err != nil {
		t.Fatal(err)
	}
	narrow, _, err := gosock.Connect(router, server,
		gosock.Link{Name: "eth1", Addrs: []netip.Prefix{pfx("10.0.2.1/24"), pfx("fd02::1/64")}},
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{pfx("10.0.2.2/24"), pfx("fd02::2/64")}},
		link.PipeConfig{AtoB: imp, BtoA: imp})
	if err != nil {
		t.Fatal(err)
	}
	// The router's side of the second link takes 1280 bytes; the server's
	// side still offers a 1500-byte path's MSS.
	if err := narrow.SetMTU(1280); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		ns *netns.Namespace
		rt netns.Route
	}{
		{client, netns.Route{Dst: pfx("0.0.0.0/0"), Gateway: netip.MustParseAddr("10.0.1.1")}},
		{client, netns.Route{Dst: pfx("::/0"), Gateway: netip.MustParseAddr("fd01::1")}},
		{server, netns.Route{Dst: pfx("0.0.0.0/0"), Gateway: netip.MustParseAddr("10.0.2.1")}},
		{server, netns.Route{Dst: pfx("::/0"), Gateway: netip.MustParseAddr("fd02::1")}},
	} {
		if err := r.ns.AddRoute(r.rt); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"} {
		if err := router.Sysctl.Set(k, "1"); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(3 * time.Second) // past IPv6 duplicate address detection

	cp := sys.NewProcess(client, sys.Options{PID: 1})
	sp := sys.NewProcess(server, sys.Options{PID: 2})
	family, level, mtuOpt := abi.AF_INET, abi.SOL_IP, abi.IP_MTU
	var bindSA, dstSA abi.Sockaddr = &abi.SockaddrInet4{Port: 80}, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 2, 2}}
	if v6 {
		family, level, mtuOpt = abi.AF_INET6, abi.SOL_IPV6, abi.IPV6_MTU
		bindSA = &abi.SockaddrInet6{Port: 80}
		dstSA = &abi.SockaddrInet6{Port: 80, Addr: netip.MustParseAddr("fd02::2").As16()}
	}
	ls, err := sp.Socket(family, abi.SOCK_STREAM, 0)
	must(t, err)
	must(t, sp.Bind(ls, bindSA))
	must(t, sp.Listen(ls, 4))

	data := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(5, 7))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	got := make(chan []byte, 1)
	go func() {
		fd, _, err := sp.Accept(ls)
		if err != nil {
			t.Error("accept:", err)
			got <- nil
			return
		}
		var b bytes.Buffer
		buf := make([]byte, 65536)
		for b.Len() < len(data) {
			n, err := sp.Read(fd, buf)
			if err != nil || n == 0 {
				t.Error("read:", n, err)
				break
			}
			b.Write(buf[:n])
		}
		got <- b.Bytes()
		sp.Close(fd)
	}()

	fd, err := cp.Socket(family, abi.SOCK_STREAM, 0)
	must(t, err)
	must(t, cp.Connect(fd, dstSA))
	before, err := cp.GetsockoptInt(fd, abi.SOL_TCP, abi.TCP_MAXSEG)
	must(t, err)
	if before <= wantMSS {
		t.Fatalf("MSS %d before any data, want the first link's (above %d)", before, wantMSS)
	}
	start := time.Now()
	for off := 0; off < len(data); {
		n, err := cp.Write(fd, data[off:])
		must(t, err)
		off += n
	}
	if b := <-got; !bytes.Equal(b, data) {
		t.Fatalf("server read %d bytes, not the %d sent", len(b), len(data))
	}
	took := time.Since(start)

	mss, err := cp.GetsockoptInt(fd, abi.SOL_TCP, abi.TCP_MAXSEG)
	must(t, err)
	if mss != wantMSS {
		t.Errorf("TCP_MAXSEG %d after the transfer (was %d), want %d", mss, before, wantMSS)
	}
	mtu, err := cp.GetsockoptInt(fd, level, mtuOpt)
	must(t, err)
	if mtu != 1280 {
		t.Errorf("path MTU %d, want 1280", mtu)
	}
	if n := client.MIB.Get(netns.TCPExtTCPTimeouts); n != 0 {
		t.Errorf("%d retransmission timeouts: the path-MTU drop should be repaired at once", n)
	}
	if n := client.MIB.Get(netns.TCPRetransSegs); n == 0 {
		t.Errorf("no segment was retransmitted: the first full-sized ones cannot have crossed")
	}
	t.Logf("1 MiB in %v; MSS %d -> %d; RetransSegs %d", took, before, mss, client.MIB.Get(netns.TCPRetransSegs))
	must(t, cp.Close(fd))
	must(t, sp.Close(ls))
}
