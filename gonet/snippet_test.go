package gonet_test

import (
	"io"
	"net/http"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
)

var myHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })

// TestClientRetries is the package documentation's snippet, kept here so
// that it compiles and works.
func TestClientRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client := gosock.NewNamespace(netns.Options{Name: "client", Seed: 1})
		server := gosock.NewNamespace(netns.Options{Name: "server", Seed: 2})
		defer client.Close()
		defer server.Close()
		_, _, err := gosock.Connect(client, server,
			gosock.Link{Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}},
			gosock.Link{Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}},
			link.PipeConfig{
				AtoB: link.Impairments{Latency: 100 * time.Millisecond, Loss: 0.01, Seed: 1},
				BtoA: link.Impairments{Latency: 100 * time.Millisecond, Loss: 0.01, Seed: 2},
			})
		if err != nil {
			t.Fatal(err)
		}
		ln, _ := gonet.Listen(server, "tcp", ":80")
		srv := &http.Server{Handler: myHandler}
		go srv.Serve(ln)
		defer srv.Close()

		d := &gonet.Dialer{Namespace: client}
		tr := &http.Transport{DialContext: d.DialContext}
		defer tr.CloseIdleConnections()
		hc := &http.Client{Transport: tr, Timeout: 5 * time.Second}
		start := time.Now()
		resp, err := hc.Get("http://10.0.0.2/")
		// ... check resp; time.Since(start) is simulated time.
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "ok" {
			t.Errorf("body %q", body)
		}
		// ARP, the handshake and the request: three round trips of 200 ms
		// (more if the seeds lose a frame).
		t.Logf("GET took %v of simulated time", time.Since(start))
	})
}
