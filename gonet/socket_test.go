package gonet_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
)

// acceptOne listens on address and returns the listener and a channel
// that receives the first accepted connection.
func acceptOne(t *testing.T, ns *netns.Namespace, network, address string) (net.Listener, <-chan net.Conn) {
	t.Helper()
	ln, err := gonet.Listen(ns, network, address)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
		}
		ch <- c
	}()
	return ln, ch
}

func TestAddrs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := twoHosts(t, link.Impairments{Latency: time.Millisecond})
		for _, tc := range []struct {
			network, listen, dial string
			laddr, caddr, saddr   string // listener, client's local, server's local (port-less)
		}{
			{"tcp", ":80", "10.0.0.2:80", "[::]:80", "10.0.0.1", "10.0.0.2"},
			{"tcp4", ":80", "10.0.0.2:80", "0.0.0.0:80", "10.0.0.1", "10.0.0.2"},
			{"tcp6", ":80", "[fd00::2]:80", "[::]:80", "fd00::1", "fd00::2"},
			{"tcp", "10.0.0.2:80", "10.0.0.2:80", "10.0.0.2:80", "10.0.0.1", "10.0.0.2"},
		} {
			ln, accepted := acceptOne(t, server, tc.network, tc.listen)
			if got := ln.Addr().String(); got != tc.laddr {
				t.Errorf("%s %s: listener address %s, want %s", tc.network, tc.listen, got, tc.laddr)
			}
			if _, ok := ln.Addr().(*net.TCPAddr); !ok {
				t.Errorf("listener address is a %T", ln.Addr())
			}
			c, err := gonet.Dial(client, tc.network, tc.dial)
			if err != nil {
				t.Fatal(err)
			}
			sc := <-accepted
			ca, sa := c.LocalAddr().(*net.TCPAddr), sc.LocalAddr().(*net.TCPAddr)
			cr, sr := c.RemoteAddr().(*net.TCPAddr), sc.RemoteAddr().(*net.TCPAddr)
			if ca.IP.String() != tc.caddr || sr.IP.String() != tc.caddr || ca.Port != sr.Port {
				t.Errorf("%s: client local %v, server sees %v; want %s", tc.network, ca, sr, tc.caddr)
			}
			if sa.IP.String() != tc.saddr || cr.IP.String() != tc.saddr || cr.Port != 80 || sa.Port != 80 {
				t.Errorf("%s: server local %v, client sees %v; want %s:80", tc.network, sa, cr, tc.saddr)
			}
			c.Close()
			sc.Close()
			ln.Close()
		}

		// Unix.
		ln, accepted := acceptOne(t, server, "unix", "/run/app.sock")
		d := gonet.Dialer{Namespace: server, LocalAddr: &net.UnixAddr{Name: "@client", Net: "unix"}}
		c, err := d.Dial("unix", "/run/app.sock")
		if err != nil {
			t.Fatal(err)
		}
		sc := <-accepted
		for _, a := range []struct {
			got  net.Addr
			want string
		}{{ln.Addr(), "/run/app.sock"}, {c.LocalAddr(), "@client"}, {c.RemoteAddr(), "/run/app.sock"},
			{sc.LocalAddr(), "/run/app.sock"}, {sc.RemoteAddr(), "@client"}} {
			if ua, ok := a.got.(*net.UnixAddr); !ok || ua.Name != a.want || ua.Net != "unix" {
				t.Errorf("unix address %#v, want %s", a.got, a.want)
			}
		}
		c.Close()
		sc.Close()
		ln.Close()
		// Close unlinked the path: it can be bound again.
		ln, err = gonet.Listen(server, "unix", "/run/app.sock")
		if err != nil {
			t.Errorf("listen again after close: %v", err)
		} else {
			ln.Close()
		}
	})
}

