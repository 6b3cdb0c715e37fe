package raw_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/sys"
)

// TestRawBlockingAndReadiness checks a raw ICMP socket's non-blocking
// receive (EAGAIN), poll and epoll readiness, and a blocking receive
// woken by an arriving packet.
func TestRawBlockingAndReadiness(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		a, b := e.pair(t)
		fd := b.socket(t, abi.AF_INET, abi.SOCK_RAW, abi.IPPROTO_ICMP)
		buf := make([]byte, 200)
		if _, _, err := b.p.Recvfrom(fd, buf, abi.MSG_DONTWAIT); err != errno.EAGAIN {
			t.Fatalf("empty non-blocking recv: %v, want EAGAIN", err)
		}
		pfd := []sys.PollFd{{Fd: int32(fd), Events: sys.POLLIN | sys.POLLOUT}}
		if n, err := b.p.Poll(pfd, 0); err != nil || n != 1 || pfd[0].Revents != sys.POLLOUT {
			t.Fatalf("poll before traffic: %d %v revents %#x, want POLLOUT only", n, err, pfd[0].Revents)
		}
		ep, err := b.p.EpollCreate1(0)
		must(t, err)
		must(t, b.p.EpollCtl(ep, abi.EPOLL_CTL_ADD, fd, &sys.EpollEvent{Events: abi.EPOLLIN | abi.EPOLLET, Fd: int32(fd)}))
		evs := make([]sys.EpollEvent, 4)
		if n, _ := b.p.EpollWait(ep, evs, 0); n != 0 {
			t.Fatalf("epoll before traffic: %d events", n)
		}

		// A blocked receive wakes when an echo request from a arrives.
		got := make(chan int, 1)
		go func() {
			n, _, err := b.p.Recvfrom(fd, buf, 0)
			if err != nil {
				t.Error(err)
			}
			got <- n
		}()
		synctest.Wait()
		ping := a.socket(t, abi.AF_INET, abi.SOCK_RAW, abi.IPPROTO_ICMP)
		req := echoRequest(false, 7, 1, "x")
		sum := checksum(req)
		req[2], req[3] = byte(sum>>8), byte(sum)
		must(t, a.p.Sendto(ping, req, 0, sa4("10.0.0.2", 0)))
		select {
		case n := <-got:
			if n < 20+9 {
				t.Errorf("raw receive of %d bytes, want IP header and ICMP", n)
			}
		case <-time.After(time.Second):
			t.Fatal("blocked raw receive not woken")
		}
		// Edge-triggered epoll reports the next arrival once.
		must(t, a.p.Sendto(ping, req, 0, sa4("10.0.0.2", 0)))
		time.Sleep(10 * time.Millisecond)
		if n, _ := b.p.EpollWait(ep, evs, 0); n != 1 || evs[0].Events&abi.EPOLLIN == 0 {
			t.Errorf("epoll after arrival: %d events %+v", n, evs[:n])
		}
		if n, _ := b.p.EpollWait(ep, evs, 0); n != 0 {
			t.Errorf("edge-triggered epoll reported again: %d", n)
		}
		pfd[0].Revents = 0
		if n, _ := b.p.Poll(pfd, 0); n != 1 || pfd[0].Revents&sys.POLLIN == 0 {
			t.Errorf("poll with data queued: revents %#x", pfd[0].Revents)
		}
	})
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
