package tcp_test

import (
	"bytes"
	"net/netip"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/sys"
)

// Modes of gateDevice.
const (
	gatePass   = iota // frames go out
	gateLose          // frames are taken and lost, as on a bad wire
	gateRefuse        // frames are refused: ENOBUFS, a full device queue
)

// gateDevice wraps a device so that a test can lose or refuse what the
// namespace transmits from one moment to the next.
type gateDevice struct {
	link.Device
	mode    atomic.Int32
	refused atomic.Int64
	// solicits counts the address resolutions the namespace asked for:
	// ARP requests, and neighbour solicitations other than duplicate
	// address detection's (whose source is the unspecified address).
	solicits atomic.Int64
}

func (d *gateDevice) Transmit(pkt *pktbuf.Buffer) error {
	if isSolicit(pkt.Bytes()) {
		d.solicits.Add(1)
	}
	switch d.mode.Load() {
	case gateLose:
		pkt.Release()
		return nil
	case gateRefuse:
		pkt.Release()
		d.refused.Add(1)
		return errno.ENOBUFS
	}
	return d.Device.Transmit(pkt)
}

// isSolicit reports whether an Ethernet frame is an ARP request or an
// NDP neighbour solicitation from an assigned address.
func isSolicit(b []byte) bool {
	switch {
	case len(b) >= 22 && b[12] == 0x08 && b[13] == 0x06:
		return b[20] == 0 && b[21] == 1
	case len(b) >= 14+40+1 && b[12] == 0x86 && b[13] == 0xdd:
		ip := b[14:]
		src, _ := netip.AddrFromSlice(ip[8:24])
		return ip[6] == 58 && ip[40] == 135 && !src.IsUnspecified()
	}
	return false
}

// gatedPair is pair with the client's device behind a gateDevice, and a
// connection between them carrying nothing yet: the client's fd and the
// server's accepted fd, over IPv4 (10.0.0.1 to 10.0.0.2) or, with v6,
// IPv6 (fd00::1 to fd00::2). With permanent, the client knows the
// server's hardware address for good (`ip neigh add ... nud
// permanent`), so that what the gate does to the client's ARP requests
// does not matter.
func gatedPair(t *testing.T, v6, permanent bool) (cp, sp *sys.Process, cns *netns.Namespace, gate *gateDevice, fd, afd int) {
	t.Helper()
	a := gosock.NewNamespace(netns.Options{Name: "client", Seed: 1})
	b := gosock.NewNamespace(netns.Options{Name: "server", Seed: 2})
	t.Cleanup(func() { a.Close(); b.Close() })
	imp := link.Impairments{Latency: time.Millisecond}
	ea, eb := link.NewPipe(link.PipeConfig{Names: [2]string{"eth0", "eth0"}, AtoB: imp, BtoA: imp, Clock: a.Clock()})
	gate = &gateDevice{Device: ea}
	for _, e := range []struct {
		ns   *netns.Namespace
		dev  link.Device
		addr string
	}{{a, gate, "10.0.0.1/24"}, {b, eb, "10.0.0.2/24"}, {a, nil, "fd00::1/64"}, {b, nil, "fd00::2/64"}} {
		if e.dev != nil {
			ifc, err := e.ns.AddInterface(e.dev)
			must(t, err)
			must(t, ifc.SetUp(true))
		}
		must(t, e.ns.InterfaceByName("eth0").AddAddress(netip.MustParsePrefix(e.addr)))
	}
	time.Sleep(5 * time.Second) // duplicate address detection
	version, family := 4, abi.AF_INET
	server := netip.MustParseAddr("10.0.0.2")
	if v6 {
		version, family = 6, abi.AF_INET6
		server = netip.MustParseAddr("fd00::2")
	}
	if permanent {
		a.InterfaceByName("eth0").Neighbours(version).Add(server, eb.HardwareAddr())
	}
	cp, sp = sys.NewProcess(a, sys.Options{PID: 1}), sys.NewProcess(b, sys.Options{PID: 2})
	ls, err := sp.Socket(family, abi.SOCK_STREAM, 0)
	must(t, err)
	must(t, sp.Bind(ls, sockaddr(netip.AddrPort{}, v6)))
	must(t, sp.Listen(ls, 1))
	fd, err = cp.Socket(family, abi.SOCK_STREAM, 0)
	must(t, err)
	must(t, cp.Connect(fd, sockaddr(netip.AddrPortFrom(server, 80), v6)))
	afd, _, err = sp.Accept(ls)
	must(t, err)
	must(t, sp.Close(ls))
	return cp, sp, a, gate, fd, afd
}