func TestPacketConn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := twoHosts(t, link.Impairments{Latency: time.Millisecond})
		for _, tc := range []struct {
			network, listen, dial, from string
		}{
			{"udp", ":53", "10.0.0.2:53", "10.0.0.1"},
			{"udp4", "10.0.0.2:53", "10.0.0.2:53", "10.0.0.1"},
			{"udp6", ":53", "[fd00::2]:53", "fd00::1"},
			{"udp", ":53", "[fd00::2]:53", "fd00::1"},
		} {
			pc, err := gonet.ListenPacket(server, tc.network, tc.listen)
			if err != nil {
				t.Fatal(err)
			}
			c, err := gonet.Dial(client, tc.network, tc.dial)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Write([]byte("question")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 4)
			n, from, err := pc.ReadFrom(buf)
			ua, ok := from.(*net.UDPAddr)
			if err != nil || n != 4 || string(buf) != "ques" || !ok || ua.IP.String() != tc.from ||
				ua.Port != c.LocalAddr().(*net.UDPAddr).Port {
				t.Errorf("%s: ReadFrom %d %q %v %v (a datagram cut to the buffer, from %s)", tc.network, n, buf[:n], from, err, tc.from)
			}
			if _, err := pc.WriteTo([]byte("answer"), from); err != nil {
				t.Errorf("%s: WriteTo: %v", tc.network, err)
			}
			buf = make([]byte, 100)
			if n, err := c.Read(buf); err != nil || string(buf[:n]) != "answer" {
				t.Errorf("%s: Read %q, %v", tc.network, buf[:n], err)
			}
			// A zero-length datagram is not the end of anything.
			c.Write(nil)
			if n, _, err := pc.ReadFrom(buf); n != 0 || err != nil {
				t.Errorf("%s: empty datagram: %d, %v", tc.network, n, err)
			}
			if u, ok := pc.(*gonet.Conn); ok {
				if _, err := u.WriteToUDPAddrPort([]byte("x"), from.(*net.UDPAddr).AddrPort()); err != nil {
					t.Errorf("WriteToUDPAddrPort: %v", err)
				}
			}
			c.Close()
			pc.Close()
		}

		// Unixgram, both ends named.
		pc, err := gonet.ListenPacket(server, "unixgram", "/run/log.sock")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		d := gonet.Dialer{Namespace: server, LocalAddr: &net.UnixAddr{Name: "/run/client.sock", Net: "unixgram"}}
		c, err := d.Dial("unixgram", "/run/log.sock")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("entry"))
		buf := make([]byte, 100)
		n, from, err := pc.ReadFrom(buf)
		if err != nil || string(buf[:n]) != "entry" || from.String() != "/run/client.sock" {
			t.Errorf("unixgram ReadFrom %q from %v, %v", buf[:n], from, err)
		}
		pc.WriteTo([]byte("ack"), from)
		if n, err := c.Read(buf); err != nil || string(buf[:n]) != "ack" {
			t.Errorf("unixgram Read %q, %v", buf[:n], err)
		}
		// An unnamed sender has no address.
		anon, err := gonet.Dial(server, "unixgram", "/run/log.sock")
		if err != nil {
			t.Fatal(err)
		}
		defer anon.Close()
		anon.Write([]byte("anon"))
		if _, from, err := pc.ReadFrom(buf); err != nil || from != nil {
			t.Errorf("unixgram from an unnamed socket: %v, %v; want a nil address", from, err)
		}
	})
}

