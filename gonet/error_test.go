package gonet_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
)

// The shape checks below follow net/error_test.go: a *net.OpError at the
// first level (with Op and Net set, and Source and Addr nil or a non-nil
// address of a known type), then a known error, an *os.SyscallError, or a
// platform errno (here gosock's errno.Errno) at the second, and an errno
// under a SyscallError.

func isPlatformError(err error) bool {
	switch err.(type) {
	case errno.Errno, syscall.Errno:
		return true
	}
	return false
}

func validOpError(e *net.OpError) error {
	if e.Op == "" {
		return fmt.Errorf("OpError.Op is empty: %v", e)
	}
	if e.Net == "" {
		return fmt.Errorf("OpError.Net is empty: %v", e)
	}
	for _, addr := range []net.Addr{e.Source, e.Addr} {
		switch a := addr.(type) {
		case nil:
		case *net.TCPAddr:
			if a == nil {
				return fmt.Errorf("OpError.Source or Addr is a typed nil: %#v, %v", a, e)
			}
		case *net.UDPAddr:
			if a == nil {
				return fmt.Errorf("OpError.Source or Addr is a typed nil: %#v, %v", a, e)
			}
		case *net.UnixAddr:
			if a == nil {
				return fmt.Errorf("OpError.Source or Addr is a typed nil: %#v, %v", a, e)
			}
		default:
			return fmt.Errorf("OpError.Source or Addr is of unknown type %T: %v", a, e)
		}
	}
	if e.Err == nil {
		return fmt.Errorf("OpError.Err is empty: %v", e)
	}
	return nil
}

// parseOpError checks the nesting OpError(op) → [SyscallError →] errno or
// one of the known errors.
func parseOpError(err error, op string, known ...error) error {
	if err == nil {
		return nil
	}
	oe, ok := err.(*net.OpError)
	if !ok {
		return fmt.Errorf("unexpected type on 1st nested level: %T (%v)", err, err)
	}
	if err := validOpError(oe); err != nil {
		return err
	}
	if oe.Op != op {
		return fmt.Errorf("OpError.Op %q, want %q", oe.Op, op)
	}
	nested := oe.Err
	if isPlatformError(nested) {
		return nil
	}
	switch e := nested.(type) {
	case *os.SyscallError:
		if !isPlatformError(e.Err) {
			return fmt.Errorf("unexpected type on 3rd nested level: %T", e.Err)
		}
		return nil
	case *net.AddrError, *net.DNSError, net.UnknownNetworkError, gonet.TimeoutError, gonet.CanceledError:
		return nil
	}
	for _, k := range known {
		if nested == k {
			return nil
		}
	}
	return fmt.Errorf("unexpected type on 2nd nested level: %T (%v)", nested, nested)
}

func parseDialError(err error) error {
	return parseOpError(err, "dial", net.ErrClosed, gonet.ErrMissingAddress)
}

func parseListenError(err error) error { return parseOpError(err, "listen") }

func parseReadError(err error) error {
	if err == io.EOF {
		return nil
	}
	return parseOpError(err, "read", net.ErrClosed, os.ErrDeadlineExceeded)
}

func parseWriteError(err error) error {
	return parseOpError(err, "write", net.ErrClosed, os.ErrDeadlineExceeded, net.ErrWriteToConnected,
		gonet.ErrMissingAddress, io.ErrUnexpectedEOF)
}

func parseAcceptError(err error) error {
	return parseOpError(err, "accept", net.ErrClosed, os.ErrDeadlineExceeded)
}

// parseCloseError also checks the string programs test for, as net's does.
func parseCloseError(err error, isShutdown bool) error {
	if err == nil {
		return nil
	}
	if !isShutdown {
		if want := "use of closed network connection"; !containsString(err.Error(), want) {
			return fmt.Errorf("error string %q does not contain %q", err, want)
		}
		if !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("errors.Is(%v, net.ErrClosed) is false", err)
		}
	}
	return parseOpError(err, "close", net.ErrClosed)
}

func containsString(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// checkErr fails unless err has the shape parse accepts and matches
// every target under errors.Is.
func checkErr(t *testing.T, what string, err error, parse func(error) error, targets ...error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	if perr := parse(err); perr != nil {
		t.Errorf("%s: %v: bad shape: %v", what, err, perr)
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Errorf("%s: %v: errors.Is(err, %v) is false", what, err, target)
		}
	}
}

