// Package gonet is gosock's Go face: the net package's Conn, Listener and
// PacketConn over gosock sockets, so that Go code written for the host's
// network (net/http, gRPC, database drivers, your own protocols) runs
// unchanged on a virtual network of gosock namespaces.
//
//	ln, _ := gonet.Listen(server, "tcp", ":80")
//	go http.Serve(ln, handler)
//
//	d := &gonet.Dialer{Namespace: client}
//	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
//	resp, err := hc.Get("http://10.0.0.2/")
//
// It sits on the socket layer as the syscall face (package sys) does, and
// wraps no host socket. Networks are net's: "tcp", "tcp4", "tcp6",
// "udp", "udp4", "udp6", "unix", "unixgram" and "unixpacket"; addresses
// are net's too ("host:port", "[::1]:80", ":0"; an AF_UNIX path, or
// "@name" for an abstract name), and so are the family choices: a
// wildcard "tcp" listener is a dual-stack IPv6 socket, a "tcp6" one is
// IPV6_V6ONLY. TCP connections get TCP_NODELAY and keep-alives as net's
// do.
//
// # Blocking, deadlines and Close
//
// Calls block in the socket layer, on the socket's wait queue; there is
// no goroutine per connection. Each direction of a Conn (and a
// Listener's Accept) has a deadline timed by the namespace's clock, which
// ends a blocked call by canceling the context it waits with: a deadline
// in the past interrupts a blocked Read at once, and a deadline moved
// while a call waits applies to it. Close from another goroutine ends
// blocked calls the same way; the socket itself is released when the
// last call using it has returned, as Linux releases a file.
//
// # Errors
//
// Errors have the net package's shapes, so code that inspects them keeps
// working:
//
//   - a failed socket call: *net.OpError{Op, Net, Source, Addr} wrapping
//     *os.SyscallError{Syscall: "connect", "recvmsg", "sendmsg", "bind",
//     …} wrapping the errno.Errno, so errors.Is(err, syscall.ECONNREFUSED)
//     holds and net.Error's Timeout reports ETIMEDOUT;
//   - a deadline: *net.OpError wrapping os.ErrDeadlineExceeded (Timeout
//     true); a dial past its Timeout or context deadline wraps an "i/o
//     timeout" error matching both context.DeadlineExceeded and
//     os.ErrDeadlineExceeded, a canceled dial one matching
//     context.Canceled;
//   - use after Close: *net.OpError wrapping net.ErrClosed ("use of
//     closed network connection");
//   - the end of a stream: io.EOF, bare;
//   - bad input: *net.AddrError, net.UnknownNetworkError, and
//     *net.DNSError with IsNotFound for a name nobody knows.
//
// The errno is gosock's errno.Errno, with Linux's numbers on every
// platform; it matches syscall.Errno under errors.Is, and errors.As
// fills in a syscall.Errno (or an errno.Errno) from it.
//
// # Names
//
// Each namespace has a static host table (HostsOf, SetHosts), its
// /etc/hosts. Names resolve through it; IP literals stand for themselves;
// "localhost" is 127.0.0.1 and ::1. A Resolver adds a hook and a small
// DNS client over the namespace's own UDP, for networks that run a DNS
// server.
//
// # Tests on fake time
//
// A namespace's clock is the standard library's time unless told
// otherwise, so a whole virtual network, and the code under test with
// it, runs on testing/synctest's fake time: latencies, retransmission
// timers, deadlines and timeouts take no wall time, and a seeded wire
// loses, duplicates and delays the same frames of the same sequence.
//
//	func TestClientRetries(t *testing.T) {
//		synctest.Test(t, func(t *testing.T) {
//			client := gosock.NewNamespace(netns.Options{Name: "client", Seed: 1})
//			server := gosock.NewNamespace(netns.Options{Name: "server", Seed: 2})
//			defer client.Close()
//			defer server.Close()
//			_, _, err := gosock.Connect(client, server,
//				gosock.Link{Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}},
//				gosock.Link{Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}},
//				link.PipeConfig{
//					AtoB: link.Impairments{Latency: 100 * time.Millisecond, Loss: 0.01, Seed: 1},
//					BtoA: link.Impairments{Latency: 100 * time.Millisecond, Loss: 0.01, Seed: 2},
//				})
//			if err != nil {
//				t.Fatal(err)
//			}
//			ln, _ := gonet.Listen(server, "tcp", ":80")
//			srv := &http.Server{Handler: myHandler}
//			go srv.Serve(ln)
//			defer srv.Close()
//
//			d := &gonet.Dialer{Namespace: client}
//			tr := &http.Transport{DialContext: d.DialContext}
//			defer tr.CloseIdleConnections()
//			hc := &http.Client{Transport: tr, Timeout: 5 * time.Second}
//			start := time.Now()
//			resp, err := hc.Get("http://10.0.0.2/")
//			// ... check resp; time.Since(start) is simulated time.
//		})
//	}
//
// Make the namespaces inside the bubble (their pipes' goroutines and
// timers belong to it), and close servers, idle connections and the
// namespaces before the bubble's function returns.
//
// Fake time does not order what happens at one instant: frames of a
// burst that arrive together, a timer that fires as a segment arrives,
// the application reading meanwhile, all run in an order the Go
// scheduler picks. A run repeats itself as long as no such coincidence
// changes what goes on the wire. Give the wire a Bandwidth, which spaces
// a burst's arrivals out, when a test compares packet captures byte for
// byte, and keep such tests short.
package gonet