func TestControl(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := twoHosts(t, link.Impairments{})
		var seen []string
		lc := gonet.ListenConfig{Namespace: server, Control: func(network, address string, c gonet.RawConn) error {
			seen = append(seen, "listen "+network+" "+address)
			return c.Control(func(s *socket.Socket) {
				if s.Sock().Type != abi.SOCK_STREAM {
					t.Errorf("listener socket of type %d", s.Sock().Type)
				}
			})
		}}
		ln, err := lc.Listen(context.Background(), "tcp4", ":80")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		d := gonet.Dialer{Namespace: client, Control: func(network, address string, c gonet.RawConn) error {
			seen = append(seen, "dial "+network+" "+address)
			var err error
			c.Control(func(s *socket.Socket) {
				err = s.SetSockopt(abi.SOL_SOCKET, abi.SO_RCVBUF, []byte{0, 0x40, 0, 0}) // 16 KiB
			})
			return err
		}}
		c, err := d.Dial("tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		rc, err := c.(*gonet.Conn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		rc.Control(func(s *socket.Socket) {
			if got := s.Sock().RcvBuf(); got != 32768 {
				t.Errorf("SO_RCVBUF set in Control: %d, want 32768 (doubled)", got)
			}
		})
		c.Close()
		if want := []string{"listen tcp4 :80", "dial tcp4 10.0.0.2:80"}; !equalStrings(seen, want) {
			t.Errorf("Control calls %q, want %q", seen, want)
		}
		if err := rc.Control(func(*socket.Socket) {}); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Control after Close: %v", err)
		}

		// A Control error aborts, in the usual shape.
		refuse := errors.New("refused by policy")
		d.Control = func(string, string, gonet.RawConn) error { return refuse }
		_, err = d.Dial("tcp", "10.0.0.2:80")
		checkErr(t, "dial refused by Control", err, func(err error) error { return parseOpError(err, "dial", refuse) }, refuse)
		lc.Control = d.Control
		_, err = lc.Listen(context.Background(), "tcp", ":81")
		checkErr(t, "listen refused by Control", err, func(err error) error { return parseOpError(err, "listen", refuse) }, refuse)
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDeadlines checks the deadlines run on the namespace's clock (here
// synctest's fake time, to the nanosecond), that one direction's
// deadline leaves the other alone, and that Write and Read proceed
// concurrently.
func TestDeadlines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := twoHosts(t, link.Impairments{Latency: 50 * time.Millisecond})
		ln, accepted := acceptOne(t, server, "tcp", ":80")
		defer ln.Close()
		c, err := gonet.Dial(client, "tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		sc := <-accepted
		defer sc.Close()

		// A read deadline ends a Read; a Write running meanwhile is not
		// disturbed.
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		var wg sync.WaitGroup
		wg.Go(func() {
			start := time.Now()
			_, err := c.Read(make([]byte, 1))
			if !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) != 300*time.Millisecond {
				t.Errorf("read: %v after %v", err, time.Since(start))
			}
		})
		wg.Go(func() {
			payload := bytes.Repeat([]byte("w"), 1<<20)
			if n, err := c.Write(payload); err != nil || n != len(payload) {
				t.Errorf("write alongside a timed-out read: %d, %v", n, err)
			}
		})
		got, err := io.ReadFull(sc, make([]byte, 1<<20))
		if err != nil {
			t.Errorf("server read %d: %v", got, err)
		}
		wg.Wait()

		// The deadline stays expired until moved: Read fails at once.
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read under an expired deadline: %v", err)
		}
		// Cleared, reads wait for data again.
		c.SetReadDeadline(time.Time{})
		go func() {
			time.Sleep(time.Second)
			sc.Write([]byte("late"))
		}()
		start := time.Now()
		b := make([]byte, 4)
		if _, err := io.ReadFull(c, b); err != nil || string(b) != "late" || time.Since(start) != time.Second+50*time.Millisecond {
			t.Errorf("read without a deadline: %q, %v after %v", b, err, time.Since(start))
		}

		// SetDeadline covers both directions; a write deadline in the past
		// fails a Write before it sends anything.
		c.SetDeadline(time.Now().Add(-time.Second))
		if n, err := c.Write([]byte("x")); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("write past the deadline: %d, %v", n, err)
		}
		if _, err := c.Read(b); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read past the deadline: %v", err)
		}
	})
}

// TestSmallReadsDoNotStall sends 1 MiB in 1 KiB writes to a receiver that
// first lets its buffer fill (a zero window), then reads in 1 KiB reads,
// the pattern of nettest's BasicIO. A receiver must tell the sender when
// reading reopens its window (tcp_cleanup_rbuf); gosock once lost that
// update when every read was smaller than an MSS, and the transfer
// stopped for good with a full send buffer and a zero window.
func TestSmallReadsDoNotStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := twoHosts(t, link.Impairments{Latency: time.Millisecond})
		ln, accepted := acceptOne(t, server, "tcp", ":80")
		defer ln.Close()
		c, err := gonet.Dial(client, "tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		sc := <-accepted
		want := make([]byte, 1<<20)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range want {
			want[i] = byte(rng.Uint32())
		}
		wrote := make(chan error, 1)
		go func() {
			defer c.Close()
			for off := 0; off < len(want); off += 1024 {
				if _, err := c.Write(want[off : off+1024]); err != nil {
					wrote <- err
					return
				}
			}
			wrote <- nil
		}()
		// Let the sender fill the receive buffer: a zero window.
		time.Sleep(time.Second)
		sc.SetReadDeadline(time.Now().Add(time.Minute))
		var got bytes.Buffer
		buf := make([]byte, 1024)
		for {
			n, err := sc.Read(buf)
			got.Write(buf[:n])
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Errorf("read after %d bytes: %v", got.Len(), err)
				c.Close()
				break
			}
		}
		sc.Close()
		if err := <-wrote; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("write: %v", err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("received %d bytes, not what was sent", got.Len())
		}
	})
}

