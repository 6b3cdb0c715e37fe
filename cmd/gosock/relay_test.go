package main

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/tcp"
)

// connPair returns the two ends of a TCP connection between namespaces
// a (10.0.0.1) and b (10.0.0.2).
func connPair(t *testing.T, a, b *netns.Namespace, port int) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := gonet.Listen(b, "tcp4", netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), uint16(port)).String())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := gonet.Dial(a, "tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return c, <-accepted
}

// TestRelayTCP: the relay passes a half-close on and returns when both
// directions have ended; a reset on either side resets the other and
// returns the error. Either way both of its connections are released.
func TestRelayTCP(t *testing.T) {
	for _, abortive := range []bool{false, true} {
		name := map[bool]string{false: "fin", true: "rst"}[abortive]
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a := gosock.NewNamespace(netns.Options{Name: "a", Seed: 1})
				b := gosock.NewNamespace(netns.Options{Name: "b", Seed: 2})
				defer func() {
					time.Sleep(time.Second)
					a.Close()
					b.Close()
				}()
				if _, _, err := gosock.Connect(a, b,
					gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}},
					gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}},
					link.PipeConfig{AtoB: link.Impairments{Latency: time.Millisecond}, BtoA: link.Impairments{Latency: time.Millisecond}}); err != nil {
					t.Fatal(err)
				}
				client, in := connPair(t, a, b, 80)  // the intercepted side
				out, server := connPair(t, a, b, 81) // the upstream side
				var up, down atomic.Int64
				done := make(chan error, 1)
				go func() { done <- relayTCP(in, out, &up, &down) }()

				client.Write([]byte("request"))
				buf := make([]byte, 7)
				if _, err := io.ReadFull(server, buf); err != nil || string(buf) != "request" {
					t.Fatalf("upstream read %q, %v", buf, err)
				}
				if abortive {
					client.(*gonet.Conn).SetLinger(0)
					client.Close() // a reset
					if _, err := server.Read(buf); err == nil || errors.Is(err, io.EOF) {
						t.Errorf("upstream after the client's reset: %v, want a reset", err)
					}
					if err := <-done; err == nil {
						t.Error("relay returned no error for a reset")
					}
					server.Close()
				} else {
					client.(*gonet.Conn).CloseWrite()
					if _, err := server.Read(buf); err != io.EOF {
						t.Errorf("upstream after the client's half-close: %v, want EOF", err)
					}
					server.Write([]byte("reply"))
					server.Close()
					got, err := io.ReadAll(client)
					if err != nil || string(got) != "reply" {
						t.Errorf("client read %q, %v", got, err)
					}
					if err := <-done; err != nil {
						t.Errorf("relay: %v", err)
					}
					client.Close()
					if up.Load() != 7 || down.Load() != 5 {
						t.Errorf("bytes up %d down %d", up.Load(), down.Load())
					}
				}
				time.Sleep(2 * time.Minute) // past TIME-WAIT
				synctest.Wait()
				for _, ns := range []*netns.Namespace{a, b} {
					for _, s := range tcp.Of(ns).Sockets() {
						t.Errorf("%s: socket left: %v %v -> %v", ns.Name(), s.State, s.Local, s.Remote)
					}
				}
			})
		})
	}
}
