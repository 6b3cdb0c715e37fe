package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os/exec"
	"time"
)

// A minimal SOCKS5 client (RFC 1928): no authentication, CONNECT for TCP
// and UDP ASSOCIATE for UDP, IPv4 and IPv6 destinations.

const (
	socksVersion      = 5
	socksNoAuth       = 0
	socksCmdConnect   = 1
	socksCmdAssociate = 3
	socksAtypIPv4     = 1
	socksAtypDomain   = 3
	socksAtypIPv6     = 4
)

// socks5Client opens flows through a SOCKS5 server.
type socks5Client struct {
	server string
	netns  string // the namespace to open sockets to the server in
}

func (s *socks5Client) String() string { return "socks5://" + s.server }

// handshake connects to the server and sends a request for cmd and dst;
// it returns the control connection and the server's bound address.
func (s *socks5Client) handshake(ctx context.Context, cmd byte, dst netip.AddrPort) (net.Conn, netip.AddrPort, error) {
	c, err := hostDial(ctx, s.netns, "tcp", s.server)
	if err != nil {
		return nil, netip.AddrPort{}, err
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	fail := func(err error) (net.Conn, netip.AddrPort, error) {
		c.Close()
		return nil, netip.AddrPort{}, fmt.Errorf("socks5 %s: %w", s.server, err)
	}
	if _, err := c.Write([]byte{socksVersion, 1, socksNoAuth}); err != nil {
		return fail(err)
	}
	var sel [2]byte
	if _, err := io.ReadFull(c, sel[:]); err != nil {
		return fail(err)
	}
	if sel[0] != socksVersion || sel[1] != socksNoAuth {
		return fail(fmt.Errorf("server wants authentication method %d", sel[1]))
	}
	req := appendSocksAddr([]byte{socksVersion, cmd, 0}, dst)
	if _, err := c.Write(req); err != nil {
		return fail(err)
	}
	var h [3]byte
	if _, err := io.ReadFull(c, h[:]); err != nil {
		return fail(err)
	}
	if h[0] != socksVersion {
		return fail(errors.New("bad reply version"))
	}
	if h[1] != 0 {
		return fail(socksReplyError(h[1]))
	}
	bound, err := readSocksAddr(c)
	if err != nil {
		return fail(err)
	}
	c.SetDeadline(time.Time{})
	return c, bound, nil
}

// socksReplyError names a SOCKS5 reply code.
type socksReplyError byte

func (e socksReplyError) Error() string {
	names := []string{1: "general failure", "not allowed by ruleset", "network unreachable", "host unreachable",
		"connection refused", "TTL expired", "command not supported", "address type not supported"}
	if int(e) < len(names) && names[e] != "" {
		return "socks5: " + names[e]
	}
	return fmt.Sprintf("socks5: reply %d", byte(e))
}

// appendSocksAddr appends ATYP, the address and the port.
func appendSocksAddr(b []byte, ap netip.AddrPort) []byte {
	a := ap.Addr().Unmap()
	if a.Is4() {
		b = append(b, socksAtypIPv4)
	} else {
		b = append(b, socksAtypIPv6)
	}
	b = append(b, a.AsSlice()...)
	return binary.BigEndian.AppendUint16(b, ap.Port())
}

// readSocksAddr reads ATYP, an address and a port; a domain name is
// read and reported as the unspecified address.
func readSocksAddr(r io.Reader) (netip.AddrPort, error) {
	var atyp [1]byte
	if _, err := io.ReadFull(r, atyp[:]); err != nil {
		return netip.AddrPort{}, err
	}
	var n int
	switch atyp[0] {
	case socksAtypIPv4:
		n = 4
	case socksAtypIPv6:
		n = 16
	case socksAtypDomain:
		var l [1]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return netip.AddrPort{}, err
		}
		n = int(l[0])
	default:
		return netip.AddrPort{}, fmt.Errorf("socks5: address type %d", atyp[0])
	}
	b := make([]byte, n+2)
	if _, err := io.ReadFull(r, b); err != nil {
		return netip.AddrPort{}, err
	}
	port := binary.BigEndian.Uint16(b[n:])
	if atyp[0] == socksAtypDomain {
		return netip.AddrPortFrom(netip.IPv4Unspecified(), port), nil
	}
	a, _ := netip.AddrFromSlice(b[:n])
	return netip.AddrPortFrom(a, port), nil
}

// DialTCP is CONNECT.
func (s *socks5Client) DialTCP(ctx context.Context, dst netip.AddrPort) (net.Conn, error) {
	c, _, err := s.handshake(ctx, socksCmdConnect, dst)
	return c, err
}

// DialUDP is UDP ASSOCIATE: the association lives as long as its control
// connection, which the returned conn closes with its UDP socket.
func (s *socks5Client) DialUDP(ctx context.Context, dst netip.AddrPort) (net.Conn, error) {
	ctl, relay, err := s.handshake(ctx, socksCmdAssociate, netip.AddrPortFrom(netip.IPv4Unspecified(), 0))
	if err != nil {
		return nil, err
	}
	if relay.Addr().IsUnspecified() {
		// "0.0.0.0": the server's address on the control connection.
		if ra, ok := ctl.RemoteAddr().(*net.TCPAddr); ok {
			relay = netip.AddrPortFrom(ra.AddrPort().Addr().Unmap(), relay.Port())
		}
	}
	u, err := hostDial(ctx, s.netns, "udp", relay.String())
	if err != nil {
		ctl.Close()
		return nil, err
	}
	a := &socksUDPConn{Conn: u, ctl: ctl, dst: dst, hdr: appendSocksAddr([]byte{0, 0, 0}, dst)}
	// The association ends when the server closes the control connection.
	go func() {
		io.Copy(io.Discard, ctl)
		a.Close()
	}()
	return a, nil
}

// socksUDPConn is one UDP association: datagrams carry the SOCKS5 UDP
// request header (RSV, FRAG, address) both ways.
type socksUDPConn struct {
	net.Conn
	ctl net.Conn
	dst netip.AddrPort
	hdr []byte
}

func (c *socksUDPConn) Write(b []byte) (int, error) {
	pkt := make([]byte, 0, len(c.hdr)+len(b))
	pkt = append(append(pkt, c.hdr...), b...)
	if _, err := c.Conn.Write(pkt); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Read returns the next datagram's data; fragments (FRAG != 0), which
// this client never asks for, are dropped.
func (c *socksUDPConn) Read(b []byte) (int, error) {
	buf := make([]byte, 65535)
	for {
		n, err := c.Conn.Read(buf)
		if err != nil {
			return 0, err
		}
		p := buf[:n]
		if len(p) < 4 || p[2] != 0 {
			continue
		}
		r := &sliceReader{b: p[3:]}
		if _, err := readSocksAddr(r); err != nil {
			continue
		}
		return copy(b, r.b), nil
	}
}

func (c *socksUDPConn) Close() error {
	c.ctl.Close()
	return c.Conn.Close()
}

type sliceReader struct{ b []byte }

func (r *sliceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// execIP runs the ip command.
func execIP(args ...string) (string, error) {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if errors.Is(err, exec.ErrNotFound) {
		return "", errors.New("the ip command (iproute2) is needed")
	}
	return string(out), err
}
