package gonet_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
)

func TestHosts(t *testing.T) {
	ns := gosock.NewNamespace(netns.Options{Name: "hosts"})
	defer ns.Close()
	if h1, h2 := gonet.HostsOf(ns), gonet.HostsOf(ns); h1 != h2 {
		t.Fatal("HostsOf gives a new table each time")
	}
	a, b := netip.MustParseAddr("10.1.1.1"), netip.MustParseAddr("fd00::1")
	gonet.SetHosts(ns, map[string][]netip.Addr{"Web.Example.": {a, b}, "empty": nil})
	h := gonet.HostsOf(ns)
	if got, ok := h.Lookup("web.example"); !ok || !slices.Equal(got, []netip.Addr{a, b}) {
		t.Errorf("Lookup(web.example) = %v, %v", got, ok)
	}
	if _, ok := h.Lookup("empty"); ok {
		t.Error("a name without addresses is in the table")
	}
	h.Set("db", a)
	h.Set("web.example")
	if _, ok := h.Lookup("web.example"); ok {
		t.Error("Set without addresses did not remove the name")
	}
	if all := h.All(); len(all) != 1 || !slices.Equal(all["db"], []netip.Addr{a}) {
		t.Errorf("All() = %v", all)
	}

	r := &gonet.Resolver{Namespace: ns}
	ctx := context.Background()
	for _, tc := range []struct {
		network, host string
		want          []string
	}{
		{"ip", "db", []string{"10.1.1.1"}},
		{"ip", "DB.", []string{"10.1.1.1"}},
		{"ip", "localhost", []string{"127.0.0.1", "::1"}},
		{"ip4", "localhost", []string{"127.0.0.1"}},
		{"ip6", "app.localhost", []string{"::1"}},
		{"ip", "192.0.2.7", []string{"192.0.2.7"}},
		{"ip", "fe80::1%lo", []string{"fe80::1%lo"}},
	} {
		got, err := r.LookupNetIP(ctx, tc.network, tc.host)
		var s []string
		for _, a := range got {
			s = append(s, a.String())
		}
		if err != nil || !slices.Equal(s, tc.want) {
			t.Errorf("LookupNetIP(%s, %s) = %v, %v; want %v", tc.network, tc.host, s, err, tc.want)
		}
	}
	_, err := r.LookupHost(ctx, "nowhere")
	var de *net.DNSError
	if !errors.As(err, &de) || !de.IsNotFound || de.Name != "nowhere" {
		t.Errorf("LookupHost(nowhere): %v", err)
	}
	// The table overrides localhost.
	h.Set("localhost", netip.MustParseAddr("127.0.0.2"))
	if got, _ := r.LookupHost(ctx, "localhost"); !slices.Equal(got, []string{"127.0.0.2"}) {
		t.Errorf("localhost from the table: %v", got)
	}
	// A hook answers names the table does not know.
	r.Hook = func(ctx context.Context, host string) ([]netip.Addr, error) {
		if host == "hooked" {
			return []netip.Addr{b}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	if got, err := r.LookupHost(ctx, "hooked"); err != nil || !slices.Equal(got, []string{"fd00::1"}) {
		t.Errorf("hooked: %v, %v", got, err)
	}
	if _, err := r.LookupHost(ctx, "unhooked"); !errors.As(err, &de) || !de.IsNotFound {
		t.Errorf("unhooked: %v", err)
	}
}

// dnsServer answers A and AAAA queries from a table, NXDOMAIN otherwise,
// until pc closes.
func dnsServer(pc net.PacketConn, table map[string][]netip.Addr) {
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		q := buf[:n]
		if len(q) < 12 {
			continue
		}
		// The question: labels, type, class.
		var labels []string
		off := 12
		for off < len(q) && q[off] != 0 {
			l := int(q[off])
			labels = append(labels, string(q[off+1:off+1+l]))
			off += 1 + l
		}
		off++
		qtype := binary.BigEndian.Uint16(q[off:])
		off += 4
		resp := append([]byte(nil), q[:off]...)
		resp[2] |= 0x80 // QR
		resp[3] = 0x80  // RA, NOERROR
		addrs, ok := table[strings.Join(labels, ".")]
		if !ok {
			resp[3] |= 3 // NXDOMAIN
		}
		an := 0
		for _, a := range addrs {
			if a.Is4() != (qtype == 1) {
				continue
			}
			rd := a.AsSlice()
			resp = append(resp, 0xc0, 12, byte(qtype>>8), byte(qtype), 0, 1, 0, 0, 0, 60, 0, byte(len(rd)))
			resp = append(resp, rd...)
			an++
		}
		binary.BigEndian.PutUint16(resp[6:], uint16(an))
		pc.WriteTo(resp, from)
	}
}

func TestDNS(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := twoHosts(t, link.Impairments{Latency: 5 * time.Millisecond})
		pc, err := gonet.ListenPacket(server, "udp", ":53")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		go dnsServer(pc, map[string][]netip.Addr{
			"db.internal": {netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("fd00::2")},
			"v6.internal": {netip.MustParseAddr("fd00::2")},
		})
		ln, err := gonet.Listen(server, "tcp", ":5432")
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
				c.Write([]byte("hi"))
				c.Close()
			}
		}()

		r := &gonet.Resolver{Servers: []netip.AddrPort{netip.MustParseAddrPort("10.0.0.2:53")}}
		d := &gonet.Dialer{Namespace: client, Resolver: r}
		for _, host := range []string{"db.internal", "v6.internal"} {
			c, err := d.Dial("tcp", net.JoinHostPort(host, "5432"))
			if err != nil {
				t.Fatalf("dial %s: %v", host, err)
			}
			b := make([]byte, 2)
			if _, err := c.Read(b); err != nil || string(b) != "hi" {
				t.Errorf("%s: read %q, %v", host, b, err)
			}
			t.Logf("%s: connected to %v", host, c.RemoteAddr())
			c.Close()
		}
		rc := *r
		rc.Namespace = client
		got, err := rc.LookupHost(context.Background(), "db.internal")
		if err != nil || !slices.Equal(got, []string{"10.0.0.2", "fd00::2"}) {
			t.Errorf("LookupHost(db.internal) = %v, %v", got, err)
		}
		_, err = d.Dial("tcp", "nowhere.internal:5432")
		checkErr(t, "dial an unknown name", err, parseDialError)
		if !isDNSNotFound(err) {
			t.Errorf("dial an unknown name: %v, want a DNSError with IsNotFound", err)
		}

		// A server that does not answer: a timeout, after 5 s of the
		// namespace's clock.
		rc.Servers = []netip.AddrPort{netip.MustParseAddrPort("10.0.0.2:5353")}
		start := time.Now()
		_, err = rc.LookupHost(context.Background(), "db.internal")
		var de *net.DNSError
		if !errors.As(err, &de) || de.IsTimeout || !strings.Contains(de.Err, "connection refused") {
			t.Errorf("no DNS server: %v, want connection refused", err)
		}
		t.Logf("no DNS server: %v after %v", err, time.Since(start))
		rc.Servers = []netip.AddrPort{netip.MustParseAddrPort("10.0.0.3:53")}
		start = time.Now()
		_, err = rc.LookupHost(context.Background(), "db.internal")
		if !errors.As(err, &de) || !de.IsTimeout || time.Since(start) != 5*time.Second {
			t.Errorf("unreachable DNS server: %v after %v, want a timeout after 5s", err, time.Since(start))
		}
	})
}