// checkTimeout fails unless err is a net.Error whose Timeout is true.
func checkTimeout(t *testing.T, what string, err error) {
	t.Helper()
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("%s: %v: not a net.Error with Timeout() true", what, err)
	}
}

func TestErrorRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := twoHosts(t, link.Impairments{Latency: time.Millisecond})
		_, err := gonet.Dial(client, "tcp", "10.0.0.2:81")
		checkErr(t, "tcp dial to a closed port", err, parseDialError, syscall.ECONNREFUSED, errno.ECONNREFUSED)
		var se *os.SyscallError
		if errors.As(err, &se) && se.Syscall != "connect" {
			t.Errorf("syscall %q, want connect", se.Syscall)
		}
		if oe, ok := err.(*net.OpError); ok && oe.Addr.String() != "10.0.0.2:81" {
			t.Errorf("OpError.Addr %v, want 10.0.0.2:81", oe.Addr)
		}
		_, err = gonet.Dial(client, "tcp6", "[fd00::2]:81")
		checkErr(t, "tcp6 dial to a closed port", err, parseDialError, syscall.ECONNREFUSED)

		_, err = gonet.Dial(server, "unix", "/nowhere")
		checkErr(t, "unix dial to a missing path", err, parseDialError, syscall.ENOENT, os.ErrNotExist)
		ln, err := gonet.Listen(server, "unix", "/run/closed.sock")
		if err != nil {
			t.Fatal(err)
		}
		ln.(*gonet.Listener).SetUnlinkOnClose(false)
		ln.Close()
		_, err = gonet.Dial(server, "unix", "/run/closed.sock")
		checkErr(t, "unix dial to a closed listener's path", err, parseDialError, syscall.ECONNREFUSED)

		// UDP: the ICMP port unreachable comes back as ECONNREFUSED on
		// the connected socket.
		c, err := gonet.Dial(client, "udp", "10.0.0.2:9")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(time.Second))
		_, err = c.Read(make([]byte, 10))
		checkErr(t, "udp read after port unreachable", err, parseReadError, syscall.ECONNREFUSED)
	})
}

func TestErrorReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := twoHosts(t, link.Impairments{Latency: time.Millisecond})
		ln, err := gonet.Listen(server, "tcp", ":80")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			c, err := ln.Accept()
			if err != nil {
				t.Error(err)
				return
			}
			c.(*gonet.Conn).SetLinger(0) // close with a reset
			c.Close()
		}()
		c, err := gonet.Dial(client, "tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.Read(make([]byte, 10))
		checkErr(t, "read after a reset", err, parseReadError, syscall.ECONNRESET)
		var se *os.SyscallError
		if errors.As(err, &se) && se.Syscall != "recvmsg" {
			t.Errorf("syscall %q, want recvmsg", se.Syscall)
		}
		_, err = c.Write([]byte("x"))
		checkErr(t, "write after a reset", err, parseWriteError, syscall.EPIPE)
	})
}

func TestErrorDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := twoHosts(t, link.Impairments{Latency: 10 * time.Millisecond})
		ln, err := gonet.Listen(server, "tcp", ":80")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()

		// Accept.
		ln.(*gonet.Listener).SetDeadline(time.Now().Add(time.Second))
		start := time.Now()
		_, err = ln.Accept()
		checkErr(t, "accept past its deadline", err, parseAcceptError, os.ErrDeadlineExceeded)
		checkTimeout(t, "accept", err)
		if d := time.Since(start); d != time.Second {
			t.Errorf("accept timed out after %v, want 1s", d)
		}
		ln.(*gonet.Listener).SetDeadline(time.Time{})

		accepted := make(chan net.Conn, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				t.Error(err)
			}
			accepted <- c
		}()
		c, err := gonet.Dial(client, "tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		sc := <-accepted
		defer sc.Close()

		// Read.
		c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		start = time.Now()
		n, err := c.Read(make([]byte, 10))
		checkErr(t, "read past its deadline", err, parseReadError, os.ErrDeadlineExceeded)
		checkTimeout(t, "read", err)
		if n != 0 || time.Since(start) != 500*time.Millisecond {
			t.Errorf("read: %d bytes after %v", n, time.Since(start))
		}
		// A deadline in the past interrupts a blocked Read at once.
		done := make(chan error)
		c.SetReadDeadline(time.Time{})
		go func() {
			_, err := c.Read(make([]byte, 10))
			done <- err
		}()
		synctest.Wait()
		start = time.Now()
		c.SetReadDeadline(time.Unix(1, 0))
		err = <-done
		checkErr(t, "blocked read, deadline set in the past", err, parseReadError, os.ErrDeadlineExceeded)
		if time.Since(start) != 0 {
			t.Errorf("read interrupted after %v", time.Since(start))
		}
		// Extending a deadline lets the pending Read go on.
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		go func() {
			_, err := c.Read(make([]byte, 10))
			done <- err
		}()
		synctest.Wait()
		c.SetReadDeadline(time.Now().Add(time.Second))
		go sc.Write([]byte("hello"))
		if err := <-done; err != nil {
			t.Errorf("read under an extended deadline: %v", err)
		}
		c.SetReadDeadline(time.Time{})

		// Write: fill the windows and buffers, then time out.
		c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 1<<16)
		total := 0
		for {
			n, err := c.Write(buf)
			total += n
			if err != nil {
				checkErr(t, "write past its deadline", err, parseWriteError, os.ErrDeadlineExceeded)
				checkTimeout(t, "write", err)
				break
			}
		}
		t.Logf("wrote %d bytes before the deadline", total)

		// Dial: a SYN into the void with a Timeout shorter than the 3 s
		// after which address resolution fails (EHOSTUNREACH).
		d := gonet.Dialer{Namespace: client, Timeout: 2 * time.Second}
		if c, err := d.Dial("tcp", "10.0.0.2:80"); err != nil {
			t.Errorf("dial: %v", err)
		} else {
			c.Close()
		}
		start = time.Now()
		_, err = d.Dial("tcp", "10.0.0.9:80")
		checkErr(t, "dial past its timeout", err, parseDialError, context.DeadlineExceeded, os.ErrDeadlineExceeded)
		checkTimeout(t, "dial", err)
		if el := time.Since(start); el != 2*time.Second {
			t.Errorf("dial timed out after %v, want 2s", el)
		}
		// Without a timeout, TCP gives up after its SYN retries: ETIMEDOUT.
		d = gonet.Dialer{Namespace: client}
		_, err = d.Dial("tcp", "10.0.0.9:80")
		var e errno.Errno
		if !errors.As(err, &e) || e != errno.ETIMEDOUT && e != errno.EHOSTUNREACH {
			t.Errorf("dial to nobody: %v, want ETIMEDOUT or EHOSTUNREACH", err)
		}
		checkErr(t, "dial to nobody", err, parseDialError)
		if e == errno.ETIMEDOUT {
			checkTimeout(t, "dial to nobody", err)
		}
	})
}

func TestErrorDialCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, _ := twoHosts(t, link.Impairments{Latency: 10 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		d := gonet.Dialer{Namespace: client}
		time.AfterFunc(time.Second, cancel)
		_, err := d.DialContext(ctx, "tcp", "10.0.0.9:80")
		checkErr(t, "canceled dial", err, parseDialError, context.Canceled)
		// A context deadline gives a timeout.
		ctx, cancel = context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err = d.DialContext(ctx, "tcp", "10.0.0.9:80")
		checkErr(t, "dial past the context's deadline", err, parseDialError, context.DeadlineExceeded)
		checkTimeout(t, "dial past the context's deadline", err)
	})
}

func TestErrorClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := twoHosts(t, link.Impairments{Latency: time.Millisecond})
		ln, err := gonet.Listen(server, "tcp", ":80")
		if err != nil {
			t.Fatal(err)
		}
		accepted := make(chan net.Conn, 1)
		go func() {
			c, _ := ln.Accept()
			accepted <- c
		}()
		c, err := gonet.Dial(client, "tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		sc := <-accepted
		defer sc.Close()

		// Close from another goroutine ends blocked calls.
		rd := make(chan error)
		go func() {
			_, err := c.Read(make([]byte, 10))
			rd <- err
		}()
		acc := make(chan error)
		go func() {
			_, err := ln.Accept()
			acc <- err
		}()
		synctest.Wait()
		if err := c.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		checkErr(t, "blocked read ended by close", <-rd, parseReadError, net.ErrClosed)
		if err := ln.Close(); err != nil {
			t.Errorf("listener close: %v", err)
		}
		checkErr(t, "blocked accept ended by close", <-acc, parseAcceptError, net.ErrClosed)

		// Calls after Close.
		_, err = c.Read(make([]byte, 10))
		checkErr(t, "read after close", err, parseReadError, net.ErrClosed)
		_, err = c.Write([]byte("x"))
		checkErr(t, "write after close", err, parseWriteError, net.ErrClosed)
		checkErr(t, "second close", c.Close(), func(err error) error { return parseCloseError(err, false) }, net.ErrClosed)
		checkErr(t, "close write after close", c.(*gonet.Conn).CloseWrite(),
			func(err error) error { return parseCloseError(err, false) }, net.ErrClosed)
		err = c.SetDeadline(time.Now())
		checkErr(t, "set deadline after close", err, func(err error) error { return parseOpError(err, "set", net.ErrClosed) }, net.ErrClosed)
		_, err = ln.Accept()
		checkErr(t, "accept after close", err, parseAcceptError, net.ErrClosed)
		checkErr(t, "second listener close", ln.Close(), func(err error) error { return parseCloseError(err, false) }, net.ErrClosed)
		if _, err := c.(*gonet.Conn).SyscallConn(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("SyscallConn after close: %v", err)
		}

		// A closed datagram endpoint.
		pc, err := gonet.ListenPacket(server, "udp", ":53")
		if err != nil {
			t.Fatal(err)
		}
		pc.Close()
		_, _, err = pc.ReadFrom(make([]byte, 10))
		checkErr(t, "udp read after close", err, parseReadError, net.ErrClosed)
		_, err = pc.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 53})
		checkErr(t, "udp write after close", err, parseWriteError, net.ErrClosed)
	})
}

func TestErrorEOF(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := twoHosts(t, link.Impairments{Latency: time.Millisecond})
		for _, tc := range []struct {
			ns             *netns.Namespace
			network, addr  string
			dialNS         *netns.Namespace
			dialAddr       string
			hasCloseWriter bool
		}{
			{server, "tcp", ":80", client, "10.0.0.2:80", true},
			{server, "unix", "/run/eof.sock", server, "/run/eof.sock", true},
			{server, "unixpacket", "@eof", server, "@eof", true},
		} {
			ln, err := gonet.Listen(tc.ns, tc.network, tc.addr)
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan struct{})
			go func() {
				defer close(served)
				c, err := ln.Accept()
				if err != nil {
					t.Error(err)
					return
				}
				c.Write([]byte("bye"))
				c.(*gonet.Conn).CloseWrite()
				io.Copy(io.Discard, c)
				c.Close()
			}()
			c, err := gonet.Dial(tc.dialNS, tc.network, tc.dialAddr)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(c)
			if err != nil || string(b) != "bye" {
				t.Errorf("%s: ReadAll %q, %v", tc.network, b, err)
			}
			n, err := c.Read(make([]byte, 10))
			if n != 0 || err != io.EOF {
				t.Errorf("%s: read at end of stream: %d, %v; want 0, io.EOF (bare)", tc.network, n, err)
			}
			// Our own CloseWrite: writes fail with EPIPE.
			if err := c.(*gonet.Conn).CloseWrite(); err != nil {
				t.Errorf("%s: CloseWrite: %v", tc.network, err)
			}
			_, err = c.Write([]byte("x"))
			checkErr(t, tc.network+" write after CloseWrite", err, parseWriteError, syscall.EPIPE)
			c.Close()
			<-served
			ln.Close()
		}
	})
}

