package gonet_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/gonet"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
)

// An HTTP server and client on a virtual network: two namespaces joined
// by a wire with 10 ms of latency each way.
func ExampleListen() {
	client := gosock.NewNamespace(netns.Options{Name: "client"})
	server := gosock.NewNamespace(netns.Options{Name: "server"})
	defer client.Close()
	defer server.Close()
	wire := link.Impairments{Latency: 10 * time.Millisecond}
	gosock.Connect(client, server,
		gosock.Link{Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}},
		gosock.Link{Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}},
		link.PipeConfig{AtoB: wire, BtoA: wire})
	gonet.SetHosts(client, map[string][]netip.Addr{"www.example": {netip.MustParseAddr("10.0.0.2")}})

	ln, err := gonet.Listen(server, "tcp", ":80")
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		fmt.Fprintf(w, "hello %s, this is %s", host, r.Host)
	})}
	go srv.Serve(ln)
	defer srv.Close()

	d := &gonet.Dialer{Namespace: client}
	tr := &http.Transport{DialContext: d.DialContext}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("http://www.example/")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status)
	fmt.Println(string(body))
	// Output:
	// 200 OK
	// hello 10.0.0.1, this is www.example
}

// A datagram exchange over the loopback interface of one namespace.
func ExampleListenPacket() {
	ns := gosock.NewNamespace(netns.Options{Name: "host"})
	defer ns.Close()

	pc, err := gonet.ListenPacket(ns, "udp", "127.0.0.1:5353")
	if err != nil {
		panic(err)
	}
	defer pc.Close()
	c, err := gonet.Dial(ns, "udp", "localhost:5353")
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.Write([]byte("ping"))

	buf := make([]byte, 100)
	n, from, _ := pc.ReadFrom(buf)
	fmt.Printf("%s from %s\n", buf[:n], from.(*net.UDPAddr).IP)
	pc.WriteTo([]byte("pong"), from)
	n, _ = c.Read(buf)
	fmt.Printf("%s\n", buf[:n])
	// Output:
	// ping from 127.0.0.1
	// pong
}
