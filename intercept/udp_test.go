package intercept_test

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/intercept"
)

// TestListenUDP_Flows: datagrams to addresses nobody owns become flows,
// one per client address and original destination; replies come from
// the original destination; an idle flow is released.
func TestListenUDP_Flows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		defer w.close()
		ul, err := intercept.ListenUDP(w.proxy, []intercept.Rule{{Iface: w.pifc.Index()}},
			&intercept.Options{IdleTimeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer ul.Close()
		go func() {
			for {
				f, err := ul.Accept()
				if err != nil {
					return
				}
				go func() {
					defer f.Close()
					buf := make([]byte, 2048)
					for {
						n, err := f.Read(buf)
						if err != nil {
							return
						}
						// Answer with the original destination, as seen by the flow.
						f.Write(append([]byte(f.LocalAddr().String()+" "), buf[:n]...))
					}
				}()
			}
		}()
		pc, err := gonet.ListenPacket(w.client, "udp4", ":0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		buf := make([]byte, 2048)
		for _, dst := range []string{"198.51.100.7:53", "198.51.100.7:53", "203.0.113.1:5000"} {
			to := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(dst))
			if _, err := pc.WriteTo([]byte("hi"), to); err != nil {
				t.Fatal(err)
			}
			pc.SetReadDeadline(time.Now().Add(time.Second))
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				t.Fatalf("reply from %s: %v", dst, err)
			}
			if from.String() != dst || string(buf[:n]) != dst+" hi" {
				t.Errorf("reply %q from %v, want %q from %s", buf[:n], from, dst+" hi", dst)
			}
		}
		// IPv6: the same through the AF_INET6 transparent socket.
		pc6, err := gonet.ListenPacket(w.client, "udp6", ":0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc6.Close()
		const dst6 = "[2001:db8::53]:53"
		if _, err := pc6.WriteTo([]byte("hi"), net.UDPAddrFromAddrPort(netip.MustParseAddrPort(dst6))); err != nil {
			t.Fatal(err)
		}
		pc6.SetReadDeadline(time.Now().Add(time.Second))
		n, from, err := pc6.ReadFrom(buf)
		if err != nil || from.String() != dst6 || string(buf[:n]) != dst6+" hi" {
			t.Errorf("IPv6 reply %q from %v, %v", buf[:n], from, err)
		}
		c := ul.Counters()
		if c.Accepted != 3 || c.Active != 3 || c.DatagramsIn != 4 || c.DatagramsOut != 4 {
			t.Errorf("counters %+v", c)
		}
		time.Sleep(31 * time.Second)
		synctest.Wait()
		c = ul.Counters()
		if c.Active != 0 || c.IdleExpired != 3 || c.FlowsClosed != 3 {
			t.Errorf("after the idle timeout: %+v", c)
		}
		// A new datagram after expiry starts a new flow.
		if _, err := pc.WriteTo([]byte("again"), net.UDPAddrFromAddrPort(netip.MustParseAddrPort("198.51.100.7:53"))); err != nil {
			t.Fatal(err)
		}
		pc.SetReadDeadline(time.Now().Add(time.Second))
		if _, _, err := pc.ReadFrom(buf); err != nil {
			t.Fatal(err)
		}
		if c = ul.Counters(); c.Accepted != 4 || c.Active != 1 {
			t.Errorf("after a new datagram: %+v", c)
		}
	})
}

// TestListenUDP_SlowApplication: with nobody accepting, new flows beyond
// the pending bound are dropped and counted; a flow's queue is bounded
// too; Read honours deadlines on the namespace's clock.
func TestListenUDP_SlowApplication(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		defer w.close()
		ul, err := intercept.ListenUDP(w.proxy, nil, &intercept.Options{Pending: 2, FlowQueue: 3})
		if err != nil {
			t.Fatal(err)
		}
		pc, err := gonet.ListenPacket(w.client, "udp4", ":0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		for i := range 5 {
			to := net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr("198.51.100.1"), uint16(1000+i)))
			pc.WriteTo([]byte{byte(i)}, to)
		}
		// Five datagrams into the first flow: three fit its queue.
		for i := range 5 {
			pc.WriteTo([]byte{byte(i)}, net.UDPAddrFromAddrPort(netip.MustParseAddrPort("198.51.100.1:1000")))
		}
		time.Sleep(100 * time.Millisecond)
		c := ul.Counters()
		if c.Overflows != 3 || c.Active != 2 || c.DatagramsDropped != 3 {
			t.Errorf("counters %+v", c)
		}
		f, err := ul.Accept()
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 10)
		for range 3 {
			if _, err := f.Read(buf); err != nil {
				t.Fatal(err)
			}
		}
		f.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := f.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read past the deadline: %v", err)
		}
		od, _ := intercept.OriginalDestination(f)
		if od != netip.MustParseAddrPort("198.51.100.1:1000") {
			t.Errorf("original destination %v", od)
		}
		ul.Close()
		if _, err := f.Read(buf); err != io.EOF {
			t.Errorf("read after close: %v", err)
		}
		if c := ul.Counters(); c.Active != 0 || c.FlowsClosed != 2 {
			t.Errorf("after Close: %+v", c)
		}
		if _, err := ul.Accept(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("accept after close: %v", err)
		}
		if n := len(w.proxy.Intercepts()); n != 0 {
			t.Errorf("%d rules left", n)
		}
	})
}
