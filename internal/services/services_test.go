package services_test

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/internal/services"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
)

func TestParseSpecs(t *testing.T) {
	got, err := services.ParseSpecs("echo:7, discard,http:8080,chargen:19")
	if err != nil {
		t.Fatal(err)
	}
	want := []services.Spec{{"echo", 7}, {"discard", 9}, {"http", 8080}, {"chargen", 19}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("spec %d: %v, want %v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"ftp:21", "echo:0", "echo:x", "echo:7,discard:7", "http:70000"} {
		if _, err := services.ParseSpecs(bad); err == nil {
			t.Errorf("ParseSpecs(%q) accepted", bad)
		}
	}
}

// pair makes a client and a server namespace joined by a 1 ms wire.
func pair(t *testing.T) (client, server *netns.Namespace) {
	t.Helper()
	client = gosock.NewNamespace(netns.Options{Name: "client", Seed: 1})
	server = gosock.NewNamespace(netns.Options{Name: "server", Seed: 2})
	imp := link.Impairments{Latency: time.Millisecond}
	_, _, err := gosock.Connect(client, server,
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}},
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}},
		link.PipeConfig{AtoB: imp, BtoA: imp})
	if err != nil {
		t.Fatal(err)
	}
	return client, server
}

// TestServices runs every service in one namespace and uses each from
// another, over gosock's TCP and UDP on fake time.
func TestServices(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cns, sns := pair(t)
		defer cns.Close()
		defer sns.Close()
		specs, err := services.ParseSpecs("echo,discard,chargen,daytime,http")
		if err != nil {
			t.Fatal(err)
		}
		srv, err := services.Start(sns, specs, t.Logf)
		if err != nil {
			t.Fatal(err)
		}
		d := &gonet.Dialer{Namespace: cns}
		dial := func(network, port string) net.Conn {
			t.Helper()
			c, err := d.Dial(network, "10.0.0.2:"+port)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}

		// TCP echo, with more than a window of data.
		msg := strings.Repeat("gosock echo ", 50000)
		c := dial("tcp", "7")
		go func() { io.WriteString(c, msg); c.(*gonet.Conn).CloseWrite() }()
		if b, err := io.ReadAll(c); err != nil || string(b) != msg {
			t.Errorf("tcp echo: %d bytes, %v", len(b), err)
		}
		c.Close()

		// UDP echo and daytime.
		u := dial("udp", "7")
		u.Write([]byte("ping"))
		buf := make([]byte, 100)
		if n, err := u.Read(buf); err != nil || string(buf[:n]) != "ping" {
			t.Errorf("udp echo: %q %v", buf[:n], err)
		}
		u.Close()
		u = dial("udp", "13")
		u.Write([]byte("?"))
		if n, err := u.Read(buf); err != nil || !strings.HasSuffix(string(buf[:n]), "\r\n") || n < 20 {
			t.Errorf("udp daytime: %q %v", buf[:n], err)
		}
		u.Close()

		// Discard takes everything and says nothing.
		c = dial("tcp", "9")
		io.WriteString(c, msg)
		c.(*gonet.Conn).CloseWrite()
		if b, err := io.ReadAll(c); err != nil || len(b) != 0 {
			t.Errorf("discard answered %d bytes, %v", len(b), err)
		}
		c.Close()

		// Chargen's first lines are RFC 864's.
		c = dial("tcp", "19")
		r := bufio.NewReader(c)
		l1, _ := r.ReadString('\n')
		l2, _ := r.ReadString('\n')
		if l1 != "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh\r\n" ||
			l2 != "\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghi\r\n" {
			t.Errorf("chargen lines %q %q", l1, l2)
		}
		c.Close()

		// TCP daytime: one line, then the server closes.
		c = dial("tcp", "13")
		if b, err := io.ReadAll(c); err != nil || !strings.HasSuffix(string(b), "\r\n") {
			t.Errorf("daytime %q %v", b, err)
		}
		c.Close()

		// HTTP: a body checked against the generator, zeros, errors.
		tr := &http.Transport{DialContext: d.DialContext}
		hc := &http.Client{Transport: tr}
		get := func(path string) (*http.Response, []byte) {
			t.Helper()
			resp, err := hc.Get("http://10.0.0.2" + path)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			return resp, b
		}
		resp, b := get("/bytes/1000003?seed=9")
		h := sha256.New()
		io.Copy(h, services.Bytes(9, 1000003))
		if resp.StatusCode != 200 || len(b) != 1000003 || sha256.Sum256(b) != [32]byte(h.Sum(nil)) ||
			resp.ContentLength != 1000003 {
			t.Errorf("/bytes: %s, %d bytes", resp.Status, len(b))
		}
		if _, b := get("/bytes/100"); string(b) == string(make([]byte, 100)) {
			t.Error("/bytes/100 is all zeros")
		}
		if resp, b := get("/zeros/5000"); resp.StatusCode != 200 || string(b) != string(make([]byte, 5000)) {
			t.Errorf("/zeros: %s %d bytes", resp.Status, len(b))
		}
		for _, p := range []string{"/bytes/-1", "/bytes/x", "/bytes/1?seed=y"} {
			if resp, _ := get(p); resp.StatusCode != 400 {
				t.Errorf("%s: %s", p, resp.Status)
			}
		}
		if resp, b := get("/"); resp.StatusCode != 200 || !strings.Contains(string(b), "/bytes/N") {
			t.Errorf("/: %s %q", resp.Status, b)
		}
		tr.CloseIdleConnections()

		// Close ends an open connection with a FIN: the client reads EOF.
		c = dial("tcp", "7")
		io.WriteString(c, "x")
		io.ReadFull(c, buf[:1])
		srv.Close()
		if n, err := c.Read(buf); n != 0 || !errors.Is(err, io.EOF) {
			t.Errorf("echo connection after Close: %d, %v; want EOF", n, err)
		}
		c.Close()
		if _, err := d.Dial("tcp", "10.0.0.2:7"); err == nil {
			t.Error("dial after Close succeeded")
		}
	})
}
