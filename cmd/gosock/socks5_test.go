package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// socksServer is a small SOCKS5 server for tests: no authentication,
// CONNECT and UDP ASSOCIATE. dial opens its outgoing sockets (so a test
// can make them in a network namespace); listen opens the UDP relay
// socket of an association.
type socksServer struct {
	ln     net.Listener
	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	listen func(network, addr string) (net.PacketConn, error)
	wg     sync.WaitGroup

	mu                   sync.Mutex
	connects, associates int
}

func (s *socksServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(c)
		}()
	}
}

func (s *socksServer) close() {
	s.ln.Close()
	s.wg.Wait()
}

func (s *socksServer) reply(c net.Conn, code byte, bound netip.AddrPort) {
	c.Write(appendSocksAddr([]byte{socksVersion, code, 0}, bound))
}

func (s *socksServer) handle(c net.Conn) {
	defer c.Close()
	var h [2]byte
	if _, err := io.ReadFull(c, h[:]); err != nil || h[0] != socksVersion {
		return
	}
	methods := make([]byte, h[1])
	if _, err := io.ReadFull(c, methods); err != nil || bytes.IndexByte(methods, socksNoAuth) < 0 {
		c.Write([]byte{socksVersion, 0xff})
		return
	}
	c.Write([]byte{socksVersion, socksNoAuth})
	var req [3]byte
	if _, err := io.ReadFull(c, req[:]); err != nil {
		return
	}
	dst, err := readSocksAddr(c)
	if err != nil {
		return
	}
	switch req[1] {
	case socksCmdConnect:
		s.mu.Lock()
		s.connects++
		s.mu.Unlock()
		u, err := s.dial(context.Background(), "tcp", dst.String())
		if err != nil {
			s.reply(c, 5, netip.AddrPortFrom(netip.IPv4Unspecified(), 0))
			return
		}
		s.reply(c, 0, u.LocalAddr().(*net.TCPAddr).AddrPort())
		relayTCP(c, u, new(atomic.Int64), new(atomic.Int64))
	case socksCmdAssociate:
		s.mu.Lock()
		s.associates++
		s.mu.Unlock()
		// A dual-stack wildcard socket: it relays to IPv4 and IPv6
		// destinations, and its unspecified bound address tells the
		// client to use the server's address.
		pc, err := s.listen("udp", ":0")
		if err != nil {
			s.reply(c, 1, netip.AddrPortFrom(netip.IPv4Unspecified(), 0))
			return
		}
		defer pc.Close()
		s.reply(c, 0, pc.LocalAddr().(*net.UDPAddr).AddrPort())
		go func() {
			io.Copy(io.Discard, c) // the association lasts as long as the control connection
			pc.Close()
		}()
		var client netip.AddrPort
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			fa := from.(*net.UDPAddr).AddrPort()
			if !client.IsValid() || fa == client {
				// From the client: strip the header, send on.
				client = fa
				if n < 4 || buf[2] != 0 {
					continue
				}
				r := &sliceReader{b: buf[3:n]}
				to, err := readSocksAddr(r)
				if err != nil {
					continue
				}
				pc.WriteTo(r.b, net.UDPAddrFromAddrPort(to))
				continue
			}
			// From a destination: wrap and return to the client.
			out := appendSocksAddr([]byte{0, 0, 0}, netip.AddrPortFrom(fa.Addr().Unmap(), fa.Port()))
			pc.WriteTo(append(out, buf[:n]...), net.UDPAddrFromAddrPort(client))
		}
	default:
		s.reply(c, 7, netip.AddrPortFrom(netip.IPv4Unspecified(), 0))
	}
}

// TestSOCKS5Client runs the client against the test server on the
// host's loopback: a CONNECT to a TCP echo server, an association with a
// UDP echo server, and an error reply.
func TestSOCKS5Client(t *testing.T) {
	var d net.Dialer
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &socksServer{ln: ln, dial: d.DialContext, listen: net.ListenPacket}
	go srv.serve()
	defer srv.close()

	echoLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echoLn.Close()
	go func() {
		for {
			c, err := echoLn.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	echoPC, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echoPC.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := echoPC.ReadFrom(buf)
			if err != nil {
				return
			}
			echoPC.WriteTo(buf[:n], from)
		}
	}()

	cl := &socks5Client{server: ln.Addr().String()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := cl.DialTCP(ctx, echoLn.Addr().(*net.TCPAddr).AddrPort())
	if err != nil {
		t.Fatal(err)
	}
	msg := bytes.Repeat([]byte("0123456789"), 10000)
	go c.Write(msg)
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("CONNECT echo: %v", err)
	}
	c.Close()

	u, err := cl.DialUDP(ctx, echoPC.LocalAddr().(*net.UDPAddr).AddrPort())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		p := binary.BigEndian.AppendUint32([]byte("dgram"), uint32(i))
		if _, err := u.Write(p); err != nil {
			t.Fatal(err)
		}
		u.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 100)
		n, err := u.Read(buf)
		if err != nil || !bytes.Equal(buf[:n], p) {
			t.Fatalf("UDP ASSOCIATE echo %d: %q, %v", i, buf[:n], err)
		}
	}
	u.Close()

	// A refused destination is reported with the server's reply code.
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := closed.Addr().(*net.TCPAddr).AddrPort()
	closed.Close()
	if _, err := cl.DialTCP(ctx, dead); err == nil || !bytes.Contains([]byte(err.Error()), []byte("connection refused")) {
		t.Errorf("CONNECT to a closed port: %v", err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.connects != 2 || srv.associates != 1 {
		t.Errorf("server saw %d CONNECTs and %d ASSOCIATEs", srv.connects, srv.associates)
	}
}