func TestErrorBadAddress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := twoHosts(t, link.Impairments{})
		gonet.SetHosts(client, map[string][]netip.Addr{"server": {netip.MustParseAddr("10.0.0.2")}})
		for _, tc := range []struct {
			network, address string
			check            func(error) bool
		}{
			{"tcp", "10.0.0.2", isAddrError("missing port in address")},
			{"tcp", "10.0.0.2:99999", isAddrError("invalid port")},
			{"tcp", "10.0.0.2:nosuchservice", isDNSNotFound},
			{"tcp", "", func(err error) bool { return errors.Is(err, gonet.ErrMissingAddress) }},
			{"tcpx", "10.0.0.2:80", isUnknownNetwork},
			{"ip4:icmp", "10.0.0.2", isUnknownNetwork},
			{"tcp4", "[fd00::2]:80", isAddrError("no suitable address found")},
			{"tcp6", "10.0.0.2:80", isAddrError("no suitable address found")},
			{"tcp", "no-such-host.test:80", isDNSNotFound},
			{"udp", "no-such-host.test:53", isDNSNotFound},
			{"tcp", "SERVER:81", func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }},
			{"unix", "", func(err error) bool { return errors.Is(err, gonet.ErrMissingAddress) }},
			{"unix", string(make([]byte, 200)), func(err error) bool { return errors.Is(err, syscall.EINVAL) }},
		} {
			_, err := gonet.Dial(client, tc.network, tc.address)
			checkErr(t, fmt.Sprintf("dial %s %q", tc.network, tc.address), err, parseDialError)
			if err != nil && !tc.check(err) {
				t.Errorf("dial %s %q: unexpected error %v", tc.network, tc.address, err)
			}
		}
		d := gonet.Dialer{Namespace: client, LocalAddr: &net.UDPAddr{}}
		_, err := d.Dial("tcp", "10.0.0.2:80")
		checkErr(t, "dial with a mismatched local address", err, parseDialError)

		for _, tc := range []struct {
			network, address string
			check            func(error) bool
		}{
			{"tcp", "10.9.9.9:80", func(err error) bool { return errors.Is(err, syscall.EADDRNOTAVAIL) }},
			{"udp", ":80", isUnknownNetwork},
			{"tcp", "10.0.0.2:x", isDNSNotFound},
		} {
			_, err := gonet.Listen(server, tc.network, tc.address)
			checkErr(t, fmt.Sprintf("listen %s %q", tc.network, tc.address), err, parseListenError)
			if err != nil && !tc.check(err) {
				t.Errorf("listen %s %q: unexpected error %v", tc.network, tc.address, err)
			}
		}
		ln, err := gonet.Listen(server, "tcp", ":80")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		_, err = gonet.Listen(server, "tcp", ":80")
		checkErr(t, "listen on a port in use", err, parseListenError, syscall.EADDRINUSE)
		var se *os.SyscallError
		if errors.As(err, &se) && se.Syscall != "bind" {
			t.Errorf("syscall %q, want bind", se.Syscall)
		}
		_, err = gonet.ListenPacket(server, "tcp", ":80")
		checkErr(t, "listen packet on tcp", err, parseListenError)

		// WriteTo on a connected socket, and without an address.
		c, err := gonet.Dial(client, "udp", "10.0.0.2:53")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.(net.PacketConn).WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 53})
		checkErr(t, "WriteTo on a connected socket", err, parseWriteError, net.ErrWriteToConnected)
		pc, err := gonet.ListenPacket(client, "udp", ":0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		_, err = pc.WriteTo([]byte("x"), nil)
		checkErr(t, "WriteTo without address", err, parseWriteError, gonet.ErrMissingAddress)
		_, err = pc.WriteTo([]byte("x"), &net.TCPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 53})
		checkErr(t, "WriteTo with a TCP address", err, parseWriteError, syscall.EINVAL)
		_, err = pc.(*gonet.Conn).Write([]byte("x"))
		checkErr(t, "Write on an unconnected socket", err, parseWriteError, syscall.EDESTADDRREQ)
	})
}

func isAddrError(msg string) func(error) bool {
	return func(err error) bool {
		var ae *net.AddrError
		return errors.As(err, &ae) && ae.Err == msg
	}
}

func isDNSNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

func isUnknownNetwork(err error) bool {
	var ue net.UnknownNetworkError
	return errors.As(err, &ue)
}

// TestErrorNamespaceless checks the Dialer and ListenConfig refuse to work
// without a namespace, in the usual shape.
func TestErrorNamespaceless(t *testing.T) {
	var d gonet.Dialer
	_, err := d.Dial("tcp", "127.0.0.1:80")
	if err == nil || parseOpError(err, "dial", err.(*net.OpError).Err) != nil {
		t.Errorf("dial without namespace: %v", err)
	}
	var lc gonet.ListenConfig
	_, err = lc.Listen(context.Background(), "tcp", ":80")
	if err == nil || parseOpError(err, "listen", err.(*net.OpError).Err) != nil {
		t.Errorf("listen without namespace: %v", err)
	}
}