// TestCloseRead checks CloseRead: reads return io.EOF, and the peer's
// later data does not wake them.
func TestCloseRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := gosock.NewNamespace(netns.Options{Name: "lo", Seed: 1})
		defer closeNamespaces(ns)
		ln, accepted := acceptOne(t, ns, "tcp", "127.0.0.1:80")
		defer ln.Close()
		c, err := gonet.Dial(ns, "tcp", "127.0.0.1:80")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		sc := <-accepted
		defer sc.Close()
		if err := c.(*gonet.Conn).CloseRead(); err != nil {
			t.Fatal(err)
		}
		if n, err := c.Read(make([]byte, 10)); n != 0 || err != io.EOF {
			t.Errorf("read after CloseRead: %d, %v", n, err)
		}
		if _, err := c.Write([]byte("still writing")); err != nil {
			t.Errorf("write after CloseRead: %v", err)
		}
		b := make([]byte, 13)
		if _, err := io.ReadFull(sc, b); err != nil {
			t.Errorf("peer read: %v", err)
		}
		if err := c.(*gonet.Conn).SetNoDelay(true); err != nil && !errors.Is(err, syscall.ENOPROTOOPT) {
			t.Errorf("SetNoDelay: %v", err)
		}
		for _, err := range []error{
			c.(*gonet.Conn).SetKeepAlive(true),
			c.(*gonet.Conn).SetKeepAlivePeriod(30 * time.Second),
			c.(*gonet.Conn).SetReadBuffer(1 << 16),
			c.(*gonet.Conn).SetWriteBuffer(1 << 16),
			c.(*gonet.Conn).SetLinger(5),
		} {
			if err != nil {
				t.Errorf("socket option: %v", err)
			}
		}
	})
}

// TestZeroWindowProbe loses the window update that reopens a zero window.
// The sender must find out by probing (RFC 9293 3.8.6.1; Linux's
// tcp_probe_timer), else the connection waits forever.
func TestZeroWindowProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client := gosock.NewNamespace(netns.Options{Name: "client", Seed: 1})
		server := gosock.NewNamespace(netns.Options{Name: "server", Seed: 2})
		defer client.Close()
		defer server.Close()
		wire := link.Impairments{Latency: time.Millisecond}
		_, is, err := gosock.Connect(client, server,
			gosock.Link{Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}},
			gosock.Link{Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}},
			link.PipeConfig{AtoB: wire, BtoA: wire})
		if err != nil {
			t.Fatal(err)
		}
		serverEnd := is.Device().(*link.PipeEnd)
		ln, accepted := acceptOne(t, server, "tcp", ":80")
		defer ln.Close()
		c, err := gonet.Dial(client, "tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		sc := <-accepted
		const size = 1 << 20
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			c.Write(make([]byte, size))
		}()
		time.Sleep(time.Second) // the receive buffer fills: a zero window
		serverEnd.SetImpairments(link.Impairments{Latency: time.Millisecond, Loss: 1})
		buf := make([]byte, size)
		n, _ := sc.Read(buf) // reopens the window; the update is lost
		time.Sleep(10 * time.Millisecond)
		serverEnd.SetImpairments(wire)
		sc.SetReadDeadline(time.Now().Add(2 * time.Minute))
		for n < size {
			k, err := sc.Read(buf[n:])
			n += k
			if err != nil {
				t.Errorf("read after %d bytes: %v", n, err)
				break
			}
		}
		c.Close()
		sc.Close()
		<-wrote
	})
}

// TestRelisten listens again on a port whose connection the server closed
// first, leaving it in TIME-WAIT: SO_REUSEADDR, as net sets it.
func TestRelisten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := twoHosts(t, link.Impairments{Latency: time.Millisecond})
		ln, accepted := acceptOne(t, server, "tcp", ":8080")
		c, err := gonet.Dial(client, "tcp", "10.0.0.2:8080")
		if err != nil {
			t.Fatal(err)
		}
		sc := <-accepted
		sc.Close() // the active close: TIME-WAIT on the server
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("client read: %v, want EOF", err)
		}
		c.Close()
		ln.Close()
		time.Sleep(10 * time.Millisecond)
		ln, err = gonet.Listen(server, "tcp", ":8080")
		if err != nil {
			t.Fatalf("listen again with a connection in TIME-WAIT: %v", err)
		}
		ln.Close()
	})
}