// sockaddr is ap as an IPv4 or IPv6 socket address, port 80 for the
// zero ap (the wildcard a listener binds).
func sockaddr(ap netip.AddrPort, v6 bool) abi.Sockaddr {
	port := int(ap.Port())
	if port == 0 {
		port = 80
	}
	if v6 {
		var a [16]byte
		if ap.Addr().IsValid() {
			a = ap.Addr().As16()
		}
		return &abi.SockaddrInet6{Port: port, Addr: a}
	}
	var a [4]byte
	if ap.Addr().IsValid() {
		a = ap.Addr().As4()
	}
	return &abi.SockaddrInet4{Port: port, Addr: a}
}

// TestRefusedRetransmissionsOutliveLocalCongestion: data goes out and is
// lost, and then the client's device refuses everything (ENOBUFS, a full
// queue) for a minute. Each retransmission is refused and retried after
// TCP_RESOURCE_PROBE_INTERVAL without backing off; as in Linux, what
// ends a connection is the time since its first retransmission against
// tcp_model_timeout (924.6 s with the defaults), not the number of
// timeouts, which would have ended it after tcp_retries2 of them (7.5
// s). Once the device takes frames again the data arrives whole.
func TestRefusedRetransmissionsOutliveLocalCongestion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp, sp, cns, gate, fd, afd := gatedPair(t, false, true)
		gate.mode.Store(gateLose)
		data := bytes.Repeat([]byte("congested"), 1000)
		n, err := cp.Write(fd, data)
		must(t, err)
		if n != len(data) {
			t.Fatalf("write took %d of %d bytes", n, len(data))
		}
		gate.mode.Store(gateRefuse)
		time.Sleep(time.Minute)
		if e, _ := cp.GetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_ERROR); e != 0 {
			t.Fatalf("connection failed under local congestion: SO_ERROR %d", e)
		}
		if got := cns.MIB.Get(netns.TCPExtTCPAbortOnTimeout); got != 0 {
			t.Fatalf("TCPAbortOnTimeout %d", got)
		}
		// About two tries a second for a minute, none backed off.
		if got := cns.MIB.Get(netns.TCPExtTCPRetransFail); got < 100 {
			t.Fatalf("TCPRetransFail %d after a minute of refusals, want >= 100", got)
		}
		gate.mode.Store(gatePass)
		readExpect(t, sp, afd, data)
		must(t, cp.Close(fd))
		must(t, sp.Close(afd))
	})
}

// TestRefusedRetransmissionsGiveUpAtModelTime: with the device refusing
// every retransmission for good, the connection ends with ETIMEDOUT at
// the first try after tcp_model_timeout(tcp_retries2, TCP_RTO_MIN) since
// its first retransmission: 924.6 s for the default 15, and, with
// tcp_retries2 at 5, 12.6 s.
func TestRefusedRetransmissionsGiveUpAtModelTime(t *testing.T) {
	for _, tc := range []struct {
		retries2 string
		model    time.Duration
	}{
		{"15", 924600 * time.Millisecond},
		{"5", 12600 * time.Millisecond},
	} {
		synctest.Test(t, func(t *testing.T) {
			cp, _, cns, gate, fd, _ := gatedPair(t, false, true)
			must(t, cns.Sysctl.Set("net.ipv4.tcp_retries2", tc.retries2))
			gate.mode.Store(gateLose)
			start := time.Now()
			_, err := cp.Write(fd, []byte("lost, then refused"))
			must(t, err)
			gate.mode.Store(gateRefuse)
			_, err = cp.Read(fd, make([]byte, 16))
			took := time.Since(start)
			if err != errno.ETIMEDOUT {
				t.Fatalf("read after %v: %v, want ETIMEDOUT", time.Since(start), err)
			}
			// The first retransmission comes one RTO (at least
			// RTOMin) after the write, and the check runs at each
			// try, 500 ms apart.
			if lo, hi := tc.model+200*time.Millisecond, tc.model+2*time.Second; took < lo || took > hi {
				t.Errorf("tcp_retries2 %s: gave up %v after the write, want in [%v, %v]", tc.retries2, took, lo, hi)
			}
			if got := cns.MIB.Get(netns.TCPExtTCPAbortOnTimeout); got != 1 {
				t.Errorf("TCPAbortOnTimeout %d, want 1", got)
			}
		})
	}
}
