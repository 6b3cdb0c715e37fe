package gonet_test

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/internal/israce"
	"github.com/gosock/gosock/link"
)

// TestRRAllocs bounces one byte back and forth over a gonet connection
// between two namespaces, with deadlines set as servers set them, and
// counts heap allocations per round trip once warm: the Read and Write
// calls, their blocking and wakeups, and TCP beneath them allocate
// nothing.
func TestRRAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counting")
	}
	if israce.Enabled {
		t.Skip("the race detector makes sync.Pool drop its contents at random")
	}
	client, server := twoHosts(t, link.Impairments{})
	lc := gonet.ListenConfig{Namespace: server}
	ln, err := lc.Listen(context.Background(), "tcp4", "10.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	d := gonet.Dialer{Namespace: client}
	c, err := d.DialContext(context.Background(), "tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc := <-accepted
	if sc == nil {
		t.FailNow()
	}
	defer sc.Close()
	echoed := make(chan struct{})
	go func() {
		defer close(echoed)
		var b [1]byte
		for {
			if _, err := sc.Read(b[:]); err != nil {
				return
			}
			if _, err := sc.Write(b[:]); err != nil {
				return
			}
		}
	}()
	var b [1]byte
	round := func() {
		if _, err := c.Write(b[:]); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, b[:]); err != nil {
			t.Fatal(err)
		}
	}
	for range 2000 {
		round() // warm up: pools fill, timers exist
	}
	if allocs := testing.AllocsPerRun(2000, round); allocs > 0 {
		t.Errorf("%.2f allocations per 1-byte round trip through gonet, want 0", allocs)
	}
	c.Close()
	<-echoed
}
