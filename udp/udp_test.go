package udp_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
)

func TestEcho(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		a, b := e.pair(t)
		for _, c := range []struct {
			name      string
			domain    int
			bindB     abi.Sockaddr
			dst       abi.Sockaddr
			connected bool
		}{
			{"v4", abi.AF_INET, sa4("0.0.0.0", 7), sa4("10.0.0.2", 7), false},
			{"v4 connected", abi.AF_INET, sa4("10.0.0.2", 7), sa4("10.0.0.2", 7), true},
			{"v6", abi.AF_INET6, sa6("::", 7), sa6("2001:db8::2", 7), false},
			{"v6 connected", abi.AF_INET6, sa6("2001:db8::2", 7), sa6("2001:db8::2", 7), true},
			{"v4-mapped on dual stack", abi.AF_INET6, sa6("::", 7), sa6("::ffff:10.0.0.2", 7), false},
		} {
			func() {
				srv := b.socket(t, c.domain, abi.SOCK_DGRAM, 0)
				defer b.p.Close(srv)
				must(t, b.p.Bind(srv, c.bindB))
				cl := a.socket(t, c.domain, abi.SOCK_DGRAM, 0)
				defer a.p.Close(cl)
				msg := []byte("hello " + c.name)
				if c.connected {
					must(t, a.p.Connect(cl, c.dst))
					if _, err := a.p.Send(cl, msg, 0); err != nil {
						t.Fatal(err)
					}
				} else {
					must(t, a.p.Sendto(cl, msg, 0, c.dst))
				}
				buf := make([]byte, 100)
				n, from, err := b.p.Recvfrom(srv, buf, 0)
				must(t, err)
				if !bytes.Equal(buf[:n], msg) {
					t.Fatalf("server got %q", buf[:n])
				}
				must(t, b.p.Sendto(srv, bytes.ToUpper(buf[:n]), 0, from))
				n, _, err = a.p.Recvfrom(cl, buf, 0)
				must(t, err)
				if string(buf[:n]) != string(bytes.ToUpper(msg)) {
					t.Fatalf("client got %q", buf[:n])
				}
			}()
		}
		if got := b.ns.MIB.Get(netns.UDPInDatagrams); got != 3 {
			t.Errorf("b UdpInDatagrams = %d, want 3", got)
		}
		if got := b.ns.MIB.Get(netns.UDP6InDatagrams); got != 2 {
			t.Errorf("b Udp6InDatagrams = %d, want 2", got)
		}
	})
}

func TestPortUnreachableRefused(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		a, b := e.pair(t)
		for _, c := range []struct {
			domain int
			dst    abi.Sockaddr
		}{{abi.AF_INET, sa4("10.0.0.2", 9)}, {abi.AF_INET6, sa6("2001:db8::2", 9)}} {
			fd := a.socket(t, c.domain, abi.SOCK_DGRAM, 0)
			must(t, a.p.Connect(fd, c.dst))
			_, err := a.p.Send(fd, []byte("x"), 0)
			must(t, err)
			time.Sleep(10 * time.Millisecond)
			_, _, err = a.p.Recvfrom(fd, make([]byte, 10), abi.MSG_DONTWAIT)
			wantErr(t, fmt.Sprint("recv after port unreachable ", c.domain), err, errno.ECONNREFUSED)
			_, _, err = a.p.Recvfrom(fd, make([]byte, 10), abi.MSG_DONTWAIT)
			wantErr(t, "second recv", err, errno.EAGAIN)
			a.p.Close(fd)
		}
		if got := b.ns.MIB.Get(netns.UDPNoPorts); got != 1 {
			t.Errorf("UdpNoPorts = %d, want 1", got)
		}
		if got := b.ns.MIB.Get(netns.UDP6NoPorts); got != 1 {
			t.Errorf("Udp6NoPorts = %d, want 1", got)
		}
	})
}
