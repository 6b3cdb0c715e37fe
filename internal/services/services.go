// Package services runs the classic small Internet services on a gosock
// namespace's sockets: echo (RFC 862, TCP and UDP), discard (RFC 863,
// TCP and UDP), chargen (RFC 864, TCP), daytime (RFC 867, TCP and UDP)
// and an HTTP server whose /bytes/N streams N bytes of seeded
// pseudo-random data, so curl and wrk can measure the stack. The `gosock
// tun --serve` command and its tests use it.
//
// Every service speaks through gonet, so each byte goes through gosock's
// socket layer and TCP; nothing here touches the host's sockets.
package services

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/netns"
)

// Spec names one service and the port it listens on.
type Spec struct {
	Name string // a key of Known
	Port int    // TCP port, and UDP port for the services that have one
}

// Known lists the service names ParseSpecs accepts, with their default
// ports.
var Known = map[string]int{"echo": 7, "discard": 9, "daytime": 13, "chargen": 19, "http": 80}

// ParseSpecs reads a comma-separated list such as
// "echo:7,discard:9,http:80,chargen:19"; a name without a port gets its
// well-known one.
func ParseSpecs(s string) ([]Spec, error) {
	var out []Spec
	seen := map[int]string{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, portStr, hasPort := strings.Cut(item, ":")
		def, ok := Known[name]
		if !ok {
			return nil, fmt.Errorf("unknown service %q (known: chargen, daytime, discard, echo, http)", name)
		}
		port := def
		if hasPort {
			p, err := strconv.Atoi(portStr)
			if err != nil || p < 1 || p > 65535 {
				return nil, fmt.Errorf("service %s: bad port %q", name, portStr)
			}
			port = p
		}
		if other, dup := seen[port]; dup {
			return nil, fmt.Errorf("services %s and %s both on port %d", other, name, port)
		}
		seen[port] = name
		out = append(out, Spec{name, port})
	}
	return out, nil
}

// Server runs services on one namespace until Close.
type Server struct {
	ns *netns.Namespace
	// Log, if set, receives one line per notable event (a service
	// failing); nil discards them.
	log func(format string, args ...any)

	mu      sync.Mutex
	closed  bool
	lns     []net.Listener
	pcs     []net.PacketConn
	conns   map[net.Conn]struct{}
	servers []*http.Server
	wg      sync.WaitGroup
}

// Start listens for every spec on the namespace's wildcard addresses
// (IPv4 and IPv6) and serves until Close. logf, if not nil, receives
// errors met while serving.
func Start(ns *netns.Namespace, specs []Spec, logf func(format string, args ...any)) (*Server, error) {
	s := &Server{ns: ns, log: logf, conns: make(map[net.Conn]struct{})}
	for _, sp := range specs {
		if err := s.start(sp); err != nil {
			s.Close()
			return nil, fmt.Errorf("service %s on port %d: %w", sp.Name, sp.Port, err)
		}
	}
	return s, nil
}

func (s *Server) logf(format string, args ...any) {
	if s.log != nil {
		s.log(format, args...)
	}
}

func (s *Server) start(sp Spec) error {
	addr := ":" + strconv.Itoa(sp.Port)
	ln, err := gonet.Listen(s.ns, "tcp", addr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.lns = append(s.lns, ln)
	s.mu.Unlock()
	switch sp.Name {
	case "http":
		srv := &http.Server{Handler: HTTPHandler(), ReadHeaderTimeout: 30 * time.Second}
		s.mu.Lock()
		s.servers = append(s.servers, srv)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.logf("http: %v", err)
			}
		}()
		return nil
	case "echo":
		s.acceptLoop(ln, func(c net.Conn) { io.CopyBuffer(c, c, make([]byte, 64<<10)) })
	case "discard":
		s.acceptLoop(ln, func(c net.Conn) { io.CopyBuffer(io.Discard, c, make([]byte, 64<<10)) })
	case "chargen":
		s.acceptLoop(ln, func(c net.Conn) {
			// Reading too, so the connection ends when the peer closes.
			go io.Copy(io.Discard, c)
			Chargen(c)
		})
	case "daytime":
		s.acceptLoop(ln, func(c net.Conn) { io.WriteString(c, Daytime(time.Now())) })
	}
	switch sp.Name {
	case "echo", "discard", "daytime":
		pc, err := gonet.ListenPacket(s.ns, "udp", addr)
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.pcs = append(s.pcs, pc)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			servePacket(sp.Name, pc)
		}()
	}
	return nil
}

// acceptLoop accepts connections on ln and runs handle on each, then
// closes it.
func (s *Server) acceptLoop(ln net.Listener, handle func(net.Conn)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			if s.closed {
				s.mu.Unlock()
				c.Close()
				return
			}
			s.conns[c] = struct{}{}
			s.wg.Add(1)
			s.mu.Unlock()
			go func() {
				defer s.wg.Done()
				handle(c)
				c.Close()
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
		}
	}()
}

// servePacket answers datagrams: echo sends each back, daytime answers
// any datagram with the time, discard reads and drops.
func servePacket(name string, pc net.PacketConn) {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		switch name {
		case "echo":
			pc.WriteTo(buf[:n], from)
		case "daytime":
			pc.WriteTo([]byte(Daytime(time.Now())), from)
		}
	}
}

// Close stops every service: listeners close, then every open
// connection is closed (with a FIN, as close(2) of a socket with nothing
// unread sends), and Close waits for the handlers to return.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	lns, pcs, servers := s.lns, s.pcs, s.servers
	var conns []net.Conn
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, srv := range servers {
		// Shutdown closes the listener and idle connections at once; a
		// response in progress gets a moment to finish before Close cuts it.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		cancel()
	}
	for _, ln := range lns {
		ln.Close()
	}
	for _, pc := range pcs {
		pc.Close()
	}
	for _, c := range conns {
		c.Close()
	}
	s.wg.Wait()
	return nil
}

// Daytime formats t as the daytime service's one line (RFC 867 leaves
// the format free; this is the one inetd's internal service uses).
func Daytime(t time.Time) string {
	return t.Format("Mon Jan _2 15:04:05 2006") + "\r\n"
}

// chargenLine is the RFC 864 pattern's line i: 72 printable characters
// starting at character i, then CR LF.
func chargenLine(b []byte, i int) []byte {
	const first, n = ' ' + 1, 95 - 1 // '!' .. '~'
	for k := 0; k < 72; k++ {
		b = append(b, byte(first+(i+k)%n))
	}
	return append(b, '\r', '\n')
}

// Chargen writes the RFC 864 character pattern to w until a write fails.
func Chargen(w io.Writer) error {
	// One full cycle of 94 lines, written repeatedly.
	var cycle []byte
	for i := 0; i < 94; i++ {
		cycle = chargenLine(cycle, i)
	}
	for {
		if _, err := w.Write(cycle); err != nil {
			return err
		}
	}
}
